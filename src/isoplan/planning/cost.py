"""What an ISO exercise really costs: strike cash plus the federal tax it causes, and two ways it can go.

* The tax caused by the exercise is the tax with it minus the tax without it
  (regular tax, AMT and the minimum tax credit used, each shown separately):
  the spread is an AMT adjustment (Form 6251 line 2i, IRC §56(b)(3)), not
  regular income, while the shares are held past December 31.
* Stress: if the price then falls by ``drop``, the AMT does not fall with it:
  once the year closes, the adjustment is fixed at the exercise-date spread.
* The same-year rescue: shares sold in the year of exercise make a
  disqualifying disposition (IRC §421(b)); a same-year disposition gets the
  same treatment for regular tax and AMT, so there is no line 2i adjustment
  (Form 6251 instructions, line 2i). The compensation income is the spread
  at exercise, but when the sale is one on which a loss would be recognized
  it is limited to the gain actually realized, IRC §422(c)(2) (TAX_FACTS D4,
  D5); a sale below the strike is a short-term capital loss (subject to the
  IRC §1211(b) limit, applied by the engine). The income is not FICA wages
  (IRC §3121(a)(22)), so it enters the engine as ``other_ordinary_income``.

Vectorized over households: every argument broadcasts to ``len(h)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from isoplan.errors import InputError
from isoplan.planning.room import Deduction, RoomResult, amt_room, shares_for_spread, with_added_spread
from isoplan.tax.federal import compute_federal
from isoplan.tax.households import Households
from isoplan.tax.law import LawTable, law_table

if TYPE_CHECKING:
    from isoplan.tax.states import Jurisdiction

_KEEP = ("regular_tax", "amt", "amt_credit_used", "niit", "additional_medicare_tax", "total_tax")


@dataclass(frozen=True)
class TaxPath:
    """Federal tax of the household on one path (arrays): the lines that an exercise or a sale moves."""

    regular_tax: np.ndarray
    amt: np.ndarray
    credit_used: np.ndarray
    niit: np.ndarray
    additional_medicare_tax: np.ndarray
    total_tax: np.ndarray

    def minus(self, other: TaxPath) -> TaxPath:
        return TaxPath(**{k: getattr(self, k) - getattr(other, k) for k in self.__dataclass_fields__})


def _tax(h: Households, law: LawTable, deduction: Deduction) -> TaxPath:
    r = compute_federal(h, law, deduction=deduction, keep=_KEEP)
    return TaxPath(
        regular_tax=r.regular_tax,
        amt=r.amt,
        credit_used=r.amt_credit_used,
        niit=r.niit,
        additional_medicare_tax=r.additional_medicare_tax,
        total_tax=r.total_tax,
    )


def _tax_paths(h: Households, variants: list[dict[str, np.ndarray]], law: LawTable,
               deduction: Deduction) -> list[TaxPath]:
    """The tax of ``h`` with each variant's fields replaced, in one engine call (one household's page makes
    several; each call has a fixed cost)."""
    n, k = len(h), len(variants)
    stacked = h.take(np.tile(np.arange(n), k))
    names = sorted({name for variant in variants for name in variant})
    both = stacked.replace(**{name: np.concatenate([variant.get(name, getattr(h, name)) for variant in variants])
                              for name in names})
    whole = _tax(both, law, deduction)
    return [TaxPath(**{f.name: getattr(whole, f.name)[j * n:(j + 1) * n] for f in fields(TaxPath)})
            for j in range(k)]


@dataclass(frozen=True)
class ExerciseCost:
    """The cost of exercising ``shares`` ISOs at ``strike`` when the stock is worth ``fmv`` (arrays).

    Exercise: ``spread_per_share`` (0 when underwater), ``bargain_element``
    (Form 3921 (box 4 - box 3) x box 5; Form 6251 line 2i), ``strike_cash``.
    Tax: ``without`` / ``with_exercise`` paths and ``incremental`` = with -
    without; ``incremental.total_tax`` is the tax the exercise causes
    (a smaller credit use counts: ``credit_use_lost``; that credit is not
    lost, it stays carried forward). ``outlay`` = strike cash + that tax.
    Room: the household's AMT room before this exercise, the spread past it,
    and how many of the shares fit in it.
    Stress (the price falls by ``drop`` after exercise and the shares are held
    into the next year): ``value_after_drop`` against the locked-in tax; with
    ``cash``, whether it covers strike cash + tax and the gap.
    Rescue (sold the same year at the stressed price): ``rescue_*``.
    """

    shares: np.ndarray
    strike: np.ndarray
    fmv: np.ndarray
    spread_per_share: np.ndarray
    bargain_element: np.ndarray
    strike_cash: np.ndarray
    underwater: np.ndarray
    without: TaxPath
    with_exercise: TaxPath
    incremental: TaxPath
    credit_use_lost: np.ndarray
    outlay: np.ndarray
    outlay_per_share: np.ndarray
    amt_room: np.ndarray
    already_in_amt: np.ndarray
    spread_past_room: np.ndarray
    shares_within_room: np.ndarray
    drop: np.ndarray
    price_after_drop: np.ndarray
    value_after_drop: np.ndarray
    tax_exceeds_value: np.ndarray
    cash: np.ndarray  # NaN when not given
    cash_needed: np.ndarray
    cash_covers: np.ndarray
    cash_gap: np.ndarray
    rescue_ordinary_income: np.ndarray
    rescue_capital_gain: np.ndarray  # short-term; negative = loss
    rescue: TaxPath
    rescue_incremental: TaxPath
    rescue_proceeds: np.ndarray
    rescue_net_cash: np.ndarray  # proceeds - strike cash - tax caused by exercise and sale
    hold_net: np.ndarray  # value after the drop - strike cash - tax caused (the position if held)


def _check(name: str, values: np.ndarray, bad: np.ndarray, allowed: str) -> None:
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise InputError(name, float(values.flat[i]), allowed, row=i if values.size > 1 else None)


def validate_exercise(shares: np.ndarray | float, strike: np.ndarray | float, fmv: np.ndarray | float,
                      drop: np.ndarray | float, cash: np.ndarray | float | None) -> None:
    """Raise :class:`InputError` for inputs the calculator cannot use (named by field)."""
    shares, strike, fmv, drop = (np.asarray(v, dtype=np.float64) for v in (shares, strike, fmv, drop))
    _check("shares", shares, ~np.isfinite(shares) | (shares <= 0) | (shares != np.round(shares)),
           "a positive whole number of shares")
    _check("strike", strike, ~np.isfinite(strike) | (strike < 0), "a price per share of 0 or more")
    _check("fmv", fmv, ~np.isfinite(fmv) | (fmv < 0), "a price per share of 0 or more")
    _check("drop", drop, ~np.isfinite(drop) | (drop <= 0) | (drop >= 1),
           "a fraction between 0 and 1 (exclusive), e.g. 0.5 for a 50% fall")
    if cash is not None:
        cash_arr = np.asarray(cash, dtype=np.float64)
        _check("cash", cash_arr, ~np.isfinite(cash_arr) | (cash_arr < 0), "a dollar amount of 0 or more")


def exercise_cost(
    h: Households,
    shares: np.ndarray | float,
    strike: np.ndarray | float,
    fmv: np.ndarray | float,
    law: LawTable | None = None,
    *,
    deduction: Deduction = "auto",
    drop: np.ndarray | float = 0.5,
    cash: np.ndarray | float | None = None,
    room: RoomResult | None = None,
) -> ExerciseCost:
    """Cost, stress test and same-year rescue of one ISO exercise per household (see :class:`ExerciseCost`).

    ``room``: the households' AMT room under the same law and deduction election, when the caller has it."""
    validate_exercise(shares, strike, fmv, drop, cash)
    law = law or law_table()
    n = len(h)

    def arr(value: np.ndarray | float) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()

    shares_a, strike_a, fmv_a, drop_a = arr(shares), arr(strike), arr(fmv), arr(drop)
    cash_a = arr(np.nan if cash is None else cash)

    # the exercise: Form 3921 boxes 3-5; an underwater option has no spread and no AMT adjustment
    spread = np.maximum(fmv_a - strike_a, 0.0)
    bargain = shares_a * spread
    strike_cash = shares_a * strike_a

    # the price after the drop and the same-year rescue (a disqualifying disposition at that price, no line 2i
    # adjustment; §422(c)(2): compensation is limited to the gain realized, sale price - strike, not below 0)
    price_after = fmv_a * (1.0 - drop_a)
    ordinary_per_share = np.minimum(spread, np.maximum(price_after - strike_a, 0.0))
    capital_per_share = price_after - (strike_a + ordinary_per_share)  # regular basis = price paid + compensation
    rescue_ordinary = shares_a * ordinary_per_share
    rescue_capital = shares_a * capital_per_share
    without, with_exercise, rescue = _tax_paths(h, [
        {}, {"iso_bargain_element": h.iso_bargain_element + bargain},  # with_added_spread
        {"other_ordinary_income": h.other_ordinary_income + rescue_ordinary,
         "short_term_gain": h.short_term_gain + rescue_capital}], law, deduction)
    incremental = with_exercise.minus(without)
    credit_use_lost = without.credit_used - with_exercise.credit_used
    outlay = strike_cash + incremental.total_tax

    if room is None:
        room = amt_room(h, law, deduction=deduction)
    past = np.maximum(bargain - room.amt_room, 0.0)
    within = np.minimum(shares_for_spread(room.amt_room, spread), shares_a)

    # stress: the price falls after exercise; held past December 31 the tax stays at the exercise-date spread
    value_after = shares_a * price_after
    needed = strike_cash + incremental.total_tax
    covers = cash_a >= needed
    gap = np.where(np.isnan(cash_a), np.nan, np.maximum(needed - np.nan_to_num(cash_a), 0.0))

    rescue_incremental = rescue.minus(without)
    proceeds = shares_a * price_after

    return ExerciseCost(
        shares=shares_a,
        strike=strike_a,
        fmv=fmv_a,
        spread_per_share=spread,
        bargain_element=bargain,
        strike_cash=strike_cash,
        underwater=fmv_a <= strike_a,
        without=without,
        with_exercise=with_exercise,
        incremental=incremental,
        credit_use_lost=credit_use_lost,
        outlay=outlay,
        outlay_per_share=outlay / shares_a,
        amt_room=room.amt_room,
        already_in_amt=room.already_in_amt,
        spread_past_room=past,
        shares_within_room=within,
        drop=drop_a,
        price_after_drop=price_after,
        value_after_drop=value_after,
        tax_exceeds_value=incremental.total_tax > value_after,
        cash=cash_a,
        cash_needed=needed,
        cash_covers=covers,
        cash_gap=gap,
        rescue_ordinary_income=rescue_ordinary,
        rescue_capital_gain=rescue_capital,
        rescue=rescue,
        rescue_incremental=rescue_incremental,
        rescue_proceeds=proceeds,
        rescue_net_cash=proceeds - strike_cash - rescue_incremental.total_tax,
        hold_net=value_after - strike_cash - incremental.total_tax,
    )


