"""What a year's return gets from the option records: the engine's inputs, by year.

* ISO lots: the AMT adjustment (Form 6251 line 2i) in the year it arises,
  less the shares sold that same year (no adjustment for them);
* NSO lots: the compensation income in the year it is measured
  (``nso_income``: wages and Medicare wages, Treas. Reg. §1.83-7);
* sales: disqualifying-disposition income (``other_ordinary_income``), the
  regular-tax gains (Schedule D), the short- and long-term gains refigured
  with AMT basis (the AMT Schedule D, whose net capital gain is Form 6251
  Part III line 13) and the line 2k adjustment: AMT minus regular results,
  with the $3,000 capital-loss limit applied separately for AMT (Form 6251
  instructions, line 2k; IRC §1211(b)).

:func:`merge_year_inputs` works on floats or NumPy arrays alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from isoplan.equity.disposition import dispositions, sale_flags
from isoplan.equity.records import ISO, NSO, Lot, Sale

ITEM_NAMES = (
    "iso_bargain_element",
    "nso_income",
    "disqualifying_income",
    "regular_short_term_gain",
    "regular_long_term_gain",
    "amt_ordinary_income",
    "amt_short_term_gain",
    "amt_long_term_gain",
    "sales_line2k",
    "proceeds",
)


@dataclass
class YearItems:
    """One year's totals from the option records (dollars)."""

    year: int
    iso_bargain_element: float = 0.0
    nso_income: float = 0.0
    disqualifying_income: float = 0.0
    regular_short_term_gain: float = 0.0
    regular_long_term_gain: float = 0.0
    amt_ordinary_income: float = 0.0
    amt_short_term_gain: float = 0.0
    amt_long_term_gain: float = 0.0
    sales_line2k: float = 0.0
    proceeds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def regular_ordinary_income(self) -> float:
        return self.nso_income + self.disqualifying_income


def year_items(lots: Sequence[Lot], sales: Sequence[Sale]) -> dict[int, YearItems]:
    """Totals per year from ``lots`` and ``sales`` (sales reference lots by id)."""
    by_id = {lot.id: lot for lot in lots}
    out: dict[int, YearItems] = {}

    def get(year: int) -> YearItems:
        return out.setdefault(year, YearItems(year))

    for lot in lots:
        if lot.kind == ISO:
            year = lot.amt_adjustment_year
            assert year is not None
            item = get(year)
            item.iso_bargain_element += float(lot.amt_adjustment)
            if lot.vesting_fmv_missing:
                item.notes.append(f"lot {lot.id}: vesting-date FMV not entered; the exercise-date FMV stands in "
                                  f"for the {year} AMT adjustment")
        elif lot.kind == NSO:
            year = lot.nso_income_year
            assert year is not None
            item = get(year)
            item.nso_income += float(lot.nso_ordinary_income)
            if lot.vesting_fmv_missing:
                item.notes.append(f"lot {lot.id}: vesting-date FMV not entered; the exercise-date FMV stands in "
                                  f"for the {year} NSO income")
    if sales:
        sale_lots = [by_id[s.lot_id] for s in sales]
        flags = [sale_flags(lot, s.date) for lot, s in zip(sale_lots, sales, strict=True)]
        d = dispositions(
            iso=[lot.kind == ISO for lot in sale_lots],
            shares=[s.shares for s in sales],
            strike=[float(lot.strike) for lot in sale_lots],
            price=[float(s.price) for s in sales],
            income_fmv=[float(lot.income_fmv) for lot in sale_lots],
            amt_fmv=[float(lot.measurement_fmv) for lot in sale_lots],
            qualifying=[f["qualifying"] for f in flags],
            same_year=[f["same_year"] for f in flags],
            long_term=[f["long_term"] for f in flags],
            amt_long_term=[f["amt_long_term"] for f in flags],
            loss_cap_lost=[s.wash_sale_or_related_party for s in sales],
        )
        years = np.asarray([s.date.year for s in sales])
        for year in np.unique(years):
            mask = years == year
            item = get(int(year))
            item.iso_bargain_element += float(d.line2i_same_year[mask].sum())
            item.disqualifying_income += float(d.regular_ordinary_income[mask].sum())
            item.regular_short_term_gain += float(d.regular_short_term_gain[mask].sum())
            item.regular_long_term_gain += float(d.regular_long_term_gain[mask].sum())
            item.amt_ordinary_income += float(d.amt_ordinary_income[mask].sum())
            item.amt_short_term_gain += float(d.amt_short_term_gain[mask].sum())
            item.amt_long_term_gain += float(d.amt_long_term_gain[mask].sum())
            item.sales_line2k += float(d.line2k[mask].sum())
            item.proceeds += float(d.proceeds[mask].sum())
    return dict(sorted(out.items()))


