"""The staging model and the evaluation of schedules: every year's return with the credit carried.

A plan (:class:`~isoplan.planning.plan.Plan`) becomes a :class:`StagingModel`:
its grants split into ISO and NSO blocks under the §422(d) $100,000 limit,
the years and their exercise dates and prices, the base household of each
year and, when the plan's state is modeled, that state's return behind the
jurisdiction seam (:mod:`isoplan.tax.states`). :func:`evaluate` runs share
schedules through every year with the federal minimum tax credit (Form 8801)
and the state's AMT credit carried, both through the one credit chain
(:mod:`isoplan.tax.credit_chain`). The optimizer and the
plan's comparison are in :mod:`isoplan.planning.staging`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

import numpy as np

from isoplan.equity.dates import first_day_more_than
from isoplan.equity.exercise import iso_status_at_exercise
from isoplan.equity.iso_limit import iso_nso_split
from isoplan.equity.records import ISO, NSO, Grant
from isoplan.equity.rules import equity_rules
from isoplan.planning.move_bound import after_credit
from isoplan.planning.plan import Plan
from isoplan.planning.sorting import distinct_rows
from isoplan.tax.credit_chain import (
    DistinctReturns,
    YearWithCredit,
    distinct_returns,
    with_credit_on_distinct,
)
from isoplan.tax.form8801 import FEDERAL, exclusion_items_only
from isoplan.tax.households import Households, households, with_added_gains
from isoplan.tax.law import LawTable, law_table
from isoplan.tax.states import Jurisdiction, inputs_of, jurisdiction, state_input_names


@dataclass(frozen=True)
class Block:
    """Shares of one grant that share a tax kind under §422(d): exercised only on the grid."""

    grant: Grant
    kind: str  # ISO or NSO (the §422(d) split)
    tranches: tuple[tuple[date, date, int], ...]  # (first exercisable, vests, shares)
    last_day: date  # expiration, or the plan's post-termination window end
    departure: date | None

    @property
    def label(self) -> str:
        return f"{self.grant.id} {self.kind}"

    def label_at(self, day: date) -> str:
        """The label of an exercise on ``day``: an ISO exercised after the employment window is taxed as an
        NSO (§422(a)(2)) and labelled so; its date is then the long-term date, not a qualifying one."""
        if self.kind == ISO and not self.iso_treated(day):
            return f"{self.grant.id} NSO (ISO exercised after the employment window)"
        return self.label

    @property
    def strike(self) -> float:
        return float(self.grant.strike)

    @property
    def shares(self) -> int:
        return sum(s for _, _, s in self.tranches)

    def exercisable(self, day: date) -> int:
        """Shares of the block that may have been exercised by ``day`` (vested, or early exercise)."""
        if day > self.last_day:
            day = self.last_day
        return sum(s for first, _, s in self.tranches if first <= day)

    def iso_treated(self, day: date) -> bool:
        """ISO tax treatment for an exercise on ``day`` (§422(a)(2) employment window)."""
        return self.kind == ISO and iso_status_at_exercise(day, self.departure).iso

    def holding_ok(self, exercise: date, sale: date) -> bool:
        """Whether a lot exercised on ``exercise`` is qualifying (ISO) / long-term (NSO) when sold on ``sale``."""
        rules = equity_rules()
        long_term = sale >= first_day_more_than(exercise, rules.years_after_exercise)
        if not self.iso_treated(exercise):
            return sale >= first_day_more_than(exercise, rules.long_term_years)
        return long_term and sale >= first_day_more_than(self.grant.grant_date, rules.years_after_grant)

    def qualifying_date(self, exercise: date) -> date:
        rules = equity_rules()
        if not self.iso_treated(exercise):
            return first_day_more_than(exercise, rules.long_term_years)
        return max(first_day_more_than(exercise, rules.years_after_exercise),
                   first_day_more_than(self.grant.grant_date, rules.years_after_grant))


def blocks_from_grants(grants: Sequence[Grant], departure: date | None) -> list[Block]:
    """Split grants into ISO and NSO blocks (§422(d)); tranches vesting after a departure are forfeited."""
    splits = iso_nso_split(grants)
    out = []
    for grant in grants:
        mine = [s for s in splits if s.grant_id == grant.id]
        last = grant.plan_window_end(departure) if departure else grant.expiration_date
        for kind in (ISO, NSO):
            tranches = tuple(
                (s.first_exercisable, s.vest_date, s.iso_shares if kind == ISO else s.nso_shares)
                for s in mine
                if (s.iso_shares if kind == ISO else s.nso_shares) > 0
                and (departure is None or s.vest_date <= departure)
            )
            if tranches:
                out.append(Block(grant, kind, tranches, last, departure))
    return out


@dataclass(frozen=True)
class StateModel:
    """The plan's state: its return, its law, its own inputs per year and the credit carried into the plan."""

    jurisdiction: Jurisdiction
    law: LawTable
    inputs: list[dict[str, float]]  # per plan year (e.g. California's property tax)
    prior_credit: float  # the state AMT credit carried into the first year (the plan's prior_ca_credit)


