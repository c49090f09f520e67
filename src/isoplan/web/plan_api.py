"""The plan, risk, checklist and report endpoints: thin handlers over :mod:`isoplan.app`.

Each handler reads the request's JSON body, calls the same use case the
command line calls (:mod:`isoplan.app.plan`, :mod:`isoplan.app.risk`,
:mod:`isoplan.app.checklist`, :mod:`isoplan.app.report`) and returns its
record (the app serialises frozen dataclasses). A plan comes as ``{"toml":
text}`` (a file), ``{"plan": {...}}`` (the plan form, written as TOML here) or
nothing (the bundled example). Bad input raises
:class:`~isoplan.errors.InputError` naming the field: a 400 with the field.
"""

from __future__ import annotations

import datetime
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from isoplan.app.common import plain, state_code
from isoplan.errors import InputError

if TYPE_CHECKING:
    from isoplan.app.checklist import ChecklistRequest
    from isoplan.app.plan import PlanSource

__all__ = ["HOUSEHOLD_KEYS", "PlanPage", "check_plan", "checklist_calendar", "checklist_page", "plan_page", "plan_toml",
           "report_html", "risk_page", "to_toml", "with_household"]


@dataclass(frozen=True)
class PlanPage:
    """``/api/plan``: ``isoplan plan --json``, the plan file's text and table, and each year's form lines."""

    outcome: dict[str, Any]
    toml: str
    form: dict[str, Any]
    explain: list[list[Any]]  # per year of the recommended schedule: Form 1040 / 6251 / 8801 lines
    seconds: float = 0.0
    ca_explain: list[list[Any]] | None = None  # per year: Form 540 / Schedule P (540), state CA only


# ---------------------------------------------------------------- the plan form as TOML

_DATE_KEYS = {"departure_date", "price_date", "date", "liquidity_date", "grant_date", "expiration", "start",
              "exit_date"}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else _toml_string(name)


def _toml_string(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_value(value: Any, key: str = "") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(key or "value", value, "a finite number")
        return repr(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        if key in _DATE_KEYS and _DATE_RE.match(value):
            return value
        return _toml_string(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_toml_value(v, k)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v, key) for v in value) + "]"
    raise InputError(key or "value", value, "a string, number, boolean, date, table or array")


def to_toml(data: Mapping[str, Any]) -> str:
    """A plan as TOML text (the subset plan files use: tables, one level of sub-tables, arrays of tables)."""
    out: list[str] = ["# isoplan plan file (written by isoplan serve)", ""]

    def table(header: str, body: Mapping[str, Any], *, array: bool = False) -> None:
        out.append(f"[[{header}]]" if array else f"[{header}]")
        subs = []
        for k, v in body.items():
            if v is None:
                continue
            if isinstance(v, Mapping) and not (header == "grants" or array):
                subs.append((k, v))
            else:
                out.append(f"{_key(k)} = {_toml_value(v, k)}")
        out.append("")
        for k, v in subs:
            table(f"{header}.{_key(k)}", v)

    for name, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value) and name == "grants":
            for item in value:
                table(name, item, array=True)
        elif isinstance(value, Mapping):
            table(_key(name), value)
        else:
            raise InputError(name, value, "a table ([person], [income], [cash], [stock], [[grants]], [plan])")
    return "\n".join(out)


def _form_state(form: Mapping[str, Any]) -> Mapping[str, Any]:
    """The form with ``person.state`` as a two-letter code in capitals (or left out), checked at its field."""
    person = form.get("person")
    if not isinstance(person, Mapping) or person.get("state") is None:
        return form
    code = state_code("person.state", person.get("state"))
    rest = {k: v for k, v in person.items() if k != "state"}
    return {**form, "person": {**rest, "state": code} if code else rest}


#: the household the browser keeps (the room form's names) -> where each goes in a plan file
HOUSEHOLD_KEYS: dict[str, tuple[str, str]] = {
    "filing_status": ("person", "filing_status"), "state": ("person", "state"), "wages": ("income", "wages"),
    "taxable_interest": ("income", "taxable_interest"), "long_term_gain": ("income", "long_term_gain"),
    "state_local_tax": ("income", "state_local_tax"), "mortgage_interest": ("income", "mortgage_interest"),
    "property_tax": ("income", "property_tax"), "amt_credit_carryforward": ("plan", "prior_credit"),
    "ca_amt_credit_carryforward": ("plan", "prior_ca_credit"),
}


def _household_number(text: str) -> float | str:
    """A number as the plan file holds it; text that is not one stays text, for the plan's own check to name."""
    try:
        return float(text)
    except ValueError:
        return text


def with_household(data: Mapping[str, Any], household: Mapping[str, Any]) -> dict[str, Any]:
    """The plan with the browser's household over it: the filing status, the state and the yearly income and
    credits entered on any page. An empty state is federal only; another empty value leaves the plan's."""
    out: dict[str, Any] = {k: dict(v) if isinstance(v, Mapping) else v for k, v in data.items()}
    for name, (table, key) in HOUSEHOLD_KEYS.items():
        if name not in household:
            continue
        text = str(household[name] if household[name] is not None else "").strip()
        section = out.setdefault(table, {})
        if not isinstance(section, dict):
            continue
        if name == "state" and not text:
            section.pop(key, None)
        elif text:
            section[key] = text if name in ("filing_status", "state") else _household_number(text)
    return out


