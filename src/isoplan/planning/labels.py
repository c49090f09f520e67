"""Pruning the optimizer's Pareto labels: which (value, credit, basis) labels of a grid state may still win.

A label is the value so far of a path to a grid state and what it carries
forward (credits and bases), each worth at most a weight per dollar later
(:func:`isoplan.planning.staging._label_weights`). A label is dropped when
another of its state is ahead by more than whatever its advantages can
still be worth.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


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
