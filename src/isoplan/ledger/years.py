"""The ledger's tax years: each year's return with the option items in it, and the credit carried.

For every year from the first to the last with an income entry or an
option event, the household's own entries are merged with what the lots and
sales put on the return (:func:`isoplan.equity.years.merge_year_inputs`),
then the years run through the engine in order with the minimum tax credit
carried by Form 8801 (:func:`isoplan.tax.form8801.minimum_tax_credit_years`).
A year with events but no income entry is computed with zero other income
(and says so); years outside the law isoplan has are left out (and said).

A year whose state is a modeled one (:func:`isoplan.tax.states.jurisdiction`;
California: Form 540, Schedule P (540)) also gets that state's return, with its
AMT credit (California's FTB 3510) carried from year to year of the state
through its credit chain (:meth:`isoplan.tax.states.Jurisdiction.credit_years`);
years in another state (or none) between them carry the credit unused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from isoplan.equity.records import Lot, Sale
from isoplan.equity.years import YearItems, merge_year_inputs, year_items
from isoplan.ledger.store import CA_INCOME_FIELDS

#: Inputs each year after the first takes from the year before: the capital-loss carryovers on both bases
#: (IRC §1212(b)) and Form 6251 line 2k, which moves with them.
_CARRIED = ("short_term_loss_carryover", "long_term_loss_carryover", "amt_short_term_loss_carryover",
            "amt_long_term_loss_carryover", "amt_disposition_adjustment")


@dataclass
class StateYear:
    """One year's state return, through the jurisdiction seam (:class:`isoplan.tax.states.Jurisdiction`)."""

    jurisdiction: Any  # Jurisdiction
    inputs: dict[str, float]  # the state's own amounts, its carried credit among them
    outputs: dict[str, float]  # every line of the state's return
    credit_lines: dict[str, float]  # the credit form's lines (California: FTB 3510)
    credit_available: float  # the credit the year may use (not below 0)
    credit_used: float
    credit_created: float  # the state's AMT less its net minimum tax on exclusion items
    projected: bool
    notes: list[str]  # the state law behind the year
    result: Any  # the state's result (length 1)

    @property
    def credit_carried_forward(self) -> float:
        """The credit available less the credit used: carried into the next year of the state."""
        return self.credit_available - self.credit_used


@dataclass
class LedgerYear:
    """One year of the table."""

    year: int
    filing_status: str
    entered: bool  # an income entry exists for the year
    items: YearItems
    inputs: dict[str, Any]
    outputs: dict[str, float] = field(default_factory=dict)
    form8801: dict[str, float] = field(default_factory=dict)
    credit_created: float = 0.0
    projected: bool = False
    notes: list[str] = field(default_factory=list)
    result: Any = None  # FederalResult (length 1)
    state: str | None = None  # state of residence; None: federal only
    state_year: StateYear | None = None  # the state's return, when the state is modeled and its law covers the year

    @property
    def california(self) -> bool:
        """True when the year's California return was computed."""
        return self.state_year is not None and self.state_year.jurisdiction.code == "CA"

    @property
    def _ca(self) -> StateYear | None:
        return self.state_year if self.california else None

    @property
    def ca_inputs(self) -> dict[str, float]:
        """California's own amounts (property_tax, credit carried in); empty unless a California year."""
        return self._ca.inputs if self._ca else {}

    @property
    def ca_outputs(self) -> dict[str, float]:
        """Every California line (California years only)."""
        return self._ca.outputs if self._ca else {}

    @property
    def ftb3510(self) -> dict[str, float]:
        """The FTB 3510 lines of the year (California years only)."""
        return self._ca.credit_lines if self._ca else {}

    @property
    def ca_credit_created(self) -> float:
        """California AMT less its net minimum tax on exclusion items."""
        return self._ca.credit_created if self._ca else 0.0

    @property
    def ca_projected(self) -> bool:
        return self._ca.projected if self._ca else False

    @property
    def ca_notes(self) -> list[str]:
        """The California law behind the year."""
        return self._ca.notes if self._ca else []

    @property
    def ca_result(self) -> Any:
        """The California result (length 1), None unless a California year."""
        return self._ca.result if self._ca else None


