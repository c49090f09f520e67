"""Schedule D on the regular and the AMT basis: netting, the §1211(b) limit, §1212(b) carryovers, line 2k.

Worked by hand from the Schedule D instructions (Capital Loss Carryover Worksheet, lines 1-13),
Form 6251 (line 2k: AMT gain or loss after its own limit minus the regular one; line 13: the
net capital gain refigured with AMT basis, IRC §1222(11)) and the 2024/2025 parameters.
"""

import pytest

from isoplan.errors import InputError
from isoplan.tax.federal import compute_federal
from isoplan.tax.households import households


def tax(law, **inputs):
    result = compute_federal(households(**inputs), law)
    return {k: float(v[0]) for k, v in result.lines.items()}


# ----------------------------------------------------------------- carryover worksheet, regular basis


def test_loss_limit_charged_to_short_term_first(law):
    # ST -2,000, LT -5,000: line 16 -7,000, line 21 -3,000. Worksheet: line 4 = 3,000 (taxable income positive);
    # ST carryover = 2,000 - (3,000 + 0) -> 0; LT carryover = 5,000 - (0 + (3,000 - 2,000)) = 4,000
    r = tax(law, year=2025, filing_status="single", wages=100_000, short_term_gain=-2_000, long_term_gain=-5_000)
    assert r["net_capital_gain_or_loss"] == -7_000
    assert r["capital_gain_in_agi"] == -3_000
    assert r["short_term_loss_carryover_out"] == 0
    assert r["long_term_loss_carryover_out"] == 4_000
    # nothing differs on the AMT basis: same carryover, line 2k 0
    assert r["amt_short_term_loss_carryover_out"] == 0
    assert r["amt_long_term_loss_carryover_out"] == 4_000
    assert r["amt_line2k"] == 0


def test_married_filing_separately_limit_and_negative_taxable_income(law):
    # MFS limit 1,500: AGI 10,000 - 1,500 = 8,500; taxable income before its floor 8,500 - 15,750 = -7,250.
    # Worksheet: line 1 -7,250; line 2 1,500; line 3 max(-5,750, 0) = 0; line 4 0 -> no deduction was used:
    # ST carryover 2,000 - 0 = 2,000; LT carryover 5,000 - (0 + max(0 - 2,000, 0)) = 5,000
    r = tax(law, year=2025, filing_status="mfs", wages=10_000, short_term_gain=-2_000, long_term_gain=-5_000)
    assert r["capital_gain_in_agi"] == -1_500
    assert r["short_term_loss_carryover_out"] == 2_000
    assert r["long_term_loss_carryover_out"] == 5_000


def test_carryover_in_nets_against_gains(law):
    # ST gain 4,000 less ST carryover 6,000 = line 7 -2,000; LT gain 10,000 less LT carryover 1,000 = line 15 9,000;
    # line 16 7,000: a gain, of which the net capital gain (min(9,000, 7,000)) is 7,000; nothing carried out
    r = tax(law, year=2025, filing_status="single", wages=100_000, short_term_gain=4_000, long_term_gain=10_000,
            short_term_loss_carryover=6_000, long_term_loss_carryover=1_000)
    assert r["schedule_d_line7"] == -2_000
    assert r["schedule_d_line15"] == 9_000
    assert r["capital_gain_in_agi"] == 7_000
    assert r["qdcg_line4"] == 7_000
    assert r["amt_line13"] == 7_000
    assert r["short_term_loss_carryover_out"] == 0 and r["long_term_loss_carryover_out"] == 0


# ----------------------------------------------------------------- worked example 1: qualifying sale below AMT basis


def test_k2_year_of_sale_2024(law):
    # Single, 2024, wages 150,000. 1,000 ISO shares exercised in 2023 at $10 (FMV $50), sold in 2024 in a
    # qualifying sale for 20,000: regular LTCG 20,000 - 10,000 = +10,000; AMT LTCL 20,000 - 50,000 = -30,000.
    r = tax(law, year=2024, filing_status="single", wages=150_000, long_term_gain=10_000, amt_long_term_gain=-30_000)
    # line 2k = (-3,000 after the AMT limit) - (+10,000) = -13,000 (not -40,000)
    assert r["amt_line2k"] == -13_000
    assert r["amt_capital_gain_in_amti"] == -3_000
    # regular: AGI 160,000; taxable 160,000 - 14,600 = 145,400; QDCG: ordinary 135,400, gain 10,000 at 15%
    #   tax on 135,400 = 17,168.50 + 24% x 34,875 = 25,538.50; + 1,500 = 27,038.50
    assert r["taxable_income"] == 145_400
    assert r["regular_tax"] == pytest.approx(27_038.50)
    # AMTI 145,400 + 14,600 (line 2a) - 13,000 = 147,000; exemption 85,700; base 61,300; line 13 = 0 (AMT net loss)
    # TMT 26% x 61,300 = 15,938; no AMT
    assert r["amti"] == 147_000
    assert r["amt_line13"] == 0
    assert r["tentative_minimum_tax"] == pytest.approx(15_938)
    assert r["amt"] == 0
    # carryover: regular none; AMT worksheet line 1 = 147,000 - 85,700 = 61,300, line 4 = 3,000,
    # LT carryover 30,000 - (0 + 3,000) = 27,000 (AMT only)
    assert r["long_term_loss_carryover_out"] == 0
    assert r["amt_long_term_loss_carryover_out"] == 27_000
    assert r["amt_short_term_loss_carryover_out"] == 0


