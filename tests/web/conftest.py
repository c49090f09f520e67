"""Fixtures for the web app: an app on a temp ledger, an in-process WSGI client, contract-following fakes."""

from __future__ import annotations

import io
import json
import sys
import types
from dataclasses import dataclass, field
from typing import Any

import pytest

from isoplan.web import create_app

PORT = 8765
HOST = f"127.0.0.1:{PORT}"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


@dataclass
class Client:
    """Calls the WSGI app directly (no socket), as a browser on the loopback would."""

    app: Any
    host: str = HOST
    csrf: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
                raw: bytes | None = None, content_type: str = "application/json") -> Response:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        path, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": str(PORT), "wsgi.input": io.BytesIO(data), "CONTENT_LENGTH": str(len(data)),
            "wsgi.url_scheme": "http",
        }
        if self.host:
            environ["HTTP_HOST"] = self.host
        if method == "POST":
            environ["CONTENT_TYPE"] = content_type
            if self.csrf:
                environ["HTTP_X_CSRF_TOKEN"] = self.app.csrf_token
        for k, v in {**self.extra, **(headers or {})}.items():
            environ["HTTP_" + k.upper().replace("-", "_")] = v
        seen: dict[str, Any] = {}

        def start_response(status: str, hdrs: list[tuple[str, str]]) -> None:
            seen["status"], seen["headers"] = int(status.split()[0]), dict(hdrs)

        out = b"".join(self.app(environ, start_response))
        return Response(seen["status"], seen["headers"], out)

    def get(self, path: str, **kw: Any) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Response:
        return self.request("POST", path, body if body is not None else {}, **kw)


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "ledger.db")


@pytest.fixture
def app(db):
    return create_app(db=db, port=PORT)


@pytest.fixture
def client(app):
    return Client(app)


# ---------------------------------------------------------------- fakes of the risk engine and the checklist


def fake_risk_dict(paths: int, seed: int) -> dict[str, Any]:
    """A ``RiskOutcome.as_dict()`` shaped as docs/risk.md says; numbers depend on ``seed`` to show a change."""
    base = 100_000.0 + 1_000.0 * seed
    strategies = [
        {"name": name, "mean": base * k, "median": base * k * 0.98, "p5": base * k * 0.5, "p95": base * k * 1.6,
         "prob_worse_than_sell_now": 0.0 if name == "sell now" else 0.3, "certainty_equivalent": base * k * 0.9,
         "concentration": 0.4 * k}
        for name, k in (("sell now", 1.0), ("hold to qualifying", 1.1), ("partial sale", 1.05))
    ]
    return {
        "paths": paths, "seed": seed, "stock_kind": "public",
        "assumptions": {"drift": 0.08, "volatility": 0.5},
        "timing": {"year": 2027, "shares": 10_000, "hatch_exists": True, "threshold_rule": "sell if below strike+AMT",
                   "january": {"expected_tax": 9_000.0, "prob_amt_on_vanished_gain": 0.2,
                               "expected_amt_on_vanished_gain": 1_500.0},
                   "december": {"expected_tax": 10_000.0, "prob_amt_on_vanished_gain": 0.05,
                                "expected_amt_on_vanished_gain": 300.0},
                   "escape_hatch_value": 1_200.0,
                   "spread_growth_effect": {"january_spread": 50_000.0, "december_expected_spread": 54_000.0,
                                            "expected_extra_amt": 1_000.0},
                   "summary": f"January exercise keeps the escape hatch (seed {seed})."},
        "hold_vs_sell": {"strategies": strategies, "risk_aversion": 2.0, "target_concentration": 0.2,
                         "cash_test": {"amt": 20_000.0, "cash": 100_000.0, "covered": True, "gap": 0.0},
                         "histogram": {"edges": [0.0, 50_000.0, 100_000.0, 150_000.0, 200_000.0],
                                       "counts": {s["name"]: [1 + seed, 5, 7, 2] for s in strategies}},
                         "conclusion": f"Hold to qualifying has the higher certainty equivalent (seed {seed})."},
        "peak": {"amt_now": 20_000.0, "drop": 0.5, "value_after_drop": 30_000.0, "cash": 100_000.0,
                 "covered_after_drop": True, "cash_gap": 0.0, "prob_amt_exceeds_value_at_year_end": 0.1,
                 "summary": "A 50% fall leaves the AMT covered."},
        "pre_ipo": None,
        "fan": {"dates": ["2027-01-02", "2028-01-02", "2029-01-02"],
                "percentiles": {"5": [6.0, 4.0, 3.0], "25": [6.0, 5.5, 5.0], "50": [6.0, 6.5, 7.0],
                                "75": [6.0, 7.5, 9.0], "95": [6.0, 10.0, 14.0]},
                "stress_level": 3.0},
        "notes": ["fake risk engine (test)"],
    }


@pytest.fixture
def fake_risk(monkeypatch):
    calls: list[dict[str, Any]] = []

    class Outcome:
        def __init__(self, paths: int, seed: int) -> None:
            self.paths, self.seed = paths, seed

        def as_dict(self) -> dict[str, Any]:
            return fake_risk_dict(self.paths, self.seed)

    def run_risk(plan, *, paths=20_000, seed=0, sections=("timing", "hold_vs_sell", "peak", "pre_ipo"), law=None,
                 progress=None, outcome=None):
        calls.append({"plan": plan, "paths": paths, "seed": seed, "outcome": outcome})
        return Outcome(paths, seed)

    module = types.ModuleType("isoplan.planning.risk")
    module.run_risk = run_risk  # type: ignore[attr-defined]
    module.SECTIONS = ("timing", "hold_vs_sell", "peak", "pre_ipo")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "isoplan.planning.risk", module)
    return calls


@pytest.fixture
def fake_checklist(monkeypatch):
    calls: list[dict[str, Any]] = []

    class Checklist:
        def __init__(self, year: int) -> None:
            self.year = year

        def as_dict(self) -> dict[str, Any]:
            return {"year": self.year, "overall": "warning", "items": [
                {"number": 1, "key": "room", "title": "Stay inside the AMT room", "status": "ok",
                 "numbers": {"amt_room": 40_000.0}, "action": "Exercise up to the room."},
                {"number": 2, "key": "cash", "title": "Cash for strike and tax", "status": "warning",
                 "numbers": {"cash_gap": 1_000.0}, "action": f"Set aside cash for {self.year}."},
            ]}

    def build_checklist(plan, outcome, risk, *, year=None, ledger_lots=None, today=None):
        calls.append({"plan": plan, "outcome": outcome, "risk": risk, "year": year, "ledger_lots": ledger_lots})
        return Checklist(year or plan.start_year)

    def render_report(plan, outcome, risk, checklist):
        return f"<!doctype html><title>report</title><p>overall {checklist['overall']}</p>"

    checklist_module = types.ModuleType("isoplan.planning.checklist")
    checklist_module.build_checklist = build_checklist  # type: ignore[attr-defined]
    html_module = types.ModuleType("isoplan.report.html")
    html_module.render_report = render_report  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "isoplan.planning.checklist", checklist_module)
    monkeypatch.setitem(sys.modules, "isoplan.report.html", html_module)
    return calls
