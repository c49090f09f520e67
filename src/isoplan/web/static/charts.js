/* isoplan charts: small hand-written SVG charts (no library, no outside request).
   Each function fills an <svg> element drawn at the element's own width (one SVG unit = one CSS pixel), so the
   text keeps its size on a phone; the chart is drawn again when its width changes. Ticks are round (1, 2, 2.5
   or 5 times a power of ten), each axis names its unit, and the legend sits in its own band above the plot,
   with a key drawn like the mark it names. Colours come from CSS classes (charts.css), so the CSP needs no
   inline style. */
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const CHAR = 7;          // px: a conservative average width of one character of the 12 px axis text
  const LEGEND_ROW = 18;   // px: one line of the legend
  const LEGEND_LEFT = 12;  // px: the legend's margin on either side (measured and drawn on the same width)
  const STEPS = [1, 2, 2.5, 5, 10];

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
  const textWidth = (s) => String(s).length * CHAR;
  /* `s` broken at spaces into lines of at most `chars` characters */
  function wrap(s, chars) {
    const out = [];
    for (const word of String(s).split(" ")) {
      const last = out[out.length - 1];
      if (last != null && (last + " " + word).length <= chars) out[out.length - 1] = last + " " + word;
      else out.push(word);
    }
    return out;
  }
  const usd = (v) => "$" + Number(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  /* Round ticks covering [lo, hi] with at most about `count` intervals: steps of 1, 2, 2.5 or 5 x 10^k
     (whole steps only when `integer`, e.g. shares). Returns {ticks, step}; the ticks reach past both ends. */
  function niceTicks(lo, hi, count, integer) {
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) { lo = 0; hi = 1; }
    if (hi < lo) [lo, hi] = [hi, lo];
    if (hi === lo) hi = lo + (integer ? 1 : Math.max(Math.abs(lo), 1));
    const rough = (hi - lo) / Math.max(count || 5, 1);
    const power = Math.pow(10, Math.floor(Math.log10(rough)));
    let step = STEPS.map((m) => m * power).find((s) => s >= rough * (1 - 1e-9) && (!integer || Number.isInteger(s)));
    if (!step) step = integer ? Math.max(1, Math.round(power * 10)) : power * 10;
    const first = Math.floor(lo / step + 1e-9), last = Math.ceil(hi / step - 1e-9);
    const ticks = [];
    for (let k = first; k <= last; k++) ticks.push(Number((k * step).toPrecision(12)));
    return { ticks, step };
  }

  /* The decimals that show `step` exactly (2.5 needs one, 0.25 two). */
  function decimals(step) {
    for (let d = 0; d < 10; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-6) return d;
    return 10;
  }
  /* Tick labels that tell the ticks apart: a thousand or a million suffix with as many decimals as the step
     needs ($12.5k, never a rounded $13k), whole shares with separators, a percent of paths. */
  function formatter(unit, ticks, step) {
    const top = Math.max(...ticks.map(Math.abs));
    const group = (v, d) => v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
    if (unit === "%") {
      const d = decimals(step * 100);
      return (v) => (v === 0 ? "0%" : group(v * 100, d).replace(/\.0+$/, "").replace(/(\.\d*?)0+$/, "$1") + "%");
    }
    const [div, suffix] = unit === "$" && top >= 1e6 ? [1e6, "M"] : unit === "$" && top >= 1e4 ? [1e3, "k"] : [1, ""];
    const d = decimals(step / div);
    // whole dollars or k/M with the step's decimals (trailing zeros dropped: $5k, $7.5k); below a dollar, cents
    const cents = unit === "$" && div === 1 && d > 0;
    return (v) => {
      if (v === 0) return unit === "$" ? "$0" : unit === "%" ? "0%" : "0";
      const sign = v < 0 ? "−" : "";
      let body = group(Math.abs(v) / div, cents ? Math.max(d, 2) : d);
      if (!cents) body = body.replace(/\.0+$/, "").replace(/(\.\d*?)0+$/, "$1");
      return sign + (unit === "$" ? "$" : "") + body + suffix;
    };
  }
  /* Ticks for an axis `length` px long: as many as fit with their labels apart (`across`: labels side by side). */
  function axisTicks(lo, hi, unit, length, across, integer) {
    for (let count = across ? 10 : Math.max(2, Math.floor(length / 40)); count >= 1; count--) {
      const { ticks, step } = niceTicks(lo, hi, count, integer);
      const fmt = formatter(unit, ticks, step);
      const widest = Math.max(...ticks.map((v) => textWidth(fmt(v))));
      const room = length / Math.max(ticks.length - 1, 1);
      if (!across || widest + 12 <= room || count === 1) return { ticks, step, fmt };
    }
    return null;
  }
  const signed = (fmt) => (v) => (v > 0 ? "+" : "") + fmt(v);

  /* The drawing width: the element's own width in CSS pixels (640 before it is laid out). */
  const widthOf = (svg) => Math.max(280, Math.round(svg.getBoundingClientRect().width) || 640);
  /* The drawing box: that width and a height that suits it. */
  function size(svg) {
    const W = widthOf(svg);
    return { W, H: Math.round(Math.max(230, Math.min(320, W * 0.5))) };
  }
  function start(svg, W, H, summary) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    if (summary) svg.setAttribute("aria-label", summary);
  }
  function done(svg, W) {
    svg.dataset.width = String(W);
    svg.dataset.rendered = String(Number(svg.dataset.rendered || 0) + 1);
  }

  /* Legend entries {label, key: "bar"|"band"|"line"|"point", cls} laid out in rows across `width`:
     returns the rows' height, so the plot starts below them and never under a key. */
  function legendHeight(entries, width) {
    return legendRows(entries, width).length * LEGEND_ROW + (entries.length ? 6 : 0);
  }
  function legendRows(entries, width) {
    const rows = [[]];
    let x = 0;
    for (const e of entries) {
      const w = 22 + textWidth(e.label) + 16;
      if (x > 0 && x + w > width) { rows.push([]); x = 0; }
      rows[rows.length - 1].push({ e, x });
      x += w;
    }
    return entries.length ? rows : [];
  }
  function legend(svg, entries, left, width) {
    const g = el("g", { class: "legend" }, svg);
    legendRows(entries, width).forEach((row, r) => {
      const y = 4 + r * LEGEND_ROW + LEGEND_ROW / 2;
      for (const { e, x } of row) {
        const x0 = left + x;
        // a key is styled like its mark, under its own class name so the marks themselves stay countable
        const cls = e.cls.replace(/\b(mark|point)\b/g, "key-$1");
        if (e.key === "bar" || e.key === "band") el("rect", { x: x0, y: y - 6, width: 16, height: 12, class: cls }, g);
        else if (e.key === "point") el("circle", { cx: x0 + 8, cy: y, r: 5, class: cls }, g);
        else el("line", { x1: x0, x2: x0 + 16, y1: y, y2: y, class: cls }, g);
        text(g, x0 + 22, y + 4, e.label, "legend-text", "start");
      }
    });
  }

  /* Axes with grid lines, tick labels and titles; returns the scales. `x`/`y`: {lo, hi, ticks, fmt} */
  function axes(svg, box, x, y, xTitle, yTitle, xLabels) {
    const g = el("g", { class: "axes" }, svg);
    const sx = (v) => box.l + (x.hi === x.lo ? 0 : (v - x.lo) / (x.hi - x.lo)) * (box.r - box.l);
    const sy = (v) => box.b - (y.hi === y.lo ? 0 : (v - y.lo) / (y.hi - y.lo)) * (box.b - box.t);
    for (const v of y.ticks) {
      el("line", { x1: box.l, x2: box.r, y1: sy(v), y2: sy(v), class: v === 0 ? "axis" : "grid" }, g);
      text(g, box.l - 6, sy(v) + 4, y.fmt(v), "axis-text", "end");
    }
    el("line", { x1: box.l, x2: box.r, y1: box.b, y2: box.b, class: "axis" }, g);
    for (const [v, label] of xLabels || x.ticks.map((v) => [v, x.fmt(v)])) {
      el("line", { x1: sx(v), x2: sx(v), y1: box.b, y2: box.b + 4, class: "axis" }, g);
      const half = textWidth(label) / 2;
      // a long label at either end starts or ends at its tick, clear of the y labels and the frame
      const anchor = sx(v) - half < box.l - 6 ? "start" : sx(v) + half > box.W ? "end" : "middle";
      text(g, sx(v), box.b + 17, label, "axis-text", anchor);
    }
    if (xTitle) text(g, (box.l + box.r) / 2, box.H - 6, xTitle, "axis-title");
    if (yTitle) {
      const cy = (box.t + box.b) / 2;
      const t = text(g, 13, cy, yTitle, "axis-title");
      t.setAttribute("transform", `rotate(-90 13 ${cy})`);
    }
    return { sx, sy };
  }
  /* The plot box inside W x H: room on the left for the widest y label and the y title, on top for the legend. */
  function plotBox(W, H, yLabels, legendH) {
    const l = 24 + Math.max(...yLabels.map(textWidth), 10) + 8;
    return { W, H, l, r: W - 12, t: legendH + 10, b: H - 42 };
  }

  /* lineChart(svg, {x, series: [{y, cls, label}], marks: [{x, cls, label}], points: [{x, y, label}],
     xLabel, yLabel, xUnit ("shares" | "$"), yUnit}) */
  function lineChart(svg, spec) {
    const { W, H } = size(svg);
    start(svg, W, H, spec.summary);
    const xs = spec.x;
    const xlo = Math.min(...xs), xhi = Math.max(...xs);
    let ymax = 0;
    for (const s of spec.series) for (const v of s.y) if (v > ymax) ymax = v;
    for (const p of spec.points || []) if (p.y > ymax) ymax = p.y;
    const marks = (spec.marks || []).filter((m) => m.x != null && m.x >= xlo && m.x <= xhi);
    const points = (spec.points || []).filter((p) => p.x != null && p.x >= xlo && p.x <= xhi);
    const entries = [...spec.series.map((s) => ({ label: s.label, key: "line", cls: "series " + (s.cls || "s1") })),
      ...marks.map((m) => ({ label: m.legend || m.label, key: "line", cls: "mark " + (m.cls || "") })),
      ...points.map((p) => ({ label: p.legend || p.label, key: "point", cls: "point" }))];
    const legendH = legendHeight(entries, W - 2 * LEGEND_LEFT);
    const yAxis0 = axisTicks(0, ymax || 1, spec.yUnit || "$", H - 52 - legendH, false);
    const box = plotBox(W, H, yAxis0.ticks.map(yAxis0.fmt), legendH);
    const yAxis = { lo: yAxis0.ticks[0], hi: yAxis0.ticks[yAxis0.ticks.length - 1], ...yAxis0 };
    const xAxis0 = axisTicks(xlo, xhi, spec.xUnit || "shares", box.r - box.l, true, (spec.xUnit || "shares") === "shares");
    // the curve spans the data; ticks past its ends are dropped rather than drawn over empty space
    const xAxis = { lo: xlo, hi: xhi, ...xAxis0, ticks: xAxis0.ticks.filter((v) => v >= xlo && v <= xhi) };
    legend(svg, entries, LEGEND_LEFT, W - 2 * LEGEND_LEFT);
    const { sx, sy } = axes(svg, box, xAxis, yAxis, spec.xLabel, spec.yLabel);
    for (const s of spec.series) {
      const d = s.y.map((v, i) => `${i ? "L" : "M"}${sx(xs[i]).toFixed(1)},${sy(v).toFixed(1)}`).join("");
      el("path", { d, class: "series " + (s.cls || "s1") }, svg);
    }
    let lastLabelX = -Infinity, row = 0;
    for (const m of marks.slice().sort((a, b) => a.x - b.x)) {
      const x = sx(m.x);
      el("line", { x1: x, x2: x, y1: box.t, y2: box.b, class: "mark " + (m.cls || "") }, svg);
      if (!m.label) continue;
      // labels of lines close together go one under the other, so they never overlap
      row = x - lastLabelX < textWidth(m.label) + 12 ? row + 1 : 0;
      lastLabelX = x;
      const right = x + 4 + textWidth(m.label) > box.r;
      text(svg, right ? x - 4 : x + 4, box.t + 12 + 14 * row, m.label, "mark-text", right ? "end" : "start");
    }
    for (const p of points) {
      const c = el("circle", { cx: sx(p.x), cy: sy(p.y), r: 5, class: "point" }, svg);
      if (p.label) el("title", {}, c).textContent = p.label;
    }
    done(svg, W);
  }

  /* barChart(svg, {labels, series: [{values, cls, label}], xLabel, yLabel, yUnit}): grouped bars, negatives allowed */
  function barChart(svg, spec) {
    const { W, H } = size(svg);
    start(svg, W, H, spec.summary);
    const n = spec.labels.length, k = spec.series.length;
    let lo = 0, hi = 0;
    for (const s of spec.series) for (const v of s.values) { hi = Math.max(hi, v || 0); lo = Math.min(lo, v || 0); }
    const entries = spec.series.map((s, j) => ({ label: s.label, key: "bar", cls: "bar " + (s.cls || "s" + (j + 1)) }));
    const legendH = legendHeight(entries, W - 2 * LEGEND_LEFT);
    const y0 = axisTicks(lo, hi || 1, spec.yUnit || "$", H - 52 - legendH, false);
    const box = plotBox(W, H, y0.ticks.map(y0.fmt), legendH);
    const yAxis = { lo: y0.ticks[0], hi: y0.ticks[y0.ticks.length - 1], ...y0 };
    const band = (box.r - box.l) / Math.max(n, 1), bw = band * 0.8 / Math.max(k, 1);
    const every = Math.max(1, Math.ceil(n / Math.max(1, Math.floor((box.r - box.l) / 48))));
    const xLabels = spec.labels.map((label, i) => [i + 0.5, String(label)]).filter((_, i) => i % every === 0);
    legend(svg, entries, LEGEND_LEFT, W - 2 * LEGEND_LEFT);
    const { sy } = axes(svg, box, { lo: 0, hi: n, ticks: [] }, yAxis, spec.xLabel, spec.yLabel, xLabels);
    spec.labels.forEach((label, i) => {
      const x0 = box.l + i * band + band * 0.1;
      spec.series.forEach((s, j) => {
        const v = s.values[i] || 0;
        const r = el("rect", { x: x0 + j * bw, y: Math.min(sy(v), sy(0)), width: Math.max(bw - 1, 1),
          height: Math.abs(sy(v) - sy(0)), class: "bar " + (s.cls || "s" + (j + 1)) }, svg);
        el("title", {}, r).textContent = `${label}, ${s.label}: ${formatter(spec.yUnit || "$", [v], 1)(v)}`;
      });
    });
    el("line", { x1: box.l, x2: box.r, y1: sy(0), y2: sy(0), class: "axis" }, svg);
    done(svg, W);
  }

  /* advantageChart(svg, {strategies: [{name, value, feasible}], xLabel}): each strategy's after-tax value less the
     best other strategy's (a strategy that does not fit the limits is never the reference), as horizontal bars
     from 0 = the best alternative, each labelled with its signed difference ($146,206 vs $146,015: +$191). */
  function advantageChart(svg, spec) {
    const rows = spec.strategies;
    const ok = rows.filter((s) => s.feasible !== false);
    const diffs = rows.map((s) => {
      const others = ok.filter((o) => o !== s).map((o) => o.value);
      return others.length ? s.value - Math.max(...others) : 0;
    });
    const names = rows.map((s) => s.name + (s.recommended ? " (recommended)" : "") +
      (s.feasible === false ? " (does not fit the limits)" : ""));
    const W = widthOf(svg);
    // each name on as many lines as it needs above its bar: a long name never runs off a phone's screen
    const lines = names.map((name) => wrap(name, Math.max(10, Math.floor((W - 24) / CHAR))));
    const tops = [];
    let y = 12;
    for (const l of lines) { tops.push(y); y += 15 * l.length + 26; }
    const H = y + 46;
    start(svg, W, H, spec.summary);
    const lo = Math.min(0, ...diffs), hi = Math.max(0, ...diffs);
    const box = { W, H, l: 12, r: W - 12, t: 12, b: H - 46 };
    // the value labels sit beside their bars: keep room for them at both ends
    const exact = (v) => {
      const dollars = Math.round(v);
      return (dollars > 0 ? "+" : dollars < 0 ? "−" : "") + "$" + Math.abs(dollars).toLocaleString("en-US");
    };
    const pad = Math.max(...diffs.map((v) => textWidth(exact(v)))) + 10;
    const inner = { l: box.l + (lo < 0 ? pad : 0), r: box.r - (diffs.some((v) => v >= 0) ? pad : 0) };
    const a = axisTicks(lo, hi, "$", inner.r - inner.l, true);
    const xAxis = { lo: Math.min(...a.ticks), hi: Math.max(...a.ticks), ticks: a.ticks, fmt: signed(a.fmt) };
    const span = xAxis.hi - xAxis.lo || 1;
    const sx = (v) => inner.l + (v - xAxis.lo) / span * (inner.r - inner.l);
    const g = el("g", { class: "axes" }, svg);
    for (const v of xAxis.ticks) {
      el("line", { x1: sx(v), x2: sx(v), y1: box.t, y2: box.b, class: v === 0 ? "axis zero" : "grid" }, g);
      const half = textWidth(xAxis.fmt(v)) / 2;
      text(g, sx(v), box.b + 17, xAxis.fmt(v), "axis-text", sx(v) - half < 0 ? "start" : sx(v) + half > W ? "end" : "middle");
    }
    text(g, W / 2, H - 6, spec.xLabel || "after-tax value, compared with the best other strategy ($)", "axis-title");
    rows.forEach((s, i) => {
      const v = diffs[i], y = tops[i], name = names[i];
      lines[i].forEach((line, j) => text(svg, box.l, y + 13 + 15 * j, line, "bar-name", "start"));
      const yb = y + 15 * lines[i].length + 3;
      const x0 = sx(0), x1 = sx(v);
      const cls = "bar " + (v > 0 ? "better" : v < 0 ? "worse" : "even") + (s.feasible === false ? " unfit" : "");
      const r = el("rect", { x: Math.min(x0, x1), y: yb, width: Math.max(Math.abs(x1 - x0), 1.5), height: 16, class: cls }, svg);
      el("title", {}, r).textContent = `${name}: ${exact(v)} against the best other strategy`;
      const after = v >= 0;
      text(svg, after ? Math.max(x0, x1) + 5 : Math.min(x0, x1) - 5, yb + 13, exact(v), "value-text", after ? "start" : "end");
    });
    done(svg, W);
  }

  /* histogram(svg, {edges, counts: {name: [...]}, xLabel, yLabel}): each strategy's share of paths per bin as a
     step outline over the same bins; on a narrow screen neighbouring bins are merged so each stays wide enough */
  function histogram(svg, spec) {
    const { W, H } = size(svg);
    start(svg, W, H, spec.summary);
    const names = Object.keys(spec.counts);
    let edges = spec.edges.slice();
    let counts = names.map((n) => spec.counts[n].slice());
    const entries = names.map((n, j) => ({ label: n, key: "line", cls: "series s" + (j + 1) }));
    const legendH = legendHeight(entries, W - 2 * LEGEND_LEFT);
    const plotW = W - 90;
    const merge = Math.max(1, Math.ceil((edges.length - 1) / Math.max(1, Math.floor(plotW / 14))));
    if (merge > 1) {
      edges = edges.filter((_, i) => i % merge === 0 || i === edges.length - 1);
      counts = counts.map((c) => edges.slice(0, -1).map((_, b) => c.slice(b * merge, (b + 1) * merge).reduce((s, v) => s + v, 0)));
    }
    const shares = counts.map((c) => { const t = c.reduce((s, v) => s + v, 0) || 1; return c.map((v) => v / t); });
    const top = Math.max(...shares.flat(), 0.01);
    const y0 = axisTicks(0, top, "%", H - 52 - legendH, false);
    const box = plotBox(W, H, y0.ticks.map(y0.fmt), legendH);
    const yAxis = { lo: 0, hi: y0.ticks[y0.ticks.length - 1], ...y0 };
    const x0 = axisTicks(edges[0], edges[edges.length - 1], "$", box.r - box.l, true);
    const xAxis = { lo: edges[0], hi: edges[edges.length - 1], ...x0,
      ticks: x0.ticks.filter((v) => v >= edges[0] && v <= edges[edges.length - 1]) };
    legend(svg, entries, LEGEND_LEFT, W - 2 * LEGEND_LEFT);
    const { sx, sy } = axes(svg, box, xAxis, yAxis, spec.xLabel, spec.yLabel);
    shares.forEach((values, j) => {
      let d = `M${sx(edges[0]).toFixed(1)},${sy(0).toFixed(1)}`;
      values.forEach((v, b) => { d += `L${sx(edges[b]).toFixed(1)},${sy(v).toFixed(1)}L${sx(edges[b + 1]).toFixed(1)},${sy(v).toFixed(1)}`; });
      d += `L${sx(edges[edges.length - 1]).toFixed(1)},${sy(0).toFixed(1)}`;
      const p = el("path", { d, class: "series s" + (j + 1) }, svg);
      el("title", {}, p).textContent = names[j];
    });
    done(svg, W);
  }

  /* fanChart(svg, {x: [ISO dates], bands: {"5": [...], ...}, level, yLabel}) */
  function fanChart(svg, spec) {
    const { W, H } = size(svg);
    start(svg, W, H, spec.summary);
    const n = spec.x.length, idx = [...Array(n).keys()];
    const b = spec.bands;
    let ymax = spec.level || 0;
    for (const key of Object.keys(b)) for (const v of b[key]) if (v > ymax) ymax = v;
    const entries = [];
    if (b["50"]) entries.push({ label: "median", key: "line", cls: "series median" });
    if (b["25"] && b["75"]) entries.push({ label: "middle 50% of paths", key: "band", cls: "band inner" });
    if (b["5"] && b["95"]) entries.push({ label: "middle 90%", key: "band", cls: "band outer" });
    if (spec.level != null) entries.push({ label: "stress price " + usd(spec.level), key: "line", cls: "mark stress" });
    const legendH = legendHeight(entries, W - 2 * LEGEND_LEFT);
    const y0 = axisTicks(0, ymax || 1, "$", H - 52 - legendH, false);
    const box = plotBox(W, H, y0.ticks.map(y0.fmt), legendH);
    const yAxis = { lo: 0, hi: y0.ticks[y0.ticks.length - 1], ...y0 };
    // date ticks: the first date of each year, labelled with the year, thinned to fit
    const years = idx.filter((i) => i === 0 || String(spec.x[i]).slice(0, 4) !== String(spec.x[i - 1]).slice(0, 4));
    const fit = Math.max(1, Math.floor((box.r - box.l) / 56));
    const every = Math.max(1, Math.ceil(years.length / fit));
    const xLabels = years.filter((_, j) => j % every === 0).map((i) => [i, String(spec.x[i]).slice(0, i === 0 ? 10 : 4)]);
    legend(svg, entries, LEGEND_LEFT, W - 2 * LEGEND_LEFT);
    const { sx, sy } = axes(svg, box, { lo: 0, hi: Math.max(n - 1, 1), ticks: [] }, yAxis, spec.xLabel || "date",
      spec.yLabel, xLabels);
    const area = (lo, hi, cls) => {
      const d = idx.map((i) => `${i ? "L" : "M"}${sx(i).toFixed(1)},${sy(hi[i]).toFixed(1)}`).join("") +
        idx.slice().reverse().map((i) => `L${sx(i).toFixed(1)},${sy(lo[i]).toFixed(1)}`).join("") + "Z";
      el("path", { d, class: cls }, svg);
    };
    if (b["5"] && b["95"]) area(b["5"], b["95"], "band outer");
    if (b["25"] && b["75"]) area(b["25"], b["75"], "band inner");
    if (b["50"]) el("path", { d: idx.map((i) => `${i ? "L" : "M"}${sx(i).toFixed(1)},${sy(b["50"][i]).toFixed(1)}`).join(""),
      class: "series median" }, svg);
    if (spec.level != null) el("line", { x1: box.l, x2: box.r, y1: sy(spec.level), y2: sy(spec.level), class: "mark stress" }, svg);
    done(svg, W);
  }

  /* Draw each chart again when its width changes (a phone turned, a window resized). */
  const drawn = new WeakMap();
  const observer = typeof ResizeObserver === "function" ? new ResizeObserver((items) => {
    for (const item of items) {
      const svg = item.target, last = drawn.get(svg);
      const w = Math.round(svg.getBoundingClientRect().width);
      if (last && w > 0 && Math.abs(w - Number(svg.dataset.width || 0)) > 8) last.draw(svg, last.spec);
    }
  }) : null;
  function keep(draw) {
    return (svg, spec) => {
      draw(svg, spec);
      if (!drawn.has(svg) && observer) observer.observe(svg);
      drawn.set(svg, { draw, spec });
    };
  }

  window.isoCharts = { lineChart: keep(lineChart), barChart: keep(barChart), advantageChart: keep(advantageChart),
    histogram: keep(histogram), fanChart: keep(fanChart), niceTicks, formatter };
})();
