"""Estimated tax: the required annual payment, the installments and their due dates, the
underpayment penalty and the annualized income installment method.

Federal: IRC §6654, computed as Form 2210 computes it (Part I, Part III and
Schedule AI). California: R&TC §§19136, 19136.1 and 19136.3, as Form 5805
computes it (30/40/0/30 installments, 27/63/63/90 annualized percentages, no
prior-year safe harbor at an AGI of $1,000,000 or more).

Every amount, fraction, date rule, holiday rule and interest rate comes from
``parameters/<jurisdiction>/estimates.toml``, each with its citation. California's
file lists only where it differs; the rest (due dates, periods, holidays) is the
federal law it adopts (R&TC §19136(a)).

The required annual payment is vectorized over households (NumPy arrays, as the
tax engine computes); the penalty, which follows each payment through the
year, is computed for one taxpayer at a time.
"""

from __future__ import annotations

import calendar
import functools
import tomllib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from isoplan.errors import InputError
from isoplan.tax.law import CALIFORNIA_DIR, FEDERAL_DIR, REQUIRED_STATUSES, STATUS_CODE, STATUSES

FEDERAL = "federal"
CALIFORNIA = "california"
JURISDICTION_DIRS: dict[str, Path] = {FEDERAL: FEDERAL_DIR, CALIFORNIA: CALIFORNIA_DIR}
ESTIMATES_FILE = "estimates.toml"
#: tables a state file takes from the federal file when it does not list them (conformity)
_INHERITED_TABLES = ("due_dates", "penalty_period_end", "penalty_rate_last_days", "legal_holidays")
_WEEKEND = (calendar.SATURDAY, calendar.SUNDAY)
#: the four installments, numbered as the forms number their columns (a)-(d)
INSTALLMENTS = 4


# ---------------------------------------------------------------- the law, read from data


@dataclass(frozen=True)
class HolidayRule:
    """A legal holiday by rule: a fixed date or the nth weekday of a month (nth = -1: the last)."""

    name: str
    kind: str
    month: int
    day: int = 0
    weekday: int = 0
    nth: int = 0
    observed: str = "federal"
    first_year: int | None = None
    every_years: int = 1
    year_remainder: int = 0

    def actual(self, year: int) -> date | None:
        """The holiday's own date in ``year`` (None in a year it does not occur)."""
        if self.first_year is not None and year < self.first_year:
            return None
        if year % self.every_years != self.year_remainder % self.every_years:
            return None
        if self.kind == "fixed":
            return date(year, self.month, self.day)
        days = [
            date(year, self.month, d)
            for d in range(1, calendar.monthrange(year, self.month)[1] + 1)
            if date(year, self.month, d).weekday() == self.weekday
        ]
        return days[self.nth - 1] if self.nth > 0 else days[self.nth]

    def observed_on(self, year: int) -> date | None:
        """The day observed as the holiday: a Saturday holiday on the Friday before and a Sunday
        holiday on the Monday after (5 U.S.C. §6103(b)); ``sunday_only`` moves only a Sunday."""
        day = self.actual(year)
        if day is None:
            return None
        if day.weekday() == calendar.SATURDAY and self.observed == "federal":
            return day - timedelta(days=1)
        if day.weekday() == calendar.SUNDAY:
            return day + timedelta(days=1)
        return day


@dataclass(frozen=True, eq=False)  # hashed by identity: the cached loaders hand out one per jurisdiction
class EstimateLaw:
    """One jurisdiction's estimated-tax law (federal §6654 or California §19136)."""

    jurisdiction: str
    form: str
    current_year_fraction: float
    prior_year_fraction: float
    high_income_prior_year_fraction: float
    high_income_agi_threshold: tuple[float, ...]  # by filing status, in STATUSES order
    prior_year_limit_agi: tuple[float, ...] | None  # R&TC §19136.3 (None: no such limit)
    small_balance: tuple[float, ...]
    no_prior_year_liability_exception: bool
    installment_fractions: tuple[float, ...]
    withholding_fractions: tuple[float, ...]
    due_months: tuple[int, ...]
    due_day: int
    due_years_after: tuple[int, ...]
    penalty_end_month: int
    penalty_end_day: int
    last_quarter_month: int
    period_end_months: tuple[int, ...]
    annualization_factors: tuple[float, ...]
    applicable_percentages: tuple[float, ...]
    rates: Mapping[tuple[int, int], float]  # (year, quarter) -> underpayment rate
    rate_citations: Mapping[tuple[int, int], tuple[str, ...]]
    holidays: tuple[HolidayRule, ...]
    citations: Mapping[str, tuple[str, ...]]

    def citation(self, table: str) -> str:
        """The citations of one table of the data file, joined for display."""
        return "; ".join(self.citations[table])


