"""Estimated tax (IRC §6654, Form 2210; R&TC §19136, Form 5805): the arithmetic is written out."""

import tomllib
from datetime import date

import numpy as np
import pytest

from isoplan.errors import InputError
from isoplan.tax import estimates as est
from isoplan.tax.estimates import (
    FACTOR_KEY,
    Payment,
    annualization_period_ends,
    annualized_installments,
    catch_up_payment,
    estimate_law,
    installment_due_dates,
    legal_holidays,
    next_business_day,
    regular_installments,
    required_annual_payment,
    required_annual_payments,
    schedule_ai,
    underpayment_penalty,
    withholding_payments,
)

FED = estimate_law("federal")
CA = estimate_law("california")


# ---------------------------------------------------------------- the data files


@pytest.mark.parametrize("jurisdiction", ["federal", "california"])
def test_every_table_and_rate_is_cited(jurisdiction):
    data = tomllib.loads((est.JURISDICTION_DIRS[jurisdiction] / est.ESTIMATES_FILE).read_text())
    for name, table in data.items():
        if isinstance(table, dict):
            assert table.get("citation"), f"[{name}] has no citation"
            assert table.get("description"), f"[{name}] has no description"
    for row in data.get("underpayment_rate", []):
        assert row["citation"], row["quarter"]


def test_underpayment_rates_cover_2023_to_2026_by_quarter():
    quarters = [(y, q) for y in range(2023, 2027) for q in range(1, 5)]
    assert sorted(FED.rates) == quarters
    assert FED.rates[(2023, 3)] == 0.07 and FED.rates[(2023, 4)] == 0.08
    assert all(FED.rates[(2024, q)] == 0.08 for q in range(1, 5))
    assert FED.rates[(2026, 2)] == 0.06
    assert "Rev. Rul. 2024-25" in FED.rate_citations[(2025, 1)][0]


def test_california_differs_where_the_law_says():
    assert FED.installment_fractions == (0.25, 0.25, 0.25, 0.25)
    assert CA.installment_fractions == (0.30, 0.40, 0.0, 0.30)
    assert CA.withholding_fractions == CA.installment_fractions
    assert FED.applicable_percentages == (0.225, 0.45, 0.675, 0.90)
    assert CA.applicable_percentages == (0.27, 0.63, 0.63, 0.90)
    assert FED.annualization_factors == CA.annualization_factors == (4.0, 2.4, 1.5, 1.0)
    assert FED.prior_year_limit_agi is None
    assert CA.prior_year_limit_agi is not None
    assert "R&TC §19136.3" in CA.citation("prior_year_safe_harbor_limit")
    # due dates and holidays are the federal ones (R&TC §19136(a))
    assert installment_due_dates(2023, CA) == installment_due_dates(2023, FED)
    assert not CA.rates


def test_unknown_jurisdiction_is_refused():
    with pytest.raises(InputError, match="jurisdiction"):
        estimate_law("texas")


# ---------------------------------------------------------------- due dates (IRC §6654(c)(2), §7503)


@pytest.mark.parametrize(("year", "expected"), [
    # 2023: Apr 15 is a Saturday, Apr 16 a Sunday, Apr 17 DC Emancipation Day observed; Jan 15, 2024 is MLK Day
    (2023, [date(2023, 4, 18), date(2023, 6, 15), date(2023, 9, 15), date(2024, 1, 16)]),
    # 2024: Jun 15 a Saturday, Sep 15 a Sunday
    (2024, [date(2024, 4, 15), date(2024, 6, 17), date(2024, 9, 16), date(2025, 1, 15)]),
    # 2025: Jun 15 a Sunday
    (2025, [date(2025, 4, 15), date(2025, 6, 16), date(2025, 9, 15), date(2026, 1, 15)]),
    (2026, [date(2026, 4, 15), date(2026, 6, 15), date(2026, 9, 15), date(2027, 1, 15)]),
])
def test_due_dates_move_past_weekends_and_holidays(year, expected):
    dues = installment_due_dates(year)
    assert [d.due for d in dues] == expected
    assert [d.statutory for d in dues] == [date(year, 4, 15), date(year, 6, 15), date(year, 9, 15),
                                           date(year + 1, 1, 15)]


