"""Line-by-line explanation of a federal result: which form line each number is.

:data:`LINES` is the one list of (key, form, line, caption) used by the CLI's
``--explain``, the JSON output, the web app and the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import copysign

from isoplan.tax.federal import FederalResult
from isoplan.tax.law import STATUSES, LawTable

#: (result key, form, line, caption), in the order a person reads the return.
LINES: tuple[tuple[str, str, str, str], ...] = (
    ("schedule_d_line7", "Schedule D", "7", "Net short-term gain or (loss), after the carryover in"),
    ("schedule_d_line15", "Schedule D", "15", "Net long-term gain or (loss), after the carryover in"),
    ("net_capital_gain_or_loss", "Schedule D", "16", "Net gain or (loss)"),
    ("capital_gain_in_agi", "Form 1040", "7", "Capital gain or (loss), after the §1211(b) loss limit"),
    ("agi", "Form 1040", "11", "Adjusted gross income"),
    ("salt_cap", "Schedule A", "5e", "SALT cap after the §164(b)(7) phase-down"),
    ("salt_deducted", "Schedule A", "7", "State and local taxes deducted"),
    ("charitable_itemized", "Schedule A", "14", "Gifts to charity (after the 60% ceiling and any 0.5% floor)"),
    ("itemized_before_68", "Schedule A", "17", "Itemized deductions before the §68 limitation"),
    ("section_68_reduction", "Schedule A", "§68", "§68 (2/37) reduction of itemized deductions (if the year has it)"),
    ("standard_deduction", "Form 1040", "12e*", "Standard deduction (if taken)"),
    ("itemized", "Form 1040", "12e", "Itemized? (1 = yes, 0 = standard deduction)"),
    ("deduction", "Form 1040", "12e", "Deduction taken"),
    ("nonitemizer_charitable_used", "Form 1040", "§170(p)", "Non-itemizer charitable deduction (if the year has it)"),
    ("senior_deduction", "Schedule 1-A", "senior", "Senior deduction (65+, if the year has it)"),
    ("total_deductions", "Form 1040", "14", "Total deductions"),
    ("taxable_income", "Form 1040", "15", "Taxable income"),
    ("qdcg_line4", "QDCG Worksheet", "4", "Qualified dividends and net capital gain"),
    ("qdcg_line5", "QDCG Worksheet", "5", "Ordinary taxable income"),
    ("qdcg_line9_zero_rate", "QDCG Worksheet", "9", "Taxed at 0%"),
    ("qdcg_line17_15_rate", "QDCG Worksheet", "17", "Taxed at 15%"),
    ("qdcg_line20_20_rate", "QDCG Worksheet", "20", "Taxed at 20%"),
    ("qdcg_line22", "QDCG Worksheet", "22", "Tax on ordinary income (Tax Table under $100,000)"),
    ("regular_tax", "Form 1040", "16", "Regular tax"),
    ("amt_line1a", "Form 6251", "1a", "Deductions taken, less the senior deduction"),
    ("amt_line1b", "Form 6251", "1b", "AGI minus line 1a"),
    ("amt_line2a", "Form 6251", "2a", "Taxes (itemizers) or standard deduction added back"),
    ("amt_line2i", "Form 6251", "2i", "Exercise of incentive stock options"),
    ("amt_schedule_d_line7", "AMT Schedule D", "7", "Net short-term gain or (loss), AMT basis"),
    ("amt_schedule_d_line15", "AMT Schedule D", "15", "Net long-term gain or (loss), AMT basis"),
    ("amt_schedule_d_line16", "AMT Schedule D", "16", "Net gain or (loss), AMT basis"),
    ("amt_capital_gain_in_amti", "AMT Schedule D", "21*", "AMT gain or (loss) after the §1211(b) loss limit"),
    ("amt_line2k", "Form 6251", "2k", "Disposition of property (AMT minus regular gain)"),
    ("section_68_restored", "Form 6251", "3*", "§68 reduction not applied for AMT, §56(b)(1)(F) [S]"),
    ("amt_line3", "Form 6251", "3", "Other adjustments (includes the §68 line above)"),
    ("mfs_addon", "Form 6251", "4*", "Married filing separately add-on, §55(d)"),
    ("amti", "Form 6251", "4", "Alternative minimum taxable income"),
    ("amt_exemption", "Form 6251", "5", "Exemption after the phase-out"),
    ("amt_base", "Form 6251", "6", "AMTI minus exemption"),
    ("amt_line13", "Form 6251", "13", "Qualified dividends and net capital gain (AMT basis)"),
    ("amt_line18", "Form 6251", "18", "26%/28% tax on the ordinary part"),
    ("amt_line31", "Form 6251", "31", "15% tax on gains"),
    ("amt_line34", "Form 6251", "34", "20% tax on gains"),
    ("amt_line39", "Form 6251", "39", "26%/28% tax on all of line 6"),
    ("amt_line7", "Form 6251", "7", "Tax on line 6 (Part III if gains)"),
    ("tentative_minimum_tax", "Form 6251", "9", "Tentative minimum tax"),
    ("amt_line10", "Form 6251", "10", "Regular tax for comparison"),
    ("amt", "Form 6251", "11", "Alternative minimum tax"),
    ("amt_credit_limit", "Form 8801", "24", "Credit limit: regular tax minus TMT, §53(c)"),
    ("amt_credit_used", "Form 8801", "25", "Minimum tax credit used"),
    ("amt_credit_remaining", "Form 8801", "26", "Credit carried forward"),
    ("short_term_loss_carryover_out", "Schedule D", "CLCW 8", "Short-term loss carried to next year, §1212(b)"),
    ("long_term_loss_carryover_out", "Schedule D", "CLCW 13", "Long-term loss carried to next year, §1212(b)"),
    ("amt_short_term_loss_carryover_out", "AMT Schedule D", "CLCW 8", "Short-term loss carried forward, AMT basis"),
    ("amt_long_term_loss_carryover_out", "AMT Schedule D", "CLCW 13", "Long-term loss carried forward, AMT basis"),
    ("net_investment_income", "Form 8960", "8", "Net investment income"),
    ("niit", "Form 8960", "17", "Net investment income tax"),
    ("additional_medicare_tax", "Form 8959", "18", "Additional Medicare Tax"),
    ("income_tax_after_credit", "Form 1040", "22*", "Regular tax + AMT - minimum tax credit"),
    ("total_tax", "Form 1040", "24*", "Total of the taxes modeled"),
)

#: The outputs named in the batch file and ``--json`` (besides the inputs).
OUTPUTS: tuple[str, ...] = (
    "agi",
    "deduction",
    "itemized",
    "taxable_income",
    "regular_tax",
    "niit",
    "additional_medicare_tax",
    "amti",
    "amt_exemption",
    "tentative_minimum_tax",
    "amt",
    "amt_credit_used",
    "total_tax",
    # the capital loss carried to next year by character, on each basis (IRC §1212(b)): last, so the figures
    # before them keep their places in a batch file
    "short_term_loss_carryover_out",
    "long_term_loss_carryover_out",
    "amt_short_term_loss_carryover_out",
    "amt_long_term_loss_carryover_out",
)


@dataclass(frozen=True)
class LineRow:
    key: str
    form: str
    line: str
    caption: str
    value: float


#: Each line's row with the value 0: most of a household's lines are 0 (a web page explains a few hundred lines a
#: request), and a frozen row can be shared.
_ZERO_ROWS = {key: LineRow(key, form, line, caption, 0.0) for key, form, line, caption in LINES}


def explain_row(result: FederalResult, i: int = 0) -> list[LineRow]:
    """The lines of household ``i``, in form order."""
    lines = result.lines
    rows = []
    for key, form, line, caption in LINES:
        if key in lines:
            value = float(lines[key][i])
            # 0.0, not -0.0 (equal to it, but shown with its sign)
            rows.append(_ZERO_ROWS[key] if value == 0.0 and copysign(1.0, value) > 0.0 else
                        LineRow(key, form, line, caption, value))
    return rows


def year_notes(law: LawTable, year: int, status_code: int) -> list[str]:
    """Plain-language notes on the law behind a year: projected, or resting on unsettled law."""
    notes = []
    year_law = law.laws[year]
    if year_law.projected:
        notes.append(
            f"{year} is PROJECTED: published law ends with {law.last_published}; amounts indexed at "
            f"{law.inflation:.2%} a year (change with --inflation)."
        )
    status = STATUSES[status_code]
    for param in year_law.parameters.values():
        if param.unsettled and (status == "mfs" or not param.name.startswith("amt_mfs")):
            notes.append(f"{param.name}: {param.citations[-1]}")
    return notes
