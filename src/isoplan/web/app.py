"""The WSGI application: pages, JSON endpoints and the safety rules.

Standard library only (``wsgiref`` serves it), so ``isoplan serve`` needs no
runtime dependency and makes no outside request. Safety:

* every request's ``Host`` header must name this server (127.0.0.1 / localhost
  and its port), else **421 Misdirected Request**: a DNS-rebinding page cannot
  reach the app through another name;
* every POST needs the page's CSRF token in ``X-CSRF-Token`` (403 without it), a
  JSON body (415 otherwise, so a plain cross-site form cannot post), and an
  ``Origin``, when sent, of this server (403);
* every response carries a Content-Security-Policy allowing only this origin
  (``default-src 'self'``, no inline script or style), ``nosniff``, no framing
  and no referrer.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import operator
import secrets
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from importlib import resources
from string import Template
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from isoplan.errors import InputError

if TYPE_CHECKING:
    from isoplan.web.worker import Worker

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
]
MAX_BODY = 2_000_000  # bytes: a plan file or a ledger export is far smaller
#: Seconds one API request may compute (a plan, a risk run, a report): past it the answer is 503 naming the
#: budget; the work itself is bounded by the memory budget of the application layer.
TIME_BUDGET = 120.0


def _within_budget(compute: Callable[[], Any], seconds: float) -> Any:
    """``compute()``, or 503 when it takes longer than ``seconds`` (the browser is told at once)."""
    import concurrent.futures

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="isoplan-request")
    try:
        return pool.submit(compute).result(timeout=seconds)
    except concurrent.futures.TimeoutError:
        raise _over_budget(seconds) from None
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _over_budget(seconds: float) -> HttpError:
    return HttpError("503 Service Unavailable", f"the request took longer than the time budget of {seconds:g} s: "
                     "make the plan smaller (fewer grants, years or paths)")


def _in_worker(worker: Worker, name: str, body: dict[str, Any], db: str | None, seconds: float) -> Any:
    """A long request computed by ``worker`` (its JSON data), the worker's limits as 503s."""
    from isoplan.web.worker import Busy, OverBudget

    try:
        return worker.run(name, body, db, seconds)
    except OverBudget:
        raise _over_budget(seconds) from None
    except Busy as busy:
        raise HttpError("503 Service Unavailable", f"the server is busy ({busy}): try again shortly") from None


#: path -> (template, title, navigation label)
PAGES = {
    "/": ("room.html", "Room and cost", "Room & cost"),
    "/plan": ("plan.html", "Multi-year plan", "Plan"),
    "/risk": ("risk.html", "Hold vs sell and timing", "Risk"),
    "/checklist": ("checklist.html", "Checklist", "Checklist"),
    "/ledger": ("ledger.html", "Ledger", "Ledger"),
    "/files": ("files.html", "Import and export", "Files"),
}
#: the requests that compute for seconds (a plan, risk paths, a checklist or report with its risk run): the
#: handler of :mod:`isoplan.web.plan_api` a worker process runs for each (:mod:`isoplan.web.worker`)
LONG_ROUTES = {("POST", "/api/plan"): "plan_page", ("POST", "/api/risk"): "risk_page",
               ("POST", "/api/checklist"): "checklist_page", ("POST", "/api/report"): "report_html"}
_STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                 ".svg": "image/svg+xml", ".txt": "text/plain; charset=utf-8"}

Start = Callable[..., Any]