def test_why_a_due_date_moved():
    first = installment_due_dates(2023)[0]
    assert "2023-04-15 is a Saturday" in first.reason
    assert "DC Emancipation Day (observed)" in first.reason
    assert installment_due_dates(2026)[0].reason == ""


def test_holidays_come_from_rules_and_observance():
    h2023 = legal_holidays(2023)
    assert h2023[date(2023, 4, 17)] == "DC Emancipation Day (observed)"  # Apr 16 was a Sunday
    assert h2023[date(2023, 1, 16)].startswith("Birthday of Martin Luther King")  # third Monday
    assert h2023[date(2023, 11, 10)] == "Veterans Day (observed)"  # Nov 11 a Saturday: the Friday before
    assert date(2023, 4, 16) not in h2023
    # Emancipation Day on a Saturday is observed on Friday Apr 15 (2022), so the return moved to Monday Apr 18
    assert legal_holidays(2022)[date(2022, 4, 15)] == "DC Emancipation Day (observed)"
    assert next_business_day(date(2022, 4, 15)) == date(2022, 4, 18)
    # New Year's Day 2022 was a Saturday: observed Friday Dec 31, 2021
    assert legal_holidays(2021)[date(2021, 12, 31)] == "New Year's Day (observed)"
    # Juneteenth is a holiday from 2021 on; Inauguration Day every fourth year
    assert date(2020, 6, 19) not in legal_holidays(2020)
    assert date(2025, 1, 20) in legal_holidays(2025) and date(2026, 1, 20) not in legal_holidays(2026)
    # last Monday of May, fourth Thursday of November
    assert date(2026, 5, 25) in legal_holidays(2026) and date(2026, 11, 26) in legal_holidays(2026)


def test_annualization_periods_end_after_3_5_8_12_months():
    assert annualization_period_ends(2024) == (date(2024, 3, 31), date(2024, 5, 31), date(2024, 8, 31),
                                               date(2024, 12, 31))


# ---------------------------------------------------------------- the required annual payment (Form 2210 Part I)


def test_required_annual_payment_110_percent_of_last_year():
    # line 4 = 60,000; line 5 = 90% = 54,000; line 6 withholding 20,000; line 7 = 40,000 (not under $1,000)
    # prior AGI 160,000 > 150,000: line 8 = 110% x 30,000 = 33,000; line 9 = min(54,000, 33,000) = 33,000
    r = required_annual_payment(60_000, 30_000, 160_000, "single", withholding=20_000)
    assert r.current_year_part == pytest.approx(54_000)
    assert r.balance_due == 40_000
    assert r.prior_year_fraction == 1.10
    assert r.prior_year_part == pytest.approx(33_000)
    assert r.amount == pytest.approx(33_000)
    assert not r.exempt


def test_required_annual_payment_thresholds_by_status():
    # AGI of exactly 150,000 does not exceed it: 100% x 30,000
    assert required_annual_payment(60_000, 30_000, 150_000, "mfj").amount == pytest.approx(30_000)
    # married filing separately: 75,000; 80,000 exceeds it, so 110% x 30,000 = 33,000
    assert required_annual_payment(60_000, 30_000, 80_000, "mfs").amount == pytest.approx(33_000)
    # the current year is lower: 90% x 20,000 = 18,000 < 30,000
    assert required_annual_payment(20_000, 30_000, 80_000, "single").amount == pytest.approx(18_000)


def test_no_prior_year_return_leaves_only_ninety_percent():
    r = required_annual_payment(60_000, 10_000, 50_000, "single", prior_year_return_filed=False)
    assert r.prior_year_part is None
    assert r.amount == pytest.approx(54_000)
    r = required_annual_payment(60_000, 10_000, 50_000, "single", prior_year_full_year=False)
    assert r.amount == pytest.approx(54_000)


