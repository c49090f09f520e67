"""Speed and memory of batch files: ``isoplan tax --batch`` and ``isoplan room --batch`` on generated households.

    .venv/bin/python benchmarks/bench_batch.py [--rows N] [--runs K] [--case NAME ...] [--json]

Writes the shared benchmark households (benchmarks/common.py: both years, every filing status, gains,
itemizers, ISO spreads) with a ``client_id`` column as CSV and as Parquet, then runs each command as a
user does, in its own process under ``/usr/bin/time``: ``isoplan tax --batch in --out out --keep client_id``
(CSV to CSV, Parquet to Parquet) and the same for ``room`` with a spread per share. Each is run ``--runs``
times; the median and the range (lowest-highest) of the wall time, of the CPU time (user and system, all threads)
and of the peak memory (RSS) are printed.

The wall time includes starting Python. Where it goes in a new process (``--runs`` runs of each command, medians):
starting Python and the imports, reading the file, checking it (and waiting for the compiled code loaded meanwhile),
the engine, building the output columns, writing the output (rendering and writing the bytes), the final flush to
disk, and leaving (from the command's return to the process's end), each as wall and CPU seconds of the process.
To tell file work from the engine's own time, the same steps are also timed in this process, a run at a time:
reading and checking the file, the engine (``compute_federal`` or ``amt_room`` on the checked households), and
writing the result.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import generate_households

ROOT = Path(__file__).resolve().parent.parent

#: The runs measured: each command from CSV to CSV and from Parquet to Parquet.
CASES = ("tax csv", "tax parquet", "room csv", "room parquet")

STATUS_NAMES = np.array(["single", "mfj", "mfs", "hoh", "qss"])


def write_inputs(rows: int, folder: Path) -> tuple[Path, Path]:
    """The benchmark households as CSV (whole dollars, statuses by name) and as Parquet (typed columns)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    columns = generate_households(rows)
    data: dict[str, pa.Array] = {"client_id": pa.array([f"C{i:07d}" for i in range(rows)])}
    for name, values in columns.items():
        if name == "filing_status":
            data[name] = pa.array(STATUS_NAMES[values])
        elif name == "year":
            data[name] = pa.array(values.astype(np.int64))
        else:
            data[name] = pa.array(values.astype(np.int64))
    table = pa.table(data)
    csv_path, parquet_path = folder / "households.csv", folder / "households.parquet"
    pacsv.write_csv(table, csv_path, write_options=pacsv.WriteOptions(quoting_style="none"))
    pq.write_table(table, parquet_path)
    return csv_path, parquet_path


def run_cli(argv: list[str]) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds (user and system, every thread) of one ``isoplan`` run in its own
    process. On a shared machine the CPU seconds move less than the wall time."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = ["/usr/bin/time", "-f", "%M %U %S", sys.executable, "-m", "isoplan", *argv]
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr.strip()}")
    rss, user, system = proc.stderr.strip().splitlines()[-1].split()
    return wall, int(rss) / 1024, float(user) + float(system)


#: Run in the new process of :func:`run_phases`: the command, with a line on stderr at each step's end (the time since
#: the epoch and the process's CPU seconds so far), the engine's and the file functions wrapped to mark their ends.
PHASES_DRIVER = """
import functools, resource, sys, threading, time


def mark(step):
    usage = resource.getrusage(resource.RUSAGE_SELF)
    sys.stderr.write(f"PHASE {step} {time.time():.6f} {usage.ru_utime + usage.ru_stime:.4f}\\n")


def marking(owner, name, before=None, after=None):
    function = getattr(owner, name)

    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            return function(*args, **kwargs)
        if before:
            mark(before)
        result = function(*args, **kwargs)
        if after:
            mark(after)
        return result

    setattr(owner, name, wrapped)


import isoplan.app.batch as batch, isoplan.app.room as room, isoplan.app.tax as tax, isoplan.cli.common as common
import isoplan.files as files, isoplan.planning.room as planning_room, isoplan.tax.federal as federal
from isoplan.cli import main

marking(batch, "read_batch", before="imports", after="read")
marking(batch, "batch_households", after="check")
marking(federal, "compute_federal", after="engine")
marking(planning_room, "amt_room", after="engine")
marking(common, "_write_synced", before="columns")
marking(batch.BatchResult, "arrow_table", before="columns")
marking(files, "_sync", before="write", after="flush")
code = main(sys.argv[1:])
mark("return")
sys.exit(code)
"""

