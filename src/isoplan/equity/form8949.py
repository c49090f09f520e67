"""Reporting sales of option stock: Form 8949 rows on both bases, Schedule D totals, Form 3921.

A broker's Form 1099-B shows the price paid (strike x shares) as the basis of stock
from a compensatory option granted on or after the date in ``form8949.toml``
(Treas. Reg. §1.6045-1(d)(6)(ii)(C)). Where the compensation income is already on
the W-2 (a disqualifying disposition of ISO stock, or NSO stock), the regular Form
8949 keeps the 1099-B basis in column (e), enters code B in column (f) and a
negative column (g) adjustment equal to that income, so it is not taxed twice
(Instructions for Form 8949, code B).

The AMT Form 8949 and Schedule D are kept with the return, not filed (Instructions
for Form 6251): they show each sale at its AMT basis (IRC §56(b)(3)), so no code B
adjustment is needed; the difference from the regular gain is Form 6251 line 2k.

Pure functions over :class:`~isoplan.equity.records.Lot`,
:class:`~isoplan.equity.records.Sale` and the
:class:`~isoplan.equity.disposition.Disposition` of :func:`~isoplan.equity.disposition.dispose`.
Amounts are exact :class:`~decimal.Decimal` dollars and cents.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from isoplan.equity.disposition import Disposition, sale_flags
from isoplan.equity.records import ISO, ZERO, Lot, Sale
from isoplan.errors import InputError

_LAW_FILE = Path(__file__).with_name("form8949.toml")
CENT = Decimal("0.01")
REGULAR = "regular"
AMT = "amt"
SHORT = "short"
LONG = "long"


@functools.lru_cache(maxsize=1)
def reporting_law() -> dict[str, Any]:
    """The codes, boxes, lines and dates of ``form8949.toml`` (every table cited)."""
    data = tomllib.loads(_LAW_FILE.read_text(encoding="utf-8"))
    for name, table in data.items():
        if not table.get("citation"):
            raise ValueError(f"form8949.toml [{name}] has no citation")
    return data


def _cents(amount: float | Decimal) -> Decimal:
    return Decimal(repr(round(float(amount), 2))).quantize(CENT)


# ---------------------------------------------------------------- Form 8949 rows


@dataclass(frozen=True)
class Form8949Row:
    """One line of Form 8949 (columns (a)-(h)) for one sale, on the regular or the AMT basis."""

    basis: str  # "regular" or "amt"
    box: str  # A-C short-term, D-F long-term
    term: str  # "short" or "long"
    description: str  # (a)
    date_acquired: date  # (b)
    date_sold: date  # (c)
    proceeds: Decimal  # (d)
    cost_basis: Decimal  # (e): as the broker reports it on the regular form; the AMT basis on the AMT form
    code: str  # (f)
    adjustment: Decimal  # (g)
    gain: Decimal  # (h) = (d) - (e) + (g)
    ordinary_income: Decimal  # compensation in the same year's income (W-2 box 1), not on Form 8949
    sale_id: str
    lot_id: str

    @property
    def schedule_d_line(self) -> str:
        return str(reporting_law()["schedule_d_lines"][self.box])


def broker_reports_price_paid(lot: Lot) -> bool:
    """Whether the 1099-B basis must be the price paid, without the compensation income
    (options granted on or after the date of Treas. Reg. §1.6045-1(d)(6)(ii)(C))."""
    start = date.fromisoformat(reporting_law()["broker_basis"]["options_granted_from"])
    return lot.grant_date >= start


def broker_basis(lot: Lot, sale: Sale) -> Decimal:
    """The basis a broker reports on Form 1099-B for the shares sold: the price paid (strike x
    shares). For an option granted before the date of Treas. Reg. §1.6045-1(d)(6)(ii)(C) the
    broker may have added the compensation; pass the 1099-B amount to :func:`regular_row` then."""
    return (lot.strike * sale.shares).quantize(CENT)


def box_for(term: str, *, basis_reported_to_irs: bool = True, received_1099b: bool = True) -> str:
    """The Form 8949 check box: A/D when the basis was reported to the IRS, B/E when not,
    C/F without a Form 1099-B (short-term / long-term, IRC §1222)."""
    boxes = reporting_law()["boxes"]
    which = "basis_reported" if basis_reported_to_irs else "basis_not_reported"
    if not received_1099b:
        which = "no_1099b"
    return str(boxes[f"{term}_{which}"])


def _description(lot: Lot, sale: Sale) -> str:
    return f"{sale.shares} sh {lot.company or lot.grant_id}"


def _check(lot: Lot, sale: Sale, disposition: Disposition) -> None:
    if disposition.sale_id != sale.id or disposition.lot_id != lot.id or sale.lot_id != lot.id:
        raise InputError("disposition", disposition.sale_id, f"the disposition of sale {sale.id} of lot {lot.id}")


def _codes(*codes: str) -> str:
    # several codes go in alphabetical order in column (f) (Instructions for Form 8949)
    return "".join(sorted(c for c in codes if c))


def regular_row(
    lot: Lot,
    sale: Sale,
    disposition: Disposition,
    *,
    reported_basis: Decimal | None = None,
    basis_reported_to_irs: bool = True,
    received_1099b: bool = True,
    disallowed_loss_code: str | None = None,
) -> Form8949Row:
    """The regular-tax Form 8949 row of one sale.

    Column (e) is the 1099-B basis (``reported_basis``, default :func:`broker_basis`); where the
    correct basis is more (the compensation already in income: the disqualifying-disposition
    income of IRC §421(b), or NSO income under Treas. Reg. §1.83-4(b)), column (f) has code B and
    column (g) the difference, negative. A loss disallowed on a wash sale or a related-party sale
    is added back in (g) with code W (``disallowed_loss_code`` = the L code for a related party).
    """
    _check(lot, sale, disposition)
    law = reporting_law()["codes"]
    flags = sale_flags(lot, sale.date)
    term = LONG if flags["long_term"] else SHORT
    proceeds = (sale.price * sale.shares).quantize(CENT)
    reported = broker_basis(lot, sale) if reported_basis is None else reported_basis.quantize(CENT)
    ordinary = _cents(disposition.regular_ordinary_income)
    correct = _cents(disposition.regular_basis) + ordinary
    disallowed = _cents(disposition.regular_disallowed_loss)
    adjustment = reported - correct + disallowed
    codes = _codes(
        law["basis_incorrect"] if reported != correct else "",
        (disallowed_loss_code or law["wash_sale"]) if disallowed else "",
    )
    return Form8949Row(
        basis=REGULAR,
        box=box_for(term, basis_reported_to_irs=basis_reported_to_irs, received_1099b=received_1099b),
        term=term,
        description=_description(lot, sale),
        date_acquired=lot.exercise_date if lot.kind == ISO else lot.income_date,
        date_sold=sale.date,
        proceeds=proceeds,
        cost_basis=reported,
        code=codes,
        adjustment=adjustment,
        gain=proceeds - reported + adjustment,
        ordinary_income=ordinary,
        sale_id=sale.id,
        lot_id=lot.id,
    )


def amt_row(
    lot: Lot,
    sale: Sale,
    disposition: Disposition,
    *,
    basis_reported_to_irs: bool = True,
    received_1099b: bool = True,
    disallowed_loss_code: str | None = None,
) -> Form8949Row:
    """The AMT Form 8949 row of one sale (kept with the return, Instructions for Form 6251).

    Column (e) is the AMT basis: the price paid plus the AMT adjustment (IRC §56(b)(3)); for
    shares sold in the year of the adjustment, the regular basis plus any compensation, which is
    income for both taxes (Instructions for Form 6251, line 2i). The holding period runs from
    the date the spread was measured (exercise, or vesting for unvested shares). No code B.
    """
    _check(lot, sale, disposition)
    law = reporting_law()["codes"]
    flags = sale_flags(lot, sale.date)
    long_term = flags["long_term"] if disposition.same_year else flags["amt_long_term"]
    term = LONG if long_term else SHORT
    proceeds = (sale.price * sale.shares).quantize(CENT)
    ordinary = _cents(disposition.amt_ordinary_income)
    basis = _cents(disposition.amt_basis) + ordinary
    disallowed = _cents(disposition.amt_disallowed_loss)
    if disposition.same_year:
        acquired = lot.exercise_date if lot.kind == ISO else lot.income_date
    else:
        acquired = lot.measurement_date if lot.kind == ISO else lot.income_date
    return Form8949Row(
        basis=AMT,
        box=box_for(term, basis_reported_to_irs=basis_reported_to_irs, received_1099b=received_1099b),
        term=term,
        description=_description(lot, sale),
        date_acquired=acquired,
        date_sold=sale.date,
        proceeds=proceeds,
        cost_basis=basis,
        code=(disallowed_loss_code or law["wash_sale"]) if disallowed else "",
        adjustment=disallowed,
        gain=proceeds - basis + disallowed,
        ordinary_income=ordinary,
        sale_id=sale.id,
        lot_id=lot.id,
    )


def form8949_rows(
    lot: Lot,
    sale: Sale,
    disposition: Disposition,
    *,
    reported_basis: Decimal | None = None,
    basis_reported_to_irs: bool = True,
    received_1099b: bool = True,
    disallowed_loss_code: str | None = None,
) -> tuple[Form8949Row, Form8949Row]:
    """The regular and the AMT Form 8949 rows of one sale."""
    regular = regular_row(lot, sale, disposition, reported_basis=reported_basis,
                          basis_reported_to_irs=basis_reported_to_irs, received_1099b=received_1099b,
                          disallowed_loss_code=disallowed_loss_code)
    alternative = amt_row(lot, sale, disposition, basis_reported_to_irs=basis_reported_to_irs,
                          received_1099b=received_1099b, disallowed_loss_code=disallowed_loss_code)
    return regular, alternative


# ---------------------------------------------------------------- Schedule D


@dataclass(frozen=True)
class BoxTotal:
    """The totals of one Form 8949 box, carried to its Schedule D line."""

    box: str
    line: str
    rows: int
    proceeds: Decimal
    cost_basis: Decimal
    adjustment: Decimal
    gain: Decimal


@dataclass(frozen=True)
class ScheduleDTotals:
    """Schedule D Parts I and II from the Form 8949 rows of one basis (regular or AMT)."""

    basis: str
    boxes: tuple[BoxTotal, ...]
    short_term_carryover: Decimal  # line 6, a loss entered as a positive amount
    long_term_carryover: Decimal  # line 14
    net_short_term: Decimal  # line 7
    net_long_term: Decimal  # line 15
    net: Decimal  # line 16

    def box(self, box: str) -> BoxTotal | None:
        return next((b for b in self.boxes if b.box == box), None)


def schedule_d(
    rows: Iterable[Form8949Row],
    *,
    basis: str = REGULAR,
    short_term_carryover: Decimal = ZERO,
    long_term_carryover: Decimal = ZERO,
) -> ScheduleDTotals:
    """Schedule D totals of the ``basis`` rows: each box's totals (lines 1b-3, 8b-10), the net
    short-term (line 7) and long-term (line 15) gain after the carryovers (lines 6, 14), and
    line 16. On the AMT basis the carryovers are the AMT ones (a separate AMT Schedule D)."""
    lines = reporting_law()["schedule_d_lines"]
    chosen = [r for r in rows if r.basis == basis]
    boxes = []
    for box in sorted({r.box for r in chosen}):
        mine = [r for r in chosen if r.box == box]
        boxes.append(BoxTotal(
            box=box,
            line=str(lines[box]),
            rows=len(mine),
            proceeds=sum((r.proceeds for r in mine), ZERO),
            cost_basis=sum((r.cost_basis for r in mine), ZERO),
            adjustment=sum((r.adjustment for r in mine), ZERO),
            gain=sum((r.gain for r in mine), ZERO),
        ))
    short = sum((r.gain for r in chosen if r.term == SHORT), ZERO) - short_term_carryover
    long = sum((r.gain for r in chosen if r.term == LONG), ZERO) - long_term_carryover
    return ScheduleDTotals(
        basis=basis,
        boxes=tuple(boxes),
        short_term_carryover=short_term_carryover,
        long_term_carryover=long_term_carryover,
        net_short_term=short,
        net_long_term=long,
        net=short + long,
    )


# ---------------------------------------------------------------- Form 3921


@dataclass(frozen=True)
class Form3921:
    """Form 3921 (IRC §6039) as the corporation furnished it, boxes 1-6."""

    grant_date: date  # box 1
    exercise_date: date  # box 2
    exercise_price: Decimal  # box 3, per share
    fmv_at_exercise: Decimal  # box 4, per share
    shares: int  # box 5
    corporation: str = ""  # box 6, when it differs from the transferor

    @property
    def regular_basis(self) -> Decimal:
        """Box 3 x box 5: the price paid."""
        return self.exercise_price * self.shares

    @property
    def amt_basis(self) -> Decimal:
        """Box 4 x box 5: the AMT basis of shares vested at exercise (IRC §56(b)(3))."""
        return self.fmv_at_exercise * self.shares

    @property
    def spread(self) -> Decimal:
        """(Box 4 - box 3) x box 5: Form 6251 line 2i for vested shares held past the year end."""
        return max(self.fmv_at_exercise - self.exercise_price, ZERO) * self.shares


def form3921_for_lot(lot: Lot) -> Form3921:
    """The Form 3921 an ISO lot should have received (boxes 1-6 from the ledger)."""
    return Form3921(lot.grant_date, lot.exercise_date, lot.strike, lot.fmv_at_exercise, lot.shares, lot.company)


@dataclass(frozen=True)
class Form3921Check:
    """One box: what the form says and what the ledger holds."""

    box: str
    label: str
    on_form: str
    in_ledger: str
    matches: bool


@dataclass(frozen=True)
class Form3921Reconciliation:
    """A Form 3921 against its lot, box by box, with the bases the form implies."""

    lot_id: str
    checks: tuple[Form3921Check, ...]
    regular_basis: Decimal  # box 3 x box 5
    amt_basis: Decimal  # box 4 x box 5
    spread: Decimal  # (box 4 - box 3) x box 5
    ledger_amt_adjustment: Decimal  # the lot's AMT adjustment (measured at vesting for unvested shares)
    notes: tuple[str, ...]

    @property
    def matches(self) -> bool:
        return all(c.matches for c in self.checks)


def reconcile_form3921(lot: Lot, form: Form3921) -> Form3921Reconciliation:
    """Compare a received Form 3921 with the lot, box by box (boxes 1-6), and say where the AMT
    adjustment legitimately differs from the form's spread."""
    box6 = form.corporation.strip().casefold()
    checks = (
        Form3921Check("1", "date option granted", form.grant_date.isoformat(), lot.grant_date.isoformat(),
                      form.grant_date == lot.grant_date),
        Form3921Check("2", "date option exercised", form.exercise_date.isoformat(), lot.exercise_date.isoformat(),
                      form.exercise_date == lot.exercise_date),
        Form3921Check("3", "exercise price per share", str(form.exercise_price), str(lot.strike),
                      form.exercise_price == lot.strike),
        Form3921Check("4", "fair market value per share on exercise date", str(form.fmv_at_exercise),
                      str(lot.fmv_at_exercise), form.fmv_at_exercise == lot.fmv_at_exercise),
        Form3921Check("5", "number of shares transferred", str(form.shares), str(lot.shares),
                      form.shares == lot.shares),
        Form3921Check("6", "corporation whose stock was transferred", form.corporation, lot.company,
                      not box6 or not lot.company or box6 == lot.company.strip().casefold()),
    )
    notes = []
    if lot.kind != ISO:
        notes.append("Form 3921 reports ISO exercises (IRC §6039); this lot is NSO stock, whose income is on the W-2")
    if not lot.measured_at_exercise:
        notes.append(
            f"shares unvested at exercise without an §83(b) election: the AMT adjustment is measured at vesting "
            f"({lot.measurement_date.isoformat()}), not from box 4 (IRC §56(b)(3); Instructions for Form 6251, line 2i)"
        )
    return Form3921Reconciliation(
        lot_id=lot.id,
        checks=checks,
        regular_basis=form.regular_basis,
        amt_basis=form.amt_basis,
        spread=form.spread,
        ledger_amt_adjustment=lot.amt_adjustment,
        notes=tuple(notes),
    )