def _citations(table: Mapping[str, Any], where: str) -> tuple[str, ...]:
    cited = table.get("citation")
    if isinstance(cited, str):
        cited = [cited]
    if not cited or not all(isinstance(c, str) and c.strip() for c in cited):
        raise ValueError(f"{where} has no citation")
    return tuple(cited)


def _by_status(values: Mapping[str, Any], where: str) -> tuple[float, ...]:
    missing = [s for s in REQUIRED_STATUSES if s not in values]
    if missing:
        raise ValueError(f"{where} lacks filing status {', '.join(missing)}")
    # a qualifying surviving spouse takes the joint amount unless listed
    return tuple(float(values.get(s, values["mfj"])) for s in STATUSES)


def _quarter_key(text: str) -> tuple[int, int]:
    year, quarter = text.split("-")
    return int(year), int(quarter)


def parse_estimate_law(data: Mapping[str, Any], federal: Mapping[str, Any] | None, source: str) -> EstimateLaw:
    """Turn a jurisdiction's ``estimates.toml`` (and the federal one it conforms to) into an :class:`EstimateLaw`."""
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    if federal is not None:
        for name in _INHERITED_TABLES:
            if name not in tables and name in federal:
                tables[name] = federal[name]
    holiday_rows = data.get("legal_holiday") or (federal or {}).get("legal_holiday") or []
    citations = {name: _citations(table, f"{source} [{name}]") for name, table in tables.items()}
    rates: dict[tuple[int, int], float] = {}
    rate_citations: dict[tuple[int, int], tuple[str, ...]] = {}
    for row in data.get("underpayment_rate", []):
        key = _quarter_key(str(row["quarter"]))
        rates[key] = float(row["rate"])
        rate_citations[key] = _citations(row, f"{source} underpayment rate {row['quarter']}")
    limit = tables["prior_year_safe_harbor_limit"]
    due = tables["due_dates"]
    ai = tables["annualization"]
    law = EstimateLaw(
        jurisdiction=str(data["jurisdiction"]),
        form=str(data["form"]),
        current_year_fraction=float(tables["required_annual_payment"]["current_year_fraction"]),
        prior_year_fraction=float(tables["required_annual_payment"]["prior_year_fraction"]),
        high_income_prior_year_fraction=float(tables["high_income_prior_year"]["prior_year_fraction"]),
        high_income_agi_threshold=_by_status(tables["high_income_prior_year"]["agi_threshold"], source),
        prior_year_limit_agi=_by_status(limit["agi"], source) if limit.get("applies") else None,
        small_balance=_by_status(tables["small_balance_exception"]["amount"], source),
        no_prior_year_liability_exception=bool(tables["no_prior_year_liability_exception"]["applies"]),
        installment_fractions=tuple(float(f) for f in tables["installments"]["fractions"]),
        withholding_fractions=tuple(float(f) for f in tables["withholding_deemed_paid"]["fractions"]),
        due_months=tuple(int(m) for m in due["months"]),
        due_day=int(due["day"]),
        due_years_after=tuple(int(y) for y in due["years_after_tax_year"]),
        penalty_end_month=int(tables["penalty_period_end"]["month"]),
        penalty_end_day=int(tables["penalty_period_end"]["day"]),
        last_quarter_month=int(tables["penalty_rate_last_days"]["last_quarter_month"]),
        period_end_months=tuple(int(m) for m in ai["period_end_months"]),
        annualization_factors=tuple(float(f) for f in ai["factors"]),
        applicable_percentages=tuple(float(p) for p in ai["applicable_percentages"]),
        rates=rates,
        rate_citations=rate_citations,
        holidays=tuple(HolidayRule(**{k: v for k, v in row.items()}) for row in holiday_rows),
        citations=citations,
    )
    for name in ("installment_fractions", "withholding_fractions", "due_months", "period_end_months",
                 "annualization_factors", "applicable_percentages"):
        if len(getattr(law, name)) != INSTALLMENTS:
            raise ValueError(f"{source}: {name} must list {INSTALLMENTS} values")
    if abs(sum(law.installment_fractions) - 1.0) > 1e-9:
        raise ValueError(f"{source}: the installment fractions must add up to 1")
    return law


