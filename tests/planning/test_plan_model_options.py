"""The model's options beyond qualifying lots: the early exercise whose exit sale after a year disqualifies
(IRC §422(a)(1), taxed under §422(c)(2)), cash rolling forward, and the credit left after the exit valued.

Expected values are hand arithmetic, written out beside each assertion."""

from __future__ import annotations

import dataclasses
import datetime
import tomllib

import numpy as np
import pytest

from isoplan.planning import montecarlo as mc
from isoplan.planning import risk_paths as rp
from isoplan.planning.model import CREDIT_RECOVERY_YEARS, credit_left_worth, year_taxes
from isoplan.planning.plan import parse_plan
from isoplan.planning.risk_objective import choose_on_risk
from isoplan.planning.staging import evaluate, run_plan

TODAY = datetime.date(2026, 12, 1)

# A grant of June 2026, sold at the exit on 2028-03-01: before two years from grant (2028-06-01), so every
# exercise before the exit disqualifies. The January 2027 exercise is more than a year before the exit.
# $1,000,000 of wages: every added dollar of ordinary income is in the 37% bracket, long-term gain at 20% plus
# the 3.8% net investment income tax (IRC §1411), and the $90,000 spread stays under the AMT line.
RECENT = """
[person]
filing_status = "single"
net_worth_outside = 2000000
[income]
wages = 1000000
[stock]
kind = "public"
price = 10.0
price_date = 2027-01-02
prices = [{{date = {point}, price = {exit}}}]
volatility = {volatility}
[[grants]]
id = "recent"
grant_date = 2026-06-01
shares = 10000
strike = 1.0
fmv_at_grant = 1.0
[plan]
start_year = 2027
exit_date = 2028-03-01
objective = "tax"
paths = 200
[risk]
risk_aversion = {gamma}
"""


def recent(exit_price: float = 40.0, volatility: float = 0.0, gamma: float = 0.0, point: str = "2028-01-01"
           ) -> object:
    text = RECENT.format(exit=exit_price, volatility=volatility, gamma=gamma, point=point)
    return parse_plan(tomllib.loads(text), "recent.toml", today=TODAY)


def test_an_early_exercise_sold_after_a_year_but_before_two_from_grant_beats_waiting():
    outcome = run_plan(recent())
    model = outcome.model
    assert list(model.disqualifying_year) == [0]  # the January 2027 lot
    early = np.zeros((1, 2))
    early[0, 0] = 10_000
    wait = np.zeros((1, 2))
    ev_early, ev_wait = evaluate(model, early[None]), evaluate(model, wait[None])
    # early: 2027 spread 10,000 x (10 - 1) = 90,000 on line 2i, no AMT; at the exit ordinary income is the
    # exercise-date spread 90,000 (§422(c)(2)) and the rest, 10,000 x (40 - 10) = 300,000, long-term gain
    assert ev_early.amt[:, 0].sum() == pytest.approx(0.0)
    assert ev_early.disqualifying[1, 0] == pytest.approx(90_000)
    assert ev_early.ordinary[1, 0] == pytest.approx(90_000)
    assert ev_early.long_term_gain[1, 0] == pytest.approx(300_000)
    # the AMT basis is the exercise-date value: AMT gain 400,000 - 100,000 = 300,000 (line 2i reverses)
    assert ev_early.amt_long_term_gain[1, 0] == pytest.approx(300_000)
    # extra tax 0.37 x 90,000 + 0.238 x 300,000 = 33,300 + 71,400 = 104,700
    assert ev_early.extra_tax[1, 0] == pytest.approx(104_700, abs=1.0)
    # value 400,000 - 10,000 - 104,700 = 285,300
    assert ev_early.value[0] == pytest.approx(285_300, abs=1.0)
    # waiting: exercise and sell at the exit, 390,000 of ordinary income at 37% = 144,300;
    # value 400,000 - 10,000 - 144,300 = 245,700
    assert ev_wait.value[0] == pytest.approx(245_700, abs=1.0)
    # the optimizer takes it: 300,000 x (0.37 - 0.238) = 39,600 better than waiting
    assert outcome.recommended.schedule[0, 0] == 10_000
    assert outcome.recommended.value - ev_wait.value[0] == pytest.approx(39_600, abs=1.0)
    # the --explain household of the exit year carries the same line 2k take-back
    h = outcome.year_household(outcome.recommended, 1)
    assert float(h.other_ordinary_income[0] - model.base[1].other_ordinary_income[0]) == pytest.approx(90_000)


