"""One formatting layer for every figure a person reads: money, percent, date, count and yes/no.

The text renderers, the HTML report and the one-sentence answers all format through these functions, so
the same number reads the same way everywhere: dollars with thousands separators (``$31,384``), percents
of a fraction (``0.26`` -> ``26%``), ISO dates or month and year ("January" and the year), whole counts with
separators.
"""

from __future__ import annotations

import datetime
from typing import Any

__all__ = ["count", "date", "money", "money_or_dash", "month_year", "percent", "yes_no"]


def money(value: float, *, cents: bool = False) -> str:
    """``1234.5`` -> ``$1,235`` (or ``$1,234.50``); negatives as ``-$1,235``; never ``-$0``."""
    amount = abs(value)
    text = f"{amount:,.2f}" if cents else f"{amount:,.0f}"
    sign = "-" if value < 0 and text.strip("0.,") else ""
    return f"{sign}${text}"


def money_or_dash(value: Any, *, cents: bool = False) -> str:
    """Dollars, or ``-`` when there is no value."""
    return "-" if value is None else money(float(value), cents=cents)


def percent(fraction: float, *, digits: int = 0) -> str:
    """A fraction as a percent: ``0.26`` -> ``26%`` (``digits`` decimals)."""
    return f"{fraction:.{digits}%}"


def date(value: datetime.date | str) -> str:
    """A day as ``YYYY-MM-DD`` (a date or its ISO text)."""
    return value.isoformat() if isinstance(value, datetime.date) else datetime.date.fromisoformat(value).isoformat()


def month_year(value: datetime.date | str) -> str:
    """A day as its month and year: the second of January of a year reads ``January`` and that year."""
    day = value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
    return day.strftime("%B %Y")


def count(value: float, unit: str | None = None) -> str:
    """A whole count with separators (``3,487``), with its unit when given (``3,487 shares``; ``1 share``)."""
    number = round(value)
    text = f"{number:,}"
    if unit is None:
        return text
    return f"{text} {unit if number != 1 else unit.removesuffix('s')}"


def yes_no(value: object) -> str:
    """A flag as ``yes`` or ``no``."""
    return "yes" if value else "no"
