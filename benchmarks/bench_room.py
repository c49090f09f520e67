"""Speed of the AMT room (planning/room.py) on 1,000,000 generated households.

    .venv/bin/python benchmarks/bench_room.py [--rows N] [--naive-rows N]

Prints rooms per second for ``amt_room`` (deduction "auto", the default, and
the standard deduction forced), against the floor of issue 3: 500,000 rooms
per second on 1,000,000 households. The figure is the median of several warm
runs (with their range, the rate by process CPU time, which counts both
cores, and the load average) and includes everything from a ``Households``
batch to the rooms: the engine's lines of each election and the solve. Then,
for reference:

* an engine check of every room (AMT at the room is 0, one dollar past it
  is not): the count of failures should be 0;
* a naive vectorized bisection (one full engine call per step, about 25
  steps) on a smaller batch, in rooms per second, and how often it agrees.
  Under "auto" the AMT is not monotone in the spread past the line (the
  deduction election can switch), so bisection may land on a later line.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import generate_households
from isoplan.planning.room import amt_room
from isoplan.tax.federal import compute_federal
from isoplan.tax.households import Households, households
from isoplan.tax.law import LawTable, law_table

FLOOR = 500_000  # rooms per second, issue 3


def room_households(n: int, seed: int = 11) -> Households:
    """The shared benchmark households, re-tuned for room questions.

    Most households have not exercised yet (so most have a room to find),
    some have, some carry a minimum tax credit, and incomes, gains and
    itemized deductions vary as in the engine benchmark.
    """
    columns = generate_households(n, seed=seed, years=(2025, 2026))
    rng = np.random.default_rng(seed + 1)
    columns["iso_bargain_element"] = np.where(rng.random(n) < 0.2, np.round(rng.uniform(0, 150_000, n)), 0.0)
    columns["amt_credit_carryforward"] = np.where(rng.random(n) < 0.1, np.round(rng.uniform(0, 80_000, n)), 0.0)
    return households(**columns)


def time_rooms(h: Households, law: LawTable, deduction: str,
               repeats: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, object]:
    """Wall and process CPU seconds of each run, the rooms and the last result."""
    walls, cpus = [], []
    result = None
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        result = amt_room(h, law, deduction=deduction)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    assert result is not None
    return np.array(walls), np.array(cpus), result.amt_room, result


def engine_check(h: Households, law: LawTable, room: np.ndarray, already: np.ndarray, deduction: str) -> int:
    at = compute_federal(h.replace(iso_bargain_element=h.iso_bargain_element + room), law, deduction=deduction,
                         keep=("amt",)).amt
    past = compute_federal(h.replace(iso_bargain_element=h.iso_bargain_element + room + 1), law,
                           deduction=deduction, keep=("amt",)).amt
    ok = np.where(already, room == 0, (at == 0) & (past > 0))
    return int(np.count_nonzero(~ok))


def naive_bisection(h: Households, law: LawTable, deduction: str) -> np.ndarray:
    """Largest s with AMT(s) == 0 by bisection on whole dollars: one engine call per step."""

    def amt(spread: np.ndarray) -> np.ndarray:
        return compute_federal(h.replace(iso_bargain_element=h.iso_bargain_element + spread), law,
                               deduction=deduction, keep=("amt",)).amt

    n = len(h)
    lo = np.where(amt(np.zeros(n)) > 0, -1.0, 0.0)
    hi = np.full(n, 2.0**25)  # $33.5 million: past every line here
    while np.any(hi - lo > 1):
        mid = np.floor((lo + hi) / 2.0)
        free = amt(np.maximum(mid, 0.0)) == 0
        lo = np.where(free & (hi - lo > 1), mid, lo)
        hi = np.where(~free & (hi - lo > 1), mid, hi)
    return np.maximum(lo, 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--naive-rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    law = law_table(None)
    h = room_households(args.rows)
    for deduction in ("auto", "standard"):
        amt_room(h.slice(0, min(args.rows, 100_000)), law, deduction=deduction)  # warm the law and compiled code
    print(f"AMT room benchmark: {args.rows:,} households (2025/2026, all statuses, gains, itemizers, "
          f"existing spread, credit carryforwards); median of {args.repeats} warm runs [range]")
    for deduction in ("auto", "standard"):
        load = os.getloadavg()[0]
        walls, cpus, room, result = time_rooms(h, law, deduction, args.repeats)
        seconds = float(np.median(walls))
        rate = args.rows / seconds
        verdict = "meets" if rate >= FLOOR else "BELOW"
        print(f"  deduction={deduction:<8} {seconds:6.3f} s [{walls.min():.3f}-{walls.max():.3f}]  {rate:12,.0f} "
              f"rooms/s [{args.rows / walls.max():,.0f}-{args.rows / walls.min():,.0f}]  ({verdict} the floor of "
              f"{FLOOR:,}/s); by CPU time {args.rows / np.median(cpus):,.0f} rooms/s "
              f"[{args.rows / cpus.max():,.0f}-{args.rows / cpus.min():,.0f}]; load {load:.1f} -> "
              f"{os.getloadavg()[0]:.1f}")
        already = result.already_in_amt
        print(f"      already in AMT {np.count_nonzero(already):,}; room > 0 {np.count_nonzero(room > 0):,}; "
              f"election switch at the line {np.count_nonzero(result.election_switch):,}; credit lines "
              f"{np.count_nonzero(np.isfinite(result.credit_line)):,}; median room ${np.median(room):,.0f}")
        start = time.perf_counter()
        failures = engine_check(h, law, room, already, deduction)
        print(f"      engine check of every room (AMT(room) = 0 < AMT(room + 1)): {failures} failures "
              f"({time.perf_counter() - start:.2f} s for the two engine calls)")

    m = min(args.naive_rows, args.rows)
    sub = h.slice(0, m)
    for deduction in ("auto", "standard"):
        start = time.perf_counter()
        naive = naive_bisection(sub, law, deduction)
        seconds = time.perf_counter() - start
        exact = amt_room(sub, law, deduction=deduction).amt_room
        agree = np.count_nonzero(naive == exact)
        print(f"  naive bisection, deduction={deduction:<8} on {m:,}: {seconds:6.2f} s  {m / seconds:10,.0f} rooms/s;"
              f" agrees with amt_room on {agree:,} ({m - agree:,} land on a later line)")


if __name__ == "__main__":
    main()
