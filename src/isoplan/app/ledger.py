"""The ledger's use cases: record grants, exercises, sales and income; list them; the years with the credit carried.

Each function takes the ledger's path (resolved by the caller: ``--db``,
``$ISOPLAN_DB`` or the default, :func:`isoplan.ledger.paths.resolve`) and a
typed request, checks every user value before anything is written (a bad
value raises :class:`InputError` naming the field), opens the ledger, does
its work in the store's one write transaction, closes the ledger, and
returns a frozen record whose ``as_dict()`` (``as_list()`` for a list) is
the JSON of ``isoplan ledger ... --json``.

``labels`` (optional on every writing use case) names the fields as the
caller shows them, e.g. ``{"date": "--date"}`` on the command line, so an
error names the flag the user typed; without it the request's field names
are used (as the web app's form fields are).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from isoplan.app.common import MAX_MONEY, MAX_SHARES, fraction, iso_date, plain, record_dict, tax_years, whole
from isoplan.equity.disposition import Disposition, dispose
from isoplan.equity.iso_limit import TrancheSplit, iso_nso_split
from isoplan.equity.records import Grant, Lot, Sale, VestingTranche, to_decimal, to_kind, to_shares, vesting_schedule
from isoplan.errors import InputError
from isoplan.files import check_output, check_output_dir, write_text
from isoplan.ledger.store import COUNT_INCOME_FIELDS, FILING_STATUSES, INCOME_FIELDS, Ledger
from isoplan.ledger.years import LedgerYear

if TYPE_CHECKING:
    from isoplan.report.calendar import Event
    from isoplan.tax.amendment import UnclaimedCredit

__all__ = [
    "AddGrantRequest", "CalendarRequest", "CalendarResult", "ExerciseRequest", "ExportRequest", "ExportResult",
    "GrantAdded", "GrantRow", "GrantsResult", "ImportResult", "IncomeRequest", "IncomeResult", "LedgerInfo",
    "LedgerOverview", "LotRow", "LotsResult", "SaleRow", "SalesResult", "SellRequest", "VestSchedule",
    "VestingOptions", "YearsRequest", "YearsResult",
    "add_grant", "calendar", "exercise", "export", "grants", "import_3921", "import_export", "import_export_data",
    "init", "lots", "other_state_note", "overview", "sales", "sell", "set_income", "vest_schedule", "vesting_fmv",
    "years",
]

Labels = Mapping[str, str]

#: Longest vesting schedule accepted (20 years): twice the longest ISO term (IRC §422(b)(3)), with room to spare.
MAX_VESTING_MONTHS = 240
#: Vesting periods by name (months between tranches).
VESTING_PERIODS = {"monthly": 1, "quarterly": 3}
EXERCISE_KINDS = ("auto", "iso", "nso")
DEDUCTIONS = ("auto", "standard", "itemized")


def other_state_note(state: str) -> str:
    """What a state isoplan does not model means for the figures (one wording, from the registry of states)."""
    from isoplan.app.household import other_state_note as note

    return note(state)


# ---------------------------------------------------------------- checking user values


def _label(labels: Labels | None, name: str) -> str:
    return (labels or {}).get(name, name)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _required(labels: Labels | None, name: str, value: Any, what: str) -> str:
    text = _text(value)
    if not text:
        raise InputError(_label(labels, name), None, what)
    return text


def _optional(value: Any) -> Any:
    """None for a value not given (None or blank text)."""
    return None if value is None or (isinstance(value, str) and not value.strip()) else value


def _amount(label: str, value: Any, *, negative: bool = False) -> Decimal:
    """An exact dollar amount or price: a finite number, at least 0 unless ``negative``, at most $1 trillion."""
    number = to_decimal(value, label, minimum=None if negative else Decimal(0))
    if abs(number) > Decimal(MAX_MONEY):
        raise InputError(label, value, f"a number of at most {MAX_MONEY:,.0f} in size")
    return number


def _shares(label: str, value: Any, *, minimum: int = 1) -> int:
    shares = to_shares(value, label, minimum=minimum)
    if shares > MAX_SHARES:
        raise InputError(label, value, f"a whole number of shares, at most {MAX_SHARES:,}")
    return shares


def _date(label: str, value: Any) -> date:
    return iso_date(label, value)


def _optional_date(label: str, value: Any) -> date | None:
    value = _optional(value)
    return None if value is None else _date(label, value)


def _year(label: str, value: Any) -> int:
    """A tax year the law data covers (:func:`isoplan.app.common.tax_years`)."""
    years = tax_years()
    allowed = f"a tax year from {years.start} to {years.stop - 1}"
    if value is None or isinstance(value, bool):
        raise InputError(label, value, allowed)
    try:
        year = int(str(value).strip())
    except ValueError:
        raise InputError(label, value, allowed) from None
    if year not in years:
        raise InputError(label, value, allowed)
    return year


def _state(label: str, value: Any) -> str | None:
    """None: leave the year's state as it is; ``""``: federal only (given as blank or ``none``); else a code."""
    if value is None:
        return None
    code = str(value).strip().upper()
    if code in ("", "NONE"):
        return ""
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise InputError(label, value, "a two-letter state code such as CA, or none for federal only")
    return code