def ledger_years(
    lots: Sequence[Lot],
    sales: Sequence[Sale],
    income: Mapping[int, tuple[str, Mapping[str, Decimal]]],
    law: Any = None,
    *,
    deduction: str = "auto",
    states: Mapping[int, str | None] | None = None,
    ca_law: Any = None,
) -> tuple[list[LedgerYear], list[str]]:
    """The year table and general notes.

    ``states``: each entered year's state of residence (``Ledger.states()``);
    a year with no entry takes the state of the entry its filing status
    comes from. ``ca_law``: the California law table (default
    :func:`isoplan.tax.states.california.ca_law_table`).
    """
    from isoplan.tax.form8801 import minimum_tax_credit_years
    from isoplan.tax.households import households
    from isoplan.tax.law import law_table
    from isoplan.tax.states import state_input_names

    law = law or law_table()
    items = year_items(lots, sales)
    notes: list[str] = []
    wanted = sorted(set(items) | set(income))
    if not wanted:
        return [], ["the ledger has no income entries and no exercises or sales yet"]
    outside = [y for y in wanted if not (law.first_year <= y <= law.last_year)]
    if outside:
        notes.append(f"years {', '.join(map(str, outside))} are outside the law isoplan has "
                     f"({law.first_year}-{law.last_year}) and are left out; enter any credit carried into "
                     f"{law.first_year} as its amt_credit_carryforward")
    inside = [y for y in wanted if law.first_year <= y <= law.last_year]
    if not inside:
        return [], notes
    rows: list[LedgerYear] = []
    statuses = {y: s for y, (s, _) in income.items()}
    states = dict(states or {})
    initial_credit = 0.0
    state_entered: dict[int, dict[str, float]] = {}
    state_fields = tuple(dict.fromkeys((*CA_INCOME_FIELDS, *sorted(state_input_names()))))
    for year in range(inside[0], inside[-1] + 1):
        entered = year in income
        if entered:
            status, amounts = income[year]
            entry = {k: float(v) for k, v in amounts.items()}
        else:
            earlier = [y for y in statuses if y < year]
            later = [y for y in statuses if y > year]
            pick = max(earlier) if earlier else (min(later) if later else None)
            status = statuses[pick] if pick is not None else "single"
            entry = {}
            states.setdefault(year, states.get(pick) if pick is not None else None)
        # a state's own amounts are not inputs of the federal Households
        state_entered[year] = {name: entry.pop(name, 0.0) for name in state_fields}
        carried_in = entry.pop("amt_credit_carryforward", 0.0)
        if year == inside[0]:
            initial_credit = carried_in
        elif carried_in:
            notes.append(f"{year}: the amt_credit_carryforward entered ({carried_in:,.0f}) is not used; the ledger "
                         f"carries the credit from {inside[0]} itself (enter earlier credit in {inside[0]})")
        year_item = items.get(year, YearItems(year))
        loss_limit = float(law.laws[year].value("capital_loss_limit", status))
        merged = merge_year_inputs(entry, year_item, loss_limit)
        row = LedgerYear(year, status, entered, year_item, merged, state=states.get(year))
        if not entered:
            row.notes.append(f"no income entered for {year}: computed with the option items only, filing "
                             f"{status} (enter it with `isoplan ledger income {year} ...`)")
        row.notes.extend(year_item.notes)
        rows.append(row)
    hh = [households(year=r.year, filing_status=r.filing_status, **r.inputs) for r in rows]
    credit_years = minimum_tax_credit_years(hh, law, deduction=deduction,  # type: ignore[arg-type]
                                            initial_carryforward=initial_credit, carry_capital_losses=True)
    hh = [cy.households or h for cy, h in zip(credit_years, hh, strict=True)]  # capital losses carried in
    for i, (row, cy) in enumerate(zip(rows, credit_years, strict=True)):
        if i:
            for name in _CARRIED:
                value = float(getattr(hh[i], name)[0])
                if value != row.inputs.get(name, 0.0):
                    row.inputs[name] = value
        row.result = cy.result
        row.outputs = {k: float(v[0]) for k, v in cy.result.lines.items()}
        row.form8801 = {k: float(v[0]) for k, v in cy.lines.items()}
        row.credit_created = float(cy.credit_created[0])
        row.projected = bool(cy.result.projected[0])
    _state_years(rows, hh, state_entered, ca_law, deduction, notes)
    return rows, notes