def _read(jurisdiction: str) -> dict[str, Any]:
    if jurisdiction not in JURISDICTION_DIRS:
        raise InputError("jurisdiction", jurisdiction, " or ".join(JURISDICTION_DIRS))
    return tomllib.loads((JURISDICTION_DIRS[jurisdiction] / ESTIMATES_FILE).read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=4)
def estimate_law(jurisdiction: str = FEDERAL) -> EstimateLaw:
    """The estimated-tax law of ``jurisdiction`` (``"federal"`` or ``"california"``)."""
    data = _read(jurisdiction)
    conforms = data.get("conforms_to")
    federal = _read(str(conforms)) if conforms else None
    return parse_estimate_law(data, federal, f"{jurisdiction}/{ESTIMATES_FILE}")


# ---------------------------------------------------------------- due dates (IRC §6654(c)(2), §7503)


@functools.lru_cache(maxsize=64)
def _holidays(year: int, law: EstimateLaw) -> dict[date, str]:
    out: dict[date, str] = {}
    # an observed day can fall in the neighbouring year (January 1 on a Saturday: December 31)
    for y in (year - 1, year, year + 1):
        for rule in law.holidays:
            day = rule.observed_on(y)
            if day is not None and day.year == year:
                out[day] = rule.name if day == rule.actual(y) else f"{rule.name} (observed)"
    return out


def legal_holidays(year: int, law: EstimateLaw | None = None) -> dict[date, str]:
    """The legal holidays of ``year`` in the District of Columbia, as observed (IRC §7503)."""
    return dict(_holidays(year, law or estimate_law(FEDERAL)))


def next_business_day(day: date, law: EstimateLaw | None = None) -> date:
    """``day``, or the next day that is not a Saturday, Sunday or legal holiday (IRC §7503)."""
    law = law or estimate_law(FEDERAL)
    while day.weekday() in _WEEKEND or day in _holidays(day.year, law):
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class DueDate:
    """One installment's due date: the statutory date and the day a payment is still timely."""

    installment: int  # 1-4, Form 2210 columns (a)-(d)
    statutory: date  # IRC §6654(c)(2)
    due: date  # moved past weekends and legal holidays (IRC §7503)
    reason: str  # why it moved ("" when it did not)


def _why_moved(statutory: date, law: EstimateLaw) -> str:
    reasons = []
    day = statutory
    while day.weekday() in _WEEKEND or day in _holidays(day.year, law):
        what = calendar.day_name[day.weekday()] if day.weekday() in _WEEKEND else _holidays(day.year, law)[day]
        reasons.append(f"{day.isoformat()} is {'a ' if day.weekday() in _WEEKEND else ''}{what}")
        day += timedelta(days=1)
    return "; ".join(reasons)


def installment_due_dates(tax_year: int, law: EstimateLaw | None = None) -> tuple[DueDate, ...]:
    """The four installment due dates of ``tax_year`` (IRC §6654(c)(2)), each moved to the next
    business day when it falls on a Saturday, Sunday or legal holiday (IRC §7503)."""
    law = law or estimate_law(FEDERAL)
    out = []
    for i, (month, years_after) in enumerate(zip(law.due_months, law.due_years_after, strict=True)):
        statutory = date(tax_year + years_after, month, law.due_day)
        out.append(DueDate(i + 1, statutory, next_business_day(statutory, law), _why_moved(statutory, law)))
    return tuple(out)


def penalty_period_end(tax_year: int, law: EstimateLaw | None = None) -> date:
    """The last day an underpayment runs: the 15th day of the 4th month after the year (IRC §6654(b)(2))."""
    law = law or estimate_law(FEDERAL)
    return date(tax_year + 1, law.penalty_end_month, law.penalty_end_day)


