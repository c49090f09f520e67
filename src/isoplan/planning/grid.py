"""The optimizer's share grid and its table of moves (:mod:`isoplan.planning.staging`).

The grid: per grant, cumulative share levels (even steps, each year's exercisable total, the baselines'), combined
over the grants; a grid point is the shares of each block exercised so far. The table: each year's valid moves
from the grid points the search reaches, with what each does before any tax, computed once for every round; moves
with equal tax inputs share one engine row, and each distinct input's return under each deduction election bounds
what any credit can make of it (:class:`isoplan.planning.model.ElectionTaxes`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from isoplan.equity.records import ISO
from isoplan.planning.model import (
    ElectionTaxes,
    StagingModel,
    YearMoves,
    YearReturns,
    election_taxes,
    year_moves,
    year_returns,
)
from isoplan.planning.sorting import distinct_rows

#: state-space budget for the automatic grid (product of levels over grants), and the most steps per grant
AUTO_STATES = 200
MAX_STEPS = 40


def _exercise_order(model: StagingModel, grant_id: str) -> tuple[list[int], np.ndarray, np.ndarray]:
    """A grant's blocks and the order its shares are exercised in: tranche by tranche (oldest first), ISO
    shares before NSO shares within a tranche (isoplan's convention, as :mod:`isoplan.equity.exercise`).

    Returns the grant's block indices and, for the sequence of segments, the block of each and its size.
    """
    blocks = [b for b, blk in enumerate(model.blocks) if blk.grant.id == grant_id]
    segments = []
    for b in blocks:
        rank = 0 if model.blocks[b].kind == ISO else 1
        for first, vest, shares in model.blocks[b].tranches:
            segments.append((vest, first, rank, b, shares))
    segments.sort()
    return blocks, np.asarray([s[3] for s in segments], dtype=np.intp), np.asarray([s[4] for s in segments], float)


def _compose(segment_block: np.ndarray, segment_shares: np.ndarray, level: float, b_count: int) -> np.ndarray:
    """Shares of each block among the first ``level`` shares of a grant's exercise order."""
    out = np.zeros(b_count)
    ends = np.cumsum(segment_shares)
    starts = ends - segment_shares
    taken = np.clip(level - starts, 0.0, segment_shares)
    np.add.at(out, segment_block, taken)
    return out


@dataclass
class Grid:
    """The share grid: per grant, cumulative share levels; combined into block-level share vectors."""

    grant_ids: list[str]
    levels: list[np.ndarray]
    combo_shares: np.ndarray  # (n_combos, B): cumulative shares of each block at each grid point
    #: per grant, (its levels, B): the shares of each block at each of its levels (zero outside the grant)
    compositions: list[np.ndarray] = field(default_factory=list)
    #: (n_combos, grants): each grid point's level of each grant (the grid is their product, the last fastest)
    level_index: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.intp))


def share_grid(model: StagingModel, steps: int | None = None,
               extra: Sequence[np.ndarray] = ()) -> Grid:
    """Even steps of each grant plus each year's exercisable total, combined over grants.

    ``extra``: schedules (B, T) whose cumulative share counts join the grid (the baselines), so the
    optimizer can always reach them.
    """
    b_count = len(model.blocks)
    grant_ids = list(dict.fromkeys(blk.grant.id for blk in model.blocks))
    if not steps:
        steps = min(MAX_STEPS, max(1, round(AUTO_STATES ** (1.0 / max(len(grant_ids), 1))) - 1))
    levels, compositions = [], []
    for gid in grant_ids:
        blocks, seg_block, seg_shares = _exercise_order(model, gid)
        cap = model.cap[blocks].sum(axis=0)
        usable = model.allowed[blocks].any(axis=0)
        top = float(cap[usable].max(initial=0.0))
        even = np.floor(np.linspace(0.0, top, min(steps, max(int(top), 1)) + 1))
        cumulative = [np.cumsum(x[blocks].sum(axis=0))[:-1] for x in extra]
        grant_levels = np.unique(np.concatenate([even, cap[usable], [0.0], *cumulative]))
        levels.append(grant_levels)
        compositions.append(np.stack([_compose(seg_block, seg_shares, lv, b_count) for lv in grant_levels]))
    combos = list(itertools.product(*[range(len(lv)) for lv in levels]))
    combo_shares = np.asarray([sum((compositions[g][k] for g, k in enumerate(c)), np.zeros(b_count))
                               for c in combos]).reshape(-1, b_count)
    level_index = np.asarray(combos, dtype=np.intp).reshape(len(combos), len(grant_ids))
    return Grid(grant_ids, levels, combo_shares, compositions, level_index)


