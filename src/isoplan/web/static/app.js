/* isoplan web app: one script for every page (body[data-page] picks the page). No outside requests. */
"use strict";
(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const CSRF = $('meta[name="csrf-token"]').content;
  const PLAN_KEY = "isoplan.plan";
  const usd0 = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });
  const usd2 = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
  const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  const money = (v) => (v == null ? "–" : usd0.format(v));
  const cents = (v) => (v == null ? "–" : usd2.format(Number(v)));
  const pct = (v) => (v == null ? "–" : (100 * v).toFixed(1) + "%");

  class ApiError extends Error {
    constructor(status, data) {
      super((data && data.error && data.error.message) || "request failed");
      this.status = status; this.data = data || {};
      this.field = data && data.error ? data.error.field : null;
    }
  }
  async function api(method, url, body) {
    const opts = { method, headers: { Accept: "application/json" } };
    if (method !== "GET") {
      opts.headers["Content-Type"] = "application/json";
      opts.headers["X-CSRF-Token"] = CSRF;
      opts.body = JSON.stringify(body || {});
    }
    const res = await fetch(url, opts);
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }
  function debounce(fn, ms) {
    let t = null;
    return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); };
  }
  function node(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
    }
    for (const c of children) if (c != null) e.append(c);
    return e;
  }
  function fillTable(table, headers, rows, caption) {
    const keep = caption === undefined ? table.querySelector("caption") : null;
    table.replaceChildren();
    if (caption) table.append(node("caption", { text: caption })); else if (keep) table.append(keep);
    const thead = node("thead", {}, node("tr", {}, ...headers.map((h) => node("th", { scope: "col", text: h }))));
    const tbody = node("tbody");
    for (const r of rows) {
      const tr = node("tr");
      r.forEach((cell, i) => {
        /* data-label: the column's name, shown beside the value when the table becomes cards on a phone */
        const td = node(i === 0 ? "th" : "td", i === 0 ? { scope: "row", "data-label": headers[0] } : { "data-label": headers[i] || "" });
        if (cell instanceof Node) td.append(cell); else td.textContent = cell == null ? "" : String(cell);
        if (/\d{4}-\d{2}-\d{2}/.test(td.textContent) && !(cell instanceof Node)) td.classList.add("date");
        tr.append(td);
      });
      tbody.append(tr);
    }
    if (!rows.length) tbody.append(node("tr", {}, node("td", { colspan: String(headers.length), text: "none yet", class: "empty" })));
    table.classList.add("cards");
    table.append(thead, tbody);
  }
  function linesTable(lines, keys) {
    const pick = keys ? keys.map((k) => lines.find((l) => l.key === k)).filter(Boolean) : lines;
    const t = node("table", { class: "lines" });
    fillTable(t, ["Form line", "What", "Amount"], pick.map((l) => [`${l.form} ${l.line}`, l.caption,
      l.key === "itemized" ? (l.value ? "yes" : "no") : cents(l.value)]), null);
    return t;
  }
  function why(container, parts) {
    container.replaceChildren(...parts.map((p) => (typeof p === "string" ? node("p", { text: p }) : p)));
  }
  function notes(list, items) { list.replaceChildren(...(items || []).map((n) => node("li", { text: words(n) }))); }


  // ---------------------------------------------------------------- the answer card (first screen; a sticky bar on a phone)
  /* The decision sentence of the record (its `answer`) and two or three numbers, [label, value] pairs. */
  function setAnswer(text, figures, more) {
    const box = $("#answer");
    if (!box) return;
    $("#answer-text").textContent = words(text || "");
    const extra = $("#answer-more");
    if (extra) extra.textContent = words(more || "");
    $("#answer-figures").replaceChildren(...(figures || []).filter((f) => f && f[1] != null).map(([label, value]) =>
      node("div", {}, node("dt", { text: label }), node("dd", { text: String(value) }))));
    box.dataset.state = "done";
  }
  /* Dim every [data-result] while the inputs differ from the ones the figures were computed with. */
  function setStale(on) {
    const main = $("main");
    main.classList.toggle("stale", on);
    $$("[data-result]").forEach((e) => { if (on) e.setAttribute("aria-busy", "true"); else e.removeAttribute("aria-busy"); });
  }

  // ---------------------------------------------------------------- plain words, not command-line text
  /* Notes and errors come from the same records the command line prints; on a page a flag becomes its field. */
  function words(text) {
    return String(text)
      .replace(/\(?\s*change (?:it )?with --inflation\s*\)?/g, "(change it in the Inflation field)")
      .replace(/\(isoplan checklist [^)]*--ics[^)]*\)/g, "(the Download these dates button on the Checklist page)")
      .replace(/\(isoplan ledger [a-z-]+\)/g, "(on the Ledger page)")
      .replace(/`isoplan ledger ([a-z-]+)`/g, "the Ledger page")
      .replace(/\s*\(isoplan [^)]*\)/g, "")
      .replace(/;?\s*(?:see |format: )?docs\/[\w-]+\.md/g, "")
      .replace(/\s*\(\)/g, "")
      .replace(/--(status|state|year|date|shares|price|strike|fmv|wages)\b/g, "$1");
  }

  // ---------------------------------------------------------------- typed inputs: the one parser of every form
  /* data-unit="money": "$200k", "200,000", "1.5m" are dollars; "percent": "50" and "50%" are 0.5; "count": "1,000".
     A value that does not parse is sent as typed, so the server (the authority) names the field in its error. */
  const SUFFIX = { k: 1e3, m: 1e6, b: 1e9 };
  function parseMoney(raw) {
    const m = /^(-?(?:\d+\.?\d*|\.\d+))([kmb]?)$/.exec(String(raw).trim().toLowerCase().replace(/[\s$,_]/g, ""));
    return m ? Math.round(Number(m[1]) * (SUFFIX[m[2]] || 1) * 100) / 100 : null;
  }
  function parsePercent(raw) {
    const m = /^(-?(?:\d+\.?\d*|\.\d+))%?$/.exec(String(raw).trim().replace(/[\s,_]/g, ""));
    return m ? Number((Number(m[1]) / 100).toPrecision(12)) : null;
  }
  function parseCount(raw) {
    const m = /^-?\d+$/.exec(String(raw).trim().replace(/[\s,_]/g, ""));
    return m ? Number(m[0]) : null;
  }
  const PARSERS = { money: parseMoney, percent: parsePercent, count: parseCount };
  /* The value to send for an input: "" when empty, the parsed number when it parses, else the text as typed. */
  function fieldValue(el) {
    const raw = el.value.trim();
    const parse = PARSERS[el.dataset.unit];
    if (!parse || raw === "") return raw;
    const v = parse(raw);
    return v == null ? raw : String(v);
  }
  /* A stored fraction shown in a percent field: 0.03 -> "3". */
  function percentText(v) { return v == null || v === "" ? "" : String(Number((Number(v) * 100).toPrecision(10))); }
  /* The server's error in the units of the field: a percent field's fractions read as percents. */
  function friendly(err, root) {
    const e = (err.data && err.data.error) || {};
    const field = err.field || "";
    const input = field && root ? $$("input[name], input[data-key], select[name]", root).find((i) =>
      (i.name || i.dataset.key) === field) : null;
    const missing = e.value === "None" || e.value === "";
    if (input && input.dataset.unit === "percent" && e.allowed) {
      const allowed = e.allowed.replace(/fraction/g, "percent").replace(/-?\d*\.?\d+/g, (n) => percentText(n) + "%");
      return `${field}: ${missing ? "empty" : JSON.stringify(input.value)} is not allowed; expected ${allowed}`;
    }
    if (missing && e.allowed && field) return words(`${field} is missing: ${e.allowed}`);
    return words(err.message);
  }


  // ---------------------------------------------------------------- the household: carried across pages, in this browser only
  /* Kept in localStorage and sent only to this server's own API (the plan, risk and checklist requests lay it
     over the plan; the ledger's income form starts from it). Values are the parsed ones: "200000", "CA". */
  const HOUSEHOLD_KEY = "isoplan.household";
  const HOUSEHOLD = ["year", "filing_status", "state", "wages", "taxable_interest", "long_term_gain", "state_local_tax",
    "mortgage_interest", "amt_credit_carryforward", "property_tax", "ca_amt_credit_carryforward"];
  function household() {
    try { const h = JSON.parse(localStorage.getItem(HOUSEHOLD_KEY) || "{}"); return h && typeof h === "object" ? h : {}; }
    catch (e) { return {}; }
  }
  function saveHousehold(values) {
    const h = Object.assign(household(), values);
    localStorage.setItem(HOUSEHOLD_KEY, JSON.stringify(h));
  }
  /* The household fields of a form: by name (room, ledger income) or through a name -> element map (plan). */
  function readHousehold(elements, stateSelect, stateOther) {
    const out = {};
    for (const [name, e] of Object.entries(elements)) {
      if (!e || e.disabled) continue;
      const v = fieldValue(e);
      if (e.dataset.unit && v !== "" && PARSERS[e.dataset.unit](e.value) == null) continue;  // not a number yet
      out[name] = v;
    }
    if (stateSelect) {
      const choice = stateSelect.value === "none" ? "" : stateSelect.value;
      const keep = stateSelect.value === "" && Array.from(stateSelect.options).some((o) => o.value === "none");
      if (keep) { /* "as before": the household's state stays */ } else if (choice === "other") {
        const code = stateOther.value.trim().toUpperCase();
        if (/^[A-Z]{2}$/.test(code)) out.state = code;
      } else out.state = choice;
    }
    return out;
  }
  function writeHousehold(elements, stateSelect, stateOther, h, sync) {
    if (stateSelect && h.state != null) {
      const st = String(h.state).toUpperCase();
      const has = (v) => Array.from(stateSelect.options).some((o) => o.value === v);
      stateSelect.value = st === "" ? (has("none") ? "none" : "") : has(st) ? st : "other";
      if (stateSelect.value === "other") stateOther.value = st;
      if (sync) sync();
    }
    for (const [name, e] of Object.entries(elements)) {
      if (e && h[name] != null && h[name] !== "") e.value = String(h[name]);
    }
  }

  // ---------------------------------------------------------------- errors next to fields
  function matches(spec, field) {
    return spec.split("|").some((f) => f && (f === field || field.startsWith(f + ".") || field.startsWith(f + "[")
      || field.startsWith(f + " (")));
  }
  function clearErrors(root) {
    $$("[data-error-for]", root).forEach((e) => { e.textContent = ""; });
    $$("[aria-invalid]", root).forEach((e) => e.removeAttribute("aria-invalid"));
  }
  function showError(root, err) {
    clearErrors(root);
    const field = err.field || "";
    let target = field ? $$("[data-error-for]", root).find((e) => e.dataset.errorFor !== "" && e.dataset.errorFor !== "*"
      && matches(e.dataset.errorFor, field)) : null;
    if (!target) target = $$("[data-error-for]", root).find((e) => e.dataset.errorFor === "" || e.dataset.errorFor === "*");
    const message = friendly(err, root);
    if (!target) { alert(message); return; }
    target.textContent = message;
    const input = target.closest(".field") && target.closest(".field").querySelector("input, select, textarea");
    if (input && target.dataset.errorFor !== "*") { input.setAttribute("aria-invalid", "true"); input.setAttribute("aria-describedby", ensureId(target)); }
  }
  let idCounter = 0;
  function ensureId(e) { if (!e.id) e.id = "err-" + (++idCounter); return e.id; }
  function download(name, text, type) {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = node("a", { href: url, download: name });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
  function readFile(input) {
    return new Promise((resolve, reject) => {
      const f = input.files[0];
      if (!f) { reject(new Error("no file")); return; }
      const r = new FileReader();
      r.onload = () => resolve({ name: f.name, text: String(r.result) });
      r.onerror = () => reject(r.error);
      r.readAsText(f);
    });
  }
  /* The current plan (kept in this browser) with the household laid over it by the server. */
  function planBody(extra) {
    const text = localStorage.getItem(PLAN_KEY);
    return Object.assign(text ? { toml: text } : {}, { household: household() }, extra || {});
  }

  // ---------------------------------------------------------------- state of residence (California, issue 9)
  /* Show the fields marked data-state="CA" or "other" only for that choice; hidden fields are disabled (not sent). */
  function stateFields(root, select) {
    const sync = () => {
      for (const f of $$("[data-state]", root)) {
        const on = f.dataset.state === select.value;
        f.hidden = !on;
        $$("input, select", f).forEach((e) => { e.disabled = !on; });
      }
    };
    select.addEventListener("change", sync);
    root.addEventListener("reset-state", sync);
    sync();
    return sync;
  }
  function moneyRows(rows) {
    return node("tbody", {}, ...rows.map((r) => node("tr", {}, node("th", { scope: "row", text: r[0] }),
      ...r.slice(1).map((v) => node("td", { text: typeof v === "number" ? cents(v) : (v == null ? "–" : String(v)) })))));
  }

  // ---------------------------------------------------------------- room & cost
  function roomPage() {
    const form = $("#room-form");
    const sync = stateFields(form, $("#state"));
    const fields = () => Object.fromEntries(HOUSEHOLD.filter((n) => n !== "state" && form.elements[n])
      .map((n) => [n, form.elements[n]]));
    writeHousehold(fields(), $("#state"), $("#state_other"), household(), sync);
    let seq = 0;
    const params = () => {
      const q = new URLSearchParams();
      for (const e of form.elements) {
        if (!e.name || e.disabled) continue;
        if (e.type === "checkbox") { if (e.checked) q.set(e.name, "1"); } else q.set(e.name, fieldValue(e));
      }
      return q;
    };
    async function update(typed) {
      const mine = ++seq;
      $("#room-status").textContent = "computing…";
      if (typed) saveHousehold(readHousehold(fields(), $("#state"), $("#state_other")));
      try {
        const d = await api("GET", "/api/room?" + params().toString());
        if (mine !== seq) return;
        clearErrors(form);
        render(d);
        setStale(false);
        $("#room-status").textContent = "";
      } catch (err) {
        if (mine !== seq) return;
        $("#room-status").textContent = "Not updated: fix the input marked below.";
        showError(form, err);
      }
    }
    function render(d) {
      const r = d.room, c = d.cost;
      const ca = r.california, cc = c && c.california;
      const binding = ca && ca.binding === "california";
      setAnswer(r.answer, [
        ["AMT-free spread", money(ca ? ca.binding_room : r.amt_room)],
        ["Shares with no AMT", (binding ? ca.shares : r.shares) == null ? null : int.format(binding ? ca.shares : r.shares)],
        ["Real outlay (strike + tax)", c ? money(cc ? cc.outlay.total : c.outlay.total) : null],
      ], c ? c.answer : "");
      $("#fig-room").textContent = money(r.amt_room);
      why($("#why-room"), [
        `The largest whole-dollar ISO spread (Form 6251 line 2i) you can add in ${r.year} with no AMT. ` +
        `Past it, each more dollar costs about ${pct(r.marginal_amt_rate)}: ${r.zone.description}`,
        "The Form 6251 lines at the room:",
        linesTable(d.explain.at_line, ["amt_line2i", "amti", "amt_exemption", "amt_base", "tentative_minimum_tax",
          "regular_tax", "amt"]),
        "Now, before any more spread:",
        linesTable(d.explain.now, ["agi", "deduction", "taxable_income", "regular_tax", "amti", "amt_exemption",
          "tentative_minimum_tax", "amt", "amt_credit_used"]),
      ]);
      $("#fig-shares").textContent = r.shares == null ? "–" : int.format(r.shares);
      why($("#why-shares"), [r.shares == null ? "Enter a strike and a price to count shares." :
        `${money(r.amt_room)} of room ÷ ${cents(r.spread_per_share)} spread a share = ${int.format(r.shares)} whole shares; ` +
        `with ${pct(r.margin)} kept as a cushion: ${int.format(r.shares_after_margin)}.`]);
      $("#fig-amt").textContent = c ? money(c.tax.incremental.amt) : "–";
      $("#fig-outlay").textContent = c ? money(c.outlay.total) : "–";
      if (c) {
        const inc = c.tax.incremental;
        why($("#why-amt"), [
          `${int.format(c.exercise.shares)} shares × ${cents(c.exercise.spread_per_share)} = ${money(c.exercise.bargain_element)} ` +
          `of spread on Form 6251 line 2i; ${money(c.room.spread_past_room)} of it is past the room.`,
          "The Form 6251 lines with the exercise:",
          linesTable(d.explain.with_exercise, ["amt_line2i", "amti", "amt_exemption", "amt_base",
            "tentative_minimum_tax", "regular_tax", "amt", "amt_credit_used"]),
          `AMT with the exercise ${money(c.tax.with_exercise.amt)} − without ${money(c.tax.without_exercise.amt)} = ${money(inc.amt)}.`,
        ]);
        why($("#why-outlay"), [node("table", { class: "lines" }, node("tbody", {},
          ...[["Strike cash", c.exercise.strike_cash], ["Regular tax caused", inc.regular_tax], ["AMT caused", inc.amt],
            ["Minimum tax credit used (−)", -inc.credit_used], ["NIIT caused", inc.niit],
            ["Additional Medicare Tax caused", inc.additional_medicare_tax], ["Outlay", c.outlay.total]]
            .map(([k, v]) => node("tr", {}, node("th", { scope: "row", text: k }), node("td", { text: cents(v) }))))),
          `${cents(c.outlay.per_share)} a share.`]);
        const s = c.stress;
        $("#room-stress").replaceChildren(node("h3", { text: "If the price falls " + pct(s.drop) }),
          node("p", { text: `Shares then worth ${money(s.value_after_drop)}; tax locked at the exercise-date spread ` +
            `${money(s.tax_locked)}${s.tax_exceeds_value ? " — more than the shares are worth" : ""}.` +
            (s.cash_covers == null ? "" : s.cash_covers ? " Your cash covers strike and tax." : ` Cash short by ${money(s.cash_gap)}.`) +
            (c.rescue ? ` Selling before December 31 instead: net ${money(c.rescue.net_cash)}.` : " Private stock: no same-year sale.") }));
      } else {
        why($("#why-amt"), ["Enter shares, a strike and a price to see the exercise's tax."]);
        why($("#why-outlay"), ["Enter shares, a strike and a price."]);
        $("#room-stress").replaceChildren();
      }
      renderCalifornia(d);
      const curve = d.curve;
      const current = curve.current_x;
      let currentAmt = null;
      if (c && current != null) currentAmt = c.tax.with_exercise.amt - c.tax.without_exercise.amt + r.amt;
      const series = [{ y: curve.amt, cls: "s1", label: "AMT" }];
      const xMoney = current == null;  // without a strike and a price the curve is over dollars of spread
      const xText = (v) => (xMoney ? money(v) : int.format(v));
      const marks = [{ x: curve.line_x, legend: "AMT-free room", label: "room " + (curve.line_x == null ? "" : xText(curve.line_x)) }];
      if (curve.ca_amt) {
        series.push({ y: curve.ca_amt, cls: "s3", label: "California AMT" });
        marks.push({ x: curve.ca_line_x, cls: "ca", legend: "California room", label: "CA " + xText(curve.ca_line_x || 0) });
      }
      window.isoCharts.lineChart($("#room-chart"), {
        x: curve.x, series, xLabel: curve.x_label, yLabel: "AMT ($)", xUnit: xMoney ? "$" : "shares", marks,
        points: current != null && currentAmt != null ? [{ x: current, y: currentAmt, legend: "your shares", label: `${int.format(current)}: ${money(currentAmt)}` }] : [],
        summary: `AMT against ${curve.x_label}; the room ends at ${int.format(curve.line_x || 0)}` +
          (curve.ca_amt ? `; the California room at ${int.format(curve.ca_line_x || 0)}.` : "."),
      });
      const stateNotes = [r.state_note, ...(r.california ? r.california.notes : []), ...(c && c.california ? c.california.notes : [])];
      notes($("#room-notes"), [...stateNotes, ...r.notes, ...(c ? c.notes : [])].filter((v, i, a) => v && a.indexOf(v) === i));
    }
    /* state CA: both lines side by side, which one binds, California AMT caused and the combined outlay */
    function renderCalifornia(d) {
      const r = d.room, c = d.cost, ca = r.california, box = $("#room-ca");
      box.hidden = !ca;
      if (!ca) return;
      const cc = c && c.california;
      const which = ca.binding === "california" ? "California" : "federal";
      $("#room-ca-binding").textContent = `Binding line: ${which}, the smaller one. ${money(ca.binding_room)} of ISO spread` +
        (ca.binding_shares == null ? "" : ` (${int.format(ca.binding_shares)} shares)`) + " owes neither AMT; past it the " +
        (ca.binding === "california" ? "California AMT (Schedule P (540))" : "federal AMT (Form 6251)") + " starts.";
      const rows = [
        ["Regular tax (1040 line 16 / 540 line 31)", r.regular_tax, ca.regular_tax],
        ["Tentative minimum tax now (6251 line 9 / P line 24)", r.tentative_minimum_tax, ca.tentative_minimum_tax],
        ["AMT now (6251 line 11 / P line 26)", r.amt, ca.amt],
        ["AMT room: more ISO spread with no AMT", r.amt_room, ca.amt_room],
        ["AMT per dollar past the line", pct(r.marginal_amt_rate), pct(ca.marginal_amt_rate)],
      ];
      if (ca.shares != null) rows.push(["Shares within the room", int.format(r.shares), int.format(ca.shares)]);
      if (cc) {
        rows.push(["AMT caused by this exercise", c.tax.incremental.amt, cc.tax.incremental.amt],
          ["Total tax caused", c.tax.incremental.total_tax, cc.tax.incremental.total_tax]);
      }
      const t = $("#room-ca-table");
      t.replaceChildren(node("caption", { text: `Federal and California, ${ca.year}${ca.projected ? " (projected)" : ""}` }),
        node("thead", {}, node("tr", {}, ...["", "federal", "California"].map((h) => node("th", { scope: "col", text: h })))),
        moneyRows(rows));
      if (cc) {
        $("#fig-amt").textContent = `${money(c.tax.incremental.amt)} + CA ${money(cc.tax.incremental.amt)}`;
        $("#fig-outlay").textContent = money(cc.outlay.total);
        const o = cc.outlay;
        why($("#why-outlay"), [node("table", { class: "lines" }, moneyRows([["Strike cash", o.strike_cash],
          ["Federal tax caused", o.federal_tax], ["California tax caused", o.california_tax], ["Outlay", o.total]])),
          `${cents(o.per_share)} a share (federal and California).`]);
      }
      const parts = ["California lines now (Form 540, Schedule P (540)):",
        linesTable(d.explain.ca_now, ["ca_agi", "ca_taxable_income", "ca_regular_tax", "ca_amti", "ca_amt_exemption",
          "ca_tentative_minimum_tax", "ca_amt", "ca_amt_credit_used", "ca_total_tax"]),
        `At the California line (${money(ca.amt_room)} of spread):`,
        linesTable(d.explain.ca_at_line, ["ca_p_line10", "ca_amti", "ca_amt_exemption", "ca_tentative_minimum_tax",
          "ca_p_line25", "ca_amt"])];
      if (d.explain.ca_with_exercise) {
        parts.push("With the exercise:", linesTable(d.explain.ca_with_exercise, ["ca_p_line10", "ca_amti", "ca_amt_exemption",
          "ca_tentative_minimum_tax", "ca_regular_tax", "ca_amt", "ca_amt_credit_used", "ca_total_tax"]));
      }
      why($("#why-ca"), parts);
    }
    const later = debounce(update, 120);
    form.addEventListener("input", () => { setStale(true); later(true); });
    form.addEventListener("change", () => { setStale(true); later(true); });
    form.addEventListener("submit", (e) => { e.preventDefault(); update(true); });
    update();
  }

  // ---------------------------------------------------------------- plan
  function getPath(obj, path) { return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj); }
  function setPath(obj, path, value) {
    const keys = path.split("."); let o = obj;
    keys.slice(0, -1).forEach((k) => { if (typeof o[k] !== "object" || o[k] == null) o[k] = {}; o = o[k]; });
    if (value === undefined) delete o[keys[keys.length - 1]]; else o[keys[keys.length - 1]] = value;
  }
  function typed(raw) {
    const s = String(raw).trim();
    if (s === "") return undefined;
    const n = Number(s.replace(/[,$_]/g, ""));
    return Number.isFinite(n) ? n : s;
  }
  /* A form value as the plan file holds it: a number where the field has a unit and the text parses. */
  function typedField(e) {
    const parse = PARSERS[e.dataset.unit];
    if (!parse) return typed(e.value);
    if (e.value.trim() === "") return undefined;
    const v = parse(e.value);
    return v == null ? e.value.trim() : v;
  }
  const GRANT_FIELDS = [["id", "Name", "text"], ["kind", "Kind", "select"], ["grant_date", "Grant date", "date"],
    ["shares", "Shares", "count"], ["strike", "Strike ($)", "money"], ["fmv_at_grant", "FMV at grant ($)", "money"]];
  function grantRow(i, g) {
    const fs = node("fieldset", { class: "grant-row", "data-index": String(i) }, node("legend", { text: `Grant ${i + 1}` }));
    for (const [key, label, kind] of GRANT_FIELDS) {
      const id = `g${i}-${key}`;
      let input;
      if (kind === "select") {
        input = node("select", { id, "data-gkey": key }, node("option", { value: "ISO", text: "ISO" }), node("option", { value: "NSO", text: "NSO" }));
        input.value = String(g[key] || "ISO").toUpperCase();
      } else {
        input = node("input", { id, "data-gkey": key, type: kind === "date" ? "date" : "text" });
        if (kind === "count" || kind === "money") {
          input.setAttribute("inputmode", kind === "count" ? "numeric" : "decimal");
          input.dataset.unit = kind;
        }
        input.value = g[key] == null ? "" : String(g[key]);
      }
      fs.append(node("div", { class: "field" }, node("label", { for: id, text: label }), input,
        node("p", { class: "error", "data-error-for": `grants[${i}].${key}` })));
    }
    fs.append(node("p", { class: "error", "data-error-for": `grants[${i}]` }));
    const rm = node("button", { type: "button", class: "remove", text: `Remove grant ${i + 1}` });
    rm.addEventListener("click", () => { planState.base.grants.splice(i, 1); renderGrants(); });
    fs.append(rm);
    return fs;
  }
  const planState = { base: null };
  function renderGrants() { $("#grant-rows").replaceChildren(...(planState.base.grants || []).map((g, i) => grantRow(i, g))); }
  function fillPlanForm(form) {
    planState.base = JSON.parse(JSON.stringify(form));
    for (const e of $$("[data-key]", $("#plan-form"))) {
      const v = getPath(form, e.dataset.key);
      if (e.type === "checkbox") e.checked = Boolean(v);
      else if (e.dataset.unit === "percent") e.value = percentText(v);
      else e.value = v == null ? "" : String(v);
    }
    const state = String(getPath(form, "person.state") || "").toUpperCase();
    $("#p-state").value = state === "" || state === "CA" ? state : "other";
    $("#p-state-other").value = state === "" || state === "CA" ? "" : state;
    if (planState.syncState) planState.syncState();
    renderGrants();
  }
  function readPlanForm() {
    const data = JSON.parse(JSON.stringify(planState.base || {}));
    const choice = $("#p-state").value;
    setPath(data, "person.state", choice === "other" ? ($("#p-state-other").value.trim() || "other") : (choice || undefined));
    for (const e of $$("[data-key]", $("#plan-form"))) {
      if (e.disabled) setPath(data, e.dataset.key, undefined);
      else if (e.type === "checkbox") setPath(data, e.dataset.key, e.checked ? true : undefined);
      else if (e.tagName === "SELECT" || e.type === "date") setPath(data, e.dataset.key, e.value || undefined);
      else setPath(data, e.dataset.key, typedField(e));
    }
    data.grants = $$(".grant-row").map((fs, i) => {
      const g = Object.assign({}, (planState.base.grants || [])[i] || {});
      for (const e of $$("[data-gkey]", fs)) {
        const key = e.dataset.gkey;
        const v = e.tagName === "SELECT" || e.type === "date" ? (e.value || undefined) : key === "id" ? (e.value.trim() || undefined) : typedField(e);
        if (v === undefined) delete g[key]; else g[key] = v;
      }
      return g;
    });
    return data;
  }
  /* The plan form's household fields, by the room form's names. */
  const PLAN_HOUSEHOLD = { filing_status: "#p-status", wages: "#p-wages", state_local_tax: "#p-slt", property_tax: "#p-ptax",
    amt_credit_carryforward: "#p-credit", ca_amt_credit_carryforward: "#p-cacredit" };
  function planPage() {
    const form = $("#plan-form");
    planState.syncState = stateFields(form, $("#p-state"));
    const fields = () => Object.fromEntries(Object.entries(PLAN_HOUSEHOLD).map(([n, sel]) => [n, $(sel)]));
    /* fromForm: the form is the plan; adopt: a loaded file's household becomes the browser's */
    async function run(body, fromForm, adopt) {
      $("#plan-status").textContent = "optimizing…";
      if (fromForm) saveHousehold(readHousehold(fields(), $("#p-state"), $("#p-state-other")));
      try {
        const d = await api("POST", "/api/plan", body);
        clearErrors(document);
        localStorage.setItem(PLAN_KEY, d.toml);
        if (!fromForm) fillPlanForm(d.form);
        if (adopt) saveHousehold(readHousehold(fields(), $("#p-state"), $("#p-state-other")));
        renderPlan(d);
        setStale(false);
        $("#plan-status").textContent = `done in ${(d.seconds * 1000).toFixed(0)} ms`;
      } catch (err) {
        $("#plan-status").textContent = "Not updated: fix the input marked below.";
        showError(document, err);
      }
    }
    form.addEventListener("submit", (e) => { e.preventDefault(); run({ plan: readPlanForm() }, true); });
    form.addEventListener("input", () => setStale(true));
    form.addEventListener("change", () => setStale(true));
    $("#add-grant-row").addEventListener("click", () => {
      planState.base.grants = readPlanForm().grants;
      planState.base.grants.push({ kind: "ISO" });
      renderGrants();
      $(`#g${planState.base.grants.length - 1}-id`).focus();
    });
    $("#plan-export").addEventListener("click", async () => {
      try { const d = await api("POST", "/api/plan/toml", { plan: readPlanForm() }); clearErrors(document); download("plan.toml", d.toml, "application/toml"); }
      catch (err) { showError(document, err); }
    });
    $("#plan-demo").addEventListener("click", () => { localStorage.removeItem(PLAN_KEY); run({}, false, true); });
    $("#plan-upload").addEventListener("change", async (e) => {
      const f = await readFile(e.target);
      run({ toml: f.text, name: f.name }, false, true);
    });
    run(planBody(), false);
  }
  function renderPlan(d) {
    const o = d.outcome, rec = o.recommended;
    const fits = o.baselines.filter((b) => b.feasible).map((b) => b.advantage_of_plan);
    setAnswer(o.answer, [["After tax at the exit", money(rec.after_tax_value)], ["Total AMT", money(rec.total_amt)],
      ["Ahead of the best alternative", !fits.length ? null : Math.min(...fits) < 0.5 ? "$0 (a tie)" : money(Math.min(...fits))]]);
    $("#fig-plan-value").textContent = money(rec.after_tax_value);
    $("#fig-plan-amt").textContent = money(rec.total_amt);
    $("#fig-plan-credit").textContent = money(rec.credit_left_after_exit);
    const ca = Boolean(rec.california);  // state CA: California columns beside the federal ones
    $$("[data-plan-ca]").forEach((e) => { e.hidden = !ca; });
    if (ca) {
      $("#fig-plan-ca-amt").textContent = money(rec.california.total_amt);
      $("#fig-plan-ca-tax").textContent = money(rec.california.total_tax);
      $("#fig-plan-ca-credit").textContent = money(rec.california.credit_left_after_exit);
    }
    const rows = rec.years.map((y, t) => {
      const det = node("details", {}, node("summary", { text: `${y.year}${y.projected ? "*" : ""}` }),
        linesTable(d.explain[t], ["amt_line2i", "amt_line2k", "amti", "amt_exemption", "amt_base",
          "tentative_minimum_tax", "regular_tax", "amt", "amt_credit_used", "amt_credit_remaining"]));
      if (ca && d.ca_explain) {
        det.append(linesTable(d.ca_explain[t], ["ca_p_line10", "ca_amti", "ca_amt_exemption", "ca_tentative_minimum_tax",
          "ca_regular_tax", "ca_amt", "ca_amt_credit_carryforward", "ca_amt_credit_used", "ca_total_tax"]));
      }
      const row = [det, (Object.entries(y.shares).map(([k, v]) => `${int.format(v)} ${k}`).join(", ") ||
        (y.strike_cash > 0.5 ? "exercise and sell the same day" : "–")), cents(y.price),
        money(y.iso_spread + y.nso_income), money(y.regular_tax), money(y.amt), money(y.strike_cash),
        money(y.credit_used), money(y.credit_created)];
      if (ca) {
        const c = y.california;
        row.push(money(c.tax), money(c.amt), money(c.credit_used), money(c.credit_created));
      }
      row.push([...new Set(Object.values(y.qualifying_dates))].join(", ") || "–");
      return row;
    });
    fillTable($("#plan-years"), ["Year", "Exercise", "Price", "Spread", "Regular tax", "AMT", "Strike cash",
      "Credit used", "Credit made", ...(ca ? ["CA tax", "CA AMT", "CA credit used", "CA credit made"] : []), "Qualifies"], rows);
    // a policy that sells (or fills the room at each path's price) says what the year table leaves out
    $("#plan-policy").textContent = rec.policy && rec.policy !== "the schedule shown" ? `Policy: ${rec.policy}.` : "";
    const caCells = (s) => (ca ? [money(s.california.total_amt), money(s.california.total_tax)] : []);
    fillTable($("#plan-baselines"), ["Strategy", "After-tax value", "Total AMT", ...(ca ? ["CA AMT", "CA tax"] : []),
      "Fits the limits", "Plan's advantage"],
      [[rec.name, money(rec.after_tax_value), money(rec.total_amt), ...caCells(rec), "yes", "–"],
        ...o.baselines.map((b) => [b.name, money(b.after_tax_value), money(b.total_amt), ...caCells(b),
          b.feasible ? "yes" : "NO", money(b.advantage_of_plan)])]);
    window.isoCharts.barChart($("#plan-chart"), {
      labels: rec.years.map((y) => String(y.year)),
      series: [{ label: "regular tax", values: rec.years.map((y) => y.regular_tax), cls: "s2" },
        { label: "AMT", values: rec.years.map((y) => y.amt), cls: "s1" },
        ...(ca ? [{ label: "California AMT", values: rec.years.map((y) => y.california.amt), cls: "s3" }] : [])],
      xLabel: "tax year", yLabel: "tax ($)", summary: "Regular tax and AMT by year: " + rec.years.map((y) => `${y.year} AMT ${money(y.amt)}`).join("; "),
    });
    const strategies = [rec, ...o.baselines];
    window.isoCharts.advantageChart($("#plan-compare-chart"), {
      strategies: strategies.map((s) => ({ name: s.name, value: s.after_tax_value, feasible: s.feasible !== false,
        recommended: s === rec })),
      summary: strategies.map((s) => `${s.name}: ${money(s.after_tax_value)}`).join("; "),
    });
    notes($("#plan-catches"), o.catches);
    notes($("#plan-notes"), o.notes);
  }

  // ---------------------------------------------------------------- risk
  function riskPage() {
    const form = $("#risk-form");
    async function run() {
      $("#risk-status").textContent = "simulating…";
      try {
        const d = await api("POST", "/api/risk", planBody({ paths: fieldValue(form.paths), seed: form.seed.value }));
        clearErrors(form);
        renderRisk(d);
        setStale(false);
        $("#risk-status").textContent = `${int.format(d.paths)} paths, seed ${d.seed}, ${d.stock_kind} stock`;
      } catch (err) { $("#risk-status").textContent = "Not updated: fix the input marked below."; showError(form, err); }
    }
    form.addEventListener("submit", (e) => { e.preventDefault(); run(); });
    form.addEventListener("input", () => setStale(true));
    form.addEventListener("change", debounce(run, 200));
    run();
  }
  function renderRisk(d) {
    const h = d.hold_vs_sell;
    const held = h && h.strategies.find((s) => s.name === "hold to qualifying");
    const pre = d.pre_ipo, t0 = d.timing, peak = d.peak;
    setAnswer(d.answer || (h ? h.conclusion : t0 ? t0.summary : ""), [
      pre && pre.cash_at_risk != null ? ["Cash at risk", money(pre.cash_at_risk)] : null,
      peak && peak.strike_cash != null && peak.tax_now != null ? ["Strike and tax of the exercise",
        money(Number(peak.strike_cash) + Number(peak.tax_now))] : null,
      held ? ["Holding ends worse than selling now", pct(held.prob_worse_than_sell_now)] : null,
      t0 ? ["Value of the escape hatch", money(t0.escape_hatch_value)] : null,
      ["Price paths", int.format(d.paths)],
    ].filter(Boolean).slice(0, 3));
    if (h) {
      $("#hvs-conclusion").textContent = h.conclusion;
      fillTable($("#hvs-table"), ["Strategy", "Mean", "Median", "5th pct", "95th pct", "P(worse than selling now)", "Certainty equivalent", "Concentration"],
        h.strategies.map((s) => [s.name, money(s.mean), money(s.median), money(s.p5), money(s.p95), pct(s.prob_worse_than_sell_now),
          money(s.certainty_equivalent), pct(s.concentration)]), `Risk aversion ${h.risk_aversion}; target concentration ${pct(h.target_concentration)}.`);
      const edges = h.histogram.edges;
      const names = Object.keys(h.histogram.counts);
      window.isoCharts.histogram($("#hvs-chart"), {
        edges, counts: Object.fromEntries(names.map((n) => [n, h.histogram.counts[n]])),
        xLabel: "after-tax value at the exit ($)", yLabel: "share of paths (%)", summary: h.conclusion,
      });
      const c = h.cash_test;
      $("#hvs-cash").textContent = `Cash test: AMT ${money(c.amt)} against cash ${money(c.cash)} — ${c.covered ? "covered" : "short by " + money(c.gap)}.`;
    } else { $("#hvs-conclusion").textContent = "Not applicable to this plan."; fillTable($("#hvs-table"), ["Strategy"], []); }
    const t = d.timing;
    if (t) {
      $("#timing-summary").textContent = t.summary;
      fillTable($("#timing-table"), ["Exercise in", "Expected tax", "P(AMT on a vanished gain)", "Expected AMT on vanished gain"],
        [["January", money(t.january.expected_tax), pct(t.january.prob_amt_on_vanished_gain), money(t.january.expected_amt_on_vanished_gain)],
          ["December", money(t.december.expected_tax), pct(t.december.prob_amt_on_vanished_gain), money(t.december.expected_amt_on_vanished_gain)]],
        `${t.year}, ${int.format(t.shares)} shares; value of the escape hatch ${money(t.escape_hatch_value)}.`);
    } else { $("#timing-summary").textContent = "Not applicable to this plan."; fillTable($("#timing-table"), ["Exercise in"], []); }
    if (d.fan) window.isoCharts.fanChart($("#fan-chart"), { x: d.fan.dates, bands: d.fan.percentiles, level: d.fan.stress_level, xLabel: "date", yLabel: "price per share ($)", summary: "Price percentiles over time" });
    const parts = [];
    if (d.peak) parts.push(node("p", { text: d.peak.summary }));
    if (d.pre_ipo) parts.push(node("p", { text: d.pre_ipo.summary }));
    $("#peak-summary").replaceChildren(...parts);
    notes($("#risk-notes"), d.notes);
  }

  // ---------------------------------------------------------------- checklist
  function checkNumber(k, v) {
    if (v == null) return "–";
    if (Array.isArray(v)) return v.map((x) => checkNumber(k, x)).join(" | ");
    if (typeof v === "object") return Object.entries(v).map(([a, b]) => `${a.replace(/_/g, " ")}: ${checkNumber(a, b)}`).join("; ");
    if (typeof v === "boolean") return v ? "yes" : "no";
    if (typeof v !== "number") return String(v);
    if (/(^|_)year$/.test(k)) return String(v);
    if (/^days/.test(k)) return `${int.format(v)} days`;
    if (/prob|rate|concentration|fraction|drop/.test(k)) return pct(v);
    if (/shares/.test(k) && !/per_share/.test(k)) return int.format(v);
    return /per_share|price/.test(k) ? cents(v) : money(v);
  }
  /* An item's numbers as the command line words them (`detail`: one formatting layer, in units); the raw
     numbers only when an item has no such lines. */
  function checkDetail(it) {
    const lines = it.detail || [];
    if (lines.length) {
      return node("details", {}, node("summary", { text: "The numbers" }), node("ul", { class: "notes" },
        ...lines.map((l) => node("li", { text: words(l) }))));
    }
    return node("details", {}, node("summary", { text: "The numbers" }), node("table", { class: "lines" }, node("tbody", {},
      ...Object.entries(it.numbers || {}).map(([k, v]) => node("tr", {}, node("th", { scope: "row", text: k.replace(/_/g, " ") }),
        node("td", { text: checkNumber(k, v) }))))));
  }
  function checklistPage() {
    const form = $("#checklist-form");
    async function run() {
      $("#checklist-status").textContent = "checking…";
      try {
        const d = await api("POST", "/api/checklist", planBody({ year: form.year.value }));
        clearErrors(form);
        const count = (st) => d.items.filter((it) => it.status === st).length;
        setAnswer(d.answer || `${d.year}: overall ${d.overall.toUpperCase()}.`, [["Overall", d.overall.toUpperCase()],
          ["Checks that stop", int.format(count("stop"))], ["Checks to look at", int.format(count("warning"))]]);
        setStale(false);
        $("#checklist-overall").textContent = `${d.year}: overall ${d.overall.toUpperCase()}`;
        $("#checklist-overall").className = "overall " + d.overall;
        $("#checklist-items").replaceChildren(...d.items.map((it) => node("li", { class: "item " + it.status },
          node("h3", { text: `${it.title} — ${it.status.toUpperCase()}` }), node("p", { text: words(it.action) }),
          checkDetail(it))));
        notes($("#checklist-notes"), d.notes);
        $("#checklist-status").textContent = "";
      } catch (err) { $("#checklist-status").textContent = "Not updated: fix the input marked below."; showError(form, err); }
    }
    form.addEventListener("submit", (e) => { e.preventDefault(); run(); });
    form.addEventListener("input", () => setStale(true));
    form.addEventListener("change", debounce(run, 200));
    $("#calendar-download").addEventListener("click", async () => {
      try { const d = await api("POST", "/api/checklist/ics", planBody({ year: form.year.value })); download("isoplan-checklist.ics", d.ics, "text/calendar"); }
      catch (err) { $("#checklist-status").textContent = words(err.message); }
    });
    $("#report-download").addEventListener("click", async () => {
      try { const d = await api("POST", "/api/report", planBody({ year: form.year.value })); download("isoplan-report.html", d.html, "text/html"); }
      catch (err) { $("#checklist-status").textContent = words(err.message); }
    });
    run();
  }

  // ---------------------------------------------------------------- ledger
  const FTB3510 = [["prior_amt", "Part I", "Prior year's California AMT (Schedule P line 26)"],
    ["credit_from_prior_year", "Part I", "Credit from the prior year's AMT"],
    ["carryover_in", "Part II", "Credit carryover from earlier years"], ["credit_available", "Part II", "Credit available"],
    ["credit_limit", "Part II", "Limit: regular tax − exemption credits − TMT"],
    ["credit_used", "Part II", "Credit used this year"], ["carryover_out", "Part II", "Credit carried forward"]];
  function ftb3510Table(f) {
    const t = node("table", { class: "lines" });
    fillTable(t, ["FTB 3510", "What", "Amount"], FTB3510.filter(([k]) => f && f[k] != null).map(([k, part, what]) => [part, what, cents(f[k])]), null);
    return t;
  }
  function ledgerPage() {
    const income = $("#income-form");
    const syncIncome = stateFields(income, $("#in-state"));
    const incomeFields = () => Object.fromEntries(HOUSEHOLD.filter((n) => n !== "state" && income.elements[n])
      .map((n) => [n, income.elements[n]]));
    function prefillIncome() { writeHousehold(incomeFields(), $("#in-state"), $("#in-state-other"), household(), syncIncome); }
    prefillIncome();
    async function load() {
      const [d, a] = await Promise.all([api("GET", "/api/ledger"), api("GET", "/api/ledger/answer")]);
      setAnswer(a.answer, a.grants ? [["Shares held", int.format(a.shares_held)],
        ["Next qualifying date", a.next_qualifying_date || "none ahead"],
        ["AMT credit carried forward", a.credit_carried_forward == null ? null : money(a.credit_carried_forward)]] : []);
      $("#ledger-path").textContent = d.path + (d.exists ? "" : " (not created yet: record a grant to start)");
      fillTable($("#ledger-grants"), ["Grant", "Company", "Kind", "Granted", "Shares", "Exercised", "Strike", "FMV at grant", "Expires", "Vesting"],
        d.grants.map((g) => [g.id, g.company, g.kind, g.grant_date, int.format(g.shares), int.format(g.exercised), cents(g.strike),
          cents(g.fmv_at_grant), g.expiration_date, [g.vesting_rule, ...(g.notes || [])].join(" Note: ")]));
      fillTable($("#ledger-lots"), ["Lot", "Grant", "Kind", "Exercised", "Shares", "Held", "Regular basis", "AMT basis", "AMT adjustment (year)", "Qualifies on"],
        d.lots.map((l) => [l.id, l.grant_id, l.kind, l.exercise_date, int.format(l.shares), int.format(l.held), cents(l.regular_basis),
          cents(l.amt_basis), l.kind === "ISO" ? `${cents(l.amt_adjustment)} (${l.amt_adjustment_year})` : `NSO income ${cents(l.nso_ordinary_income)}`,
          l.qualifying_date || "–"]));
      fillTable($("#ledger-sales"), ["Sale", "Lot", "Date", "Shares", "Price", "Disposition", "Ordinary", "Long-term", "6251 2k"],
        d.sales.map((s) => [s.id, s.lot_id, s.date, int.format(s.shares), cents(s.price),
          s.tax.qualifying ? "qualifying" : s.tax.kind === "NSO" ? "NSO" : "disqualifying",
          money(s.tax.regular_ordinary_income), money(s.tax.regular_long_term_gain), money(s.tax.line2k)]));
      // a year whose state is CA adds California columns (Form 540, Schedule P (540), FTB 3510); else as before
      const ca = d.years.some((y) => y.california);
      const stated = d.years.some((y) => y.state);
      fillTable($("#ledger-years"), ["Year", "Status", ...(stated ? ["State"] : []), "Regular tax", "TMT", "AMT", "Credit made",
        "Credit used", "Carried forward", ...(ca ? ["CA tax", "CA TMT", "CA AMT", "CA credit made", "CA credit used",
          "CA carried forward"] : []), "Why"],
      d.years.map((y) => {
        const c = y.california;
        const why = node("details", {}, node("summary", { text: "lines" }), linesTable(y.lines, ["amt_line2i", "amt_line2k", "amti",
          "amt_exemption", "tentative_minimum_tax", "regular_tax", "amt", "amt_credit_used", "amt_credit_remaining"]));
        if (c) {
          why.append(node("p", { text: "California: Schedule P (540)" }), linesTable(c.lines, ["ca_p_line10", "ca_p_line9",
            "ca_amti", "ca_amt_exemption", "ca_tentative_minimum_tax", "ca_regular_tax", "ca_amt", "ca_amt_credit_used",
            "ca_total_tax"]), node("p", { text: "FTB 3510 (California AMT credit)" }), ftb3510Table(c.ftb3510));
        }
        return [`${y.year}${y.projected ? " (projected)" : ""}${y.income_entered ? "" : " *"}`, y.filing_status,
          ...(stated ? [y.state || "–"] : []),
          money(y.outputs.regular_tax), money(y.outputs.tentative_minimum_tax), money(y.outputs.amt), money(y.credit_created),
          money(y.credit_used), money(y.credit_carried_forward),
          ...(ca ? (c ? [money(c.outputs.ca_total_tax), money(c.outputs.ca_tentative_minimum_tax), money(c.outputs.ca_amt),
            money(c.credit_created), money(c.credit_used), money(c.credit_carried_forward)] : ["–", "–", "–", "–", "–", "–"]) : []),
          why];
      }));
      const stateNotes = d.years.flatMap((y) => (y.california ? y.california.notes : []));
      notes($("#ledger-notes"), [...(d.years.some((y) => !y.income_entered) ? ["* no income entered for the year"] : []),
        ...d.notes, ...stateNotes].filter((v, i, a) => a.indexOf(v) === i));
      const gsel = $("#ex-grant");
      gsel.replaceChildren(...(d.grants.length ? d.grants.map((g) => node("option", { value: g.id, text: `${g.id} (${g.kind})` }))
        : [node("option", { value: "", text: "no grant yet: record a grant first" })]));
      $("#sa-lot").replaceChildren(node("option", { value: "", text: "first in, first out" }),
        ...d.lots.filter((l) => l.held > 0).map((l) => node("option", { value: l.id, text: `${l.id} (${int.format(l.held)} held)` })));
    }
    /* The confirmation or the refusal goes beside the form that was sent, not at the top of the page. */
    for (const form of $$("form[data-endpoint]")) {
      const status = $("[data-form-status]", form);
      /* beside the form for the eye; the page's one live region (visually hidden) for a screen reader */
      const say = (text, failed) => {
        status.textContent = text; status.classList.toggle("failed", failed);
        $("#ledger-status").textContent = text;
      };
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        say("", false);
        if (form === $("#exercise-form") && !$("#ex-grant").value) {
          clearErrors(form);
          showError(form, { field: "grant", message: "No grant yet: record the grant first (the form above), then its exercise." });
          say("Nothing recorded.", true);
          return;
        }
        const body = {};
        for (const el of form.elements) if (el.name && !el.disabled) body[el.name] = el.type === "checkbox" ? el.checked : fieldValue(el);
        try {
          const d = await api("POST", form.dataset.endpoint, body);
          clearErrors(form);
          if (form === income) saveHousehold(readHousehold(incomeFields(), $("#in-state"), $("#in-state-other")));
          form.reset();
          form.dispatchEvent(new Event("reset-state"));
          if (form === income) prefillIncome();
          await load();
          say("Recorded: " + words(d.recorded) + (d.state_note ? ". Note: " + words(d.state_note) : ""), false);
        } catch (err) { say("Nothing recorded: fix the input marked in this form.", true); showError(form, err); }
      });
    }
    load().catch((err) => { setAnswer("The ledger could not be read: " + words(err.message), []); });
  }

  // ---------------------------------------------------------------- files
  function filesPage() {
    const area = $("#files-plan-text");
    const section = area.closest("section");
    async function init() {
      const text = localStorage.getItem(PLAN_KEY);
      area.value = text || (await api("GET", "/api/plan/demo")).toml;
      await check(area.value, "plan");
    }
    async function check(text, name) {
      try {
        const d = await api("POST", "/api/plan/check", { toml: text, name });
        clearErrors(section);
        localStorage.setItem(PLAN_KEY, d.toml);
        area.value = d.toml;
        const s = d.summary;
        const shares = s.grants.reduce((a, g) => a + g.shares, 0);
        $("#files-plan-status").textContent = `Plan OK and in use: ${s.filing_status}, ${s.grants.length} grant(s), years ${s.years[0]}–${s.years[1]}, exit ${s.exit_date}.`;
        setAnswer(`The plan in use: ${s.filing_status}, ${s.grants.length} ${s.grants.length === 1 ? "grant" : "grants"} ` +
          `(${int.format(shares)} shares), exercise years ${s.years[0]}–${s.years[1]}, exit on ${s.exit_date}.`,
        [["Grants", int.format(s.grants.length)], ["Shares", int.format(shares)], ["Exit", s.exit_date]]);
        setStale(false);
      } catch (err) {
        $("#files-plan-status").textContent = "Not used: the plan has an error.";
        setAnswer("The plan in the box has an error (marked below); the pages keep the last plan that checked.", []);
        showError(section, err);
      }
    }
    $("#files-plan-check").addEventListener("click", () => check(area.value, "plan"));
    area.addEventListener("input", () => setStale(true));
    $("#files-plan-download").addEventListener("click", () => download("plan.toml", area.value, "application/toml"));
    $("#files-plan-upload").addEventListener("change", async (e) => { const f = await readFile(e.target); area.value = f.text; check(f.text, f.name); });
    $("#files-ledger-upload").addEventListener("change", async (e) => {
      const sec = e.target.closest("section");
      const f = await readFile(e.target);
      let data;
      try { data = JSON.parse(f.text); } catch (x) { showError(sec, { field: "file", message: `${f.name}: not JSON (${x.message})` }); return; }
      try {
        const d = await api("POST", "/api/ledger/import", { data, name: f.name });
        clearErrors(sec); $("#files-ledger-status").textContent = d.recorded;
      } catch (err) { $("#files-ledger-status").textContent = "Nothing imported."; showError(sec, err); }
    });
    init();
  }

  const pages = { room: roomPage, plan: planPage, risk: riskPage, checklist: checklistPage, ledger: ledgerPage, files: filesPage };
  document.addEventListener("DOMContentLoaded", () => { const p = pages[document.body.dataset.page]; if (p) p(); });
})();
