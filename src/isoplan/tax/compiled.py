"""Run the kernel's row functions: interpreted, or compiled by numba for batches.

:mod:`isoplan.tax.kernel` holds the law arithmetic once, as plain Python. A
batch of more than :data:`INTERPRETED_ROWS` rows runs those functions
compiled once compiled code is loaded in this process, or once interpreting
would cost more than loading it (:func:`interpret`), and a smaller batch
once its compiled loop has run here (:data:`COMPILED_RAN`): numba is imported (on
first use), the functions are registered as jit-able and run compiled, in
one thread, or for :data:`PARALLEL_ROWS` rows and more in chunks split across
the cores (``prange``). The machine code is cached on disk (``cache=True``:
next to the sources, or numba's user cache directory when that is not
writable), so only the first batch after an install compiles; ``make demo``
runs :func:`warm` so that no user waits for it. Loading it still takes a new
process a second or two, in which the interpreter computes tens of thousands
of households: until then a batch runs the very same functions interpreted
and never imports numba (as one ``isoplan tax`` household always runs).
"""

from __future__ import annotations

import functools
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from isoplan.tax import kernel
from isoplan.tax.law import LawTable

#: Batches up to this many rows run interpreted until their compiled loop has run here (:data:`COMPILED_RAN`).
INTERPRETED_ROWS = 64
#: Seconds a new process takes to run its first compiled loop: importing numba, setting up its compiler and loading
#: the loop's machine code from the cache (1.0-2.4 s on the 2-core development machine at load averages 2-7, against
#: tens of milliseconds for each further loop). A batch costing the interpreter less runs interpreted
#: (:func:`interpret`).
LOAD_SECONDS = 1.5
#: Seconds the interpreter takes for a household of :func:`federal` (22-30 us measured, both elections) and for
#: a row of :func:`form6251` (3-5 us): with :data:`LOAD_SECONDS`, about 50,000 households. End to end, ``tax
#: --batch`` to CSV ran faster interpreted up to 30,000 rows and compiled from 60,000 (load average 4-7).
FEDERAL_ROW_SECONDS = 30e-6
FORM6251_ROW_SECONDS = 4e-6
#: Batches of at least this many rows are split across the cores.
PARALLEL_ROWS = 100_000
#: Rows per parallel chunk: many chunks per core (even load), each long enough to amortize its scratch lines.
CHUNK_ROWS = 4096


def readonly(values: Any, dtype: type) -> np.ndarray:
    """``values`` as a C-contiguous, read-only array of ``dtype`` (a view when it already is one), so every
    compiled call sees the same argument types."""
    arr: np.ndarray = np.asarray(values, dtype=dtype)
    if not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr)
    if arr.flags.writeable:
        arr = arr.view()
        arr.flags.writeable = False
    return arr


@dataclass
class CompiledCode:
    """Compiled code in this process: whether it runs here, and what running batches without it cost so far."""

    #: Compiled code is loaded, or being loaded ahead of a batch that will run it (:func:`use_compiled`).
    loaded: bool = False
    #: Seconds compiled code would have saved the batches run without it (estimated, as :func:`interpret` takes them).
    interpreted_seconds: float = 0.0


#: This process's compiled code (a test sets ``loaded`` to run the compiled loops on small batches).
PROCESS = CompiledCode()


def compiled_loaded() -> bool:
    """Whether compiled code runs in this process: loaded ahead (:func:`use_compiled`), or numba imported (every
    compiled loop of isoplan imports it only to run at once, so that its compiler is set up)."""
    return PROCESS.loaded or "numba" in sys.modules


def use_compiled() -> None:
    """From now on batches of more than their module's ``INTERPRETED_ROWS`` run compiled in this process (for a
    batch file that will, whose loops load ahead, and for the warm-up steps)."""
    PROCESS.loaded = True


def interpret(seconds: float) -> bool:
    """Whether a batch of more than ``INTERPRETED_ROWS`` rows that takes about ``seconds`` longer without compiled
    code runs without it (interpreted): only while no compiled code runs in this process and the time so lost, this
    batch's included, stays below loading it (:data:`LOAD_SECONDS`). A small batch file's process so never loads numba;
    a long-running one (the web server) interprets until that adds up to a load, then loads once and runs
    compiled: never more than about twice the time of the better choice made knowing the future.

    The engine, the room solver and the CSV row writer share this account: once one loads compiled code, the
    others' loops load in tens of milliseconds. The paths give the same numbers, bit for bit.
    """
    if compiled_loaded():
        return False
    total = PROCESS.interpreted_seconds + seconds
    if total > LOAD_SECONDS:
        return False
    PROCESS.interpreted_seconds = total
    return True


