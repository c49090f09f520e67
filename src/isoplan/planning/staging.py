"""Staging a grant across years: the model, schedule evaluation, the optimizer and the baselines.

"Find the room. Fill it. Stop. Repeat next year." A *schedule* says how many
shares of each block (a grant's ISO part or NSO part under the §422(d)
$100,000 limit) are exercised at each year's exercise date (early January by
default). What is left is exercised and sold at the exit (or, if the option
would end first, on its last day, public stock only). Every lot exercised
before the exit is held and sold at the exit.

Objective: the after-tax value at the exit: sale proceeds, less strike paid,
less every year's federal tax above the tax the household would pay without
any exercise, optionally discounted. AMT paid creates minimum tax credit
(Form 8801) that later years recover, so the optimizer weighs AMT now against
ordinary income later.

Method (exact on a share grid): dynamic programming over the years. The state
is the number of shares of each block exercised so far (on the grid); the
future depends on the path only through the credit carried (Form 8801 line
21) and the regular and AMT bases of the lots held, and it can only gain from
more of each, so each state keeps its Pareto set of (value so far, credit,
regular basis, AMT basis) and drops dominated labels. A brute-force test
checks the optimum on small grids.

Model simplifications (stated in every plan's output):
* lots exercised before the exit must be held to their qualifying date
  (ISO) or long-term (NSO) by the exit: the optimizer does not plan early
  exercises that end in a disqualifying sale at the exit;
* cash: each year's strike plus that year's extra tax must fit in that
  year's cash less the reserve; unspent cash does not roll forward;
* the credit left after the exit year is reported, not valued.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NotRequired, TypedDict

import numpy as np
from numpy.typing import NDArray

from isoplan.equity.dates import first_day_more_than
from isoplan.equity.exercise import iso_status_at_exercise
from isoplan.equity.iso_limit import iso_nso_split
from isoplan.equity.records import ISO, NSO, Grant
from isoplan.equity.rules import equity_rules
from isoplan.planning.plan import Plan
from isoplan.tax.federal import ELECTION_TIE, compute_federal
from isoplan.tax.form8801 import exclusion_items_only, net_minimum_tax_on_exclusions
from isoplan.tax.households import Households, households
from isoplan.tax.law import LawTable, law_table

#: state-space budget for the automatic grid (product of levels over grants), and the most steps per grant
AUTO_STATES = 200
MAX_STEPS = 40
#: labels kept per state: PAIR_BUDGET (state, move) pairs per year spread over the grid, between MIN_LABELS
#: and MAX_LABELS; half by value so far, half by what they could still be worth. The output says when a
#: label that could still have won was dropped: then the schedule is the best found, not proven optimal.
PAIR_BUDGET = 2_500_000
MIN_LABELS = 16
MAX_LABELS = 1024


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
    ca_law: LawTable | None = None  # California's law when the plan's state is CA
    property_tax: np.ndarray | None = None  # (T,) the property-tax part of state_local_tax (California)

    @property
    def california(self) -> bool:
        return self.ca_law is not None


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
    base = []
    property_tax = np.zeros(len(years))
    for t, year in enumerate(years):
        row = dict(plan.income_by_year[year])
        property_tax[t] = row.pop("property_tax", 0.0)
        base.append(households(year=year, filing_status=plan.filing_status, **row))
    ca_law = None
    if plan.state == "CA":
        from isoplan.tax.states.california import ca_law_table

        ca_law = ca_law_table(plan.inflation)
    disc = np.asarray([(1.0 + plan.discount_rate) ** -(t) for t in range(t_count)])
    cash_limit = np.asarray([plan.cash_by_year[y] - plan.cash_reserve for y in years])
    model = StagingModel(
        plan=plan, law=law, blocks=blocks, years=years, exercise_dates=dates, price_at_exercise=prices,
        allowed=allowed, cap=cap, iso_treated=iso_treated,
        strike=np.asarray([blk.strike for blk in blocks]), exit_date=exit_date, exit_price=exit_price,
        sale_possible_at_exit=sale_possible, last_chance=last_chance, exit_cap=exit_cap, base=base,
        base_tax=np.zeros(t_count), discount=disc, cash_limit=cash_limit, notes=notes,
        ca_law=ca_law, property_tax=property_tax,
    )
    reference = evaluate(model, np.zeros((1, b_count, t_count)), reference=True)
    model.base_tax = reference.total_tax[:, 0]
    if not np.any(allowed & (cap > 0)) and not np.any(exit_cap):
        notes.append("No grant can be exercised within the plan's years: check the grant dates, vesting, "
                     "expiration and departure.")
    return model


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
    ca_total_tax: np.ndarray | None = None  # California (Form 540 with Schedule P and FTB 3510), if CA
    ca_amt: np.ndarray | None = None
    ca_credit_used: np.ndarray | None = None
    ca_line15: np.ndarray | None = None  # FTB 3510: net minimum tax on exclusion items


def year_taxes(model: StagingModel, t: int, *, iso_spread: np.ndarray, ordinary: np.ndarray,
               credit: np.ndarray, long_term_gain: np.ndarray | None = None,
               amt_long_term_gain: np.ndarray | None = None, same_as: np.ndarray | None = None,
               ca_credit: np.ndarray | None = None) -> YearTaxes:
    """Year ``t``'s return for many scenarios.

    Scenarios share few distinct (spread, income) rows, so the engine runs once
    per distinct row and per deduction election; the credit (Form 8801 line 25,
    limited to regular tax - TMT by §53(c)) and the election (the one with the
    lower regular tax + AMT - credit, ties to the larger deduction, as
    :func:`~isoplan.tax.federal.compute_federal` chooses) are then applied per
    scenario. A test checks this against the engine row by row.
    """
    n = iso_spread.shape[0]
    lt = np.zeros(n) if long_term_gain is None else long_term_gain
    amt_lt = np.zeros(n) if amt_long_term_gain is None else amt_long_term_gain
    keys = np.stack([iso_spread, ordinary, lt, amt_lt], axis=1)
    if same_as is not None:  # an integer per scenario, equal where the inputs are equal (faster to sort)
        _, first, inverse = np.unique(same_as, return_index=True, return_inverse=True)
        unique = keys[first]
    else:
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    base = model.base[t]
    m = unique.shape[0]
    h = base.take(np.zeros(m, dtype=np.intp)).replace(
        iso_bargain_element=unique[:, 0],
        other_ordinary_income=base.other_ordinary_income[0] + unique[:, 1],
        long_term_gain=base.long_term_gain[0] + unique[:, 2],
        amt_long_term_gain=base.amt_long_term_gain[0] + unique[:, 3],
        amt_disposition_adjustment=base.amt_disposition_adjustment[0] + unique[:, 3] - unique[:, 2],
        amt_credit_carryforward=0.0,
    )
    excl_h = exclusion_items_only(h)
    per_election = {}
    for election in ("standard", "itemized"):
        r = compute_federal(h, model.law, deduction=election, keep=_ENGINE_KEYS)
        excl = compute_federal(excl_h, model.law, deduction=election, keep=("tentative_minimum_tax",))
        regular = r.regular_tax[inverse]
        tmt = r.tentative_minimum_tax[inverse]
        amt = np.maximum(tmt - regular, 0.0)
        used = np.minimum(credit, np.maximum(regular - tmt, 0.0))
        per_election[election] = (regular, tmt, amt, used, regular + amt - used,
                                  (r.niit + r.additional_medicare_tax)[inverse],
                                  net_minimum_tax_on_exclusions(excl.tentative_minimum_tax, r.regular_tax)[inverse],
                                  (r.itemized_allowed > r.standard_total)[inverse])
    std, itm = per_election["standard"], per_election["itemized"]
    larger_is_itemized = itm[7]
    itemize = np.where(larger_is_itemized, ~(std[4] < itm[4] - ELECTION_TIE), itm[4] < std[4] - ELECTION_TIE)

    def pick(i: int) -> np.ndarray:
        return np.where(itemize, itm[i], std[i])

    income_tax = pick(4)
    out = YearTaxes(total_tax=income_tax + pick(5), regular_tax=pick(0), tmt=pick(1), amt=pick(2),
                    credit_used=pick(3), line15=pick(6))
    if model.ca_law is not None:
        _add_california(model, t, h, excl_h, inverse, np.zeros(n) if ca_credit is None else ca_credit, out)
    return out


def _add_california(model: StagingModel, t: int, h: Households, excl_h: Households, inverse: np.ndarray,
                    credit: np.ndarray, out: YearTaxes) -> None:
    """California's Form 540 / Schedule P / FTB 3510 for the same distinct rows, then per scenario.

    The FTB 3510 credit used is the lesser of the credit available and the
    regular tax less exemption credits less TMT, which does not depend on the
    credit, so it is applied per scenario; the election is then the one
    :func:`~isoplan.tax.states.california.compute_california` takes (lower California
    tax, ties to the larger deduction). The exclusion-items return keeps that
    election (FTB 3510 Part I, as Form 8801).
    """
    from isoplan.tax.states.california import compute_california

    assert model.ca_law is not None and model.property_tax is not None
    ptax = model.property_tax[t]
    per = {}
    for election in ("standard", "itemized"):
        r = compute_california(h, model.ca_law, property_tax=ptax, deduction=election)
        excl = compute_california(excl_h, model.ca_law, property_tax=ptax, deduction=election)
        limit = r.ca_amt_credit_limit[inverse]
        used = np.minimum(credit, limit)
        total = r.ca_total_tax[inverse] - used
        per[election] = (total, r.ca_amt[inverse], used,
                         net_minimum_tax_on_exclusions(excl.ca_tentative_minimum_tax, r.ca_p_line25)[inverse],
                         (r.ca_itemized_allowed > r.ca_standard_deduction)[inverse])
    std, itm = per["standard"], per["itemized"]
    itemize = np.where(itm[4], itm[0] <= std[0] + ELECTION_TIE, itm[0] < std[0] - ELECTION_TIE)
    out.ca_total_tax, out.ca_amt, out.ca_credit_used, out.ca_line15 = (
        np.where(itemize, itm[i], std[i]) for i in range(4))
    out.total_tax = out.total_tax + out.ca_total_tax


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
    long_term_gain: np.ndarray  # long-term gain added (exit-year sales), regular basis
    amt_long_term_gain: np.ndarray  # the same with AMT basis
    ca_tax: np.ndarray  # California (0 unless the plan's state is CA); total_tax includes it
    ca_amt: np.ndarray
    ca_credit_used: np.ndarray
    ca_credit_created: np.ndarray
    ca_credit_next: np.ndarray


def year_step(model: StagingModel, t: int, exercised_before: np.ndarray, exercise: np.ndarray,
              credit: np.ndarray, regular_basis: np.ndarray | None = None,
              amt_basis: np.ndarray | None = None, *, reference: bool = False,
              same_as: np.ndarray | None = None, ca_credit: np.ndarray | None = None) -> YearStep:
    """Year ``t`` for ``n`` scenarios.

    ``exercised_before`` (n, B): shares exercised in earlier years;
    ``exercise`` (n, B): shares exercised at this year's exercise date;
    ``credit`` (n,): minimum tax credit available (Form 8801 line 21);
    ``ca_credit`` (n,): California AMT credit available (FTB 3510), for a California plan;
    ``regular_basis`` / ``amt_basis`` (n,): bases of the lots held (used in the exit year).
    """
    n = exercise.shape[0]
    price = model.price_at_exercise[t]
    spread_per_share = np.maximum(price - model.strike, 0.0)
    iso = model.iso_treated[:, t]
    iso_spread = exercise[:, iso] @ spread_per_share[iso]
    nso_income = exercise[:, ~iso] @ spread_per_share[~iso]
    strike_paid = exercise @ model.strike
    ordinary = nso_income.copy()
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
            strike_paid = strike_paid + remaining * model.strike[b]
            proceeds = proceeds + remaining * sale_price
    lt = amt_lt = None
    if is_exit and not reference:
        shares_held = exercised_before.sum(axis=1)
        sale_value = shares_held * model.exit_price
        proceeds = proceeds + sale_value
        lt = sale_value - regular_basis
        amt_lt = sale_value - amt_basis
    ca_credit = np.zeros(n) if ca_credit is None else ca_credit
    result = year_taxes(model, t, iso_spread=iso_spread, ordinary=ordinary, credit=credit,
                        long_term_gain=lt, amt_long_term_gain=amt_lt, same_as=same_as, ca_credit=ca_credit)
    used = result.credit_used
    created = result.amt - result.line15
    credit_next = np.maximum(credit - used + created, 0.0)
    zero = np.zeros(n)
    ca_amt = zero if result.ca_amt is None else result.ca_amt
    ca_used = zero if result.ca_credit_used is None else result.ca_credit_used
    ca_created = zero if result.ca_line15 is None else ca_amt - result.ca_line15
    ca_total = zero if result.ca_total_tax is None else result.ca_total_tax
    extra_tax = result.total_tax - model.base_tax[t]
    basis_iso = np.where(iso, model.strike, price)  # regular basis per share: strike (ISO) or FMV (NSO income)
    return YearStep(
        total_tax=result.total_tax, regular_tax=result.regular_tax, tmt=result.tmt,
        amt=result.amt, credit_used=used, credit_created=created, credit_next=credit_next,
        iso_spread=iso_spread, nso_income=nso_income, strike_paid=strike_paid, sale_proceeds=proceeds,
        regular_basis_added=exercise @ basis_iso, amt_basis_added=exercise.sum(axis=1) * price,
        # a same-day exercise-and-sale pays its own strike and tax
        cash_out=np.maximum(strike_paid + np.maximum(extra_tax, 0.0) - proceeds, 0.0),
        flow=proceeds - strike_paid - extra_tax,
        ordinary=ordinary, long_term_gain=np.zeros(n) if lt is None else lt,
        amt_long_term_gain=np.zeros(n) if amt_lt is None else amt_lt,
        ca_tax=ca_total, ca_amt=ca_amt, ca_credit_used=ca_used, ca_credit_created=ca_created,
        ca_credit_next=np.maximum(ca_credit - ca_used + ca_created, 0.0),
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
    long_term_gain: np.ndarray
    amt_long_term_gain: np.ndarray
    ca_tax: np.ndarray  # California (zeros unless the plan's state is CA)
    ca_amt: np.ndarray
    ca_credit_used: np.ndarray
    ca_credit_created: np.ndarray
    ca_credit_available: np.ndarray
    value: np.ndarray  # (n,) after-tax value at the exit (discounted if set)
    feasible: np.ndarray  # (n,) cash, allowed exercises and the zero-AMT setting all hold
    credit_left: np.ndarray  # (n,) credit available after the exit year
    ca_credit_left: np.ndarray  # (n,) California credit available after the exit year


def evaluate(model: StagingModel, schedule: np.ndarray, *, reference: bool = False) -> Evaluation:
    """Run ``schedule`` (n, B, T) of shares through every year, with the credit carried (Form 8801)."""
    schedule = np.asarray(schedule, dtype=np.float64)
    n, _, t_count = schedule.shape
    credit = np.full(n, model.plan.prior_credit)
    ca_credit = np.full(n, model.plan.prior_ca_credit)
    before = np.zeros((n, len(model.blocks)))
    regular_basis = np.zeros(n)
    amt_basis = np.zeros(n)
    keys = ("total_tax", "regular_tax", "tmt", "amt", "credit_used", "credit_created", "iso_spread",
            "nso_income", "strike_paid", "sale_proceeds", "cash_out", "ordinary", "long_term_gain",
            "amt_long_term_gain", "ca_tax", "ca_amt", "ca_credit_used", "ca_credit_created")
    rows: dict[str, list[np.ndarray]] = {k: [] for k in (*keys, "credit_available", "extra_tax",
                                                         "ca_credit_available")}
    value = np.zeros(n)
    feasible = np.ones(n, dtype=bool)
    for t in range(t_count):
        exercise = schedule[:, :, t]
        step = year_step(model, t, before, exercise, credit, regular_basis, amt_basis, reference=reference,
                         ca_credit=ca_credit)
        rows["credit_available"].append(credit)
        rows["ca_credit_available"].append(ca_credit)
        for k in keys:
            rows[k].append(getattr(step, k))
        rows["extra_tax"].append(step.total_tax - model.base_tax[t])
        value = value + model.discount[t] * step.flow
        if not reference:
            cum = before + exercise
            ok = np.all((exercise == 0) | model.allowed[None, :, t], axis=1)
            ok &= np.all(cum <= model.cap[None, :, t] + 1e-9, axis=1) | np.all(exercise == 0, axis=1)
            if t < t_count - 1:
                ok &= step.cash_out <= model.cash_limit[t] + 1e-6
                if model.plan.zero_amt:
                    ok &= step.amt + step.ca_amt <= 0.5
            feasible &= ok
        before = before + exercise
        regular_basis = regular_basis + step.regular_basis_added
        amt_basis = amt_basis + step.amt_basis_added
        credit = step.credit_next
        ca_credit = step.ca_credit_next
    out = {k: np.asarray(v) for k, v in rows.items()}
    return Evaluation(schedule=schedule, value=value, feasible=feasible, credit_left=credit,
                      ca_credit_left=ca_credit, **out)


# ---------------------------------------------------------------- the grid and the optimizer


def _exercise_order(model: StagingModel, grant_id: str) -> tuple[list[int], np.ndarray, np.ndarray]:
    """A grant's blocks and the order its shares are exercised in: tranche by tranche (oldest first), ISO
    shares before NSO shares within a tranche (isoplan's convention, as :mod:`isoplan.equity.exercise`).

    Returns the grant's block indices and, for the sequence of segments, the block of each and its size.
    """
    blocks = [b for b, blk in enumerate(model.blocks) if blk.grant.id == grant_id]
    segments = []
    for b in blocks:
        rank = 0 if model.blocks[b].kind == ISO else 1
        for first, vest, shares in model.blocks[b].tranches:
            segments.append((vest, first, rank, b, shares))
    segments.sort()
    return blocks, np.asarray([s[3] for s in segments], dtype=np.intp), np.asarray([s[4] for s in segments], float)


def _compose(segment_block: np.ndarray, segment_shares: np.ndarray, level: float, b_count: int) -> np.ndarray:
    """Shares of each block among the first ``level`` shares of a grant's exercise order."""
    out = np.zeros(b_count)
    ends = np.cumsum(segment_shares)
    starts = ends - segment_shares
    taken = np.clip(level - starts, 0.0, segment_shares)
    np.add.at(out, segment_block, taken)
    return out


@dataclass
class Grid:
    """The share grid: per grant, cumulative share levels; combined into block-level share vectors."""

    grant_ids: list[str]
    levels: list[np.ndarray]
    combo_shares: np.ndarray  # (n_combos, B): cumulative shares of each block at each grid point


def share_grid(model: StagingModel, steps: int | None = None,
               extra: Sequence[np.ndarray] = ()) -> Grid:
    """Even steps of each grant plus each year's exercisable total, combined over grants.

    ``extra``: schedules (B, T) whose cumulative share counts join the grid (the baselines), so the
    optimizer can always reach them.
    """
    b_count = len(model.blocks)
    grant_ids = list(dict.fromkeys(blk.grant.id for blk in model.blocks))
    if not steps:
        steps = min(MAX_STEPS, max(1, round(AUTO_STATES ** (1.0 / max(len(grant_ids), 1))) - 1))
    levels, compositions = [], []
    for gid in grant_ids:
        blocks, seg_block, seg_shares = _exercise_order(model, gid)
        cap = model.cap[blocks].sum(axis=0)
        usable = model.allowed[blocks].any(axis=0)
        top = float(cap[usable].max(initial=0.0))
        even = np.floor(np.linspace(0.0, top, min(steps, max(int(top), 1)) + 1))
        cumulative = [np.cumsum(x[blocks].sum(axis=0))[:-1] for x in extra]
        grant_levels = np.unique(np.concatenate([even, cap[usable], [0.0], *cumulative]))
        levels.append(grant_levels)
        compositions.append(np.stack([_compose(seg_block, seg_shares, lv, b_count) for lv in grant_levels]))
    combos = itertools.product(*[range(len(lv)) for lv in levels])
    combo_shares = np.asarray([sum((compositions[g][k] for g, k in enumerate(c)), np.zeros(b_count))
                               for c in combos]).reshape(-1, b_count)
    return Grid(grant_ids, levels, combo_shares)


def _valid_moves(model: StagingModel, t: int, old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """(len(old), len(new)) bool: moving from cumulative ``old`` to ``new`` shares is a valid year-t exercise."""
    ok = np.ones((old.shape[0], new.shape[0]), dtype=bool)
    for b in range(old.shape[1]):
        n_b, o_b = new[None, :, b], old[:, b:b + 1]
        if model.allowed[b, t]:
            ok &= (n_b >= o_b - 1e-9) & (n_b <= model.cap[b, t] + 1e-9)
        else:
            ok &= np.abs(n_b - o_b) <= 1e-9
    return ok


def grid_schedules(model: StagingModel, steps: int | None = None, limit: int = 2_000_000) -> np.ndarray:
    """Every on-grid schedule (n, B, T) that respects vesting and windows: the brute force the optimizer is
    tested against (cash and the zero-AMT setting are checked by :func:`evaluate`)."""
    grid = share_grid(model, steps)
    t_count = len(model.years)
    paths = np.zeros((1, 1), dtype=np.intp)  # combo index after each decision year (start: all zero)
    start = int(np.flatnonzero(~grid.combo_shares.any(axis=1))[0])
    paths[:] = start
    for t in range(t_count - 1):
        ok = _valid_moves(model, t, grid.combo_shares[paths[:, -1]], grid.combo_shares)
        p, c = np.nonzero(ok)
        if p.size > limit:
            raise ValueError(f"{p.size} schedules: too many to enumerate")
        paths = np.concatenate([paths[p], c[:, None]], axis=1)
    cumulative = grid.combo_shares[paths]  # (n, T, B) after each decision year (index 0: the start)
    steps_taken = np.diff(cumulative, axis=1)  # (n, T-1, B)
    out = np.zeros((paths.shape[0], len(model.blocks), t_count))
    out[:, :, : t_count - 1] = np.transpose(steps_taken, (0, 2, 1))
    return out


@dataclass
class OptimizerResult:
    schedule: np.ndarray  # (B, T)
    value: float
    states: int
    labels_max: int
    truncated: bool
    evaluations: int


def optimize(model: StagingModel, steps: int | None = None,
             progress: Callable[[int, int], None] | None = None,
             extra: Sequence[np.ndarray] = ()) -> OptimizerResult:
    """The best schedule on the share grid (dynamic programming with Pareto labels; see module doc)."""
    grid = share_grid(model, steps, extra)
    combo_shares = grid.combo_shares
    b_count, t_count = len(model.blocks), len(model.years)
    n_combos = combo_shares.shape[0]
    start = int(np.flatnonzero(~combo_shares.any(axis=1))[0])
    # nodes: combo index, value so far, and the labels whose future worth is bounded (see _label_weights):
    # federal credit (Form 8801 line 21), regular basis, AMT basis, California credit (FTB 3510)
    node_combo = np.full(1, start, dtype=np.intp)
    node_value = np.zeros(1)
    node_labels = np.asarray([[model.plan.prior_credit, 0.0, 0.0, model.plan.prior_ca_credit]])
    history: list[tuple[np.ndarray, np.ndarray]] = []  # per year: (parent index, combo chosen)
    labels_max, truncated, evaluations = 1, False, 0
    weights = _label_weights(model)
    labels = int(np.clip(PAIR_BUDGET // (n_combos * n_combos), MIN_LABELS, MAX_LABELS))
    for t in range(t_count - 1):
        if progress:
            progress(t, t_count)
        shares_now = combo_shares[node_combo]  # (N, B)
        # every (node, combo) pair that exercises a valid amount this year
        ok = _valid_moves(model, t, shares_now, combo_shares)
        parent, child = np.nonzero(ok)
        exercise = combo_shares[child] - shares_now[parent]
        step = year_step(model, t, shares_now[parent], exercise, node_labels[parent, 0],
                         same_as=node_combo[parent] * n_combos + child, ca_credit=node_labels[parent, 3])
        evaluations += parent.size
        feasible = step.cash_out <= model.cash_limit[t] + 1e-6
        if model.plan.zero_amt:
            feasible &= step.amt + step.ca_amt <= 0.5
        parent, child = parent[feasible], child[feasible]
        value = node_value[parent] + model.discount[t] * step.flow[feasible]
        lab = np.stack([step.credit_next[feasible],
                        node_labels[parent, 1] + step.regular_basis_added[feasible],
                        node_labels[parent, 2] + step.amt_basis_added[feasible],
                        step.ca_credit_next[feasible]], axis=1)
        alive = _prune_by_leaders(child, value, lab, weights)
        keep = alive[_prefilter(child[alive], value[alive], lab[alive], weights, labels)]
        if keep.size < alive.size:
            truncated |= _dropped_could_win(child, value, lab, weights, keep)
        keep = keep[_pareto(child[keep], value[keep], lab[keep], weights)]
        if keep.size == 0:
            raise RuntimeError("no feasible schedule: check cash and the zero-AMT setting")
        labels_max = max(labels_max, int(np.bincount(child[keep]).max()))
        history.append((parent[keep], child[keep]))
        node_combo, node_value, node_labels = child[keep], value[keep], lab[keep]
    # the exit year: exercise-and-sell what is left, sell every lot held
    shares_now = combo_shares[node_combo]
    last = t_count - 1
    step = year_step(model, last, shares_now, np.zeros_like(shares_now), node_labels[:, 0], node_labels[:, 1],
                     node_labels[:, 2], ca_credit=node_labels[:, 3])
    evaluations += node_combo.size
    final = node_value + model.discount[last] * step.flow
    best = int(np.argmax(final))
    # walk back
    schedule = np.zeros((b_count, t_count))
    node = best
    current = combo_shares[node_combo[node]]
    for t in range(len(history) - 1, -1, -1):
        back = int(history[t][0][node])  # the node's parent the year before
        before = combo_shares[history[t - 1][1][back]] if t > 0 else combo_shares[start]
        schedule[:, t] = current - before
        current = before
        node = back
    return OptimizerResult(schedule=schedule, value=float(final[best]), states=n_combos, labels_max=labels_max,
                           truncated=truncated, evaluations=evaluations)


def _worth(labels_j: np.ndarray, labels_i: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The most label j's advantages over label i can still be worth (positive parts, weighted)."""
    worth: NDArray[np.float64] = np.sum(weights * np.maximum(labels_j - labels_i, 0.0), axis=-1)
    return worth


def _pareto(state: np.ndarray, value: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Indices of the labels of each state that may still lead to the optimum.

    Label j is dropped when another label i of the same state, ranked before
    it (higher value), has ``value_i - value_j >= sum_k w_k (l_jk - l_ik)+``:
    whatever j's extra credit and bases can still be worth (each at most its
    weight per dollar, :func:`_label_weights`), i is at least as good. The
    relation is transitive, so all pairs of a state are compared at once (in
    chunks of states, to bound memory).
    """
    order = np.lexsort((-labels[:, 0], -value, state))
    s = state[order]
    rank = np.arange(order.size) - np.searchsorted(s, s, side="left")
    groups = np.unique(s, return_inverse=True)[1].reshape(-1)
    size = int(rank.max()) + 1 if rank.size else 0
    n_groups = int(groups.max()) + 1 if groups.size else 0
    v = np.full((n_groups, size), np.nan)
    v[groups, rank] = value[order]
    lab = np.full((n_groups, size, labels.shape[1]), np.nan)
    lab[groups, rank] = labels[order]
    earlier = np.triu(np.ones((size, size), dtype=bool), k=1)  # i ranked before j
    dropped = np.zeros((n_groups, size), dtype=bool)
    step = max(1, 1_000_000 // max(size * size * labels.shape[1], 1))
    for a in range(0, n_groups, step):
        vv, ll = v[a:a + step], lab[a:a + step]
        worth = _worth(ll[:, None, :, :], ll[:, :, None, :], weights)  # [g, i, j]: what j has over i
        with np.errstate(invalid="ignore"):
            beats = (vv[:, :, None] - vv[:, None, :]) >= worth - 1e-6
        dropped[a:a + step] = np.any(beats & earlier[None, :, :], axis=1)
    kept: NDArray[np.intp] = order[~dropped[groups, rank]]
    return kept


def _label_weights(model: StagingModel) -> np.ndarray:
    """Most a dollar of each label can still be worth later (see :func:`_pareto`).

    Credit (federal, California): a dollar at most (it only offsets tax).
    Regular basis: a dollar at most. AMT basis: it lowers AMTI dollar for
    dollar (Form 6251 line 2k; Schedule P line 9), and TMT moves at most at
    the top AMT rate times the phase-out (or MFS add-on) stretch, read from
    the law of the plan's years, federal plus California.
    """
    def most(law: LawTable, rate_key: str) -> float:
        out = 0.0
        for year in model.years:
            y = law.laws[year]
            rates = y.value(rate_key, "single")
            top = max(rates) if isinstance(rates, list) else rates
            stretch = max(y.value("amt_phaseout_rate", "single"), y.value("amt_mfs_addon_rate", "mfs"))
            out = max(out, top * (1.0 + stretch))
        return out

    amt_basis = most(model.law, "amt_rates")
    if model.ca_law is not None:
        amt_basis += most(model.ca_law, "amt_rate")
    return np.asarray([1.0, 1.0, amt_basis, 1.0])


def _prune_by_leaders(state: np.ndarray, value: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                      leaders: int = 32) -> np.ndarray:
    """Indices of the labels that none of their state's ``leaders`` highest-value labels rules out (the
    same exact test as :func:`_pareto`, against a few labels only, so it scales to many labels)."""
    order = np.lexsort((-labels[:, 0], -value, state))
    s = state[order]
    rank = np.arange(order.size) - np.searchsorted(s, s, side="left")
    groups = np.unique(s, return_inverse=True)[1].reshape(-1)
    top = np.full((int(groups.max()) + 1, leaders), -1)
    lead = rank < leaders
    top[groups[lead], rank[lead]] = order[lead]
    cand = top[groups]  # (N, leaders) leader indices for each label (in sorted order)
    valid = (cand >= 0) & (np.arange(leaders)[None, :] < rank[:, None])  # only labels ranked before
    i = np.where(valid, cand, 0)
    j = order[:, None]
    worth = _worth(labels[j], labels[i], weights)
    dropped = np.any(valid & (value[i] - value[j] >= worth - 1e-6), axis=1)
    return np.sort(order[~dropped])


def _dropped_could_win(state: np.ndarray, value: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                       keep: np.ndarray) -> bool:
    """Whether a label the prefilter dropped is not dominated by its state's highest-value label."""
    dropped = np.ones(state.size, dtype=bool)
    dropped[keep] = False
    order = np.lexsort((-value, state))
    first = order[np.r_[True, state[order][1:] != state[order][:-1]]]
    best = np.full(int(state.max()) + 1, -1)
    best[state[first]] = first
    j = np.flatnonzero(dropped)
    i = best[state[j]]
    return bool(np.any(value[i] - value[j] < _worth(labels[j], labels[i], weights) - 1e-6))


def _prefilter(state: np.ndarray, value: np.ndarray, labels: np.ndarray, weights: np.ndarray,
               per_state: int) -> np.ndarray:
    """At most ``per_state`` candidates per state before the exact pruning: the best by value so far and
    the best by value plus the most that credit and bases can still add."""
    half = max(per_state // 2, 1)
    optimistic = value + labels @ weights
    chosen = np.zeros(state.size, dtype=bool)
    for score in (value, optimistic):
        order = np.lexsort((-score, state))
        s = state[order]
        rank = np.arange(order.size) - np.searchsorted(s, s, side="left")
        chosen[order[rank < half]] = True
    return np.flatnonzero(chosen)


# ---------------------------------------------------------------- baselines


def baseline_schedules(model: StagingModel) -> dict[str, np.ndarray]:
    """The staging strategies people compare against, each (B, T) shares."""
    b_count, t_count = len(model.blocks), len(model.years)
    out: dict[str, np.ndarray] = {}
    # exercise everything now (and the rest as it becomes exercisable, each year)
    now = np.zeros((b_count, t_count))
    done = np.zeros(b_count)
    for t in range(t_count - 1):
        take = np.where(model.allowed[:, t], np.maximum(model.cap[:, t] - done, 0.0), 0.0)
        now[:, t] = take
        done += take
    out["exercise everything now"] = now
    # equal blocks over three Januaries
    thirds = np.zeros((b_count, t_count))
    done = np.zeros(b_count)
    total = model.cap.max(axis=1, initial=0.0) if t_count else np.zeros(b_count)
    for k, t in enumerate(range(min(3, t_count - 1))):
        target = np.minimum(np.ceil(total * (k + 1) / 3.0), model.cap[:, t])
        take = np.where(model.allowed[:, t], np.maximum(target - done, 0.0), 0.0)
        thirds[:, t] = take
        done += take
    out["equal thirds over three Januaries"] = thirds
    out["fill the room each January"] = fill_room_schedule(model)
    out["wait and exercise at the exit"] = np.zeros((b_count, t_count))
    return out


def fill_room_schedule(model: StagingModel) -> np.ndarray:
    """Each year, exercise ISO shares up to the AMT-free room (highest strike first: the least spread per share);
    for a California plan the room is the smaller of the federal and the California line."""
    from isoplan.planning.room import amt_room, california_amt_room

    b_count, t_count = len(model.blocks), len(model.years)
    schedule = np.zeros((b_count, t_count))
    before = np.zeros((1, b_count))
    credit = np.full(1, model.plan.prior_credit)
    ca_credit = np.full(1, model.plan.prior_ca_credit)
    rb, ab = np.zeros(1), np.zeros(1)
    for t in range(t_count - 1):
        base = model.base[t].replace(amt_credit_carryforward=credit)
        room = float(amt_room(base, model.law).amt_room[0])
        if model.ca_law is not None and model.property_tax is not None:  # the binding line is the smaller
            ca_room = california_amt_room(base, model.ca_law, property_tax=model.property_tax[t],
                                          ca_amt_credit_carryforward=ca_credit).ca_amt_room
            room = min(room, float(ca_room[0]))
        price = model.price_at_exercise[t]
        order = sorted(range(b_count), key=lambda b: -model.strike[b])
        for b in order:
            if not (model.allowed[b, t] and model.iso_treated[b, t]):
                continue
            spread = price - model.strike[b]
            available = model.cap[b, t] - before[0, b] - schedule[b, t]
            if spread <= 0 or available <= 0:
                continue
            take = min(available, np.floor(room / spread))
            schedule[b, t] += take
            room -= take * spread
        step = year_step(model, t, before, schedule[None, :, t], credit, rb, ab, ca_credit=ca_credit)
        before = before + schedule[None, :, t]
        rb, ab, credit = rb + step.regular_basis_added, ab + step.amt_basis_added, step.credit_next
        ca_credit = step.ca_credit_next
    return schedule


# ---------------------------------------------------------------- the plan, with its comparison


@dataclass
class Strategy:
    name: str
    schedule: np.ndarray  # (B, T)
    evaluation: Evaluation  # one scenario

    @property
    def value(self) -> float:
        return float(self.evaluation.value[0])

    @property
    def feasible(self) -> bool:
        return bool(self.evaluation.feasible[0])


class CaliforniaYearRow(TypedDict):
    """A year's California figures (Schedule P (540) and FTB 3510) in :class:`YearRow`."""

    tax: float
    amt: float
    credit_available: float
    credit_used: float
    credit_created: float


class YearRow(TypedDict):
    """One row of :meth:`PlanOutcome.year_rows`: the year's exercise and its federal return lines."""

    year: int
    projected: bool
    exercise_date: str | None
    price: float
    shares: dict[str, int]  # block label -> shares exercised
    iso_spread: float
    nso_income: float
    regular_tax: float
    tentative_minimum_tax: float
    amt: float
    extra_tax: float
    strike_cash: float
    sale_proceeds: float
    credit_available: float
    credit_used: float
    credit_created: float
    qualifying_dates: dict[str, str]  # block label -> ISO date
    california: NotRequired[CaliforniaYearRow]  # a California plan only


@dataclass
class PlanOutcome:
    model: StagingModel
    recommended: Strategy
    baselines: list[Strategy]
    optimizer: OptimizerResult
    catches: list[str]
    notes: list[str]

    def year_rows(self, strategy: Strategy) -> list[YearRow]:
        """The per-year table: shares, spread, AMT, regular tax, strike cash, credit, qualifying dates."""
        ev, m = strategy.evaluation, self.model
        rows: list[YearRow] = []
        for t, year in enumerate(m.years):
            shares = {m.blocks[b].label: int(strategy.schedule[b, t]) for b in range(len(m.blocks))
                      if strategy.schedule[b, t] > 0}
            qualifying = {m.blocks[b].label: m.blocks[b].qualifying_date(m.exercise_dates[t]).isoformat()
                          for b in range(len(m.blocks)) if strategy.schedule[b, t] > 0}
            rows.append({
                "year": year,
                "projected": bool(m.law.is_projected(year)),
                "exercise_date": m.exercise_dates[t].isoformat() if shares else None,
                "price": float(m.price_at_exercise[t]),
                "shares": shares,
                "iso_spread": float(ev.iso_spread[t, 0]),
                "nso_income": float(ev.nso_income[t, 0]),
                "regular_tax": float(ev.regular_tax[t, 0]),
                "tentative_minimum_tax": float(ev.tmt[t, 0]),
                "amt": float(ev.amt[t, 0]),
                "extra_tax": float(ev.extra_tax[t, 0]),
                "strike_cash": float(ev.strike_paid[t, 0]),
                "sale_proceeds": float(ev.sale_proceeds[t, 0]),
                "credit_available": float(ev.credit_available[t, 0]),
                "credit_used": float(ev.credit_used[t, 0]),
                "credit_created": float(ev.credit_created[t, 0]),
                "qualifying_dates": qualifying,
            })
            if m.california:
                rows[-1]["california"] = {
                    "tax": float(ev.ca_tax[t, 0]), "amt": float(ev.ca_amt[t, 0]),
                    "credit_available": float(ev.ca_credit_available[t, 0]),
                    "credit_used": float(ev.ca_credit_used[t, 0]),
                    "credit_created": float(ev.ca_credit_created[t, 0]),
                }
        return rows

    def year_household(self, strategy: Strategy, t: int) -> Households:
        """Year ``t``'s household (length 1) under ``strategy``: the engine inputs behind its row, so that
        every figure can be shown line by line (Form 1040 / 6251 / 8801)."""
        ev, base = strategy.evaluation, self.model.base[t]
        lt, amt_lt = float(ev.long_term_gain[t, 0]), float(ev.amt_long_term_gain[t, 0])
        return base.replace(
            iso_bargain_element=float(ev.iso_spread[t, 0]),
            other_ordinary_income=base.other_ordinary_income[0] + float(ev.ordinary[t, 0]),
            long_term_gain=base.long_term_gain[0] + lt,
            amt_long_term_gain=base.amt_long_term_gain[0] + amt_lt,
            amt_disposition_adjustment=base.amt_disposition_adjustment[0] + amt_lt - lt,
            amt_credit_carryforward=float(ev.credit_available[t, 0]),
        )

    def as_dict(self) -> dict[str, object]:
        def strategy_dict(s: Strategy) -> dict[str, object]:
            out: dict[str, object] = {
                "name": s.name,
                "after_tax_value": s.value,
                "feasible": s.feasible,
                "total_amt": float(s.evaluation.amt[:, 0].sum()),
                "total_extra_tax": float(s.evaluation.extra_tax[:, 0].sum()),
                "credit_left_after_exit": float(s.evaluation.credit_left[0]),
                "years": self.year_rows(s),
            }
            if self.model.california:
                out["california"] = {"total_amt": float(s.evaluation.ca_amt[:, 0].sum()),
                                     "total_tax": float(s.evaluation.ca_tax[:, 0].sum()),
                                     "credit_left_after_exit": float(s.evaluation.ca_credit_left[0])}
            return out

        rec = self.recommended
        return {
            "plan": self.model.plan.source,
            "blocks": [{"block": b.label, "grant": b.grant.id, "kind": b.kind, "shares": b.shares,
                        "strike": b.strike} for b in self.model.blocks],
            "exit": {"date": self.model.exit_date.isoformat(), "price": self.model.exit_price},
            "recommended": strategy_dict(rec),
            "baselines": [dict(strategy_dict(b), advantage_of_plan=rec.value - b.value) for b in self.baselines],
            "optimizer": {"grid_states": self.optimizer.states, "labels_max": self.optimizer.labels_max,
                          "label_cap_reached": self.optimizer.truncated, "evaluations": self.optimizer.evaluations,
                          "grid_value": self.optimizer.value},
            "catches": self.catches,
            "notes": self.notes,
        }


def run_plan(plan: Plan, law: LawTable | None = None,
             progress: Callable[[int, int], None] | None = None) -> PlanOutcome:
    """Optimize a plan and compare it with the baselines on the same assumptions."""
    model = build_model(plan, law)
    if not model.blocks:
        from isoplan.errors import InputError

        raise InputError("grants", "none exercisable", "a grant with shares that vest before the departure",
                         source=plan.source)
    schedules = baseline_schedules(model)
    result = optimize(model, plan.grid_steps or None, progress)
    baselines = [Strategy(name, s, evaluate(model, s[None])) for name, s in schedules.items()]
    optimum = Strategy("optimized", result.schedule, evaluate(model, result.schedule[None]))
    candidates = [optimum, *[b for b in baselines if b.feasible]]
    best = max(candidates, key=lambda s: s.value)
    recommended = best if best is optimum else Strategy(f"{best.name} (better than the grid optimum)",
                                                        best.schedule, best.evaluation)
    notes = list(plan.warnings) + list(model.notes)
    notes.append("Model: lots exercised before the exit are held until they qualify; cash per year covers that "
                 "year's strike and extra tax; credit left after the exit is reported, not valued.")
    notes.append("The objective weighs taxes on the assumed price path only: the risk of holding a concentrated "
                 "position while waiting (price falls, a departure) is not in it.")
    if result.truncated:
        notes.append(f"The optimizer kept at most {result.labels_max} paths per grid point and dropped some that "
                     "could still have won: the schedule is the best found, not proven optimal.")
    projected = [y for y in model.years if model.law.is_projected(y)]
    if projected:
        notes.append(f"Tax years {', '.join(map(str, projected))} use PROJECTED law (inflation "
                     f"{model.law.inflation:.2%} a year).")
    return PlanOutcome(model, recommended, baselines, result, staging_catches(model, recommended), notes)


def staging_catches(model: StagingModel, strategy: Strategy) -> list[str]:
    """The costs of staging, in numbers: rising spreads on later blocks; options at risk on a departure."""
    out = []
    sched = strategy.schedule
    years_used = [t for t in range(len(model.years)) if sched[:, t].sum() > 0]
    if len(years_used) > 1:
        first, last = years_used[0], years_used[-1]
        p0, p1 = model.price_at_exercise[first], model.price_at_exercise[last]
        out.append(f"Later blocks cost more AMT room if the price rises: ${p0:,.2f} a share in "
                   f"{model.years[first]} vs ${p1:,.2f} assumed in {model.years[last]}; each later share adds "
                   f"${p1 - p0:,.2f} more bargain element.")
    for t in years_used[1:] or []:
        held_back = model.cap[:, t - 1] - sched[:, :t].sum(axis=1)
        at_risk = float(np.sum(np.maximum(held_back, 0.0) * np.maximum(model.price_at_exercise[t - 1] - model.strike,
                                                                         0.0)))
        if at_risk > 0:
            out.append(f"Through {model.years[t - 1]}, {int(np.maximum(held_back, 0).sum()):,} vested shares wait "
                       f"unexercised (${at_risk:,.0f} of spread): leaving the company starts a post-termination "
                       "window (3 months for ISO treatment, IRC §422(a)(2)); exercise after it is an NSO exercise "
                       "or impossible.")
            break
    return out
