"""The room page's data: the room record's engine rows, the curve and the explained households in one engine call
(without California), with the numbers the separate calls give."""

from __future__ import annotations

import numpy as np
import pytest

from isoplan.app.household import Names, one_household
from isoplan.app.room import RoomPageRequest, RoomRequest, _curve_axis, _options, room, room_page_data
from isoplan.planning import room as planning_room

HOUSEHOLD = {"year": 2026, "filing_status": "single", "wages": 240_000, "state_local_tax": 12_000}


@pytest.mark.parametrize("prices", [{}, {"strike": 10, "fmv": 60}])
@pytest.mark.parametrize("shares", [None, 2_000])
def test_one_engine_call_for_the_record_the_curve_and_the_lines(monkeypatch, prices, shares):
    calls = []
    real = planning_room.amt_at_spreads

    def counted(h, spreads, *args, **kwargs):
        calls.append(spreads.shape)
        return real(h, spreads, *args, **kwargs)

    monkeypatch.setattr(planning_room, "amt_at_spreads", counted)
    req = RoomRequest(household=HOUSEHOLD, names=Names(form=True), **prices)
    page = room_page_data(RoomPageRequest(room=req, shares=shares if prices else None))
    assert len(calls) == 1

    # the same numbers as the record alone and the curve alone
    monkeypatch.setattr(planning_room, "amt_at_spreads", real)
    assert page.room == room(req)
    opts = _options(req)
    axis = _curve_axis(page.room.amt_room, opts.spread_per_share, shares if prices and shares else 0, 0.0)
    h = one_household(req.household, req.names)
    alone = real(h, axis.spreads[None, :], opts.law, deduction=opts.deduction)
    assert page.curve.amt == [round(float(v), 2) for v in alone.amt]
    at_line = real(h, np.array([[page.room.amt_room]]), opts.law, deduction=opts.deduction)
    assert [row.value for row in page.explain["at_line"]] == [
        float(at_line.lines[row.key][0]) for row in page.explain["at_line"]]


def test_with_california_the_curve_reaches_past_its_line():
    req = RoomRequest(household=HOUSEHOLD | {"state_local_tax": 20_000}, state="CA", property_tax=8_000,
                      strike=10, fmv=60, names=Names(form=True))
    page = room_page_data(RoomPageRequest(room=req, shares=500))
    assert page.room.california is not None and page.curve.ca_line_x is not None
    assert max(page.curve.x) >= 1.25 * page.curve.ca_line_x - 1
    assert set(page.explain) == {"now", "at_line", "with_exercise", "ca_now", "ca_at_line", "ca_with_exercise"}
