"""Senior deduction phase-out for a qualifying surviving spouse (IRC §151(d)(5)(C)(ii)).

The statute's $150,000 applies to a joint return; a qualifying surviving
spouse does not file one (IRC §2(a), §6013), so $75,000 applies. Expected
values are worked by hand from the 2025 parameters (Rev. Proc. 2024-40 as
amended by Pub. L. 119-21).
"""

import pytest

from isoplan.tax.federal import compute_federal
from isoplan.tax.households import households
from isoplan.tax.law import year_law


def tax(law, **inputs):
    result = compute_federal(households(**inputs), law)
    return {k: float(v[0]) for k, v in result.lines.items()}


def test_qss_phase_out_starts_at_75000():
    assert year_law(2025).value("senior_deduction_phaseout_start", "qss") == 75_000
    assert year_law(2026).value("senior_deduction_phaseout_start", "qss") == 75_000
    assert year_law(2025).value("senior_deduction_phaseout_start", "mfj") == 150_000


def test_qss_zero_point_at_magi_175000(law):
    # zero point: 75,000 + 6,000 / 0.06 = 175,000, so no senior deduction at MAGI 175,000
    r = tax(law, year=2025, filing_status="qss", wages=175_000, age_65_or_blind=1, senior_count=1)
    assert r["senior_deduction"] == 0
    # standard deduction: 31,500 (QSS = MFJ amount) + 1,600 (one box, married/QSS amount) = 33,100
    # taxable income: 175,000 - 33,100 - 0 = 141,900
    assert r["taxable_income"] == 141_900
    # tax (rate schedule, >= 100,000), 2025 MFJ/QSS brackets:
    #   10% x 23,850 = 2,385
    #   12% x (96,950 - 23,850) = 12% x 73,100 = 8,772
    #   22% x (141,900 - 96,950) = 22% x 44,950 = 9,889
    #   total 21,046  (with the joint $150,000 start it would be 6,000 - 0.06 x 25,000 = 4,500 of deduction
    #   and 22% x 4,500 = 990 less tax)
    assert r["regular_tax"] == pytest.approx(21_046, abs=0.01)


def test_qss_inside_the_phase_out():
    # MAGI 125,000: 6,000 - 0.06 x (125,000 - 75,000) = 6,000 - 3,000 = 3,000
    from isoplan.tax.law import law_table
    r = tax(law_table(), year=2025, filing_status="qss", wages=125_000, age_65_or_blind=1, senior_count=1)
    assert r["senior_deduction"] == pytest.approx(3_000)
    # taxable income 125,000 - 33,100 - 3,000 = 88,900
    assert r["taxable_income"] == pytest.approx(88_900)
