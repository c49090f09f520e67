"""State income taxes behind one small protocol, and the registry of the states isoplan models.

A state is one module here (its :class:`Jurisdiction`) plus its parameter
files under ``tax/parameters/<state>/``; federal, planning, ledger and
report code reach a state only through this protocol, by its two-letter
code. California (:mod:`isoplan.tax.states.california`) is the first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from isoplan.tax.credit_chain import ChainYear, CreditLines
from isoplan.tax.explain import LineRow
from isoplan.tax.federal import Deduction, FederalResult
from isoplan.tax.households import Households
from isoplan.tax.law import LawTable


@dataclass(frozen=True)
class InputField:
    """An amount a state's return needs beyond the federal household (with its help text).

    ``carried_credit``: the field is the AMT credit carried in from earlier
    years (the chain's starting credit) rather than an amount of the year.
    """

    name: str
    help: str
    carried_credit: bool = False


@runtime_checkable
class Jurisdiction(Protocol):
    """A state's income tax as isoplan models it: law as data, the return, its AMT credit across years."""

    code: str  # two-letter postal code, e.g. "CA"
    name: str  # e.g. "California"
    key: str  # the JSON key its figures go under, e.g. "california"
    credit_lines: CreditLines  # the result lines its credit chain reads
    extra_inputs: tuple[InputField, ...]  # its own input amounts (beside the federal household)
    outputs: tuple[str, ...]  # the result keys a ``--json`` or batch output shows
    credit_form: str  # the form that carries its AMT credit, e.g. "FTB 3510"
    #: the lines an exercise or a sale moves, as (name shown, result line key), in the order shown; among
    #: them "amt", "credit_used" and "total_tax"
    cost_lines: tuple[tuple[str, str], ...]

    def law_table(self, inflation: float | None = None) -> LawTable:
        """The state's law as data (published years and the projection), cached."""
        ...

    def compute(self, households: Households, law: LawTable, *, inputs: Mapping[str, Any], credit: Any,
                deduction: Deduction = "auto", keep: Sequence[str] | None = None) -> FederalResult:
        """The state return of every household (a full-year resident), ``credit`` = AMT credit available."""
        ...

    def exclusion_items_only(self, households: Households) -> Households:
        """The households with every deferral item removed (the credit form's Part I refigured return)."""
        ...

    def credit_form_lines(self, chain: Mapping[str, Any]) -> dict[str, Any]:
        """The credit form's lines (its own keys) from one year of the credit chain."""
        ...

    def credit_years(self, households_by_year: Sequence[Households], law: LawTable | None = None, *,
                     inputs_by_year: Sequence[Mapping[str, Any]] | None = None, deduction: Deduction = "auto",
                     initial_carryforward: Any = 0.0) -> list[ChainYear]:
        """The return for consecutive years with the AMT credit carried (e.g. FTB 3510)."""
        ...

    def explain_rows(self, result: FederalResult, i: int = 0) -> list[LineRow]:
        """Household ``i``'s lines, in the order a person reads the return."""
        ...

    def year_notes(self, law: LawTable, year: int, status_code: int) -> list[str]:
        """Notes on the law behind a year: projected, unsettled, what is left out."""
        ...

    def amt_basis_worth(self, law: LawTable, years: Sequence[int]) -> float:
        """The most a dollar of AMT basis can lower the state's tentative minimum tax in ``years`` (0 without
        an AMT): the optimizer's bound on what a label's AMT basis can still be worth."""
        ...


_REGISTRY: dict[str, Jurisdiction] = {}


def register(jurisdiction: Jurisdiction) -> Jurisdiction:
    """Add (or replace) a modeled state under its code."""
    _REGISTRY[jurisdiction.code.upper()] = jurisdiction
    return jurisdiction


def unregister(code: str) -> None:
    """Remove a state from the registry (for tests that register a toy one)."""
    _REGISTRY.pop(code.upper(), None)


def _load_builtin() -> None:
    if "CA" not in _REGISTRY:
        from isoplan.tax.states.california import CALIFORNIA

        register(CALIFORNIA)


def jurisdiction(code: str | None) -> Jurisdiction | None:
    """The modeled state with two-letter ``code`` (any case); None for no state or one not modeled."""
    if not code:
        return None
    _load_builtin()
    return _REGISTRY.get(code.upper())


def jurisdiction_of_law(law: LawTable) -> Jurisdiction | None:
    """The modeled state whose law ``law`` is (by its parameter directory), None if none."""
    _load_builtin()
    return next((s for s in _REGISTRY.values() if s.law_table(law.inflation).directory == law.directory), None)


def modeled_states() -> tuple[str, ...]:
    """The codes of every state isoplan models, sorted."""
    _load_builtin()
    return tuple(sorted(_REGISTRY))


def federal_only_note(code: str) -> str:
    """What is said of a state isoplan does not model: its income tax is in no figure."""
    modeled = " and ".join(_REGISTRY[c].name for c in modeled_states())
    return (f"state {code}: isoplan models federal tax and {modeled} only; {code} income tax is not included "
            f"in any figure shown")


def state_input_names() -> frozenset[str]:
    """The names of every modeled state's own inputs (never federal household inputs)."""
    _load_builtin()
    return frozenset(f.name for state in _REGISTRY.values() for f in state.extra_inputs)


def inputs_of(state: Jurisdiction, amounts: Mapping[str, Any]) -> dict[str, Any]:
    """The state's own input amounts of one year, from a mapping that may hold more (0 where absent)."""
    return {f.name: amounts.get(f.name, 0.0) for f in state.extra_inputs if not f.carried_credit}


def carried_credit_field(state: Jurisdiction) -> str | None:
    """The name of the state's carried AMT credit input, if it has one."""
    return next((f.name for f in state.extra_inputs if f.carried_credit), None)
