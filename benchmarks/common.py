"""Generated households shared by the benchmarks (deterministic, broad: all statuses, gains, itemizers, ISOs), and
the command line of the bit-for-bit checks against another tree."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np


def generate_households(n: int, seed: int = 7, years: tuple[int, ...] = (2025, 2026)) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    dividends = np.where(rng.random(n) < 0.5, np.round(rng.uniform(0, 40_000, n)), 0.0)
    return {
        "year": rng.choice(np.asarray(years), size=n),
        "filing_status": rng.choice(np.arange(5), size=n, p=[0.35, 0.35, 0.1, 0.15, 0.05]),
        "wages": np.clip(np.round(rng.lognormal(np.log(220_000), 0.7, n)), 40_000, 2_500_000),
        "taxable_interest": np.where(rng.random(n) < 0.5, np.round(rng.uniform(0, 20_000, n)), 0.0),
        "ordinary_dividends": dividends,
        "qualified_dividends": np.round(dividends * rng.uniform(0, 1, n)),
        "short_term_gain": np.where(rng.random(n) < 0.3, np.round(rng.uniform(-20_000, 40_000, n)), 0.0),
        "long_term_gain": np.where(rng.random(n) < 0.5, np.round(rng.uniform(-15_000, 300_000, n)), 0.0),
        "other_ordinary_income": np.where(rng.random(n) < 0.2, np.round(rng.uniform(0, 100_000, n)), 0.0),
        "state_local_tax": np.where(rng.random(n) < 0.7, np.round(rng.uniform(0, 80_000, n)), 0.0),
        "mortgage_interest": np.where(rng.random(n) < 0.5, np.round(rng.uniform(0, 40_000, n)), 0.0),
        "charitable": np.where(rng.random(n) < 0.5, np.round(rng.uniform(0, 25_000, n)), 0.0),
        "other_itemized": np.where(rng.random(n) < 0.1, np.round(rng.uniform(0, 10_000, n)), 0.0),
        "iso_bargain_element": np.where(rng.random(n) < 0.75, np.round(rng.uniform(0, 900_000, n)), 0.0),
    }


#: The deduction elections the bit-for-bit checks run (``check_engine_bits.py``, ``check_room_bits.py``).
DEDUCTIONS = ("auto", "standard", "itemized")


def differing(a: Path, b: Path) -> list[str]:
    """The ``.npy`` arrays saved in ``a`` and ``b`` that differ in dtype, shape or any byte (so 0.0 and -0.0
    differ), each with its count of differing rows and the first."""
    names = sorted(p.name for p in a.glob("*.npy"))
    if not names or names != sorted(p.name for p in b.glob("*.npy")):
        return ["(the two runs saved different arrays)"]
    bad = []
    for name in names:
        x, y = np.load(a / name), np.load(b / name)
        if x.dtype != y.dtype or x.shape != y.shape:
            bad.append(f"{name} (dtype or shape)")
        elif x.tobytes() != y.tobytes():
            rows = np.flatnonzero(x.view(f"u{x.itemsize}") != y.view(f"u{y.itemsize}"))
            bad.append(f"{name} ({rows.size} rows, first {rows[0]})")
    return bad


def bits_against_tree(doc: str, script: str, save: Callable[[Path, int], None], compared: str) -> None:
    """The command line of a bit-for-bit check: ``save(out, rows)`` runs with this tree and, in a separate process
    running ``script --save`` with ``PYTHONPATH`` set to ``--against``, with the other tree; the saved arrays are
    compared (:func:`differing`) and the process exits 1 when any differs. ``--cache DIR`` keeps the other tree's
    arrays in DIR and reuses them. ``compared``: what the summary line says was compared, before ``N arrays``."""
    import argparse
    import os
    import subprocess
    import sys
    import tempfile

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--against", help="the other tree's src directory (imported in a separate process)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cache", help="keep (and reuse) the other tree's arrays in this directory")
    parser.add_argument("--save", help=argparse.SUPPRESS)  # the separate process: save into this directory
    args = parser.parse_args()
    if args.save:
        save(Path(args.save), args.rows)
        return
    if not args.against:
        parser.error("--against is required")
    with tempfile.TemporaryDirectory() as tmp:
        mine = Path(tmp, "this")
        mine.mkdir()
        theirs = Path(args.cache) / str(args.rows) if args.cache else Path(tmp, "other")
        if not (theirs / "done").exists():
            theirs.mkdir(parents=True, exist_ok=True)
            env = dict(os.environ, PYTHONPATH=args.against)
            subprocess.run([sys.executable, script, "--save", str(theirs), "--rows", str(args.rows)], env=env,
                           check=True)
            (theirs / "done").write_text(args.against)
        save(mine, args.rows)
        bad = differing(mine, theirs)
        n = len(list(mine.glob("*.npy")))
    print(f"{args.rows:,} {compared}, elections {', '.join(DEDUCTIONS)}: {n} arrays compared with {args.against}, "
          f"{len(bad)} differ{': ' + ', '.join(bad) if bad else ''}")
    sys.exit(1 if bad else 0)
