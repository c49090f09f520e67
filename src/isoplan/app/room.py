"""The ``room`` use case: the AMT-free room, the largest ISO spread (Form 6251 line 2i) a household can add
this year with no AMT, and with the state CA the California line (Schedule P (540)) beside it.

Also the data of the web app's room page: the room, the cost of an exercise, the AMT curve around the
line and the form lines at three points (:func:`room_page_data`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from isoplan.app.common import InputError, whole
from isoplan.app.defaults import DEFAULT_MARGIN
from isoplan.app.household import (
    PLAIN_NAMES,
    Deduction,
    Names,
    StateInputs,
    Value,
    ca_law_table,
    deduction_choice,
    fraction_below_one,
    inflation_rate,
    law_table,
    number,
    one_household,
    other_state_note,
    price,
    record_json,
    request_state_values,
    state_inputs,
)
from isoplan.report.text import money as _usd

if TYPE_CHECKING:
    import numpy as np

    from isoplan.app.batch import BatchResult
    from isoplan.app.cost import CostResult
    from isoplan.planning.room import LineZone
    from isoplan.planning.room import RoomResult as EngineRoom
    from isoplan.tax.explain import LineRow as LineExplanation  # one form line behind a figure
    from isoplan.tax.federal import FederalResult
    from isoplan.tax.households import Households
    from isoplan.tax.law import LawTable

_OMIT = {"omit_none": True}
#: Going past the line by these shares of the room (the `room` table).
_PAST_LINE_STEPS = (0.10, 0.25, 0.50, 1.00)
#: Points on the web page's AMT curve.
CURVE_POINTS = 81


@dataclass(frozen=True)
class RoomRequest:
    """One household's room: ``household`` holds the engine's inputs by name; the option's price as
    ``fmv`` with ``strike`` or as ``spread_per_share`` (optional: to count shares)."""

    household: Mapping[str, Value]
    margin: Value = DEFAULT_MARGIN
    fmv: Value = None
    strike: Value = None
    spread_per_share: Value = None
    state: str | None = None
    property_tax: Value = None
    ca_amt_credit_carryforward: Value = None
    state_amounts: Mapping[str, Value] = field(default_factory=dict)  # another modeled state's inputs
    deduction: str | None = "auto"
    inflation: Value = None
    names: Names = PLAIN_NAMES


@dataclass(frozen=True)
class Zone:
    """Why the AMT rate just past the line is what it is."""

    phase_out: bool  # the exemption is being phased out (IRC §55(d)(3))
    mfs_addon: bool  # the married-filing-separately add-on is growing (IRC §55(d))
    upper_rate: bool  # above the 26%/28% breakpoint (IRC §55(b)(1))
    gains_pulled_in: bool  # Form 6251 Part III: exemption-sheltered gains enter the AMT at their rates
    description: str


@dataclass(frozen=True)
class PastLine:
    """The AMT of going past the line by a share of the room (whole shares when a spread per share is given)."""

    past_by: float
    extra_spread: float
    amt: float
    average_rate: float
    extra_shares: int | None = field(default=None, metadata=_OMIT)
    amt_per_extra_share: float | None = field(default=None, metadata=_OMIT)


@dataclass(frozen=True)
class RoomCredit:
    """The minimum tax credit (Form 8801) and the spread before its use this year shrinks."""

    carryforward: float
    used_this_year: float
    credit_line: float | None
    explanation: str


@dataclass(frozen=True)
class CaliforniaCredit:
    """The California AMT credit (FTB 3510) and the spread before its use this year shrinks."""

    carryforward: float
    used_this_year: float
    credit_line: float | None


@dataclass(frozen=True)
class CaliforniaRoom:
    """The California line (Schedule P (540)) beside the federal one, and which one binds."""

    year: int
    projected: bool
    inputs: dict[str, float]
    amt_room: float
    already_in_amt: bool
    regular_tax: float
    tentative_minimum_tax: float
    amt: float
    deduction_at_line: str
    marginal_amt_rate: float
    room_after_margin: float
    shares: int | None
    shares_after_margin: int | None
    credit: CaliforniaCredit | None
    binding: str
    binding_room: float
    binding_room_after_margin: float
    binding_shares: int | None
    notes: list[str]


@dataclass(frozen=True)
class RoomResult:
    """``isoplan room --json`` (fields: docs/room-and-cost.md); ``state``, ``state_note`` and ``california``
    only when a state is given."""

    year: int
    filing_status: str
    projected: bool
    inputs: dict[str, Any]
    deduction: str
    amt_room: float
    already_in_amt: bool
    regular_tax: float
    tentative_minimum_tax: float
    amt: float
    deduction_at_line: str
    election_switch: bool
    marginal_amt_rate: float
    zone: Zone
    margin: float
    room_after_margin: float
    spread_per_share: float | None
    underwater: bool
    shares: int | None
    shares_after_margin: int | None
    past_the_line: list[PastLine]
    credit: RoomCredit | None
    notes: list[str]
    state: str | None = field(default=None, metadata=_OMIT)
    state_note: str | None = field(default=None, metadata=_OMIT)
    california: CaliforniaRoom | None = field(default=None, metadata=_OMIT)

    @property
    def answer(self) -> str:
        """The decision in one sentence (the first line of the text; ``answer`` in the JSON)."""
        from isoplan.report.answer import room_answer

        return room_answer(self)

    def as_dict(self) -> dict[str, Any]:
        return record_json(self) | {"answer": self.answer}


@dataclass(frozen=True)
class _Options:
    """The checked options of a room request (everything but the household)."""

    margin: float
    spread_per_share: float | None
    underwater: bool
    inflation: float | None
    law: LawTable
    deduction: Deduction
    state: StateInputs


def _options(req: RoomRequest) -> _Options:
    names = req.names
    given = req.margin is not None and not (isinstance(req.margin, str) and not req.margin.strip())
    margin = fraction_below_one(names("margin"), req.margin if given else DEFAULT_MARGIN, zero_ok=True,
                                allowed="a fraction from 0 up to (not including) 1, e.g. 0.10")
    spread_per_share, underwater = _spread_per_share(req)
    inflation = inflation_rate(req.inflation, names)
    law = law_table(inflation)
    st = state_inputs(req.state, request_state_values(req), names)
    return _Options(margin, spread_per_share, underwater, inflation, law, deduction_choice(req.deduction, names), st)


def _spread_per_share(req: RoomRequest) -> tuple[float | None, bool]:
    """(spread per share or None, under water?) from ``fmv`` and ``strike`` or ``spread_per_share``."""
    n = req.names
    if req.spread_per_share is not None:
        if req.fmv is not None or req.strike is not None:
            raise InputError(n("spread_per_share"), req.spread_per_share,
                             f"either {n('spread_per_share')} or {n('fmv')} with {n('strike')}, not both")
        allowed = "a dollar amount per share of 0 or more"
        given = number(n("spread_per_share"), req.spread_per_share, allowed)
        if given < 0:
            raise InputError(n("spread_per_share"), req.spread_per_share, allowed)
        return given, given == 0
    if req.fmv is None and req.strike is None:
        return None, False
    if req.fmv is None:
        raise InputError(n("fmv"), None, f"a fair market value per share to go with {n('strike')}")
    if req.strike is None:
        raise InputError(n("strike"), None, f"an exercise price per share to go with {n('fmv')}")
    fmv, strike = price(n("fmv"), req.fmv), price(n("strike"), req.strike)
    return max(fmv - strike, 0.0), fmv <= strike


def room(req: RoomRequest) -> RoomResult:
    """The AMT-free room of one household (and California's line with the state CA)."""
    return _room(req)[0]


def _room(req: RoomRequest, opts: _Options | None = None, also: Callable[[float], np.ndarray] | None = None
          ) -> tuple[RoomResult, Households, _Options, EngineRoom, FederalResult, int]:
    """The room record, the household, the options, the engine's room, and the results of the record's engine call
    (:func:`_room_record`: ``also``'s spreads start at the returned index)."""
    from isoplan.planning.room import amt_room

    opts = opts or _options(req)
    h = one_household(req.household, req.names)
    engine = amt_room(h, opts.law, deduction=opts.deduction)
    record, along, start = _room_record(h, engine, opts.law, deduction=opts.deduction, margin=opts.margin,
                                        spread_per_share=opts.spread_per_share, underwater=opts.underwater,
                                        also=also)
    state = opts.state.state
    no_amt = _no_amt_note(opts, int(h.year[0]))
    if no_amt:
        record = _with(record, state=state, state_note=no_amt)
    elif state == "CA":
        record = _with(record, state=state, california=_california_room(h, record, opts))
    elif state:
        record = _with(record, state=state, state_note=other_state_note(state))
    return record, h, opts, engine, along, start


def _no_amt_note(opts: _Options, *years: int) -> str | None:
    """The note for a modeled state without an AMT in ``years`` (it has no line; the federal line binds), else
    None."""
    from isoplan.planning.room import state_has_amt

    state = opts.state.jurisdiction
    if state is None or state_has_amt(state, opts.state.law(opts.inflation), years):
        return None
    return f"{state.name} has no alternative minimum tax, so there is no {state.name} AMT line: the federal line binds."


def _with(record: RoomResult, **changes: Any) -> RoomResult:
    import dataclasses

    return dataclasses.replace(record, **changes)


def room_record(h: Households, room: EngineRoom, law: LawTable, *, deduction: Deduction, margin: float,
                spread_per_share: float | None, underwater: bool, i: int = 0) -> RoomResult:
    """Everything ``isoplan room`` shows for household ``i`` of an engine result."""
    return _room_record(h, room, law, deduction=deduction, margin=margin, spread_per_share=spread_per_share,
                        underwater=underwater, i=i)[0]


def _room_record(h: Households, room: EngineRoom, law: LawTable, *, deduction: Deduction, margin: float,
                 spread_per_share: float | None, underwater: bool, i: int = 0,
                 also: Callable[[float], np.ndarray] | None = None) -> tuple[RoomResult, FederalResult, int]:
    """:func:`room_record`, and its engine call's results for household ``i``: the line's two rows and the spreads
    past it, then the spreads ``also(room)`` adds (a caller's, in the same call: a call of a few rows costs about as
    much as one of a hundred), from the returned index on."""
    import numpy as np

    from isoplan.planning.room import amt_at_spreads, shares_for_spread, zone_in_result
    from isoplan.tax.explain import year_notes
    from isoplan.tax.law import STATUSES

    one = h.take(np.array([i]))
    year, status_code = int(one.year[0]), int(one.filing_status[0])
    status = STATUSES[status_code]
    amount = float(room.amt_room[i])
    already = bool(room.already_in_amt[i])
    after_margin = float(np.floor(amount * (1.0 - margin)))

    shares = shares_after = None
    if spread_per_share is not None and spread_per_share > 0:
        whole = shares_for_spread(np.array([amount, amount * (1.0 - margin)]), np.array([spread_per_share]))
        shares, shares_after = round(whole[0]), round(whole[1])

    # what exercising past the line costs: spread beyond the room (whole shares when a spread per share is given)
    past: list[PastLine] = []
    extra_shares: list[int] = []
    extra_spread: list[float] = []
    base = amount
    if shares:
        assert spread_per_share is not None
        base = shares * spread_per_share
        extra_shares = [max(1, int(np.ceil(step * shares))) for step in _PAST_LINE_STEPS]
        extra_spread = [k * spread_per_share for k in extra_shares]
    elif amount > 0 and spread_per_share is None:
        extra_spread = [float(np.ceil(step * amount)) for step in _PAST_LINE_STEPS]
    # the zone's two rows (room + 1, room + 2) and the spreads past the line in one engine call
    rows = [amount + 1.0, amount + 2.0, *(base + e for e in extra_spread)]
    spreads = np.array([rows]) if also is None else np.concatenate([rows, also(amount)])[None, :]
    r = amt_at_spreads(one, spreads, law, deduction=deduction)
    zone = zone_in_result(one, r, spreads.shape[1], law)
    rate = round(float(zone.rate[0]), 6)  # a one-dollar difference of two large amounts: keep 6 digits
    if extra_spread:
        for j, step in enumerate(_PAST_LINE_STEPS):
            amt = round(float(r.amt[2 + j]), 2)
            past.append(PastLine(
                past_by=step, extra_spread=extra_spread[j], amt=amt, average_rate=round(amt / extra_spread[j], 6),
                extra_shares=extra_shares[j] if extra_shares else None,
                amt_per_extra_share=round(amt / extra_shares[j], 4) if extra_shares else None,
            ))

    credit = None
    carryforward = float(one.amt_credit_carryforward[0])
    if carryforward > 0:
        line = float(room.credit_line[i])
        credit = RoomCredit(
            carryforward=carryforward,
            used_this_year=float(room.credit_used[i]),
            credit_line=None if line != line else line,
            explanation=_credit_text(carryforward, float(room.credit_used[i]), line, amount, already),
        )
    notes = []
    if already:
        notes.append(f"Already in AMT: the household owes {_usd(float(room.amt[i]))} of AMT before any more spread, "
                     f"so there is no room this year; each more dollar of spread costs about {rate:.1%}.")
    elif float(room.regular_tax[i]) == 0:
        notes.append("No regular tax: the room is the spread the AMT exemption (and any 0% capital-gain band in "
                     "Part III) absorbs; AMT is owed as soon as the tentative minimum tax is above $0.")
    if bool(room.election_switch[i]):
        kind = "itemizes" if bool(room.itemized_at_line[i]) else "takes the standard deduction"
        notes.append(f"The room is longer than the line of the larger deduction because there the cheaper "
                     f"election {kind} (IRC §63(e)): no more regular tax, and AMTI stays lower.")
    if underwater:
        notes.append("The option is at or under water (FMV at or below the strike): its spread is $0, so "
                     "exercising it triggers no AMT.")
    notes += year_notes(law, year, status_code)
    return RoomResult(
        year=year,
        filing_status=status,
        projected=bool(law.is_projected(year)),
        inputs=one.row(0),
        deduction=deduction,
        amt_room=amount,
        already_in_amt=already,
        regular_tax=float(room.regular_tax[i]),
        tentative_minimum_tax=float(room.tentative_minimum_tax[i]),
        amt=float(room.amt[i]),
        deduction_at_line="itemized" if bool(room.itemized_at_line[i]) else "standard",
        election_switch=bool(room.election_switch[i]),
        marginal_amt_rate=rate,
        zone=Zone(phase_out=bool(zone.phase_out[0]), mfs_addon=bool(zone.mfs_addon[0]),
                  upper_rate=bool(zone.upper_rate[0]), gains_pulled_in=bool(zone.gains_pulled_in[0]),
                  description=_zone_text(law, year, status, zone)),
        margin=margin,
        room_after_margin=after_margin,
        spread_per_share=spread_per_share,
        underwater=underwater,
        shares=shares,
        shares_after_margin=shares_after,
        past_the_line=past,
        credit=credit,
        notes=notes,
    ), r, len(rows)


def _california_room(h: Households, federal: RoomResult, opts: _Options, i: int = 0) -> CaliforniaRoom:
    """The California line (Schedule P (540)) beside the federal one, and which one binds."""
    import numpy as np

    from isoplan.planning.room import california_amt_room, shares_for_spread, with_added_spread
    from isoplan.tax.states.california import ca_year_notes, compute_california

    ca_law = ca_law_table(opts.inflation)
    property_tax, carry = opts.state.property_tax, opts.state.ca_amt_credit_carryforward
    margin, spread_per_share = opts.margin, opts.spread_per_share
    one = h.take(np.array([i]))
    r = california_amt_room(one, ca_law, property_tax=property_tax, ca_amt_credit_carryforward=carry,
                            deduction=opts.deduction)
    amount = float(r.ca_amt_room[0])
    # the marginal California AMT rate just past the line, measured with the engine (room + 1 -> room + 2)
    two = with_added_spread(one.take(np.zeros(2, dtype=np.intp)), np.array([amount + 1.0, amount + 2.0]))
    past = compute_california(two, ca_law, property_tax=property_tax, ca_amt_credit_carryforward=carry,
                              deduction=opts.deduction)
    rate = round(float(past.ca_amt[1] - past.ca_amt[0]), 6)
    shares = shares_after = None
    if spread_per_share is not None and spread_per_share > 0:
        per = np.array([spread_per_share])
        shares = round(shares_for_spread(np.array([amount]), per)[0])
        shares_after = round(shares_for_spread(np.array([amount * (1.0 - margin)]), per)[0])
    federal_room = federal.amt_room
    credit = None
    if carry > 0:
        line = float(r.ca_credit_line[0])
        credit = CaliforniaCredit(carryforward=carry, used_this_year=float(r.ca_credit_used[0]),
                                  credit_line=None if line != line else line)
    year = int(one.year[0])
    ca_after_margin = float(np.floor(amount * (1.0 - margin)))
    return CaliforniaRoom(
        year=year,
        projected=bool(ca_law.is_projected(year)),
        inputs={"property_tax": property_tax, "ca_amt_credit_carryforward": carry},
        amt_room=amount,
        already_in_amt=bool(r.ca_already_in_amt[0]),
        regular_tax=float(r.ca_regular_tax[0]),
        tentative_minimum_tax=float(r.ca_tentative_minimum_tax[0]),
        amt=float(r.ca_amt[0]),
        deduction_at_line="itemized" if bool(r.ca_itemized_at_line[0]) else "standard",
        marginal_amt_rate=rate,
        room_after_margin=ca_after_margin,
        shares=shares,
        shares_after_margin=shares_after,
        credit=credit,
        binding="california" if amount < federal_room else "federal",
        binding_room=min(amount, federal_room),
        binding_room_after_margin=min(ca_after_margin, federal.room_after_margin),
        binding_shares=None if shares is None or federal.shares is None else min(shares, federal.shares),
        notes=ca_year_notes(ca_law, year, int(one.filing_status[0])),
    )


def _zone_text(law: LawTable, year: int, status: str, zone: LineZone) -> str:
    """Why the AMT rate past the line is what it is, from the law's own parameters."""
    rates = law.laws[year].value("amt_rates", status)
    phaseout_rate = float(law.laws[year].value("amt_phaseout_rate", status))
    low, high = float(rates[0]), float(rates[1])
    base = high if zone.upper_rate[0] else low
    parts = []
    if zone.gains_pulled_in[0]:
        parts.append("the spread fills AMT base that the exemption kept free, and Part III taxes that layer as "
                     "capital gain (0%/15%/20%), so each dollar pulls a dollar of gain into the AMT at its rate")
    else:
        parts.append(f"{base:.0%} AMT bracket" + (" (above the 26%/28% breakpoint)" if zone.upper_rate[0] else ""))
    if zone.phase_out[0]:
        multiplier = 1.0 + phaseout_rate
        parts.append(f"exemption phase-out: each dollar also removes {phaseout_rate:.0%} of a dollar of exemption, "
                     f"so {base:.0%} x {multiplier:g} = {base * multiplier:.1%}")
    if zone.mfs_addon[0]:
        addon = float(law.laws[year].value("amt_mfs_addon_rate", status))
        parts.append(f"married-filing-separately add-on (IRC §55(d)): AMTI grows by another {addon:.0%} of "
                     "each dollar")
    return "; ".join(parts)


def _credit_text(carryforward: float, used: float, line: float, room: float, already: bool) -> str:
    """How the minimum tax credit (Form 8801, IRC §53(c)) moves with the spread."""
    if already:
        return ("No minimum tax credit can be used this year: the tentative minimum tax is above the regular "
                "tax. The credit stays carried forward.")
    if used <= 0:
        return ("No minimum tax credit can be used this year: regular tax does not exceed the tentative minimum "
                "tax (Form 8801 limit, IRC §53(c)). The credit stays carried forward.")
    if line != line:
        return ""
    kept = "Credit not used this year is carried forward, not lost."
    head = (f"This year you use {_usd(used)} of your {_usd(carryforward)} credit (limited to regular tax minus "
            "TMT, IRC §53(c)). ")
    if line <= 0:
        return head + ("That limit already binds: every dollar of spread reduces this year's credit use, "
                       f"by the AMT rate, until the AMT line at {_usd(room)}. ") + kept
    return head + (f"Up to {_usd(line)} of spread leaves that unchanged; past it each dollar reduces this year's "
                   f"credit use by the AMT rate, until the AMT line at {_usd(room)}. ") + kept


# ---------------------------------------------------------------- room --batch


def room_batch(req: RoomRequest, path: str, *, keep: Sequence[str] = ()) -> BatchResult:
    """``room --batch``: the room of every household of a CSV or Parquet file (``req.household`` is not
    used); with the state CA every row a California resident with ``req``'s California inputs. Columns
    named in ``keep`` pass through to the output unread."""
    import numpy as np

    from isoplan.app.batch import BatchResult, OutputColumn, batch_households, kept_columns, read_batch
    from isoplan.planning.room import amt_room, shares_for_spread
    from isoplan.tax.households import INPUT_NAMES

    opts = _options(req)
    table = read_batch(path, req.names)
    kept = kept_columns(table, keep, req.names, reserved=(*INPUT_NAMES, *ROOM_BATCH_OUTPUTS))
    h = batch_households(table, skip=kept)
    room = amt_room(h, opts.law, deduction=opts.deduction)
    columns = [OutputColumn(name, "input", table.columns[name]) for name in table.header]
    columns += [OutputColumn("amt_room", "whole", room.amt_room),
                OutputColumn("already_in_amt", "flag", room.already_in_amt)]
    if "amt_credit_carryforward" in table.header:
        columns.append(OutputColumn("credit_line", "whole", room.credit_line))
    spread_per_share = opts.spread_per_share
    if spread_per_share is not None and spread_per_share > 0:
        per = np.full(len(h), spread_per_share)
        columns.append(OutputColumn("shares", "whole", shares_for_spread(room.amt_room, per)))
        columns.append(OutputColumn("shares_after_margin", "whole",
                                    shares_for_spread(room.amt_room * (1.0 - opts.margin), per)))
    state = opts.state.state
    notes = []
    no_amt = _no_amt_note(opts, *np.unique(h.year).tolist()) if len(h) else None
    if no_amt:
        notes.append(no_amt)
    elif state == "CA":
        from isoplan.planning.room import california_amt_room

        carry = opts.state.ca_amt_credit_carryforward
        ca = california_amt_room(h, ca_law_table(opts.inflation), property_tax=opts.state.property_tax,
                                 ca_amt_credit_carryforward=carry, deduction=opts.deduction)
        columns.append(OutputColumn("ca_amt_room", "whole", ca.ca_amt_room))
        columns.append(OutputColumn("ca_already_in_amt", "flag", ca.ca_already_in_amt))
        if carry > 0:
            columns.append(OutputColumn("ca_credit_line", "whole", ca.ca_credit_line))
        columns.append(OutputColumn("binding", "label", np.where(ca.ca_amt_room < room.amt_room, "california",
                                                                  "federal")))
    elif state:
        notes.append(other_state_note(state))
    return BatchResult(columns=tuple(columns), length=len(table), notes=tuple(notes))


#: Every column ``room --batch`` may add (a kept column may not take one of these names).
ROOM_BATCH_OUTPUTS = ("amt_room", "already_in_amt", "credit_line", "shares", "shares_after_margin", "ca_amt_room",
                      "ca_already_in_amt", "ca_credit_line", "binding")


# ---------------------------------------------------------------- the web app's room page


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
class RoomPageRequest:
    """The room page: the room, and an exercise of ``shares`` (0: none) to cost at the room's prices."""

    room: RoomRequest
    shares: Value = None
    drop: Value = None
    cash: Value = None
    private: bool = False


@dataclass(frozen=True)
class RoomPageData:
    """The room (``isoplan room --json``), the cost (``isoplan cost --json``), the AMT curve, the form lines."""

    room: RoomResult
    cost: CostResult | None
    curve: AmtCurve
    explain: dict[str, list[LineExplanation]]


def form_lines(result: FederalResult, i: int = 0) -> list[LineExplanation]:
    """Form 1040 / 6251 / 8801 lines of a federal result, or Form 540 / Schedule P (540) of a California one: the
    explanation's own rows, not copies (a page explains three households, about 180 lines a request)."""
    from isoplan.tax.explain import explain_row
    from isoplan.tax.states.california import CaliforniaResult, ca_explain_row

    return ca_explain_row(result, i) if isinstance(result, CaliforniaResult) else explain_row(result, i)


@dataclass(frozen=True)
class _CurveAxis:
    """The x axis of the room page's AMT curve and the spreads its points add."""

    x: np.ndarray
    spreads: np.ndarray
    x_label: str
    line_x: float
    current_x: float | None
    ca_line_x: float


def _curve_axis(amount: float, spread_per_share: float | None, shares: int, ca_room: float) -> _CurveAxis:
    """The curve's points around the line ``amount`` (and California's ``ca_room``, 0 without it): by shares when a
    spread per share is known, else by spread."""
    import numpy as np

    from isoplan.planning.room import shares_for_spread

    # California's line (state CA): the chart shows both curves, so its range reaches past the larger line
    if spread_per_share:
        room_shares, ca_line_x = shares_for_spread(np.array([amount, ca_room]), np.array([spread_per_share])).tolist()
        top = max(2.0 * room_shares, 1.25 * shares, 10.0, 1.25 * ca_line_x)
        x = np.unique(np.round(np.linspace(0.0, top, CURVE_POINTS)))
        return _CurveAxis(x, x * spread_per_share, "shares exercised", room_shares, float(shares), ca_line_x)
    top = max(2.0 * amount, 50_000.0, 1.25 * ca_room)
    x = np.round(np.linspace(0.0, top, CURVE_POINTS))
    return _CurveAxis(x, x, "ISO spread added ($)", amount, None, ca_room)


def room_page_data(req: RoomPageRequest) -> RoomPageData:
    """The room, the exercise cost and the AMT curve for one household (the inputs of ``room`` and ``cost``)."""
    import numpy as np

    from isoplan.app.cost import CostRequest, cash_amount, cost, drop_fraction
    from isoplan.planning.room import amt_at_spreads, with_added_spread
    from isoplan.tax.states.california import compute_california

    names = req.room.names
    drop = drop_fraction(req.drop, names)
    cash = cash_amount(req.cash, names)
    shares = 0 if req.shares is None or (isinstance(req.shares, str) and not req.shares.strip()) else \
        _whole_shares(req.shares, names)
    opts = _options(req.room)
    law, deduction, st, spread_per_share = opts.law, opts.deduction, opts.state, opts.spread_per_share
    costed = shares > 0 and spread_per_share is not None
    bargain = shares * spread_per_share if costed and spread_per_share is not None else 0.0
    ca = st.state == "CA"

    def explained(amount: float) -> dict[str, float]:
        """The spreads of the three households the page explains: now, at the line, with the exercise."""
        return {"now": 0.0, "at_line": amount} | ({"with_exercise": bargain} if costed else {})

    # the curve and the three households the page explains in one engine call: each call has a fixed cost that
    # dwarfs a few rows. Without California the room record's own rows join it too; California's curve reaches
    # past its line, known only after the federal record.
    axes: list[_CurveAxis] = []

    def also(amount: float) -> np.ndarray:
        axes.append(_curve_axis(amount, spread_per_share, shares, 0.0))
        return np.concatenate([axes[0].spreads, list(explained(amount).values())])

    room_data, h, opts, engine_room, along_curve, start = _room(req.room, opts, None if ca else also)
    amount = room_data.amt_room
    ca_room = room_data.california.amt_room if room_data.california is not None else 0.0
    if ca:
        axes.append(_curve_axis(amount, spread_per_share, shares, ca_room))
        along_curve = amt_at_spreads(h, np.concatenate([axes[0].spreads, list(explained(amount).values())])[None, :],
                                     law, deduction=deduction)
        start = 0
    axis = axes[0]
    cost_data = None
    if costed:
        r = req.room
        cost_data = cost(CostRequest(household=r.household, shares=shares, strike=r.strike, fmv=r.fmv, drop=drop,
                                     cash=cash, private=req.private, state=r.state, property_tax=r.property_tax,
                                     ca_amt_credit_carryforward=r.ca_amt_credit_carryforward,
                                     state_amounts=r.state_amounts, deduction=deduction,
                                     inflation=opts.inflation, names=names), room=engine_room,
                         household=h)

    points = len(axis.spreads)
    curve_amt = along_curve.amt[start:start + points]
    ca_curve = None
    ca_inputs = {"property_tax": st.property_tax, "ca_amt_credit_carryforward": st.ca_amt_credit_carryforward}
    ca_law = ca_law_table(opts.inflation) if ca else None
    ca_explained = {"ca_now": 0.0, "ca_at_line": ca_room} | (
        {"ca_with_exercise": bargain} if cost_data is not None else {})
    ca_along = None
    if ca_law is not None:
        ca_spreads = np.concatenate([axis.spreads, list(ca_explained.values())])
        along = with_added_spread(h.take(np.zeros(len(ca_spreads), dtype=np.intp)), ca_spreads)
        ca_along = compute_california(along, ca_law, deduction=deduction, **ca_inputs)
        ca_curve = ca_along.ca_amt[:points]
    curve = AmtCurve(x=[float(v) for v in axis.x], amt=[round(float(v), 2) for v in curve_amt],
                     x_label=axis.x_label, line_x=axis.line_x, current_x=axis.current_x,
                     ca_amt=None if ca_curve is None else [round(float(v), 2) for v in ca_curve],
                     ca_line_x=axis.ca_line_x if ca else None)

    explain = {key: form_lines(along_curve, start + points + j) for j, key in enumerate(explained(amount))}
    if ca_along is not None:
        explain.update({key: form_lines(ca_along, points + j) for j, key in enumerate(ca_explained)})
    return RoomPageData(room=room_data, cost=cost_data, curve=curve, explain=explain)


def _whole_shares(value: Value, names: Names) -> int:
    """Shares for the page's exercise: a whole number, 0 for none."""
    allowed = "a whole number of at least 0"
    try:
        return whole(names("shares"), value)
    except InputError:
        raise InputError(names("shares"), value, allowed) from None
