"""Federal income tax and the Alternative Minimum Tax, vectorized over households.

One call computes, for every household at once:

* Form 1040: AGI (line 11), the deduction (Schedule A or standard, plus the
  2026 non-itemizer charitable deduction and the 2025-2028 senior deduction),
  taxable income (line 15) and the tax (line 16) through the Qualified
  Dividends and Capital Gain Tax Worksheet, using the Tax Table under $100,000.
* Form 6251 (2025 line numbers; the 2026 draft keeps them): AMTI (line 4,
  with the MFS add-on), the exemption and its phase-out (line 5), the
  tentative minimum tax with Part III capital-gain rates (lines 7-9), and the
  AMT (line 11).
* Form 8801 Part II lines 21-26: the prior-year minimum tax credit used this
  year, limited to regular tax minus TMT (IRC §53(c)).
* Form 8960 (NIIT) and Form 8959 (Additional Medicare Tax).

Locals are named after form lines. Amounts are float64 dollars, not rounded
except where the form itself rounds (the Tax Table). No parameter is written
here: every rate and threshold comes from :mod:`isoplan.tax.law`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Literal

import numpy as np

from isoplan.errors import InputError
from isoplan.tax.households import Households
from isoplan.tax.law import STATUS_CODE, STATUSES, LawTable, law_table
from isoplan.tax.schedule_d import loss_carryover, schedule_d

Deduction = Literal["auto", "standard", "itemized"]

_MFS = STATUS_CODE["mfs"]
#: The deduction election switches only when the other election is cheaper by more than this (dollars):
#: ties go to the larger deduction. The room solver and the planner use the same rule.
ELECTION_TIE = 1e-9


@dataclass(frozen=True)
class FederalResult:
    """Every computed line, as arrays aligned with the input households.

    ``lines`` maps a line key (see :data:`isoplan.tax.explain.LINES`) to its
    array; the main outputs are also attributes.
    """

    lines: Mapping[str, np.ndarray] = field(repr=False)
    projected: np.ndarray

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            line: np.ndarray = self.__dict__["lines"][name]
        except KeyError:
            raise AttributeError(name) from None
        return line

    def __len__(self) -> int:
        return int(self.projected.shape[0])


class _InInputOrder(Mapping[str, np.ndarray]):
    """Lines computed in (year, status) order, put back in input order when first read."""

    def __init__(self, sorted_lines: dict[str, np.ndarray], order: np.ndarray) -> None:
        self._sorted = sorted_lines
        self._order = order
        self._done: dict[str, np.ndarray] = {}

    def __getitem__(self, key: str) -> np.ndarray:
        done = self._done.get(key)
        if done is None:
            values = self._sorted[key]
            done = np.empty_like(values)
            done[self._order] = values
            self._done[key] = done
        return done

    def __iter__(self) -> Iterator[str]:
        return iter(self._sorted)

    def __len__(self) -> int:
        return len(self._sorted)


def bracket_tax(income: np.ndarray, tops: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Tax on ``income`` by a progressive schedule (IRC §1(j)(2) rate tables).

    ``tops[..., k]`` is the top of bracket k, ``rates[..., k]`` its rate; the
    last rate applies above the last top. Computed as the first rate on all
    income plus each rate step on income above each top.
    """
    rates = np.asarray(rates)
    tax: np.ndarray = rates[..., 0] * income
    for k in range(tops.shape[-1]):
        step = rates[..., k + 1] - rates[..., k]
        tax = tax + step * np.maximum(income - tops[..., k], 0.0)
    return tax