@contextmanager
def _open(db: Path, *, create: bool = False) -> Iterator[Ledger]:
    """The open ledger; an SQLite error while using it (a damaged page, a read-only file) becomes one line."""
    import sqlite3

    from isoplan.ledger.db import file_error

    with Ledger.open(db, create=create) as book:
        try:
            yield book
        except sqlite3.Error as err:
            raise file_error(db, err) from None


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class LedgerInfo:
    """Where the ledger is and its schema version (``isoplan ledger init``)."""

    path: str
    schema_version: int

    def as_dict(self) -> dict[str, Any]:
        return record_dict(self)


@dataclass(frozen=True)
class LotRow:
    """A lot with what it still holds; the JSON adds its derived bases, AMT adjustment and dates."""

    lot: Lot
    held: int

    def as_dict(self) -> dict[str, Any]:
        lot = self.lot
        out: dict[str, Any] = plain({
            "id": lot.id, "grant_id": lot.grant_id, "company": lot.company, "kind": lot.kind,
            "kind_reason": lot.kind_reason, "grant_date": lot.grant_date, "exercise_date": lot.exercise_date,
            "shares": lot.shares, "held": self.held, "strike": lot.strike, "fmv_at_exercise": lot.fmv_at_exercise,
            "vesting_date": lot.vesting_date, "fmv_at_vesting": lot.fmv_at_vesting,
            "election_83b_date": lot.election_83b_date, "regular_basis": lot.regular_basis,
            "amt_basis": lot.amt_basis, "amt_adjustment": lot.amt_adjustment,
            "amt_adjustment_year": lot.amt_adjustment_year, "nso_ordinary_income": lot.nso_ordinary_income,
            "nso_income_year": lot.nso_income_year, "qualifying_date": lot.qualifying_date,
            "long_term_date": lot.long_term_date, "vesting_fmv_missing": lot.vesting_fmv_missing,
        })
        return out


@dataclass(frozen=True)
class LotsResult:
    """Lots (``ledger lots``; or the ones an exercise, a vesting FMV or a Form 3921 import wrote)."""

    lots: tuple[LotRow, ...]

    def as_list(self) -> list[dict[str, Any]]:
        return [row.as_dict() for row in self.lots]


@dataclass(frozen=True)
class SaleRow:
    """A sale and its tax results (regular and AMT gain, Form 6251 lines 2i and 2k)."""

    sale: Sale
    tax: Disposition

    def as_dict(self) -> dict[str, Any]:
        return record_dict(self.sale) | {"tax": dict(self.tax.__dict__)}


@dataclass(frozen=True)
class SalesResult:
    sales: tuple[SaleRow, ...]

    def as_list(self) -> list[dict[str, Any]]:
        return [row.as_dict() for row in self.sales]


@dataclass(frozen=True)
class GrantRow:
    """A grant, how its vesting was given, where it came from, the shares exercised so far, and notes
    (an ISO priced below its grant-date FMV: kept under the good-faith rule, or recorded before the check)."""

    grant: Grant
    vesting_rule: str
    source: str
    exercised: int
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return record_dict(self.grant) | {"vesting_rule": self.vesting_rule, "source": self.source,
                                          "exercised": self.exercised, "notes": list(self.notes)}


def _grant_notes(grant: Grant, unstated: bool) -> tuple[str, ...]:
    """What an ISO priced below its grant-date FMV means (IRC §422(b)(4), §422(c)(1))."""
    if not grant.priced_below_fmv_in_good_faith:
        return ()
    below = f"ISO priced at {grant.strike} below its grant-date FMV {grant.fmv_at_grant}"
    if unstated:
        return (f"{below}, recorded before isoplan checked IRC §422(b)(4): kept as an ISO as recorded, but an "
                "option priced below the grant-date FMV is an ISO only if the good-faith valuation rule of "
                "IRC §422(c)(1) applies; if it does not, the option is an NSO (re-record the grant as NSO).",)
    return (f"{below}: kept as an ISO because the good-faith valuation rule of IRC §422(c)(1) is stated to "
            "apply (Treas. Reg. §1.422-2(e)(2)).",)