def test_below_the_exercise_price_the_ordinary_income_is_capped_at_the_gain():
    # exit price 5: ordinary income 10,000 x min(9, 5 - 1) = 40,000, no long-term gain; the same 37% on
    # 40,000 as exercising and selling at the exit, so both are worth 50,000 - 10,000 - 14,800 = 25,200
    outcome = run_plan(recent(exit_price=5.0, point="2028-01-01"))
    model = outcome.model
    early = np.zeros((1, 1, 2))
    early[0, 0, 0] = 10_000
    ev = evaluate(model, early)
    assert ev.disqualifying[1, 0] == pytest.approx(40_000)
    assert ev.long_term_gain[1, 0] == pytest.approx(0.0)
    assert ev.amt_long_term_gain[1, 0] == pytest.approx(50_000 - 100_000)
    assert ev.value[0] == pytest.approx(25_200, abs=1.0)
    assert evaluate(model, np.zeros_like(early)).value[0] == pytest.approx(25_200, abs=1.0)


def test_the_risk_objective_runs_the_disqualifying_sale_on_every_path():
    # without volatility and risk aversion the risk objective's value is the tax objective's 285,300
    outcome = run_plan(recent())
    choice = choose_on_risk(outcome, sensitivity=False)
    assert choice.recommended.figures.certainty_equivalent == pytest.approx(285_300, abs=1.0)
    # with volatility, the stacked path evaluator agrees with montecarlo's one-schedule evaluator
    outcome = run_plan(recent(volatility=0.5, gamma=3.0))
    model = outcome.model
    paths = rp.draw_paths(model, 200, 3)
    schedules = np.stack([outcome.recommended.schedule, np.zeros_like(outcome.recommended.schedule)])
    run = rp.run_fixed(model, schedules, paths)
    for c, schedule in enumerate(schedules):
        ref = mc.schedule_on_paths(model, schedule, paths.exercise, paths.exit, paths.last_chance)
        np.testing.assert_allclose(run.value[c * 200:(c + 1) * 200], ref.value, atol=1e-6)


CASH = """
[person]
filing_status = "single"
[income]
wages = 250000
[cash.years]
2027 = 20000
2028 = 20000
[stock]
kind = "public"
price = 1.5
price_date = 2027-01-02
prices = [{date = 2028-06-01, price = 1.5}, {date = 2029-01-01, price = 10.0}]
[[grants]]
id = "g"
grant_date = 2026-06-01
shares = 60000
strike = 1.0
fmv_at_grant = 1.0
vesting = { start = 2026-06-01, months = 12, cliff_months = 12 }
[plan]
start_year = 2027
exit_date = 2029-06-30
grid_steps = 6
objective = "tax"
"""


def test_cash_not_spent_rolls_forward():
    plan = parse_plan(tomllib.loads(CASH), "cash.toml", today=TODAY)
    outcome = run_plan(plan)
    model = outcome.model
    # nothing vests by 2027-01-02 (cliff 2027-06-01): 2027's $20,000 is unspent and adds to 2028's
    assert model.cap[0, 0] == 0
    ev = outcome.recommended.evaluation
    assert ev.cash_available[1, 0] == pytest.approx(20_000 + 20_000)
    # 40,000 shares x $1 strike = 40,000 of cash; their spread 40,000 x (price - 1) stays under the AMT line,
    # so no tax is paid in 2028 and the rolled cash covers the strike exactly
    assert ev.amt[1, 0] == pytest.approx(0.0)
    assert outcome.recommended.schedule[0, 1] == 40_000
    # 50,000 shares need 50,000 > 40,000: infeasible
    more = np.zeros((1, 1, 3))
    more[0, 0, 1] = 50_000
    assert not evaluate(model, more).feasible[0]


