"""The risk objective: brute force over a small grid, agreement with the tax objective when risk does not
matter, the refused private plan, the tie rule, and the path evaluator against montecarlo's."""

from __future__ import annotations

import datetime
import tomllib
from pathlib import Path

import numpy as np
import pytest

from isoplan.errors import InputError
from isoplan.planning import montecarlo as mc
from isoplan.planning import risk_paths as rp
from isoplan.planning.plan import parse_plan
from isoplan.planning.risk_common import certainty_equivalent
from isoplan.planning.risk_objective import (
    Candidate,
    RiskFigures,
    Scored,
    choose,
    choose_on_risk,
)
from isoplan.planning.staging import evaluate, grid_schedules, run_plan

ROOT = Path(__file__).resolve().parents[2]
TODAY = datetime.date(2026, 12, 1)

SMALL = """
[person]
filing_status = "single"
net_worth_outside = 200000

[income]
wages = 250000

[cash]
per_year = 80000

[stock]
kind = "public"
price = 10.0
price_date = 2027-01-04
growth = 0.08
volatility = {volatility}

[[grants]]
id = "g"
grant_date = 2022-01-10
shares = 6000
strike = 1.0

[plan]
start_year = 2027
exit_date = 2029-06-30
grid_steps = 3
paths = {paths}

[risk]
risk_aversion = {gamma}
"""


def small(volatility: float = 0.4, gamma: float = 3.0, paths: int = 600, extra: str = "") -> object:
    text = SMALL.format(volatility=volatility, gamma=gamma, paths=paths) + extra
    return parse_plan(tomllib.loads(text), "small.toml", today=TODAY)


def test_brute_force_over_the_grid_confirms_the_choice():
    plan = small()
    outcome = run_plan(plan)
    choice = choose_on_risk(outcome, sensitivity=False)
    model = outcome.model
    # every on-grid schedule, scored directly with montecarlo.schedule_on_paths on the same paths
    paths = rp.draw_paths(model, plan.objective_paths, plan.risk.seed)
    grid = grid_schedules(model)
    feasible = evaluate(model, grid).feasible
    best = -np.inf
    for schedule in grid[feasible]:
        run = mc.schedule_on_paths(model, schedule, paths.exercise, paths.exit, paths.last_chance)
        ce = certainty_equivalent(plan.net_worth_outside + run.value, plan.risk.risk_aversion)
        best = max(best, ce - plan.net_worth_outside)
    # the choice is at least the grid's best (it may also be a policy), up to the tie tolerance
    assert choice.recommended.figures.certainty_equivalent >= best - 1.0 - 1e-6 or choice.tie_note is not None
    # and each finalist's figure is what a direct computation gives
    fixed = choice.recommended.candidate
    if not (fixed.fill_room or fixed.hatch or fixed.sell_down):  # a fixed schedule, not a policy
        run = mc.schedule_on_paths(model, fixed.schedule, paths.exercise, paths.exit, paths.last_chance)
        direct = certainty_equivalent(plan.net_worth_outside + run.value, plan.risk.risk_aversion)
        assert choice.recommended.figures.certainty_equivalent == pytest.approx(direct - plan.net_worth_outside)


def test_risk_neutral_without_volatility_agrees_with_the_tax_objective():
    # risk aversion 0, no departures, a zero-volatility path: every path is the assumed one
    plan = small(volatility=0.0, gamma=0.0, paths=50)
    outcome = run_plan(plan)
    choice = choose_on_risk(outcome, sensitivity=False)
    tax_value = outcome.recommended.value
    assert choice.recommended.figures.certainty_equivalent == pytest.approx(tax_value, abs=1.0)
    assert choice.tax_choice.figures.certainty_equivalent == pytest.approx(tax_value, abs=1e-6)


def test_the_path_evaluator_agrees_with_montecarlo():
    path = ROOT / "examples" / "staging-three-years.toml"
    plan = parse_plan(tomllib.loads(path.read_text()), str(path), today=TODAY)
    outcome = run_plan(plan)
    model = outcome.model
    paths = rp.draw_paths(model, 300, 5)
    schedules = np.stack([outcome.recommended.schedule, *[b.schedule for b in outcome.baselines]])
    run = rp.run_fixed(model, schedules, paths)
    for c, schedule in enumerate(schedules):
        ref = mc.schedule_on_paths(model, schedule, paths.exercise, paths.exit, paths.last_chance)
        np.testing.assert_allclose(run.value[c * 300:(c + 1) * 300], ref.value, atol=1e-6)


