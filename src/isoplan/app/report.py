"""Use case: the plan report (``isoplan report``, ``/api/report``).

One self-contained HTML document (:func:`isoplan.report.html.render_report`):
the plan, the comparison, the checklist, the risk results, each year's Form
6251 detail and the charts, from the same inputs as the checklist.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from isoplan.app.checklist import ChecklistRequest, ChecklistResult, run_checklist
from isoplan.files import write_text

__all__ = ["ReportResult", "run_report", "write_report"]


@dataclass(frozen=True)
class ReportResult:
    """The report's HTML text and the checklist it shows."""

    html: str
    checklist: ChecklistResult

    @property
    def risk_included(self) -> bool:
        return bool(self.checklist.risk)

    def as_dict(self) -> dict[str, Any]:
        """The web app's ``/api/report``: the HTML text."""
        return {"html": self.html}


def run_report(request: ChecklistRequest, *, progress: Any = None,
               generated: datetime.datetime | None = None, appendix: bool = False) -> ReportResult:
    """The report of a plan (``generated``: the time stamped on it; None: now; ``appendix``: add the inputs,
    every year's full tax detail and the parameters of projected years after the summary)."""
    from isoplan.report.html import render_report

    result = run_checklist(request, progress=progress)
    kwargs: dict[str, Any] = {} if generated is None else {"generated": generated}
    if appendix:
        kwargs["appendix"] = True
    html = render_report(result.plan, result.outcome, result.risk, result.as_dict(), **kwargs)
    return ReportResult(str(html), result)


def write_report(report: ReportResult, path: str, *, field: str = "out") -> None:
    """Write the report to ``path``, whole or not at all (errors name ``field``)."""
    write_text(path, report.html, field)
