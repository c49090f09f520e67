"""Sorts the optimizer runs many times a plan, ordered as numpy's slower ones order them.

numpy's stable sort of floats (a merge sort) is several times slower than its default sort, and its distinct rows
(``np.unique`` with ``axis=0``) sort whole rows as records; the optimizer sorts labels by value and finds the
distinct tax inputs of many scenarios, and its results follow the order of equal keys, so these give numpy's
order exactly.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from isoplan.planning.loops import compiled_loop


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
    wherever these are); by default those that vary. The rows grouped by those columns in one pass, then only
    the groups' first rows sorted by them (``np.lexsort``; numpy's unique rows sorts every row as a record, far
    slower); rows with NaN take numpy's."""
    n = rows.shape[0]
    if columns is None:
        columns = [j for j in range(rows.shape[1]) if n and not bool(np.all(rows[:, j] == rows[0, j]))]
    if n and bool(np.isnan(rows[:, columns]).any()):
        unique, inverse = np.unique(rows, axis=0, return_inverse=True)
        return unique, inverse.reshape(-1)
    # the groups of equal rows by a hash table on the deciding columns' bits (plus zero: -0 and 0 are equal)
    keys = np.ascontiguousarray(rows[:, columns], dtype=np.float64) + 0.0
    group, first = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    count = np.zeros(1, dtype=np.int64)
    compiled_loop(_groups_loop)(keys.view(np.uint64), group, first, count)
    first = first[:int(count[0])]
    order = np.lexsort([keys[first, j] for j in reversed(range(len(columns)))]) if columns else np.arange(first.size)
    rank: NDArray[np.intp] = np.empty(first.size, dtype=np.intp)
    rank[order] = np.arange(first.size)
    index: NDArray[np.intp] = rank[group]
    return rows[first[order]], index


def _groups_loop(bits: np.ndarray, group: np.ndarray, first: np.ndarray, count: np.ndarray) -> None:
    """Rows of equal ``bits`` (n, k) share a group: each row's group (numbered as first met), each group's first row,
    and (``count``) the groups; an open-addressing hash table of at least twice the rows."""
    n, k = bits.shape
    size = 1
    while size < 2 * n:
        size *= 2
    mask = np.uint64(size - 1)
    table = np.full(size, -1, dtype=np.int64)
    groups = 0
    for i in range(n):
        h = np.uint64(0)
        for c in range(k):
            h = h * np.uint64(1099511628211) + bits[i, c]
        # splitmix64's finalizer: the high bits (a float's exponent) reach the low bits the table takes
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
        slot = np.int64(h & mask)
        while True:
            g = table[slot]
            if g < 0:
                table[slot] = groups
                first[groups] = i
                group[i] = groups
                groups += 1
                break
            row = first[g]
            same = True
            for c in range(k):
                if bits[row, c] != bits[i, c]:
                    same = False
                    break
            if same:
                group[i] = g
                break
            slot = np.int64((np.uint64(slot) + np.uint64(1)) & mask)
    count[0] = groups
