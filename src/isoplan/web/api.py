"""The JSON behind the web pages: thin wrappers over the application layer the CLI uses.

Each function takes the request's plain data (query parameters or a JSON
body), hands it to the same use case the CLI calls (:mod:`isoplan.app`), and
returns typed records (frozen dataclasses) or their documented JSON
(``isoplan room --json``, ``isoplan cost --json``, :meth:`PlanOutcome.as_dict`).
Bad input raises :class:`~isoplan.errors.InputError` naming the form field,
which the app turns into a 400 with the field.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from isoplan.app.room import AmtCurve
from isoplan.errors import InputError
from isoplan.tax.fields import MONEY_FIELDS

if TYPE_CHECKING:
    from isoplan.tax.explain import LineRow as LineExplanation

#: the household inputs the room and cost calculator accepts: every money input of the engine, by its own name
ROOM_MONEY_FIELDS: tuple[str, ...] = tuple(name for name, _, _ in MONEY_FIELDS)
#: California's extra inputs (isoplan.tax.fields.CA_MONEY_FIELDS), used only when the state is CA
CA_FIELDS = ("property_tax", "ca_amt_credit_carryforward")


# ---------------------------------------------------------------- typed records


@dataclass(frozen=True)
class RoomPage:
    """``/api/room``: the room (``isoplan room --json``), the cost (``isoplan cost --json``), the chart, the lines."""

    room: dict[str, Any]
    cost: dict[str, Any] | None
    curve: AmtCurve
    explain: dict[str, list[LineExplanation]]
    #: the fields of form lines, which :func:`isoplan.web.app.json_bytes` writes from a template per line (about
    #: 180 lines a request, of which only the values change)
    JSON_ROW_FIELDS: ClassVar[tuple[str, ...]] = ("explain",)


# ---------------------------------------------------------------- input parsing


def _text(params: Mapping[str, Any], name: str) -> str | None:
    raw = params.get(name)
    if raw is None:
        return None
    text = str(raw).strip()
    return text or None


def number(params: Mapping[str, Any], name: str, default: float | None = 0.0, *, minimum: float | None = 0.0,
           maximum: float | None = None, allowed: str | None = None) -> float | None:
    """A dollar amount or rate from a form field ('1,234.50' and '$1234.5' accepted)."""
    raw = params.get(name)
    text = _text(params, name)
    if text is None:
        return default
    cleaned = text.replace(",", "").replace("$", "").replace("_", "").strip()
    what = allowed or ("a number" + (f" of at least {minimum:g}" if minimum is not None else ""))
    try:
        value = float(cleaned)
    except ValueError:
        raise InputError(name, raw, what) from None
    if not math.isfinite(value) or (minimum is not None and value < minimum) or (
            maximum is not None and value > maximum):
        raise InputError(name, raw, what)
    return value


def whole(params: Mapping[str, Any], name: str, default: int | None = 0, *, minimum: int = 0,
          maximum: int | None = None) -> int | None:
    allowed = f"a whole number of at least {minimum}" + (f" and at most {maximum}" if maximum is not None else "")
    value = number(params, name, None, minimum=None, allowed=allowed)
    if value is None:
        return default
    if value != int(value) or value < minimum or (maximum is not None and value > maximum):
        raise InputError(name, params.get(name), allowed)
    return int(value)


def state_code(params: Mapping[str, Any], name: str = "state", other: str = "state_other") -> str | None:
    """The state of residence: none (federal only), ``CA``, or another two-letter code.

    The form sends ``state`` = ``""``/``none``, ``CA`` or ``other`` with the code in ``state_other``;
    scripts may send the code itself in ``state``. Only California is modeled; another state gets a note.
    """
    raw = _text(params, name)
    field_name = name
    if raw is not None and raw.lower() == "other":
        raw, field_name = _text(params, other), other
        if raw is None:
            raise InputError(other, None, "the two-letter code of the other state, e.g. NY")
    if raw is None or raw.lower() == "none":
        return None
    code = raw.upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise InputError(field_name, raw, "a two-letter state code such as CA, or none for federal only")
    return code


def flag(params: Mapping[str, Any], name: str) -> bool:
    value = params.get(name)
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "on", "yes")


# ---------------------------------------------------------------- room and cost


def room_page(params: Mapping[str, Any]) -> RoomPage:
    """The room, the exercise cost and the AMT curve for one household (the inputs of ``isoplan room``/``cost``)."""
    from isoplan.app.household import Names
    from isoplan.app.room import RoomPageRequest, RoomRequest, room_page_data

    household: dict[str, str | int | None] = {name: _text(params, name) for name in ROOM_MONEY_FIELDS}
    household["year"] = _text(params, "year") or datetime.date.today().year
    household["filing_status"] = _text(params, "filing_status") or "single"
    room = RoomRequest(
        household=household, margin=_text(params, "margin"), fmv=_text(params, "fmv"),
        strike=_text(params, "strike"), state=state_code(params), property_tax=_text(params, "property_tax"),
        ca_amt_credit_carryforward=_text(params, "ca_amt_credit_carryforward"),
        deduction=_text(params, "deduction"), inflation=_text(params, "inflation"), names=Names(form=True),
    )
    data = room_page_data(RoomPageRequest(room, shares=_text(params, "shares"), drop=_text(params, "drop"),
                                          cash=_text(params, "cash"), private=flag(params, "private")))
    return RoomPage(room=data.room.as_dict(), cost=None if data.cost is None else data.cost.as_dict(),
                    curve=data.curve, explain=data.explain)
