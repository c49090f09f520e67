"""The AMT room and the credit line, against hand computations and the engine itself.

Expected rooms are solved by hand below from the published parameters
(TAX_FACTS A1-A4, F): with regular tax R fixed, the room is the largest whole
dollar s with TMT(s) <= R. Every room is also checked on the engine:
AMT(room) == 0 and AMT(room + 1) > 0.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isoplan.planning.room import _params, _spread_tax, amt_room, shares_for_spread, zone_past_line
from isoplan.tax.federal import compute_federal
from isoplan.tax.households import households
from isoplan.tax.law import STATUSES, law_table

LAW = law_table(0.025)


def engine(inputs, spreads, deduction="auto"):
    """The engine at the household's own spread plus each of ``spreads``."""
    spreads = np.asarray(spreads, dtype=float)
    n = len(spreads)
    columns = {k: ([v] * n if isinstance(v, str) else np.full(n, v)) for k, v in inputs.items()}
    columns["iso_bargain_element"] = inputs.get("iso_bargain_element", 0.0) + spreads
    return compute_federal(households(**columns), LAW, deduction=deduction)


def room_of(deduction="auto", **inputs):
    r = amt_room(households(**inputs), LAW, deduction=deduction)
    return {k: v[0] for k, v in r.__dict__.items()}


def assert_is_the_line(inputs, room, deduction="auto"):
    amt = engine(inputs, [room, room + 1], deduction).amt
    assert amt[0] == 0
    assert amt[1] > 0


# ----------------------------------------------------------------- hand-solved rooms


def test_single_2026_wages_200000():
    # TAX_FACTS F: taxable 183,900, regular tax 36,734. AMTI = 200,000 + s (standard deduction
    # added back), exemption 90,100 (AMTI below 500,000), TMT = 26% x (AMTI - 90,100) while the
    # base is under 244,500: 0.26 x (109,900 + s) <= 36,734  <=>  s <= 36,734 / 0.26 - 109,900
    line = 36_734 / 0.26 - 109_900  # 31,384.615...
    r = room_of(year=2026, filing_status="single", wages=200_000)
    assert r["amt_room"] == math.floor(line) == 31_384
    assert not r["already_in_amt"]
    assert r["regular_tax"] == pytest.approx(36_734)
    assert r["tentative_minimum_tax"] == pytest.approx(0.26 * 109_900)  # 28,574 (TAX_FACTS F)
    assert_is_the_line({"year": 2026, "filing_status": "single", "wages": 200_000}, 31_384)


def test_single_2025_wages_200000():
    # TAX_FACTS F: regular tax 37,067; exemption 88,100: 0.26 x (111,900 + s) <= 37,067
    line = 37_067 / 0.26 - 111_900  # 30,665.38
    r = room_of(year=2025, filing_status="single", wages=200_000)
    assert r["amt_room"] == math.floor(line) == 30_665


def test_joint_2025_lands_in_the_28_percent_bracket():
    # TAX_FACTS F: regular 74,134; AMTI 400,000 + s, exemption 137,000; base 263,000 + s is above
    # 239,100, so TMT = 0.28 x base - 4,782: 0.28 x (263,000 + s) - 4,782 <= 74,134
    line = (74_134 + 4_782) / 0.28 - 263_000  # 18,842.86
    r = room_of(year=2025, filing_status="mfj", wages=400_000)
    assert r["amt_room"] == math.floor(line) == 18_842
    zone = zone_past_line(households(year=2025, filing_status="mfj", wages=400_000), [18_842], LAW)
    assert zone.rate[0] == pytest.approx(0.28)
    assert zone.upper_rate[0] and not zone.phase_out[0]


def test_head_of_household_2026():
    # taxable 150,000 - 24,150 = 125,850; HOH 2026: 1,770 + 5,970 + 8,415 + 4,836 = 20,991
    regular = 0.10 * 17_700 + 0.12 * (67_450 - 17_700) + 0.22 * (105_700 - 67_450) + 0.24 * (125_850 - 105_700)
    # AMTI 150,000 + s, exemption 90,100: 0.26 x (59,900 + s) <= regular (20,991)
    line = regular / 0.26 - 59_900  # 20,834.6
    r = room_of(year=2026, filing_status="hoh", wages=150_000)
    assert r["regular_tax"] == pytest.approx(regular)
    assert r["amt_room"] == math.floor(line) == 20_834