AMT_CREDIT = """
[person]
filing_status = "single"
[income]
wages = 300000
[stock]
kind = "public"
price = 40.0
price_date = 2027-01-02
[[grants]]
id = "g"
grant_date = 2021-06-01
shares = 20000
strike = 1.0
fmv_at_grant = 1.0
[plan]
start_year = 2027
exit_date = 2028-06-30
discount_rate = 0.05
objective = "tax"
"""


def test_credit_left_after_the_exit_is_valued_under_the_stated_assumption():
    plan = parse_plan(tomllib.loads(AMT_CREDIT), "credit.toml", today=TODAY)
    outcome = run_plan(plan)
    model = outcome.model
    # the margin: the exit year's regular tax minus TMT without an exercise (§53(c)), from the engine
    zero = np.zeros(1)
    taxes = year_taxes(model, 1, iso_spread=zero, ordinary=zero, credit=zero)
    m = float(taxes.regular_tax[0] - taxes.tmt[0])
    assert model.credit_margin == pytest.approx(m) and m > 0
    # 2.5 years of margin: m / 1.05 + m / 1.05^2 + 0.5 m / 1.05^3
    worth = credit_left_worth(model, np.asarray([2.5 * m]))[0]
    assert worth == pytest.approx(m / 1.05 + m / 1.05 ** 2 + 0.5 * m / 1.05 ** 3)
    # more than the recovery years can take: the rest counts as nothing
    assert credit_left_worth(model, np.asarray([1e9]))[0] == pytest.approx(
        sum(m / 1.05 ** k for k in range(1, CREDIT_RECOVERY_YEARS + 1)))
    # exercising all 20,000 in 2027 ($780,000 of spread) pays AMT; the credit left counts in the value,
    # discounted to the start like the exit year's flow
    now = np.zeros((1, 1, 2))
    now[0, 0, 0] = 20_000
    ev = evaluate(model, now)
    assert ev.amt[0, 0] > 0 and ev.credit_left[0] > 0
    expected = credit_left_worth(model, ev.credit_left)[0] - model.reference_credit_worth
    assert ev.credit_worth[0] == pytest.approx(expected)
    assert ev.credit_worth[0] > 0
    unvalued = dataclasses.replace(model, credit_margin=0.0, reference_credit_worth=0.0)
    assert ev.value[0] - evaluate(unvalued, now).value[0] == pytest.approx(model.discount[1] * ev.credit_worth[0])
    data = outcome.as_dict()
    credit = data["exit"]["credit_after_exit"]  # type: ignore[index]
    assert "Form 8801" in credit["assumption"]
    assert credit["value_in_recommended"] == pytest.approx(float(outcome.recommended.evaluation.credit_worth[0]))


SELL = """
[person]
filing_status = "single"
net_worth_outside = 150000
[income]
wages = 1000000
[stock]
kind = "public"
price = 10.0
price_date = 2027-01-02
prices = [{date = 2028-02-01, price = 10.0}, {date = 2029-01-01, price = 20.0}]
volatility = 0.0
[[grants]]
id = "old"
grant_date = 2021-06-01
shares = 10000
strike = 1.0
fmv_at_grant = 1.0
[plan]
start_year = 2027
exit_date = 2029-06-30
[risk]
target_concentration = 0.2
"""


