"""Long requests in worker processes: the same answers as on the request's thread, bad input as a 400 naming
the field, a full queue and an overrun budget as 503s, and pages that answer while a plan computes."""

from __future__ import annotations

import http.client
import os
import threading
import time

import pytest

from isoplan.web import create_app
from isoplan.web.server import serve_in_thread
from isoplan.web.worker import WORKER_NICENESS, Busy, Worker

from .conftest import Client


@pytest.fixture(scope="module")
def worker():
    w = Worker(1)
    yield w
    w.close()


@pytest.fixture
def worker_client(app, worker):
    app.worker = worker
    return Client(app)


def test_the_worker_answers_as_the_thread_does(client, worker_client):
    here = client.post("/api/plan").json()
    there = worker_client.post("/api/plan").json()
    assert here["outcome"] == there["outcome"]
    assert here["explain"] == there["explain"] and here["toml"] == there["toml"]


def test_bad_input_in_the_worker_names_the_field(worker_client):
    r = worker_client.post("/api/plan", {"toml": "[person\nfiling_status = 1"})
    assert r.status == 400 and r.json()["error"]["field"] == "toml"


def test_a_full_queue_is_a_503_at_once(worker_client, worker):
    taken = 0
    while worker._slots.acquire(blocking=False):  # every running and waiting place taken
        taken += 1
    try:
        start = time.perf_counter()
        r = worker_client.post("/api/plan")
        assert r.status == 503 and "busy" in r.json()["error"]["message"]
        assert time.perf_counter() - start < 1.0
        with pytest.raises(Busy):
            worker.run("plan_page", {}, None, 10.0)
    finally:
        for _ in range(taken):
            worker._slots.release()


def test_past_the_budget_the_worker_is_stopped(db):
    app = create_app(db=db)
    app.worker = Worker(1)
    app.time_budget = 0.05  # far less than a plan takes
    try:
        r = Client(app, host="127.0.0.1:8765").post("/api/plan")
        assert r.status == 503 and "time budget" in r.json()["error"]["message"]
        assert app.worker._pool is None  # stopped; the next long request starts a fresh one
    finally:
        app.worker.close()


def test_pages_answer_while_a_plan_computes(db):
    """Over HTTP: a room request made after a plan started returns before the plan does."""
    app = create_app(db=db, port=0)
    server, _ = serve_in_thread(app, 0, workers=1)
    port = server.server_port
    headers = {"Host": f"127.0.0.1:{port}"}
    finished: dict[str, float] = {}

    def plan() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("POST", "/api/plan", body=b"{}", headers={**headers, "Content-Type": "application/json",
                                                                 "X-CSRF-Token": app.csrf_token})
        assert conn.getresponse().status == 200
        finished["plan"] = time.perf_counter()

    try:
        thread = threading.Thread(target=plan)
        thread.start()
        time.sleep(0.2)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/api/room?year=2026&filing_status=single&wages=200000", headers=headers)
        assert conn.getresponse().status == 200
        finished["room"] = time.perf_counter()
        thread.join(120)
        assert finished["room"] < finished["plan"]
    finally:
        server.shutdown()
        server.server_close()
        assert app.worker is not None
        app.worker.close()


@pytest.mark.skipif(not hasattr(os, "nice"), reason="process priority is POSIX's")
def test_workers_defer_to_the_server(worker):
    worker.run("plan_page", {}, None, 60.0)  # the pool exists once a long request ran
    niceness = worker._executor().submit(os.nice, 0).result(timeout=60)
    assert niceness == min(os.nice(0) + WORKER_NICENESS, 19)


def test_the_server_and_its_workers_run_compiled_from_the_start(app, worker, monkeypatch):
    from isoplan.tax import compiled

    monkeypatch.setattr(compiled, "PROCESS", compiled.CompiledCode())  # as in a new process: not switched on
    server, _ = serve_in_thread(app, 0)
    try:
        assert compiled.PROCESS.loaded
    finally:
        server.shutdown()
        server.server_close()
    worker.run("plan_page", {}, None, 60.0)
    assert worker._executor().submit(compiled.compiled_loaded).result(timeout=60)  # so its batches run compiled
