"""The loopback server: connections answered on reused threads, a slow client never holding up another, and
idle threads ended when the server closes."""

from __future__ import annotations

import http.client
import socket
import threading

from isoplan.web import create_app
from isoplan.web.server import serve_in_thread


def _get(port: int, path: str = "/") -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def _request_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "isoplan-request"]


def test_requests_one_after_another_reuse_their_threads(tmp_path):
    before = len(_request_threads())
    server, _ = serve_in_thread(create_app(db=str(tmp_path / "l.db"), port=0), 0)
    try:
        port = server.server_port
        assert all(_get(port) == 200 for _ in range(40))
        # one client at a time needs a thread or two (the next connect can beat a thread back to idle), not 40
        assert 1 <= len(_request_threads()) - before <= 4
    finally:
        server.shutdown()
        server.server_close()


def test_a_client_that_sends_nothing_does_not_hold_up_another(tmp_path):
    server, _ = serve_in_thread(create_app(db=str(tmp_path / "l.db"), port=0), 0)
    port = server.server_port
    silent = []
    try:
        assert _get(port) == 200  # a thread now waits idle
        for _ in range(3):  # each takes a thread and keeps it, reading a request that never comes
            s = socket.create_connection(("127.0.0.1", port))
            silent.append(s)
        assert _get(port) == 200
    finally:
        for s in silent:
            s.close()
        server.shutdown()
        server.server_close()


def test_closing_the_server_ends_its_idle_threads(tmp_path):
    before = set(_request_threads())
    server, _ = serve_in_thread(create_app(db=str(tmp_path / "l.db"), port=0), 0)
    port = server.server_port
    clients = [threading.Thread(target=_get, args=(port,)) for _ in range(8)]
    for c in clients:
        c.start()
    for c in clients:
        c.join(30)
    mine = set(_request_threads()) - before
    assert mine
    server.shutdown()
    server.server_close()
    for t in mine:
        t.join(10)
    assert not any(t.is_alive() for t in mine)