def _valid_moves(model: StagingModel, t: int, old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """(len(old), len(new)) bool: moving from cumulative ``old`` to ``new`` shares is a valid year-t exercise."""
    ok = np.ones((old.shape[0], new.shape[0]), dtype=bool)
    for b in range(old.shape[1]):
        n_b, o_b = new[None, :, b], old[:, b:b + 1]
        if model.allowed[b, t]:
            ok &= (n_b >= o_b - 1e-9) & (n_b <= model.cap[b, t] + 1e-9)
        else:
            ok &= np.abs(n_b - o_b) <= 1e-9
    return ok


def _valid_grid_pairs(model: StagingModel, t: int, grid: Grid, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The valid moves (:func:`_valid_moves`) from the grid points ``points`` to every grid point as (index into
    ``points``, target grid point), as ``np.nonzero`` lists them from the table of every pair, built grant by grant
    without the table: a block belongs to one grant, so a move is valid when each grant's move between its levels
    is (the same comparisons), and a grid point's targets are the product of each grant's valid levels, the last
    grant fastest, so ascending."""
    source = np.arange(points.size)
    target = np.zeros(points.size, dtype=np.intp)
    for g, shares in enumerate(grid.compositions):
        ok = _valid_moves(model, t, shares, shares)  # (levels, levels) of grant g; other blocks stay at zero
        count = ok.sum(axis=1)
        first = np.cumsum(count) - count
        level = grid.level_index[points[source], g]
        repeats = count[level]
        total = int(repeats.sum())
        within = np.arange(total) - np.repeat(np.cumsum(repeats) - repeats, repeats)
        to_level = np.nonzero(ok)[1][np.repeat(first[level], repeats) + within]
        source = np.repeat(source, repeats)
        target = np.repeat(target, repeats) * ok.shape[1] + to_level
    return source, target


def grid_schedules(model: StagingModel, steps: int | None = None, limit: int = 2_000_000) -> np.ndarray:
    """Every on-grid schedule (n, B, T) that respects vesting and windows: the brute force the optimizer is
    tested against (cash and the zero-AMT setting are checked by :func:`evaluate`)."""
    grid = share_grid(model, steps)
    t_count = len(model.years)
    paths = np.zeros((1, 1), dtype=np.intp)  # combo index after each decision year (start: all zero)
    start = int(np.flatnonzero(~grid.combo_shares.any(axis=1))[0])
    paths[:] = start
    for t in range(t_count - 1):
        ok = _valid_moves(model, t, grid.combo_shares[paths[:, -1]], grid.combo_shares)
        p, c = np.nonzero(ok)
        if p.size > limit:
            raise ValueError(f"{p.size} schedules: too many to enumerate")
        paths = np.concatenate([paths[p], c[:, None]], axis=1)
    cumulative = grid.combo_shares[paths]  # (n, T, B) after each decision year (index 0: the start)
    steps_taken = np.diff(cumulative, axis=1)  # (n, T-1, B)
    out = np.zeros((paths.shape[0], len(model.blocks), t_count))
    out[:, :, : t_count - 1] = np.transpose(steps_taken, (0, 2, 1))
    return out


#: what the engine reads of a year's moves before the exit (:func:`isoplan.planning.model.year_taxes`): moves equal
#: in these run one engine row
_TAX_INPUTS = ("iso_spread", "ordinary", "wages", "disqualifying")


class _YearPairs:
    """Year ``t``'s valid moves from the grid points reached so far: per point, a run of pairs (its targets, ascending)
    with what each does before any tax (:func:`isoplan.planning.model.year_moves`) and its strike floor
    (:func:`_strike_floor`), each computed once for every round of the search."""

    def __init__(self, n_combos: int) -> None:
        self.first = np.full(n_combos, -1, dtype=np.intp)  # each point's first pair (-1: not yet computed)
        self.degree = np.zeros(n_combos, dtype=np.intp)
        self.target = np.zeros(0, dtype=np.intp)
        self.floor = np.zeros(0)
        self.moves: YearMoves | None = None
        #: per pair, the index of its tax inputs among the distinct ones (``inputs``): pairs with equal inputs
        #: share one engine row
        self.inputs_of = np.zeros(0, dtype=np.intp)
        self.inputs = np.zeros((0, len(_TAX_INPUTS)))
        self._elections: tuple[ElectionTaxes, ElectionTaxes | None] | None = None
        self._returns: YearReturns | None = None

    def add(self, model: StagingModel, t: int, grid: Grid, points: np.ndarray) -> None:
        """The pairs of ``points`` (not computed yet), appended."""
        combo_shares = grid.combo_shares
        source, target = _valid_grid_pairs(model, t, grid, points)
        before = combo_shares[points[source]]
        held = combo_shares[target]
        exercise = held - before
        moves = year_moves(model, t, before, exercise)
        floor = _strike_floor(model, t, held, exercise)
        degree = np.bincount(source, minlength=points.size)
        self.first[points] = self.target.size + np.concatenate([[0], np.cumsum(degree)[:-1]]).astype(np.intp)
        self.degree[points] = degree
        self.target = np.concatenate([self.target, target])
        self.floor = np.concatenate([self.floor, floor])
        self.moves = moves if self.moves is None else self.moves.joined(moves)
        # the distinct tax inputs, old and new (an old pair's index moves with the sorted order)
        assert moves.long_term_gain is None and moves.amt_long_term_gain is None  # no sale before the exit year
        rows = np.concatenate([self.inputs, np.stack([getattr(moves, k) for k in _TAX_INPUTS], axis=1)])
        inputs, index = distinct_rows(rows, _deciding_columns(rows))
        old = self.inputs.shape[0]
        self.inputs = inputs
        self.inputs_of = np.concatenate([index[:old][self.inputs_of], index[old:]])
        self._elections = self._returns = None

    def elections(self, model: StagingModel, t: int) -> tuple[ElectionTaxes, ElectionTaxes | None]:
        """The federal return and the state's of each distinct tax input (``inputs``) under each election."""
        if self._elections is None:
            returns = self.returns(model, t)
            self._elections = (election_taxes(returns.federal),
                               None if returns.state is None else election_taxes(returns.state))
        return self._elections

    def returns(self, model: StagingModel, t: int) -> YearReturns:
        """The federal return and the state's of each distinct tax input (``inputs``) before any credit, each
        election's: the engine's part of every move's tax (:func:`isoplan.planning.model.year_returns`), run once
        for every round of the search."""
        if self._returns is None:
            columns = dict(zip(_TAX_INPUTS, self.inputs.T, strict=True))
            self._returns = year_returns(model, t, **columns)
        return self._returns


def _deciding_columns(rows: np.ndarray) -> list[int]:
    """The columns of ``rows`` that decide their lexicographic order and which are equal: those neither constant nor
    equal to an earlier one (a tie in the others is a tie in them), so sorting by these alone orders the rows as
    sorting by all does, in a stable sort, and with fewer passes."""
    keys: list[int] = []
    for j in range(rows.shape[1]):
        column = rows[:, j]
        if rows.shape[0] and bool(np.all(column == column[0])):
            continue
        if not any(np.array_equal(column, rows[:, k]) for k in keys):
            keys.append(j)
    return keys


class _Moves:
    """The valid moves of every year from the grid points, filled as the search reaches them (:class:`_YearPairs`)."""

    def __init__(self, model: StagingModel, grid: Grid) -> None:
        self.model, self.grid = model, grid
        self.years: dict[int, _YearPairs] = {}

    def year(self, t: int, combos: np.ndarray) -> _YearPairs:
        """Year ``t``'s pairs, with those of the grid points ``combos`` computed."""
        pairs = self.years.setdefault(t, _YearPairs(self.grid.combo_shares.shape[0]))
        reached = np.zeros(pairs.first.size, dtype=bool)  # np.unique's points, without sorting
        reached[combos] = True
        unique = np.flatnonzero(reached)
        missing = unique[pairs.first[unique] < 0]
        if missing.size:
            pairs.add(self.model, t, self.grid, missing)
        return pairs

    def from_points(self, t: int, combos: np.ndarray) -> tuple[_YearPairs, np.ndarray, np.ndarray]:
        """Year ``t``'s pairs and the valid moves from each grid point in ``combos``: (index into ``combos``, pair),
        by index, each point's targets ascending."""
        pairs = self.year(t, combos)
        count = pairs.degree[combos]
        source = np.repeat(np.arange(combos.size), count)
        # each row's position among its point's targets
        ends = np.cumsum(count)
        within = np.arange(source.size) - np.repeat(ends - count, count)
        pair: np.ndarray = pairs.first[combos][source] + within
        return pairs, source, pair


def _strike_floor(model: StagingModel, t: int, held: np.ndarray, exercise: np.ndarray) -> np.ndarray:
    """A lower bound of each move's year-``t`` cash out (:func:`year_step`'s ``cash_out``, ``held``: the shares
    exercised by the end of the year): the strike of the shares exercised plus that of a same-day sale on a
    block's last chance that year, less the sale's proceeds; the year's extra tax only adds to it."""
    floor: np.ndarray = exercise @ model.strike
    for b, (year_index, day, sale_price, _iso, can_sell) in enumerate(model.last_chance):
        if year_index == t and can_sell and sale_price > model.strike[b]:
            cap = model.exit_cap[b] if day >= model.exit_date else model.blocks[b].exercisable(day)
            floor = floor - np.maximum(cap - held[:, b], 0.0) * (sale_price - model.strike[b])
    return floor
