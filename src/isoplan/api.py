"""The public Python API: the use cases of the command line as functions.

Every function validates its inputs in the application layer (:mod:`isoplan.app`)
and returns a frozen record; ``record.as_dict()`` is the same JSON the command
prints with ``--json``. Bad input raises :class:`isoplan.InputError` naming the
field, the value and what is allowed. Household amounts are keyword arguments
named as the engine's inputs (``wages``, ``iso_bargain_element``, ...: the batch-CSV
columns, listed by ``isoplan tax --help``), in dollars.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from isoplan.app.checklist import ChecklistResult
    from isoplan.app.cost import CostResult
    from isoplan.app.ledger import GrantsResult, LotsResult, YearsResult
    from isoplan.app.plan import PlanResult
    from isoplan.app.report import ReportResult
    from isoplan.app.risk import RiskResult
    from isoplan.app.room import RoomResult
    from isoplan.app.tax import TaxResult

__all__ = ["checklist", "compute_tax", "cost", "ledger_grants", "ledger_lots", "ledger_years", "plan", "plan_report",
           "risk", "room"]

PlanSource = str | Path | dict[str, Any]


def compute_tax(*, year: int, filing_status: str, state: str | None = None, property_tax: float | None = None,
        ca_amt_credit_carryforward: float | None = None, deduction: str = "auto", inflation: float | None = None,
        explain: bool = False, **household: float) -> TaxResult:
    """Federal (and, with ``state="CA"``, California) tax of one household: Form 1040, 6251, 8801 lines."""
    from isoplan.app.tax import TaxRequest
    from isoplan.app.tax import compute_tax as tax_use_case

    inputs: dict[str, Any] = {"year": year, "filing_status": filing_status, **household}
    return tax_use_case(TaxRequest(household=inputs, state=state, property_tax=property_tax,
                                  ca_amt_credit_carryforward=ca_amt_credit_carryforward, deduction=deduction,
                                  inflation=inflation, explain=explain))


def room(*, year: int, filing_status: str, fmv: float | None = None, strike: float | None = None,
         spread_per_share: float | None = None, margin: float = 0.10, state: str | None = None,
         property_tax: float | None = None, ca_amt_credit_carryforward: float | None = None, deduction: str = "auto",
         inflation: float | None = None, **household: float) -> RoomResult:
    """The AMT-free room: the ISO spread (and, with a price, the shares) this household can add with no AMT."""
    from isoplan.app.room import RoomRequest
    from isoplan.app.room import room as room_use_case

    inputs: dict[str, Any] = {"year": year, "filing_status": filing_status, **household}
    return room_use_case(RoomRequest(household=inputs, margin=margin, fmv=fmv, strike=strike,
                                     spread_per_share=spread_per_share, state=state, property_tax=property_tax,
                                     ca_amt_credit_carryforward=ca_amt_credit_carryforward, deduction=deduction,
                                     inflation=inflation))


def cost(*, year: int, filing_status: str, shares: int, strike: float, fmv: float,
         date: datetime.date | str | None = None, cash: float | None = None, drop: float = 0.5, private: bool = False,
         state: str | None = None, property_tax: float | None = None, ca_amt_credit_carryforward: float | None = None,
         deduction: str = "auto", inflation: float | None = None, **household: float) -> CostResult:
    """What an exercise costs: strike cash plus the tax it causes, the stress test and the same-year sale."""
    from isoplan.app.cost import CostRequest
    from isoplan.app.cost import cost as cost_use_case

    inputs: dict[str, Any] = {"year": year, "filing_status": filing_status, **household}
    return cost_use_case(CostRequest(household=inputs, shares=shares, strike=strike, fmv=fmv, date=date, cash=cash,
                                     drop=drop, private=private, state=state, property_tax=property_tax,
                                     ca_amt_credit_carryforward=ca_amt_credit_carryforward, deduction=deduction,
                                     inflation=inflation))


def _source(source: PlanSource) -> Any:
    return str(source) if isinstance(source, Path) else source


def plan(source: PlanSource, *, ledger: str | Path | None = None, grid: int | None = None,
         inflation: float | None = None, today: datetime.date | None = None, explain: bool = False) -> PlanResult:
    """Stage the grants across years: the optimized schedule and the baselines.

    ``source``: a plan file's path, its TOML text, or the parsed table (docs/plan-file.md).
    """
    from isoplan.app.plan import PlanRequest, run_plan

    return run_plan(PlanRequest(source=_source(source), ledger=None if ledger is None else str(ledger), grid=grid,
                                inflation=inflation, today=today, explain=explain))


def risk(source: PlanSource, *, paths: int | None = None, seed: int | None = None, sections: str | None = None,
         drop: float | None = None, ledger: str | Path | None = None, inflation: float | None = None,
         today: datetime.date | None = None) -> RiskResult:
    """The Monte Carlo risk report of a plan: January vs December, hold vs sell, the peak, pre-IPO."""
    from isoplan.app.risk import RiskRequest, run_risk

    return run_risk(RiskRequest(source=_source(source), paths=paths, seed=seed, sections=sections, drop=drop,
                                ledger=None if ledger is None else str(ledger), inflation=inflation, today=today))


def checklist(source: PlanSource, *, year: int | None = None, ledger: str | Path | None = None,
              with_risk: bool = True, paths: int | None = None, seed: int | None = None,
              today: datetime.date | None = None) -> ChecklistResult:
    """The exercise-year checklist: nine items, each ok, warning or stop."""
    from isoplan.app.checklist import ChecklistRequest, run_checklist

    return run_checklist(ChecklistRequest(source=_source(source), year=year,
                                          ledger=None if ledger is None else str(ledger), risk=with_risk,
                                          paths=paths, seed=seed, today=today))


def plan_report(source: PlanSource, *, out: str | Path | None = None, year: int | None = None,
           with_risk: bool = True, paths: int | None = None, seed: int | None = None,
           today: datetime.date | None = None) -> ReportResult:
    """The self-contained HTML report of a plan; written to ``out`` when given."""
    from isoplan.app.checklist import ChecklistRequest
    from isoplan.app.report import run_report, write_report

    result = run_report(ChecklistRequest(source=_source(source), year=year, risk=with_risk, paths=paths, seed=seed,
                                         today=today))
    if out is not None:
        write_report(result, str(out))
    return result


def ledger_grants(db: str | Path) -> GrantsResult:
    """The grants recorded in a ledger file."""
    from isoplan.app.ledger import grants

    return grants(Path(db))


def ledger_lots(db: str | Path) -> LotsResult:
    """The exercised lots in a ledger file, with both cost bases and the qualifying dates."""
    from isoplan.app.ledger import lots

    return lots(Path(db))


def ledger_years(db: str | Path) -> YearsResult:
    """Each year's tax with the ledger's items and the minimum tax credit carried (Form 8801)."""
    from isoplan.app.ledger import years

    return years(Path(db))
