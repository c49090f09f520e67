"""The federal law arithmetic, one household at a time: the engine's only implementation.

Every function here is plain Python over scalars and arrays. The same
functions run two ways (:mod:`isoplan.tax.compiled`):

* interpreted, for a handful of households (one ``isoplan tax`` command never
  imports or compiles anything), and
* compiled by numba into a fused loop over rows, split across the cores, for
  batches: each household looks up its own law by an index into the packed
  parameter table (:class:`isoplan.tax.law.PackedLaw`), so households of any
  mix of years and filing statuses are computed in input order, in one pass.

Each row computes, for one household:

* Form 1040: AGI (line 11), the deduction (Schedule A or standard, plus the
  non-itemizer charitable deduction and the senior deduction, in the years the
  law has them),
  taxable income (line 15) and the tax (line 16) through the Qualified
  Dividends and Capital Gain Tax Worksheet, using the Tax Table under its limit;
* Schedule D on the regular and the AMT basis (lines 7, 15, 16, 21) and the
  Capital Loss Carryover Worksheet on each;
* Form 6251 (the line numbers are the same in every year the law data holds): AMTI (line 4,
  with the MFS add-on), the exemption and its phase-out (line 5), the
  tentative minimum tax with Part III capital-gain rates (lines 7-9), and the
  AMT (line 11);
* Form 8801 Part II lines 24-26: the prior-year minimum tax credit used this
  year, limited to regular tax minus TMT (IRC §53(c));
* Form 8960 (NIIT) and Form 8959 (Additional Medicare Tax).

Locals are named after form lines. Amounts are float64 dollars, not rounded
except where the form itself rounds (the Tax Table). No parameter is written
here: every rate and threshold is a column of the packed law; the constants
below are only positions in that table, in the input columns and in the
line array.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from isoplan.tax.law import STATUS_CODE, STATUSES

#: The deduction election switches only when the other election is cheaper by more than this (dollars):
#: ties go to the larger deduction. The room solver and the planner use the same rule.
ELECTION_TIE = 1e-9

#: Deduction modes (the ``mode`` argument of :func:`federal_rows`).
AUTO, STANDARD, ITEMIZED = 0, 1, 2
DEDUCTION_MODES: dict[str, int] = {"auto": AUTO, "standard": STANDARD, "itemized": ITEMIZED}

MFS = STATUS_CODE["mfs"]
N_STATUSES = len(STATUSES)

# ------------------------------------------------------------------ input columns (Households fields)

#: The money and count inputs, in :class:`isoplan.tax.households.Households` order (after year and status).
INPUT_FIELDS: tuple[str, ...] = (
    "wages", "taxable_interest", "ordinary_dividends", "qualified_dividends", "short_term_gain", "long_term_gain",
    "short_term_loss_carryover", "long_term_loss_carryover", "nso_income", "other_ordinary_income",
    "state_local_tax", "mortgage_interest", "charitable", "other_itemized", "iso_bargain_element",
    "amt_disposition_adjustment", "other_amt_adjustments", "amt_short_term_gain", "amt_long_term_gain",
    "amt_short_term_loss_carryover", "amt_long_term_loss_carryover", "amt_credit_carryforward",
    "age_65_or_blind", "senior_count",
)
I_WAGES = INPUT_FIELDS.index("wages")
I_INTEREST = INPUT_FIELDS.index("taxable_interest")
I_ORDINARY_DIVIDENDS = INPUT_FIELDS.index("ordinary_dividends")
I_QUALIFIED_DIVIDENDS = INPUT_FIELDS.index("qualified_dividends")
I_SHORT_TERM = INPUT_FIELDS.index("short_term_gain")
I_LONG_TERM = INPUT_FIELDS.index("long_term_gain")
I_SHORT_TERM_CARRY = INPUT_FIELDS.index("short_term_loss_carryover")
I_LONG_TERM_CARRY = INPUT_FIELDS.index("long_term_loss_carryover")
I_NSO = INPUT_FIELDS.index("nso_income")
I_OTHER_ORDINARY = INPUT_FIELDS.index("other_ordinary_income")
I_STATE_LOCAL_TAX = INPUT_FIELDS.index("state_local_tax")
I_MORTGAGE = INPUT_FIELDS.index("mortgage_interest")
I_CHARITABLE = INPUT_FIELDS.index("charitable")
I_OTHER_ITEMIZED = INPUT_FIELDS.index("other_itemized")
I_ISO = INPUT_FIELDS.index("iso_bargain_element")
I_LINE2K = INPUT_FIELDS.index("amt_disposition_adjustment")
I_OTHER_AMT = INPUT_FIELDS.index("other_amt_adjustments")
I_AMT_SHORT_TERM = INPUT_FIELDS.index("amt_short_term_gain")
I_AMT_LONG_TERM = INPUT_FIELDS.index("amt_long_term_gain")
I_AMT_SHORT_TERM_CARRY = INPUT_FIELDS.index("amt_short_term_loss_carryover")
I_AMT_LONG_TERM_CARRY = INPUT_FIELDS.index("amt_long_term_loss_carryover")
I_CREDIT = INPUT_FIELDS.index("amt_credit_carryforward")
I_AGE_65_OR_BLIND = INPUT_FIELDS.index("age_65_or_blind")
I_SENIORS = INPUT_FIELDS.index("senior_count")
N_INPUTS = len(INPUT_FIELDS)

# ------------------------------------------------------------------ the kernel's parameter table layout

#: (parameter, number of columns) in the order of the kernel's table. The ordinary rates and bracket tops come
#: last: their number is the law's (``n_tops`` tops, one rate more); every other width is fixed by the forms.
#: After the tops the table holds the ``n_tops`` rate steps, each rate less the one below it (derived from the
#: rates, so that :func:`bracket_tax` reads each step instead of subtracting it for every household).
KERNEL_PARAMETERS: tuple[tuple[str, int], ...] = (
    ("standard_deduction", 1), ("standard_deduction_additional", 1), ("senior_deduction", 1),
    ("senior_deduction_phaseout_start", 1), ("senior_deduction_phaseout_rate", 1), ("capital_loss_limit", 1),
    ("capital_gain_rates", 3), ("capital_gain_brackets", 2), ("salt_cap", 1), ("salt_phasedown_start", 1),
    ("salt_phasedown_rate", 1), ("salt_floor", 1), ("charitable_agi_limit", 1), ("charitable_floor", 1),
    ("charitable_nonitemizer", 1), ("itemized_limitation_rate", 1), ("amt_rates", 2), ("amt_breakpoint", 1),
    ("amt_exemption", 1), ("amt_phaseout_start", 1), ("amt_phaseout_rate", 1), ("amt_mfs_addon_rate", 1),
    ("niit_rate", 1), ("niit_threshold", 1), ("additional_medicare_rate", 1), ("additional_medicare_threshold", 1),
    ("tax_table_limit", 1), ("tax_table_narrow_row", 1), ("tax_table_wide_row", 1), ("tax_table_wide_from", 1),
    ("tax_table_first_rows", 3), ("ordinary_rates", 0), ("ordinary_brackets", 0),
)


def _column_starts() -> dict[str, int]:
    starts: dict[str, int] = {}
    at = 0
    for name, width in KERNEL_PARAMETERS:
        starts[name] = at
        at += width
    return starts


_START = _column_starts()
P_STANDARD = _START["standard_deduction"]
P_STANDARD_ADDITIONAL = _START["standard_deduction_additional"]
P_SENIOR = _START["senior_deduction"]
P_SENIOR_PHASEOUT_START = _START["senior_deduction_phaseout_start"]
P_SENIOR_PHASEOUT_RATE = _START["senior_deduction_phaseout_rate"]
P_CAPITAL_LOSS_LIMIT = _START["capital_loss_limit"]
P_CG_RATES = _START["capital_gain_rates"]
P_CG_BRACKETS = _START["capital_gain_brackets"]
P_SALT_CAP = _START["salt_cap"]
P_SALT_PHASEDOWN_START = _START["salt_phasedown_start"]
P_SALT_PHASEDOWN_RATE = _START["salt_phasedown_rate"]
P_SALT_FLOOR = _START["salt_floor"]
P_CHARITABLE_AGI_LIMIT = _START["charitable_agi_limit"]
P_CHARITABLE_FLOOR = _START["charitable_floor"]
P_CHARITABLE_NONITEMIZER = _START["charitable_nonitemizer"]
P_ITEMIZED_LIMITATION_RATE = _START["itemized_limitation_rate"]
P_AMT_RATES = _START["amt_rates"]
P_AMT_BREAKPOINT = _START["amt_breakpoint"]
P_AMT_EXEMPTION = _START["amt_exemption"]
P_AMT_PHASEOUT_START = _START["amt_phaseout_start"]
P_AMT_PHASEOUT_RATE = _START["amt_phaseout_rate"]
P_AMT_MFS_ADDON_RATE = _START["amt_mfs_addon_rate"]
P_NIIT_RATE = _START["niit_rate"]
P_NIIT_THRESHOLD = _START["niit_threshold"]
P_MEDICARE_RATE = _START["additional_medicare_rate"]
P_MEDICARE_THRESHOLD = _START["additional_medicare_threshold"]
P_TABLE_LIMIT = _START["tax_table_limit"]
P_TABLE_NARROW_ROW = _START["tax_table_narrow_row"]
P_TABLE_WIDE_ROW = _START["tax_table_wide_row"]
P_TABLE_WIDE_FROM = _START["tax_table_wide_from"]
P_TABLE_FIRST_ROWS = _START["tax_table_first_rows"]
#: the ordinary rates start here; the bracket tops follow them (``n_tops + 1`` rates)
P_ORDINARY_RATES = _START["ordinary_rates"]

# ------------------------------------------------------------------ the lines (outputs)

#: Every line the kernel writes, in the order a result lists them (see :data:`isoplan.tax.explain.LINES`).
LINE_KEYS: tuple[str, ...] = (
    "schedule_d_line7", "schedule_d_line15", "net_capital_gain_or_loss", "capital_gain_in_agi",
    "amt_schedule_d_line7", "amt_schedule_d_line15", "amt_schedule_d_line16", "amt_capital_gain_in_amti",
    "amt_net_capital_gain", "agi", "senior_deduction", "standard_deduction", "nonitemizer_charitable",
    "standard_total", "salt_cap", "salt_deducted", "charitable_itemized", "itemized_before_68",
    "section_68_reduction", "itemized_allowed",
    "itemized", "deduction", "nonitemizer_charitable_used", "total_deductions", "taxable_income",
    "qdcg_line4", "qdcg_line5", "qdcg_line9_zero_rate", "qdcg_line17_15_rate", "qdcg_line20_20_rate",
    "qdcg_line22", "qdcg_line24", "regular_tax", "net_investment_income", "niit", "additional_medicare_tax",
    "amt_line1a", "amt_line1b", "amt_line2a", "amt_line2i", "amt_line2k", "amt_line3", "section_68_restored",
    "mfs_addon", "amti", "amt_exemption", "amt_base", "amt_line7", "amt_line13",
    "short_term_loss_carryover_out", "long_term_loss_carryover_out", "amt_short_term_loss_carryover_out",
    "amt_long_term_loss_carryover_out", "amt_line18", "amt_line31", "amt_line34", "amt_line39",
    "tentative_minimum_tax", "amt_line10", "amt", "amt_credit_limit", "amt_credit_used", "amt_credit_remaining",
    "income_tax", "income_tax_after_credit", "total_tax",
)
N_LINES = len(LINE_KEYS)
_L = LINE_KEYS.index
L_SD_LINE7 = _L("schedule_d_line7")
L_SD_LINE15 = _L("schedule_d_line15")
L_SD_LINE16 = _L("net_capital_gain_or_loss")
L_CAPITAL_IN_AGI = _L("capital_gain_in_agi")
L_AMT_SD_LINE7 = _L("amt_schedule_d_line7")
L_AMT_SD_LINE15 = _L("amt_schedule_d_line15")
L_AMT_SD_LINE16 = _L("amt_schedule_d_line16")
L_AMT_CAPITAL_IN_AMTI = _L("amt_capital_gain_in_amti")
L_AMT_NET_CAPITAL_GAIN = _L("amt_net_capital_gain")
L_AGI = _L("agi")
L_SENIOR = _L("senior_deduction")
L_STANDARD = _L("standard_deduction")
L_NONITEMIZER_CHARITABLE = _L("nonitemizer_charitable")
L_STANDARD_TOTAL = _L("standard_total")
L_SALT_CAP = _L("salt_cap")
L_SALT = _L("salt_deducted")
L_CHARITY = _L("charitable_itemized")
L_ITEMIZED_BEFORE_68 = _L("itemized_before_68")
L_SECTION_68 = _L("section_68_reduction")
L_ITEMIZED_ALLOWED = _L("itemized_allowed")
#: the lines before this one do not depend on the deduction election
N_ELECTION_FREE = _L("itemized")
L_ITEMIZED = _L("itemized")
L_DEDUCTION = _L("deduction")
L_NONITEMIZER_USED = _L("nonitemizer_charitable_used")
L_TOTAL_DEDUCTIONS = _L("total_deductions")
L_TAXABLE_INCOME = _L("taxable_income")
L_Q4 = _L("qdcg_line4")
L_Q5 = _L("qdcg_line5")
L_Q9 = _L("qdcg_line9_zero_rate")
L_Q17 = _L("qdcg_line17_15_rate")
L_Q20 = _L("qdcg_line20_20_rate")
L_Q22 = _L("qdcg_line22")
L_Q24 = _L("qdcg_line24")
L_REGULAR_TAX = _L("regular_tax")
L_NII = _L("net_investment_income")
L_NIIT = _L("niit")
L_MEDICARE = _L("additional_medicare_tax")
L_AMT_LINE1A = _L("amt_line1a")
L_AMT_LINE1B = _L("amt_line1b")
L_AMT_LINE2A = _L("amt_line2a")
L_AMT_LINE2I = _L("amt_line2i")
L_AMT_LINE2K = _L("amt_line2k")
L_AMT_LINE3 = _L("amt_line3")
L_SECTION_68_RESTORED = _L("section_68_restored")
L_MFS_ADDON = _L("mfs_addon")
L_AMTI = _L("amti")
L_AMT_EXEMPTION = _L("amt_exemption")
L_AMT_BASE = _L("amt_base")
L_AMT_LINE7 = _L("amt_line7")
L_AMT_LINE13 = _L("amt_line13")
L_CARRY_ST = _L("short_term_loss_carryover_out")
L_CARRY_LT = _L("long_term_loss_carryover_out")
L_AMT_CARRY_ST = _L("amt_short_term_loss_carryover_out")
L_AMT_CARRY_LT = _L("amt_long_term_loss_carryover_out")
L_AMT_LINE18 = _L("amt_line18")
L_AMT_LINE31 = _L("amt_line31")
L_AMT_LINE34 = _L("amt_line34")
L_AMT_LINE39 = _L("amt_line39")
L_TMT = _L("tentative_minimum_tax")
L_AMT_LINE10 = _L("amt_line10")
L_AMT = _L("amt")
L_CREDIT_LIMIT = _L("amt_credit_limit")
L_CREDIT_USED = _L("amt_credit_used")
L_CREDIT_LEFT = _L("amt_credit_remaining")
L_INCOME_TAX = _L("income_tax")
L_AFTER_CREDIT = _L("income_tax_after_credit")
L_TOTAL_TAX = _L("total_tax")

#: Form 6251 lines 4-7 from :func:`form6251_from_amti`, in the order it returns them.
FORM6251_KEYS: tuple[str, ...] = ("mfs_addon", "line4", "line5", "line6", "line18", "line31", "line34", "line39",
                                  "line7")


# ------------------------------------------------------------------ the arithmetic, one household


def maximum(a: float, b: float) -> float:
    """The larger of ``a`` and ``b``; ``b`` when they are equal (as NumPy's ``maximum``, so 0.0 and -0.0 come
    out as the array engines and earlier results had them)."""
    return a if a > b else b


def minimum(a: float, b: float) -> float:
    """The smaller of ``a`` and ``b``; ``b`` when they are equal (as NumPy's ``minimum``)."""
    return a if a < b else b



def schedule_d(short_term: float, long_term: float, short_term_carryover: float, long_term_carryover: float,
               loss_limit: float) -> tuple[float, float, float, float, float]:
    """Schedule D lines 7, 15, 16, the amount entering income (line 16, or the line 21 loss) and the net
    capital gain (IRC §1222(11); QDCG Worksheet line 3, Form 6251 line 13 on the AMT basis).

    A net loss enters income only up to the IRC §1211(b) limit; carryovers are positive amounts of loss.
    """
    line7 = short_term - short_term_carryover
    line15 = long_term - long_term_carryover
    line16 = line7 + line15
    in_income = maximum(line16, -loss_limit) if line16 < 0 else line16
    net_capital_gain = maximum(minimum(line15, line16), 0.0)
    return line7, line15, line16, in_income, net_capital_gain


def loss_carryover(line7: float, line15: float, in_income: float, taxable_income: float) -> tuple[float, float]:
    """Capital Loss Carryover Worksheet (Schedule D instructions): the (short-term, long-term) loss carried out.

    ``taxable_income`` is worksheet line 1 (negative if the deductions exceed income, so a loss deduction
    that saved no tax carries forward). The deduction used is charged to short-term loss first (§1212(b)).
    """
    line2 = maximum(-in_income, 0.0)  # the line 21 loss, as a positive amount
    line3 = maximum(taxable_income + line2, 0.0)
    line4 = minimum(line2, line3)
    line5 = maximum(-line7, 0.0)  # short-term loss
    line6 = maximum(line15, 0.0)  # long-term gain
    line8 = maximum(line5 - (line4 + line6), 0.0)
    line9 = maximum(-line15, 0.0)  # long-term loss
    line10 = maximum(line7, 0.0)  # short-term gain
    line11 = maximum(line4 - line5, 0.0)
    line13 = maximum(line9 - (line10 + line11), 0.0)
    return line8, line13


def bracket_tops(n_tops: int) -> tuple[int, ...]:
    """The ``tops`` argument of the row functions for a law of ``n_tops`` ordinary bracket tops (see
    :func:`bracket_tax`)."""
    return (0,) * n_tops


def bracket_tax(income: float, law: Any, at: int, tops: tuple[int, ...]) -> float:
    """Tax on ``income`` by the ordinary schedule (IRC §1(j)(2) rate tables).

    The first rate on all income plus each rate step on the income above each bracket top. ``tops`` has one entry
    per bracket top; only its length is read. A tuple's length is part of its type, so the compiled loop knows the
    number of brackets as a constant and runs the sum unrolled (as a loop it cost a household about a third more).
    """
    n_tops = len(tops)
    rates = at + P_ORDINARY_RATES
    tax: float = law[rates] * income
    # each step is rate k + 1 less rate k, subtracted once in the table
    for k in range(n_tops):
        tax = tax + law[rates + 2 * n_tops + 1 + k] * maximum(income - law[rates + n_tops + 1 + k], 0.0)
    return tax


def tax_on_ordinary_income(income: float, law: Any, at: int, tops: tuple[int, ...]) -> float:
    """Form 1040 tax on ordinary taxable income: Tax Table below its limit, else the schedule.

    The Tax Table taxes the midpoint of the income's row and rounds to the
    whole dollar (Form 1040 instructions, line 16). Rows: [0, 5) pays 0, then
    $10 rows to $25, $25 rows to $3,000, $50 rows to $100,000.

    Every candidate is computed and one chosen, without branches: incomes in a batch fall on either side of each
    limit at random, and a mispredicted branch costs more than the arithmetic it skips.
    """
    first0 = law[at + P_TABLE_FIRST_ROWS]
    first1 = law[at + P_TABLE_FIRST_ROWS + 1]
    first2 = law[at + P_TABLE_FIRST_ROWS + 2]
    wide_row = law[at + P_TABLE_WIDE_ROW]
    narrow_row = law[at + P_TABLE_NARROW_ROW]
    in_table = income < law[at + P_TABLE_LIMIT]
    # a floor in floating point (math.floor gives an integer, whose conversions a compiled loop pays for)
    wide = float(np.floor(income / wide_row)) * wide_row + wide_row / 2
    narrow = float(np.floor(income / narrow_row)) * narrow_row + narrow_row / 2
    # the first rows: [5, 15) -> midpoint 10, [15, 25) -> midpoint 20
    first = (first0 + first1) / 2 if income < first1 else (first1 + first2) / 2
    midpoint = wide if income >= law[at + P_TABLE_WIDE_FROM] else (narrow if income >= first2 else first)
    tax = bracket_tax(midpoint if in_table else income, law, at, tops)
    tax = float(np.floor(tax + 0.5)) if in_table else tax
    return 0.0 if income < first0 else tax


def amt_rate_tax(base: float, law: Any, at: int) -> float:
    """26% of the AMT base up to the breakpoint, 28% above (IRC §55(b)(1)(A); Form 6251 line 7)."""
    low, high = law[at + P_AMT_RATES], law[at + P_AMT_RATES + 1]
    line7: float = low * base + (high - low) * maximum(base - law[at + P_AMT_BREAKPOINT], 0.0)
    return line7


def form6251_from_amti(
    amti_before_addon: float, status: int, line13: float, line21: float, line29: float, law: Any, at: int
) -> tuple[float, float, float, float, float, float, float, float, float]:
    """Form 6251 line 4 (with the MFS add-on) through line 7, from AMTI before the add-on.

    ``line13``: qualified dividends and net capital gain with AMT basis;
    ``line21`` / ``line29``: the room left in the 0% and 15% bands, measured on
    regular-tax ordinary income (lines 19-21 and 25-29). Returns the lines of
    :data:`FORM6251_KEYS`. Shared by the engine and by the room solver, which
    evaluates it at many spreads.
    """
    exemption = law[at + P_AMT_EXEMPTION]
    phaseout_start = law[at + P_AMT_PHASEOUT_START]
    phaseout_rate = law[at + P_AMT_PHASEOUT_RATE]
    # MFS: AMTI above the exemption's zero point is increased (§55(d) flush language)
    mfs_addon = 0.0
    if status == MFS:
        mfs_zero_point = phaseout_start + exemption / phaseout_rate
        mfs_addon = minimum(law[at + P_AMT_MFS_ADDON_RATE] * maximum(amti_before_addon - mfs_zero_point, 0.0),
                            exemption)
    line4 = amti_before_addon + mfs_addon
    # ---- Part II ----
    line5 = maximum(exemption - phaseout_rate * maximum(line4 - phaseout_start, 0.0), 0.0)
    line6 = maximum(line4 - line5, 0.0)
    # ---- Part III: capital gains keep their rates inside the AMT (§55(b)(3)) ----
    line12 = line6
    line16 = minimum(line12, line13)
    line17 = line12 - line16
    line18 = amt_rate_tax(line17, law, at)
    line22 = minimum(line12, line13)
    line23 = minimum(line21, line22)
    line24 = line22 - line23
    line30 = minimum(line24, line29)
    line31 = law[at + P_CG_RATES + 1] * line30
    line32 = line23 + line30
    line33 = line22 - line32
    line34 = law[at + P_CG_RATES + 2] * line33
    line38 = line18 + line31 + line34
    line39 = amt_rate_tax(line12, law, at)
    line40 = minimum(line38, line39)
    line7 = line40 if line13 > 0 else line39
    return mfs_addon, line4, line5, line6, line18, line31, line34, line39, line7


def income_and_deductions(xi: Any, status: int, law: Any, at: int, tops: tuple[int, ...], v: Any) -> None:
    """Form 1040 lines 1-11 and both deduction candidates (Schedule A and standard), into ``v`` (each line
    stored as soon as it is computed, as in :func:`election_lines`)."""
    loss_limit = law[at + P_CAPITAL_LOSS_LIMIT]
    # Schedule D on both bases: line 16 and the §1211(b) loss limit (line 21), carryovers in (§1212(b))
    line7, line15, line16, capital_in_agi, _ = schedule_d(
        xi[I_SHORT_TERM], xi[I_LONG_TERM], xi[I_SHORT_TERM_CARRY], xi[I_LONG_TERM_CARRY], loss_limit)
    v[L_SD_LINE7] = line7
    v[L_SD_LINE15] = line15
    v[L_SD_LINE16] = line16
    v[L_CAPITAL_IN_AGI] = capital_in_agi
    amt_line7, amt_line15, amt_line16, amt_in_amti, amt_net_gain = schedule_d(
        xi[I_AMT_SHORT_TERM], xi[I_AMT_LONG_TERM], xi[I_AMT_SHORT_TERM_CARRY], xi[I_AMT_LONG_TERM_CARRY],
        loss_limit)
    v[L_AMT_SD_LINE7] = amt_line7
    v[L_AMT_SD_LINE15] = amt_line15
    v[L_AMT_SD_LINE16] = amt_line16
    v[L_AMT_CAPITAL_IN_AMTI] = amt_in_amti
    v[L_AMT_NET_CAPITAL_GAIN] = amt_net_gain
    agi = (xi[I_WAGES] + xi[I_NSO] + xi[I_INTEREST] + xi[I_ORDINARY_DIVIDENDS] + xi[I_OTHER_ORDINARY]
           + capital_in_agi)
    v[L_AGI] = agi
    contribution_base = maximum(agi, 0.0)

    # Schedule 1-A: senior deduction per qualifying person, phased out by MAGI (= AGI here)
    per_senior = maximum(
        law[at + P_SENIOR] - law[at + P_SENIOR_PHASEOUT_RATE] * maximum(agi - law[at + P_SENIOR_PHASEOUT_START], 0.0),
        0.0)
    senior_deduction = 0.0 if status == MFS else xi[I_SENIORS] * per_senior
    v[L_SENIOR] = senior_deduction

    # Standard deduction (Form 1040 line 12e) with the §63(f) additions
    standard = law[at + P_STANDARD] + xi[I_AGE_65_OR_BLIND] * law[at + P_STANDARD_ADDITIONAL]
    charitable = xi[I_CHARITABLE]
    nonitemizer_charity = minimum(charitable, law[at + P_CHARITABLE_NONITEMIZER])  # §170(p); 0 in years before it
    v[L_STANDARD] = standard
    v[L_NONITEMIZER_CHARITABLE] = nonitemizer_charity
    v[L_STANDARD_TOTAL] = standard + nonitemizer_charity

    # Schedule A: SALT cap with the §164(b)(7) phase-down (MAGI = AGI: no foreign exclusions modeled)
    salt_cap = maximum(
        law[at + P_SALT_CAP] - law[at + P_SALT_PHASEDOWN_RATE] * maximum(agi - law[at + P_SALT_PHASEDOWN_START], 0.0),
        law[at + P_SALT_FLOOR])
    salt_cap = minimum(salt_cap, law[at + P_SALT_CAP])
    salt = minimum(xi[I_STATE_LOCAL_TAX], salt_cap)
    v[L_SALT_CAP] = salt_cap
    v[L_SALT] = salt
    # the §170(b)(1)(G) ceiling, then the §170(b)(1)(I) floor (zero in the law data's years before it)
    charity = maximum(minimum(charitable, law[at + P_CHARITABLE_AGI_LIMIT] * contribution_base)
                  - law[at + P_CHARITABLE_FLOOR] * contribution_base, 0.0)
    v[L_CHARITY] = charity
    itemized_total = salt + xi[I_MORTGAGE] + charity + xi[I_OTHER_ITEMIZED]
    # §68 as amended (zero rate in the law data's years before it): the limitation rate times the lesser of the
    # itemized deductions and the taxable income before §68, increased by them, above the top bracket's start
    n_tops = len(tops)
    start_37 = law[at + P_ORDINARY_RATES + n_tops + 1 + n_tops - 1]
    section_68 = law[at + P_ITEMIZED_LIMITATION_RATE] * minimum(
        itemized_total, maximum(agi - senior_deduction - start_37, 0.0))
    v[L_ITEMIZED_BEFORE_68] = itemized_total
    v[L_SECTION_68] = section_68
    v[L_ITEMIZED_ALLOWED] = itemized_total - section_68


def regular_tax_lines(xi: Any, law: Any, at: int, tops: tuple[int, ...], itemize: bool, v: Any) -> tuple[
        float, float, float, float, float, float, float, float, float, float, float, float]:
    """Form 1040 lines 12-16 of one election from the lines of :func:`income_and_deductions` in ``v``: the
    deduction, the non-itemizer charitable deduction used, total deductions (line 14), taxable income (line 15),
    Qualified Dividends and Capital Gain Tax Worksheet lines 4, 5, 9, 17, 20, 22, 24, and the regular tax
    (line 16, IRC §1(h), §1(j))."""
    agi = v[L_AGI]
    senior_deduction = v[L_SENIOR]
    # both candidates read, then one chosen: a read under a condition keeps the compiled loop's branches
    itemized_allowed, standard, nonitemizer = v[L_ITEMIZED_ALLOWED], v[L_STANDARD], v[L_NONITEMIZER_CHARITABLE]
    deduction = itemized_allowed if itemize else standard
    nonitemizer_charity = 0.0 if itemize else nonitemizer
    total_deductions = deduction + nonitemizer_charity + senior_deduction  # Form 1040 line 14
    taxable_income = maximum(agi - total_deductions, 0.0)  # line 15

    # Qualified Dividends and Capital Gain Tax Worksheet (Form 1040 line 16)
    cg_top0, cg_top15 = law[at + P_CG_BRACKETS], law[at + P_CG_BRACKETS + 1]
    q1 = taxable_income
    q2 = xi[I_QUALIFIED_DIVIDENDS]
    q3 = maximum(minimum(v[L_SD_LINE15], v[L_SD_LINE16]), 0.0)
    q4 = q2 + q3
    q5 = maximum(q1 - q4, 0.0)
    q7 = minimum(q1, cg_top0)
    q8 = minimum(q5, q7)
    q9 = q7 - q8  # taxed at 0%
    q10 = minimum(q1, q4)
    q12 = q10 - q9
    q14 = minimum(q1, cg_top15)
    q16 = maximum(q14 - (q5 + q9), 0.0)
    q17 = minimum(q12, q16)
    q18 = law[at + P_CG_RATES + 1] * q17
    q20 = q10 - (q9 + q17)
    q21 = law[at + P_CG_RATES + 2] * q20
    q22 = tax_on_ordinary_income(q5, law, at, tops)
    q23 = q18 + q21 + q22
    # line 24 taxes line 1 as line 22 taxes line 5: the same tax when line 5 is line 1 (no qualified dividends
    # or net capital gain on line 4)
    q24 = q22 if q5 == q1 else tax_on_ordinary_income(q1, law, at, tops)
    regular_tax = minimum(q23, q24) if q4 > 0 else q24
    return deduction, nonitemizer_charity, total_deductions, taxable_income, q4, q5, q9, q17, q20, q22, q24, regular_tax


def amti_lines(xi: Any, law: Any, at: int, itemize: bool, total_deductions: float, q5: float, v: Any) -> tuple[
        float, float, float, float, float, float, float, float, float, float, float]:
    """Form 6251 Part I of one election (lines 1a, 1b, 2a, 2i, 2k, 3, the §68 reduction restored, AMTI before the
    MFS add-on) and the Part III inputs (line 13, the room left in the 0% and 15% bands, lines 21 and 29), from
    the lines of :func:`income_and_deductions` in ``v``, Form 1040 line 14 and QDCG Worksheet line 5
    (:func:`regular_tax_lines`)."""
    agi = v[L_AGI]
    senior_deduction = v[L_SENIOR]
    cg_top0, cg_top15 = law[at + P_CG_BRACKETS], law[at + P_CG_BRACKETS + 1]
    q2 = xi[I_QUALIFIED_DIVIDENDS]
    # ---- Form 6251 Part I: AMTI ----
    line1a = total_deductions - senior_deduction
    line1b = agi - line1a  # may be negative
    salt, standard, section_68 = v[L_SALT], v[L_STANDARD], v[L_SECTION_68]  # read, then chosen (as above)
    line2a = salt if itemize else standard  # §56(b)(1)(A)(ii), (E)
    line2i = xi[I_ISO]  # §56(b)(3)
    line2k = xi[I_LINE2K]
    # §56(b)(1)(F): §68 does not apply for AMTI, so its reduction is deducted back [S, TAX_FACTS A9]
    section_68_restored = -section_68 if itemize else 0.0
    line3 = xi[I_OTHER_AMT] + section_68_restored
    amti_before_addon = line1b + line2a + line2i + line2k + line3
    # Part III bands are measured on regular-tax ordinary income (QDCG worksheet line 5): lines 20-21, 27-29
    # line 13: qualified dividends + net capital gain from the AMT Schedule D (IRC §1222(11), AMT basis)
    line13 = q2 + v[L_AMT_NET_CAPITAL_GAIN]
    line21 = maximum(cg_top0 - q5, 0.0)
    line29 = maximum(cg_top15 - (line21 + q5), 0.0)
    return line1a, line1b, line2a, line2i, line2k, line3, section_68_restored, amti_before_addon, line13, line21, line29


def tax_lines(xi: Any, status: int, law: Any, at: int, tops: tuple[int, ...], itemize: bool, v: Any) -> None:
    """Regular tax, NIIT, Additional Medicare Tax, Form 6251 and the credit for one election, into ``v``
    (which holds :func:`income_and_deductions`)."""
    election_lines(xi, status, law, at, tops, itemize, v, v)


def election_lines(xi: Any, status: int, law: Any, at: int, tops: tuple[int, ...], itemize: bool, v: Any,
                   w: Any) -> None:
    """:func:`tax_lines` of one election from the lines of :func:`income_and_deductions` in ``v``, into ``w``
    from :data:`N_ELECTION_FREE` on (``w`` may be ``v``; the other election goes to scratch without a copy of
    the lines both share).

    Each line is stored as soon as it is computed: the compiled loop cannot move a store past a read of
    ``v``, ``xi`` or ``law`` (they might be the same memory), so a line stored late stays in a register, or
    spilled to the stack and read back, until then.
    """
    (deduction, nonitemizer_charity, total_deductions, taxable_income, q4, q5, q9, q17, q20, q22, q24,
     regular_tax) = regular_tax_lines(xi, law, at, tops, itemize, v)
    w[L_ITEMIZED] = 1.0 if itemize else 0.0
    w[L_DEDUCTION] = deduction
    w[L_NONITEMIZER_USED] = nonitemizer_charity
    w[L_TOTAL_DEDUCTIONS] = total_deductions
    w[L_TAXABLE_INCOME] = taxable_income
    w[L_Q4] = q4
    w[L_Q5] = q5
    w[L_Q9] = q9
    w[L_Q17] = q17
    w[L_Q20] = q20
    w[L_Q22] = q22
    w[L_Q24] = q24
    w[L_REGULAR_TAX] = regular_tax
    agi = v[L_AGI]

    # Form 8960: NIIT on the lesser of net investment income and MAGI over the threshold
    capital_in_agi = v[L_CAPITAL_IN_AGI]
    nii = maximum(xi[I_INTEREST] + xi[I_ORDINARY_DIVIDENDS] + capital_in_agi, 0.0)
    niit = law[at + P_NIIT_RATE] * minimum(nii, maximum(agi - law[at + P_NIIT_THRESHOLD], 0.0))
    w[L_NII] = nii
    w[L_NIIT] = niit
    # Form 8959: 0.9% of Medicare wages (W-2 box 5: wages and the NSO spread, Treas. Reg. §1.83-7) over the
    # threshold; ISO exercise and disqualifying-disposition income are not FICA wages (§3121(a)(22))
    medicare_wages = xi[I_WAGES] + xi[I_NSO]
    additional_medicare = law[at + P_MEDICARE_RATE] * maximum(medicare_wages - law[at + P_MEDICARE_THRESHOLD], 0.0)
    w[L_MEDICARE] = additional_medicare

    (line1a, line1b, line2a, line2i, line2k, line3, section_68_restored, amti_before_addon, line13, line21,
     line29) = amti_lines(xi, law, at, itemize, total_deductions, q5, v)
    w[L_AMT_LINE1A] = line1a
    w[L_AMT_LINE1B] = line1b
    w[L_AMT_LINE2A] = line2a
    w[L_AMT_LINE2I] = line2i
    w[L_AMT_LINE2K] = line2k
    w[L_AMT_LINE3] = line3
    w[L_SECTION_68_RESTORED] = section_68_restored
    w[L_AMT_LINE13] = line13
    mfs_addon, line4, line5, line6, line18, line31, line34, line39, line7 = form6251_from_amti(
        amti_before_addon, status, line13, line21, line29, law, at)
    line9 = line7  # no AMT foreign tax credit (line 8) modeled
    w[L_MFS_ADDON] = mfs_addon
    w[L_AMTI] = line4
    w[L_AMT_EXEMPTION] = line5
    w[L_AMT_BASE] = line6
    w[L_AMT_LINE7] = line7
    w[L_AMT_LINE18] = line18
    w[L_AMT_LINE31] = line31
    w[L_AMT_LINE34] = line34
    w[L_AMT_LINE39] = line39
    w[L_TMT] = line9
    # Capital Loss Carryover Worksheet on each basis; worksheet line 1 is taxable income before its floor,
    # and on the AMT basis its counterpart, AMTI less the exemption (Form 6251 line 4 - line 5)
    carry_st, carry_lt = loss_carryover(v[L_SD_LINE7], v[L_SD_LINE15], capital_in_agi, agi - total_deductions)
    w[L_CARRY_ST] = carry_st
    w[L_CARRY_LT] = carry_lt
    amt_carry_st, amt_carry_lt = loss_carryover(v[L_AMT_SD_LINE7], v[L_AMT_SD_LINE15], v[L_AMT_CAPITAL_IN_AMTI],
                                                line4 - line5)
    w[L_AMT_CARRY_ST] = amt_carry_st
    w[L_AMT_CARRY_LT] = amt_carry_lt
    line10 = regular_tax
    line11 = maximum(line9 - line10, 0.0)
    w[L_AMT_LINE10] = line10
    w[L_AMT] = line11

    # ---- Form 8801 Part II: credit used this year, limited by §53(c) ----
    credit = xi[I_CREDIT]
    credit_limit = maximum(regular_tax - line9, 0.0)  # line 24 (no other credits modeled)
    credit_used = minimum(credit, credit_limit)  # line 25
    credit_left = credit - credit_used  # line 26
    w[L_CREDIT_LIMIT] = credit_limit
    w[L_CREDIT_USED] = credit_used
    w[L_CREDIT_LEFT] = credit_left

    income_tax = regular_tax + line11
    income_tax_after_credit = income_tax - credit_used
    w[L_INCOME_TAX] = income_tax
    w[L_AFTER_CREDIT] = income_tax_after_credit
    w[L_TOTAL_TAX] = income_tax_after_credit + niit + additional_medicare


def first_election(xi: Any, status: int, law: Any, at: int, tops: tuple[int, ...], mode: int, v: Any) -> None:
    """Every line of a household into ``v``, under the election ``mode`` asks for: the larger deduction when it
    is AUTO (:func:`other_election` then tries the other)."""
    income_and_deductions(xi, status, law, at, tops, v)
    itemized_allowed, standard_total = v[L_ITEMIZED_ALLOWED], v[L_STANDARD_TOTAL]
    itemize = mode == ITEMIZED or (mode == AUTO and itemized_allowed > standard_total)
    tax_lines(xi, status, law, at, tops, itemize, v)


def other_election(xi: Any, status: int, law: Any, at: int, tops: tuple[int, ...], v: Any, other: Any) -> None:
    """For mode AUTO, after :func:`first_election`: the other election's lines into ``v`` where it is cheaper
    (``other``: scratch for its lines).

    AUTO takes the election with the lower regular tax + AMT - minimum
    tax credit (IRC §63(e) lets a filer itemize even below the standard
    deduction, which can pay when the AMT binds): it starts from the larger
    deduction; the other election always has the smaller regular deduction, so
    its regular tax is at least as high and it can only win by lowering TMT,
    which needs a larger deduction that the AMT allows (mortgage interest,
    charity and other itemized deductions when itemizing; the §170(p) charity
    when not). So it is tried only where the AMT or the credit is in play and
    the other election deducts more for the AMT, and taken when cheaper by
    more than :data:`ELECTION_TIE`.
    """
    itemize = v[L_ITEMIZED_ALLOWED] > v[L_STANDARD_TOTAL]
    amt_allowed_itemized = v[L_ITEMIZED_BEFORE_68] - v[L_SALT]
    amt_allowed_standard = v[L_NONITEMIZER_CHARITABLE]
    if itemize:
        other_allows_more = amt_allowed_standard > amt_allowed_itemized
    else:
        other_allows_more = amt_allowed_itemized > amt_allowed_standard
    if not (other_allows_more and (v[L_AMT] > 0 or xi[I_CREDIT] > 0)):
        return
    election_lines(xi, status, law, at, tops, not itemize, v, other)
    if other[L_AFTER_CREDIT] < v[L_AFTER_CREDIT] - ELECTION_TIE:
        for k in range(N_ELECTION_FREE, N_LINES):
            v[k] = other[k]


def block_inputs(x: Any, start: int, stop: int, xb: Any) -> None:
    """The inputs of rows ``start:stop`` into ``xb[i - start]``, one input column at a time: a few sequential
    reads of each column instead of one read of every column per row (two dozen interleaved streams, which the
    memory prefetcher follows badly)."""
    for k in range(N_INPUTS):
        # the block's part of the column, indexed from 0: the compiled loop then needs no check of the index
        # for negative values
        part = x[k][start:stop]
        for r in range(len(part)):
            xb[r][k] = part[r]


def block_law(law: Any, year: Any, status: Any, first_year: int, start: int, stop: int, lb: Any) -> None:
    """The law of rows ``start:stop`` into ``lb[i - start]``: household i's row of the parameter table ``law``,
    row ``(year - first_year) * statuses + status``. The compiled loop then reads a household's law from the
    block's scratch, as it reads its inputs (read from the table itself, a household cost about 40% more)."""
    block_year = year[start:stop]
    block_status = status[start:stop]
    for r in range(len(block_year)):
        row = law[(block_year[r] - first_year) * N_STATUSES + block_status[r]]
        own = lb[r]
        for p in range(len(row)):
            own[p] = row[p]


def block_outputs(vb: Any, keep: Any, start: int, stop: int, out: Any) -> None:
    """The lines ``keep`` of rows ``start:stop`` from ``vb[i - start]`` into ``out[j, i]``, one kept line at a
    time: a run of stores into each output line instead of a row's kept lines scattered across them, with the
    line's index read once per block instead of once per row."""
    for j in range(len(keep)):
        line = keep[j]
        # the block's part of the output line, indexed from 0 (no check of the index for negative values)
        part = out[j, start:stop]
        for r in range(len(part)):
            part[r] = vb[r][line]


#: Rows whose inputs :func:`federal_rows` gathers at once, and whose lines it then stores at once (their block of
#: inputs stays in the L1 cache, their lines in the L2 cache).
BLOCK_ROWS = 128
#: Households a compiled block has room for: its rows and a cache line more. The compiled scratch is laid out value
#: by value (``np.empty((values, BLOCK_SPAN)).T``, household r's values still being row r): each value of the
#: block's households lies in one run of memory, which :func:`block_inputs` and :func:`block_outputs` copy as a
#: whole, and a household's values lie this many apart, so that they fall in different sets of the cache instead of
#: competing for a few.
BLOCK_SPAN = BLOCK_ROWS + 8


def federal_rows(start: int, stop: int, x: Any, year: Any, status: Any, first_year: int, law: Any,
                 tops: tuple[int, ...], mode: int, keep: Any, out: Any, xb: Any, lb: Any, vb: Any, other: Any) -> None:
    """Rows ``start:stop`` of the inputs ``x`` (one sequence per :data:`INPUT_FIELDS`).

    ``law`` is the kernel's parameter table, one row per year and status:
    household i's is row ``(year - first_year) * statuses + status``. The lines listed in
    ``keep`` (indices into :data:`LINE_KEYS`) go to ``out[j, i]``. ``xb``, ``lb``, ``vb``
    and ``other`` are scratch for the inputs, the law and the lines of :data:`BLOCK_ROWS`
    rows (``xb[r]`` is a row's :data:`N_INPUTS` inputs, ``lb[r]`` its row of ``law``, ``vb[r]`` its
    :data:`N_LINES` lines) and for one row's lines of the other election: arrays
    when compiled (laid out as :data:`BLOCK_SPAN` says), lists of Python
    floats when interpreted.

    Under AUTO the other election is tried in a second pass over the block (:func:`other_election`): in the
    first pass's loop its code, which runs for about one household in six, slowed every household by a third.
    """
    for block in range(start, stop, BLOCK_ROWS):
        block_stop = minimum_int(stop, block + BLOCK_ROWS)
        block_inputs(x, block, block_stop, xb)
        block_law(law, year, status, first_year, block, block_stop, lb)
        block_status = status[block:block_stop]
        for r in range(len(block_status)):
            first_election(xb[r], block_status[r], lb[r], 0, tops, mode, vb[r])
        if mode == AUTO:
            for r in range(len(block_status)):
                other_election(xb[r], block_status[r], lb[r], 0, tops, vb[r], other)
        block_outputs(vb, keep, block, block_stop, out)


def form6251_rows(start: int, stop: int, amti_before_addon: Any, status: Any, line13: Any, line21: Any,
                  line29: Any, law_row: Any, law: Any, out: Any) -> None:
    """:func:`form6251_from_amti` for rows ``start:stop``; row i's law is row ``law_row[i]`` of the table ``law``;
    the lines of :data:`FORM6251_KEYS` go to ``out[j, i]``."""
    for i in range(start, stop):
        lines = form6251_from_amti(amti_before_addon[i], status[i], line13[i], line21[i], line29[i],
                                   law[law_row[i]], 0)
        out[0, i], out[1, i], out[2, i], out[3, i], out[4, i], out[5, i], out[6, i], out[7, i], out[8, i] = lines


#: The loop over chunks of rows: ``range`` when interpreted; :mod:`isoplan.tax.compiled` runs a copy of the
#: drivers below with numba's ``prange`` here, which splits the chunks across the cores.
prange = range


def federal_chunks(x: Any, year: Any, status: Any, first_year: int, law: Any, tops: tuple[int, ...], mode: int,
                   keep: Any, out: Any, chunk: int) -> None:
    """:func:`federal_rows` over every row, ``chunk`` rows at a time (``tops``: see :func:`bracket_tax`)."""
    n = len(year)
    for c in prange((n + chunk - 1) // chunk):
        federal_rows(c * chunk, minimum_int(n, (c + 1) * chunk), x, year, status, first_year, law, tops, mode,
                     keep, out, np.empty((N_INPUTS, BLOCK_SPAN)).T, np.empty((law.shape[1], BLOCK_SPAN)).T,
                     np.empty((N_LINES, BLOCK_SPAN)).T, np.empty(N_LINES))


def form6251_chunks(amti_before_addon: Any, status: Any, line13: Any, line21: Any, line29: Any, law_row: Any,
                    law: Any, out: Any, chunk: int) -> None:
    """:func:`form6251_rows` over every row, ``chunk`` rows at a time."""
    n = len(status)
    for c in prange((n + chunk - 1) // chunk):
        form6251_rows(c * chunk, minimum_int(n, (c + 1) * chunk), amti_before_addon, status, line13, line21, line29,
                      law_row, law, out)


def minimum_int(a: int, b: int) -> int:
    return a if a < b else b


#: The functions the compiled loops call (each compiled once, in :mod:`isoplan.tax.compiled`).
ROW_FUNCTIONS = (maximum, minimum, minimum_int, schedule_d, loss_carryover, bracket_tax, tax_on_ordinary_income,
                 amt_rate_tax, form6251_from_amti, income_and_deductions, regular_tax_lines, amti_lines, election_lines,
                 tax_lines, first_election, other_election, block_inputs, block_law, block_outputs, federal_rows,
                 form6251_rows)
