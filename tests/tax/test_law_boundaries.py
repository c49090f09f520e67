"""Federal amounts at the edges of the law's brackets, rows and bands, to the cent.

Each expected value is hand arithmetic from the published 2025 parameters
(Rev. Proc. 2024-40 as amended by Pub. L. 119-21; TAX_FACTS A1-A4), written
out below. Tolerances are half a cent: a threshold one dollar off moves these
amounts by at least two cents.
"""

import pytest

from isoplan.tax.federal import compute_federal
from isoplan.tax.households import households

CENT = 0.005
# 2025 single: 10% to 11,925; 12% to 48,475; 22% to 103,350; 24% to 197,300; 32% to 250,525; 35% to 626,350
TAX_TO_48475 = 0.10 * 11_925 + 0.12 * (48_475 - 11_925)  # 1,192.50 + 4,386 = 5,578.50
TAX_TO_197300 = TAX_TO_48475 + 0.22 * (103_350 - 48_475) + 0.24 * (197_300 - 103_350)  # + 12,072.50 + 22,548
STANDARD_2025_SINGLE = 15_750


def tax(law, **inputs):
    result = compute_federal(households(**inputs), law, deduction="standard")
    return {k: float(v[0]) for k, v in result.lines.items()}


def single_2025(law, taxable_ordinary, **more):
    return tax(law, year=2025, filing_status="single", wages=STANDARD_2025_SINGLE + taxable_ordinary, **more)


# ----------------------------------------------------------------- Form 1040 line 16: Tax Table and schedule


@pytest.mark.parametrize(("taxable", "expected"), [
    # $25 rows below $3,000: 2,975-3,000, midpoint 2,987.50 -> 298.75 -> $299
    (2_999, 299),
    # $50 rows from $3,000: 3,000-3,050, midpoint 3,025 -> 302.50 -> $303
    (3_000, 303),
    # last row 99,950-100,000, midpoint 99,975: 5,578.50 + 0.22 x 51,500 = 16,908.50 -> $16,909
    (99_999, 16_909),
])
def test_tax_table_rows_at_their_edges(law, taxable, expected):
    assert single_2025(law, taxable)["regular_tax"] == expected


def test_exactly_100000_uses_the_schedule_not_the_table(law):
    # Form 1040 instructions: the Tax Table is for taxable income *less than* $100,000
    expected = TAX_TO_48475 + 0.22 * (100_000 - 48_475)  # 16,914.00
    assert single_2025(law, 100_000)["regular_tax"] == pytest.approx(expected, abs=CENT)


def test_schedule_across_the_24_and_32_percent_brackets(law):
    expected = TAX_TO_197300 + 0.32 * (200_000 - 197_300)  # 40,199 + 864 = 41,063
    assert single_2025(law, 200_000)["regular_tax"] == pytest.approx(expected, abs=CENT)
    assert expected == pytest.approx(41_063, abs=CENT)


# ----------------------------------------------------------------- QDCG worksheet: the 0% and 15% bands


def test_gains_fill_the_zero_band_to_48350_then_pay_15_percent(law):
    # ordinary 30,000, long-term gain 40,000: taxable 70,000. 0%: 48,350 - 30,000 = 18,350 of the gain;
    # 15%: the other 21,650 = 3,247.50. Ordinary 30,000 by the Tax Table (30,000-30,050, midpoint 30,025):
    # 1,192.50 + 0.12 x 18,100 = 3,364.50 -> 3,365. Total 6,612.50.
    r = single_2025(law, 30_000, long_term_gain=40_000)
    assert r["taxable_income"] == 70_000
    assert r["regular_tax"] == pytest.approx(3_365 + 0.15 * (40_000 - (48_350 - 30_000)), abs=CENT)


def test_gains_above_533400_pay_20_percent(law):
    # ordinary 400,000, long-term gain 200,000: taxable 600,000. No 0% band (ordinary is above 48,350);
    # 15% on 533,400 - 400,000 = 133,400 (20,010); 20% on 66,600 (13,320). Ordinary by the schedule:
    # 40,199 + 0.32 x 53,225 + 0.35 x 149,475 = 40,199 + 17,032 + 52,316.25 = 109,547.25.
    ordinary = TAX_TO_197300 + 0.32 * (250_525 - 197_300) + 0.35 * (400_000 - 250_525)
    r = single_2025(law, 400_000, long_term_gain=200_000)
    assert r["regular_tax"] == pytest.approx(ordinary + 0.15 * 133_400 + 0.20 * 66_600, abs=CENT)


# ----------------------------------------------------------------- Form 6251: breakpoint and phase-out


def test_tmt_above_the_breakpoint_to_the_cent(law):
    # TAX_FACTS F: single 2025, wages 200,000, spread 400,000: AMTI 600,000 (below the 626,350 phase-out
    # start), exemption 88,100, base 511,900: 26% x 239,100 + 28% x 272,800 = 62,166 + 76,384 = 138,550
    r = tax(law, year=2025, filing_status="single", wages=200_000, iso_bargain_element=400_000)
    assert r["amt_exemption"] == 88_100
    assert r["tentative_minimum_tax"] == pytest.approx(0.26 * 239_100 + 0.28 * (511_900 - 239_100), abs=CENT)


def test_exemption_phase_out_2025_at_25_percent(law):
    # spread 600,000: AMTI 800,000; exemption 88,100 - 25% x (800,000 - 626,350) = 88,100 - 43,412.50 = 44,687.50
    r = tax(law, year=2025, filing_status="single", wages=200_000, iso_bargain_element=600_000)
    assert r["amt_exemption"] == pytest.approx(88_100 - 0.25 * (800_000 - 626_350), abs=CENT)
    base = 800_000 - r["amt_exemption"]
    assert r["tentative_minimum_tax"] == pytest.approx(0.26 * 239_100 + 0.28 * (base - 239_100), abs=CENT)


def test_exemption_fully_phased_out_is_zero_not_negative(law):
    # zero point 626,350 + 88,100 / 0.25 = 978,750; AMTI 1,200,000 is past it: exemption 0, base = AMTI
    r = tax(law, year=2025, filing_status="single", wages=200_000, iso_bargain_element=1_000_000)
    assert r["amt_exemption"] == 0
    assert r["tentative_minimum_tax"] == pytest.approx(0.26 * 239_100 + 0.28 * (1_200_000 - 239_100), abs=CENT)


# ----------------------------------------------------------------- Form 8960


def test_niit_single_2025_on_magi_over_200000(law):
    # wages 180,000 + interest 50,000: MAGI 230,000; 3.8% x min(50,000, 30,000) = 1,140
    r = tax(law, year=2025, filing_status="single", wages=180_000, taxable_interest=50_000)
    assert r["niit"] == pytest.approx(0.038 * 30_000, abs=CENT)


def test_gains_across_all_three_bands(law):
    # ordinary 30,000, long-term gain 600,000: taxable 630,000. 0% on 48,350 - 30,000 = 18,350; 15% up to
    # 533,400 on 533,400 - 48,350 = 485,050 (72,757.50); 20% on 600,000 - 18,350 - 485,050 = 96,600 (19,320).
    # Ordinary 30,000 by the Tax Table: 3,365. Total 95,442.50.
    r = single_2025(law, 30_000, long_term_gain=600_000)
    assert r["regular_tax"] == pytest.approx(3_365 + 0.15 * 485_050 + 0.20 * 96_600, abs=CENT)