def test_exceptions_small_balance_and_no_prior_liability():
    # 10,500 - 9,600 withheld = 900 < 1,000 (IRC §6654(e)(1))
    assert required_annual_payment(10_500, 9_000, 90_000, "single", withholding=9_600).small_balance_exception
    assert not required_annual_payment(10_600, 9_000, 90_000, "single", withholding=9_600).exempt
    # no tax last year (§6654(e)(2))
    r = required_annual_payment(50_000, 0, 40_000, "single")
    assert r.no_prior_year_liability_exception and r.exempt and r.amount == 0


def test_required_annual_payments_vectorized():
    r = required_annual_payments(
        np.array([60_000.0, 60_000.0, 20_000.0]), 30_000, np.array([160_000.0, 150_000.0, 80_000.0]),
        np.array(["single", "mfj", "mfs"]),
    )
    np.testing.assert_allclose(r.amount, [33_000, 30_000, 18_000])
    np.testing.assert_allclose(r.prior_year_fraction, [1.10, 1.00, 1.10])


def test_california_no_prior_year_clause_at_a_million():
    # 90% x 100,000 = 90,000; 110% x 40,000 = 44,000 (prior AGI 900,000 > 150,000)
    below = required_annual_payment(100_000, 40_000, 900_000, "single", law=CA, current_year_agi=999_999)
    assert below.amount == pytest.approx(44_000)
    # at AGI of 1,000,000 or more, R&TC §19136.3: only 90% of this year's tax
    at = required_annual_payment(100_000, 40_000, 900_000, "single", law=CA, current_year_agi=1_000_000)
    assert at.prior_year_part is None and at.amount == pytest.approx(90_000)
    # married filing separately: 500,000
    mfs = required_annual_payment(100_000, 40_000, 900_000, "mfs", law=CA, current_year_agi=500_000)
    assert mfs.amount == pytest.approx(90_000)
    # federally the same facts keep the prior-year clause
    assert required_annual_payment(100_000, 40_000, 900_000, "single", current_year_agi=2_000_000).amount == 44_000


def test_california_small_balance_is_500_or_250_mfs():
    assert required_annual_payment(10_499, 9_000, 90_000, "single", law=CA, withholding=10_000).exempt
    assert not required_annual_payment(10_500, 9_000, 90_000, "single", law=CA, withholding=10_000).exempt
    assert required_annual_payment(10_249, 9_000, 90_000, "mfs", law=CA, withholding=10_000).exempt
    assert not required_annual_payment(10_260, 9_000, 90_000, "mfs", law=CA, withholding=10_000).exempt


def test_installments_and_withholding_fractions():
    np.testing.assert_allclose(regular_installments(33_000), [8_250] * 4)
    np.testing.assert_allclose(regular_installments(100_000, CA), [30_000, 40_000, 0, 30_000])
    np.testing.assert_allclose(regular_installments([100.0, 200.0]), [[25] * 4, [50] * 4])
    fed = withholding_payments(20_000, 2025)
    assert [(p.date, p.amount) for p in fed] == [(date(2025, 4, 15), 5_000), (date(2025, 6, 15), 5_000),
                                                 (date(2025, 9, 15), 5_000), (date(2026, 1, 15), 5_000)]
    ca = withholding_payments(10_000, 2025, CA)
    assert [p.amount for p in ca] == pytest.approx([3_000, 4_000, 3_000])


# ---------------------------------------------------------------- the penalty (Form 2210 Part III)


