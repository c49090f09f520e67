"""Grants, vesting tranches, lots and sales: immutable records with the law's derived values.

Money and prices are :class:`decimal.Decimal` (exact, as the ledger stores
them); shares are whole numbers. The derived values of a :class:`Lot` (the
two bases, the AMT adjustment and its year, the NSO income, the qualifying
date) are exact too. The vectorized math for the planner lives in
:mod:`isoplan.equity.disposition`; a test shows the two agree to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from isoplan.equity.dates import add_months, first_day_more_than
from isoplan.equity.rules import EquityRules, equity_rules
from isoplan.errors import InputError

ISO = "ISO"
NSO = "NSO"
KINDS = (ISO, NSO)
ZERO = Decimal(0)


# ---------------------------------------------------------------- parsing helpers


#: Largest dollar amount or price accepted ($1 trillion): the application's bound on every amount (far inside
#: float64's exact range, so a price times a share count cannot overflow the engines).
MAX_AMOUNT = Decimal(10**12)


def to_decimal(value: Any, field_name: str, *, minimum: Decimal | None = ZERO) -> Decimal:
    """A money or price value as an exact Decimal, or :class:`InputError` naming the field."""
    if isinstance(value, Decimal):
        number = value
    else:
        if isinstance(value, float):
            value = repr(value)
        text = str(value).replace(",", "").replace("$", "").replace("_", "").strip()
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            raise InputError(field_name, value, "a number, e.g. 12.50") from None
    if not number.is_finite() or abs(number) > MAX_AMOUNT:
        raise InputError(field_name, value, f"a finite number of at most {MAX_AMOUNT:,} in size")
    if minimum is not None and number < minimum:
        raise InputError(field_name, value, f"a number of at least {minimum}")
    return number


#: Largest share count accepted (10 billion): more than any company has outstanding.
MAX_SHARES = 10_000_000_000


def to_shares(value: Any, field_name: str = "shares", *, minimum: int = 1) -> int:
    """A whole number of shares, from ``minimum`` to :data:`MAX_SHARES`."""
    try:
        number = Decimal(str(value).replace(",", "").replace("_", "").strip())
    except (InvalidOperation, ValueError):
        raise InputError(field_name, value, "a whole number of shares") from None
    if not number.is_finite() or number != number.to_integral_value() or not minimum <= number <= MAX_SHARES:
        raise InputError(field_name, value, f"a whole number of shares from {minimum} to {MAX_SHARES:,}")
    return int(number)


def to_date(value: Any, field_name: str) -> date:
    """An ISO 8601 date (YYYY-MM-DD)."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(field_name, value, "a date as YYYY-MM-DD") from None


def to_kind(value: Any, field_name: str = "kind") -> str:
    kind = str(value).strip().upper()
    if kind not in KINDS:
        raise InputError(field_name, value, "ISO or NSO")
    return kind


# ---------------------------------------------------------------- grants


@dataclass(frozen=True)
class VestingTranche:
    """Shares that vest (become exercisable, absent early exercise) on one date."""

    date: date
    shares: int


@dataclass(frozen=True)
class Grant:
    """An option grant. ``post_termination_months`` / ``_days`` is the plan's window to exercise
    after employment ends (None for both: the ISO window of IRC §422(a)(2))."""

    id: str
    company: str
    kind: str
    grant_date: date
    shares: int
    strike: Decimal
    fmv_at_grant: Decimal
    vesting: tuple[VestingTranche, ...]
    expiration_date: date
    early_exercise_allowed: bool = False
    post_termination_months: int | None = None
    post_termination_days: int | None = None
    #: The grant states that the option price was set in a good-faith attempt to meet the grant-date
    #: FMV (IRC §422(c)(1)); an ISO priced below that FMV is then still an ISO (and flagged).
    good_faith_valuation: bool = False

    def __post_init__(self) -> None:
        if not self.id or not str(self.id).strip():
            raise InputError("grant id", self.id, "a non-empty name")
        if self.kind not in KINDS:
            raise InputError("kind", self.kind, "ISO or NSO")
        if self.shares < 1:
            raise InputError("shares", self.shares, "at least 1")
        if self.strike < 0:
            raise InputError("strike", self.strike, "a price of 0 or more")
        if self.fmv_at_grant < 0:
            raise InputError("fmv at grant", self.fmv_at_grant, "a price of 0 or more")
        if self.kind == ISO and self.strike < self.fmv_at_grant and not self.good_faith_valuation:
            raise InputError(
                "strike", str(self.strike),
                f"for an ISO, at least the grant-date FMV {self.fmv_at_grant} (IRC §422(b)(4); Treas. Reg. "
                f"§1.422-2(e)): an option priced below it is not an ISO; record it as NSO, or state that the "
                f"good-faith valuation of IRC §422(c)(1) applies",
            )
        if self.expiration_date <= self.grant_date:
            raise InputError("expiration date", self.expiration_date.isoformat(),
                             f"a date after the grant date {self.grant_date.isoformat()}")
        if not self.vesting:
            raise InputError("vesting", "none", "at least one vesting tranche")
        total = sum(t.shares for t in self.vesting)
        if total != self.shares:
            raise InputError("vesting", f"{total} shares in tranches",
                             f"tranches adding up to the grant's {self.shares}")
        if any(t.shares < 1 for t in self.vesting):
            raise InputError("vesting", "a tranche of 0 shares", "tranches of at least 1 share")
        dates = [t.date for t in self.vesting]
        if dates != sorted(dates):
            raise InputError("vesting", "tranches out of order", "tranches in date order")
        if self.post_termination_months is not None and self.post_termination_months < 0:
            raise InputError("post-termination months", self.post_termination_months, "0 or more")
        if self.post_termination_days is not None and self.post_termination_days < 0:
            raise InputError("post-termination days", self.post_termination_days, "0 or more")

    @property
    def priced_below_fmv_in_good_faith(self) -> bool:
        """An ISO priced below its grant-date FMV, kept as an ISO under the good-faith rule of IRC §422(c)(1)."""
        return self.kind == ISO and self.strike < self.fmv_at_grant and self.good_faith_valuation

    def exercisable_date(self, tranche: VestingTranche, rules: EquityRules | None = None) -> date:
        """When a tranche may first be exercised: at grant for early-exercisable grants
        (Treas. Reg. §1.422-4(b)(4)), else when it vests (never before the grant)."""
        rules = rules or equity_rules()
        if self.early_exercise_allowed and rules.early_exercise_counts_at_grant:
            return self.grant_date
        return max(tranche.date, self.grant_date)

    def plan_window_end(self, termination_date: date, rules: EquityRules | None = None) -> date:
        """The last day the plan lets the option be exercised after employment ends."""
        rules = rules or equity_rules()
        if self.post_termination_days is not None:
            end = termination_date + timedelta(days=self.post_termination_days)
        else:
            months = self.post_termination_months
            end = add_months(termination_date, rules.employment_months if months is None else months)
        return min(end, self.expiration_date)


