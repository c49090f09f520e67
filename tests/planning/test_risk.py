"""The risk engine: GBM closed forms, the deterministic limit, hand-checked tax cases, private stock, pre-IPO."""

from __future__ import annotations

import copy
import datetime
import math
from pathlib import Path

import numpy as np
import pytest

from isoplan.errors import InputError
from isoplan.planning import montecarlo as mc
from isoplan.planning.plan import parse_plan
from isoplan.planning.risk import SECTIONS, run_risk
from isoplan.planning.risk_common import certainty_equivalent
from isoplan.planning.staging import build_model, evaluate, run_plan
from isoplan.tax.federal import compute_federal
from isoplan.tax.households import households

ROOT = Path(__file__).resolve().parents[2]
TODAY = datetime.date(2026, 11, 28)


def big_exercise(**stock) -> dict:
    """20,000 vested ISOs at a $1 strike, the stock at $20 on the first exercise date: $380,000 of spread."""
    return {
        "person": {"filing_status": "single", "net_worth_outside": 300000},
        "income": {"wages": 200000},
        "cash": {"per_year": 500000},
        "stock": {"kind": "public", "price": 20.0, "price_date": "2027-01-04", **stock},
        "grants": [{"id": "g", "grant_date": "2022-01-10", "shares": 20000, "strike": 1.0}],
        "plan": {"start_year": 2027, "exit_date": "2028-06-30", "grid_steps": 2},
    }


def plan_of(data: dict):
    return parse_plan(data, "test.toml", today=TODAY)


def norm_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


# ---------------------------------------------------------------- the price model against closed forms


def test_gbm_log_price_moments_and_probability_below_a_level():
    mu, sigma, s0, n = 0.10, 0.40, 20.0, 200_000
    plan = plan_of(big_exercise(drift=mu, volatility=sigma))
    start = datetime.date(2027, 1, 4)
    end = datetime.date(2029, 1, 4)
    sim = mc.simulate(plan.stock, [start, datetime.date(2027, 7, 1), end], n, np.random.default_rng(3))
    t = (end - start).days / 365.25
    log_s = np.log(sim.price(end))
    # log S_T ~ Normal(log s0 + (mu - sigma^2 / 2) t, sigma^2 t)
    mean = math.log(s0) + (mu - sigma ** 2 / 2) * t
    var = sigma ** 2 * t
    assert abs(log_s.mean() - mean) < 4 * math.sqrt(var / n)
    assert abs(log_s.var() - var) < 4 * var * math.sqrt(2.0 / n)
    # E[S_T] = s0 e^(mu t)
    se = s0 * math.exp(mu * t) * math.sqrt((math.exp(var) - 1) / n)
    assert abs(np.exp(log_s).mean() - s0 * math.exp(mu * t)) < 4 * se
    # P(S_T < 12) = Phi((log(12 / s0) - (mu - sigma^2/2) t) / (sigma sqrt t))
    level = 12.0
    p = norm_cdf((math.log(level / s0) - (mu - sigma ** 2 / 2) * t) / (sigma * math.sqrt(t)))
    p_mc = float(np.mean(np.exp(log_s) < level))
    assert abs(p_mc - p) < 4 * math.sqrt(p * (1 - p) / n)


def test_brownian_bridge_between_grid_dates_has_the_right_law():
    mu, sigma, n = 0.0, 0.5, 200_000
    plan = plan_of(big_exercise(drift=mu, volatility=sigma))
    start = datetime.date(2027, 1, 4)
    sim = mc.simulate(plan.stock, [start, datetime.date(2028, 1, 4), datetime.date(2030, 1, 4)], n,
                      np.random.default_rng(5))
    day = datetime.date(2029, 3, 1)
    log_s = np.log(sim.price_on(np.full(n, day.toordinal())))
    t = (day - start).days / 365.25
    assert abs(log_s.mean() - (math.log(20.0) - sigma ** 2 * t / 2)) < 4 * sigma * math.sqrt(t / n)
    assert abs(log_s.var() - sigma ** 2 * t) < 4 * sigma ** 2 * t * math.sqrt(2.0 / n)


def test_mean_path_without_drift_is_the_plans_price_path():
    plan = plan_of(big_exercise(growth=0.08))
    day = datetime.date(2029, 1, 4)
    assert mc.mean_prices(plan.stock, np.asarray([day.toordinal()]))[0] == pytest.approx(
        plan.stock.price_path.price(day))


