"""The JSON behind the web pages: thin wrappers over the application layer the CLI uses.

Each function takes the request's plain data (query parameters or a JSON
body), hands it to the same use case the CLI calls (:mod:`isoplan.app`), and
returns typed records (frozen dataclasses) or their documented JSON
(``isoplan room --json``, ``isoplan cost --json``, :meth:`PlanOutcome.as_dict`).
Bad input raises :class:`~isoplan.errors.InputError` naming the form field,
which the app turns into a 400 with the field.
"""

from __future__ import annotations

import datetime
import importlib
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from isoplan.app.room import AmtCurve, LineExplanation
from isoplan.errors import InputError

#: the household inputs the room and cost calculator accepts (the engine's own field names)
ROOM_MONEY_FIELDS = (
    "wages", "taxable_interest", "ordinary_dividends", "qualified_dividends", "short_term_gain", "long_term_gain",
    "other_ordinary_income", "state_local_tax", "mortgage_interest", "charitable", "other_itemized",
    "iso_bargain_element", "other_amt_adjustments", "amt_credit_carryforward",
)
#: California's extra inputs (isoplan.tax.fields.CA_MONEY_FIELDS), used only when the state is CA
CA_FIELDS = ("property_tax", "ca_amt_credit_carryforward")


class Unavailable(Exception):
    """A planning module another issue is still building is not importable yet."""

    def __init__(self, module: str, reason: str) -> None:
        self.module = module
        super().__init__(f"not available yet: {module} ({reason})")


def optional_module(name: str) -> Any:
    """Import ``name`` lazily (risk, checklist, report); :class:`Unavailable` when it is missing."""
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise Unavailable(name, str(err)) from None


# ---------------------------------------------------------------- typed records


@dataclass(frozen=True)
class RoomPage:
    """``/api/room``: the room (``isoplan room --json``), the cost (``isoplan cost --json``), the chart, the lines."""

    room: dict[str, Any]
    cost: dict[str, Any] | None
    curve: AmtCurve
    explain: dict[str, list[LineExplanation]]


@dataclass(frozen=True)
class PlanPage:
    """``/api/plan``: ``isoplan plan --json`` plus the plan file text and each year's form lines."""

    outcome: dict[str, Any]
    toml: str
    form: dict[str, Any]
    explain: list[list[LineExplanation]]  # per year of the recommended schedule
    seconds: float = 0.0
    ca_explain: list[list[LineExplanation]] | None = None  # per year: Form 540 / Schedule P (540), state CA only
    extra: dict[str, Any] = field(default_factory=dict)


def _lines(result: Any, i: int = 0) -> list[LineExplanation]:
    from isoplan.tax.explain import explain_row

    return [LineExplanation(r.key, r.form, r.line, r.caption, r.value) for r in explain_row(result, i)]


def _ca_lines(result: Any, i: int = 0) -> list[LineExplanation]:
    """Form 540 / Schedule P (540) lines of a California result (:func:`isoplan.tax.california.ca_explain_row`)."""
    from isoplan.tax.california import ca_explain_row

    return [LineExplanation(r.key, r.form, r.line, r.caption, r.value) for r in ca_explain_row(result, i)]


# ---------------------------------------------------------------- input parsing


def _text(params: Mapping[str, Any], name: str) -> str | None:
    raw = params.get(name)
    if raw is None:
        return None
    text = str(raw).strip()
    return text or None


def number(params: Mapping[str, Any], name: str, default: float | None = 0.0, *, minimum: float | None = 0.0,
           maximum: float | None = None, allowed: str | None = None) -> float | None:
    """A dollar amount or rate from a form field ('1,234.50' and '$1234.5' accepted)."""
    raw = params.get(name)
    text = _text(params, name)
    if text is None:
        return default
    cleaned = text.replace(",", "").replace("$", "").replace("_", "").strip()
    what = allowed or ("a number" + (f" of at least {minimum:g}" if minimum is not None else ""))
    try:
        value = float(cleaned)
    except ValueError:
        raise InputError(name, raw, what) from None
    if not math.isfinite(value) or (minimum is not None and value < minimum) or (
            maximum is not None and value > maximum):
        raise InputError(name, raw, what)
    return value


def whole(params: Mapping[str, Any], name: str, default: int | None = 0, *, minimum: int = 0,
          maximum: int | None = None) -> int | None:
    allowed = f"a whole number of at least {minimum}" + (f" and at most {maximum}" if maximum is not None else "")
    value = number(params, name, None, minimum=None, allowed=allowed)
    if value is None:
        return default
    if value != int(value) or value < minimum or (maximum is not None and value > maximum):
        raise InputError(name, params.get(name), allowed)
    return int(value)


