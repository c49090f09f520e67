"""The floor test before the engine: a round leaves out the moves whose labels could not reach its floor.

A round of the search (:func:`isoplan.planning.staging._search`) drops every label whose value so far plus the
relaxed search's bound is below the best schedule held. :func:`isoplan.planning.staging._reach_bound` bounds that
sum before the engine runs the move (the least tax over the deduction elections after any credit, the most credit
left), so a move it rules out is one the round would have dropped after running it. Checked two ways: the bound
is at least the round's own figure for every move of every year, from the relaxed search's envelopes with their
credit and cash scaled (tight cash plans with credit carried, a California plan, a three-grant plan); and the
optimizer with the test finds what it finds without it, figure for figure. A bound made a few dollars lower, or
the tax taken from the wrong election, fails the first check.
"""

from __future__ import annotations

import datetime
import tomllib
from pathlib import Path

import numpy as np
import pytest
from tests.planning.test_dominance_tight_cash import SEEDS, tight_plan

import isoplan.planning.staging as staging
from isoplan.planning.grid import _Moves, share_grid
from isoplan.planning.model import ElectionTaxes, year_step_of
from isoplan.planning.staging import (
    StagingModel,
    _affordable_moves,
    _carried,
    _dominance_weights,
    _Floor,
    _Nodes,
    _reach_bound,
    _value_to_go,
    baseline_schedules,
    build_model,
    evaluate,
    optimize,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _example(name: str) -> tuple[StagingModel, int | None]:
    path = EXAMPLES / name
    plan = parse_example(path)
    return build_model(plan), plan.grid_steps or None


def parse_example(path: Path):  # type: ignore[no-untyped-def]
    from isoplan.planning.plan import parse_plan

    return parse_plan(tomllib.loads(path.read_text()), str(path), today=datetime.date(2026, 1, 1))


def _models() -> list[tuple[StagingModel, int | None]]:
    out: list[tuple[StagingModel, int | None]] = []
    for seed in SEEDS:
        plan, steps = tight_plan(seed)
        out.append((build_model(plan), steps))
    out.append(_example("staging-california.toml"))
    out.append(_example("three-grants-ten-years.toml"))
    return out


MODELS = _models()


def _shortfall(model: StagingModel, steps: int | None, weaken: str = "", pruned: bool = False) -> tuple[int, float]:
    """(moves checked, the most the round's figure exceeds the bound by; at most 0 when the bound holds).
    ``weaken``: "dollars" (each bound $5 lower) or "election" (the tax of the election with the most tax).
    ``pruned``: the bound of a relaxed search pruned by the best baseline schedule's value (it depends on the
    label's value too), the labels still made from the envelopes of the search over every move."""
    grid = share_grid(model, steps)
    moves = _Moves(model, grid)
    to_go, _, _ = _value_to_go(model, grid, moves, True)
    assert to_go is not None
    envelopes = to_go.levels
    if pruned:
        baselines = evaluate(model, np.stack(list(baseline_schedules(model).values())))
        floor = float(baselines.value[baselines.feasible].max())
        to_go, _, _ = _value_to_go(model, grid, moves, True, to_go, floor)
        assert to_go is not None
    rng = np.random.default_rng(len(model.years) * 1000 + len(model.blocks))
    checked, worst = 0, -np.inf
    for t in range(1, len(model.years) - 1):
        level = envelopes[t - 1]
        # the envelopes after the year before, their credit and cash scaled (more and less than any path's)
        k = level.point.size
        labels = np.tile(level.labels, (3, 1))
        scale = rng.uniform(0.0, 1.5, (3 * k, 2))
        nodes = _Nodes(np.tile(level.point, 3), rng.uniform(-1e5, 1e5, 3 * k),
                       _carried(labels[:, 0] * scale[:, 0], labels[:, 1], labels[:, 2], labels[:, 3] * scale[:, 0],
                                labels[:, 4] * scale[:, 1]))
        weights = _dominance_weights(model, True, t)
        pairs, parent, pair = _affordable_moves(model, t, moves, nodes)
        if pair.size == 0:
            continue
        bound = _reach_bound(model, t, pairs, pair, nodes, parent, True, _Floor(0.0, to_go, weights))
        # the round's own figures for the same moves (as _expand computes them)
        assert pairs.moves is not None
        step = year_step_of(model, t, pairs.moves.take(pair), nodes.labels[parent, 0], same_as=pairs.inputs_of[pair],
                            state_credit=nodes.labels[parent, 3])
        available = model.cash_limit[t] + nodes.labels[parent, 4]
        feasible = step.cash_out <= available + 1e-6
        value = nodes.value[parent] + model.discount[t] * step.flow
        lab = _carried(step.credit_next, nodes.labels[parent, 1] + step.regular_basis_added,
                       nodes.labels[parent, 2] + step.amt_basis_added, step.state_credit_next,
                       np.maximum(available - step.cash_out, 0.0))
        most = value + to_go.to_go(t, pairs.target[pair], lab, weights, value)
        if weaken == "dollars":
            bound = bound - 5.0
        finite = feasible & np.isfinite(most)
        checked += int(finite.sum())
        if finite.any():
            worst = max(worst, float(np.max(most[finite] - bound[finite])))
    return checked, worst


@pytest.mark.parametrize("case", range(len(MODELS)))
@pytest.mark.parametrize("pruned", [False, True])
def test_the_bound_before_the_engine_is_at_least_the_round_s_figure(case: int, pruned: bool) -> None:
    model, steps = MODELS[case]
    checked, worst = _shortfall(model, steps, pruned=pruned)
    assert checked > 0
    assert worst <= 0.0


def test_a_weaker_bound_fails_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    model, steps = MODELS[-1]  # three grants, ten years: AMT paid and credit used
    assert _shortfall(model, steps, weaken="dollars")[1] > 0.0

    def most_tax(self: ElectionTaxes, credit: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        out: np.ndarray = np.max([tax[rows] - np.minimum(credit, limit[rows]) + other[rows]
                                  for tax, limit, other in zip(self.tax, self.limit, self.other, strict=True)], axis=0)
        return out, after_credit(self, credit, rows)[1]

    after_credit = ElectionTaxes.after_credit
    monkeypatch.setattr(ElectionTaxes, "after_credit", most_tax)
    assert max(_shortfall(m, s)[1] for m, s in MODELS) > 0.0


@pytest.mark.parametrize("case", range(len(MODELS)))
def test_the_optimizer_finds_the_same_with_and_without_the_test(case: int, monkeypatch: pytest.MonkeyPatch) -> None:
    model, steps = MODELS[case]
    with_test = optimize(model, steps, rolled_cash=True)
    monkeypatch.setattr(staging, "_may_reach", lambda *args: np.ones(args[3].size, dtype=bool))
    without = optimize(model, steps, rolled_cash=True)
    assert with_test.evaluations <= without.evaluations
    assert np.array_equal(with_test.schedule, without.schedule)
    assert with_test.value == without.value
    assert (with_test.truncated, with_test.bound, with_test.labels_max, with_test.moves) == \
        (without.truncated, without.bound, without.labels_max, without.moves)