PRIVATE = """
[person]
filing_status = "single"
[income]
wages = 200000
[stock]
kind = "private"
price = 2.0
price_date = 2027-01-04
growth = 0.3
[[grants]]
grant_date = 2024-01-10
shares = 10000
strike = 1.0
[plan]
start_year = 2027
exit_date = 2030-06-30
"""


def test_a_private_plan_without_a_liquidity_model_is_refused():
    from isoplan.app.plan import PlanRequest
    from isoplan.app.plan import run_plan as run_plan_request

    with pytest.raises(InputError) as err:
        run_plan_request(PlanRequest(PRIVATE, name="private.toml", today=TODAY))
    assert err.value.field == "stock.liquidity"
    assert "assume_liquidity" in err.value.allowed
    # stated: accepted
    stated = PRIVATE.replace("growth = 0.3", "growth = 0.3\nassume_liquidity = true")
    plan = parse_plan(tomllib.loads(stated), "private.toml", today=TODAY)
    assert plan.stock.assume_liquidity
    # the tax objective keeps today's behaviour
    taxed = run_plan_request(PlanRequest(PRIVATE, name="private.toml", today=TODAY, objective="tax"))
    assert "objective" not in taxed.as_dict()


def _scored(name: str, ce: float, amt: float, cash: float, when: float) -> Scored:
    wealth = np.full(100, 1e6 + ce)
    return Scored(Candidate(name, np.zeros((1, 2)), "variant"),
                  RiskFigures(ce, ce, ce, 0.0, cash, amt, when), wealth)


def test_ties_go_to_less_amt_then_less_cash_then_the_earlier_exercise():
    # within $1: tied; the one with less AMT wins even with a slightly lower certainty equivalent
    a = _scored("more AMT", 1000.0, 500.0, 10.0, 0.0)
    b = _scored("less AMT", 999.5, 100.0, 50.0, 1.0)
    assert choose([a, b], 3.0)[0].candidate.name == "less AMT"
    # same AMT: less cash at risk
    c = _scored("more cash", 1000.0, 100.0, 90.0, 0.0)
    d = _scored("less cash", 999.2, 100.0, 20.0, 1.0)
    assert choose([c, d], 3.0)[0].candidate.name == "less cash"
    # same AMT and cash: the earlier exercise
    e = _scored("later", 1000.0, 100.0, 20.0, 2.0)
    f = _scored("earlier", 999.9, 100.0, 20.0, 0.5)
    assert choose([e, f], 3.0)[0].candidate.name == "earlier"
    # more than $1 apart (and no Monte Carlo error: constant wealth): the higher certainty equivalent
    g = _scored("higher", 1002.0, 900.0, 90.0, 2.0)
    assert choose([g, b], 3.0)[0].candidate.name == "higher"


def test_departures_cost_the_waiting_strategies():
    plan = small(paths=400, extra="")
    leaving = small(paths=400)
    import dataclasses

    leaving = dataclasses.replace(leaving, departure_probability=0.5)
    base = choose_on_risk(run_plan(plan), sensitivity=False)
    left = choose_on_risk(run_plan(leaving), sensitivity=False)
    wait = "wait and exercise at the exit"
    assert left.baselines[wait].figures.mean < base.baselines[wait].figures.mean


def test_zero_amt_for_a_household_already_in_amt_is_a_clear_error():
    from isoplan.app.plan import PlanRequest
    from isoplan.app.plan import run_plan as run_plan_request

    # $400,000 of other AMT adjustments (Form 6251 line 3): AMT owed with no exercise at all
    text = (SMALL.format(volatility=0.4, gamma=3.0, paths=100)
            .replace("wages = 250000", "wages = 250000\nother_amt_adjustments = 400000")
            .replace("grid_steps = 3", "grid_steps = 3\nzero_amt = true\nobjective = \"tax\""))
    with pytest.raises(InputError) as err:
        run_plan_request(PlanRequest(text, name="zero.toml", today=TODAY))
    assert err.value.field == "plan.zero_amt"
    assert "already owes" in err.value.allowed
