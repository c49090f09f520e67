"""One household's inputs, as the ``tax``, ``room`` and ``cost`` use cases take them, checked once.

A caller hands over the values it has: numbers the command line already
parsed, or the text of a web form. Every check names the field the way the
caller knows it (:class:`Names`: ``--margin`` on the command line, ``margin``
in the web form). Heavy libraries (NumPy and the engines) are imported inside
the functions, so building the command line's parser stays fast.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, Protocol

from isoplan.app.common import MAX_MONEY, InputError, record_dict, state_code, tax_year, tax_years

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from isoplan.tax.households import Households
    from isoplan.tax.law import LawTable
    from isoplan.tax.states import Jurisdiction

#: A user value as the caller has it: a number it parsed, the text of a form field, or nothing.
Value = float | int | str | Decimal | None
Deduction = Literal["auto", "standard", "itemized"]
DEDUCTIONS: tuple[Deduction, ...] = ("auto", "standard", "itemized")


@dataclass(frozen=True)
class Names:
    """How the caller names each input in messages; an input not listed keeps its own name.

    ``form`` marks a web form: it sends every field, an unused one blank or 0, so a California-only
    field at 0 is no input; on the command line a California flag given at all is one.
    """

    fields: Mapping[str, str] = field(default_factory=dict)
    form: bool = False

    def __call__(self, name: str) -> str:
        return self.fields.get(name, name)

    def state_only(self, owners: str, state: str | None) -> str:
        """What an input of the states ``owners`` (e.g. "CA") needs, when the state is another one."""
        if self.form:
            return f"used only with state {owners}" + (f" (the state is {state})" if state else " (no state is chosen)")
        flag = self("state")
        return f"used only with {flag} {owners}" + (f" (got {flag} {state})" if state else "")


#: Field names of the Python API and the web form: the engine's own names.
PLAIN_NAMES = Names()


#: Field metadata of a record value that renderers use but the JSON leaves out (see :func:`record_json`).
HIDDEN = {"hidden": True}


def record_json(record: DataclassInstance) -> dict[str, Any]:
    """A result record's JSON object (:func:`isoplan.app.common.record_dict`) without its hidden fields."""
    shown = {f.name for f in dataclasses.fields(record) if not f.metadata.get("hidden")}
    return {k: v for k, v in record_dict(record).items() if k in shown}


def number(name: str, value: Value, allowed: str) -> float:
    """A finite number from a number or numeric text ('1,234.50', '$1234.5'); never bool or NaN."""
    if isinstance(value, bool) or value is None:
        raise InputError(name, value, allowed)
    if isinstance(value, str):
        try:
            parsed = float(value.replace(",", "").replace("$", "").replace("_", "").strip())
        except ValueError:
            raise InputError(name, value, allowed) from None
    else:
        try:
            parsed = float(value)
        except OverflowError:
            raise InputError(name, value, allowed) from None
    if not math.isfinite(parsed):
        raise InputError(name, value, allowed)
    if abs(parsed) > MAX_MONEY:
        raise InputError(name, value, f"{allowed}, at most {MAX_MONEY:,.0f} in size")
    return parsed


def optional_number(name: str, value: Value, allowed: str) -> float | None:
    """:func:`number`, or None when nothing (or blank text) is given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return number(name, value, allowed)


def price(name: str, value: Value) -> float:
    """A price per share of 0 or more."""
    allowed = "a price per share of 0 or more"
    parsed = number(name, value, allowed)
    if parsed < 0:
        raise InputError(name, value, allowed)
    return parsed


def fraction_below_one(name: str, value: Value, *, zero_ok: bool, allowed: str) -> float:
    """A fraction in [0, 1) (or (0, 1) without ``zero_ok``), named with the caller's wording."""
    parsed = number(name, value, allowed)
    if parsed >= 1 or parsed < 0 or (parsed == 0 and not zero_ok):
        raise InputError(name, value, allowed)
    return parsed


def deduction_choice(value: str | None, names: Names) -> Deduction:
    """The deduction election: auto (the cheaper one), standard or itemized."""
    text = (value or "auto").strip().lower()
    for choice in DEDUCTIONS:
        if text == choice:
            return choice
    raise InputError(names("deduction"), text, "auto, standard or itemized")


def inflation_rate(value: Value, names: Names) -> float | None:
    """The assumed inflation of projected years (None: the law data's default); the law checks its range."""
    return optional_number(names("inflation"), value, "a yearly rate between -0.5 and 1.0, e.g. 0.025")


def law_table(inflation: float | None) -> LawTable:
    from isoplan.tax.law import law_table as federal_law

    return federal_law(inflation)


def ca_law_table(inflation: float | None) -> LawTable:
    from isoplan.tax.states.california import ca_law_table as california_law

    return california_law(inflation)


