"""Machine code loaded in a background thread while a batch file is read (``tax --batch``, ``room --batch``).

A new process that runs a batch compiled loads the engine's (or the room solver's) loop and the CSV row writer's
from numba's cache: a second or two, mostly spent waiting on the disk and in LLVM. It does so only when the batch
would cost the interpreter more than that (estimated from the file's size before it is read): a file of up to tens
of thousands of rows runs interpreted and never imports numba. Reading and checking a larger file takes about as
long as the loading and runs mostly in pyarrow and NumPy outside the GIL, so the two overlap.
:func:`isoplan.app.batch.batch_households` waits for the loading before it hands the households on.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from isoplan.app.batch import is_parquet, preloading

__all__ = ["preload_compiled", "preload_for_serving"]

#: Bytes of a CSV file looked at to estimate its number of rows.
SAMPLE_BYTES = 1 << 16
#: Columns ``room --batch`` adds to the file's: the room, its flag, the credit line and the two share counts (``tax``
#: adds the engine's outputs and ``projected``).
ROOM_OUTPUT_COLUMNS = 5


def preload_compiled(command: Literal["tax", "room"], path: str, *, csv_out: bool) -> None:
    """Start loading the machine code the command will run (the reading of digit cells for the check, the engine's or
    the room solver's loop, and the CSV row writer when ``csv_out``, else the rounding of Parquet amounts) in a
    background thread, while this thread reads and checks ``path``.

    Loading it is mostly waiting on the disk and on LLVM, a second or so, and reading the file mostly runs in
    pyarrow and NumPy outside the GIL: the two overlap. The loop is loaded by running it on a few generated
    households, as many as the file is estimated to hold up to the size that splits work across the cores, so that
    the variant the batch runs is the one loaded. :func:`isoplan.app.batch.batch_households` waits for it before it
    returns (the engine's caches of compiled code are filled once, by one thread). A file the interpreter runs
    faster than the code loads (:func:`_interpreted_seconds`) loads nothing: its batch runs interpreted."""
    import threading

    from isoplan.tax import compiled

    estimate = _estimated_rows(path)
    if estimate is None:
        return
    rows, columns = estimate
    if _interpreted_seconds(command, rows, columns, csv_out) <= compiled.LOAD_SECONDS:
        return
    compiled.use_compiled()  # the whole batch runs compiled: its first steps do not interpret on their own account
    thread = threading.Thread(target=_preload, args=(command, rows, csv_out), name="isoplan-preload")
    thread.start()
    preloading.append(thread)


def preload_for_serving() -> None:
    """Run every batch compiled from now on in this long-running process (the web server, its worker processes), and
    load the engine's and the room solver's loops in a background thread meanwhile. A room page's curve is a few
    dozen households a request: by the rule for a new process (:func:`isoplan.tax.compiled.interpret`) the
    interpreter would compute them, each request some milliseconds slower, for the first several hundred requests
    until the time lost added up to one load; and its room, one household, runs compiled once the solver's loop has
    run here (:func:`isoplan.planning.room_kernel.few_rooms`)."""
    import threading

    from isoplan.tax import compiled

    compiled.use_compiled()
    threading.Thread(target=_preload_serving, args=(compiled.INTERPRETED_ROWS + 1,), name="isoplan-preload",
                     daemon=True).start()


def _preload_serving(rows: int) -> None:
    for command in ("tax", "room"):
        _preload(command, rows, False)


def _estimated_rows(path: str) -> tuple[int, int] | None:
    """About how many households a batch file holds, and its number of columns (None: nothing to read)."""
    try:
        size = Path(path).stat().st_size
        if is_parquet(path):
            import pyarrow.parquet as pq  # type: ignore[import-untyped]

            meta = pq.read_metadata(path)
            return int(meta.num_rows), int(meta.num_columns)
        with open(path, "rb") as handle:
            sample = handle.read(SAMPLE_BYTES)
    except Exception:  # an unreadable file is named by the read itself: nothing to load ahead
        return None
    if not sample:
        return None
    return size * max(sample.count(b"\n") - 1, 1) // len(sample), sample.split(b"\n", 1)[0].count(b",") + 1


def _interpreted_seconds(command: str, rows: int, columns: int, csv_out: bool) -> float:
    """About how much longer the batch takes without compiled code: the engine (or the room solver) interpreted on
    ``rows`` households, and for CSV results pyarrow's column-wise text of the file's ``columns`` and the command's."""
    if command == "room":
        from isoplan.planning.room_kernel import ROW_SECONDS

        seconds, added = rows * ROW_SECONDS, ROOM_OUTPUT_COLUMNS
    else:
        from isoplan.tax.compiled import FEDERAL_ROW_SECONDS
        from isoplan.tax.explain import OUTPUTS

        seconds, added = rows * FEDERAL_ROW_SECONDS, len(OUTPUTS) + 1
    if csv_out:
        from isoplan.app.batch_csv import CELL_SECONDS

        seconds += rows * (columns + added) * CELL_SECONDS
    return seconds


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
        from isoplan.app.batch_csv import warm

        warm(rows=False, cents=False)  # first the reading of digit cells, which the check of the file runs next
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
        warm(rows=csv_out, cents=not csv_out, digits=False)  # the CSV row writer, or Parquet amounts
    except Exception:  # loading ahead is only a head start: the batch loads what it runs itself, and names any error
        return
