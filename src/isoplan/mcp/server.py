"""The MCP server: isoplan's use cases as tools an AI assistant can call, over stdio.

Built on the official Python SDK (``mcp`` 2.x, :class:`mcp.server.mcpserver.MCPServer`). Each tool is a
few lines: its arguments go into the application layer's request (:mod:`isoplan.app`), the result
record's ``as_dict()`` (the JSON of ``--json``) comes back as the tool's structured content, beside a
short text answer that leads with the decision (:mod:`isoplan.mcp.answers`). A value the application
layer refuses comes back as a tool error carrying its :class:`~isoplan.errors.InputError` message.

Argument names are the batch-CSV column names (the engine's inputs, :mod:`isoplan.tax.fields`) and the
plan file's keys. The ledger tools read the ledger given at start-up; the tools that write to it exist
only when the server is started with ``allow_writes``. On stdio, stdout carries only the protocol: the
SDK points file descriptor 1 at stderr while it serves, and logging goes to stderr.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from isoplan import __version__
from isoplan.errors import InputError
from isoplan.mcp import answers

__all__ = ["READ_TOOLS", "WRITE_TOOLS", "build_server", "serve"]

#: The tools every server has (computations, and the ledger read-only).
READ_TOOLS = ("tax", "room", "cost", "plan", "risk", "checklist", "ledger_grants", "ledger_lots", "ledger_years")
#: The tools that write to the ledger: only with ``allow_writes``.
WRITE_TOOLS = ("ledger_add_grant", "ledger_exercise", "ledger_sell", "ledger_set_income")

_INSTRUCTIONS = (
    "isoplan plans Incentive Stock Option (ISO) exercises around the US federal Alternative Minimum Tax (AMT), "
    "with California beside it, locally: nothing leaves the machine. Amounts are US dollars a year; prices are "
    "US dollars a share; rates and margins are fractions (0.10 = 10%). Start with `room` for 'how many ISOs can "
    "I exercise this year without AMT', `cost` for what one exercise costs, `plan` (with `risk` and `checklist`) "
    "for a multi-year schedule. Results are planning estimates, not tax advice: say so when you answer. "
    "Not modeled: state income tax other than California's, payroll tax withholding, estimated-tax penalties."
)

_NOT_MODELED = ("Not modeled: state income tax other than California's (another state gets a note), FICA "
                "payroll taxes, withholding and estimated-tax penalties.")

_READ = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
_WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False,
                         open_world_hint=False)


@dataclass(frozen=True)
class Arg:
    """One tool argument: its name, type, description for the assistant and default (none: required)."""

    name: str
    annotation: Any
    description: str
    default: Any = inspect.Parameter.empty


Handler = Callable[[dict[str, Any]], CallToolResult]


def _tool(name: str, args: Sequence[Arg], handler: Handler) -> Callable[..., CallToolResult]:
    """A function the SDK turns into a tool: its signature (so the input schema) is ``args``; it calls
    ``handler`` with the arguments by name and turns an :class:`InputError` into a tool error."""

    def call(**arguments: Any) -> CallToolResult:
        try:
            return handler(arguments)
        except InputError as err:
            raise ToolError(err.message) from None

    call.__name__ = call.__qualname__ = name
    params = [inspect.Parameter(a.name, inspect.Parameter.KEYWORD_ONLY, default=a.default,
                                annotation=Annotated[a.annotation, Field(description=a.description)])
              for a in args]
    # The SDK reads the schema from the signature: the arguments are listed here, from the field tables,
    # not spelled out in a Python signature of their own.
    call.__signature__ = inspect.Signature(params, return_annotation=CallToolResult)  # type: ignore[attr-defined]
    return call


def _result(data: Any, answer: str, *, key: str | None = None) -> CallToolResult:
    """The answer and the JSON as text (for clients that read text only), the JSON as structured content
    (an object: a list result goes under ``key``)."""
    structured = data if key is None else {key: data}
    return CallToolResult(
        content=[TextContent(type="text", text=answer), TextContent(type="text", text=json.dumps(data, indent=2))],
        structured_content=structured,
    )


# ---------------------------------------------------------------- arguments


def _household_args() -> list[Arg]:
    """The engine's inputs of one household, named as the batch CSV's columns (:mod:`isoplan.tax.fields`)."""
    from isoplan.app.common import tax_years
    from isoplan.tax.fields import COUNT_FIELDS, MONEY_FIELDS

    years = tax_years()
    args = [
        Arg("year", int, f"the tax year, {years.start}-{years.stop - 1} (years past the last published one use "
            "law projected at the assumed inflation)"),
        Arg("filing_status", str, "single, mfj (married filing jointly), mfs (married filing separately), hoh "
            "(head of household) or qss (qualifying surviving spouse)"),
    ]
    for name, negative, help_text in MONEY_FIELDS:
        sign = "; may be negative" if negative else ""
        args.append(Arg(name, float | None, f"{help_text}; US dollars for the year{sign}; default 0", None))
    for name, help_text in COUNT_FIELDS:
        args.append(Arg(name, int | None, f"{help_text}; default 0", None))
    return args


def _state_args() -> list[Arg]:
    from isoplan.tax.fields import CA_MONEY_FIELDS

    args = [Arg("state", str | None, "two-letter state of residence: CA adds California's tax (Form 540, "
                "Schedule P (540) AMT, FTB 3510 credit); another state gets a note (its tax is not modeled); "
                "none: federal only", None)]
    args += [Arg(name, float | None, f"{help_text}; US dollars; only with state CA", None)
             for name, help_text in CA_MONEY_FIELDS]
    args += [
        Arg("deduction", str, "auto (the larger of standard and itemized), standard or itemized", "auto"),
        Arg("inflation", float | None, "assumed yearly inflation for projected tax years, e.g. 0.025 "
            "(default: the law data's)", None),
    ]
    return args


def _split(arguments: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the household's inputs given, the other arguments)."""
    from isoplan.tax.fields import INPUT_NAMES

    household = {k: v for k, v in arguments.items() if k in INPUT_NAMES and v is not None}
    return household, {k: v for k, v in arguments.items() if k not in INPUT_NAMES}


