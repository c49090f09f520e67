"""``isoplan demo``: the bundled example."""

from __future__ import annotations

import argparse

from isoplan.cli.common import CLI_NAMES, _print_json


def cmd_demo(args: argparse.Namespace) -> int:
    """The bundled example: a staging plan (examples/staging-three-years.toml), then one year's Form 6251."""
    from isoplan.app.demo import demo
    from isoplan.report.plan_text import render_plan
    from isoplan.report.tax_text import render_tax

    result = demo(args.inflation, CLI_NAMES)
    if args.json:
        _print_json(result.as_dict())
        return 0
    print(render_plan(result.plan))
    print()
    print("How the AMT works, line by line: " + result.about)
    print()
    print(render_tax(result.household, explain=True))
    return 0