@dataclass(frozen=True)
class StateInputs:
    """The state of residence, its jurisdiction when isoplan models it, and that state's own input amounts
    (:attr:`isoplan.tax.states.Jurisdiction.extra_inputs`, 0 where not given)."""

    state: str | None
    jurisdiction: Jurisdiction | None
    amounts: dict[str, float]

    @property
    def inputs(self) -> dict[str, float]:
        """The amounts of the year (every input but the carried credit), for ``Jurisdiction.compute``."""
        from isoplan.tax.states import inputs_of

        return inputs_of(self.jurisdiction, self.amounts) if self.jurisdiction is not None else {}

    @property
    def credit(self) -> float:
        """The state AMT credit carried in from earlier years (0 when the state has none)."""
        from isoplan.tax.states import carried_credit_field

        name = carried_credit_field(self.jurisdiction) if self.jurisdiction is not None else None
        return self.amounts.get(name, 0.0) if name else 0.0

    @property
    def property_tax(self) -> float:
        return self.amounts.get("property_tax", 0.0)

    @property
    def ca_amt_credit_carryforward(self) -> float:
        return self.amounts.get("ca_amt_credit_carryforward", 0.0)

    def law(self, inflation: float | None) -> LawTable:
        """The state's law table (a modeled state only)."""
        assert self.jurisdiction is not None, "law() needs a modeled state"
        return self.jurisdiction.law_table(inflation)


class Figures(dict[str, float]):
    """A state's figures by line key, in the jurisdiction's order (a JSON object); also read as attributes
    (``figures.ca_agi``) by the state's text renderer."""

    def __getattr__(self, name: str) -> float:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def input_owners(name: str) -> str:
    """The codes of the modeled states that take input ``name`` ("CA", or "CA or ZZ")."""
    from isoplan.tax.states import jurisdiction, modeled_states

    states = [s for s in map(jurisdiction, modeled_states()) if s is not None]
    return " or ".join(s.code for s in states if any(f.name == name for f in s.extra_inputs))


def state_inputs(state: str | None, given: Mapping[str, Value], names: Names) -> StateInputs:
    """A state code, its jurisdiction and its own inputs: an input of another state is refused, where it would
    be ignored. ``given``: input amounts by name (None = not given)."""
    from isoplan.tax.states import jurisdiction

    code = state_code(names("state"), state)
    found = jurisdiction(code)
    own = [f.name for f in found.extra_inputs] if found is not None else []
    values: dict[str, float] = {}
    for name, value in given.items():
        amount = optional_number(names(name), value, "a dollar amount of 0 or more")
        if name not in own and amount is not None and (amount or not names.form):
            raise InputError(names(name), value, names.state_only(input_owners(name), code))
        if amount is not None and amount < 0:
            raise InputError(names(name), value, "a dollar amount of 0 or more")
        values[name] = amount or 0.0
    return StateInputs(code, found, {name: values.get(name, 0.0) for name in own})


class _HasStateValues(Protocol):
    @property
    def property_tax(self) -> Value: ...
    @property
    def ca_amt_credit_carryforward(self) -> Value: ...
    @property
    def state_amounts(self) -> Mapping[str, Value]: ...


def request_state_values(req: _HasStateValues) -> dict[str, Value]:
    """A request's state inputs by name: California's own fields, then any other state's by name."""
    return {"property_tax": req.property_tax, "ca_amt_credit_carryforward": req.ca_amt_credit_carryforward,
            **req.state_amounts}


def with_state_key(data: dict[str, Any], state: Any) -> dict[str, Any]:
    """``data`` with a state's record (anything with ``key`` and ``as_dict()``) under its JSON key, right
    after ``state``; unchanged without one."""
    if state is None:
        return data
    out: dict[str, Any] = {}
    for k, v in data.items():
        out[k] = v
        if k == "state":
            out[state.key] = state.as_dict()
    return out


def other_state_note(state: str) -> str:
    """The note every result for a state isoplan does not model carries."""
    from isoplan.tax.states import federal_only_note

    return federal_only_note(state) + "."


def _year(value: Value, names: Names) -> int:
    """A supported tax year, named as the caller names it (the range comes from the law data)."""
    years = tax_years()
    allowed = f"a tax year from {years.start} to {years.stop - 1}"
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InputError(names("year"), None, allowed)
    try:
        return tax_year(names("year"), value)
    except InputError as err:
        raise InputError(err.field, err.value, allowed) from None


def household_columns(inputs: Mapping[str, Value], names: Names) -> dict[str, Any]:
    """The engine's inputs of one household: year and filing status required, amounts parsed, 0 when missing."""
    from isoplan.tax.fields import COUNT_FIELDS, INPUT_NAMES, MONEY_FIELDS

    for name in inputs:
        if name not in INPUT_NAMES:
            raise InputError("input", name, "one of " + ", ".join(INPUT_NAMES))
    year = _year(inputs.get("year"), names)
    status = inputs.get("filing_status")
    if status is None or not str(status).strip():
        raise InputError(names("filing_status"), None, "single, mfj, mfs, hoh or qss")
    columns: dict[str, Any] = {"year": year, "filing_status": str(status)}
    for name, may_be_negative, _ in MONEY_FIELDS:
        allowed = "a finite dollar amount" if may_be_negative else "a dollar amount of 0 or more"
        amount = optional_number(name, inputs.get(name), allowed)
        if amount is not None:
            columns[name] = amount
    for name, _ in COUNT_FIELDS:
        count = optional_number(name, inputs.get(name), "a whole number")
        if count is not None:
            columns[name] = count
    return columns


def one_household(inputs: Mapping[str, Value], names: Names) -> Households:
    """One checked household (the engine names a value it cannot take: a negative wage, an unknown status)."""
    from isoplan.tax.households import households

    return households(**household_columns(inputs, names))
