"""Text and CSV for the filing pack (``isoplan ledger forms``) and estimated tax (``ledger estimates``).

The renderers take the records of :mod:`isoplan.app.filing` (typed here by
protocol, so this layer imports nothing above it).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from isoplan.equity.form8949 import Form3921Reconciliation, Form8949Row, ScheduleDTotals
from isoplan.report.text import money, table

__all__ = ["FORM_CSV_FILES", "forms_csv_tables", "render_estimates", "render_forms", "write_forms_csv"]

DISCLAIMER = "A planning estimate, not tax advice."
#: the file each form's CSV goes to
FORM_CSV_FILES = {
    "form8949_regular": "form8949-regular.csv",
    "form8949_amt": "form8949-amt.csv",
    "schedule_d": "schedule-d.csv",
    "form6251": "form6251.csv",
    "form8801": "form8801.csv",
    "form3921": "form3921-reconciliation.csv",
    "california": "schedule-p-540.csv",
}


class _Exercise(Protocol):
    @property
    def lot_id(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def reconciliation(self) -> Form3921Reconciliation: ...


class _Forms(Protocol):
    @property
    def year(self) -> int: ...
    @property
    def filing_status(self) -> str: ...
    @property
    def state(self) -> str | None: ...
    @property
    def form8949_regular(self) -> Sequence[Form8949Row]: ...
    @property
    def form8949_amt(self) -> Sequence[Form8949Row]: ...
    @property
    def schedule_d_regular(self) -> ScheduleDTotals: ...
    @property
    def schedule_d_amt(self) -> ScheduleDTotals: ...
    @property
    def schedule_d_return(self) -> Mapping[str, float]: ...
    @property
    def form6251(self) -> Mapping[str, float]: ...
    @property
    def form8801(self) -> Mapping[str, float]: ...
    @property
    def form3921(self) -> Sequence[_Exercise]: ...
    @property
    def notes(self) -> Sequence[str]: ...
    @property
    def california(self) -> Mapping[str, Any] | None: ...


def _usd(value: Decimal | float) -> str:
    return money(float(value), cents=True)


# ---------------------------------------------------------------- forms


def _form8949_table(rows: Sequence[Form8949Row]) -> str:
    body = [[r.box, r.description, r.date_acquired.isoformat(), r.date_sold.isoformat(), _usd(r.proceeds),
             _usd(r.cost_basis), r.code, _usd(r.adjustment), _usd(r.gain)] for r in rows]
    return table(["box", "(a) description", "(b) acquired", "(c) sold", "(d) proceeds", "(e) basis", "(f)",
                  "(g) adjustment", "(h) gain"], body, align="lllrrrlrr")


def _schedule_d_table(totals: ScheduleDTotals) -> str:
    body = [[f"{b.line} (box {b.box})", str(b.rows), _usd(b.proceeds), _usd(b.cost_basis), _usd(b.adjustment),
             _usd(b.gain)] for b in totals.boxes]
    body += [["6 short-term carryover", "", "", "", "", _usd(-totals.short_term_carryover)],
             ["7 net short-term", "", "", "", "", _usd(totals.net_short_term)],
             ["14 long-term carryover", "", "", "", "", _usd(-totals.long_term_carryover)],
             ["15 net long-term", "", "", "", "", _usd(totals.net_long_term)],
             ["16 net", "", "", "", "", _usd(totals.net)]]
    return table(["Schedule D line", "rows", "proceeds", "basis", "adjustment", "gain"], body, align="lrrrrr")


def render_forms(result: _Forms) -> str:
    """The filing pack of one year, form by form."""
    parts = [f"{result.year} filing pack ({result.filing_status}{', ' + result.state if result.state else ''})"]
    parts += ["", "Form 8949, regular basis (filed): column (e) as the broker reports it on Form 1099-B",
              _form8949_table(result.form8949_regular) if result.form8949_regular else "(no sales)"]
    parts += ["", "Form 8949, AMT basis (kept with the return, not filed)",
              _form8949_table(result.form8949_amt) if result.form8949_amt else "(no sales)"]
    parts += ["", "Schedule D (regular), from these rows", _schedule_d_table(result.schedule_d_regular),
              "", "Schedule D (AMT), from these rows", _schedule_d_table(result.schedule_d_amt)]
    d = result.schedule_d_return
    parts += ["", "The year's return", table(["line", "regular", "AMT"], [
        ["Schedule D 7 net short-term", money(d["line7"]), money(d["amt_line7"])],
        ["Schedule D 15 net long-term", money(d["line15"]), money(d["amt_line15"])],
        ["Schedule D 16 net", money(d["line16"]), money(d["amt_line16"])],
        ["in income (after the loss limit)", money(d["line21_in_agi"]), money(d["amt_in_amti"])],
    ], align="lrr")]
    f = result.form6251
    parts += ["", "Form 6251", table(["line", "what", "amount"], [
        ["2i", "incentive stock options: spread of shares held past year end", money(f["line2i"])],
        ["2k", "disposition of property: AMT gain less regular gain", money(f["line2k"])],
        ["4", "alternative minimum taxable income", money(f["amti"])],
        ["9", "tentative minimum tax", money(f["tentative_minimum_tax"])],
        ["11", "alternative minimum tax", money(f["amt"])],
    ], align="llr")]
    from isoplan.tax.form8801 import FORM8801_LINES

    lines = [[line, caption, money(result.form8801[key])] for key, line, caption in FORM8801_LINES
             if key in result.form8801]
    lines.append(["", "credit created this year (AMT less net minimum tax on exclusion items)",
                  money(result.form8801["credit_created"])])
    parts += ["", "Form 8801", table(["line", "what", "amount"], lines, align="llr")]
    parts += ["", "Form 3921: each ISO exercise of the year against its lot"]
    if not result.form3921:
        parts.append("(no ISO exercises in the year)")
    for ex in result.form3921:
        r = ex.reconciliation
        state = "matches" if r.matches else "DIFFERS"
        parts.append(f"lot {ex.lot_id} ({ex.source}): {state}; regular basis (box 3 x 5) {_usd(r.regular_basis)}, "
                     f"AMT basis (box 4 x 5) {_usd(r.amt_basis)}, spread {_usd(r.spread)}, ledger AMT adjustment "
                     f"{_usd(r.ledger_amt_adjustment)}")
        parts.append(table(["box", "what", "on the form", "in the ledger", "check"],
                           [[c.box, c.label, c.on_form, c.in_ledger, "ok" if c.matches else "differs"]
                            for c in r.checks], align="lllll"))
        parts += [f"  {n}" for n in r.notes]
    if result.california:
        ca = result.california
        parts += ["", "California: Schedule D (540) and Schedule P (540)", ca["schedule_d_540"] + "."]
        if ca["sales"]:
            parts.append(table(["sale", "regular gain", "AMT gain", "Schedule P line 9"],
                               [[s["sale_id"], money(s["regular_gain"]), money(s["amt_gain"]),
                                 money(s["schedule_p_line9"])] for s in ca["sales"]]))
        parts.append(f"Schedule P (540) line 9 for the year (after the loss limits): {money(ca['schedule_p_line9'])}; "
                     f"line 10 (ISO spread): {money(ca['schedule_p_line10'])}; California AMT: {money(ca['ca_amt'])}")
    parts += [f"Note: {n}" for n in result.notes]
    parts.append(DISCLAIMER)
    return "\n".join(parts)


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.2f}"
    return "" if value is None else str(value)


def forms_csv_tables(result: _Forms) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Each form as (header, rows) of text, keyed as :data:`FORM_CSV_FILES`."""
    row_header = ["box", "description", "date_acquired", "date_sold", "proceeds", "cost_basis", "code",
                  "adjustment", "gain", "term", "schedule_d_line", "ordinary_income", "sale_id", "lot_id"]

    def rows_of(rows: Sequence[Form8949Row]) -> list[list[str]]:
        return [[_text(v) for v in (r.box, r.description, r.date_acquired, r.date_sold, r.proceeds, r.cost_basis,
                                    r.code, r.adjustment, r.gain, r.term, r.schedule_d_line, r.ordinary_income,
                                    r.sale_id, r.lot_id)] for r in rows]

    sched: list[list[str]] = []
    for totals in (result.schedule_d_regular, result.schedule_d_amt):
        sched += [[totals.basis, b.line, b.box, str(b.rows), _text(b.proceeds), _text(b.cost_basis),
                   _text(b.adjustment), _text(b.gain)] for b in totals.boxes]
        sched += [[totals.basis, line, "", "", "", "", "", _text(value)] for line, value in (
            ("6", -totals.short_term_carryover), ("7", totals.net_short_term), ("14", -totals.long_term_carryover),
            ("15", totals.net_long_term), ("16", totals.net))]
    checks = [[ex.lot_id, c.box, c.label, c.on_form, c.in_ledger, "yes" if c.matches else "no"]
              for ex in result.form3921 for c in ex.reconciliation.checks]
    out = {
        "form8949_regular": (row_header, rows_of(result.form8949_regular)),
        "form8949_amt": (row_header, rows_of(result.form8949_amt)),
        "schedule_d": (["basis", "line", "box", "rows", "proceeds", "cost_basis", "adjustment", "gain"], sched),
        "form6251": (["line", "amount"], [[k.removeprefix("line"), _text(v)] for k, v in result.form6251.items()]),
        "form8801": (["line", "amount"], [[k.removeprefix("line"), _text(v)] for k, v in result.form8801.items()]),
        "form3921": (["lot_id", "box", "what", "on_form", "in_ledger", "matches"], checks),
    }
    if result.california:
        out["california"] = (["sale_id", "regular_gain", "amt_gain", "schedule_p_line9"],
                             [[s["sale_id"], _text(s["regular_gain"]), _text(s["amt_gain"]),
                               _text(s["schedule_p_line9"])] for s in result.california["sales"]])
    return out


