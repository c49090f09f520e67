"""Price paths and the federal tax on every path: the engine under ``isoplan risk``.

Price model (docs/risk.md):

* Public stock follows geometric Brownian motion around the plan's mean
  path ``m(d)``: ``S(d) = m(d) exp(sigma W(t) - sigma^2 t / 2)``, ``t`` in years
  (365.25 days) from ``[stock] price_date``, so ``E[S(d)] = m(d)`` and
  ``log S(d) ~ Normal(log m(d) - sigma^2 t / 2, sigma^2 t)``. The mean path
  is the plan's deterministic price path (``growth`` or ``prices``) unless
  ``[stock] drift`` is set, when ``m(d) = price exp(drift t)`` (the drift
  ``mu`` of ``dS = mu S dt + sigma S dW``). With zero volatility every path is
  the deterministic plan path. The simulation is exact at any set of dates
  (independent Gaussian increments), so "daily" or "monthly" steps only
  decide which dates are watched (the January exerciser's price checks, the
  fan chart); the value on an arbitrary date between two of them is drawn
  from the Brownian bridge.
* Private stock: the same process describes the 409A value. A liquidity
  event happens with ``probability`` on a date uniform between ``earliest``
  and ``latest``; its outcome is drawn from the outcome list. After an IPO
  at a multiple the price is that multiple of the 409A process (at a fixed
  IPO price, that price times the process's later change); an acquisition
  pays its price in cash; a failure leaves the shares worthless. Nothing can
  be sold before the event (and never on a path without one).

Tax: :func:`path_years` runs the federal engine (``compute_federal``, "auto"
election) once per tax year over all paths at once, with the minimum tax
credit carried (Form 8801: line 15 from the exclusion-items-only return under
the same election, IRC §53(d)(1)(B); credit used limited to regular tax - TMT,
§53(c), by the engine). The income of a year beyond the plan's years is the
last plan year's. For a plan whose state is CA the same households also run
through California's engine (``compute_california``: Form 540, Schedule P (540),
the Mental Health Services Tax) with the year's property tax and the FTB 3510
credit carried per path as the federal credit is (FTB 3510 Part I line 15 from
the exclusion-items-only return under the election the return used); every
total then includes it, and the California AMT and credit are kept apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, TypedDict

import numpy as np
from numpy.typing import NDArray

from isoplan.planning.plan import Plan, Stock
from isoplan.tax.credit_chain import year_with_credit
from isoplan.tax.form8801 import FEDERAL, exclusion_items_only
from isoplan.tax.households import Households, households, with_added_gains
from isoplan.tax.law import LawTable
from isoplan.tax.states import jurisdiction_of_law

if TYPE_CHECKING:
    from isoplan.planning.staging import StagingModel

#: yearly volatility used when the plan file gives none (a typical single growth stock: 0.3-0.7)
DEFAULT_VOLATILITY = 0.50
DAYS_PER_YEAR = 365.25

#: an amount on every path (n,), or one amount for all of them
PathAmount = NDArray[np.float64] | float


class Amounts(TypedDict, total=False):
    """The amounts of one year added to the base household: the keywords of :func:`path_year`."""

    iso_spread: PathAmount
    ordinary: PathAmount
    short_term: PathAmount
    long_term: PathAmount
    amt_long_term: PathAmount
    disposition_adjustment: PathAmount
    amt_short_term: PathAmount
    nso: PathAmount


class CaliforniaLaw(TypedDict, total=False):
    """California's law and the year's property tax, for :func:`path_year` (empty for a federal plan)."""

    ca_law: LawTable | None
    property_tax: float


class CaliforniaKeywords(CaliforniaLaw, total=False):
    """Every California keyword of :func:`path_year`, the FTB 3510 credit available included."""

    ca_credit: PathAmount


def volatility_of(stock: Stock) -> float:
    return DEFAULT_VOLATILITY if stock.volatility is None else float(stock.volatility)


def mean_prices(stock: Stock, ordinals: np.ndarray) -> np.ndarray:
    """The mean path ``m(d)`` at day ordinals (any shape)."""
    ordinals = np.asarray(ordinals, dtype=np.int64)
    start = stock.price_path.start_date.toordinal()
    if stock.drift is not None:
        years = np.maximum(ordinals - start, 0) / DAYS_PER_YEAR
        drifting: NDArray[np.float64] = stock.price_path.start_price * np.exp(stock.drift * years)
        return drifting
    unique, inverse = np.unique(ordinals, return_inverse=True)
    values = stock.price_path.prices([date.fromordinal(int(o)) for o in unique])
    return values[inverse.reshape(ordinals.shape)]


@dataclass
class Simulation:
    """Brownian paths on a grid of dates; prices are computed from them on demand."""

    stock: Stock
    sigma: float
    dates: list[date]
    ordinals: np.ndarray  # (D,)
    years: np.ndarray  # (D,) years from price_date, 0 before it
    mean: np.ndarray  # (D,)
    brownian: np.ndarray  # (D, n) W(t) at each date (date-major: each date's paths are contiguous)
    rng: np.random.Generator

    @property
    def paths(self) -> int:
        return int(self.brownian.shape[1])

    def column(self, day: date) -> int:
        return int(np.searchsorted(self.ordinals, day.toordinal()))

    def prices(self, days: Sequence[date]) -> np.ndarray:
        """(n, len(days)) prices of the process at grid dates."""
        cols = np.asarray([self.column(d) for d in days], dtype=np.intp)
        with np.errstate(under="ignore"):
            return (self.mean[cols, None] * np.exp(self.sigma * self.brownian[cols]
                                                   - 0.5 * self.sigma ** 2 * self.years[cols, None])).T

    def price(self, day: date) -> np.ndarray:
        return self.prices([day])[:, 0]

    def price_on(self, ordinals: np.ndarray) -> np.ndarray:
        """(n,) the process on a per-path day (ordinal), by the Brownian bridge between grid dates."""
        ordinals = np.asarray(ordinals, dtype=np.int64)
        start = self.stock.price_path.start_date.toordinal()
        t = np.maximum(ordinals - start, 0) / DAYS_PER_YEAR
        right = np.clip(np.searchsorted(self.years, t, side="left"), 0, len(self.years) - 1)
        left = np.maximum(right - 1, 0)
        rows = np.arange(self.paths)
        t_l, t_r = self.years[left], self.years[right]
        w_l, w_r = self.brownian[left, rows], self.brownian[right, rows]
        span = t_r - t_l
        beyond = t > t_r  # after the last grid date: free Brownian increment
        inside = (span > 0) & ~beyond
        frac = np.where(inside, (t - t_l) / np.where(span > 0, span, 1.0), 0.0)
        var = np.where(inside, (t - t_l) * (t_r - t) / np.where(span > 0, span, 1.0), 0.0)
        var = np.where(beyond, t - t_r, var)
        base = np.where(beyond, w_r, w_l + frac * (w_r - w_l))
        w = base + np.sqrt(np.maximum(var, 0.0)) * self.rng.standard_normal(self.paths)
        w = np.where((t <= t_l) & ~beyond, w_l, w)
        with np.errstate(under="ignore"):
            bridged: NDArray[np.float64] = mean_prices(self.stock, ordinals) * np.exp(self.sigma * w
                                                                                      - 0.5 * self.sigma ** 2 * t)
            return bridged


def simulate(stock: Stock, dates: Sequence[date], paths: int, rng: np.random.Generator) -> Simulation:
    """Exact GBM (see module doc) on the sorted set of ``dates``."""
    grid = sorted(set(dates))
    ordinals = np.asarray([d.toordinal() for d in grid], dtype=np.int64)
    start = stock.price_path.start_date.toordinal()
    years = np.maximum(ordinals - start, 0) / DAYS_PER_YEAR
    sigma = volatility_of(stock)
    steps = np.diff(years, prepend=0.0)
    brownian = rng.standard_normal((len(grid), paths))
    brownian *= np.sqrt(steps)[:, None]
    np.cumsum(brownian, axis=0, out=brownian)
    return Simulation(stock, sigma, grid, ordinals, years, mean_prices(stock, ordinals), brownian, rng)


def month_ends(first: date, last: date) -> list[date]:
    out, y, m = [], first.year, first.month
    while True:
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        end = nxt - timedelta(days=1)
        if end > last:
            break
        out.append(end)
        y, m = nxt.year, nxt.month
    return out


def check_dates(first: date, last: date, steps: str) -> list[date]:
    """The price checks after ``first`` up to ``last``: every weekday (daily) or each month's end (monthly)."""
    if steps == "monthly":
        return [d for d in month_ends(first, last) if d > first]
    out, d = [], first + timedelta(days=1)
    while d <= last:
        if d.weekday() < 5:
            out.append(d)
        d += timedelta(days=1)
    return out