@functools.cache
def register_row_functions() -> None:
    """Make the kernel's row functions callable from compiled loops, once per process (imports numba).

    Every compiled loop that calls them (the engine's here, the room solver's) registers them through this
    function: numba keeps the first registration of a function, so a second one with other options would
    depend on which loop was compiled first.
    """
    from numba.extending import register_jitable

    for function in kernel.ROW_FUNCTIONS:
        # Inlined into the loop (LLVM's always-inline, not numba's IR inlining, which compiles for minutes), and
        # without reference counting: a row function only borrows the loop's arrays, so counting them costs two
        # atomic operations per array per call (most of a row's time) and guards nothing.
        register_jitable(_nrt=False, forceinline=True)(function)


def cached_jit(function: Callable[..., Any], **options: Any) -> Any:
    """``function`` compiled by numba without the GIL (``options``: numba's), its machine code cached on disk (imports
    numba). A new process loads that code without first setting up numba's compiler: numba's own cache sets up
    every typing and lowering rule it has before each load (a fifth of a second and more, holding the GIL while a
    batch file is read), though running machine code needs only its runtime; a compile (no cached code yet) still
    sets them all up itself."""
    import numba

    cache = _loading_cache()
    if cache is None:  # a numba whose cache this does not know: its own, as it is
        return numba.njit(cache=True, nogil=True, **options)(function)
    dispatcher = numba.njit(nogil=True, **options)(function)
    dispatcher._cache = cache(dispatcher.py_func)  # as numba's Dispatcher.enable_caching sets its cache
    return dispatcher


@functools.cache
def _loading_cache() -> type | None:
    """numba's cache of a function's machine code, loading without setting up the compiler (:func:`cached_jit`);
    None when numba's cache lacks the parts it overrides."""
    from numba.core.caching import FunctionCache
    from numba.core.runtime.nrt import rtsys

    if not all(hasattr(FunctionCache, name) for name in ("_load_overload", "_guard_against_spurious_io_errors")):
        return None

    class LoadingCache(FunctionCache):
        def load_overload(self, sig: Any, target_context: Any) -> Any:
            # numba's load_overload refreshes target_context (every rule) and, within that, sets up its runtime,
            # which the machine code calls (allocation, reference counts): only the runtime here
            rtsys.initialize(target_context)
            with self._guard_against_spurious_io_errors():
                return self._load_overload(sig, target_context)  # type: ignore[no-untyped-call]

    return LoadingCache


#: The engine's drivers by name: one thread, or split across the cores (``_parallel``).
DRIVERS: dict[str, Callable[..., None]] = {"federal": kernel.federal_chunks, "form6251": kernel.form6251_chunks}


@functools.cache
def _compiled(name: str) -> Callable[..., None]:
    """The compiled driver ``name`` (:data:`DRIVERS`, ``_parallel`` for the one split across the cores), each made
    only when first run: a batch loads the machine code of the one variant it runs (imports numba; loads the
    cached machine code, or compiles it once)."""
    import numba  # a heavy import: only for batches

    register_row_functions()
    if name.endswith("_parallel"):
        driver = _in_parallel(DRIVERS[name.removesuffix("_parallel")], numba.prange)
        compiled: Callable[..., None] = cached_jit(driver, parallel=True, error_model="numpy")
    else:
        compiled = cached_jit(DRIVERS[name], error_model="numpy")
    return compiled


#: The one-thread compiled drivers that have run in this process. Once one has, a batch of any size runs it: its
#: machine code is loaded, and a compiled call then costs less than interpreting even one household (45 us against
#: 64 us, 0.05 ms against 1.4 ms for 64). Until then a small batch runs interpreted rather than wait for the load.
COMPILED_RAN: set[str] = set()


#: The last parameter table the interpreter read, with its rows as lists of Python floats: a small batch (one web
#: request makes a dozen) then reads the law without converting the whole table each time.
_table_list: tuple[np.ndarray, list[list[float]]] = (np.empty(0), [])


def _as_list(table: np.ndarray) -> list[list[float]]:
    """``table``'s rows as lists of Python floats (reused while the same table object is passed)."""
    global _table_list
    last_table, rows = _table_list
    if last_table is not table:
        rows = table.tolist()
        _table_list = (table, rows)
    return rows


def _driver(name: str, n: int) -> Callable[..., None]:
    """The compiled driver for ``n`` rows: split across the cores only when the batch is large enough to repay
    waking the other threads (on a busy machine a wake-up can cost more than a small batch)."""
    return _compiled(f"{name}_parallel" if n >= PARALLEL_ROWS else name)


def _in_parallel(driver: Callable[..., None], prange: Any) -> Callable[..., None]:
    """A copy of a kernel driver whose ``prange`` is numba's. The copy keeps the driver's code, so numba's
    cache is keyed to kernel.py and a change to the law arithmetic there is recompiled."""
    namespace = dict(driver.__globals__, prange=prange)
    copy = types.FunctionType(driver.__code__, namespace, driver.__name__, driver.__defaults__, driver.__closure__)
    copy.__qualname__ = f"{driver.__qualname__}_parallel"  # its own cache entry, apart from the one-thread driver
    copy.__module__ = driver.__module__
    return copy


