"""Validation and plain-data helpers shared by every use case.

All checking of user values happens in the application layer, once, before
any computation or write: every amount finite and within its documented
bound, every type exact. A value that fails raises :class:`InputError`
naming the field, the value and what is allowed; the command line turns it
into one line and exit status 2, the web app into a 400, the Python API
lets it propagate.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from isoplan.errors import InputError

__all__ = [
    "MAX_MONEY",
    "MAX_SHARES",
    "MEMORY_BUDGET",
    "InputError",
    "fraction",
    "iso_date",
    "money",
    "plain",
    "record_dict",
    "state_code",
    "tax_year",
    "tax_years",
    "whole",
]

#: Largest dollar amount accepted anywhere ($1 trillion): beyond any household, far inside float64's exact range.
MAX_MONEY = 1e12
#: Largest share count accepted (10 billion): more than any company has outstanding. The same bound as
#: :data:`isoplan.equity.records.MAX_SHARES`, kept apart so that the command line starts without NumPy.
MAX_SHARES = 10_000_000_000
#: Memory one plan or risk run may ask for (2 GiB): estimated from the inputs before the work starts, so a run
#: that would exhaust a laptop is refused at once, naming the input to lower and the largest value that fits.
MEMORY_BUDGET = 2 * 1024**3


def _number(field: str, value: Any, allowed: str) -> float:
    """A real number from an int, float, Decimal or numeric text ('1,234.50', '$1234.5'); never bool or NaN."""
    if isinstance(value, bool) or value is None:
        raise InputError(field, value, allowed)
    if isinstance(value, str):
        text = value.replace(",", "").replace("$", "").replace("_", "").strip()
        try:
            number = float(text)
        except ValueError:
            raise InputError(field, value, allowed) from None
    elif isinstance(value, int | float | Decimal):
        try:
            number = float(value)
        except OverflowError:
            raise InputError(field, value, allowed) from None
    else:
        raise InputError(field, value, allowed)
    if not math.isfinite(number):
        raise InputError(field, value, allowed)
    return number


def money(field: str, value: Any, *, minimum: float | None = 0.0, maximum: float = MAX_MONEY) -> float:
    """A dollar amount: finite, at least ``minimum`` (None: may be negative), at most ``maximum`` in size."""
    low = -maximum if minimum is None else minimum
    allowed = (f"a dollar amount from {_usd(low)} to {_usd(maximum)}")
    number = _number(field, value, allowed)
    if not low <= number <= maximum:
        raise InputError(field, value, allowed)
    return number


def fraction(field: str, value: Any, *, zero_ok: bool = True, one_ok: bool = False, example: str = "0.10") -> float:
    """A fraction in [0, 1) (``zero_ok``/``one_ok`` widen or narrow the ends)."""
    low = "from 0" if zero_ok else "above 0"
    high = "up to 1" if one_ok else "up to (not including) 1"
    allowed = f"a fraction {low} {high}, e.g. {example}"
    number = _number(field, value, allowed)
    if number < 0 or (number == 0 and not zero_ok) or number > 1 or (number == 1 and not one_ok):
        raise InputError(field, value, allowed)
    return number


def whole(field: str, value: Any, *, minimum: int = 0, maximum: int = MAX_SHARES, what: str = "a whole number",
          separators: bool = True) -> int:
    """A whole number within [minimum, maximum]; a float with a fraction, a bool or text that is not one is refused."""
    allowed = f"{what} from {minimum:,} to {maximum:,}" if separators else f"{what} from {minimum} to {maximum}"
    if isinstance(value, bool) or value is None:
        raise InputError(field, value, allowed)
    if isinstance(value, int):
        number = value
    else:
        real = _number(field, value, allowed)
        if real != int(real):
            raise InputError(field, value, allowed)
        number = int(real)
    if not minimum <= number <= maximum:
        raise InputError(field, value, allowed)
    return number


def tax_years() -> range:
    """The tax years isoplan computes: from the first published year through the projection horizon."""
    from isoplan.tax.law import supported_years

    return supported_years()


def tax_year(field: str, value: Any) -> int:
    """A supported tax year (the range comes from the law data, never from code)."""
    years = tax_years()
    if isinstance(value, float | Decimal) or (isinstance(value, str) and not value.strip().isdigit()):
        # a year is a whole number as written: 2025.0 or 2.025e3 is a slip, not a year
        raise InputError(field, value, f"a tax year from {years.start} to {years.stop - 1}")
    return whole(field, value, minimum=years.start, maximum=years.stop - 1, what="a tax year", separators=False)


def iso_date(field: str, value: Any) -> datetime.date:
    """A calendar date from a ``datetime.date`` (not a datetime) or YYYY-MM-DD text."""
    if isinstance(value, datetime.datetime):
        raise InputError(field, value.isoformat(), "a date as YYYY-MM-DD, without a time")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InputError(field, value, "a date as YYYY-MM-DD")


def state_code(field: str, value: Any) -> str | None:
    """A two-letter state code in capitals, or None (nothing given: federal only)."""
    if value is None or not str(value).strip():
        return None
    code = str(value).strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise InputError(field, value, "a two-letter state code such as CA, or nothing for federal only")
    return code


_PLAIN_SCALARS = frozenset({str, int, bool, type(None)})


def plain(value: Any) -> Any:
    """JSON-ready data: Decimal as exact text, dates as YYYY-MM-DD, dataclasses as dicts, floats finite."""
    kind = type(value)
    # the common types first, by exact type (a record holds thousands of numbers)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind in _PLAIN_SCALARS:
        return value
    if kind is list or kind is tuple:
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return record_dict(value)
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def record_dict(record: Any) -> dict[str, Any]:
    """A frozen result record as its JSON object: fields in order; a field whose metadata has
    ``omit_none=True`` is left out when it is None (so optional sections appear only when present)."""
    out: dict[str, Any] = {}
    for name, omit_none in _record_fields(type(record)):
        value = getattr(record, name)
        if value is None and omit_none:
            continue
        out[name] = plain(value)
    return out


_RECORD_FIELDS: dict[type, tuple[tuple[str, bool], ...]] = {}


def _record_fields(kind: type) -> tuple[tuple[str, bool], ...]:
    """The fields of a record type, in order, each with its ``omit_none`` flag (read once per type)."""
    fields = _RECORD_FIELDS.get(kind)
    if fields is None:
        fields = _RECORD_FIELDS[kind] = tuple((f.name, bool(f.metadata.get("omit_none")))
                                              for f in dataclasses.fields(kind))
    return fields


def _usd(value: float) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.0f}"