def test_penalty_regular_method_paid_with_the_return():
    # required 8,250 each; withholding 5,000 each. Each payment first pays the earliest shortfall
    # (IRC §6654(b)(3)), so Form 2210 line 17 reads: (a) 8,250 - 5,000 = 3,250;
    # (b) 5,000 - 3,250 = 1,750 left, 8,250 - 1,750 = 6,500; (c) 5,000 all to (b), 8,250; (d) 8,250.
    result = underpayment_penalty(regular_installments(33_000), withholding_payments(20_000, 2025), tax_year=2025)
    assert [i.underpayment for i in result.installments] == pytest.approx([3_250, 6_500, 8_250, 8_250])
    # (a)'s 3,250 runs 4/15 -> 6/15 = 61 days, when the June withholding pays it
    assert [(p.amount, p.days) for p in result.installments[0].periods] == [(3_250, 61)]
    # the shortfall outstanding is 3,250 after 4/15, 6,500 after 6/15, 9,750 after 9/15, 13,000 after 1/15,
    # all paid 4/15/26; 7% in every quarter, so the penalty is 3,250 x 0.07 x days from each due date:
    # 3,250 x 0.07 x (365 + 304 + 212 + 90) / 365 = 227.50 x 971 / 365 = 605.21
    assert result.penalty == pytest.approx(227.50 * 971 / 365)
    assert result.assumed_rate_quarters == ()


def test_penalty_payments_credit_the_earliest_installment_and_rates_change_by_quarter():
    # 2026, required 10,000 each, no withholding. Paid 10,000 on 4/15, nothing on 6/15,
    # 25,000 on 8/1 (pays the June shortfall, 15,000 left), 5,000 on 1/15/27.
    payments = [Payment(date(2026, 4, 15), 10_000), Payment(date(2026, 8, 1), 25_000),
                Payment(date(2027, 1, 15), 5_000)]
    result = underpayment_penalty([10_000] * 4, payments, tax_year=2026)
    second = result.installments[1]
    assert second.underpayment == 10_000 and second.paid == 0
    (period,) = second.periods
    assert (period.start, period.end, period.days) == (date(2026, 6, 15), date(2026, 8, 1), 47)
    # 6/16-6/30: 15 days at 6% (Q2 2026); 7/1-8/1: 32 days at 7% (Q3 2026)
    # 10,000 x 0.06 x 15/365 + 10,000 x 0.07 x 32/365 = 24.66 + 61.37 = 86.03
    assert period.penalty == pytest.approx(10_000 * 0.06 * 15 / 365 + 10_000 * 0.07 * 32 / 365)
    # the third installment is covered by the 15,000 left over, 5,000 carries to the fourth
    assert result.installments[2].underpayment == 0 and result.installments[2].overpayment == 5_000
    assert result.installments[3].underpayment == 0 and result.installments[3].overpayment == 0
    assert result.penalty == pytest.approx(period.penalty)


def test_a_payment_on_the_moved_due_date_is_timely():
    # June 15, 2025 is a Sunday: paying on Monday June 16 is on time (IRC §7503)
    payments = [Payment(d, 2_000) for d in (date(2025, 4, 15), date(2025, 6, 16), date(2025, 9, 15),
                                            date(2026, 1, 15))]
    result = underpayment_penalty([2_000] * 4, payments, tax_year=2025)
    assert result.penalty == 0 and not result.underpaid
    # one day later is late: 1 day at 7%
    late = [Payment(date(2025, 6, 17), 2_000) if p.date == date(2025, 6, 16) else p for p in payments]
    assert underpayment_penalty([2_000] * 4, late, tax_year=2025).penalty == pytest.approx(2_000 * 0.07 * 2 / 365)


def test_april_1_to_15_takes_the_first_quarter_rate():
    # 2025 fourth installment short 1,000 from 1/15/26 to 4/15/26 = 90 days. April 1-15 uses the
    # Q1 2026 rate (7%), not Q2's 6% (IRC §6621(b)(2)(B)): 1,000 x 0.07 x 90/365 = 17.26
    result = underpayment_penalty([0, 0, 0, 1_000], [], tax_year=2025)
    assert result.penalty == pytest.approx(1_000 * 0.07 * 90 / 365)


def test_leap_year_days_over_366():
    # 2024 first installment short 1,000 until 4/15/25: 4/16-12/31/24 = 260 days at 8% over 366,
    # 1/1-4/15/25 = 105 days at 7% over 365: 56.83 + 20.14 = 76.97
    result = underpayment_penalty([1_000, 0, 0, 0], [], tax_year=2024)
    assert result.penalty == pytest.approx(1_000 * (0.08 * 260 / 366 + 0.07 * 105 / 365))