# ---------------------------------------------------------------- tax on every path


_KEEP = ("total_tax", "regular_tax", "tentative_minimum_tax", "amt", "amt_credit_used", "itemized")


def _income_row(plan: Plan, year: int) -> dict[str, float]:
    known = [y for y in plan.income_by_year if y <= year] or [min(plan.income_by_year)]
    return dict(plan.income_by_year[max(known)])


def base_households(plan: Plan, year: int) -> Households:
    """The household without any equity in ``year`` (a year past the plan takes the last plan year's inputs)."""
    row = _income_row(plan, year)
    row.pop("property_tax", None)  # California only (Schedule CA line 5); not a federal input of its own
    return households(year=year, filing_status=plan.filing_status, **row)


def property_tax_of(plan: Plan, year: int) -> float:
    """The property-tax part of ``state_local_tax`` in ``year`` (California's deduction), as base_households."""
    return float(_income_row(plan, year).get("property_tax", 0.0))


@dataclass
class PathYear:
    """One tax year over ``n`` paths."""

    total_tax: np.ndarray
    regular_tax: np.ndarray
    tmt: np.ndarray
    amt: np.ndarray
    credit_used: np.ndarray
    credit_next: np.ndarray
    # California (zeros unless ca_law is given); total_tax includes ca_tax
    ca_tax: np.ndarray
    ca_amt: np.ndarray
    ca_credit_used: np.ndarray
    ca_credit_next: np.ndarray

    @property
    def federal_tax(self) -> np.ndarray:
        federal: np.ndarray = self.total_tax - self.ca_tax
        return federal