_PLAN_ARG = Arg("plan", str | dict[str, Any],
                "the plan: the text of a plan file (TOML: [person], [income], [cash], [stock], [[grants]], [plan], "
                "[risk]; keys as in docs/plan-file.md) or the same structure as an object (dates as YYYY-MM-DD)")
_INFLATION_ARG = Arg("inflation", float | None, "assumed yearly inflation for projected tax years, e.g. 0.025 "
                     "(overrides the plan's plan.inflation)", None)
_GRID_ARG = Arg("grid", int | None, "share-grid steps per grant for the optimizer (default: automatic)", None)


def _plan_source(value: str | Mapping[str, Any]) -> Any:
    """The plan as the application layer reads it. Text is always TOML, never a path: an assistant does not
    open files through this server."""
    from isoplan.app.plan import PlanSource, plan_from_text

    if isinstance(value, str):
        return plan_from_text(value, name="plan")
    return PlanSource("plan", value)


# ---------------------------------------------------------------- the tools


def _tax(arguments: dict[str, Any]) -> CallToolResult:
    from isoplan.app.tax import TaxRequest, compute_tax

    household, opts = _split(arguments)
    data = compute_tax(TaxRequest(household=household, **opts)).as_dict()
    return _result(data, answers.tax_answer(data))


def _room(arguments: dict[str, Any]) -> CallToolResult:
    from isoplan.app.room import RoomRequest, room

    household, opts = _split(arguments)
    data = room(RoomRequest(household=household, **opts)).as_dict()
    return _result(data, answers.room_answer(data))


def _cost(arguments: dict[str, Any]) -> CallToolResult:
    from isoplan.app.cost import CostRequest, cost

    household, opts = _split(arguments)
    data = cost(CostRequest(household=household, **opts)).as_dict()
    return _result(data, answers.cost_answer(data))