@dataclass(frozen=True)
class GrantsResult:
    grants: tuple[GrantRow, ...]

    def as_list(self) -> list[dict[str, Any]]:
        return [row.as_dict() for row in self.grants]


@dataclass(frozen=True)
class VestSchedule:
    """Each tranche's vesting date and its ISO / NSO shares under the IRC §422(d) $100,000 limit."""

    tranches: tuple[TrancheSplit, ...]

    def as_list(self) -> list[dict[str, Any]]:
        return [record_dict(split) for split in self.tranches]  # NaN room (an NSO grant) becomes null


@dataclass(frozen=True)
class GrantAdded:
    """A grant recorded, the rule its vesting came from, and its schedule."""

    grant_id: str
    vesting_rule: str
    schedule: VestSchedule

    def as_list(self) -> list[dict[str, Any]]:
        return self.schedule.as_list()


@dataclass(frozen=True)
class IncomeResult:
    """A year's filing status, income entry and state of residence, as stored."""

    year: int
    filing_status: str
    income: Mapping[str, Decimal]
    state: str | None

    @property
    def state_note(self) -> str | None:
        """The note for a state other than California (None for CA or federal only)."""
        return other_state_note(self.state) if self.state and self.state != "CA" else None

    def as_dict(self) -> dict[str, Any]:
        return {"year": self.year, "filing_status": self.filing_status, "income": plain(dict(self.income)),
                "state": self.state}


def _state_json(row: LedgerYear, *, explain: bool) -> dict[str, Any]:
    """A year of the ledger in a modeled state: the state's return outputs and its AMT credit (California:
    Form 540 / Schedule P (540) and FTB 3510)."""
    sy = row.state_year
    assert sy is not None
    state, c = sy.jurisdiction, sy.outputs
    out: dict[str, Any] = {
        "projected": sy.projected,
        "inputs": dict(sy.inputs),
        "outputs": {k: c[k] for k in state.outputs},
        "deduction_kind": "itemized" if c[state.credit_lines.itemized] else "standard",
        "credit_created": sy.credit_created,
        "credit_used": sy.credit_used,
        "credit_carried_forward": sy.credit_carried_forward,
        f"federal_plus_{state.key}": row.outputs["total_tax"] + c[state.credit_lines.total_tax],
        "notes": sy.notes,
    }
    if explain:
        out[re.sub(r"[^a-z0-9]", "", state.credit_form.lower())] = dict(sy.credit_lines)
        out["lines"] = [r.__dict__ for r in state.explain_rows(sy.result, 0)]
    return out


#: (carried in, carried out) by character and basis: Schedule D lines 6 and 14 and the Capital Loss Carryover
#: Worksheet lines 8 and 13, regular and refigured for the AMT (IRC §1212(b))
_LOSS_CARRYOVERS = (
    ("short_term", "short_term_loss_carryover", "short_term_loss_carryover_out"),
    ("long_term", "long_term_loss_carryover", "long_term_loss_carryover_out"),
    ("amt_short_term", "amt_short_term_loss_carryover", "amt_short_term_loss_carryover_out"),
    ("amt_long_term", "amt_long_term_loss_carryover", "amt_long_term_loss_carryover_out"),
)


def _loss_carryovers(row: LedgerYear) -> dict[str, dict[str, float]]:
    """The capital loss carried into and out of a year on both bases (an AMT carryover not entered is the
    regular one, as the engine takes it)."""
    from isoplan.tax.fields import AMT_BASIS_DEFAULTS

    def carried_in(name: str) -> float:
        value = row.inputs.get(name)
        if value is None and name in AMT_BASIS_DEFAULTS:
            value = row.inputs.get(AMT_BASIS_DEFAULTS[name])
        return float(value or 0.0)

    return {"in": {key: carried_in(name) for key, name, _ in _LOSS_CARRYOVERS},
            "out": {key: row.outputs[out] for key, _, out in _LOSS_CARRYOVERS}}


