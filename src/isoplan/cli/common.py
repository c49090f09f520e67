"""Shared parsing and output helpers of the ``isoplan`` commands: argparse and printing, no domain logic."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NoReturn

from isoplan.app.household import Names, Value
from isoplan.app.household import other_state_note as _other_state_note

if TYPE_CHECKING:
    from isoplan.app.batch import BatchResult

__all__ = ["CLI_NAMES", "EXIT_BAD_INPUT", "_FLAG_ALIASES", "_Parser", "_law", "_other_state_note", "_print_json",
           "_progress", "add_household_arguments", "add_state_arguments", "household_inputs",
           "write_batch"]

EXIT_BAD_INPUT = 2

#: What the command line calls each input of the use cases (messages name the flag the user typed).
CLI_NAMES = Names({
    "year": "--year", "filing_status": "--status", "state": "--state", "property_tax": "--property-tax",
    "ca_amt_credit_carryforward": "--ca-credit-carryforward", "margin": "--margin", "fmv": "--fmv",
    "strike": "--strike", "spread_per_share": "--spread-per-share", "shares": "--shares", "drop": "--drop",
    "cash": "--cash", "date": "--date", "batch": "--batch", "keep": "--keep",
})


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message}\n")


#: flag name -> household field, for fields whose flag is not the field's name.
_FLAG_ALIASES = {
    "iso_bargain_element": ["--iso-spread", "--iso-bargain-element"],
    "amt_credit_carryforward": ["--credit-carryforward", "--amt-credit-carryforward"],
    "filing_status": ["--status", "--filing-status"],
}


class _LawYears:
    """Help text from the law data, read only when help is shown (building the parser stays light)."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __str__(self) -> str:
        from isoplan.tax.law import projection_settings, supported_years

        if self.what == "years":
            years = supported_years()
            return f"{years.start}-{years.stop - 1}; after {projection_settings()['last_published']} projected"
        return f"{projection_settings()['default_inflation']:g}"


def _money(text: str) -> float:
    cleaned = text.replace(",", "").replace("_", "").replace("$", "").strip()
    try:
        return float(cleaned)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def add_household_arguments(parser: argparse.ArgumentParser, *, batch: bool = True) -> None:
    """The flags of one household (the inputs of the tax engine), shared by tax/room/cost."""
    from isoplan.tax.fields import COUNT_FIELDS, MONEY_FIELDS  # no NumPy: keeps --help fast

    group = parser.add_argument_group("household (amounts in dollars; missing means 0)")
    year = group.add_argument("--year", type=int, help="tax year (%(law_years)s)")
    year.law_years = _LawYears("years")  # type: ignore[attr-defined]
    group.add_argument(*_FLAG_ALIASES["filing_status"], dest="filing_status",
                       help="single, mfj, mfs, hoh or qss")
    for name, _, help_text in MONEY_FIELDS:
        flags = _FLAG_ALIASES.get(name, ["--" + name.replace("_", "-")])
        group.add_argument(*flags, dest=name, type=_money, metavar="USD", help=help_text)
    for name, help_text in COUNT_FIELDS:
        group.add_argument("--" + name.replace("_", "-"), dest=name, type=int, metavar="N", help=help_text)
    inflation = parser.add_argument("--inflation", type=float, metavar="RATE",
                                    help="assumed yearly inflation for projected years (default %(law_inflation)s)")
    inflation.law_inflation = _LawYears("inflation")  # type: ignore[attr-defined]
    parser.add_argument("--deduction", choices=["auto", "standard", "itemized"], default="auto",
                        help="force the standard or itemized deduction (default: the cheaper election)")
    if batch:
        parser.add_argument("--batch", metavar="FILE", help="a CSV or Parquet (.parquet) file, one household per "
                            "row; columns named as the inputs")
        parser.add_argument("--out", metavar="FILE", help="where --batch writes its results: CSV, or Parquet when "
                            "the name ends in .parquet (default: CSV on stdout)")
        parser.add_argument("--keep", metavar="COLUMN", action="append", default=[],
                            help="a column of the --batch file passed through to the output unchanged, such as a "
                            "client id (repeatable)")


def _law(args: argparse.Namespace) -> Any:
    """The federal law table at the ``--inflation`` the command was given (``isoplan ledger``)."""
    from isoplan.tax.law import law_table

    return law_table(getattr(args, "inflation", None))


