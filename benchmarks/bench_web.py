"""Speed of the web app over real HTTP on the loopback (issue 8 targets).

    .venv/bin/python benchmarks/bench_web.py [--rounds N]

Starts the server on a free 127.0.0.1 port in a thread (a temporary ledger),
then times, as a browser would see them, full HTTP round trips:

* a room-calculator recompute (``GET /api/room`` with an exercise: the room,
  the exercise cost, the 81-point AMT curve and the form lines), target < 100 ms;
* a full plan page (``GET /plan`` plus ``POST /api/plan`` for the bundled
  example: optimizer, baselines and each year's form lines), target < 1 s.

Prints the median and the worst of the warm rounds (the first call, which
loads the law tables, is reported separately).
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import tempfile
import time
from pathlib import Path

from isoplan.web import create_app
from isoplan.web.server import serve_in_thread

ROOM_TARGET, PLAN_TARGET = 0.100, 1.0
ROOM_QUERY = ("/api/room?year=2026&filing_status=single&wages={wages}&shares=2000&strike=10&fmv=60"
              "&cash=50000&drop=0.5&state_local_tax=12000")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
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
