"""The plan report: one self-contained HTML file to keep, print or hand to an advisor.

:func:`render_report` returns a complete document with its stylesheet inline
(including ``@media print``), its charts as inline SVG (:mod:`isoplan.report.charts`)
and its calendar as a ``data:`` link, so it opens with no network and no
other file: no scripts, no web fonts, no external styles or images. Every
piece of user text (file names, grant ids, notes) passes through
:func:`html.escape`.

An advisor's summary first: the answer (the schedule, the checklist's state, the
risk verdict), the recommended schedule, the baselines, the risk results, the
checklist and Form 6251 by year (with Form 8801's credit lines), on at most six
printed Letter pages. With ``appendix`` the inputs follow: the situation, every
year's full tax detail (Form 1040, 6251 and 8801 lines from the engine for the
recommended schedule's households) and the assumptions with the parameters of
projected tax years.

A plan whose state is CA shows California beside federal: California tax, AMT
and FTB 3510 credit in the schedule and the comparison, every Schedule P (540)
and FTB 3510 line in the per-year detail, and California's projected years in
the assumptions. Any other plan's report is federal only, as before.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from html import escape
from pathlib import PurePath
from typing import Any

from isoplan.report import charts
from isoplan.report.answer import checklist_answer, plan_answer, risk_answer
from isoplan.report.calendar import Event, ics
from isoplan.report.checklist_text import number_rows
from isoplan.report.format import money, percent
from isoplan.report.plan_text import credit_cells, credit_reduced_note, exercise_cell

DISCLAIMER = ("This is a planning estimate, not tax advice. It models federal income tax only, on the assumptions "
              "listed below; check the numbers with a tax professional before acting on them.")
DISCLAIMER_CA = ("This is a planning estimate, not tax advice. It models federal and California income tax only, on "
                 "the assumptions listed below; check the numbers with a tax professional before acting on them.")

_CSS = """
:root { --ok: #1b7a2f; --warning: #a15c00; --stop: #b00020; --ink: #1d1d1d; --muted: #5b5b5b; --rule: #d8d8d8; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--ink);
       max-width: 960px; margin: 0 auto; padding: 24px; line-height: 1.45; background: #fff; }
h1 { font-size: 1.6em; margin: 0 0 0.2em; }
h2 { font-size: 1.25em; border-bottom: 2px solid var(--rule); padding-bottom: 4px; margin-top: 2em; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
p.sub { color: var(--muted); margin-top: 0; }
.disclaimer { border: 1px solid #e0c36a; background: #fff8e1; padding: 10px 14px; border-radius: 4px; }
nav ol { columns: 2; padding-left: 1.2em; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1em; font-size: 0.92em; }
th, td { border-bottom: 1px solid var(--rule); padding: 4px 8px; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.recommended td { font-weight: 600; }
.status { display: inline-block; min-width: 5.5em; text-align: center; border-radius: 3px; padding: 1px 6px;
          font-size: 0.85em; font-weight: 700; text-transform: uppercase; color: #fff; }
.status-ok { background: var(--ok); } .status-warning { background: var(--warning); }
.status-stop { background: var(--stop); }
.item { border: 1px solid var(--rule); border-left-width: 6px; border-radius: 4px; padding: 8px 12px; margin: 10px 0;
        break-inside: avoid; }
.item.ok { border-left-color: var(--ok); } .item.warning { border-left-color: var(--warning); }
.item.stop { border-left-color: var(--stop); }
.item h3 { margin: 0 0 4px; }
.item .action { margin: 4px 0; }
.item ul { margin: 4px 0; padding-left: 1.2em; color: var(--muted); }
figure { margin: 1em 0; break-inside: avoid; }
figure svg { width: 100%; max-width: 760px; height: auto; border: 1px solid var(--rule); }
figcaption { color: var(--muted); font-size: 0.9em; }
.yeartax { break-inside: avoid; }
.muted { color: var(--muted); }
footer { margin-top: 3em; border-top: 2px solid var(--rule); padding-top: 8px; }
h1, h2, h3, p, li { overflow-wrap: anywhere; }
.answer { border: 2px solid var(--ink); border-radius: 6px; padding: 10px 14px; margin: 12px 0; }
.answer p { margin: 4px 0; }
.answer .decision { font-size: 1.15em; font-weight: 700; }
.wide { overflow-x: auto; max-width: 100%; }
.wide table { min-width: 100%; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 12px; }
details.numbers summary { cursor: pointer; color: var(--muted); font-size: 0.9em; }
details.numbers table { font-size: 0.85em; }
.appendix { border-top: 4px double var(--rule); margin-top: 3em; }
@media (max-width: 600px) {
  body { padding: 12px; }
  nav ol { columns: 1; }
  td.num, th.num { white-space: normal; }
}
@media print {
  body { max-width: none; padding: 0; font-size: 9pt; line-height: 1.3; }
  nav, .screen-only, details.numbers { display: none; }
  h1 { font-size: 1.4em; }
  h2 { font-size: 1.15em; margin-top: 1.1em; break-after: avoid; }
  h3 { margin: 0.6em 0 0.3em; }
  section { break-before: auto; }
  table { font-size: 7.5pt; margin: 0.3em 0 0.6em; }
  th, td { padding: 1px 4px; }
  .wide { overflow: visible; }
  table, figure, .yeartax, .answer { break-inside: avoid; }
  .item { padding: 3px 8px; margin: 4px 0; border-left-width: 4px; }
  .item ul { display: none; }
  figure { margin: 0.4em 0; }
  figure svg { border: none; width: 100%; max-height: 2.5in; }
  .charts { grid-template-columns: 1fr 1fr; }
  .status { border: 1px solid #000; color: #000; background: none !important; }
  a { color: inherit; text-decoration: none; }
  .appendix { break-before: page; }
  @page { size: Letter; margin: 12mm 12mm; }
}
"""

#: Form lines shown per year in the tax detail (besides every Form 6251 and Form 8801 line)
_FORM_1040_KEYS = ("agi", "deduction", "taxable_income", "regular_tax")
#: California lines shown per year (besides every Schedule P (540) and FTB 3510 line)
_FORM_540_KEYS = ("ca_agi", "ca_deduction", "ca_taxable_income", "ca_regular_tax", "ca_exemption_credits",
                  "ca_mental_health_tax", "ca_total_tax")


def _is_california(outcome: Any) -> bool:
    return bool(getattr(outcome.model, "california", False))


# ---------------------------------------------------------------- small helpers


def _e(value: Any) -> str:
    return escape(str(value), quote=True)


def _num(value: Any, *, cents: bool = False) -> str:
    if value is None:
        return "-"
    return money(float(value), cents=cents)


def _pct(value: Any) -> str:
    return "-" if value is None else f"{float(value):.0%}"


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: Sequence[bool] | None = None,
           classes: Sequence[str] | None = None) -> str:
    """A table of already-escaped cells."""
    numeric = numeric or [False] + [True] * (len(headers) - 1)
    head = "".join(f'<th class="{"num" if numeric[i] else ""}">{_e(h)}</th>' for i, h in enumerate(headers))
    body = []
    for r, row in enumerate(rows):
        cls = f' class="{classes[r]}"' if classes and classes[r] else ""
        cells = "".join(f'<td class="{"num" if numeric[i] else ""}">{c}</td>' for i, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"


def _list(items: Iterable[str]) -> str:
    items = list(items)
    return "<ul>" + "".join(f"<li>{_e(i)}</li>" for i in items) + "</ul>" if items else ""


# ---------------------------------------------------------------- calendar


def checklist_ics(checklist: Mapping[str, Any], *, stamp: datetime | None = None,
                  name: str = "isoplan exercise plan") -> str:
    """The checklist's dated reminders (qualifying dates, year-end decision, AMT due) as an iCalendar file."""
    events = [Event(date.fromisoformat(e["date"]), e["summary"].split(";")[0], e["summary"],
                    f"plan:{e['kind']}:{e.get('lot', '')}:{e['date']}") for e in checklist.get("events", [])]
    return ics(events, stamp=stamp or datetime.now(UTC), name=name)


# ---------------------------------------------------------------- sections


def _situation(plan: Any, outcome: Any) -> str:
    year0 = plan.start_year
    path = plan.stock.price_path
    income = plan.income_by_year.get(year0, {})
    rows = [["Filing status", _e(plan.filing_status)],
            ["State", _e(plan.state or "not given (federal tax only)")],
            ["Stock", _e(f"{plan.stock.kind}, ${path.start_price:,.2f} a share on {path.start_date.isoformat()}, "
                         f"growing {path.growth:.1%} a year"
                         + (f", through {len(path.points)} given prices" if path.points else "")
                         + (f"; liquidity expected {plan.stock.liquidity_date.isoformat()}"
                            if plan.stock.liquidity_date else ""))],
            ["Exit", _e(f"everything sold {plan.exit_date.isoformat()} at ${plan.exit_price:,.2f} a share")],
            ["Plan years", _e(f"{plan.start_year}-{plan.exit_date.year}")],
            ["Departure", _e(plan.departure_date.isoformat() if plan.departure_date else "none planned")],
            ["Net worth outside the company", _num(plan.net_worth_outside)],
            ["Minimum tax credit carried in", _num(plan.prior_credit)]]
    if _is_california(outcome):
        rows.append(["California AMT credit carried in (FTB 3510)", _num(plan.prior_ca_credit)])
    out = ["<h3>The household</h3>", _table(["", ""], rows, numeric=[False, False])]
    if income:
        out.append(f"<h3>Income in {year0}</h3>")
        out.append(_table(["input", "amount"], [[_e(k), _num(v)] for k, v in income.items()]))
    cash_rows = []
    for year in plan.years:
        cash = plan.cash_by_year[year]
        cash_rows.append([_e(year), "not stated" if cash >= 1e14 else _num(cash), _num(plan.cash_reserve)])
    out.append("<h3>Cash for strike and tax</h3>")
    out.append(_table(["year", "cash", "reserve (never spent)"], cash_rows))
    grant_rows = [[_e(g.id), _e(g.company), _e(g.kind), _e(g.grant_date.isoformat()), f"{g.shares:,}",
                   _num(float(g.strike), cents=True), _num(float(g.fmv_at_grant), cents=True),
                   _e(g.expiration_date.isoformat())] for g in plan.grants]
    out.append("<h3>Grants</h3>")
    out.append(_table(["grant", "company", "kind", "granted", "shares", "strike", "FMV at grant", "expires"],
                      grant_rows, numeric=[False, False, False, False, True, True, True, False]))
    data = outcome.as_dict()
    out.append("<h3>ISO and NSO blocks (the $100,000 limit, IRC §422(d))</h3>")
    out.append(_table(["block", "grant", "kind", "shares", "strike"],
                      [[_e(b["block"]), _e(b["grant"]), _e(b["kind"]), f"{b['shares']:,}",
                        _num(b["strike"], cents=True)] for b in data["blocks"]],
                      numeric=[False, False, False, True, True]))
    return "\n".join(out)


def _schedule(data: Mapping[str, Any]) -> str:
    rec = data["recommended"]
    ca = "california" in rec  # a California plan: California's columns beside the federal ones
    reduced_note = credit_reduced_note(rec["years"])
    rows = []
    for y in rec["years"]:
        qual = ", ".join(sorted(set(y["qualifying_dates"].values()))) or "-"
        made, reduced = credit_cells(y)
        row = [_e(f"{y['year']}{'*' if y['projected'] else ''}"), _e(exercise_cell(y)), _num(y["price"], cents=True),
               _num(y["iso_spread"]), _num(y["nso_income"]), _num(y["regular_tax"]), _num(y["amt"]),
               _num(y["strike_cash"]), _num(y["credit_used"]), _num(made), *([_num(reduced)] if reduced_note else [])]
        if ca:
            c = y["california"]
            row += [_num(c["tax"]), _num(c["amt"]), _num(c["credit_used"]), _num(max(c["credit_created"], 0.0))]
        rows.append([*row, _e(qual)])
    headers = ["year", "exercise (shares)", "price", "ISO spread", "NSO income", "regular tax", "AMT",
               "strike cash", "credit used", "credit made", *(["credit reduced"] if reduced_note else [])]
    if ca:
        headers = [*[f"federal {h}" if h in ("regular tax", "AMT", "credit used", "credit made") else h
                     for h in headers], "California tax", "California AMT", "California credit used",
                   "California credit made"]
    table = _table([*headers, "qualifies"], rows, numeric=[False, False] + [True] * (len(headers) - 2) + [False])
    svg = charts.schedule_chart([y["year"] for y in rec["years"]],
                                [float(sum(y["shares"].values())) for y in rec["years"]],
                                [y["amt"] for y in rec["years"]], [y["credit_used"] for y in rec["years"]],
                                [y["credit_available"] for y in rec["years"]],
                                ca_amt=[y["california"]["amt"] for y in rec["years"]] if ca else None)
    summary = (f"<p>Strategy: <strong>{_e(rec['name'])}</strong>. After-tax value at the exit "
               f"{_num(rec['after_tax_value'])}; total AMT {_num(rec['total_amt'])}; credit left after the exit "
               f"{_num(rec['credit_left_after_exit'])}.</p>")
    caption = ("AMT paid, minimum tax credit used and credit available each year, with the shares "
               "exercised above each year.")
    if ca:
        c = rec["california"]
        summary = (f"<p>Strategy: <strong>{_e(rec['name'])}</strong>. After-tax value at the exit (after federal "
                   f"and California tax) {_num(rec['after_tax_value'])}; total AMT: federal {_num(rec['total_amt'])}, "
                   f"California {_num(c['total_amt'])} (Schedule P (540)); credit left after the exit: federal "
                   f"{_num(rec['credit_left_after_exit'])}, California {_num(c['credit_left_after_exit'])} (FTB 3510); "
                   f"California tax over the plan {_num(c['total_tax'])}.</p>")
        caption = ("Federal AMT paid, minimum tax credit used and credit available, and the California AMT, each "
                   "year, with the shares exercised above each year.")
    notes = "; ".join(["* projected tax law", *reduced_note])
    out = [summary, table, f'<p class="muted">{_e(notes)}</p>', _figure(svg, caption)]
    if data.get("catches"):
        out += ["<h3>The catches of staging</h3>", _list(data["catches"])]
    return "\n".join(out)


def _comparison(data: Mapping[str, Any]) -> str:
    rec = data["recommended"]
    ca = "california" in rec

    def amts(s: Mapping[str, Any]) -> list[str]:
        return [_num(s["total_amt"])] + ([_num(s["california"]["total_amt"])] if ca else [])

    rows = [[_e(rec["name"]), _num(rec["after_tax_value"]), *amts(rec), _num(rec["total_extra_tax"]), "yes", "-"]]
    for b in data["baselines"]:
        rows.append([_e(b["name"]), _num(b["after_tax_value"]), *amts(b), _num(b["total_extra_tax"]),
                     "yes" if b["feasible"] else "NO (cash or AMT limit)", _num(b["advantage_of_plan"])])
    amt_headers = ["total federal AMT", "total California AMT"] if ca else ["total AMT"]
    extra = " (federal and California)" if ca else ""
    return ("<p>Every strategy on the same assumptions: after-tax value at the exit (discounted if the plan sets a "
            f"rate){_e(extra)}.</p>" + _table(["strategy", "after-tax value", *amt_headers, f"total extra tax{extra}",
                                               "fits the limits", "plan's advantage"], rows,
                                              classes=["recommended"] + [""] * len(data["baselines"])))


def _checklist(checklist: Mapping[str, Any], curve: Mapping[str, Any] | None, ics_text: str) -> str:
    overall = checklist["overall"]
    out = [f'<p>Exercise year <strong>{_e(checklist["year"])}</strong>. Overall: '
           f'<span class="status status-{_e(overall)}">{_e(overall)}</span></p>']
    for item in checklist["items"]:
        status = item["status"]
        numbers = number_rows(item.get("numbers") or {})
        panel = ('<details class="numbers"><summary>The numbers</summary>'
                 + _table(["", ""], [[_e(k), _e(v)] for k, v in numbers], numeric=[False, False])
                 + "</details>") if numbers else ""
        out.append(f'<div class="item {_e(status)}" id="item-{_e(item["key"])}">'
                   f'<h3>{_e(item["number"])}. {_e(item["title"])} '
                   f'<span class="status status-{_e(status)}">{_e(status)}</span></h3>'
                   f'<p class="action">{_e(item["action"])}</p>{_list(item.get("detail", []))}{panel}</div>')
    link = "data:text/calendar;charset=utf-8;base64," + base64.b64encode(ics_text.encode("utf-8")).decode("ascii")
    out.append(f'<p class="screen-only"><a download="isoplan-{_e(checklist["year"])}.ics" href="{link}">'
               "Download the dates as a calendar file (.ics)</a></p>")
    if curve:
        svg = charts.amt_vs_shares(curve["shares"], curve["amt"], room_shares=curve["room_shares"],
                                   planned_shares=curve["planned_shares"], year=int(curve["year"]))
        out.append(_figure(svg, f"AMT in {curve['year']} against ISO shares exercised at "
                                f"${curve['price']:,.2f} (spread ${curve['spread_per_share']:,.2f} a share); the "
                                f"AMT-free room is {money(curve['room'])} of spread."))
    return "\n".join(out)


def _risk(risk: Mapping[str, Any] | None, plan_source: str) -> str:
    if not risk:
        return (f"<p>No risk results: run <code>isoplan risk {_e(plan_source)}</code> (or <code>isoplan report</code> "
                "with the risk engine available) for the stress test, hold vs sell and the price fan.</p>")
    out = [f"<p><strong>{_e(risk_answer(risk))}</strong></p>",
           f"<p>{_e(risk.get('paths', '?'))} simulated price paths (seed {_e(risk.get('seed', '?'))}), "
           f"{_e(risk.get('stock_kind', ''))} stock.</p>"]
    figures: list[str] = []
    timing = risk.get("timing")
    if timing:
        rows = []
        for when in ("january", "december"):
            part = timing.get(when) or {}
            rows.append([_e(when), _num(part.get("expected_tax")), _pct(part.get("prob_amt_on_vanished_gain")),
                         _num(part.get("expected_amt_on_vanished_gain"))])
        out += [f"<h3>Timing ({_e(timing.get('year', ''))}, {_e(timing.get('shares', ''))} shares)</h3>",
                f"<p>{_e(timing.get('summary', ''))}</p>",
                _table(["exercise in", "expected tax", "chance of AMT on vanished gain", "expected such AMT"], rows),
                f"<p>Escape hatch {'exists' if timing.get('hatch_exists') else 'does not exist'}; its value: "
                f"{_num(timing.get('escape_hatch_value'))}.</p>"]
    hold = risk.get("hold_vs_sell")
    if hold:
        rows = [[_e(s.get("name")), _num(s.get("mean")), _num(s.get("median")), _num(s.get("p5")), _num(s.get("p95")),
                 _pct(s.get("prob_worse_than_sell_now")), _num(s.get("certainty_equivalent")),
                 _pct(s.get("concentration"))] for s in hold.get("strategies", [])]
        out += ["<h3>Hold vs sell</h3>",
                _table(["strategy", "mean", "median", "5th pct", "95th pct", "worse than selling now",
                        "certainty equivalent", "concentration"], rows),
                f"<p>{_e(hold.get('conclusion', ''))}</p>"]
        cash = hold.get("cash_test") or {}
        if cash:
            out.append(f"<p>Cash test: AMT {_num(cash.get('amt'))}, cash {_num(cash.get('cash'))}, "
                       f"{'covered' if cash.get('covered') else 'short by ' + _num(cash.get('gap'))}.</p>")
        hist = hold.get("histogram") or {}
        if hist.get("edges") and hist.get("counts"):
            figures.append(_figure(charts.outcome_histogram(hist["edges"], hist["counts"]),
                               "Distribution of the after-tax value at the exit for each strategy."))
    peak = risk.get("peak")
    if peak:
        out += ["<h3>The stress test</h3>", f"<p>{_e(peak.get('summary', ''))}</p>",
                _table(["measure", "value"], [
                    ["AMT now", _num(peak.get("amt_now"))], ["price drop", _pct(peak.get("drop"))],
                    ["value after the drop", _num(peak.get("value_after_drop"))], ["cash", _num(peak.get("cash"))],
                    ["covered after the drop", "yes" if peak.get("covered_after_drop") else "NO"],
                    ["cash gap", _num(peak.get("cash_gap"))],
                    ["chance the AMT exceeds the shares' value at year end",
                     _pct(peak.get("prob_amt_exceeds_value_at_year_end"))]])]
    pre = risk.get("pre_ipo")
    if pre:
        out += ["<h3>Before a liquidity event</h3>", f"<p>{_e(pre.get('summary', ''))}</p>",
                f"<p>Cash at risk {_num(pre.get('cash_at_risk'))}; chance it is lost {_pct(pre.get('prob_cash_lost'))}"
                f"{'; more than you can afford to lose' if pre.get('exceeds_affordable_loss') else ''}.</p>"]
    fan = risk.get("fan")
    if fan and fan.get("dates"):
        figures.append(_figure(charts.price_fan(fan["dates"], fan.get("percentiles", {}),
                                            stress_level=fan.get("stress_level")),
                           "Simulated price paths: the middle 90% and 50% of prices, the median, and the stress "
                           "price of the stress test."))
    if figures:
        out.append(f'<div class="charts">{"".join(figures)}</div>')
    if risk.get("notes"):
        out += ["<h3>Notes on the simulation</h3>", _list(risk["notes"])]
    return "\n".join(out)


#: Form 6251 lines shown in the by-year summary even when zero in every year
_FORM_6251_ALWAYS = frozenset({"2i", "4", "5", "6", "9", "10", "11"})
#: at most this many years side by side in one by-year table (a printed Letter page's width)
_YEARS_PER_TABLE = 5


def _by_year_tables(years: Sequence[int], lines: list[tuple[str, str, str, list[float]]], always: frozenset[str],
                    projected: Sequence[bool]) -> str:
    """Form lines (form, line, caption, one value a year) as tables with the years as columns: the lines that
    are not zero in some year, and the ``always`` lines."""
    shown = [(form, line, caption, values) for form, line, caption, values in lines
             if line in always or any(abs(v) >= 0.5 for v in values)]
    out = []
    for start in range(0, len(years), _YEARS_PER_TABLE):
        cols = range(start, min(start + _YEARS_PER_TABLE, len(years)))
        headers = ["line", "what", *(f"{years[j]}{'*' if projected[j] else ''}" for j in cols)]
        rows = [[_e(f"{form} {line}"), _e(caption), *(_num(values[j]) for j in cols)]
                for form, line, caption, values in shown]
        out.append(_table(headers, rows, numeric=[False, False, *(True for _ in cols)]))
    return "\n".join(out)


def _form_6251_by_year(outcome: Any) -> str:
    """Form 6251 (and Form 8801's credit lines) of every year of the recommended schedule, one column a year;
    for a California plan Schedule P (540) and FTB 3510 beside it."""
    from isoplan.planning.checklist import schedule_returns
    from isoplan.tax.explain import explain_row

    years = list(outcome.model.years)
    law = outcome.model.law
    projected = [bool(law.is_projected(y)) for y in years]
    by_key: dict[str, tuple[str, str, str, list[float]]] = {}
    for result in schedule_returns(outcome):
        for r in explain_row(result, 0):
            if r.form in ("Form 6251", "Form 8801"):
                by_key.setdefault(r.key, (r.form, r.line, r.caption, []))[3].append(float(r.value))
    lines = [v for v in by_key.values() if len(v[3]) == len(years)]
    always = _FORM_6251_ALWAYS | {"25", "26"}
    out = ["<p>The engine's Form 6251 (alternative minimum tax) and Form 8801 (minimum tax credit) lines for each "
           "year of the recommended schedule; lines that are zero in every year are left out. * projected law.</p>",
           _by_year_tables(years, lines, always, projected)]
    if _is_california(outcome):
        from isoplan.planning.checklist import schedule_california_returns
        from isoplan.tax.states.california import ca_explain_row

        ca_key: dict[str, tuple[str, str, str, list[float]]] = {}
        for result in schedule_california_returns(outcome):
            for ca_row in ca_explain_row(result, 0):
                if ca_row.form in ("Schedule P (540)", "FTB 3510"):
                    entry: tuple[str, str, str, list[float]] = (ca_row.form, ca_row.line, ca_row.caption, [])
                    ca_key.setdefault(ca_row.key, entry)[3].append(float(ca_row.value))
        ca_lines = [v for v in ca_key.values() if len(v[3]) == len(years)]
        ca_projected = [bool(outcome.model.ca_law.is_projected(y)) for y in years]
        out += ["<h3>California: Schedule P (540) and FTB 3510 by year</h3>",
                _by_year_tables(years, ca_lines, frozenset({"10", "21", "22", "24", "26"}), ca_projected)]
    return "\n".join(out)


def _plan_name(source: str) -> str:
    """The plan's name from its file name: ``examples/staging-three-years.toml`` -> ``Staging three years``."""
    stem = PurePath(source).stem if source.endswith(".toml") else PurePath(source).name
    words = stem.replace("_", " ").replace("-", " ").strip() or "plan"
    return words[:1].upper() + words[1:]


def _answer(plan: Any, outcome: Any, data: Mapping[str, Any], risk: Mapping[str, Any] | None,
            checklist: Mapping[str, Any]) -> str:
    """The first thing of the report: the decision (the schedule), the checklist's state, the risk verdict and
    the key assumptions behind them."""
    rec = data["recommended"]
    lines = [f'<p class="decision">{_e(plan_answer(data))}</p>',
             f"<p>{_e(checklist.get('answer') or checklist_answer(checklist))}</p>"]
    if risk:
        lines.append(f"<p>Risk: {_e(risk_answer(risk))}</p>")
    path = plan.stock.price_path
    lines.append(f'<p class="muted">Assumed: {_e(plan.stock.kind)} stock at ${path.start_price:,.2f} on '
                 f"{_e(path.start_date.isoformat())}, growing {_e(percent(path.growth, digits=1))} a year; "
                 f"everything sold {_e(data['exit']['date'])} at ${data['exit']['price']:,.2f} a share; "
                 f"{_e(plan.filing_status)} filer; strategy {_e(rec['name'])}.</p>")
    return '<div class="answer">' + "".join(lines) + "</div>"


def _tax_detail(plan: Any, outcome: Any) -> str:
    from isoplan.planning.checklist import schedule_returns
    from isoplan.tax.explain import explain_row, year_notes
    from isoplan.tax.law import STATUS_CODE

    law = outcome.model.law
    out = ["<p>The engine's return for each year of the recommended schedule (federal only). Form 6251 is the "
           "alternative minimum tax; Form 8801 the minimum tax credit.</p>"]
    for year, result in zip(outcome.model.years, schedule_returns(outcome), strict=True):
        rows = [[_e(r.form), _e(r.line), _e(r.caption), _num(r.value)] for r in explain_row(result, 0)
                if r.form in ("Form 6251", "Form 8801") or r.key in _FORM_1040_KEYS]
        notes = year_notes(law, year, STATUS_CODE[plan.filing_status])
        tag = " (projected law)" if law.is_projected(year) else ""
        out.append(_year_block(f"{year}{tag}", rows, notes))
    if _is_california(outcome):
        out.append(_california_detail(plan, outcome))
    return "\n".join(out)


def _california_detail(plan: Any, outcome: Any) -> str:
    """Each plan year's California return for the recommended schedule: Form 540's main lines, every
    Schedule P (540) line and the FTB 3510 credit (carried in as the planner carried it), with the year's notes."""
    from isoplan.planning.checklist import schedule_california_returns
    from isoplan.tax.law import STATUS_CODE
    from isoplan.tax.states.california import ca_explain_row, ca_year_notes

    ca_law = outcome.model.ca_law
    out = ["<h3>California (Form 540, Schedule P (540), FTB 3510)</h3>",
           "<p>The California return of each year of the recommended schedule: Schedule P (540) is California's "
           "alternative minimum tax (7%, with its own exemption and phase-out); FTB 3510 its credit for prior-year "
           "AMT, carried in from the year before.</p>"]
    for year, result in zip(outcome.model.years, schedule_california_returns(outcome), strict=True):
        rows = [[_e(r.form), _e(r.line), _e(r.caption), _num(r.value)] for r in ca_explain_row(result, 0)
                if r.form in ("Schedule P (540)", "FTB 3510") or r.key in _FORM_540_KEYS]
        notes = ca_year_notes(ca_law, year, STATUS_CODE[plan.filing_status])
        tag = " (projected California law)" if ca_law.is_projected(year) else ""
        out.append(_year_block(f"California {year}{tag}", rows, notes))
    return "\n".join(out)


def _year_block(title: str, rows: list[list[str]], notes: list[str]) -> str:
    """One year's form lines (already escaped) and its notes."""
    return (f'<div class="yeartax"><h3>{_e(title)}</h3>'
            + _table(["form", "line", "what", "amount"], rows, numeric=[False, False, False, True])
            + _list(notes) + "</div>")


def _format_value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_format_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def _assumptions(plan: Any, outcome: Any, risk: Mapping[str, Any] | None) -> str:
    law = outcome.model.law
    data = outcome.as_dict()
    rows = [["Stock price path", _e(f"{plan.stock.kind} stock; growth {plan.stock.price_path.growth:.1%} a year "
                                    "unless explicit prices are given")],
            ["Exit", _e(f"{data['exit']['date']} at ${data['exit']['price']:,.2f} a share")],
            ["Exercise date each year", _e(f"month {plan.exercise_month}, day {plan.exercise_day}")],
            ["Discount rate", _e(f"{plan.discount_rate:.1%}")],
            ["Inflation for projected tax years", _e(f"{law.inflation:.2%}")],
            ["Only AMT-free years", _e("yes" if plan.zero_amt else "no")],
            ["Optimizer", _e(f"{data['optimizer']['grid_states']} grid points, {data['optimizer']['evaluations']} "
                             f"evaluations; path cap reached: {data['optimizer']['label_cap_reached']}")]]
    out = [_table(["assumption", "value"], rows, numeric=[False, False])]
    if data.get("notes"):
        out += ["<h3>Notes</h3>", _list(data["notes"])]
    if risk and risk.get("assumptions"):
        out += ["<h3>Risk simulation inputs</h3>",
                _table(["input", "value"], [[_e(k), _e(_format_value(v))] for k, v in risk["assumptions"].items()],
                       numeric=[False, False])]
    projected = [y for y in outcome.model.years if law.is_projected(y)]
    out.append("<h3>Parameters of projected tax years</h3>")
    if not projected:
        out.append("<p>Every year of the plan uses published law.</p>")
    for year in projected:
        year_law = law.laws[year]
        rows = [[_e(p.name), _e(p.description), _e(_format_value(p.values.get(plan.filing_status))),
                 _e(p.citations[0] if p.citations else "")]
                for p in year_law.parameters.values() if p.projected]
        out.append(f"<h3>{_e(year)} ({_e(plan.filing_status)}), projected from {_e(law.last_published)} "
                   f"law at {_e(f'{law.inflation:.2%}')} inflation</h3>")
        out.append(_table(["parameter", "what", "value", "how"], rows, numeric=[False, False, True, False]))
    if _is_california(outcome):
        out.append(_california_assumptions(plan, outcome))
    return "\n".join(out)


def _california_assumptions(plan: Any, outcome: Any) -> str:
    """California's projected tax years: every projected California parameter, labelled as projected by
    California's own indexing (California CPI, June to June, R&TC §17041(h))."""
    ca_law = outcome.model.ca_law
    out = ["<h3>California</h3>",
           _table(["assumption", "value"], [
               ["State tax modeled", _e("California: Form 540 with the Mental Health Services Tax, Schedule P (540) "
                                        "AMT and the FTB 3510 credit")],
               ["Property tax (deductible in California), first year",
                _num(float(outcome.model.property_tax[0]) if outcome.model.property_tax is not None else 0.0)],
               ["California CPI for projected California years", _e(f"{ca_law.inflation:.2%}")]],
               numeric=[False, False])]
    projected = [y for y in outcome.model.years if ca_law.is_projected(y)]
    out.append("<h3>Parameters of projected California tax years</h3>")
    if not projected:
        out.append("<p>Every year of the plan uses published California law.</p>")
    for year in projected:
        rows = [[_e(p.name), _e(p.description), _e(_format_value(p.values.get(plan.filing_status))),
                 _e(p.citations[0] if p.citations else "")]
                for p in ca_law.laws[year].parameters.values() if p.projected]
        out.append(f"<h3>California {_e(year)} ({_e(plan.filing_status)}), PROJECTED from "
                   f"{_e(ca_law.last_published)} California law at {_e(f'{ca_law.inflation:.2%}')} California CPI"
                   "</h3>")
        out.append(_table(["parameter", "what", "value", "how"], rows, numeric=[False, False, True, False]))
    return "\n".join(out)


# ---------------------------------------------------------------- the document


def render_report(plan: Any, outcome: Any, risk: Mapping[str, Any] | None, checklist: Mapping[str, Any], *,
                  generated: datetime | None = None, appendix: bool = False) -> str:
    """The whole report as one HTML document (see the module docstring); ``appendix``: the inputs, every
    year's full tax detail and the parameters of projected years after the summary."""
    from isoplan.planning.checklist import amt_curve

    generated = generated or datetime.now(UTC)
    data = outcome.as_dict()
    disclaimer = DISCLAIMER_CA if _is_california(outcome) else DISCLAIMER
    try:
        curve = amt_curve(outcome, int(checklist["year"]))
    except Exception:  # a chart is not worth failing the report for; the checklist still has the numbers
        curve = None
    sections = [
        ("schedule", "The recommended schedule", _schedule(data)),
        ("comparison", "The baselines: the usual strategies on the same assumptions", _comparison(data)),
        ("risk", "Risk", _risk(risk, plan.source)),
        ("checklist", f"The {checklist['year']} exercise checklist",
         _checklist(checklist, curve, checklist_ics(checklist, stamp=generated))),
        ("form6251", "Form 6251 by year", _form_6251_by_year(outcome)),
    ]
    extra = [
        ("situation", "Appendix: the situation", _situation(plan, outcome)),
        ("tax", "Appendix: tax detail by year", _tax_detail(plan, outcome)),
        ("assumptions", "Appendix: assumptions and projected-year parameters", _assumptions(plan, outcome, risk)),
    ] if appendix else []
    nav = "".join(f'<li><a href="#{key}">{_e(title)}</a></li>' for key, title, _ in sections + extra)
    body = "\n".join(f'<section id="{key}"><h2>{_e(title)}</h2>\n{html}\n</section>' for key, title, html in sections)
    if extra:
        body += '\n<div class="appendix">' + "\n".join(
            f'<section id="{key}"><h2>{_e(title)}</h2>\n{html}\n</section>' for key, title, html in extra) + "</div>"
    title = f"ISO exercise plan: {_plan_name(plan.source)}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>{_e(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>{_e(title)}</h1>
<p class="sub">Plan file {_e(plan.source)}; made by isoplan on {_e(generated.strftime('%Y-%m-%d %H:%M UTC'))}.</p>
{_answer(plan, outcome, data, risk, checklist)}
<p class="disclaimer"><strong>{_e(disclaimer)}</strong></p>
</header>
<nav><ol>{nav}</ol></nav>
{body}
<footer><p><strong>{_e(disclaimer)}</strong></p></footer>
</body>
</html>
"""