def test_unpublished_quarters_take_the_last_published_rate_and_say_so():
    # 2026 fourth installment: Jan 16 - Apr 15, 2027 runs in Q1 2027, not in the data: 7% (Q4 2026) assumed
    result = underpayment_penalty([0, 0, 0, 1_000], [], tax_year=2026)
    assert result.assumed_rate_quarters == ("2027-Q1",)
    assert result.penalty == pytest.approx(1_000 * 0.07 * 90 / 365)


def test_california_penalty_shows_underpayments_without_a_rate():
    # required 30/40/0/30% of 100,000; withholding 10,000 deemed paid 3,000 / 4,000 / 0 / 3,000, each
    # first paying the earliest shortfall: (a) 30,000 - 3,000 = 27,000; (b) 4,000 goes to (a), 40,000 short;
    # (c) nothing required; (d) 3,000 goes to (a), 30,000 short
    result = underpayment_penalty(regular_installments(100_000, CA), withholding_payments(10_000, 2025, CA),
                                  tax_year=2025, law=CA)
    assert [i.underpayment for i in result.installments] == pytest.approx([27_000, 40_000, 0, 30_000])
    assert [p.amount for p in result.installments[0].periods] == pytest.approx([4_000, 3_000, 20_000])
    assert result.penalty is None and result.underpaid


def test_catch_up_payment_before_the_next_due_date():
    paid = [Payment(date(2026, 4, 10), 10_000)]
    due, amount = catch_up_payment([10_000] * 4, paid, date(2026, 5, 1), tax_year=2026)
    # through June 15: 20,000 required, 10,000 paid
    assert due.statutory == date(2026, 6, 15) and amount == 10_000
    assert catch_up_payment([10_000] * 4, paid, date(2027, 2, 1), tax_year=2026) is None


# ---------------------------------------------------------------- Schedule AI


def toy_tax(items):
    """A tax written out for the test: regular 24% over the standard deduction; tentative
    minimum tax 28% of AGI plus the ISO spread over a 90,000 exemption; the larger is owed."""
    regular = 0.24 * np.maximum(items["agi"] - items["standard_deduction"], 0.0)
    tmt = 0.28 * np.maximum(items["agi"] + items["iso_spread"] - 90_000, 0.0)
    return np.maximum(regular, tmt)


LATE_EXERCISE = {
    # salary 20,000 a month; a November ISO exercise with a 300,000 spread
    "agi": [60_000, 100_000, 160_000, 240_000],
    "iso_spread": [0, 0, 0, 300_000],
    "standard_deduction": [15_000] * 4,
}


