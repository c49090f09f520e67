"""Rooms of this tree against another tree's, bit for bit, on the room benchmark's households.

    .venv/bin/python benchmarks/check_room_bits.py --against /path/to/other/src [--rows N]

Runs :func:`isoplan.planning.room.amt_room` on the households of
``bench_room.py`` for every deduction election, once with this tree and once
in a separate process importing the other tree (``PYTHONPATH`` set to
``--against``), saves every result field as ``.npy`` and compares them bit for
bit (float fields by their bytes, so 0.0 and -0.0 differ). Exits 1 when any
field differs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from dataclasses import fields
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEDUCTIONS = ("auto", "standard", "itemized")


def save_rooms(out: Path, rows: int) -> None:
    """Every :class:`RoomResult` field of the benchmark's households, per election, into ``out``."""
    sys.path.insert(0, str(HERE))
    import isoplan
    from bench_room import room_households
    from isoplan.planning.room import RoomResult, amt_room
    from isoplan.tax.law import law_table

    print(f"rooms of {Path(isoplan.__file__).parent}")
    law = law_table(None)
    h = room_households(rows)
    for deduction in DEDUCTIONS:
        result = amt_room(h, law, deduction=deduction)  # type: ignore[arg-type]
        for f in fields(RoomResult):
            np.save(out / f"{deduction}_{f.name}.npy", getattr(result, f.name))


def differing(a: Path, b: Path) -> list[str]:
    """Names of the saved fields whose arrays differ in dtype, shape or any byte."""
    names = sorted(p.name for p in a.glob("*.npy"))
    if not names or names != sorted(p.name for p in b.glob("*.npy")):
        return ["(the two runs saved different fields)"]
    bad = []
    for name in names:
        x, y = np.load(a / name), np.load(b / name)
        if x.dtype != y.dtype or x.shape != y.shape or x.tobytes() != y.tobytes():
            bad.append(name)
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", help="the other tree's src directory (imported in a separate process)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--save", help=argparse.SUPPRESS)  # the separate process: save into this directory
    args = parser.parse_args()
    if args.save:
        save_rooms(Path(args.save), args.rows)
        return
    if not args.against:
        parser.error("--against is required")
    with tempfile.TemporaryDirectory() as tmp:
        mine, theirs = Path(tmp, "this"), Path(tmp, "other")
        mine.mkdir()
        theirs.mkdir()
        save_rooms(mine, args.rows)
        env = dict(os.environ, PYTHONPATH=args.against)
        subprocess.run([sys.executable, __file__, "--save", str(theirs), "--rows", str(args.rows)], env=env,
                       check=True)
        bad = differing(mine, theirs)
        n = len(list(mine.glob("*.npy")))
    print(f"{args.rows:,} households, elections {', '.join(DEDUCTIONS)}: {n} result arrays compared with "
          f"{args.against}, {len(bad)} differ{': ' + ', '.join(bad) if bad else ''}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
