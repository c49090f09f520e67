"""Label dominance under tight cash with minimum tax credit (Form 8801) in play, against brute force.

A label with more credit pays less tax in later years, so under a tight cash limit it may afford a later
exercise that a label which beats it on value cannot. These tests enumerate every on-grid schedule of small
plans whose cash binds and whose credit carries forward (prior credit, AMT paid, NSO income that lets it be
used, a discount rate) and check the optimizer two ways:

* every time the dominance test the search applies says label i beats label j of the same grid point, the
  best schedule through i's path is worth at least the best through j's (the test is sound);
* whenever :func:`run_plan` says its schedule is proven optimal on its grid, its value is the brute-force
  best, and when it says it is not, its bound covers the best.
"""

from __future__ import annotations

import random
from datetime import date

import numpy as np
import pytest

from isoplan.planning.labels import _beaten
from isoplan.planning.plan import Plan, parse_plan
from isoplan.planning.staging import (
    CASH_WEIGHT,
    LABEL_WIDTH,
    StagingModel,
    _carried,
    _dominance_weights,
    _label_weights,
    build_model,
    evaluate,
    grid_schedules,
    run_plan,
)
from isoplan.tax.law import law_table

LAW = law_table(0.025)
TODAY = date(2026, 11, 28)
START = 2027


def tight_plan(seed: int) -> tuple[Plan, int]:
    """A small plan (one or two ISO or NSO grants, three to five tax years) with a tight cash limit, a prior
    credit and a discount rate drawn from ``seed``; and its grid steps."""
    rng = random.Random(seed)
    grants = []
    for k in range(rng.choice([1, 1, 2])):
        strike = rng.choice([0.5, 1.0, 2.0, 4.0])
        grant = {"id": f"g{k}", "grant_date": date(rng.randint(2020, 2025), rng.randint(1, 12), 15),
                 "shares": rng.choice([6000, 12000, 20000, 30000]), "strike": strike, "fmv_at_grant": strike}
        if rng.random() < 0.5:
            grant["kind"] = "nso"
        grants.append(grant)
    years = rng.randint(3, 5)
    steps = rng.choice([3, 4, 5]) if len(grants) == 1 else 2
    data = {
        "person": {"filing_status": rng.choice(["single", "mfj"])},
        "income": {"wages": rng.choice([120000, 250000, 450000])},
        "stock": {"kind": "public", "price": rng.choice([6.0, 10.0, 15.0, 25.0]), "price_date": date(START, 1, 2),
                  "growth": rng.choice([0.0, 0.1, 0.3, 0.6])},
        "grants": grants,
        "plan": {"start_year": START, "exit_date": date(START + years - 1, 10, 1), "grid_steps": steps,
                 "prior_credit": rng.choice([20000, 60000, 150000, 400000]),
                 "discount_rate": rng.choice([0.0, 0.08, 0.2])},
        "cash": {"per_year": rng.choice([8000, 15000, 25000, 40000, 60000]), "reserve": 5000},
    }
    return parse_plan(data, f"tight-{seed}.toml", today=TODAY), steps


#: the first dozen plans, and plans on which a weaker test (credit worth nothing) would drop the better path
SEEDS = [*range(12), 34, 40, 95, 136]


def _unsound_pairs(model: StagingModel, steps: int, weights: np.ndarray | None = None) -> tuple[int, int]:
    """(pairs the dominance test decides, pairs where the beaten label's path has the better best schedule);
    ``weights``: the search's own (unspent cash rolling, :func:`_dominance_weights`) unless given (the labels
    :func:`_carried` builds, a weight 0 for those not given)."""
    decided, unsound, _ = _dominance_check(model, steps, weights)
    return decided, unsound


def _dominance_check(model: StagingModel, steps: int, weights: np.ndarray | None = None) -> tuple[int, int, int]:
    """:func:`_unsound_pairs`, and the pairs where the beaten label's path can still finish a schedule (the same
    later exercises) that cash rules out after the beater's path."""
    schedules = grid_schedules(model, steps)
    ev = evaluate(model, schedules)
    flow = ev.sale_proceeds - ev.strike_paid - ev.extra_tax  # (T, n), undiscounted, before the exit
    given = None if weights is None else np.append(weights, np.zeros(LABEL_WIDTH - weights.size))
    decided = unsound = stranded = 0
    price, iso = model.price_at_exercise, model.iso_treated
    for t in range(len(model.years) - 2):
        so_far = schedules[:, :, :t + 1]
        affordable = np.all(ev.cash_out[:t + 1] <= ev.cash_available[:t + 1] + 1e-6, axis=0)
        paths, path_of = np.unique(so_far.reshape(len(schedules), -1), axis=0, return_inverse=True)
        path_of = path_of.reshape(-1)
        best = np.full(len(paths), -np.inf)
        np.maximum.at(best, path_of[ev.feasible], ev.value[ev.feasible])
        futures: list[set[bytes]] = [set() for _ in paths]  # each path's later exercises that cash allows
        for k in np.flatnonzero(ev.feasible):
            futures[path_of[k]].add(schedules[k, :, t + 1:].tobytes())
        first = np.zeros(len(paths), dtype=np.intp)
        first[path_of[::-1]] = np.arange(len(schedules))[::-1]  # a schedule of each path
        value = (model.discount[:t + 1, None] * flow[:t + 1]).sum(axis=0)
        regular_basis = (so_far * np.where(iso[:, :t + 1], model.strike[:, None], price[None, :t + 1])).sum(axis=(1, 2))
        amt_basis = (so_far * price[None, None, :t + 1]).sum(axis=(1, 2))
        labels = _carried(ev.credit_available[t + 1], regular_basis, amt_basis, ev.state_credit_available[t + 1],
                          ev.cash_available[t + 1] - model.cash_limit[t + 1])
        weights_t = _dominance_weights(model, True, t) if given is None else given
        point = so_far.sum(axis=2)
        groups: dict[bytes, list[int]] = {}
        for p in np.flatnonzero(affordable[first]):
            groups.setdefault(point[first[p]].tobytes(), []).append(int(p))
        for members in groups.values():
            rows = first[members]
            beats = _beaten(value[rows], labels[rows], value[rows], labels[rows], weights_t)
            np.fill_diagonal(beats, False)
            i, j = np.nonzero(beats)
            decided += i.size
            unsound += int(np.sum(best[np.asarray(members)[j]] > best[np.asarray(members)[i]] + 0.01))
            stranded += sum(not futures[members[b]] <= futures[members[a]] for a, b in zip(i, j, strict=True))
    return decided, unsound, stranded


