"""``isoplan tax``: federal (and state) tax of a household, line by line."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from isoplan.cli.common import CLI_NAMES, _print_json, household_inputs, write_batch

if TYPE_CHECKING:
    from isoplan.app.tax import TaxRequest
    from isoplan.tax.federal import FederalResult
    from isoplan.tax.households import Households
    from isoplan.tax.law import LawTable


def tax_request(args: argparse.Namespace) -> TaxRequest:
    from isoplan.app.tax import TaxRequest

    return TaxRequest(
        household=household_inputs(args),
        state=getattr(args, "state", None),
        property_tax=getattr(args, "property_tax", None),
        ca_amt_credit_carryforward=getattr(args, "ca_amt_credit_carryforward", None),
        deduction=args.deduction,
        inflation=args.inflation,
        explain=args.explain,
        names=CLI_NAMES,
    )


def cmd_tax(args: argparse.Namespace) -> int:
    from isoplan.app.tax import compute_tax, tax_batch
    from isoplan.report.tax_text import render_tax_with_state

    request = tax_request(args)
    if args.batch:
        from isoplan.app.batch import is_parquet
        from isoplan.app.batch_preload import preload_compiled

        preload_compiled("tax", args.batch, csv_out=not (args.out and is_parquet(args.out)))
        write_batch(args.out, tax_batch(request, args.batch, keep=args.keep), "tax", batch=args.batch)
        return 0
    record = compute_tax(request)
    if args.json:
        _print_json(record.as_dict())
    else:
        print(render_tax_with_state(record, explain=args.explain))
    return 0


def tax_json(h: Households, result: FederalResult, law: LawTable, *, explain: bool, i: int = 0) -> dict[str, Any]:
    """``isoplan tax --json`` of household ``i`` of an engine result (``isoplan plan --explain``)."""
    from isoplan.app.tax import tax_record

    return tax_record(h, result, law, explain=explain, i=i).as_dict()


def render_tax(h: Households, result: FederalResult, law: LawTable, *, explain: bool, i: int = 0) -> str:
    """The text of ``isoplan tax`` for household ``i`` of an engine result (``isoplan plan --explain``)."""
    from isoplan.app.tax import tax_record
    from isoplan.report.tax_text import render_tax as render

    return render(tax_record(h, result, law, explain=explain, i=i), explain=explain)
