"""The ``demo`` use case: the bundled example, a staging plan and one household's Form 6251 line by line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from isoplan.app.household import HIDDEN, PLAIN_NAMES, Names, Value, inflation_rate, law_table
from isoplan.app.tax import TaxResult


@dataclass(frozen=True)
class DemoResult:
    """``isoplan demo --json``: the plan (``isoplan plan --json``) and the example household's tax."""

    plan: dict[str, Any]
    household: TaxResult
    #: what the example household shows, as the text introduces it
    about: str = field(metadata=HIDDEN, kw_only=True)

    def as_dict(self) -> dict[str, Any]:
        return {"plan": self.plan, "household": self.household.as_dict()}


def demo(inflation: Value = None, names: Names = PLAIN_NAMES) -> DemoResult:
    """The bundled example: examples/staging-three-years.toml planned, then one year's Form 6251 explained."""
    import datetime
    import tomllib
    from importlib import resources

    from isoplan.app.tax import tax_record
    from isoplan.planning.plan import parse_plan
    from isoplan.planning.staging import run_plan
    from isoplan.tax.federal import compute_federal
    from isoplan.tax.households import households

    data_dir = resources.files("isoplan.data")
    plan = parse_plan(tomllib.loads(data_dir.joinpath("demo-plan.toml").read_text(encoding="utf-8")),
                      "examples/staging-three-years.toml", today=datetime.date.today())
    law = law_table(inflation_rate(inflation, names))
    outcome = run_plan(plan, law)
    data = tomllib.loads(data_dir.joinpath("demo-household.toml").read_text(encoding="utf-8"))
    h = households(**data["household"])
    record = tax_record(h, compute_federal(h, law), law, explain=True)
    return DemoResult(plan=outcome.as_dict(), household=record, about=str(data["about"]).strip())
