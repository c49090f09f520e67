"""The ledger's reports as terminal text: grants, the vesting split, lots, sales, income and the years.

Each renderer takes the result record of a ledger use case
(:mod:`isoplan.app.ledger`) and returns the text ``isoplan ledger ...``
prints. The records are described here by what is read from them
(protocols), so the report layer needs nothing from the application layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from isoplan.report.text import money, table

if TYPE_CHECKING:
    from isoplan.equity.disposition import Disposition
    from isoplan.equity.iso_limit import TrancheSplit
    from isoplan.equity.records import Grant, Lot, Sale
    from isoplan.ledger.years import LedgerYear
    from isoplan.tax.amendment import UnclaimedCredit

__all__ = [
    "render_grants", "render_import", "render_income", "render_lots", "render_sales", "render_vest_schedule",
    "render_years",
]

#: FTB 3510 across years (isoplan.tax.states.california.ca_credit_years lines): (key, part, caption).
FTB3510_LINES: tuple[tuple[str, str, str], ...] = (
    ("prior_amt", "Part I", "Prior year's California AMT (Schedule P line 26)"),
    ("prior_net_minimum_tax_on_exclusions", "Part I", "Prior year's net minimum tax on exclusion items"),
    ("credit_from_prior_year", "Part I", "Credit from the prior year's AMT (may be negative)"),
    ("carryover_in", "Part II", "Credit carryover from earlier years"),
    ("credit_available", "Part II", "Credit available"),
    ("credit_limit", "Part II", "Limit: regular tax - exemption credits - TMT"),
    ("credit_used", "Part II", "Credit used this year (Schedule P Part III)"),
    ("carryover_out", "Part II", "Credit carried forward"),
)


class _VestSchedule(Protocol):
    @property
    def tranches(self) -> Sequence[TrancheSplit]: ...


class _LotRow(Protocol):
    @property
    def lot(self) -> Lot: ...
    @property
    def held(self) -> int: ...


class _Lots(Protocol):
    @property
    def lots(self) -> Sequence[_LotRow]: ...


class _SaleRow(Protocol):
    @property
    def sale(self) -> Sale: ...
    @property
    def tax(self) -> Disposition: ...


class _Sales(Protocol):
    @property
    def sales(self) -> Sequence[_SaleRow]: ...


class _GrantRow(Protocol):
    @property
    def grant(self) -> Grant: ...
    @property
    def exercised(self) -> int: ...
    @property
    def notes(self) -> tuple[str, ...]: ...


class _Grants(Protocol):
    @property
    def grants(self) -> Sequence[_GrantRow]: ...


class _Income(Protocol):
    @property
    def year(self) -> int: ...
    @property
    def filing_status(self) -> str: ...
    @property
    def income(self) -> Mapping[str, Decimal]: ...
    @property
    def state(self) -> str | None: ...
    @property
    def state_note(self) -> str | None: ...


class _Years(Protocol):
    @property
    def rows(self) -> Sequence[LedgerYear]: ...
    @property
    def notes(self) -> Sequence[str]: ...
    @property
    def explain(self) -> bool: ...
    @property
    def unclaimed(self) -> Sequence[UnclaimedCredit]: ...


def render_vest_schedule(schedule: _VestSchedule, headline: str = "") -> str:
    """Each tranche: when it vests, the year it is first exercisable, its ISO and NSO shares, and why."""
    rows = [[s.grant_id, s.vest_date.isoformat(), str(s.year), f"{s.shares:,}", f"{s.iso_shares:,}",
             f"{s.nso_shares:,}", s.reason] for s in schedule.tranches]
    parts = [headline] if headline else []
    parts.append(table(["grant", "vests", "1st exercisable", "shares", "ISO", "NSO", "why (IRC §422(d))"], rows,
                       align="llrrrrl"))
    return "\n".join(parts)


def render_lots(result: _Lots, headline: str = "") -> str:
    """Both bases, the AMT adjustment (or NSO income) with its year, and the qualifying date of each lot."""
    rows = []
    for row in result.lots:
        lot = row.lot
        adj = money(float(lot.amt_adjustment)) + f" ({lot.amt_adjustment_year})" if lot.kind == "ISO" else \
            "NSO income " + money(float(lot.nso_ordinary_income)) + f" ({lot.nso_income_year})"
        vest = "" if lot.vested_at_exercise or lot.vesting_date is None else f" vests {lot.vesting_date.isoformat()}"
        rows.append([lot.id, lot.grant_id, lot.kind, lot.exercise_date.isoformat() + vest, f"{lot.shares:,}",
                     f"{row.held:,}", money(float(lot.regular_basis), cents=True),
                     money(float(lot.amt_basis), cents=True), adj + (" *" if lot.vesting_fmv_missing else ""),
                     lot.qualifying_date.isoformat() if lot.qualifying_date else "-"])
    parts = [headline] if headline else []
    parts.append(table(["lot", "grant", "kind", "exercised", "shares", "held", "regular basis", "AMT basis",
                        "AMT adjustment (year)", "qualifies on"], rows, align="lllrrrrrrl"))
    if any(row.lot.vesting_fmv_missing for row in result.lots):
        parts.append("* vesting-date FMV not entered: the exercise-date FMV stands in (`isoplan ledger vesting-fmv`)")
    reasons = sorted({f"{row.lot.id}: {row.lot.kind_reason}" for row in result.lots if row.lot.kind_reason})
    if headline:
        parts += reasons
    return "\n".join(parts)


def render_sales(result: _Sales, headline: str = "") -> str:
    """Each sale's disposition and its regular and AMT results (Form 6251 lines 2i and 2k)."""
    rows = []
    for row in result.sales:
        s, d = row.sale, row.tax
        kind = "qualifying" if d.qualifying else ("NSO" if d.kind == "NSO" else "disqualifying")
        rows.append([s.id, s.lot_id, s.date.isoformat(), f"{s.shares:,}", money(float(s.price), cents=True), kind,
                     money(d.regular_ordinary_income), money(d.regular_short_term_gain),
                     money(d.regular_long_term_gain), money(d.amt_short_term_gain + d.amt_long_term_gain),
                     money(d.line2k), money(d.line2i_same_year)])
    parts = [headline] if headline else []
    parts.append(table(["sale", "lot", "date", "shares", "price", "disposition", "ordinary", "short-term",
                        "long-term", "AMT gain", "6251 2k", "2i undone"], rows, align="lllrrlrrrrrr"))
    if headline:
        parts += [f"{row.tax.sale_id}: {row.tax.explanation}" for row in result.sales]
    return "\n".join(parts)