def year_json(row: LedgerYear, *, explain: bool) -> dict[str, Any]:
    """One year of ``ledger years --json``: inputs, option items, outputs, the Form 8801 credit, California."""
    from isoplan.tax.explain import OUTPUTS, explain_row

    out: dict[str, Any] = {
        "year": row.year, "filing_status": row.filing_status, "projected": row.projected,
        "income_entered": row.entered, "inputs": plain({k: float(v) for k, v in row.inputs.items()}),
        "option_items": {k: v for k, v in row.items.__dict__.items() if k not in ("year", "notes")},
        "outputs": {k: row.outputs[k] for k in OUTPUTS},
        "credit_created": row.credit_created,
        "credit_used": row.form8801["line25"],
        "credit_carried_forward": row.form8801["line26"],
        "capital_loss_carryovers": _loss_carryovers(row),
        "notes": row.notes,
    }
    if explain:
        out["form8801"] = row.form8801
        out["lines"] = [r.__dict__ for r in explain_row(row.result, 0)]
    out["state"] = row.state
    if row.state_year is None:
        out["california"] = None
    else:
        out[row.state_year.jurisdiction.key] = _state_json(row, explain=explain)
    return out


@dataclass(frozen=True)
class YearsResult:
    """Every year's tax with the ledger's items and the minimum tax credit carried (Form 8801), and the credit
    the carryforwards entered leave unclaimed (federal and California)."""

    rows: tuple[LedgerYear, ...]
    notes: tuple[str, ...]
    explain: bool = False
    unclaimed: tuple[UnclaimedCredit, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"years": [year_json(r, explain=self.explain) for r in self.rows], "notes": list(self.notes),
                "unclaimed_credit": [record_dict(u) for u in self.unclaimed]}


def unclaimed_credits(rows: Sequence[LedgerYear], income: Mapping[int, tuple[str, Mapping[str, Decimal]]],
                      today: date) -> tuple[UnclaimedCredit, ...]:
    """The credit the history allows but the carryforwards entered leave unclaimed, federal then California.

    The federal chain is Form 8801 from the ledger's first year; the California one FTB 3510 over the
    years whose state is CA. A year is compared only where its carryforward was entered.
    """
    from isoplan.tax.amendment import CreditYear, unclaimed_credit
    from isoplan.tax.estimates import CALIFORNIA, FEDERAL

    def entered(year: int, name: str) -> float | None:
        value = income.get(year, ("", {}))[1].get(name)
        return None if value is None else float(value)

    federal = [CreditYear(r.year, r.form8801["line24"], r.form8801["line25"], max(r.form8801["line21"], 0.0),
                          r.credit_created, entered(r.year, "amt_credit_carryforward")) for r in rows]
    out = unclaimed_credit(federal, today, FEDERAL,
                           initial_carryforward=federal[0].entered or 0.0 if federal else 0.0)
    ca_rows = [r for r in rows if r.california]
    california = [CreditYear(r.year, r.ftb3510["credit_limit"], r.ftb3510["credit_used"],
                             max(r.ftb3510["credit_available"], 0.0), r.ca_credit_created,
                             entered(r.year, "ca_amt_credit_carryforward")) for r in ca_rows]
    out += unclaimed_credit(california, today, CALIFORNIA,
                            initial_carryforward=california[0].entered or 0.0 if california else 0.0)
    return tuple(out)


@dataclass(frozen=True)
class LedgerOverview:
    """The whole ledger for the web app: grants, lots, sales, and each year explained."""

    path: str
    exists: bool
    grants: GrantsResult = GrantsResult(())
    lots: LotsResult = LotsResult(())
    sales: SalesResult = SalesResult(())
    years: YearsResult = YearsResult((), (), explain=True)

    def as_dict(self) -> dict[str, Any]:
        years = self.years.as_dict()
        out = {"path": self.path, "exists": self.exists, "grants": self.grants.as_list(),
               "lots": self.lots.as_list(), "sales": self.sales.as_list(), "years": years["years"],
               "notes": years["notes"]}
        if years["unclaimed_credit"]:  # only a ledger with credit left on the table has the key
            out["unclaimed_credit"] = years["unclaimed_credit"]
        return out


@dataclass(frozen=True)
class ExportResult:
    """The export as JSON text, and the files written (the JSON file, the CSVs)."""

    text: str
    out: str | None = None
    csv_dir: str | None = None
    csv_files: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportResult:
    """How many of each were imported."""

    counts: Mapping[str, int]

    def as_dict(self) -> dict[str, Any]:
        return dict(self.counts)


@dataclass(frozen=True)
class CalendarResult:
    """The iCalendar text (RFC 5545) and how many events it holds."""

    ics: str
    events: int


# ---------------------------------------------------------------- requests