def test_certainty_equivalent_closed_forms():
    # gamma = 2: the harmonic mean; 100 and 300 -> 2 / (1/100 + 1/300) = 150
    assert certainty_equivalent(np.asarray([100.0, 300.0]), 2.0) == pytest.approx(150.0)
    # gamma = 1: the geometric mean; sqrt(100 * 400) = 200
    assert certainty_equivalent(np.asarray([100.0, 400.0]), 1.0) == pytest.approx(200.0)
    # gamma = 0: the mean
    assert certainty_equivalent(np.asarray([100.0, 400.0]), 0.0) == pytest.approx(250.0)


# ---------------------------------------------------------------- the deterministic limit


def test_zero_volatility_schedule_on_paths_is_the_staging_evaluation(law):
    path = ROOT / "examples" / "staging-three-years.toml"
    import tomllib

    plan = parse_plan(tomllib.loads(path.read_text()), str(path), today=TODAY)
    model = build_model(plan, law)
    outcome = run_plan(plan, law)
    for strategy in [outcome.recommended, *outcome.baselines]:
        ev = evaluate(model, strategy.schedule[None])
        n = 3
        prices = np.repeat(model.price_at_exercise[None, :], n, axis=0)
        lc = np.repeat(np.asarray([p for _, _, p, _, _ in model.last_chance])[None, :], n, axis=0)
        run = mc.schedule_on_paths(model, strategy.schedule, prices, np.full(n, model.exit_price), lc)
        np.testing.assert_allclose(run.total_tax, np.repeat(ev.total_tax, n, axis=1), atol=0.01)
        np.testing.assert_allclose(run.value, np.full(n, ev.value[0]), atol=0.01)


def test_zero_volatility_timing_equals_the_engine_by_hand(law):
    data = big_exercise(volatility=0.0)
    plan = plan_of(data)
    out = run_risk(plan, paths=50, seed=1, sections=("timing", "peak"), law=law).as_dict()
    t = out["timing"]
    assert t["hatch_exists"] and t["escape_hatch_value"] == pytest.approx(0.0, abs=0.01)
    assert t["january"]["prob_amt_on_vanished_gain"] == 0.0
    # the plan's first exercise (January 2027) at $20: shares x ($20 - $1) on line 2i, against the household alone
    assert t["year"] == 2027
    spread = t["shares"] * (20.0 - 1.0)
    h = households(year=2027, filing_status="single", wages=200000.0, iso_bargain_element=[0.0, spread])
    r = compute_federal(h, law)
    assert t["january"]["expected_tax"] == pytest.approx(r.total_tax[1] - r.total_tax[0], abs=0.01)
    assert out["peak"]["amt_now"] == pytest.approx(r.amt[1] - r.amt[0], abs=0.01)
    assert t["spread_growth_effect"]["january_spread"] == pytest.approx(spread)
    # December at the same price (no growth, no volatility): the same spread and tax
    assert t["december"]["expected_tax"] == pytest.approx(t["january"]["expected_tax"], abs=0.01)


# ---------------------------------------------------------------- hand-checked tax cases


def test_same_year_sale_at_a_loss_removes_the_amt(law):
    from isoplan.planning.risk_common import _same_year_sale

    plan = plan_of(big_exercise())
    model = build_model(plan, law)
    shares = np.asarray([20000.0])
    # exercised at $20, sold the same year at $5: ordinary income capped at the gain (§422(c)(2)):
    # 20,000 x min(20 - 1, 5 - 1) = 80,000; capital: 20,000 x (5 - 1 - 4) = 0
    sale = _same_year_sale(model, shares, np.asarray([20.0, 20.0]), np.asarray([5.0, 0.5]))
    assert sale["ordinary"][0] == pytest.approx(80000.0) and sale["short_term"][0] == pytest.approx(0.0)
    # sold at $0.50, below the strike: no ordinary income, a short-term loss of 20,000 x (0.5 - 1) = -10,000
    assert sale["ordinary"][1] == pytest.approx(0.0) and sale["short_term"][1] == pytest.approx(-10000.0)
    base = mc.base_households(plan, 2027)
    got = mc.path_year(law, base, 2, np.zeros(2), **sale)
    direct = compute_federal(households(year=2027, filing_status="single", wages=200000.0,
                                        other_ordinary_income=[80000.0, 0.0], short_term_gain=[0.0, -10000.0]), law)
    np.testing.assert_allclose(got.total_tax, direct.total_tax)
    assert np.all(got.amt == 0.0)
    held = compute_federal(households(year=2027, filing_status="single", wages=200000.0,
                                      iso_bargain_element=380000.0), law)
    assert held.amt[0] > 50000  # holding past Dec 31 would have owed AMT on the whole $380,000