def _calc_tools() -> list[tuple[str, str, list[Arg], Handler]]:
    from isoplan.app.defaults import DEFAULT_DROP, DEFAULT_MARGIN

    household, state = _household_args(), _state_args()
    tax_args = [*household, *state, Arg("explain", bool, "also list every Form 1040 / 6251 / 8801 line", False)]
    room_args = [
        *household,
        Arg("fmv", float | None, "fair market value per share at exercise, US dollars (with strike: to count shares)",
            None),
        Arg("strike", float | None, "exercise (strike) price per share, US dollars", None),
        Arg("spread_per_share", float | None, "FMV minus strike per share, US dollars (instead of fmv and strike)",
            None),
        Arg("margin", float, "share of the room left unused as a cushion, a fraction", DEFAULT_MARGIN),
        *state,
    ]
    cost_args = [
        *household,
        Arg("shares", int, "number of ISO shares to exercise"),
        Arg("strike", float, "exercise (strike) price per share, US dollars"),
        Arg("fmv", float, "fair market value per share at exercise, US dollars"),
        Arg("date", str | None, "exercise date, YYYY-MM-DD, in the tax year (default: none given)", None),
        Arg("cash", float | None, "cash available outside the shares, US dollars (for the stress test)", None),
        Arg("drop", float, "fall in the share price after exercise for the stress test, a fraction "
            "(0.5 = 50%)", DEFAULT_DROP),
        Arg("private", bool, "the stock is private: no same-year sale can undo the AMT", False),
        *state,
    ]
    return [
        ("tax", "Federal income tax of one household for one year, line by line: regular tax (Form 1040), AMT "
         "(Form 6251), minimum tax credit used (Form 8801), NIIT (Form 8960) and Additional Medicare Tax (Form "
         "8959); with state CA also California tax (Form 540, Schedule P (540), FTB 3510). Amounts in US dollars "
         "a year. " + _NOT_MODELED, tax_args, _tax),
        ("room", "The AMT-free room: the largest ISO spread (Form 6251 line 2i, US dollars) this household can add "
         "this year with no AMT, the shares it buys at a given spread per share, the marginal AMT rate past the "
         "line and what going past it costs, the minimum tax credit line; with state CA the California line "
         "(Schedule P (540)) beside it and which one binds. Answers 'how many ISOs can I exercise this year "
         "without AMT'. " + _NOT_MODELED, room_args, _room),
        ("cost", "What one ISO exercise really costs this year: strike cash plus the federal tax it causes (regular "
         "tax and AMT separately, US dollars), how far past the AMT-free room it goes, a price-drop stress test and "
         "the same-year-sale rescue (a disqualifying disposition by December 31). The AMT is shown as paid, not as "
         "a credit recovered in later years. " + _NOT_MODELED, cost_args, _cost),
    ]


def _plan(db: Path) -> Handler:
    def handler(arguments: dict[str, Any]) -> CallToolResult:
        from isoplan.app.plan import PlanRequest, run_plan

        request = PlanRequest(_plan_source(arguments["plan"]), grid=arguments["grid"],
                              inflation=arguments["inflation"], explain=arguments["explain"],
                              ledger=str(db) if arguments["grants_from_ledger"] else None)
        data = run_plan(request).as_dict()
        return _result(data, answers.plan_answer(data))

    return handler


def _risk(db: Path) -> Handler:
    def handler(arguments: dict[str, Any]) -> CallToolResult:
        from isoplan.app.risk import RiskRequest, run_risk

        request = RiskRequest(_plan_source(arguments["plan"]), paths=arguments["paths"], seed=arguments["seed"],
                              sections=arguments["sections"], drop=arguments["drop"],
                              inflation=arguments["inflation"],
                              ledger=str(db) if arguments["grants_from_ledger"] else None)
        data = run_risk(request).as_dict()
        return _result(data, answers.risk_answer(data))

    return handler


def _checklist(db: Path) -> Handler:
    def handler(arguments: dict[str, Any]) -> CallToolResult:
        from isoplan.app.checklist import ChecklistRequest, run_checklist

        request = ChecklistRequest(_plan_source(arguments["plan"]), year=arguments["year"], grid=arguments["grid"],
                                   inflation=arguments["inflation"], risk=arguments["risk"],
                                   paths=arguments["paths"], seed=arguments["seed"],
                                   ledger=str(db) if arguments["check_ledger"] else None, ledger_optional=True)
        data = run_checklist(request).as_dict()
        return _result(data, answers.checklist_answer(data))

    return handler


