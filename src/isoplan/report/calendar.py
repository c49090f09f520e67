"""iCalendar (RFC 5545) files: the dates an ISO holder must not miss.

:func:`ics` writes all-day events (``DTSTART;VALUE=DATE``) with stable UIDs,
escaped text (§3.3.11), lines folded at 75 octets (§3.1) and CRLF line ends.
:func:`ledger_events` makes the events from the ledger's lots and years:

* each held ISO lot's qualifying date (first day a sale qualifies);
* an early-December "sell or hold" reminder for every year with exercised
  shares still held (a same-year sale undoes that year's AMT adjustment);
* an April 15 "AMT due" reminder after every year with AMT (IRC §6072(a)).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

#: the year-end decision reminder (planning convention, not law): early December
YEAR_END_REMINDER = (12, 1)
PRODID = "-//isoplan//isoplan ledger calendar//EN"


@dataclass(frozen=True)
class Event:
    """One all-day event."""

    day: date
    summary: str
    description: str
    key: str  # stable identity: the UID is derived from it

    @property
    def uid(self) -> str:
        return hashlib.sha256(self.key.encode("utf-8")).hexdigest()[:32] + "@isoplan"


def escape_text(text: str) -> str:
    """RFC 5545 §3.3.11 TEXT escaping."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def fold(line: str) -> str:
    """RFC 5545 §3.1: lines longer than 75 octets continue on lines starting with a space."""
    out = []
    current = b""
    limit = 75
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > limit:
            out.append(current.decode("utf-8"))
            current = b" "
            limit = 75
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n".join(out)


def ics(events: Iterable[Event], *, stamp: datetime, name: str = "isoplan") -> str:
    """The calendar as text. ``stamp`` (UTC) is the DTSTAMP of every event."""
    stamp_text = stamp.strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape_text(name)}"]
    for event in sorted(events, key=lambda e: (e.day, e.key)):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{stamp_text}",
            f"DTSTART;VALUE=DATE:{event.day.strftime('%Y%m%d')}",
            f"DTEND;VALUE=DATE:{date.fromordinal(event.day.toordinal() + 1).strftime('%Y%m%d')}",
            f"SUMMARY:{escape_text(event.summary)}",
            f"DESCRIPTION:{escape_text(event.description)}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"


@dataclass(frozen=True)
class HeldLot:
    """What the calendar needs of a lot: identity, dates and shares held over time."""

    id: str
    kind: str
    company: str
    exercise_date: date
    qualifying_date: date | None
    shares: int
    sales: tuple[tuple[date, int], ...]  # (sale date, shares)

    def held_on(self, day: date) -> int:
        if day < self.exercise_date:
            return 0
        return self.shares - sum(n for d, n in self.sales if d <= day)


def ledger_events(lots: Sequence[HeldLot], amt_by_year: Mapping[int, float], *, through_year: int,
                  return_due: tuple[int, int]) -> list[Event]:
    """Qualifying dates, year-end decisions and AMT due dates (see the module docstring)."""
    events = []
    for lot in lots:
        if lot.kind == "ISO" and lot.qualifying_date is not None:
            held_before = lot.shares - sum(n for d, n in lot.sales if d < lot.qualifying_date)
            if held_before > 0:
                events.append(Event(
                    lot.qualifying_date,
                    f"ISO lot {lot.id} qualifies today",
                    f"From today a sale of the {held_before} shares of lot {lot.id} ({lot.company}, exercised "
                    f"{lot.exercise_date.isoformat()}) is a qualifying disposition: long-term gain over the price "
                    f"paid, no ordinary income (IRC §422(a)(1)). A sale before today is disqualifying.",
                    f"qualifying:{lot.id}",
                ))
    first = min((lot.exercise_date.year for lot in lots), default=None)
    if first is not None:
        for year in range(first, through_year + 1):
            day = date(year, *YEAR_END_REMINDER)
            year_end = date(year, 12, 31)
            holding = [lot for lot in lots if lot.exercise_date <= year_end and lot.held_on(day) > 0]
            if not holding:
                continue
            exercised_this_year = [lot.id for lot in holding if lot.exercise_date.year == year and lot.kind == "ISO"]
            detail = ("; ISO shares exercised this year and sold by December 31 carry no AMT adjustment "
                      f"(lots {', '.join(exercised_this_year)})" if exercised_this_year else "")
            events.append(Event(
                day,
                f"Sell or hold? Year-end decision for {year}",
                f"You hold {sum(lot.held_on(day) for lot in holding)} exercised shares in "
                f"{len(holding)} lots. Run `isoplan ledger years` and decide before December 31{detail}.",
                f"year-end:{year}",
            ))
    month, dom = return_due
    for year, amt in sorted(amt_by_year.items()):
        if amt > 0.5:
            events.append(Event(
                date(year + 1, month, dom),
                f"AMT for {year} due: ${amt:,.0f}",
                f"The {year} return and its alternative minimum tax (${amt:,.0f} as the ledger stands) are due "
                f"(IRC §6072(a); a weekend or holiday moves it to the next business day). Set the cash aside; "
                f"the AMT from the ISO adjustment comes back as minimum tax credit in later years (Form 8801).",
                f"amt-due:{year}",
            ))
    return events


def held_lots(lots: Iterable[object], sales: Iterable[object]) -> list[HeldLot]:
    """Adapt equity ``Lot``/``Sale`` records to :class:`HeldLot`."""
    by_lot: dict[str, list[tuple[date, int]]] = {}
    for sale in sales:
        by_lot.setdefault(sale.lot_id, []).append((sale.date, sale.shares))  # type: ignore[attr-defined]
    return [HeldLot(lot.id, lot.kind, lot.company, lot.exercise_date, lot.qualifying_date,  # type: ignore[attr-defined]
                    lot.shares, tuple(sorted(by_lot.get(lot.id, []))))  # type: ignore[attr-defined]
            for lot in lots]