def tax_on_ordinary_income(income: np.ndarray, p: SimpleNamespace) -> np.ndarray:
    """Form 1040 tax on ordinary taxable income: Tax Table below its limit, else the schedule.

    The Tax Table taxes the midpoint of the income's row and rounds to the
    whole dollar (Form 1040 instructions, line 16). Rows: [0, 5) pays 0, then
    $10 rows to $25, $25 rows to $3,000, $50 rows to $100,000.
    """
    table = p.tax_table
    first = table.first_rows  # [5, 15, 25]
    wide = np.floor(income / table.wide_row) * table.wide_row + table.wide_row / 2
    narrow = np.floor(income / table.narrow_row) * table.narrow_row + table.narrow_row / 2
    # the first rows: [5, 15) -> midpoint 10, [15, 25) -> midpoint 20
    tiny = np.where(income < first[1], (first[0] + first[1]) / 2, (first[1] + first[2]) / 2)
    midpoint = np.where(income >= table.wide_from, wide, np.where(income >= first[2], narrow, tiny))
    in_table = income < table.limit
    taxed = np.where(in_table, midpoint, income)
    tax = bracket_tax(taxed, p.ordinary_brackets, p.ordinary_rates)
    tax = np.where(in_table, np.floor(tax + 0.5), tax)
    return np.where(income < first[0], 0.0, tax)


def amt_rate_tax(base: np.ndarray, p: SimpleNamespace) -> np.ndarray:
    """26% of the AMT base up to the breakpoint, 28% above (IRC §55(b)(1)(A); Form 6251 line 7)."""
    low, high = p.amt_rates[..., 0], p.amt_rates[..., 1]
    line7: np.ndarray = low * base + (high - low) * np.maximum(base - p.amt_breakpoint, 0.0)
    return line7


#: Rows per chunk: small enough for the working arrays to stay in the CPU cache.
CHUNK_ROWS = 32_768


def form6251_from_amti(
    amti_before_addon: np.ndarray,
    status: np.ndarray,
    line13: np.ndarray,
    line21: np.ndarray,
    line29: np.ndarray,
    p: SimpleNamespace,
) -> dict[str, np.ndarray]:
    """Form 6251 line 4 (with the MFS add-on) through line 7, from AMTI before the add-on.

    ``line13``: qualified dividends and net capital gain with AMT basis;
    ``line21`` / ``line29``: the room left in the 0% and 15% bands, measured
    on regular-tax ordinary income (lines 19-21 and 25-29). Shared by the
    engine and by the room solver, which evaluates it at many spreads.
    """
    # MFS: AMTI above the exemption's zero point is increased (§55(d) flush language)
    mfs_zero_point = p.amt_phaseout_start + p.amt_exemption / p.amt_phaseout_rate
    mfs_addon = np.where(
        status == _MFS,
        np.minimum(p.amt_mfs_addon_rate * np.maximum(amti_before_addon - mfs_zero_point, 0.0), p.amt_exemption),
        0.0,
    )
    line4 = amti_before_addon + mfs_addon
    # ---- Part II ----
    line5 = np.maximum(p.amt_exemption - p.amt_phaseout_rate * np.maximum(line4 - p.amt_phaseout_start, 0.0), 0.0)
    line6 = np.maximum(line4 - line5, 0.0)
    # ---- Part III: capital gains keep their rates inside the AMT (§55(b)(3)) ----
    cg_rates = p.capital_gain_rates
    line12 = line6
    line16 = np.minimum(line12, line13)
    line17 = line12 - line16
    line18 = amt_rate_tax(line17, p)
    line22 = np.minimum(line12, line13)
    line23 = np.minimum(line21, line22)
    line24 = line22 - line23
    line30 = np.minimum(line24, line29)
    line31 = cg_rates[..., 1] * line30
    line32 = line23 + line30
    line33 = line22 - line32
    line34 = cg_rates[..., 2] * line33
    line38 = line18 + line31 + line34
    line39 = amt_rate_tax(line12, p)
    line40 = np.minimum(line38, line39)
    line7 = np.where(line13 > 0, line40, line39)
    return {"mfs_addon": mfs_addon, "line4": line4, "line5": line5, "line6": line6, "line18": line18,
            "line31": line31, "line34": line34, "line39": line39, "line7": line7}