def test_the_escape_hatch_is_worth_something_when_the_amt_is_large(law):
    plan = plan_of(big_exercise(volatility=0.6))
    t = run_risk(plan, paths=4000, seed=2, sections=("timing",), law=law).as_dict()["timing"]
    assert t["hatch_exists"]
    assert t["january"]["prob_sold_before_year_end"] > 0.05
    assert t["escape_hatch_value"] > 0
    assert t["january"]["expected_tax"] == pytest.approx(t["january_without_hatch"]["expected_tax"]
                                                         - t["escape_hatch_value"], abs=0.05)
    assert t["january"]["expected_amt_on_vanished_gain"] < t["january_without_hatch"]["expected_amt_on_vanished_gain"]
    assert 0 < t["threshold_fraction"] < 1


def test_sell_below_setting_is_the_threshold(law):
    data = big_exercise(volatility=0.6)
    data["risk"] = {"sell_below": 0.9}
    t = run_risk(plan_of(data), paths=2000, seed=2, sections=("timing",), law=law).as_dict()["timing"]
    assert t["threshold_fraction"] == 0.9 and "sell_below" in t["threshold_rule"]


def test_hold_vs_sell_shapes_and_invariants(law):
    plan = plan_of(big_exercise(volatility=0.5))
    h = run_risk(plan, paths=3000, seed=4, sections=("hold_vs_sell",), law=law).as_dict()["hold_vs_sell"]
    names = [s["name"] for s in h["strategies"]]
    assert names == ["sell now", "hold to qualifying", "partial sale"]
    by = {s["name"]: s for s in h["strategies"]}
    assert by["sell now"]["concentration"] == 0.0
    # partial sale keeps floor(0.20 x (300,000 + shares x $20) / $20) shares
    n = h["shares"]
    worth = 300000 + n * 20.0
    keep = min(n, math.floor(0.20 * worth / 20.0))
    assert h["partial_sale_shares_kept"] == keep
    assert by["partial sale"]["concentration"] == pytest.approx(keep * 20 / worth)
    assert by["hold to qualifying"]["concentration"] == pytest.approx(n * 20 / worth)
    for s in h["strategies"]:
        assert s["p5"] <= s["median"] <= s["p95"]
        assert s["certainty_equivalent"] <= s["mean"] + 1e-6  # risk aversion never adds value
    # with zero volatility selling now is certain: its certainty equivalent is its mean
    assert sum(h["histogram"]["counts"]["sell now"]) == 3000
    assert h["cash_test"]["covered"] is True
    assert "not a forecast" in h["conclusion"]


def test_zero_volatility_sell_now_is_certain(law):
    plan = plan_of(big_exercise(volatility=0.0))
    h = run_risk(plan, paths=20, seed=0, sections=("hold_vs_sell",), law=law).as_dict()["hold_vs_sell"]
    sell = h["strategies"][0]
    assert sell["p5"] == pytest.approx(sell["p95"]) and sell["certainty_equivalent"] == pytest.approx(sell["mean"])
    # sell now: shares x ($20 - $1) of ordinary income (§421(b)), less its tax
    spread = h["shares"] * 19.0
    hh = households(year=2027, filing_status="single", wages=200000.0, other_ordinary_income=[0.0, spread])
    r = compute_federal(hh, law)
    assert sell["mean"] == pytest.approx(spread - (r.total_tax[1] - r.total_tax[0]), abs=0.01)


def test_peak_cash_gap(law):
    data = big_exercise(volatility=0.5)
    data["cash"] = {"per_year": 50000}
    p = run_risk(plan_of(data), paths=2000, seed=1, sections=("peak",), law=law).as_dict()["peak"]
    assert p["value_after_drop"] == pytest.approx(p["shares"] * 20 * 0.5)
    assert p["strike_cash"] == pytest.approx(p["shares"] * 1.0)
    needed = p["strike_cash"] + p["tax_now"]
    assert p["cash_gap"] == pytest.approx(max(needed - 50000, 0.0))
    assert p["covered_after_drop"] is (needed <= 50000)
    assert 0.0 <= p["prob_amt_exceeds_value_at_year_end"] <= 1.0