def annualization_period_ends(tax_year: int, law: EstimateLaw | None = None) -> tuple[date, ...]:
    """The last day of each cumulative Schedule AI period (3, 5, 8 and 12 months, IRC §6654(d)(2)(B))."""
    law = law or estimate_law(FEDERAL)
    return tuple(date(tax_year, m, calendar.monthrange(tax_year, m)[1]) for m in law.period_end_months)


# ---------------------------------------------------------------- the required annual payment (Part I)


@dataclass(frozen=True)
class RequiredAnnualPayments:
    """Form 2210 Part I (Form 5805 Part I), one element per household (float64 dollars, bool flags).

    ``current_year_tax`` line 4, ``current_year_part`` line 5, ``withholding`` line 6,
    ``balance_due`` line 7, ``prior_year_part`` line 8 (0 where the prior-year clause is not
    available), ``amount`` line 9: the required annual payment (IRC §6654(d)(1)(B)).
    """

    current_year_tax: np.ndarray
    current_year_part: np.ndarray
    withholding: np.ndarray
    balance_due: np.ndarray
    prior_year_tax: np.ndarray
    prior_year_fraction: np.ndarray
    prior_year_part: np.ndarray
    prior_year_available: np.ndarray
    amount: np.ndarray
    small_balance_exception: np.ndarray
    no_prior_year_liability_exception: np.ndarray

    @property
    def exempt(self) -> np.ndarray:
        """No addition to tax at all (IRC §6654(e)(1)-(2); R&TC §19136(c))."""
        exempt: np.ndarray = self.small_balance_exception | self.no_prior_year_liability_exception
        return exempt


def _status_codes(status: object, n: int) -> np.ndarray:
    arr = np.asarray(status)
    if arr.dtype.kind in "US":
        try:
            codes = np.vectorize(lambda s: STATUS_CODE[str(s).lower()], otypes=[np.intp])(arr)
        except KeyError:
            raise InputError("filing status", str(status), ", ".join(STATUSES)) from None
    else:
        codes = arr.astype(np.intp)
    return np.broadcast_to(codes, (n,))


def required_annual_payments(
    current_year_tax: object,
    prior_year_tax: object,
    prior_year_agi: object,
    status: object,
    *,
    law: EstimateLaw | None = None,
    withholding: object = 0.0,
    current_year_agi: object = 0.0,
    prior_year_return_filed: object = True,
    prior_year_full_year: object = True,
) -> RequiredAnnualPayments:
    """The required annual payment of each household: the lesser of the current-year fraction
    (90%) of this year's tax and the prior-year fraction (100%, or 110% when last year's AGI
    exceeded the threshold) of last year's tax (IRC §6654(d)(1)(B)-(C)).

    The prior-year clause needs a prior 12-month year with a return filed (§6654(d)(1)(B)(ii));
    in California it does not apply at a current-year AGI at or above the R&TC §19136.3 limit.
    ``status``: filing-status names or codes of :data:`isoplan.tax.law.STATUS_CODE`. "Tax" is
    Form 2210 line 4: income tax after nonrefundable credits including AMT, plus other taxes
    (Additional Medicare Tax, NIIT), less refundable credits. ``withholding`` is line 6.
    """
    law = law or estimate_law(FEDERAL)
    tax = np.atleast_1d(np.asarray(current_year_tax, dtype=np.float64))
    n = tax.shape[0]

    def arr(x: object, dtype: type = np.float64) -> np.ndarray:
        return np.broadcast_to(np.asarray(x, dtype=dtype), (n,))

    prior_tax, prior_agi = arr(prior_year_tax), arr(prior_year_agi)
    agi, withheld = arr(current_year_agi), arr(withholding)
    filed, full_year = arr(prior_year_return_filed, bool), arr(prior_year_full_year, bool)
    codes = _status_codes(status, n)

    line5 = law.current_year_fraction * tax
    high_income = prior_agi > np.asarray(law.high_income_agi_threshold)[codes]
    fraction = np.where(high_income, law.high_income_prior_year_fraction, law.prior_year_fraction)
    available = filed & full_year
    if law.prior_year_limit_agi is not None:
        available = available & (agi < np.asarray(law.prior_year_limit_agi)[codes])
    line8 = np.where(available, fraction * prior_tax, 0.0)
    line9 = np.where(available, np.minimum(line5, line8), line5)
    line7 = tax - withheld
    small = line7 < np.asarray(law.small_balance)[codes]
    no_liability = (np.asarray(law.no_prior_year_liability_exception) & full_year & (prior_tax <= 0.0)
                    & filed)
    return RequiredAnnualPayments(
        current_year_tax=tax,
        current_year_part=line5,
        withholding=withheld.copy(),
        balance_due=line7,
        prior_year_tax=prior_tax.copy(),
        prior_year_fraction=fraction,
        prior_year_part=line8,
        prior_year_available=available.copy(),
        amount=line9,
        small_balance_exception=small,
        no_prior_year_liability_exception=no_liability,
    )


