"""Serve the app on the loopback interface (standard library ``wsgiref``, one thread per request).

Page and room requests answer on the server's threads; plans, risk runs,
checklists and reports compute in worker processes (:mod:`isoplan.web.worker`),
so a long computation does not hold the interpreter lock the short requests
need.
"""

from __future__ import annotations

import os
import sys
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from isoplan.web.app import App
from isoplan.web.worker import Worker

LOOPBACK = "127.0.0.1"


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    #: pending connections the kernel holds: socketserver's default of 5 drops the connects of a burst of
    #: clients (a page loads its scripts and data at once), which then wait for TCP's 1 s and 3 s retries
    request_queue_size = 128


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def make_loopback_server(app: App, port: int = 8765) -> WSGIServer:
    """A server on 127.0.0.1 (``port`` 0: a free port); the app learns the port for its Host check."""
    server = make_server(LOOPBACK, port, app, server_class=_Server, handler_class=_Quiet)
    app.set_port(server.server_port)
    return server


def url(server: WSGIServer) -> str:
    return f"http://{LOOPBACK}:{server.server_port}/"


def worker_processes() -> int:
    """Worker processes for long requests: every core but one for the server's own threads, at least one."""
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def serve_in_thread(app: App, port: int = 0, *, workers: int = 0) -> tuple[WSGIServer, threading.Thread]:
    """Start a server in a daemon thread (tests and the benchmark); stop it with ``server.shutdown()``.

    ``workers``: worker processes for long requests (0: they compute on the request's thread)."""
    if workers:
        app.worker = Worker(workers)
    server = make_loopback_server(app, port)
    thread = threading.Thread(target=server.serve_forever, name="isoplan-serve", daemon=True)
    thread.start()
    return server, thread


def serve(app: App, port: int, *, open_browser: bool = False) -> int:
    worker = app.worker = Worker(worker_processes())
    server = make_loopback_server(app, port)
    address = url(server)
    print(f"isoplan serve: {address}  (ledger: {app.db or 'default'}; Ctrl-C stops)", flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(address)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.server_close()
        worker.close()
    return 0
