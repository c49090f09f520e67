"""The staging optimizer: brute force on small grids, the year's tax against the engine, the seed scenario
from computed numbers, the Form 8801 credit chain, and the notes for private stock."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from isoplan.planning.plan import parse_plan
from isoplan.planning.staging import (
    build_model,
    evaluate,
    grid_schedules,
    optimize,
    run_plan,
    year_taxes,
)
from isoplan.tax.federal import compute_federal
from isoplan.tax.law import law_table

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 28)
LAW = law_table(0.025)

G_LOW = {"id": "a", "grant_date": date(2021, 1, 15), "shares": 20000, "strike": 1.0}
G_MID = {"id": "b", "grant_date": date(2022, 1, 15), "shares": 8000, "strike": 3.0}
# 30,000 x $5 = $150,000 first exercisable in one year: $100,000 of it is ISO (20,000 sh), 10,000 sh NSO (§422(d))
G_BIG_FMV = {"id": "n", "grant_date": date(2024, 1, 15), "shares": 30000, "strike": 5.0, "fmv_at_grant": 5.0}


def make_plan(grants, *, exit="2029-06-30", plan=None, cash=None, income=None, stock=None, person=None):
    data = {
        "person": {"filing_status": "single", **(person or {})},
        "income": income or {"wages": 250000},
        "stock": stock or {"kind": "public", "price": 6.0, "price_date": date(2027, 1, 2), "growth": 0.08},
        "grants": grants,
        "plan": {"start_year": 2027, "exit_date": date.fromisoformat(exit), **(plan or {})},
    }
    if cash:
        data["cash"] = cash
    return parse_plan(data, "test.toml", today=TODAY)


def load_example(name):
    path = ROOT / "examples" / name
    return parse_plan(tomllib.loads(path.read_text()), str(path), today=TODAY)


SMALL = {
    "one grant, two decision years": (make_plan([G_LOW]), 5),
    "one grant, three decision years": (make_plan([G_LOW], exit="2030-06-30"), 4),
    "two grants": (make_plan([G_LOW, G_MID]), 3),
    "ISO and NSO parts": (make_plan([G_BIG_FMV], exit="2030-06-30"), 4),
    "tight cash": (make_plan([G_LOW], exit="2030-06-30", cash={"per_year": 30000, "reserve": 5000}), 5),
    "zero AMT": (make_plan([G_LOW], exit="2030-06-30", plan={"zero_amt": True}), 5),
    "prior credit": (make_plan([G_LOW], exit="2030-06-30", plan={"prior_credit": 60000}), 5),
    "mfj, itemizing": (make_plan([G_LOW, G_MID], person={"filing_status": "mfj"},
                                 income={"wages": 400000, "state_local_tax": 40000, "mortgage_interest": 30000}), 3),
}


@pytest.mark.parametrize("case", list(SMALL))
def test_optimizer_matches_brute_force(case):
    plan, steps = SMALL[case]
    model = build_model(plan, LAW)
    schedules = grid_schedules(model, steps)
    ev = evaluate(model, schedules)
    assert ev.feasible.any()
    best = float(ev.value[ev.feasible].max())
    result = optimize(model, steps)
    assert not result.truncated, "choose a smaller plan: the label cap bound"
    assert result.value == pytest.approx(best, abs=0.01)
    # the schedule it returns is on the grid, feasible and worth what it says
    again = evaluate(model, result.schedule[None])
    assert again.feasible[0]
    assert again.value[0] == pytest.approx(result.value, abs=1e-6)
    assert any(np.allclose(s, result.schedule) for s in schedules[ev.feasible])


def test_constraints_bind_in_the_small_cases():
    # the cases are not trivially free: tight cash and zero AMT rule schedules out
    for case in ("tight cash", "zero AMT"):
        plan, steps = SMALL[case]
        model = build_model(plan, LAW)
        ev = evaluate(model, grid_schedules(model, steps))
        assert 0 < ev.feasible.sum() < ev.feasible.size, case
    model = build_model(SMALL["ISO and NSO parts"][0], LAW)
    assert [(b.kind, b.shares) for b in model.blocks] == [("ISO", 20000), ("NSO", 10000)]  # $100,000 / $5


def test_zero_amt_plan_owes_no_amt():
    plan, steps = SMALL["zero AMT"]
    model = build_model(plan, LAW)
    r = optimize(model, steps)
    ev = evaluate(model, r.schedule[None])
    assert np.all(ev.amt[:-1, 0] <= 0.5)


@pytest.mark.parametrize("status", ["single", "mfj", "mfs", "hoh"])
def test_year_taxes_matches_the_engine(status):
    rng = np.random.default_rng({"single": 1, "mfj": 2, "mfs": 3, "hoh": 4}[status])
    plan = make_plan([G_LOW], exit="2030-06-30", person={"filing_status": status},
                     income={"wages": 180000, "taxable_interest": 4000, "qualified_dividends": 3000,
                             "ordinary_dividends": 3000, "state_local_tax": 25000, "mortgage_interest": 20000,
                             "charitable": 4000, "growth": 0.05})
    model = build_model(plan, LAW)
    n = 60
    for t in range(len(model.years)):
        iso = rng.choice([0.0, 20_000.0, 90_000.0, 250_000.0, 700_000.0], n) * rng.uniform(0.5, 1.5, n)
        ordinary = np.where(rng.random(n) < 0.4, rng.uniform(0, 150_000, n), 0.0)
        credit = np.where(rng.random(n) < 0.5, rng.uniform(0, 60_000, n), 0.0)
        got = year_taxes(model, t, iso_spread=iso, ordinary=ordinary, credit=credit)
        base = model.base[t]
        h = base.take(np.zeros(n, dtype=np.intp)).replace(
            iso_bargain_element=iso, other_ordinary_income=base.other_ordinary_income[0] + ordinary,
            amt_credit_carryforward=credit)
        ref = compute_federal(h, LAW)
        np.testing.assert_allclose(got.total_tax, ref.total_tax, atol=0.01)
        np.testing.assert_allclose(got.regular_tax, ref.regular_tax, atol=0.01)
        np.testing.assert_allclose(got.tmt, ref.tentative_minimum_tax, atol=0.01)
        np.testing.assert_allclose(got.amt, ref.amt, atol=0.01)
        np.testing.assert_allclose(got.credit_used, ref.amt_credit_used, atol=0.01)


# ---------------------------------------------------------------- the seed scenario


@pytest.fixture(scope="module")
def seed():
    return run_plan(load_example("staging-three-years.toml"), LAW)


@pytest.fixture(scope="module")
def fast():
    return run_plan(load_example("staging-fast-rise.toml"), LAW)


def _baseline(outcome, name):
    return next(b for b in outcome.baselines if b.name == name)


def test_seed_all_now_stacks_the_spread_in_2027(seed):
    now = _baseline(seed, "exercise everything now")
    assert now.schedule[0, 0] == 30_000 and now.schedule[0, 1:].sum() == 0
    # spread: 30,000 x (6.00 - 1.00) = 150,000 on the 2027 Form 6251
    assert now.evaluation.iso_spread[0, 0] == pytest.approx(150_000)
    # 2027 projected law (2.5%), single, wages 300,000:
    #   regular: taxable 300,000 - 16,500 = 283,500; tax 1,270 + 4,674 + 12,468.50 + 23,634 + 17,864
    #            + 0.35 x (283,500 - 262,625) = 7,306.25 -> 67,216.75
    #   AMTI 450,000 (< phase-out start 512,500): exemption 92,400, base 357,600;
    #   TMT 0.26 x 250,600 + 0.28 x 107,000 = 65,156 + 29,960 = 95,116; AMT 95,116 - 67,216.75 = 27,899.25
    assert now.evaluation.regular_tax[0, 0] == pytest.approx(67_216.75, abs=0.01)
    assert now.evaluation.amt[0, 0] == pytest.approx(27_899.25, abs=0.01)
    assert now.evaluation.amt[0, 0] > 20_000


def test_seed_equal_thirds_owe_little_amt(seed):
    now = _baseline(seed, "exercise everything now")
    thirds = _baseline(seed, "equal thirds over three Januaries")
    assert thirds.schedule[0, :3].tolist() == [10_000, 10_000, 10_000]
    all_now_amt = now.evaluation.amt[0, 0]
    # 2027: 10,000 x 5 = 50,000 spread; AMTI 350,000, base 257,600; TMT 65,156 + 0.28 x 7,000 = 67,116
    #       < regular 67,216.75: no AMT
    assert thirds.evaluation.amt[0, 0] == 0
    assert np.all(thirds.evaluation.amt[:, 0] < 0.25 * all_now_amt)
    assert thirds.evaluation.amt[:, 0].sum() < 0.25 * all_now_amt
    assert thirds.evaluation.amt[:, 0].sum() < now.evaluation.amt[:, 0].sum()


def test_seed_thirds_qualify_on_a_rolling_basis(seed):
    thirds = _baseline(seed, "equal thirds over three Januaries")
    rows = seed.year_rows(thirds)
    dates = [r["qualifying_dates"].get("2021-ISO ISO") for r in rows]
    # exercised 2027-01-02, 2028-01-02, 2029-01-02: more than one year after each (§422(a)(1));
    # the grant (2021-01-15) is long past its two years
    assert dates[:3] == ["2028-01-03", "2029-01-03", "2030-01-03"]
    assert all(date.fromisoformat(d) < date(2030, 6, 30) for d in dates[:3])


def test_seed_recommended_beats_every_feasible_baseline(seed):
    assert seed.recommended.feasible
    for b in seed.baselines:
        if b.feasible:
            assert seed.recommended.value >= b.value - 1e-6, b.name
    data = seed.as_dict()
    for b in data["baselines"]:
        assert b["advantage_of_plan"] == pytest.approx(data["recommended"]["after_tax_value"] - b["after_tax_value"])


def test_fast_rise_shrinks_the_staging_advantage(seed, fast):
    def advantage(outcome):
        return (_baseline(outcome, "equal thirds over three Januaries").value
                - _baseline(outcome, "exercise everything now").value)

    assert advantage(seed) > 0
    assert advantage(fast) < advantage(seed)
    # the later blocks carry more spread: 2029's 10,000 shares at 6 x 1.4^(~2 years) vs 2027's at 6.00
    thirds = _baseline(fast, "equal thirds over three Januaries")
    assert thirds.evaluation.iso_spread[2, 0] > 2 * thirds.evaluation.iso_spread[0, 0]


# ---------------------------------------------------------------- Form 8801


def _chain_checks(ev, prior):
    avail, used, created = ev.credit_available[:, 0], ev.credit_used[:, 0], ev.credit_created[:, 0]
    assert avail[0] == prior
    for t in range(len(avail)):
        assert used[t] <= avail[t] + 1e-9
        nxt = avail[t + 1] if t + 1 < len(avail) else ev.credit_left[0]
        # next year's line 21 = line 18 (may be negative) + this year's carryforward (line 26), floored at 0
        assert nxt == pytest.approx(max(avail[t] - used[t] + created[t], 0.0))
        # credit used through year t never exceeds the prior credit plus what earlier years created
        assert used[: t + 1].sum() <= prior + np.maximum(created[:t], 0.0).sum() + 1e-6


def test_form_8801_exit_year(fast):
    thirds = _baseline(fast, "equal thirds over three Januaries")
    ev = thirds.evaluation
    last = len(fast.model.years) - 1
    # the exit sells the lots: the AMT basis is higher than the regular basis, so line 2k is negative and the
    # net minimum tax on exclusion items exceeds this year's AMT: line 18 is negative
    assert ev.amt[last, 0] == 0
    assert ev.credit_created[last, 0] < 0
    # the limit (regular tax - TMT) allows the whole credit: it is all used
    assert ev.regular_tax[last, 0] - ev.tmt[last, 0] > ev.credit_available[last, 0] > 0
    assert ev.credit_used[last, 0] == pytest.approx(ev.credit_available[last, 0])
    # credit created earlier = AMT paid earlier (no exclusion items in a year with only an ISO spread)
    np.testing.assert_allclose(ev.credit_created[:last, 0], ev.amt[:last, 0])
    _chain_checks(ev, 0.0)


@pytest.mark.parametrize("case", ["one grant, three decision years", "prior credit", "ISO and NSO parts"])
def test_form_8801_chain_on_every_schedule(case):
    plan, steps = SMALL[case]
    model = build_model(plan, LAW)
    ev = evaluate(model, grid_schedules(model, steps))
    for i in range(ev.value.size):
        sub = type(ev)(**{k: (v[:, i:i + 1] if v.ndim == 2 and v.shape[0] == len(model.years) else v[i:i + 1])
                          for k, v in vars(ev).items()})
        _chain_checks(sub, plan.prior_credit)


# ---------------------------------------------------------------- notes


PRIVATE = {"kind": "private", "price": 4.0, "price_date": date(2027, 1, 2), "growth": 0.1}


def test_private_exit_before_liquidity_is_noted():
    plan = make_plan([G_LOW], stock={**PRIVATE, "liquidity_date": date(2031, 6, 1)})
    outcome = run_plan(plan, LAW)
    assert any("before the expected liquidity date" in n for n in outcome.notes)
    plan = make_plan([G_LOW], stock={**PRIVATE, "liquidity_date": date(2028, 6, 1)})
    assert not any("liquidity date" in n for n in build_model(plan, LAW).notes)


def test_departure_window_before_exit_is_noted_for_private_stock():
    # leaves 2027-03-01: 3-month ISO window by default ends before the 2029 exit; the stock is not liquid then
    plan = make_plan([G_LOW], person={"departure_date": date(2027, 3, 1)},
                     stock={**PRIVATE, "liquidity_date": date(2029, 1, 1)})
    model = build_model(plan, LAW)
    assert model.blocks[0].last_day < model.exit_date
    assert any("private stock cannot be sold then" in n and "2021-ISO" not in n and "a ISO" in n
               for n in model.notes)
    outcome = run_plan(plan, LAW)
    assert any("private stock cannot be sold then" in n for n in outcome.notes)


def test_year_household_reproduces_each_row_through_the_engine():
    """Every per-year figure of the plan can be explained: the engine on that year's household gives the row."""
    import datetime
    import tomllib
    from pathlib import Path

    from isoplan.planning.plan import parse_plan
    from isoplan.planning.staging import run_plan
    from isoplan.tax.federal import compute_federal

    root = Path(__file__).resolve().parents[2]
    path = root / "examples" / "staging-fast-rise.toml"
    plan = parse_plan(tomllib.loads(path.read_text()), str(path), today=datetime.date(2026, 11, 28))
    outcome = run_plan(plan)
    for strategy in (outcome.recommended, *outcome.baselines):
        for t, row in enumerate(outcome.year_rows(strategy)):
            r = compute_federal(outcome.year_household(strategy, t), outcome.model.law)
            assert float(r.amt[0]) == pytest.approx(row["amt"], abs=0.01)
            assert float(r.regular_tax[0]) == pytest.approx(row["regular_tax"], abs=0.01)
            assert float(r.amt_credit_used[0]) == pytest.approx(row["credit_used"], abs=0.01)


@pytest.mark.parametrize("name", ["staging-three-years.toml", "staging-fast-rise.toml"])
def test_single_grant_examples_are_proven_optimal_on_the_grid(name):
    """No label that could still win is dropped, and no baseline beats the optimizer."""
    import datetime
    import tomllib
    from pathlib import Path

    from isoplan.planning.plan import parse_plan
    from isoplan.planning.staging import run_plan

    path = Path(__file__).resolve().parents[2] / "examples" / name
    plan = parse_plan(tomllib.loads(path.read_text()), str(path), today=datetime.date(2026, 11, 28))
    outcome = run_plan(plan)
    assert not outcome.optimizer.truncated
    assert outcome.recommended.name == "optimized"
    assert all(outcome.recommended.value >= b.value - 1e-6 for b in outcome.baselines if b.feasible)
