"""Speed of the federal engine, side by side with PSL Tax-Calculator on the same households.

    make bench            (or: .venv/bin/python benchmarks/bench_engine.py [--rows N] [--runs K] [--json])

Households per second for isoplan and for Tax-Calculator 6.8.5 (its own venv,
see tests/crosscheck/) on the same generated households, like with like: each
run of either engine includes building and validating its input records
(isoplan's ``households()``, Tax-Calculator's ``Records``) and computing every
household; each engine runs K times (default 5) after a warm-up run on a small
batch (Tax-Calculator's numba functions compile on first use), and the median
and the range (fastest to slowest run) are reported, both in this one process
run. ``--json`` prints ``isoplan_households_per_s`` (the median), with
``taxcalc_households_per_s`` and ``ratio`` (of the medians) when Tax-Calculator
is installed, plus the ranges and the machine's load average before and after.

isoplan's warm-up also loads its compiled batch code (numba, cached on disk;
``make demo`` compiles it once after an install), so no run includes
compiling. ``isoplan_engine_only_households_per_s`` is the engine alone on
households already validated, for reference; the headline figure includes
validation, like Tax-Calculator's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import generate_households
from isoplan.tax.compiled import PARALLEL_ROWS
from isoplan.tax.explain import OUTPUTS
from isoplan.tax.federal import compute_federal
from isoplan.tax.households import households
from isoplan.tax.law import law_table

ROOT = Path(__file__).resolve().parents[1]
TAXCALC_PYTHON = ROOT / ".venv-taxcalc" / "bin" / "python"


def time_isoplan(columns: dict[str, np.ndarray], runs: int = 5) -> tuple[list[float], list[float], np.ndarray]:
    """Seconds of each run: validating the input columns into households, then the whole federal computation;
    and of each run of the engine alone (on households validated once)."""
    law = law_table(None)
    # large enough to run compiled and across the cores: a smaller batch runs interpreted in a new process, and the
    # first timed run would then import numba and load the compiled loop (half a second and more)
    warm = generate_households(PARALLEL_ROWS, seed=1)
    compute_federal(households(**warm), law, keep=OUTPUTS)
    h = households(**columns)
    seconds = []
    engine_only = []
    amt = np.zeros(0)
    for _ in range(runs):  # the two alternate, so a change in the machine's load falls on both alike
        start = time.perf_counter()
        result = compute_federal(households(**columns), law, keep=OUTPUTS)
        seconds.append(time.perf_counter() - start)
        amt = result.amt
        del result
        start = time.perf_counter()
        compute_federal(h, law, keep=OUTPUTS)
        engine_only.append(time.perf_counter() - start)
    return seconds, engine_only, amt


def time_taxcalc(columns: dict[str, np.ndarray], runs: int = 5) -> dict | None:
    if not TAXCALC_PYTHON.exists():
        return None
    worker = Path(__file__).with_name("taxcalc_worker.py")
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm.npz"
        np.savez(warm, **generate_households(1_000, seed=1))
        subprocess.run([str(TAXCALC_PYTHON), str(worker), str(warm)], check=True, capture_output=True)
        path = Path(tmp) / "households.npz"
        np.savez(path, **columns)
        proc = subprocess.run([str(TAXCALC_PYTHON), str(worker), str(path), str(runs)], check=True,
                              capture_output=True, text=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def time_cli(repeats: int = 7) -> float:
    # this checkout's isoplan, run as a user runs it (a new process for one household)
    cmd = [sys.executable, "-m", "isoplan", "tax", "--year", "2026", "--status", "single",
           "--wages", "200000", "--iso-spread", "400000"]
    # as a user runs it: Python may cache bytecode (some sandboxes set PYTHONDONTWRITEBYTECODE)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(cmd, check=True, capture_output=True, env=env)  # warm the bytecode cache
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        best = min(best, time.perf_counter() - start)
    return best


def _rates(rows: int, seconds: list[float]) -> tuple[float, float, float]:
    """(median, slowest, fastest) households per second over the runs."""
    rates = sorted(rows / s for s in seconds)
    return float(np.median(rates)), rates[0], rates[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="runs of each engine (median and range reported)")
    parser.add_argument("--skip-taxcalc", action="store_true")
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of text")
    args = parser.parse_args()
    columns = generate_households(args.rows)
    load_before = list(os.getloadavg())
    seconds, engine_only, amt = time_isoplan(columns, args.runs)
    median, low, high = _rates(args.rows, seconds)
    engine_median, engine_low, engine_high = _rates(args.rows, engine_only)
    import numba

    out: dict[str, object] = {"rows": args.rows, "runs": args.runs, "isoplan_households_per_s": median,
                              "isoplan_range": [low, high],
                              "isoplan_engine_only_households_per_s": engine_median,
                              "isoplan_engine_only_range": [engine_low, engine_high],
                              "load_average": load_before, "cores": os.cpu_count(), "numpy": np.__version__,
                              "numba": numba.__version__, "numba_threads": numba.get_num_threads()}
    tc = None if args.skip_taxcalc else time_taxcalc(columns, args.runs)
    if tc is not None:
        tc_median, tc_low, tc_high = _rates(tc["rows"], tc["runs"])
        out.update(taxcalc_households_per_s=tc_median, taxcalc_range=[tc_low, tc_high],
                   ratio=median / tc_median, taxcalc_version=tc["version"],
                   amt_total={"isoplan": float(amt.sum()), "taxcalc": tc["amt_total"]})
    if not args.skip_cli:
        out["cli_one_household_s"] = time_cli()
    out["load_average_after"] = list(os.getloadavg())
    if args.json:
        print(json.dumps(out, indent=2))
        return
    print(f"households: {args.rows:,} (years 2025/2026, all statuses, gains, itemizers, ISO spreads); "
          f"{args.runs} runs each, input validation included; load average {out['load_average'][0]:.1f} "
          f"on {os.cpu_count()} cores")
    print(f"isoplan        median {median:14,.0f} households/s  (range {low:,.0f} to {high:,.0f})")
    print(f"  engine alone median {engine_median:14,.0f} households/s  (range {engine_low:,.0f} to "
          f"{engine_high:,.0f}; households validated once)")
    if args.skip_taxcalc:
        pass
    elif tc is None:
        print("taxcalc        not installed (make xcheck-env)")
    else:
        print(f"taxcalc {tc['version']} median {out['taxcalc_households_per_s']:14,.0f} households/s  "
              f"(range {tc_low:,.0f} to {tc_high:,.0f})")
        print(f"ratio          {out['ratio']:.1f}x (of the medians)")
        print(f"total AMT      isoplan {amt.sum():,.0f}  taxcalc {tc['amt_total']:,.0f} "
              "(differences: see tests/crosscheck)")
    if not args.skip_cli:
        print(f"isoplan tax (one household, wall, best of 7): {out['cli_one_household_s']:.3f} s")
    print(f"load average after: {out['load_average_after'][0]:.1f}")


if __name__ == "__main__":
    main()