# ------------------------------------------------------------------ the state of residence


@dataclass(frozen=True)
class StateTaxPath:
    """A state's tax of the household on one path (arrays): the lines an exercise or a sale moves
    (:attr:`isoplan.tax.states.Jurisdiction.cost_lines`), by the names shown, also read as attributes."""

    lines: dict[str, np.ndarray]

    def __getattr__(self, name: str) -> np.ndarray:
        lines = self.__dict__.get("lines", {})
        if name in lines:
            line: np.ndarray = lines[name]
            return line
        raise AttributeError(name)

    def minus(self, other: StateTaxPath) -> StateTaxPath:
        return StateTaxPath({k: v - other.lines[k] for k, v in self.lines.items()})


@dataclass(frozen=True)
class StateExerciseCost:
    """The state side of an :class:`ExerciseCost` (arrays aligned with it), for any modeled state.

    The spread is the state's AMT adjustment (California: Schedule P (540)
    line 10, R&TC §17062 via IRC §56(b)(3)), not regular income, while the
    shares are held past December 31. The same-year rescue is the federal
    one: a disqualifying disposition with ordinary income limited to the gain
    (California follows IRC §421(b), §422(c)(2) for regular tax) and no AMT
    adjustment. ``combined_outlay`` = strike cash + federal tax caused +
    state tax caused. The room: the state's AMT room before the exercise
    (infinite for a state without an AMT), the spread past it and the shares
    that fit in it.
    """

    without: StateTaxPath
    with_exercise: StateTaxPath
    incremental: StateTaxPath
    credit_use_lost: np.ndarray
    combined_outlay: np.ndarray
    combined_outlay_per_share: np.ndarray
    amt_room: np.ndarray
    already_in_amt: np.ndarray
    spread_past_room: np.ndarray
    shares_within_room: np.ndarray
    rescue: StateTaxPath
    rescue_incremental: StateTaxPath
    combined_rescue_net_cash: np.ndarray  # proceeds - strike cash - federal and state tax caused by the sale
    combined_hold_net: np.ndarray  # value after the drop - strike cash - federal and state tax caused


