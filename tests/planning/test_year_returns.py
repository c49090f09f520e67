"""The engine's part of a move's tax, run once per distinct tax input of a year for every round of the search
(:meth:`isoplan.planning.grid._YearPairs.returns`), and what the floor before the engine reads of it
(:meth:`isoplan.planning.grid._YearPairs.elections`). Neither may change a figure: a year through the stored
returns is the year with one engine row per scenario, exactly, for the federal return and the state's; and each
scenario's tax is no less than the least over the elections of the stored tax less the credit it can take."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from tests.planning.test_move_table import MODELS

from isoplan.planning.grid import _Moves, share_grid
from isoplan.planning.model import year_step, year_step_of


@pytest.mark.parametrize("case", range(len(MODELS)))
def test_a_year_through_the_stored_returns_is_the_year_with_a_row_per_scenario(case: int) -> None:
    model, steps = MODELS[case]
    grid = share_grid(model, steps)
    moves = _Moves(model, grid)
    rng = np.random.default_rng(100 + case)
    n_combos = grid.combo_shares.shape[0]
    for t in range(len(model.years) - 1):
        first = rng.choice(n_combos, size=max(1, n_combos // 3), replace=False)
        pairs = moves.year(t, first)
        stored = pairs.returns(model, t)
        # more points: the table grows, its inputs are sorted again, and the returns follow them
        combos = np.concatenate([first[:2], rng.choice(n_combos, size=max(1, n_combos // 2))])
        pairs, source, pair = moves.from_points(t, combos)
        assert pairs.moves is not None
        returns = pairs.returns(model, t)
        assert returns.federal.tax.shape[1] == pairs.inputs.shape[0]
        assert returns is not stored or pairs.inputs.shape[0] == stored.federal.tax.shape[1]
        before = grid.combo_shares[combos[source]]
        held = grid.combo_shares[pairs.target[pair]]
        credit = rng.uniform(0.0, 30_000.0, source.size)
        credit[rng.random(source.size) < 0.2] = 0.0
        state_credit = rng.uniform(0.0, 5_000.0, source.size)
        direct = year_step(model, t, before, held - before, credit, state_credit=state_credit)
        through = year_step_of(model, t, pairs.moves.take(pair), credit, same_as=pairs.inputs_of[pair],
                               state_credit=state_credit, returns=returns)
        for f in fields(direct):
            assert np.array_equal(getattr(through, f.name), getattr(direct, f.name)), f.name

        # the floor's bound: no scenario's tax is below the least over the elections of tax less credit taken
        federal, state = pairs.elections(model, t)
        rows = pairs.inputs_of[pair]
        least, most_left = federal.after_credit(credit, rows)
        if state is not None:
            state_least, state_most_left = state.after_credit(state_credit, rows)
            least = least + state_least
            assert np.all(state_most_left >= direct.state_credit_next - 1e-6)
        assert np.all(least <= direct.total_tax + 1e-6)
        assert np.all(most_left >= direct.credit_next - 1e-6)
