"""Federal tax against IRS-published amounts and hand computations written out here.

Every expected value is either a published figure (TAX_FACTS section F, which
reproduces a worked example citing Rev. Proc. 2025-32) or arithmetic spelled
out in the test from the published parameters, never isoplan's own output.
"""

import pytest

from isoplan.tax.federal import compute_federal
from isoplan.tax.households import households


def tax(law, deduction="auto", **inputs):
    result = compute_federal(households(**inputs), law, deduction=deduction)
    return {k: float(v[0]) for k, v in result.lines.items()}


# ----------------------------------------------------------------- TAX_FACTS F


@pytest.mark.parametrize(
    ("year", "status", "wages", "spread", "taxable", "regular", "amti", "exemption", "tmt", "amt"),
    [
        (2025, "single", 200_000, 400_000, 184_250, 37_067, 600_000, 88_100, 138_550, 101_483),
        (2026, "single", 200_000, 400_000, 183_900, 36_734, 600_000, 40_100, 151_882, 115_148),
        (2025, "mfj", 400_000, 300_000, 368_500, 74_134, 700_000, 137_000, 152_858, 78_724),
        (2026, "mfj", 400_000, 300_000, 367_800, 73_468, 700_000, 140_200, 151_854, 78_386),
        (2026, "single", 200_000, 0, 183_900, 36_734, 200_000, 90_100, 28_574, 0),
    ],
)
def test_fact_sheet_section_f(law, year, status, wages, spread, taxable, regular, amti, exemption, tmt, amt):
    r = tax(law, year=year, filing_status=status, wages=wages, iso_bargain_element=spread)
    assert r["taxable_income"] == taxable
    assert r["regular_tax"] == pytest.approx(regular, abs=0.5)
    assert r["amti"] == amti
    assert r["amt_exemption"] == exemption
    assert r["tentative_minimum_tax"] == pytest.approx(tmt, abs=0.5)
    assert r["amt"] == pytest.approx(amt, abs=1)


# ----------------------------------------------------------------- each filing status


def test_head_of_household_2025(law):
    r = tax(law, year=2025, filing_status="hoh", wages=150_000, iso_bargain_element=100_000)
    # taxable income 150,000 - 23,625 = 126,375; HOH 2025 schedule:
    regular = 0.10 * 17_000 + 0.12 * (64_850 - 17_000) + 0.22 * (103_350 - 64_850) + 0.24 * (126_375 - 103_350)
    assert regular == pytest.approx(21_438)
    # AMTI 126,375 + 23,625 (standard deduction added back) + 100,000 = 250,000; base 250,000 - 88,100
    tmt = 0.26 * (250_000 - 88_100)
    assert r["regular_tax"] == pytest.approx(regular)
    assert r["amti"] == 250_000
    assert r["tentative_minimum_tax"] == pytest.approx(tmt)  # 42,094
    assert r["amt"] == pytest.approx(tmt - regular)  # 20,656


def test_single_in_the_2026_phase_out_zone(law):
    r = tax(law, year=2026, filing_status="single", wages=300_000, iso_bargain_element=300_000)
    # taxable 283,900: 1,240 + 4,560 + 12,166 + 23,058 + 17,424 + 35% of (283,900 - 256,225)
    regular = 1_240 + 4_560 + 12_166 + 23_058 + 17_424 + 0.35 * (283_900 - 256_225)
    assert r["regular_tax"] == pytest.approx(regular)  # 68,134.25
    # AMTI 600,000: exemption 90,100 - 50% of (600,000 - 500,000) = 40,100
    assert r["amt_exemption"] == 40_100
    tmt = 0.28 * (600_000 - 40_100) - 4_890
    assert r["tentative_minimum_tax"] == pytest.approx(tmt)  # 151,882
    assert r["amt"] == pytest.approx(tmt - regular)  # 83,747.75
    # one more dollar of spread costs 28% * 1.5 = 42% in the phase-out zone
    more = tax(law, year=2026, filing_status="single", wages=300_000, iso_bargain_element=301_000)
    assert more["amt"] - r["amt"] == pytest.approx(0.42 * 1_000)


