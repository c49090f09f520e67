"""Sorts the optimizer runs many times a plan, as numpy's stable ones order them, only faster.

numpy's stable sort of floats (a merge sort) is several times slower than its default sort; the optimizer sorts
labels by value and finds the distinct tax inputs among many scenarios, and its results follow the order of equal
keys, so these give the stable order exactly: the fast sort, then each run of equal keys put back in index order.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def stable_argsort(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")`` for a 1-d key: numpy's unstable sort, then each run of equal keys put back
    in index order; a key with NaN (equal to nothing, so its runs go unseen) takes the stable sort."""
    n = key.size
    if key.dtype.kind == "f" and bool(np.isnan(key).any()):
        stable: NDArray[np.intp] = np.argsort(key, kind="stable")
        return stable
    order: NDArray[np.intp] = np.argsort(key)
    if n < 2:
        return order
    ordered = key[order]
    tie = ordered[1:] == ordered[:-1]
    if not tie.any():
        return order
    # the positions in a run of equal keys, each with its run; sorted by run then index (one distinct integer each)
    tied = np.zeros(n, dtype=bool)
    tied[1:] = tie
    tied[:-1] |= tie
    run = np.cumsum(np.concatenate([[True], ~tie]))
    at = np.flatnonzero(tied)
    combined = np.sort(run[at].astype(np.int64) * n + order[at])
    order[at] = combined % n
    return order


def lexsort_columns(rows: np.ndarray, columns: list[int]) -> np.ndarray:
    """``np.lexsort`` of the ``columns`` of ``rows`` (n, k), the first the primary key: a stable sort by each, the
    last first."""
    order: NDArray[np.intp] = np.arange(rows.shape[0])
    for j in reversed(columns):
        order = order[stable_argsort(rows[order, j])]
    return order


def distinct_rows(rows: np.ndarray, columns: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(rows, axis=0, return_inverse=True)`` for float rows (n, k): the distinct rows in ascending
    (lexicographic) order and, for each row, the index of its own among them, each distinct row the first of its
    equals (numpy sorts whole rows as records, far slower). ``columns``: the columns that decide (in order) which
    rows are equal and their order (the others equal wherever these are); by default those that vary. Each
    deciding column becomes the rank of its value among the column's distinct values, and the ranks one integer,
    so one sort orders the rows; rows with NaN, or ranks too many for one integer, take a sort column by column."""
    n = rows.shape[0]
    if columns is None:
        columns = [j for j in range(rows.shape[1]) if n and not bool(np.all(rows[:, j] == rows[0, j]))]
    if n and bool(np.isnan(rows[:, columns]).any()):
        unique, inverse = np.unique(rows, axis=0, return_inverse=True)
        return unique, inverse.reshape(-1)
    ranks: list[tuple[np.ndarray, int]] = []
    span = 1
    for j in columns:
        values, rank = np.unique(rows[:, j], return_inverse=True)
        ranks.append((rank.reshape(-1), values.size))
        span *= values.size
    if span >= 1 << 62:
        return _distinct_by_columns(rows, columns)
    combined = np.zeros(n, dtype=np.int64)
    for rank, size in ranks:
        combined = combined * size + rank
    inverse = np.unique(combined, return_inverse=True)[1].reshape(-1)
    first: NDArray[np.intp] = np.full(int(inverse.max(initial=-1)) + 1, n, dtype=np.intp)
    np.minimum.at(first, inverse, np.arange(n))
    index: NDArray[np.intp] = inverse.astype(np.intp)
    return rows[first], index


def _distinct_by_columns(rows: np.ndarray, columns: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`distinct_rows` by a stable sort column by column."""
    n = rows.shape[0]
    order = lexsort_columns(rows, columns)
    new = np.zeros(n, dtype=bool)
    new[:1] = True
    for j in columns:  # a row unlike the one before it in a deciding column
        column = rows[order, j]
        new[1:] |= column[1:] != column[:-1]
    index: NDArray[np.intp] = np.empty(n, dtype=np.intp)
    index[order] = np.cumsum(new) - 1
    return rows[order[new]], index