def _plan_tools(db: Path) -> list[tuple[str, str, list[Arg], Handler]]:
    from isoplan.app.defaults import DEFAULT_RISK_PATHS
    from isoplan.planning.risk import SECTIONS

    from_ledger = Arg("grants_from_ledger", bool, "take the grants from the server's ledger instead of the plan's "
                      "[[grants]] (which may then be left out)", False)
    paths = Arg("paths", int | None, f"simulated price paths (default: the plan's [risk] paths, else "
                f"{DEFAULT_RISK_PATHS:,})", None)
    seed = Arg("seed", int | None, "random seed of the simulation (default: the plan's, else 0)", None)
    plan_args = [_PLAN_ARG, _GRID_ARG, _INFLATION_ARG,
                 Arg("explain", bool, "also list each year's Form 1040 / 6251 / 8801 lines", False), from_ledger]
    risk_args = [_PLAN_ARG, paths, seed,
                 Arg("sections", list[str] | None, f"the sections to compute, any of {', '.join(SECTIONS)} (default: "
                     "all)", None),
                 Arg("drop", float | None, "fall in the share price for the stress test, a fraction (default: the "
                     "plan's [risk] drop)", None),
                 _INFLATION_ARG, from_ledger]
    checklist_args = [_PLAN_ARG,
                      Arg("year", int | None, "the exercise year to check (default: the recommended schedule's "
                          "first exercise year)", None),
                      _GRID_ARG, _INFLATION_ARG,
                      Arg("risk", bool, "run the risk simulation for item 9 (timing and stress test)", True),
                      paths, seed,
                      Arg("check_ledger", bool, "check that the planned lots of past exercises are in the server's "
                          "ledger", False)]
    return [
        ("plan", "Optimize a multi-year ISO exercise schedule for a plan (grants, income, cash, stock price path, "
         "exit date): which shares to exercise in which year, each year's regular tax, AMT (Form 6251) and minimum "
         "tax credit (Form 8801), and the after-tax value at the exit in US dollars compared with simple strategies "
         "(everything now, equal thirds, fill the room, wait). Uses the plan's assumed price path only: price risk "
         "is the `risk` tool's. " + _NOT_MODELED, plan_args, _plan(db)),
        ("risk", "Monte Carlo risk report of a plan's recommended schedule (lognormal price paths): January versus "
         "December exercise and the same-year-sale escape hatch, hold versus sell after exercise, the stress test "
         "at the peak year, a pre-IPO liquidity view and the price fan. US dollars and probabilities; a model, not "
         "a forecast (real prices jump). " + _NOT_MODELED, risk_args, _risk(db)),
        ("checklist", "The exercise-year checklist of a plan: nine items (bargain element, AMT and room, the "
         "$100,000 ISO limit, cash, both cost bases, calendar dates, forms, timing, stress test), each ok / warning "
         "/ stop with its figures in US dollars and the next action. " + _NOT_MODELED, checklist_args,
         _checklist(db)),
    ]


