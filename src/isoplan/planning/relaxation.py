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

Pruned by a schedule held. Given a schedule worth F and a bound B that holds for
every label worth more than F (a label's schedules are worth at most the larger of
its value plus B and F), the relaxed search runs again, dropping each envelope's
child whose value plus B is below F, and the envelopes of the bundles left get
their futures as before; the new bound of a label is the least, over the
envelopes of its grid point worth at least its value plus its penalty, of future
plus penalty, and never more than B. It holds above F too. Take a label L and an
envelope E so worth, and L's best completion: E can follow it and gain at least
L's gain less the penalty (the label test's argument), so E's schedule along it
is worth at least L's best. Along it, every child E's bundles make joins a bundle
whose envelope is at least the child in every label, value included, so the
chain's gains are no smaller, and each child along it is worth at least L's best
in value plus B: if one was dropped, L's best is below F; if none was, E's future
is at least its gain along it, so L's best is at most its value plus E's future
plus the penalty. A label worth more than F is covered by an envelope so worth
(the start is; the child of a covering envelope under the label's move covers the
label's child and was not dropped, by the same argument), so a grid point without
an envelope has no such label. The optimizer's ceiling is then the larger of the
pruned search's best start and F.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from isoplan.planning.labels import _state_order
from isoplan.planning.loops import compiled_loop

#: pruned relaxed searches at most after a new best schedule (:func:`tightened`)
TIGHTENINGS = 8
#: a pruned relaxed search that runs more than this share of the rows of the one before it is the last
SHRINK = 0.75
#: rows below which a pruned relaxed search is the last: little is left to prune
FEW_ROWS = 1_000


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
    env_point: NDArray[np.intp] = np.empty(n, dtype=np.intp)
    env_value, env_labels = np.empty(n), np.empty((n, labels.shape[1]))
    member_of: NDArray[np.intp] = np.empty(n, dtype=np.intp)
    count = np.zeros(1, dtype=np.int64)
    loop = compiled_loop(_bundle_loop)
    loop(np.ascontiguousarray(order, dtype=np.int64), np.ascontiguousarray(point, dtype=np.int64),
         np.ascontiguousarray(value, dtype=np.float64), np.ascontiguousarray(labels, dtype=np.float64), groups,
         env_point, env_value, env_labels, member_of, count)
    k = int(count[0])
    return env_point[:k], env_value[:k], env_labels[:k], member_of


def _bundle_loop(order: np.ndarray, point: np.ndarray, value: np.ndarray, labels: np.ndarray, groups: int,
                 env_point: np.ndarray, env_value: np.ndarray, env_labels: np.ndarray, member_of: np.ndarray,
                 count: np.ndarray) -> None:
    """:func:`bundle_labels` after the sort, one label at a time (``order``: by grid point, best value first): a
    grid point's ``size`` labels, ranked ``r``, go to bundle ``r * groups // size``; an envelope takes its first
    member's value and the largest of each label (as ``np.maximum.reduceat``, NaN kept), in order; ``count``: the
    envelopes."""
    n = order.shape[0]
    e = -1
    i = 0
    while i < n:
        p = point[order[i]]
        j = i
        while j < n and point[order[j]] == p:
            j += 1
        size = j - i
        last = -1
        for r in range(size):
            bundle = r * groups // size
            row = order[i + r]
            if bundle != last:
                e += 1
                last = bundle
                env_point[e] = p
                env_value[e] = value[row]
                for k in range(labels.shape[1]):
                    env_labels[e, k] = labels[row, k]
            else:
                for k in range(labels.shape[1]):
                    most = env_labels[e, k]
                    if not (most > labels[row, k] or np.isnan(most)):  # np.maximum's: ties take the later
                        env_labels[e, k] = labels[row, k]
            member_of[row] = e
        i = j
    count[0] = e + 1


@dataclass
class Level:
    """The envelopes after one year: grid point (ascending), carried labels, and (filled backward) the most the
    later years can add from each."""

    point: np.ndarray
    labels: np.ndarray
    future: np.ndarray
    #: each envelope's value (the most of its members'): which labels a pruned search's envelope bounds
    value: np.ndarray | None = None
    #: :meth:`table`'s arrays and the future they were made from
    _table: tuple[np.ndarray, tuple[np.ndarray, ...]] | None = field(default=None, repr=False, compare=False)

    def table(self, points: int) -> tuple[np.ndarray, ...]:
        """The envelopes for the bound loops: where each grid point's run starts (``points`` + 1 entries), and the
        futures, values and labels, each grid point's envelopes lowest future first (a loop stops at the first
        envelope whose future is no lower than the least bound so far: the bounds after it are no lower)."""
        if self._table is None or self._table[0] is not self.future:
            order = np.lexsort((self.future, self.point))
            first = np.searchsorted(self.point[order], np.arange(points + 1)).astype(np.int64)
            value = np.zeros(self.point.size) if self.value is None else self.value[order]
            arrays = (first, np.ascontiguousarray(self.future[order], dtype=np.float64),
                      np.ascontiguousarray(value, dtype=np.float64),
                      np.ascontiguousarray(self.labels[order], dtype=np.float64))
            self._table = (self.future, arrays)
        return self._table[1]


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
    #: a pruned search's (see :meth:`to_go`): the value of a schedule held, and the bound its pruning used
    floor: float = -np.inf
    prior: ValueToGo | None = None

    def start_bound(self, first_move: Move) -> float:
        """The most any schedule can be worth: the best first move plus its envelope's future."""
        return float(np.max(first_move.flow + self.levels[0].future[first_move.joins], initial=-np.inf))

    def to_go(self, t: int, point: np.ndarray, labels: np.ndarray, weights: np.ndarray,
              value: np.ndarray | None = None) -> np.ndarray:
        """(n,) the most the years after year ``t`` can add to each label (grid point, carried labels) after year
        ``t``'s exercise: the least, over its grid point's envelopes, of the envelope's future plus the worth of
        what the label carries beyond it at the label test's ``weights`` (:func:`isoplan.planning.staging.
        _dominance_weights` for year ``t``). Infinity where the relaxation never reached the grid point.

        A pruned search's (``prior`` set; ``value``: each label's value so far): over the envelopes worth at least
        the label's value plus that worth only, and no more than the ``prior``'s bound; minus infinity on a grid
        point without an envelope. It holds for the labels that can beat ``floor`` only (see module doc): the most
        a schedule through a label can be worth is at most the larger of its value plus this and ``floor``. It
        never falls as the value or a carried label grows."""
        out = np.full(point.size, np.inf)
        if point.size == 0:
            return out
        point, labels = np.ascontiguousarray(point, dtype=np.int64), np.ascontiguousarray(labels, dtype=np.float64)
        weights = np.ascontiguousarray(weights, dtype=np.float64)
        if value is not None:
            value = np.ascontiguousarray(value, dtype=np.float64)
        # the least over the chain of searches, newest first: the least so far lets each loop skip the envelopes
        # that cannot lower it (the least is the same in any order: no loop returns NaN)
        search: ValueToGo | None = self
        while search is not None:
            first, future, env_value, env_labels = search.levels[t].table(search.points)
            if search.prior is None:
                compiled_loop(_least_loop)(first, future, env_labels, point, labels, weights, out)
            else:
                assert value is not None and search.levels[t].value is not None
                compiled_loop(_pruned_loop)(first, future, env_value, env_labels, point, value, labels, weights, out)
            search = search.prior
        return out


def _least_loop(first: np.ndarray, future: np.ndarray, env_labels: np.ndarray, point: np.ndarray,
                labels: np.ndarray, weights: np.ndarray, out: np.ndarray) -> None:
    """:meth:`ValueToGo.to_go` one label at a time (compiled by :func:`isoplan.planning.loops.compiled_loop`): each
    ``out`` becomes the least of itself and its label's bounds over its grid point's envelopes (``first``: each grid
    point's run, lowest future first, NaN last)."""
    for r in range(point.shape[0]):
        p = point[r]
        least = out[r]
        for q in range(first[p], first[p + 1]):
            if future[q] >= least:  # the bound adds a worth of zero or more, and the futures after are no lower
                break
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


def _pruned_loop(first: np.ndarray, future: np.ndarray, env_value: np.ndarray, env_labels: np.ndarray,
                 point: np.ndarray, value: np.ndarray, labels: np.ndarray, weights: np.ndarray,
                 out: np.ndarray) -> None:
    """A pruned search's :meth:`ValueToGo.to_go` one label at a time: each ``out`` becomes the least of itself and,
    over the envelopes of its grid point worth at least its value plus the penalty, future plus penalty (minus
    infinity: the grid point has no envelope)."""
    for r in range(point.shape[0]):
        p = point[r]
        least = out[r] if first[p] < first[p + 1] else -np.inf
        for q in range(first[p], first[p + 1]):
            if future[q] >= least:  # the bound adds a worth of zero or more, and the futures after are no lower
                break
            worth = 0.0
            for k in range(weights.shape[0]):
                w = weights[k]
                if w == 0.0:
                    continue
                gap = labels[r, k] - env_labels[q, k]
                if gap > 0.0:
                    worth += gap * w
            if env_value[q] >= value[r] + worth:
                bound = future[q] + worth
                if bound < least:
                    least = bound
        out[r] = least


def tightened(search: Callable[[ValueToGo, float], tuple[ValueToGo | None, float, int]], to_go: ValueToGo,
              ceiling: float, floor: float) -> tuple[ValueToGo, float, int]:
    """Relaxed searches pruned by ``floor`` (``search(prior, floor)``: bound, ceiling, rows run), each by the bound of
    the one before (a tighter bound prunes more, so fewer labels share an envelope and the next bound is tighter
    still), at most :data:`TIGHTENINGS`, while the ceiling is above the floor and each runs at most :data:`SHRINK`
    times the rows of the one before and :data:`FEW_ROWS` or more: the bound, the ceiling (the most any schedule
    can be worth, no lower than the floor) and the rows run."""
    evaluations, last = 0, np.inf
    for _ in range(TIGHTENINGS):
        if ceiling <= floor + 1e-6:
            break
        tighter, top, rows = search(to_go, floor)
        assert tighter is not None
        evaluations += rows
        to_go, ceiling = tighter, min(ceiling, max(top, floor))
        if rows > SHRINK * last or rows < FEW_ROWS:
            break
        last = rows
    return to_go, ceiling, evaluations