def _state_years(rows: list[LedgerYear], hh: list[Any], entered: Mapping[int, Mapping[str, float]],
                 ca_law: Any, deduction: str, notes: list[str]) -> None:
    """The state return of every year in a modeled state, each state's AMT credit carried across its years.

    A year in a state isoplan does not model gets the federal-only note; the
    years of each modeled state go through :func:`_one_state_years`, states in
    the order the ledger first reaches them.
    """
    from isoplan.tax.states import federal_only_note, jurisdiction

    codes: list[str] = []
    for row in rows:
        if row.state is not None and jurisdiction(row.state) is None:
            row.notes.append(federal_only_note(row.state))
        elif row.state is not None and row.state not in codes:
            codes.append(row.state)
    for code in codes:
        state = jurisdiction(code)
        assert state is not None
        law = ca_law if code == "CA" and ca_law is not None else state.law_table()
        _one_state_years(state, [i for i, r in enumerate(rows) if r.state == code], rows, hh, entered, law,
                         deduction, notes)


def _one_state_years(state: Any, wanted: Sequence[int], rows: list[LedgerYear], hh: list[Any],
                     entered: Mapping[int, Mapping[str, float]], law: Any, deduction: str, notes: list[str]) -> None:
    """The return of every year (``wanted``: row indices) in one modeled state, its AMT credit carried.

    Each run of consecutive years of the state goes through the state's
    credit chain (California: FTB 3510); the credit left after a run (what it
    carried forward plus the credit its last year created) is carried into
    the next run: the California credit carryover has no time limit (R&TC
    §17063(b)), and isoplan models no return of the state for the years between.
    """
    from isoplan.tax.states import carried_credit_field, inputs_of

    inside = [i for i in wanted if law.first_year <= rows[i].year <= law.last_year]
    outside = [rows[i].year for i in wanted if i not in inside]
    if outside:
        notes.append(f"{state.name} years {', '.join(map(str, outside))} are outside the {state.name} law isoplan "
                     f"has ({law.first_year}-{law.last_year}): federal only")
    if not inside:
        return
    first = rows[inside[0]].year
    credit_field = carried_credit_field(state)
    for i in inside[1:]:
        extra = entered[rows[i].year].get(credit_field, 0.0) if credit_field else 0.0
        if extra:
            notes.append(f"{rows[i].year}: the {credit_field} entered ({extra:,.0f}) is not used; the ledger carries "
                         f"the {state.credit_form} credit from {first} itself (enter earlier credit in {first})")
    runs: list[list[int]] = []
    for i in inside:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    carry = entered[first].get(credit_field, 0.0) if credit_field else 0.0
    used_line = state.credit_lines.credit_used
    for k, run in enumerate(runs):
        years = state.credit_years([hh[i] for i in run], law, deduction=deduction,
                                   inputs_by_year=[inputs_of(state, entered[rows[i].year]) for i in run],
                                   initial_carryforward=carry)
        for i, cy in zip(run, years, strict=True):
            row = rows[i]
            row.state_year = StateYear(
                jurisdiction=state,
                inputs={f.name: float(entered[row.year].get(f.name, 0.0)) for f in state.extra_inputs},
                outputs={key: float(v[0]) for key, v in cy.result.lines.items()},
                credit_lines={key: float(v[0]) for key, v in cy.lines.items()},
                credit_available=float(cy.credit_available[0]),
                credit_used=float(cy.result.lines[used_line][0]),
                credit_created=float(cy.credit_created[0]),
                projected=bool(cy.result.projected[0]),
                notes=state.year_notes(law, row.year, int(hh[i].filing_status[0])),
                result=cy.result,
            )
        last = rows[run[-1]].state_year
        assert last is not None
        carry = max(last.credit_carried_forward + last.credit_created, 0.0)
        if k + 1 < len(runs) and carry:
            end, start = rows[run[-1]].year, rows[runs[k + 1][0]].year
            notes.append(f"{state.name} AMT credit {carry:,.0f} carried unused through {end + 1}-{start - 1} "
                         f"(state not {state.code}: no {state.name} return modeled) into {start}")