def path_year(law: LawTable, base: Households, n: int, credit: np.ndarray, *, iso_spread: PathAmount = 0.0,
              ordinary: PathAmount = 0.0, short_term: PathAmount = 0.0, long_term: PathAmount = 0.0,
              amt_long_term: PathAmount = 0.0, disposition_adjustment: PathAmount = 0.0,
              amt_short_term: PathAmount | None = None, nso: PathAmount = 0.0, ca_law: LawTable | None = None,
              property_tax: float = 0.0, ca_credit: PathAmount = 0.0) -> PathYear:
    """The federal (and, with ``ca_law``, California) return of one year for ``n`` paths.

    Amounts are added to the base household. ``iso_spread``: Form 6251 line 2i (Schedule P (540)
    line 6 follows it); ``ordinary``: disqualifying-disposition or NSO income, ``nso`` its NSO part
    (Medicare wages, Form 8959; disqualifying-disposition income is not, §3121(a)(22));
    ``disposition_adjustment``: line 2k as the AMT gain minus the regular gain and income, before any
    loss limit; ``amt_long_term``/``amt_short_term``: the gains on the AMT basis (``amt_short_term``
    defaults to ``short_term``). The capital part of line 2k is re-derived with each basis's own
    §1211(b) limit (:func:`~isoplan.tax.households.with_added_gains`). ``credit``: Form 8801 line 21;
    ``ca_credit``: the FTB 3510 credit available; ``property_tax``: California's Schedule CA line 5.
    """
    amt_st = short_term if amt_short_term is None else amt_short_term
    # line 2k beyond the raw capital difference is ordinary income a disposition takes back for the AMT; the
    # capital part is re-derived from both Schedule Ds, each basis after its own §1211(b) loss limit
    taken_back = (np.asarray(disposition_adjustment, dtype=np.float64)
                  - (np.asarray(amt_long_term, dtype=np.float64) - np.asarray(long_term, dtype=np.float64))
                  - (np.asarray(amt_st, dtype=np.float64) - np.asarray(short_term, dtype=np.float64)))
    h = with_added_gains(
        base, n, short_term=short_term, long_term=long_term, amt_short_term=amt_st, amt_long_term=amt_long_term,
        other_line2k=taken_back,
        iso_bargain_element=base.iso_bargain_element[0] + iso_spread,
        # of ``ordinary``, the NSO spread is also Medicare wages (Form 8959; IRC §3121(a)); ISO
        # disqualifying-disposition income is not (IRC §3121(a)(22))
        nso_income=base.nso_income[0] + nso,
        other_ordinary_income=base.other_ordinary_income[0] + ordinary - np.asarray(nso, dtype=np.float64),
        amt_credit_carryforward=credit,
    )
    excl = exclusion_items_only(h)
    r = year_with_credit(FEDERAL, h, law, credit=credit, keep=_KEEP, exclusion_households=excl)
    zero = np.zeros(n)
    out = PathYear(r.tax, r.regular_tax, r.tentative_minimum_tax, r.amt, r.credit_used, r.credit_next,
                   zero, zero, zero, zero)
    state = None if ca_law is None else jurisdiction_of_law(ca_law)
    if ca_law is not None and state is not None:  # the state's return on the same households, its own credit
        carry = np.broadcast_to(np.asarray(ca_credit, dtype=np.float64), (n,))
        st = year_with_credit(state, h, ca_law, credit=carry, inputs={"property_tax": property_tax},
                              exclusion_households=excl)
        out.ca_tax, out.ca_amt, out.ca_credit_used, out.ca_credit_next = st.tax, st.amt, st.credit_used, st.credit_next
        out.total_tax = out.total_tax + st.tax
    return out