def state_code(params: Mapping[str, Any], name: str = "state", other: str = "state_other") -> str | None:
    """The state of residence: none (federal only), ``CA``, or another two-letter code.

    The form sends ``state`` = ``""``/``none``, ``CA`` or ``other`` with the code in ``state_other``;
    scripts may send the code itself in ``state``. Only California is modeled; another state gets a note.
    """
    raw = _text(params, name)
    field_name = name
    if raw is not None and raw.lower() == "other":
        raw, field_name = _text(params, other), other
        if raw is None:
            raise InputError(other, None, "the two-letter code of the other state, e.g. NY")
    if raw is None or raw.lower() == "none":
        return None
    code = raw.upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise InputError(field_name, raw, "a two-letter state code such as CA, or none for federal only")
    return code


def flag(params: Mapping[str, Any], name: str) -> bool:
    value = params.get(name)
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "on", "yes")


# ---------------------------------------------------------------- room and cost


def room_page(params: Mapping[str, Any]) -> RoomPage:
    """The room, the exercise cost and the AMT curve for one household (the inputs of ``isoplan room``/``cost``)."""
    from isoplan.app.household import Names
    from isoplan.app.room import RoomPageRequest, RoomRequest, room_page_data

    household: dict[str, str | int | None] = {name: _text(params, name) for name in ROOM_MONEY_FIELDS}
    household["year"] = _text(params, "year") or datetime.date.today().year
    household["filing_status"] = _text(params, "filing_status") or "single"
    room = RoomRequest(
        household=household, margin=_text(params, "margin"), fmv=_text(params, "fmv"),
        strike=_text(params, "strike"), state=state_code(params), property_tax=_text(params, "property_tax"),
        ca_amt_credit_carryforward=_text(params, "ca_amt_credit_carryforward"),
        deduction=_text(params, "deduction"), inflation=_text(params, "inflation"), names=Names(form=True),
    )
    data = room_page_data(RoomPageRequest(room, shares=_text(params, "shares"), drop=_text(params, "drop"),
                                          cash=_text(params, "cash"), private=flag(params, "private")))
    return RoomPage(room=data.room.as_dict(), cost=None if data.cost is None else data.cost.as_dict(),
                    curve=data.curve, explain=data.explain)


