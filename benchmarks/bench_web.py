"""Speed of the web app over real HTTP on the loopback.

    .venv/bin/python benchmarks/bench_web.py [--rounds N]
    .venv/bin/python benchmarks/bench_web.py --concurrent [--runs 5] [--clients 20] [--requests 50]

Starts the server on a free 127.0.0.1 port in a thread (a temporary ledger),
then times, as a browser would see them, full HTTP round trips:

* a room-calculator recompute (``GET /api/room`` with an exercise: the room,
  the exercise cost, the 81-point AMT curve and the form lines), target < 100 ms;
* a full plan page (``GET /plan`` plus ``POST /api/plan`` for the bundled
  example: optimizer, baselines and each year's form lines), target < 1 s.

Prints the median and the worst of the warm rounds (the first call, which
loads the law tables, is reported separately).

``--concurrent``: ``--clients`` clients (threads of a separate process, so
they do not share the server's interpreter lock) each make ``--requests``
requests, pages and room recomputes in turn, while plans run one after
another (``POST /api/plan``, computed in the server's worker process). Per
run: p50 and p99 latency of the page and room requests and requests per
second, and the server's CPU time per request; printed as the median and range of ``--runs`` runs. ``--in-thread``
computes the plans on the server's threads instead (the server before worker
processes), for comparison. Bounded: at most ``--runs`` runs of
``clients * requests`` requests, each with a 60 s timeout.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from isoplan.web import create_app
from isoplan.web.server import serve_in_thread

ROOM_TARGET, PLAN_TARGET = 0.100, 1.0
ROOM_QUERY = ("/api/room?year=2026&filing_status=single&wages={wages}&shares=2000&strike=10&fmv=60"
              "&cash=50000&drop=0.5&state_local_tax=12000")


PAGES = ("/", "/plan", "/risk", "/ledger")
P99_TARGET = 0.100


def _load(port: int, clients: int, requests: int) -> tuple[list[float], float, list[float]]:
    """In a separate process: ``clients`` threads making ``requests`` page and room requests each; the
    latencies (s), the wall time, and the latencies of the room requests alone."""
    host = f"127.0.0.1:{port}"
    latencies: list[float] = []
    rooms: list[float] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        mine, my_rooms = [], []
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i in range(requests):
            path = ROOM_QUERY.format(wages=150_000 + 1_000 * ((k * requests + i) % 200)) if i % 2 else \
                PAGES[(k + i) % len(PAGES)]
            start = time.perf_counter()
            conn.request("GET", path, headers={"Host": host})
            res = conn.getresponse()
            res.read()
            mine.append(time.perf_counter() - start)
            if i % 2:
                my_rooms.append(mine[-1])
            if res.status != 200:
                raise SystemExit(f"GET {path}: HTTP {res.status}")
            if res.getheader("Connection", "").lower() == "close" or res.will_close:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.close()
        with lock:
            latencies.extend(mine)
            rooms.extend(my_rooms)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - start, rooms


def concurrent(runs: int, clients: int, requests: int, in_thread: bool) -> int:
    """Page and room latency under ``clients`` concurrent clients while plans compute (module docstring)."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(db=str(Path(folder) / "ledger.db"), port=0)
        server, _ = serve_in_thread(app, 0, workers=0 if in_thread else 1)
        port = server.server_port
        host = f"127.0.0.1:{port}"
        planning = threading.Event()
        plans: list[float] = []

        def plan_loop() -> None:
            while planning.is_set():
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
                start = time.perf_counter()
                conn.request("POST", "/api/plan", body=b"{}", headers={
                    "Host": host, "Content-Type": "application/json", "X-CSRF-Token": app.csrf_token})
                res = conn.getresponse()
                res.read()
                conn.close()
                if res.status != 200:
                    raise SystemExit(f"POST /api/plan: HTTP {res.status}")
                plans.append(time.perf_counter() - start)

        context = multiprocessing.get_context("spawn")
        p50s, p99s, rates, cpu, room_p99s = [], [], [], [], []
        with context.Pool(1) as pool:
            pool.apply(_load, (port, 1, 4))  # warm: the law tables, the client process
            for _ in range(runs):
                planning.set()
                runner = threading.Thread(target=plan_loop, daemon=True)
                runner.start()
                time.sleep(0.3)  # a plan is computing when the clients start
                cpu_before = time.process_time()
                latencies, wall, rooms = pool.apply(_load, (port, clients, requests))
                cpu.append((time.process_time() - cpu_before) / len(latencies))
                planning.clear()
                runner.join(300)
                latencies.sort()
                p50s.append(latencies[len(latencies) // 2])
                p99s.append(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))])
                rates.append(len(latencies) / wall)
                rooms.sort()
                room_p99s.append(rooms[min(len(rooms) - 1, int(0.99 * len(rooms)))] if rooms else float("nan"))
        server.shutdown()
        server.server_close()
        if app.worker is not None:
            app.worker.close()

    def cell(values: list[float], scale: float, unit: str) -> str:
        return (f"{statistics.median(values) * scale:8.1f} {unit} [{min(values) * scale:.1f} - "
                f"{max(values) * scale:.1f}]")

    where = "on the server's threads" if in_thread else "in a worker process"
    print(f"{clients} clients x {requests} page/room requests while plans compute {where}; median [range] of "
          f"{runs} runs; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  p50 {cell(p50s, 1000, 'ms')}   p99 {cell(p99s, 1000, 'ms')}   {cell(rates, 1, 'req/s')}   "
          f"plans completed {len(plans)} (median {statistics.median(plans) if plans else float('nan'):.2f} s)   "
          f"target p99 < {P99_TARGET * 1000:.0f} ms: {'OK' if statistics.median(p99s) < P99_TARGET else 'SLOW'}")
    print(f"  room requests alone: p99 {cell(room_p99s, 1000, 'ms')}")
    if not in_thread:  # this process runs only the server then (the plans compute in the worker process)
        print(f"  server CPU per page or room request {cell(cpu, 1000, 'ms')}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--concurrent", action="store_true", help="page and room latency while plans run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=50, help="requests per client per run")
    parser.add_argument("--in-thread", action="store_true", help="plans on the server's threads (comparison)")
    args = parser.parse_args()
    if args.concurrent:
        return concurrent(max(args.runs, 1), max(args.clients, 1), max(args.requests, 1), args.in_thread)
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(db=str(Path(folder) / "ledger.db"), port=0)
        server, _ = serve_in_thread(app, 0)
        port = server.server_port
        host = f"127.0.0.1:{port}"

        def call(method: str, path: str, body: bytes | None = None) -> bytes:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            headers = {"Host": host}
            if method == "POST":
                headers |= {"Content-Type": "application/json", "X-CSRF-Token": app.csrf_token}
            conn.request(method, path, body=body, headers=headers)
            res = conn.getresponse()
            data = res.read()
            conn.close()
            if res.status != 200:
                raise SystemExit(f"{method} {path}: HTTP {res.status}: {data[:200]!r}")
            return data

        def timed(fn) -> float:
            start = time.perf_counter()
            fn()
            return time.perf_counter() - start

        first_room = timed(lambda: call("GET", ROOM_QUERY.format(wages=200_000)))
        room = [timed(lambda i=i: call("GET", ROOM_QUERY.format(wages=150_000 + 1_000 * i)))
                for i in range(args.rounds)]
        first_plan = timed(lambda: (call("GET", "/plan"), call("POST", "/api/plan", b"{}")))
        plan = [timed(lambda: (call("GET", "/plan"), json.loads(call("POST", "/api/plan", b"{}"))))
                for _ in range(max(args.rounds // 3, 5))]
        server.shutdown()
        server.server_close()

    def line(name: str, first: float, times: list[float], target: float) -> str:
        med, worst = statistics.median(times), max(times)
        verdict = "OK" if worst < target else "SLOW"
        return (f"{name:<34} first {first * 1000:7.1f} ms   median {med * 1000:7.1f} ms   worst {worst * 1000:7.1f} ms"
                f"   target < {target * 1000:.0f} ms  {verdict}")

    print(line("room recompute (HTTP round trip)", first_room, room, ROOM_TARGET))
    print(line("full plan page (page + /api/plan)", first_plan, plan, PLAN_TARGET))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
