"""Shared parsing and output helpers of the ``isoplan`` commands."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from isoplan.errors import InputError

EXIT_BAD_INPUT = 2


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
    group.add_argument("--year", type=int, help="tax year (2025-2035; after 2026 projected)")
    group.add_argument(*_FLAG_ALIASES["filing_status"], dest="filing_status",
                       help="single, mfj, mfs, hoh or qss")
    for name, _, help_text in MONEY_FIELDS:
        flags = _FLAG_ALIASES.get(name, ["--" + name.replace("_", "-")])
        group.add_argument(*flags, dest=name, type=_money, metavar="USD", help=help_text)
    for name, help_text in COUNT_FIELDS:
        group.add_argument("--" + name.replace("_", "-"), dest=name, type=int, metavar="N", help=help_text)
    parser.add_argument("--inflation", type=float, metavar="RATE",
                        help="assumed yearly inflation for projected years (default 0.025)")
    parser.add_argument("--deduction", choices=["auto", "standard", "itemized"], default="auto",
                        help="force the standard or itemized deduction (default: the cheaper election)")
    if batch:
        parser.add_argument("--batch", metavar="CSV", help="one household per row; columns named as the inputs")
        parser.add_argument("--out", metavar="CSV", help="where --batch writes its results (default: stdout)")


def household_from_args(args: argparse.Namespace) -> Any:
    from isoplan.tax.households import INPUT_NAMES, households

    columns = {name: getattr(args, name, None) for name in INPUT_NAMES}
    if columns["year"] is None:
        raise InputError("--year", None, "a tax year, e.g. --year 2026")
    if columns["filing_status"] is None:
        raise InputError("--status", None, "single, mfj, mfs, hoh or qss")
    return households(**{k: v for k, v in columns.items() if v is not None})


def read_household_csv(path: str) -> tuple[list[str], list[dict[str, str]], Any]:
    """Read a batch CSV into households, naming the row and column of any bad cell."""
    import csv

    from isoplan.tax.households import INPUT_NAMES, households

    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in (reader.fieldnames or [])]
            rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    except OSError as err:
        raise InputError("--batch", path, f"a readable CSV file ({err.strerror})") from None
    for name in header:
        if name not in INPUT_NAMES:
            raise InputError(f"column {name!r}", name, "one of " + ", ".join(INPUT_NAMES), source=path)
    for required in ("year", "filing_status"):
        if required not in header:
            raise InputError("header", ",".join(header), f"a '{required}' column", source=path)
    if not rows:
        raise InputError("rows", 0, "at least one household after the header", source=path)
    columns: dict[str, Any] = {}
    for name in header:
        cells = [row.get(name, "") for row in rows]
        if name == "filing_status":
            columns[name] = cells
            continue
        if name == "amt_long_term_gain" and all(c == "" for c in cells):
            continue
        values = []
        for i, cell in enumerate(cells):
            if cell == "":
                cell = rows[i].get("long_term_gain", "") or "0" if name == "amt_long_term_gain" else "0"
            try:
                values.append(float(cell.replace(",", "")))
            except ValueError:
                raise InputError(f"column {name}", cell, "a number", row=i + 1, source=path) from None
        columns[name] = values
    try:
        return header, rows, households(**columns)
    except InputError as err:
        row = (err.row or 0) + 1  # 1 = the first household after the header
        raise InputError(f"column {err.field}", err.value, err.allowed, row=row, source=path) from None


def _law(args: argparse.Namespace) -> Any:
    from isoplan.tax.law import law_table

    return law_table(getattr(args, "inflation", None))


def _line_value(key: str, value: float) -> str:
    """A form line's value as shown: yes/no for the deduction election flag, counts plain, else dollars."""
    from isoplan.report.text import money

    if key in ("itemized", "ca_itemized"):
        return "yes" if value else "no"
    if key.endswith("_count"):
        return f"{value:g}"
    return money(value)


def _write_csv(path: str | None, header: list[str], rows: list[dict[str, str]],
               outputs: list[str], columns: dict[str, Any]) -> None:
    import csv

    with contextlib.ExitStack() as stack:
        handle = stack.enter_context(open(path, "w", newline="", encoding="utf-8")) if path else sys.stdout
        writer = csv.writer(handle)
        writer.writerow([*header, *outputs])
        lists = {k: v.tolist() for k, v in columns.items()}
        for i, row in enumerate(rows):
            out = []
            for k in outputs:
                value = lists[k][i]
                out.append(str(bool(value)).lower() if isinstance(value, bool) else f"{value:.2f}")
            writer.writerow([row.get(c, "") for c in header] + out)


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


def _state_code(value: Any, *, row: int | None = None, source: str | None = None) -> str | None:
    """A state code in capitals, or None for federal only; names the value if it is no state code."""
    if value is None or not str(value).strip():
        return None
    code = str(value).strip().upper()
    if len(code) != 2 or not code.isalpha():
        field = "--state" if row is None else "column state"
        raise InputError(field, value, "a two-letter state code such as CA, or nothing for federal only",
                         row=row, source=source)
    return code


def _other_state_note(state: str) -> str:
    return (f"state {state}: isoplan models federal tax and California only; {state} income tax is not included "
            "in any figure shown.")


def _refuse_ca_inputs(args: argparse.Namespace, state: str | None) -> None:
    """California inputs without --state CA would be ignored silently: refuse them instead."""
    for name, flag in (("property_tax", "--property-tax"), ("ca_amt_credit_carryforward", "--ca-credit-carryforward")):
        value = getattr(args, name, None)
        if value is not None:
            raise InputError(flag, value, "used only with --state CA" + (f" (got --state {state})" if state else ""))


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=False))


def _whole(value: float) -> int:
    return round(value)


def _check_fraction(flag: str, value: float, *, zero_ok: bool, allowed: str) -> None:
    if value != value or value >= 1 or value < 0 or (value == 0 and not zero_ok):
        raise InputError(flag, value, allowed)


def _emit_with_state(args: argparse.Namespace, data: dict[str, Any], state: str | None,
                     render: Callable[[dict[str, Any]], str],
                     render_california: Callable[[dict[str, Any]], str]) -> int:
    """Print ``data`` as JSON or text; California beside federal, or a note for another state."""
    if args.json:
        _print_json(data)
        return 0
    text = render(data)
    if state == "CA":
        text += "\n\n" + render_california(data)
    elif state:
        text += "\n\nNote: " + _other_state_note(state)
    print(text)
    return 0


def _add_state(data: dict[str, Any], state: str | None) -> None:
    """Add ``state`` (and for a state other than CA the note that it is not modeled) to room/cost JSON."""
    if state:
        data["state"] = state
        if state != "CA":
            data["state_note"] = _other_state_note(state)


def _ca_inputs(args: argparse.Namespace) -> tuple[float, float]:
    return (getattr(args, "property_tax", None) or 0.0, getattr(args, "ca_amt_credit_carryforward", None) or 0.0)


def _usd(value: float, *, cents: bool = False) -> str:
    from isoplan.report.text import money

    return money(value, cents=cents)


def _progress() -> Any:
    if not sys.stderr.isatty():
        return None

    def show(step: int, total: int) -> None:
        done = int(30 * (step + 1) / max(total - 1, 1))
        print(f"\r  optimizing [{'#' * min(done, 30):<30}] year {step + 1}/{total - 1}", end="", file=sys.stderr)
        if step + 2 >= total:
            print(file=sys.stderr)

    return show

