"""What this machine allows the engine: validating the households and moving their bytes, with no tax arithmetic.

    .venv/bin/python benchmarks/bench_floor.py [--rows N] [--runs K] [--json]

On the households of ``bench_engine.py``, in one process, alternating run by
run (so a change in the machine's load falls on all alike), the median and
range of K runs (default 5) of:

* ``validate``: ``households()`` on the raw columns, as every run of
  ``bench_engine.py`` does;
* ``move``: the engine's own input and output path (its chunks across the
  cores, its block scratch, ``kernel.block_inputs`` and
  ``kernel.block_outputs``) with one addition in place of the law: every
  input of a household read, every line the benchmark keeps
  (``explain.OUTPUTS``) written into a new array, as the engine writes them;
* ``floor``: the two together, the fastest any engine computing these
  households could run here with the same validation and outputs;
* ``engine``: validation and ``compute_federal``, as ``bench_engine.py``
  times it.

``--json`` prints the households per second of each (median and range) and
the machine's load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import generate_households
from isoplan.tax import compiled, kernel
from isoplan.tax.explain import OUTPUTS
from isoplan.tax.federal import _line_positions, compute_federal
from isoplan.tax.households import Households, households
from isoplan.tax.law import law_table


def move_chunks(x: Any, year: Any, status: Any, keep: Any, out: Any, chunk: int) -> None:
    """The engine's chunks and blocks (``kernel.federal_chunks``) with a sum of the inputs for the law."""
    n = len(year)
    for c in numba.prange((n + chunk - 1) // chunk):
        start = c * chunk
        stop = min(n, start + chunk)
        xb = np.empty((kernel.N_INPUTS, kernel.BLOCK_SPAN)).T
        vb = np.empty((kernel.N_LINES, kernel.BLOCK_SPAN)).T
        for block in range(start, stop, kernel.BLOCK_ROWS):
            block_stop = min(stop, block + kernel.BLOCK_ROWS)
            kernel.block_inputs(x, block, block_stop, xb)
            block_year = year[block:block_stop]
            block_status = status[block:block_stop]
            for r in range(len(block_year)):
                total = float(block_year[r] + block_status[r])
                for k in range(kernel.N_INPUTS):
                    total += xb[r][k]
                for j in range(len(keep)):
                    vb[r][keep[j]] = total
            kernel.block_outputs(vb, keep, block, block_stop, out)


def move(h: Households, keep: np.ndarray, mover: Callable[..., None]) -> np.ndarray:
    """Every input of ``h`` read, the lines ``keep`` written into a new array, as ``compiled.federal`` does."""
    n = len(h)
    out = np.empty((keep.shape[0], n))
    mover(tuple(compiled.readonly(getattr(h, name), np.float64) for name in kernel.INPUT_FIELDS),
          compiled.readonly(h.year, np.int64), compiled.readonly(h.filing_status, np.int8), keep, out,
          compiled.CHUNK_ROWS)
    return out


def _rates(rows: int, seconds: list[float]) -> dict[str, float | list[float]]:
    rates = sorted(rows / s for s in seconds)
    return {"households_per_s": float(np.median(rates)), "range": [rates[0], rates[-1]]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="runs of each (median and range reported)")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of text")
    args = parser.parse_args()
    if args.rows < compiled.PARALLEL_ROWS:
        parser.error(f"--rows: at least {compiled.PARALLEL_ROWS:,} (the engine splits such batches across the cores)")
    compiled.register_row_functions()
    mover = numba.njit(parallel=True, nogil=True, error_model="numpy")(move_chunks)
    law = law_table(None)
    keep = compiled.readonly(_line_positions(OUTPUTS), np.uint64)  # the engine's own positions of the lines
    columns = generate_households(args.rows)
    warm = households(**generate_households(compiled.PARALLEL_ROWS, seed=1))
    compute_federal(warm, law, keep=OUTPUTS)
    move(warm, keep, mover)

    load_before = list(os.getloadavg())
    seconds: dict[str, list[float]] = {"validate": [], "move": [], "floor": [], "engine": []}
    for _ in range(args.runs):
        start = time.perf_counter()
        h = households(**columns)
        validated = time.perf_counter()
        lines = move(h, keep, mover)
        moved = time.perf_counter()
        seconds["validate"].append(validated - start)
        seconds["move"].append(moved - validated)
        seconds["floor"].append(moved - start)
        del h, lines
        start = time.perf_counter()
        result = compute_federal(households(**columns), law, keep=OUTPUTS)
        seconds["engine"].append(time.perf_counter() - start)
        del result
    out: dict[str, Any] = {"rows": args.rows, "runs": args.runs, "kept_lines": len(OUTPUTS),
                           "numba_threads": numba.get_num_threads(), "load_average": load_before}
    out.update({name: _rates(args.rows, runs) for name, runs in seconds.items()})
    out["engine_share_of_floor"] = out["engine"]["households_per_s"] / out["floor"]["households_per_s"]
    out["load_average_after"] = list(os.getloadavg())
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"households: {args.rows:,}, {len(OUTPUTS)} lines kept, {args.runs} runs each, "
          f"{out['numba_threads']} threads; load average {load_before[0]:.1f}")
    labels = {"validate": "validation alone", "move": "moving the bytes alone (inputs in, lines out)",
              "floor": "floor: validation and moving the bytes", "engine": "engine with validation"}
    for name, label in labels.items():
        rate = out[name]
        low, high = rate["range"]
        print(f"{label:48} {rate['households_per_s']:14,.0f} households/s  (range {low:,.0f} to {high:,.0f})")
    print(f"the engine runs at {out['engine_share_of_floor']:.0%} of the floor; "
          f"load average after: {out['load_average_after'][0]:.1f}")


if __name__ == "__main__":
    main()