def test_single_2026_in_the_exemption_phase_out():
    # taxable 583,900: 58,448 through the 32% bracket + 35% x (583,900 - 256,225) = 173,134.25
    regular = 1_240 + 4_560 + 12_166 + 23_058 + 17_424 + 0.35 * (583_900 - 256_225)
    # AMTI 600,000 + s: exemption 90,100 - 50% x (100,000 + s) = 40,100 - s/2 (gone at s = 80,200)
    # base = 559,900 + 1.5 s; TMT = 0.28 x base - 4,890 = 151,882 + 0.42 s <= regular
    line = (regular - (0.28 * 559_900 - 4_890)) / 0.42  # 50,600.6
    r = room_of(year=2026, filing_status="single", wages=600_000)
    assert r["amt_room"] == math.floor(line) == 50_600
    zone = zone_past_line(households(year=2026, filing_status="single", wages=600_000), [50_600], LAW)
    assert zone.rate[0] == pytest.approx(0.28 * 1.5)  # 42%: TAX_FACTS A4, derived
    assert zone.phase_out[0] and zone.upper_rate[0]


def test_married_filing_separately_2025_in_the_addon_zone():
    # MFS 2025, taxable 784,250: through 375,800 the schedule gives 101,077.25, then 37%
    regular = (1_192.50 + 4_386 + 12_072.50 + 22_548 + 17_032 + 0.35 * (375_800 - 250_525)
               + 0.37 * (784_250 - 375_800))  # 252,203.75
    # AMTI a = 800,000 + s. Past the zero point 900,350 the exemption is 0 and line 4 = a + 25% (a - 900,350)
    # (TAX_FACTS A4): 0.28 x (1.25 a - 225,087.5) - 2,391 = regular
    #   =>  a = ((regular + 2,391) / 0.28 + 225,087.5) / 1.25
    a = ((regular + 2_391) / 0.28 + 0.25 * 900_350) / 1.25  # 907,483.6
    r = room_of(year=2025, filing_status="mfs", wages=800_000)
    assert r["amt_room"] == math.floor(a - 800_000) == 107_483
    zone = zone_past_line(households(year=2025, filing_status="mfs", wages=800_000), [107_483], LAW)
    assert zone.mfs_addon[0] and not zone.phase_out[0]
    assert zone.rate[0] == pytest.approx(0.28 * 1.25)  # 35%


def test_married_filing_separately_2026_addon_already_capped():
    # MFS 2026, taxable 883,900: 103,291.75 through 384,350 (35% top of 384,350), then 37%
    regular = (1_240 + 4_560 + 12_166 + 23_058 + 17_424 + 0.35 * (384_350 - 256_225)
               + 0.37 * (883_900 - 384_350))  # 288,125.25
    # AMTI 900,000 + s is past 640,200 (form line 4): no exemption; the add-on min(50% x excess, 70,100)
    # is already at its cap, so line 4 = 970,100 + s and TMT = 0.28 x line 4 - 2,445
    line = (regular + 2_445) / 0.28 - 970_100  # 67,650.9
    r = room_of(year=2026, filing_status="mfs", wages=900_000)
    assert r["amt_room"] == math.floor(line) == 67_650


def test_capital_gains_keep_their_rates_in_part_iii():
    # 2026 single, wages 30,000, LTCG 200,000 (engine test: regular 26,090.50).
    regular = 1_423 + 0.15 * (200_000 - (49_450 - 13_900))
    # AMTI 230,000 + s, line 6 = 139,900 + s. While line 6 < gains (s < 60,100) the spread fills the
    # layer of gains the exemption sheltered (0% to 35,550, then 15%): TMT(60,100) = 0.15 x 164,450,
    # still under regular tax; past it the spread is ordinary AMT base at 26%
    tmt_at_gains = 0.15 * (200_000 - 35_550)  # 24,667.50
    line = 60_100 + (regular - tmt_at_gains) / 0.26  # 65,573.08
    inputs = {"year": 2026, "filing_status": "single", "wages": 30_000, "long_term_gain": 200_000}
    r = room_of(**inputs)
    assert r["amt_room"] == math.floor(line) == 65_573
    assert_is_the_line(inputs, 65_573)