def render_income(result: _Income) -> str:
    """The year, its filing status and state, and the amounts entered."""
    rows = [[name, money(float(value), cents=True)] for name, value in result.income.items()]
    parts = [f"{result.year}, {result.filing_status}" + (f", {result.state}" if result.state else "")]
    if result.state_note:
        parts.append("Note: " + result.state_note)
    parts.append(table(["input", "amount"], rows) if rows else "(no amounts entered)")
    return "\n".join(parts)


def render_grants(result: _Grants) -> str:
    rows = [[g.id, g.company, g.kind, g.grant_date.isoformat(), f"{g.shares:,}", f"{row.exercised:,}",
             money(float(g.strike), cents=True), money(float(g.fmv_at_grant), cents=True),
             g.expiration_date.isoformat(), "yes" if g.early_exercise_allowed else "no"]
            for row in result.grants for g in (row.grant,)]
    text = table(["grant", "company", "kind", "granted", "shares", "exercised", "strike", "FMV at grant", "expires",
                  "early exercise"], rows, align="llllrrrrll")
    notes = [f"Note: grant {row.grant.id}: {note}" for row in result.grants for note in row.notes]
    return "\n".join([text, *notes])


def render_import(counts: Mapping[str, int]) -> str:
    return "imported " + ", ".join(f"{n} {k}" for k, n in counts.items())