@dataclass(frozen=True)
class RequiredAnnualPayment:
    """Form 2210 (Form 5805) Part I for one taxpayer; see :class:`RequiredAnnualPayments`."""

    jurisdiction: str
    current_year_tax: float
    current_year_part: float
    withholding: float
    balance_due: float
    prior_year_tax: float
    prior_year_fraction: float
    prior_year_part: float | None  # None where the prior-year clause is not available
    amount: float
    small_balance_exception: bool
    no_prior_year_liability_exception: bool

    @property
    def exempt(self) -> bool:
        return self.small_balance_exception or self.no_prior_year_liability_exception


def required_annual_payment(
    current_year_tax: float,
    prior_year_tax: float,
    prior_year_agi: float,
    status: str,
    *,
    law: EstimateLaw | None = None,
    withholding: float = 0.0,
    current_year_agi: float = 0.0,
    prior_year_return_filed: bool = True,
    prior_year_full_year: bool = True,
) -> RequiredAnnualPayment:
    """:func:`required_annual_payments` for one taxpayer."""
    law = law or estimate_law(FEDERAL)
    r = required_annual_payments(
        current_year_tax, prior_year_tax, prior_year_agi, status, law=law, withholding=withholding,
        current_year_agi=current_year_agi, prior_year_return_filed=prior_year_return_filed,
        prior_year_full_year=prior_year_full_year,
    )
    return RequiredAnnualPayment(
        jurisdiction=law.jurisdiction,
        current_year_tax=float(r.current_year_tax[0]),
        current_year_part=float(r.current_year_part[0]),
        withholding=float(r.withholding[0]),
        balance_due=float(r.balance_due[0]),
        prior_year_tax=float(r.prior_year_tax[0]),
        prior_year_fraction=float(r.prior_year_fraction[0]),
        prior_year_part=float(r.prior_year_part[0]) if r.prior_year_available[0] else None,
        amount=float(r.amount[0]),
        small_balance_exception=bool(r.small_balance_exception[0]),
        no_prior_year_liability_exception=bool(r.no_prior_year_liability_exception[0]),
    )


def regular_installments(required_annual_payment: object, law: EstimateLaw | None = None) -> np.ndarray:
    """The required installments of the regular method, shape ``(..., 4)``: 25% each federally
    (IRC §6654(d)(1)(A)); 30/40/0/30% in California (R&TC §19136.1(a)(2))."""
    law = law or estimate_law(FEDERAL)
    amount = np.asarray(required_annual_payment, dtype=np.float64)
    installments: np.ndarray = amount[..., np.newaxis] * np.asarray(law.installment_fractions)
    return installments


# ---------------------------------------------------------------- payments and the penalty (Part III)


@dataclass(frozen=True)
class Payment:
    """A payment toward the year's tax: an estimated payment or withholding, on a date."""

    date: date
    amount: float
    source: str = "estimate"


def withholding_payments(
    withholding: float, tax_year: int, law: EstimateLaw | None = None
) -> tuple[Payment, ...]:
    """Withholding treated as paid on the due dates: an equal part on each (IRC §6654(g)(1)), or
    California's 30/40/0/30 (R&TC §19136(e)(2)(A)). To use the actual dates instead (Form 2210
    Part II box D), pass the withholding as dated :class:`Payment` records."""
    law = law or estimate_law(FEDERAL)
    return tuple(
        Payment(due.statutory, withholding * fraction, "withholding")
        for due, fraction in zip(installment_due_dates(tax_year, law), law.withholding_fractions, strict=True)
        if fraction
    )