def test_the_line_inside_the_part_iii_15_percent_layer_is_an_exact_tie():
    # 2026 single, LTCG 100,000 only: taxable 83,900, all gain; 0% to 49,450, 15% on 34,450:
    regular = 0.15 * (83_900 - 49_450)  # 5,167.50
    # AMTI 100,000 + s, line 6 = 9,900 + s; Part III taxes line 6 as gain: 0% to 49,450, then 15%.
    # TMT = 0.15 x (9,900 + s - 49,450) = regular exactly at s = 74,000: AMT 0 there, > 0 one dollar on
    inputs = {"year": 2026, "filing_status": "single", "long_term_gain": 100_000}
    r = room_of(**inputs)
    assert r["amt_room"] == 83_900 + 49_450 - 9_900 - 49_450 == 74_000
    assert r["regular_tax"] == pytest.approx(regular)
    assert_is_the_line(inputs, 74_000)
    zone = zone_past_line(households(**inputs), [74_000], LAW)
    assert zone.gains_pulled_in[0] and zone.rate[0] == pytest.approx(0.15)


def test_no_regular_tax_room_is_what_the_exemption_absorbs():
    # wages 16,000 < standard deduction 16,100: regular tax 0. AMTI = 16,000 + s; TMT = 0 while
    # AMTI <= exemption 90,100, so the room is 90,100 - 16,000 and the next dollar costs 26 cents
    inputs = {"year": 2026, "filing_status": "single", "wages": 16_000}
    r = room_of(**inputs)
    assert r["regular_tax"] == 0
    assert r["amt_room"] == 90_100 - 16_000
    amt = engine(inputs, [74_100, 74_101]).amt
    assert amt[0] == 0 and amt[1] == pytest.approx(0.26)


def test_already_in_amt_has_no_room():
    # TAX_FACTS F: 2026 single, wages 200,000 and a 400,000 spread owes 115,148 of AMT
    r = room_of(year=2026, filing_status="single", wages=200_000, iso_bargain_element=400_000)
    assert r["already_in_amt"] and r["amt_room"] == 0
    assert r["amt"] == pytest.approx(115_148, abs=1)


def test_existing_spread_shortens_the_room_dollar_for_dollar():
    r = room_of(year=2026, filing_status="single", wages=200_000, iso_bargain_element=10_000)
    assert r["amt_room"] == 31_384 - 10_000


# ----------------------------------------------------------------- the deduction election


def test_itemizing_below_the_standard_deduction_in_the_same_tax_table_row_lengthens_the_room():
    # 2026 single, wages 60,000, mortgage interest 16,080 < standard deduction 16,100.
    # Standard: taxable 43,900, Tax Table row 43,900-43,950 -> tax on 43,925 = 1,240 + 12% x 31,525 = 5,023.
    # Itemized: taxable 43,920 is the same row: the same 5,023. AMTI: 60,000 + s (standard added back)
    # or 60,000 - 16,080 + s = 43,920 + s (mortgage interest stays deducted for AMT).
    regular = round(1_240 + 0.12 * (43_925 - 12_400))
    standard_line = regular / 0.26 + 90_100 - 60_000  # 49,419.2
    itemized_line = regular / 0.26 + 90_100 - 43_920  # 65,499.2
    inputs = {"year": 2026, "filing_status": "single", "wages": 60_000, "mortgage_interest": 16_080}
    forced = room_of(deduction="standard", **inputs)
    assert forced["amt_room"] == math.floor(standard_line) == 49_419
    # auto: one dollar past the standard line itemizing costs nothing and owes no AMT, so the engine
    # switches (IRC §63(e)); the AMT line is the itemized one
    r = room_of(**inputs)
    assert r["amt_room"] == math.floor(itemized_line) == 65_499
    assert r["election_switch"] and r["itemized_at_line"]
    assert_is_the_line(inputs, 65_499)
    assert engine(inputs, [49_420]).amt[0] == 0


