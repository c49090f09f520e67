"""The California tax an ISO exercise causes (Schedule P (540) line 10) and the same-year rescue, by hand.

2025 single, wages 200,000: California taxable income 194,294, regular tax 14,507.98 (see
test_room_california.py), one exemption credit of 153, AMT exemption 92,749 phased out by 25% over 347,808.
"""

import numpy as np
import pytest

from isoplan.planning.cost import california_exercise_cost, exercise_cost
from isoplan.tax.households import households
from isoplan.tax.states.california import ca_law_table


@pytest.fixture(scope="module")
def ca_law():
    return ca_law_table(0.025)


def test_exercise_and_rescue_by_hand(ca_law, law):
    h = households(year=2025, filing_status="single", wages=200_000)
    # 2,000 shares, strike 10, FMV 110: spread 200,000; the price then halves to 55
    c = exercise_cost(h, 2_000, 10.0, 110.0, law, drop=0.5)
    ca = california_exercise_cost(h, c, ca_law)
    # with the exercise: AMTI = 200,000 + 200,000 = 400,000; exemption 92,749 - 0.25 x 52,192 = 79,701;
    # TMT = 0.07 x 320,299 = 22,420.93; AMT = 22,420.93 - 14,507.98 = 7,912.95; regular tax unchanged
    assert ca.incremental.regular_tax[0] == 0.0
    assert ca.incremental.amt[0] == pytest.approx(0.07 * (400_000 - (92_749 - 0.25 * 52_192)) - 14_507.98, abs=0.005)
    assert ca.incremental.amt[0] == pytest.approx(7_912.95, abs=0.005)
    assert ca.incremental.total_tax[0] == pytest.approx(7_912.95, abs=0.005)
    assert ca.combined_outlay[0] == pytest.approx(c.outlay[0] + 7_912.95, abs=0.005)
    assert ca.combined_outlay_per_share[0] == pytest.approx(ca.combined_outlay[0] / 2_000)
    assert ca.ca_amt_room[0] == 100_005 and ca.ca_spread_past_room[0] == 200_000 - 100_005
    # rescue: sold at 55 the same year; ordinary income = min(100, 55 - 10) x 2,000 = 90,000, no capital gain,
    # no line 10. Regular tax: 90,000 more at 9.3% (284,294 < 371,479) = 8,370. AGI 290,000 is over 252,203:
    # ceil(37,797 / 2,500) = 16 steps of 6 = 96 off the 153 exemption credit
    assert c.rescue_ordinary_income[0] == 90_000 and c.rescue_capital_gain[0] == 0
    assert ca.rescue_incremental.regular_tax[0] == pytest.approx(90_000 * 0.093, abs=0.005)
    assert ca.rescue_incremental.exemption_credits[0] == pytest.approx(-16 * 6)
    assert ca.rescue_incremental.amt[0] == 0.0
    assert ca.rescue_incremental.total_tax[0] == pytest.approx(8_370 + 96, abs=0.005)
    assert ca.combined_rescue_net_cash[0] == pytest.approx(c.rescue_net_cash[0] - 8_466, abs=0.005)
    assert ca.combined_hold_net[0] == pytest.approx(c.hold_net[0] - 7_912.95, abs=0.005)


def test_rescue_below_strike_is_a_limited_loss(ca_law, law):
    h = households(year=2025, filing_status="single", wages=200_000)
    # strike 100, FMV 110, sold at 55: no ordinary income (the gain is negative), a 90,000 short-term loss
    # of which 3,000 offsets wages (R&TC §18151 / IRC §1211(b)): regular tax falls 3,000 x 9.3% = 279
    c = exercise_cost(h, 2_000, 100.0, 110.0, law, drop=0.5)
    ca = california_exercise_cost(h, c, ca_law)
    assert c.rescue_ordinary_income[0] == 0 and c.rescue_capital_gain[0] == -90_000
    assert ca.rescue_incremental.total_tax[0] == pytest.approx(-3_000 * 0.093, abs=0.005)
    # held: 20,000 of spread inside the 100,005 room, no California tax
    assert ca.incremental.total_tax[0] == 0.0 and ca.ca_spread_past_room[0] == 0
    assert ca.shares_within_ca_room[0] == 2_000