def test_same_seed_same_numbers_other_seed_other_numbers(law):
    plan = plan_of(big_exercise(volatility=0.5))
    a = run_risk(plan, paths=500, seed=9, law=law).as_dict()
    b = run_risk(plan, paths=500, seed=9, law=law).as_dict()
    c = run_risk(plan, paths=500, seed=10, law=law).as_dict()
    assert a == b
    assert a["fan"] != c["fan"]


# ---------------------------------------------------------------- private stock and pre-IPO


def private(**liquidity) -> dict:
    data = big_exercise(volatility=0.4)
    data["stock"] = {"kind": "private", "price": 3.0, "price_date": "2027-01-04", "volatility": 0.4,
                     "liquidity": {"probability": 0.7, "earliest": "2027-06-01", "latest": "2029-12-31",
                                   "outcomes": [{"kind": "ipo", "probability": 0.5, "multiple": 3.0},
                                                {"kind": "acquisition", "probability": 0.3, "price": 4.0},
                                                {"kind": "failure", "probability": 0.2}], **liquidity}}
    data["grants"][0]["early_exercise"] = True
    data["plan"]["exit_date"] = "2030-06-30"
    data["risk"] = {"affordable_loss": 10000}
    return data


def test_private_stock_has_no_escape_hatch(law):
    out = run_risk(plan_of(private()), paths=2000, seed=1, law=law).as_dict()
    assert out["stock_kind"] == "private"
    t = out["timing"]
    assert t is not None and t["hatch_exists"] is False and t["escape_hatch_value"] == 0.0
    assert t["january"]["prob_sold_before_year_end"] == 0.0
    assert "does not exist" in t["summary"]
    assert out["hold_vs_sell"] is None


def test_pre_ipo_outputs(law):
    out = run_risk(plan_of(private()), paths=4000, seed=1, law=law).as_dict()
    pre = out["pre_ipo"]
    now = pre["exercise_now"]
    # 20,000 shares x $1 strike; cash at risk = strike + the tax of the exercise year
    assert now["strike_cash"] == pytest.approx(20000.0)
    assert pre["cash_at_risk"] == pytest.approx(now["strike_cash"] + now["tax_now"])
    assert pre["exceeds_affordable_loss"] is True and "afford to lose" in pre["summary"]
    assert 0 < pre["prob_cash_lost"] < 1
    assert now["prob_event"] == pytest.approx(0.7, abs=4 * math.sqrt(0.21 / 4000))
    assert now["prob_failure"] == pytest.approx(0.7 * 0.2, abs=4 * math.sqrt(0.14 * 0.86 / 4000))
    assert pre["wait_for_event"]["cash_now"] == 0.0 and pre["wait_for_event"]["p5"] >= -0.01
    assert now["clock_start"] == now["date"]


def test_pre_ipo_without_any_event_loses_the_cash(law):
    out = run_risk(plan_of(private(probability=0.0)), paths=500, seed=1, sections=("pre_ipo",),
                   law=law).as_dict()["pre_ipo"]
    assert out["prob_cash_lost"] == 1.0
    assert out["wait_for_event"]["mean"] == 0.0
    assert out["exercise_now"]["prob_event"] == 0.0


