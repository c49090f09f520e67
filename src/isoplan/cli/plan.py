"""``isoplan plan``: the staging plan."""

from __future__ import annotations

import argparse
from typing import Any

from isoplan.cli.common import _print_json, _progress
from isoplan.cli.tax import render_tax

__all__ = ["add_plan_parser", "cmd_plan"]


def add_plan_parser(sub: Any) -> None:
    """Register ``isoplan plan``."""
    p = sub.add_parser("plan", help="stage a grant across years: the optimized schedule and the baselines",
                       description="Optimize when to exercise each grant (each January by default), compare with "
                       "the usual strategies, and show the per-year tax table. Plan files: docs/plan-file.md.")
    p.add_argument("plan_file", metavar="PLAN.toml")
    p.add_argument("--json", action="store_true", help="machine-readable output (baselines under 'baselines')")
    p.add_argument("--ledger", nargs="?", const="", metavar="DB",
                   help="take the grants from the ledger (default ledger, or the given file) instead of the plan")
    p.add_argument("--grid", type=int, metavar="N", help="share-grid steps per grant (default: automatic)")
    p.add_argument("--explain", action="store_true",
                   help="every year's Form 1040 / 6251 / 8801 lines for the recommended schedule")
    p.add_argument("--inflation", type=float, metavar="RATE", help="assumed inflation for projected years")
    p.add_argument("--objective", choices=("risk", "tax"),
                   help="risk: the highest certainty equivalent over price paths (default); tax: the highest "
                   "after-tax value on the assumed path (overrides [plan] objective)")
    p.add_argument("--today", metavar="YYYY-MM-DD", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_plan)


def cmd_plan(args: argparse.Namespace) -> int:
    from isoplan.app.plan import PlanRequest, run_plan

    result = run_plan(PlanRequest(args.plan_file, ledger=args.ledger, grid=args.grid, inflation=args.inflation,
                                  today=args.today, explain=args.explain, flag_prefix="--",
                                  objective=args.objective), progress=_progress())
    if args.json:
        _print_json(result.as_dict())
        return 0
    from isoplan.report.plan_text import render_plan

    print(render_plan(result))
    for year in result.explained:
        print()
        print(render_tax(year.household, year.result, result.law, explain=True))
    return 0