@dataclass
class PathYears:
    """Several years over ``n`` paths: (T, n) arrays, and the credit left after the last year.

    ``total_tax``/``extra_tax`` include California for a California plan; ``amt`` is federal,
    ``ca_*`` the California parts (zeros otherwise).
    """

    years: list[int]
    total_tax: np.ndarray
    extra_tax: np.ndarray  # total tax - the no-exercise reference's
    amt: np.ndarray
    extra_amt: np.ndarray
    credit_left: np.ndarray
    ca_tax: np.ndarray
    ca_extra_tax: np.ndarray
    ca_amt: np.ndarray
    ca_extra_amt: np.ndarray
    ca_credit_left: np.ndarray


def path_years(plan: Plan, law: LawTable, years: Sequence[int], n: int, events: Mapping[int, Amounts],
               credit: float | np.ndarray, *, ca_law: LawTable | None = None,
               ca_credit: float | np.ndarray = 0.0) -> PathYears:
    """Run ``years`` in order with the credit carried; ``events[year]`` holds the amounts of :func:`path_year`.

    The reference (no exercise at all) runs the same years with the same starting credit. With
    ``ca_law`` (a California plan) each year adds California's return, its FTB 3510 credit carried.
    """
    credit_arr = np.broadcast_to(np.asarray(credit, dtype=np.float64), (n,)).copy()
    ref_credit = np.asarray([float(np.max(credit_arr)) if n else 0.0])
    ca_arr = np.broadcast_to(np.asarray(ca_credit, dtype=np.float64), (n,)).copy()
    ref_ca = np.asarray([float(np.max(ca_arr)) if n else 0.0])
    keys = ("total", "extra", "amt", "extra_amt", "ca", "ca_extra", "ca_amt", "ca_extra_amt")
    rows: dict[str, list[np.ndarray]] = {k: [] for k in keys}
    for year in years:
        base = base_households(plan, year)
        ca: CaliforniaLaw = ({"ca_law": ca_law, "property_tax": property_tax_of(plan, year)}
                             if ca_law is not None else {})
        step = path_year(law, base, n, credit_arr, ca_credit=ca_arr, **ca, **events.get(year, Amounts()))
        ref = path_year(law, base, 1, ref_credit, ca_credit=ref_ca, **ca)
        rows["total"].append(step.total_tax)
        rows["extra"].append(step.total_tax - ref.total_tax[0])
        rows["amt"].append(step.amt)
        rows["extra_amt"].append(step.amt - ref.amt[0])
        rows["ca"].append(step.ca_tax)
        rows["ca_extra"].append(step.ca_tax - ref.ca_tax[0])
        rows["ca_amt"].append(step.ca_amt)
        rows["ca_extra_amt"].append(step.ca_amt - ref.ca_amt[0])
        credit_arr, ref_credit = step.credit_next, ref.credit_next
        ca_arr, ref_ca = step.ca_credit_next, ref.ca_credit_next
    arrays = [np.asarray(rows[k]).reshape(len(years), n) for k in keys]
    return PathYears(list(years), arrays[0], arrays[1], arrays[2], arrays[3], credit_left=credit_arr,
                     ca_tax=arrays[4], ca_extra_tax=arrays[5], ca_amt=arrays[6], ca_extra_amt=arrays[7],
                     ca_credit_left=ca_arr)


