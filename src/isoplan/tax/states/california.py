"""California personal income tax and the California AMT, vectorized over households.

Beside the federal engine (:mod:`isoplan.tax.federal`), one call computes for
every household of a :class:`~isoplan.tax.households.Households`:

* Form 540 with Schedule CA (540): California AGI, the standard or itemized
  deduction (property taxes but no state income tax and no SALT cap, the 50%
  charitable ceiling, the R&TC §17077 limitation), taxable income (line 19),
  the tax from the rate schedule (line 31), the personal/senior/blind
  exemption credits with their R&TC §17054.1 phase-out (line 32) and the 1%
  Mental Health Services Tax over $1,000,000 (line 62, R&TC §17043).
* Schedule P (540) Parts I-II: AMTI (line 21, with the ISO adjustment on
  line 10 and the disposition adjustment on line 9), the exemption with its
  25% phase-out (line 22), the 7% tentative minimum tax (line 24) and the
  AMT (line 26) = TMT minus the regular tax before credits (line 25).
* FTB 3510 Part II: the prior-year AMT credit used this year, limited to the
  regular tax less exemption credits less TMT; the rest carries forward.

California taxes capital gains as ordinary income, so there is no rate
worksheet and no Part III on Schedule P. For the items isoplan models,
California AGI equals federal AGI (California follows §1211 and the ISO
rules for regular tax). No parameter is written here: every rate and
threshold comes from ``parameters/california`` through :mod:`isoplan.tax.law`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

from isoplan.errors import InputError
from isoplan.tax.credit_chain import ChainYear, CreditLines, credit_years
from isoplan.tax.explain import LineRow
from isoplan.tax.federal import ELECTION_TIE, Deduction, FederalResult, bracket_tax
from isoplan.tax.fields import CA_MONEY_FIELDS
from isoplan.tax.form8801 import exclusion_items_only
from isoplan.tax.households import Households
from isoplan.tax.law import CALIFORNIA_DIR, STATUS_CODE, STATUSES, LawTable
from isoplan.tax.states import InputField

_MFS = STATUS_CODE["mfs"]


@functools.lru_cache(maxsize=8)
def ca_law_table(inflation: float | None = None) -> LawTable:
    """The cached California :class:`LawTable` (``inflation`` = the assumed California CPI rate)."""
    return LawTable(inflation, CALIFORNIA_DIR)


@dataclass(frozen=True)
class CaliforniaResult(FederalResult):
    """Every computed California line, as arrays aligned with the input households (lines as attributes)."""


def _money(name: str, value: Any, n: int, *, at_most: np.ndarray | None = None, what: str = "") -> np.ndarray:
    arr = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,))
    bad = ~np.isfinite(arr) | (arr < 0)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise InputError(name, float(arr[i]), "a dollar amount of 0 or more", row=i if n > 1 else None)
    if at_most is not None:
        over = arr > at_most + 1e-9
        if np.any(over):
            i = int(np.flatnonzero(over)[0])
            raise InputError(name, float(arr[i]), f"at most {what} ({float(at_most[i]):g})", row=i if n > 1 else None)
    return arr


def schedule_p_part2(amti_before_addon: np.ndarray, status: np.ndarray, p: SimpleNamespace) -> dict[str, np.ndarray]:
    """Schedule P (540) lines 21-24 from AMTI before the MFS add-on.

    MFS: AMTI above the exemption's zero point is increased by 25% of the
    excess, up to the exemption (IRC §55(d) flush language as California
    adopts it, R&TC §17062 [S]). Exemption: reduced by 25% of AMTI over the
    start (California kept 25%, TAX_FACTS E). TMT = 7% of the rest (§17062(a)).
    Shared with a future room solver that evaluates it at many spreads.
    """
    zero_point = p.amt_phaseout_start + p.amt_exemption / p.amt_phaseout_rate
    mfs_addon = np.where(
        status == _MFS,
        np.minimum(p.amt_mfs_addon_rate * np.maximum(amti_before_addon - zero_point, 0.0), p.amt_exemption),
        0.0,
    )
    line21 = amti_before_addon + mfs_addon
    line22 = np.maximum(p.amt_exemption - p.amt_phaseout_rate * np.maximum(line21 - p.amt_phaseout_start, 0.0), 0.0)
    line23 = np.maximum(line21 - line22, 0.0)
    line24 = p.amt_rate * line23
    return {"ca_mfs_addon": mfs_addon, "ca_amti": line21, "ca_amt_exemption": line22,
            "ca_amt_base": line23, "ca_tentative_minimum_tax": line24}


def compute_california(
    h: Households,
    law: LawTable | None = None,
    *,
    property_tax: Any = 0.0,
    ca_amt_credit_carryforward: Any = 0.0,
    deduction: Deduction = "auto",
) -> CaliforniaResult:
    """California tax of every household in ``h`` (a California resident for the whole year).

    ``property_tax``: the part of ``state_local_tax`` that is real or personal
    property tax (deductible in California; the rest is taken to be state
    income tax, which is not). ``ca_amt_credit_carryforward``: the FTB 3510
    credit available from earlier years. ``deduction``: ``"auto"`` takes the
    election with the lower California tax (ties to the larger deduction),
    as the federal engine does; ``"standard"`` / ``"itemized"`` force one.
    """
    if deduction not in ("auto", "standard", "itemized"):
        raise InputError("deduction", deduction, "auto, standard or itemized")
    law = law or ca_law_table()
    n = len(h)
    year_index = law.year_index(h.year)
    projected = law.projected[year_index]
    property_tax = _money("property_tax", property_tax, n, at_most=h.state_local_tax, what="state_local_tax")
    carry = _money("ca_amt_credit_carryforward", ca_amt_credit_carryforward, n)
    if n == 0:
        return CaliforniaResult(lines={}, projected=projected)
    p = law.gather(h.year, h.filing_status)
    pre = _income_and_deductions(h, p, property_tax)
    if deduction == "standard":
        return CaliforniaResult(_tax_lines(h, p, pre, np.zeros(n, dtype=bool), carry), projected)
    if deduction == "itemized":
        return CaliforniaResult(_tax_lines(h, p, pre, np.ones(n, dtype=bool), carry), projected)
    std = _tax_lines(h, p, pre, np.zeros(n, dtype=bool), carry)
    itm = _tax_lines(h, p, pre, np.ones(n, dtype=bool), carry)
    larger = pre["ca_itemized_allowed"] > pre["ca_standard_deduction"]
    key = "ca_tax_before_mhst_after_credits"
    cost_std = std[key] + std["ca_mental_health_tax"]
    cost_itm = itm[key] + itm["ca_mental_health_tax"]
    itemize = np.where(larger, cost_itm <= cost_std + ELECTION_TIE, cost_itm < cost_std - ELECTION_TIE)
    lines = {k: np.where(itemize, itm[k], std[k]) for k in std}
    return CaliforniaResult(lines, projected)


def _income_and_deductions(h: Households, p: SimpleNamespace, property_tax: np.ndarray) -> dict[str, np.ndarray]:
    """Form 540 lines 13-17 (AGI) and both deduction candidates (Schedule CA (540) Part II)."""
    # California AGI: federal AGI with no California adjustment for the items modeled; capital gains are
    # ordinary income (no preferential rate) and net losses are limited as in §1211(b) (R&TC §18151)
    net_capital = (h.short_term_gain - h.short_term_loss_carryover) + (h.long_term_gain - h.long_term_loss_carryover)
    capital_in_agi = np.where(net_capital < 0, np.maximum(net_capital, -p.capital_loss_limit), net_capital)
    agi = (h.wages + h.nso_income + h.taxable_interest + h.ordinary_dividends + h.other_ordinary_income
           + capital_in_agi)
    contribution_base = np.maximum(agi, 0.0)
    # Schedule CA line 5: state income tax is not deductible (R&TC §17220); property taxes are, with no cap
    taxes = property_tax
    charity = np.minimum(h.charitable, p.charitable_agi_limit * contribution_base)
    itemized_total = taxes + h.mortgage_interest + charity + h.other_itemized
    # R&TC §17077 (IRC §68 as it read in 2015): the lesser of 6% of AGI over the start and 80% of the deductions
    limitation = np.minimum(
        p.itemized_limitation_agi_rate * np.maximum(agi - p.itemized_limitation_start, 0.0),
        p.itemized_limitation_deduction_rate * itemized_total,
    )
    # Form 540 line 32: each exemption credit less $6 per $2,500 ($1,250 MFS) of AGI, or fraction, over the start
    steps = np.ceil(np.maximum(agi - p.exemption_credit_phaseout_start, 0.0) / p.exemption_credit_phaseout_step - 1e-9)
    per_credit = np.maximum(p.exemption_credit - p.exemption_credit_phaseout_amount * steps, 0.0)
    count = p.exemption_credit_personal_count + h.age_65_or_blind
    return {
        "ca_capital_gain_in_agi": capital_in_agi,
        "ca_agi": agi,
        "ca_taxes_deducted": taxes,
        "ca_charitable_itemized": charity,
        "ca_itemized_before_limitation": itemized_total,
        "ca_itemized_limitation": limitation,
        "ca_itemized_allowed": itemized_total - limitation,
        "ca_standard_deduction": p.standard_deduction + 0.0 * agi,
        "ca_exemption_credit_count": count + 0.0 * agi,
        "ca_exemption_credit_each": per_credit + 0.0 * agi,
        "ca_exemption_credits_before_limit": count * per_credit + 0.0 * agi,
    }


def _tax_lines(
    h: Households, p: SimpleNamespace, pre: dict[str, np.ndarray], itemize: np.ndarray, carry: np.ndarray
) -> dict[str, np.ndarray]:
    """Form 540, Schedule P (540) Parts I-II and FTB 3510 Part II, for one deduction election."""
    agi = pre["ca_agi"]
    deduction = np.where(itemize, pre["ca_itemized_allowed"], pre["ca_standard_deduction"])  # line 18
    income_less_deduction = agi - deduction  # may be negative; Schedule P line 15 keeps the sign [S]
    taxable_income = np.maximum(income_less_deduction, 0.0)  # Form 540 line 19
    # line 31 from the rate schedule; the FTB tax table (income to $100,000) is not modeled (differs by a few dollars)
    regular_tax = bracket_tax(taxable_income, p.ordinary_brackets, p.ordinary_rates)
    exemption_credits = np.minimum(pre["ca_exemption_credits_before_limit"], regular_tax)  # line 32 (line 33 >= 0)
    mental_health_tax = p.mental_health_tax_rate * np.maximum(taxable_income - p.mental_health_tax_threshold, 0.0)

    # ---- Schedule P (540) Part I: AMTI ----
    line1 = np.where(itemize, 0.0, pre["ca_standard_deduction"])  # standard deduction added back
    line3 = np.where(itemize, pre["ca_taxes_deducted"], 0.0)  # property taxes added back
    line9 = h.amt_disposition_adjustment  # adjusted gain or loss: AMT basis mirrors the federal rules [S]
    line10 = h.iso_bargain_element  # incentive stock options (R&TC §17062 via IRC §56(b)(3))
    line13 = h.other_amt_adjustments  # other adjustments, taken to be the federal ones [S]
    line14 = line1 + line3 + line9 + line10 + line13
    line15 = income_less_deduction
    # line 18: the §17077 limitation does not apply for AMTI (IRC §56(b)(1)(F)), so it is deducted back
    line18 = np.where(itemize, -pre["ca_itemized_limitation"], 0.0)
    part2 = schedule_p_part2(line14 + line15 + line18, h.filing_status, p)
    line24 = part2["ca_tentative_minimum_tax"]
    # line 25: regular tax before credits (Form 540 line 31); the MHST is not in it [U, as PolicyEngine-US]
    line25 = regular_tax
    line26 = np.maximum(line24 - line25, 0.0)

    # ---- FTB 3510 Part II: exemption credits and the credit cannot take regular tax below TMT ----
    credit_limit = np.maximum(line25 - exemption_credits - line24, 0.0)
    credit_used = np.minimum(carry, credit_limit)
    credit_left = carry - credit_used
    tax_after_credits = np.maximum(regular_tax - exemption_credits - credit_used, 0.0)  # Form 540 line 48
    tax_before_mhst = tax_after_credits + line26
    return {
        **pre,
        "ca_itemized": itemize.astype(np.float64),
        "ca_deduction": deduction,
        "ca_taxable_income": taxable_income,
        "ca_regular_tax": regular_tax,
        "ca_exemption_credits": exemption_credits,
        "ca_p_line1": line1,
        "ca_p_line3": line3,
        "ca_p_line9": line9,
        "ca_p_line10": line10,
        "ca_p_line13": line13,
        "ca_p_line14": line14,
        "ca_p_line15": line15,
        "ca_p_line18": line18,
        **part2,
        "ca_p_line25": line25,
        "ca_amt": line26,
        "ca_amt_credit_carryforward": carry,
        "ca_amt_credit_limit": credit_limit,
        "ca_amt_credit_used": credit_used,
        "ca_amt_credit_remaining": credit_left,
        "ca_tax_after_credits": tax_after_credits,
        "ca_tax_before_mhst_after_credits": tax_before_mhst,
        "ca_mental_health_tax": mental_health_tax,
        "ca_total_tax": tax_before_mhst + mental_health_tax,
    }


# ---------------------------------------------------------------- explanation

#: (result key, form, line, caption), in the order a person reads the California return.
CA_LINES: tuple[tuple[str, str, str, str], ...] = (
    ("ca_capital_gain_in_agi", "Schedule D (540)", "10*", "Capital gain or (loss): ordinary income in California"),
    ("ca_agi", "Form 540", "17", "California AGI (= federal AGI for the items modeled)"),
    ("ca_taxes_deducted", "Schedule CA (540)", "5", "Property taxes (state income tax is not deductible; no cap)"),
    ("ca_charitable_itemized", "Schedule CA (540)", "11", "Gifts to charity (50% of AGI ceiling)"),
    ("ca_itemized_before_limitation", "Schedule CA (540)", "28", "Itemized deductions before the limitation"),
    ("ca_itemized_limitation", "Schedule CA (540)", "29*", "R&TC §17077 limitation (6% of AGI over the start, <= 80%)"),
    ("ca_itemized_allowed", "Schedule CA (540)", "30", "Itemized deductions allowed"),
    ("ca_standard_deduction", "Form 540", "18*", "Standard deduction (if taken)"),
    ("ca_itemized", "Form 540", "18", "Itemized? (1 = yes, 0 = standard deduction)"),
    ("ca_deduction", "Form 540", "18", "Deduction taken"),
    ("ca_taxable_income", "Form 540", "19", "Taxable income"),
    ("ca_regular_tax", "Form 540", "31", "Tax (rate schedule; gains taxed as ordinary income)"),
    ("ca_exemption_credit_count", "Form 540", "7-9", "Personal, senior and blind exemption credits (count)"),
    ("ca_exemption_credit_each", "Form 540", "32*", "Each credit after the R&TC §17054.1 phase-out"),
    ("ca_exemption_credits", "Form 540", "32", "Exemption credits"),
    ("ca_p_line1", "Schedule P (540)", "1", "Standard deduction added back"),
    ("ca_p_line3", "Schedule P (540)", "3", "Property taxes added back"),
    ("ca_p_line9", "Schedule P (540)", "9", "Adjusted gain or loss (AMT minus regular gain)"),
    ("ca_p_line10", "Schedule P (540)", "10", "Incentive stock options"),
    ("ca_p_line13", "Schedule P (540)", "13", "Other adjustments and preferences (the federal ones) [S]"),
    ("ca_p_line14", "Schedule P (540)", "14", "Total adjustments and preferences"),
    ("ca_p_line15", "Schedule P (540)", "15", "Taxable income (Form 540 line 19, negative kept)"),
    ("ca_p_line18", "Schedule P (540)", "18", "Itemized deduction limitation not applied for AMT (negative)"),
    ("ca_mfs_addon", "Schedule P (540)", "21*", "Married filing separately add-on (25%)"),
    ("ca_amti", "Schedule P (540)", "21", "Alternative minimum taxable income"),
    ("ca_amt_exemption", "Schedule P (540)", "22", "Exemption after the 25% phase-out"),
    ("ca_amt_base", "Schedule P (540)", "23", "AMTI minus exemption"),
    ("ca_tentative_minimum_tax", "Schedule P (540)", "24", "Tentative minimum tax (7%)"),
    ("ca_p_line25", "Schedule P (540)", "25", "Regular tax before credits (no MHST) [U]"),
    ("ca_amt", "Schedule P (540)", "26", "California alternative minimum tax (Form 540 line 61)"),
    ("ca_amt_credit_carryforward", "FTB 3510", "II", "Credit available from earlier years"),
    ("ca_amt_credit_limit", "FTB 3510", "II", "Limit: regular tax - exemption credits - TMT"),
    ("ca_amt_credit_used", "FTB 3510", "II", "Prior-year AMT credit used (Schedule P Part III)"),
    ("ca_amt_credit_remaining", "FTB 3510", "II", "Credit carried forward"),
    ("ca_tax_after_credits", "Form 540", "48", "Tax after exemption credits and the AMT credit"),
    ("ca_mental_health_tax", "Form 540", "62", "Mental Health Services Tax (1% over $1,000,000)"),
    ("ca_total_tax", "Form 540", "64*", "Total California tax modeled"),
)

@dataclass(frozen=True)
class CaliforniaOutputs:
    """The California figures of ``--json`` (:data:`CA_OUTPUTS`, in that order: the documented format)."""

    ca_agi: float  # Form 540 line 17
    ca_deduction: float  # Form 540 line 18
    ca_itemized: float
    ca_taxable_income: float  # Form 540 line 19
    ca_regular_tax: float  # Form 540 line 31
    ca_exemption_credits: float  # Form 540 line 32
    ca_amti: float  # Schedule P (540) line 21
    ca_amt_exemption: float  # Schedule P line 22
    ca_tentative_minimum_tax: float  # Schedule P line 24
    ca_amt: float  # Schedule P line 26
    ca_amt_credit_used: float  # FTB 3510
    ca_amt_credit_remaining: float  # FTB 3510 carryover
    ca_mental_health_tax: float  # Form 540 line 62
    ca_total_tax: float


#: The California outputs named in the batch file and ``--json``.
CA_OUTPUTS: tuple[str, ...] = (
    "ca_agi",
    "ca_deduction",
    "ca_itemized",
    "ca_taxable_income",
    "ca_regular_tax",
    "ca_exemption_credits",
    "ca_amti",
    "ca_amt_exemption",
    "ca_tentative_minimum_tax",
    "ca_amt",
    "ca_amt_credit_used",
    "ca_amt_credit_remaining",
    "ca_mental_health_tax",
    "ca_total_tax",
)

#: What California law isoplan leaves out or takes on one source; shown with every California result.
CA_STANDING_NOTES: tuple[str, ...] = (
    "California AMT = TMT minus regular tax before credits, not counting the Mental Health Services Tax "
    "(as PolicyEngine-US does; not confirmed in the statute) [U].",
    "California AMT adjustments other than ISOs and dispositions are taken to equal the federal ones; "
    "AMT basis and the Schedule P line 9 disposition adjustment mirror the federal rules [S].",
    "Not modeled: the FTB tax table (regular tax under $100,000 uses the rate schedule, a few dollars apart), "
    "dependent exemption credits, other California credits, California-only income adjustments.",
)


#: One explained California line (the states' common row).
CaLineRow = LineRow


def ca_explain_row(result: FederalResult, i: int = 0) -> list[LineRow]:
    """The California lines of household ``i``, in form order."""
    return [CaLineRow(key, form, line, caption, float(result.lines[key][i]))
            for key, form, line, caption in CA_LINES if key in result.lines]


def ca_year_notes(law: LawTable, year: int, status_code: int) -> list[str]:
    """Notes on the California law behind a year: projected, or resting on unsettled law."""
    notes = []
    if law.laws[year].projected:
        notes.append(
            f"California {year} is PROJECTED: published California law ends with {law.last_published}; "
            f"amounts indexed at {law.inflation:.2%} a year for the California CPI, June to June "
            f"(R&TC §17041(h); change with --inflation)."
        )
    status = STATUSES[status_code]
    for param in law.laws[year].parameters.values():
        if param.unsettled and (status == "mfs" or not param.name.startswith("amt_mfs")):
            notes.append(f"California {param.name}: {param.citations[-1]}")
    return [*notes, *CA_STANDING_NOTES]


# ---------------------------------------------------------------- FTB 3510 across years


def ca_credit_years(
    households_by_year: Sequence[Households],
    law: LawTable | None = None,
    *,
    property_tax: Sequence[Any] | None = None,
    deduction: Deduction = "auto",
    initial_carryforward: Any = 0.0,
) -> list[ChainYear]:
    """FTB 3510 for consecutive years: California AMT from deferral items becomes credit, used and carried.

    As Form 8801 (:mod:`isoplan.tax.form8801`), through the same chain
    (:func:`isoplan.tax.credit_chain.credit_years`): Part I refigures the
    prior year's Schedule P with the exclusion items only (the standard
    deduction and property-tax add-backs and the §17077 restoration stay; ISO,
    disposition and other adjustments are deferral items and go), the net
    minimum tax on exclusions is that TMT less the prior regular tax (line
    25), and the credit created is the prior AMT less it (it may be negative
    and then reduces the carried credit). Part II uses the credit available
    up to this year's regular tax less exemption credits less TMT.
    """
    inputs = None if property_tax is None else [{"property_tax": p} for p in property_tax]
    return CALIFORNIA.credit_years(households_by_year, law, inputs_by_year=inputs, deduction=deduction,
                                   initial_carryforward=initial_carryforward)


# ---------------------------------------------------------------- the jurisdiction


class California:
    """California (Form 540, Schedule P (540), FTB 3510) behind :class:`isoplan.tax.states.Jurisdiction`."""

    code = "CA"
    name = "California"
    key = "california"
    credit_form = "FTB 3510"
    credit_lines = CreditLines(
        regular_tax="ca_p_line25", tentative_minimum_tax="ca_tentative_minimum_tax", amt="ca_amt", amti="ca_amti",
        credit_limit="ca_amt_credit_limit", credit_used="ca_amt_credit_used", total_tax="ca_total_tax",
        tax="ca_total_tax", itemized="ca_itemized", itemized_allowed="ca_itemized_allowed",
        standard_deduction="ca_standard_deduction",
    )
    #: the command-line flags come from the same (NumPy-free) declaration
    extra_inputs: tuple[InputField, ...] = tuple(
        InputField(name, help_text, carried_credit=name == "ca_amt_credit_carryforward")
        for name, help_text in CA_MONEY_FIELDS)
    outputs = CA_OUTPUTS
    cost_lines: tuple[tuple[str, str], ...] = (
        ("regular_tax", "ca_regular_tax"), ("exemption_credits", "ca_exemption_credits"), ("amt", "ca_amt"),
        ("credit_used", "ca_amt_credit_used"), ("mental_health_tax", "ca_mental_health_tax"),
        ("total_tax", "ca_total_tax"))

    def law_table(self, inflation: float | None = None) -> LawTable:
        return ca_law_table(inflation)

    def compute(self, households: Households, law: LawTable, *, inputs: Mapping[str, Any], credit: Any,
                deduction: Deduction = "auto", keep: Sequence[str] | None = None) -> CaliforniaResult:
        """:func:`compute_california` (every line is kept: the return is small)."""
        return compute_california(households, law, property_tax=inputs.get("property_tax", 0.0),
                                  ca_amt_credit_carryforward=credit, deduction=deduction)

    def exclusion_items_only(self, households: Households) -> Households:
        """Schedule P's exclusion items mirror the federal ones (FTB 3510 Part I, as Form 8801 Part I)."""
        return exclusion_items_only(households)

    def credit_form_lines(self, chain: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """FTB 3510 Part I (the prior year's AMT and net minimum tax) and Part II (credit used, carried)."""
        return {key: chain[name].copy() for key, name in (
            ("prior_amt", "prior_amt"),
            ("prior_net_minimum_tax_on_exclusions", "prior_net_minimum_tax_on_exclusions"),
            ("credit_from_prior_year", "credit_from_prior_year"),
            ("carryover_in", "carryover_in"),
            ("credit_available", "credit_available"),
            ("credit_limit", "credit_limit"),
            ("credit_used", "credit_used"),
            ("carryover_out", "carryover_out"),
        )}

    def credit_years(self, households_by_year: Sequence[Households], law: LawTable | None = None, *,
                     inputs_by_year: Sequence[Mapping[str, Any]] | None = None, deduction: Deduction = "auto",
                     initial_carryforward: Any = 0.0) -> list[ChainYear]:
        return credit_years(self, households_by_year, law or ca_law_table(), inputs_by_year=inputs_by_year,
                            deduction=deduction, initial_carryforward=initial_carryforward)

    def explain_rows(self, result: FederalResult, i: int = 0) -> list[LineRow]:
        return ca_explain_row(result, i)

    def year_notes(self, law: LawTable, year: int, status_code: int) -> list[str]:
        return ca_year_notes(law, year, status_code)

    def amt_basis_worth(self, law: LawTable, years: Sequence[int]) -> float:
        """Schedule P line 9 lowers AMTI dollar for dollar; TMT moves at most at the 7% rate times the
        phase-out (or MFS add-on) stretch (R&TC §17062)."""
        out = 0.0
        for year in years:
            y = law.laws[year]
            stretch = max(y.value("amt_phaseout_rate", "single"), y.value("amt_mfs_addon_rate", "mfs"))
            out = max(out, y.value("amt_rate", "single") * (1.0 + stretch))
        return float(out)


CALIFORNIA = California()
