"""Counting periods of the law in calendar years and months.

A period "from" or "after" an event excludes the day of the event and
includes its last day (Rev. Rul. 70-598), so a share is held "more than one
year" first on the day after the anniversary. Periods run by calendar months
(Rev. Rul. 66-7): an event on the last day of a month has its anniversary on
the last day of the same month (February 28 of a common year -> February 29 of
the next year when it is a leap year; February 29 -> February 28 of the next
year). The rule and its citations live in ``rules.toml`` (``period_counting``).

Scalar functions take :class:`datetime.date`; the ``*_array`` functions take
NumPy ``datetime64[D]`` arrays for the planner.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import numpy as np


def _month_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def is_month_end(day: date) -> bool:
    return day.day == _month_days(day.year, day.month)


def add_months(day: date, months: int, *, month_end_to_month_end: bool = False) -> date:
    """``day`` plus whole calendar months, clamped to the end of a shorter month.

    With ``month_end_to_month_end``, the last day of a month maps to the last
    day of the target month (the holding-period convention of Rev. Rul. 66-7).
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = _month_days(year, month)
    if month_end_to_month_end and is_month_end(day):
        return date(year, month, last)
    return date(year, month, min(day.day, last))


def anniversary(day: date, years: int) -> date:
    """The ``years``-th anniversary, month end to month end."""
    return add_months(day, 12 * years, month_end_to_month_end=True)


def first_day_more_than(day: date, years: int) -> date:
    """The first date that is *more than* ``years`` years after ``day``: the day after the anniversary."""
    return anniversary(day, years) + timedelta(days=1)


def held_more_than(start: date, end: date, years: int) -> bool:
    """Whether an asset acquired on ``start`` and disposed of on ``end`` was held more than ``years`` years."""
    return end >= first_day_more_than(start, years)


# ---------------------------------------------------------------- vectorized


def _as_days(dates: object) -> np.ndarray:
    return np.asarray(dates, dtype="datetime64[D]")


def anniversary_array(dates: object, years: int) -> np.ndarray:
    """:func:`anniversary` for an array of ``datetime64[D]``."""
    d = _as_days(dates)
    month_start = d.astype("datetime64[M]")
    day_index = (d - month_start.astype("datetime64[D]")).astype(np.int64)  # 0-based day of month
    next_month = (month_start + 1).astype("datetime64[D]")
    month_end = (next_month - d).astype(np.int64) == 1
    target = month_start + 12 * years
    target_start = target.astype("datetime64[D]")
    target_len = ((target + 1).astype("datetime64[D]") - target_start).astype(np.int64)
    day = np.where(month_end, target_len - 1, np.minimum(day_index, target_len - 1))
    anniversaries: np.ndarray = target_start + day.astype("timedelta64[D]")
    return anniversaries


def first_day_more_than_array(dates: object, years: int) -> np.ndarray:
    """:func:`first_day_more_than` for an array of ``datetime64[D]``."""
    return anniversary_array(dates, years) + np.timedelta64(1, "D")


def year_of(dates: object) -> np.ndarray:
    """Calendar year of each ``datetime64[D]`` as int64."""
    return _as_days(dates).astype("datetime64[Y]").astype(np.int64) + 1970
