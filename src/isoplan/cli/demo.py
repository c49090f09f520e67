"""``isoplan demo``: the bundled example."""

from __future__ import annotations

import argparse

from isoplan.cli.common import _law, _print_json
from isoplan.cli.plan import render_plan
from isoplan.cli.tax import render_tax, tax_json


def cmd_demo(args: argparse.Namespace) -> int:
    """The bundled example: a staging plan (examples/staging-three-years.toml), then one year's Form 6251."""
    import datetime
    import tomllib
    from importlib import resources

    from isoplan.planning.plan import parse_plan
    from isoplan.planning.staging import run_plan
    from isoplan.tax.federal import compute_federal
    from isoplan.tax.households import households

    data_dir = resources.files("isoplan.data")
    plan = parse_plan(tomllib.loads(data_dir.joinpath("demo-plan.toml").read_text(encoding="utf-8")),
                      "examples/staging-three-years.toml", today=datetime.date.today())
    law = _law(args)
    outcome = run_plan(plan, law)
    data = tomllib.loads(data_dir.joinpath("demo-household.toml").read_text(encoding="utf-8"))
    h = households(**data["household"])
    result = compute_federal(h, law)
    if args.json:
        _print_json({"plan": outcome.as_dict(), "household": tax_json(h, result, law, explain=True)})
        return 0
    print(render_plan(outcome.as_dict()))
    print()
    print("How the AMT works, line by line: " + data["about"].strip())
    print()
    print(render_tax(h, result, law, explain=True))
    return 0