@dataclass(frozen=True)
class VestingOptions:
    """How a grant vests: at grant, explicit ``DATE:SHARES`` tranches, or months / cliff / period from a start."""

    vested: bool = False
    tranches: tuple[str, ...] = ()
    start: Any = None  # vesting commencement date (default: the grant date)
    months: Any = 48
    cliff_months: Any = 12
    every: Any = "monthly"  # monthly, quarterly, or a number of months


@dataclass(frozen=True)
class AddGrantRequest:
    id: Any
    company: Any
    kind: Any
    date: Any
    shares: Any
    strike: Any
    fmv: Any = None  # default: the strike
    expires: Any = None  # default: the longest ISO term after the grant (IRC §422(b)(3))
    vesting: VestingOptions = VestingOptions()
    early_exercise: bool = False
    post_termination_months: Any = None
    post_termination_days: Any = None
    #: the option price was set in a good-faith attempt to meet the grant-date FMV (IRC §422(c)(1))
    good_faith_valuation: bool = False


@dataclass(frozen=True)
class ExerciseRequest:
    id: Any
    grant: Any
    date: Any
    shares: Any
    fmv: Any
    kind: Any = "auto"
    election_83b: Any = None
    fmv_at_vesting: Any = None
    terminated: Any = None
    termination_reason: Any = "left"


@dataclass(frozen=True)
class SellRequest:
    id: Any
    date: Any
    shares: Any
    price: Any
    lot: Any = None
    grant: Any = None
    wash_sale: bool = False


@dataclass(frozen=True)
class IncomeRequest:
    """``state``: None leaves the year's state; blank or ``none`` makes it federal only; else a two-letter code."""

    year: Any
    filing_status: Any = None
    amounts: Mapping[str, Any] = field(default_factory=dict)
    state: Any = None
    clear: bool = False


@dataclass(frozen=True)
class YearsRequest:
    explain: bool = False
    inflation: Any = None
    deduction: str = "auto"
    today: date | None = None  # whether a claim period is still open (default: today)


@dataclass(frozen=True)
class ExportRequest:
    out: str | None = None  # where the JSON goes (None: only returned)
    csv_dir: str | None = None  # also write one CSV per table here


@dataclass(frozen=True)
class CalendarRequest:
    through: Any = None  # last year of year-end reminders (default: this year or the last qualifying year)
    today: date | None = None
    out: str | None = None  # where the .ics goes (None: only returned)


# ---------------------------------------------------------------- use cases


def init(db: Path) -> LedgerInfo:
    """Create the ledger file, or bring its schema up to date."""
    with _open(db, create=True) as book:
        return LedgerInfo(str(book.path), book.schema_version())


def _vesting(options: VestingOptions, shares: int, grant_date: date,
             labels: Labels | None) -> tuple[tuple[VestingTranche, ...], str]:
    if options.vested:
        return (VestingTranche(grant_date, shares),), "vested at grant"
    if options.tranches:
        name = _label(labels, "tranche")
        explicit = []
        for text in options.tranches:
            day, sep, count = str(text).partition(":")
            if not sep:
                raise InputError(name, text, "DATE:SHARES, e.g. 2026-01-15:1000")
            explicit.append(VestingTranche(_date(f"{name} date", day), _shares(f"{name} shares", count)))
        explicit.sort(key=lambda t: t.date)
        return tuple(explicit), "explicit tranches"
    every_text = _text(options.every).lower()
    every = int(every_text) if every_text.isdigit() else VESTING_PERIODS.get(every_text)
    if every is None or not 1 <= every <= MAX_VESTING_MONTHS:
        raise InputError(_label(labels, "every"), options.every, "monthly, quarterly or a number of months")
    start = _optional_date(_label(labels, "vest_start"), options.start) or grant_date
    months = whole(_label(labels, "vest_months"), options.months, minimum=1, maximum=MAX_VESTING_MONTHS)
    cliff = whole(_label(labels, "cliff_months"), options.cliff_months, minimum=0, maximum=MAX_VESTING_MONTHS)
    schedule = vesting_schedule(shares, start, months=months, cliff_months=cliff, every_months=every)
    return schedule, f"{months} months from {start.isoformat()}, {cliff}-month cliff, every {every} month(s)"


