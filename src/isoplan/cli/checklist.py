"""``isoplan checklist`` and ``isoplan report``."""

from __future__ import annotations

import argparse
from typing import Any

from isoplan.cli.common import _print_json, _progress


def add_checklist_report_parsers(sub: Any) -> None:
    """Register ``isoplan checklist`` and ``isoplan report``."""
    from isoplan.app.defaults import DEFAULT_RISK_PATHS

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("plan_file", metavar="PLAN.toml")
        p.add_argument("--year", type=int, metavar="Y",
                       help="the exercise year to check (default: the recommended schedule's first exercise year)")
        p.add_argument("--ledger", dest="check_ledger", nargs="?", const="", metavar="DB",
                       help="check whether the planned lots are in the ledger (default ledger, or the given file)")
        p.add_argument("--grid", type=int, metavar="N", help="share-grid steps per grant (default: automatic)")
        p.add_argument("--inflation", type=float, metavar="RATE", help="assumed inflation for projected years")
        p.add_argument("--paths", type=int, metavar="N",
                       help=f"simulated price paths for the risk results (default {DEFAULT_RISK_PATHS})")
        p.add_argument("--seed", type=int, help="random seed of the simulation (default 0)")
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
    p.add_argument("--appendix", action="store_true",
                   help="add the inputs, every year's full tax detail and the parameters of projected tax years")
    p.set_defaults(func=cmd_report)


def _request(args: argparse.Namespace) -> Any:
    from isoplan.app.checklist import ChecklistRequest

    return ChecklistRequest(args.plan_file, year=args.year, ledger=args.check_ledger, grid=args.grid,
                            inflation=args.inflation, risk=not args.no_risk, paths=args.paths, seed=args.seed,
                            today=args.today, flag_prefix="--")


def cmd_checklist(args: argparse.Namespace) -> int:
    from isoplan.app.checklist import run_checklist
    from isoplan.files import check_output, write_text

    if args.ics:
        check_output(args.ics, "--ics", inputs=[args.plan_file])
    result = run_checklist(_request(args), progress=_progress())
    data = result.as_dict()
    if args.ics:
        from isoplan.report.html import checklist_ics

        write_text(args.ics, checklist_ics(data), "--ics", newline="")
    if args.json:
        _print_json(data)
    else:
        from isoplan.report.checklist_text import render_checklist

        print(render_checklist(data))
        if args.ics:
            print(f"wrote {len(data['events'])} dates to {args.ics}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from isoplan.app.report import run_report, write_report
    from isoplan.files import check_output

    check_output(args.out, "--out", inputs=[args.plan_file])
    report = run_report(_request(args), progress=_progress(), appendix=args.appendix)
    write_report(report, args.out, field="--out")
    print(f"wrote {args.out} (checklist {report.checklist.year}: {report.checklist.overall}"
          f"{'' if report.risk_included else '; no risk results'})")
    return 0
