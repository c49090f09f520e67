"""The relaxed search's bound on what the later years can add to a label, against brute force.

The optimizer drops a label when its value so far plus that bound (:func:`isoplan.planning.staging._value_to_go`)
is below a schedule it holds, and proves its schedule with the same bound. Every on-grid schedule of small plans
is enumerated (tight cash, credit carried, discount rates: the plans of the label test) and, for every path to a
grid point after every year, the bound plus the path's value so far must be at least the best schedule that goes
on from the path. A bound made lower on purpose (envelopes' futures without the penalty for what a label carries
beyond them, or a few dollars less) fails the same check.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests.planning.test_dominance_tight_cash import LAW, SEEDS, TODAY, tight_plan

import isoplan.planning.staging as staging
from isoplan.planning.plan import parse_plan
from isoplan.planning.relaxation import ValueToGo
from isoplan.planning.staging import (
    StagingModel,
    _carried,
    _dominance_weights,
    _Moves,
    _tightened,
    _value_to_go,
    build_model,
    evaluate,
    grid_schedules,
    optimize,
    run_plan,
    share_grid,
)


def _to_go_check(model: StagingModel, steps: int, weaken: str = "", floor_rank: float | None = None,
                 passes: int = 1) -> tuple[int, int, float]:
    """(paths checked, paths whose bound is below their best schedule, the relaxed search's ceiling less the best
    schedule). ``weaken``: "penalty" (no worth for what a label carries beyond an envelope) or "dollars" (each
    bound $5 lower), to show the check catches a bound too low.

    ``floor_rank``: the bound of relaxed searches pruned by a floor (``passes`` of them, each pruned by the one
    before): the value of the feasible schedule at that quantile of the values (1: the best). Such a bound need
    only cover the paths whose best schedule beats the floor, and its ceiling need only cover the best above the
    floor: a path's best must be at most the larger of its bound and the floor. Weakened as above, or "envelopes"
    (every envelope of a grid point bounds every label, whatever its value) or "floor" (the floor left out: the
    bound must cover every path)."""
    grid = share_grid(model, steps)
    to_go, ceiling, _ = _value_to_go(model, grid, None, True)
    assert to_go is not None
    schedules = grid_schedules(model, steps)
    ev = evaluate(model, schedules)
    floor = -np.inf
    if floor_rank is not None:
        floor = float(np.quantile(ev.value[ev.feasible], floor_rank, method="lower"))
        for _ in range(passes):
            pruned, top, _ = _value_to_go(model, grid, None, True, to_go, floor)
            assert pruned is not None
            to_go, ceiling = pruned, min(ceiling, max(top, floor))
    flow = ev.sale_proceeds - ev.strike_paid - ev.extra_tax  # (T, n), undiscounted
    price, iso = model.price_at_exercise, model.iso_treated
    point_of = {np.round(row, 6).tobytes(): k for k, row in enumerate(grid.combo_shares)}
    checked = low = 0
    for t in range(len(model.years) - 1):
        so_far = schedules[:, :, :t + 1]
        affordable = np.all(ev.cash_out[:t + 1] <= ev.cash_available[:t + 1] + 1e-6, axis=0)
        if model.plan.zero_amt:
            affordable &= np.all(ev.amt[:t + 1] + ev.state_amt[:t + 1] <= 0.5, axis=0)
        paths, path_of = np.unique(so_far.reshape(len(schedules), -1), axis=0, return_inverse=True)
        path_of = path_of.reshape(-1)
        best = np.full(len(paths), -np.inf)
        np.maximum.at(best, path_of[ev.feasible], ev.value[ev.feasible])
        first = np.zeros(len(paths), dtype=np.intp)
        first[path_of[::-1]] = np.arange(len(schedules))[::-1]  # a schedule of each path
        rows = first[affordable[first] & np.isfinite(best)]
        value = (model.discount[:t + 1, None] * flow[:t + 1, rows]).sum(axis=0)
        held = so_far[rows]
        regular_basis = (held * np.where(iso[:, :t + 1], model.strike[:, None], price[None, :t + 1])).sum(axis=(1, 2))
        amt_basis = (held * price[None, None, :t + 1]).sum(axis=(1, 2))
        labels = _carried(ev.credit_available[t + 1, rows], regular_basis, amt_basis,
                          ev.state_credit_available[t + 1, rows], ev.cash_available[t + 1, rows] -
                          model.cash_limit[t + 1])
        point = np.asarray([point_of[np.round(p, 6).tobytes()] for p in held.sum(axis=2)], dtype=np.intp)
        weights = _dominance_weights(model, True, t)
        if weaken == "penalty":
            weights = np.zeros_like(weights)
        # a label worth no more than minus infinity: every envelope's value is at least it
        as_valued = np.full(rows.size, -np.inf) if weaken == "envelopes" else value
        bound = value + to_go.to_go(t, point, labels, weights, as_valued) - (5.0 if weaken == "dollars" else 0.0)
        if weaken != "floor":
            bound = np.maximum(bound, floor)
        checked += rows.size
        low += int(np.sum(bound < best[path_of[rows]] - 0.01))
    return checked, low, ceiling - float(ev.value[ev.feasible].max())


@pytest.mark.parametrize("seed", SEEDS)
def test_the_bound_covers_every_path_s_best_schedule(seed: int) -> None:
    plan, steps = tight_plan(seed)
    checked, low, ceiling_gap = _to_go_check(build_model(plan, LAW), steps)
    assert checked > 0 and low == 0, f"{low} of {checked} paths have a better schedule than the bound allows"
    assert ceiling_gap >= -0.01


@pytest.mark.parametrize("weaken", ["penalty", "dollars"])
def test_the_check_catches_a_bound_too_low(weaken: str) -> None:
    """Without the penalty for what a label carries beyond its envelopes, or $5 lower, the bound misses schedules."""
    low = 0
    for seed in SEEDS[:8]:
        plan, steps = tight_plan(seed)
        low += _to_go_check(build_model(plan, LAW), steps, weaken)[1]
    assert low > 0


def _grant_plan(years: int, cash: int | None, steps: int) -> tuple[StagingModel, int]:
    from datetime import date

    grant = {"id": "a", "grant_date": date(2021, 1, 15), "shares": 20000, "strike": 1.0, "fmv_at_grant": 1.0}
    data: dict[str, object] = {
        "person": {"filing_status": "single"}, "income": {"wages": 250000},
        "stock": {"kind": "public", "price": 6.0, "price_date": date(2027, 1, 2), "growth": 0.25},
        "grants": [grant], "plan": {"start_year": 2027, "exit_date": date(2027 + years - 1, 6, 30),
                                    "prior_credit": 30000, "discount_rate": 0.04},
    }
    if cash is not None:
        data["cash"] = {"per_year": cash, "reserve": 5000}
    return build_model(parse_plan(data, "test.toml", today=TODAY), LAW), steps


@pytest.mark.parametrize(("years", "cash"), [(4, None), (5, 40000), (5, 90000)])
def test_the_bound_covers_longer_plans(years: int, cash: int | None) -> None:
    """Five tax years, so labels cross more years between the bound and the exit."""
    model, steps = _grant_plan(years, cash, 5)
    checked, low, ceiling_gap = _to_go_check(model, steps)
    assert checked > 0 and low == 0 and ceiling_gap >= -0.01


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("labels", [1, 2])
def test_a_small_budget_with_the_floor_is_proven_or_bounded(seed: int, labels: int) -> None:
    """With one or two labels per grid point the budget drops labels and the floor (the dive's schedule) drops
    others: the answer is the brute-force best or its bound covers the best."""
    plan, steps = tight_plan(seed)
    model = build_model(plan, LAW)
    ev = evaluate(model, grid_schedules(model, steps))
    best = float(ev.value[ev.feasible].max())
    result = optimize(model, steps, labels=labels, rolled_cash=True)
    again = evaluate(model, result.schedule[None])
    assert again.feasible[0] and again.value[0] == pytest.approx(result.value, abs=1e-6)
    assert result.value <= best + 0.01
    if not result.truncated:
        assert result.value == pytest.approx(best, abs=0.01)
    else:
        assert result.bound is not None and result.bound >= best - 0.01


def test_to_go_is_infinite_off_the_relaxed_search() -> None:
    """A grid point the relaxed search never reached has no bound (infinity: nothing is dropped for it)."""
    plan, steps = tight_plan(0)
    model = build_model(plan, LAW)
    to_go, _, _ = _value_to_go(model, share_grid(model, steps), None, True)
    assert isinstance(to_go, ValueToGo)
    level = to_go.levels[0]
    missing = np.setdiff1d(np.arange(to_go.points), level.point)
    if missing.size:
        lab = np.zeros((1, level.labels.shape[1]))
        assert np.isinf(to_go.to_go(0, missing[:1], lab, _dominance_weights(model, True, 0)))[0]


def test_run_plan_still_proves_the_tight_plans() -> None:
    """The tight plans are proven optimal (the floor and the bound do not leave them unproven)."""
    proven = sum(not run_plan(tight_plan(seed)[0], LAW).optimizer.truncated for seed in SEEDS)
    assert proven == len(SEEDS)


@pytest.mark.parametrize("case", ["one grant", "two grants", "prior California credit",
                                  "zero AMT, federal and California"])
def test_the_bound_covers_california_plans(case: str) -> None:
    """With California's return (Schedule P, FTB 3510): the state's credit is a carried label too, and a plan
    without a cash limit carries the no-limit placeholder as its cash."""
    from tests.planning.test_staging_california import SMALL

    plan, steps = SMALL[case]
    checked, low, ceiling_gap = _to_go_check(build_model(plan, LAW), steps)
    assert checked > 0 and low == 0 and ceiling_gap >= -0.01


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("floor_rank", "passes"), [(0.5, 1), (0.9, 2), (1.0, 3)])
def test_the_pruned_bound_covers_every_path_above_the_floor(seed: int, floor_rank: float, passes: int) -> None:
    """Relaxed searches pruned by a schedule's value (the median, the 90th percentile, the best): every path whose
    best schedule beats that floor keeps a bound at least that best, and the ceiling covers the best schedule."""
    plan, steps = tight_plan(seed)
    checked, low, ceiling_gap = _to_go_check(build_model(plan, LAW), steps, floor_rank=floor_rank, passes=passes)
    assert checked > 0 and low == 0, f"{low} of {checked} paths have a better schedule than the bound allows"
    assert ceiling_gap >= -0.01


@pytest.mark.parametrize(("years", "cash"), [(4, None), (5, 40000), (5, 90000)])
def test_the_pruned_bound_covers_longer_plans(years: int, cash: int | None) -> None:
    model, steps = _grant_plan(years, cash, 5)
    for floor_rank, passes in [(0.5, 2), (0.95, 3)]:
        checked, low, ceiling_gap = _to_go_check(model, steps, floor_rank=floor_rank, passes=passes)
        assert checked > 0 and low == 0 and ceiling_gap >= -0.01


@pytest.mark.parametrize("case", ["one grant", "two grants", "prior California credit",
                                  "zero AMT, federal and California"])
def test_the_pruned_bound_covers_california_plans(case: str) -> None:
    from tests.planning.test_staging_california import SMALL

    plan, steps = SMALL[case]
    checked, low, ceiling_gap = _to_go_check(build_model(plan, LAW), steps, floor_rank=0.9, passes=2)
    assert checked > 0 and low == 0 and ceiling_gap >= -0.01


@pytest.mark.parametrize("weaken", ["envelopes", "floor", "dollars"])
def test_the_check_catches_a_pruned_bound_too_low(weaken: str) -> None:
    """A pruned search's envelope bounds only the labels it is worth at least as much as, with the penalty; the
    bound holds only above the floor; $5 lower it misses schedules: each weakening fails the same check."""
    low = 0
    for seed in SEEDS:
        plan, steps = tight_plan(seed)
        low += _to_go_check(build_model(plan, LAW), steps, weaken, floor_rank=0.9, passes=2)[1]
    assert low > 0


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dive_first", [False, True])
def test_every_bound_the_optimizer_states_covers_the_brute_force_best(seed: int, dive_first: bool,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Pruned relaxed searches from the worst to the best schedule's value: each ceiling, taken no lower than its
    floor, is at least the brute-force best. With one label per grid point (the budget drops labels, the pruned
    searches prove what they can) a proven schedule is the best and a stated bound covers the best; also with the
    dive's schedule pruning first, as on large grids."""
    if dive_first:
        monkeypatch.setattr(staging, "TIGHTEN_FIRST_POINTS", 0)
    plan, steps = tight_plan(seed)
    model = build_model(plan, LAW)
    ev = evaluate(model, grid_schedules(model, steps))
    best = float(ev.value[ev.feasible].max())
    grid = share_grid(model, steps)
    moves = _Moves(model, grid)
    to_go, ceiling, _ = _value_to_go(model, grid, moves, True)
    assert to_go is not None and ceiling >= best - 0.01
    for floor in np.quantile(ev.value[ev.feasible], [0.0, 0.5, 0.9, 1.0], method="lower"):
        _, top, _ = _tightened(model, grid, moves, True, to_go, ceiling, float(floor))
        assert top >= best - 0.01
    for labels in (1, 2, None):
        result = optimize(model, steps, labels=labels, rolled_cash=True)
        assert result.value <= best + 0.01
        if result.bound is not None:
            assert result.bound >= best - 0.01
        if not result.truncated:
            assert result.value == pytest.approx(best, abs=0.01)