#: The steps :func:`run_phases` reports, each from the end of the one before: (name, the mark that ends it).
PHASES = (("start_and_imports", "imports"), ("read", "read"), ("check", "check"), ("engine", "engine"),
          ("columns", "columns"), ("write", "write"), ("flush", "flush"), ("finish", "return"), ("exit", "exit"))


def run_phases(argv: list[str]) -> dict[str, tuple[float, float]]:
    """Wall and CPU seconds of each step of one ``isoplan`` run in its own process (:data:`PHASES`). The CPU seconds
    of a step are the whole process's (every thread) between the step's two marks; the exit's are what
    ``/usr/bin/time`` counts after the command returned."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = ["/usr/bin/time", "-f", "TIME %U %S", sys.executable, "-c", PHASES_DRIVER, *argv]
    start = time.time()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    end = time.time()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr.strip()}")
    marks: dict[str, tuple[float, float]] = {"start": (start, 0.0)}
    for line in proc.stderr.splitlines():
        if line.startswith("PHASE "):
            _, step, when, cpu = line.split()
            marks[step] = (float(when), float(cpu))  # the last: the room solver runs the engine inside it
        elif line.startswith("TIME "):
            _, user, system = line.split()
            marks["exit"] = (end, float(user) + float(system))
    steps: dict[str, tuple[float, float]] = {}
    previous = marks["start"]
    for name, ends in PHASES:
        if ends not in marks:  # a step this command does not take (no final flush to stdout)
            continue
        steps[name] = (marks[ends][0] - previous[0], marks[ends][1] - previous[1])
        previous = marks[ends]
    return steps


def in_process(command: str, source: Path, out: Path, runs: int) -> list[dict[str, float]]:
    """Seconds of each step in this process, ``runs`` times: reading and checking the file, the engine on the
    checked households, and writing the result (built once: the use case is those steps plus assembling
    the columns)."""
    from isoplan.app.batch import batch_households, read_batch
    from isoplan.app.household import PLAIN_NAMES
    from isoplan.app.room import RoomRequest, room_batch
    from isoplan.app.tax import TaxRequest, tax_batch
    from isoplan.cli.common import write_batch
    from isoplan.planning.room import amt_room
    from isoplan.tax.explain import OUTPUTS
    from isoplan.tax.federal import compute_federal
    from isoplan.tax.law import law_table

    law = law_table()
    if command == "tax":
        result = tax_batch(TaxRequest({}), str(source), keep=("client_id",))
    else:
        result = room_batch(RoomRequest({}, spread_per_share=50), str(source), keep=("client_id",))
    steps = []
    for _ in range(runs):
        start = time.perf_counter()
        h = batch_households(read_batch(str(source), PLAIN_NAMES), skip=("client_id",))
        read = time.perf_counter() - start
        start = time.perf_counter()
        if command == "tax":
            compute_federal(h, law, keep=OUTPUTS)
        else:
            amt_room(h, law)
        engine = time.perf_counter() - start
        del h
        start = time.perf_counter()
        write_batch(str(out), result, command)
        write = time.perf_counter() - start
        steps.append({"read_and_check_s": read, "engine_s": engine, "write_s": write, "io_s": read + write})
    return steps


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "low": min(values), "high": max(values)}


def measure(runs: int, step: Callable[[], tuple[float, float, float]]) -> dict[str, dict[str, float]]:
    walls, rss, cpu = zip(*(step() for _ in range(runs)), strict=True)
    return {"wall_s": summary(list(walls)), "peak_rss_mb": summary(list(rss)), "cpu_s": summary(list(cpu))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--case", action="append", choices=CASES, metavar="NAME",
                        help=f"run only this case (repeatable; default all: {', '.join(CASES)})")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.runs < 5:
        parser.error("--runs: at least 5 (medians and ranges of five runs or more)")
    report: dict[str, object] = {"rows": args.rows, "runs": args.runs, "load_average": os.getloadavg()}
    with tempfile.TemporaryDirectory() as folder:
        csv_in, parquet_in = write_inputs(args.rows, Path(folder))
        report["csv_mb"] = round(csv_in.stat().st_size / 1e6, 1)
        report["parquet_mb"] = round(parquet_in.stat().st_size / 1e6, 1)
        room_flags = ["--spread-per-share", "50"]
        every_case = {
            "tax csv": ["tax", "--batch", str(csv_in), "--out", f"{folder}/tax.csv", "--keep", "client_id"],
            "tax parquet": ["tax", "--batch", str(parquet_in), "--out", f"{folder}/tax.parquet", "--keep",
                            "client_id"],
            "room csv": ["room", "--batch", str(csv_in), "--out", f"{folder}/room.csv", "--keep", "client_id",
                         *room_flags],
            "room parquet": ["room", "--batch", str(parquet_in), "--out", f"{folder}/room.parquet", "--keep",
                             "client_id", *room_flags],
        }
        cases = {name: argv for name, argv in every_case.items() if not args.case or name in args.case}
        for name, argv in cases.items():
            report[name] = measure(args.runs, lambda argv=argv: run_cli(argv))  # type: ignore[misc]
        for name, argv in cases.items():
            runs = [run_phases(argv) for _ in range(args.runs)]
            report[f"{name} phases"] = {step: {"wall_s": summary([r[step][0] for r in runs]),
                                               "cpu_s": summary([r[step][1] for r in runs])} for step in runs[0]}
        for command in ("tax", "room"):
            for kind, source in (("csv", csv_in), ("parquet", parquet_in)):
                if f"{command} {kind}" not in cases:
                    continue
                steps = in_process(command, source, Path(folder) / f"steps.{kind}", args.runs)
                report[f"{command} {kind} steps"] = {k: summary([s[k] for s in steps]) for k in steps[0]}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"rows: {args.rows:,}  runs: {args.runs}  CSV {report['csv_mb']} MB, Parquet {report['parquet_mb']} MB  "
          f"load average at start: {', '.join(f'{x:.1f}' for x in report['load_average'])}")  # type: ignore[attr-defined]
    for name in cases:
        wall, rss, cpu = (report[name][k] for k in ("wall_s", "peak_rss_mb", "cpu_s"))  # type: ignore[index]
        print(f"{name:13s} wall {wall['median']:.2f} s ({wall['low']:.2f}-{wall['high']:.2f})   "
              f"CPU {cpu['median']:.2f} s ({cpu['low']:.2f}-{cpu['high']:.2f})   "
              f"peak RSS {rss['median']:.0f} MB ({rss['low']:.0f}-{rss['high']:.0f})")
    for name in cases:
        phases = cast(dict[str, dict[str, dict[str, float]]], report[f"{name} phases"])
        print(f"{name:13s} new process: " + "  ".join(
            f"{step} {v['wall_s']['median']:.2f}/{v['cpu_s']['median']:.2f}" for step, v in phases.items())
              + "  (wall/CPU s, medians)")
    for command in ("tax", "room"):
        for kind in ("csv", "parquet"):
            if f"{command} {kind}" not in cases:
                continue
            steps = report[f"{command} {kind} steps"]
            print(f"{command} {kind:8s} in process: " + "   ".join(  # type: ignore[union-attr]
                f"{k.removesuffix('_s')} {v['median']:.2f} s ({v['low']:.2f}-{v['high']:.2f})"
                for k, v in steps.items()))  # type: ignore[union-attr]


if __name__ == "__main__":
    main()