class HttpError(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


_JSON_SCALARS = frozenset({str, int, bool, type(None)})


def to_json(value: Any) -> Any:
    """Typed records (frozen dataclasses) to plain JSON data."""
    kind = type(value)
    # the common types first, by exact type: a room page is thousands of numbers
    if kind is float:
        return None if value != value else value
    if kind in _JSON_SCALARS:
        return value
    if kind is dict:
        return {str(k): to_json(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [to_json(v) for v in value]
    names = _field_names(kind)
    if names is not None:
        return {name: to_json(getattr(value, name)) for name in names}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def json_bytes(value: Any) -> bytes:
    """``json.dumps(to_json(value))``, encoded. A record type naming fields of form lines in ``JSON_ROW_FIELDS``
    (the room page: a dict of lists of lines) has those written by :func:`rows_json`, to the same bytes; any other
    value, or a record whose lines the templates do not write, goes to :func:`encoder_json_bytes`."""
    row_fields = getattr(type(value), "JSON_ROW_FIELDS", None)
    if row_fields:
        text = _record_with_rows(value, row_fields)
        if text is not None:
            return text
    return encoder_json_bytes(value)


def _record_with_rows(record: Any, row_fields: tuple[str, ...]) -> bytes | None:
    """A record as :func:`encoder_json_bytes` writes it, its ``row_fields`` (dicts of lists of form lines) by
    :func:`rows_json` and its other fields by the encoder; None when a line is one the templates do not write."""
    names = _field_names(type(record))
    if names is None:
        return None
    parts = []
    for name in names:
        value = getattr(record, name)
        if name in row_fields:
            if type(value) is not dict:
                return None
            items = []
            for key, rows in value.items():
                text = rows_json(rows) if type(key) is str and type(rows) is list else None
                if text is None:
                    return None
                items.append(f"{json.dumps(key)}: {text}")
            part = ("{" + ", ".join(items) + "}").encode()
        else:
            part = encoder_json_bytes(value)
        parts.append(json.dumps(name).encode() + b": " + part)
    return b"{" + b", ".join(parts) + b"}"


def encoder_json_bytes(value: Any) -> bytes:
    """``json.dumps(to_json(value))``, encoded, by the JSON module's own encoder: it walks the lists and dicts and
    asks :func:`_record_fields` only for the records, so a room page's 180 form lines and 160 curve points cost
    no call apiece. A NaN (JSON has none: null), a key that is not text or a number, or a value it cannot
    encode sends the whole value through :func:`to_json` instead, which writes them as it always has."""
    try:
        return json.dumps(value, default=_record_fields, allow_nan=False).encode()
    except (ValueError, TypeError):
        return json.dumps(to_json(value), allow_nan=False).encode()


def rows_json(rows: list[Any]) -> str | None:
    """A list of flat records whose last field is a number, such as a page's form lines, as
    :func:`encoder_json_bytes` writes it (text), or None when a row is not a record or its last field is not a
    finite float (the caller encodes the list by the encoder then).

    A room page explains about 180 lines a request, and only their values change between requests: each row
    takes its text up to the value from a template made once per line (the record's other fields), and the
    value's text from ``float.__repr__``, as the JSON encoder writes a float."""
    parts = []
    kind: type | None = None
    fields: Callable[[Any], tuple[Any, ...]] = tuple
    heads: dict[tuple[Any, ...], str] = {}
    for row in rows:
        if type(row) is not kind:
            kind = type(row)
            names = _field_names(kind)
            if names is None or len(names) < 2:
                return None
            fields = operator.attrgetter(*names)
            heads = _ROW_HEADS.setdefault(kind, {})
        values = fields(row)
        value = values[-1]
        if type(value) is not float or value - value != 0.0:  # not a float, or NaN or infinite
            return None
        head = heads.get(values[:-1])
        if head is None:
            head = _row_head(heads, kind, values)
        parts.append(head + float.__repr__(value) + "}")
    return "[" + ", ".join(parts) + "]"


#: record type -> (its fields but the last -> the row's JSON text up to the last field's value)
_ROW_HEADS: dict[type, dict[tuple[Any, ...], str]] = {}
#: lines kept per record type (a page has a few hundred): past it the templates are made afresh
_ROW_HEADS_KEPT = 4096


def _row_head(heads: dict[tuple[Any, ...], str], kind: type, values: tuple[Any, ...]) -> str:
    names = _field_names(kind)
    assert names is not None
    text = json.dumps(dict(zip(names, values, strict=True)) | {names[-1]: 0.0}, default=_record_fields,
                      allow_nan=False)
    assert text.endswith(": 0.0}")  # the JSON encoder writes a dict's items in order, the value last
    if len(heads) >= _ROW_HEADS_KEPT:
        heads.clear()
    head = heads[values[:-1]] = text[:-len("0.0}")]
    return head


def _record_fields(value: Any) -> Any:
    """A record's fields by name, or a date's ISO text, for :func:`json_bytes`."""
    names = _field_names(type(value))
    if names is not None:
        return {name: getattr(value, name) for name in names}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(kind: type) -> tuple[str, ...] | None:
    """The field names of a dataclass type, in order (read once per type); None for any other type."""
    if kind not in _FIELD_NAMES:
        _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(kind)) if dataclasses.is_dataclass(kind) \
            else None
    return _FIELD_NAMES[kind]


def _read(name: str) -> str:
    return resources.files("isoplan.web").joinpath(name).read_text(encoding="utf-8")


class Turns:
    """A lock handed on in arrival order: the short requests compute one at a time, each after those that came
    before it. Computing at once, they would share the interpreter lock, which goes to no waiter in particular: each
    hand-over costs a thread switch, and a request can lose the lock again and again while later ones finish."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Lock] = deque()
        self._held = False

    def __enter__(self) -> None:
        with self._mutex:
            if not self._held:
                self._held = True
                return
            turn = threading.Lock()
            turn.acquire()
            self._waiting.append(turn)
        turn.acquire()  # released by the holder before us, which hands the lock straight over

    def __exit__(self, *exc: object) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().release()
            else:
                self._held = False


class App:
    """The web app (a WSGI callable). Build it with :func:`create_app`."""

    def __init__(self, *, db: str | None, host: str, port: int) -> None:
        self.db = db
        self.host = host
        self.time_budget = TIME_BUDGET
        self.csrf_token = secrets.token_urlsafe(32)
        self.allowed_hosts: set[str] = set()
        self.set_port(port)
        self._static = {p.name: p for p in resources.files("isoplan.web").joinpath("static").iterdir()
                        if p.is_file()}
        self._layout = Template(_read("templates/layout.html"))
        self._bodies = {path: _read("templates/" + t) for path, (t, _, _) in PAGES.items()}
        #: path -> (the CSRF token it holds, the page's bytes): a page depends on nothing else
        self._pages: dict[str, tuple[str, bytes]] = {}
        self.routes: dict[tuple[str, str], Callable[[dict[str, Any], dict[str, Any]], Any]] = {}
        #: computes the long requests (LONG_ROUTES) in worker processes when set (``isoplan serve`` sets it);
        #: None: on the request's thread
        self.worker: Worker | None = None
        #: the short requests compute one at a time, in arrival order (:class:`Turns`)
        self.turns = Turns()
        self._register()

    def set_port(self, port: int) -> None:
        """The port the server listens on: the Host header must name it."""
        self.port = port
        names = {self.host, "127.0.0.1", "localhost"}
        self.allowed_hosts = {f"{n}:{port}" for n in names} | ({*names} if port == 80 else set())
        self.allowed_origins = {f"http://{h}" for h in self.allowed_hosts}

    # ------------------------------------------------------------ routes

    def _register(self) -> None:
        from isoplan.web import api, ledger_api, plan_api

        db = self.db
        self.routes = {
            ("GET", "/api/room"): lambda q, b: api.room_page(q),
            ("POST", "/api/plan"): lambda q, b: plan_api.plan_page(b),
            ("POST", "/api/plan/check"): lambda q, b: plan_api.check_plan(b),
            ("POST", "/api/plan/toml"): lambda q, b: plan_api.plan_toml(b),
            ("GET", "/api/plan/demo"): lambda q, b: plan_api.check_plan({}),
            ("POST", "/api/risk"): lambda q, b: plan_api.risk_page(b),
            ("POST", "/api/checklist"): lambda q, b: plan_api.checklist_page(b, db=db),
            ("POST", "/api/checklist/ics"): lambda q, b: plan_api.checklist_calendar(b, db=db),
            ("POST", "/api/report"): lambda q, b: plan_api.report_html(b, db=db),
            ("GET", "/api/ledger"): lambda q, b: ledger_api.ledger_view(db),
            ("GET", "/api/ledger/answer"): lambda q, b: ledger_api.ledger_summary(db),
            ("POST", "/api/ledger/grant"): lambda q, b: ledger_api.add_grant(db, b),
            ("POST", "/api/ledger/exercise"): lambda q, b: ledger_api.add_exercise(db, b),
            ("POST", "/api/ledger/sale"): lambda q, b: ledger_api.add_sale(db, b),
            ("POST", "/api/ledger/income"): lambda q, b: ledger_api.set_income(db, b),
            ("POST", "/api/ledger/import"): lambda q, b: ledger_api.import_json(db, b),
        }

    # ------------------------------------------------------------ WSGI

    def __call__(self, environ: dict[str, Any], start_response: Start) -> Iterable[bytes]:
        try:
            if (environ.get("REQUEST_METHOD"), environ.get("PATH_INFO")) in LONG_ROUTES:
                status, headers, body = self.handle(environ)  # seconds of work, or of waiting on a worker
            else:
                with self.turns:
                    status, headers, body = self.handle(environ)
        except HttpError as err:
            status, headers, body = err.status, [("Content-Type", "application/json")], \
                json.dumps({"error": {"field": None, "message": err.message}}).encode()
        except Exception:  # a bug: one line to the browser, the traceback to the terminal
            traceback.print_exc(file=sys.stderr)
            status, headers, body = "500 Internal Server Error", [("Content-Type", "application/json")], \
                json.dumps({"error": {"field": None, "message": "internal error (see the terminal)"}}).encode()
        start_response(status, [*headers, *SECURITY_HEADERS, ("Content-Length", str(len(body)))])
        if environ.get("REQUEST_METHOD") == "HEAD":  # the headers of a GET, no body (RFC 9110 section 9.3.2)
            return [b""]
        return [body]

    def check_request(self, environ: dict[str, Any]) -> None:
        """The safety rules (module docstring); raises :class:`HttpError`."""
        host = environ.get("HTTP_HOST", "")
        if not host:
            raise HttpError("400 Bad Request", "a Host header is required")
        if host.lower() not in self.allowed_hosts:
            raise HttpError("421 Misdirected Request",
                            f"this server answers only to {sorted(self.allowed_hosts)[0]} (DNS rebinding guard)")
        method = environ.get("REQUEST_METHOD", "GET")
        if method in ("GET", "HEAD"):
            return
        if method != "POST":
            raise HttpError("405 Method Not Allowed", f"{method} is not allowed")
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and origin.lower() not in self.allowed_origins:
            raise HttpError("403 Forbidden", "cross-origin request refused")
        token = environ.get("HTTP_X_CSRF_TOKEN", "")
        if not hmac.compare_digest(token.encode(), self.csrf_token.encode()):
            raise HttpError("403 Forbidden", "missing or wrong CSRF token: reload the page")
        if not environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower() == "application/json":
            raise HttpError("415 Unsupported Media Type", "the body must be JSON (application/json)")

    def handle(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        self.check_request(environ)
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/") or "/"
        if method == "HEAD":
            method = "GET"
        if method == "GET" and path in PAGES:
            return "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store")], \
                self.page_bytes(path)
        if method == "GET" and path.startswith("/static/"):
            return self.static(path.removeprefix("/static/"))
        if method == "GET" and path == "/ledger/calendar.ics":
            from isoplan.web.ledger_api import calendar_ics

            return self._download(lambda: calendar_ics(self.db), "isoplan.ics", "text/calendar; charset=utf-8")
        if method == "GET" and path == "/ledger/export.json":
            from isoplan.web.ledger_api import export_json

            return self._download(lambda: export_json(self.db), "isoplan-ledger.json", "application/json")
        route = self.routes.get((method, path))
        if route is None:
            if any(p == path for _, p in self.routes):
                raise HttpError("405 Method Not Allowed", f"{method} is not allowed on {path}")
            raise HttpError("404 Not Found", f"no page {path}")
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()}
        body: dict[str, Any] = {}
        if method == "POST":
            body = self._json_body(environ)
        long = LONG_ROUTES.get((method, path))
        worker = self.worker
        if long is not None and worker is not None:
            return self._api(lambda: _in_worker(worker, long, body, self.db, self.time_budget), budget=False)
        # only a long request needs a thread of its own to be timed out; the others are bounded by their
        # inputs and answer in milliseconds, so a new thread per request would cost more than it guards
        return self._api(lambda: route(query, body), budget=long is not None)

    def _json_body(self, environ: dict[str, Any]) -> dict[str, Any]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise HttpError("400 Bad Request", "bad Content-Length") from None
        if length < 0:
            raise HttpError("400 Bad Request", f"Content-Length {length}: a number of bytes of 0 or more")
        if length > MAX_BODY:
            raise HttpError("413 Content Too Large", f"the body is larger than {MAX_BODY:,} bytes")
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise HttpError("400 Bad Request", "the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise HttpError("400 Bad Request", "the body must be a JSON object")
        return body

    def _api(self, compute: Callable[[], Any], *, budget: bool = True) -> tuple[str, list[tuple[str, str]], bytes]:
        headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
        try:
            data = _within_budget(compute, self.time_budget) if budget else compute()
            status = "200 OK"
        except InputError as err:
            status = "400 Bad Request"
            data = {"error": {"field": err.field, "message": err.message, "value": str(err.value),
                              "allowed": err.allowed}}
        return status, headers, json_bytes(data)

    def _download(self, make: Callable[[], str], filename: str, kind: str) -> tuple[str, list[tuple[str, str]], bytes]:
        try:
            text = make()
        except InputError as err:
            raise HttpError("400 Bad Request", err.message) from None
        return "200 OK", [("Content-Type", kind), ("Cache-Control", "no-store"),
                          ("Content-Disposition", f'attachment; filename="{filename}"')], text.encode()

    def static(self, name: str) -> tuple[str, list[tuple[str, str]], bytes]:
        item = self._static.get(name)  # only files shipped in the package: no path is ever joined
        if item is None:
            raise HttpError("404 Not Found", f"no file {name}")
        suffix = "." + name.rsplit(".", 1)[-1]
        return "200 OK", [("Content-Type", _STATIC_TYPES.get(suffix, "application/octet-stream")),
                          ("Cache-Control", "no-cache")], item.read_bytes()

    def page_bytes(self, path: str) -> bytes:
        """The page's HTML, encoded: rendered once per CSRF token (a page holds the token and nothing else that
        changes; the ledger page reads the ledger through ``/api/ledger``)."""
        token = self.csrf_token
        cached = self._pages.get(path)
        if cached is None or cached[0] != token:
            cached = self._pages[path] = (token, self.page(path).encode())
        return cached[1]

    def page(self, path: str) -> str:
        from html import escape

        _, title, _ = PAGES[path]
        current = ' aria-current="page"'
        nav = "\n".join(f'<li><a href="{p}"{current if p == path else ""}>{escape(label)}</a></li>'
                        for p, (_, _, label) in PAGES.items())
        return self._layout.substitute(title=escape(title), nav=nav, body=self._bodies[path],
                                       csrf=escape(self.csrf_token), page=path.strip("/") or "room")


def create_app(*, db: str | None = None, host: str = "127.0.0.1", port: int = 8765) -> App:
    """The app; ``db`` is the ledger path as ``--db`` gives it (None: $ISOPLAN_DB, then the default)."""
    return App(db=db, host=host, port=port)