def test_the_room_is_the_first_line_when_a_later_switch_brings_the_amt_back_to_zero():
    # 2026 single, wages 250,000, mortgage 10,000, charity 3,000 (engine test of the §63(e) election).
    # Standard: taxable 232,900, regular 41,024 + 0.32 x 31,125 = 50,984; AMTI 249,000 + s (the §170(p)
    # 1,000 stays deducted); 0.26 x (158,900 + s) <= 50,984
    standard_regular = 1_240 + 4_560 + 12_166 + 23_058 + 0.32 * (232_900 - 201_775)
    line = standard_regular / 0.26 - 158_900  # 37,192.3
    inputs = {"year": 2026, "filing_status": "single", "wages": 250_000, "mortgage_interest": 10_000,
              "charitable": 3_000}
    r = room_of(**inputs)
    assert r["amt_room"] == math.floor(line) == 37_192
    assert not r["election_switch"]
    assert_is_the_line(inputs, 37_192)
    # later itemizing (regular 52,696, AMTI 238,250 + s) becomes cheaper than paying TMT on the standard
    # deduction: AMT shows 0 again at 45,000 of spread, but the tax is 1,712 higher than at the line
    at = engine(inputs, [0, 45_000])
    assert at.amt[1] == 0 and at.itemized[1] == 1
    assert at.income_tax[1] - at.income_tax[0] == pytest.approx(0.32 * (238_250 - 232_900))


def test_with_a_large_credit_the_engine_itemizes_below_the_standard_deduction_from_the_start():
    # 2026 single, wages 200,000, mortgage 10,000 (< 16,100), credit 100,000. With that much credit the tax
    # after credit is max(regular - credit, TMT) = TMT, so the election with the lower TMT wins: itemizing,
    # AMTI 190,000 + s. Its regular tax: taxable 190,000 -> 17,966 + 24% x 84,300 = 38,198.
    itemized_regular = 17_966 + 0.24 * (190_000 - 105_700)
    line = itemized_regular / 0.26 - (190_000 - 90_100)  # 47,015.4
    inputs = {"year": 2026, "filing_status": "single", "wages": 200_000, "mortgage_interest": 10_000,
              "amt_credit_carryforward": 100_000}
    r = room_of(**inputs)
    assert r["amt_room"] == math.floor(line) == 47_015
    assert r["itemized_at_line"]
    assert_is_the_line(inputs, 47_015)
    # standard deduction forced: the plain line of the standard deduction (31,384 as above)
    assert room_of(deduction="standard", **inputs)["amt_room"] == 31_384


# ----------------------------------------------------------------- the credit line


def test_credit_line_where_the_whole_credit_is_used():
    # credit 5,000; regular 36,734 - TMT 28,574 = 8,160 >= 5,000: all of it is used at s = 0.
    # Use shrinks once TMT > regular - credit: 0.26 x (109,900 + s) <= 31,734
    line = (36_734 - 5_000) / 0.26 - 109_900  # 12,153.8
    inputs = {"year": 2026, "filing_status": "single", "wages": 200_000, "amt_credit_carryforward": 5_000}
    r = room_of(**inputs)
    assert r["credit_line"] == math.floor(line) == 12_153
    assert r["credit_used"] == 5_000
    assert r["amt_room"] == 31_384  # the AMT line does not move
    used = engine(inputs, [0, 12_153, 12_154]).amt_credit_used
    assert used[0] == used[1] == 5_000 and used[2] < 5_000


def test_credit_line_is_zero_when_tmt_already_limits_the_credit():
    # credit 20,000 > 8,160 usable: the limit binds, so the first dollar of spread cuts this year's use
    inputs = {"year": 2026, "filing_status": "single", "wages": 200_000, "amt_credit_carryforward": 20_000}
    r = room_of(**inputs)
    assert r["credit_used"] == pytest.approx(36_734 - 28_574)
    assert r["credit_line"] == 0
    used = engine(inputs, [0, 1]).amt_credit_used
    assert used[1] == pytest.approx(used[0] - 0.26)


