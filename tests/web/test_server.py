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


def _raw(port: int, request: bytes) -> tuple[socket.socket, bytes]:
    """Send ``request`` on a new connection; the connection and the first response's bytes (headers and body)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(request)
    return s, _response(s)


def _response(s: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length"))
    while len(body) < length:
        body += s.recv(65536)
    return head + b"\r\n\r\n" + body


def _closed(s: socket.socket) -> bool:
    try:
        return s.recv(1) == b""
    except (ConnectionError, TimeoutError):
        return True


def test_an_http11_connection_stays_open_for_the_next_get(tmp_path):
    server, _ = serve_in_thread(create_app(db=str(tmp_path / "l.db"), port=0), 0)
    port = server.server_port
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for path in ("/", "/api/room?year=2026&filing_status=single&wages=200000", "/ledger"):
            conn.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
            response = conn.getresponse()
            assert response.status == 200 and response.version == 11 and not response.will_close
            response.read()
        sock = conn.sock
        conn.request("HEAD", "/plan", headers={"Host": f"127.0.0.1:{port}"})
        response = conn.getresponse()
        assert response.status == 200 and response.read() == b"" and conn.sock is sock  # the same connection
        conn.close()
    finally:
        server.shutdown()
        server.server_close()


def test_other_requests_are_answered_in_http10_and_close(tmp_path):
    """A POST, an HTTP/1.0 request, a request asking to close and a GET with a body: answered as before, and the
    connection closes (a body the app did not read never meets a next request)."""
    app = create_app(db=str(tmp_path / "l.db"), port=0)
    server, _ = serve_in_thread(app, 0)
    port = server.server_port
    host = f"Host: 127.0.0.1:{port}\r\n".encode()
    try:
        requests = [
            b"POST /api/plan/check HTTP/1.1\r\n" + host + b"Content-Type: application/json\r\nX-CSRF-Token: "
            + app.csrf_token.encode() + b"\r\nContent-Length: 2\r\n\r\n{}",
            b"GET / HTTP/1.0\r\n" + host + b"\r\n",
            b"GET / HTTP/1.1\r\n" + host + b"Connection: close\r\n\r\n",
            b"GET / HTTP/1.1\r\n" + host + b"Content-Length: 5\r\n\r\nGET /",
        ]
        for request in requests:
            s, answer = _raw(port, request)
            assert answer.startswith(b"HTTP/1.0 200 OK\r\n"), answer[:40]
            assert _closed(s)
            s.close()
    finally:
        server.shutdown()
        server.server_close()


def test_a_kept_connection_closes_when_idle(tmp_path):
    from isoplan.web import server as web_server

    server, _ = serve_in_thread(create_app(db=str(tmp_path / "l.db"), port=0), 0)
    port = server.server_port
    keep_alive = web_server._Quiet.keep_alive
    web_server._Quiet.keep_alive = 0.2
    try:
        s, answer = _raw(port, f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
        s.settimeout(10)
        assert _closed(s)  # after 0.2 s without a request, not at once: the test only bounds it
        s.close()
        assert _get(port) == 200
    finally:
        web_server._Quiet.keep_alive = keep_alive
        server.shutdown()
        server.server_close()


def test_short_requests_take_turns_in_arrival_order():
    from isoplan.web.app import Turns

    turns = Turns()
    order: list[int] = []

    def request(k: int) -> None:
        with turns:
            order.append(k)

    threads = []
    with turns:  # a request is computing: the next ones queue
        for k in range(8):
            t = threading.Thread(target=request, args=(k,))
            t.start()
            threads.append(t)
            while len(turns._waiting) < k + 1:  # wait until this one queued before starting the next
                threading.Event().wait(0.001)
        assert order == []
    for t in threads:
        t.join(10)
    assert order == list(range(8))
    with turns:  # free again
        pass


def test_a_kept_response_differs_from_wsgirefs_only_in_its_version(tmp_path):
    server, _ = serve_in_thread(create_app(db=str(tmp_path / "l.db"), port=0), 0)
    port = server.server_port

    def without_date(answer: bytes) -> bytes:
        return b"\r\n".join(line for line in answer.split(b"\r\n") if not line.startswith(b"Date: "))

    try:
        for path in ("/", "/api/room?year=2026&filing_status=single&wages=200000"):
            old, closed = _raw(port, f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            new, kept = _raw(port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
            old.close()
            new.close()
            assert without_date(kept) == without_date(closed).replace(b"HTTP/1.0 ", b"HTTP/1.1 ", 1)
    finally:
        server.shutdown()
        server.server_close()
