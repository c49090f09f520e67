"""The ledger on two bases: AMT short- and long-term results net on the AMT Schedule D; losses carry over."""

from datetime import date
from decimal import Decimal as D

import pytest

from isoplan.ledger.years import ledger_years


def table(book, law):
    rows, notes = ledger_years(book.lots(), book.sales(), book.years(), law)
    return {r.year: r for r in rows}, notes


def test_amt_short_term_loss_nets_against_amt_long_term_gain_on_line_13(book, make_grant, law):
    # grant 2023-01-10 at $1; exercise 2,000 on 2025-01-15 at FMV $61 (AMT basis $61)
    book.add_grant(make_grant(strike="1"))
    book.exercise(grant_id="hire", lot_id="e1", exercise_date=date(2025, 1, 15), shares=2_000, fmv_at_exercise=D(61))
    for year in (2025, 2026):
        book.set_income(year, "single", {"wages": 200_000})
    # disqualifying (within a year of exercise) at $50: regular compensation min(60, 49) x 1,000 = 49,000, no
    # regular capital result; AMT basis 61: AMT short-term loss (50 - 61) x 1,000 = -11,000
    book.sell(sale_id="d", lot_id="e1", sale_date=date(2026, 1, 5), shares=1_000, price=D(50))
    # qualifying (over 2 years from grant, over 1 from exercise) at $80: regular LTCG 79,000; AMT LTCG 19,000
    book.sell(sale_id="q", lot_id="e1", sale_date=date(2026, 3, 2), shares=1_000, price=D(80))
    y26 = table(book, law)[0][2026]
    assert y26.inputs["amt_short_term_gain"] == -11_000
    assert y26.inputs["amt_long_term_gain"] == 19_000
    # AMT net capital gain: -11,000 + 19,000 = 8,000 (not the 19,000 long-term gain alone)
    assert y26.outputs["amt_line13"] == 8_000
    # line 2k: (0 - 49,000 ordinary) + (8,000 - 79,000 capital) = -120,000 = the whole spread of the shares sold
    assert y26.outputs["amt_line2k"] == -120_000
    # regular AGI 200,000 + 49,000 + 79,000 = 328,000; taxable 311,900; ordinary part 232,900
    # AMTI 311,900 + 16,100 - 120,000 = 208,000; line 6 = 208,000 - 90,100 = 117,900
    # line 18 = 26% x 109,900 = 28,574; line 31 = 15% x 8,000 = 1,200 -> 29,774 < 26% x 117,900 = 30,654
    assert y26.outputs["amti"] == 208_000
    assert y26.outputs["tentative_minimum_tax"] == pytest.approx(29_774)


def test_amt_capital_loss_carries_into_the_next_year(book, make_grant, law):
    # K2 through the ledger: 1,000 ISOs at $10 exercised 2025-03-03 at FMV $50, sold 2026-06-01 (qualifying) at $20
    book.add_grant(make_grant(strike="10"))
    book.exercise(grant_id="hire", lot_id="e1", exercise_date=date(2025, 3, 3), shares=1_000, fmv_at_exercise=D(50))
    book.sell(sale_id="q", lot_id="e1", sale_date=date(2026, 6, 1), shares=1_000, price=D(20))
    book.set_income(2025, "single", {"wages": 150_000})
    book.set_income(2026, "single", {"wages": 150_000})
    book.set_income(2027, "single", {"wages": 150_000, "long_term_gain": 30_000})
    years, _ = table(book, law)
    y26, y27 = years[2026], years[2027]
    # 2026: regular LTCG +10,000; AMT LTCL -30,000, of which 3,000 deducted: line 2k = -3,000 - 10,000 = -13,000
    assert y26.outputs["amt_line2k"] == -13_000
    assert y26.outputs["amt_long_term_loss_carryover_out"] == 27_000
    assert y26.outputs["long_term_loss_carryover_out"] == 0
    # 2027: the 27,000 AMT carryover meets 30,000 of LTCG: AMT net 3,000; line 2k = 3,000 - 30,000 = -27,000
    assert y27.inputs["amt_long_term_loss_carryover"] == 27_000
    assert y27.outputs["amt_line13"] == 3_000
    assert y27.outputs["amt_line2k"] == -27_000
    assert y27.outputs["amt_long_term_loss_carryover_out"] == 0


def test_nso_exercise_income_is_medicare_wages(book, make_grant, law):
    # NSO: 10,000 shares at $2 exercised 2025-03-01 at FMV $22: spread 200,000, wages for Form 8959
    book.add_grant(make_grant(kind="NSO"))
    book.exercise(grant_id="hire", lot_id="n1", exercise_date=date(2025, 3, 1), shares=10_000, fmv_at_exercise=D(22))
    book.set_income(2025, "single", {"wages": 150_000})
    y25 = table(book, law)[0][2025]
    assert y25.inputs["nso_income"] == 200_000
    assert y25.inputs.get("other_ordinary_income", 0) == 0
    # Medicare wages 150,000 + 200,000 = 350,000: 0.9% x 150,000 = 1,350
    assert y25.outputs["additional_medicare_tax"] == pytest.approx(1_350)