def test_k2_next_year_2025(law):
    # 2025: 30,000 of other LTCG; the 27,000 AMT carryover comes in. Regular net 30,000, AMT net 3,000.
    r = tax(law, year=2025, filing_status="single", wages=150_000, long_term_gain=30_000,
            amt_long_term_loss_carryover=27_000)
    assert r["amt_line2k"] == 3_000 - 30_000  # -27,000
    assert r["amt_line13"] == 3_000
    # regular: taxable 180,000 - 15,750 = 164,250; ordinary 134,250:
    #   tax at 103,350 = 1,192.50 + 4,386 + 12,072.50 = 17,651; + 24% x 30,900 = 7,416 -> 25,067; + 15% x 30,000
    #   = 4,500 -> 29,567
    assert r["regular_tax"] == pytest.approx(29_567)
    # AMTI 164,250 + 15,750 - 27,000 = 153,000; exemption 88,100; line 6 = 64,900
    # Part III: line 18 = 26% x (64,900 - 3,000) = 16,094; no 0% room (48,350 < 134,250 ordinary);
    # line 31 = 15% x 3,000 = 450; line 38 = 16,544 < line 39 = 26% x 64,900 = 16,874 -> TMT 16,544
    assert r["amti"] == 153_000
    assert r["tentative_minimum_tax"] == pytest.approx(16_544)
    assert r["amt_long_term_loss_carryover_out"] == 0


# ----------------------------------------------------------------- worked example 2: losses on both bases


def test_k3_year_one_losses_on_both_bases(law):
    # regular net -10,000 (deduct 3,000, carry 7,000 LT); AMT net -40,000 (deduct 3,000, carry 37,000 LT)
    r = tax(law, year=2024, filing_status="single", wages=150_000, long_term_gain=-10_000,
            amt_long_term_gain=-40_000)
    assert r["amt_line2k"] == 0  # (-3,000) - (-3,000)
    assert r["long_term_loss_carryover_out"] == 7_000
    assert r["amt_long_term_loss_carryover_out"] == 37_000
    # taxable 147,000 - 14,600 = 132,400; tax 17,168.50 + 24% x 31,875 = 24,818.50
    assert r["regular_tax"] == pytest.approx(24_818.50)
    # AMTI 132,400 + 14,600 = 147,000; TMT 26% x 61,300 = 15,938
    assert r["amti"] == 147_000
    assert r["tentative_minimum_tax"] == pytest.approx(15_938)


def test_k3_year_two_the_difference_moves_through_the_carryovers(law):
    # 50,000 of new LTCG: regular 50,000 - 7,000 = 43,000; AMT 50,000 - 37,000 = 13,000; line 2k = -30,000
    r = tax(law, year=2025, filing_status="single", wages=150_000, long_term_gain=50_000,
            long_term_loss_carryover=7_000, amt_long_term_loss_carryover=37_000)
    assert r["amt_line2k"] == -30_000
    assert r["qdcg_line4"] == 43_000
    assert r["amt_line13"] == 13_000
    # regular: taxable 193,000 - 15,750 = 177,250; ordinary 134,250 -> 25,067; 15% x 43,000 = 6,450 -> 31,517
    assert r["regular_tax"] == pytest.approx(31_517)
    # AMTI 177,250 + 15,750 - 30,000 = 163,000; line 6 = 163,000 - 88,100 = 74,900
    # line 18 = 26% x 61,900 = 16,094; line 31 = 15% x 13,000 = 1,950 -> 18,044 < 26% x 74,900 = 19,474
    assert r["amti"] == 163_000
    assert r["tentative_minimum_tax"] == pytest.approx(18_044)


# ----------------------------------------------------------------- one meaning for the AMT-basis inputs


def test_amt_long_term_gain_alone_derives_line_2k(law):
    # 2026 MFJ, wages 300,000; LTCG 1,200,000 regular, 200,000 AMT basis: line 2k = 200,000 - 1,200,000;
    # AMTI = 300,000 + 200,000 = 500,000 (not 1,500,000) and line 13 = 200,000
    r = tax(law, year=2026, filing_status="mfj", wages=300_000, long_term_gain=1_200_000, amt_long_term_gain=200_000)
    assert r["amt_line2k"] == -1_000_000
    assert r["amti"] == 500_000
    assert r["amt_line13"] == 200_000


def test_line_2k_that_leaves_gain_outside_the_amt_schedule_d_is_refused():
    with pytest.raises(InputError) as err:
        households(year=2026, filing_status="mfj", wages=300_000, long_term_gain=1_200_000,
                   amt_long_term_gain=200_000, amt_disposition_adjustment=0)
    assert "amt_disposition_adjustment" in str(err.value) and "amt_long_term_gain" in str(err.value)


def test_line_2k_below_the_schedule_d_difference_is_accepted():
    # a later-year disqualifying disposition takes back its compensation income too (line 2k more negative)
    h = households(year=2026, filing_status="single", wages=100_000, other_ordinary_income=40_000,
                   short_term_gain=0, amt_short_term_gain=-11_000, amt_disposition_adjustment=-43_000)
    assert float(h.amt_disposition_adjustment[0]) == -43_000


def test_amt_short_term_loss_nets_against_amt_long_term_gain(law):
    # AMT ST -11,000 and AMT LT +50,000 (regular ST 0, LT +110,000): AMT net capital gain 39,000 (line 13)
    r = tax(law, year=2026, filing_status="single", wages=200_000, short_term_gain=0, long_term_gain=110_000,
            amt_short_term_gain=-11_000, amt_long_term_gain=50_000)
    assert r["amt_line13"] == 39_000
    assert r["amt_line2k"] == 39_000 - 110_000