def test_married_filing_separately_addon_2025(law):
    r = tax(law, year=2025, filing_status="mfs", wages=400_000, iso_bargain_element=600_000)
    # MFS 2025 schedule on taxable income 400,000 - 15,750 = 384,250
    regular = (
        1_192.50 + 4_386 + 12_072.50 + 22_548 + 17_032
        + 0.35 * (375_800 - 250_525) + 0.37 * (384_250 - 375_800)
    )
    assert r["regular_tax"] == pytest.approx(regular)  # 104,203.75
    # AMTI before the add-on 1,000,000; zero point 626,350 + 68,500 / 0.25 = 900,350 (form line 4)
    addon = min(0.25 * (1_000_000 - 900_350), 68_500)  # 24,912.50
    assert r["mfs_addon"] == pytest.approx(addon)
    assert r["amti"] == pytest.approx(1_000_000 + addon)
    assert r["amt_exemption"] == 0
    tmt = 0.28 * (1_000_000 + addon) - 2_391  # MFS breakpoint 119,550: 2% of it is 2,391
    assert r["tentative_minimum_tax"] == pytest.approx(tmt)
    assert r["amt"] == pytest.approx(tmt - regular)  # 180,380.75


def test_married_filing_separately_addon_is_capped_at_the_exemption(law):
    r = tax(law, year=2025, filing_status="mfs", wages=400_000, iso_bargain_element=2_000_000)
    assert r["mfs_addon"] == 68_500


# ----------------------------------------------------------------- capital gains (Part III)


def test_part_iii_with_gains_2025_mfj(law):
    r = tax(
        law, year=2025, filing_status="mfj", wages=300_000, ordinary_dividends=20_000,
        qualified_dividends=20_000, long_term_gain=100_000, iso_bargain_element=200_000,
    )
    # AGI 420,000; taxable 388,500; ordinary part 268,500; gains 120,000 all at 15%
    ordinary_tax = 2_385 + 8_772 + 24_145 + 0.24 * (268_500 - 206_700)  # 50,134
    regular = ordinary_tax + 0.15 * 120_000  # 68,134
    assert r["regular_tax"] == pytest.approx(regular)
    # NIIT: 3.8% of the lesser of NII 120,000 and AGI over 250,000 (170,000)
    assert r["niit"] == pytest.approx(0.038 * 120_000)
    # Additional Medicare: 0.9% of wages over 250,000
    assert r["additional_medicare_tax"] == pytest.approx(0.009 * 50_000)
    # AMTI 388,500 + 31,500 + 200,000 = 620,000; line 6 = 620,000 - 137,000 = 483,000
    assert r["amti"] == 620_000
    line17 = 483_000 - 120_000
    line18 = 0.26 * line17 + 0.02 * (line17 - 239_100)  # 96,858
    tmt = line18 + 0.15 * 120_000  # Part III: gains stay at 15% -> 114,858
    assert r["tentative_minimum_tax"] == pytest.approx(tmt)
    assert r["amt"] == pytest.approx(tmt - regular)  # 46,724


def test_part_iii_zero_rate_room_is_measured_on_regular_ordinary_income(law):
    # TAX_FACTS B3 planning pitfall: lines 20-21 use regular-tax ordinary income.
    r = tax(law, year=2026, filing_status="single", wages=30_000, long_term_gain=200_000,
            iso_bargain_element=100_000)
    # taxable 213,900, ordinary 13,900 (Tax Table row 13,900-13,950: midpoint 13,925)
    ordinary_tax = round(1_240 + 0.12 * (13_925 - 12_400))  # 1,423
    zero = 49_450 - 13_900  # 35,550 of gains at 0%
    regular = ordinary_tax + 0.15 * (200_000 - zero)  # 26,090.50
    assert r["regular_tax"] == pytest.approx(regular)
    # AMTI 330,000, line 6 = 239,900; ordinary part 39,900 at 26%; the same 35,550 at 0%
    tmt = 0.26 * 39_900 + 0.15 * (200_000 - zero)  # 35,041.50
    assert r["tentative_minimum_tax"] == pytest.approx(tmt)
    assert r["amt"] == pytest.approx(tmt - regular)  # 8,951


def test_part_iii_applies_even_with_zero_taxable_income(law):
    # TAX_FACTS H: with gains, complete Part III even when regular taxable income is 0.
    r = tax(law, year=2026, filing_status="single", long_term_gain=10_000, iso_bargain_element=150_000)
    assert r["taxable_income"] == 0
    # AMTI: line 1b = 10,000 - 16,100 = -6,100; + 16,100 + 150,000 = 160,000; line 6 = 69,900
    assert r["amti"] == 160_000
    # gains 10,000 inside the 0% band (regular ordinary income 0), rest at 26%
    assert r["tentative_minimum_tax"] == pytest.approx(0.26 * (69_900 - 10_000))