# ---------------------------------------------------------------- plan files

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
    out: list[str] = ["# isoplan plan file (written by isoplan serve); format: docs/plan-file.md", ""]

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


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def plan_source(body: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(TOML text, parsed TOML) from a request: ``{"toml": text}`` (a file) or ``{"plan": {...}}`` (the form)."""
    if isinstance(body.get("toml"), str):
        text = body["toml"]
    elif isinstance(body.get("plan"), Mapping):
        form = body["plan"]
        person = form.get("person")
        if isinstance(person, Mapping) and person.get("state") is not None:
            # the form's state: a two-letter code (CA is modeled; another gets the plan's note), checked here so
            # the message sits next to the field
            code = state_code({"person.state": person.get("state")}, "person.state")
            form = {**form, "person": {**person, "state": code}} if code else \
                {**form, "person": {k: v for k, v in person.items() if k != "state"}}
        text = to_toml(form)
    else:
        from importlib import resources

        text = resources.files("isoplan.data").joinpath("demo-plan.toml").read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError("toml", str(err), "valid TOML (docs/plan-file.md)") from None
    return text, data


def load_plan(body: Mapping[str, Any], *, today: datetime.date | None = None) -> tuple[Any, str, dict[str, Any]]:
    """A validated :class:`~isoplan.planning.plan.Plan` from a request, with its TOML text and parsed data."""
    from isoplan.planning.plan import parse_plan

    text, data = plan_source(body)
    name = str(body.get("name") or "plan")
    plan = parse_plan(data, Path(name).name, today=today or datetime.date.today())
    return plan, text, data


def plan_page(body: Mapping[str, Any]) -> PlanPage:
    """Run a plan (``isoplan plan --json``) and the form lines of each year of the recommended schedule."""
    import time

    from isoplan.planning.staging import run_plan
    from isoplan.tax.federal import compute_federal
    from isoplan.tax.law import law_table

    start = time.perf_counter()
    plan, text, data = load_plan(body)
    law = law_table(plan.inflation)
    outcome = run_plan(plan, law)
    result = outcome.as_dict()
    explain = []
    model = outcome.model
    for t in range(len(model.years)):
        explain.append(_lines(compute_federal(outcome.year_household(outcome.recommended, t), law)))
    ca_explain = None
    if model.california:
        from isoplan.tax.california import compute_california

        # each year's Form 540 / Schedule P (540) lines, with the FTB 3510 credit the schedule has available then
        ev = outcome.recommended.evaluation
        ca_explain = [_ca_lines(compute_california(
            outcome.year_household(outcome.recommended, t), model.ca_law, property_tax=float(model.property_tax[t]),
            ca_amt_credit_carryforward=float(ev.ca_credit_available[t, 0]))) for t in range(len(model.years))]
    return PlanPage(outcome=result, toml=text, form=_plain(data), explain=explain,
                    seconds=round(time.perf_counter() - start, 4), ca_explain=ca_explain)


def check_plan(body: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a plan file without running it (the import page): its TOML, the parsed form, a summary."""
    plan, text, data = load_plan(body)
    return {
        "toml": text,
        "form": _plain(data),
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
    _, text, _ = load_plan(body)
    return {"toml": text}


# ---------------------------------------------------------------- risk and checklist (issues 6 and 7)


def risk_page(body: Mapping[str, Any]) -> dict[str, Any]:
    """``run_risk(plan).as_dict()`` (issue 6 contract); :class:`Unavailable` until that module exists."""
    from isoplan.planning.staging import run_plan
    from isoplan.tax.law import law_table

    risk = optional_module("isoplan.planning.risk")
    paths = whole(body, "paths", 20_000, minimum=100, maximum=200_000)
    seed = whole(body, "seed", 0, minimum=0, maximum=2**31 - 1)
    plan, _, _ = load_plan(body)
    law = law_table(plan.inflation)
    outcome = run_plan(plan, law)
    result = risk.run_risk(plan, paths=paths, seed=seed, law=law, outcome=outcome)
    return dict(result.as_dict())


def _ledger_lots(db: str | None) -> list[Any] | None:
    from isoplan.ledger.paths import resolve
    from isoplan.ledger.store import Ledger

    path = resolve(db)
    if not path.exists():
        return None
    with Ledger.open(path) as book:
        return list(book.lots())


def checklist_page(body: Mapping[str, Any], *, db: str | None) -> dict[str, Any]:
    """``build_checklist(...).as_dict()`` (issue 7 contract), with the risk sections when issue 6 is there."""
    from isoplan.planning.staging import run_plan
    from isoplan.tax.law import law_table

    checklist = optional_module("isoplan.planning.checklist")
    year = whole(body, "year", None, minimum=2025, maximum=2035)
    plan, _, _ = load_plan(body)
    law = law_table(plan.inflation)
    outcome = run_plan(plan, law)
    risk_dict = None
    notes = []
    try:
        risk = optional_module("isoplan.planning.risk")
        paths = whole(body, "paths", 2_000, minimum=100, maximum=200_000)
        risk_dict = dict(risk.run_risk(plan, paths=paths, seed=0, law=law, outcome=outcome).as_dict())
    except Unavailable:
        notes.append("The risk sections (issue 6) are not available yet: the checklist is built without them.")
    result = checklist.build_checklist(plan, outcome, risk_dict, year=year, ledger_lots=_ledger_lots(db))
    data = dict(result.as_dict())
    data.setdefault("notes", [])
    data["notes"] = list(data["notes"]) + notes
    return data


def report_html(body: Mapping[str, Any], *, db: str | None) -> str:
    """The self-contained HTML report (issue 7's ``render_report``)."""
    from isoplan.planning.staging import run_plan
    from isoplan.tax.law import law_table

    html = optional_module("isoplan.report.html")
    checklist = optional_module("isoplan.planning.checklist")
    plan, _, _ = load_plan(body)
    law = law_table(plan.inflation)
    outcome = run_plan(plan, law)
    risk_dict = None
    try:
        risk = optional_module("isoplan.planning.risk")
        risk_dict = dict(risk.run_risk(plan, paths=2_000, seed=0, law=law, outcome=outcome).as_dict())
    except Unavailable:
        pass
    check = dict(checklist.build_checklist(plan, outcome, risk_dict, ledger_lots=_ledger_lots(db)).as_dict())
    return str(html.render_report(plan, outcome, risk_dict, check))
