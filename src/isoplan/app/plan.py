"""Use case: the staging plan (``isoplan plan``, ``/api/plan``).

One plan loader for every face: :func:`load_plan` takes a plan file's path,
its TOML text or the parsed table, with the command line's options (grants
from a ledger, grid, inflation, today), and returns the validated
:class:`~isoplan.planning.plan.Plan`. :func:`run_plan` optimizes it and
compares it with the baselines on the same assumptions (the recommended
schedule's per-year Form 6251 and Form 8801 figures, and with ``explain``
every year's Form 1040 / 6251 / 8801 lines).

Errors name the field as the caller calls it: a request's ``flag_prefix``
("--" on the command line) goes in front of the option names (ledger, grid,
inflation, today).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import math
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from isoplan.app.common import MEMORY_BUDGET, iso_date, whole
from isoplan.errors import InputError

if TYPE_CHECKING:
    from isoplan.equity.records import Grant
    from isoplan.ledger.store import Ledger
    from isoplan.planning.plan import Plan
    from isoplan.planning.staging import PlanOutcome
    from isoplan.tax.law import LawTable

__all__ = [
    "MAX_GRID_STEPS",
    "PlanInput",
    "PlanRequest",
    "PlanResult",
    "PlanSource",
    "load_plan",
    "open_ledger",
    "plan_from_text",
    "read_plan_source",
    "run_plan",
]

#: The largest share grid per grant the optimizer accepts (steps per grant).
MAX_GRID_STEPS = 400
#: The yearly inflation an option may assume for projected tax years (the plan file's ``plan.inflation`` bound).
MAX_INFLATION = 0.5

#: A plan: a file's path (``str`` without a line break, or a path object), TOML text, or the parsed table.
PlanInput = str | os.PathLike[str] | Mapping[str, Any]
Progress = Any  # Callable[[int, int], None] | None: the optimizer's progress callback


@dataclass(frozen=True)
class PlanSource:
    """A plan as read: its name (the file's path, or the name given), the parsed table and, when known, the text."""

    name: str
    data: Mapping[str, Any]
    text: str | None = None


def read_plan_source(source: PlanInput | PlanSource, *, name: str | None = None) -> PlanSource:
    """Read a plan: a path (``str`` with no line break, or a path object) is read from disk, text with a line
    break is TOML, a mapping is the parsed table. Errors name the file (or ``name``)."""
    if isinstance(source, PlanSource):
        return source
    if isinstance(source, Mapping):
        check_plan_values(source, name or "plan")
        return PlanSource(name or "plan", source)
    if isinstance(source, str) and "\n" in source:
        return plan_from_text(source, name=name or "plan")
    path = os.fspath(source)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as err:
        raise InputError("plan file", path, f"a readable TOML file ({err.strerror})") from None
    except UnicodeDecodeError:
        raise InputError("plan file", path, "a TOML file in UTF-8") from None
    return plan_from_text(text, name=name or path)


def plan_from_text(text: str, *, name: str) -> PlanSource:
    """A plan from its TOML text; ``name`` is what errors and the output call it."""
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError("toml", str(err), "valid TOML (docs/plan-file.md)", source=name) from None
    except RecursionError:
        raise InputError("toml", "nesting too deep", f"tables and arrays nested at most {MAX_PLAN_DEPTH} deep",
                         source=name) from None
    check_plan_values(data, name)
    return PlanSource(name, data, text)


#: Deepest nesting of tables and arrays in a plan (a plan file is 3 deep: [[grants]] vesting tranches).
MAX_PLAN_DEPTH = 8


def check_plan_values(data: Mapping[str, Any], source: str) -> None:
    """Refuse what no plan key takes, naming the key: a date with a time of day (TOML datetime) or a time,
    a number that is not finite (TOML ``inf``, ``nan``), nesting deeper than :data:`MAX_PLAN_DEPTH`."""
    stack: list[tuple[str, Any, int]] = [("", data, 0)]
    while stack:
        key, value, depth = stack.pop()
        if depth > MAX_PLAN_DEPTH:
            raise InputError(key or "plan", "nesting too deep",
                             f"tables and arrays nested at most {MAX_PLAN_DEPTH} deep", source=source)
        if isinstance(value, datetime.datetime):
            raise InputError(key, value.isoformat(), "a date as YYYY-MM-DD, without a time", source=source)
        if isinstance(value, datetime.time):
            raise InputError(key, value.isoformat(), "a date or a number, not a time of day", source=source)
        if isinstance(value, float) and not math.isfinite(value):
            raise InputError(key, value, "a finite number", source=source)
        if isinstance(value, Mapping):
            stack.extend((f"{key}.{k}" if key else str(k), v, depth + 1) for k, v in value.items())
        elif isinstance(value, list | tuple):
            stack.extend((f"{key}[{i}]", v, depth + 1) for i, v in enumerate(value))


@contextlib.contextmanager
def open_ledger(ledger: str, field: str) -> Iterator[Ledger]:
    """The ledger at ``ledger`` ("" for the default ledger), closed on leaving; errors name ``field``."""
    import sqlite3

    from isoplan.ledger.db import LedgerFileError, file_error
    from isoplan.ledger.paths import resolve
    from isoplan.ledger.store import Ledger

    path = resolve(ledger or None)
    try:
        book = Ledger.open(path)
    except LedgerFileError:
        raise
    except InputError as err:
        raise InputError(field, err.value, err.allowed) from None
    with book:
        try:
            yield book
        except sqlite3.Error as err:
            raise file_error(path, err) from None


def ledger_grants(ledger: str, field: str) -> tuple[Grant, ...]:
    """The grants recorded in a ledger (at least one)."""
    with open_ledger(ledger, field) as book:
        grants = tuple(book.grants())
    if not grants:
        raise InputError(field, ledger or "default ledger", "a ledger with at least one grant")
    return grants


def plan_today(today: datetime.date | str | None, field: str) -> datetime.date:
    """The day the plan is made (dates the default start year); None: the computer's date."""
    return datetime.date.today() if today is None else iso_date(field, today)


def load_plan(source: PlanInput | PlanSource, *, name: str | None = None, ledger: str | None = None,
              grid: Any = None, inflation: Any = None, today: datetime.date | str | None = None,
              flag_prefix: str = "", objective: str | None = None) -> Plan:
    """A validated plan from a path, TOML text or a parsed table.

    ``ledger``: take the grants from this ledger ("" for the default one) instead of the plan's ``[[grants]]``,
    which the file may then leave out. ``grid``: share-grid steps per grant. ``inflation``: the yearly rate
    for projected tax years (overrides ``plan.inflation``). ``today``: the day the plan is made. ``objective``:
    "risk" or "tax" (overrides ``plan.objective``).
    """
    from isoplan.planning.plan import OBJECTIVES, parse_plan

    read = read_plan_source(source, name=name)
    if objective is not None:
        if objective not in OBJECTIVES:
            raise InputError(flag_prefix + "objective", objective, " or ".join(OBJECTIVES))
        # the override decides before the file is checked (a private plan needs a liquidity model only on risk)
        read = PlanSource(read.name, {**read.data, "plan": {**(read.data.get("plan") or {}), "objective": objective}},
                          read.text)
    grants = None if ledger is None else ledger_grants(ledger, flag_prefix + "ledger")
    plan = parse_plan(read.data, read.name, today=plan_today(today, flag_prefix + "today"), grants=grants)
    changes: dict[str, Any] = {}
    if grid is not None:
        changes["grid_steps"] = whole(flag_prefix + "grid", grid, minimum=1, maximum=MAX_GRID_STEPS)
    if inflation is not None:
        changes["inflation"] = inflation_rate(flag_prefix + "inflation", inflation)
    return dataclasses.replace(plan, **changes) if changes else plan


def inflation_rate(field: str, value: Any) -> float:
    """An assumed yearly inflation rate for projected tax years, within the plan file's bounds."""
    allowed = f"a yearly rate from {-MAX_INFLATION:g} to {MAX_INFLATION:g}, e.g. 0.025"
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InputError(field, value, allowed)
    try:
        rate = float(value)
    except ValueError:
        raise InputError(field, value, allowed) from None
    if not math.isfinite(rate) or not -MAX_INFLATION <= rate <= MAX_INFLATION:
        raise InputError(field, value, allowed)
    return rate


# ---------------------------------------------------------------- running a plan


@dataclass(frozen=True)
class PlanRequest:
    """``isoplan plan``: the plan and the options of :func:`load_plan`; ``explain`` adds each year's form lines."""

    source: PlanInput | PlanSource
    name: str | None = None
    ledger: str | None = None
    grid: Any = None
    inflation: Any = None
    today: datetime.date | str | None = None
    explain: bool = False
    flag_prefix: str = ""
    objective: str | None = None  # "risk" or "tax": overrides the plan file's [plan] objective


@dataclass(frozen=True)
class YearForms:
    """One year of the recommended schedule: the household, its federal result (Form 1040 / 6251 / 8801) and,
    for a plan whose state is CA, its California result (Form 540, Schedule P (540), FTB 3510)."""

    household: Any
    result: Any
    ca_result: Any = None

    def lines(self) -> list[Any]:
        """The federal form lines, in form order (:func:`isoplan.tax.explain.explain_row`)."""
        from isoplan.tax.explain import explain_row

        return list(explain_row(self.result))

    def ca_lines(self) -> list[Any] | None:
        """The California form lines (None: the plan is federal only)."""
        from isoplan.tax.states.california import ca_explain_row

        return None if self.ca_result is None else list(ca_explain_row(self.ca_result))


@dataclass(frozen=True)
class PlanResult:
    """The optimized plan, the baselines, and (when asked) every year's form lines."""

    plan: Plan
    outcome: PlanOutcome
    law: LawTable
    explained: tuple[YearForms, ...] = ()

    @property
    def answer(self) -> str:
        """The decision in one sentence (the first line of the text; ``answer`` in the JSON)."""
        from isoplan.report.answer import plan_answer

        return plan_answer(self.outcome.as_dict())

    def as_dict(self) -> dict[str, Any]:
        """``isoplan plan --json``: the outcome, with ``explain`` an ``explain`` list of each year's lines, and
        the ``answer``."""
        from isoplan.report.answer import plan_answer

        data: dict[str, Any] = dict(self.outcome.as_dict())
        if self.explained:
            data["explain"] = [year_json(y.household, y.result, self.law) for y in self.explained]
        recommended = data.get("recommended")
        if isinstance(recommended, dict):
            years = [{**row, "estimated_tax": year_estimate(row)} for row in recommended.get("years", [])]
            data["recommended"] = {**recommended, "years": years}
        data["answer"] = plan_answer(data)
        return data


def year_estimate(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """What a year's exercise adds to that year's tax and the installment to pay it with (IRC §6654): the first
    due date on or after the exercise, moved past weekends and holidays (§7503). None: no exercise, or no tax
    added."""
    from isoplan.app.filing import next_installment

    if not row.get("exercise_date") or float(row.get("extra_tax", 0.0)) <= 0.5:
        return None
    day = datetime.date.fromisoformat(str(row["exercise_date"]))
    due = next_installment(int(row["year"]), day)
    return {"amount": float(row["extra_tax"]), "installment": None if due is None else due.installment,
            "due_date": None if due is None else due.due.isoformat()}


def year_json(h: Any, result: Any, law: Any, i: int = 0) -> dict[str, Any]:
    """One year's inputs, outputs, deduction kind, notes and every Form 1040 / 6251 / 8801 line: the JSON of
    ``isoplan tax --json --explain`` (:func:`isoplan.app.tax.tax_record`), without its one-line answer."""
    from isoplan.app.tax import tax_record

    data = tax_record(h, result, law, explain=True, i=i).as_dict()
    data.pop("answer", None)
    return data


#: Bytes the optimizer holds per pair of share-grid states (its move table and the labels it keeps per move;
#: measured: three grants over nine years on a 10-step grid, about 9,000 states, peak 5 GB).
PLAN_BYTES_PER_STATE_PAIR = 64


def grid_states(plan: Plan, steps: int) -> int:
    """An upper bound on the optimizer's share-grid states: per grant its even steps, plus one level per year
    (each year's exercisable total), multiplied over the grants."""
    from isoplan.planning.staging import AUTO_STATES, MAX_STEPS

    grant_ids = list(dict.fromkeys(g.id for g in plan.grants))
    if not steps:
        steps = min(MAX_STEPS, max(1, round(AUTO_STATES ** (1.0 / max(len(grant_ids), 1))) - 1))
    by_id = {g.id: g for g in plan.grants}
    states = 1
    for gid in grant_ids:
        grant = by_id[gid]
        caps = min(len(plan.years), len(grant.vesting)) + 1  # the distinct totals exercisable by a year's end
        states *= min(steps, max(int(grant.shares), 1)) + 1 + caps
    return states


def plan_memory(plan: Plan, steps: int | None = None) -> int:
    """The optimizer's estimated peak memory in bytes (``steps``: share-grid steps per grant; 0: automatic)."""
    states = grid_states(plan, plan.grid_steps if steps is None else steps)
    return PLAN_BYTES_PER_STATE_PAIR * states * states


def check_plan_budget(plan: Plan, field: str) -> None:
    """Refuse, before it starts, a plan whose optimizer would need more than :data:`MEMORY_BUDGET`."""
    if plan_memory(plan) <= MEMORY_BUDGET:
        return
    gib = MEMORY_BUDGET / 1024**3
    fits = [s for s in range(1, MAX_GRID_STEPS + 1) if plan_memory(plan, s) <= MEMORY_BUDGET]
    if plan.grid_steps and fits:
        raise InputError(field, plan.grid_steps, f"at most {max(fits)} share-grid steps per grant for these "
                         f"{len(plan.grants)} grants over {len(plan.years)} years (memory budget {gib:g} GiB)")
    raise InputError("grants", len(plan.grants), f"fewer grants or fewer years: {len(plan.grants)} grants over "
                     f"{len(plan.years)} years need about {plan_memory(plan) / 1024**3:,.0f} GiB to optimize "
                     f"(memory budget {gib:g} GiB)")


def check_liquidity_stated(plan: Plan) -> None:
    """The risk objective prices a private plan's shares by its liquidity model, which the plan must state."""
    stock = plan.stock
    if stock.kind == "private" and stock.liquidity is None and not stock.assume_liquidity:
        raise InputError("stock.liquidity", None, "a [stock.liquidity] table (when and how the shares can be sold), "
                         "or [stock] assume_liquidity = true to assume a certain sale at liquidity_date (or the "
                         'exit), or [plan] objective = "tax"', source=plan.source)


def check_zero_amt_possible(plan: Plan, law: LawTable) -> None:
    """``zero_amt`` asks for no AMT before the exit (Form 6251 line 11): impossible when the household owes AMT
    in a year without any exercise."""
    import numpy as np

    from isoplan.planning.staging import build_model, evaluate

    model = build_model(plan, law)
    reference = evaluate(model, np.zeros((1, len(model.blocks), len(model.years))), reference=True)
    amt = (reference.amt[:, 0] + reference.ca_amt[:, 0])[: len(model.years) - 1]
    if np.any(amt > 0.5):
        t = int(np.flatnonzero(amt > 0.5)[0])
        raise InputError("plan.zero_amt", True, f"false: without any exercise the household already owes "
                         f"${float(amt[t]):,.0f} of AMT in {model.years[t]}, so no schedule can avoid AMT",
                         source=plan.source)


def optimize(plan: Plan, progress: Progress = None, *, field: str = "plan.grid_steps",
             decide_on_risk: bool = True) -> tuple[PlanOutcome, LawTable]:
    """The plan optimized under its law (published years, projected ones at the plan's inflation), and with
    ``[plan] objective = "risk"`` (the default) re-decided on the certainty equivalent over price paths
    (``decide_on_risk=False``: the tax objective's recommendation, for the reports that study it); refused
    first when it would not fit the memory budget (``field``: where the grid steps came from)."""
    from isoplan.planning.staging import run_plan as optimize_plan
    from isoplan.tax.law import law_table

    check_plan_budget(plan, field)
    on_risk = decide_on_risk and plan.objective == "risk"
    if on_risk:
        check_liquidity_stated(plan)
    law = law_table(plan.inflation)
    if plan.zero_amt:
        check_zero_amt_possible(plan, law)
    outcome = optimize_plan(plan, law, progress=progress)
    if on_risk:  # the recommendation decided on the certainty equivalent over price paths
        from isoplan.planning.risk_objective import risk_outcome

        outcome = risk_outcome(outcome)
    return outcome, law


def run_plan(request: PlanRequest, *, progress: Progress = None) -> PlanResult:
    """Load, optimize and compare a plan; with ``explain``, the federal forms of each year of the schedule."""
    plan = load_plan(request.source, name=request.name, ledger=request.ledger, grid=request.grid,
                     inflation=request.inflation, today=request.today, flag_prefix=request.flag_prefix,
                     objective=request.objective)
    field = request.flag_prefix + "grid" if request.grid is not None else "plan.grid_steps"
    outcome, law = optimize(plan, progress, field=field)
    return PlanResult(plan, outcome, law, year_forms(outcome, law) if request.explain else ())


def year_forms(outcome: PlanOutcome, law: LawTable) -> tuple[YearForms, ...]:
    """Each year of the recommended schedule with its federal forms, and its California forms for a plan whose
    state is CA (with the FTB 3510 credit the schedule has available that year)."""
    from isoplan.tax.federal import compute_federal

    model = outcome.model
    years = []
    for t in range(len(model.years)):
        h = outcome.year_household(outcome.recommended, t)
        ca_result = None
        if model.ca_law is not None and model.property_tax is not None:  # the plan's state is CA
            from isoplan.tax.states.california import compute_california

            credit = float(outcome.recommended.evaluation.ca_credit_available[t, 0])
            ca_result = compute_california(h, model.ca_law, property_tax=float(model.property_tax[t]),
                                           ca_amt_credit_carryforward=credit)
        years.append(YearForms(h, compute_federal(h, law), ca_result))
    return tuple(years)
