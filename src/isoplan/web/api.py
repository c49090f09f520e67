"""The JSON behind the web pages: thin wrappers over the planning API the CLI uses.

Each function takes the request's plain data (query parameters or a JSON
body), validates it into the same objects the CLI builds, calls the same
planning functions, and returns typed records (frozen dataclasses) or the
CLI's own JSON builders (:func:`isoplan.cli.room_json`, :func:`isoplan.cli.cost_json`,
:meth:`PlanOutcome.as_dict`). Bad input raises :class:`~isoplan.errors.InputError`
naming the form field, which the app turns into a 400 with the field.
"""

from __future__ import annotations

import argparse
import datetime
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from isoplan.errors import InputError

#: the household inputs the room and cost calculator accepts (the engine's own field names)
ROOM_MONEY_FIELDS = (
    "wages", "taxable_interest", "ordinary_dividends", "qualified_dividends", "short_term_gain", "long_term_gain",
    "other_ordinary_income", "state_local_tax", "mortgage_interest", "charitable", "other_itemized",
    "iso_bargain_element", "other_amt_adjustments", "amt_credit_carryforward",
)
#: California's extra inputs (isoplan.tax.fields.CA_MONEY_FIELDS), used only when the state is CA
CA_FIELDS = ("property_tax", "ca_amt_credit_carryforward")
_MAY_BE_NEGATIVE = {"short_term_gain", "long_term_gain", "other_amt_adjustments"}
CURVE_POINTS = 81


# ---------------------------------------------------------------- typed records


@dataclass(frozen=True)
class LineExplanation:
    """One form line behind a figure (from :data:`isoplan.tax.explain.LINES`)."""

    key: str
    form: str
    line: str
    caption: str
    value: float


@dataclass(frozen=True)
class AmtCurve:
    """AMT owed against shares exercised (or spread added), with the line and the chosen point marked."""

    x: list[float]
    amt: list[float]
    x_label: str
    line_x: float | None  # the AMT-free line (room), in x units
    current_x: float | None  # the shares (or spread) being considered
    ca_amt: list[float] | None = None  # California AMT (Schedule P (540) line 26) at the same x, state CA only
    ca_line_x: float | None = None  # the California line, in x units


@dataclass(frozen=True)
class RoomPage:
    """``/api/room``: the room (``isoplan room --json``), the cost (``isoplan cost --json``), the chart, the lines."""

    room: dict[str, Any]
    cost: dict[str, Any] | None
    curve: AmtCurve
    explain: dict[str, list[LineExplanation]]


def _lines(result: Any, i: int = 0) -> list[LineExplanation]:
    from isoplan.tax.explain import explain_row

    return [LineExplanation(r.key, r.form, r.line, r.caption, r.value) for r in explain_row(result, i)]


