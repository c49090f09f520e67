"""A bound on what the rest of a staging plan can add, per grid point and year, from a relaxed search.

The optimizer (:mod:`isoplan.planning.staging`) carries Pareto labels per grid
point: value so far and what it carries forward (credits, bases, unspent cash).
This module bounds, for any label, the most the years after it can add, so the
optimizer can drop a label that cannot beat a schedule it already holds and can
bound the labels its budget drops.

The relaxation: per grid point and year, the labels of every path are bundled
(:func:`bundle_labels`, by value rank) and each bundle is replaced by its
envelope, the largest of each carried label over its members. An envelope's
moves are expanded like a label's and its children bundled again, over every
grid point and year, forward; then, backward, each envelope's *future* is the
most its best move adds plus the future of the bundle its child joins
(:func:`futures`).

Why the future of a bundle bounds its members'. More credit or basis never
lowers what the later years add (credit lowers tax dollar for dollar up to the
§53(c) limit and only a dollar's worth; basis lowers the exit's gain), and more
cash never rules a move out, so a label worth no more than an envelope in every
carried label, from the same grid point, has no better future: its child
under a move is worth no more than the envelope's child, which its bundle
covers, and so on to the exit. Any label is covered by some envelope of its grid
point (by induction over the years, from the start, which is one label), and
any envelope bounds any label up to the label test's penalty for what the label
carries beyond it (:func:`isoplan.planning.labels._pareto`'s weights: each
carried dollar at most its worth, and unspent cash short of the label's plus its
credit lead at a weight no value gap covers); so the least over the grid point's
envelopes of future plus penalty bounds the label's future
(:meth:`ValueToGo.to_go`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from isoplan.planning.labels import _runs, _state_order, compiled_loop


def bundle_labels(point: np.ndarray, value: np.ndarray, labels: np.ndarray,
                  groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per grid point, ``groups`` bundles of labels by value rank (about equal sizes), each replaced by its envelope:
    the largest value and the largest of each carried label over its members.

    Returns the envelopes' grid points, values and labels (grouped by grid point, ascending, best value first)
    and, for each given label, the index of the envelope of its bundle.
    """
    n = point.size
    if n == 0:
        return (np.zeros(0, dtype=np.intp), np.zeros(0), np.zeros((0, labels.shape[1])), np.zeros(0, dtype=np.intp))
    order = _state_order(point, -value)
    s = point[order]
    rank = _runs(s)[1]
    size = np.bincount(s)[s]
    bundle = s * groups + rank * groups // size
    # in this order each bundle is a run of consecutive labels, its best value first
    new = np.concatenate([[True], bundle[1:] != bundle[:-1]])
    first = np.flatnonzero(new)
    env_point: NDArray[np.intp] = (bundle[first] // groups).astype(np.intp)
    env_value = value[order][first]
    env_labels = np.maximum.reduceat(labels[order], first, axis=0)
    member_of: NDArray[np.intp] = np.empty(n, dtype=np.intp)
    member_of[order] = np.cumsum(new) - 1
    return env_point, env_value, env_labels, member_of


@dataclass
class Level:
    """The envelopes after one year: grid point (ascending), carried labels, and (filled backward) the most the
    later years can add from each."""

    point: np.ndarray
    labels: np.ndarray
    future: np.ndarray


@dataclass
class Move:
    """One year's expansion of the envelopes before it: each row's parent envelope (index into the earlier level;
    the start has one), the envelope its child joins, and the year's discounted flow."""

    parent: np.ndarray
    joins: np.ndarray
    flow: np.ndarray


def futures(levels: list[Level], moves: list[Move], exit_flow: np.ndarray) -> None:
    """Fill each level's ``future`` backward: the last level's is ``exit_flow`` (the exit year's discounted flow
    from each envelope); an earlier envelope's is the best over its moves of the move's flow plus the future of
    the envelope its child joins (minus infinity: no move left)."""
    levels[-1].future = np.asarray(exit_flow, dtype=np.float64)
    for t in range(len(levels) - 1, 0, -1):
        move = moves[t]
        future = np.full(levels[t - 1].point.size, -np.inf)
        np.maximum.at(future, move.parent, move.flow + levels[t].future[move.joins])
        levels[t - 1].future = future


@dataclass
class ValueToGo:
    """Per year (after its exercise), the envelopes of the relaxed search and their futures (see module doc)."""

    levels: list[Level]
    points: int

    def start_bound(self, first_move: Move) -> float:
        """The most any schedule can be worth: the best first move plus its envelope's future."""
        return float(np.max(first_move.flow + self.levels[0].future[first_move.joins], initial=-np.inf))

    def to_go(self, t: int, point: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """(n,) the most the years after year ``t`` can add to each label (grid point, carried labels) after year
        ``t``'s exercise: the least, over its grid point's envelopes, of the envelope's future plus the worth of
        what the label carries beyond it at the label test's ``weights`` (:func:`isoplan.planning.staging.
        _dominance_weights` for year ``t``). Infinity where the relaxation never reached the grid point."""
        level = self.levels[t]
        first = np.searchsorted(level.point, np.arange(self.points + 1))
        out = np.empty(point.size)
        if point.size == 0:
            return out
        compiled_loop(_least_loop)(first.astype(np.int64), np.ascontiguousarray(level.future, dtype=np.float64),
                                   np.ascontiguousarray(level.labels, dtype=np.float64),
                                   np.ascontiguousarray(point, dtype=np.int64),
                                   np.ascontiguousarray(labels, dtype=np.float64),
                                   np.ascontiguousarray(weights, dtype=np.float64), out)
        return out


def _least_loop(first: np.ndarray, future: np.ndarray, env_labels: np.ndarray, point: np.ndarray,
                labels: np.ndarray, weights: np.ndarray, out: np.ndarray) -> None:
    """:meth:`ValueToGo.to_go` one label at a time (compiled by :func:`isoplan.planning.labels.compiled_loop`)."""
    for r in range(point.shape[0]):
        p = point[r]
        least = np.inf
        for q in range(first[p], first[p + 1]):
            worth = 0.0
            for k in range(weights.shape[0]):
                w = weights[k]
                if w == 0.0:
                    continue
                gap = labels[r, k] - env_labels[q, k]
                if gap > 0.0:
                    worth += gap * w
            bound = future[q] + worth
            if bound < least:
                least = bound
        out[r] = least

