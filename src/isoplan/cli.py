"""The ``isoplan`` command.

Heavy libraries (NumPy and everything that uses it) are imported inside the
command functions, so ``isoplan --help`` starts fast. Every bad input ends in
one line on stderr naming the field, the value and what is allowed, with exit
status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from isoplan import __version__
from isoplan.errors import InputError

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message}\n")


# ---------------------------------------------------------------- household flags

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


# ---------------------------------------------------------------- isoplan tax


def _law(args: argparse.Namespace) -> Any:
    from isoplan.tax.law import law_table

    return law_table(getattr(args, "inflation", None))


def cmd_tax(args: argparse.Namespace) -> int:
    from isoplan.tax.federal import compute_federal

    law = _law(args)
    if args.batch:
        return _tax_batch(args, law)
    h = household_from_args(args)
    result = compute_federal(h, law, deduction=args.deduction)
    if args.json:
        _print_json(tax_json(h, result, law, explain=args.explain))
    else:
        print(render_tax(h, result, law, explain=args.explain))
    return 0


def tax_json(h: Any, result: Any, law: Any, *, explain: bool, i: int = 0) -> dict[str, Any]:
    from isoplan.tax.explain import OUTPUTS, explain_row, year_notes

    year = int(h.year[i])
    out: dict[str, Any] = {
        "year": year,
        "projected": bool(result.projected[i]),
        "inputs": h.row(i),
        "outputs": {k: float(result.lines[k][i]) for k in OUTPUTS},
        "deduction_kind": "itemized" if result.itemized[i] else "standard",
        "notes": year_notes(law, year, int(h.filing_status[i])),
    }
    if explain:
        out["lines"] = [row.__dict__ for row in explain_row(result, i)]
    return out


def render_tax(h: Any, result: Any, law: Any, *, explain: bool, i: int = 0) -> str:
    from isoplan.report.text import money, table
    from isoplan.tax.explain import explain_row, year_notes
    from isoplan.tax.law import STATUSES

    year = int(h.year[i])
    status = STATUSES[int(h.filing_status[i])]
    label = f"{year} (PROJECTED)" if result.projected[i] else str(year)
    r = {k: float(v[i]) for k, v in result.lines.items()}
    kind = "itemized" if r["itemized"] else "standard"
    rows = [
        ["Adjusted gross income (1040 line 11)", money(r["agi"])],
        [f"Deduction ({kind})", money(r["deduction"] + r["nonitemizer_charitable_used"])],
        ["Taxable income (line 15)", money(r["taxable_income"])],
        ["Regular tax (line 16)", money(r["regular_tax"])],
        ["AMTI (6251 line 4)", money(r["amti"])],
        ["Exemption (line 5)", money(r["amt_exemption"])],
        ["Tentative minimum tax (line 9)", money(r["tentative_minimum_tax"])],
        ["AMT (line 11)", money(r["amt"])],
    ]
    if r["amt_credit_used"] or h.amt_credit_carryforward[i]:
        rows.append(["Minimum tax credit used (8801 line 25)", money(r["amt_credit_used"])])
    rows += [
        ["Net investment income tax (8960)", money(r["niit"])],
        ["Additional Medicare Tax (8959)", money(r["additional_medicare_tax"])],
        ["Total federal tax modeled", money(r["total_tax"])],
    ]
    parts = [f"Federal tax, {label}, {status}", table(["", "amount"], rows)]
    if explain:
        line_rows = [[f"{row.form} {row.line}", row.caption, money(row.value)] for row in explain_row(result, i)]
        parts += ["", "Line by line", table(["form line", "what", "amount"], line_rows, align="llr")]
    notes = year_notes(law, year, int(h.filing_status[i]))
    if notes:
        parts += ["", *("Note: " + n for n in notes)]
    return "\n".join(parts)


def _tax_batch(args: argparse.Namespace, law: Any) -> int:

    from isoplan.tax.explain import OUTPUTS
    from isoplan.tax.federal import compute_federal

    header, rows, h = read_household_csv(args.batch)
    result = compute_federal(h, law, deduction=args.deduction)
    outputs = [*OUTPUTS, "projected"]
    columns = {k: result.lines[k] for k in OUTPUTS}
    columns["projected"] = result.projected
    _write_csv(args.out, header, rows, outputs, columns)
    return 0


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


# ---------------------------------------------------------------- isoplan demo


def cmd_demo(args: argparse.Namespace) -> int:
    import tomllib
    from importlib import resources

    from isoplan.tax.federal import compute_federal
    from isoplan.tax.households import households

    text = resources.files("isoplan.data").joinpath("demo-household.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    household = data["household"]
    h = households(**household)
    law = _law(args)
    result = compute_federal(h, law)
    if args.json:
        _print_json(tax_json(h, result, law, explain=True))
        return 0
    print(data["about"].strip())
    print()
    print(render_tax(h, result, law, explain=True))
    return 0


# ---------------------------------------------------------------- plumbing


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=False))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="isoplan",
        description="Plan Incentive Stock Option exercises around the Alternative Minimum Tax. "
        "A planning estimate, not tax advice.",
    )
    parser.add_argument("--version", action="version", version=f"isoplan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("tax", help="federal tax of a household (regular tax, AMT, NIIT), line by line",
                       description="Federal income tax and AMT of one household, or of a CSV of households.")
    add_household_arguments(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--explain", action="store_true", help="show every Form 1040 / 6251 / 8801 line")
    p.set_defaults(func=cmd_tax)

    p = sub.add_parser("demo", help="run isoplan on the bundled example",
                       description="The tax of a bundled example household that exercised ISOs.")
    p.add_argument("--json", action="store_true")
    p.add_argument("--inflation", type=float, metavar="RATE")
    p.set_defaults(func=cmd_demo)

    add_room_cost_parsers(sub)
    add_ledger_parser(sub)
    return parser


# ---------------------------------------------------------------- isoplan room / cost (issue 3)


def add_room_cost_parsers(sub: Any) -> None:
    """Register ``isoplan room`` and ``isoplan cost``."""


# ---------------------------------------------------------------- isoplan ledger (issue 4)


def add_ledger_parser(sub: Any) -> None:
    """Register ``isoplan ledger`` and its subcommands."""


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


if __name__ == "__main__":
    raise SystemExit(main())