@dataclass(frozen=True)
class UnderpaymentPeriod:
    """Part of an installment's underpayment and the days it ran (Form 2210 penalty worksheet)."""

    amount: float
    start: date  # the installment's statutory due date
    end: date  # the day it was paid, or the end of the penalty period
    days: int
    penalty: float | None  # None when the law data holds no rate


@dataclass(frozen=True)
class InstallmentResult:
    """One column of Form 2210 Part III (Form 5805 Part II)."""

    due: DueDate
    required: float  # line 10: the required installment
    paid: float  # line 11: estimated tax paid and tax withheld in the period ending on this due date
    underpayment: float  # line 17: what this installment lacked on its due date
    overpayment: float  # line 18: carried to the next installment
    periods: tuple[UnderpaymentPeriod, ...]

    @property
    def penalty(self) -> float | None:
        if any(p.penalty is None for p in self.periods):
            return None
        return sum(p.penalty or 0.0 for p in self.periods)


@dataclass(frozen=True)
class PenaltyResult:
    """The addition to tax for underpaying estimated tax (IRC §6654(a); R&TC §19136)."""

    jurisdiction: str
    tax_year: int
    period_end: date
    installments: tuple[InstallmentResult, ...]
    assumed_rate_quarters: tuple[str, ...]  # quarters not in the data: the last published rate was used

    @property
    def penalty(self) -> float | None:
        parts = [i.penalty for i in self.installments]
        if any(p is None for p in parts):
            return None
        return sum(p or 0.0 for p in parts)

    @property
    def underpaid(self) -> bool:
        return any(i.underpayment > 0.005 for i in self.installments)


def _quarter_of(day: date, tax_year: int, law: EstimateLaw) -> tuple[int, int]:
    # April 1-15 after the year takes the rate of the quarter ending March 31 (IRC §6621(b)(2)(B))
    if day.year > tax_year and day.month > law.last_quarter_month:
        return day.year, (law.last_quarter_month - 1) // 3 + 1
    return day.year, (day.month - 1) // 3 + 1


def _days_in_year(year: int) -> int:
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


def _interest(amount: float, start: date, end: date, tax_year: int, law: EstimateLaw,
              assumed: set[tuple[int, int]]) -> float | None:
    """Simple interest on ``amount`` for each day after ``start`` through ``end`` at that day's
    quarter's rate over that year's days (IRC §6621(a)(2), §6622(b))."""
    if end <= start:
        return 0.0
    if not law.rates:
        return None
    days = np.arange(np.datetime64(start) + 1, np.datetime64(end) + 1)
    published = sorted(law.rates)
    total = 0.0
    for day in days.astype(object):
        key = _quarter_of(day, tax_year, law)
        if key not in law.rates:
            earlier = [k for k in published if k < key]
            if not earlier:
                raise InputError("tax year", tax_year,
                                 f"a year from {published[0][0]} (the first underpayment rate in the law data)")
            assumed.add(key)
            rate = law.rates[earlier[-1]]
        else:
            rate = law.rates[key]
        total += amount * rate / _days_in_year(day.year)
    return total


