"""The compiled per-move loops before the engine against plain array references: the tax after a credit over the
deduction elections, a move's value and carried labels, and the label rows. Each reference is the array expression
the loop stands for, written out here; the figures must match to the last bit, NaN where NaN (ties between a credit
and its limit, infinities and NaN among the inputs)."""

from __future__ import annotations

import numpy as np
import pytest

from isoplan.planning.move_bound import after_credit, carried, move_labels


def _figures(rng: np.random.Generator, shape: tuple[int, ...], scale: float) -> np.ndarray:
    """Uneven figures (so that a sum taken in another order differs in its last bits), some zero, some negative,
    a few infinite or NaN."""
    out = rng.uniform(-0.2 * scale, scale, shape) * np.exp(rng.uniform(-3.0, 0.0, shape))
    out[rng.random(shape) < 0.1] = 0.0
    out[rng.random(shape) < 0.03] = np.inf
    out[rng.random(shape) < 0.03] = -np.inf
    out[rng.random(shape) < 0.03] = np.nan
    return out


@pytest.mark.parametrize("elections", [1, 2, 3])
@pytest.mark.parametrize("seed", range(4))
def test_the_tax_after_credit_is_the_least_over_the_elections(seed: int, elections: int) -> None:
    rng = np.random.default_rng(seed)
    n = 40
    tax, limit, other, amt = (_figures(rng, (elections, n), 90_000.0) for _ in range(4))
    rows = rng.integers(0, n, 500)
    credit = _figures(rng, (rows.size,), 60_000.0)
    ties = rng.random(rows.size) < 0.2
    credit[ties] = limit[0, rows[ties]]  # a credit equal to its limit
    least, most_left = after_credit(tax, limit, other, amt, credit, rows)
    expected_least = expected_left = None
    with np.errstate(invalid="ignore"):  # infinity less infinity: NaN, as the loop makes it
        for e in range(elections):
            used = np.minimum(credit, limit[e, rows])
            after = tax[e, rows] - used + other[e, rows]
            left = np.maximum(credit - used + amt[e, rows], 0.0)
            expected_least = after if expected_least is None else np.minimum(expected_least, after)
            expected_left = left if expected_left is None else np.maximum(expected_left, left)
    assert np.array_equal(least, expected_least, equal_nan=True)
    assert np.array_equal(most_left, expected_left, equal_nan=True)
    assert np.isnan(least).any() and np.isinf(least).any()  # the case reaches NaN and infinity


@pytest.mark.parametrize("rolled_cash", [False, True])
@pytest.mark.parametrize("own_state", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_a_move_s_value_and_labels_are_the_array_expressions(seed: int, own_state: bool, rolled_cash: bool) -> None:
    rng = np.random.default_rng(seed + 10)
    nodes, pairs, n = 30, 50, 600
    node_value = _figures(rng, (nodes,), 1e6)
    node_labels = _figures(rng, (nodes, 8), 50_000.0)
    moves = tuple(_figures(rng, (pairs,), 200_000.0) for _ in range(4))
    parent, pair = rng.integers(0, nodes, n), rng.integers(0, pairs, n)
    tax = _figures(rng, (n,), 80_000.0)
    base_tax, cash_limit, discount = 12_345.678, 98_765.4321, 0.9425959
    tax[rng.random(n) < 0.1] = base_tax  # no extra tax
    state_next = None if own_state else _figures(rng, (n,), 9_000.0)
    value, regular, amt, state, cash = move_labels(parent, pair, node_value, node_labels, tax, state_next, moves,
                                                   base_tax, cash_limit, discount, rolled_cash)
    strike_paid, proceeds, regular_added, amt_added = (a[pair] for a in moves)
    labels = node_labels[parent]
    with np.errstate(invalid="ignore"):  # infinity less infinity: NaN, as the loop makes it
        extra_tax = tax - base_tax
        cash_out = np.maximum(strike_paid + np.maximum(extra_tax, 0.0) - proceeds, 0.0)
        expected = (node_value[parent] + discount * (proceeds - strike_paid - extra_tax),
                    labels[:, 1] + regular_added, labels[:, 2] + amt_added,
                    np.maximum(labels[:, 3], 0.0) if own_state else state_next,
                    np.maximum(cash_limit + labels[:, 4] - cash_out, 0.0) if rolled_cash else np.zeros(n))
    for got, want in zip((value, regular, amt, state, cash), expected, strict=True):
        assert np.array_equal(got, want, equal_nan=True)
    assert np.isnan(value).any() and np.isinf(value).any()


@pytest.mark.parametrize("seed", range(4))
def test_the_label_rows_are_the_labels_and_the_cash_sums(seed: int) -> None:
    rng = np.random.default_rng(seed + 20)
    table = _figures(rng, (300, 5), 70_000.0)
    credit, regular, amt, state, cash = table.T  # columns: not contiguous
    out = carried(credit, regular, amt, state, cash)
    with np.errstate(invalid="ignore"):  # infinity less infinity: NaN, as the loop makes it
        expected = np.vstack([credit, regular, amt, state, cash, cash + credit, cash + state,
                              cash + credit + state]).T
    assert out.flags.c_contiguous
    assert np.array_equal(out, expected, equal_nan=True)
    assert carried(*(np.zeros(0) for _ in range(5))).shape == (0, 8)
