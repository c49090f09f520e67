"""The optimizer's proof of optimality, against brute force on random small plans.

Every on-grid schedule is enumerated (:func:`grid_schedules`) and evaluated; the optimizer must find the
best feasible one whenever it says the schedule is proven optimal, and its bound must cover the best one
whenever it says it is not. A budget of one or two labels per grid point makes the optimizer drop labels,
so the bound over the dropped labels (the relaxed labels) is what the second half checks.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isoplan.planning.labels import _pareto
from isoplan.planning.plan import parse_plan
from isoplan.planning.staging import build_model, evaluate, grid_schedules, optimize, optimize_rolling_cash
from isoplan.tax.law import law_table

LAW = law_table(0.025)
TODAY = date(2026, 11, 28)


@st.composite
def small_plans(draw: st.DrawFn) -> tuple[object, int]:
    """A plan of one or two grants over two to four tax years, with cash, credit and status drawn."""
    grants = []
    for k in range(draw(st.integers(1, 2))):
        strike = draw(st.sampled_from([0.5, 1.0, 2.0, 4.0]))
        grants.append({"id": f"g{k}", "grant_date": date(draw(st.integers(2020, 2025)), draw(st.integers(1, 12)), 15),
                       "shares": draw(st.sampled_from([6000, 12000, 20000, 30000])), "strike": strike,
                       "fmv_at_grant": strike})
    years = draw(st.integers(2, 4))
    data = {
        "person": {"filing_status": draw(st.sampled_from(["single", "mfj", "hoh"]))},
        "income": {"wages": draw(st.sampled_from([120000, 250000, 450000])),
                   "state_local_tax": draw(st.sampled_from([0, 20000]))},
        "stock": {"kind": "public", "price": draw(st.sampled_from([6.0, 10.0, 15.0])),
                  "price_date": date(2027, 1, 2), "growth": draw(st.sampled_from([0.0, 0.1, 0.3]))},
        "grants": grants,
        "plan": {"start_year": 2027, "exit_date": date(2027 + years - 1, 10, 1),
                 "prior_credit": draw(st.sampled_from([0, 30000])),
                 "discount_rate": draw(st.sampled_from([0.0, 0.04]))},
    }
    cash = draw(st.sampled_from([None, 60000, 200000]))
    if cash is not None:
        data["cash"] = {"per_year": cash, "reserve": 5000}
    return parse_plan(data, "random.toml", today=TODAY), draw(st.integers(2, 4)) if len(grants) == 1 else 2


def brute_force_best(model, steps: int) -> float | None:
    ev = evaluate(model, grid_schedules(model, steps))
    return float(ev.value[ev.feasible].max()) if ev.feasible.any() else None


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_plans(), st.sampled_from([1, 2, None]))
def test_proven_means_optimal_and_the_bound_covers_the_optimum(case, labels):
    # run_plan's search: unspent cash rolls forward and the search carries it as a label, so it holds the
    # rolled cash rule exactly; were it not exact, it would say the schedule is not proven
    plan, steps = case
    model = build_model(plan, LAW)
    best = brute_force_best(model, steps)
    if best is None:
        with pytest.raises(RuntimeError):
            optimize_rolling_cash(model, steps, labels=labels)
        return
    result, exact_cash = optimize_rolling_cash(model, steps, labels=labels)
    assert result.value <= best + 0.01  # the schedule it returns is a real one
    again = evaluate(model, result.schedule[None])
    assert again.feasible[0] and again.value[0] == pytest.approx(result.value, abs=1e-6)
    if not exact_cash:
        return  # the plan's notes say the schedule is the best found, not proven optimal
    if not result.truncated:
        assert result.value == pytest.approx(best, abs=0.01)
    else:
        assert result.bound is not None and result.bound >= best - 0.01


def test_a_budget_of_one_label_is_still_proven_or_says_so():
    # one grant over four years: one label per grid point drops labels; the answer is right or flagged
    grant = {"id": "a", "grant_date": date(2021, 1, 15), "shares": 20000, "strike": 1.0, "fmv_at_grant": 1.0}
    plan = parse_plan({"person": {"filing_status": "single"}, "income": {"wages": 250000},
                       "stock": {"kind": "public", "price": 6.0, "price_date": date(2027, 1, 2), "growth": 0.08},
                       "grants": [grant], "plan": {"start_year": 2027, "exit_date": date(2030, 6, 30)}},
                      "test.toml", today=TODAY)
    model = build_model(plan, LAW)
    best = brute_force_best(model, 4)
    result = optimize(model, 4, labels=1)
    assert best is not None
    assert result.value == pytest.approx(best, abs=0.01) or (result.truncated and result.bound >= best - 0.01)
    assert result.value == pytest.approx(optimize(model, 4).value, abs=0.01) or result.truncated


def test_pareto_keeps_what_all_pairs_keep():
    """The swept comparison of large grid points keeps exactly the labels no earlier label beats."""
    rng = np.random.default_rng(3)
    weights = np.asarray([1.0, 1.0, 0.42, 1.0])
    for _ in range(5):
        n = int(rng.integers(200, 900))
        state = rng.integers(0, 3, n)
        value = rng.normal(0, 100, n)
        labels = rng.uniform(0, 100, (n, 4))
        order = np.lexsort((-labels[:, 0], -value, state))
        expected = []
        for pos, j in enumerate(order):
            earlier = order[:pos][state[order[:pos]] == state[j]]
            worth = (weights * np.maximum(labels[j] - labels[earlier], 0.0)).sum(axis=1)
            if not np.any(value[earlier] - value[j] >= worth - 1e-6):
                expected.append(j)
        assert sorted(_pareto(state, value, labels, weights)) == sorted(expected)


def test_compiled_leaders_test_matches_the_array_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled leaders comparison drops exactly the labels the array comparison drops."""
    from isoplan.planning import labels as label_module

    rng = np.random.default_rng(5)
    weights = np.asarray([1.0, 1.0, 0.42, 0.0])
    n, width, pool = 3000, 32, 400
    lo = rng.integers(0, pool - width, n)
    hi = lo + rng.integers(0, width + 1, n)  # each label's leaders: pool positions lo to hi, at most width
    pool_value, value = rng.normal(0, 100, pool), rng.normal(-20, 100, n)
    pool_labels, labels = rng.uniform(0, 100, (pool, 4)), rng.uniform(0, 100, (n, 4))
    compiled = label_module._beaten_in_ranges(lo, hi, pool_value, pool_labels, value, labels, weights, width)
    monkeypatch.setattr(label_module, "_COMPILED_PAIRS", n * width + 1)  # the array version
    array = label_module._beaten_in_ranges(lo, hi, pool_value, pool_labels, value, labels, weights, width)
    assert 0 < compiled.sum() < n
    assert np.array_equal(compiled, array)


