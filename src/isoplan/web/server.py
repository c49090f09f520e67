"""Serve the app on the loopback interface (standard library ``wsgiref``, a thread per connection, reused; an
HTTP/1.1 client's connection stays open for its next GET).

Page and room requests answer on the server's threads; plans, risk runs,
checklists and reports compute in worker processes (:mod:`isoplan.web.worker`),
so a long computation does not hold the interpreter lock the short requests
need.
"""

from __future__ import annotations

import io
import os
import queue
import sys
import threading
from typing import IO, Any, cast
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

from isoplan.web.app import App
from isoplan.web.worker import Worker

LOOPBACK = "127.0.0.1"
#: Seconds a kept-open connection may wait for its next request before the server closes it (its thread is free
#: for another connection then; a browser opens a new connection when it needs one).
KEEP_ALIVE_SECONDS = 15.0


class _Server(WSGIServer):
    """Each connection is answered on a thread of its own, as with ``ThreadingMixIn``, but threads are reused:
    a connection goes to an idle thread when there is one and starts a new thread only when every thread is
    busy (so a slow client never makes another wait). Starting a thread per request costs about a quarter of
    a page request's time."""

    allow_reuse_address = True
    #: pending connections the kernel holds: socketserver's default of 5 drops the connects of a burst of
    #: clients (a page loads its scripts and data at once), which then wait for TCP's 1 s and 3 s retries
    request_queue_size = 128

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lock = threading.Lock()
        self._idle = 0  # threads waiting for a connection, not yet promised one
        self._connections: queue.SimpleQueue[tuple[Any, Any] | None] = queue.SimpleQueue()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            reuse = self._idle > 0
            if reuse:
                self._idle -= 1
        if reuse:
            self._connections.put((request, client_address))
        else:
            threading.Thread(target=self._answer, args=(request, client_address), name="isoplan-request",
                             daemon=True).start()

    def _answer(self, request: Any, client_address: Any) -> None:
        """Answer a connection, then wait for the next one (daemon: a waiting thread never delays exit)."""
        while True:
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)
            with self._lock:
                self._idle += 1
            connection = self._connections.get()
            if connection is None:  # the server closed
                return
            request, client_address = connection

    def server_close(self) -> None:
        super().server_close()
        with self._lock:
            idle, self._idle = self._idle, 0
        for _ in range(idle):
            self._connections.put(None)


class _Response(ServerHandler):
    """One response. HTTP/1.0, the connection closed after it, as wsgiref answers, unless the connection stays open
    for the client's next request (:meth:`_Quiet.handle`): then HTTP/1.1."""

    failed = False
    request_handler: WSGIRequestHandler  # wsgiref's back-pointer (logging)

    def handle_error(self) -> None:
        self.failed = True  # the response may be cut short: the connection closes
        super().handle_error()


class _Quiet(WSGIRequestHandler):
    #: the response is buffered and leaves in one send: wsgiref writes the status line, each header block and
    #: the body separately, and unbuffered each write is a system call that wakes the client (most of a page
    #: request's time; with Nagle's algorithm a small later write can also wait for the client's ACK)
    wbufsize = 1 << 16
    #: seconds an open connection waits for its next request
    keep_alive = KEEP_ALIVE_SECONDS

    def handle(self) -> None:
        """Answer the connection's requests, one after another, while it stays open.

        An HTTP/1.1 client's GET or HEAD without a body keeps the connection open for its next request (a persistent
        connection, RFC 9112 section 9.3): a new connection per request costs the server an accept, a hand-over to
        a thread and a close, each waiting for the interpreter lock behind the requests computing, which under
        load was most of a short request's time. Any other request is answered as wsgiref answers it, in
        HTTP/1.0, and the connection closes after it (a body the app did not read never meets the next request).
        """
        while True:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.requestline = self.request_version = self.command = ""
                self.send_error(414)
                return
            if not self.parse_request():  # an error was sent, or the client closed the connection
                return
            keep = self._stays_open()
            response = _Response(cast(IO[bytes], self.rfile), cast(IO[bytes], self.wfile), self.get_stderr(),
                                 self.get_environ(), multithread=False)
            response.http_version = "1.1" if keep else "1.0"
            response.request_handler = self
            app = cast(WSGIServer, self.server).get_app()
            assert app is not None  # make_server set it
            response.run(app)
            if not keep or response.failed:
                return
            self.connection.settimeout(self.keep_alive)
            try:
                cast(io.BufferedReader, self.rfile).peek(1)  # the next request, the client's close, or the time-out
            except OSError:
                return
            self.connection.settimeout(None)

    def _stays_open(self) -> bool:
        """Whether the connection stays open after this request: an HTTP/1.1 GET or HEAD with no body that does
        not ask to close."""
        headers = self.headers
        return (self.request_version == "HTTP/1.1" and self.command in ("GET", "HEAD")
                and "close" not in headers.get("Connection", "").lower()
                and headers.get("Content-Length", "0").strip() == "0" and "Transfer-Encoding" not in headers)

    def log_message(self, format: str, *args: object) -> None:
        pass


def make_loopback_server(app: App, port: int = 8765) -> WSGIServer:
    """A server on 127.0.0.1 (``port`` 0: a free port); the app learns the port for its Host check. The engine's
    compiled loop loads in the background meanwhile (:func:`isoplan.app.batch_preload.preload_for_serving`)."""
    from isoplan.app.batch_preload import preload_for_serving

    preload_for_serving()
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
