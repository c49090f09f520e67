"""The ledger's tax years: each year's return with the option items in it, and the credit carried.

For every year from the first to the last with an income entry or an
option event, the household's own entries are merged with what the lots and
sales put on the return (:func:`isoplan.equity.years.merge_year_inputs`),
then the years run through the engine in order with the minimum tax credit
carried by Form 8801 (:func:`isoplan.tax.form8801.minimum_tax_credit_years`).
A year with events but no income entry is computed with zero other income
(and says so); years outside the law isoplan has are left out (and said).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from isoplan.equity.records import Lot, Sale
from isoplan.equity.years import YearItems, merge_year_inputs, year_items


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


def ledger_years(
    lots: Sequence[Lot],
    sales: Sequence[Sale],
    income: Mapping[int, tuple[str, Mapping[str, Decimal]]],
    law: Any = None,
    *,
    deduction: str = "auto",
) -> tuple[list[LedgerYear], list[str]]:
    """The year table and general notes."""
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
    initial_credit = 0.0
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
        carried_in = entry.pop("amt_credit_carryforward", 0.0)
        if year == inside[0]:
            initial_credit = carried_in
        elif carried_in:
            notes.append(f"{year}: the amt_credit_carryforward entered ({carried_in:,.0f}) is not used; the ledger "
                         f"carries the credit from {inside[0]} itself (enter earlier credit in {inside[0]})")
        year_item = items.get(year, YearItems(year))
        loss_limit = float(law.laws[year].value("capital_loss_limit", status))
        merged = merge_year_inputs(entry, year_item, loss_limit)
        row = LedgerYear(year, status, entered, year_item, merged)
        if not entered:
            row.notes.append(f"no income entered for {year}: computed with the option items only, filing "
                             f"{status} (enter it with `isoplan ledger income {year} ...`)")
        row.notes.extend(year_item.notes)
        rows.append(row)
    hh = [households(year=r.year, filing_status=r.filing_status, **r.inputs) for r in rows]
    credit_years = minimum_tax_credit_years(hh, law, deduction=deduction,  # type: ignore[arg-type]
                                            initial_carryforward=initial_credit)
    for row, cy in zip(rows, credit_years, strict=True):
        row.result = cy.result
        row.outputs = {k: float(v[0]) for k, v in cy.result.lines.items()}
        row.form8801 = {k: float(v[0]) for k, v in cy.lines.items()}
        row.credit_created = float(cy.credit_created[0])
        row.projected = bool(cy.result.projected[0])
    return rows, notes
