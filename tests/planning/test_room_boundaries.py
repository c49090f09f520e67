"""The room solver settles the last dollar by its nudge, not by the exact-search fallback.

The closed-form guess (``SpreadCurve.spread_for_tmt``) is shifted one dollar
each way on a room solved by hand; the nudge in ``_largest`` must walk back to
the line on its own. The fallback (``_search``) is counted through a
monkeypatch: it must not be called, so a nudge running the wrong way (which
the fallback would hide) fails here.
"""

import math

import numpy as np
import pytest

from isoplan.planning import room as room_module
from isoplan.planning.room import SpreadCurve, _largest, amt_room
from isoplan.tax.households import households
from isoplan.tax.law import law_table

LAW = law_table(0.025)


@pytest.fixture
def search_calls(monkeypatch):
    """How many times the exact search ran (it still runs, so a wrong nudge is visible but not fatal)."""
    calls = []
    real = room_module._search

    def counted(pred, idx, start):
        calls.append(idx.size)
        return real(pred, idx, start)

    monkeypatch.setattr(room_module, "_search", counted)
    return calls


@pytest.mark.parametrize("offset", [-3.0, -1.0, 1.0, 3.0])
def test_largest_nudges_a_guess_up_to_three_dollars_off_without_the_search(search_calls, offset):
    truth = np.array([0.0, 40.0, 31_384.0, 1_234_567.0])
    found = _largest(lambda idx, s: s <= truth[idx], truth + offset)
    assert found.tolist() == truth.tolist()
    assert search_calls == []


def test_largest_falls_back_to_the_search_only_past_its_nudges(search_calls):
    truth = np.array([10.0, 500.0])
    found = _largest(lambda idx, s: s <= truth[idx], np.array([10.0, 400.0]))
    assert found.tolist() == [10.0, 500.0]
    assert search_calls == [1]  # only the row 100 dollars off


# Single, 2026, wages $200,000 (TAX_FACTS F): taxable 200,000 - 16,100 = 183,900, regular tax 36,734.
# AMTI = 200,000 + s (the standard deduction is added back), exemption 90,100 (AMTI under the 500,000
# phase-out start), base under the 244,500 breakpoint: TMT = 26% x (109,900 + s) <= 36,734
# <=> s <= 36,734 / 0.26 - 109,900 = 31,384.6...  ->  room 31,384.
HAND_ROOM = math.floor(36_734 / 0.26 - 109_900)


@pytest.mark.parametrize("offset", [-1.0, 1.0])
def test_hand_solved_room_with_a_guess_off_by_one(monkeypatch, search_calls, offset):
    real = SpreadCurve.spread_for_tmt
    guesses = []

    def off_by_one(self, target):
        exact = real(self, target)
        guesses.append(np.floor(exact) + offset)
        return exact + offset

    monkeypatch.setattr(SpreadCurve, "spread_for_tmt", off_by_one)
    r = amt_room(households(year=2026, filing_status="single", wages=200_000), LAW, deduction="standard")
    assert guesses and guesses[0].tolist() == [HAND_ROOM + offset]  # the guess really was off
    assert r.amt_room.tolist() == [HAND_ROOM] == [31_384]
    assert search_calls == []


def test_hand_solved_room_with_the_exact_guess_takes_no_search(search_calls):
    r = amt_room(households(year=2026, filing_status="single", wages=200_000), LAW)
    assert r.amt_room.tolist() == [31_384]
    assert search_calls == []
