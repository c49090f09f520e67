"""The relaxation's compiled bound loops against a plain reference: the least, over a grid point's envelopes, of the
envelope's future plus the worth of what the label carries beyond it (a pruned search's: over the envelopes worth at
least the label's value plus that worth). The loops skip an envelope whose future alone is no lower than the least
so far; the figures must be those of weighing every envelope."""

from __future__ import annotations

import numpy as np
import pytest

from isoplan.planning.loops import compiled_loop
from isoplan.planning.relaxation import _least_loop, _pruned_loop


def _worth(label: np.ndarray, envelope: np.ndarray, weights: np.ndarray) -> float:
    worth = 0.0
    for k, w in enumerate(weights):
        if w != 0.0 and label[k] - envelope[k] > 0.0:
            worth += (label[k] - envelope[k]) * w
    return worth


def _case(seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    points = 12
    per_point = rng.integers(0, 6, points)  # some grid points without an envelope
    first = np.concatenate([[0], np.cumsum(per_point)]).astype(np.int64)
    envelopes = int(first[-1])
    future = np.round(rng.uniform(-50.0, 50.0, envelopes), 0)  # ties
    future[rng.random(envelopes) < 0.1] = -np.inf
    future[rng.random(envelopes) < 0.05] = np.nan
    for p in range(points):  # each grid point's envelopes lowest future first, NaN last (as Level.table orders them)
        future[first[p]:first[p + 1]] = np.sort(future[first[p]:first[p + 1]])
    env_value = np.round(rng.uniform(0.0, 100.0, envelopes), 0)
    env_labels = np.round(rng.uniform(0.0, 20.0, (envelopes, 4)), 1)
    n = 300
    point = rng.integers(0, points, n).astype(np.int64)
    value = np.round(rng.uniform(0.0, 100.0, n), 0)
    labels = np.round(rng.uniform(0.0, 20.0, (n, 4)), 1)
    weights = np.array([0.5, 0.0, 1.25, 0.1])
    return first, future, env_value, env_labels, point, value, labels, weights


def _incoming(seed: int, n: int, given: bool) -> np.ndarray:
    """A chain's least so far for each label: infinity (the first search), or some figures, ties and minus
    infinity among them."""
    if not given:
        return np.full(n, np.inf)
    rng = np.random.default_rng(seed + 100)
    least = np.round(rng.uniform(-60.0, 80.0, n), 0)
    least[rng.random(n) < 0.1] = -np.inf
    least[rng.random(n) < 0.1] = np.inf
    return least


@pytest.mark.parametrize("given", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_the_least_bound_is_the_least_over_every_envelope(seed: int, given: bool) -> None:
    first, future, _, env_labels, point, _, labels, weights = _case(seed)
    out = _incoming(seed, point.size, given)
    before = out.copy()
    compiled_loop(_least_loop)(first, future, env_labels, point, labels, weights, out)
    for r, p in enumerate(point):
        bounds = [future[q] + _worth(labels[r], env_labels[q], weights) for q in range(first[p], first[p + 1])]
        bounds = [b for b in bounds if not np.isnan(b)]  # a NaN future bounds nothing
        assert out[r] == min([before[r], *bounds])


@pytest.mark.parametrize("given", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_the_pruned_bound_is_the_least_over_the_envelopes_worth_enough(seed: int, given: bool) -> None:
    first, future, env_value, env_labels, point, value, labels, weights = _case(seed)
    out = _incoming(seed, point.size, given)
    before = out.copy()
    compiled_loop(_pruned_loop)(first, future, env_value, env_labels, point, value, labels, weights, out)
    for r, p in enumerate(point):
        bounds = []
        for q in range(first[p], first[p + 1]):
            worth = _worth(labels[r], env_labels[q], weights)
            if env_value[q] >= value[r] + worth and not np.isnan(future[q]):
                bounds.append(future[q] + worth)
        expected = min([before[r], *bounds]) if first[p] < first[p + 1] else -np.inf
        assert out[r] == expected