@pytest.mark.parametrize("seed", SEEDS)
def test_a_beaten_label_never_has_the_better_future(seed: int) -> None:
    plan, steps = tight_plan(seed)
    decided, unsound = _unsound_pairs(build_model(plan, LAW), steps)
    assert unsound == 0, f"{unsound} of {decided} dominance decisions drop the better path"


def test_the_check_catches_a_test_that_ignores_credit() -> None:
    """Were a dollar of credit worth nothing in the dominance test, the brute force would catch it."""
    plan, steps = tight_plan(95)
    model = build_model(plan, LAW)
    weights = np.append(_label_weights(model) * np.asarray([0.0, 1.0, 1.0, 1.0]), CASH_WEIGHT)
    assert _unsound_pairs(model, steps, weights)[1] > 0


@pytest.mark.parametrize("seed", SEEDS)
def test_run_plan_proven_means_the_brute_force_best_under_tight_cash(seed: int) -> None:
    plan, steps = tight_plan(seed)
    model = build_model(plan, LAW)
    ev = evaluate(model, grid_schedules(model, steps))
    assert ev.feasible.any()
    best = float(ev.value[ev.feasible].max())
    result = run_plan(plan, LAW).optimizer
    assert result.value <= best + 0.01  # a real schedule on the grid
    if not result.truncated:
        assert result.value == pytest.approx(best, abs=0.01)
    else:
        assert result.bound is not None and result.bound >= best - 0.01


def test_the_cases_bind_cash_and_carry_credit() -> None:
    """The cases are not trivially free: cash rules schedules out, credit carries between years and dominance
    decides pairs."""
    binding = credit = decided = 0
    for seed in SEEDS:
        plan, steps = tight_plan(seed)
        model = build_model(plan, LAW)
        ev = evaluate(model, grid_schedules(model, steps))
        binding += bool(0 < ev.feasible.sum() < ev.feasible.size)
        credit += bool(np.any(ev.credit_used[1:-1] > 0) and np.any(ev.credit_created[:-1] > 0))
        decided += _unsound_pairs(model, steps)[0]
    assert binding >= len(SEEDS) // 2 and credit >= len(SEEDS) // 3 and decided > 100


@pytest.mark.parametrize("seed", [*range(5), *range(6, 12), 30, 89, 241])
def test_a_beaten_label_leaves_no_future_the_beater_cannot_pay(seed: int) -> None:
    """Every later exercise cash allows after a beaten label's path, it allows after the beater's."""
    plan, steps = tight_plan(seed)
    decided, _, stranded = _dominance_check(build_model(plan, LAW), steps)
    assert stranded == 0, f"{stranded} of {decided} dominance decisions strand a future the beaten label could pay"


def test_a_beater_carries_cash_for_the_credit_lead() -> None:
    """Label i, ahead on value by more than j's credit lead and with as much cash unspent, beats j only while
    the cash it carries also covers j's credit lead (federal and the state's): j's credit can lower a later
    year's tax and free that much cash for an exercise. Labels after the first year of a plan whose cash
    binds, against the rule before (cash alone at its weight)."""
    plan, _ = tight_plan(30)
    model = build_model(plan, LAW)
    weights = _dominance_weights(model, True, 0)
    cash_alone = np.append(weights[:5], np.zeros(LABEL_WIDTH - 5))
    j = _carried(*np.asarray([[9000.0], [1000.0], [5000.0], [400.0], [20000.0]]))
    value_i, value_j = np.asarray([10000.0]), np.asarray([0.0])

    def beats(credit: float, state_credit: float, cash: float, w: np.ndarray) -> bool:
        i = _carried(*np.asarray([[credit], [1000.0], [5000.0], [state_credit], [cash]]))
        return bool(_beaten(value_i, i, value_j, j, w)[0, 0])

    assert beats(6000.0, 400.0, 20000.0, cash_alone) and not beats(6000.0, 400.0, 20000.0, weights)
    assert not beats(6000.0, 400.0, 22999.0, weights) and beats(6000.0, 400.0, 23000.0, weights)
    assert model.state is None and weights[6] == weights[7] == 0.0  # no state return: its credit never changes
    state_weights = np.where(np.arange(LABEL_WIDTH) >= 6, weights[5], weights)  # as with a state return
    assert not beats(6000.0, 100.0, 23000.0, state_weights) and beats(6000.0, 100.0, 23300.0, state_weights)
    assert beats(9500.0, 400.0, 20000.0, weights)  # no credit lead to cover: as much cash is enough
    # no cash test is left after the last year before the exit, nor without a cash limit
    assert beats(6000.0, 400.0, 20000.0, _dominance_weights(model, True, len(model.years) - 2))
    assert beats(6000.0, 400.0, 20000.0, _dominance_weights(model, False, 0))
