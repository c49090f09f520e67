"""`isoplan risk` for a California plan: California's tax (Form 540, Schedule P (540), FTB 3510) on every path."""

from __future__ import annotations

import datetime
import tomllib
from pathlib import Path

import numpy as np
import pytest

from isoplan.planning import montecarlo as mc
from isoplan.planning.plan import parse_plan
from isoplan.planning.risk import run_risk
from isoplan.planning.risk_common import _same_year_sale
from isoplan.planning.staging import build_model, evaluate, run_plan
from isoplan.tax.federal import compute_federal
from isoplan.tax.households import households
from isoplan.tax.states.california import ca_law_table, compute_california

ROOT = Path(__file__).resolve().parents[2]
TODAY = datetime.date(2026, 11, 28)


def big_exercise_ca(**stock) -> dict:
    """A California resident: 20,000 vested ISOs at a $1 strike, the stock at $20: $380,000 of spread."""
    return {
        "person": {"filing_status": "single", "net_worth_outside": 300000, "state": "CA"},
        "income": {"wages": 200000, "state_local_tax": 20000, "property_tax": 6000},
        "cash": {"per_year": 500000},
        "stock": {"kind": "public", "price": 20.0, "price_date": "2027-01-04", **stock},
        "grants": [{"id": "g", "grant_date": "2022-01-10", "shares": 20000, "strike": 1.0}],
        "plan": {"start_year": 2027, "exit_date": "2028-06-30", "grid_steps": 2},
    }


def plan_of(data: dict):
    return parse_plan(data, "test.toml", today=TODAY)


def both(year: int, law, ca_law, **inputs):
    """Federal and California on the same households (property tax $6,000 of the $20,000 state and local tax)."""
    h = households(year=year, filing_status="single", wages=200000.0, state_local_tax=20000.0, **inputs)
    return compute_federal(h, law), compute_california(h, ca_law, property_tax=6000.0)


# ---------------------------------------------------------------- the deterministic limit


@pytest.mark.parametrize("source", ["example", "big"])
def test_zero_volatility_schedule_on_paths_is_the_staging_evaluation(law, source):
    if source == "example":
        path = ROOT / "examples" / "staging-california.toml"
        plan = parse_plan(tomllib.loads(path.read_text()), str(path), today=TODAY)
    else:
        plan = plan_of(big_exercise_ca(volatility=0.0))
    model = build_model(plan, law)
    assert model.california
    outcome = run_plan(plan, law)
    for strategy in [outcome.recommended, *outcome.baselines]:
        ev = evaluate(model, strategy.schedule[None])
        n = 3
        prices = np.repeat(model.price_at_exercise[None, :], n, axis=0)
        lc = np.repeat(np.asarray([p for _, _, p, _, _ in model.last_chance])[None, :], n, axis=0)
        run = mc.schedule_on_paths(model, strategy.schedule, prices, np.full(n, model.exit_price), lc)
        # federal + California total tax, and California's part alone
        np.testing.assert_allclose(run.total_tax, np.repeat(ev.total_tax, n, axis=1), atol=0.01)
        np.testing.assert_allclose(run.ca_tax, np.repeat(ev.ca_tax, n, axis=1), atol=0.01)
        np.testing.assert_allclose(run.ca_amt, np.repeat(ev.ca_amt, n, axis=1), atol=0.01)
        np.testing.assert_allclose(run.value, np.full(n, ev.value[0]), atol=0.01)
        np.testing.assert_allclose(run.ca_credit_left, np.full(n, ev.ca_credit_left[0]), atol=0.01)
        assert np.any(ev.ca_tax > 0)


def test_zero_volatility_timing_and_peak_include_california(law):
    plan = plan_of(big_exercise_ca(volatility=0.0))
    ca_law = build_model(plan, law).ca_law  # California's law as the plan projects it (plan.inflation)
    out = run_risk(plan, paths=50, seed=1, sections=("timing", "peak", "hold_vs_sell"), law=law).as_dict()
    assert out["california"] is True
    t, pk = out["timing"], out["peak"]
    assert t["year"] == 2027
    spread = t["shares"] * (20.0 - 1.0)  # line 2i and Schedule P (540) line 6 alike
    fed0, ca0 = both(2027, law, ca_law)
    fed1, ca1 = both(2027, law, ca_law, iso_bargain_element=spread)
    ca_tax = ca1.ca_total_tax[0] - ca0.ca_total_tax[0]
    fed_tax = fed1.total_tax[0] - fed0.total_tax[0]
    assert ca1.ca_amt[0] > 0 and fed1.amt[0] > 0  # a $380,000-class spread: both AMTs apply
    # every tax figure is federal + California
    assert t["january"]["expected_tax"] == pytest.approx(fed_tax + ca_tax, abs=0.01)
    assert t["california"]["january"]["expected_tax"] == pytest.approx(ca_tax, abs=0.01)
    assert t["december"]["expected_tax"] == pytest.approx(fed_tax + ca_tax, abs=0.01)
    # the stress test's AMT = federal + California
    assert pk["amt_now"] == pytest.approx(fed1.amt[0] - fed0.amt[0] + ca1.ca_amt[0] - ca0.ca_amt[0], abs=0.01)
    assert pk["california"]["amt_now"] == pytest.approx(ca1.ca_amt[0] - ca0.ca_amt[0], abs=0.01)
    assert pk["tax_now"] == pytest.approx(fed_tax + ca_tax, abs=0.01)
    # the cash test: strike + federal and California tax of holding
    c = out["hold_vs_sell"]["cash_test"]
    assert c["tax"] == pytest.approx(fed_tax + ca_tax, abs=0.01)
    assert out["hold_vs_sell"]["california"]["cash_test"]["tax"] == pytest.approx(ca_tax, abs=0.01)


