"""Form 8801 across years: credit created by deferral items, used up to regular tax minus TMT, carried.

Expected values are TAX_FACTS F figures (regular tax, TMT, AMT of the section F households) and
arithmetic written out here.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isoplan.tax.federal import compute_federal
from isoplan.tax.form8801 import credit_schedule, exclusion_items_only, minimum_tax_credit_years, part2
from isoplan.tax.households import households


def test_three_years_amt_then_recovery_from_published_figures():
    # 2025 single, wages 200,000, ISO spread 400,000 (TAX_FACTS F): regular 37,067, TMT 138,550, AMT 101,483.
    # Exclusion items only (no spread): AMTI 200,000, exemption 88,100 -> TMT 0.26 * 111,900 = 29,094 < 37,067,
    # so the net minimum tax on exclusion items (line 15) is 0 and the whole AMT is credit.
    # 2026 single, wages 200,000 (TAX_FACTS F): regular 36,734, TMT 28,574 -> limit 8,160.
    # Year 3 with the same figures again.
    out = credit_schedule(
        amt=[101_483, 0, 0],
        tentative_minimum_tax=[138_550, 28_574, 28_574],
        regular_tax=[37_067, 36_734, 36_734],
        exclusion_tmt=[0.26 * (200_000 - 88_100), 28_574, 28_574],
    )
    assert out["credit_created"][0] == 101_483
    assert list(out["line21"]) == [0, 101_483, 101_483 - 8_160]
    assert list(out["line25"]) == [0, 36_734 - 28_574, 36_734 - 28_574]  # 8,160 a year (§53(c))
    assert list(out["line26"]) == [0, 101_483 - 8_160, 101_483 - 2 * 8_160]  # 93,323; 85,163


def test_the_engine_sequence_reproduces_the_published_figures(law):
    years = minimum_tax_credit_years([
        households(year=2025, filing_status="single", wages=200_000, iso_bargain_element=400_000),
        households(year=2026, filing_status="single", wages=200_000),
    ], law)
    first, second = years
    assert float(first.result.amt[0]) == pytest.approx(101_483, abs=1)
    assert float(first.exclusion_result.tentative_minimum_tax[0]) == pytest.approx(0.26 * 111_900)  # 29,094
    assert float(first.credit_created[0]) == pytest.approx(101_483, abs=1)
    assert float(second.lines["line18"][0]) == pytest.approx(101_483, abs=1)
    assert float(second.lines["line25"][0]) == pytest.approx(36_734 - 28_574, abs=1)
    assert float(second.lines["line26"][0]) == pytest.approx(101_483 - 8_160, abs=1)
    # the engine itself used the credit the same way (Form 8801 line 21 fed in)
    assert float(second.result.amt_credit_used[0]) == pytest.approx(8_160, abs=1)


def test_2026_spread_all_deferral_then_wages_only(law):
    # 2026 single, wages 200,000, spread 400,000: AMT 115,148 (TAX_FACTS F), all from the deferral item
    hh = [households(year=y, filing_status="single", wages=200_000, iso_bargain_element=400_000 if y == 2026 else 0)
          for y in (2026, 2027, 2028)]
    years = minimum_tax_credit_years(hh, law)
    assert float(years[0].result.amt[0]) == pytest.approx(115_148, abs=1)
    assert float(years[0].credit_created[0]) == pytest.approx(115_148, abs=1)
    used = 0.0
    for y in years[1:]:
        limit = float(y.result.regular_tax[0] - y.result.tentative_minimum_tax[0])
        assert float(y.lines["line25"][0]) == pytest.approx(limit)  # regular - TMT, each year
        used += limit
        assert float(y.lines["line26"][0]) == pytest.approx(115_148 - used, abs=1)


def test_negative_line_18_after_a_qualifying_sale(law):
    # 2026 single: wages 200,000; qualifying sale with regular LTCG 1,000,000 and AMT LTCG 100,000 (2k -900,000).
    h = households(year=2026, filing_status="single", wages=200_000, long_term_gain=1_000_000,
                   amt_long_term_gain=100_000, amt_disposition_adjustment=-900_000)
    actual = compute_federal(h, law)
    # regular: ordinary 183,900 -> 36,734 (TAX_FACTS F); gains: 0% room none, 15% on 545,500 - 183,900 = 361,600,
    # 20% on the other 638,400
    regular = 36_734 + 0.15 * 361_600 + 0.20 * 638_400  # 218,654
    assert float(actual.regular_tax[0]) == pytest.approx(regular)
    # actual AMT: AMTI 1,200,000 - 900,000 = 300,000, exemption 90,100: 0.26 * 109,900 + 0.15 * 100,000 = 43,574
    assert float(actual.tentative_minimum_tax[0]) == pytest.approx(0.26 * 109_900 + 0.15 * 100_000)
    assert float(actual.amt[0]) == 0
    # exclusion items only: AMTI 1,200,000, exemption 0 (past 680,200);
    # Part III: 26% of 200,000 + 15% of 361,600 + 20% of 638,400 = 233,920
    excl = compute_federal(exclusion_items_only(h), law, deduction="standard")
    excl_tmt = 0.26 * 200_000 + 0.15 * 361_600 + 0.20 * 638_400
    assert float(excl.tentative_minimum_tax[0]) == pytest.approx(excl_tmt)
    line15 = excl_tmt - regular  # 15,266 of net minimum tax on exclusion items
    # with 500,000 of credit before: 2026 uses 218,654 - 43,574 = 175,080; next year's line 18 is -15,266
    out = credit_schedule(amt=[0, 0], tentative_minimum_tax=[43_574, 28_574], regular_tax=[regular, 36_734],
                          exclusion_tmt=[excl_tmt, 28_574], initial_carryforward=500_000)
    assert out["line25"][0] == pytest.approx(regular - 43_574)
    assert out["line18"][1] == pytest.approx(-line15)
    assert out["line21"][1] == pytest.approx(500_000 - (regular - 43_574) - line15)
    assert out["credit_created"][0] == pytest.approx(-line15)


def test_line_21_below_zero_means_no_credit():
    lines = part2(prior_amt=0, prior_net_minimum_tax_on_exclusions=5_000, prior_carryforward=1_000,
                  regular_tax=50_000, tentative_minimum_tax=10_000)
    assert lines["line21"] == -4_000
    assert lines["line25"] == 0 and lines["line26"] == 0


def test_exclusion_items_only_drops_deferral_items():
    # line 2k -3 with these gains (AMT 4 - regular 10 = -6) would be refused by households() as a return that
    # cannot exist, so it is set directly: this test is about which items exclusion_items_only drops
    h = households(year=2026, filing_status="single", wages=1, iso_bargain_element=5,
                   other_amt_adjustments=2, long_term_gain=10, amt_long_term_gain=4, amt_credit_carryforward=7
                   ).replace(amt_disposition_adjustment=-3)
    e = exclusion_items_only(h)
    assert (float(e.iso_bargain_element[0]), float(e.amt_disposition_adjustment[0]),
            float(e.other_amt_adjustments[0]), float(e.amt_long_term_gain[0])) == (0, 0, 0, 10)


def test_vectorized_over_scenarios_matches_one_at_a_time(law):
    spreads = np.array([0.0, 100_000, 400_000, 900_000])
    seq = minimum_tax_credit_years([
        households(year=2025, filing_status="mfj", wages=300_000, iso_bargain_element=spreads),
        households(year=2026, filing_status="mfj", wages=300_000),  # one household: the same in every scenario
    ], law)
    for i, spread in enumerate(spreads):
        one = minimum_tax_credit_years([
            households(year=2025, filing_status="mfj", wages=300_000, iso_bargain_element=spread),
            households(year=2026, filing_status="mfj", wages=300_000),
        ], law)
        assert float(seq[1].lines["line25"][i]) == pytest.approx(float(one[1].lines["line25"][0]))


money = st.floats(min_value=0, max_value=2e6, allow_nan=False)


@given(st.lists(st.tuples(money, money, money, money), min_size=1, max_size=8), money)
@settings(max_examples=200, deadline=None)
def test_credit_is_never_negative_and_never_used_beyond_what_was_created(rows, initial):
    amt, tmt, regular, excl = (np.array(col) for col in zip(*rows, strict=True))
    out = credit_schedule(amt=amt, tentative_minimum_tax=tmt, regular_tax=regular, exclusion_tmt=excl,
                          initial_carryforward=initial)
    assert np.all(out["line25"] >= 0) and np.all(out["line26"] >= 0)
    assert np.all(out["line25"] <= np.maximum(regular - tmt, 0) + 1e-6)
    created = initial + np.sum(np.maximum(out["credit_created"][:-1], 0))
    assert out["line25"].sum() <= created + 1e-6
    assert out["line25"].sum() + out["line26"][-1] <= created + 1e-6
