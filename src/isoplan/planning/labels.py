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

from isoplan.planning.loops import compiled_loop
from isoplan.planning.sorting import stable_lexsort


def _state_order(state: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """``np.lexsort((*reversed(keys), state))``: by state, then by each key in turn (ascending), ties in the
    given order; the keys by :func:`isoplan.planning.sorting.stable_lexsort`, the state (a small integer) by radix
    sort, about twice as fast."""
    order: np.ndarray = stable_lexsort(*keys) if keys else np.arange(state.size)
    small = state.dtype if state.size == 0 or int(state.max(initial=0)) >= 1 << 16 else np.uint16
    ordered: NDArray[np.intp] = order[np.argsort(state[order].astype(small), kind="stable")]
    return ordered


def _worth(labels_j: np.ndarray, labels_i: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The most label j's advantages over label i can still be worth (positive parts, weighted).

    ``labels_j`` and ``labels_i`` broadcast against each other over all but the last axis (the labels);
    summed label by label, so no array of every pair's every label is built."""
    shape = np.broadcast_shapes(labels_j.shape[:-1], labels_i.shape[:-1])
    worth: NDArray[np.float64] = np.zeros(shape)
    gap = np.empty(shape)
    for k, w in enumerate(weights):
        if w == 0.0:
            continue
        np.subtract(labels_j[..., k], labels_i[..., k], out=gap)
        np.maximum(gap, 0.0, out=gap)
        gap *= w
        worth += gap
    return worth


#: labels of a state up to which all pairs are compared at once (padded over states); larger states are
#: swept in chunks of this many labels against the labels kept so far
_DENSE = 48
#: array elements one comparison step may allocate (bounds memory)
_STEP_ELEMENTS = 2_000_000


def _beaten(v_i: np.ndarray, l_i: np.ndarray, v_j: np.ndarray, l_j: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(len(i), len(j)) bool: label i is at least as good as label j whatever j's advantages are worth."""
    worth = _worth(l_j[None, :, :], l_i[:, None, :], weights)
    beats: NDArray[np.bool_] = (v_i[:, None] - v_j[None, :]) >= worth - 1e-6
    return beats


def _sweep(v: np.ndarray, lab: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Bool mask of one state's labels (ranked best first) that no label ranked before beats.

    In chunks: a label is compared with the earlier labels of its chunk and with the labels kept from
    earlier chunks only; a dropped label's victims are beaten by whatever beat it (the relation is
    transitive), so this keeps the labels the all-pairs test keeps.
    """
    n = v.size
    keep = np.zeros(n, dtype=bool)
    kept: list[int] = []
    for a in range(0, n, _DENSE):
        b = min(a + _DENSE, n)
        cv, cl = v[a:b], lab[a:b]
        dropped = np.any(np.triu(_beaten(cv, cl, cv, cl, weights), k=1), axis=0)
        if kept:
            k = np.asarray(kept)
            rows = max(1, _STEP_ELEMENTS // max((b - a) * lab.shape[1], 1))
            for c in range(0, k.size, rows):
                todo = np.flatnonzero(~dropped)
                if todo.size == 0:
                    break
                kk = k[c:c + rows]
                dropped[todo] |= np.any(_beaten(v[kk], lab[kk], cv[todo], cl[todo], weights), axis=0)
        survivors = np.flatnonzero(~dropped) + a
        keep[survivors] = True
        kept.extend(survivors.tolist())
    return keep


def _pareto(state: np.ndarray, value: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Indices of the labels of each state that may still lead to the optimum.

    Label j is dropped when another label i of the same state, ranked before
    it (higher value), has ``value_i - value_j >= sum_k w_k (l_jk - l_ik)+``:
    whatever j's extra credit and bases can still be worth (each at most its
    weight per dollar, :func:`_label_weights`), i is at least as good; the
    cash columns, at a weight no value gap covers, keep i from being short of
    cash for any later exercise j could pay (:func:`_dominance_weights`). The
    relation is transitive (the positive part obeys the triangle inequality),
    so states with few labels compare all pairs at once (padded, in chunks of
    states to bound memory) and larger states are swept against the labels
    kept so far (:func:`_sweep`).
    """
    order = _state_order(state, -value, -labels[:, 0])
    s = state[order]
    rank = _runs(s)[1]
    groups = np.unique(s, return_inverse=True)[1].reshape(-1)
    n_groups = int(groups.max()) + 1 if groups.size else 0
    sizes = np.bincount(groups, minlength=n_groups)
    # a label column equal in every label, or of weight 0, adds nothing to any comparison
    varying = np.ptp(labels, axis=0) > 0 if labels.shape[0] else np.zeros(labels.shape[1], dtype=bool)
    varying &= weights != 0.0
    lab_sorted = labels[order][:, varying]
    w = weights[varying]
    value_sorted = value[order]
    dropped_sorted = np.zeros(order.size, dtype=bool)
    small = sizes <= _DENSE
    if small.any():
        sel = small[groups]
        g_small = np.cumsum(small) - 1  # index of each small group among the small ones
        gs, rs = g_small[groups[sel]], rank[sel]
        size = int(rs.max()) + 1
        n_small = int(small.sum())
        v = np.full((n_small, size), np.nan)
        v[gs, rs] = value_sorted[sel]
        lab = np.full((n_small, size, lab_sorted.shape[1]), np.nan)
        lab[gs, rs] = lab_sorted[sel]
        earlier = np.triu(np.ones((size, size), dtype=bool), k=1)  # i ranked before j
        dropped = np.zeros((n_small, size), dtype=bool)
        step = max(1, 1_000_000 // max(size * size * max(lab.shape[2], 1), 1))
        for a in range(0, n_small, step):
            vv, ll = v[a:a + step], lab[a:a + step]
            worth = _worth(ll[:, None, :, :], ll[:, :, None, :], w)  # [g, i, j]: what j has over i
            with np.errstate(invalid="ignore"):
                beats = (vv[:, :, None] - vv[:, None, :]) >= worth - 1e-6
            dropped[a:a + step] = np.any(beats & earlier[None, :, :], axis=1)
        dropped_sorted[sel] = dropped[gs, rs]
    starts = np.searchsorted(groups, np.arange(n_groups))
    for g in np.flatnonzero(~small):
        a, b = int(starts[g]), int(starts[g] + sizes[g])
        dropped_sorted[a:b] = ~_sweep(value_sorted[a:b], lab_sorted[a:b], w)
    kept: NDArray[np.intp] = order[~dropped_sorted]
    return kept


#: leader ranks compared per pass in :func:`_beaten_by_leaders`: most labels fall to their state's best few
#: labels, so later (wider) passes compare only the labels the earlier ones left
_LEADER_PASSES = (1, 4, 16)


def _beaten_by_leaders(leader: np.ndarray, valid: np.ndarray, pool_value: np.ndarray, pool_labels: np.ndarray,
                       value: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Bool mask of the labels (``value``, ``labels``) that one of their leaders beats: ``leader`` (N, L) holds
    indices into the pool (``pool_value``, ``pool_labels``), used where ``valid``.

    The test is :func:`_pareto`'s (the leader ahead by at least what the label's advantages can still be
    worth), the same arithmetic in the same order; the leaders are compared a few ranks at a time and a
    label leaves the comparison once one beats it, so the answer is the all-leaders answer."""
    n, width = leader.shape
    beaten = np.zeros(n, dtype=bool)
    columns = [(k, float(w), np.ascontiguousarray(pool_labels[:, k]), labels[:, k])
               for k, w in enumerate(weights) if w != 0.0]
    todo = np.arange(n)
    cuts = [c for c in _LEADER_PASSES if c < width] + [width]
    start = 0
    for stop in cuts:
        if todo.size == 0:
            break
        ok = valid[todo, start:stop]
        i = np.where(ok, leader[todo, start:stop], 0)
        worth: NDArray[np.float64] = np.zeros(i.shape)
        for _, w, pool_column, column in columns:
            gap = column[todo][:, None] - pool_column[i]
            np.maximum(gap, 0.0, out=gap)
            gap *= w
            worth += gap
        hit = np.any(ok & (pool_value[i] - value[todo][:, None] >= worth - 1e-6), axis=1)
        beaten[todo[hit]] = True
        todo = todo[~hit]
        start = stop
    return beaten


#: (label, leader) pairs from which :func:`_beaten_in_ranges` runs compiled (numba, loaded on first use)
_COMPILED_PAIRS = 20_000


def _runs(sorted_state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For labels sorted by state: where each label's state starts (its first position) and the label's rank in it."""
    n = sorted_state.size
    new = np.ones(n, dtype=bool)
    np.not_equal(sorted_state[1:], sorted_state[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    start: NDArray[np.intp] = starts[np.cumsum(new) - 1] if n else np.zeros(0, dtype=np.intp)
    return start, np.arange(n) - start


def _beaten_in_ranges(lo: np.ndarray, hi: np.ndarray, pool_value: np.ndarray, pool_labels: np.ndarray,
                      value: np.ndarray, labels: np.ndarray, weights: np.ndarray, leaders: int) -> np.ndarray:
    """:func:`_beaten_by_leaders` with each label's leaders the pool's positions ``lo`` to ``hi`` (at most
    ``leaders`` of them, compared in that order), so that no (labels, leaders) table is built when it runs
    compiled."""
    n = lo.size
    if n * leaders < _COMPILED_PAIRS:
        leader = lo[:, None] + np.arange(leaders)[None, :]
        valid = leader < hi[:, None]
        return _beaten_by_leaders(np.where(valid, leader, 0), valid, pool_value, pool_labels, value, labels,
                                  weights)
    beaten = np.zeros(n, dtype=bool)
    compiled_loop(_ranges_loop)(np.ascontiguousarray(lo, dtype=np.int64), np.ascontiguousarray(hi, dtype=np.int64),
                                np.ascontiguousarray(pool_value, dtype=np.float64),
                                np.ascontiguousarray(pool_labels, dtype=np.float64),
                                np.ascontiguousarray(value, dtype=np.float64),
                                np.ascontiguousarray(labels, dtype=np.float64),
                                np.ascontiguousarray(weights, dtype=np.float64), beaten)
    return beaten


def _ranges_loop(lo: np.ndarray, hi: np.ndarray, pool_value: np.ndarray, pool_labels: np.ndarray,
                 value: np.ndarray, labels: np.ndarray, weights: np.ndarray, beaten: np.ndarray) -> None:
    """:func:`_beaten_by_leaders` one label at a time, its leaders the pool positions ``lo[r]`` to ``hi[r]``,
    stopping at the first leader that beats it (the same arithmetic in the same order as the array version;
    compiled by :func:`compiled_loop`)."""
    for r in range(lo.shape[0]):
        for p in range(lo[r], hi[r]):
            worth = 0.0
            for k in range(weights.shape[0]):
                w = weights[k]
                if w == 0.0:
                    continue
                gap = labels[r, k] - pool_labels[p, k]
                if gap < 0.0:
                    gap = 0.0
                worth += gap * w
            if pool_value[p] - value[r] >= worth - 1e-6:
                beaten[r] = True
                break


def _prune_by_leaders(state: np.ndarray, value: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                      leaders: int = 32) -> np.ndarray:
    """Indices of the labels that none of their state's ``leaders`` highest-value labels rules out (the
    same exact test as :func:`_pareto`, against a few labels only, so it scales to many labels)."""
    order = _state_order(state, -value, -labels[:, 0])
    start, rank = _runs(state[order])
    value_sorted, labels_sorted = value[order], labels[order]
    # a label's leaders: the labels of its state ranked before it, up to ``leaders`` of them
    dropped = _beaten_in_ranges(start, start + np.minimum(rank, leaders), value_sorted, labels_sorted,
                                value_sorted, labels_sorted, weights, leaders)
    return np.sort(order[~dropped])


def _prefilter(state: np.ndarray, value: np.ndarray, labels: np.ndarray, weights: np.ndarray,
               per_state: int, optimistic: np.ndarray | None = None) -> np.ndarray:
    """At most ``per_state`` candidates per state before the exact pruning: the best by value so far and
    the best by ``optimistic``, the most a schedule through the label could be worth (by default the value
    plus the most that credit and bases can still add)."""
    half = max(per_state // 2, 1)
    if optimistic is None:
        optimistic = value + labels @ weights
    chosen = np.zeros(state.size, dtype=bool)
    for score in (value, optimistic):
        order = _state_order(state, -score)
        s = state[order]
        rank = _runs(s)[1]
        chosen[order[rank < half]] = True
    return np.flatnonzero(chosen)


def _not_covered(kept_state: np.ndarray, kept_value: np.ndarray, kept_labels: np.ndarray, state: np.ndarray,
                 value: np.ndarray, labels: np.ndarray, weights: np.ndarray, leaders: int = 32) -> np.ndarray:
    """Bool mask of the labels no kept label of their grid point (among its ``leaders`` highest values) beats."""
    out = np.ones(state.size, dtype=bool)
    if state.size == 0 or kept_state.size == 0:
        return out
    order = _state_order(kept_state, -kept_value)
    ks = kept_state[order]
    # per grid point, the run of its kept labels in ``order`` (best first), at most ``leaders`` of them
    points = int(max(ks.max(), state.max())) + 1
    first = np.searchsorted(ks, np.arange(points), side="left")
    count = np.minimum(np.searchsorted(ks, np.arange(points), side="right") - first, leaders)
    lo = first[state]
    out[_beaten_in_ranges(lo, lo + count[state], kept_value[order], kept_labels[order], value, labels, weights,
                          leaders)] = False
    return out
