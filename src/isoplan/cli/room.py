"""``isoplan room`` (and the parsers of ``room`` and ``cost``)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from isoplan.app.defaults import DEFAULT_DROP, DEFAULT_MARGIN
from isoplan.cli.common import (
    CLI_NAMES,
    _money,
    _print_json,
    add_household_arguments,
    add_state_arguments,
    household_inputs,
    write_batch,
)
from isoplan.cli.cost import cmd_cost

if TYPE_CHECKING:
    from isoplan.app.room import RoomRequest


def add_room_cost_parsers(sub: Any) -> None:
    """Register ``isoplan room`` and ``isoplan cost``."""
    p = sub.add_parser(
        "room", help="the AMT-free room: ISO spread you can add this year with no AMT",
        description="The largest whole-dollar ISO spread (Form 6251 line 2i) this household can add this year "
        "with no AMT, the shares it buys, what going past it costs, and the minimum tax credit line.",
    )
    add_household_arguments(p)
    option = p.add_argument_group("the option (optional: to count shares)")
    option.add_argument("--fmv", type=_money, metavar="USD", help="fair market value per share at exercise")
    option.add_argument("--strike", type=_money, metavar="USD", help="exercise (strike) price per share")
    option.add_argument("--spread-per-share", type=_money, metavar="USD",
                        help="FMV minus strike per share (instead of --fmv and --strike)")
    p.add_argument("--margin", type=float, default=DEFAULT_MARGIN, metavar="FRACTION",
                   help="share of the room left unused as a cushion (default 0.10)")
    p.add_argument("--json", action="store_true", help="machine-readable output (fields: docs/room-and-cost.md)")
    add_state_arguments(p)
    p.set_defaults(func=cmd_room)

    p = sub.add_parser(
        "cost", help="what an ISO exercise really costs: strike cash + the tax it causes, stress test",
        description="Strike cash plus the federal tax an exercise causes (regular tax and AMT separately), "
        "how far past the AMT room it goes, a price-drop stress test and the same-year-sale rescue.",
    )
    add_household_arguments(p, batch=False)
    option = p.add_argument_group("the exercise")
    option.add_argument("--shares", metavar="N", help="number of shares to exercise (a positive whole number)")
    option.add_argument("--strike", type=_money, metavar="USD", help="exercise (strike) price per share")
    option.add_argument("--fmv", type=_money, metavar="USD", help="fair market value per share at exercise")
    option.add_argument("--date", metavar="YYYY-MM-DD", help="exercise date (its year must be --year)")
    stress = p.add_argument_group("stress test")
    stress.add_argument("--cash", type=_money, metavar="USD", help="cash available outside the shares")
    stress.add_argument("--drop", type=float, default=DEFAULT_DROP, metavar="FRACTION",
                        help="fall in the share price after exercise, e.g. 0.5 for 50%% (default 0.5)")
    stress.add_argument("--private", action="store_true",
                        help="the stock is private: no same-year sale is possible")
    p.add_argument("--json", action="store_true", help="machine-readable output (fields: docs/room-and-cost.md)")
    add_state_arguments(p)
    p.set_defaults(func=cmd_cost)


def room_request(args: argparse.Namespace) -> RoomRequest:
    from isoplan.app.room import RoomRequest

    return RoomRequest(
        household=household_inputs(args),
        margin=args.margin,
        fmv=args.fmv,
        strike=args.strike,
        spread_per_share=args.spread_per_share,
        state=args.state,
        property_tax=args.property_tax,
        ca_amt_credit_carryforward=args.ca_amt_credit_carryforward,
        deduction=args.deduction,
        inflation=args.inflation,
        names=CLI_NAMES,
    )


def cmd_room(args: argparse.Namespace) -> int:
    from isoplan.app.room import room, room_batch
    from isoplan.report.room_text import render_room_with_state

    request = room_request(args)
    if args.batch:
        from isoplan.app.batch import is_parquet
        from isoplan.app.batch_preload import preload_compiled

        preload_compiled("room", args.batch, csv_out=not (args.out and is_parquet(args.out)))
        write_batch(args.out, room_batch(request, args.batch, keep=args.keep), "room", batch=args.batch)
        return 0
    record = room(request)
    if args.json:
        _print_json(record.as_dict())
    else:
        print(render_room_with_state(record))
    return 0
