"""``isoplan mcp`` through a real MCP client session: the SDK's stdio client starts
``python -m isoplan mcp --db <tmp>`` and speaks the protocol to it.

Every tool's JSON is compared with the application layer's ``as_dict()`` for the same inputs (the
server must add no logic of its own); the error paths come back as tool errors, and the server keeps
answering after them. Each test runs its session with ``anyio.run``.
"""

from __future__ import annotations

import datetime
import json
import sys
import tomllib
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import pytest

import isoplan

pytest.importorskip("mcp.client.stdio", reason="the MCP SDK (the 'mcp' extra) is not installed")

from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import CallToolResult

ROOT = Path(__file__).resolve().parents[2]
SRC = Path(isoplan.__file__).resolve().parents[1]
PLAN_TEXT = (ROOT / "examples" / "staging-three-years.toml").read_text(encoding="utf-8")

READ_TOOLS = {"tax", "room", "cost", "plan", "risk", "checklist", "ledger_grants", "ledger_lots", "ledger_years"}
WRITE_TOOLS = {"ledger_add_grant", "ledger_exercise", "ledger_sell", "ledger_set_income"}

#: One household: single, $200,000 of wages in 2026 (the room is $31,384 of spread, docs/room-and-cost.md).
HOUSEHOLD: dict[str, Any] = {"year": 2026, "filing_status": "single", "wages": 200000}

Body = Callable[[ClientSession], Awaitable[None]]


