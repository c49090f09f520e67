""":meth:`ValueToGo.to_go` against a plain reference, on envelopes stored in any order: the bound loops read each
grid point's envelopes lowest future first (:meth:`Level.table`), and a pruned search's bound is no more than the
bounds of the searches before it, down the chain; the figures must be those of weighing every envelope of every
search in the chain."""

from __future__ import annotations

import numpy as np
import pytest
from tests.planning.test_to_go_loops import _worth

from isoplan.planning.relaxation import Level, ValueToGo

POINTS = 9


def _level(rng: np.random.Generator) -> Level:
    point = np.sort(rng.integers(0, POINTS - 2, 30))  # the last grid points have no envelope
    future = np.round(rng.uniform(-50.0, 50.0, point.size), 0)  # ties
    future[rng.random(point.size) < 0.1] = -np.inf
    return Level(point, np.round(rng.uniform(0.0, 20.0, (point.size, 4)), 1), future,
                 np.round(rng.uniform(0.0, 100.0, point.size), 0))


def _reference(search: ValueToGo, point: np.ndarray, value: np.ndarray, labels: np.ndarray,
               weights: np.ndarray) -> np.ndarray:
    level = search.levels[0]
    out = np.empty(point.size)
    for r, p in enumerate(point):
        members = np.flatnonzero(level.point == p)
        bounds = []
        for q in members:
            worth = _worth(labels[r], level.labels[q], weights)
            if search.prior is None or (level.value is not None and level.value[q] >= value[r] + worth):
                bounds.append(level.future[q] + worth)
        out[r] = min(bounds, default=np.inf) if search.prior is None or members.size else -np.inf
    if search.prior is not None:
        out = np.minimum(out, _reference(search.prior, point, value, labels, weights))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_the_bound_of_a_chain_of_searches_is_the_least_over_every_envelope(seed: int) -> None:
    rng = np.random.default_rng(seed)
    weights = np.array([0.5, 0.0, 1.25, 0.1])
    search = ValueToGo([_level(rng)], POINTS)
    for _ in range(3):
        search = ValueToGo([_level(rng)], POINTS, floor=10.0, prior=search)
    point = rng.integers(0, POINTS, 400)
    value = np.round(rng.uniform(0.0, 100.0, point.size), 0)
    labels = np.round(rng.uniform(0.0, 20.0, (point.size, 4)), 1)
    for depth in range(4):  # each search of the chain, from the unpruned one
        chain = search
        for _ in range(3 - depth):
            assert chain.prior is not None
            chain = chain.prior
        assert np.array_equal(chain.to_go(0, point, labels, weights, value),
                              _reference(chain, point, value, labels, weights))


def test_the_table_follows_new_futures() -> None:
    rng = np.random.default_rng(11)
    level = _level(rng)
    search = ValueToGo([level], POINTS)
    point = rng.integers(0, POINTS, 50)
    labels = np.round(rng.uniform(0.0, 20.0, (point.size, 4)), 1)
    weights = np.array([1.0, 1.0, 0.3, 1.0])
    search.to_go(0, point, labels, weights)
    level.future = level.future + 5.0  # filled again (as :func:`futures` does): the bound follows
    assert np.array_equal(search.to_go(0, point, labels, weights),
                          _reference(search, point, np.zeros(point.size), labels, weights))
