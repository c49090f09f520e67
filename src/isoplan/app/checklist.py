"""Use case: the exercise-year checklist (``isoplan checklist``, ``/api/checklist``).

The nine items of :func:`isoplan.planning.checklist.build_checklist` for one
exercise year of the optimized plan, optionally checked against the ledger's
lots, with the risk results of :mod:`isoplan.app.risk` for item 9 (the timing
and the stress test) unless the request skips them. The risk simulation runs
:data:`~isoplan.app.risk.DEFAULT_RISK_PATHS` paths unless the request says
otherwise, on every face.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from isoplan.app.plan import PlanInput, PlanSource, load_plan, open_ledger, optimize, plan_today
from isoplan.app.risk import DEFAULT_RISK_PATHS, DEFAULT_SEED, risk_paths, risk_seed, simulate
from isoplan.errors import InputError

if TYPE_CHECKING:
    from isoplan.equity.records import Lot
    from isoplan.planning.plan import Plan
    from isoplan.planning.staging import PlanOutcome

__all__ = ["ChecklistRequest", "ChecklistResult", "run_checklist"]


@dataclass(frozen=True)
class ChecklistRequest:
    """The checklist (and the report) of one plan.

    ``year``: the exercise year to check (None: the recommended schedule's first exercise year).
    ``ledger``: check the planned lots against this ledger ("" for the default one; None: no check);
    ``ledger_optional``: a ledger file that does not exist yet means no check instead of an error.
    ``risk``: run the simulation for item 9 with ``paths`` (default :data:`DEFAULT_RISK_PATHS`) and ``seed``.
    ``today``: the day of the check (a planned exercise on or before it whose lots are missing is a warning).
    """

    source: PlanInput | PlanSource
    name: str | None = None
    year: Any = None
    ledger: str | None = None
    ledger_optional: bool = False
    grid: Any = None
    inflation: Any = None
    risk: bool = True
    paths: Any = None
    seed: Any = None
    today: datetime.date | str | None = None
    flag_prefix: str = ""


@dataclass(frozen=True)
class ChecklistResult:
    """The checklist, with the plan, its optimized outcome and the risk results it used (None: none)."""

    plan: Plan
    outcome: PlanOutcome
    risk: Mapping[str, Any] | None
    checklist: Any  # isoplan.planning.checklist.Checklist

    @property
    def year(self) -> int:
        return int(self.checklist.year)

    @property
    def overall(self) -> str:
        return str(self.checklist.overall)

    def as_dict(self) -> dict[str, Any]:
        """``isoplan checklist --json``: the checklist and the plan's name."""
        from isoplan.report.answer import checklist_answer

        data = dict(self.checklist.as_dict())
        data["plan"] = self.plan.source
        data["answer"] = checklist_answer(data)
        return data


def _ledger_lots(ledger: str, field: str, *, optional: bool) -> Sequence[Lot] | None:
    from isoplan.ledger.paths import resolve

    if optional and not resolve(ledger or None).exists():
        return None
    with open_ledger(ledger, field) as book:
        return list(book.lots())


def run_checklist(request: ChecklistRequest, *, progress: Any = None) -> ChecklistResult:
    """Load and optimize the plan, run the risk simulation (unless skipped), build the nine items."""
    from isoplan.planning.checklist import build_checklist

    prefix = request.flag_prefix
    plan = load_plan(request.source, name=request.name, grid=request.grid, inflation=request.inflation,
                     today=request.today, flag_prefix=prefix)
    year = None
    if request.year is not None:
        year = _plan_year(plan, prefix + "year", request.year)
    paths = risk_paths(prefix + "paths", DEFAULT_RISK_PATHS if request.paths is None else request.paths)
    seed = risk_seed(prefix + "seed", DEFAULT_SEED if request.seed is None else request.seed)
    today = plan_today(request.today, prefix + "today")
    lots = None
    if request.ledger is not None:
        lots = _ledger_lots(request.ledger, prefix + "ledger", optional=request.ledger_optional)
    outcome, law = optimize(plan, progress)
    risk = None
    if request.risk:
        risk = dict(simulate(plan, outcome, law, paths=paths, seed=seed).as_dict())
    checklist = build_checklist(plan, outcome, risk, year=year, ledger_lots=lots, today=today)
    return ChecklistResult(plan, outcome, risk, checklist)


def _plan_year(plan: Plan, field: str, value: Any) -> int:
    """A year of the plan (from its start year through the year of the exit)."""
    year = None
    if isinstance(value, int) and not isinstance(value, bool):
        year = value
    elif isinstance(value, str) and value.strip().isdigit():
        year = int(value.strip())
    if year is None or year not in plan.years:
        raise InputError(field, value, f"a year of the plan ({plan.start_year}-{plan.exit_date.year})")
    return year