def test_schedule_ai_lowers_the_early_installments_for_a_late_exercise():
    # annualized AGI: 60,000 x 4 = 100,000 x 2.4 = 160,000 x 1.5 = 240,000 in every column
    # columns (a)-(c): regular 0.24 x (240,000 - 15,000) = 54,000 > TMT 0.28 x 150,000 = 42,000
    # column (d): TMT 0.28 x (540,000 - 90,000) = 126,000
    # required annual payment: 90% x 126,000 = 113,400 (last year's 110% was more); regular 28,350 each
    ai = schedule_ai(LATE_EXERCISE, toy_tax, required_annual_payment=113_400, tax_year=2025,
                     not_annualized={"standard_deduction"})
    np.testing.assert_allclose(ai.annualized_items["agi"], [240_000] * 4)
    np.testing.assert_allclose(ai.annualized_items["standard_deduction"], [15_000] * 4)
    np.testing.assert_allclose(ai.annualized_tax, [54_000, 54_000, 54_000, 126_000])
    # line 21: 54,000 x 22.5% = 12,150; x 45% = 24,300; x 67.5% = 36,450; 126,000 x 90% = 113,400
    np.testing.assert_allclose(ai.annualized_amount, [12_150, 24_300, 36_450, 113_400])
    # line 23: less earlier line 27s: 12,150; 24,300 - 12,150; 36,450 - 24,300; 113,400 - 36,450
    np.testing.assert_allclose(ai.annualized_installment, [12_150, 12_150, 12_150, 76_950])
    # line 25, the regular installments not yet required: 0; 28,350 - 12,150 = 16,200; 44,550 - 12,150;
    # 60,750 - 12,150 = 48,600 (recaptured in column (d))
    np.testing.assert_allclose(ai.carried_from_earlier, [0, 16_200, 32_400, 48_600])
    np.testing.assert_allclose(ai.regular_plus_carried, [28_350, 44_550, 60_750, 76_950])
    np.testing.assert_allclose(ai.required_installment, [12_150, 12_150, 12_150, 76_950])
    assert ai.required_installment.sum() == pytest.approx(113_400)

    # penalty with 54,000 withheld (13,500 a due date), the rest paid April 15, 2026, 7% throughout
    withheld = withholding_payments(54_000, 2025)
    regular = underpayment_penalty(regular_installments(113_400), withheld, tax_year=2025)
    # 28,350 - 13,500 = 14,850 short each: 14,850 x 0.07 x 971/365 = 2,765.35
    assert regular.penalty == pytest.approx(14_850 * 0.07 * 971 / 365)
    annualized = underpayment_penalty(ai.required_installment, withheld, tax_year=2025)
    # (a)-(c) covered, overpayments 1,350 / 2,700 / 4,050 carried; (d) 76,950 - 13,500 - 4,050 = 59,400
    # for 90 days: 59,400 x 0.07 x 90/365 = 1,025.26
    assert [i.overpayment for i in annualized.installments[:3]] == pytest.approx([1_350, 2_700, 4_050])
    assert annualized.installments[3].underpayment == pytest.approx(59_400)
    assert annualized.penalty == pytest.approx(59_400 * 0.07 * 90 / 365)
    assert annualized.penalty < regular.penalty


def test_schedule_ai_early_exercise_is_annualized_times_four_and_capped_at_the_regular_installment():
    # a March exercise: its 50,000 spread is AMT income of column (a), x 4 = 200,000 (before the exemption)
    seen = {}

    def tax(items):
        seen.update(items)
        return toy_tax(items)

    march = {**LATE_EXERCISE, "iso_spread": [50_000] * 4}
    ai = schedule_ai(march, tax, required_annual_payment=50_000, tax_year=2025,
                     not_annualized={"standard_deduction"})
    np.testing.assert_allclose(seen["iso_spread"], [200_000, 120_000, 75_000, 50_000])
    np.testing.assert_allclose(seen[FACTOR_KEY], [4, 2.4, 1.5, 1])
    # column (a): TMT 0.28 x (240,000 + 200,000 - 90,000) = 98,000; x 22.5% = 22,050 > regular 12,500
    assert ai.annualized_tax[0] == pytest.approx(98_000)
    assert ai.required_installment[0] == pytest.approx(12_500)


def test_california_schedule_ai_27_63_63_90_with_30_40_0_30():
    ai = annualized_installments([54_000, 54_000, 54_000, 126_000], 113_400, tax_year=2025, law=CA)
    # line 21: 54,000 x 27% = 14,580; x 63% = 34,020 twice; 126,000 x 90% = 113,400
    np.testing.assert_allclose(ai.annualized_amount, [14_580, 34_020, 34_020, 113_400])
    # line 24: 30/40/0/30% of 113,400 = 34,020 / 45,360 / 0 / 34,020
    np.testing.assert_allclose(ai.regular_installment, [34_020, 45_360, 0, 34_020])
    # (a) min(14,580, 34,020); (b) min(34,020 - 14,580 = 19,440, 45,360 + 19,440);
    # (c) min(0, 0 + 45,360); (d) min(113,400 - 34,020 = 79,380, 34,020 + 45,360 = 79,380)
    np.testing.assert_allclose(ai.required_installment, [14_580, 19_440, 0, 79_380])


def test_schedule_ai_wants_four_columns():
    with pytest.raises(InputError):
        annualized_installments([1, 2, 3], 100, tax_year=2025)
    with pytest.raises(InputError):
        schedule_ai({"agi": [1, 2]}, toy_tax, required_annual_payment=1, tax_year=2025)