def compute_federal(
    h: Households,
    law: LawTable | None = None,
    *,
    deduction: Deduction = "auto",
    keep: Iterable[str] | None = None,
) -> FederalResult:
    """Federal tax of every household in ``h``.

    ``keep``: the line keys to return (default: every line). Large batches that
    need only a few outputs (the optimizer, ``--batch``) save the memory and
    time of storing ~65 arrays.

    ``deduction``: ``"auto"`` takes the election with the lower regular tax +
    AMT - minimum tax credit (IRC §63(e) lets a filer itemize even below the
    standard deduction, which can pay when the AMT binds: TAX_FACTS H); ties
    go to the larger deduction. ``"standard"`` or ``"itemized"`` forces one.

    Households are computed in groups sharing a year and filing status (so
    the law's parameters are scalars) and in cache-sized chunks; the result
    is in input order.
    """
    if deduction not in ("auto", "standard", "itemized"):
        raise InputError("deduction", deduction, "auto, standard or itemized")
    law = law or law_table()
    n = len(h)
    year_index = law.year_index(h.year)
    projected = law.projected[year_index]
    key = year_index * len(STATUSES) + h.filing_status
    if n == 0:
        return FederalResult(lines={}, projected=projected)
    order: np.ndarray | None = None
    if key.min() == key.max():
        groups = [(0, n, int(key[0]))]
        rows = h
    else:
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        cuts = [0, *(np.flatnonzero(np.diff(sorted_key)) + 1).tolist(), n]
        groups = [(a, b, int(sorted_key[a])) for a, b in itertools.pairwise(cuts)]
        rows = h.take(order)
    lines: dict[str, np.ndarray] = {}
    for start, stop, group_key in groups:
        p = law.parameters(*divmod(group_key, len(STATUSES)))
        for a in range(start, stop, CHUNK_ROWS):
            b = min(a + CHUNK_ROWS, stop)
            chunk = rows if (a, b) == (0, n) else rows.slice(a, b)
            chunk_lines = _compute_chunk(chunk, p, deduction)
            if keep is not None:
                chunk_lines = {k: chunk_lines[k] for k in keep}
            if (a, b) == (0, n):
                lines = chunk_lines
                break
            if not lines:
                lines = {k: np.empty(n, dtype=v.dtype) for k, v in chunk_lines.items()}
            for k, v in chunk_lines.items():
                lines[k][a:b] = v
    return FederalResult(lines=lines if order is None else _InInputOrder(lines, order), projected=projected)


def _compute_chunk(h: Households, p: SimpleNamespace, deduction: Deduction) -> dict[str, np.ndarray]:
    """All lines for households that share one year and filing status."""
    pre = _income_and_deductions(h, p)
    n = len(h)
    if deduction == "standard":
        itemize = np.zeros(n, dtype=bool)
    elif deduction == "itemized":
        itemize = np.ones(n, dtype=bool)
    else:
        itemize = pre["itemized_allowed"] > pre["standard_total"]
    lines = _tax_lines(h, p, pre, itemize)
    if deduction == "auto":
        _try_other_election(h, p, pre, lines, itemize)
    return lines


def _try_other_election(
    h: Households,
    p: SimpleNamespace,
    pre: dict[str, np.ndarray],
    lines: dict[str, np.ndarray],
    itemize: np.ndarray,
) -> None:
    """Where the AMT or the minimum tax credit is in play, check the other election (in place).

    The other election always has the smaller regular deduction, so its
    regular tax is at least as high; it can only win by lowering TMT, which
    needs a larger deduction that the AMT allows (mortgage interest, charity
    and other itemized deductions when itemizing; the §170(p) charity when
    not). Only those rows are recomputed.
    """
    amt_allowed_itemized = pre["itemized_before_68"] - pre["salt_deducted"]
    amt_allowed_standard = pre["nonitemizer_charitable"]
    other_allows_more = np.where(itemize, amt_allowed_standard > amt_allowed_itemized,
                                 amt_allowed_itemized > amt_allowed_standard)
    candidates = ((lines["amt"] > 0) | (h.amt_credit_carryforward > 0)) & other_allows_more
    if not np.any(candidates):
        return
    idx = np.flatnonzero(candidates)
    sub = h.take(idx)
    sub_pre = {k: v[idx] for k, v in pre.items()}
    alt = _tax_lines(sub, p, sub_pre, ~itemize[idx])
    key = "income_tax_after_credit"
    better = alt[key] < lines[key][idx] - ELECTION_TIE
    if not np.any(better):
        return
    rows = idx[better]
    for name, values in alt.items():
        if name in pre or name in _INPUT_ALIASES:
            continue
        lines[name][rows] = values[better]


