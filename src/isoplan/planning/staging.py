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
21), the regular and AMT bases of the lots held and the cash earlier years
left unspent, and it can only gain from more of each, so each state keeps its
Pareto set of (value so far, credit, regular basis, AMT basis, unspent cash)
and drops dominated labels. A relaxed search over every move bounds what the
later years can add to a label (:mod:`isoplan.planning.relaxation`): a label
that cannot beat the best schedule found goes, and the same bound covers the
labels a work budget drops, so the schedule can be proven optimal on the grid.
Brute-force tests check the optimum, the label test and the bound on small
grids.

Model simplifications (stated in every plan's output):
* lots exercised before the exit must be held to their qualifying date
  (ISO) or long-term (NSO) by the exit, except a lot of a grant too recent to
  qualify by the exit that the exit sells more than a year after exercise
  (a disqualifying sale taxed under §422(c)(2): :mod:`isoplan.planning.model`);
* cash: each year's strike plus that year's extra tax must fit in that
  year's cash less the reserve plus what earlier years left unspent (the
  optimizer carries the unspent cash as a label, so the rule is exact);
* the credit left after the exit year counts at its assumed recovery
  (:func:`isoplan.planning.model.credit_left_worth`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import TypedDict, cast

import numpy as np

from isoplan.planning.grid import (  # re-exported: the grid is staging's API too
    AUTO_STATES,
    MAX_STEPS,
    Grid,
    _Moves,
    _YearPairs,
    grid_schedules,
    share_grid,
)
from isoplan.planning.labels import _not_covered, _pareto, _prefilter, _prune_by_leaders
from isoplan.planning.model import (  # re-exported: the model and the evaluation are staging's API too
    Block,
    Evaluation,
    StagingModel,
    StateModel,
    YearStep,
    YearTaxes,
    _prior_state_credit,
    blocks_from_grants,
    build_model,
    credit_assumption,
    evaluate,
    state_model,
    without_state_inputs,
    year_step,
    year_step_of,
    year_taxes,
)
from isoplan.planning.move_bound import carried, move_labels
from isoplan.planning.plan import Plan
from isoplan.planning.relaxation import Level, Move, ValueToGo, bundle_labels, futures, tightened
from isoplan.planning.sorting import stable_argsort
from isoplan.tax.households import Households, with_added_gains
from isoplan.tax.law import LawTable

__all__ = ["AUTO_STATES", "MAX_STEPS", "Block", "Evaluation", "PlanOutcome", "StagingModel", "StateModel", "Strategy",
           "YearStep", "YearTaxes", "baseline_schedules", "blocks_from_grants", "build_model", "evaluate",
           "fill_room_schedule", "grid_schedules", "optimize", "run_plan", "share_grid", "state_model",
           "without_state_inputs", "year_step", "year_taxes"]

#: labels kept per state: PAIR_BUDGET (state, move) pairs per year spread over the grid, between MIN_LABELS
#: and MAX_LABELS; half by value so far, half by what they could still be worth. The output says when a
#: label that could still have won was dropped: then the schedule is the best found, not proven optimal.
PAIR_BUDGET = 2_500_000
MIN_LABELS = 16
MAX_LABELS = 1024
#: relaxed labels per grid point bounding the labels the budget drops (see :func:`optimize`)
ENVELOPES = 16
#: rows (envelope, move) a year of the relaxed search may expand: past it, fewer envelopes per grid point
RELAXED_ROWS = 100_000
#: dollars of value a dollar of unspent cash stands for in the label test: more than any value gap, so a label
#: with less cash carried (plus credit lead, see :func:`_dominance_weights`) never beats one with more
CASH_WEIGHT = 1e9
#: cumulative cash (dollars) from which float64 holds no cents (its spacing there is 1/64 dollar): a limit this
#: large is no limit (the plan's placeholder when it states none, 1e15 a year, is far above it)
UNBOUNDED_CASH = 2.0 ** 46
#: the carried labels: federal credit (Form 8801 line 21), regular basis, AMT basis, the state's credit
#: (e.g. FTB 3510), the cash earlier years left unspent; then the cash plus the federal credit, plus the state's
#: credit, plus both (compared only, see :func:`_dominance_weights`)
LABEL_WIDTH = 8
#: labels per grid point up to which the full budget runs first; the rounds after it (labels per grid point);
#: the most label comparisons (labels squared times grid points) the last round, with the full budget, may take
FULL_FIRST = 256
#: a round that does not prove the optimum with its labels budget binding is followed by one with this many
#: times the labels per grid point, while its rows (moves run, about proportional) stay within ROUND_ROWS
ESCALATION = 4
ROUND_ROWS = 2_000_000
#: labels a year (and per grid point) of the first round, a dive whose schedule the later rounds must beat
#: (see :func:`optimize`)
DIVE_LABELS = 256
DIVE_PER_POINT = 4
ROUNDS = (16, 128)
#: grid points from which the dive's schedule prunes the relaxed search before the first round (:func:`_tightened`):
#: there the rounds keep the fewest labels a grid point and weigh the most moves, and the pruned search makes them cheap
TIGHTEN_FIRST_POINTS = 1_000
LABEL_WORK = 4_000_000


# ---------------------------------------------------------------- the grid and the optimizer


@dataclass
class OptimizerResult:
    schedule: np.ndarray  # (B, T)
    value: float
    states: int
    labels_max: int
    truncated: bool  # labels that could still have won were dropped and the bound does not rule them out
    evaluations: int
    bound: float | None = None  # the most a schedule through a dropped label could be worth (None: none dropped)
    #: the moves the round weighed, those its floor ruled out before the engine included (:func:`_may_reach`): the
    #: measure of its work that decides whether a round with more labels follows (:data:`ROUND_ROWS`)
    moves: int = 0


@dataclass
class _Nodes:
    """Labels alive after a year: grid point, value so far, and the carried labels (see :func:`optimize`)."""

    combo: np.ndarray
    value: np.ndarray
    labels: np.ndarray

    @staticmethod
    def none(width: int) -> _Nodes:
        return _Nodes(np.zeros(0, dtype=np.intp), np.zeros(0), np.zeros((0, width)))


@dataclass
class _Floor:
    """What a round's labels must be able to reach (:func:`_search`): the value of a schedule held, and the bound
    on what the later years can add to a label with the year's label test weights."""

    value: float
    to_go: ValueToGo
    weights: np.ndarray


def _may_reach(model: StagingModel, t: int, pairs: _YearPairs, pair: np.ndarray, nodes: _Nodes, parent: np.ndarray,
               rolled_cash: bool, floor: _Floor) -> np.ndarray:
    """Bool per move (node ``parent``, ``pair``): whether the move's label could still reach the floor, judged
    before the engine runs the move (:func:`_reach_bound`; NaN: kept, as the round's test decides)."""
    most = _reach_bound(model, t, pairs, pair, nodes, parent, rolled_cash, floor)
    reach: np.ndarray = ~(most + 0.01 < floor.value - 1e-6)
    return reach


def _reach_bound(model: StagingModel, t: int, pairs: _YearPairs, pair: np.ndarray, nodes: _Nodes,
                 parent: np.ndarray, rolled_cash: bool, floor: _Floor) -> np.ndarray:
    """Per move (node ``parent``, ``pair``), at least the value plus ``to_go`` of the label it would make, which
    :func:`_search` tests against the floor, computed before the engine runs the move.

    The year's tax after any credit is at least the least over the deduction elections of the tax less the credit
    it can take, and the credit left at most the most (:class:`isoplan.planning.model.ElectionTaxes`); so the flow
    (proceeds less strike less extra tax) is at most the one with that least tax, the cash left at most what that
    tax leaves, and every label at most its bound; ``to_go`` never falls as a label grows (each carried dollar adds
    its weight or nothing). The same sums in the same order as :func:`_expand`'s, each term no smaller, so the
    bound is no smaller than the value :func:`_search` tests, in floating point too (a cent of margin besides): a
    move dropped here is one the round would drop after running it."""
    federal, state = pairs.elections(model, t)
    assert pairs.moves is not None
    inputs = pairs.inputs_of[pair]
    tax, credit_next = federal.after_credit(nodes.labels[parent, 0], inputs)
    state_next = None
    if state is not None:
        state_tax, state_next = state.after_credit(nodes.labels[parent, 3], inputs)
        tax = tax + state_tax
    m = pairs.moves
    value, regular, amt, state_left, cash = move_labels(
        parent, pair, nodes.value, nodes.labels, tax, state_next,
        (m.strike_paid, m.proceeds, m.regular_basis_added, m.amt_basis_added), model.base_tax[t],
        model.cash_limit[t], model.discount[t], rolled_cash)
    lab = _carried(credit_next, regular, amt, state_left, cash)
    most: np.ndarray = value + floor.to_go.to_go(t, pairs.target[pair], lab, floor.weights, value)
    return most


def _affordable_moves(model: StagingModel, t: int, moves: _Moves,
                      nodes: _Nodes) -> tuple[_YearPairs, np.ndarray, np.ndarray]:
    """The year's pairs and the valid year-``t`` moves of the nodes that their strike leaves possible: (pairs,
    node, pair), by node."""
    pairs, parent, pair = moves.from_points(t, nodes.combo)
    # a move whose strike alone (less what same-day sales bring in) exceeds the cash at hand fails whatever its
    # tax: dropped before the engine runs (a cent of margin keeps the test conservative)
    affordable = np.flatnonzero(pairs.floor[pair] - 0.01 <= model.cash_limit[t] + nodes.labels[parent, 4] + 1e-6)
    return pairs, parent[affordable], pair[affordable]


def _expand(model: StagingModel, t: int, combo_shares: np.ndarray, moves: _Moves,
            nodes: _Nodes, rolled_cash: bool,
            floor: _Floor | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Every feasible year-``t`` move of every node (``moves``: the valid moves from grid points, filled as
    needed): (parent node, child grid point, value, labels, rows run, moves weighed). ``rolled_cash``: the cash
    a year leaves unspent is the next year's too (label 4 carries it). ``floor``: moves whose labels cannot reach
    it (as :func:`_search` tests them) are left out before the engine runs them (:func:`_may_reach`); they count
    among the moves weighed, not the rows run."""
    pairs, parent, pair = _affordable_moves(model, t, moves, nodes)
    weighed = parent.size
    if floor is not None and parent.size and np.isfinite(floor.value):
        reach = np.flatnonzero(_may_reach(model, t, pairs, pair, nodes, parent, rolled_cash, floor))
        parent, pair = parent[reach], pair[reach]
    child = pairs.target[pair]
    if parent.size == 0:
        return parent, child, np.zeros(0), np.zeros((0, nodes.labels.shape[1])), 0, weighed
    assert pairs.moves is not None
    step = year_step_of(model, t, pairs.moves.take(pair), nodes.labels[parent, 0], same_as=pairs.inputs_of[pair],
                        state_credit=nodes.labels[parent, 3], returns=pairs.returns(model, t))
    # the cash at hand: the year's own, plus what earlier years left unspent (label 4; zero when it does not roll)
    available = model.cash_limit[t] + nodes.labels[parent, 4]
    feasible = step.cash_out <= available + 1e-6
    if model.plan.zero_amt:
        feasible &= step.amt + step.state_amt <= 0.5
    rows = parent.size
    parent, child = parent[feasible], child[feasible]
    value = nodes.value[parent] + model.discount[t] * step.flow[feasible]
    lab = _carried(step.credit_next[feasible], nodes.labels[parent, 1] + step.regular_basis_added[feasible],
                   nodes.labels[parent, 2] + step.amt_basis_added[feasible], step.state_credit_next[feasible],
                   np.maximum(available - step.cash_out, 0.0)[feasible] if rolled_cash
                   else np.zeros(int(feasible.sum())))
    return parent, child, value, lab, rows, weighed


def _carried(credit: np.ndarray, regular_basis: np.ndarray, amt_basis: np.ndarray, state_credit: np.ndarray,
             cash: np.ndarray) -> np.ndarray:
    """(n, :data:`LABEL_WIDTH`) labels: the carried ones and the unspent cash plus each credit and both (the
    sums :func:`_dominance_weights` compares, so that a beater must carry cash to cover a credit lead), by a
    compiled loop."""
    return carried(credit, regular_basis, amt_basis, state_credit, cash)


def _value_to_go(model: StagingModel, grid: Grid, moves: _Moves | None, rolled_cash: bool,
                 prior: ValueToGo | None = None, floor: float = -np.inf) -> tuple[ValueToGo | None, float, int]:
    """The relaxed search (:mod:`isoplan.planning.relaxation`), :data:`ENVELOPES` envelopes a grid point at most:
    the bound on what the later years can add to a label (None when a year has no move left: no schedule is
    feasible, as the search will say), the most any schedule can be worth, and the rows run.

    ``prior``: the search is pruned by ``floor``, the value of a schedule held: a child whose value plus the
    ``prior``'s bound is below it goes (and a move the floor test before the engine rules out, :func:`_may_reach`).
    Its bound and its most hold only for what can beat the floor (see :meth:`ValueToGo.to_go`): the most any
    schedule can be worth is at most the larger of the two; minus infinity when every child goes."""
    moves = moves or _Moves(model, grid)
    combo_shares = grid.combo_shares
    start = int(np.flatnonzero(~combo_shares.any(axis=1))[0])
    nodes = _Nodes(np.full(1, start, dtype=np.intp), np.zeros(1),
                   _carried(np.full(1, model.plan.prior_credit), np.zeros(1), np.zeros(1),
                            np.full(1, _prior_state_credit(model)), np.zeros(1)))
    levels: list[Level] = []
    steps: list[Move] = []
    evaluations = 0
    t_count = len(model.years)
    for t in range(t_count - 1):
        reachable = None if prior is None else _Floor(floor, prior, _dominance_weights(model, rolled_cash, t))
        parent, child, value, lab, rows, _ = _expand(model, t, combo_shares, moves, nodes, rolled_cash, reachable)
        evaluations += rows
        if reachable is not None:
            above = np.flatnonzero(value + reachable.to_go.to_go(t, child, lab, reachable.weights, value) >=
                                   floor - 1e-6)
            parent, child, value, lab = parent[above], child[above], value[above], lab[above]
        if child.size == 0:
            if prior is None:
                return None, np.inf, evaluations
            empty = Level(np.zeros(0, dtype=np.intp), np.zeros((0, LABEL_WIDTH)), np.zeros(0), np.zeros(0))
            return ValueToGo([empty] * (t_count - 1), combo_shares.shape[0], floor, prior), -np.inf, evaluations
        groups = ENVELOPES
        if t + 1 < t_count - 1:
            # as many envelopes per grid point as next year's moves from them allow within RELAXED_ROWS
            points = np.flatnonzero(count := np.bincount(child))  # np.unique's, without sorting
            members = count[points]
            degree = moves.year(t + 1, points).degree[points]
            while groups > 1 and int(np.minimum(members, groups) @ degree) > RELAXED_ROWS:
                groups //= 2
        point, env_value, env_labels, joins = bundle_labels(child, value, lab[:, :5], groups)
        steps.append(Move(parent, joins, value - nodes.value[parent]))
        nodes = _Nodes(point, env_value, _carried(*env_labels.T))
        levels.append(Level(point, nodes.labels, np.zeros(point.size), env_value))
    to_go = ValueToGo(levels, combo_shares.shape[0], floor, prior)
    if not steps:  # the exit is the only year: nothing to bound
        return to_go, np.inf, evaluations
    futures(levels, steps, _exit_values(model, combo_shares, nodes) - nodes.value)
    return to_go, to_go.start_bound(steps[0]), evaluations + nodes.combo.size


def _tightened(model: StagingModel, grid: Grid, moves: _Moves, rolled_cash: bool, to_go: ValueToGo,
               ceiling: float, floor: float) -> tuple[ValueToGo, float, int]:
    """:func:`isoplan.planning.relaxation.tightened`, the relaxed searches by :func:`_value_to_go`."""
    return tightened(lambda prior, at: _value_to_go(model, grid, moves, rolled_cash, prior, at), to_go, ceiling, floor)


def optimize(model: StagingModel, steps: int | None = None,
             progress: Callable[[int, int], None] | None = None,
             extra: Sequence[np.ndarray] = (), labels: int | None = None,
             rolled_cash: bool = False) -> OptimizerResult:
    """The best schedule on the share grid (dynamic programming with Pareto labels; see module doc).

    ``rolled_cash``: the cash a year leaves unspent is the next year's too (the rule of :func:`evaluate`);
    else each year's strike and extra tax fit that year's cash on its own.

    Each grid point keeps at most a budget of labels. The labels the budget drops, unless a kept label
    beats them, are bundled into relaxed labels (:func:`bundle_labels`) carried through the remaining years
    beside the real ones: the best relaxed value at the exit bounds every schedule through a dropped
    label, so when it is no better than the best schedule found, that schedule is optimal on the grid.
    First a relaxed search over every move (:func:`_value_to_go`) bounds what the years after each label can
    add; a dive (:data:`DIVE_LABELS` labels a year) finds a schedule; every later round drops the labels that
    bound says cannot beat the best schedule so far, and bounds the labels the budget drops with it too.
    The search then runs with the full budget (``labels``, default from :data:`PAIR_BUDGET`) while no grid
    point keeps more than :data:`FULL_FIRST` labels; past that it starts again with :data:`ROUNDS` labels per
    grid point and, while that does not prove the optimum, again with more, up to the full budget as far
    as the label work stays within :data:`LABEL_WORK`. Before an unproven round is followed by one with as many
    labels or more, when the rounds run out, and after the dive on a grid of :data:`TIGHTEN_FIRST_POINTS` points or
    more, relaxed searches pruned by the best schedule so far tighten the bound (:func:`_tightened`): when their
    ceiling is no more than that schedule, it is optimal on the grid; else the rounds go on with the tighter bound
    (the last again when none is left). The answer is the best schedule of the rounds.
    """
    grid = share_grid(model, steps, extra)
    n_combos = grid.combo_shares.shape[0]
    full = labels or int(np.clip(PAIR_BUDGET // (n_combos * n_combos), MIN_LABELS, MAX_LABELS))
    affordable = max(ROUNDS[0], int(np.sqrt(LABEL_WORK / n_combos)))
    moves = _Moves(model, grid)
    to_go, ceiling, evaluations = _value_to_go(model, grid, moves, rolled_cash)
    # the dive (0); the full budget, while no grid point needs more than FULL_FIRST labels; then the rounds
    rounds: list[tuple[int, int | None]] = [(0, None), (full, None if labels else FULL_FIRST)]
    rounds += [(cap, None) for cap in dict.fromkeys([cap for cap in ROUNDS if cap < full] +
                                                    [min(full, affordable)])]
    labels_max = 0
    best: OptimizerResult | None = None
    dived = False  # the best schedule so far is the dive's
    tightened = -np.inf  # the floor of the last pruned relaxed search (:func:`_tightened`)
    # (labels, floor, the bound's floor) of the rounds run: the same again is the same round
    done: set[tuple[int, float, float]] = set()
    while rounds:
        cap, give_up_above = rounds.pop(0)
        floor = -np.inf if best is None else best.value
        if (cap, floor, tightened) in done:
            continue
        done.add((cap, floor, tightened))
        result = _search(model, grid, cap or DIVE_PER_POINT, moves, progress, rolled_cash, give_up_above, to_go,
                         floor, None if cap else DIVE_LABELS)
        if isinstance(result, int):
            evaluations += result
            continue
        evaluations += result.evaluations
        labels_max = max(labels_max, result.labels_max)
        # a tie goes to the first round after the dive (the search's own order of schedules, as without a dive)
        if best is None or result.value > best.value + 1e-6 or (dived and result.value >= best.value - 1e-6):
            best, dived = result, not cap
        # a round's bound covers its dropped labels (the labels its floor dropped are worth less than the best
        # schedule found); the best schedule of any round is a lower bound, the relaxed search's an upper one
        if result.bound is None or min(result.bound, ceiling) <= best.value + 1e-6:
            best.truncated, best.bound = False, None if result.bound is None else min(result.bound, ceiling)
            break
        best.truncated = True
        best.bound = min(result.bound, ceiling, np.inf if best.bound is None else best.bound)
        rounds = [(c, g) for c, g in rounds if (c, best.value, tightened) not in done]  # those left to run
        # before a round with as many labels or more (a round with fewer is cheaper), when the rounds run out, and
        # after the dive on a large grid: the bound pruned by the best schedule so far
        if ((cap and (not rounds or rounds[0][0] >= cap)) or (not cap and n_combos >= TIGHTEN_FIRST_POINTS)) \
                and np.isfinite(best.value) and best.value > tightened + 1e-6:
            assert to_go is not None
            to_go, ceiling, rows = _tightened(model, grid, moves, rolled_cash, to_go, ceiling, best.value)
            evaluations += rows
            tightened = best.value
            if cap and ceiling <= best.value + 1e-6:
                best.truncated, best.bound = False, ceiling
                break
            best.bound = min(best.bound, ceiling)
            if cap and not rounds:
                rounds.append((cap, None))  # the same budget again, with the tighter bound
        # the budget still binds (it dropped labels the bound does not rule out, though a grid point may keep fewer
        # than its budget: half by value, half by bound): more labels, while the round's work stays affordable
        if (not rounds and not labels and cap and cap < MAX_LABELS
                and result.moves * ESCALATION <= ROUND_ROWS):
            rounds.append((min(cap * ESCALATION, MAX_LABELS), None))
    assert best is not None
    best.evaluations, best.labels_max = evaluations, labels_max
    return best


def _search(model: StagingModel, grid: Grid, labels: int, moves: _Moves,
            progress: Callable[[int, int], None] | None, rolled_cash: bool,
            give_up_above: int | None = None, to_go: ValueToGo | None = None,
            floor: float = -np.inf, beam: int | None = None) -> OptimizerResult | int:
    """One round of :func:`optimize` with at most ``labels`` labels per grid point (``moves``: the valid moves
    from grid points by year, filled as needed). When a grid point keeps more than ``give_up_above``
    labels the round stops and returns the rows it ran.

    ``to_go`` (:func:`_value_to_go`) bounds what the later years can add to a label; a label whose value plus
    that bound is below ``floor``, the value of a schedule held, cannot lead to a better one and goes. The
    round's value is minus infinity when every label goes so; its bound covers the schedules through the labels
    the budget dropped (those through the labels the floor dropped are worth less than the floor).
    ``beam``: a dive, keeping each year only that many labels, the highest by value plus ``to_go`` (a schedule
    found fast, to set the floor of the later rounds; its bound is infinite)."""
    combo_shares = grid.combo_shares
    b_count, t_count = len(model.blocks), len(model.years)
    n_combos = combo_shares.shape[0]
    start = int(np.flatnonzero(~combo_shares.any(axis=1))[0])
    # nodes: combo index, value so far, and the labels whose future worth is bounded (see _label_weights):
    # federal credit (Form 8801 line 21), regular basis, AMT basis, California credit (FTB 3510), the cash
    # earlier years left unspent, and its sums with the credits (compared only, see _dominance_weights)
    nodes = _Nodes(np.full(1, start, dtype=np.intp), np.zeros(1),
                   _carried(np.full(1, model.plan.prior_credit), np.zeros(1), np.zeros(1),
                            np.full(1, _prior_state_credit(model)), np.zeros(1)))
    relaxed = _Nodes.none(nodes.labels.shape[1])
    history: list[tuple[np.ndarray, np.ndarray]] = []  # per year: (parent index, combo chosen)
    labels_max, evaluations, considered = 1, 0, 0
    worth_weights = np.append(_label_weights(model), np.zeros(LABEL_WIDTH - 4))
    dropped_bound: float | None = None  # the most a schedule through a label the budget dropped can be worth

    def optimistic(t: int, point: np.ndarray, value: np.ndarray, lab: np.ndarray, weights: np.ndarray) -> np.ndarray:
        # the most a schedule through each label can be worth (without to_go: a guide for the budget only)
        return value + (lab @ worth_weights if to_go is None else to_go.to_go(t, point, lab, weights, value))  # type: ignore[no-any-return]

    for t in range(t_count - 1):
        weights = _dominance_weights(model, rolled_cash, t)
        if progress:
            progress(t, t_count)
        reachable = None if to_go is None or beam is not None else _Floor(floor, to_go, weights)
        parent, child, value, lab, rows, weighed = _expand(model, t, combo_shares, moves, nodes, rolled_cash,
                                                           reachable)
        evaluations += rows
        considered += weighed
        most = optimistic(t, child, value, lab, weights)
        above = np.flatnonzero(most >= floor - 1e-6)  # the others cannot beat the schedule held
        alive = above[_prune_by_leaders(child[above], value[above], lab[above], weights)] if above.size else above
        keep = alive[_prefilter(child[alive], value[alive], lab[alive], worth_weights, labels, most[alive])]
        dropped = np.setdiff1d(alive, keep, assume_unique=True)
        keep = keep[_pareto(child[keep], value[keep], lab[keep], weights)]
        if keep.size == 0 and floor == -np.inf and (beam is None or t == 0):
            raise RuntimeError("no feasible schedule: check cash and the zero-AMT setting")
        if beam is not None:  # a dive: the most promising labels of the year only, no bound kept
            if keep.size == 0:  # its labels had no move left (cash): the rounds after it will say
                return OptimizerResult(np.zeros((b_count, t_count)), -np.inf, n_combos, labels_max, True, evaluations,
                                       np.inf)
            keep = keep[stable_argsort(-most[keep])[:beam]]
            history.append((parent[keep], child[keep]))
            nodes = _Nodes(child[keep], value[keep], lab[keep])
            continue
        # the relaxed labels: last year's carried forward, and this year's dropped labels no kept label beats
        _, r_child, r_value, r_lab, r_rows, r_weighed = _expand(model, t, combo_shares, moves, relaxed, rolled_cash,
                                                                reachable)
        evaluations += r_rows
        considered += r_weighed
        r_most = optimistic(t, r_child, r_value, r_lab, weights)
        r_above = r_most >= floor - 1e-6
        pool_state = np.concatenate([child[dropped], r_child[r_above]])
        pool_value = np.concatenate([value[dropped], r_value[r_above]])
        pool_lab = np.concatenate([lab[dropped], r_lab[r_above]])
        pool_most = np.concatenate([most[dropped], r_most[r_above]])
        open_ = _not_covered(child[keep], value[keep], lab[keep], pool_state, pool_value, pool_lab, weights)
        if to_go is not None and open_.any():
            dropped_bound = max(float(pool_most[open_].max()), -np.inf if dropped_bound is None else dropped_bound)
        # bundled into envelopes, which bound their members' schedules (:func:`bundle_labels`)
        relaxed = _Nodes(*bundle_labels(pool_state[open_], pool_value[open_], pool_lab[open_], ENVELOPES)[:3])
        if relaxed.combo.size:
            open_ = _not_covered(child[keep], value[keep], lab[keep], relaxed.combo, relaxed.value,
                                 relaxed.labels, weights)
            relaxed = _Nodes(relaxed.combo[open_], relaxed.value[open_], relaxed.labels[open_])
        labels_max = max(labels_max, int(np.bincount(child[keep]).max(initial=0)))
        if give_up_above is not None and labels_max > give_up_above:
            return evaluations
        history.append((parent[keep], child[keep]))
        nodes = _Nodes(child[keep], value[keep], lab[keep])
    # the exit year: exercise-and-sell what is left, sell every lot held
    evaluations += nodes.combo.size + relaxed.combo.size
    considered += nodes.combo.size + relaxed.combo.size
    bound = dropped_bound
    if relaxed.combo.size or dropped_bound is not None:
        # every schedule through a dropped label is worth at most its label's bound, and at most its relaxed
        # label's value at the exit or, if the floor dropped that relaxed label, the floor
        carried = float(_exit_values(model, combo_shares, relaxed).max()) if relaxed.combo.size else -np.inf
        bound = max(carried, floor) if bound is None else min(bound, max(carried, floor))
    if bound is not None and bound == -np.inf:  # every dropped label is covered by a kept one or the floor
        bound = None
    if beam is not None:  # a dive bounds nothing
        bound = np.inf
    schedule = np.zeros((b_count, t_count))
    if nodes.combo.size == 0:  # the floor dropped every label: no schedule beats the one held
        return OptimizerResult(schedule=schedule, value=-np.inf, states=n_combos, labels_max=labels_max,
                               truncated=bound is not None, evaluations=evaluations, bound=bound, moves=considered)
    final = _exit_values(model, combo_shares, nodes)
    best = int(np.argmax(final))
    # walk back
    node = best
    current = combo_shares[nodes.combo[node]]
    for t in range(len(history) - 1, -1, -1):
        back = int(history[t][0][node])  # the node's parent the year before
        before = combo_shares[history[t - 1][1][back]] if t > 0 else combo_shares[start]
        schedule[:, t] = current - before
        current = before
        node = back
    return OptimizerResult(schedule=schedule, value=float(final[best]), states=n_combos, labels_max=labels_max,
                           truncated=bound is not None and bound > float(final[best]) + 1e-6,
                           evaluations=evaluations, bound=bound, moves=considered)


def _exit_values(model: StagingModel, combo_shares: np.ndarray, nodes: _Nodes) -> np.ndarray:
    """Each node's value after the exit year (exercise-and-sell what is left, sell every lot held)."""
    shares_now = combo_shares[nodes.combo]
    last = len(model.years) - 1
    step = year_step(model, last, shares_now, np.zeros_like(shares_now), nodes.labels[:, 0], nodes.labels[:, 1],
                     nodes.labels[:, 2], state_credit=nodes.labels[:, 3])
    values: np.ndarray = nodes.value + model.discount[last] * step.flow
    return values


def _dominance_weights(model: StagingModel, rolled_cash: bool, t: int) -> np.ndarray:
    """The weights of the label test (:func:`isoplan.planning.labels._pareto`) for the :data:`LABEL_WIDTH`
    labels of :func:`_carried`: label i of a grid point beats label j when
    ``value_i - value_j >= sum_k w_k (l_jk - l_ik)+``.

    The first four (credit, bases) are :func:`_label_weights`. The cash columns hold i to carry at least
    ``cash_j + (credit_j - credit_i)+ + (state_credit_j - state_credit_i)+`` unspent: the four sums cash,
    cash + credit, cash + state credit and cash + both are each at least j's exactly when that holds, and each
    has a weight (:data:`CASH_WEIGHT`) no value gap covers (a shortfall of at most the value lead / 1e9, a
    cent on a lead of $10 million).

    Why that much. From the same grid point both labels make the same moves, so their later years differ only
    in the credit applied: the bases enter no return before the exit's sale, and the exit year has no cash
    test. The year's AMT, and so the credit it creates, does not depend on the credit carried; the credit a
    year uses comes off the carryforward dollar for dollar (Form 8801 line 26 = line 21 - line 25, line 25
    capped by IRC §53(c); the state's the same way, e.g. FTB 3510). So with more credit a year's tax is never
    higher, the lead left the next year is never negative, and j's tax savings over all later years add up
    to at most its credit lead (federal and the state's each): the credit frees no more cash than its amount.
    A year's cash out (strike plus positive extra tax less same-day proceeds, floored at 0) moves at most as
    much as its tax. By induction over the years, i's unspent cash stays at least j's plus j's credit lead
    not yet used, so every later move j can pay i can pay, whatever the discount rate, a negative extra tax or
    same-day proceeds; and i's value lead covers what the credit and bases can still be worth.

    ``t``: the labels are those after year ``t``'s exercise. The sums compare nothing (weight 0) when cash does
    not roll (``rolled_cash`` False: the cash label is zero and each year's cash stands alone), when no cash
    test is left before the exit (the exit year has none), and when the cash through the next year reaches
    the no-limit placeholder (:data:`UNBOUNDED_CASH`): the unspent cash then exceeds any later year's cash
    out, so no later test binds, and the sums would round by more than a cent.
    """
    cash = CASH_WEIGHT if rolled_cash else 0.0
    tested = t + 1 < len(model.years) - 1 and float(np.sum(np.abs(model.cash_limit[:t + 2]))) < UNBOUNDED_CASH
    sums = cash if tested else 0.0
    # without a state return the state's credit never changes: its sums repeat the cash and cash + credit
    state_sums = sums if model.state is not None else 0.0
    return np.concatenate([_label_weights(model), [cash, sums, state_sums, state_sums]])


def _label_weights(model: StagingModel) -> np.ndarray:
    """Most a dollar of each label can still be worth later (see :func:`_pareto`).

    Credit (federal, the state's): a dollar at most (it only offsets tax).
    Regular basis: a dollar at most. AMT basis: it lowers AMTI dollar for
    dollar (Form 6251 line 2k; Schedule P line 9), and TMT moves at most at
    the top AMT rate times the phase-out (or MFS add-on) stretch, read from
    the law of the plan's years, federal plus the state's (:meth:`Jurisdiction.amt_basis_worth`).
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
    if model.state is not None:
        amt_basis += model.state.jurisdiction.amt_basis_worth(model.state.law, model.years)
    return np.asarray([1.0, 1.0, amt_basis, 1.0])


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
    from isoplan.planning.room import amt_room, state_amt_room

    b_count, t_count = len(model.blocks), len(model.years)
    schedule = np.zeros((b_count, t_count))
    before = np.zeros((1, b_count))
    credit = np.full(1, model.plan.prior_credit)
    state_credit = np.full(1, _prior_state_credit(model))
    rb, ab = np.zeros(1), np.zeros(1)
    for t in range(t_count - 1):
        base = model.base[t].replace(amt_credit_carryforward=credit)
        room = float(amt_room(base, model.law).amt_room[0])
        if model.state is not None:  # the binding line is the smaller
            state = model.state
            state_room = state_amt_room(state.jurisdiction, base, state.law, state.inputs[t], state_credit)
            if state_room is not None:
                room = min(room, float(state_room[0]))
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
        step = year_step(model, t, before, schedule[None, :, t], credit, rb, ab, state_credit=state_credit)
        before = before + schedule[None, :, t]
        rb, ab, credit = rb + step.regular_basis_added, ab + step.amt_basis_added, step.credit_next
        state_credit = step.state_credit_next
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


class StateYearRow(TypedDict):
    """A year's state figures (e.g. Schedule P (540) and FTB 3510) in :class:`YearRow`, under the state's key."""

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


CaliforniaYearRow = StateYearRow


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
            day = m.exercise_dates[t]
            shares = {m.blocks[b].label_at(day): int(strategy.schedule[b, t]) for b in range(len(m.blocks))
                      if strategy.schedule[b, t] > 0}
            qualifying = {m.blocks[b].label_at(day): m.blocks[b].qualifying_date(day).isoformat()
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
            if m.state_key is not None:  # the state's figures under its key (e.g. "california")
                state_row: StateYearRow = {
                    "tax": float(ev.state_tax[t, 0]), "amt": float(ev.state_amt[t, 0]),
                    "credit_available": float(ev.state_credit_available[t, 0]),
                    "credit_used": float(ev.state_credit_used[t, 0]),
                    "credit_created": float(ev.state_credit_created[t, 0]),
                }
                cast(dict[str, object], rows[-1])[m.state_key] = state_row
        return rows

    def year_household(self, strategy: Strategy, t: int) -> Households:
        """Year ``t``'s household (length 1) under ``strategy``: the engine inputs behind its row, so that
        every figure can be shown line by line (Form 1040 / 6251 / 8801)."""
        ev, base = strategy.evaluation, self.model.base[t]
        lt, amt_lt = float(ev.long_term_gain[t, 0]), float(ev.amt_long_term_gain[t, 0])
        return with_added_gains(
            base, 1, long_term=lt, amt_long_term=amt_lt,
            iso_bargain_element=float(ev.iso_spread[t, 0]),
            nso_income=base.nso_income[0] + float(ev.wages[t, 0]),
            other_ordinary_income=base.other_ordinary_income[0] + float(ev.ordinary[t, 0] - ev.wages[t, 0]),
            other_line2k=-float(ev.disqualifying[t, 0]), amt_credit_carryforward=float(ev.credit_available[t, 0]),
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
            if self.model.state_key is not None:
                out[self.model.state_key] = {"total_amt": float(s.evaluation.state_amt[:, 0].sum()),
                                             "total_tax": float(s.evaluation.state_tax[:, 0].sum()),
                                             "credit_left_after_exit": float(s.evaluation.state_credit_left[0])}
            return out

        rec = self.recommended
        return {
            "plan": self.model.plan.source,
            "today": None if self.model.plan.today is None else self.model.plan.today.isoformat(),
            "blocks": [{"block": b.label, "grant": b.grant.id, "kind": b.kind, "shares": b.shares,
                        "strike": b.strike} for b in self.model.blocks],
            "exit": {"date": self.model.exit_date.isoformat(), "price": self.model.exit_price,
                     "credit_after_exit": {"assumption": credit_assumption(self.model),
                                           "recovery_per_year": self.model.credit_margin,
                                           "value_in_recommended": float(rec.evaluation.credit_worth[0])}},
            "recommended": strategy_dict(rec),
            "baselines": [dict(strategy_dict(b), advantage_of_plan=rec.value - b.value) for b in self.baselines],
            "optimizer": {"grid_states": self.optimizer.states, "labels_max": self.optimizer.labels_max,
                          "label_cap_reached": self.optimizer.truncated, "evaluations": self.optimizer.evaluations,
                          "grid_value": self.optimizer.value},
            "catches": self.catches,
            "notes": self.notes,
        }


def _scenario(ev: Evaluation, k: int) -> Evaluation:
    """Scenario ``k`` of an evaluation of many schedules, as an evaluation of that one schedule."""
    parts: dict[str, np.ndarray] = {}
    for f in fields(ev):
        array = getattr(ev, f.name)
        parts[f.name] = array[k:k + 1] if f.name == "schedule" or array.ndim == 1 else array[:, k:k + 1]
    return Evaluation(**parts)


def run_plan(plan: Plan, law: LawTable | None = None,
             progress: Callable[[int, int], None] | None = None) -> PlanOutcome:
    """Optimize a plan and compare it with the baselines on the same assumptions."""
    model = build_model(plan, law)
    if not model.blocks:
        from isoplan.errors import InputError

        raise InputError("grants", "none exercisable", "a grant with shares that vest before the departure",
                         source=plan.source)
    schedules = baseline_schedules(model)
    result, _ = optimize_rolling_cash(model, plan.grid_steps or None, progress)
    # every schedule in one evaluation (the engine runs once per year for all of them)
    together = evaluate(model, np.stack([result.schedule, *schedules.values()]))
    optimum = Strategy("optimized", result.schedule, _scenario(together, 0))
    baselines = [Strategy(name, s, _scenario(together, k + 1)) for k, (name, s) in enumerate(schedules.items())]
    candidates = [optimum, *[b for b in baselines if b.feasible]]
    best = max(candidates, key=lambda s: s.value)
    recommended = best if best is optimum else Strategy(f"{best.name} (better than the grid optimum)",
                                                        best.schedule, best.evaluation)
    notes = list(plan.warnings) + list(model.notes)
    notes.append("Model: lots exercised before the exit are held until they qualify, except that a grant too "
                 "recent to qualify by the exit may be exercised more than a year before it (a disqualifying sale, "
                 "IRC §422(c)(2)); each year's strike and extra tax come out of that year's cash plus what earlier "
                 "years left unspent.")
    notes.append(credit_assumption(model))
    notes.append("The objective weighs taxes on the assumed price path only: the risk of holding a concentrated "
                 "position while waiting (price falls, a departure) is not in it.")
    if result.truncated:
        gap = "" if result.bound is None else \
            f" (a schedule on the grid could be worth up to ${max(result.bound - result.value, 0.0):,.0f} more)"
        notes.append(f"The optimizer kept at most {result.labels_max} paths per grid point within its work budget "
                     f"and could not rule out the paths it dropped: the schedule is the best found, not proven "
                     f"optimal{gap}.")
    projected = [y for y in model.years if model.law.is_projected(y)]
    if projected:
        notes.append(f"Tax years {', '.join(map(str, projected))} use PROJECTED law (inflation "
                     f"{model.law.inflation:.2%} a year).")
    return PlanOutcome(model, recommended, baselines, result, staging_catches(model, recommended), notes)


def optimize_rolling_cash(model: StagingModel, steps: int | None,
                          progress: Callable[[int, int], None] | None = None,
                          labels: int | None = None) -> tuple[OptimizerResult, bool]:
    """The optimum with unspent cash rolling forward (:func:`evaluate`'s rule), and whether the search held the
    rule exactly: it does (the unspent cash is a label), so a schedule it proves optimal is optimal under the
    rolled cash."""
    return optimize(model, steps, progress, labels=labels, rolled_cash=True), True


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
