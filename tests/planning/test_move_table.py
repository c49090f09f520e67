"""The optimizer's table of moves, computed once per grid point and year for every round of the search.

Each year's valid moves from a grid point and what they do before any tax (:class:`isoplan.planning.staging.
_YearPairs`) are computed once and shared by the relaxed search, the dive and every round; moves with equal tax
inputs share one engine row. None of it may change a figure: the valid moves are the all-blocks test's, a move's
figures are :func:`isoplan.planning.model.year_step`'s for the same shares, and a year's tax through the shared
engine rows is the tax with one engine row per scenario.
"""

from __future__ import annotations

import datetime
import tomllib
from pathlib import Path

import numpy as np
import pytest
from tests.planning.test_dominance_tight_cash import SEEDS, tight_plan

from isoplan.planning.grid import (
    _TAX_INPUTS,
    _deciding_columns,
    _Moves,
    _strike_floor,
    _valid_grid_pairs,
    _valid_moves,
    share_grid,
)
from isoplan.planning.model import StagingModel, _distinct, build_model, year_step, year_step_of
from isoplan.planning.plan import parse_plan

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _models() -> list[tuple[StagingModel, int | None]]:
    out: list[tuple[StagingModel, int | None]] = []
    for seed in SEEDS[:6]:
        plan, steps = tight_plan(seed)
        out.append((build_model(plan), steps))
    for name in ("three-grants-ten-years.toml", "staging-california.toml"):
        path = EXAMPLES / name
        plan = parse_plan(tomllib.loads(path.read_text()), str(path), today=datetime.date(2026, 1, 1))
        out.append((build_model(plan), plan.grid_steps or None))
    return out


MODELS = _models()


@pytest.mark.parametrize("case", range(len(MODELS)))
def test_the_pairs_built_grant_by_grant_list_the_valid_moves_in_table_order(case: int) -> None:
    model, steps = MODELS[case]
    grid = share_grid(model, steps)
    rng = np.random.default_rng(case)
    n_combos = grid.combo_shares.shape[0]
    for t in range(len(model.years) - 1):
        # half the grid points in a random order, and every grid point
        for points in (rng.choice(n_combos, size=max(1, n_combos // 2), replace=False), np.arange(n_combos)):
            source, target = _valid_grid_pairs(model, t, grid, points)
            expected_source, expected_target = np.nonzero(_valid_moves(model, t, grid.combo_shares[points],
                                                                       grid.combo_shares))
            assert np.array_equal(source, expected_source)
            assert np.array_equal(target, expected_target)


def test_sorting_by_the_deciding_columns_orders_rows_as_sorting_by_all() -> None:
    rng = np.random.default_rng(7)
    base = rng.integers(0, 4, size=(500, 2)).astype(float)  # few values: many ties
    # columns: varied, constant, equal to the first, varied, zero
    rows = np.stack([base[:, 0], np.full(500, 3.5), base[:, 0], base[:, 1], np.zeros(500)], axis=1)
    keys = _deciding_columns(rows)
    assert keys == [0, 3]
    assert np.array_equal(np.lexsort(rows[:, keys].T[::-1]), np.lexsort(rows.T[::-1]))
    assert _deciding_columns(np.zeros((0, 3))) == [0]
    assert _deciding_columns(np.ones((4, 2))) == []
    with_nan = np.stack([np.full(3, np.nan), np.full(3, np.nan)], axis=1)
    assert _deciding_columns(with_nan) == [0, 1]  # NaN equals nothing: kept


@pytest.mark.parametrize("case", range(len(MODELS)))
def test_the_distinct_tax_inputs_are_sorted_and_each_pair_points_at_its_own(case: int) -> None:
    model, steps = MODELS[case]
    grid = share_grid(model, steps)
    moves = _Moves(model, grid)
    n_combos = grid.combo_shares.shape[0]
    for t in range(len(model.years) - 1):
        moves.year(t, np.arange(0, n_combos, 2))
        pairs = moves.year(t, np.arange(n_combos))
        assert pairs.moves is not None
        columns = np.stack([getattr(pairs.moves, k) for k in _TAX_INPUTS], axis=1)
        assert np.array_equal(pairs.inputs[pairs.inputs_of], columns)
        later = pairs.inputs[1:]
        earlier = pairs.inputs[:-1]
        differ = later != earlier
        first = np.argmax(differ, axis=1)  # the first column where neighbours differ: larger in the later one
        rows = np.arange(later.shape[0])
        assert differ.any(axis=1).all()
        assert (later[rows, first] > earlier[rows, first]).all()


@pytest.mark.parametrize("case", range(len(MODELS)))
def test_the_table_holds_each_move_s_figures_and_shares_engine_rows_only_between_equal_inputs(case: int) -> None:
    model, steps = MODELS[case]
    grid = share_grid(model, steps)
    moves = _Moves(model, grid)
    rng = np.random.default_rng(case)
    n_combos = grid.combo_shares.shape[0]
    for t in range(len(model.years) - 1):
        # points in two batches, the second overlapping the first: the table grows and keeps its indices
        first = rng.choice(n_combos, size=max(1, n_combos // 3), replace=False)
        moves.year(t, first)
        combos = np.concatenate([first[:2], rng.choice(n_combos, size=max(1, n_combos // 2))])
        pairs, source, pair = moves.from_points(t, combos)
        assert pairs.moves is not None
        valid = _valid_moves(model, t, grid.combo_shares[combos], grid.combo_shares)
        expected_source, expected_target = np.nonzero(valid)
        assert np.array_equal(source, expected_source)
        assert np.array_equal(pairs.target[pair], expected_target)
        before = grid.combo_shares[combos[source]]
        held = grid.combo_shares[pairs.target[pair]]
        assert np.array_equal(pairs.floor[pair], _strike_floor(model, t, held, held - before))
        credit = rng.uniform(0.0, 30_000.0, source.size)
        state_credit = rng.uniform(0.0, 5_000.0, source.size)
        direct = year_step(model, t, before, held - before, credit, state_credit=state_credit)
        shared = year_step_of(model, t, pairs.moves.take(pair), credit, same_as=pairs.inputs_of[pair],
                              state_credit=state_credit)
        for name in ("total_tax", "flow", "cash_out", "credit_next", "state_credit_next", "regular_basis_added",
                     "amt_basis_added", "iso_spread", "nso_income", "sale_proceeds"):
            assert np.array_equal(getattr(shared, name), getattr(direct, name)), name
        # equal engine row exactly when equal tax inputs
        inputs = np.stack([getattr(pairs.moves, k) for k in _TAX_INPUTS], axis=1)
        assert np.array_equal(pairs.inputs[pairs.inputs_of], inputs)
        assert np.unique(pairs.inputs, axis=0).shape[0] == pairs.inputs.shape[0]


@pytest.mark.parametrize("ids", [np.array([], dtype=np.intp), np.array([3, 1, 3, 0, 1, 7]),
                                 np.array([10**9, 5, 10**9]), np.arange(50)[::-1] % 7])
def test_distinct_ids_are_numpy_unique_s(ids: np.ndarray) -> None:
    position, inverse = _distinct(ids)
    values, expected_inverse = np.unique(ids, return_inverse=True)
    assert np.array_equal(inverse, expected_inverse.reshape(-1))
    assert np.array_equal(ids[position], values)
