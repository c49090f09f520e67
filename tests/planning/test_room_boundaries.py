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
from isoplan.planning import room_kernel
from isoplan.planning.room import SpreadCurve, _largest, amt_room
from isoplan.tax.households import households
from isoplan.tax.law import law_table

LAW = law_table(0.025)


@pytest.fixture(autouse=True)
def numpy_solver(monkeypatch):
    """These tests follow the NumPy solver's guess and search, so a few households go to it (not to the row
    functions, which take the same steps: tests/planning/test_room_kernel.py)."""
    monkeypatch.setattr(room_kernel, "ROW_BY_ROW_ROWS", 0)


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


# Rooms solved by hand in tests/planning/test_room.py, one in each piece of Form 6251: the closed form must
# land within the nudge of the line there too, or a wrong inversion would only be hidden by the search.
@pytest.mark.parametrize(("inputs", "room"), [
    # 26%, no phase-out: 36,734 / 0.26 - 109,900
    ({"year": 2026, "filing_status": "single", "wages": 200_000}, 31_384),
    # 28%: (74,134 + 4,782) / 0.28 - 263,000
    ({"year": 2025, "filing_status": "mfj", "wages": 400_000}, 18_842),
    # phase-out at 50% in the 28% piece: (173,134.25 - 151,882) / 0.42
    ({"year": 2026, "filing_status": "single", "wages": 600_000}, 50_600),
    # MFS add-on zone: ((252,203.75 + 2,391) / 0.28 + 225,087.5) / 1.25 - 800,000
    ({"year": 2025, "filing_status": "mfs", "wages": 800_000}, 107_483),
    # Part III, gains at 15% then 26%: 60,100 + (26,090.50 - 24,667.50) / 0.26
    ({"year": 2026, "filing_status": "single", "wages": 30_000, "long_term_gain": 200_000}, 65_573),
    # regular tax 0: the exemption alone, 90,100 - 16,000
    ({"year": 2026, "filing_status": "single", "wages": 16_000}, 74_100),
])
def test_each_piece_of_form_6251_is_inverted_without_the_search(search_calls, inputs, room):
    r = amt_room(households(**inputs), LAW, deduction="standard")
    assert r.amt_room.tolist() == [room]
    assert search_calls == []


def test_shares_for_spread_keeps_exact_decimal_multiples():
    # $0.30 = 3 x $0.10, $0.70 = 7 x $0.10, $100.10 = 1,001 x $0.10, $0.60 = 3 x $0.20: in binary floating point
    # 0.3 / 0.1 = 2.9999999999999996, so without the tolerance one share would be lost in each
    from isoplan.planning.room import shares_for_spread

    got = shares_for_spread(np.array([0.3, 0.7, 100.1, 0.6]), np.array([0.1, 0.1, 0.1, 0.2]))
    assert got.tolist() == [3, 7, 1_001, 3]
    # and a real shortfall still loses the share: $0.29 buys 2 shares at $0.10
    assert shares_for_spread(np.array([0.29]), np.array([0.1])).tolist() == [2]
