"""``isoplan cost``: what an ISO exercise really costs."""

from __future__ import annotations

import argparse

from isoplan.cli.common import CLI_NAMES, _print_json, household_inputs


def cmd_cost(args: argparse.Namespace) -> int:
    from isoplan.app.cost import CostRequest, cost
    from isoplan.report.cost_text import render_cost_with_state

    record = cost(CostRequest(
        household=household_inputs(args),
        shares=args.shares,
        strike=args.strike,
        fmv=args.fmv,
        date=args.date,
        cash=args.cash,
        drop=args.drop,
        private=args.private,
        state=args.state,
        property_tax=args.property_tax,
        ca_amt_credit_carryforward=args.ca_amt_credit_carryforward,
        deduction=args.deduction,
        inflation=args.inflation,
        names=CLI_NAMES,
    ))
    if args.json:
        _print_json(record.as_dict())
    else:
        print(render_cost_with_state(record))
    return 0