def federal(x: tuple[np.ndarray, ...], year: np.ndarray, status: np.ndarray, first_year: int, table: np.ndarray,
            n_tops: int, mode: int, keep: np.ndarray) -> np.ndarray:
    """The kept lines of every household, shape ``(len(keep), n)`` (see :func:`kernel.federal_rows`)."""
    n = year.shape[0]
    out = np.empty((keep.shape[0], n))
    if (n <= INTERPRETED_ROWS and "federal" not in COMPILED_RAN) or interpret(n * FEDERAL_ROW_SECONDS):
        block = range(min(n, kernel.BLOCK_ROWS))
        kernel.federal_rows(0, n, tuple(a.tolist() for a in x), year.tolist(), status.tolist(), first_year,
                            _as_list(table), kernel.bracket_tops(n_tops), mode, keep.tolist(), out,
                            [[0.0] * kernel.N_INPUTS for _ in block], [[0.0] * table.shape[1] for _ in block],
                            [[0.0] * kernel.N_LINES for _ in block], [0.0] * kernel.N_LINES)
        return out
    _driver("federal", n)(
        tuple(readonly(a, np.float64) for a in x), readonly(year, np.int64), readonly(status, np.int8),
        int(first_year), readonly(table, np.float64), kernel.bracket_tops(n_tops), int(mode),
        readonly(keep, np.uint64), out, CHUNK_ROWS)  # unsigned: the compiled loop reads v[keep[j]] unchecked
    if n < PARALLEL_ROWS:
        COMPILED_RAN.add("federal")
    return out


def form6251(amti_before_addon: np.ndarray, status: np.ndarray, line13: np.ndarray, line21: np.ndarray,
             line29: np.ndarray, law_row: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Form 6251 lines of :data:`kernel.FORM6251_KEYS` for every row, shape ``(9, n)``."""
    n = status.shape[0]
    out = np.empty((len(kernel.FORM6251_KEYS), n))
    if (n <= INTERPRETED_ROWS and "form6251" not in COMPILED_RAN) or interpret(n * FORM6251_ROW_SECONDS):
        kernel.form6251_rows(0, n, amti_before_addon.tolist(), status.tolist(), line13.tolist(), line21.tolist(),
                             line29.tolist(), law_row.tolist(), _as_list(table), out)
        return out
    _driver("form6251", n)(
        readonly(amti_before_addon, np.float64), readonly(status, np.int8), readonly(line13, np.float64),
        readonly(line21, np.float64), readonly(line29, np.float64), readonly(law_row, np.intp),
        readonly(table, np.float64), out, CHUNK_ROWS)
    if n < PARALLEL_ROWS:
        COMPILED_RAN.add("form6251")
    return out


def warm() -> None:
    """Compile (or load from the cache) every loop, on a small batch of each."""
    from isoplan.tax.law import law_table

    use_compiled()
    law = law_table()
    table, n_tops = kernel_table(law)
    n = PARALLEL_ROWS
    income = np.linspace(0.0, 1e6, n)
    x = tuple(income if name == "wages" else np.zeros(n) for name in kernel.INPUT_FIELDS)
    year = np.full(n, law.first_year, dtype=np.int64)
    status = np.zeros(n, dtype=np.int8)
    for rows in (INTERPRETED_ROWS + 1, n):  # one thread, then across the cores
        for mode in kernel.DEDUCTION_MODES.values():
            federal(tuple(a[:rows] for a in x), year[:rows], status[:rows], law.first_year, table, n_tops, mode,
                    np.arange(kernel.N_LINES))
        form6251(income[:rows], status[:rows], np.zeros(rows), np.zeros(rows), np.zeros(rows),
                 np.zeros(rows, dtype=np.intp), table)


def kernel_table(law: LawTable) -> tuple[np.ndarray, int]:
    """The kernel's parameter table of ``law`` (a LawTable) and its number of ordinary bracket tops (cached)."""
    cached: tuple[np.ndarray, int] | None = law.derived.get("kernel_table")
    if cached is None:
        packed = law.packed
        blocks = []
        n_tops = packed.columns["ordinary_brackets"][1]
        for name, width in kernel.KERNEL_PARAMETERS:
            start, have = packed.columns[name]
            if width and have != width:
                raise ValueError(f"law parameter {name} has {have} values per status; the forms use {width}")
            blocks.append(packed.table[:, start:start + have])
        if packed.columns["ordinary_rates"][1] != n_tops + 1:
            raise ValueError("law: ordinary_rates needs one rate more than ordinary_brackets has tops")
        start, have = packed.columns["ordinary_rates"]
        rates = packed.table[:, start:start + have]
        blocks.append(rates[:, 1:] - rates[:, :-1])  # the rate steps (float64, as the kernel would subtract them)
        table = np.ascontiguousarray(np.concatenate(blocks, axis=1))
        table.flags.writeable = False
        cached = (table, n_tops)
        law.derived["kernel_table"] = cached
    return cached


if __name__ == "__main__":
    warm()
