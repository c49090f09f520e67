"""``isoplan risk``: the Monte Carlo risk report."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from isoplan.cli.common import _print_json
from isoplan.cli.plan import load_plan
from isoplan.errors import InputError


def add_risk_parser(sub: Any) -> None:
    """Register ``isoplan risk``."""
    p = sub.add_parser("risk", help="Monte Carlo risk: January vs December, hold vs sell, the peak, pre-IPO",
                       description="Simulate the share price (or a private company's 409A value and liquidity "
                       "event) and recompute the federal tax on every path: the value of exercising early in the "
                       "year, hold vs sell, the stress test, and exercise-now vs wait for private stock. "
                       "Model and settings: docs/risk.md.")
    p.add_argument("plan_file", metavar="PLAN.toml")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--paths", type=int, metavar="N", help="price paths (default: [risk] paths, or 20,000)")
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
    import dataclasses

    from isoplan.planning.risk import SECTIONS, run_risk
    from isoplan.planning.staging import run_plan
    from isoplan.tax.law import law_table

    plan = load_plan(args.plan_file, args)
    settings = plan.risk
    paths = settings.paths if args.paths is None else args.paths
    if not 1 <= paths <= 10_000_000:
        raise InputError("--paths", paths, "a whole number of paths from 1 to 10,000,000")
    if args.drop is not None:
        if not 0.0 < args.drop < 1.0:
            raise InputError("--drop", args.drop, "a fraction between 0 and 1 (exclusive), e.g. 0.5 for a 50% fall")
        plan = dataclasses.replace(plan, risk=dataclasses.replace(settings, drop=args.drop))
    if args.seed is not None and args.seed < 0:
        raise InputError("--seed", args.seed, "a whole number of 0 or more")
    seed = settings.seed if args.seed is None else args.seed
    sections = SECTIONS
    if args.sections:
        sections = tuple(s.strip() for s in args.sections.split(",") if s.strip())
        for s in sections:
            if s not in SECTIONS:
                raise InputError("--sections", s, "a comma-separated list of " + ",".join(SECTIONS))
    law = law_table(plan.inflation)
    outcome = run_plan(plan, law)
    result = run_risk(plan, paths=paths, seed=seed, sections=sections, law=law, progress=_risk_progress(),
                      outcome=outcome)
    data = result.as_dict()
    if args.json:
        _print_json(data)
    else:
        print(render_risk(data))
    return 0


def render_risk(data: dict[str, Any]) -> str:
    """The text report of ``isoplan risk``."""
    from isoplan.report.text import money, table

    a = data["assumptions"]
    out = [f"Risk: {data['paths']:,} price paths (seed {data['seed']}), {data['stock_kind']} stock, "
           f"drift {a['drift']:.1%} a year ({a['drift_source']}), volatility {a['volatility']:.0%} "
           f"({a['volatility_source']}), {a['steps']} steps"]
    fan = data["fan"]
    if fan["dates"]:
        idx = sorted({0, len(fan["dates"]) // 2, len(fan["dates"]) - 1})
        rows = [[fan["dates"][i], *(f"${fan['percentiles'][p][i]:,.2f}" for p in ("5", "25", "50", "75", "95"))]
                for i in idx]
        out += ["", "Share value (percentiles across the paths)",
                table(["date", "5th", "25th", "median", "75th", "95th"], rows, align="lrrrrr")]
    t = data.get("timing")
    if t:
        rows = [["January (may sell before Dec 31)" if t["hatch_exists"] else "January (cannot sell: no buyer)",
                 money(t["january"]["expected_tax"]), f"{t['january']['prob_amt_on_vanished_gain']:.1%}",
                 money(t["january"]["expected_amt_on_vanished_gain"])],
                ["January, held past Dec 31", money(t["january_without_hatch"]["expected_tax"]),
                 f"{t['january_without_hatch']['prob_amt_on_vanished_gain']:.1%}",
                 money(t["january_without_hatch"]["expected_amt_on_vanished_gain"])],
                ["December", money(t["december"]["expected_tax"]), f"{t['december']['prob_amt_on_vanished_gain']:.1%}",
                 money(t["december"]["expected_amt_on_vanished_gain"])]]
        out += ["", f"Timing: January vs December, {t['shares']:,} ISO shares in {t['year']}",
                table(["exercise", "expected extra tax", "P(AMT on a vanished gain)", "expected such AMT"], rows),
                f"Escape hatch value: {money(t['escape_hatch_value'])}" + ("" if t["hatch_exists"]
                                                                            else " (the hatch does not exist)"),
                f"Rule: {t['threshold_rule']}", t["summary"]]
        out += _risk_california_lines("timing", t)
    h = data.get("hold_vs_sell")
    if h:
        rows = [[s["name"], money(s["mean"]), money(s["median"]), money(s["p5"]), money(s["p95"]),
                 f"{s['prob_worse_than_sell_now']:.1%}", money(s["certainty_equivalent"]), f"{s['concentration']:.0%}"]
                for s in h["strategies"]]
        c = h["cash_test"]
        out += ["", f"Hold vs sell: {h['shares']:,} shares exercised {h['exercise_date']}, after-tax dollars at "
                f"{h['horizon']}",
                table(["strategy", "mean", "median", "5th pct", "95th pct", "P(worse than selling)",
                       f"certainty equiv. (RRA {h['risk_aversion']:g})", "concentration"], rows),
                f"Cash test: strike {money(c['strike'])} + tax {money(c['tax'])} (AMT {money(c['amt'])}) against "
                f"{money(c['cash'])} ({c['cash_source']}): " + ("covered" if c["covered"] else
                                                                f"short by {money(c['gap'])}"),
                h["conclusion"]]
        out += _risk_california_lines("hold_vs_sell", h)
    pk = data.get("peak")
    if pk:
        out += ["", "The peak and the stress test", pk["summary"]]
        out += _risk_california_lines("peak", pk)
    pre = data.get("pre_ipo")
    if pre:
        now, wait = pre["exercise_now"], pre["wait_for_event"]
        rows = [["exercise now", money(now["cash_at_risk"]), money(now["mean"]), money(now["p5"]), money(now["p95"]),
                 f"{now['prob_sale_qualifies']:.0%}"],
                ["wait for the event", money(0.0), money(wait["mean"]), money(wait["p5"]), money(wait["p95"]), "0%"]]
        out += ["", f"Pre-IPO: exercise {now['shares']:,} shares on {now['date']} at the 409A value "
                f"${now['price_409a']:,.2f}, or wait for the liquidity event",
                table(["choice", "cash at risk now", "mean after tax", "5th pct", "95th pct", "sale qualifies"], rows),
                f"P(cash lost): {pre['prob_cash_lost']:.1%}", pre["summary"]]
        out += _risk_california_lines("pre_ipo", pre)
    if data["notes"]:
        out += ["", "Notes"] + [f"- {n}" for n in data["notes"]]
    out += ["", "A planning estimate, not tax advice."]
    return "\n".join(out)


def _risk_california_lines(section: str, data: dict[str, Any]) -> list[str]:
    """The California part of a risk section (the figures above include it), for a plan whose state is CA."""
    from isoplan.report.text import money

    ca = data.get("california")
    if not ca:
        return []
    if section == "timing":
        parts = [f"{label} {money(ca[key]['expected_tax'])} (AMT on a vanished gain: federal "
                 f"{money(ca[key]['federal_expected_amt_on_vanished_gain'])}, California "
                 f"{money(ca[key]['expected_amt_on_vanished_gain'])})"
                 for label, key in (("January", "january"), ("held past Dec 31", "january_without_hatch"),
                                    ("December", "december"))]
        return ["California's part of the expected extra tax: " + "; ".join(parts) + "."]
    if section == "hold_vs_sell":
        c = ca["cash_test"]
        taxes = ", ".join(f"{s['name']} {money(s['expected_tax'])}" for s in ca["strategies"])
        return [f"California's part: expected extra tax {taxes}; cash test tax {money(c['tax'])} "
                f"(California AMT {money(c['amt'])})."]
    if section == "peak":
        return [f"AMT now: federal {money(ca['federal_amt_now'])} + California {money(ca['amt_now'])}; "
                f"California tax {money(ca['tax_now'])} of the tax in all."]
    return [f"Exercise now: AMT federal {money(ca['federal_amt_now'])} + California {money(ca['amt_now'])}, "
            f"California tax {money(ca['tax_now'])} this year; California's expected extra tax: exercise now "
            f"{money(ca['exercise_now_expected_tax'])}, wait {money(ca['wait_expected_tax'])}; FTB 3510 credit left "
            f"(mean) {money(ca['credit_left_mean'])}."]