def _check_grant(req: AddGrantRequest, labels: Labels | None) -> tuple[Grant, str]:
    from isoplan.equity.dates import add_months
    from isoplan.equity.rules import equity_rules

    grant_id = _required(labels, "id", req.id, "a name for the grant, e.g. 2024-hire")
    company = _required(labels, "company", req.company, "the employer's name")
    kind = to_kind(req.kind, _label(labels, "kind"))
    grant_date = _date(_label(labels, "date"), req.date)
    shares = _shares(_label(labels, "shares"), req.shares)
    strike = _amount(_label(labels, "strike"), req.strike)
    fmv = strike if _optional(req.fmv) is None else _amount(_label(labels, "fmv"), req.fmv)
    expires = (_optional_date(_label(labels, "expires"), req.expires)
               or add_months(grant_date, 12 * equity_rules().iso_maximum_term_years))
    months = None if _optional(req.post_termination_months) is None else whole(
        _label(labels, "post_termination_months"), req.post_termination_months, maximum=MAX_VESTING_MONTHS)
    days = None if _optional(req.post_termination_days) is None else whole(
        _label(labels, "post_termination_days"), req.post_termination_days, maximum=31 * MAX_VESTING_MONTHS)
    if months is not None and days is not None:
        raise InputError(_label(labels, "post_termination_days"), days, "either months or days, not both")
    tranches, rule = _vesting(req.vesting, shares, grant_date, labels)
    grant = Grant(id=grant_id, company=company, kind=kind, grant_date=grant_date, shares=shares, strike=strike,
                  fmv_at_grant=fmv, vesting=tranches, expiration_date=expires,
                  early_exercise_allowed=bool(req.early_exercise), post_termination_months=months,
                  post_termination_days=days, good_faith_valuation=bool(req.good_faith_valuation))
    return grant, rule


def _schedule(book: Ledger, grant_id: str | None) -> VestSchedule:
    all_grants = book.grants()
    if grant_id is not None and grant_id not in {g.id for g in all_grants}:
        raise InputError("grant", grant_id, "the id of a grant in the ledger (see `isoplan ledger grants`)")
    return VestSchedule(tuple(s for s in iso_nso_split(all_grants, book.rules)
                              if grant_id is None or s.grant_id == grant_id))


def add_grant(db: Path, req: AddGrantRequest, *, labels: Labels | None = None) -> GrantAdded:
    """Record an option grant and its vesting schedule (creates the ledger if needed)."""
    grant, rule = _check_grant(req, labels)
    with _open(db, create=True) as book:
        book.add_grant(grant, vesting_rule=rule)
        return GrantAdded(grant.id, rule, _schedule(book, grant.id))


def vest_schedule(db: Path, grant_id: str | None = None) -> VestSchedule:
    """Each tranche's vesting date and ISO / NSO shares (one grant, or all)."""
    with _open(db) as book:
        return _schedule(book, _text(grant_id) or None)


def _lot_rows(book: Ledger, lots: Sequence[Lot]) -> LotsResult:
    held = book.held()
    return LotsResult(tuple(LotRow(lot, held.get(lot.id, lot.shares)) for lot in lots))


def exercise(db: Path, req: ExerciseRequest, *, labels: Labels | None = None) -> LotsResult:
    """Record an exercise: one lot per kind and vesting date; the store refuses what the grant does not allow."""
    from isoplan.equity.exercise import TERMINATION_REASONS

    lot_id = _required(labels, "id", req.id, "a name for the lot, e.g. 2026-03-ex")
    grant_id = _required(labels, "grant", req.grant, "the grant exercised: record a grant first, then its exercises")
    kind = _text(req.kind).lower() or "auto"
    if kind not in EXERCISE_KINDS:
        raise InputError(_label(labels, "kind"), kind, "auto, iso or nso")
    day = _date(_label(labels, "date"), req.date)
    shares = _shares(_label(labels, "shares"), req.shares)
    fmv = _amount(_label(labels, "fmv"), req.fmv)
    election = _optional_date(_label(labels, "election_83b"), req.election_83b)
    fmv_at_vesting = None if _optional(req.fmv_at_vesting) is None else _amount(
        _label(labels, "fmv_at_vesting"), req.fmv_at_vesting)
    terminated = _optional_date(_label(labels, "terminated"), req.terminated)
    reason = _text(req.termination_reason) or "left"
    if reason not in TERMINATION_REASONS:
        raise InputError(_label(labels, "termination_reason"), reason, "one of " + ", ".join(TERMINATION_REASONS))
    with _open(db) as book:
        lots = book.exercise(grant_id=grant_id, lot_id=lot_id, exercise_date=day, shares=shares,
                             fmv_at_exercise=fmv, kind=kind, election_83b_date=election, fmv_at_vesting=fmv_at_vesting,
                             termination_date=terminated, termination_reason=reason)
        return _lot_rows(book, lots)