def test_pre_ipo_qualifying_ipo_at_a_fixed_price_by_hand(law):
    # a certain IPO at $10 on 2029-06-01 (after the qualifying date 2028-01-04), no 409A volatility:
    # exercise now: 2027 line 2i = 20,000 x (3 - 1) = 40,000; 2029: long-term gain 20,000 x (10 - 1) = 180,000,
    # AMT gain 20,000 x (10 - 3) = 140,000 (line 2k -40,000); the credit carried in between
    data = private(probability=1.0, earliest="2029-06-01", latest="2029-06-01",
                   outcomes=[{"kind": "ipo", "probability": 1.0, "price": 10.0}])
    data["stock"]["volatility"] = 0.0
    data["plan"]["exit_date"] = "2030-06-30"
    pre = run_risk(plan_of(data), paths=10, seed=0, sections=("pre_ipo",), law=law).as_dict()["pre_ipo"]
    from isoplan.tax.form8801 import minimum_tax_credit_years  # noqa: F401  (the credit across years)

    years = [2027, 2028, 2029]
    base = dict(wages=200000.0)
    credit, ref_credit, extra = 0.0, 0.0, 0.0
    for year, row in zip(years, [dict(iso_bargain_element=40000.0), {},
                                 dict(long_term_gain=180000.0, amt_long_term_gain=140000.0,
                                      amt_disposition_adjustment=-40000.0)], strict=True):
        h = households(year=year, filing_status="single", **base, **row, amt_credit_carryforward=credit)
        h0 = households(year=year, filing_status="single", **base, amt_credit_carryforward=ref_credit)
        r, r0 = compute_federal(h, law), compute_federal(h0, law)
        extra += r.total_tax[0] - r0.total_tax[0]
        credit = credit - r.amt_credit_used[0] + r.amt[0]  # no exclusion-item AMT here (standard deduction)
        ref_credit = ref_credit - r0.amt_credit_used[0] + r0.amt[0]
    expected = 20000 * 10.0 - 20000 * 1.0 - extra
    assert pre["exercise_now"]["mean"] == pytest.approx(expected, abs=1.0)
    assert pre["exercise_now"]["prob_sale_qualifies"] == 1.0
    # wait: exercise and sell at $10: ordinary income 20,000 x 9 = 180,000 in 2029
    h = households(year=2029, filing_status="single", wages=200000.0, other_ordinary_income=[0.0, 180000.0])
    r = compute_federal(h, law)
    assert pre["wait_for_event"]["mean"] == pytest.approx(180000.0 - (r.total_tax[1] - r.total_tax[0]), abs=1.0)


# ---------------------------------------------------------------- input


def test_fan_chart_shape(law):
    out = run_risk(plan_of(big_exercise()), paths=300, seed=1, sections=(), law=law).as_dict()
    fan = out["fan"]
    assert fan["dates"][0] == "2027-01-04"
    for p in ("5", "25", "50", "75", "95"):
        assert len(fan["percentiles"][p]) == len(fan["dates"])
    assert all(a <= b for a, b in zip(fan["percentiles"]["5"], fan["percentiles"]["95"], strict=True))
    assert fan["stress_level"] == pytest.approx(10.0)
    assert out["timing"] is None and out["peak"] is None


@pytest.mark.parametrize("paths", [0, -5])
def test_bad_paths(paths, law):
    with pytest.raises(InputError, match="paths"):
        run_risk(plan_of(big_exercise()), paths=paths, law=law)


def test_bad_section(law):
    with pytest.raises(InputError, match="sections"):
        run_risk(plan_of(big_exercise()), paths=10, sections=("nope",), law=law)


@pytest.mark.parametrize("change, field", [
    ({"risk": {"drop": 1.0}}, "risk.drop"),
    ({"risk": {"drop": 0}}, "risk.drop"),
    ({"risk": {"paths": 0}}, "risk.paths"),
    ({"risk": {"steps": "hourly"}}, "risk.steps"),
    ({"risk": {"sell_below": 1.5}}, "risk.sell_below"),
    ({"risk": {"bogus": 1}}, "risk.bogus"),
    ({"stock": {"drift": "fast"}}, "stock.drift"),
])
def test_bad_risk_keys(change, field):
    data = big_exercise()
    for table, values in change.items():
        data.setdefault(table, {}).update(values)
    with pytest.raises(InputError, match=field.replace(".", r"\.")):
        plan_of(data)


def test_bad_liquidity():
    data = private()
    data["stock"]["liquidity"]["outcomes"][0]["probability"] = 0.9
    with pytest.raises(InputError, match="adding up to 1"):
        plan_of(data)
    data = private()
    data["stock"]["kind"] = "public"
    with pytest.raises(InputError, match=r"stock\.liquidity"):
        plan_of(data)
    data = private()
    data["stock"]["liquidity"]["outcomes"][0]["kind"] = "spac"
    with pytest.raises(InputError, match=r"outcomes\[0\]\.kind"):
        plan_of(data)
    data = private()
    data["stock"]["liquidity"]["latest"] = "2027-01-01"
    with pytest.raises(InputError, match=r"liquidity\.latest"):
        plan_of(data)


def test_defaults_leave_existing_plans_alone():
    data = copy.deepcopy(big_exercise())
    plan = plan_of(data)
    assert plan.risk.paths == 20_000 and plan.risk.drop == 0.5 and plan.risk.target_concentration == 0.2
    assert plan.stock.drift is None and plan.stock.liquidity is None
    assert set(SECTIONS) == {"timing", "hold_vs_sell", "peak", "pre_ipo"}