#: Lines that are the input arrays themselves (never written in place).
_INPUT_ALIASES = frozenset({"amt_line2i", "amt_line2k"})


def _income_and_deductions(h: Households, p: SimpleNamespace) -> dict[str, np.ndarray]:
    """Form 1040 lines 1-11 and both deduction candidates (Schedule A and standard)."""
    status = h.filing_status
    # Schedule D on both bases: line 16 and the §1211(b) loss limit (line 21), carryovers in (§1212(b))
    sched_d = schedule_d(h.short_term_gain, h.long_term_gain, h.short_term_loss_carryover,
                         h.long_term_loss_carryover, p.capital_loss_limit)
    amt_sched_d = schedule_d(h.amt_short_term_gain, h.amt_long_term_gain, h.amt_short_term_loss_carryover,
                             h.amt_long_term_loss_carryover, p.capital_loss_limit)
    net_capital = sched_d["line16"]
    capital_in_agi = sched_d["in_income"]
    agi = (h.wages + h.nso_income + h.taxable_interest + h.ordinary_dividends + h.other_ordinary_income
           + capital_in_agi)
    contribution_base = np.maximum(agi, 0.0)

    # Schedule 1-A: senior deduction per qualifying person, phased out by MAGI (= AGI here)
    per_senior = np.maximum(
        p.senior_deduction
        - p.senior_deduction_phaseout_rate * np.maximum(agi - p.senior_deduction_phaseout_start, 0.0),
        0.0,
    )
    senior_deduction = np.where(status == _MFS, 0.0, h.senior_count * per_senior)

    # Standard deduction (Form 1040 line 12e) with the §63(f) additions
    standard = p.standard_deduction + h.age_65_or_blind * p.standard_deduction_additional
    nonitemizer_charity = np.minimum(h.charitable, p.charitable_nonitemizer)  # §170(p), from 2026

    # Schedule A: SALT cap with the §164(b)(7) phase-down (MAGI = AGI: no foreign exclusions modeled)
    salt_cap = np.maximum(
        p.salt_cap - p.salt_phasedown_rate * np.maximum(agi - p.salt_phasedown_start, 0.0), p.salt_floor
    )
    salt_cap = np.minimum(salt_cap, p.salt_cap)
    salt = np.minimum(h.state_local_tax, salt_cap)
    # §170(b)(1)(G) 60% ceiling, then the §170(b)(1)(I) floor (0.5% from 2026)
    charity = np.maximum(
        np.minimum(h.charitable, p.charitable_agi_limit * contribution_base)
        - p.charitable_floor * contribution_base,
        0.0,
    )
    itemized_total = salt + h.mortgage_interest + charity + h.other_itemized
    # §68 as amended (2026 on): 2/37 of the lesser of the itemized deductions and
    # the taxable income before §68, increased by them, above the 37% bracket start
    start_37 = p.ordinary_brackets[..., -1]
    section_68 = p.itemized_limitation_rate * np.minimum(
        itemized_total, np.maximum(agi - senior_deduction - start_37, 0.0)
    )
    itemized_allowed = itemized_total - section_68
    return {
        "schedule_d_line7": sched_d["line7"],
        "schedule_d_line15": sched_d["line15"],
        "net_capital_gain_or_loss": net_capital,
        "capital_gain_in_agi": capital_in_agi,
        "amt_schedule_d_line7": amt_sched_d["line7"],
        "amt_schedule_d_line15": amt_sched_d["line15"],
        "amt_schedule_d_line16": amt_sched_d["line16"],
        "amt_capital_gain_in_amti": amt_sched_d["in_income"],
        "amt_net_capital_gain": amt_sched_d["net_capital_gain"],
        "agi": agi,
        "senior_deduction": senior_deduction,
        "standard_deduction": standard,
        "nonitemizer_charitable": nonitemizer_charity,
        "standard_total": standard + nonitemizer_charity,
        "salt_cap": salt_cap,
        "salt_deducted": salt,
        "charitable_itemized": charity,
        "itemized_before_68": itemized_total,
        "section_68_reduction": section_68,
        "itemized_allowed": itemized_allowed,
    }


