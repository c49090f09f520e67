"""The web app's JSON: the standard encoder's walk of records gives the bytes the record-to-plain-data walk gives."""

from __future__ import annotations

import datetime
import json
import math
from dataclasses import dataclass

import pytest

from isoplan.app.room import RoomPageRequest, RoomRequest, room_page_data
from isoplan.web import app as web_app
from isoplan.web.app import json_bytes, to_json


@dataclass(frozen=True)
class Inner:
    when: datetime.date
    amount: float
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Outer:
    name: str
    inner: Inner
    rows: list[Inner]
    by_key: dict[str, float]
    missing: float | None


def _old(value: object) -> bytes:
    return json.dumps(to_json(value), allow_nan=False).encode()


INNER = Inner(datetime.date(2030, 4, 15), 1234.5, ("a", "b"))


@pytest.mark.parametrize("value", [
    Outer("x", INNER, [INNER, INNER], {"k": 1.0, "j": -0.0}, None),
    Outer("nan inside", INNER, [Inner(datetime.date(2030, 1, 1), math.nan, ())], {"k": math.nan}, math.nan),
    {"plain": [1, 2.5, True, None, "t"], "record": INNER},
    {1: "an int key", 2.5: "a float key"},
    {datetime.date(2030, 1, 1): "a date key"},
    [INNER, (INNER, {"deep": [INNER]})],
])
def test_json_bytes_match_the_plain_data_walk(value):
    assert json_bytes(value) == _old(value)


def test_infinity_is_refused_as_before():
    with pytest.raises(ValueError):
        _old({"x": math.inf})
    with pytest.raises(ValueError):
        json_bytes({"x": math.inf})


@pytest.mark.parametrize("state", [None, "CA"])
def test_a_room_page_takes_the_standard_encoder_and_matches(monkeypatch, state):
    household = {"year": 2026, "filing_status": "single", "wages": 240_000, "state_local_tax": 12_000}
    page = room_page_data(RoomPageRequest(room=RoomRequest(household=household, strike=10, fmv=60, state=state),
                                          shares=2_000, cash=50_000, drop=0.5))
    fallbacks = []
    monkeypatch.setattr(web_app, "to_json", lambda v: fallbacks.append(v) or to_json(v))
    fast = json_bytes(page)
    assert fallbacks == []  # no NaN and no odd key on a room page: the walk needs no fallback
    assert fast == _old(page)
    assert json.loads(fast)["explain"]["now"][0].keys() == {"key", "form", "line", "caption", "value"}


ROOM_QUERIES = [
    {"wages": "200000", "shares": "2000", "strike": "10", "fmv": "60", "cash": "50000", "drop": "0.5",
     "state_local_tax": "12000"},
    {"filing_status": "mfj", "wages": "400000", "shares": "500", "strike": "1", "fmv": "90", "state": "CA",
     "property_tax": "9000", "state_local_tax": "30000"},
    {"year": "2025", "filing_status": "mfs", "wages": "90000", "long_term_gain": "30000",
     "amt_credit_carryforward": "5000"},
    {"wages": "200000"},
    {"wages": "200000", "shares": "100", "strike": "50", "fmv": "40", "private": "1"},
    {"filing_status": "hoh", "wages": "1200000", "short_term_gain": "-9000", "state": "NY"},
]


@pytest.mark.parametrize("query", ROOM_QUERIES)
def test_the_room_page_writes_its_form_lines_from_templates_to_the_same_bytes(query):
    from isoplan.web.api import room_page

    page = room_page({"year": "2026", "filing_status": "single"} | query)
    assert json_bytes(page) == web_app.encoder_json_bytes(page) == _old(page)
    assert json_bytes(page) == json_bytes(page)  # the templates made by the first call write the same text


def test_a_form_line_the_templates_do_not_write_goes_to_the_encoder():
    from isoplan.tax.explain import LineRow
    from isoplan.web.api import room_page

    page = room_page({"year": "2026", "filing_status": "single", "wages": "200000"})
    for odd in (math.nan, 3, -0.0, 1e300):
        rows = [LineRow("agi", "Form 1040", "11", "Adjusted gross income", odd), *page.explain["now"]]
        changed = type(page)(page.room, page.cost, page.curve, {**page.explain, "now": rows})
        assert json_bytes(changed) == _old(changed)
    assert web_app.rows_json([LineRow("k", "F", "1", "c", math.inf)]) is None
    assert web_app.rows_json([1.0]) is None  # not a record
    assert web_app.rows_json([]) == "[]"