def test_amt_basis_gain_replaces_regular_gain_in_part_iii(law):
    # a later-year qualifying sale: regular LTCG 100,000, AMT LTCG 40,000, line 2k -60,000
    r = tax(law, year=2026, filing_status="single", wages=100_000, long_term_gain=100_000,
            amt_long_term_gain=40_000, amt_disposition_adjustment=-60_000)
    assert r["amti"] == pytest.approx(200_000 - 16_100 + 16_100 - 60_000)
    assert r["amt_line13"] == 40_000


def test_capital_loss_limit_and_tax_table_rounding(law):
    r = tax(law, year=2025, filing_status="single", wages=100_000, short_term_gain=-10_000,
            long_term_gain=2_000)
    # net loss 8,000 limited to 3,000 (§1211(b)); taxable 97,000 - 15,750 = 81,250
    assert r["agi"] == 97_000
    assert r["taxable_income"] == 81_250
    # Tax Table row 81,250-81,300: tax on the midpoint 81,275, rounded to the dollar
    midpoint_tax = 1_192.50 + 4_386 + 0.22 * (81_275 - 48_475)  # 12,794.50
    assert r["regular_tax"] == 12_795 == round(midpoint_tax + 0.001)
    mfs = tax(law, year=2025, filing_status="mfs", wages=100_000, short_term_gain=-10_000)
    assert mfs["agi"] == 98_500  # MFS limit 1,500


@pytest.mark.parametrize(
    ("wages", "expected"),
    [
        (60_000, 1_240 + 0.12 * (43_925 - 12_400)),  # taxable 43,900: $50 row, midpoint 43,925 -> 5,023
        (18_110, 201),  # taxable 2,010: $25 row 2,000-2,025, midpoint 2,012.50 -> 201.25 -> 201
        (16_112, 1),  # taxable 12: row 5-15 pays $1
        (16_103, 0),  # taxable 3: row 0-5 pays $0
    ],
)
def test_tax_table_under_100000(law, wages, expected):
    r = tax(law, year=2026, filing_status="single", wages=wages)
    assert r["regular_tax"] == pytest.approx(round(expected))


def test_rate_schedule_at_and_above_100000(law):
    r = tax(law, year=2026, filing_status="single", wages=116_100)  # taxable exactly 100,000
    assert r["regular_tax"] == pytest.approx(1_240 + 4_560 + 0.22 * (100_000 - 50_400))


# ----------------------------------------------------------------- deductions


def test_salt_phase_down_2025_single(law):
    r = tax(law, year=2025, filing_status="single", wages=550_000, state_local_tax=60_000,
            mortgage_interest=30_000)
    # cap 40,000 - 30% of (550,000 - 500,000) = 25,000
    assert r["salt_deducted"] == 25_000
    assert r["deduction"] == 55_000
    # AMTI adds back the taxes deducted: 495,000 + 25,000
    assert r["amti"] == 520_000


def test_salt_phase_down_for_married_filing_separately_2026(law):
    # §164(b)(6)(B): the phased-down amount is halved -> 15% of MAGI over 252,500 on 20,200, floor 5,000
    r = tax(law, year=2026, filing_status="mfs", wages=300_000, state_local_tax=30_000)
    assert r["salt_deducted"] == pytest.approx(20_200 - 0.15 * (300_000 - 252_500))  # 13,075
    floor = tax(law, year=2026, filing_status="mfs", wages=500_000, state_local_tax=30_000,
                deduction="itemized")
    assert floor["salt_deducted"] == 5_000


def test_salt_cap_returns_to_10000_in_2030(law):
    r = tax(law, year=2030, filing_status="mfj", wages=300_000, state_local_tax=50_000,
            deduction="itemized")
    assert r["salt_deducted"] == 10_000


def test_itemizing_below_the_standard_deduction_when_the_amt_binds(law):
    # TAX_FACTS H: §63(e) election. Itemized 10,000 + (3,000 - 0.5% of 250,000) = 11,750 < 16,100.
    inputs = dict(year=2026, filing_status="single", wages=250_000, iso_bargain_element=200_000,
                  mortgage_interest=10_000, charitable=3_000)
    standard = tax(law, deduction="standard", **inputs)
    # standard: taxable 250,000 - 16,100 - 1,000 (§170(p)) = 232,900
    assert standard["taxable_income"] == 232_900
    assert standard["regular_tax"] == pytest.approx(1_240 + 4_560 + 12_166 + 23_058 + 0.32 * (232_900 - 201_775))
    assert standard["amti"] == 449_000  # the §170(p) deduction stays deducted for AMT [S]
    assert standard["tentative_minimum_tax"] == pytest.approx(0.28 * (449_000 - 90_100) - 4_890)  # 95,602
    itemized = tax(law, deduction="itemized", **inputs)
    assert itemized["taxable_income"] == 238_250
    assert itemized["amti"] == 438_250
    assert itemized["tentative_minimum_tax"] == pytest.approx(0.28 * (438_250 - 90_100) - 4_890)  # 92,592
    chosen = tax(law, **inputs)
    assert chosen["itemized"] == 1
    assert chosen["income_tax"] == pytest.approx(itemized["income_tax"])
    assert chosen["income_tax"] < standard["income_tax"]