def state_model(plan: Plan, years: Sequence[int]) -> StateModel | None:
    """The plan's state behind the jurisdiction seam, None when its state is not modeled (or none)."""
    state = jurisdiction(plan.state)
    if state is None:
        return None
    inputs = [inputs_of(state, plan.income_by_year[y]) for y in years]
    return StateModel(state, state.law_table(plan.inflation), inputs, plan.prior_ca_credit)


def without_state_inputs(row: Mapping[str, float]) -> dict[str, float]:
    """An income row less every modeled state's own inputs (they are not federal household inputs)."""
    names = state_input_names()
    return {k: v for k, v in row.items() if k not in names}


def _prior_state_credit(model: StagingModel) -> float:
    return 0.0 if model.state is None else model.state.prior_credit


@dataclass
class StagingModel:
    """Everything the evaluation needs, as arrays over (block, year)."""

    plan: Plan
    law: LawTable
    blocks: list[Block]
    years: list[int]
    exercise_dates: list[date]
    price_at_exercise: np.ndarray  # (T,)
    allowed: np.ndarray  # (B, T) bool: an exercise may be planned that year
    cap: np.ndarray  # (B, T) cumulative shares exercisable by the exercise date
    iso_treated: np.ndarray  # (B, T)
    strike: np.ndarray  # (B,)
    exit_date: date
    exit_price: float
    sale_possible_at_exit: bool
    last_chance: list[tuple[int, date, float, bool, bool]]  # per block: (year index, date, price, iso, can sell)
    exit_cap: np.ndarray  # (B,) shares exercisable for exercise-and-sell at the exit (0 if closed before)
    base: list[Households]  # per year, length-1 households without any equity
    base_tax: np.ndarray  # (T,) total tax of the no-exercise reference path (prior credit used as it comes)
    discount: np.ndarray  # (T,)
    cash_limit: np.ndarray  # (T,)
    notes: list[str] = field(default_factory=list)
    state: StateModel | None = None  # the plan's state when isoplan models it (isoplan.tax.states)
    #: (B,) per block, the one exercise year whose lot is sold at the exit more than a year after exercise but
    #: within two years of grant: a disqualifying disposition (IRC §422(a)(1)) taxed under §422(c)(2); -1: none
    disqualifying_year: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    #: the minimum tax credit a year after the exit can recover: the exit year's regular tax minus tentative
    #: minimum tax without any exercise (IRC §53(c)); the state's the same way (its own credit)
    credit_margin: float = 0.0
    state_credit_margin: float = 0.0
    #: what the no-exercise reference's credit left after the exit is worth (see :func:`credit_left_worth`)
    reference_credit_worth: float = 0.0

    @property
    def state_key(self) -> str | None:
        """The JSON key of the state's figures (e.g. ``"california"``), None for a federal-only plan."""
        return None if self.state is None else self.state.jurisdiction.key

    # California-named views of the state seam, for the callers and tests that read them by these names
    @property
    def california(self) -> bool:
        return self.state is not None and self.state.jurisdiction.code == "CA"

    @property
    def ca_law(self) -> LawTable | None:
        return self.state.law if self.state is not None and self.california else None

    @property
    def property_tax(self) -> np.ndarray | None:
        if self.state is None or not self.california:
            return None
        return np.asarray([float(row.get("property_tax", 0.0)) for row in self.state.inputs])


def build_model(plan: Plan, law: LawTable | None = None) -> StagingModel:
    law = law or law_table(plan.inflation)
    blocks = blocks_from_grants(plan.grants, plan.departure_date)
    years = list(plan.years)
    dates = [plan.exercise_date(y) for y in years]
    prices = plan.stock.price_path.prices(dates)
    exit_date, exit_price = plan.exit_date, plan.exit_price
    b_count, t_count = len(blocks), len(years)
    allowed = np.zeros((b_count, t_count), dtype=bool)
    cap = np.zeros((b_count, t_count))
    iso_treated = np.zeros((b_count, t_count), dtype=bool)
    notes: list[str] = []
    private = plan.stock.kind == "private"
    liquidity = plan.stock.liquidity_date
    for b, block in enumerate(blocks):
        for t, d in enumerate(dates):
            cap[b, t] = block.exercisable(d)
            iso_treated[b, t] = block.iso_treated(d)
            allowed[b, t] = d < exit_date and d <= block.last_day and block.holding_ok(d, exit_date)
    disqualifying_year = _disqualifying_years(blocks, dates, exit_date, allowed, cap)
    for b, t in enumerate(disqualifying_year):
        if t >= 0:
            allowed[b, t] = True
    last_chance = []
    exit_cap = np.zeros(b_count)
    for b, block in enumerate(blocks):
        if block.last_day < exit_date:
            can_sell = not private or (liquidity is not None and block.last_day >= liquidity)
            year_index = block.last_day.year - years[0]
            price = float(plan.stock.price_path.price(block.last_day))
            last_chance.append((year_index, block.last_day, price, block.iso_treated(block.last_day), can_sell))
            if not can_sell:
                notes.append(f"{block.label}: the option ends {block.last_day.isoformat()}, before the exit, and "
                             "private stock cannot be sold then; shares not exercised by then are lost.")
        else:
            last_chance.append((t_count - 1, exit_date, exit_price, block.iso_treated(exit_date), True))
            exit_cap[b] = block.exercisable(exit_date)
    sale_possible = not private or (liquidity is not None and exit_date >= liquidity)
    if not sale_possible:
        notes.append("The exit is before the expected liquidity date of this private stock: the plan assumes a "
                     "sale at the exit price anyway; check the exit assumption.")
    base = [households(year=year, filing_status=plan.filing_status,
                       **without_state_inputs(plan.income_by_year[year])) for year in years]
    disc = np.asarray([(1.0 + plan.discount_rate) ** -(t) for t in range(t_count)])
    cash_limit = np.asarray([plan.cash_by_year[y] - plan.cash_reserve for y in years])
    model = StagingModel(
        plan=plan, law=law, blocks=blocks, years=years, exercise_dates=dates, price_at_exercise=prices,
        allowed=allowed, cap=cap, iso_treated=iso_treated,
        strike=np.asarray([blk.strike for blk in blocks]), exit_date=exit_date, exit_price=exit_price,
        sale_possible_at_exit=sale_possible, last_chance=last_chance, exit_cap=exit_cap, base=base,
        base_tax=np.zeros(t_count), discount=disc, cash_limit=cash_limit, notes=notes,
        state=state_model(plan, years), disqualifying_year=disqualifying_year,
    )
    model.credit_margin, model.state_credit_margin = _credit_margins(model)
    reference = evaluate(model, np.zeros((1, b_count, t_count)), reference=True)
    model.base_tax = reference.total_tax[:, 0]
    model.reference_credit_worth = float(credit_left_worth(model, reference.credit_left,
                                                           reference.state_credit_left)[0])
    if not np.any(allowed & (cap > 0)) and not np.any(exit_cap):
        notes.append("No grant can be exercised within the plan's years: check the grant dates, vesting, "
                     "expiration and departure.")
    return model