def underpayment_penalty(
    required: Sequence[float] | np.ndarray,
    payments: Sequence[Payment],
    *,
    tax_year: int,
    law: EstimateLaw | None = None,
) -> PenaltyResult:
    """The underpayment of each installment and its penalty (Form 2210 Part III and its worksheet).

    ``required``: the four required installments (:func:`regular_installments`, or Schedule AI
    line 27 from :func:`annualized_installments`). ``payments``: estimated payments and
    withholding (:func:`withholding_payments`). A payment is credited to the earliest unpaid
    installment first (IRC §6654(b)(3)); an underpayment runs from the installment's due date
    until paid or the end of the penalty period (§6654(b)(2)). A payment made by the due date as
    moved past a weekend or holiday counts as made on the due date (IRC §7503).
    """
    law = law or estimate_law(FEDERAL)
    required_amounts = [float(r) for r in np.asarray(required, dtype=np.float64)]
    if len(required_amounts) != INSTALLMENTS:
        raise InputError("required installments", len(required_amounts), f"{INSTALLMENTS} amounts")
    dues = installment_due_dates(tax_year, law)
    end = penalty_period_end(tax_year, law)

    def effective(day: date) -> date:
        for due in dues:
            if due.statutory < day <= due.due:
                return due.statutory
        return day

    queue = sorted(((effective(p.date), p.amount) for p in payments if p.amount > 0), key=lambda x: x[0])
    queue = [(d, a) for d, a in queue if d <= end]
    open_items: list[list[Any]] = []  # [installment index, amount left, start]
    closed: dict[int, list[tuple[float, date, date]]] = {i: [] for i in range(INSTALLMENTS)}
    credit = 0.0
    next_payment = 0

    def pay_until(limit: date) -> float:
        nonlocal credit, next_payment
        paid_now = 0.0
        while next_payment < len(queue) and queue[next_payment][0] <= limit:
            day, amount = queue[next_payment]
            next_payment += 1
            paid_now += amount
            while amount > 0 and open_items:
                item = open_items[0]
                used = min(amount, item[1])
                closed[item[0]].append((used, item[2], day))
                item[1] -= used
                amount -= used
                if item[1] <= 1e-9:
                    open_items.pop(0)
            credit += amount
        return paid_now

    columns = []
    for i, due in enumerate(dues):
        paid = pay_until(due.statutory)
        covered = min(credit, required_amounts[i])
        credit -= covered
        short = required_amounts[i] - covered
        if short > 1e-9:
            open_items.append([i, short, due.statutory])
        columns.append((due, required_amounts[i], paid, max(short, 0.0), credit))
    pay_until(end)
    for item in open_items:
        closed[item[0]].append((item[1], item[2], end))

    assumed: set[tuple[int, int]] = set()
    results = []
    for i, (due, req, paid, short, carried) in enumerate(columns):
        periods = tuple(
            UnderpaymentPeriod(amount, start, stop, (stop - start).days,
                               _interest(amount, start, stop, tax_year, law, assumed))
            for amount, start, stop in closed[i]
        )
        results.append(InstallmentResult(due, req, paid, short, carried, periods))
    return PenaltyResult(
        jurisdiction=law.jurisdiction,
        tax_year=tax_year,
        period_end=end,
        installments=tuple(results),
        assumed_rate_quarters=tuple(f"{y}-Q{q}" for y, q in sorted(assumed)),
    )


def catch_up_payment(
    required: Sequence[float] | np.ndarray,
    payments: Sequence[Payment],
    as_of: date,
    *,
    tax_year: int,
    law: EstimateLaw | None = None,
) -> tuple[DueDate, float] | None:
    """The next due date on or after ``as_of`` and what to pay by it so that every installment
    through it is paid in full (None after the last due date). ``payments`` should hold what is
    paid and withheld through that due date."""
    law = law or estimate_law(FEDERAL)
    amounts = np.cumsum(np.asarray(required, dtype=np.float64))
    for i, due in enumerate(installment_due_dates(tax_year, law)):
        if due.due >= as_of:
            paid = sum(p.amount for p in payments if p.date <= due.due)
            return due, max(float(amounts[i]) - paid, 0.0)
    return None


# ---------------------------------------------------------------- annualized income installments (Schedule AI)


@dataclass(frozen=True)
class ScheduleAI:
    """Form 2210 Schedule AI Part I (Form 5805 Part II annualized method), one value per column.

    Lines as the last published form numbers them: ``annualized_tax`` 19 (tax on the annualized income, other taxes
    including AMT, less credits), ``applicable_percentage`` 20, ``annualized_amount`` 21,
    ``earlier_installments`` 22, ``annualized_installment`` 23, ``regular_installment`` 24,
    ``carried_from_earlier`` 25, ``regular_plus_carried`` 26 and ``required_installment`` 27,
    the smaller of 23 and 26, which goes to Part III line 10.
    """

    jurisdiction: str
    period_ends: tuple[date, ...]
    factors: np.ndarray
    annualized_items: Mapping[str, np.ndarray]
    annualized_tax: np.ndarray
    applicable_percentage: np.ndarray
    annualized_amount: np.ndarray
    earlier_installments: np.ndarray
    annualized_installment: np.ndarray
    regular_installment: np.ndarray
    carried_from_earlier: np.ndarray
    regular_plus_carried: np.ndarray
    required_installment: np.ndarray