@pytest.mark.parametrize(("grants", "years"), [(2, 7), (5, 10)])
def test_the_largest_plan_shapes_are_proven(grants: int, years: int) -> None:
    """Plans like examples/three-grants-ten-years.toml with two grants over seven tax years and five over ten (the
    benchmark's shapes): the budget drops labels on their grids, and the relaxed searches pruned by the best
    schedule found rule every dropped label out, so the schedule is proven optimal; it is a real one."""
    import datetime

    from isoplan.planning.staging import run_plan

    # the benchmark's grants (benchmarks/bench_plan.py), oldest first
    grant_list: list[dict[str, object]] = [
        {"id": "2019-ISO", "grant_date": date(2019, 6, 1), "shares": 40000, "strike": 2.0,
         "vesting": {"months": 48, "cliff_months": 12}},
        {"id": "2022-ISO", "grant_date": date(2022, 3, 1), "shares": 30000, "strike": 9.0,
         "vesting": {"months": 48, "cliff_months": 12, "every_months": 3}},
        {"id": "2025-refresh", "grant_date": date(2025, 2, 15), "shares": 12000, "strike": 16.0,
         "vesting": {"months": 48, "cliff_months": 12}},
        {"id": "2023-ISO", "grant_date": date(2023, 8, 1), "shares": 20000, "strike": 12.0,
         "vesting": {"months": 48, "cliff_months": 12}},
        {"id": "2024-promo", "grant_date": date(2024, 5, 1), "shares": 8000, "strike": 14.0,
         "vesting": {"months": 36, "cliff_months": 12}},
    ][:grants]
    start = 2026
    plan = parse_plan({
        "person": {"filing_status": "mfj", "net_worth_outside": 900000},
        "income": {"wages": 420000, "growth": 0.03, "state_local_tax": 30000, "mortgage_interest": 24000,
                   "charitable": 6000},
        "cash": {"per_year": 150000, "reserve": 40000},
        "stock": {"kind": "public", "price": 18.0, "price_date": date(start, 1, 2), "growth": 0.07},
        "grants": [dict(g, fmv_at_grant=g["strike"]) for g in grant_list],
        "plan": {"start_year": start, "exit_date": date(start + years - 1, 11, 15), "discount_rate": 0.03},
    }, f"shape {grants}x{years}", today=datetime.date(start, 1, 1))
    outcome = run_plan(plan)
    assert not outcome.optimizer.truncated
    again = evaluate(outcome.model, outcome.optimizer.schedule[None])
    assert again.feasible[0] and again.value[0] == pytest.approx(outcome.optimizer.value, abs=1e-6)
