"""Filing season from the ledger: a year's forms, and its estimated tax.

``forms``: the Form 8949 rows of the year's sales on the regular and the AMT
basis (:mod:`isoplan.equity.form8949`), Schedule D on both bases, Form 6251
lines 2i and 2k and Form 8801 from the ledger's year table, the Form 3921 of
each ISO exercise of the year reconciled with its lot, and for a California
year Schedule P (540) line 9 per sale.

``estimates``: Form 2210 (and Form 5805 for a California year) from the
ledger: the required annual payment (IRC §6654(d)(1); R&TC §§19136,
19136.3), the four installments and their due dates (§6654(c)(2), §7503),
the withholding entered for the year (§6654(g)(1)), the annualized income
installment method (Schedule AI, §6654(d)(2)) with each period's income
taken from the ledger's dates, the penalty at the published underpayment
rates (§6621(a)(2)) and what to pay by the next due date.

Each use case takes the ledger's path and a typed request, checks every
user value (an :class:`InputError` names the field), and returns a frozen
record whose ``as_dict()`` is the JSON of ``isoplan ledger forms|estimates --json``.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from isoplan.app.common import MAX_MONEY, iso_date, money, plain, record_dict, tax_year
from isoplan.app.ledger import CalendarRequest, CalendarResult
from isoplan.errors import InputError

if TYPE_CHECKING:
    from isoplan.equity.form8949 import Form3921Reconciliation, Form8949Row, ScheduleDTotals
    from isoplan.equity.records import Lot, Sale
    from isoplan.ledger.store import Ledger
    from isoplan.ledger.years import LedgerYear
    from isoplan.report.calendar import Event
    from isoplan.tax.estimates import DueDate, EstimateLaw, Payment, PenaltyResult

__all__ = [
    "CaliforniaSale", "EstimatesRequest", "EstimatesResult", "Exercise3921", "FormsRequest", "FormsResult",
    "InstallmentRow", "JurisdictionEstimates", "calendar", "estimates", "forms", "installment_events",
    "next_installment",
]

Labels = Mapping[str, str]
_OMIT = {"omit_none": True}
#: months of the tax year through each Schedule AI period end, as a share of the year (wages spread evenly)
_MONTHS_IN_YEAR = 12


def _label(labels: Labels | None, name: str) -> str:
    return (labels or {}).get(name, name)


def _ledger_row(rows: Sequence[LedgerYear], year: int, label: str) -> LedgerYear:
    row = next((r for r in rows if r.year == year), None)
    if row is None:
        have = f"a year of the ledger ({rows[0].year}-{rows[-1].year})" if rows else \
            "a year of the ledger (it has no income entries, exercises or sales yet)"
        raise InputError(label, year, have)
    return row


def _ledger_years(book: Ledger) -> tuple[list[LedgerYear], list[str]]:
    from isoplan.ledger.years import ledger_years
    from isoplan.tax.law import law_table
    from isoplan.tax.states.california import ca_law_table

    return ledger_years(book.lots(), book.sales(), book.years(), law_table(), states=book.states(),
                        ca_law=ca_law_table())


# ---------------------------------------------------------------- forms


@dataclass(frozen=True)
class FormsRequest:
    year: Any
    csv_dir: str | None = None  # also write one CSV per form here


@dataclass(frozen=True)
class Exercise3921:
    """An ISO exercise of the year: the Form 3921 its lot implies, reconciled box by box."""

    lot_id: str
    source: str  # how the lot came into the ledger ("entered", "form3921", ...)
    reconciliation: Form3921Reconciliation

    def as_dict(self) -> dict[str, Any]:
        r = self.reconciliation
        return {"lot_id": self.lot_id, "source": self.source, "matches": r.matches,
                "boxes": [record_dict(c) for c in r.checks], "regular_basis": plain(r.regular_basis),
                "amt_basis": plain(r.amt_basis), "spread": plain(r.spread),
                "ledger_amt_adjustment": plain(r.ledger_amt_adjustment), "notes": list(r.notes)}


@dataclass(frozen=True)
class CaliforniaSale:
    """One sale on the California return: Schedule D (540) takes the federal regular figures (California
    follows IRC §§421-424 through R&TC §17501); Schedule P (540) line 9 is the AMT
    gain less the regular gain, the counterpart of Form 6251 line 2k."""

    sale_id: str
    regular_gain: float  # regular gain plus disqualifying-disposition income: Schedule D (540) and Form 540
    amt_gain: float  # the same on the AMT basis
    schedule_p_line9: float


@dataclass(frozen=True)
class FormsResult:
    """``isoplan ledger forms --json`` (fields: docs/ledger.md, "The filing pack")."""

    year: int
    filing_status: str
    state: str | None
    form8949_regular: tuple[Form8949Row, ...]
    form8949_amt: tuple[Form8949Row, ...]
    schedule_d_regular: ScheduleDTotals
    schedule_d_amt: ScheduleDTotals
    schedule_d_return: dict[str, float]  # the year's return: the option sales and any other gains entered
    form6251: dict[str, float]
    form8801: dict[str, float]
    form3921: tuple[Exercise3921, ...]
    notes: tuple[str, ...]
    california: dict[str, Any] | None = field(default=None, metadata=_OMIT)
    csv_files: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out = record_dict(self)
        out["form8949_regular"] = [_row_json(r) for r in self.form8949_regular]
        out["form8949_amt"] = [_row_json(r) for r in self.form8949_amt]
        out["form3921"] = [e.as_dict() for e in self.form3921]
        return out


def _row_json(row: Form8949Row) -> dict[str, Any]:
    return record_dict(row) | {"schedule_d_line": row.schedule_d_line}


def entered_gains(inputs: Mapping[str, Any], rows: Sequence[Form8949Row]) -> float:
    """Gains on the year's return beyond the ledger's sales (entered with the income), in dollars."""
    from_sales = sum(float(r.gain) for r in rows)
    return round(float(inputs.get("short_term_gain", 0.0)) + float(inputs.get("long_term_gain", 0.0))
                 - from_sales, 2)


def _sales_of(book: Ledger, year: int) -> list[tuple[Lot, Sale]]:
    lots = {lot.id: lot for lot in book.lots()}
    return [(lots[s.lot_id], s) for s in book.sales() if s.date.year == year]


def forms(db: Path, req: FormsRequest, *, labels: Labels | None = None) -> FormsResult:
    """The year's filing pack: Form 8949 and Schedule D on both bases, Form 6251 lines 2i and 2k,
    Form 8801, Form 3921 reconciled, and Schedule P (540) line 9 per sale in a California year."""
    from isoplan.equity.disposition import dispose
    from isoplan.equity.form8949 import (
        AMT,
        REGULAR,
        broker_reports_price_paid,
        form3921_for_lot,
        form8949_rows,
        reconcile_form3921,
        schedule_d,
    )
    from isoplan.equity.records import ISO
    from isoplan.ledger.store import Ledger

    label = _label(labels, "year")
    year = tax_year(label, req.year)
    with Ledger.open(db) as book:
        rows, _ = _ledger_years(book)
        row = _ledger_row(rows, year, label)
        sold = _sales_of(book, year)
        sources = {r["id"]: r["source"] for r in book.lot_rows()}
        exercised = [lot for lot in book.lots() if lot.kind == ISO and lot.exercise_date.year == year]
    notes: list[str] = []
    regular_rows, amt_rows, ca_sales = [], [], []
    for lot, sale in sold:
        d = dispose(lot, sale)
        regular, alternative = form8949_rows(lot, sale, d)
        regular_rows.append(regular)
        amt_rows.append(alternative)
        ca_sales.append(CaliforniaSale(sale.id, d.regular_short_term_gain + d.regular_long_term_gain
                                       + d.regular_ordinary_income,
                                       d.amt_short_term_gain + d.amt_long_term_gain + d.amt_ordinary_income,
                                       d.line2k))
        if not broker_reports_price_paid(lot):
            notes.append(f"sale {sale.id}: the option was granted before the date of Treas. Reg. "
                         f"§1.6045-1(d)(6)(ii)(C); the 1099-B may already include the compensation in the basis. "
                         f"Column (e) shows the price paid; use the basis on your 1099-B")
    if not sold:
        notes.append(f"no sales in {year}: Form 8949 has no rows from the ledger")
    inputs = row.inputs
    carry = {name: Decimal(repr(round(float(inputs.get(name, 0.0)), 2)))
             for name in ("short_term_loss_carryover", "long_term_loss_carryover",
                          "amt_short_term_loss_carryover", "amt_long_term_loss_carryover")}
    d_regular = schedule_d(regular_rows, basis=REGULAR, short_term_carryover=carry["short_term_loss_carryover"],
                           long_term_carryover=carry["long_term_loss_carryover"])
    d_amt = schedule_d(amt_rows, basis=AMT, short_term_carryover=carry["amt_short_term_loss_carryover"],
                       long_term_carryover=carry["amt_long_term_loss_carryover"])
    out = row.outputs
    other_gains = entered_gains(inputs, regular_rows)
    if other_gains:
        notes.append(f"the year's return also holds {other_gains:,.0f} of gains entered with the income, not from "
                     f"the ledger's sales: schedule_d_return shows the return's lines with them")
    schedule_d_return = {
        "line7": out["schedule_d_line7"], "line15": out["schedule_d_line15"],
        "line16": out["net_capital_gain_or_loss"], "line21_in_agi": out["capital_gain_in_agi"],
        "amt_line7": out["amt_schedule_d_line7"], "amt_line15": out["amt_schedule_d_line15"],
        "amt_line16": out["amt_schedule_d_line16"], "amt_in_amti": out["amt_capital_gain_in_amti"],
    }
    form6251 = {"line2i": out["amt_line2i"], "line2k": out["amt_line2k"], "amti": out["amti"],
                "tentative_minimum_tax": out["tentative_minimum_tax"], "amt": out["amt"]}
    form8801 = dict(row.form8801) | {"credit_created": row.credit_created}
    reconciled = tuple(Exercise3921(lot.id, sources.get(lot.id, ""), reconcile_form3921(lot, form3921_for_lot(lot)))
                       for lot in exercised)
    sold_same_year = {lot.id for lot, _ in sold if lot.kind == ISO and lot.amt_adjustment_year == year}
    for lot_id in sorted(sold_same_year):
        notes.append(f"lot {lot_id}: shares sold in {year}, the year of the exercise, carry no line 2i adjustment "
                     f"(Instructions for Form 6251, line 2i); Form 6251 line 2i holds only the shares held past "
                     f"December 31")
    california = None
    if row.california:
        california = {
            "schedule_d_540": "California taxes capital gains as ordinary income and follows the federal basis "
                              "of ISO and NSO stock (R&TC §17501, adopting IRC §§421-424; R&TC §18151): "
                              "Schedule D (540) takes each sale's federal regular gain with no California "
                              "adjustment for these shares",
            "sales": [record_dict(s) for s in ca_sales],
            "schedule_p_line9": row.ca_outputs["ca_p_line9"],
            "schedule_p_line10": row.ca_outputs["ca_p_line10"],
            "ca_amt": row.ca_outputs["ca_amt"],
            "ftb3510": dict(row.ftb3510),
        }
    result = FormsResult(year, row.filing_status, row.state, tuple(regular_rows), tuple(amt_rows), d_regular, d_amt,
                         schedule_d_return, form6251, form8801, reconciled, tuple(notes + row.notes), california)
    if req.csv_dir:
        from dataclasses import replace

        from isoplan.report.filing_text import write_forms_csv

        written = write_forms_csv(result, req.csv_dir)
        result = replace(result, csv_files=tuple(str(p) for p in written))
    return result


# ---------------------------------------------------------------- estimates


@dataclass(frozen=True)
class EstimatesRequest:
    """``prior_year_*``: last year's tax and AGI as filed (default: the ledger's prior year, when entered);
    ``payments``: estimated payments made, as ``DATE:USD``; ``cumulative_wages``: four amounts, the wages
    through March 31, May 31, August 31 and December 31 (default: the year's wages spread evenly);
    ``today``: the day the catch-up payment is figured from (default: today)."""

    year: Any
    prior_year_tax: Any = None
    prior_year_agi: Any = None
    ca_prior_year_tax: Any = None
    ca_prior_year_agi: Any = None
    payments: tuple[str, ...] = ()
    ca_payments: tuple[str, ...] = ()
    cumulative_wages: Any = None
    today: Any = None


@dataclass(frozen=True)
class InstallmentRow:
    """One installment (Form 2210 Part III column; Form 5805 Part II column)."""

    installment: int
    statutory_date: datetime.date
    due_date: datetime.date  # moved past weekends and legal holidays (IRC §7503)
    moved_because: str
    regular_required: float  # line 10 by the regular method
    annualized_required: float  # Schedule AI line 27
    required: float  # the method used
    paid: float  # withholding deemed paid and estimated payments through the due date
    underpayment: float
    penalty: float | None


@dataclass(frozen=True)
class JurisdictionEstimates:
    """Federal (Form 2210) or California (Form 5805) estimated tax for the year."""

    jurisdiction: str
    form: str
    tax: float  # Form 2210 line 4 (Form 5805 line 4): tax after credits, AMT and other taxes included
    agi: float
    prior_year_source: str  # "ledger", "given" or "none"
    prior_year_tax: float | None
    prior_year_agi: float | None
    required_annual_payment: dict[str, Any]
    withholding: float
    estimated_payments: tuple[dict[str, Any], ...]
    installments: tuple[InstallmentRow, ...]
    schedule_ai: dict[str, Any]
    method: str  # "regular" or "annualized": the one with the smaller penalty
    penalty_regular: float | None
    penalty_annualized: float | None
    penalty: float | None  # None where the law data holds no rates (California)
    exempt: bool
    catch_up: dict[str, Any] | None
    assumed_rate_quarters: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class EstimatesResult:
    """``isoplan ledger estimates --json`` (fields: docs/ledger.md, "Estimated tax")."""

    year: int
    filing_status: str
    state: str | None
    today: datetime.date
    federal: JurisdictionEstimates
    california: JurisdictionEstimates | None = field(default=None, metadata=_OMIT)

    def as_dict(self) -> dict[str, Any]:
        return record_dict(self)


def next_installment(tax_year: int, day: datetime.date, law: EstimateLaw | None = None) -> DueDate | None:
    """The first installment of ``tax_year`` whose due date (moved past weekends and holidays) is on or after
    ``day``; None once the last has passed (IRC §6654(c)(2), §7503)."""
    from isoplan.tax.estimates import installment_due_dates

    return next((due for due in installment_due_dates(tax_year, law) if due.due >= day), None)


def _payments(label: str, items: Sequence[str], year: int) -> list[Payment]:
    from isoplan.tax.estimates import Payment, penalty_period_end

    out = []
    last = penalty_period_end(year)
    for text in items:
        day_text, sep, amount_text = str(text).partition(":")
        if not sep:
            raise InputError(label, text, "DATE:USD, e.g. 2026-04-15:5000")
        day = iso_date(f"{label} date", day_text)
        if not datetime.date(year, 1, 1) <= day <= last:
            raise InputError(f"{label} date", day_text, f"a date from {year}-01-01 to {last.isoformat()}: "
                             f"a payment toward {year}'s tax")
        out.append(Payment(day, money(f"{label} amount", amount_text), "estimate"))
    return out


def _cumulative_wages(label: str, value: Any) -> list[float] | None:
    from isoplan.tax.estimates import INSTALLMENTS

    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    parts = value.split(",") if isinstance(value, str) else list(value)
    allowed = (f"{INSTALLMENTS} cumulative amounts separated by commas (wages through March 31, May 31, "
               "August 31 and December 31), each at least the one before")
    if len(parts) != INSTALLMENTS:
        raise InputError(label, value, allowed)
    amounts = [money(label, p) for p in parts]
    if any(b < a for a, b in itertools.pairwise(amounts)):
        raise InputError(label, value, allowed)
    return amounts


def _event_date(lot: Lot) -> datetime.date:
    from isoplan.equity.records import ISO

    return lot.measurement_date if lot.kind == ISO else lot.income_date


def period_inputs(book_lots: Sequence[Lot], book_sales: Sequence[Sale], entry: Mapping[str, float],
                  row: LedgerYear, period_ends: Sequence[datetime.date], *,
                  cumulative_wages: Sequence[float] | None = None) -> dict[str, list[float]]:
    """Each engine input through each Schedule AI period end (cumulative, not yet annualized).

    The ledger's dated items fall in the period of their date: an ISO lot's AMT adjustment (Form 6251
    line 2i) at its measurement date, NSO income at its income date, each sale's gains, disqualifying
    income and line 2k at the sale date. The household's own amounts are spread evenly over the year
    (wages as given by ``cumulative_wages``). Capital-loss carryovers count in full from the first period;
    the year's credit carried in (Form 8801 line 21) is not income and is not annualized.
    """
    from isoplan.equity.years import YearItems, merge_year_inputs, year_items
    from isoplan.tax.households import INPUT_NAMES
    from isoplan.tax.law import law_table

    year = row.year
    limit = float(law_table().laws[year].value("capital_loss_limit", row.filing_status))
    carried = ("short_term_loss_carryover", "long_term_loss_carryover", "amt_short_term_loss_carryover",
               "amt_long_term_loss_carryover")
    counts = ("age_65_or_blind", "senior_count")
    columns: dict[str, list[float]] = {}
    for end in period_ends:
        share = end.month / _MONTHS_IN_YEAR
        scaled = {k: (v if k in counts else v * share) for k, v in entry.items()}
        if cumulative_wages is not None:
            scaled["wages"] = cumulative_wages[period_ends.index(end)]
        for name in carried:
            if name in row.inputs:
                scaled[name] = float(row.inputs[name])
        sales = [s for s in book_sales if s.date <= end]
        needed = {s.lot_id for s in sales}
        lots = [lot for lot in book_lots if lot.id in needed or _event_date(lot) <= end
                or _event_date(lot).year != year]
        items = year_items(lots, sales).get(year, YearItems(year))
        merged = merge_year_inputs(scaled, items, limit)
        for name in INPUT_NAMES:
            if name in ("year", "filing_status") or name not in merged:
                continue
            columns.setdefault(name, []).append(float(merged[name]))
    columns["amt_credit_carryforward"] = [float(row.form8801.get("line21", 0.0))] * len(period_ends)
    return columns


def _federal_tax_function(year: int, status: str) -> Any:
    from isoplan.tax.estimates import FACTOR_KEY
    from isoplan.tax.federal import compute_federal
    from isoplan.tax.households import households
    from isoplan.tax.law import law_table

    def tax(items: Mapping[str, Any]) -> Any:
        # the engine figures the AMT on the annualized AMTI before the exemption, as Schedule AI directs;
        # the standard deduction is the full year's in every column (it is computed, not annualized)
        columns = {k: v for k, v in items.items() if k != FACTOR_KEY}
        result = compute_federal(households(year=year, filing_status=status, **columns), law_table(),
                                 keep=("total_tax",))
        return result.lines["total_tax"]

    return tax


def _california_tax_function(year: int, status: str, property_tax: Sequence[float], credit: float) -> Any:
    import numpy as np

    from isoplan.tax.estimates import FACTOR_KEY
    from isoplan.tax.households import households
    from isoplan.tax.states.california import ca_law_table, compute_california

    def tax(items: Mapping[str, Any]) -> Any:
        columns = {k: v for k, v in items.items() if k not in (FACTOR_KEY, "amt_credit_carryforward")}
        factors = np.asarray(items[FACTOR_KEY])
        result = compute_california(households(year=year, filing_status=status, **columns), ca_law_table(),
                                    property_tax=np.asarray(property_tax) * factors,
                                    ca_amt_credit_carryforward=credit)
        return result.lines["ca_total_tax"]

    return tax


def _cents(value: float | None) -> float | None:
    """Dollars to the cent for display (the engine's arithmetic is unrounded)."""
    return None if value is None else round(float(value), 2)


def _cents_list(values: Any) -> list[float]:
    return [round(float(v), 2) for v in values]


def _penalty_key(result: PenaltyResult) -> float:
    if result.penalty is not None:
        return float(result.penalty)
    return float(sum(p.amount * p.days for i in result.installments for p in i.periods))


#: inputs Schedule AI does not annualize: counts of people, and the credit carried in (not income)
_NOT_ANNUALIZED = frozenset({"age_65_or_blind", "senior_count", "amt_credit_carryforward"})


def _jurisdiction(
    law: EstimateLaw, year: int, status: str, tax: float, agi: float,
    prior: tuple[str, float | None, float | None], withholding: float, estimated: Sequence[Payment],
    ai_tax: Any, cumulative: Mapping[str, Sequence[float]], today: datetime.date, notes: list[str],
) -> JurisdictionEstimates:
    """Form 2210 (or Form 5805) Parts I-III and Schedule AI for one jurisdiction."""
    from isoplan.tax.estimates import (
        catch_up_payment,
        installment_due_dates,
        regular_installments,
        required_annual_payment,
        schedule_ai,
        underpayment_penalty,
        withholding_payments,
    )

    source, prior_tax, prior_agi = prior
    rap = required_annual_payment(tax, prior_tax or 0.0, prior_agi or 0.0, status, law=law, withholding=withholding,
                                  current_year_agi=agi, prior_year_return_filed=prior_tax is not None)
    regular = regular_installments(rap.amount, law)
    ai = schedule_ai(cumulative, ai_tax, required_annual_payment=rap.amount, tax_year=year, law=law,
                     not_annualized=_NOT_ANNUALIZED)
    payments = [*withholding_payments(withholding, year, law), *estimated]
    by_regular = underpayment_penalty(regular, payments, tax_year=year, law=law)
    by_annualized = underpayment_penalty(ai.required_installment, payments, tax_year=year, law=law)
    annualized_wins = _penalty_key(by_annualized) < _penalty_key(by_regular) - 0.005
    chosen = by_annualized if annualized_wins else by_regular
    required = ai.required_installment if annualized_wins else regular
    exempt = rap.exempt
    rows: list[InstallmentRow] = []
    for k, (due, column) in enumerate(zip(installment_due_dates(year, law), chosen.installments, strict=True)):
        since = rows[-1].due_date if k else None
        paid = sum((p.amount for p in payments if p.date <= due.due and (since is None or p.date > since)), 0.0)
        rows.append(InstallmentRow(
            installment=due.installment, statutory_date=due.statutory, due_date=due.due, moved_because=due.reason,
            regular_required=round(float(regular[k]), 2),
            annualized_required=round(float(ai.required_installment[k]), 2),
            required=round(float(required[k]), 2), paid=round(paid, 2),
            underpayment=0.0 if exempt else round(column.underpayment, 2),
            penalty=0.0 if exempt else _cents(column.penalty),
        ))
    catch = catch_up_payment(required, payments, today, tax_year=year, law=law)
    catch_up = None
    if catch is not None:
        due, amount = catch
        catch_up = {"installment": due.installment, "due_date": due.due, "amount": round(amount, 2),
                    "method": "annualized" if annualized_wins else "regular"}
    penalty = 0.0 if exempt else chosen.penalty
    if exempt:
        why = "the tax less withholding is under the small-balance amount" if rap.small_balance_exception else \
            "last year was a full year with no tax liability"
        notes.append(f"{law.form}: no addition to tax: {why} ({law.citation('small_balance_exception')})")
    if penalty is None:
        notes.append(f"{law.form}: the underpayments and their days are shown; the penalty is interest at the "
                     f"California rate (R&TC §19521), which isoplan's law data does not hold: figure it on {law.form}")
    if chosen.assumed_rate_quarters:
        notes.append(f"{law.form}: underpayment rates not yet published for {', '.join(chosen.assumed_rate_quarters)}"
                     f": the last published rate is assumed")
    return JurisdictionEstimates(
        jurisdiction=law.jurisdiction,
        form=law.form,
        tax=tax,
        agi=agi,
        prior_year_source=source,
        prior_year_tax=prior_tax,
        prior_year_agi=prior_agi,
        required_annual_payment={
            "current_year_part": _cents(rap.current_year_part), "current_year_fraction": law.current_year_fraction,
            "prior_year_part": _cents(rap.prior_year_part), "prior_year_fraction": rap.prior_year_fraction,
            "amount": _cents(rap.amount), "balance_due": _cents(rap.balance_due),
            "small_balance_exception": rap.small_balance_exception,
            "no_prior_year_liability_exception": rap.no_prior_year_liability_exception,
        },
        withholding=withholding,
        estimated_payments=tuple({"date": p.date, "amount": p.amount} for p in estimated),
        installments=tuple(rows),
        schedule_ai={
            "period_ends": list(ai.period_ends),
            "factors": ai.factors.tolist(),
            "annualized_agi": _annualized_agi(ai.annualized_items),
            "line19_annualized_tax": _cents_list(ai.annualized_tax),
            "line20_applicable_percentage": ai.applicable_percentage.tolist(),
            "line21": _cents_list(ai.annualized_amount),
            "line23": _cents_list(ai.annualized_installment),
            "line24_regular_installment": _cents_list(ai.regular_installment),
            "line26": _cents_list(ai.regular_plus_carried),
            "line27_required_installment": _cents_list(ai.required_installment),
        },
        method="annualized" if annualized_wins else "regular",
        penalty_regular=0.0 if exempt else _cents(by_regular.penalty),
        penalty_annualized=0.0 if exempt else _cents(by_annualized.penalty),
        penalty=_cents(penalty),
        exempt=exempt,
        catch_up=catch_up,
        assumed_rate_quarters=chosen.assumed_rate_quarters,
        notes=tuple(notes),
    )


def _annualized_agi(items: Mapping[str, Any]) -> list[float]:
    """Schedule AI line 3 as the engine's inputs make it up (capital gains before the §1211(b) limit)."""
    names = ("wages", "nso_income", "taxable_interest", "ordinary_dividends", "other_ordinary_income",
             "short_term_gain", "long_term_gain")
    total = sum(items[n] for n in names if n in items)
    carry = sum(items[n] for n in ("short_term_loss_carryover", "long_term_loss_carryover") if n in items)
    return _cents_list(total - carry)


def _prior(given_tax: Any, given_agi: Any, prior_row: LedgerYear | None, *, california: bool,
           labels: tuple[str, str]) -> tuple[str, float | None, float | None]:
    tax_label, agi_label = labels
    if given_tax is not None or given_agi is not None:
        if given_tax is None:
            raise InputError(tax_label, None, f"last year's tax as filed, given with {agi_label}")
        tax = money(tax_label, given_tax)
        agi = money(agi_label, given_agi, minimum=-MAX_MONEY) if given_agi is not None else 0.0
        return "given", tax, agi
    if prior_row is not None and prior_row.entered:
        if california and prior_row.california:
            return "ledger", prior_row.ca_outputs["ca_total_tax"], prior_row.ca_outputs["ca_agi"]
        if not california:
            return "ledger", prior_row.outputs["total_tax"], prior_row.outputs["agi"]
    return "none", None, None


def estimates(db: Path, req: EstimatesRequest, *, labels: Labels | None = None) -> EstimatesResult:
    """The year's estimated tax: required annual payment, installments, Schedule AI, penalty, catch-up."""
    from isoplan.ledger.store import Ledger
    from isoplan.tax.estimates import CALIFORNIA, FEDERAL, annualization_period_ends, estimate_law

    label = _label(labels, "year")
    year = tax_year(label, req.year)
    today = datetime.date.today() if req.today is None else iso_date(_label(labels, "today"), req.today)
    payments = _payments(_label(labels, "payments"), req.payments, year)
    ca_payments = _payments(_label(labels, "ca_payments"), req.ca_payments, year)
    wages = _cumulative_wages(_label(labels, "cumulative_wages"), req.cumulative_wages)
    fed_prior_labels = (_label(labels, "prior_year_tax"), _label(labels, "prior_year_agi"))
    ca_prior_labels = (_label(labels, "ca_prior_year_tax"), _label(labels, "ca_prior_year_agi"))
    for value, name in ((req.prior_year_tax, fed_prior_labels[0]), (req.ca_prior_year_tax, ca_prior_labels[0])):
        if value is not None:
            money(name, value)
    with Ledger.open(db) as book:
        rows, _ = _ledger_years(book)
        row = _ledger_row(rows, year, label)
        lots, sales = book.lots(), book.sales()
        entered = book.years(withholding=True).get(year, ("", {}))[1]
    prior_row = next((r for r in rows if r.year == year - 1), None)
    from isoplan.ledger.store import CA_INCOME_FIELDS, WITHHOLDING_INCOME_FIELDS

    entry = {k: float(v) for k, v in entered.items()
             if k not in (*CA_INCOME_FIELDS, *WITHHOLDING_INCOME_FIELDS, "amt_credit_carryforward")}
    federal_law = estimate_law(FEDERAL)
    ends = annualization_period_ends(year, federal_law)
    cumulative = period_inputs(lots, sales, entry, row, ends, cumulative_wages=wages)
    fed_prior = _prior(req.prior_year_tax, req.prior_year_agi, prior_row, california=False, labels=fed_prior_labels)
    fed_notes = _prior_notes(fed_prior, year, federal_law, fed_prior_labels[0])
    if row.projected:
        fed_notes.append(f"{year} is a projected year: its tax uses projected law")
    federal = _jurisdiction(federal_law, year, row.filing_status, row.outputs["total_tax"], row.outputs["agi"],
                            fed_prior, float(entered.get("federal_withholding", 0)), payments,
                            _federal_tax_function(year, row.filing_status), cumulative, today, fed_notes)
    california = None
    if row.california:
        ca_law = estimate_law(CALIFORNIA)
        ca_prior = _prior(req.ca_prior_year_tax, req.ca_prior_year_agi, prior_row, california=True,
                          labels=ca_prior_labels)
        ca_notes = _prior_notes(ca_prior, year, ca_law, ca_prior_labels[0])
        if ca_law.prior_year_limit_agi is not None:
            from isoplan.tax.law import STATUS_CODE

            limit = ca_law.prior_year_limit_agi[STATUS_CODE[row.filing_status]]
            if row.ca_outputs["ca_agi"] >= limit:
                ca_notes.append(f"California AGI of ${limit:,.0f} or more: the prior-year safe harbor does not "
                                f"apply; only {ca_law.current_year_fraction:.0%} of this year's tax does "
                                f"({ca_law.citation('prior_year_safe_harbor_limit')})")
        property_tax = float(row.ca_inputs.get("property_tax", 0.0))
        shares = [end.month / _MONTHS_IN_YEAR * property_tax for end in ends]
        ca_tax = _california_tax_function(year, row.filing_status, shares, float(row.ftb3510["credit_available"]))
        california = _jurisdiction(ca_law, year, row.filing_status, row.ca_outputs["ca_total_tax"],
                                   row.ca_outputs["ca_agi"], ca_prior, float(entered.get("ca_withholding", 0)),
                                   ca_payments, ca_tax, cumulative, today, ca_notes)
    elif req.ca_payments or req.ca_prior_year_tax is not None:
        raise InputError(_label(labels, "ca_payments") if req.ca_payments else ca_prior_labels[0],
                         (req.ca_payments or (req.ca_prior_year_tax,))[0],
                         f"used only for a California year ({year}'s state is {row.state or 'none'})")
    return EstimatesResult(year, row.filing_status, row.state, today, federal, california)


def _prior_notes(prior: tuple[str, float | None, float | None], year: int, law: EstimateLaw,
                 flag: str) -> list[str]:
    source = prior[0]
    if source == "ledger":
        return [f"{law.form}: last year's tax and AGI are the ledger's {year - 1} figures; give {flag} if the "
                f"{year - 1} return as filed differs"]
    if source == "none":
        return [f"{law.form}: no {year - 1} return in the ledger: only {law.current_year_fraction:.0%} of this "
                f"year's tax counts; give {flag} (and its AGI) for the prior-year safe harbor "
                f"({law.citation('required_annual_payment')})"]
    return []


# ---------------------------------------------------------------- the calendar, with the installments


def installment_events(db: Path, through: int, *, today: datetime.date | None = None) -> list[Event]:
    """One event per estimated-tax installment still to pay, on or after ``today``, for each ledger year up to
    ``through`` whose income entry holds the year's withholding (without it every installment would look
    unpaid): the amount required by the method with the smaller penalty, less what withholding and payments
    cover by then (IRC §6654(c)-(d); R&TC §19136.1 for California)."""
    from isoplan.ledger.store import WITHHOLDING_INCOME_FIELDS, Ledger
    from isoplan.report.calendar import Event

    day = datetime.date.today() if today is None else today
    with Ledger.open(db) as book:
        rows, _ = _ledger_years(book)
        entered = book.years(withholding=True)
    events: list[Event] = []
    for row in rows:
        amounts = entered.get(row.year, ("", {}))[1]
        if not row.entered or row.year > through or not any(k in amounts for k in WITHHOLDING_INCOME_FIELDS):
            continue
        result = estimates(db, EstimatesRequest(year=row.year, today=day))
        for part in (result.federal, result.california):
            if part is None or part.exempt:
                continue
            for inst in part.installments:
                owed = round(inst.required - inst.paid, 2)
                if owed <= 0 or inst.due_date < day:
                    continue
                events.append(Event(
                    inst.due_date,
                    f"{part.jurisdiction} estimated tax for {row.year}: pay ${owed:,.0f} "
                    f"(installment {inst.installment})",
                    f"Installment {inst.installment} of {row.year}'s {part.jurisdiction} estimated tax "
                    f"({part.form}): ${inst.required:,.2f} required by {inst.due_date.isoformat()}, "
                    f"${inst.paid:,.2f} covered by withholding and payments so far. Paying the difference by this "
                    "date avoids the underpayment penalty on it (IRC §6654; California R&TC §19136).",
                    f"estimate:{part.jurisdiction}:{row.year}:{inst.installment}",
                ))
    return events


def calendar(db: Path, req: CalendarRequest | None = None, *, labels: Labels | None = None) -> CalendarResult:
    """The ledger's calendar (:func:`isoplan.app.ledger.calendar`) with the estimated-tax installments still
    to pay and their amounts."""
    from isoplan.app import ledger

    request = req or CalendarRequest()
    return ledger.calendar(db, request, labels=labels,
                           extra_events=lambda through: installment_events(db, through, today=request.today))