def vesting_fmv(db: Path, lot_id: Any, fmv: Any, *, labels: Labels | None = None) -> LotsResult:
    """Enter the vesting-date FMV of an early-exercised lot."""
    lot = _required(labels, "lot", lot_id, "the id of a lot in the ledger")
    value = _amount(_label(labels, "fmv"), fmv)
    with _open(db) as book:
        return _lot_rows(book, [book.set_vesting_fmv(lot, value)])


def _sale_rows(sales: Sequence[Sale], lots: Sequence[Lot]) -> SalesResult:
    by_id = {lot.id: lot for lot in lots}
    return SalesResult(tuple(SaleRow(s, dispose(by_id[s.lot_id], s)) for s in sales))


def sell(db: Path, req: SellRequest, *, labels: Labels | None = None) -> SalesResult:
    """Record a sale: from one lot (specific identification), else first in first out (within a grant if given)."""
    sale_id = _required(labels, "id", req.id, "a name for the sale")
    lot_id = _text(req.lot) or None
    grant_id = _text(req.grant) or None
    if lot_id and grant_id:
        raise InputError(_label(labels, "lot"), lot_id, "either a lot or a grant, not both")
    day = _date(_label(labels, "date"), req.date)
    shares = _shares(_label(labels, "shares"), req.shares)
    price = _amount(_label(labels, "price"), req.price)
    with _open(db) as book:
        new = book.sell(sale_id=sale_id, sale_date=day, shares=shares, price=price, lot_id=lot_id,
                        grant_id=grant_id, wash_sale_or_related_party=bool(req.wash_sale))
        return _sale_rows(new, book.lots())


def _income_amounts(amounts: Mapping[str, Any], labels: Labels | None = None) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for name, value in amounts.items():
        if name in INCOME_FIELDS:
            out[name] = _amount(_label(labels, name), value, negative=INCOME_FIELDS[name])
        elif name in COUNT_INCOME_FIELDS:
            out[name] = Decimal(_shares(_label(labels, name), value, minimum=0))
        else:
            raise InputError("income field", name, "one of " + ", ".join([*INCOME_FIELDS, *COUNT_INCOME_FIELDS]))
    return out


def set_income(db: Path, req: IncomeRequest, *, labels: Labels | None = None) -> IncomeResult:
    """Set a year's filing status, state and income (only the amounts given change; ``clear`` drops the rest)."""
    year = _year(_label(labels, "year"), req.year)
    status = _text(req.filing_status).lower() or None
    if status is not None and status not in FILING_STATUSES:
        raise InputError(_label(labels, "filing_status"), status, "single, mfj, mfs, hoh or qss")
    state = _state(_label(labels, "state"), req.state)
    amounts = _income_amounts(req.amounts, labels)
    with _open(db, create=True) as book:
        status, entry = book.set_income(year, status, amounts, clear=bool(req.clear), state=state)
        return IncomeResult(year, status, dict(entry), book.states()[year])


def grants(db: Path) -> GrantsResult:
    """The grants, with the shares exercised from each."""
    with _open(db) as book:
        return _grant_rows(book)


def _grant_rows(book: Ledger) -> GrantsResult:
    from isoplan.ledger.store import below_fmv_unstated

    meta = {row["id"]: row for row in book.grant_rows()}
    all_lots = book.lots()
    return GrantsResult(tuple(
        GrantRow(g, meta[g.id]["vesting_rule"], meta[g.id]["source"],
                 sum(lot.shares for lot in all_lots if lot.grant_id == g.id),
                 _grant_notes(g, below_fmv_unstated(meta[g.id])))
        for g in book.grants()))


def lots(db: Path) -> LotsResult:
    """The lots: both bases, the AMT adjustment, the qualifying date, what each still holds."""
    with _open(db) as book:
        return _lot_rows(book, book.lots())


def sales(db: Path) -> SalesResult:
    """The sales and their tax results."""
    with _open(db) as book:
        return _sale_rows(book.sales(), book.lots())


def _years(book: Ledger, req: YearsRequest) -> YearsResult:
    from isoplan.ledger.years import ledger_years
    from isoplan.tax.law import law_table
    from isoplan.tax.states.california import ca_law_table

    inflation = None if req.inflation is None else fraction("inflation", req.inflation, example="0.025")
    if req.deduction not in DEDUCTIONS:
        raise InputError("deduction", req.deduction, ", ".join(DEDUCTIONS))
    income = book.years()
    rows, notes = ledger_years(book.lots(), book.sales(), income, law_table(inflation),
                               deduction=req.deduction, states=book.states(), ca_law=ca_law_table(inflation))
    unclaimed = unclaimed_credits(rows, income, req.today or date.today())
    return YearsResult(tuple(rows), tuple(notes), explain=req.explain, unclaimed=unclaimed)


