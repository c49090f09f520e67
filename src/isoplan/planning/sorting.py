"""Sorts the optimizer runs many times a plan, ordered as numpy's slower ones order them.

numpy's stable sort of floats (a merge sort) is several times slower than its default sort, and its distinct rows
(``np.unique`` with ``axis=0``) sort whole rows as records; the optimizer sorts labels by value and finds the
distinct tax inputs of many scenarios, and its results follow the order of equal keys, so these give numpy's
order exactly.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def stable_argsort(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")`` for a 1-d key (see :func:`stable_lexsort`)."""
    return stable_lexsort(key)


def stable_lexsort(*keys: np.ndarray) -> np.ndarray:
    """``np.lexsort(keys[::-1])``: by the first key, ties by the next and so on, then by index. numpy's unstable
    sort of the first key, then its runs of equal keys sorted by the others and the index; with many ties (putting
    them back would cost more) or a NaN (equal to nothing, so its runs go unseen), numpy's stable sort."""
    primary = keys[0]
    n = primary.size
    if any(key.dtype.kind == "f" and bool(np.isnan(key).any()) for key in keys):
        stable: NDArray[np.intp] = np.lexsort(keys[::-1])
        return stable
    order: NDArray[np.intp] = np.argsort(primary)
    if n < 2:
        return order
    ordered = primary[order]
    tie = ordered[1:] == ordered[:-1]
    ties = int(np.count_nonzero(tie))
    if ties == 0:
        return order
    if ties > n // 8:
        stable = np.lexsort(keys[::-1])
        return stable
    # the positions in a run of equal first keys: sorted by run, then the other keys, then index
    tied = np.zeros(n, dtype=bool)
    tied[1:] = tie
    tied[:-1] |= tie
    run = np.cumsum(np.concatenate([[True], ~tie]))
    at = np.flatnonzero(tied)
    index = order[at]
    order[at] = index[np.lexsort((index, *[key[index] for key in keys[:0:-1]], run[at]))]
    return order


def distinct_rows(rows: np.ndarray, columns: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(rows, axis=0, return_inverse=True)`` for float rows (n, k): the distinct rows in ascending
    (lexicographic) order and, for each row, the index of its own among them, each distinct row the first of its
    equals. ``columns``: the columns that decide (in order) which rows are equal and their order (the others equal
    wherever these are); by default those that vary. Sorted by those columns only (``np.lexsort``; numpy's unique
    rows sorts whole rows as records, far slower); rows with NaN take numpy's."""
    n = rows.shape[0]
    if columns is None:
        columns = [j for j in range(rows.shape[1]) if n and not bool(np.all(rows[:, j] == rows[0, j]))]
    if n and bool(np.isnan(rows[:, columns]).any()):
        unique, inverse = np.unique(rows, axis=0, return_inverse=True)
        return unique, inverse.reshape(-1)
    order = np.lexsort([rows[:, j] for j in reversed(columns)]) if columns else np.arange(n)
    new = np.zeros(n, dtype=bool)
    new[:1] = True
    for j in columns:  # a row unlike the one before it in a deciding column
        column = rows[order, j]
        new[1:] |= column[1:] != column[:-1]
    index: NDArray[np.intp] = np.empty(n, dtype=np.intp)
    index[order] = np.cumsum(new) - 1
    return rows[order[new]], index