def household_inputs(args: argparse.Namespace) -> dict[str, Value]:
    """The household flags that were given, by the engine's field name (the request of the use case)."""
    from isoplan.tax.fields import INPUT_NAMES

    return {name: getattr(args, name) for name in INPUT_NAMES if getattr(args, name, None) is not None}


def write_batch(path: str | None, table: BatchResult, command: str, *, batch: str | None = None) -> None:
    """A batch result to ``--out`` (written whole, atomically; Parquet when the name ends in .parquet, else
    CSV) or as CSV to stdout; its notes first, on stderr."""
    import gc

    from isoplan.app.batch import is_parquet, parquet_options
    from isoplan.files import check_output, replace_with, write_parquet

    gc.freeze()  # the objects alive now (numba's compiled code and its types) live until exit: no collection walks them
    for note in table.notes:
        print(f"isoplan {command}: note: {note}", file=sys.stderr)
    if path:
        check_output(path, "--out", inputs=[batch])
        if is_parquet(path):
            arrow = table.arrow_table()
            write_parquet(path, arrow, "--out", **parquet_options(arrow))
            return
        with replace_with(path, "--out") as temp, open(temp, "wb", buffering=0) as handle:
            _write_synced(handle, table.csv_chunks(recycle=True))  # each chunk written before the next
        return
    sys.stdout.flush()
    stream = getattr(sys.stdout, "buffer", None)
    if stream is not None:
        for chunk in table.csv_chunks(recycle=True):  # each written before the next
            stream.write(chunk)
        stream.flush()
    else:  # a text-only stdout (an embedding host): the same bytes as text
        sys.stdout.write(b"".join(table.csv_chunks()).decode("utf-8"))


#: Bytes written between two flushes to disk begun while the rest of a batch file is still being written.
SYNC_EVERY_BYTES = 1 << 26


def _write_synced(handle: Any, chunks: Iterable[bytes | memoryview]) -> None:
    """``chunks`` to ``handle`` (an unbuffered file), flushing what is written to disk in a background thread every
    :data:`SYNC_EVERY_BYTES` as the rest is rendered: the file is still flushed whole before it takes its name
    (:func:`isoplan.files.replace_with`), and that last flush then waits only for the tail."""
    import os
    from concurrent.futures import Future, ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as flusher:
        flushing: Future[None] | None = None
        unsynced = 0
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                view = view[handle.write(view):]
            unsynced += len(chunk)
            if unsynced >= SYNC_EVERY_BYTES and (flushing is None or flushing.done()):
                if flushing is not None:
                    flushing.result()
                flushing = flusher.submit(getattr(os, "fdatasync", os.fsync), handle.fileno())
                unsynced = 0
        if flushing is not None:
            flushing.result()  # before the file is closed


def add_state_arguments(parser: argparse.ArgumentParser) -> None:
    """--state and the California-only inputs (no NumPy: keeps --help fast)."""
    from isoplan.tax.fields import CA_MONEY_FIELDS

    group = parser.add_argument_group("state (only California is modeled)")
    group.add_argument("--state", metavar="XX",
                       help="two-letter state of residence; CA adds California tax, AMT (Schedule P) and its credit "
                       "(FTB 3510); another state is accepted with a note that only federal tax is computed")
    flags = {"property_tax": ["--property-tax"],
             "ca_amt_credit_carryforward": ["--ca-credit-carryforward", "--ca-amt-credit-carryforward"]}
    for name, help_text in CA_MONEY_FIELDS:
        group.add_argument(*flags[name], dest=name, type=_money, metavar="USD", help=help_text + " (with --state CA)")


def _print_json(data: Any) -> None:
    """JSON as RFC 8259 has it: a value that is not finite is a bug upstream, never ``Infinity`` on stdout."""
    print(json.dumps(data, indent=2, sort_keys=False, allow_nan=False))


def _progress() -> Callable[[int, int], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(step: int, total: int) -> None:
        done = int(30 * (step + 1) / max(total - 1, 1))
        print(f"\r  optimizing [{'#' * min(done, 30):<30}] year {step + 1}/{total - 1}", end="", file=sys.stderr)
        if step + 2 >= total:
            print(file=sys.stderr)

    return show