def merge_year_inputs(entry: Mapping[str, Any], items: YearItems | Mapping[str, Any],
                      capital_loss_limit: Any) -> dict[str, Any]:
    """The engine's inputs for a year: the household's own entries plus the option items.

    ``entry`` holds household inputs (wages, gains, ...; it may already hold
    line 2i/2k amounts from outside the ledger). ``capital_loss_limit`` is the
    year's §1211(b) limit for the filing status (a tax parameter).
    """
    def val(source: Any, name: str) -> Any:
        if isinstance(source, Mapping):
            return source.get(name, 0.0) or 0.0
        return getattr(source, name)

    def amt_entry(amt_name: str, regular: Any) -> Any:  # an AMT-basis entry defaults to the regular one
        value = entry.get(amt_name)
        return regular if value is None else value

    st = val(entry, "short_term_gain")
    lt = val(entry, "long_term_gain")
    st_carry = val(entry, "short_term_loss_carryover")
    lt_carry = val(entry, "long_term_loss_carryover")
    amt_st_entry = amt_entry("amt_short_term_gain", st)
    amt_lt_entry = amt_entry("amt_long_term_gain", lt)
    amt_st_carry = amt_entry("amt_short_term_loss_carryover", st_carry)
    amt_lt_carry = amt_entry("amt_long_term_loss_carryover", lt_carry)
    # Schedule D line 16 on each basis (IRC §1212(b) carryovers in)
    regular_net = (st - st_carry + lt - lt_carry
                   + val(items, "regular_short_term_gain") + val(items, "regular_long_term_gain"))
    amt_net = (amt_st_entry - amt_st_carry + amt_lt_entry - amt_lt_carry
               + val(items, "amt_short_term_gain") + val(items, "amt_long_term_gain"))
    # the NSO spread is wages (Medicare wages too); disqualifying-disposition income is not (§3121(a)(22))
    regular_ordinary = val(items, "disqualifying_income")
    line2k = (
        val(entry, "amt_disposition_adjustment")
        + (val(items, "amt_ordinary_income") - val(items, "disqualifying_income"))
        + (np.maximum(amt_net, -capital_loss_limit) - np.maximum(regular_net, -capital_loss_limit))
    )
    out = dict(entry)
    out.update(
        nso_income=val(entry, "nso_income") + val(items, "nso_income"),
        other_ordinary_income=val(entry, "other_ordinary_income") + regular_ordinary,
        short_term_gain=st + val(items, "regular_short_term_gain"),
        long_term_gain=lt + val(items, "regular_long_term_gain"),
        amt_short_term_gain=amt_st_entry + val(items, "amt_short_term_gain"),
        amt_long_term_gain=amt_lt_entry + val(items, "amt_long_term_gain"),
        # never below zero: same-year sales only take back their own lots' adjustment (rounding aside)
        iso_bargain_element=np.maximum(val(entry, "iso_bargain_element") + val(items, "iso_bargain_element"), 0.0),
        amt_disposition_adjustment=line2k,
    )
    for name in ("amt_disposition_adjustment", "iso_bargain_element"):
        if isinstance(out[name], np.ndarray | np.floating) and np.ndim(out[name]) == 0:
            out[name] = float(out[name])
    return out


def held_shares(lots: Iterable[Lot], sales: Iterable[Sale]) -> dict[str, int]:
    """Shares each lot still holds after ``sales``."""
    left = {lot.id: lot.shares for lot in lots}
    for sale in sales:
        left[sale.lot_id] -= sale.shares
    return left