def _ledger_read_tools(db: Path) -> list[tuple[str, str, list[Arg], Handler]]:
    from isoplan.app import ledger as app_ledger

    def grants(arguments: dict[str, Any]) -> CallToolResult:
        data = app_ledger.grants(db).as_list()
        return _result(data, answers.grants_answer(data), key="grants")

    def lots(arguments: dict[str, Any]) -> CallToolResult:
        data = app_ledger.lots(db).as_list()
        return _result(data, answers.lots_answer(data), key="lots")

    def years(arguments: dict[str, Any]) -> CallToolResult:
        data = app_ledger.years(db, app_ledger.YearsRequest(**arguments)).as_dict()
        return _result(data, answers.years_answer(data))

    years_args = [Arg("explain", bool, "also Form 8801 and every form line, year by year", False),
                  Arg("inflation", float | None, "assumed yearly inflation for projected tax years", None),
                  Arg("deduction", str, "auto, standard or itemized", "auto")]
    return [
        ("ledger_grants", "The option grants recorded in the local ledger: company, ISO or NSO, grant date, shares, "
         "strike and FMV at grant (US dollars a share), vesting, expiration and shares exercised so far. Read-only.",
         [], grants),
        ("ledger_lots", "The exercised lots in the local ledger, each with both cost bases (regular and AMT, US "
         "dollars), the AMT adjustment (Form 6251 line 2i), the qualifying-disposition date (IRC §422(a)(1)) and "
         "the shares still held. Read-only.", [], lots),
        ("ledger_years", "Each year of the local ledger: the tax with the ledger's option items (regular tax, "
         "tentative minimum tax, AMT) and the minimum tax credit created, used and carried forward (Form 8801), in "
         "US dollars; California (FTB 3510) for a year whose state is CA. Read-only. " + _NOT_MODELED,
         years_args, years),
    ]


