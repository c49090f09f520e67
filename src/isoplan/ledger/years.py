"""The ledger's tax years: each year's return with the option items in it, and the credit carried.

For every year from the first to the last with an income entry or an
option event, the household's own entries are merged with what the lots and
sales put on the return (:func:`isoplan.equity.years.merge_year_inputs`),
then the years run through the engine in order with the minimum tax credit
carried by Form 8801 (:func:`isoplan.tax.form8801.minimum_tax_credit_years`).
A year with events but no income entry is computed with zero other income
(and says so); years outside the law isoplan has are left out (and said).

A year whose state is CA also gets the California return (Form 540,
Schedule P (540)) with the FTB 3510 credit carried from California year to
California year (:func:`isoplan.tax.states.california.ca_credit_years`); years in
another state (or none) between them carry the credit unused.
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
    ca_inputs: dict[str, float] = field(default_factory=dict)  # property_tax, credit carried in
    ca_outputs: dict[str, float] = field(default_factory=dict)  # every California line (CA years only)
    ftb3510: dict[str, float] = field(default_factory=dict)  # FTB 3510 lines of the year (CA years only)
    ca_credit_created: float = 0.0  # California AMT less its net minimum tax on exclusion items
    ca_projected: bool = False
    ca_notes: list[str] = field(default_factory=list)  # the California law behind the year
    ca_result: Any = None  # CaliforniaResult (length 1)

    @property
    def california(self) -> bool:
        """True when the year's California return was computed."""
        return self.ca_result is not None


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
    ca_entered: dict[int, dict[str, float]] = {}
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
        # California's own amounts are not inputs of the federal Households
        ca_entered[year] = {name: entry.pop(name, 0.0) for name in CA_INCOME_FIELDS}
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
    _california_years(rows, hh, ca_entered, ca_law, deduction, notes)
    return rows, notes


def _california_years(rows: list[LedgerYear], hh: list[Any], entered: Mapping[int, Mapping[str, float]],
                      ca_law: Any, deduction: str, notes: list[str]) -> None:
    """The California return of every CA year, FTB 3510 carried across them.

    Each run of consecutive California years goes through
    :func:`ca_credit_years`; the credit left after a run (what it carried
    forward plus the credit its last year created) is carried into the next
    run: the California credit carryover has no time limit (R&TC §17063(b)),
    and isoplan models no California return for the years between.
    """
    from isoplan.tax.states import federal_only_note, jurisdiction

    for row in rows:
        if row.state is not None and jurisdiction(row.state) is None:
            row.notes.append(federal_only_note(row.state))
    wanted = [i for i, r in enumerate(rows) if r.state == "CA"]
    if not wanted:
        return
    from isoplan.tax.states.california import ca_credit_years, ca_law_table, ca_year_notes

    ca_law = ca_law or ca_law_table()
    inside = [i for i in wanted if ca_law.first_year <= rows[i].year <= ca_law.last_year]
    outside = [rows[i].year for i in wanted if i not in inside]
    if outside:
        notes.append(f"California years {', '.join(map(str, outside))} are outside the California law isoplan has "
                     f"({ca_law.first_year}-{ca_law.last_year}): federal only")
    if not inside:
        return
    first = rows[inside[0]].year
    for i in inside[1:]:
        extra = entered[rows[i].year]["ca_amt_credit_carryforward"]
        if extra:
            notes.append(f"{rows[i].year}: the ca_amt_credit_carryforward entered ({extra:,.0f}) is not used; the "
                         f"ledger carries the FTB 3510 credit from {first} itself (enter earlier credit in {first})")
    runs: list[list[int]] = []
    for i in inside:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    carry = entered[first]["ca_amt_credit_carryforward"]
    for run in runs:
        years = ca_credit_years([hh[i] for i in run], ca_law, deduction=deduction,  # type: ignore[arg-type]
                                property_tax=[entered[rows[i].year]["property_tax"] for i in run],
                                initial_carryforward=carry)
        for i, cy in zip(run, years, strict=True):
            row = rows[i]
            row.ca_result = cy.result
            row.ca_inputs = {name: float(entered[row.year][name]) for name in CA_INCOME_FIELDS}
            row.ca_outputs = {k: float(v[0]) for k, v in cy.result.lines.items()}
            row.ftb3510 = {k: float(v[0]) for k, v in cy.lines.items()}
            row.ca_credit_created = float(cy.credit_created[0])
            row.ca_projected = bool(cy.result.projected[0])
            row.ca_notes = ca_year_notes(ca_law, row.year, int(hh[i].filing_status[0]))
        last = rows[run[-1]]
        carry = max(last.ftb3510["carryover_out"] + last.ca_credit_created, 0.0)
        if run is not runs[-1] and carry:
            gap = f"{last.year + 1}-{rows[runs[runs.index(run) + 1][0]].year - 1}"
            notes.append(f"California AMT credit {carry:,.0f} carried unused through {gap} (state not CA: "
                         f"no California return modeled) into {rows[runs[runs.index(run) + 1][0]].year}")