def annualized_installments(
    annualized_tax: Sequence[float] | np.ndarray,
    required_annual_payment: float,
    *,
    tax_year: int,
    law: EstimateLaw | None = None,
    annualized_items: Mapping[str, np.ndarray] | None = None,
) -> ScheduleAI:
    """The annualized income installments from each period's tax on annualized income.

    Each installment is the applicable percentage of the annualized tax less the earlier
    installments, but never more than the regular installment plus what earlier columns left
    unused; a reduction in an early column is recaptured in the later ones (IRC §6654(d)(2);
    R&TC §19136.1(b)).
    """
    law = law or estimate_law(FEDERAL)
    line19 = np.asarray(annualized_tax, dtype=np.float64)
    if line19.shape != (INSTALLMENTS,):
        raise InputError("annualized tax", line19.shape, f"{INSTALLMENTS} amounts, one per period")
    line20 = np.asarray(law.applicable_percentages)
    line21 = line19 * line20
    line24 = float(required_annual_payment) * np.asarray(law.installment_fractions)
    line22, line23, line25, line26, line27 = (np.zeros(INSTALLMENTS) for _ in range(5))
    for k in range(INSTALLMENTS):
        line22[k] = line27[:k].sum()
        line23[k] = max(line21[k] - line22[k], 0.0)
        line25[k] = line26[k - 1] - line27[k - 1] if k else 0.0
        line26[k] = line24[k] + line25[k]
        line27[k] = min(line23[k], line26[k])
    return ScheduleAI(
        jurisdiction=law.jurisdiction,
        period_ends=annualization_period_ends(tax_year, law),
        factors=np.asarray(law.annualization_factors),
        annualized_items=dict(annualized_items or {}),
        annualized_tax=line19,
        applicable_percentage=line20,
        annualized_amount=line21,
        earlier_installments=line22,
        annualized_installment=line23,
        regular_installment=line24,
        carried_from_earlier=line25,
        regular_plus_carried=line26,
        required_installment=line27,
    )


#: the key under which :func:`schedule_ai` passes each column's annualization factor to the tax function
FACTOR_KEY = "annualization_factor"


def schedule_ai(
    cumulative: Mapping[str, Sequence[float] | np.ndarray],
    tax_on_annualized: Callable[[Mapping[str, np.ndarray]], np.ndarray],
    *,
    required_annual_payment: float,
    tax_year: int,
    law: EstimateLaw | None = None,
    not_annualized: Collection[str] = (),
) -> ScheduleAI:
    """Schedule AI from cumulative income items and a tax function.

    ``cumulative``: each income or deduction item (AGI, itemized deductions, the ISO spread for
    AMT, ...) as four cumulative amounts, through the period ends of
    :func:`annualization_period_ends`. Each is multiplied by its column's annualization factor
    (4, 2.4, 1.5, 1), except the items named in ``not_annualized`` (the standard deduction is
    taken in full in every column; credits are not annualized). ``tax_on_annualized`` receives
    the annualized items as arrays of four (one "household" per column, plus
    :data:`FACTOR_KEY`) and returns the four columns' total tax less credits (line 19), with the
    AMT figured on annualized AMTI before the exemption as the Schedule AI instructions direct.
    """
    law = law or estimate_law(FEDERAL)
    factors = np.asarray(law.annualization_factors)
    annualized: dict[str, np.ndarray] = {}
    for name, values in cumulative.items():
        column = np.asarray(values, dtype=np.float64)
        if column.shape != (INSTALLMENTS,):
            raise InputError(name, column.shape, f"{INSTALLMENTS} cumulative amounts, one per period")
        annualized[name] = column if name in not_annualized else column * factors
    tax = np.asarray(tax_on_annualized({**annualized, FACTOR_KEY: factors}), dtype=np.float64)
    return annualized_installments(tax, required_annual_payment, tax_year=tax_year, law=law,
                                   annualized_items=annualized)