def _ledger_write_tools(db: Path) -> list[tuple[str, str, list[Arg], Handler]]:
    from isoplan.app import ledger as app_ledger
    from isoplan.tax.fields import CA_MONEY_FIELDS

    def add_grant(a: dict[str, Any]) -> CallToolResult:
        vesting = app_ledger.VestingOptions(vested=a["vested"], tranches=tuple(a["tranches"] or ()),
                                            start=a["vest_start"], months=a["vest_months"],
                                            cliff_months=a["cliff_months"], every=a["every"])
        request = app_ledger.AddGrantRequest(
            id=a["id"], company=a["company"], kind=a["kind"], date=a["date"], shares=a["shares"], strike=a["strike"],
            fmv=a["fmv"], expires=a["expires"], vesting=vesting, early_exercise=a["early_exercise"],
            post_termination_months=a["post_termination_months"], post_termination_days=a["post_termination_days"])
        added = app_ledger.add_grant(db, request, labels={"tranche": "tranches"})
        data = added.as_list()
        return _result(data, answers.grant_added_answer(added.grant_id, added.vesting_rule, data), key="schedule")

    def exercise(a: dict[str, Any]) -> CallToolResult:
        data = app_ledger.exercise(db, app_ledger.ExerciseRequest(**a)).as_list()
        return _result(data, "Recorded the exercise: " + answers.lots_answer(data), key="lots")

    def sell(a: dict[str, Any]) -> CallToolResult:
        data = app_ledger.sell(db, app_ledger.SellRequest(**a)).as_list()
        return _result(data, answers.sales_answer(data), key="sales")

    def set_income(a: dict[str, Any]) -> CallToolResult:
        household, opts = _split(a)
        amounts = {k: v for k, v in household.items() if k not in ("year", "filing_status")}
        amounts |= {k: opts.pop(k) for k, _ in CA_MONEY_FIELDS if opts.get(k) is not None}
        request = app_ledger.IncomeRequest(year=a["year"], filing_status=a.get("filing_status"), amounts=amounts,
                                           state=opts["state"], clear=opts["clear"])
        data = app_ledger.set_income(db, request).as_dict()
        return _result(data, answers.income_answer(data))

    date = "YYYY-MM-DD"
    grant_args = [
        Arg("id", str, "a name for the grant, e.g. 2024-hire"),
        Arg("company", str, "the employer (the $100,000 ISO limit is per employer group)"),
        Arg("kind", str, "iso or nso"),
        Arg("date", str, f"grant date, {date}"),
        Arg("shares", int, "number of shares granted"),
        Arg("strike", float, "exercise price per share, US dollars"),
        Arg("fmv", float | None, "fair market value per share at grant, US dollars (default: the strike)", None),
        Arg("expires", str | None, f"expiration date, {date} (default: 10 years after grant)", None),
        Arg("vested", bool, "fully vested at grant", False),
        Arg("tranches", list[str] | None, "explicit vesting tranches as DATE:SHARES, e.g. 2026-01-15:1000 "
            "(replace the schedule arguments)", None),
        Arg("vest_start", str | None, f"vesting commencement date, {date} (default: the grant date)", None),
        Arg("vest_months", int, "months until fully vested", 48),
        Arg("cliff_months", int, "months to the cliff (0: none)", 12),
        Arg("every", str, "monthly, quarterly, or a number of months", "monthly"),
        Arg("early_exercise", bool, "the plan allows exercising unvested shares", False),
        Arg("post_termination_months", int | None, "exercise window after employment ends, months (default 3)",
            None),
        Arg("post_termination_days", int | None, "the same window in days (instead of months)", None),
    ]
    exercise_args = [
        Arg("id", str, "a name for the lot, e.g. 2026-03-ex"),
        Arg("grant", str, "the id of the grant exercised"),
        Arg("date", str, f"exercise date, {date}"),
        Arg("shares", int, "number of shares"),
        Arg("fmv", float, "fair market value per share at exercise, US dollars (Form 3921 box 4)"),
        Arg("kind", str, "auto (ISO shares first), iso or nso", "auto"),
        Arg("election_83b", str | None, f"date of an IRC §83(b) election for unvested shares, {date}", None),
        Arg("fmv_at_vesting", float | None, "FMV per share when unvested shares vest, US dollars, if known", None),
        Arg("terminated", str | None, f"last day of employment, {date}, if it ended before the exercise", None),
        Arg("termination_reason", str, "left, disability or death", "left"),
    ]
    sell_args = [
        Arg("id", str, "a name for the sale"),
        Arg("date", str, f"sale date, {date}"),
        Arg("shares", int, "number of shares sold"),
        Arg("price", float, "sale price per share, US dollars"),
        Arg("lot", str | None, "sell from this lot (specific identification)", None),
        Arg("grant", str | None, "first in, first out among this grant's lots (instead of lot)", None),
        Arg("wash_sale", bool, "a wash sale or a sale to a related party: the IRC §422(c)(2) cap does not apply",
            False),
    ]
    income_args = [
        Arg("year", int, "the tax year"),
        Arg("filing_status", str | None, "single, mfj, mfs, hoh or qss (default: the year's, else single)", None),
        *[a for a in _household_args() if a.name not in ("year", "filing_status")],
        Arg("state", str | None, "the year's state of residence (two letters; 'none': federal only; default: "
            "unchanged)", None),
        *[a for a in _state_args() if a.name in {n for n, _ in CA_MONEY_FIELDS}],
        Arg("clear", bool, "drop the year's other amounts first", False),
    ]
    return [
        ("ledger_add_grant", "Record an option grant and its vesting schedule in the local ledger; returns each "
         "tranche's ISO / NSO split under the IRC §422(d) $100,000 limit (US dollars). Writes.", grant_args,
         add_grant),
        ("ledger_exercise", "Record an exercise in the local ledger: one lot per kind and vesting date, with both "
         "cost bases (US dollars). Writes.", exercise_args, exercise),
        ("ledger_sell", "Record a sale in the local ledger (one lot, or first in first out) and its regular and AMT "
         "gain (US dollars). Writes.", sell_args, sell),
        ("ledger_set_income", "Set a year's filing status, state and income in the local ledger (only the amounts "
         "given change; US dollars). Writes.", income_args, set_income),
    ]


def build_server(db: Path, *, allow_writes: bool = False) -> MCPServer[Any]:
    """The server: the computation tools, the ledger at ``db`` read-only, and its write tools with
    ``allow_writes``."""
    server: MCPServer[Any] = MCPServer("isoplan", version=__version__, instructions=_INSTRUCTIONS,
                                       log_level="WARNING")
    tools = [*_calc_tools(), *_plan_tools(db), *_ledger_read_tools(db)]
    for name, description, args, handler in tools:
        server.add_tool(_tool(name, args, handler), name=name, description=description, annotations=_READ)
    if allow_writes:
        for name, description, args, handler in _ledger_write_tools(db):
            server.add_tool(_tool(name, args, handler), name=name, description=description, annotations=_WRITE)
    return server


def serve(db: Path, *, allow_writes: bool = False) -> int:
    """Serve over stdio until the client closes the connection."""
    build_server(db, allow_writes=allow_writes).run("stdio")
    return 0