def test_no_credit_line_without_a_carryforward_or_in_amt():
    assert math.isnan(room_of(year=2026, filing_status="single", wages=200_000)["credit_line"])
    in_amt = room_of(year=2026, filing_status="single", wages=200_000, iso_bargain_element=400_000,
                     amt_credit_carryforward=10_000)
    assert math.isnan(in_amt["credit_line"])


# ----------------------------------------------------------------- shares


def test_shares_for_spread_counts_whole_shares_exactly():
    rooms = np.array([31_384.0, 10_000.0, 100.0, 0.0])
    per = np.array([50.0, 0.10, 0.30, 5.0])
    # 31,384 / 50 = 627.68; 10,000 / 0.10 = 100,000 exactly (binary rounding must not lose one); 333.3
    assert shares_for_spread(rooms, per).tolist() == [627, 100_000, 333, 0]
    assert shares_for_spread(np.array([31_384.0 * 0.9]), np.array([50.0]))[0] == 564  # 28,245.6 / 50
    assert math.isinf(shares_for_spread(np.array([1.0]), np.array([0.0]))[0])


# ----------------------------------------------------------------- the batch and properties

money = st.floats(min_value=0, max_value=2_000_000, allow_nan=False).map(round)


@st.composite
def household(draw):
    ordinary_dividends = draw(st.sampled_from([0, 0, draw(st.floats(0, 200_000).map(round))]))
    return dict(
        year=draw(st.sampled_from([2025, 2026, 2027, 2031])),
        filing_status=draw(st.sampled_from(STATUSES)),
        wages=draw(money),
        ordinary_dividends=ordinary_dividends,
        qualified_dividends=round(ordinary_dividends * draw(st.floats(0, 1))),
        short_term_gain=draw(st.sampled_from([0, draw(st.floats(-50_000, 100_000).map(round))])),
        long_term_gain=draw(st.sampled_from([0, draw(st.floats(-20_000, 800_000).map(round))])),
        state_local_tax=draw(st.sampled_from([0, draw(st.floats(0, 80_000).map(round))])),
        mortgage_interest=draw(st.sampled_from([0, draw(st.floats(0, 40_000).map(round))])),
        charitable=draw(st.sampled_from([0, draw(st.floats(0, 40_000).map(round))])),
        iso_bargain_element=draw(st.sampled_from([0, 0, draw(money)])),
        amt_credit_carryforward=draw(st.sampled_from([0, 0, 3_000, 50_000, 400_000])),
    )


def batch(rows):
    columns = {k: [row[k] for row in rows] for k in rows[0]}
    return households(**columns)


@settings(max_examples=60, deadline=None)
@given(st.lists(household(), min_size=1, max_size=12), st.sampled_from(["auto", "standard", "itemized"]))
def test_engine_owes_no_amt_at_the_room_and_some_one_dollar_past(rows, deduction):
    h = batch(rows)
    r = amt_room(h, LAW, deduction=deduction)
    base = compute_federal(h, LAW, deduction=deduction)
    at = compute_federal(h.replace(iso_bargain_element=h.iso_bargain_element + r.amt_room), LAW, deduction=deduction)
    past = compute_federal(h.replace(iso_bargain_element=h.iso_bargain_element + r.amt_room + 1), LAW,
                           deduction=deduction)
    already = base.amt > 0
    assert np.array_equal(r.already_in_amt, already)
    assert np.all(r.amt_room[already] == 0)
    assert np.all(at.amt[~already] == 0)
    assert np.all(past.amt[~already] > 0)
    assert np.all(r.amt_room == np.floor(r.amt_room)) and np.all(r.amt_room >= 0)


@settings(max_examples=60, deadline=None)
@given(st.lists(household(), min_size=1, max_size=12), st.sampled_from(["auto", "standard"]))
def test_no_spread_below_the_room_owes_amt(rows, deduction):
    # the room is the FIRST line: sample spreads below it (under "auto" the AMT is not monotone past it)
    h = batch(rows)
    r = amt_room(h, LAW, deduction=deduction)
    for fraction in (0.0, 0.3, 0.77, 0.999):
        below = np.floor(r.amt_room * fraction)
        at = compute_federal(h.replace(iso_bargain_element=h.iso_bargain_element + below), LAW, deduction=deduction)
        assert np.all(at.amt[~r.already_in_amt] == 0)


