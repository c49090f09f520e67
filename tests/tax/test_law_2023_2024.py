"""Tax years 2023 and 2024: federal (Rev. Proc. 2022-38, 2023-34) and California returns worked by hand.

Parameters used below (published law):
* 2023: brackets S 11,000 / 44,725 / 95,375 / 182,100 / 231,250 / 578,125, MFJ 22,000 / 89,450 / 190,750 /
  364,200 / 462,500 / 693,750; standard deduction 13,850 / 27,700; AMT exemption 81,300 / 126,500 / 63,250,
  phase-out from 578,150 / 1,156,300 at 25%; 26% up to 220,700 (MFS 110,350).
* 2024: brackets S 11,600 / 47,150 / 100,525 / 191,950 / 243,725 / 609,350, MFJ 23,200 / 94,300 / 201,050 /
  383,900 / 487,450 / 731,200; standard deduction 14,600 / 29,200; AMT exemption 85,700 / 133,300 / 66,650,
  phase-out from 609,350 / 1,218,700 at 25%; 26% up to 232,600 (MFS 116,300).
Nothing of Pub. L. 119-21 applies: no senior deduction, no §170(p) deduction, no §68 limitation, and the
SALT cap is $10,000 ($5,000 MFS) without a phase-down (IRC §164(b)(6) as enacted by Pub. L. 115-97).
"""

import pytest

from isoplan.tax.federal import compute_federal
from isoplan.tax.households import households
from isoplan.tax.law import supported_years
from isoplan.tax.states.california import ca_law_table, compute_california


def tax(law, **inputs):
    result = compute_federal(households(**inputs), law)
    return {k: float(v[0]) for k, v in result.lines.items()}


def test_supported_years_start_in_2023():
    assert supported_years().start == 2023


@pytest.mark.parametrize(
    ("year", "status", "wages", "spread", "taxable", "regular", "exemption", "tmt"),
    [
        # 2023 single: taxable 200,000 - 13,850 = 186,150
        #   regular: tax at 182,100 is 37,104; + 32% x 4,050 = 1,296 -> 38,400
        #   exemption: 81,300 - 25% x (600,000 - 578,150) = 81,300 - 5,462.50 = 75,837.50
        #   TMT: base 600,000 - 75,837.50 = 524,162.50; 28% x 524,162.50 - 4,414 = 142,351.50
        (2023, "single", 200_000, 400_000, 186_150, 38_400, 75_837.50, 142_351.50),
        # 2024 single: taxable 200,000 - 14,600 = 185,400
        #   regular: tax at 100,525 is 17,168.50; + 24% x 84,875 = 20,370 -> 37,538.50
        #   exemption: AMTI 600,000 < 609,350: 85,700 in full
        #   TMT: 28% x 514,300 - 4,652 = 144,004 - 4,652 = 139,352
        (2024, "single", 200_000, 400_000, 185_400, 37_538.50, 85_700, 139_352),
        # 2023 MFJ: taxable 400,000 - 27,700 = 372,300
        #   regular: tax at 364,200 is 74,208; + 32% x 8,100 = 2,592 -> 76,800
        #   TMT: 28% x (700,000 - 126,500 = 573,500) - 4,414 = 160,580 - 4,414 = 156,166
        (2023, "mfj", 400_000, 300_000, 372_300, 76_800, 126_500, 156_166),
        # 2024 MFJ: taxable 400,000 - 29,200 = 370,800
        #   regular: tax at 201,050 is 34,337; + 24% x 169,750 = 40,740 -> 75,077
        #   TMT: 28% x (700,000 - 133,300 = 566,700) - 4,652 = 158,676 - 4,652 = 154,024
        (2024, "mfj", 400_000, 300_000, 370_800, 75_077, 133_300, 154_024),
        # 2024 MFS: taxable 150,000 - 14,600 = 135,400
        #   regular: 17,168.50 + 24% x (135,400 - 100,525 = 34,875) = 8,370 -> 25,538.50
        #   TMT: 28% x (450,000 - 66,650 = 383,350) - 2,326 = 107,338 - 2,326 = 105,012
        (2024, "mfs", 150_000, 300_000, 135_400, 25_538.50, 66_650, 105_012),
    ],
)
def test_regular_tax_and_amt(law, year, status, wages, spread, taxable, regular, exemption, tmt):
    r = tax(law, year=year, filing_status=status, wages=wages, iso_bargain_element=spread)
    assert r["taxable_income"] == taxable
    assert r["regular_tax"] == pytest.approx(regular, abs=0.01)
    assert r["amti"] == wages + spread
    assert r["amt_exemption"] == pytest.approx(exemption)
    assert r["tentative_minimum_tax"] == pytest.approx(tmt, abs=0.01)
    assert r["amt"] == pytest.approx(tmt - regular, abs=0.01)


