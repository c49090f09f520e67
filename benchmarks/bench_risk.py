"""Speed of the risk engine (issue 6 floor: 100,000 paths over a 5-year horizon, full federal tax, under 2 s).

    .venv/bin/python benchmarks/bench_risk.py [--paths N]

1. The floor: examples/staging-three-years.toml with the exit moved to make a
   5-year horizon (2027-2031); the recommended schedule is run on 100,000
   simulated price paths with the federal tax (regular tax, AMT, the Form 8801
   credit with its exclusion-items return) recomputed on every path and every
   year (:func:`isoplan.planning.montecarlo.schedule_on_paths`). Simulation +
   tax, best of three.
2. The whole `run_risk` (every section) on the same plan and on
   examples/pre-ipo.toml, daily and monthly steps, 100,000 and 20,000 paths.
"""

from __future__ import annotations

import argparse
import datetime
import time
import tomllib
from pathlib import Path

import numpy as np

from isoplan.planning import montecarlo as mc
from isoplan.planning.plan import parse_plan
from isoplan.planning.risk import run_risk
from isoplan.planning.staging import run_plan
from isoplan.tax.law import law_table

ROOT = Path(__file__).resolve().parents[1]
TODAY = datetime.date(2026, 11, 28)


def load(name: str, **changes: dict) -> object:
    data = tomllib.loads((ROOT / "examples" / name).read_text())
    for table, values in changes.items():
        data.setdefault(table, {}).update(values)
    return parse_plan(data, name, today=TODAY)


def best_of(fn, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--paths", type=int, default=100_000)
    n = parser.parse_args().paths
    plan = load("staging-three-years.toml", plan={"exit_date": datetime.date(2031, 6, 30)})
    law = law_table(plan.inflation)
    outcome = run_plan(plan, law)
    model = outcome.model
    schedule = outcome.recommended.schedule
    dates = [*model.exercise_dates, model.exit_date, *(d for _, d, _, _, _ in model.last_chance)]

    def floor() -> None:
        sim = mc.simulate(plan.stock, dates, n, np.random.default_rng(0))
        prices = sim.prices(model.exercise_dates)
        exit_prices = sim.price(model.exit_date)
        lc = sim.prices([d for _, d, _, _, _ in model.last_chance])
        mc.schedule_on_paths(model, schedule, prices, exit_prices, lc)

    t = best_of(floor)
    rows = n * len(model.years)
    print(f"floor: {n:,} paths x {len(model.years)} years ({rows:,} path-years, each a full federal return plus "
          f"the Form 8801 exclusion-items return): {t:.3f} s  ({rows / t:,.0f} path-years/s)  floor 2 s: "
          + ("ok" if t < 2.0 else "ABOVE"))
    for name in ("staging-three-years.toml", "pre-ipo.toml"):
        for steps in ("daily", "monthly"):
            for paths in (20_000, n):
                p = load(name, risk={"steps": steps})
                o = run_plan(p, law_table(p.inflation))
                t = best_of(lambda p=p, o=o, paths=paths: run_risk(p, paths=paths, seed=0, outcome=o), repeats=2)
                print(f"run_risk {name:26s} {steps:7s} {paths:7,d} paths, all sections: {t:.3f} s")


if __name__ == "__main__":
    main()