@dataclass(frozen=True)
class CaliforniaExerciseCost(StateExerciseCost):
    """:class:`StateExerciseCost` of California (Schedule P (540), FTB 3510), its room under California names."""

    @property
    def ca_amt_room(self) -> np.ndarray:
        return self.amt_room

    @property
    def ca_already_in_amt(self) -> np.ndarray:
        return self.already_in_amt

    @property
    def ca_spread_past_room(self) -> np.ndarray:
        return self.spread_past_room

    @property
    def shares_within_ca_room(self) -> np.ndarray:
        return self.shares_within_room


def _state_tax(state: Jurisdiction, h: Households, law: LawTable, deduction: Deduction,
               inputs: Mapping[str, Any], credit: float | np.ndarray) -> StateTaxPath:
    r = state.compute(h, law, inputs=inputs, credit=credit, deduction=deduction)
    return StateTaxPath({name: r.lines[key] for name, key in state.cost_lines})


def state_exercise_cost(
    state: Jurisdiction,
    h: Households,
    cost: ExerciseCost,
    law: LawTable | None = None,
    *,
    inputs: Mapping[str, Any] | None = None,
    credit: float | np.ndarray = 0.0,
    deduction: Deduction = "auto",
) -> StateExerciseCost:
    """The state tax caused by the exercise ``cost`` describes (same household ``h``) through
    :meth:`~isoplan.tax.states.Jurisdiction.compute` with and without it, and the combined outlay
    (``inputs``: the state's amounts of the year; ``credit``: its AMT credit carried in)."""
    from isoplan.planning.room import state_amt_room

    law = law or state.law_table()
    inputs = dict(inputs or {})
    without = _state_tax(state, h, law, deduction, inputs, credit)
    with_exercise = _state_tax(state, with_added_spread(h, cost.bargain_element), law, deduction, inputs, credit)
    incremental = with_exercise.minus(without)
    room = state_amt_room(state, h, law, inputs, credit, deduction=deduction)
    if room is None:  # no state AMT: the whole exercise fits
        room = np.full(len(h), np.inf)
    sold = h.replace(
        other_ordinary_income=h.other_ordinary_income + cost.rescue_ordinary_income,
        short_term_gain=h.short_term_gain + cost.rescue_capital_gain,
    )
    rescue = _state_tax(state, sold, law, deduction, inputs, credit)
    rescue_incremental = rescue.minus(without)
    combined = cost.outlay + incremental.total_tax
    return StateExerciseCost(
        without=without,
        with_exercise=with_exercise,
        incremental=incremental,
        credit_use_lost=without.credit_used - with_exercise.credit_used,
        combined_outlay=combined,
        combined_outlay_per_share=combined / cost.shares,
        amt_room=room,
        already_in_amt=without.amt > 0,
        spread_past_room=np.maximum(cost.bargain_element - room, 0.0),
        shares_within_room=np.minimum(shares_for_spread(room, cost.spread_per_share), cost.shares),
        rescue=rescue,
        rescue_incremental=rescue_incremental,
        combined_rescue_net_cash=cost.rescue_net_cash - rescue_incremental.total_tax,
        combined_hold_net=cost.hold_net - incremental.total_tax,
    )


def california_exercise_cost(
    h: Households,
    cost: ExerciseCost,
    law: LawTable | None = None,
    *,
    property_tax: float | np.ndarray = 0.0,
    ca_amt_credit_carryforward: float | np.ndarray = 0.0,
    deduction: Deduction = "auto",
) -> CaliforniaExerciseCost:
    """California tax caused by the exercise ``cost`` describes (same household ``h``), and the combined outlay."""
    from isoplan.tax.states.california import CALIFORNIA

    out = state_exercise_cost(CALIFORNIA, h, cost, law, inputs={"property_tax": property_tax},
                              credit=ca_amt_credit_carryforward, deduction=deduction)
    return CaliforniaExerciseCost(**{f.name: getattr(out, f.name) for f in fields(out)})