def test_partial_sales_sell_qualifying_lots_down_to_the_concentration_target():
    plan = parse_plan(tomllib.loads(SELL), "sell.toml", today=TODAY)
    outcome = run_plan(plan)
    model = outcome.model
    now = np.zeros((1, 1, 3))
    now[0, 0, 0] = 10_000
    paths = rp.draw_paths(model, 2, 0)
    assert rp.sale_days(model)[1] == datetime.date(2028, 1, 3)  # the 2027-01-02 lot is long-term then
    held = rp.run_fixed(model, now, paths)
    sold = rp.run_fixed(model, now, paths, sell_down=np.asarray([True]), target=0.2)
    # on 2028-01-03 the lot is worth 10,000 x 10 = 100,000 against a target of 0.2 x (150,000 + 100,000) =
    # 50,000: 5,000 shares are sold, long-term gain 5,000 x (10 - 1) = 45,000 at 20% + 3.8% = 10,710 (the AMT
    # gain is 0: AMT basis 10); at the exit 5,000 x 20 = 100,000, gain 95,000, tax 22,610
    # value: -10,000 strike + 50,000 - 10,710 + 100,000 - 22,610 = 106,680
    np.testing.assert_allclose(sold.value, 106_680, atol=1.0)
    # held to the exit: -10,000 + 200,000 - 0.238 x 190,000 = 144,780
    np.testing.assert_allclose(held.value, 144_780, atol=1.0)
    # the policy is a candidate with the risk keys
    choice = choose_on_risk(outcome, paths=50, sensitivity=False)
    name = "exercise everything now + sell down to 20% of net worth"
    assert name in choice.policies
    figures = choice.policies[name].figures.as_dict()
    assert {"certainty_equivalent", "mean", "percentile_5", "prob_amt_on_vanished_gain",
            "largest_cash_at_risk"} <= set(figures)
    assert figures["mean"] == pytest.approx(106_680, abs=1.0)


def test_the_wealth_floor_is_the_cash_kept_and_the_output_counts_the_floored_paths():
    from isoplan.planning.risk_common import certainty_equivalent
    from isoplan.planning.risk_objective import Candidate, RiskFigures, Scored, floor_sentence, wealth_floor

    # wealth 0 and 100 floored at 10, risk aversion 3: ((10^-2 + 100^-2) / 2)^(-1/2) = 0.00505^(-1/2) = 14.0719
    assert certainty_equivalent(np.asarray([0.0, 100.0]), 3.0, 10.0) == pytest.approx(14.0719, abs=1e-4)
    assert certainty_equivalent(np.asarray([0.0, 100.0]), 3.0) == pytest.approx(
        ((1.0 + 1e-4) / 2) ** -0.5)  # the old $1 floor: the zero path decides it
    kept = CASH.replace("[cash.years]", "[cash]\nreserve = 5000\n[cash.years]")
    plan = parse_plan(tomllib.loads(kept), "cash.toml", today=TODAY)
    model = run_plan(plan).model
    assert wealth_floor(model) == 5_000

    def scored(floored: int) -> Scored:
        return Scored(Candidate("c", np.zeros((1, 3)), "variant"),
                      RiskFigures(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, floored), np.zeros(10))

    assert floor_sentence(model, scored(0), scored(0), 10, 3.0) is None
    sentence = floor_sentence(model, scored(2), scored(7), 10, 3.0)
    assert sentence is not None and "On 7 of 10 paths" in sentence and "$5,000" in sentence


def test_sensitivity_changes_only_outside_the_monte_carlo_error():
    from tests.planning.test_risk_objective import small

    outcome = run_plan(small(paths=300))
    choice = choose_on_risk(outcome)
    assert len(choice.sensitivity) == 4
    for row in choice.sensitivity:
        assert {"lead_over_choice", "monte_carlo_error", "best"} <= set(row)
        if row["changes"]:
            assert row["lead_over_choice"] > max(1.0, 2.0 * row["monte_carlo_error"])
        else:
            assert row["choice"] == choice.recommended.candidate.name
    assert choice.sensitivity_summary.startswith("Sensitivity (")


def test_the_tax_choice_figure_is_the_direct_computation():
    # the brute-force test checks the recommendation directly only when it is a fixed schedule; the tax choice
    # always is one
    from tests.planning.test_risk_objective import small

    from isoplan.planning.risk_common import certainty_equivalent

    plan = small()
    outcome = run_plan(plan)
    choice = choose_on_risk(outcome, sensitivity=False)
    paths = rp.draw_paths(outcome.model, plan.objective_paths, plan.risk.seed)
    run = mc.schedule_on_paths(outcome.model, choice.tax_choice.candidate.schedule, paths.exercise, paths.exit,
                               paths.last_chance)
    direct = certainty_equivalent(plan.net_worth_outside + run.value, plan.risk.risk_aversion)
    assert choice.tax_choice.figures.certainty_equivalent == pytest.approx(direct - plan.net_worth_outside)
