"""The names of the engine's inputs (no NumPy here, so the CLI can build its flags fast)."""

from __future__ import annotations

#: (name, may be negative, help) for every money input, in documentation order.
MONEY_FIELDS: tuple[tuple[str, bool, str], ...] = (
    ("wages", False, "wages, salaries, tips (Form 1040 line 1; also Medicare wages for Form 8959)"),
    ("taxable_interest", False, "taxable interest (line 2b)"),
    ("ordinary_dividends", False, "ordinary dividends, qualified included (line 3b)"),
    ("qualified_dividends", False, "qualified dividends (line 3a), at most the ordinary dividends"),
    ("short_term_gain", True, "net short-term capital gain or loss of the year (Schedule D lines 1a-5)"),
    ("long_term_gain", True, "net long-term capital gain or loss of the year (Schedule D lines 8a-13)"),
    ("short_term_loss_carryover", False,
     "short-term capital loss carried in from earlier years, a positive amount (Schedule D line 6; IRC §1212(b))"),
    ("long_term_loss_carryover", False,
     "long-term capital loss carried in from earlier years, a positive amount (Schedule D line 14; IRC §1212(b))"),
    ("nso_income", False,
     "nonqualified stock option spread at exercise (W-2 box 12 code V): ordinary income and Medicare wages "
     "for the Additional Medicare Tax (Form 8959 line 1; Treas. Reg. §1.83-7)"),
    ("other_ordinary_income", False,
     "other ordinary income not subject to payroll tax, such as ISO disqualifying-disposition compensation "
     "(not FICA wages, IRC §3121(a)(22))"),
    ("state_local_tax", False, "state and local income and property taxes paid (Schedule A line 5d, before the cap)"),
    ("mortgage_interest", False, "home mortgage interest (Schedule A line 8)"),
    ("charitable", False, "cash gifts to public charities (Schedule A line 11)"),
    ("other_itemized", False,
     "other itemized deductions allowed for both regular tax and AMT (medical above its floor, etc.)"),
    ("iso_bargain_element", False, "ISO exercise spread recognized for AMT (Form 6251 line 2i)"),
    ("amt_disposition_adjustment", True,
     "AMT minus regular gain on dispositions (Form 6251 line 2k; negative for a later-year ISO sale); "
     "defaults to the AMT Schedule D amount minus the regular one, each after the capital-loss limit"),
    ("other_amt_adjustments", True, "other AMT adjustments and preferences (Form 6251 lines 2c-2h, 2j, 2l-2t, 3)"),
    ("amt_short_term_gain", True,
     "net short-term gain or loss refigured with AMT basis (AMT Schedule D); defaults to short_term_gain"),
    ("amt_long_term_gain", True,
     "net long-term gain or loss refigured with AMT basis (AMT Schedule D; Form 6251 line 13); "
     "defaults to long_term_gain"),
    ("amt_short_term_loss_carryover", False,
     "short-term capital loss carried in on the AMT basis (AMT Schedule D line 6); "
     "defaults to short_term_loss_carryover"),
    ("amt_long_term_loss_carryover", False,
     "long-term capital loss carried in on the AMT basis (AMT Schedule D line 14); "
     "defaults to long_term_loss_carryover"),
    ("amt_credit_carryforward", False,
     "minimum tax credit available from earlier years (Form 8801 line 21)"),
)

COUNT_FIELDS: tuple[tuple[str, str], ...] = (
    ("age_65_or_blind", "boxes checked for age 65 or older or blind (0-2, 0-4 on a joint return)"),
    ("senior_count", "filers aged 65 or older claiming the senior deduction, if the year has it (0-1, 0-2 joint)"),
)

#: AMT-basis inputs and the regular input each defaults to when not given.
AMT_BASIS_DEFAULTS: dict[str, str] = {
    "amt_short_term_gain": "short_term_gain",
    "amt_long_term_gain": "long_term_gain",
    "amt_short_term_loss_carryover": "short_term_loss_carryover",
    "amt_long_term_loss_carryover": "long_term_loss_carryover",
}

INPUT_NAMES: tuple[str, ...] = (
    "year",
    "filing_status",
    *(name for name, _, _ in MONEY_FIELDS),
    *(name for name, _ in COUNT_FIELDS),
)

#: California-only inputs (isoplan.tax.states.california; not part of the federal ``Households``, so the
#: federal engine and every command's household flags are unchanged): (name, help).
CA_MONEY_FIELDS: tuple[tuple[str, str], ...] = (
    ("property_tax",
     "real and personal property taxes, included in state_local_tax: deductible in California without a cap, "
     "where state income tax is not (Schedule CA (540) line 5); added back on Schedule P line 3"),
    ("ca_amt_credit_carryforward",
     "California AMT credit available from earlier years (FTB 3510 credit carryover)"),
)

#: Tax already paid through withholding (W-2 box 2, box 17): not inputs of the tax computation but payments
#: toward it, used by the estimated-tax schedule (``isoplan ledger estimates``): (name, help).
WITHHOLDING_FIELDS: tuple[tuple[str, str], ...] = (
    ("federal_withholding",
     "federal income tax withheld in the year (W-2 box 2, Form 1099 box 4): treated as paid in equal parts on "
     "the four installment due dates (IRC §6654(g)(1); Form 2210 line 6)"),
    ("ca_withholding",
     "California income tax withheld in the year (W-2 box 17): treated as paid 30/40/0/30% on the due dates "
     "(R&TC §19136(e)(2)(A); Form 5805)"),
)