def _disqualifying_years(blocks: Sequence[Block], dates: Sequence[date], exit_date: date, allowed: np.ndarray,
                         cap: np.ndarray) -> np.ndarray:
    """Per block, the exercise year whose lot the exit sells more than a year after exercise but within two
    years of grant (-1: none).

    That sale is a disqualifying disposition (IRC §422(a)(1)) in a later year: ordinary income is the
    exercise-date spread, capped at the gain (§422(c)(2), Reg. 1.422-1(b)(2)), the rest long-term gain, and
    the AMT basis is the exercise-date value, so the exercise year's Form 6251 line 2i adjustment reverses on
    line 2k. Only for a block with no other allowed year (two years from grant are then after the exit for
    every exercise), and only one year, the last one with shares exercisable (a year's interval holds at most
    two exercise dates), so the shares held at the exit tell which lot they are.
    """
    rules = equity_rules()
    out = np.full(len(blocks), -1, dtype=np.intp)
    for b, block in enumerate(blocks):
        if allowed[b].any():
            continue
        years = [t for t, d in enumerate(dates)
                 if d < exit_date and d <= block.last_day and cap[b, t] > 0 and block.iso_treated(d)
                 and exit_date >= first_day_more_than(d, rules.years_after_exercise)]
        if years:
            out[b] = years[-1]
    return out


def disqualifying_income(model: StagingModel, held: np.ndarray, exercise_price: np.ndarray,
                         exit_price: np.ndarray | float) -> np.ndarray:
    """(n,) ordinary income of the exit's disqualifying sales (IRC §422(c)(2)): per block with a
    disqualifying year, the shares held x the exercise-date spread, capped at the gain at the exit price.

    ``held`` (n, B) shares held at the exit; ``exercise_price`` (n, T) or (T,) each year's exercise price;
    ``exit_price`` (n,) or a number.
    """
    n = held.shape[0]
    out = np.zeros(n)
    prices = np.broadcast_to(np.asarray(exercise_price, dtype=np.float64), (n, len(model.years)))
    sale = np.broadcast_to(np.asarray(exit_price, dtype=np.float64), (n,))
    for b, t in enumerate(model.disqualifying_year):
        if t < 0:
            continue
        k = model.strike[b]
        per_share = np.minimum(np.maximum(prices[:, t] - k, 0.0), np.maximum(sale - k, 0.0))
        out = out + held[:, b] * per_share
    return out


#: years after the exit over which credit left is assumed recovered (see :func:`credit_left_worth`)
CREDIT_RECOVERY_YEARS = 10


def _credit_margins(model: StagingModel) -> tuple[float, float]:
    """The exit year's regular tax minus tentative minimum tax without any exercise, federal and the state's:
    what a later year with the same income can recover of a minimum tax credit (IRC §53(c); FTB 3510)."""
    t = len(model.years) - 1
    zero = np.zeros(1)
    taxes = year_taxes(model, t, iso_spread=zero, ordinary=zero, credit=zero, state_credit=zero)
    federal = max(float(taxes.regular_tax[0] - taxes.tmt[0]), 0.0)
    state = 0.0
    if taxes.state is not None:
        state = max(float(taxes.state.regular_tax[0] - taxes.state.tentative_minimum_tax[0]), 0.0)
    return federal, state