def _render_california(rows: Sequence[LedgerYear], *, explain: bool) -> list[str]:
    """The California table under the federal one, for the years whose state is CA; with --explain, line by line."""
    from isoplan.tax.states.california import ca_explain_row

    ca_rows = [r for r in rows if r.california]
    if not ca_rows:
        return []
    body = []
    for r in ca_rows:
        c = r.ca_outputs
        label = f"{r.year}{' (projected)' if r.ca_projected else ''}{'' if r.entered else ' *'}"
        body.append([label, money(c["ca_regular_tax"]), money(c["ca_tentative_minimum_tax"]), money(c["ca_amt"]),
                     money(r.ca_credit_created), money(r.ftb3510["credit_used"]), money(r.ftb3510["carryover_out"]),
                     money(c["ca_total_tax"]), money(r.outputs["total_tax"] + c["ca_total_tax"])])
    parts = ["", "California (Form 540 line 31, Schedule P (540) lines 24 and 26, FTB 3510)",
             table(["year", "regular tax", "TMT", "AMT paid", "credit created", "credit used", "carried forward",
                    "CA total tax", "federal + CA"], body, align="lrrrrrrrr")]
    if explain:
        for r in ca_rows:
            # FTB 3510 comes once, in full, from the year's own lines below
            lines = [[f"{line.form} {line.line}", line.caption, money(line.value)]
                     for line in ca_explain_row(r.ca_result, 0) if line.form != "FTB 3510"]
            lines += [[f"FTB 3510 {part}", caption, money(r.ftb3510[key])] for key, part, caption in FTB3510_LINES]
            lines.append(["(this year)", "Credit created: California AMT less net minimum tax on exclusion items",
                          money(r.ca_credit_created)])
            parts += ["", f"{r.year}: California, Schedule P (540) and FTB 3510",
                      table(["line", "what", "amount"], lines, align="llr")]
    notes: list[str] = []
    for r in ca_rows:
        notes += [n for n in r.ca_notes if n not in notes]
    parts += [f"Note (California): {n}" for n in notes]
    return parts


def _capital_rows(r: LedgerYear) -> list[list[str]]:
    """Both Schedule Ds of a year: this year's gains, the losses carried in and out (IRC §1212(b))."""
    from isoplan.tax.fields import AMT_BASIS_DEFAULTS

    def given(name: str) -> float:
        value = r.inputs.get(name)
        if value is None and name in AMT_BASIS_DEFAULTS:
            value = r.inputs.get(AMT_BASIS_DEFAULTS[name])
        return float(value or 0.0)

    o = r.outputs
    return [
        ["Schedule D 1a-5", "Short-term gain (regular)", money(given("short_term_gain"))],
        ["Schedule D 6", "Short-term loss carried in (regular)", money(given("short_term_loss_carryover"))],
        ["Schedule D 8a-13", "Long-term gain (regular)", money(given("long_term_gain"))],
        ["Schedule D 14", "Long-term loss carried in (regular)", money(given("long_term_loss_carryover"))],
        ["AMT Schedule D", "Short-term gain with AMT basis", money(given("amt_short_term_gain"))],
        ["AMT Schedule D 6", "Short-term loss carried in (AMT)", money(given("amt_short_term_loss_carryover"))],
        ["Form 6251 III", "Long-term gain with AMT basis", money(given("amt_long_term_gain"))],
        ["AMT Schedule D 14", "Long-term loss carried in (AMT)", money(given("amt_long_term_loss_carryover"))],
        ["Schedule D CLCW 8", "Short-term loss carried out (regular)", money(o["short_term_loss_carryover_out"])],
        ["Schedule D CLCW 13", "Long-term loss carried out (regular)", money(o["long_term_loss_carryover_out"])],
        ["AMT CLCW 8", "Short-term loss carried out (AMT)", money(o["amt_short_term_loss_carryover_out"])],
        ["AMT CLCW 13", "Long-term loss carried out (AMT)", money(o["amt_long_term_loss_carryover_out"])],
    ]