def _tax_lines(
    h: Households, p: SimpleNamespace, pre: dict[str, np.ndarray], itemize: np.ndarray
) -> dict[str, np.ndarray]:
    """Regular tax, NIIT, Additional Medicare Tax, Form 6251 and the credit, for one election."""
    status = h.filing_status
    agi = pre["agi"]
    deduction = np.where(itemize, pre["itemized_allowed"], pre["standard_deduction"])
    nonitemizer_charity = np.where(itemize, 0.0, pre["nonitemizer_charitable"])
    total_deductions = deduction + nonitemizer_charity + pre["senior_deduction"]  # Form 1040 line 14
    taxable_income = np.maximum(agi - total_deductions, 0.0)  # line 15

    # Qualified Dividends and Capital Gain Tax Worksheet (Form 1040 line 16)
    cg_rates = p.capital_gain_rates
    cg_top0, cg_top15 = p.capital_gain_brackets[..., 0], p.capital_gain_brackets[..., 1]
    q1 = taxable_income
    q2 = h.qualified_dividends
    q3 = np.maximum(np.minimum(pre["schedule_d_line15"], pre["net_capital_gain_or_loss"]), 0.0)
    q4 = q2 + q3
    q5 = np.maximum(q1 - q4, 0.0)
    q7 = np.minimum(q1, cg_top0)
    q8 = np.minimum(q5, q7)
    q9 = q7 - q8  # taxed at 0%
    q10 = np.minimum(q1, q4)
    q12 = q10 - q9
    q14 = np.minimum(q1, cg_top15)
    q16 = np.maximum(q14 - (q5 + q9), 0.0)
    q17 = np.minimum(q12, q16)
    q18 = cg_rates[..., 1] * q17
    q20 = q10 - (q9 + q17)
    q21 = cg_rates[..., 2] * q20
    q22 = tax_on_ordinary_income(q5, p)
    q23 = q18 + q21 + q22
    q24 = tax_on_ordinary_income(q1, p)
    regular_tax = np.where(q4 > 0, np.minimum(q23, q24), q24)

    # Form 8960: NIIT on the lesser of net investment income and MAGI over the threshold
    nii = np.maximum(h.taxable_interest + h.ordinary_dividends + pre["capital_gain_in_agi"], 0.0)
    niit = p.niit_rate * np.minimum(nii, np.maximum(agi - p.niit_threshold, 0.0))
    # Form 8959: 0.9% of Medicare wages (W-2 box 5: wages and the NSO spread, Treas. Reg. §1.83-7) over the
    # threshold; ISO exercise and disqualifying-disposition income are not FICA wages (§3121(a)(22))
    medicare_wages = h.wages + h.nso_income
    additional_medicare = p.additional_medicare_rate * np.maximum(
        medicare_wages - p.additional_medicare_threshold, 0.0
    )

    # ---- Form 6251 Part I: AMTI ----
    line1a = total_deductions - pre["senior_deduction"]
    line1b = agi - line1a  # may be negative
    line2a = np.where(itemize, pre["salt_deducted"], pre["standard_deduction"])  # §56(b)(1)(A)(ii), (E)
    line2i = h.iso_bargain_element  # §56(b)(3)
    line2k = h.amt_disposition_adjustment
    # §56(b)(1)(F): §68 does not apply for AMTI, so its reduction is deducted back [S, TAX_FACTS A9]
    section_68_restored = np.where(itemize, -pre["section_68_reduction"], 0.0)
    line3 = h.other_amt_adjustments + section_68_restored
    amti_before_addon = line1b + line2a + line2i + line2k + line3
    # Part III bands are measured on regular-tax ordinary income (QDCG worksheet line 5): lines 20-21, 27-29
    # line 13: qualified dividends + net capital gain from the AMT Schedule D (IRC §1222(11), AMT basis)
    line13 = h.qualified_dividends + pre["amt_net_capital_gain"]
    line21 = np.maximum(cg_top0 - q5, 0.0)
    line29 = np.maximum(cg_top15 - (line21 + q5), 0.0)
    part = form6251_from_amti(amti_before_addon, status, line13, line21, line29, p)
    mfs_addon, line4, line5, line6 = part["mfs_addon"], part["line4"], part["line5"], part["line6"]
    line18, line31, line34, line39, line7 = (part[k] for k in ("line18", "line31", "line34", "line39", "line7"))
    line9 = line7  # no AMT foreign tax credit (line 8) modeled
    # Capital Loss Carryover Worksheet on each basis; worksheet line 1 is taxable income before its floor,
    # and on the AMT basis its counterpart, AMTI less the exemption (Form 6251 line 4 - line 5)
    carry_st, carry_lt = loss_carryover(pre["schedule_d_line7"], pre["schedule_d_line15"], pre["capital_gain_in_agi"],
                                        agi - total_deductions)
    amt_carry_st, amt_carry_lt = loss_carryover(pre["amt_schedule_d_line7"], pre["amt_schedule_d_line15"],
                                                pre["amt_capital_gain_in_amti"], line4 - line5)
    line10 = regular_tax
    line11 = np.maximum(line9 - line10, 0.0)

    # ---- Form 8801 Part II: credit used this year, limited by §53(c) ----
    credit_limit = np.maximum(regular_tax - line9, 0.0)  # line 24 (no other credits modeled)
    credit_used = np.minimum(h.amt_credit_carryforward, credit_limit)  # line 25
    credit_left = h.amt_credit_carryforward - credit_used  # line 26

    income_tax = regular_tax + line11
    income_tax_after_credit = income_tax - credit_used
    total_tax = income_tax_after_credit + niit + additional_medicare
    return {
        **pre,
        "itemized": itemize.astype(np.float64),
        "deduction": deduction,
        "nonitemizer_charitable_used": nonitemizer_charity,
        "total_deductions": total_deductions,
        "taxable_income": taxable_income,
        "qdcg_line4": q4,
        "qdcg_line5": q5,
        "qdcg_line9_zero_rate": q9,
        "qdcg_line17_15_rate": q17,
        "qdcg_line20_20_rate": q20,
        "qdcg_line22": q22,
        "qdcg_line24": q24,
        "regular_tax": regular_tax,
        "net_investment_income": nii,
        "niit": niit,
        "additional_medicare_tax": additional_medicare,
        "amt_line1a": line1a,
        "amt_line1b": line1b,
        "amt_line2a": line2a,
        "amt_line2i": line2i,
        "amt_line2k": line2k,
        "amt_line3": line3,
        "section_68_restored": section_68_restored,
        "mfs_addon": mfs_addon,
        "amti": line4,
        "amt_exemption": line5,
        "amt_base": line6,
        "amt_line7": line7,
        "amt_line13": line13,
        "short_term_loss_carryover_out": carry_st,
        "long_term_loss_carryover_out": carry_lt,
        "amt_short_term_loss_carryover_out": amt_carry_st,
        "amt_long_term_loss_carryover_out": amt_carry_lt,
        "amt_line18": line18,
        "amt_line31": line31,
        "amt_line34": line34,
        "amt_line39": line39,
        "tentative_minimum_tax": line9,
        "amt_line10": line10,
        "amt": line11,
        "amt_credit_limit": credit_limit,
        "amt_credit_used": credit_used,
        "amt_credit_remaining": credit_left,
        "income_tax": income_tax,
        "income_tax_after_credit": income_tax_after_credit,
        "total_tax": total_tax,
    }
