"""The relaxation's bundles (:func:`isoplan.planning.relaxation.bundle_labels`, compiled after the sort) against the
arrays they are defined by: per grid point, the labels by value (best first, ties in the given order), rank ``r``
of ``size`` in bundle ``r * groups // size``; an envelope's value its first member's, its labels the largest of
its members' (``np.maximum.reduceat``), and each label the index of its envelope."""

from __future__ import annotations

import numpy as np
import pytest

from isoplan.planning.relaxation import bundle_labels


def _reference(point: np.ndarray, value: np.ndarray, labels: np.ndarray,
               groups: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    order = np.lexsort((-value, point))
    s = point[order]
    starts = np.searchsorted(s, s, side="left")
    rank = np.arange(s.size) - starts
    size = np.bincount(s)[s]
    bundle = s * groups + rank * groups // size
    new = np.concatenate([[True], bundle[1:] != bundle[:-1]])
    first = np.flatnonzero(new)
    member_of = np.empty(s.size, dtype=np.intp)
    member_of[order] = np.cumsum(new) - 1
    return (bundle[first] // groups, value[order][first], np.maximum.reduceat(labels[order], first, axis=0),
            member_of)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("groups", [1, 2, 16])
def test_the_bundles_are_the_arrays_they_are_defined_by(seed: int, groups: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    point = rng.integers(0, 12, n)
    value = np.round(rng.normal(0.0, 50.0, n), 0)  # ties
    labels = np.round(rng.uniform(-5.0, 20.0, (n, 5)), 1)
    labels[rng.random((n, 5)) < 0.05] = np.nan  # kept as np.maximum keeps it
    labels[rng.random((n, 5)) < 0.05] = -0.0
    got = bundle_labels(point, value, labels, groups)
    expected = _reference(point, value, labels, groups)
    for a, b in zip(got, expected, strict=True):
        assert a.shape == b.shape
        assert np.array_equal(a, b, equal_nan=True)
        # signed zeros as np.maximum leaves them
        assert np.array_equal(np.signbit(a), np.signbit(b))


def test_no_labels_no_envelopes() -> None:
    point, value, labels, member_of = bundle_labels(np.zeros(0, dtype=np.intp), np.zeros(0), np.zeros((0, 5)), 4)
    assert point.size == value.size == member_of.size == 0 and labels.shape == (0, 5)