def vesting_schedule(
    shares: int,
    start: date,
    *,
    months: int,
    cliff_months: int = 0,
    every_months: int = 1,
) -> tuple[VestingTranche, ...]:
    """A cliff-then-periodic schedule: ``cliff_months`` of the ``months`` vest at the cliff,
    then a share of ``every_months``/``months`` each period (monthly = 1, quarterly = 3).

    Each date vests ``floor(shares * elapsed / months)`` cumulatively, so rounding
    never loses a share and the last tranche completes the grant.
    """
    if months < 1:
        raise InputError("vesting months", months, "at least 1")
    if every_months < 1:
        raise InputError("vesting period", every_months, "1 (monthly), 3 (quarterly) or another whole number of months")
    if cliff_months < 0 or cliff_months > months:
        raise InputError("cliff months", cliff_months, f"from 0 to the vesting months ({months})")
    points = []
    if cliff_months:
        points.append(cliff_months)
    m = cliff_months + every_months if cliff_months else every_months
    while m < months:
        points.append(m)
        m += every_months
    if not points or points[-1] != months:
        points.append(months)
    tranches = []
    vested = 0
    for point in points:
        cumulative = shares * point // months
        if cumulative > vested:
            tranches.append(VestingTranche(add_months(start, point), cumulative - vested))
            vested = cumulative
    return tuple(tranches)


# ---------------------------------------------------------------- lots


