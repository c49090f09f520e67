"""A California plan: the optimizer's objective and table include Form 540, Schedule P and FTB 3510.

Every California figure is checked against the California engine
(:func:`isoplan.tax.states.california.compute_california`, itself tested against
hand-worked Schedule P returns in tests/tax/test_california.py), and the
optimizer against brute force on small grids, as for federal plans.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from isoplan.planning.plan import parse_plan
from isoplan.planning.staging import build_model, evaluate, grid_schedules, optimize, run_plan, year_taxes
from isoplan.tax.federal import compute_federal
from isoplan.tax.law import law_table
from isoplan.tax.states.california import ca_law_table, compute_california

TODAY = date(2026, 11, 28)
LAW = law_table(0.025)
G_LOW = {"id": "a", "grant_date": date(2021, 1, 15), "shares": 20000, "strike": 1.0}
G_MID = {"id": "b", "grant_date": date(2022, 1, 15), "shares": 8000, "strike": 3.0}


def ca_plan(grants, *, exit="2030-06-30", plan=None, income=None, status="single"):
    data = {
        "person": {"filing_status": status, "state": "CA"},
        "income": income or {"wages": 250000, "state_local_tax": 24000, "property_tax": 8000},
        "stock": {"kind": "public", "price": 6.0, "price_date": date(2027, 1, 2), "growth": 0.08},
        "grants": grants,
        "plan": {"start_year": 2027, "exit_date": date.fromisoformat(exit), **(plan or {})},
    }
    return parse_plan(data, "test.toml", today=TODAY)


SMALL = {
    "one grant": (ca_plan([G_LOW]), 4),
    "two grants": (ca_plan([G_LOW, G_MID], exit="2029-06-30"), 3),
    "prior California credit": (ca_plan([G_LOW], plan={"prior_ca_credit": 9000, "prior_credit": 20000}), 4),
    "zero AMT, federal and California": (ca_plan([G_LOW], plan={"zero_amt": True}), 5),
}


@pytest.mark.parametrize("case", list(SMALL))
def test_optimizer_matches_brute_force_with_california(case):
    plan, steps = SMALL[case]
    model = build_model(plan, LAW)
    assert model.california
    schedules = grid_schedules(model, steps)
    ev = evaluate(model, schedules)
    best = float(ev.value[ev.feasible].max())
    result = optimize(model, steps)
    assert not result.truncated
    assert result.value == pytest.approx(best, abs=0.01)


def test_california_tax_is_in_the_objective():
    # the same plan without a state is worth more after tax: California tax is counted
    plan, _ = SMALL["one grant"]
    federal_only = ca_plan([G_LOW])
    federal_only = parse_plan({"person": {"filing_status": "single"},
                               "income": {"wages": 250000, "state_local_tax": 24000},
                               "stock": {"kind": "public", "price": 6.0, "price_date": date(2027, 1, 2),
                                         "growth": 0.08},
                               "grants": [G_LOW], "plan": {"start_year": 2027, "exit_date": date(2030, 6, 30)}},
                              "test.toml", today=TODAY)
    sched = np.zeros((1, 1, 4))
    sched[0, 0, 0] = 10000
    with_ca = evaluate(build_model(plan, LAW), sched)
    without = evaluate(build_model(federal_only, LAW), sched)
    assert np.all(with_ca.ca_tax[:, 0] > 0)
    assert np.allclose(with_ca.total_tax[:, 0] - with_ca.ca_tax[:, 0], without.total_tax[:, 0])


def test_year_taxes_california_matches_the_engine_per_scenario():
    plan, _ = SMALL["prior California credit"]
    model = build_model(plan, LAW)
    rng = np.random.default_rng(9)
    n = 80
    ca_law = ca_law_table(0.025)
    for t in range(len(model.years)):
        iso = rng.choice([0.0, 30_000.0, 150_000.0, 600_000.0], n) * rng.uniform(0.5, 1.5, n)
        ordinary = np.where(rng.random(n) < 0.3, rng.uniform(0, 100_000, n), 0.0)
        ca_credit = np.where(rng.random(n) < 0.6, rng.uniform(0, 40_000, n), 0.0)
        got = year_taxes(model, t, iso_spread=iso, ordinary=ordinary, credit=np.zeros(n), ca_credit=ca_credit)
        base = model.base[t]
        h = base.take(np.zeros(n, dtype=np.intp)).replace(
            iso_bargain_element=iso, other_ordinary_income=base.other_ordinary_income[0] + ordinary)
        ca = compute_california(h, ca_law, property_tax=8000.0 * 1.0, ca_amt_credit_carryforward=ca_credit)
        fed = compute_federal(h, LAW)
        assert np.allclose(got.ca_total_tax, ca.ca_total_tax, atol=0.01)
        assert np.allclose(got.ca_amt, ca.ca_amt, atol=0.01)
        assert np.allclose(got.ca_credit_used, ca.ca_amt_credit_used, atol=0.01)
        assert np.allclose(got.total_tax, fed.total_tax + ca.ca_total_tax, atol=0.02)


def test_each_california_row_is_the_engine_on_that_years_household():
    plan, _ = SMALL["prior California credit"]
    outcome = run_plan(plan, LAW)
    ca_law = ca_law_table(plan.inflation)
    for strategy in (outcome.recommended, *outcome.baselines):
        for t, row in enumerate(outcome.year_rows(strategy)):
            h = outcome.year_household(strategy, t)
            ca = compute_california(h, ca_law, property_tax=8000.0,
                                    ca_amt_credit_carryforward=row["california"]["credit_available"])
            assert float(ca.ca_total_tax[0]) == pytest.approx(row["california"]["tax"], abs=0.01)
            assert float(ca.ca_amt[0]) == pytest.approx(row["california"]["amt"], abs=0.01)
            assert float(ca.ca_amt_credit_used[0]) == pytest.approx(row["california"]["credit_used"], abs=0.01)


def test_california_credit_chain_follows_ftb_3510():
    # credit available next year = max(0, available - used + (CA AMT - net minimum tax on exclusion items))
    big = {"id": "big", "grant_date": date(2021, 1, 15), "shares": 100000, "strike": 1.0}
    model = build_model(ca_plan([big]), LAW)
    sched = np.zeros((1, 1, 4))
    sched[0, 0, 0] = 100000  # $500,000 of spread in 2027: California AMT that year
    ev = evaluate(model, sched)
    assert ev.ca_amt[0, 0] > 0
    for t in range(1, 4):
        expected = max(0.0, ev.ca_credit_available[t - 1, 0] - ev.ca_credit_used[t - 1, 0]
                       + ev.ca_credit_created[t - 1, 0])
        assert ev.ca_credit_available[t, 0] == pytest.approx(expected)
    assert ev.ca_credit_created[0, 0] == pytest.approx(ev.ca_amt[0, 0])  # all from the ISO line: a deferral item


def test_property_tax_above_state_local_tax_is_refused():
    from isoplan.errors import InputError

    with pytest.raises(InputError, match=r"income\.property_tax"):
        ca_plan([G_LOW], income={"wages": 250000, "state_local_tax": 5000, "property_tax": 8000})


def test_fill_the_room_baseline_owes_neither_amt():
    # a plan where California's line binds first (MFJ with a low income: California exemption 123,667 vs
    # federal 137,000 in 2025 terms): filling "the room" must mean the smaller line
    plan = ca_plan([{"id": "big", "grant_date": date(2021, 1, 15), "shares": 100000, "strike": 1.0}],
                   status="mfj", income={"wages": 30000, "state_local_tax": 2000, "property_tax": 2000})
    outcome = run_plan(plan, LAW)
    fill = next(b for b in outcome.baselines if b.name.startswith("fill the room"))
    assert fill.schedule[:, :-1].sum() > 0
    assert np.all(fill.evaluation.amt[:-1, 0] <= 0.01)
    assert np.all(fill.evaluation.ca_amt[:-1, 0] <= 0.01)