def years(db: Path, req: YearsRequest = YearsRequest()) -> YearsResult:
    """Each year's tax with the ledger's items: regular tax, TMT, AMT, credit created / used / carried."""
    with _open(db) as book:
        return _years(book, req)


def overview(db: Path) -> LedgerOverview:
    """Everything the web app's ledger page shows; a missing file is an empty ledger (and is not created)."""
    if not db.exists():
        return LedgerOverview(str(db), False)
    with _open(db) as book:
        return LedgerOverview(str(db), True, _grant_rows(book), _lot_rows(book, book.lots()),
                              _sale_rows(book.sales(), book.lots()), _years(book, YearsRequest(explain=True)))


def export(db: Path, req: ExportRequest = ExportRequest(), *, labels: Labels | None = None) -> ExportResult:
    """Everything as JSON (and, with ``csv_dir``, one CSV per table)."""
    from isoplan.ledger.transfer import export_json, write_csv_dir

    if req.out is not None:
        check_output(req.out, _label(labels, "out"), inputs=[db])
    if req.csv_dir is not None:
        check_output_dir(req.csv_dir, _label(labels, "csv_dir"))
    with _open(db) as book:
        data = book.export_data()
    text = export_json(data)
    if req.out:
        write_text(req.out, text, _label(labels, "out"))
    written = write_csv_dir(data, req.csv_dir, field=_label(labels, "csv_dir")) if req.csv_dir else []
    return ExportResult(text, req.out, req.csv_dir, tuple(str(p) for p in written))


def import_export(db: Path, path: str) -> ImportResult:
    """Load an export (a JSON file or a folder of CSVs), all or nothing."""
    from isoplan.ledger.transfer import load_export

    records = load_export(path)
    with _open(db, create=True) as book:
        return ImportResult(book.import_data(records, path))


def import_export_data(db: Path, data: Any, source: str) -> ImportResult:
    """Load an export already parsed from JSON (an upload), all or nothing."""
    from isoplan.ledger.transfer import records_from_export

    if not isinstance(data, Mapping) or data.get("format") != "isoplan-ledger":
        shown = data.get("format") if isinstance(data, Mapping) else type(data).__name__
        raise InputError("file", shown, "'isoplan-ledger' (a file written by `isoplan ledger export`)")
    records = records_from_export(data, source)
    with _open(db, create=True) as book:
        return ImportResult(book.import_data(records, source))


def import_3921(db: Path, path: str) -> LotsResult:
    """Load Form 3921 exercises from a CSV (boxes 1-5 and the company), all or nothing."""
    from isoplan.ledger.importers.form3921 import Form3921Importer

    rows = Form3921Importer().extract(path)
    with _open(db, create=True) as book:
        return _lot_rows(book, book.import_3921(rows, path))


def calendar(db: Path, req: CalendarRequest = CalendarRequest(), *, labels: Labels | None = None,
             extra_events: Callable[[int], Sequence[Event]] | None = None) -> CalendarResult:
    """Qualifying dates, year-end decisions and AMT due dates as an iCalendar file (RFC 5545).

    ``extra_events(through)``: more events to add (the estimated-tax installments of
    :func:`isoplan.app.filing.calendar`), given the last year of the calendar.
    """
    from datetime import UTC, datetime

    from isoplan.equity.rules import equity_rules
    from isoplan.ledger.years import ledger_years
    from isoplan.report.calendar import held_lots, ics, ledger_events
    from isoplan.tax.law import law_table

    through = None if _optional(req.through) is None else _year(_label(labels, "through"), req.through)
    if req.out is not None:
        check_output(req.out, _label(labels, "out"), inputs=[db])
    with _open(db) as book:
        all_lots, all_sales = book.lots(), book.sales()
        rows, _ = ledger_years(all_lots, all_sales, book.years(), law_table())
    held = held_lots(all_lots, all_sales)
    last_qualifying = max((lot.qualifying_date.year for lot in held if lot.qualifying_date), default=0)
    through = through or max((req.today or date.today()).year, last_qualifying)
    events = ledger_events(held, {r.year: r.outputs["amt"] for r in rows}, through_year=through,
                           return_due=equity_rules().return_due)
    if extra_events is not None:
        events = sorted([*events, *extra_events(through)], key=lambda e: (e.day, e.key))
    result = CalendarResult(ics(events, stamp=datetime.now(UTC)), len(events))
    if req.out is not None:
        write_text(req.out, result.ics, _label(labels, "out"), newline="")
    return result
