"""The ``cost`` use case: what an ISO exercise really costs.

Strike cash plus the federal tax the exercise causes (regular tax and AMT, Form 6251 line 2i), how far
past the AMT room it goes, a price-drop stress test and the same-year-sale rescue (IRC §422(c)(2));
with a modeled state also the state tax it causes (California: Schedule P (540), FTB 3510).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from isoplan.app.common import MAX_SHARES, InputError, iso_date
from isoplan.app.defaults import DEFAULT_DROP
from isoplan.app.household import (
    HIDDEN,
    PLAIN_NAMES,
    Names,
    StateInputs,
    Value,
    deduction_choice,
    fraction_below_one,
    inflation_rate,
    law_table,
    number,
    one_household,
    optional_number,
    other_state_note,
    price,
    record_json,
    request_state_values,
    state_inputs,
    with_state_key,
)
from isoplan.report.text import money as _usd

if TYPE_CHECKING:
    from isoplan.planning.cost import ExerciseCost, StateExerciseCost, StateTaxPath, TaxPath
    from isoplan.planning.room import RoomResult as EngineRoom
    from isoplan.tax.households import Households
    from isoplan.tax.law import LawTable
    from isoplan.tax.states import Jurisdiction

_OMIT = {"omit_none": True}


@dataclass(frozen=True)
class CostRequest:
    """One exercise: ``shares`` at ``strike`` when the stock is worth ``fmv``, by a household (``household``:
    the engine's inputs by name); ``date`` (optional) must fall in the tax year; ``cash`` available and the
    price ``drop`` for the stress test; ``private`` stock has no same-year buyer."""

    household: Mapping[str, Value]
    shares: Value
    strike: Value
    fmv: Value
    date: str | datetime.date | None = None
    cash: Value = None
    drop: Value = DEFAULT_DROP
    private: bool = False
    state: str | None = None
    property_tax: Value = None
    ca_amt_credit_carryforward: Value = None
    state_amounts: Mapping[str, Value] = field(default_factory=dict)  # another modeled state's inputs
    deduction: str | None = "auto"
    inflation: Value = None
    names: Names = PLAIN_NAMES
    today: datetime.date | None = None  # an undated exercise is taken to happen today (for the next due date)


@dataclass(frozen=True)
class Exercise:
    """The exercise itself."""

    shares: int
    strike: float
    fmv: float
    spread_per_share: float
    bargain_element: float  # Form 6251 line 2i
    strike_cash: float
    underwater: bool


@dataclass(frozen=True)
class Outlay:
    """Strike cash plus the tax caused."""

    total: float
    per_share: float


@dataclass(frozen=True)
class CostRoom:
    """The AMT room before this exercise and how far the exercise goes past it."""

    amt_room: float
    already_in_amt: bool
    spread_past_room: float
    shares_within_room: int


@dataclass(frozen=True)
class StateCost:
    """The tax a modeled state charges on the exercise, beside the federal one (under the state's JSON key);
    ``room`` only for a state with an AMT."""

    year: int
    projected: bool
    inputs: dict[str, float]
    tax: dict[str, Any]
    outlay: dict[str, float]
    room: CostRoom | None = field(metadata=_OMIT)
    hold: dict[str, float]
    rescue: dict[str, Any] | None
    notes: list[str]
    key: str = field(default="", metadata=HIDDEN, kw_only=True)  # the JSON key, e.g. "california"

    def as_dict(self) -> dict[str, Any]:
        return record_json(self)


@dataclass(frozen=True)
class CostResult:
    """``isoplan cost --json`` (fields: docs/room-and-cost.md); ``state``, a modeled state's record (under its
    key, e.g. ``california``) and ``state_note`` only when a state is given."""

    year: int
    filing_status: str
    projected: bool
    exercise_date: datetime.date | None
    stock: str
    inputs: dict[str, Any]
    exercise: Exercise
    tax: dict[str, Any]
    outlay: Outlay
    room: CostRoom
    stress: dict[str, Any]
    hold: dict[str, float]
    rescue: dict[str, Any] | None
    notes: list[str]
    estimated_tax: dict[str, Any]
    state: str | None = field(default=None, metadata=_OMIT)
    state_note: str | None = field(default=None, metadata=_OMIT)
    state_cost: StateCost | None = field(default=None, metadata=HIDDEN)

    @property
    def california(self) -> StateCost | None:
        """California's part, when the state is CA."""
        return self.state_cost if self.state_cost is not None and self.state_cost.key == "california" else None

    @property
    def answer(self) -> str:
        """The decision in one sentence (the first line of the text; ``answer`` in the JSON)."""
        from isoplan.report.answer import cost_answer

        return cost_answer(self)

    def as_dict(self) -> dict[str, Any]:
        return with_state_key(record_json(self), self.state_cost) | {"answer": self.answer}


def drop_fraction(value: Value, names: Names) -> float:
    """The stress test's fall in the share price: a fraction above 0 and below 1 (default a half)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_DROP
    return fraction_below_one(names("drop"), value, zero_ok=False,
                              allowed="a fraction between 0 and 1, e.g. 0.5 for a 50% fall")


def cash_amount(value: Value, names: Names) -> float | None:
    """Cash available outside the shares, or None (not given)."""
    allowed = "a dollar amount of 0 or more"
    cash = optional_number(names("cash"), value, allowed)
    if cash is not None and cash < 0:
        raise InputError(names("cash"), value, allowed)
    return cash


def _shares(value: Value, names: Names) -> float:
    allowed = f"a positive whole number of shares, at most {MAX_SHARES:,}"
    parsed = number(names("shares"), value, allowed)
    if not (0 < parsed <= MAX_SHARES and parsed == int(parsed)):
        raise InputError(names("shares"), value, allowed)
    return parsed


def _exercise_date(value: str | datetime.date | None, year: int, names: Names) -> datetime.date | None:
    if value is None:
        return None
    day = iso_date(names("date"), value)
    if day.year != year:
        raise InputError(names("date"), value, f"a date in the tax year {year} ({names('year')}); exercise in "
                         f"{day.year} is taxed in {day.year}")
    return day


def cost(req: CostRequest, *, room: EngineRoom | None = None, household: Households | None = None) -> CostResult:
    """What one exercise costs: strike cash and the tax it causes, the room, the stress test, the rescue.

    ``room``: the household's room from the engine, when the caller has computed it with the same law and
    deduction election; ``household``: ``req.household`` as :func:`one_household` checked it (the room page
    has both)."""
    import dataclasses

    from isoplan.planning.cost import exercise_cost

    names = req.names
    shares = _shares(req.shares, names)
    prices = {}
    for name in ("strike", "fmv"):
        value = getattr(req, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise InputError(names(name), None, "a price per share (dollars)")
        prices[name] = price(names(name), value)
    drop = drop_fraction(req.drop, names)
    cash = cash_amount(req.cash, names)
    st = state_inputs(req.state, request_state_values(req), names)
    deduction = deduction_choice(req.deduction, names)
    h = one_household(req.household, names) if household is None else household
    day = _exercise_date(req.date, int(h.year[0]), names)
    inflation = inflation_rate(req.inflation, names)
    law = law_table(inflation)
    c = exercise_cost(h, shares, prices["strike"], prices["fmv"], law, deduction=deduction, drop=drop, cash=cash,
                      room=room)
    record = cost_record(h, c, law, exercise_date=day, private=req.private, today=req.today)
    if st.jurisdiction is not None:
        from isoplan.planning.cost import state_exercise_cost

        state_law = st.law(inflation)
        sc = state_exercise_cost(st.jurisdiction, h, c, state_law, inputs=st.inputs, credit=st.credit,
                                 deduction=deduction)
        state_cost = _state_cost(h, c, sc, st.jurisdiction, state_law, st, private=req.private)
        return dataclasses.replace(record, state=st.jurisdiction.code, state_cost=state_cost)
    if st.state:
        return dataclasses.replace(record, state=st.state, state_note=other_state_note(st.state))
    return record


def _path(path: TaxPath, i: int) -> dict[str, float]:
    return {k: float(getattr(path, k)[i]) for k in
            ("regular_tax", "amt", "credit_used", "niit", "additional_medicare_tax", "total_tax")}


def _state_path(path: StateTaxPath, i: int) -> dict[str, float]:
    return {k: float(v[i]) for k, v in path.lines.items()}


def cost_record(h: Households, c: ExerciseCost, law: LawTable, *, exercise_date: datetime.date | None,
                private: bool, i: int = 0, today: datetime.date | None = None) -> CostResult:
    """Everything ``isoplan cost`` shows for household ``i`` of an engine result."""
    from isoplan.tax.explain import year_notes
    from isoplan.tax.law import STATUSES

    year, status_code = int(h.year[i]), int(h.filing_status[i])
    underwater = bool(c.underwater[i])
    cash = float(c.cash[i])
    has_cash = cash == cash
    notes = []
    if underwater:
        notes.append("Under water: the FMV is at or below the strike, so the spread is $0 and the exercise "
                     "triggers no AMT; the outlay is the strike cash alone.")
    if c.incremental.amt[i] > 0:
        notes.append("AMT caused by an ISO exercise is a deferral item: it becomes a minimum tax credit (Form 8801) "
                     "that later years can use when their regular tax exceeds their tentative minimum tax.")
    if c.credit_use_lost[i] > 0:
        notes.append(f"The exercise cuts this year's minimum tax credit use by {_usd(float(c.credit_use_lost[i]))}; "
                     "that credit is carried forward, not lost.")
    if private:
        notes.append("Private stock: there is no same-year buyer, so the same-year rescue does not exist. If the "
                     "value falls, the AMT is still owed on the exercise-date spread.")
    else:
        notes.append("The rescue needs a sale in the same calendar year and a loss that is allowed: on a wash sale "
                     "(IRC §1091) or a sale to a related party the §422(c)(2) limit does not apply and the whole "
                     "exercise-date spread is ordinary income.")
    notes += year_notes(law, year, status_code)
    estimated_tax = _estimated_tax(year, float(c.incremental.total_tax[i]), exercise_date or today)
    notes.append(estimated_tax.pop("note"))
    rescue = None
    if not private:
        rescue = {
            "available": True,
            "sale_price": float(c.price_after_drop[i]),
            "proceeds": float(c.rescue_proceeds[i]),
            "ordinary_income": float(c.rescue_ordinary_income[i]),
            "capital_gain": float(c.rescue_capital_gain[i]),
            "tax": _path(c.rescue, i),
            "incremental": _path(c.rescue_incremental, i),
            "net_cash": float(c.rescue_net_cash[i]),
        }
    return CostResult(
        year=year,
        filing_status=STATUSES[status_code],
        projected=bool(law.is_projected(year)),
        exercise_date=exercise_date,
        stock="private" if private else "public",
        inputs=h.row(i),
        exercise=Exercise(
            shares=round(float(c.shares[i])),
            strike=float(c.strike[i]),
            fmv=float(c.fmv[i]),
            spread_per_share=float(c.spread_per_share[i]),
            bargain_element=float(c.bargain_element[i]),
            strike_cash=float(c.strike_cash[i]),
            underwater=underwater,
        ),
        tax={
            "without_exercise": _path(c.without, i),
            "with_exercise": _path(c.with_exercise, i),
            "incremental": _path(c.incremental, i),
            "credit_use_lost": float(c.credit_use_lost[i]),
        },
        outlay=Outlay(total=float(c.outlay[i]), per_share=float(c.outlay_per_share[i])),
        room=CostRoom(
            amt_room=float(c.amt_room[i]),
            already_in_amt=bool(c.already_in_amt[i]),
            spread_past_room=float(c.spread_past_room[i]),
            shares_within_room=round(float(c.shares_within_room[i])),
        ),
        stress={
            "drop": float(c.drop[i]),
            "price_after_drop": float(c.price_after_drop[i]),
            "value_after_drop": float(c.value_after_drop[i]),
            "tax_locked": float(c.incremental.total_tax[i]),
            "tax_exceeds_value": bool(c.tax_exceeds_value[i]),
            "cash": cash if has_cash else None,
            "cash_needed": float(c.cash_needed[i]),
            "cash_covers": bool(c.cash_covers[i]) if has_cash else None,
            "cash_gap": float(c.cash_gap[i]) if has_cash else None,
        },
        hold={"tax": float(c.incremental.total_tax[i]), "value_after_drop": float(c.value_after_drop[i]),
              "net": float(c.hold_net[i])},
        rescue=rescue,
        notes=notes,
        estimated_tax=estimated_tax,
    )


def _estimated_tax(year: int, amount: float, day: datetime.date | None) -> dict[str, Any]:
    """What the exercise adds to the year's estimated tax and the installment to pay it with (IRC §6654):
    the next due date on or after the exercise (or today), moved past weekends and holidays (IRC §7503)."""
    from isoplan.app.filing import next_installment
    from isoplan.tax.estimates import penalty_period_end

    day = max(day or datetime.date.today(), datetime.date(year, 1, 1))
    due = next_installment(year, day)
    out: dict[str, Any] = {"tax_year": year, "amount": amount, "installment": due.installment if due else None,
                           "due_date": due.due if due else None}
    if amount <= 0.5:
        out["note"] = f"Estimated tax: this exercise adds nothing to the tax for {year} (IRC §6654)."
    elif due is None:
        end = penalty_period_end(year)
        out["note"] = (f"Estimated tax: this exercise adds {_usd(amount)} to the tax for {year}; every {year} "
                       f"installment is past, so pay it with the return by {end:%B} {end.day}, {end.year}, "
                       f"and expect a penalty on what the installments lacked (IRC §6654).")
    else:
        out["note"] = (f"Estimated tax: this exercise adds {_usd(amount)} to the tax for {year}; to stay in the safe "
                       f"harbor pay it by {due.due:%B} {due.due.day}, {due.due.year} (installment "
                       f"{due.installment}, IRC §6654; not needed when last year's tax, 100% or 110% of it, already "
                       f"sets your required payment, IRC §6654(d)(1)(B)).")
    return out


def _state_cost(h: Households, c: ExerciseCost, sc: StateExerciseCost, state: Jurisdiction, state_law: LawTable,
                st: StateInputs, *, private: bool, i: int = 0) -> StateCost:
    """The state tax the exercise causes, beside the federal record."""
    from isoplan.planning.room import state_has_amt

    year = int(h.year[i])
    notes = []
    if sc.incremental.amt[i] > 0:
        notes.append(f"{state.name} AMT caused by an ISO exercise is a deferral item: it becomes a {state.name} AMT "
                     f"credit ({state.credit_form}) that later years can use when their regular tax exceeds their "
                     "TMT.")
    if sc.credit_use_lost[i] > 0:
        notes.append(f"The exercise cuts this year's {state.name} AMT credit use by "
                     f"{_usd(float(sc.credit_use_lost[i]))}; that credit is carried forward, not lost.")
    has_amt = state_has_amt(state, state_law, [year])
    if not has_amt:
        notes.append(f"{state.name} has no alternative minimum tax: the exercise adds no {state.name} AMT and "
                     f"there is no {state.name} AMT room.")
    notes += state.year_notes(state_law, year, int(h.filing_status[i]))
    fed_tax = float(c.incremental.total_tax[i])
    state_tax = float(sc.incremental.total_tax[i])
    rescue = None
    if not private:
        rescue = {
            "tax": _state_path(sc.rescue, i),
            "incremental": _state_path(sc.rescue_incremental, i),
            "combined_tax": float(c.rescue_incremental.total_tax[i] + sc.rescue_incremental.total_tax[i]),
            "combined_net_cash": float(sc.combined_rescue_net_cash[i]),
        }
    room = None
    if has_amt:
        room = CostRoom(
            amt_room=float(sc.amt_room[i]),
            already_in_amt=bool(sc.already_in_amt[i]),
            spread_past_room=float(sc.spread_past_room[i]),
            shares_within_room=round(float(sc.shares_within_room[i])),
        )
    return StateCost(
        year=year,
        projected=bool(state_law.is_projected(year)),
        inputs={f.name: float(st.amounts.get(f.name, 0.0)) for f in state.extra_inputs},
        tax={
            "without_exercise": _state_path(sc.without, i),
            "with_exercise": _state_path(sc.with_exercise, i),
            "incremental": _state_path(sc.incremental, i),
            "credit_use_lost": float(sc.credit_use_lost[i]),
        },
        outlay={
            "strike_cash": float(c.strike_cash[i]),
            "federal_tax": fed_tax,
            f"{state.key}_tax": state_tax,
            "total": float(sc.combined_outlay[i]),
            "per_share": float(sc.combined_outlay_per_share[i]),
        },
        room=room,
        hold={"combined_tax": fed_tax + state_tax, "combined_net": float(sc.combined_hold_net[i])},
        rescue=rescue,
        notes=notes,
        key=state.key,
    )