def test_federal_plan_output_has_no_california_keys(law):
    data = big_exercise_ca(volatility=0.0)
    del data["person"]["state"]
    del data["income"]["property_tax"]
    out = run_risk(plan_of(data), paths=20, seed=1, sections=("timing", "peak"), law=law).as_dict()
    assert "california" not in out
    assert "california" not in out["timing"] and "california" not in out["peak"]


# ---------------------------------------------------------------- hand-checked tax case


def test_same_year_disqualifying_sale_removes_both_amts(law):
    plan = plan_of(big_exercise_ca())
    model = build_model(plan, law)
    ca_law = model.ca_law
    shares = np.asarray([20000.0])
    # exercised at $20, sold the same year at $5: no line 2i (and no Schedule P line 6); ordinary income is
    # the spread capped at the gain (§422(c)(2)): 20,000 x min(20 - 1, 5 - 1) = 80,000, capital 0
    sale = _same_year_sale(model, shares, np.asarray([20.0]), np.asarray([5.0]))
    assert sale["ordinary"][0] == pytest.approx(20000 * 4.0)
    base = mc.base_households(plan, 2027)
    got = mc.path_year(law, base, 1, np.zeros(1), ca_law=ca_law, property_tax=6000.0, ca_credit=np.zeros(1),
                       **sale)
    fed, ca = both(2027, law, ca_law, other_ordinary_income=80000.0)
    assert got.amt[0] == 0.0 and got.ca_amt[0] == 0.0
    assert got.ca_tax[0] == pytest.approx(ca.ca_total_tax[0])
    assert got.total_tax[0] == pytest.approx(fed.total_tax[0] + ca.ca_total_tax[0])
    # holding past Dec 31 instead: 20,000 x (20 - 1) = 380,000 on line 2i and Schedule P line 6: both AMTs
    held = mc.path_year(law, base, 1, np.zeros(1), ca_law=ca_law, property_tax=6000.0, ca_credit=np.zeros(1),
                        iso_spread=np.asarray([380000.0]))
    assert held.amt[0] > 0 and held.ca_amt[0] > 0
    # the AMT paid becomes credit (no exclusion items here): Form 8801 and FTB 3510 alike
    assert held.credit_next[0] == pytest.approx(held.amt[0])
    assert held.ca_credit_next[0] == pytest.approx(held.ca_amt[0])


def test_california_credit_is_used_in_a_later_year(law):
    plan = plan_of(big_exercise_ca())
    ca_law = ca_law_table(plan.inflation)
    base = mc.base_households(plan, 2028)
    # with $5,000 of FTB 3510 credit and no ISO exercise, the credit used is limited to regular tax - exemption
    # credits - TMT (Schedule P (540) Part III); the tax falls by exactly that
    plain = mc.path_year(law, base, 1, np.zeros(1), ca_law=ca_law, property_tax=6000.0)
    with_credit = mc.path_year(law, base, 1, np.zeros(1), ca_law=ca_law, property_tax=6000.0,
                               ca_credit=np.full(1, 5000.0))
    r = compute_california(households(year=2028, filing_status="single", wages=200000.0, state_local_tax=20000.0),
                           ca_law, property_tax=6000.0, ca_amt_credit_carryforward=5000.0)
    used = min(5000.0, float(r.ca_amt_credit_limit[0]))
    assert with_credit.ca_credit_used[0] == pytest.approx(used)
    assert plain.ca_tax[0] - with_credit.ca_tax[0] == pytest.approx(used)
    assert with_credit.ca_credit_next[0] == pytest.approx(5000.0 - used)


# ---------------------------------------------------------------- private stock and the text


def test_private_california_pre_ipo_and_text(law):
    from isoplan.report.risk_text import render_risk

    data = big_exercise_ca(volatility=0.4)
    data["stock"] = {"kind": "private", "price": 3.0, "price_date": "2027-01-04", "volatility": 0.4,
                     "liquidity": {"probability": 0.7, "earliest": "2027-06-01", "latest": "2029-12-31",
                                   "outcomes": [{"kind": "ipo", "probability": 0.5, "multiple": 3.0},
                                                {"kind": "failure", "probability": 0.5}]}}
    data["plan"]["exit_date"] = "2030-06-30"
    out = run_risk(plan_of(data), paths=500, seed=1, law=law).as_dict()
    pre = out["pre_ipo"]
    ca = pre["california"]
    assert pre["exercise_now"]["amt_now"] == pytest.approx(ca["amt_now"] + ca["federal_amt_now"], abs=0.01)
    assert ca["tax_now"] <= pre["exercise_now"]["tax_now"] + 0.01
    text = render_risk(out)
    assert "California" in text and "FTB 3510" in text
