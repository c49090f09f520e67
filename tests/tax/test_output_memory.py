"""A large batch's lines are carved from reused memory: never memory an array still alive uses."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from isoplan.tax import compiled
from isoplan.tax.federal import compute_federal
from isoplan.tax.households import households
from isoplan.tax.law import law_table


@pytest.fixture
def reuse_every_size(monkeypatch):
    """Every output array reuses memory (small ones included), from an empty list of blocks."""
    monkeypatch.setattr(compiled, "REUSE_BYTES", 0)
    monkeypatch.setattr(compiled, "_blocks", [])


def test_memory_an_array_still_uses_is_never_handed_out_again(reuse_every_size):
    first = compiled.new_lines(3, 10)
    kept_line = first[1]  # one line of a result, kept while the rest is dropped
    kept_line[:] = 7.0
    del first
    gc.collect()
    second = compiled.new_lines(3, 10)
    second[:] = -1.0
    assert not np.shares_memory(kept_line, second)
    assert kept_line.tolist() == [7.0] * 10
    third = compiled.new_lines(3, 10)  # both blocks in use: a third one
    assert not np.shares_memory(third, second) and not np.shares_memory(third, kept_line)
    assert len(compiled._blocks) == compiled.REUSE_BLOCKS


def test_memory_is_reused_once_every_array_on_it_is_gone(reuse_every_size):
    first = compiled.new_lines(3, 10)
    line = first[2]
    address = first.__array_interface__["data"][0]
    del first, line
    gc.collect()
    again = compiled.new_lines(3, 10)
    assert again.__array_interface__["data"][0] == address
    assert again.shape == (3, 10) and again.dtype == np.float64 and again.flags.c_contiguous
    other_size = compiled.new_lines(2, 10)  # another size: its own block, the free one of the old size dropped
    assert not np.shares_memory(other_size, again)


def test_small_outputs_are_plain_new_arrays():
    assert compiled.REUSE_BYTES > 1_000 * 8
    assert compiled.new_lines(1, 1_000).base is None


def test_results_held_side_by_side_do_not_share_memory(reuse_every_size, monkeypatch):
    monkeypatch.setattr(compiled.PROCESS, "loaded", True)
    law = law_table()
    rows = 200
    wages = np.linspace(10_000.0, 900_000.0, rows)
    a = compute_federal(households(year=np.full(rows, 2026), filing_status=np.zeros(rows, dtype=np.int64),
                                   wages=wages), law)
    total_a = a.total_tax.copy()
    b = compute_federal(households(year=np.full(rows, 2026), filing_status=np.zeros(rows, dtype=np.int64),
                                   wages=2 * wages), law)
    assert not np.shares_memory(a.total_tax, b.total_tax)
    assert np.array_equal(a.total_tax, total_a)
    assert np.all(b.total_tax > a.total_tax)  # twice the wages, more tax: b did not write into a's lines
