"""Machine code loaded in a background thread while a batch file is read (``tax --batch``, ``room --batch``).

A new process that runs a large batch loads the engine's (or the room solver's) compiled loop and the CSV row
writer's from numba's cache: a second or so, mostly spent waiting on the disk and in LLVM. Reading and checking
the file takes about as long and runs mostly in pyarrow and NumPy outside the GIL, so the two overlap.
:func:`isoplan.app.batch.batch_households` waits for the loading before it hands the households on.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from isoplan.app.batch import is_parquet, preloading

__all__ = ["PRELOAD_MIN_BYTES", "preload_compiled"]

#: Batch files smaller than this are read before any compiled code would load: no loading in the background.
PRELOAD_MIN_BYTES = 1_000_000
#: Bytes of a CSV file looked at to estimate its number of rows.
SAMPLE_BYTES = 1 << 16


def preload_compiled(command: Literal["tax", "room"], path: str, *, csv_out: bool) -> None:
    """Start loading the machine code the command will run (the engine's or the room solver's loop, and the CSV
    row writer when ``csv_out``) in a background thread, while this thread reads and checks ``path``.

    Loading it is mostly waiting on the disk and on LLVM, a second or so, and reading the file mostly runs in
    pyarrow and NumPy outside the GIL: the two overlap. The loop is loaded by running it on a few generated
    households, as many as the file is estimated to hold up to the size that splits work across the cores, so that
    the variant the batch runs is the one loaded. :func:`isoplan.app.batch.batch_households` waits for it before it
    returns (the engine's caches of compiled code are filled once, by one thread). A small file loads nothing
    ahead."""
    import threading

    rows = _estimated_rows(path)
    if rows is None:
        return
    thread = threading.Thread(target=_preload, args=(command, rows, csv_out), name="isoplan-preload")
    thread.start()
    preloading.append(thread)


def _estimated_rows(path: str) -> int | None:
    """About how many households a batch file holds (None: a small file, or none to read)."""
    try:
        size = Path(path).stat().st_size
        if size < PRELOAD_MIN_BYTES:
            return None
        if is_parquet(path):
            import pyarrow.parquet as pq  # type: ignore[import-untyped]

            return int(pq.read_metadata(path).num_rows)
        with open(path, "rb") as handle:
            sample = handle.read(SAMPLE_BYTES)
    except Exception:  # an unreadable file is named by the read itself: nothing to load ahead
        return None
    return size * max(sample.count(b"\n") - 1, 1) // len(sample)


def _preload(command: str, rows: int, csv_out: bool) -> None:
    import gc

    collecting = gc.isenabled()
    gc.disable()  # loading makes numba's many objects and few cycles: the collector would walk them again and again
    try:
        _load(command, rows, csv_out)
    finally:
        gc.freeze()  # what loading made lives until the process ends: later collections need not walk it
        if collecting:
            gc.enable()


def _load(command: str, rows: int, csv_out: bool) -> None:
    import numpy as np

    from isoplan.tax.households import households
    from isoplan.tax.law import law_table

    try:
        if command == "room":
            from isoplan.planning.room import amt_room
            from isoplan.planning.room_kernel import INTERPRETED_ROWS, PARALLEL_ROWS

            run: Callable[[Any, Any], Any] = amt_room
        else:
            from isoplan.tax.compiled import INTERPRETED_ROWS, PARALLEL_ROWS
            from isoplan.tax.explain import OUTPUTS
            from isoplan.tax.federal import compute_federal

            run = functools.partial(compute_federal, keep=OUTPUTS)
        if rows > INTERPRETED_ROWS:
            law = law_table()
            n = min(rows, PARALLEL_ROWS)
            wages = np.linspace(0.0, 1e6, n)
            run(households(year=np.full(n, law.first_year), filing_status=np.zeros(n, dtype=np.int8), wages=wages,
                           mortgage_interest=wages / 20, iso_bargain_element=wages / 10), law)
        if csv_out:
            from isoplan.app.batch_csv import warm

            warm()
    except Exception:  # loading ahead is only a head start: the batch loads what it runs itself, and names any error
        return
