"""The exercise calculator against hand computations (2026 single filer, TAX_FACTS A1-A5, D4-D5, F)."""

import numpy as np
import pytest

from isoplan.errors import InputError
from isoplan.planning.cost import exercise_cost
from isoplan.tax.households import households
from isoplan.tax.law import law_table

LAW = law_table(0.025)
SINGLE_200K = dict(year=2026, filing_status="single", wages=200_000)
REGULAR_200K = 17_966 + 0.24 * (183_900 - 105_700)  # 36,734 (TAX_FACTS F)


def cost(inputs=SINGLE_200K, **kwargs):
    return exercise_cost(households(**inputs), law=LAW, **kwargs)


def test_exercise_past_the_room():
    c = cost(shares=1_000, strike=10, fmv=60, cash=12_000, drop=0.5)
    assert c.bargain_element[0] == 1_000 * (60 - 10)
    assert c.strike_cash[0] == 10_000
    # AMTI 200,000 + 50,000; TMT = 0.26 x (250,000 - 90,100) = 41,574; AMT = 41,574 - 36,734
    amt = 0.26 * (250_000 - 90_100) - REGULAR_200K
    assert c.incremental.amt[0] == pytest.approx(amt)  # 4,840
    assert c.incremental.regular_tax[0] == 0
    assert c.incremental.total_tax[0] == pytest.approx(amt)
    assert c.outlay[0] == pytest.approx(10_000 + amt)  # 14,840
    assert c.outlay_per_share[0] == pytest.approx((10_000 + amt) / 1_000)
    # the room (31,384, see test_room) and how far past it 50,000 goes
    assert c.amt_room[0] == 31_384
    assert c.spread_past_room[0] == 50_000 - 31_384
    assert c.shares_within_room[0] == 627  # 31,384 / 50 = 627.7
    # stress: 50% fall, price 30, shares worth 30,000; the tax stays at 4,840
    assert c.price_after_drop[0] == 30 and c.value_after_drop[0] == 30_000
    assert c.cash_needed[0] == pytest.approx(14_840)
    assert not c.cash_covers[0]
    assert c.cash_gap[0] == pytest.approx(14_840 - 12_000)
    assert c.hold_net[0] == pytest.approx(30_000 - 10_000 - amt)


def test_same_year_rescue_between_strike_and_exercise_price():
    # sold in 2026 at 30: disqualifying disposition, no line 2i adjustment. §422(c)(2): ordinary income
    # is the gain, 30 - 10 = 20 a share (not the 50 spread); basis 10 + 20 = 30, so no capital gain.
    c = cost(shares=1_000, strike=10, fmv=60, drop=0.5)
    assert c.rescue_ordinary_income[0] == 20_000
    assert c.rescue_capital_gain[0] == 0
    # taxable 203,900: 24% to 201,775, then 32%
    regular = 17_966 + 0.24 * (201_775 - 105_700) + 0.32 * (203_900 - 201_775)  # 41,704
    assert c.rescue.regular_tax[0] == pytest.approx(regular)
    assert c.rescue.amt[0] == 0  # AMTI 220,000: TMT 33,774 < regular
    assert c.rescue_incremental.total_tax[0] == pytest.approx(regular - REGULAR_200K)  # 4,970
    # not FICA wages (§3121(a)(22)): no Additional Medicare Tax on it
    assert c.rescue_incremental.additional_medicare_tax[0] == 0
    assert c.rescue_proceeds[0] == 30_000
    assert c.rescue_net_cash[0] == pytest.approx(30_000 - 10_000 - (regular - REGULAR_200K))


def test_same_year_rescue_below_the_strike_is_a_capital_loss():
    # drop 95%: price 3 < strike 10. No ordinary income; short-term loss (3 - 10) x 1,000 = -7,000,
    # of which 3,000 offsets wages (§1211(b)): taxable 180,900 -> regular falls by 24% x 3,000
    c = cost(shares=1_000, strike=10, fmv=60, drop=0.95)
    assert c.price_after_drop[0] == pytest.approx(3)
    assert c.rescue_ordinary_income[0] == 0
    assert c.rescue_capital_gain[0] == pytest.approx(-7_000)
    assert c.rescue_incremental.total_tax[0] == pytest.approx(-0.24 * 3_000)
    # held, the tax (4,840) is more than the shares are worth (3,000)
    assert c.tax_exceeds_value[0]


