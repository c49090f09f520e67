"""The iCalendar writer: escaping, folding at 75 octets, stable UIDs; parsed back by the icalendar package."""

from datetime import UTC, date, datetime

import icalendar

from isoplan.report.calendar import Event, HeldLot, escape_text, fold, ics, ledger_events


def test_escaping_and_folding_survive_a_parser():
    text = "Sell; or hold, then \\ think\nagain — §422(a)(1) " + "é" * 80
    raw = ics([Event(date(2026, 3, 2), "ISO lot a, b; c", text, "k")], stamp=datetime(2026, 1, 1, tzinfo=UTC))
    lines = raw.encode("utf-8").split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    event = next(iter(icalendar.Calendar.from_ical(raw).walk("VEVENT")))
    assert str(event["DESCRIPTION"]) == text
    assert str(event["SUMMARY"]) == "ISO lot a, b; c"
    assert escape_text("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"
    assert fold("x" * 80) == "x" * 75 + "\r\n " + "x" * 5


def test_uids_are_stable_and_events_follow_the_lots():
    lot = HeldLot("e1", "ISO", "Acme", date(2025, 3, 1), date(2026, 3, 2), 100, ((date(2025, 6, 1), 100),))
    events = ledger_events([lot], {2025: 0.0}, through_year=2026, return_due=(4, 15))
    # all shares sold in June 2025: no qualifying-date event, no December reminder, no AMT
    assert events == []
    held = HeldLot("e2", "ISO", "Acme", date(2025, 3, 1), date(2026, 3, 2), 100, ((date(2025, 6, 1), 40),))
    events = ledger_events([held], {2025: 1234.0}, through_year=2025, return_due=(4, 15))
    assert [(e.day, e.summary.split(":")[0]) for e in sorted(events, key=lambda e: e.day)] == [
        (date(2025, 12, 1), "Sell or hold? Year-end decision for 2025"),
        (date(2026, 3, 2), "ISO lot e2 qualifies today"),
        (date(2026, 4, 15), "AMT for 2025 due"),
    ]
    again = ledger_events([held], {2025: 1234.0}, through_year=2025, return_due=(4, 15))
    assert [e.uid for e in events] == [e.uid for e in again]
