"""Rooms of this tree against another tree's, bit for bit, on the room benchmark's households.

    .venv/bin/python benchmarks/check_room_bits.py --against /path/to/other/src [--rows N]

Runs :func:`isoplan.planning.room.amt_room` on the households of
``bench_room.py`` for every deduction election, once with this tree and once
in a separate process importing the other tree (``PYTHONPATH`` set to
``--against``), saves every result field as ``.npy`` and compares them bit for
bit (float fields by their bytes, so 0.0 and -0.0 differ). Exits 1 when any
field differs. ``--cache DIR`` keeps the other tree's rooms in DIR and reuses
them when they are there.
"""

from __future__ import annotations

import sys
from dataclasses import fields
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def save_rooms(out: Path, rows: int) -> None:
    """Every :class:`RoomResult` field of the benchmark's households, per election, into ``out``."""
    sys.path.insert(0, str(HERE))
    import isoplan
    from bench_room import room_households
    from common import DEDUCTIONS
    from isoplan.planning.room import RoomResult, amt_room
    from isoplan.tax.law import law_table

    print(f"rooms of {Path(isoplan.__file__).parent}")
    law = law_table(None)
    h = room_households(rows)
    for deduction in DEDUCTIONS:
        result = amt_room(h, law, deduction=deduction)  # type: ignore[arg-type]
        for f in fields(RoomResult):
            np.save(out / f"{deduction}_{f.name}.npy", getattr(result, f.name))


def main() -> None:
    sys.path.insert(0, str(HERE))
    from common import bits_against_tree

    bits_against_tree(__doc__ or "", __file__, save_rooms, "households")


if __name__ == "__main__":
    main()
