"""``isoplan checklist`` and ``isoplan report``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from isoplan.cli.common import _print_json, _progress
from isoplan.cli.plan import load_plan
from isoplan.errors import InputError


def add_checklist_report_parsers(sub: Any) -> None:
    """Register ``isoplan checklist`` and ``isoplan report``."""
    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("plan_file", metavar="PLAN.toml")
        p.add_argument("--year", type=int, metavar="Y",
                       help="the exercise year to check (default: the recommended schedule's first exercise year)")
        p.add_argument("--ledger", dest="check_ledger", nargs="?", const="", metavar="DB",
                       help="check whether the planned lots are in the ledger (default ledger, or the given file)")
        p.add_argument("--grid", type=int, metavar="N", help="share-grid steps per grant (default: automatic)")
        p.add_argument("--inflation", type=float, metavar="RATE", help="assumed inflation for projected years")
        p.add_argument("--paths", type=int, default=20_000, metavar="N",
                       help="simulated price paths for the risk results (default 20000)")
        p.add_argument("--seed", type=int, default=0, help="random seed of the simulation (default 0)")
        p.add_argument("--no-risk", action="store_true", help="skip the risk simulation (item 9 then asks for it)")
        p.add_argument("--today", metavar="YYYY-MM-DD", help=argparse.SUPPRESS)

    p = sub.add_parser("checklist", help="the exercise-year checklist: nine items, each ok / warning / stop",
                       description="Before you spend a dollar: the bargain element, the AMT and the room, the "
                       "$100,000 limit, the cash test, both cost bases, the calendar, the forms, the timing and the "
                       "stress test, each with its status, numbers and next action. See docs/report.md.")
    common(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--ics", metavar="OUT.ics", help="also write the checklist's dates as an iCalendar file")
    p.set_defaults(func=cmd_checklist)

    p = sub.add_parser("report", help="the plan report: one self-contained HTML file to keep or print",
                       description="Write the plan, the comparison, the checklist, the risk results, the per-year "
                       "Form 6251 detail and charts to one HTML file that opens without a network. "
                       "See docs/report.md.")
    common(p)
    p.add_argument("--out", required=True, metavar="plan.html", help="the HTML file to write")
    p.set_defaults(func=cmd_report)


def _checklist_inputs(args: argparse.Namespace) -> tuple[Any, Any, Any, Any]:
    """Plan, outcome, risk results (or None) and checklist for ``isoplan checklist`` / ``report``."""
    import datetime

    from isoplan.planning.checklist import build_checklist
    from isoplan.planning.staging import run_plan
    from isoplan.tax.law import law_table

    plan = load_plan(args.plan_file, args)
    if args.year is not None and args.year not in plan.years:
        raise InputError("--year", args.year, f"a year of the plan ({plan.start_year}-{plan.exit_date.year})")
    lots = None
    if args.check_ledger is not None:
        from isoplan.ledger.paths import resolve
        from isoplan.ledger.store import Ledger

        try:
            book = Ledger.open(resolve(args.check_ledger or None))
        except InputError as err:
            raise InputError("--ledger", err.value, err.allowed) from None
        with book:
            lots = book.lots()
    law = law_table(plan.inflation)
    outcome = run_plan(plan, law, progress=_progress())
    risk = None if args.no_risk else _risk_results(plan, outcome, law, args)
    today = datetime.date.fromisoformat(args.today) if args.today else datetime.date.today()
    checklist = build_checklist(plan, outcome, risk, year=args.year, ledger_lots=lots, today=today)
    return plan, outcome, risk, checklist


def _risk_results(plan: Any, outcome: Any, law: Any, args: argparse.Namespace) -> dict[str, Any] | None:
    """``run_risk(...).as_dict()``, or None (with a one-line note) when the risk engine is missing or fails."""
    if args.paths < 1:
        raise InputError("--paths", args.paths, "a whole number of at least 1")
    try:
        from isoplan.planning.risk import run_risk
    except ImportError as err:
        print(f"isoplan {args.command}: no risk results ({err}); item 9 asks for `isoplan risk`", file=sys.stderr)
        return None
    try:
        return dict(run_risk(plan, paths=args.paths, seed=args.seed, law=law, outcome=outcome).as_dict())
    except Exception as err:  # the checklist and report stand without risk results; say so in one line
        print(f"isoplan {args.command}: the risk simulation failed ({type(err).__name__}: {err}); "
              "item 9 asks for `isoplan risk`", file=sys.stderr)
        return None


def cmd_checklist(args: argparse.Namespace) -> int:
    plan, _outcome, _risk, checklist = _checklist_inputs(args)
    data = checklist.as_dict()
    data["plan"] = plan.source
    if args.ics:
        from isoplan.report.html import checklist_ics

        with open(args.ics, "w", encoding="utf-8", newline="") as handle:
            handle.write(checklist_ics(data))
    if args.json:
        _print_json(data)
    else:
        print(render_checklist(data))
        if args.ics:
            print(f"wrote {len(data['events'])} dates to {args.ics}")
    return 0


def render_checklist(data: dict[str, Any]) -> str:
    """The checklist as text: one block per item, status first."""
    out = [f"Exercise-year checklist for {data['year']}: {data.get('plan', '')}",
           f"Overall: {data['overall'].upper()}", ""]
    for item in data["items"]:
        out.append(f"{item['number']}. [{item['status'].upper():<7}] {item['title']}")
        out.append(f"   {item['action']}")
        out += [f"   - {line}" for line in item.get("detail", [])]
    out += ["", "A planning estimate, not tax advice."]
    return "\n".join(out)


def cmd_report(args: argparse.Namespace) -> int:
    from isoplan.report.html import render_report

    plan, outcome, risk, checklist = _checklist_inputs(args)
    html_text = render_report(plan, outcome, risk, checklist.as_dict())
    try:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(html_text)
    except OSError as err:
        raise InputError("--out", args.out, f"a writable file ({err.strerror})") from None
    print(f"wrote {args.out} (checklist {checklist.year}: {checklist.overall}"
          f"{'' if risk else '; no risk results'})")
    return 0