# ---------------------------------------------------------------- a plan's schedule on every path


@dataclass
class ScheduleOnPaths:
    """A staging schedule run on simulated prices: (T, n) arrays and the after-tax value per path."""

    total_tax: np.ndarray
    extra_tax: np.ndarray
    amt: np.ndarray
    value: np.ndarray  # (n,) proceeds - strike - extra tax, discounted as the plan says
    credit_left: np.ndarray
    # California (zeros unless the plan's state is CA); total_tax and extra_tax include ca_tax
    ca_tax: np.ndarray
    ca_amt: np.ndarray
    ca_credit_left: np.ndarray


def schedule_on_paths(model: StagingModel, schedule: np.ndarray, exercise_prices: np.ndarray, exit_prices: np.ndarray,
                      last_chance_prices: np.ndarray | None = None) -> ScheduleOnPaths:
    """:func:`isoplan.planning.staging.evaluate` of one (B, T) schedule with a price per path.

    ``exercise_prices`` (n, T): the price on each year's exercise date; ``exit_prices`` (n,);
    ``last_chance_prices`` (n, B): the price on each block's last chance (its option's end, or the
    exit). The tax rules are staging's (module doc there); with every path at the plan's prices the
    result is the deterministic evaluation (a test checks it), California's tax included for a
    California plan (``model.ca_law``, ``model.property_tax``, ``plan.prior_ca_credit``).
    """
    n, t_count = exercise_prices.shape
    b_count = len(model.blocks)
    if last_chance_prices is None:
        last_chance_prices = np.repeat(exit_prices[:, None], b_count, axis=1)
    strike = model.strike
    credit = np.full(n, model.plan.prior_credit)
    ref_credit = np.full(1, model.plan.prior_credit)
    state_credit = 0.0 if model.state is None else model.state.prior_credit
    ca_credit = np.full(n, state_credit)
    ref_ca = np.full(1, state_credit)
    before = np.zeros(b_count)
    regular_basis = np.zeros(n)
    amt_basis = np.zeros(n)
    value = np.zeros(n)
    out: dict[str, list[np.ndarray]] = {"total": [], "extra": [], "amt": [], "ca": [], "ca_amt": []}
    for t in range(t_count):
        price = exercise_prices[:, t]
        exercise = schedule[:, t]
        spread = np.maximum(price[:, None] - strike[None, :], 0.0)  # (n, B)
        iso = model.iso_treated[:, t]
        iso_spread = spread[:, iso] @ exercise[iso]
        ordinary = spread[:, ~iso] @ exercise[~iso]
        nso = ordinary.copy()
        strike_paid = np.full(n, float(exercise @ strike))
        proceeds = np.zeros(n)
        held = before + exercise
        is_exit = t == t_count - 1
        for b, (year_index, day, _p, iso_at, can_sell) in enumerate(model.last_chance):
            if year_index != t or not can_sell or (is_exit and model.exit_cap[b] == 0 and day >= model.exit_date):
                continue
            if day >= model.exit_date:
                remaining = max(model.exit_cap[b] - held[b], 0.0)
            else:
                remaining = max(model.blocks[b].exercisable(day) - held[b], 0.0)
            sale = last_chance_prices[:, b]
            in_money = sale > strike[b]  # exercise-and-sell only in the money (§421(b) same-day sale)
            ordinary = ordinary + np.where(in_money, remaining * (sale - strike[b]), 0.0)
            if not iso_at:
                nso = nso + np.where(in_money, remaining * (sale - strike[b]), 0.0)
            strike_paid = strike_paid + np.where(in_money, remaining * strike[b], 0.0)
            proceeds = proceeds + np.where(in_money, remaining * sale, 0.0)
        events: Amounts = {"iso_spread": iso_spread, "ordinary": ordinary, "nso": nso}
        if is_exit:
            from isoplan.planning.model import disqualifying_income

            sale_value = before.sum() * exit_prices
            proceeds = proceeds + sale_value
            # lots of a grant too recent to qualify, held past a year: §422(c)(2) (model.disqualifying_income)
            disq = disqualifying_income(model, np.broadcast_to(before, (n, b_count)), exercise_prices, exit_prices)
            lt, amt_lt = sale_value - regular_basis - disq, sale_value - amt_basis
            events.update({"ordinary": ordinary + disq, "long_term": lt, "amt_long_term": amt_lt,
                           "disposition_adjustment": amt_lt - lt - disq})
        ca: CaliforniaLaw = ({"ca_law": model.state.law, **model.state.inputs[t]}  # type: ignore[typeddict-item]
                             if model.state is not None else {})
        step = path_year(model.law, model.base[t], n, credit, ca_credit=ca_credit, **ca, **events)
        ref = path_year(model.law, model.base[t], 1, ref_credit, ca_credit=ref_ca, **ca)
        extra = step.total_tax - ref.total_tax[0]
        value = value + model.discount[t] * (proceeds - strike_paid - extra)
        if is_exit:  # the credit left, at its assumed recovery after the exit (model.credit_left_worth)
            from isoplan.planning.model import credit_left_worth

            worth = (credit_left_worth(model, step.credit_next, step.ca_credit_next)
                     - credit_left_worth(model, ref.credit_next, ref.ca_credit_next)[0])
            value = value + model.discount[t] * worth
        out["total"].append(step.total_tax)
        out["extra"].append(extra)
        out["amt"].append(step.amt)
        out["ca"].append(step.ca_tax)
        out["ca_amt"].append(step.ca_amt)
        basis = np.where(iso, strike, price[:, None])  # (n, B): strike (ISO) or FMV (NSO income)
        regular_basis = regular_basis + basis @ exercise
        amt_basis = amt_basis + exercise.sum() * price
        before = held
        credit, ref_credit = step.credit_next, ref.credit_next
        ca_credit, ref_ca = step.ca_credit_next, ref.ca_credit_next
    return ScheduleOnPaths(np.asarray(out["total"]), np.asarray(out["extra"]), np.asarray(out["amt"]), value,
                           credit, ca_tax=np.asarray(out["ca"]), ca_amt=np.asarray(out["ca_amt"]),
                           ca_credit_left=ca_credit)
