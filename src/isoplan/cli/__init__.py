"""The ``isoplan`` command: one module per command (parse, call the application layer, render).

Heavy libraries (NumPy and everything that uses it) are imported inside the
command functions, so ``isoplan --help`` starts fast. Every bad input ends in
one line on stderr naming the field, the value and what is allowed, with exit
status 2."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from isoplan import __version__
from isoplan.cli.checklist import add_checklist_report_parsers
from isoplan.cli.common import EXIT_BAD_INPUT, _Parser, add_household_arguments, add_state_arguments
from isoplan.cli.demo import cmd_demo
from isoplan.cli.ledger import add_ledger_parser
from isoplan.cli.mcp import add_mcp_parser
from isoplan.cli.plan import add_plan_parser
from isoplan.cli.risk import add_risk_parser
from isoplan.cli.room import add_room_cost_parsers
from isoplan.cli.serve import add_serve_parser
from isoplan.cli.tax import cmd_tax
from isoplan.errors import InputError

# NumPy's OpenBLAS starts worker threads as it loads, and each spins for some 2**28 cycles (a tenth of a second of a
# core) waiting for matrix work that a command hardly gives it, while the command itself starts: on a machine of
# few cores they take a core from it. With OpenBLAS's shortest timeout an idle worker sleeps at once; a product
# still uses every core. Set before any command imports NumPy; a value the user set is kept.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="isoplan",
        description="Plan Incentive Stock Option exercises around the Alternative Minimum Tax. "
        "A planning estimate, not tax advice.",
    )
    parser.add_argument("--version", action="version", version=f"isoplan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("tax", help="federal (and California) tax of a household (regular tax, AMT, NIIT), line by line",
                       description="Federal income tax and AMT of one household, or of a CSV of households; "
                       "with --state CA also California tax, California AMT (Schedule P) and its credit (FTB 3510).")
    add_household_arguments(p)
    add_state_arguments(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--explain", action="store_true", help="show every Form 1040 / 6251 / 8801 line "
                   "(with --state CA also Form 540, Schedule P (540) and FTB 3510)")
    p.set_defaults(func=cmd_tax)

    p = sub.add_parser("demo", help="run isoplan on the bundled example",
                       description="The tax of a bundled example household that exercised ISOs.")
    p.add_argument("--json", action="store_true")
    p.add_argument("--inflation", type=float, metavar="RATE")
    p.set_defaults(func=cmd_demo)

    add_room_cost_parsers(sub)
    add_ledger_parser(sub)
    add_plan_parser(sub)
    add_risk_parser(sub)
    add_checklist_report_parsers(sub)
    add_serve_parser(sub)
    add_mcp_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # usage errors (exit 2), --help and --version (exit 0)
        return stop.code if isinstance(stop.code, int) else EXIT_BAD_INPUT
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    try:
        return func(args)
    except InputError as err:
        print(f"isoplan {args.command}: {err.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return 0