def test_2024_itemizer_salt_cap_is_10000_without_phase_down(law):
    # wages 300,000; state and local tax 30,000 -> 10,000 (no phase-down before 2025); mortgage 20,000
    r = tax(law, year=2024, filing_status="single", wages=300_000, state_local_tax=30_000, mortgage_interest=20_000,
            senior_count=1, age_65_or_blind=1)
    assert r["salt_deducted"] == 10_000
    assert r["section_68_reduction"] == 0
    assert r["senior_deduction"] == 0  # the senior deduction starts in 2025
    # itemized 30,000 > standard 14,600 + 1,950 = 16,550; taxable 270,000
    assert r["taxable_income"] == 270_000
    # tax at 243,725 is 55,678.50; + 35% x 26,275 = 9,196.25 -> 64,874.75
    assert r["regular_tax"] == pytest.approx(64_874.75)
    # AMTI 270,000 + 10,000 (line 2a) = 280,000; TMT 26% x (280,000 - 85,700) = 50,518 < regular: no AMT
    assert r["amti"] == 280_000
    assert r["tentative_minimum_tax"] == pytest.approx(50_518)
    assert r["amt"] == 0


def test_2023_no_charitable_deduction_without_itemizing(law):
    # §170(p) for non-itemizers applies from 2026: 2023 taxable = 100,000 - 13,850 = 86,150
    r = tax(law, year=2023, filing_status="single", wages=100_000, charitable=1_000)
    assert r["taxable_income"] == 86_150
    assert r["nonitemizer_charitable_used"] == 0


@pytest.mark.parametrize(
    ("year", "taxable", "regular", "exemption", "tmt"),
    [
        # 2023: taxable 200,000 - 5,363 = 194,637; tax 1% x 10,412 + 2% x 14,272 + 4% x 14,275 + 6% x 15,122
        #   + 8% x 14,269 + 9.3% x (194,637 - 68,350 = 126,287) = 104.12 + 285.44 + 571 + 907.32 + 1,141.52
        #   + 11,744.691 = 14,754.091
        #   exemption 87,171 - 25% x (600,000 - 326,891) = 87,171 - 68,277.25 = 18,893.75
        #   TMT 7% x (600,000 - 18,893.75) = 40,677.4375
        (2023, 194_637, 14_754.091, 18_893.75, 40_677.4375),
        # 2024: taxable 200,000 - 5,540 = 194,460; tax 1% x 10,756 + 2% x 14,743 + 4% x 14,746 + 6% x 15,621
        #   + 8% x 14,740 + 9.3% x (194,460 - 70,606 = 123,854) = 107.56 + 294.86 + 589.84 + 937.26 + 1,179.20
        #   + 11,518.422 = 14,627.142
        #   exemption 90,048 - 25% x (600,000 - 337,678) = 90,048 - 65,580.50 = 24,467.50
        #   TMT 7% x 575,532.50 = 40,287.275
        (2024, 194_460, 14_627.142, 24_467.50, 40_287.275),
    ],
)
def test_california_single_with_spread(year, taxable, regular, exemption, tmt):
    result = compute_california(households(year=year, filing_status="single", wages=200_000,
                                           iso_bargain_element=400_000), ca_law_table(0.025))
    r = {k: float(v[0]) for k, v in result.lines.items()}
    assert r["ca_taxable_income"] == taxable
    assert r["ca_regular_tax"] == pytest.approx(regular, abs=0.001)
    assert r["ca_amti"] == 600_000
    assert r["ca_amt_exemption"] == pytest.approx(exemption)
    assert r["ca_tentative_minimum_tax"] == pytest.approx(tmt, abs=0.001)
    assert r["ca_amt"] == pytest.approx(tmt - regular, abs=0.001)