@dataclass(frozen=True)
class Lot:
    """Shares acquired by one exercise (one kind, one vesting date).

    ``vesting_date`` is None when the shares were vested at exercise; for an
    early exercise it is the date they vest, and ``fmv_at_vesting`` (once
    known) measures the AMT adjustment (IRC §56(b)(3)) or the NSO income
    (IRC §83(a)) unless an §83(b) election was made (``election_83b_date``).
    """

    id: str
    grant_id: str
    kind: str
    grant_date: date
    exercise_date: date
    shares: int
    strike: Decimal
    fmv_at_exercise: Decimal
    vesting_date: date | None = None
    fmv_at_vesting: Decimal | None = None
    election_83b_date: date | None = None
    kind_reason: str = ""
    company: str = ""
    rules: EquityRules = field(default_factory=equity_rules, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InputError("kind", self.kind, "ISO or NSO")
        if self.shares < 1:
            raise InputError("shares", self.shares, "at least 1")
        if self.exercise_date < self.grant_date:
            raise InputError("exercise date", self.exercise_date.isoformat(),
                             f"a date on or after the grant date {self.grant_date.isoformat()}")
        if self.election_83b_date is not None:
            last = self.exercise_date + timedelta(days=self.rules.election_83b_days)
            if not (self.exercise_date <= self.election_83b_date <= last):
                raise InputError(
                    "83(b) election date", self.election_83b_date.isoformat(),
                    f"a date from the exercise {self.exercise_date.isoformat()} to {last.isoformat()} "
                    f"({self.rules.election_83b_days} days, {self.rules.citation('election_83b')})",
                )

    # ---- when things happen

    @property
    def vested_at_exercise(self) -> bool:
        return self.vesting_date is None or self.vesting_date <= self.exercise_date

    @property
    def elected_83b(self) -> bool:
        return self.election_83b_date is not None

    @property
    def measured_at_exercise(self) -> bool:
        """Whether the spread is measured at exercise (vested, or an §83(b) election) rather than at vesting."""
        return self.vested_at_exercise or self.elected_83b

    @property
    def measurement_date(self) -> date:
        """The date the spread is measured for AMT (ISO) or income (NSO): exercise or vesting."""
        if self.measured_at_exercise or self.vesting_date is None:
            return self.exercise_date
        return self.vesting_date

    @property
    def vesting_fmv_missing(self) -> bool:
        """An unvested lot without election whose vesting-date FMV is not entered yet (then
        the exercise-date FMV stands in as an estimate)."""
        return not self.measured_at_exercise and self.fmv_at_vesting is None

    @property
    def measurement_fmv(self) -> Decimal:
        if self.measured_at_exercise or self.fmv_at_vesting is None:
            return self.fmv_at_exercise
        return self.fmv_at_vesting

    @property
    def income_fmv(self) -> Decimal:
        """FMV for regular-tax compensation: at vesting for unvested shares (an ISO's AMT-only
        §83(b) election does not move it; an NSO's §83(b) election does). See rules.toml
        ``disqualifying_income_measurement`` [U]."""
        if self.vested_at_exercise or (self.kind == NSO and self.elected_83b) or self.fmv_at_vesting is None:
            return self.fmv_at_exercise
        return self.fmv_at_vesting

    @property
    def income_date(self) -> date:
        if self.vested_at_exercise or (self.kind == NSO and self.elected_83b) or self.vesting_date is None:
            return self.exercise_date
        return self.vesting_date

    # ---- the law's derived values (exact)

    @property
    def cost(self) -> Decimal:
        """Amount paid for the shares: strike × shares."""
        return self.strike * self.shares

    @property
    def amt_adjustment_per_share(self) -> Decimal:
        if self.kind != ISO:
            return ZERO
        return max(self.measurement_fmv - self.strike, ZERO)

    @property
    def amt_adjustment(self) -> Decimal:
        """Form 6251 line 2i for the whole lot (before same-year sales): spread at measurement."""
        return self.amt_adjustment_per_share * self.shares

    @property
    def amt_adjustment_year(self) -> int | None:
        return self.measurement_date.year if self.kind == ISO else None

    @property
    def nso_income_per_share(self) -> Decimal:
        if self.kind != NSO:
            return ZERO
        return max(self.income_fmv - self.strike, ZERO)

    @property
    def nso_ordinary_income(self) -> Decimal:
        """NSO compensation (IRC §83(a)): spread at exercise, or at vesting for unvested shares without election."""
        return self.nso_income_per_share * self.shares

    @property
    def nso_income_year(self) -> int | None:
        return self.income_date.year if self.kind == NSO else None

    @property
    def regular_basis_per_share(self) -> Decimal:
        return self.strike + self.nso_income_per_share

    @property
    def regular_basis(self) -> Decimal:
        """Regular-tax basis: the price paid (plus the NSO income already taxed, §1.83-4(b))."""
        return self.regular_basis_per_share * self.shares

    @property
    def amt_basis_per_share(self) -> Decimal:
        return self.regular_basis_per_share + self.amt_adjustment_per_share

    @property
    def amt_basis(self) -> Decimal:
        """AMT basis: regular basis plus the AMT adjustment (Form 6251 instructions, line 2i)."""
        return self.amt_basis_per_share * self.shares

    @property
    def qualifying_date(self) -> date | None:
        """First date a sale is a qualifying disposition (IRC §422(a)(1)): more than 2 years after
        grant and more than 1 year after exercise, counted per rules.toml ``period_counting``."""
        if self.kind != ISO:
            return None
        return max(
            first_day_more_than(self.grant_date, self.rules.years_after_grant),
            first_day_more_than(self.exercise_date, self.rules.years_after_exercise),
        )

    @property
    def long_term_date(self) -> date:
        """First date a regular-tax gain is long-term (IRC §1222): more than a year after the
        holding period starts (exercise for ISO stock; the income date for NSO stock, §1.83-4(a))."""
        start = self.exercise_date if self.kind == ISO else self.income_date
        return first_day_more_than(start, self.rules.long_term_years)

    @property
    def amt_long_term_date(self) -> date:
        """The same for AMT, where §83 rules apply to ISO stock (holding from the measurement date)."""
        start = self.measurement_date if self.kind == ISO else self.income_date
        return first_day_more_than(start, self.rules.long_term_years)


@dataclass(frozen=True)
class Sale:
    """A sale of shares of one lot (lot selection is explicit; FIFO is done by the caller)."""

    id: str
    lot_id: str
    date: date
    shares: int
    price: Decimal
    wash_sale_or_related_party: bool = False

    def __post_init__(self) -> None:
        if not self.id or not str(self.id).strip():
            raise InputError("sale id", self.id, "a non-empty name")
        if self.shares < 1:
            raise InputError("shares", self.shares, "at least 1")
        if self.price < 0:
            raise InputError("price", self.price, "a price of 0 or more")
