"""Runs inside .venv-taxcalc: time PSL Tax-Calculator on the households in an .npz file.

    .venv-taxcalc/bin/python benchmarks/taxcalc_worker.py households.npz [REPEATS]

Prints one JSON line: rows, the seconds of each of REPEATS runs (default 1; each
run is Records construction, its input validation included, + Calculator.calc_all,
per tax year, summed) and taxcalc's version. Uses the input mapping of
tests/crosscheck/taxcalc_runner.py so both engines see the same households.
"""

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "crosscheck"))
import taxcalc_runner

STATUS_NAMES = ("single", "mfj", "mfs", "hoh", "qss")


def main(path: str, repeats: int = 1) -> None:
    data = dict(np.load(path))
    df = pd.DataFrame(data)
    df["filing_status"] = [STATUS_NAMES[int(s)] for s in df["filing_status"]]
    df["age_65_or_blind"] = 0.0
    runs = []
    for _ in range(repeats):
        seconds, amt_total = one_run(df)
        runs.append(seconds)
    print(json.dumps({"rows": len(df), "seconds": runs[0], "runs": runs, "amt_total": amt_total,
                      "version": taxcalc_runner.taxcalc.__version__}))


def one_run(df: pd.DataFrame) -> tuple[float, float]:
    seconds = 0.0
    amt_total = 0.0
    for year in sorted(df["year"].unique()):
        sub = df[df["year"] == year]
        start = time.perf_counter()
        records = taxcalc_runner.Records(data=taxcalc_runner.to_records_frame(sub), start_year=int(year),
                                         gfactors=None, weights=None, exact_calculations=True)
        calc = taxcalc_runner.Calculator(policy=taxcalc_runner.Policy(), records=records, verbose=False)
        calc.calc_all()
        seconds += time.perf_counter() - start
        amt_total += float(calc.array("c09600").sum())
    return seconds, amt_total


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1)
