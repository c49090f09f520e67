"""The optimizer's sorts against numpy's own: the stable argsort (ties in index order) and the distinct rows
(``np.unique`` over rows), on keys with many ties, signed zeros, infinities and NaN."""

from __future__ import annotations

import numpy as np
import pytest

from isoplan.planning.sorting import distinct_rows, stable_argsort, stable_lexsort


def _key(rng: np.random.Generator, kind: int, n: int) -> np.ndarray:
    if kind == 0:
        return rng.normal(size=n)
    if kind == 1:
        return rng.integers(0, 5, n).astype(float)  # few values, long runs of ties
    if kind == 2:
        return rng.choice([0.0, -0.0, np.inf, -np.inf, 1.0], n)
    if kind == 3:
        return rng.choice([0.0, np.nan, 1.0, -2.5], n)
    if kind == 4:
        return rng.integers(-3, 3, n)
    return np.round(rng.normal(size=n), 1)


@pytest.mark.parametrize("kind", range(6))
def test_the_stable_argsort_is_numpy_s_stable_one(kind: int) -> None:
    rng = np.random.default_rng(kind)
    for n in [0, 1, 2, 3, 17, 256, 5000]:
        key = _key(rng, kind, n)
        assert np.array_equal(stable_argsort(key), np.argsort(key, kind="stable"))


def test_every_key_equal_keeps_the_index_order() -> None:
    assert stable_argsort(np.full(1000, 7.0)).tolist() == list(range(1000))


def _check_distinct(rows: np.ndarray, unique: np.ndarray, inverse: np.ndarray) -> None:
    expected, expected_inverse = np.unique(rows, axis=0, return_inverse=True)
    assert np.array_equal(unique, expected)
    assert np.array_equal(inverse, expected_inverse.reshape(-1))
    # each distinct row is the first of its equals, down to the sign of a zero
    for k in range(unique.shape[0]):
        first = rows[np.flatnonzero(inverse == k)[0]]
        assert np.array_equal(first, unique[k]) and np.array_equal(np.signbit(first), np.signbit(unique[k]))


@pytest.mark.parametrize("seed", range(4))
def test_the_distinct_rows_are_numpy_s(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 4000
    rows = np.stack([rng.integers(0, 30, n) * 0.7, rng.integers(0, 3, n) * 1.0, np.full(n, 5.0),
                     rng.choice([-np.inf, 1.0, np.inf], n), rng.integers(0, 30, n) * 0.7], axis=1)
    unique, inverse = distinct_rows(rows)
    _check_distinct(rows, unique, inverse)
    # the deciding columns named: column 4 repeats nothing, so all but the constant one
    unique, inverse = distinct_rows(rows, [0, 1, 3, 4])
    _check_distinct(rows, unique, inverse)


@pytest.mark.parametrize("seed", range(3))
def test_distinct_rows_of_signed_zeros_and_powers_of_two(seed: int) -> None:
    # -0 and 0 equal (the first met kept); values that differ in their exponent bits only (2 ** k): the groups of
    # equal rows must not depend on where the bits differ
    rng = np.random.default_rng(40 + seed)
    n = 20_000
    rows = np.stack([rng.choice([0.0, -0.0, 1.0, -1.0, np.inf], n), 2.0 ** rng.integers(-60, 60, n),
                     rng.choice([0.0, -0.0], n) * rng.integers(0, 2, n), rng.integers(0, 4, n) * 2.0 ** 40], axis=1)
    unique, inverse = distinct_rows(rows)
    _check_distinct(rows, unique, inverse)
    unique, inverse = distinct_rows(rows, [0, 1, 2, 3])
    _check_distinct(rows, unique, inverse)


def test_distinct_rows_of_none_and_of_equal_rows() -> None:
    unique, inverse = distinct_rows(np.zeros((0, 3)))
    assert unique.shape == (0, 3) and inverse.size == 0
    rows = np.tile([1.0, 2.0, 3.0], (5, 1))
    unique, inverse = distinct_rows(rows)
    assert unique.tolist() == [[1.0, 2.0, 3.0]] and inverse.tolist() == [0] * 5


def test_distinct_rows_of_many_distinct_values() -> None:
    # four columns of many values, the second half of the rows repeating the first
    rng = np.random.default_rng(7)
    n = 70_000
    rows = np.stack([rng.permutation(n) * 1.0 for _ in range(4)], axis=1)
    rows[n // 2:] = rows[:n // 2]  # every row twice
    unique, inverse = distinct_rows(rows)
    expected, expected_inverse = np.unique(rows, axis=0, return_inverse=True)
    assert np.array_equal(unique, expected) and np.array_equal(inverse, expected_inverse.reshape(-1))


def test_distinct_rows_with_nan_are_numpy_s() -> None:
    rows = np.array([[1.0, np.nan], [0.0, 2.0], [1.0, np.nan], [0.0, 2.0]])
    unique, inverse = distinct_rows(rows)
    expected, expected_inverse = np.unique(rows, axis=0, return_inverse=True)
    assert np.array_equal(unique, expected, equal_nan=True)
    assert np.array_equal(inverse, expected_inverse.reshape(-1))


@pytest.mark.parametrize("kind", range(6))
def test_the_sort_by_several_keys_is_numpy_s_lexsort(kind: int) -> None:
    rng = np.random.default_rng(20 + kind)
    for n in [0, 1, 5, 300, 5000]:
        first = _key(rng, kind, n)
        if kind == 0 and n:  # a few ties only (the runs are put back in order, not sorted again)
            first[rng.random(n) < 0.05] = 0.0
        second = _key(rng, (kind + 1) % 6, n)
        third = rng.integers(0, 3, n)
        assert np.array_equal(stable_lexsort(first, second), np.lexsort((second, first)))
        assert np.array_equal(stable_lexsort(first, second, third), np.lexsort((third, second, first)))