def test_larger_deduction_when_no_amt(law):
    r = tax(law, year=2026, filing_status="single", wages=150_000, mortgage_interest=10_000)
    assert r["itemized"] == 0 and r["deduction"] == 16_100


def test_section_68_limitation_2026_and_its_restoration_for_amt(law):
    r = tax(law, year=2026, filing_status="single", wages=1_000_000, state_local_tax=50_000,
            mortgage_interest=40_000, charitable=20_000)
    # SALT floor 10,000 (cap phased down); charity 20,000 - 0.5% of 1,000,000 = 15,000; total 65,000
    assert r["salt_deducted"] == 10_000
    assert r["itemized_before_68"] == 65_000
    # §68: 2/37 of the lesser of 65,000 and (1,000,000 - 640,600)
    reduction = 2 / 37 * 65_000
    assert r["section_68_reduction"] == pytest.approx(reduction)
    taxable = 1_000_000 - (65_000 - reduction)
    assert r["taxable_income"] == pytest.approx(taxable)
    regular = 1_240 + 4_560 + 12_166 + 23_058 + 17_424 + 0.35 * (640_600 - 256_225) + 0.37 * (taxable - 640_600)
    assert r["regular_tax"] == pytest.approx(regular)
    # AMTI: §56(b)(1)(F) - no §68 for AMT: 1,000,000 - mortgage 40,000 - charity 15,000
    assert r["amti"] == pytest.approx(945_000)


def test_no_section_68_in_2025(law):
    r = tax(law, year=2025, filing_status="single", wages=1_000_000, mortgage_interest=40_000)
    assert r["section_68_reduction"] == 0


def test_senior_deduction_2025_is_added_back_for_amt(law):
    r = tax(law, year=2025, filing_status="mfj", wages=160_000, age_65_or_blind=2, senior_count=2)
    standard = 31_500 + 2 * 1_600
    senior = 2 * (6_000 - 0.06 * (160_000 - 150_000))  # 10,800
    assert r["senior_deduction"] == pytest.approx(senior)
    assert r["taxable_income"] == pytest.approx(160_000 - standard - senior)  # 114,500
    assert r["regular_tax"] == pytest.approx(2_385 + 8_772 + 0.22 * (114_500 - 96_950))  # 15,018
    # Form 6251 line 1a excludes the senior deduction, line 2a adds back the standard deduction
    assert r["amti"] == pytest.approx(160_000)


def test_no_senior_deduction_when_married_filing_separately(law):
    r = tax(law, year=2025, filing_status="mfs", wages=50_000, senior_count=1)
    assert r["senior_deduction"] == 0


# ----------------------------------------------------------------- other taxes and the credit


def test_niit_2026_mfj(law):
    r = tax(law, year=2026, filing_status="mfj", wages=200_000, taxable_interest=30_000,
            long_term_gain=100_000)
    assert r["niit"] == pytest.approx(0.038 * (330_000 - 250_000))  # 3,040


def test_qualifying_surviving_spouse_thresholds(law):
    r = tax(law, year=2026, filing_status="qss", wages=230_000, taxable_interest=40_000)
    assert r["additional_medicare_tax"] == pytest.approx(0.009 * 30_000)  # QSS: $200,000
    assert r["niit"] == pytest.approx(0.038 * 20_000)  # QSS: $250,000
    assert r["deduction"] == 32_200


def test_minimum_tax_credit_is_limited_to_regular_tax_minus_tmt(law):
    r = tax(law, year=2026, filing_status="single", wages=200_000, amt_credit_carryforward=50_000)
    # regular 36,734, TMT 28,574 (TAX_FACTS F): at most 8,160 of credit this year (§53(c))
    assert r["amt_credit_used"] == pytest.approx(36_734 - 28_574)
    assert r["amt_credit_remaining"] == pytest.approx(50_000 - 8_160)
    assert r["income_tax_after_credit"] == pytest.approx(28_574)


def test_projected_year_is_marked(law):
    result = compute_federal(households(year=[2026, 2031], filing_status="single", wages=100_000), law)
    assert result.projected.tolist() == [False, True]