def test_credit_use_lost(ca_law, law):
    h = households(year=2025, filing_status="single", wages=200_000)
    # 5,000 of FTB 3510 credit: all used without the exercise (limit 6,847.41). 50,000 of spread:
    # TMT = 0.07 x 157,251 = 11,007.57; limit = 14,507.98 - 153 - 11,007.57 = 3,347.41 used, 1,652.59 lost
    c = exercise_cost(h, 1_000, 10.0, 60.0, law)
    ca = california_exercise_cost(h, c, ca_law, ca_amt_credit_carryforward=5_000)
    assert ca.without.credit_used[0] == pytest.approx(5_000)
    assert ca.with_exercise.credit_used[0] == pytest.approx(14_507.98 - 153 - 0.07 * 157_251, abs=0.005)
    assert ca.credit_use_lost[0] == pytest.approx(5_000 - 3_347.41, abs=0.005)
    assert ca.incremental.total_tax[0] == pytest.approx(ca.credit_use_lost[0])


def test_vectorized_rows_match_single_rows(ca_law, law):
    h = households(year=[2025, 2026], filing_status=["single", "mfj"], wages=[200_000, 350_000])
    c = exercise_cost(h, np.array([1_000.0, 3_000.0]), 10.0, 90.0, law)
    both = california_exercise_cost(h, c, ca_law)
    for i in range(2):
        one = h.take(np.array([i]))
        ci = exercise_cost(one, c.shares[i], 10.0, 90.0, law)
        single = california_exercise_cost(one, ci, ca_law)
        assert single.incremental.total_tax[0] == pytest.approx(both.incremental.total_tax[i])
        assert single.ca_amt_room[0] == both.ca_amt_room[i]


# ----------------------------------------------------------------- isoplan cost --state


def _run(capsys, *argv):
    from isoplan.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


COST = ["cost", "--year", "2025", "--status", "single", "--wages", "200000", "--shares", "2000", "--strike", "10",
        "--fmv", "110"]


def test_cli_cost_ca_json(capsys):
    import json

    _, plain, _ = _run(capsys, *COST, "--json")
    code, out, err = _run(capsys, *COST, "--json", "--state", "CA")
    assert code == 0 and err == ""
    fed, data = json.loads(plain), json.loads(out)
    # the answer states every modeled jurisdiction: with the state CA it is California's too
    assert "California" in data.pop("answer") and "California" not in fed.pop("answer")
    assert set(data) == set(fed) | {"state", "california"}
    assert {k: data[k] for k in fed} == fed
    ca = data["california"]
    assert ca["tax"]["incremental"]["amt"] == pytest.approx(7_912.95, abs=0.005)  # hand: test above
    assert ca["outlay"]["total"] == pytest.approx(20_000 + fed["tax"]["incremental"]["total_tax"] + 7_912.95,
                                                  abs=0.005)
    assert ca["rescue"]["incremental"]["total_tax"] == pytest.approx(8_466, abs=0.005)
    assert ca["room"]["amt_room"] == 100_005


def test_cli_cost_ca_text_and_private(capsys):
    code, out, _ = _run(capsys, *COST, "--state", "CA", "--private")
    assert code == 0
    assert "Combined outlay: strike cash $20,000" in out and "California tax $7,913" in out
    assert "Same-year sale: California" not in out
    code, out, _ = _run(capsys, *COST, "--state", "CA", "--private", "--json")
    import json

    assert json.loads(out)["california"]["rescue"] is None


def test_cli_cost_bad_state(capsys):
    code, _, err = _run(capsys, *COST, "--state", "9Z")
    assert code == 2 and "--state" in err
    code, _, err = _run(capsys, *COST, "--ca-credit-carryforward", "100", "--state", "TX")
    assert code == 2 and "--ca-credit-carryforward" in err
    code, out, _ = _run(capsys, *COST, "--state", "TX")
    assert code == 0 and "TX income tax is not included" in out