def credit_left_worth(model: StagingModel, credit: np.ndarray, state_credit: np.ndarray | None = None
                      ) -> np.ndarray:
    """(n,) what the credit left after the exit is worth in exit-year dollars, under the stated assumption:
    each of the :data:`CREDIT_RECOVERY_YEARS` years after the exit recovers up to the exit year's regular tax
    minus tentative minimum tax without an exercise (IRC §53(c); the state's credit against its own margin),
    each year discounted at the plan's discount rate; what is left after them is worth nothing."""
    credit = np.asarray(credit, dtype=np.float64)
    rate = model.plan.discount_rate
    worth = np.zeros(credit.shape[0])
    pools = [(credit, model.credit_margin)]
    if state_credit is not None:
        pools.append((np.asarray(state_credit, dtype=np.float64), model.state_credit_margin))
    for pool, margin in pools:
        if margin <= 0:
            continue
        for k in range(1, CREDIT_RECOVERY_YEARS + 1):
            used = np.clip(pool - (k - 1) * margin, 0.0, margin)
            worth = worth + used * (1.0 + rate) ** -k
    return worth


def credit_assumption(model: StagingModel) -> str:
    """The credit-after-the-exit assumption in one sentence."""
    state = ""
    if model.state is not None:
        state = f" (the state's credit up to ${model.state_credit_margin:,.0f} a year the same way)"
    return (f"Credit left after the exit (Form 8801, IRC §53) is counted as recovered over the "
            f"{CREDIT_RECOVERY_YEARS} years after it, up to ${model.credit_margin:,.0f} a year (the exit year's "
            f"regular tax minus tentative minimum tax without an exercise, §53(c)){state}, each year discounted "
            f"at the plan's discount rate ({model.plan.discount_rate:.0%}); any credit beyond that counts as "
            "nothing.")


# ---------------------------------------------------------------- one year for many scenarios


_ENGINE_KEYS = ("regular_tax", "tentative_minimum_tax", "niit", "additional_medicare_tax", "itemized_allowed",
                "standard_total")


@dataclass
class YearTaxes:
    """One year's federal tax for many scenarios (the engine's "auto" election, Form 8801 line 15)."""

    total_tax: np.ndarray
    regular_tax: np.ndarray
    tmt: np.ndarray
    amt: np.ndarray
    credit_used: np.ndarray
    line15: np.ndarray  # net minimum tax on exclusion items
    state: YearWithCredit | None = None  # the plan's state return, its own credit applied (total_tax includes it)

    # the state's figures under their California names (see StagingModel.california)
    ca_total_tax = property(lambda self: None if self.state is None else self.state.tax)
    ca_amt = property(lambda self: None if self.state is None else self.state.amt)
    ca_credit_used = property(lambda self: None if self.state is None else self.state.credit_used)