def test_rescue_loss_also_lowers_niit():
    # wages 300,000 + interest 50,000: NIIT 3.8% x min(50,000, 350,000 - 200,000) = 1,900.
    # Sold at 2 (strike 10): loss 8,000, 3,000 allowed; NII 47,000 -> NIIT 1,786; regular at 35%.
    inputs = dict(year=2026, filing_status="single", wages=300_000, taxable_interest=50_000)
    c = cost(inputs, shares=1_000, strike=10, fmv=20, drop=0.9)
    assert c.without.niit[0] == pytest.approx(0.038 * 50_000)
    assert c.rescue_incremental.niit[0] == pytest.approx(-0.038 * 3_000)
    assert c.rescue_incremental.regular_tax[0] == pytest.approx(-0.35 * 3_000)
    assert c.rescue_incremental.total_tax[0] == pytest.approx(-0.038 * 3_000 - 0.35 * 3_000)


def test_underwater_exercise_has_no_spread_and_no_tax():
    c = cost(shares=100, strike=20, fmv=20, cash=5_000)
    assert c.underwater[0] and c.spread_per_share[0] == 0 and c.bargain_element[0] == 0
    assert c.incremental.total_tax[0] == 0
    assert c.outlay[0] == 100 * 20
    assert c.cash_covers[0] and c.cash_gap[0] == 0
    assert c.shares_within_room[0] == 100
    # a same-year sale at 10 is a 1,000 capital loss, deductible against wages at 24%
    assert c.rescue_incremental.total_tax[0] == pytest.approx(-0.24 * 1_000)
    above = cost(shares=100, strike=25, fmv=20)
    assert above.underwater[0] and above.bargain_element[0] == 0


def test_spread_inside_the_room_can_still_cost_credit_use():
    # credit 5,000, fully used at no exercise (regular 36,734 - TMT 28,574 = 8,160). A 20,000 spread:
    # TMT 0.26 x 129,900 = 33,774, limit 2,960, so 2,040 less credit is used this year (no AMT)
    inputs = {**SINGLE_200K, "amt_credit_carryforward": 5_000}
    c = cost(inputs, shares=1_000, strike=0, fmv=20)
    assert c.incremental.amt[0] == 0
    lost = 5_000 - (REGULAR_200K - 0.26 * (220_000 - 90_100))
    assert c.credit_use_lost[0] == pytest.approx(lost)
    assert c.incremental.total_tax[0] == pytest.approx(lost)


def test_vectorized_over_households_and_exercises():
    h = households(year=[2026, 2025, 2026], filing_status=["single", "mfj", "single"],
                   wages=[200_000, 400_000, 200_000])
    c = exercise_cost(h, shares=[1_000, 500, 2_000], strike=[10, 5, 1], fmv=[60, 45, 2], law=LAW, drop=0.5)
    one = cost(shares=1_000, strike=10, fmv=60)
    assert c.incremental.total_tax[0] == pytest.approx(one.incremental.total_tax[0])
    # 2025 joint, 500 x 40 = 20,000 spread, room 18,842 (test_room): 1,158 past it at 28%
    assert c.spread_past_room[1] == 20_000 - 18_842
    assert c.incremental.amt[1] == pytest.approx(0.28 * (420_000 - 137_000) - 4_782 - 74_134)
    assert c.incremental.total_tax[2] == 0  # 2,000 of spread is well inside the room


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (dict(shares=0, strike=1, fmv=2), "shares"),
        (dict(shares=1.5, strike=1, fmv=2), "shares"),
        (dict(shares=-3, strike=1, fmv=2), "shares"),
        (dict(shares=10, strike=-1, fmv=2), "strike"),
        (dict(shares=10, strike=1, fmv=float("nan")), "fmv"),
        (dict(shares=10, strike=1, fmv=2, drop=0), "drop"),
        (dict(shares=10, strike=1, fmv=2, drop=1), "drop"),
        (dict(shares=10, strike=1, fmv=2, cash=-1), "cash"),
    ],
)
def test_bad_exercise_inputs_name_the_field(kwargs, field):
    with pytest.raises(InputError) as err:
        cost(**kwargs)
    assert err.value.field == field


def test_arrays_broadcast():
    c = cost(shares=np.array([1_000.0]), strike=10.0, fmv=np.array([60.0]))
    assert c.bargain_element.tolist() == [50_000]