@settings(max_examples=60, deadline=None)
@given(st.lists(household(), min_size=1, max_size=12), st.sampled_from(["auto", "standard", "itemized"]))
def test_credit_line_leaves_the_tax_unchanged_and_is_within_the_room(rows, deduction):
    h = batch(rows)
    r = amt_room(h, LAW, deduction=deduction)
    has = np.isfinite(r.credit_line)
    assert np.all(r.credit_line[has] <= r.amt_room[has])
    assert np.all((h.amt_credit_carryforward[has] > 0) & ~r.already_in_amt[has])
    if not np.any(has):
        return
    sub = h.take(np.flatnonzero(has))
    line = r.credit_line[has]
    taxes = [compute_federal(sub.replace(iso_bargain_element=sub.iso_bargain_element + s), LAW,
                             deduction=deduction).income_tax_after_credit for s in (0, line, line + 1)]
    assert np.all(taxes[1] <= taxes[0] + 1e-6)
    assert np.all((taxes[2] > taxes[0] + 1e-6) | (line == r.amt_room[has]))


@settings(max_examples=40, deadline=None)
@given(household(), st.floats(0, 1))
def test_spread_already_exercised_comes_off_the_room_dollar_for_dollar(inputs, fraction):
    r = room_of(**inputs)
    if r["already_in_amt"]:
        return
    used = math.floor(r["amt_room"] * fraction)
    again = room_of(**{**inputs, "iso_bargain_element": inputs["iso_bargain_element"] + used})
    assert again["amt_room"] == r["amt_room"] - used


@settings(max_examples=60, deadline=None)
@given(st.lists(household(), min_size=1, max_size=6), st.lists(money, min_size=1, max_size=6))
def test_form_6251_as_a_function_of_the_spread_is_the_engine_bit_for_bit(rows, spreads):
    # planning/room.py evaluates Form 6251 for added spread with the engine's arithmetic;
    # if the engine changes, this fails (rather than rooms drifting silently)
    for row in rows:
        h = batch([row] * len(spreads))
        year_index = LAW.year_index(h.year[:1])[0]
        p = _params(LAW, int(year_index) * len(STATUSES) + int(h.filing_status[0]))
        s = np.asarray(spreads, dtype=float)
        for deduction in ("auto", "standard", "itemized"):
            tax, _ = _spread_tax(h, p, LAW, deduction)
            amt, after, _, tmt = tax.at(s)
            r = compute_federal(h.replace(iso_bargain_element=h.iso_bargain_element + s), LAW, deduction=deduction)
            assert np.array_equal(amt, r.amt)
            assert np.array_equal(tmt, r.tentative_minimum_tax)
            assert np.array_equal(after, r.income_tax_after_credit)


def test_a_mixed_batch_comes_back_in_input_order():
    rows = [
        dict(year=2026, filing_status="single", wages=200_000),
        dict(year=2025, filing_status="mfj", wages=400_000),
        dict(year=2026, filing_status="single", wages=200_000, iso_bargain_element=400_000),
        dict(year=2025, filing_status="single", wages=200_000),
    ]
    full = {k: 0.0 for k in ("wages", "iso_bargain_element")}
    r = amt_room(batch([{**full, **row} for row in rows]), LAW)
    assert r.amt_room.tolist() == [31_384, 18_842, 0, 30_665]
    assert r.already_in_amt.tolist() == [False, False, True, False]


def test_bad_deduction_is_an_input_error():
    from isoplan.errors import InputError

    with pytest.raises(InputError, match="deduction"):
        amt_room(households(year=2026, filing_status="single"), LAW, deduction="both")


def test_exact_search_recovers_from_a_bad_guess():
    # the closed-form guess is normally right to the dollar; when it is not, the search must still be exact
    from isoplan.planning.room import _largest

    truth = np.array([-1.0, 0.0, 5.0, 1_234_567.0, 40.0])
    guesses = np.array([500.0, -1.0, 90_000.0, 3.0, 40.0])
    found = _largest(lambda idx, s: s <= truth[idx], guesses)
    assert found.tolist() == truth.tolist()
