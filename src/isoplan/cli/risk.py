"""``isoplan risk``: the Monte Carlo risk report."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from isoplan.cli.common import _print_json


def add_risk_parser(sub: Any) -> None:
    """Register ``isoplan risk``."""
    from isoplan.app.defaults import DEFAULT_RISK_PATHS

    p = sub.add_parser("risk", help="Monte Carlo risk: January vs December, hold vs sell, the peak, pre-IPO",
                       description="Simulate the share price (or a private company's 409A value and liquidity "
                       "event) and recompute the federal tax on every path: the value of exercising early in the "
                       "year, hold vs sell, the stress test, and exercise-now vs wait for private stock. "
                       "Model and settings: docs/risk.md.")
    p.add_argument("plan_file", metavar="PLAN.toml")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--paths", type=int, metavar="N",
                   help=f"price paths (default: [risk] paths, or {DEFAULT_RISK_PATHS:,})")
    p.add_argument("--seed", type=int, metavar="N", help="random seed (default: [risk] seed, or 0)")
    p.add_argument("--sections", metavar="LIST",
                   help="comma-separated: timing,hold_vs_sell,peak,pre_ipo (default: all)")
    p.add_argument("--drop", type=float, metavar="FRACTION", help="stress-test fall (default: [risk] drop, or 0.5)")
    p.add_argument("--ledger", nargs="?", const="", metavar="DB",
                   help="take the grants from the ledger (default ledger, or the given file) instead of the plan")
    p.add_argument("--inflation", type=float, metavar="RATE", help="assumed inflation for projected years")
    p.add_argument("--today", metavar="YYYY-MM-DD", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_risk)


def _risk_progress() -> Any:
    if not sys.stderr.isatty():
        return None

    def show(step: int, total: int) -> None:
        done = int(30 * step / max(total, 1))
        print(f"\r  simulating [{'#' * done:<30}] {step}/{total}", end="", file=sys.stderr)
        if step >= total:
            print(file=sys.stderr)

    return show


def cmd_risk(args: argparse.Namespace) -> int:
    from isoplan.app.risk import RiskRequest, run_risk

    result = run_risk(RiskRequest(args.plan_file, paths=args.paths, seed=args.seed, sections=args.sections,
                                  drop=args.drop, ledger=args.ledger, inflation=args.inflation, today=args.today,
                                  flag_prefix="--"), progress=_risk_progress())
    if args.json:
        _print_json(result.as_dict())
    else:
        from isoplan.report.risk_text import render_risk

        print(render_risk(result))
    return 0