def _ca_lines(result: Any, i: int = 0) -> list[LineExplanation]:
    """Form 540 / Schedule P (540) lines of a California result (:func:`isoplan.tax.california.ca_explain_row`)."""
    from isoplan.tax.california import ca_explain_row

    return [LineExplanation(r.key, r.form, r.line, r.caption, r.value) for r in ca_explain_row(result, i)]


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
    import numpy as np

    from isoplan.cli.common import _add_state
    from isoplan.cli.cost import california_cost_json, cost_json
    from isoplan.cli.room import california_room_json, room_json
    from isoplan.planning.cost import exercise_cost
    from isoplan.planning.room import amt_at_spreads, amt_room, shares_for_spread, with_added_spread
    from isoplan.tax.federal import compute_federal
    from isoplan.tax.households import households
    from isoplan.tax.law import law_table

    year = whole(params, "year", datetime.date.today().year, minimum=2025, maximum=2035)
    status = (_text(params, "filing_status") or "single").lower()
    inputs = {name: number(params, name, 0.0, minimum=None if name in _MAY_BE_NEGATIVE else 0.0)
              for name in ROOM_MONEY_FIELDS}
    deduction = (_text(params, "deduction") or "auto").lower()
    if deduction not in ("auto", "standard", "itemized"):
        raise InputError("deduction", deduction, "auto, standard or itemized")
    margin = number(params, "margin", 0.10, maximum=0.999999,
                    allowed="a fraction from 0 up to (not including) 1, e.g. 0.10")
    drop = number(params, "drop", 0.5, minimum=1e-9, maximum=0.999999,
                  allowed="a fraction between 0 and 1, e.g. 0.5 for a 50% fall")
    cash = number(params, "cash", None)
    shares = whole(params, "shares", 0)
    strike = number(params, "strike", None, allowed="a price per share of 0 or more")
    fmv = number(params, "fmv", None, allowed="a price per share of 0 or more")
    if (strike is None) != (fmv is None):
        missing = "strike" if strike is None else "fmv"
        raise InputError(missing, None, "a price per share to go with the other price")
    inflation = number(params, "inflation", None, minimum=-0.5, maximum=0.5,
                       allowed="a yearly rate from -0.5 to 0.5, e.g. 0.025")
    private = flag(params, "private")
    state = state_code(params)
    ca_inputs = {name: number(params, name, 0.0) or 0.0 for name in CA_FIELDS}
    if state != "CA":
        for name, value in ca_inputs.items():
            if value:
                raise InputError(name, params.get(name), "used only with state CA" +
                                 (f" (the state is {state})" if state else " (no state is chosen)"))
    assert year is not None and margin is not None and drop is not None and shares is not None

    h = households(year=year, filing_status=status, **inputs)
    law = law_table(inflation)
    room = amt_room(h, law, deduction=deduction)  # type: ignore[arg-type]
    spread_per_share = None if strike is None or fmv is None else max(fmv - strike, 0.0)
    underwater = spread_per_share is not None and fmv is not None and strike is not None and fmv <= strike
    room_data = room_json(h, room, law, deduction=deduction, margin=margin, spread_per_share=spread_per_share,
                          underwater=underwater)
    # the CLI's own California builders, given the flags `isoplan room/cost --state CA` would parse
    ca_args = argparse.Namespace(inflation=inflation, deduction=deduction, **ca_inputs)
    _add_state(room_data, state)
    if state == "CA":
        room_data["california"] = california_room_json(ca_args, h, room_data, spread_per_share=spread_per_share)
    cost_data = None
    bargain = 0.0
    if shares > 0 and spread_per_share is not None:
        cost = exercise_cost(h, float(shares), strike, fmv, law, deduction=deduction,  # type: ignore[arg-type]
                             drop=drop, cash=cash)
        cost_data = cost_json(h, cost, law, exercise_date=None, private=private)
        _add_state(cost_data, state)
        if state == "CA":
            cost_data["california"] = california_cost_json(ca_args, h, cost, private=private)
        bargain = shares * spread_per_share

    amount = float(room.amt_room[0])
    # California's line (state CA): the chart shows both curves, so its range reaches past the larger line
    ca_room = float(room_data["california"]["amt_room"]) if state == "CA" else 0.0
    if spread_per_share:
        room_shares = float(shares_for_spread(np.array([amount]), np.array([spread_per_share]))[0])
        ca_line_x = float(shares_for_spread(np.array([ca_room]), np.array([spread_per_share]))[0])
        top = max(2.0 * room_shares, 1.25 * shares, 10.0, 1.25 * ca_line_x)
        x = np.unique(np.round(np.linspace(0.0, top, CURVE_POINTS)))
        spreads = x * spread_per_share
        x_label, line_x, current_x = "shares exercised", room_shares, float(shares)
    else:
        ca_line_x = ca_room
        top = max(2.0 * amount, 50_000.0, 1.25 * ca_room)
        x = np.round(np.linspace(0.0, top, CURVE_POINTS))
        spreads = x
        x_label, line_x, current_x = "ISO spread added ($)", amount, None
    curve_amt = amt_at_spreads(h, spreads[None, :], law, deduction=deduction).amt  # type: ignore[arg-type]
    ca_curve = None
    if state == "CA":
        from isoplan.tax.california import ca_law_table, compute_california

        ca_law = ca_law_table(inflation)
        along = with_added_spread(h.take(np.zeros(len(spreads), dtype=np.intp)), spreads)
        ca_curve = compute_california(along, ca_law, deduction=deduction, **ca_inputs).ca_amt  # type: ignore[arg-type]
    curve = AmtCurve(x=[float(v) for v in x], amt=[round(float(v), 2) for v in curve_amt], x_label=x_label,
                     line_x=line_x, current_x=current_x,
                     ca_amt=None if ca_curve is None else [round(float(v), 2) for v in ca_curve],
                     ca_line_x=ca_line_x if state == "CA" else None)

    now = compute_federal(h, law, deduction=deduction)  # type: ignore[arg-type]
    at_line = compute_federal(with_added_spread(h, np.array([amount])), law, deduction=deduction)  # type: ignore[arg-type]
    explain = {"now": _lines(now), "at_line": _lines(at_line)}
    if cost_data is not None:
        explain["with_exercise"] = _lines(compute_federal(with_added_spread(h, np.array([bargain])), law,
                                                          deduction=deduction))  # type: ignore[arg-type]
    if state == "CA":
        ca_at = {"ca_now": 0.0, "ca_at_line": ca_room}
        if cost_data is not None:
            ca_at["ca_with_exercise"] = bargain
        for key, spread in ca_at.items():
            explain[key] = _ca_lines(compute_california(with_added_spread(h, np.array([spread])), ca_law,
                                                        deduction=deduction, **ca_inputs))  # type: ignore[arg-type]
    return RoomPage(room=room_data, cost=cost_data, curve=curve, explain=explain)
