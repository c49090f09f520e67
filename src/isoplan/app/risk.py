"""Use case: the Monte Carlo risk report (``isoplan risk``, ``/api/risk``).

Every user value of the simulation is checked here: the number of price
paths, the seed, the sections and the stress-test fall. The simulation itself
is :func:`isoplan.planning.risk.run_risk` (model and settings: docs/risk.md).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from isoplan.app.common import MEMORY_BUDGET, fraction, whole
from isoplan.app.defaults import DEFAULT_RISK_PATHS
from isoplan.app.plan import PlanInput, PlanSource, load_plan, optimize
from isoplan.errors import InputError

if TYPE_CHECKING:
    from isoplan.planning.plan import Plan
    from isoplan.planning.staging import PlanOutcome
    from isoplan.tax.law import LawTable

__all__ = [
    "DEFAULT_RISK_PATHS",
    "DEFAULT_SEED",
    "MAX_PATHS",
    "RiskRequest",
    "RiskResult",
    "risk_paths",
    "risk_seed",
    "run_risk",
    "simulate",
]

#: The random seed when nothing says otherwise.
DEFAULT_SEED = 0
#: The most price paths one run may simulate.
MAX_PATHS = 10_000_000
#: The largest seed NumPy's generator takes here (the plan file's ``risk.seed`` bound).
MAX_SEED = 2**63 - 1

Progress = Callable[[int, int], None] | None


def risk_paths(field: str, value: Any) -> int:
    """A number of price paths."""
    return whole(field, value, minimum=1, maximum=MAX_PATHS, what="a whole number of paths")


def risk_seed(field: str, value: Any) -> int:
    """A random seed."""
    return whole(field, value, minimum=0, maximum=MAX_SEED)


def risk_sections(field: str, value: str | Sequence[str] | None) -> tuple[str, ...]:
    """The sections to compute: a comma-separated text or a list (None or empty: all of them)."""
    from isoplan.planning.risk import SECTIONS

    if value is None:
        return tuple(SECTIONS)
    items = value.split(",") if isinstance(value, str) else list(value)
    chosen = tuple(str(s).strip() for s in items if str(s).strip())
    for s in chosen:
        if s not in SECTIONS:
            raise InputError(field, s, "a comma-separated list of " + ",".join(SECTIONS))
    return chosen or tuple(SECTIONS)


@dataclass(frozen=True)
class RiskRequest:
    """``isoplan risk``: the plan (as for :func:`isoplan.app.plan.load_plan`) and the simulation's settings.

    ``paths``, ``seed`` and ``drop`` default to the plan's ``[risk]`` table; ``sections`` to all of them.
    """

    source: PlanInput | PlanSource
    name: str | None = None
    paths: Any = None
    seed: Any = None
    sections: str | Sequence[str] | None = None
    drop: Any = None
    ledger: str | None = None
    inflation: Any = None
    today: datetime.date | str | None = None
    flag_prefix: str = ""


@dataclass(frozen=True)
class RiskResult:
    """The risk report: the simulation's sections (docs/risk.md) for the plan."""

    plan: Plan
    outcome: Any  # isoplan.planning.risk.RiskOutcome

    @property
    def answer(self) -> str:
        """The verdict in one sentence (the first line of the text; ``answer`` in the JSON)."""
        return str(self.as_dict()["answer"])

    def as_dict(self) -> dict[str, Any]:
        """``isoplan risk --json``, with the ``answer``."""
        from isoplan.report.answer import risk_answer

        data = dict(self.outcome.as_dict())
        data["answer"] = risk_answer(data)
        return data


def simulate(plan: Plan, plan_outcome: PlanOutcome, law: LawTable, *, paths: int, seed: int,
             sections: Sequence[str] | None = None, progress: Progress = None) -> Any:
    """:func:`isoplan.planning.risk.run_risk` on an optimized plan (validated settings)."""
    from isoplan.planning.risk import run_risk as simulate_paths

    kwargs: dict[str, Any] = {} if sections is None else {"sections": tuple(sections)}
    return simulate_paths(plan, paths=paths, seed=seed, law=law, progress=progress, outcome=plan_outcome, **kwargs)


#: Float64 arrays of (price dates x paths) a risk run holds at once (the Brownian paths, the prices, a section's
#: working copies).
RISK_ARRAYS = 4
#: Price checks of the timing section in its one year (weekdays) and the dates around it (exercise, December,
#: year end, qualifying date): an upper bound.
RISK_CHECK_DATES = 270


def risk_dates(plan: Plan) -> int:
    """An upper bound on the price dates simulated: each month's end from the price date to the last date any
    section looks at (the exit, a liquidity event, a qualifying date two years on), the exercise dates, the
    checks."""
    stock = plan.stock
    last = plan.exit_date
    liquidity = getattr(stock, "liquidity", None)
    if liquidity is not None:
        last = max(last, liquidity.latest)
    first = stock.price_path.start_date
    months = max((last.year - first.year) * 12 + last.month - first.month, 0) + 24 + 2
    return months + len(plan.years) * max(len(plan.grants), 1) + RISK_CHECK_DATES


def risk_memory(plan: Plan, paths: int) -> int:
    """The simulation's estimated peak memory in bytes."""
    return RISK_ARRAYS * 8 * risk_dates(plan) * paths


def check_risk_budget(plan: Plan, paths: int, field: str) -> None:
    """Refuse, before it starts, a simulation that would need more than :data:`MEMORY_BUDGET`."""
    if risk_memory(plan, paths) > MEMORY_BUDGET:
        fits = MEMORY_BUDGET // (RISK_ARRAYS * 8 * risk_dates(plan))
        raise InputError(field, paths, f"at most {fits:,} paths for this plan's {risk_dates(plan)} price dates "
                         f"(memory budget {MEMORY_BUDGET / 1024**3:g} GiB)")


def run_risk(request: RiskRequest, *, progress: Progress = None) -> RiskResult:
    """Load and optimize the plan, then simulate the price and the tax on every path."""
    prefix = request.flag_prefix
    plan = load_plan(request.source, name=request.name, ledger=request.ledger, inflation=request.inflation,
                     today=request.today, flag_prefix=prefix)
    settings = plan.risk
    paths = risk_paths(prefix + "paths", settings.paths if request.paths is None else request.paths)
    if request.drop is not None:
        drop = fraction(prefix + "drop", request.drop, zero_ok=False, example="0.5 for a 50% fall")
        plan = dataclasses.replace(plan, risk=dataclasses.replace(settings, drop=drop))
    seed = risk_seed(prefix + "seed", settings.seed if request.seed is None else request.seed)
    sections = risk_sections(prefix + "sections", request.sections)
    check_risk_budget(plan, paths, prefix + "paths" if request.paths is not None else "risk.paths")
    plan_outcome, law = optimize(plan, decide_on_risk=False)  # the report studies the tax choice's exercise
    return RiskResult(plan, simulate(plan, plan_outcome, law, paths=paths, seed=seed, sections=sections,
                                     progress=progress))
