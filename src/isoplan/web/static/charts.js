/* isoplan charts: small hand-written SVG charts (no library, no outside request).
   Each function fills an <svg> element; the viewBox scales it to the screen width.
   Colours come from CSS classes (app.css), so the CSP needs no inline style. */
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const W = 640, H = 300, M = { l: 64, r: 16, t: 16, b: 44 };

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    if (parent) parent.appendChild(node);
    return node;
  }
  function text(parent, x, y, s, cls, anchor) {
    const t = el("text", { x, y, class: cls || "axis-text", "text-anchor": anchor || "middle" }, parent);
    t.textContent = s;
    return t;
  }
  function nice(max) {
    if (!(max > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(max)));
    for (const f of [1, 2, 2.5, 5, 10]) if (f * p >= max) return f * p;
    return 10 * p;
  }
  function short(v) {
    const a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + "M";
    if (a >= 1e3) return (v / 1e3).toFixed(a >= 1e4 ? 0 : 1) + "k";
    return String(Math.round(v * 100) / 100);
  }
  function frame(svg, xmin, xmax, ymin, ymax, xLabel, yLabel) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    const sx = (x) => M.l + (xmax === xmin ? 0 : (x - xmin) / (xmax - xmin)) * (W - M.l - M.r);
    const sy = (y) => H - M.b - (ymax === ymin ? 0 : (y - ymin) / (ymax - ymin)) * (H - M.t - M.b);
    const g = el("g", { class: "axes" }, svg);
    for (let i = 0; i <= 4; i++) {
      const v = ymin + (ymax - ymin) * i / 4;
      el("line", { x1: M.l, x2: W - M.r, y1: sy(v), y2: sy(v), class: "grid" }, g);
      text(g, M.l - 6, sy(v) + 4, short(v), "axis-text", "end");
    }
    el("line", { x1: M.l, x2: W - M.r, y1: sy(ymin), y2: sy(ymin), class: "axis" }, g);
    if (xLabel) text(g, (M.l + W - M.r) / 2, H - 6, xLabel);
    if (yLabel) {
      const t = text(g, 14, (M.t + H - M.b) / 2, yLabel);
      t.setAttribute("transform", `rotate(-90 14 ${(M.t + H - M.b) / 2})`);
    }
    return { sx, sy, g };
  }

  /* lineChart(svg, {x: [...], series: [{y, cls, label}], marks: [{x, cls, label}], points: [{x, y, cls, label}]}) */
  function lineChart(svg, spec) {
    const xs = spec.x;
    const xmin = Math.min(...xs), xmax = Math.max(...xs);
    let ymax = 0;
    for (const s of spec.series) for (const v of s.y) if (v > ymax) ymax = v;
    for (const p of spec.points || []) if (p.y > ymax) ymax = p.y;
    ymax = nice(ymax * 1.05);
    const { sx, sy } = frame(svg, xmin, xmax, 0, ymax, spec.xLabel, spec.yLabel);
    for (let i = 0; i <= 4; i++) {
      const v = xmin + (xmax - xmin) * i / 4;
      text(svg, sx(v), H - M.b + 16, short(v));
    }
    for (const s of spec.series) {
      const d = s.y.map((v, i) => `${i ? "L" : "M"}${sx(xs[i]).toFixed(1)},${sy(v).toFixed(1)}`).join("");
      el("path", { d, class: "series " + (s.cls || "s1") }, svg);
    }
    for (const m of spec.marks || []) {
      if (m.x == null || !(m.x >= xmin && m.x <= xmax)) continue;
      el("line", { x1: sx(m.x), x2: sx(m.x), y1: M.t, y2: H - M.b, class: "mark " + (m.cls || "") }, svg);
      if (m.label) text(svg, sx(m.x) + 4, M.t + 12, m.label, "mark-text", "start");
    }
    for (const p of spec.points || []) {
      if (p.x == null || !(p.x >= xmin && p.x <= xmax)) continue;
      const c = el("circle", { cx: sx(p.x), cy: sy(p.y), r: 5, class: "point " + (p.cls || "") }, svg);
      if (p.label) el("title", {}, c).textContent = p.label;
    }
    if (spec.summary) svg.setAttribute("aria-label", spec.summary);
    svg.dataset.rendered = String(Number(svg.dataset.rendered || 0) + 1);
  }

  /* barChart(svg, {labels: [...], series: [{values, cls, label}], yLabel}) grouped bars (negative values allowed) */
  function barChart(svg, spec) {
    const n = spec.labels.length, k = spec.series.length;
    let ymin = 0, ymax = 0;
    for (const s of spec.series) for (const v of s.values) { if (v > ymax) ymax = v; if (v < ymin) ymin = v; }
    ymax = nice(ymax * 1.05); if (ymin < 0) ymin = -nice(-ymin * 1.05);
    const { sy } = frame(svg, 0, 1, ymin, ymax, spec.xLabel, spec.yLabel);
    const band = (W - M.l - M.r) / Math.max(n, 1), bw = band * 0.8 / Math.max(k, 1);
    spec.labels.forEach((label, i) => {
      const x0 = M.l + i * band + band * 0.1;
      spec.series.forEach((s, j) => {
        const v = s.values[i] || 0;
        const r = el("rect", { x: x0 + j * bw, y: Math.min(sy(v), sy(0)), width: Math.max(bw - 1, 1),
          height: Math.abs(sy(v) - sy(0)), class: "bar " + (s.cls || "s" + (j + 1)) }, svg);
        el("title", {}, r).textContent = `${label}, ${s.label}: ${short(v)}`;
      });
      const every = Math.ceil(n / 10);  // at most ~10 labels, so a histogram's edges stay readable
      if (i % every === 0) {
        const t = text(svg, x0 + band * 0.4, H - M.b + 16, String(label).slice(0, 18));
        if (n > 6) t.setAttribute("class", "axis-text small");
      }
    });
    el("line", { x1: M.l, x2: W - M.r, y1: sy(0), y2: sy(0), class: "axis" }, svg);
    legend(svg, spec.series);
    if (spec.summary) svg.setAttribute("aria-label", spec.summary);
    svg.dataset.rendered = String(Number(svg.dataset.rendered || 0) + 1);
  }

  /* fanChart(svg, {x: [dates], bands: {"5": [...], ...}, level}) */
  function fanChart(svg, spec) {
    const n = spec.x.length, idx = [...Array(n).keys()];
    const b = spec.bands;
    let ymax = 0;
    for (const key of Object.keys(b)) for (const v of b[key]) if (v > ymax) ymax = v;
    ymax = nice(ymax * 1.05);
    const { sx, sy } = frame(svg, 0, Math.max(n - 1, 1), 0, ymax, spec.xLabel, spec.yLabel);
    const area = (lo, hi, cls) => {
      const d = idx.map((i) => `${i ? "L" : "M"}${sx(i)},${sy(hi[i])}`).join("") +
        idx.slice().reverse().map((i) => `L${sx(i)},${sy(lo[i])}`).join("") + "Z";
      el("path", { d, class: cls }, svg);
    };
    if (b["5"] && b["95"]) area(b["5"], b["95"], "band outer");
    if (b["25"] && b["75"]) area(b["25"], b["75"], "band inner");
    if (b["50"]) el("path", { d: idx.map((i) => `${i ? "L" : "M"}${sx(i)},${sy(b["50"][i])}`).join(""),
      class: "series s1" }, svg);
    if (spec.level != null) el("line", { x1: M.l, x2: W - M.r, y1: sy(spec.level), y2: sy(spec.level), class: "mark" }, svg);
    [0, Math.floor((n - 1) / 2), n - 1].forEach((i) => { if (n) text(svg, sx(i), H - M.b + 16, String(spec.x[i]).slice(0, 10)); });
    if (spec.summary) svg.setAttribute("aria-label", spec.summary);
    svg.dataset.rendered = String(Number(svg.dataset.rendered || 0) + 1);
  }

  function legend(svg, series) {
    series.forEach((s, j) => {
      const x = M.l + 8 + j * 150;
      el("rect", { x, y: 4, width: 10, height: 10, class: "bar " + (s.cls || "s" + (j + 1)) }, svg);
      text(svg, x + 14, 13, s.label, "axis-text", "start");
    });
  }

  window.isoCharts = { lineChart, barChart, fanChart };
})();