def _distinct(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of the integers ``ids`` in ascending order, as (a position of each, the index of each
    id's value among them): :func:`numpy.unique`'s ``return_index`` and ``return_inverse``, except that the
    position may be any of a value's (equal ids stand for equal inputs); without sorting when the ids are small."""
    n = ids.size
    if n == 0 or ids.dtype.kind not in "iu" or int(ids.min()) < 0 or int(ids.max()) >= 4 * n + 1024:
        _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
        return first, inverse.reshape(-1)
    present = np.zeros(int(ids.max()) + 1, dtype=bool)
    present[ids] = True
    rank = np.cumsum(present) - 1
    inverse = rank[ids]
    position = np.empty(int(rank[-1]) + 1, dtype=np.intp)
    position[inverse] = np.arange(n)
    return position, inverse


def _year_households(model: StagingModel, t: int, unique: np.ndarray) -> Households:
    """Year ``t``'s households for rows (iso spread, ordinary income, long-term gain, AMT long-term gain, NSO
    wages, line 2k's ordinary part) added to the year's base household."""
    base = model.base[t]
    # the exit sale's gains on both bases; line 2k re-derived, each basis after its own §1211(b) limit
    return with_added_gains(base, unique.shape[0], long_term=unique[:, 2], amt_long_term=unique[:, 3],
                            iso_bargain_element=unique[:, 0],
                            # of the ordinary income, the NSO spread is also Medicare wages (Form 8959;
                            # IRC §3121(a)); ISO disqualifying-disposition income is not (IRC §3121(a)(22))
                            nso_income=base.nso_income[0] + unique[:, 4],
                            other_ordinary_income=base.other_ordinary_income[0] + unique[:, 1] - unique[:, 4],
                            other_line2k=unique[:, 5], amt_credit_carryforward=0.0)


@dataclass
class ElectionTaxes:
    """One return for many scenarios under each deduction election, before any credit (arrays (elections, n)).

    Whatever credit ``c`` a scenario carries, its tax after the credit is, for the election the return takes,
    ``tax - min(c, limit) + other`` and its credit left ``max(c - min(c, limit) + amt - line 15, 0)``
    (:func:`isoplan.tax.credit_chain.with_credit_on_distinct`: Form 8801 lines 21-26, §53(c); the state's form the same
    way): so the least over the elections bounds the tax from below and the most bounds the credit left from
    above (line 15 is never negative), for any credit."""

    tax: np.ndarray  # the tax the credit reduces, before it
    limit: np.ndarray  # the most the credit may take (regular tax less TMT, §53(c))
    other: np.ndarray  # taxes beside it that neither the credit nor the election touch (0 when none)
    amt: np.ndarray

    def after_credit(self, credit: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(len(rows),) each: the least tax of scenarios ``rows`` after the credit ``credit``, over the elections, and
        the most credit they carry to the next year."""
        return after_credit(self.tax, self.limit, self.other, self.amt, credit, rows)


def election_taxes(returns: DistinctReturns) -> ElectionTaxes:
    """:class:`ElectionTaxes` of the distinct rows of ``returns`` (:func:`year_returns`): the returns the engine
    already ran for the moves' taxes, before the credit."""
    n = returns.tax.shape[1]
    # the other taxes summed from zero (none: zero)
    other = np.zeros(n) + returns.other if returns.other.shape[1] else np.zeros((2, n))
    # as the compiled loop takes them (:func:`isoplan.planning.move_bound.after_credit`), made once
    return ElectionTaxes(*(np.ascontiguousarray(a, dtype=np.float64)
                           for a in (returns.tax, returns.credit_limit, other, returns.amt)))


def year_taxes(model: StagingModel, t: int, *, iso_spread: np.ndarray, ordinary: np.ndarray,
               credit: np.ndarray, wages: np.ndarray | None = None, long_term_gain: np.ndarray | None = None,
               amt_long_term_gain: np.ndarray | None = None, same_as: np.ndarray | None = None,
               state_credit: np.ndarray | None = None, ca_credit: np.ndarray | None = None,
               taken_back: np.ndarray | None = None, returns: YearReturns | None = None) -> YearTaxes:
    """Year ``t``'s return for many scenarios.

    Scenarios share few distinct (spread, income) rows, so the engine runs once
    per distinct row and per deduction election; the credit (Form 8801 line 25,
    limited to regular tax - TMT by §53(c)) and the election (the one with the
    lower regular tax + AMT - credit, ties to the larger deduction, as
    :func:`~isoplan.tax.federal.compute_federal` chooses) are then applied per
    scenario. A test checks this against the engine row by row. ``taken_back``:
    Form 6251 line 2k's ordinary part, the disqualifying-disposition income of
    shares exercised in an earlier year, which AMT income already counted
    (negative). ``returns``: the returns of the distinct rows already run
    (:func:`year_returns`), ``same_as`` each scenario's row among them.
    """
    state_credit = ca_credit if state_credit is None else state_credit  # ca_credit: its California name
    if returns is None:
        n = iso_spread.shape[0]
        columns = (iso_spread, ordinary, np.zeros(n) if long_term_gain is None else long_term_gain,
                   np.zeros(n) if amt_long_term_gain is None else amt_long_term_gain,
                   np.zeros(n) if wages is None else wages, np.zeros(n) if taken_back is None else taken_back)
        if same_as is not None:  # an integer per scenario, equal where the inputs are equal (faster to sort)
            first, inverse = _distinct(np.asarray(same_as))
            unique = np.stack([column[first] for column in columns], axis=1)
        else:
            unique, inverse = distinct_rows(np.stack(columns, axis=1))
        returns, same_as = _returns_of(model, t, _year_households(model, t, unique)), inverse.reshape(-1)
    assert same_as is not None
    return _year_taxes_of(model, returns, same_as, credit, state_credit)


@dataclass
class YearReturns:
    """Year ``t``'s federal return and the state's (None without one) of distinct rows without an exit sale, before
    any credit (:func:`isoplan.tax.credit_chain.distinct_returns`): what :func:`year_taxes` runs the engine for,
    run once for every scenario that shares a row."""

    federal: DistinctReturns
    state: DistinctReturns | None


def year_returns(model: StagingModel, t: int, *, iso_spread: np.ndarray, ordinary: np.ndarray, wages: np.ndarray,
                 disqualifying: np.ndarray) -> YearReturns:
    """:class:`YearReturns` of rows as :class:`YearMoves` (each row's line 2k part is ``-disqualifying``, as
    :func:`year_step_of` passes it), the households built as :func:`year_taxes` builds them."""
    zero = np.zeros(iso_spread.shape[0])
    return _returns_of(model, t, _year_households(model, t, np.stack([iso_spread, ordinary, zero, zero, wages,
                                                                       -disqualifying], axis=1)))


def _returns_of(model: StagingModel, t: int, h: Households) -> YearReturns:
    """:class:`YearReturns` of the distinct households ``h`` of year ``t``: each election's federal return and the
    state's, and their exclusion-items refigures (Form 8801 line 15), without the credit."""
    excl_h = exclusion_items_only(h)
    federal = distinct_returns(FEDERAL, h, model.law, inputs={}, keep=_ENGINE_KEYS, exclusion_households=excl_h)
    state = None
    if model.state is not None:
        state = distinct_returns(model.state.jurisdiction, h, model.state.law, inputs=model.state.inputs[t],
                                 keep=None, exclusion_households=excl_h)
    return YearReturns(federal, state)


def _year_taxes_of(model: StagingModel, returns: YearReturns, rows: np.ndarray, credit: np.ndarray,
                   state_credit: np.ndarray | None) -> YearTaxes:
    """:func:`year_taxes` of scenarios ``rows`` of ``returns``, each with its own credit (and the state's)."""
    federal = with_credit_on_distinct(FEDERAL, returns.federal, rows, credit)
    out = YearTaxes(total_tax=federal.tax, regular_tax=federal.regular_tax, tmt=federal.tentative_minimum_tax,
                    amt=federal.amt, credit_used=federal.credit_used, line15=federal.net_minimum_tax_on_exclusions)
    if model.state is not None:
        assert returns.state is not None
        out.state = with_credit_on_distinct(model.state.jurisdiction, returns.state, rows,
                                            np.zeros(rows.shape[0]) if state_credit is None else state_credit)
        out.total_tax = out.total_tax + out.state.tax
    return out


@dataclass
class YearStep:
    """What year ``t`` does to many scenarios at once."""

    total_tax: np.ndarray
    regular_tax: np.ndarray
    tmt: np.ndarray
    amt: np.ndarray
    credit_used: np.ndarray
    credit_created: np.ndarray
    credit_next: np.ndarray
    iso_spread: np.ndarray
    nso_income: np.ndarray
    strike_paid: np.ndarray
    sale_proceeds: np.ndarray
    regular_basis_added: np.ndarray
    amt_basis_added: np.ndarray
    cash_out: np.ndarray
    flow: np.ndarray  # proceeds - strike - (tax - reference tax), undiscounted
    ordinary: np.ndarray  # ordinary income added to the year's household (NSO and same-day sales)
    wages: np.ndarray  # the part of ``ordinary`` that is NSO spread: Medicare wages too
    long_term_gain: np.ndarray  # long-term gain added (exit-year sales), regular basis
    amt_long_term_gain: np.ndarray  # the same with AMT basis
    state_tax: np.ndarray  # the plan's state (0 without one); total_tax includes it
    state_amt: np.ndarray
    state_credit_used: np.ndarray
    state_credit_created: np.ndarray
    state_credit_next: np.ndarray
    disqualifying: np.ndarray  # ordinary income of the exit's disqualifying sales of earlier lots (§422(c)(2))
    credit_worth: np.ndarray  # exit year: the worth of the credit left, less the reference's (credit_left_worth)


@dataclass
class YearMoves:
    """What year ``t``'s exercises do to many scenarios before any tax (arrays of shape (n,)): the part of
    :func:`year_step` that the credit carried does not change, so the optimizer computes it once per move."""

    iso_spread: np.ndarray
    nso_income: np.ndarray
    strike_paid: np.ndarray
    ordinary: np.ndarray  # ordinary income added to the year's household (NSO and same-day sales)
    wages: np.ndarray  # the part of ``ordinary`` that is NSO spread: Medicare wages too
    proceeds: np.ndarray
    disqualifying: np.ndarray  # ordinary income of the exit's disqualifying sales of earlier lots (§422(c)(2))
    regular_basis_added: np.ndarray
    amt_basis_added: np.ndarray
    long_term_gain: np.ndarray | None = None  # the exit's sale, regular basis (None: no sale)
    amt_long_term_gain: np.ndarray | None = None  # the same with AMT basis

    def take(self, rows: np.ndarray) -> YearMoves:
        """The scenarios ``rows`` (an index array), in that order."""
        parts: dict[str, Any] = {f.name: None if getattr(self, f.name) is None else getattr(self, f.name)[rows]
                                 for f in fields(self)}
        return YearMoves(**parts)

    def joined(self, more: YearMoves) -> YearMoves:
        """These scenarios, then ``more``'s."""
        parts: dict[str, Any] = {f.name: None if getattr(self, f.name) is None else
                                 np.concatenate([getattr(self, f.name), getattr(more, f.name)]) for f in fields(self)}
        return YearMoves(**parts)


def year_moves(model: StagingModel, t: int, exercised_before: np.ndarray, exercise: np.ndarray,
               regular_basis: np.ndarray | None = None, amt_basis: np.ndarray | None = None, *,
               reference: bool = False) -> YearMoves:
    """Year ``t``'s exercises and sales for ``n`` scenarios, before any tax (see :func:`year_step`)."""
    n = exercise.shape[0]
    price = model.price_at_exercise[t]
    spread_per_share = np.maximum(price - model.strike, 0.0)
    iso = model.iso_treated[:, t]
    iso_spread = exercise[:, iso] @ spread_per_share[iso]
    nso_income = exercise[:, ~iso] @ spread_per_share[~iso]
    strike_paid = exercise @ model.strike
    ordinary = nso_income.copy()
    wages = nso_income.copy()
    proceeds = np.zeros(n)
    held = exercised_before + exercise
    is_exit = t == len(model.years) - 1
    # exercise-and-sell on a block's last chance (its option ends before the exit) or at the exit
    for b, (year_index, _day, sale_price, _iso_at, can_sell) in enumerate(model.last_chance):
        if year_index != t or not can_sell or (is_exit and model.exit_cap[b] == 0 and _day >= model.exit_date):
            continue
        if _day >= model.exit_date:
            remaining = np.maximum(model.exit_cap[b] - held[:, b], 0.0)
        else:
            remaining = np.maximum(model.blocks[b].exercisable(_day) - held[:, b], 0.0)
        in_money = sale_price > model.strike[b]
        if in_money and not reference:
            # a same-day sale: ordinary income = the spread (ISO disqualifying disposition, §421(b); or NSO)
            ordinary = ordinary + remaining * (sale_price - model.strike[b])
            if not _iso_at:
                wages = wages + remaining * (sale_price - model.strike[b])
            strike_paid = strike_paid + remaining * model.strike[b]
            proceeds = proceeds + remaining * sale_price
    lt = amt_lt = None
    disqualifying = np.zeros(n)
    if is_exit and not reference:
        shares_held = exercised_before.sum(axis=1)
        sale_value = shares_held * model.exit_price
        proceeds = proceeds + sale_value
        # a lot held past a year but not two from grant: ordinary income up to its exercise-date spread, the
        # rest of the gain long-term on a basis raised by that income (§422(c)(2), Reg. 1.422-1(b)(2))
        disqualifying = disqualifying_income(model, exercised_before, model.price_at_exercise, model.exit_price)
        ordinary = ordinary + disqualifying
        lt = sale_value - regular_basis - disqualifying
        amt_lt = sale_value - amt_basis
    basis_iso = np.where(iso, model.strike, price)  # regular basis per share: strike (ISO) or FMV (NSO income)
    return YearMoves(iso_spread=iso_spread, nso_income=nso_income, strike_paid=strike_paid, ordinary=ordinary,
                     wages=wages, proceeds=proceeds, disqualifying=disqualifying,
                     regular_basis_added=exercise @ basis_iso, amt_basis_added=exercise.sum(axis=1) * price,
                     long_term_gain=lt, amt_long_term_gain=amt_lt)


def year_step(model: StagingModel, t: int, exercised_before: np.ndarray, exercise: np.ndarray,
              credit: np.ndarray, regular_basis: np.ndarray | None = None,
              amt_basis: np.ndarray | None = None, *, reference: bool = False,
              same_as: np.ndarray | None = None, state_credit: np.ndarray | None = None) -> YearStep:
    """Year ``t`` for ``n`` scenarios.

    ``exercised_before`` (n, B): shares exercised in earlier years;
    ``exercise`` (n, B): shares exercised at this year's exercise date;
    ``credit`` (n,): minimum tax credit available (Form 8801 line 21);
    ``state_credit`` (n,): the state AMT credit available (e.g. FTB 3510), for a plan with a modeled state;
    ``regular_basis`` / ``amt_basis`` (n,): bases of the lots held (used in the exit year).
    """
    moves = year_moves(model, t, exercised_before, exercise, regular_basis, amt_basis, reference=reference)
    return year_step_of(model, t, moves, credit, reference=reference, same_as=same_as, state_credit=state_credit)


def year_step_of(model: StagingModel, t: int, moves: YearMoves, credit: np.ndarray, *, reference: bool = False,
                 same_as: np.ndarray | None = None, state_credit: np.ndarray | None = None,
                 returns: YearReturns | None = None) -> YearStep:
    """:func:`year_step` from the year's exercises and sales (:func:`year_moves`): the tax, with the credit
    ``credit`` (and the state's ``state_credit``) available. ``same_as``: an integer per scenario, equal where
    the moves are equal (the engine runs once per distinct one); with ``returns``, the index of its row there
    (:func:`year_returns`: the engine already ran)."""
    n = moves.iso_spread.shape[0]
    is_exit = t == len(model.years) - 1
    state_credit = np.zeros(n) if state_credit is None else state_credit
    result = year_taxes(model, t, iso_spread=moves.iso_spread, ordinary=moves.ordinary, credit=credit,
                        wages=moves.wages, long_term_gain=moves.long_term_gain,
                        amt_long_term_gain=moves.amt_long_term_gain, same_as=same_as, state_credit=state_credit,
                        taken_back=-moves.disqualifying, returns=returns)
    used = result.credit_used
    created = result.amt - result.line15
    credit_next = np.maximum(credit - used + created, 0.0)
    zero = np.zeros(n)
    state = result.state
    extra_tax = result.total_tax - model.base_tax[t]
    state_next = np.maximum(state_credit, 0.0) if state is None else state.credit_next
    worth = np.zeros(n)
    if is_exit and not reference:  # the credit left, at its assumed recovery after the exit
        worth = credit_left_worth(model, credit_next, state_next) - model.reference_credit_worth
    strike_paid, proceeds = moves.strike_paid, moves.proceeds
    lt, amt_lt = moves.long_term_gain, moves.amt_long_term_gain
    return YearStep(
        total_tax=result.total_tax, regular_tax=result.regular_tax, tmt=result.tmt,
        amt=result.amt, credit_used=used, credit_created=created, credit_next=credit_next,
        iso_spread=moves.iso_spread, nso_income=moves.nso_income, strike_paid=strike_paid, sale_proceeds=proceeds,
        regular_basis_added=moves.regular_basis_added, amt_basis_added=moves.amt_basis_added,
        # a same-day exercise-and-sale pays its own strike and tax
        cash_out=np.maximum(strike_paid + np.maximum(extra_tax, 0.0) - proceeds, 0.0),
        flow=proceeds - strike_paid - extra_tax + worth,
        ordinary=moves.ordinary, wages=moves.wages, long_term_gain=np.zeros(n) if lt is None else lt,
        amt_long_term_gain=np.zeros(n) if amt_lt is None else amt_lt,
        state_tax=zero if state is None else state.tax, state_amt=zero if state is None else state.amt,
        state_credit_used=zero if state is None else state.credit_used,
        state_credit_created=zero if state is None else state.credit_created,
        state_credit_next=state_next, disqualifying=moves.disqualifying, credit_worth=worth,
    )


# ---------------------------------------------------------------- evaluating whole schedules


@dataclass
class Evaluation:
    """Schedules run through every year: arrays of shape (T, n) unless noted."""

    schedule: np.ndarray  # (n, B, T) shares exercised at each year's exercise date
    total_tax: np.ndarray
    extra_tax: np.ndarray
    regular_tax: np.ndarray
    tmt: np.ndarray
    amt: np.ndarray
    credit_available: np.ndarray
    credit_used: np.ndarray
    credit_created: np.ndarray
    iso_spread: np.ndarray
    nso_income: np.ndarray
    strike_paid: np.ndarray
    sale_proceeds: np.ndarray
    cash_out: np.ndarray
    ordinary: np.ndarray
    wages: np.ndarray
    long_term_gain: np.ndarray
    amt_long_term_gain: np.ndarray
    state_tax: np.ndarray  # the plan's state (zeros without one)
    state_amt: np.ndarray
    state_credit_used: np.ndarray
    state_credit_created: np.ndarray
    state_credit_available: np.ndarray
    value: np.ndarray  # (n,) after-tax value at the exit (discounted if set)
    feasible: np.ndarray  # (n,) cash, allowed exercises and the zero-AMT setting all hold
    credit_left: np.ndarray  # (n,) credit available after the exit year
    state_credit_left: np.ndarray  # (n,) the state credit available after the exit year
    disqualifying: np.ndarray  # (T, n) ordinary income of the exit's disqualifying sales (§422(c)(2))
    cash_available: np.ndarray  # (T, n) the year's cash less the reserve, plus what earlier years left unspent
    credit_worth: np.ndarray  # (n,) the credit left's assumed worth less the reference's (in the value)

    # the state's arrays under their California names (see StagingModel.california)
    ca_tax = property(lambda self: self.state_tax)
    ca_amt = property(lambda self: self.state_amt)
    ca_credit_used = property(lambda self: self.state_credit_used)
    ca_credit_created = property(lambda self: self.state_credit_created)
    ca_credit_available = property(lambda self: self.state_credit_available)
    ca_credit_left = property(lambda self: self.state_credit_left)


def evaluate(model: StagingModel, schedule: np.ndarray, *, reference: bool = False) -> Evaluation:
    """Run ``schedule`` (n, B, T) of shares through every year, with the credit carried (Form 8801)."""
    schedule = np.asarray(schedule, dtype=np.float64)
    n, _, t_count = schedule.shape
    credit = np.full(n, model.plan.prior_credit)
    state_credit = np.full(n, _prior_state_credit(model))
    before = np.zeros((n, len(model.blocks)))
    regular_basis = np.zeros(n)
    amt_basis = np.zeros(n)
    keys = ("total_tax", "regular_tax", "tmt", "amt", "credit_used", "credit_created", "iso_spread",
            "nso_income", "strike_paid", "sale_proceeds", "cash_out", "ordinary", "wages", "long_term_gain",
            "amt_long_term_gain", "state_tax", "state_amt", "state_credit_used", "state_credit_created",
            "disqualifying")
    rows: dict[str, list[np.ndarray]] = {k: [] for k in (*keys, "credit_available", "extra_tax",
                                                         "state_credit_available", "cash_available")}
    value = np.zeros(n)
    feasible = np.ones(n, dtype=bool)
    carried = np.zeros(n)  # cash a year left unspent, available the next year
    worth = np.zeros(n)
    for t in range(t_count):
        exercise = schedule[:, :, t]
        step = year_step(model, t, before, exercise, credit, regular_basis, amt_basis, reference=reference,
                         state_credit=state_credit)
        rows["credit_available"].append(credit)
        rows["state_credit_available"].append(state_credit)
        for k in keys:
            rows[k].append(getattr(step, k))
        rows["extra_tax"].append(step.total_tax - model.base_tax[t])
        available = model.cash_limit[t] + carried
        rows["cash_available"].append(available)
        carried = np.maximum(available - step.cash_out, 0.0)
        value = value + model.discount[t] * step.flow
        worth = step.credit_worth
        if not reference:
            cum = before + exercise
            ok = np.all((exercise == 0) | model.allowed[None, :, t], axis=1)
            ok &= np.all(cum <= model.cap[None, :, t] + 1e-9, axis=1) | np.all(exercise == 0, axis=1)
            if t < t_count - 1:
                ok &= step.cash_out <= available + 1e-6
                if model.plan.zero_amt:
                    ok &= step.amt + step.state_amt <= 0.5
            feasible &= ok
        before = before + exercise
        regular_basis = regular_basis + step.regular_basis_added
        amt_basis = amt_basis + step.amt_basis_added
        credit = step.credit_next
        state_credit = step.state_credit_next
    out = {k: np.asarray(v) for k, v in rows.items()}
    return Evaluation(schedule=schedule, value=value, feasible=feasible, credit_left=credit,
                      state_credit_left=state_credit, credit_worth=worth, **out)