def run_session(db: Path, body: Body, *extra: str) -> list[Exception]:
    """Start the server on ``db``, run ``body`` in an initialized session; the stray lines on stdout that
    were not protocol messages (none expected)."""
    stray: list[Exception] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, Exception):
            stray.append(message)

    params = StdioServerParameters(command=sys.executable, args=["-m", "isoplan", "mcp", "--db", str(db), *extra],
                                   env={"PYTHONPATH": str(SRC)}, cwd=str(db.parent))

    async def main() -> None:
        with (db.parent / "server-stderr.txt").open("w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write), \
                    ClientSession(read, write, message_handler=on_message) as session:
                await session.initialize()
                await body(session)

    anyio.run(main)
    return stray


def payload(result: CallToolResult) -> Any:
    """The tool's JSON (its structured content), after checking the call succeeded and the text answer and
    the JSON text block are there."""
    assert not result.is_error, result.content
    assert len(result.content) == 2
    answer, text = result.content
    assert answer.type == "text" and answer.text
    assert text.type == "text"
    assert result.structured_content is not None
    data = json.loads(text.text)
    assert data == result.structured_content or {next(iter(result.structured_content)): data} == \
        result.structured_content
    return result.structured_content


def answer_text(result: CallToolResult) -> str:
    first = result.content[0]
    assert first.type == "text"
    return first.text


def error_text(result: CallToolResult) -> str:
    assert result.is_error
    first = result.content[0]
    assert first.type == "text"
    return first.text


def as_json(data: Any) -> Any:
    """What the JSON of ``data`` reads back as (tuples become lists, keys text)."""
    return json.loads(json.dumps(data))


def _dates_as_text(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    return value


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    """A ledger with one grant of 10,000 ISOs at $2, 4,000 shares exercised at $12, and 2026's income."""
    from isoplan.app import ledger as app

    db = tmp_path / "ledger.db"
    app.add_grant(db, app.AddGrantRequest(id="hire", company="Acme", kind="iso", date="2024-01-15", shares=10000,
                                          strike=2, vesting=app.VestingOptions(vested=True)))
    app.exercise(db, app.ExerciseRequest(id="ex1", grant="hire", date="2026-02-02", shares=4000, fmv=12))
    app.set_income(db, app.IncomeRequest(year=2026, filing_status="single", amounts={"wages": 200000}))
    return db


# ---------------------------------------------------------------- the computations


def test_the_tools_and_the_calculators_match_the_application_layer(ledger: Path) -> None:
    from isoplan.app.cost import CostRequest, cost
    from isoplan.app.room import RoomRequest, room
    from isoplan.app.tax import TaxRequest, compute_tax

    household = dict(HOUSEHOLD)
    seen: dict[str, Any] = {}

    async def body(session: ClientSession) -> None:
        tools = (await session.list_tools()).tools
        seen["tools"] = {t.name: t for t in tools}
        seen["tax"] = await session.call_tool("tax", {**household, "iso_bargain_element": 80000})
        seen["tax_ca"] = await session.call_tool("tax", {**household, "state": "CA", "explain": True})
        seen["room"] = await session.call_tool("room", {**household, "fmv": 20, "strike": 11})
        seen["cost"] = await session.call_tool("cost", {**household, "shares": 5000, "strike": 11, "fmv": 20})

    assert run_session(ledger, body) == []
    tools = seen["tools"]
    assert set(tools) == READ_TOOLS  # the ledger's write tools only with --allow-writes
    for tool in tools.values():
        assert "US dollars" in (tool.description or ""), tool.name
    for name in ("tax", "room", "cost"):
        description = tools[name].description or ""
        assert "Not modeled" in description
        properties = tools[name].input_schema["properties"]
        assert {"year", "filing_status", "wages", "iso_bargain_element", "amt_credit_carryforward",
                "state", "property_tax"} <= set(properties)
        assert set(tools[name].input_schema["required"]) >= {"year", "filing_status"}

    expected = compute_tax(TaxRequest(household={**household, "iso_bargain_element": 80000})).as_dict()
    assert payload(seen["tax"]) == as_json(expected)
    # 2026, single, $200,000 wages and $80,000 of spread: AMT $12,640 on top of $36,734 regular tax
    assert answer_text(seen["tax"]).startswith("In 2026 (single) you owe $12,640 of AMT")

    expected = compute_tax(TaxRequest(household=household, state="CA", explain=True)).as_dict()
    assert payload(seen["tax_ca"]) == as_json(expected)
    assert "California" in answer_text(seen["tax_ca"])

    expected = room(RoomRequest(household=household, fmv=20, strike=11)).as_dict()
    assert payload(seen["room"]) == as_json(expected)
    # $31,384 of room at $9 of spread a share: floor(31,384 / 9) = 3,487 shares
    assert answer_text(seen["room"]).startswith(
        "In 2026 you can add $31,384 of ISO spread (3,487 shares) with no AMT;")

    expected = cost(CostRequest(household=household, shares=5000, strike=11, fmv=20)).as_dict()
    assert payload(seen["cost"]) == as_json(expected)
    # strike cash 5,000 x $11 = $55,000 plus $3,540 of AMT = $58,540
    assert answer_text(seen["cost"]).startswith("Exercising 5,000 shares in 2026 costs $58,540 in all")


def test_plan_risk_and_checklist_take_the_plan_as_text_or_as_a_structure(ledger: Path) -> None:
    from isoplan.app.checklist import ChecklistRequest, run_checklist
    from isoplan.app.plan import PlanRequest, plan_from_text, run_plan
    from isoplan.app.risk import RiskRequest, run_risk

    structure = _dates_as_text(tomllib.loads(PLAN_TEXT))
    seen: dict[str, CallToolResult] = {}

    async def body(session: ClientSession) -> None:
        seen["plan"] = await session.call_tool("plan", {"plan": PLAN_TEXT})
        seen["plan_structure"] = await session.call_tool("plan", {"plan": structure})
        seen["risk"] = await session.call_tool("risk", {"plan": PLAN_TEXT, "paths": 200, "seed": 3})
        seen["checklist"] = await session.call_tool("checklist", {"plan": PLAN_TEXT, "paths": 200})

    assert run_session(ledger, body) == []
    source = plan_from_text(PLAN_TEXT, name="plan")
    expected = run_plan(PlanRequest(source)).as_dict()
    assert payload(seen["plan"]) == as_json(expected)
    assert payload(seen["plan_structure"]) == as_json(expected)
    assert answer_text(seen["plan"]).startswith("Recommended schedule: ")

    expected = run_risk(RiskRequest(source, paths=200, seed=3)).as_dict()
    assert payload(seen["risk"]) == as_json(expected)
    assert "200 simulated price paths (seed 3)" in answer_text(seen["risk"])

    checklist = run_checklist(ChecklistRequest(source, paths=200)).as_dict()
    assert payload(seen["checklist"]) == as_json(checklist)
    assert answer_text(seen["checklist"]).startswith(
        f"Exercise-year checklist for {checklist['year']}: overall {checklist['overall'].upper()}.")


def test_the_ledger_tools_read_the_ledger_given(ledger: Path) -> None:
    from isoplan.app import ledger as app

    seen: dict[str, CallToolResult] = {}

    async def body(session: ClientSession) -> None:
        for name in ("ledger_grants", "ledger_lots", "ledger_years"):
            seen[name] = await session.call_tool(name, {})
        seen["write"] = await session.call_tool("ledger_sell", {"id": "s1", "date": "2026-03-01", "shares": 10,
                                                                "price": 15})

    assert run_session(ledger, body) == []
    assert payload(seen["ledger_grants"]) == {"grants": as_json(app.grants(ledger).as_list())}
    assert payload(seen["ledger_lots"]) == {"lots": as_json(app.lots(ledger).as_list())}
    assert payload(seen["ledger_years"]) == as_json(app.years(ledger).as_dict())
    assert answer_text(seen["ledger_grants"]).startswith("The ledger holds 1 grant(s):")
    # without --allow-writes the write tools do not exist, and the ledger is unchanged
    assert "ledger_sell" in error_text(seen["write"])
    assert app.sales(ledger).as_list() == []


# ---------------------------------------------------------------- errors


def test_bad_input_is_a_tool_error_naming_the_field_and_the_server_keeps_going(tmp_path: Path) -> None:
    seen: dict[str, CallToolResult] = {}

    async def body(session: ClientSession) -> None:
        seen["negative"] = await session.call_tool("room", {**HOUSEHOLD, "wages": -5})
        seen["not_a_number"] = await session.call_tool("tax", {**HOUSEHOLD, "wages": "lots"})
        seen["status"] = await session.call_tool("tax", {**HOUSEHOLD, "filing_status": "married"})
        seen["margin"] = await session.call_tool("room", {**HOUSEHOLD, "margin": 1.5})
        seen["ca_only"] = await session.call_tool("room", {**HOUSEHOLD, "property_tax": 9000})
        seen["toml"] = await session.call_tool("plan", {"plan": "[person\nfiling_status = 'single'"})
        seen["path"] = await session.call_tool("plan", {"plan": str(ROOT / "examples" / "staging-three-years.toml")})
        seen["no_ledger"] = await session.call_tool("ledger_lots", {})
        seen["after"] = await session.call_tool("room", HOUSEHOLD)

    assert run_session(tmp_path / "missing.db", body) == []
    # the application layer's InputError message: field, value, what is allowed
    assert "wages: -5.0 is not allowed; expected a dollar amount of 0 or more" in error_text(seen["negative"])
    assert "wages" in error_text(seen["not_a_number"])
    assert "filing_status" in error_text(seen["status"])
    assert "margin: 1.5 is not allowed" in error_text(seen["margin"])
    assert "property_tax" in error_text(seen["ca_only"]) and "state CA" in error_text(seen["ca_only"])
    assert "toml" in error_text(seen["toml"])
    assert "toml" in error_text(seen["path"])  # text is TOML, never a path the server would open
    assert "missing.db" in error_text(seen["no_ledger"])
    assert payload(seen["after"])["amt_room"] == 31384.0
    assert not (tmp_path / "missing.db").exists()


# ---------------------------------------------------------------- writing


def test_with_allow_writes_the_write_tools_record_in_the_ledger(ledger: Path) -> None:
    from isoplan.app import ledger as app

    seen: dict[str, Any] = {}

    async def body(session: ClientSession) -> None:
        seen["tools"] = {t.name: t for t in (await session.list_tools()).tools}
        seen["grant"] = await session.call_tool("ledger_add_grant", {
            "id": "refresh", "company": "Acme", "kind": "iso", "date": "2025-03-01", "shares": 1200, "strike": 8,
            "vest_months": 12, "cliff_months": 0, "every": "quarterly"})
        seen["exercise"] = await session.call_tool("ledger_exercise", {
            "id": "ex2", "grant": "hire", "date": "2026-05-01", "shares": 1000, "fmv": 14})
        seen["sell"] = await session.call_tool("ledger_sell", {
            "id": "s1", "lot": "ex1", "date": "2026-06-01", "shares": 500, "price": 15})
        seen["income"] = await session.call_tool("ledger_set_income", {
            "year": 2027, "filing_status": "mfj", "wages": 310000, "state_local_tax": 30000, "state": "CA",
            "property_tax": 9000})
        seen["bad"] = await session.call_tool("ledger_exercise", {
            "id": "ex3", "grant": "hire", "date": "2026-13-01", "shares": 10, "fmv": 14})

    assert run_session(ledger, body, "--allow-writes") == []
    tools = seen["tools"]
    assert set(tools) == READ_TOOLS | WRITE_TOOLS
    assert all(tools[name].annotations and tools[name].annotations.read_only_hint for name in READ_TOOLS)
    assert not any(tools[name].annotations and tools[name].annotations.read_only_hint for name in WRITE_TOOLS)

    schedule = payload(seen["grant"])["schedule"]
    assert len(schedule) == 4  # 12 months, every quarter, no cliff: four tranches of 300
    assert as_json(app.vest_schedule(ledger, "refresh").as_list()) == schedule
    assert answer_text(seen["grant"]).startswith("Recorded grant refresh (")

    lots = {lot["id"]: lot for lot in as_json(app.lots(ledger).as_list())}
    assert [lot["id"] for lot in payload(seen["exercise"])["lots"]] == ["ex2"]
    assert lots["ex2"]["shares"] == 1000
    assert lots["ex1"]["held"] == 3500  # 4,000 exercised, 500 sold
    assert payload(seen["sell"]) == {"sales": as_json(app.sales(ledger).as_list())}

    income = payload(seen["income"])
    assert income["year"] == 2027 and income["filing_status"] == "mfj" and income["state"] == "CA"
    assert {k: Decimal(v) for k, v in income["income"].items()} == {
        "wages": 310000, "state_local_tax": 30000, "property_tax": 9000}

    assert "date" in error_text(seen["bad"]) and "2026-13-01" in error_text(seen["bad"])
    assert "ex3" not in lots


def test_help_does_not_load_the_sdk() -> None:
    import subprocess

    code = ("import sys; from isoplan.cli import build_parser; build_parser(); "
            "print(any(m == 'mcp' or m.startswith('mcp.') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(SRC)})
    assert out.stdout.strip() == "False"


def test_the_package_uses_the_sdk_not_itself() -> None:
    """``isoplan.mcp`` imports the SDK by absolute name, so ``import mcp`` is the SDK; it uses the application
    layer (and the report's money format), never the command line or the web app."""
    import mcp as sdk

    import isoplan.mcp.server as server

    assert Path(sdk.__file__).parent != Path(server.__file__).parent
    assert "site-packages" in sdk.__file__ or "dist-packages" in sdk.__file__
    text = "\n".join(p.read_text(encoding="utf-8") for p in (SRC / "isoplan" / "mcp").glob("*.py"))
    assert "isoplan.cli" not in text and "isoplan.web" not in text
    assert "from . " not in text and "from .answers" not in text


def test_every_tool_and_argument_is_in_the_docs(tmp_path: Path) -> None:
    from isoplan.mcp.server import READ_TOOLS as SERVER_READ_TOOLS
    from isoplan.mcp.server import WRITE_TOOLS as SERVER_WRITE_TOOLS
    from isoplan.mcp.server import build_server

    assert set(SERVER_READ_TOOLS) == READ_TOOLS and set(SERVER_WRITE_TOOLS) == WRITE_TOOLS
    docs = (ROOT / "docs" / "mcp.md").read_text(encoding="utf-8")
    tools = anyio.run(build_server(tmp_path / "ledger.db", allow_writes=True).list_tools)
    assert {t.name for t in tools} == READ_TOOLS | WRITE_TOOLS
    for tool in tools:
        assert f"`{tool.name}`" in docs, tool.name
        for name in tool.input_schema["properties"]:
            assert f"`{name}`" in docs, f"{tool.name}: {name}"
    assert "`isoplan mcp`" in (ROOT / "README.md").read_text(encoding="utf-8")