def plan_source(body: Mapping[str, Any]) -> PlanSource:
    """The plan of a request: ``{"toml": text}``, ``{"plan": {...}}`` (the form) or the bundled example; with
    ``{"household": {...}}``, the browser's household laid over it (:func:`with_household`)."""
    import tomllib
    from importlib import resources

    from isoplan.app.plan import plan_from_text

    if isinstance(body.get("toml"), str):
        text = body["toml"]
    elif isinstance(body.get("plan"), Mapping):
        text = to_toml(_form_state(body["plan"]))
    else:
        text = resources.files("isoplan.data").joinpath("demo-plan.toml").read_text(encoding="utf-8")
    household = body.get("household")
    if isinstance(household, Mapping) and household:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            data = None  # the plan's own check names the error
        if data is not None:
            text = to_toml(_form_state(with_household(data, household)))
    return plan_from_text(text, name=Path(str(body.get("name") or "plan")).name)


def _blank(body: Mapping[str, Any], name: str) -> Any:
    """A form value, None when the field is left empty."""
    value = body.get(name)
    return None if isinstance(value, str) and not value.strip() else value


# ---------------------------------------------------------------- handlers


def plan_page(body: Mapping[str, Any]) -> PlanPage:
    """``isoplan plan --json`` and the form lines of each year of the recommended schedule."""
    from isoplan.app.plan import PlanRequest, run_plan

    start = time.perf_counter()
    source = plan_source(body)
    result = run_plan(PlanRequest(source, inflation=_blank(body, "inflation"), explain=True))
    years = result.explained
    ca_explain = [y.ca_lines() or [] for y in years] if result.outcome.model.california else None
    # the JSON of `isoplan plan` (its per-year form lines travel separately, as `explain`)
    outcome = {k: v for k, v in result.as_dict().items() if k != "explain"}
    return PlanPage(outcome=outcome, toml=source.text or "", form=plain(source.data),
                    explain=[y.lines() for y in years], seconds=round(time.perf_counter() - start, 4),
                    ca_explain=ca_explain)


def check_plan(body: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a plan file without running it (the import page): its TOML, the parsed form, a summary."""
    from isoplan.app.plan import load_plan

    source = plan_source(body)
    plan = load_plan(source)
    return {
        "toml": source.text,
        "form": plain(source.data),
        "summary": {
            "filing_status": plan.filing_status,
            "grants": [{"id": g.id, "kind": g.kind, "shares": g.shares, "strike": float(g.strike)}
                       for g in plan.grants],
            "years": [plan.years.start, plan.years.stop - 1],
            "exit_date": plan.exit_date.isoformat(),
            "stock": plan.stock.kind,
        },
    }


def plan_toml(body: Mapping[str, Any]) -> dict[str, Any]:
    """The form as a plan file (export), validated first so a download always loads again."""
    from isoplan.app.plan import load_plan

    source = plan_source(body)
    load_plan(source)
    return {"toml": source.text}


def risk_page(body: Mapping[str, Any]) -> dict[str, Any]:
    """``isoplan risk --json`` for the plan of the request (``paths``, ``seed``: the form's settings)."""
    from isoplan.app.risk import RiskRequest, run_risk

    request = RiskRequest(plan_source(body), paths=_blank(body, "paths"), seed=_blank(body, "seed"),
                          inflation=_blank(body, "inflation"))
    return run_risk(request).as_dict()


def _checklist_request(body: Mapping[str, Any], db: str | None) -> ChecklistRequest:
    from isoplan.app.checklist import ChecklistRequest

    return ChecklistRequest(plan_source(body), year=_blank(body, "year"), ledger=db or "", ledger_optional=True,
                            inflation=_blank(body, "inflation"), paths=_blank(body, "paths"),
                            seed=_blank(body, "seed"))


def checklist_page(body: Mapping[str, Any], *, db: str | None) -> dict[str, Any]:
    """``isoplan checklist --json`` for the plan of the request, checked against the app's ledger when it exists."""
    from isoplan.app.checklist import run_checklist

    return run_checklist(_checklist_request(body, db)).as_dict()


def checklist_calendar(body: Mapping[str, Any], *, db: str | None) -> dict[str, Any]:
    """The checklist's dates as an iCalendar file (RFC 5545; ``isoplan checklist --ics``) as ``{"ics": text}``."""
    from isoplan.app.checklist import run_checklist
    from isoplan.report.html import checklist_ics

    return {"ics": checklist_ics(run_checklist(_checklist_request(body, db)).as_dict())}


def report_html(body: Mapping[str, Any], *, db: str | None) -> dict[str, Any]:
    """The self-contained HTML report (``isoplan report``) as ``{"html": text}``."""
    from isoplan.app.report import run_report

    return run_report(_checklist_request(body, db)).as_dict()