def render_unclaimed(unclaimed: Sequence[UnclaimedCredit]) -> list[str]:
    """The credit the history allows but the carryforwards entered leave unclaimed, and until when to claim it."""
    parts: list[str] = []
    for u in unclaimed:
        what = "minimum tax credit (Form 8801)" if u.jurisdiction == "federal" else "California AMT credit (FTB 3510)"
        origin = ", ".join(str(y) for y in u.from_years) or "earlier years"
        head = (f"{u.year}: {money(u.amount)} of {what} allowable but not claimed: the carryforward entered "
                f"({money(u.carryforward_entered)}) is below the {money(u.carryforward_computed)} the ledger's "
                f"history implies; the credit comes from the AMT of {origin}.")
        last = u.claim_by_next_business_day.isoformat()
        moved = "" if u.claim_by == u.claim_by_next_business_day else f" ({u.claim_by.isoformat()} moved past a " \
            "weekend or holiday)"
        if u.open:
            tail = (f" Claim it on an amended {u.year} return ({u.form}) by {last}{moved}, assuming the {u.year} "
                    f"return was filed by its due date {u.return_due.isoformat()}.")
        else:
            tail = (f" The period to claim it on an amended {u.year} return closed on {last}{moved}: credit "
                    "allowable in a closed year is lost, not carried on.")
        parts.append("Unclaimed credit: " + head + tail)
    return parts


def render_years(result: _Years) -> str:
    """Each year's regular tax, TMT, AMT and the Form 8801 credit; with explain, the option lines and Form 8801."""
    from isoplan.tax.form8801 import FORM8801_LINES

    rows, explain = result.rows, result.explain
    body = []
    for r in rows:
        o = r.outputs
        label = f"{r.year}{' (projected)' if r.projected else ''}{'' if r.entered else ' *'}"
        body.append([label, r.filing_status, money(o["regular_tax"]), money(o["tentative_minimum_tax"]),
                     money(o["amt"]), money(r.credit_created), money(r.form8801["line25"]),
                     money(r.form8801["line26"]), money(o["total_tax"])])
    parts = [table(["year", "status", "regular tax", "TMT", "AMT paid", "credit created", "credit used",
                    "carried forward", "total tax"], body, align="llrrrrrrr")]
    if any(not r.entered for r in rows):
        parts.append("* no income entered for the year")
    if explain:
        for r in rows:
            o = r.outputs
            option_rows = [
                ["Form 6251 2i", "ISO exercise spread held past year end", money(o["amt_line2i"])],
                ["Form 6251 2k", "Disposition: AMT minus regular gain", money(o["amt_line2k"])],
                ["Form 1040 1a", "NSO income (wages; Medicare wages, Form 8959)",
                 money(r.inputs.get("nso_income", 0.0))],
                ["Form 1040 8", "Other ordinary income incl. disqualifying (not FICA wages)",
                 money(r.inputs["other_ordinary_income"])],
                *_capital_rows(r),
            ]
            lines = [[f"Form 8801 {line}", caption, money(r.form8801[key])] for key, line, caption in FORM8801_LINES]
            lines.append(["(this year)", "Credit created: AMT less net minimum tax on exclusion items",
                          money(r.credit_created)])
            parts += ["", f"{r.year}: option items and Form 8801",
                      table(["line", "what", "amount"], option_rows + lines, align="llr")]
            parts += [f"Note: {n}" for n in r.notes]
    elif any(r.notes for r in rows):
        parts += [f"Note ({r.year}): {n}" for r in rows for n in r.notes]
    parts += _render_california(rows, explain=explain)
    parts += render_unclaimed(result.unclaimed)
    parts += [f"Note: {n}" for n in result.notes]
    parts.append("A planning estimate, not tax advice.")
    return "\n".join(parts)
