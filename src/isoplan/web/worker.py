"""Long requests (a plan, a risk run, a checklist, a report) computed in worker processes.

A plan is seconds of NumPy and Python work; computed on one of the server's
threads it holds the interpreter lock, and every page and room request waits
behind it. Here it runs in a separate process (``forkserver`` where the
platform has it, else ``spawn``: no copy of the server's threads or sockets),
created at the first long request. The worker calls the same handler the
in-process path calls and sends back its record (the use case's ``as_dict()``
data, or the plan page's record holding it), which the server serialises as
for the in-process path.

Bounds: at most ``workers`` computations run and ``waiting`` more queue;
past that the answer is 503 at once. A computation past the app's time budget is
answered with 503 and its worker processes are stopped (the next long request
starts fresh ones), so a runaway plan cannot hold a core.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import threading
from collections.abc import Mapping
from typing import Any

from isoplan.errors import InputError

__all__ = ["LONG_HANDLERS", "Busy", "OverBudget", "Worker", "compute_long"]

#: the long handlers of :mod:`isoplan.web.plan_api`, by name; True when the handler takes the ledger path
LONG_HANDLERS = {"plan_page": False, "risk_page": False, "checklist_page": True, "report_html": True}


class Busy(Exception):
    """Every worker is computing and the queue is full."""


class OverBudget(Exception):
    """The computation took longer than the time budget."""


def compute_long(name: str, body: Mapping[str, Any], db: str | None) -> tuple[str, Any]:
    """Run handler ``name`` of :mod:`isoplan.web.plan_api` (in the worker): ``("ok", its record)`` (the
    record's ``as_dict()`` data, or the page record holding it) or ``("input", InputError's fields)`` (the
    error is rebuilt in the server, as its own type does not pickle)."""
    from isoplan.web import plan_api

    handler = getattr(plan_api, name)
    try:
        result = handler(body, db=db) if LONG_HANDLERS[name] else handler(body)
    except InputError as err:
        return "input", (err.field, err.value, err.allowed, err.row, err.source)
    return "ok", result


#: how much the worker processes defer to the server (the ``nice`` increment, POSIX; 19 is the lowest priority): a
#: plan is seconds of work a person waits for once, a page or room request milliseconds that each click waits for,
#: so when both want a core the requests go first. At 10 a worker still took about a tenth of the server's core
#: when they shared one (20 clients' p99 101-107 ms against 89-93 ms at 19, plans as fast: 0.94 s)
WORKER_NICENESS = 19


def _start_worker() -> None:
    """A fresh worker lowers its priority (:data:`WORKER_NICENESS`), imports the planning stack once (the first
    plan pays no import) and runs its batches compiled (a plan is hundreds of thousands of engine rows)."""
    if hasattr(os, "nice"):
        os.nice(WORKER_NICENESS)
    import isoplan.app.plan
    import isoplan.web.plan_api  # noqa: F401
    from isoplan.app.batch_preload import preload_for_serving

    preload_for_serving()


class Worker:
    """A lazily created pool of worker processes with a bounded queue (module docstring)."""

    def __init__(self, workers: int = 1, waiting: int = 4) -> None:
        self.workers = workers
        self._slots = threading.BoundedSemaphore(workers + waiting)
        self._lock = threading.Lock()
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                methods = multiprocessing.get_all_start_methods()
                context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
                self._pool = concurrent.futures.ProcessPoolExecutor(self.workers, mp_context=context,
                                                                    initializer=_start_worker)
            return self._pool

    def run(self, name: str, body: Mapping[str, Any], db: str | None, seconds: float) -> Any:
        """Handler ``name``'s JSON data, computed in a worker; raises :class:`InputError`, :class:`Busy` or
        :class:`OverBudget`."""
        if not self._slots.acquire(blocking=False):
            raise Busy(f"{self.workers} computation(s) running and the queue is full")
        try:
            pool = self._executor()
            future = pool.submit(compute_long, name, dict(body), db)
            try:
                kind, data = future.result(timeout=seconds)
            except concurrent.futures.TimeoutError:
                self._stop(pool)
                raise OverBudget(seconds) from None
            except concurrent.futures.process.BrokenProcessPool:
                self._stop(pool)
                raise
        finally:
            self._slots.release()
        if kind == "input":
            field, value, allowed, row, source = data
            raise InputError(field, value, allowed, row=row, source=source)
        return data

    def _stop(self, pool: concurrent.futures.ProcessPoolExecutor) -> None:
        """Stop ``pool``'s processes now (a computation past its budget); the next request starts a new pool."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
        # the executor has no public way to stop a running task: terminate its processes (Python 3.14 adds
        # ProcessPoolExecutor.terminate_workers for this)
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