def write_forms_csv(result: _Forms, folder: str | Path) -> list[Path]:
    """One CSV per form in ``folder`` (created if needed); the paths written."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for key, (header, rows) in forms_csv_tables(result).items():
        path = target / FORM_CSV_FILES[key]
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        written.append(path)
    return written


# ---------------------------------------------------------------- estimates


class _Jurisdiction(Protocol):
    @property
    def form(self) -> str: ...
    @property
    def tax(self) -> float: ...
    @property
    def agi(self) -> float: ...
    @property
    def prior_year_source(self) -> str: ...
    @property
    def prior_year_tax(self) -> float | None: ...
    @property
    def required_annual_payment(self) -> Mapping[str, Any]: ...
    @property
    def withholding(self) -> float: ...
    @property
    def estimated_payments(self) -> Sequence[Mapping[str, Any]]: ...
    @property
    def installments(self) -> Sequence[Any]: ...
    @property
    def schedule_ai(self) -> Mapping[str, Any]: ...
    @property
    def method(self) -> str: ...
    @property
    def penalty_regular(self) -> float | None: ...
    @property
    def penalty_annualized(self) -> float | None: ...
    @property
    def penalty(self) -> float | None: ...
    @property
    def exempt(self) -> bool: ...
    @property
    def catch_up(self) -> Mapping[str, Any] | None: ...
    @property
    def notes(self) -> Sequence[str]: ...


class _Estimates(Protocol):
    @property
    def year(self) -> int: ...
    @property
    def filing_status(self) -> str: ...
    @property
    def state(self) -> str | None: ...
    @property
    def today(self) -> date: ...
    @property
    def federal(self) -> _Jurisdiction: ...
    @property
    def california(self) -> _Jurisdiction | None: ...


def _day(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _penalty(value: float | None) -> str:
    return "not computed" if value is None else money(value, cents=True)


def _render_jurisdiction(year: int, j: _Jurisdiction, today: date) -> list[str]:
    rap = j.required_annual_payment
    prior = ("none on file" if j.prior_year_tax is None
             else f"{money(j.prior_year_tax)} ({'from the ledger' if j.prior_year_source == 'ledger' else 'as given'})")
    prior_part = rap["prior_year_part"]
    parts = [
        f"{j.form}: tax {money(j.tax)}, AGI {money(j.agi)}; last year's tax {prior}",
        f"Required annual payment {money(rap['amount'])}: the smaller of {rap['current_year_fraction']:.0%} of this "
        f"year's tax ({money(rap['current_year_part'])})"
        + (f" and {rap['prior_year_fraction']:.0%} of last year's ({money(prior_part)})" if prior_part is not None
           else " (no prior-year safe harbor)"),
        f"Withholding {money(j.withholding)}"
        + (f"; estimated payments {money(sum(p['amount'] for p in j.estimated_payments))}"
           if j.estimated_payments else ""),
    ]
    ai = j.schedule_ai
    body = []
    for k, row in enumerate(j.installments):
        moved = f" ({row.moved_because})" if row.moved_because else ""
        body.append([str(row.installment), row.due_date.isoformat() + moved, money(row.regular_required),
                     money(row.annualized_required), money(row.paid), money(row.underpayment),
                     _penalty(row.penalty), money(ai["line19_annualized_tax"][k])])
    parts.append(table(["#", "due", "regular", "Schedule AI", "paid", "underpaid", "penalty", "AI tax (line 19)"],
                       body, align="llrrrrrr"))
    chosen = "the annualized income installment method (Schedule AI)" if j.method == "annualized" else \
        "the regular method (equal shares of the required payment)"
    if j.penalty is None:
        parts.append(f"Penalty: not computed (see the note); the smaller underpayment is by {chosen}.")
    else:
        parts.append(f"Penalty if nothing more is paid: {_penalty(j.penalty)} by {chosen}"
                     + (" (exempt)" if j.exempt else f"; regular method {_penalty(j.penalty_regular)}, Schedule AI "
                        f"{_penalty(j.penalty_annualized)}") + ".")
    if j.catch_up is not None:
        due, amount = j.catch_up["due_date"], j.catch_up["amount"]
        if amount > 0.5:
            parts.append(f"Pay {money(amount)} by {_day(due)} to stay in the safe harbor "
                         f"(installment {j.catch_up['installment']}).")
        else:
            parts.append(f"Nothing more is due by {_day(due)}: the installments through it are paid.")
    else:
        parts.append(f"All of {year}'s installments have passed ({_day(today)}); the balance is due with the return.")
    parts += [f"Note: {n}" for n in j.notes]
    return parts


def render_estimates(result: _Estimates) -> str:
    """The year's estimated tax, federal and (for a California year) California."""
    parts = [f"{result.year} estimated tax ({result.filing_status}{', ' + result.state if result.state else ''}), "
             f"as of {result.today.isoformat()}", ""]
    parts += _render_jurisdiction(result.year, result.federal, result.today)
    if result.california is not None:
        parts.append("")
        parts += _render_jurisdiction(result.year, result.california, result.today)
    parts.append(DISCLAIMER)
    return "\n".join(parts)
