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
    state = _state_code(getattr(args, "state", None))
    if args.batch:
        return _tax_batch(args, law)
    h = household_from_args(args)
    result = compute_federal(h, law, deduction=args.deduction)
    ca = _california(args, h) if state == "CA" else None
    if state != "CA":
        _refuse_ca_inputs(args, state)
    if args.json:
        data = tax_json(h, result, law, explain=args.explain)
        if state:
            data["state"] = state
        if ca is not None:
            data["california"] = california_json(h, *ca, explain=args.explain)
        elif state:
            data["state_note"] = _other_state_note(state)
        _print_json(data)
    else:
        text = render_tax(h, result, law, explain=args.explain)
        if ca is not None:
            text += "\n\n" + render_california(h, result, *ca, explain=args.explain)
        elif state:
            text += "\n\nNote: " + _other_state_note(state)
        print(text)
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
        line_rows = [[f"{row.form} {row.line}", row.caption, _line_value(row.key, row.value)]
                     for row in explain_row(result, i)]
        parts += ["", "Line by line", table(["form line", "what", "amount"], line_rows, align="llr")]
    notes = year_notes(law, year, int(h.filing_status[i]))
    if notes:
        parts += ["", *("Note: " + n for n in notes)]
    return "\n".join(parts)


def _line_value(key: str, value: float) -> str:
    """A form line's value as shown: yes/no for the deduction election flag, counts plain, else dollars."""
    from isoplan.report.text import money

    if key in ("itemized", "ca_itemized"):
        return "yes" if value else "no"
    if key.endswith("_count"):
        return f"{value:g}"
    return money(value)


def _tax_batch(args: argparse.Namespace, law: Any) -> int:

    from isoplan.tax.explain import OUTPUTS
    from isoplan.tax.federal import compute_federal

    if _state_batch(args, law):
        return 0
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


# ---- isoplan tax --state (issue 9): California beside federal


#: Batch columns read for the state layer (not engine inputs of the federal Households).
_STATE_COLUMNS = ("state", "property_tax", "ca_amt_credit_carryforward")


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


def _california(args: argparse.Namespace, h: Any) -> tuple[Any, Any]:
    from isoplan.tax.california import ca_law_table, compute_california

    ca_law = ca_law_table(getattr(args, "inflation", None))
    result = compute_california(
        h, ca_law,
        property_tax=getattr(args, "property_tax", None) or 0.0,
        ca_amt_credit_carryforward=getattr(args, "ca_amt_credit_carryforward", None) or 0.0,
        deduction=args.deduction,
    )
    return result, ca_law


def california_json(h: Any, ca: Any, ca_law: Any, *, explain: bool, i: int = 0) -> dict[str, Any]:
    from isoplan.tax.california import CA_OUTPUTS, ca_explain_row, ca_year_notes

    year = int(h.year[i])
    out: dict[str, Any] = {
        "year": year,
        "projected": bool(ca.projected[i]),
        "inputs": {"property_tax": float(ca.ca_taxes_deducted[i]),
                   "ca_amt_credit_carryforward": float(ca.ca_amt_credit_carryforward[i])},
        "outputs": {k: float(ca.lines[k][i]) for k in CA_OUTPUTS},
        "deduction_kind": "itemized" if ca.ca_itemized[i] else "standard",
        "notes": ca_year_notes(ca_law, year, int(h.filing_status[i])),
    }
    if explain:
        out["lines"] = [row.__dict__ for row in ca_explain_row(ca, i)]
    return out


def render_california(h: Any, fed: Any, ca: Any, ca_law: Any, *, explain: bool, i: int = 0) -> str:
    """Federal and California side by side, the California-only lines, and the combined total."""
    from isoplan.report.text import money, table
    from isoplan.tax.california import ca_explain_row, ca_year_notes

    year = int(h.year[i])
    f = {k: float(v[i]) for k, v in fed.lines.items()}
    c = {k: float(v[i]) for k, v in ca.lines.items()}
    label = f"{year} (PROJECTED)" if ca.projected[i] else str(year)
    fed_kind = "itemized" if f["itemized"] else "standard"
    ca_kind = "itemized" if c["ca_itemized"] else "standard"
    rows = [
        ["Adjusted gross income", money(f["agi"]), money(c["ca_agi"])],
        [f"Deduction (federal {fed_kind}, CA {ca_kind})",
         money(f["deduction"] + f["nonitemizer_charitable_used"]), money(c["ca_deduction"])],
        ["Taxable income", money(f["taxable_income"]), money(c["ca_taxable_income"])],
        ["Regular tax (1040 line 16 / 540 line 31)", money(f["regular_tax"]), money(c["ca_regular_tax"])],
        ["AMTI (6251 line 4 / Schedule P line 21)", money(f["amti"]), money(c["ca_amti"])],
        ["AMT exemption (6251 line 5 / P line 22)", money(f["amt_exemption"]), money(c["ca_amt_exemption"])],
        ["Tentative minimum tax (6251 line 9 / P line 24)",
         money(f["tentative_minimum_tax"]), money(c["ca_tentative_minimum_tax"])],
        ["AMT (6251 line 11 / P line 26)", money(f["amt"]), money(c["ca_amt"])],
        ["Prior-year AMT credit used (8801 / FTB 3510)", money(f["amt_credit_used"]), money(c["ca_amt_credit_used"])],
        ["Exemption credits (540 line 32)", "", money(c["ca_exemption_credits"])],
        ["Mental Health Services Tax (540 line 62)", "", money(c["ca_mental_health_tax"])],
        ["NIIT + Additional Medicare Tax", money(f["niit"] + f["additional_medicare_tax"]), ""],
        ["Total tax modeled", money(f["total_tax"]), money(c["ca_total_tax"])],
    ]
    parts = [f"Federal and California, {label}", table(["", "federal", "California"], rows, align="lrr"),
             f"Federal + California: {money(f['total_tax'] + c['ca_total_tax'])}"]
    if c["ca_amt_credit_carryforward"]:
        parts.append(f"California AMT credit carried forward (FTB 3510): {money(c['ca_amt_credit_remaining'])}")
    if explain:
        line_rows = [[f"{row.form} {row.line}", row.caption, _line_value(row.key, row.value)]
                     for row in ca_explain_row(ca, i)]
        parts += ["", "California line by line", table(["form line", "what", "amount"], line_rows, align="llr")]
    notes = ca_year_notes(ca_law, year, int(h.filing_status[i]))
    parts += ["", *("Note: " + n for n in notes)]
    return "\n".join(parts)


def _state_batch(args: argparse.Namespace, law: Any) -> bool:
    """``--batch`` with a state: California outputs (``ca_*``) for CA rows, blank for others. False: federal only."""
    import csv
    import os
    import tempfile

    from isoplan.tax.california import CA_OUTPUTS, ca_law_table, compute_california
    from isoplan.tax.explain import OUTPUTS
    from isoplan.tax.federal import compute_federal

    default = _state_code(getattr(args, "state", None))
    try:
        with open(args.batch, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [c.strip() for c in (reader.fieldnames or [])]
            rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    except OSError:
        return False  # read_household_csv names the problem
    extra = [c for c in header if c in _STATE_COLUMNS]
    if not extra:
        if default is None:
            return False
        if default != "CA":
            _refuse_ca_inputs(args, default)
            print(f"isoplan tax: note: {_other_state_note(default)}", file=sys.stderr)
            return False
    kept = [c for c in header if c not in _STATE_COLUMNS]
    fd, tmp = tempfile.mkstemp(suffix=".csv")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(kept)
            for row in rows:
                writer.writerow([row.get(c, "") for c in kept])
        try:
            _, _, h = read_household_csv(tmp)
        except InputError as err:
            raise InputError(err.field, err.value, err.allowed, row=err.row, source=args.batch) from None
    finally:
        os.unlink(tmp)
    states = [_state_code(row.get("state") or default, row=i + 1, source=args.batch) for i, row in enumerate(rows)]

    def column(name: str) -> list[float]:
        values = []
        for i, row in enumerate(rows):
            cell = row.get(name, "") or "0"
            try:
                values.append(float(cell.replace(",", "")))
            except ValueError:
                raise InputError(f"column {name}", cell, "a number", row=i + 1, source=args.batch) from None
            if values[-1] and states[i] != "CA":
                raise InputError(f"column {name}", cell, "used only on rows whose state is CA", row=i + 1,
                                 source=args.batch)
        return values

    property_tax, carry = column("property_tax"), column("ca_amt_credit_carryforward")
    result = compute_federal(h, law, deduction=args.deduction)
    try:
        ca = compute_california(h, ca_law_table(getattr(args, "inflation", None)), property_tax=property_tax,
                                ca_amt_credit_carryforward=carry, deduction=args.deduction)
    except InputError as err:
        row = (err.row or 0) + 1
        raise InputError(f"column {err.field}", err.value, err.allowed, row=row, source=args.batch) from None
    others = sorted({s for s in states if s and s != "CA"})
    if others:
        print(f"isoplan tax: note: rows with state {', '.join(others)} get federal tax only "
              "(isoplan models federal tax and California).", file=sys.stderr)
    fed_cols = {k: result.lines[k].tolist() for k in OUTPUTS}
    ca_cols = {k: ca.lines[k].tolist() for k in CA_OUTPUTS}
    projected, ca_projected = result.projected.tolist(), ca.projected.tolist()
    with contextlib.ExitStack() as stack:
        handle = stack.enter_context(open(args.out, "w", newline="", encoding="utf-8")) if args.out else sys.stdout
        writer = csv.writer(handle)
        writer.writerow([*header, *OUTPUTS, "projected", *CA_OUTPUTS, "ca_projected"])
        for i, row in enumerate(rows):
            out = [f"{fed_cols[k][i]:.2f}" for k in OUTPUTS] + [str(bool(projected[i])).lower()]
            out += [f"{ca_cols[k][i]:.2f}" if states[i] == "CA" else "" for k in CA_OUTPUTS]
            out.append(str(bool(ca_projected[i])).lower() if states[i] == "CA" else "")
            writer.writerow([row.get(c, "") for c in header] + out)
    return True


# ---------------------------------------------------------------- isoplan demo


def cmd_demo(args: argparse.Namespace) -> int:
    """The bundled example: a staging plan (examples/staging-three-years.toml), then one year's Form 6251."""
    import datetime
    import tomllib
    from importlib import resources

    from isoplan.planning.plan import parse_plan
    from isoplan.planning.staging import run_plan
    from isoplan.tax.federal import compute_federal
    from isoplan.tax.households import households

    data_dir = resources.files("isoplan.data")
    plan = parse_plan(tomllib.loads(data_dir.joinpath("demo-plan.toml").read_text(encoding="utf-8")),
                      "examples/staging-three-years.toml", today=datetime.date.today())
    law = _law(args)
    outcome = run_plan(plan, law)
    data = tomllib.loads(data_dir.joinpath("demo-household.toml").read_text(encoding="utf-8"))
    h = households(**data["household"])
    result = compute_federal(h, law)
    if args.json:
        _print_json({"plan": outcome.as_dict(), "household": tax_json(h, result, law, explain=True)})
        return 0
    print(render_plan(outcome.as_dict()))
    print()
    print("How the AMT works, line by line: " + data["about"].strip())
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
    return parser


# ---------------------------------------------------------------- isoplan room / cost (issue 3)


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
    p.add_argument("--margin", type=float, default=0.10, metavar="FRACTION",
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
    stress.add_argument("--drop", type=float, default=0.5, metavar="FRACTION",
                        help="fall in the share price after exercise, e.g. 0.5 for 50%% (default 0.5)")
    stress.add_argument("--private", action="store_true",
                        help="the stock is private: no same-year sale is possible")
    p.add_argument("--json", action="store_true", help="machine-readable output (fields: docs/room-and-cost.md)")
    add_state_arguments(p)
    p.set_defaults(func=cmd_cost)


#: Going past the line by these shares of the room (the `room` table).
_PAST_LINE_STEPS = (0.10, 0.25, 0.50, 1.00)


def _whole(value: float) -> int:
    return round(value)


def _spread_per_share(args: argparse.Namespace) -> tuple[float | None, bool]:
    """(spread per share or None, underwater?) from --fmv/--strike or --spread-per-share."""
    fmv, strike, given = args.fmv, args.strike, args.spread_per_share
    if given is not None:
        if fmv is not None or strike is not None:
            raise InputError("--spread-per-share", given, "either --spread-per-share or --fmv with --strike, not both")
        if not given >= 0:
            raise InputError("--spread-per-share", given, "a dollar amount per share of 0 or more")
        return given, given == 0
    if fmv is None and strike is None:
        return None, False
    if fmv is None:
        raise InputError("--fmv", None, "a fair market value per share to go with --strike")
    if strike is None:
        raise InputError("--strike", None, "an exercise price per share to go with --fmv")
    for flag, value in (("--fmv", fmv), ("--strike", strike)):
        if not value >= 0:
            raise InputError(flag, value, "a price per share of 0 or more")
    return max(fmv - strike, 0.0), fmv <= strike


def _check_fraction(flag: str, value: float, *, zero_ok: bool, allowed: str) -> None:
    if value != value or value >= 1 or value < 0 or (value == 0 and not zero_ok):
        raise InputError(flag, value, allowed)


def cmd_room(args: argparse.Namespace) -> int:
    from isoplan.planning.room import amt_room

    _check_fraction("--margin", args.margin, zero_ok=True,
                    allowed="a fraction from 0 up to (not including) 1, e.g. 0.10")
    spread_per_share, underwater = _spread_per_share(args)
    law = _law(args)
    state = _state_code(getattr(args, "state", None))
    if state != "CA":
        _refuse_ca_inputs(args, state)
    if args.batch:
        return _room_batch(args, law, spread_per_share)
    h = household_from_args(args)
    room = amt_room(h, law, deduction=args.deduction)
    data = room_json(h, room, law, deduction=args.deduction, margin=args.margin,
                     spread_per_share=spread_per_share, underwater=underwater)
    _add_state(data, state)
    if state == "CA":
        data["california"] = california_room_json(args, h, data, spread_per_share=spread_per_share)
    return _emit_with_state(args, data, state, render_room, render_room_california)


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


def california_room_json(args: argparse.Namespace, h: Any, data: dict[str, Any], *,
                         spread_per_share: float | None, i: int = 0) -> dict[str, Any]:
    """The California line (Schedule P (540)) beside the federal one in ``data``, and which one binds."""
    import numpy as np

    from isoplan.planning.room import california_amt_room, shares_for_spread, with_added_spread
    from isoplan.tax.california import ca_law_table, ca_year_notes, compute_california

    ca_law = ca_law_table(getattr(args, "inflation", None))
    property_tax, carry = _ca_inputs(args)
    one = h.take(np.array([i]))
    r = california_amt_room(one, ca_law, property_tax=property_tax, ca_amt_credit_carryforward=carry,
                            deduction=args.deduction)
    amount = float(r.ca_amt_room[0])
    margin = data["margin"]
    # the marginal California AMT rate just past the line, measured with the engine (room + 1 -> room + 2)
    two = with_added_spread(one.take(np.zeros(2, dtype=np.intp)), np.array([amount + 1.0, amount + 2.0]))
    past = compute_california(two, ca_law, property_tax=property_tax, ca_amt_credit_carryforward=carry,
                              deduction=args.deduction)
    rate = round(float(past.ca_amt[1] - past.ca_amt[0]), 6)
    shares = shares_after = None
    if spread_per_share is not None and spread_per_share > 0:
        per = np.array([spread_per_share])
        shares = _whole(shares_for_spread(np.array([amount]), per)[0])
        shares_after = _whole(shares_for_spread(np.array([amount * (1.0 - margin)]), per)[0])
    federal_room = float(data["amt_room"])
    binding = "california" if amount < federal_room else "federal"
    credit = None
    if carry > 0:
        line = float(r.ca_credit_line[0])
        credit = {"carryforward": carry, "used_this_year": float(r.ca_credit_used[0]),
                  "credit_line": None if line != line else line}
    year = int(one.year[0])
    notes = []
    if bool(r.ca_already_in_amt[0]):
        notes.append(f"Already in California AMT: {_usd(float(r.ca_amt[0]))} is owed before any more spread, so "
                     "there is no California room this year.")
    if amount == federal_room:
        notes.append("The two lines are equal: federal and California AMT start at the same spread.")
    return {
        "year": year,
        "projected": bool(ca_law.is_projected(year)),
        "inputs": {"property_tax": property_tax, "ca_amt_credit_carryforward": carry},
        "amt_room": amount,
        "already_in_amt": bool(r.ca_already_in_amt[0]),
        "regular_tax": float(r.ca_regular_tax[0]),
        "tentative_minimum_tax": float(r.ca_tentative_minimum_tax[0]),
        "amt": float(r.ca_amt[0]),
        "deduction_at_line": "itemized" if bool(r.ca_itemized_at_line[0]) else "standard",
        "marginal_amt_rate": rate,
        "room_after_margin": float(np.floor(amount * (1.0 - margin))),
        "shares": shares,
        "shares_after_margin": shares_after,
        "credit": credit,
        "binding": binding,
        "binding_room": min(amount, federal_room),
        "binding_room_after_margin": min(float(np.floor(amount * (1.0 - margin))), float(data["room_after_margin"])),
        "binding_shares": None if shares is None else min(shares, data["shares"]),
        "notes": ca_year_notes(ca_law, year, int(one.filing_status[0])),
    }


def render_room_california(data: dict[str, Any]) -> str:
    """Federal and California lines side by side, and which one binds."""
    from isoplan.report.text import table

    ca = data["california"]
    label = f"{ca['year']} (PROJECTED)" if ca["projected"] else str(ca["year"])
    rows = [
        ["Regular tax (1040 line 16 / 540 line 31)", _usd(data["regular_tax"]), _usd(ca["regular_tax"])],
        ["Tentative minimum tax now (6251 line 9 / P line 24)", _usd(data["tentative_minimum_tax"]),
         _usd(ca["tentative_minimum_tax"])],
        ["AMT now (6251 line 11 / P line 26)", _usd(data["amt"]), _usd(ca["amt"])],
        ["AMT room: more ISO spread with no AMT", _usd(data["amt_room"]), _usd(ca["amt_room"])],
        [f"Room after a {data['margin']:.0%} margin", _usd(data["room_after_margin"]), _usd(ca["room_after_margin"])],
        ["AMT per dollar past the line", f"{data['marginal_amt_rate']:.1%}", f"{ca['marginal_amt_rate']:.1%}"],
    ]
    if ca["shares"] is not None:
        rows.append(["Shares within the room", f"{data['shares']:,}", f"{ca['shares']:,}"])
    fed_credit, ca_credit = data["credit"], ca["credit"]
    if (fed_credit and fed_credit["credit_line"] is not None) or (ca_credit and ca_credit["credit_line"] is not None):
        def credit_cell(c: Any) -> str:
            return _usd(c["credit_line"]) if c and c["credit_line"] is not None else "-"
        rows.append(["Credit line (8801 / FTB 3510)", credit_cell(fed_credit), credit_cell(ca_credit)])
    which = "California" if ca["binding"] == "california" else "federal"
    shares = f" ({ca['binding_shares']:,} shares)" if ca["binding_shares"] is not None else ""
    parts = [f"Federal and California AMT room, {label}",
             table(["", "federal", "California"], rows, align="lrr"),
             "",
             f"Binding line: {which}, the smaller one: {_usd(ca['binding_room'])} of spread{shares} owes neither "
             "AMT; past it the " + ("California AMT (Schedule P (540))" if ca["binding"] == "california" else
                                    "federal AMT (Form 6251)") + " starts."]
    parts += ["", *("Note: " + n for n in ca["notes"])]
    return "\n".join(parts)


def room_json(h: Any, room: Any, law: Any, *, deduction: str, margin: float,
              spread_per_share: float | None, underwater: bool, i: int = 0) -> dict[str, Any]:
    """Everything ``isoplan room`` shows for household ``i``, as plain data (fields: docs/room-and-cost.md)."""
    import numpy as np

    from isoplan.planning.room import amt_at_spreads, shares_for_spread, zone_past_line
    from isoplan.tax.explain import year_notes
    from isoplan.tax.law import STATUSES

    one = h.take(np.array([i]))
    year, status_code = int(one.year[0]), int(one.filing_status[0])
    status = STATUSES[status_code]
    amount = float(room.amt_room[i])
    already = bool(room.already_in_amt[i])
    after_margin = float(np.floor(amount * (1.0 - margin)))
    zone = zone_past_line(one, np.array([amount]), law, deduction=deduction)
    rate = round(float(zone.rate[0]), 6)  # a one-dollar difference of two large amounts: keep 6 digits
    description = _zone_text(law, year, status, zone)

    shares = shares_after = None
    if spread_per_share is not None and spread_per_share > 0:
        shares = _whole(shares_for_spread(np.array([amount]), np.array([spread_per_share]))[0])
        shares_after = _whole(shares_for_spread(np.array([amount * (1.0 - margin)]), np.array([spread_per_share]))[0])

    # what exercising past the line costs: spread beyond the room (whole shares when a spread per share is given)
    past: list[dict[str, Any]] = []
    if shares:
        assert spread_per_share is not None
        base = shares * spread_per_share
        extra_shares = [max(1, int(np.ceil(step * shares))) for step in _PAST_LINE_STEPS]
        extra_spread = [k * spread_per_share for k in extra_shares]
    elif amount > 0 and spread_per_share is None:
        base = amount
        extra_shares = []
        extra_spread = [float(np.ceil(step * amount)) for step in _PAST_LINE_STEPS]
    else:
        base, extra_spread, extra_shares = amount, [], []
    if extra_spread:
        r = amt_at_spreads(one, np.array([[base + e for e in extra_spread]]), law, deduction=deduction)
        for j, step in enumerate(_PAST_LINE_STEPS):
            amt = round(float(r.amt[j]), 2)
            row: dict[str, Any] = {"past_by": step, "extra_spread": extra_spread[j], "amt": amt,
                                   "average_rate": round(amt / extra_spread[j], 6)}
            if extra_shares:
                row["extra_shares"] = extra_shares[j]
                row["amt_per_extra_share"] = round(amt / extra_shares[j], 4)
            past.append(row)

    credit = None
    carryforward = float(one.amt_credit_carryforward[0])
    if carryforward > 0:
        line = float(room.credit_line[i])
        credit = {
            "carryforward": carryforward,
            "used_this_year": float(room.credit_used[i]),
            "credit_line": None if line != line else line,
            "explanation": _credit_text(carryforward, float(room.credit_used[i]), line, amount, already),
        }
    notes = []
    if already:
        notes.append(f"Already in AMT: the household owes {_usd(float(room.amt[i]))} of AMT before any more spread, "
                     f"so there is no room this year; each more dollar of spread costs about {rate:.1%}.")
    elif float(room.regular_tax[i]) == 0:
        notes.append("No regular tax: the room is the spread the AMT exemption (and any 0% capital-gain band in "
                     "Part III) absorbs; AMT is owed as soon as the tentative minimum tax is above $0.")
    if bool(room.election_switch[i]):
        kind = "itemizes" if bool(room.itemized_at_line[i]) else "takes the standard deduction"
        notes.append(f"The room is longer than the line of the larger deduction because there the cheaper "
                     f"election {kind} (IRC §63(e)): no more regular tax, and AMTI stays lower.")
    if underwater:
        notes.append("The option is at or under water (FMV at or below the strike): its spread is $0, so "
                     "exercising it triggers no AMT.")
    notes += year_notes(law, year, status_code)
    return {
        "year": year,
        "filing_status": status,
        "projected": bool(law.is_projected(year)),
        "inputs": one.row(0),
        "deduction": deduction,
        "amt_room": amount,
        "already_in_amt": already,
        "regular_tax": float(room.regular_tax[i]),
        "tentative_minimum_tax": float(room.tentative_minimum_tax[i]),
        "amt": float(room.amt[i]),
        "deduction_at_line": "itemized" if bool(room.itemized_at_line[i]) else "standard",
        "election_switch": bool(room.election_switch[i]),
        "marginal_amt_rate": rate,
        "zone": {
            "phase_out": bool(zone.phase_out[0]),
            "mfs_addon": bool(zone.mfs_addon[0]),
            "upper_rate": bool(zone.upper_rate[0]),
            "gains_pulled_in": bool(zone.gains_pulled_in[0]),
            "description": description,
        },
        "margin": margin,
        "room_after_margin": after_margin,
        "spread_per_share": spread_per_share,
        "underwater": underwater,
        "shares": shares,
        "shares_after_margin": shares_after,
        "past_the_line": past,
        "credit": credit,
        "notes": notes,
    }


def _usd(value: float, *, cents: bool = False) -> str:
    from isoplan.report.text import money

    return money(value, cents=cents)


def _zone_text(law: Any, year: int, status: str, zone: Any) -> str:
    """Why the AMT rate past the line is what it is, from the law's own parameters."""
    rates = law.laws[year].value("amt_rates", status)
    phaseout_rate = float(law.laws[year].value("amt_phaseout_rate", status))
    low, high = float(rates[0]), float(rates[1])
    base = high if zone.upper_rate[0] else low
    parts = []
    if zone.gains_pulled_in[0]:
        parts.append("the spread fills AMT base that the exemption kept free, and Part III taxes that layer as "
                     "capital gain (0%/15%/20%), so each dollar pulls a dollar of gain into the AMT at its rate")
    else:
        parts.append(f"{base:.0%} AMT bracket" + (" (above the 26%/28% breakpoint)" if zone.upper_rate[0] else ""))
    if zone.phase_out[0]:
        multiplier = 1.0 + phaseout_rate
        parts.append(f"exemption phase-out: each dollar also removes {phaseout_rate:.0%} of a dollar of exemption, "
                     f"so {base:.0%} x {multiplier:g} = {base * multiplier:.1%}")
    if zone.mfs_addon[0]:
        addon = float(law.laws[year].value("amt_mfs_addon_rate", status))
        parts.append(f"married-filing-separately add-on (IRC §55(d)): AMTI grows by another {addon:.0%} of "
                     "each dollar")
    return "; ".join(parts)


def _credit_text(carryforward: float, used: float, line: float, room: float, already: bool) -> str:
    if already:
        return ("No minimum tax credit can be used this year: the tentative minimum tax is above the regular "
                "tax. The credit stays carried forward.")
    if used <= 0:
        return ("No minimum tax credit can be used this year: regular tax does not exceed the tentative minimum "
                "tax (Form 8801 limit, IRC §53(c)). The credit stays carried forward.")
    if line != line:
        return ""
    head = (f"This year you use {_usd(used)} of your {_usd(carryforward)} credit (limited to regular tax minus "
            "TMT, IRC §53(c)). ")
    if line <= 0:
        return head + ("That limit already binds: every dollar of spread reduces this year's credit use, "
                       f"by the AMT rate, until the AMT line at {_usd(room)}. ")  + _credit_kept()
    return head + (f"Up to {_usd(line)} of spread leaves that unchanged; past it each dollar reduces this year's "
                   f"credit use by the AMT rate, until the AMT line at {_usd(room)}. ") + _credit_kept()


def _credit_kept() -> str:
    return "Credit not used this year is carried forward, not lost."


def render_room(data: dict[str, Any]) -> str:
    """The human-readable ``isoplan room`` report."""
    from isoplan.report.text import table

    label = f"{data['year']} (PROJECTED)" if data["projected"] else str(data["year"])
    rows = [
        ["Regular tax (Form 1040 line 16)", _usd(data["regular_tax"])],
        ["Tentative minimum tax now (Form 6251 line 9)", _usd(data["tentative_minimum_tax"])],
        ["AMT now (Form 6251 line 11)", _usd(data["amt"])],
        ["AMT room: more ISO spread with no AMT", _usd(data["amt_room"])],
        [f"Room after a {data['margin']:.0%} margin", _usd(data["room_after_margin"])],
    ]
    if data["credit"] and data["credit"]["credit_line"] is not None:
        rows.append(["Credit line: spread before credit use shrinks", _usd(data["credit"]["credit_line"])])
    parts = [f"AMT room, {label}, {data['filing_status']}", table(["", "amount"], rows)]
    if data["shares"] is not None:
        parts += ["", f"At {_usd(data['spread_per_share'], cents=True)} of spread per share the room buys "
                      f"{data['shares']:,} shares ({data['shares_after_margin']:,} after the margin)."]
    elif data["underwater"]:
        parts += ["", "Spread per share is $0: exercising triggers no AMT, whatever the number of shares."]
    rate = data["marginal_amt_rate"]
    parts += ["", f"Past the line each dollar of spread costs {rate:.1%} in AMT: {data['zone']['description']}."]
    if data["past_the_line"]:
        with_shares = "extra_shares" in data["past_the_line"][0]
        headers = ["past the line", *(["extra shares"] if with_shares else []), "extra spread", "AMT",
                   *(["AMT per share"] if with_shares else []), "average rate"]
        body = []
        for row in data["past_the_line"]:
            body.append([
                f"+{row['past_by']:.0%} of the room",
                *([f"{row['extra_shares']:,}"] if with_shares else []),
                _usd(row["extra_spread"]),
                _usd(row["amt"]),
                *([_usd(row["amt_per_extra_share"], cents=True)] if with_shares else []),
                f"{row['average_rate']:.1%}",
            ])
        parts += ["", "Exercising past the line", table(headers, body)]
    if data["credit"] and data["credit"]["explanation"]:
        parts += ["", "Minimum tax credit (Form 8801): " + data["credit"]["explanation"]]
    if data["notes"]:
        parts += ["", *("Note: " + n for n in data["notes"])]
    parts += ["", "A planning estimate of federal tax, not tax advice."]
    return "\n".join(parts)


def _room_batch(args: argparse.Namespace, law: Any, spread_per_share: float | None) -> int:
    import csv

    import numpy as np

    from isoplan.planning.room import amt_room, shares_for_spread

    header, rows, h = read_household_csv(args.batch)
    room = amt_room(h, law, deduction=args.deduction)
    columns: dict[str, Any] = {"amt_room": room.amt_room, "already_in_amt": room.already_in_amt}
    if "amt_credit_carryforward" in header:
        columns["credit_line"] = room.credit_line
    if spread_per_share is not None and spread_per_share > 0:
        per = np.full(len(h), spread_per_share)
        columns["shares"] = shares_for_spread(room.amt_room, per)
        columns["shares_after_margin"] = shares_for_spread(room.amt_room * (1.0 - args.margin), per)
    state = _state_code(getattr(args, "state", None))
    if state == "CA":  # every row a California resident, with the --property-tax / --ca-credit-carryforward flags
        from isoplan.planning.room import california_amt_room
        from isoplan.tax.california import ca_law_table

        property_tax, carry = _ca_inputs(args)
        ca = california_amt_room(h, ca_law_table(getattr(args, "inflation", None)), property_tax=property_tax,
                                 ca_amt_credit_carryforward=carry, deduction=args.deduction)
        columns["ca_amt_room"] = ca.ca_amt_room
        columns["ca_already_in_amt"] = ca.ca_already_in_amt
        if carry > 0:
            columns["ca_credit_line"] = ca.ca_credit_line
        columns["binding"] = np.where(ca.ca_amt_room < room.amt_room, "california", "federal")
    elif state:
        print(f"isoplan room: note: {_other_state_note(state)}", file=sys.stderr)
    lists = {k: v.tolist() for k, v in columns.items()}
    with contextlib.ExitStack() as stack:
        handle = stack.enter_context(open(args.out, "w", newline="", encoding="utf-8")) if args.out else sys.stdout
        writer = csv.writer(handle)
        writer.writerow([*header, *columns])
        for i, row in enumerate(rows):
            out = []
            for k in columns:
                value = lists[k][i]
                if isinstance(value, bool):
                    out.append(str(value).lower())
                elif isinstance(value, str):
                    out.append(value)
                elif value != value:  # no credit line for this row
                    out.append("")
                else:
                    out.append(str(int(value)))
            writer.writerow([row.get(c, "") for c in header] + out)
    return 0


# ---------------------------------------------------------------- isoplan cost


def _shares_arg(text: str | None) -> float:
    allowed = "a positive whole number of shares"
    if text is None:
        raise InputError("--shares", None, allowed)
    try:
        value = float(text.replace(",", "").replace("_", "").strip())
    except ValueError:
        raise InputError("--shares", text, allowed) from None
    if not (value > 0 and value == int(value)) or value != value:
        raise InputError("--shares", text, allowed)
    return value


def _exercise_date(text: str | None, year: int) -> Any:
    import datetime

    if text is None:
        return None
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise InputError("--date", text, "a date as YYYY-MM-DD") from None
    if day.year != year:
        raise InputError("--date", text, f"a date in the tax year {year} (--year); exercise in {day.year} "
                         f"is taxed in {day.year}")
    return day


def cmd_cost(args: argparse.Namespace) -> int:
    from isoplan.planning.cost import exercise_cost

    shares = _shares_arg(args.shares)
    for flag, value in (("--strike", args.strike), ("--fmv", args.fmv)):
        if value is None:
            raise InputError(flag, None, "a price per share (dollars)")
        if not value >= 0:
            raise InputError(flag, value, "a price per share of 0 or more")
    _check_fraction("--drop", args.drop, zero_ok=False, allowed="a fraction between 0 and 1, e.g. 0.5 for a 50% fall")
    if args.cash is not None and not args.cash >= 0:
        raise InputError("--cash", args.cash, "a dollar amount of 0 or more")
    state = _state_code(getattr(args, "state", None))
    if state != "CA":
        _refuse_ca_inputs(args, state)
    h = household_from_args(args)
    day = _exercise_date(args.date, int(h.year[0]))
    law = _law(args)
    cost = exercise_cost(h, shares, args.strike, args.fmv, law, deduction=args.deduction, drop=args.drop,
                         cash=args.cash)
    data = cost_json(h, cost, law, exercise_date=day, private=args.private)
    _add_state(data, state)
    if state == "CA":
        data["california"] = california_cost_json(args, h, cost, private=args.private)
    return _emit_with_state(args, data, state, render_cost, render_cost_california)


def _ca_path_json(path: Any, i: int) -> dict[str, float]:
    return {k: float(getattr(path, k)[i]) for k in
            ("regular_tax", "exemption_credits", "amt", "credit_used", "mental_health_tax", "total_tax")}


def california_cost_json(args: argparse.Namespace, h: Any, c: Any, *, private: bool, i: int = 0) -> dict[str, Any]:
    """The California tax the exercise causes, beside the federal ``cost_json`` (fields: docs/room-and-cost.md)."""
    from isoplan.planning.cost import california_exercise_cost
    from isoplan.tax.california import ca_law_table, ca_year_notes

    ca_law = ca_law_table(getattr(args, "inflation", None))
    property_tax, carry = _ca_inputs(args)
    ca = california_exercise_cost(h, c, ca_law, property_tax=property_tax, ca_amt_credit_carryforward=carry,
                                  deduction=args.deduction)
    year = int(h.year[i])
    notes = []
    if ca.incremental.amt[i] > 0:
        notes.append("California AMT caused by an ISO exercise is a deferral item: it becomes a California AMT "
                     "credit (FTB 3510) that later years can use when their regular tax exceeds their TMT.")
    if ca.credit_use_lost[i] > 0:
        notes.append(f"The exercise cuts this year's California AMT credit use by {_usd(float(ca.credit_use_lost[i]))}"
                     "; that credit is carried forward, not lost.")
    notes += ca_year_notes(ca_law, year, int(h.filing_status[i]))
    fed_tax = float(c.incremental.total_tax[i])
    ca_tax = float(ca.incremental.total_tax[i])
    rescue = None
    if not private:
        rescue = {
            "tax": _ca_path_json(ca.rescue, i),
            "incremental": _ca_path_json(ca.rescue_incremental, i),
            "combined_tax": float(c.rescue_incremental.total_tax[i] + ca.rescue_incremental.total_tax[i]),
            "combined_net_cash": float(ca.combined_rescue_net_cash[i]),
        }
    return {
        "year": year,
        "projected": bool(ca_law.is_projected(year)),
        "inputs": {"property_tax": property_tax, "ca_amt_credit_carryforward": carry},
        "tax": {
            "without_exercise": _ca_path_json(ca.without, i),
            "with_exercise": _ca_path_json(ca.with_exercise, i),
            "incremental": _ca_path_json(ca.incremental, i),
            "credit_use_lost": float(ca.credit_use_lost[i]),
        },
        "outlay": {
            "strike_cash": float(c.strike_cash[i]),
            "federal_tax": fed_tax,
            "california_tax": ca_tax,
            "total": float(ca.combined_outlay[i]),
            "per_share": float(ca.combined_outlay_per_share[i]),
        },
        "room": {
            "amt_room": float(ca.ca_amt_room[i]),
            "already_in_amt": bool(ca.ca_already_in_amt[i]),
            "spread_past_room": float(ca.ca_spread_past_room[i]),
            "shares_within_room": _whole(float(ca.shares_within_ca_room[i])),
        },
        "hold": {"combined_tax": fed_tax + ca_tax, "combined_net": float(ca.combined_hold_net[i])},
        "rescue": rescue,
        "notes": notes,
    }


def render_cost_california(data: dict[str, Any]) -> str:
    """The California tax the exercise causes, federal beside it, and the combined outlay."""
    from isoplan.report.text import table

    ca = data["california"]
    fed = data["tax"]["incremental"]
    without, with_, caused = ca["tax"]["without_exercise"], ca["tax"]["with_exercise"], ca["tax"]["incremental"]
    lines = [("Regular tax (Form 540 line 31)", "regular_tax"), ("Exemption credits (line 32)", "exemption_credits"),
             ("California AMT (Schedule P line 26)", "amt"), ("AMT credit used (FTB 3510)", "credit_used"),
             ("Mental Health Services Tax (line 62)", "mental_health_tax"),
             ("Total California tax modeled", "total_tax")]
    body = [[name, _usd(without[k]), _usd(with_[k]), _usd(caused[k])] for name, k in lines]
    label = f"{ca['year']} (PROJECTED)" if ca["projected"] else str(ca["year"])
    parts = [f"California, {label}", table(["California tax", "without", "with exercise", "caused"], body)]
    side = [
        ["Regular tax caused", _usd(fed["regular_tax"]), _usd(caused["regular_tax"])],
        ["AMT caused", _usd(fed["amt"]), _usd(caused["amt"])],
        ["Total tax caused", _usd(fed["total_tax"]), _usd(caused["total_tax"])],
        ["AMT room before this exercise", _usd(data["room"]["amt_room"]), _usd(ca["room"]["amt_room"])],
        ["Spread past the room", _usd(data["room"]["spread_past_room"]), _usd(ca["room"]["spread_past_room"])],
    ]
    parts += ["", table(["Caused by the exercise", "federal", "California"], side, align="lrr")]
    out = ca["outlay"]
    parts += ["", f"Combined outlay: strike cash {_usd(out['strike_cash'])} + federal tax {_usd(out['federal_tax'])} "
                  f"+ California tax {_usd(out['california_tax'])} = {_usd(out['total'])} "
                  f"({_usd(out['per_share'], cents=True)} per share)."]
    if ca["rescue"] is not None:
        r = ca["rescue"]
        parts.append(f"Same-year sale: California tax caused {_usd(r['incremental']['total_tax'])} (ordinary income, "
                     f"no Schedule P line 10 adjustment); federal + California {_usd(r['combined_tax'])}; net cash "
                     f"after strike and both taxes {_usd(r['combined_net_cash'])}. Holding instead: both taxes "
                     f"{_usd(ca['hold']['combined_tax'])}, net {_usd(ca['hold']['combined_net'])}.")
    parts += ["", *("Note: " + n for n in ca["notes"])]
    return "\n".join(parts)


def _path_json(path: Any, i: int) -> dict[str, float]:
    return {
        "regular_tax": float(path.regular_tax[i]),
        "amt": float(path.amt[i]),
        "credit_used": float(path.credit_used[i]),
        "niit": float(path.niit[i]),
        "additional_medicare_tax": float(path.additional_medicare_tax[i]),
        "total_tax": float(path.total_tax[i]),
    }


def cost_json(h: Any, c: Any, law: Any, *, exercise_date: Any, private: bool, i: int = 0) -> dict[str, Any]:
    """Everything ``isoplan cost`` shows for household ``i``, as plain data (fields: docs/room-and-cost.md)."""
    from isoplan.tax.explain import year_notes
    from isoplan.tax.law import STATUSES

    year, status_code = int(h.year[i]), int(h.filing_status[i])
    underwater = bool(c.underwater[i])
    cash = float(c.cash[i])
    has_cash = cash == cash
    notes = []
    if underwater:
        notes.append("Under water: the FMV is at or below the strike, so the spread is $0 and the exercise "
                     "triggers no AMT; the outlay is the strike cash alone.")
    if c.incremental.amt[i] > 0:
        notes.append("AMT caused by an ISO exercise is a deferral item: it becomes a minimum tax credit (Form 8801) "
                     "that later years can use when their regular tax exceeds their tentative minimum tax.")
    if c.credit_use_lost[i] > 0:
        notes.append(f"The exercise cuts this year's minimum tax credit use by {_usd(float(c.credit_use_lost[i]))}; "
                     "that credit is carried forward, not lost.")
    if private:
        notes.append("Private stock: there is no same-year buyer, so the same-year rescue does not exist. If the "
                     "value falls, the AMT is still owed on the exercise-date spread.")
    else:
        notes.append("The rescue needs a sale in the same calendar year and a loss that is allowed: on a wash sale "
                     "(IRC §1091) or a sale to a related party the §422(c)(2) limit does not apply and the whole "
                     "exercise-date spread is ordinary income.")
    notes += year_notes(law, year, status_code)
    rescue = None
    if not private:
        rescue = {
            "available": True,
            "sale_price": float(c.price_after_drop[i]),
            "proceeds": float(c.rescue_proceeds[i]),
            "ordinary_income": float(c.rescue_ordinary_income[i]),
            "capital_gain": float(c.rescue_capital_gain[i]),
            "tax": _path_json(c.rescue, i),
            "incremental": _path_json(c.rescue_incremental, i),
            "net_cash": float(c.rescue_net_cash[i]),
        }
    return {
        "year": year,
        "filing_status": STATUSES[status_code],
        "projected": bool(law.is_projected(year)),
        "exercise_date": exercise_date.isoformat() if exercise_date else None,
        "stock": "private" if private else "public",
        "inputs": h.row(i),
        "exercise": {
            "shares": _whole(float(c.shares[i])),
            "strike": float(c.strike[i]),
            "fmv": float(c.fmv[i]),
            "spread_per_share": float(c.spread_per_share[i]),
            "bargain_element": float(c.bargain_element[i]),
            "strike_cash": float(c.strike_cash[i]),
            "underwater": underwater,
        },
        "tax": {
            "without_exercise": _path_json(c.without, i),
            "with_exercise": _path_json(c.with_exercise, i),
            "incremental": _path_json(c.incremental, i),
            "credit_use_lost": float(c.credit_use_lost[i]),
        },
        "outlay": {"total": float(c.outlay[i]), "per_share": float(c.outlay_per_share[i])},
        "room": {
            "amt_room": float(c.amt_room[i]),
            "already_in_amt": bool(c.already_in_amt[i]),
            "spread_past_room": float(c.spread_past_room[i]),
            "shares_within_room": _whole(float(c.shares_within_room[i])),
        },
        "stress": {
            "drop": float(c.drop[i]),
            "price_after_drop": float(c.price_after_drop[i]),
            "value_after_drop": float(c.value_after_drop[i]),
            "tax_locked": float(c.incremental.total_tax[i]),
            "tax_exceeds_value": bool(c.tax_exceeds_value[i]),
            "cash": cash if has_cash else None,
            "cash_needed": float(c.cash_needed[i]),
            "cash_covers": bool(c.cash_covers[i]) if has_cash else None,
            "cash_gap": float(c.cash_gap[i]) if has_cash else None,
        },
        "hold": {"tax": float(c.incremental.total_tax[i]), "value_after_drop": float(c.value_after_drop[i]),
                 "net": float(c.hold_net[i])},
        "rescue": rescue,
        "notes": notes,
    }


def render_cost(data: dict[str, Any]) -> str:
    """The human-readable ``isoplan cost`` report."""
    from isoplan.report.text import table

    year = data["year"]
    label = f"{year} (PROJECTED)" if data["projected"] else str(year)
    when = f", exercised {data['exercise_date']}" if data["exercise_date"] else ""
    ex = data["exercise"]
    parts = [f"ISO exercise cost, {label}, {data['filing_status']}{when}"]
    parts += ["", table(["Exercise", "amount"], [
        ["Shares", f"{ex['shares']:,}"],
        ["Strike / FMV per share", f"{_usd(ex['strike'], cents=True)} / {_usd(ex['fmv'], cents=True)}"],
        ["Spread per share", _usd(ex["spread_per_share"], cents=True)],
        ["Bargain element (Form 6251 line 2i)", _usd(ex["bargain_element"])],
        ["Strike cash", _usd(ex["strike_cash"])],
    ])]
    tax = data["tax"]
    without, with_, caused = tax["without_exercise"], tax["with_exercise"], tax["incremental"]
    lines = [("Regular tax (Form 1040 line 16)", "regular_tax"), ("AMT (Form 6251 line 11)", "amt"),
             ("Minimum tax credit used (Form 8801)", "credit_used"), ("NIIT (Form 8960)", "niit"),
             ("Total federal tax modeled", "total_tax")]
    body = [[name, _usd(without[k]), _usd(with_[k]), _usd(caused[k])] for name, k in lines]
    parts += ["", table(["Federal tax", "without", "with exercise", "caused"], body)]
    outlay = data["outlay"]
    parts += ["", f"Real outlay: strike cash {_usd(ex['strike_cash'])} + tax {_usd(caused['total_tax'])} = "
                  f"{_usd(outlay['total'])} ({_usd(outlay['per_share'], cents=True)} per share)."]
    room = data["room"]
    if room["already_in_amt"]:
        parts.append("Room: none; the household is already in AMT before this exercise.")
    elif room["spread_past_room"] > 0:
        parts.append(f"Room: {_usd(room['amt_room'])} of spread was AMT-free ({room['shares_within_room']:,} of "
                     f"these shares); this exercise goes {_usd(room['spread_past_room'])} past it.")
    else:
        parts.append(f"Room: {_usd(room['amt_room'])}; this exercise fits inside it (no AMT).")
    st = data["stress"]
    parts += ["", f"Stress test: the price falls {st['drop']:.0%} to {_usd(st['price_after_drop'], cents=True)} "
                  "after exercise"]
    stress_rows = [
        ["Shares worth", _usd(st["value_after_drop"])],
        ["Tax caused, fixed at the exercise-date spread once the year closes", _usd(st["tax_locked"])],
        ["Strike cash + tax to pay", _usd(st["cash_needed"])],
    ]
    if st["cash"] is not None:
        stress_rows.append(["Cash available", _usd(st["cash"])])
        stress_rows.append(["Cash gap (to cover without selling)", _usd(st["cash_gap"])])
    parts.append(table(["", "amount"], stress_rows))
    if st["tax_exceeds_value"]:
        parts.append("The tax is more than the shares are then worth.")
    if st["cash"] is not None:
        parts.append("Cash covers strike and tax without selling." if st["cash_covers"]
                     else f"Cash does not cover strike and tax: short by {_usd(st['cash_gap'])}.")
    hold, rescue = data["hold"], data["rescue"]
    parts += ["", f"If the price falls before December 31, {year}"]
    if rescue is None:
        parts.append(f"Hold into {year + 1}: tax {_usd(hold['tax'])}; shares worth {_usd(hold['value_after_drop'])} "
                     "(unsold). Private stock has no same-year buyer: there is no rescue.")
    else:
        gain = rescue["capital_gain"]
        kind = (f"short-term capital loss {_usd(-gain)}" if gain < 0 else
                f"short-term capital gain {_usd(gain)}" if gain > 0 else "no capital gain or loss")
        body = [
            [f"Hold into {year + 1} (AMT stays)", _usd(hold["tax"]), "$0", _usd(hold["value_after_drop"]),
             _usd(hold["net"])],
            [f"Sell by Dec 31, {year} (disqualifying)", _usd(rescue["incremental"]["total_tax"]),
             _usd(rescue["proceeds"]), "$0", _usd(rescue["net_cash"])],
        ]
        parts.append(table(["path", "tax caused", "cash from sale", "shares kept (value)", "net after strike and tax"],
                           body))
        parts.append(f"Selling in {year}: no AMT adjustment; ordinary income {_usd(rescue['ordinary_income'])} "
                     f"(limited to the gain, IRC §422(c)(2)), {kind}. The rescue exists only for stock that "
                     "can be sold (public).")
    if data["notes"]:
        parts += ["", *("Note: " + n for n in data["notes"])]
    parts += ["", "A planning estimate of federal tax, not tax advice."]
    return "\n".join(parts)


# ---------------------------------------------------------------- isoplan ledger (issue 4)


def add_ledger_parser(sub: Any) -> None:
    """Register ``isoplan ledger`` and its subcommands."""
    from isoplan.tax.fields import CA_MONEY_FIELDS, COUNT_FIELDS, MONEY_FIELDS  # no NumPy: keeps --help fast

    ledger = sub.add_parser(
        "ledger", help="record grants, exercises and sales; the AMT credit across years",
        description="A local ledger (SQLite) of option grants, exercised lots with both cost bases, sales and "
        "yearly income, with every year's tax and the minimum tax credit carried (Form 8801). "
        "File: --db, else $ISOPLAN_DB, else $XDG_DATA_HOME/isoplan/ledger.db (~/.local/share/isoplan/ledger.db).",
    )
    ledger.add_argument("--db", metavar="PATH", help="the ledger file")
    cmds = ledger.add_subparsers(dest="ledger_command", metavar="SUBCOMMAND", parser_class=_Parser)
    ledger.set_defaults(func=lambda args: (ledger.print_help(), 0)[1])

    def command(name: str, func: Callable[[argparse.Namespace], int], help_text: str, *,
                reports: bool = True) -> argparse.ArgumentParser:
        p = cmds.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help="the ledger file")
        if reports:
            p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(func=func)
        return p

    command("init", cmd_ledger_init, "create the ledger file (or bring its schema up to date)")

    p = command("add-grant", cmd_ledger_add_grant, "record an option grant and its vesting schedule")
    p.add_argument("id", help="a name for the grant, e.g. 2024-hire")
    p.add_argument("--company", required=True, help="the employer (the $100,000 limit is per employer group)")
    p.add_argument("--kind", required=True, type=str.lower, choices=["iso", "nso"])
    p.add_argument("--date", required=True, help="grant date, YYYY-MM-DD")
    p.add_argument("--shares", required=True, help="number of shares granted")
    p.add_argument("--strike", required=True, metavar="USD", help="exercise price per share")
    p.add_argument("--fmv", metavar="USD", help="fair market value per share at grant (default: the strike)")
    p.add_argument("--expires", metavar="DATE", help="expiration date (default: 10 years after grant)")
    vest = p.add_argument_group("vesting (default: 48 months, 12-month cliff, monthly, from the grant date)")
    vest.add_argument("--vest-start", metavar="DATE", help="vesting commencement date (default: grant date)")
    vest.add_argument("--vest-months", type=int, default=48, metavar="N", help="months until fully vested")
    vest.add_argument("--cliff-months", type=int, default=12, metavar="N", help="months to the cliff (0: none)")
    vest.add_argument("--every", default="monthly", help="monthly, quarterly, or a number of months")
    vest.add_argument("--tranche", action="append", metavar="DATE:SHARES",
                      help="an explicit tranche (repeat); replaces the schedule flags")
    vest.add_argument("--vested", action="store_true", help="fully vested at grant")
    p.add_argument("--early-exercise", action="store_true", help="the plan allows exercising unvested shares")
    window = p.add_mutually_exclusive_group()
    window.add_argument("--post-termination-months", type=int, metavar="N",
                        help="the plan's exercise window after employment ends (default 3 months)")
    window.add_argument("--post-termination-days", type=int, metavar="N", help="the same window in days")

    p = command("vest-schedule", cmd_ledger_vest_schedule,
                "each tranche's vesting date and its ISO / NSO shares under the §422(d) $100,000 limit, with why")
    p.add_argument("grant", nargs="?", help="one grant (default: all)")

    p = command("exercise", cmd_ledger_exercise, "record an exercise: one lot per kind and vesting date")
    p.add_argument("id", help="a name for the lot, e.g. 2026-03-ex")
    p.add_argument("--grant", required=True, help="the grant exercised")
    p.add_argument("--date", required=True, help="exercise date, YYYY-MM-DD")
    p.add_argument("--shares", required=True, help="number of shares")
    p.add_argument("--fmv", required=True, metavar="USD", help="fair market value per share at exercise (3921 box 4)")
    p.add_argument("--kind", default="auto", type=str.lower, choices=["auto", "iso", "nso"],
                   help="which shares to take (default: ISO shares first)")
    p.add_argument("--83b", dest="election_83b", metavar="DATE",
                   help="date of an §83(b) election for unvested shares (within 30 days)")
    p.add_argument("--fmv-at-vesting", metavar="USD", help="FMV when the unvested shares vest, if known")
    p.add_argument("--terminated", metavar="DATE", help="last day of employment, if it ended before the exercise")
    p.add_argument("--termination-reason", default="left", choices=["left", "disability", "death"])

    p = command("vesting-fmv", cmd_ledger_vesting_fmv, "enter the vesting-date FMV of an early-exercised lot")
    p.add_argument("lot")
    p.add_argument("fmv", metavar="USD")

    p = command("sell", cmd_ledger_sell, "record a sale (one lot, or first in first out)")
    p.add_argument("id", help="a name for the sale")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--lot", help="sell from this lot (specific identification)")
    which.add_argument("--grant", help="first in, first out among this grant's lots")
    p.add_argument("--date", required=True, help="sale date, YYYY-MM-DD")
    p.add_argument("--shares", required=True)
    p.add_argument("--price", required=True, metavar="USD", help="price per share")
    p.add_argument("--wash-sale", "--related-party", dest="wash_sale", action="store_true",
                   help="a wash sale or a sale to a related party: the §422(c)(2) cap does not apply")

    p = command("income", cmd_ledger_income, "set a year's filing status and income (the tax engine's inputs)")
    p.add_argument("year", type=int)
    p.add_argument(*_FLAG_ALIASES["filing_status"], dest="filing_status", help="single, mfj, mfs, hoh or qss")
    group = p.add_argument_group("amounts in dollars (only the ones given change)")
    for name, _, help_text in MONEY_FIELDS:
        flags = _FLAG_ALIASES.get(name, ["--" + name.replace("_", "-")])
        group.add_argument(*flags, dest=name, metavar="USD", help=help_text)
    for name, help_text in COUNT_FIELDS:
        group.add_argument("--" + name.replace("_", "-"), dest=name, metavar="N", help=help_text)
    state = p.add_argument_group("state (only California is modeled)")
    state.add_argument("--state", metavar="XX",
                       help="the year's state of residence; CA adds the California return, AMT (Schedule P) and "
                       "its credit (FTB 3510) to `ledger years`; none: federal only")
    for name, help_text in CA_MONEY_FIELDS:
        first = "; in the ledger's first California year: carried in from before the ledger" \
            if name == "ca_amt_credit_carryforward" else ""
        state.add_argument(*_LEDGER_CA_FLAGS[name], dest=name, metavar="USD",
                           help=help_text + first + " (a CA year only)")
    p.add_argument("--clear", action="store_true", help="drop the year's other amounts first")

    command("grants", cmd_ledger_grants, "list the grants")
    command("lots", cmd_ledger_lots, "list the lots: both bases, the AMT adjustment, the qualifying date")
    command("sales", cmd_ledger_sales, "list the sales and their tax results")

    p = command("years", cmd_ledger_years,
                "each year's tax with the ledger's items: regular tax, TMT, AMT, credit created/used/carried")
    p.add_argument("--explain", action="store_true", help="Form 8801 and the option lines, year by year")
    p.add_argument("--inflation", type=float, metavar="RATE", help="assumed yearly inflation for projected years")
    p.add_argument("--deduction", choices=["auto", "standard", "itemized"], default="auto")

    p = command("export", cmd_ledger_export, "write everything as JSON (stdout or --out) and CSV (--csv)",
                reports=False)
    p.add_argument("--out", metavar="FILE.json", help="where the JSON goes (default: stdout)")
    p.add_argument("--csv", metavar="DIR", help="also write grants/vesting/lots/sales/income CSVs here")

    p = command("import", cmd_ledger_import, "load an export (JSON file or CSV folder), all or nothing")
    p.add_argument("file", metavar="FILE", help="a JSON export, or a folder of CSVs from `export --csv`")

    p = command("import-3921", cmd_ledger_import_3921,
                "load Form 3921 exercises from a CSV (boxes 1-5 and company), all or nothing")
    p.add_argument("file", metavar="FILE.csv")

    p = command("calendar", cmd_ledger_calendar,
                "write an iCalendar file: qualifying dates, year-end decisions, AMT due dates", reports=False)
    p.add_argument("--out", metavar="FILE.ics", default="isoplan.ics", help="where to write (default isoplan.ics)")
    p.add_argument("--through", type=int, metavar="YEAR", help="last year of year-end reminders")


def _ledger(args: argparse.Namespace, *, create: bool = False) -> Any:
    from isoplan.ledger.paths import resolve
    from isoplan.ledger.store import Ledger

    return Ledger.open(resolve(getattr(args, "db", None)), create=create)


def _dec(value: Any, name: str, *, minimum: Any = 0) -> Any:
    from decimal import Decimal

    from isoplan.equity.records import to_decimal

    return to_decimal(value, name, minimum=None if minimum is None else Decimal(minimum))


def _date(value: Any, name: str) -> Any:
    from isoplan.equity.records import to_date

    return None if value is None else to_date(value, name)


def _plain(value: Any) -> Any:
    """JSON-ready: Decimal as exact text, dates as YYYY-MM-DD."""
    from datetime import date
    from decimal import Decimal

    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def cmd_ledger_init(args: argparse.Namespace) -> int:
    with _ledger(args, create=True) as book:
        info = {"path": str(book.path), "schema_version": book.schema_version()}
    if args.json:
        _print_json(info)
    else:
        print(f"ledger ready at {info['path']} (schema version {info['schema_version']})")
    return 0


def _vesting_from_args(args: argparse.Namespace, shares: int, grant_date: Any) -> tuple[Any, str]:
    from isoplan.equity.records import VestingTranche, to_shares, vesting_schedule
    from isoplan.errors import InputError

    if args.vested:
        return (VestingTranche(grant_date, shares),), "vested at grant"
    if args.tranche:
        tranches = []
        for text in args.tranche:
            day, sep, count = text.partition(":")
            if not sep:
                raise InputError("--tranche", text, "DATE:SHARES, e.g. 2026-01-15:1000")
            tranches.append(VestingTranche(_date(day, "--tranche date"), to_shares(count, "--tranche shares")))
        tranches.sort(key=lambda t: t.date)
        return tuple(tranches), "explicit tranches"
    every = {"monthly": 1, "quarterly": 3}.get(args.every.lower()) if not args.every.isdigit() else int(args.every)
    if every is None:
        raise InputError("--every", args.every, "monthly, quarterly or a number of months")
    start = _date(args.vest_start, "--vest-start") or grant_date
    tranches = vesting_schedule(shares, start, months=args.vest_months, cliff_months=args.cliff_months,
                                every_months=every)
    rule = (f"{args.vest_months} months from {start.isoformat()}, {args.cliff_months}-month cliff, "
            f"every {every} month(s)")
    return tranches, rule


def cmd_ledger_add_grant(args: argparse.Namespace) -> int:
    from isoplan.equity.dates import add_months
    from isoplan.equity.records import Grant, to_kind, to_shares
    from isoplan.equity.rules import equity_rules

    grant_date = _date(args.date, "--date")
    shares = to_shares(args.shares, "--shares")
    strike = _dec(args.strike, "--strike")
    fmv = _dec(args.fmv, "--fmv") if args.fmv is not None else strike
    expires = _date(args.expires, "--expires") or add_months(grant_date, 12 * equity_rules().iso_maximum_term_years)
    tranches, rule = _vesting_from_args(args, shares, grant_date)
    grant = Grant(id=args.id, company=args.company.strip(), kind=to_kind(args.kind), grant_date=grant_date,
                  shares=shares, strike=strike, fmv_at_grant=fmv, vesting=tranches, expiration_date=expires,
                  early_exercise_allowed=args.early_exercise, post_termination_months=args.post_termination_months,
                  post_termination_days=args.post_termination_days)
    with _ledger(args, create=True) as book:
        book.add_grant(grant, vesting_rule=rule)
        return _show_vest_schedule(book, args, grant.id, headline=f"grant {grant.id} recorded ({rule})")


def cmd_ledger_vest_schedule(args: argparse.Namespace) -> int:
    with _ledger(args) as book:
        return _show_vest_schedule(book, args, args.grant)


def _show_vest_schedule(book: Any, args: argparse.Namespace, grant_id: str | None, headline: str = "") -> int:
    from isoplan.equity.iso_limit import iso_nso_split
    from isoplan.errors import InputError
    from isoplan.report.text import table

    grants = book.grants()
    if grant_id is not None and grant_id not in {g.id for g in grants}:
        raise InputError("grant", grant_id, "the id of a grant in the ledger (see `isoplan ledger grants`)")
    splits = [s for s in iso_nso_split(grants, book.rules) if grant_id is None or s.grant_id == grant_id]
    if args.json:
        _print_json([_plain(s.__dict__ | {"room_before": None if s.room_before != s.room_before else s.room_before})
                     for s in splits])
        return 0
    rows = [[s.grant_id, s.vest_date.isoformat(), str(s.year), f"{s.shares:,}", f"{s.iso_shares:,}",
             f"{s.nso_shares:,}", s.reason] for s in splits]
    if headline:
        print(headline)
    print(table(["grant", "vests", "1st exercisable", "shares", "ISO", "NSO", "why (IRC §422(d))"], rows,
                align="llrrrrl"))
    return 0


def cmd_ledger_exercise(args: argparse.Namespace) -> int:
    from isoplan.equity.records import to_shares

    with _ledger(args) as book:
        lots = book.exercise(
            grant_id=args.grant, lot_id=args.id, exercise_date=_date(args.date, "--date"),
            shares=to_shares(args.shares, "--shares"), fmv_at_exercise=_dec(args.fmv, "--fmv"), kind=args.kind,
            election_83b_date=_date(args.election_83b, "--83b"),
            fmv_at_vesting=_dec(args.fmv_at_vesting, "--fmv-at-vesting") if args.fmv_at_vesting else None,
            termination_date=_date(args.terminated, "--terminated"), termination_reason=args.termination_reason,
        )
        return _show_lots(args, lots, book.held(), headline=f"exercise {args.id} recorded: {len(lots)} lot(s)")


def cmd_ledger_vesting_fmv(args: argparse.Namespace) -> int:
    with _ledger(args) as book:
        lot = book.set_vesting_fmv(args.lot, _dec(args.fmv, "fmv"))
        return _show_lots(args, [lot], book.held(), headline=f"lot {lot.id}: vesting-date FMV recorded")


def _lot_json(lot: Any, held: int) -> dict[str, Any]:
    return _plain({
        "id": lot.id, "grant_id": lot.grant_id, "company": lot.company, "kind": lot.kind,
        "kind_reason": lot.kind_reason, "grant_date": lot.grant_date, "exercise_date": lot.exercise_date,
        "shares": lot.shares, "held": held, "strike": lot.strike, "fmv_at_exercise": lot.fmv_at_exercise,
        "vesting_date": lot.vesting_date, "fmv_at_vesting": lot.fmv_at_vesting,
        "election_83b_date": lot.election_83b_date, "regular_basis": lot.regular_basis, "amt_basis": lot.amt_basis,
        "amt_adjustment": lot.amt_adjustment, "amt_adjustment_year": lot.amt_adjustment_year,
        "nso_ordinary_income": lot.nso_ordinary_income, "nso_income_year": lot.nso_income_year,
        "qualifying_date": lot.qualifying_date, "long_term_date": lot.long_term_date,
        "vesting_fmv_missing": lot.vesting_fmv_missing,
    })


def _show_lots(args: argparse.Namespace, lots: Sequence[Any], held: dict[str, int], headline: str = "") -> int:
    from isoplan.report.text import money, table

    if args.json:
        _print_json([_lot_json(lot, held.get(lot.id, lot.shares)) for lot in lots])
        return 0
    rows = []
    for lot in lots:
        adj = money(float(lot.amt_adjustment)) + f" ({lot.amt_adjustment_year})" if lot.kind == "ISO" else \
            "NSO income " + money(float(lot.nso_ordinary_income)) + f" ({lot.nso_income_year})"
        vest = "" if lot.vested_at_exercise else f" vests {lot.vesting_date.isoformat()}"
        rows.append([lot.id, lot.grant_id, lot.kind, lot.exercise_date.isoformat() + vest, f"{lot.shares:,}",
                     f"{held.get(lot.id, lot.shares):,}", money(float(lot.regular_basis), cents=True),
                     money(float(lot.amt_basis), cents=True), adj + (" *" if lot.vesting_fmv_missing else ""),
                     lot.qualifying_date.isoformat() if lot.qualifying_date else "-"])
    if headline:
        print(headline)
    print(table(["lot", "grant", "kind", "exercised", "shares", "held", "regular basis", "AMT basis",
                 "AMT adjustment (year)", "qualifies on"], rows, align="lllrrrrrrl"))
    if any(lot.vesting_fmv_missing for lot in lots):
        print("* vesting-date FMV not entered: the exercise-date FMV stands in (`isoplan ledger vesting-fmv`)")
    reasons = sorted({f"{lot.id}: {lot.kind_reason}" for lot in lots if lot.kind_reason})
    if headline and reasons:
        print(*reasons, sep="\n")
    return 0


def cmd_ledger_sell(args: argparse.Namespace) -> int:
    from isoplan.equity.records import to_shares

    with _ledger(args) as book:
        sales = book.sell(sale_id=args.id, sale_date=_date(args.date, "--date"), shares=to_shares(args.shares),
                          price=_dec(args.price, "--price"), lot_id=args.lot, grant_id=args.grant,
                          wash_sale_or_related_party=args.wash_sale)
        lots = {lot.id: lot for lot in book.lots()}
        return _show_sales(args, sales, lots, headline=f"sale {args.id} recorded: {len(sales)} lot(s)")


def _show_sales(args: argparse.Namespace, sales: Sequence[Any], lots: dict[str, Any], headline: str = "") -> int:
    from isoplan.equity.disposition import dispose
    from isoplan.report.text import money, table

    results = [dispose(lots[s.lot_id], s) for s in sales]
    if args.json:
        _print_json([_plain(s.__dict__) | {"tax": d.__dict__} for s, d in zip(sales, results, strict=True)])
        return 0
    rows = []
    for s, d in zip(sales, results, strict=True):
        kind = "qualifying" if d.qualifying else ("NSO" if d.kind == "NSO" else "disqualifying")
        rows.append([s.id, s.lot_id, s.date.isoformat(), f"{s.shares:,}", money(float(s.price), cents=True), kind,
                     money(d.regular_ordinary_income), money(d.regular_short_term_gain),
                     money(d.regular_long_term_gain), money(d.amt_short_term_gain + d.amt_long_term_gain),
                     money(d.line2k), money(d.line2i_same_year)])
    if headline:
        print(headline)
    print(table(["sale", "lot", "date", "shares", "price", "disposition", "ordinary", "short-term", "long-term",
                 "AMT gain", "6251 2k", "2i undone"], rows, align="lllrrlrrrrrr"))
    if headline:
        print(*(f"{d.sale_id}: {d.explanation}" for d in results), sep="\n")
    return 0


def cmd_ledger_income(args: argparse.Namespace) -> int:
    from isoplan.report.text import money, table
    from isoplan.tax.fields import CA_MONEY_FIELDS, COUNT_FIELDS, MONEY_FIELDS

    names = [n for n, _, _ in MONEY_FIELDS] + [n for n, _ in COUNT_FIELDS] + [n for n, _ in CA_MONEY_FIELDS]
    amounts = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    with _ledger(args, create=True) as book:
        status, entry = book.set_income(args.year, args.filing_status, amounts, clear=args.clear,
                                        state=getattr(args, "state", None))
        state = book.states()[args.year]
    if args.json:
        _print_json({"year": args.year, "filing_status": status, "income": _plain(entry), "state": state})
        return 0
    rows = [[name, money(float(value), cents=True)] for name, value in entry.items()]
    print(f"{args.year}, {status}" + (f", {state}" if state else ""))
    if state and state != "CA":
        print("Note: " + _other_state_note(state))
    print(table(["input", "amount"], rows) if rows else "(no amounts entered)")
    return 0


def cmd_ledger_grants(args: argparse.Namespace) -> int:
    from isoplan.report.text import money, table

    with _ledger(args) as book:
        grants = book.grants()
        meta = {row["id"]: row for row in book.grant_rows()}
        lots = book.lots()
    exercised = {g.id: sum(lot.shares for lot in lots if lot.grant_id == g.id) for g in grants}
    if args.json:
        _print_json([_plain(g.__dict__ | {"vesting": [t.__dict__ for t in g.vesting],
                                          "vesting_rule": meta[g.id]["vesting_rule"], "source": meta[g.id]["source"],
                                          "exercised": exercised[g.id]}) for g in grants])
        return 0
    rows = [[g.id, g.company, g.kind, g.grant_date.isoformat(), f"{g.shares:,}", f"{exercised[g.id]:,}",
             money(float(g.strike), cents=True), money(float(g.fmv_at_grant), cents=True),
             g.expiration_date.isoformat(), "yes" if g.early_exercise_allowed else "no"] for g in grants]
    print(table(["grant", "company", "kind", "granted", "shares", "exercised", "strike", "FMV at grant", "expires",
                 "early exercise"], rows, align="llllrrrrll"))
    return 0


def cmd_ledger_lots(args: argparse.Namespace) -> int:
    with _ledger(args) as book:
        return _show_lots(args, book.lots(), book.held())


def cmd_ledger_sales(args: argparse.Namespace) -> int:
    with _ledger(args) as book:
        return _show_sales(args, book.sales(), {lot.id: lot for lot in book.lots()})


#: The flags of a ledger year's California inputs (isoplan.tax.fields.CA_MONEY_FIELDS), as `isoplan tax` has them.
_LEDGER_CA_FLAGS = {"property_tax": ["--property-tax"],
                    "ca_amt_credit_carryforward": ["--ca-credit-carryforward", "--ca-amt-credit-carryforward"]}


def cmd_ledger_years(args: argparse.Namespace) -> int:
    from isoplan.ledger.years import ledger_years
    from isoplan.tax.california import ca_law_table

    with _ledger(args) as book:
        rows, notes = ledger_years(book.lots(), book.sales(), book.years(), _law(args), deduction=args.deduction,
                                   states=book.states(), ca_law=ca_law_table(getattr(args, "inflation", None)))
    if args.json:
        _print_json({"years": [_ledger_year_json(r, explain=args.explain) for r in rows], "notes": notes})
        return 0
    print(_render_ledger_years(rows, notes, explain=args.explain))
    return 0


def _ledger_year_json(row: Any, *, explain: bool) -> dict[str, Any]:
    from isoplan.tax.explain import OUTPUTS, explain_row

    out = {
        "year": row.year, "filing_status": row.filing_status, "projected": row.projected,
        "income_entered": row.entered, "inputs": _plain({k: float(v) for k, v in row.inputs.items()}),
        "option_items": {k: v for k, v in row.items.__dict__.items() if k not in ("year", "notes")},
        "outputs": {k: row.outputs[k] for k in OUTPUTS},
        "credit_created": row.credit_created,
        "credit_used": row.form8801["line25"],
        "credit_carried_forward": row.form8801["line26"],
        "notes": row.notes,
    }
    if explain:
        out["form8801"] = row.form8801
        out["lines"] = [r.__dict__ for r in explain_row(row.result, 0)]
    out["state"] = getattr(row, "state", None)
    out["california"] = _ledger_california_json(row, explain=explain) if getattr(row, "california", False) else None
    return out


#: FTB 3510 across years (isoplan.tax.california.ca_credit_years lines): (key, part, caption).
_FTB3510_LINES: tuple[tuple[str, str, str], ...] = (
    ("prior_amt", "Part I", "Prior year's California AMT (Schedule P line 26)"),
    ("prior_net_minimum_tax_on_exclusions", "Part I", "Prior year's net minimum tax on exclusion items"),
    ("credit_from_prior_year", "Part I", "Credit from the prior year's AMT (may be negative)"),
    ("carryover_in", "Part II", "Credit carryover from earlier years"),
    ("credit_available", "Part II", "Credit available"),
    ("credit_limit", "Part II", "Limit: regular tax - exemption credits - TMT"),
    ("credit_used", "Part II", "Credit used this year (Schedule P Part III)"),
    ("carryover_out", "Part II", "Credit carried forward"),
)


def _ledger_california_json(row: Any, *, explain: bool) -> dict[str, Any]:
    """A California year of the ledger: Form 540 / Schedule P (540) outputs and FTB 3510 (issue 9)."""
    from isoplan.tax.california import CA_OUTPUTS, ca_explain_row

    c = row.ca_outputs
    out: dict[str, Any] = {
        "projected": row.ca_projected,
        "inputs": dict(row.ca_inputs),
        "outputs": {k: c[k] for k in CA_OUTPUTS},
        "deduction_kind": "itemized" if c["ca_itemized"] else "standard",
        "credit_created": row.ca_credit_created,
        "credit_used": row.ftb3510["credit_used"],
        "credit_carried_forward": row.ftb3510["carryover_out"],
        "federal_plus_california": row.outputs["total_tax"] + c["ca_total_tax"],
        "notes": row.ca_notes,
    }
    if explain:
        out["ftb3510"] = dict(row.ftb3510)
        out["lines"] = [r.__dict__ for r in ca_explain_row(row.ca_result, 0)]
    return out


def _render_ledger_california(rows: Sequence[Any], *, explain: bool) -> list[str]:
    """The California table under the federal one, for the years whose state is CA; with --explain, line by line."""
    from isoplan.report.text import money, table
    from isoplan.tax.california import ca_explain_row

    ca_rows = [r for r in rows if getattr(r, "california", False)]
    if not ca_rows:
        return []
    body = []
    for r in ca_rows:
        c = r.ca_outputs
        label = f"{r.year}{' (projected)' if r.ca_projected else ''}{'' if r.entered else ' *'}"
        body.append([label, money(c["ca_regular_tax"]), money(c["ca_tentative_minimum_tax"]), money(c["ca_amt"]),
                     money(r.ca_credit_created), money(r.ftb3510["credit_used"]), money(r.ftb3510["carryover_out"]),
                     money(c["ca_total_tax"]), money(r.outputs["total_tax"] + c["ca_total_tax"])])
    parts = ["", "California (Form 540 line 31, Schedule P (540) lines 24 and 26, FTB 3510)",
             table(["year", "regular tax", "TMT", "AMT paid", "credit created", "credit used", "carried forward",
                    "CA total tax", "federal + CA"], body, align="lrrrrrrrr")]
    if explain:
        for r in ca_rows:
            # FTB 3510 comes once, in full, from the year's own lines below
            lines = [[f"{line.form} {line.line}", line.caption, money(line.value)]
                     for line in ca_explain_row(r.ca_result, 0) if line.form != "FTB 3510"]
            lines += [[f"FTB 3510 {part}", caption, money(r.ftb3510[key])] for key, part, caption in _FTB3510_LINES]
            lines.append(["(this year)", "Credit created: California AMT less net minimum tax on exclusion items",
                          money(r.ca_credit_created)])
            parts += ["", f"{r.year}: California, Schedule P (540) and FTB 3510",
                      table(["line", "what", "amount"], lines, align="llr")]
    notes: list[str] = []
    for r in ca_rows:
        notes += [n for n in r.ca_notes if n not in notes]
    parts += [f"Note (California): {n}" for n in notes]
    return parts


def _render_ledger_years(rows: Sequence[Any], notes: Sequence[str], *, explain: bool) -> str:
    from isoplan.report.text import money, table
    from isoplan.tax.form8801 import FORM8801_LINES

    body = []
    for r in rows:
        o = r.outputs
        label = f"{r.year}{' (projected)' if r.projected else ''}{'' if r.entered else ' *'}"
        body.append([label, r.filing_status, money(o["regular_tax"]), money(o["tentative_minimum_tax"]),
                     money(o["amt"]), money(r.credit_created), money(r.form8801["line25"]),
                     money(r.form8801["line26"]), money(o["total_tax"])])
    parts = [table(["year", "status", "regular tax", "TMT", "AMT paid", "credit created", "credit used",
                    "carried forward", "total tax"], body, align="llrrrrrrr")]
    if any(not r.entered for r in rows):
        parts.append("* no income entered for the year")
    if explain:
        for r in rows:
            o = r.outputs
            option_rows = [
                ["Form 6251 2i", "ISO exercise spread held past year end", money(o["amt_line2i"])],
                ["Form 6251 2k", "Disposition: AMT minus regular gain", money(o["amt_line2k"])],
                ["Form 1040 8", "Other ordinary income incl. NSO / disqualifying",
                 money(r.inputs["other_ordinary_income"])],
                ["Schedule D", "Short-term gain (regular)", money(r.inputs["short_term_gain"])],
                ["Schedule D", "Long-term gain (regular)", money(r.inputs["long_term_gain"])],
                ["Form 6251 III", "Long-term gain with AMT basis", money(r.inputs["amt_long_term_gain"])],
            ]
            lines = [[f"Form 8801 {line}", caption, money(r.form8801[key])] for key, line, caption in FORM8801_LINES]
            lines.append(["(this year)", "Credit created: AMT less net minimum tax on exclusion items",
                          money(r.credit_created)])
            parts += ["", f"{r.year}: option items and Form 8801",
                      table(["line", "what", "amount"], option_rows + lines, align="llr")]
            parts += [f"Note: {n}" for n in r.notes]
    elif any(r.notes for r in rows):
        parts += [f"Note ({r.year}): {n}" for r in rows for n in r.notes]
    parts += _render_ledger_california(rows, explain=explain)
    parts += [f"Note: {n}" for n in notes]
    parts.append("A planning estimate, not tax advice.")
    return "\n".join(parts)


def cmd_ledger_export(args: argparse.Namespace) -> int:
    from isoplan.ledger.transfer import write_csv_dir, write_json

    with _ledger(args) as book:
        data = book.export_data()
    text = write_json(data, args.out)
    if args.csv:
        written = write_csv_dir(data, args.csv)
        print(f"wrote {len(written)} CSV files to {args.csv}", file=sys.stderr)
    if not args.out:
        sys.stdout.write(text)
    else:
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def cmd_ledger_import(args: argparse.Namespace) -> int:
    from isoplan.ledger.transfer import read_export

    data = read_export(args.file)
    with _ledger(args, create=True) as book:
        counts = book.import_data(data, args.file)
    if args.json:
        _print_json(counts)
    else:
        print("imported " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    return 0


def cmd_ledger_import_3921(args: argparse.Namespace) -> int:
    from isoplan.ledger.transfer import read_form3921_csv

    rows = read_form3921_csv(args.file)
    with _ledger(args, create=True) as book:
        lots = book.import_3921(rows, args.file)
        return _show_lots(args, lots, book.held(), headline=f"imported {len(lots)} Form 3921 exercise(s)")


def cmd_ledger_calendar(args: argparse.Namespace) -> int:
    from datetime import UTC, date, datetime

    from isoplan.equity.rules import equity_rules
    from isoplan.ledger.years import ledger_years
    from isoplan.report.calendar import held_lots, ics, ledger_events

    with _ledger(args) as book:
        lots, sales = book.lots(), book.sales()
        rows, _ = ledger_years(lots, sales, book.years(), _law(args))
    held = held_lots(lots, sales)
    last_qualifying = max((lot.qualifying_date.year for lot in held if lot.qualifying_date), default=0)
    through = args.through or max(date.today().year, last_qualifying)
    events = ledger_events(held, {r.year: r.outputs["amt"] for r in rows}, through_year=through,
                           return_due=equity_rules().return_due)
    with open(args.out, "w", encoding="utf-8", newline="") as handle:
        handle.write(ics(events, stamp=datetime.now(UTC)))
    print(f"wrote {len(events)} events to {args.out}")
    return 0


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


# ---------------------------------------------------------------- isoplan plan (issue 5)


def add_plan_parser(sub: Any) -> None:
    """Register ``isoplan plan``."""
    p = sub.add_parser("plan", help="stage a grant across years: the optimized schedule and the baselines",
                       description="Optimize when to exercise each grant (each January by default), compare with "
                       "the usual strategies, and show the per-year tax table. Plan files: docs/plan-file.md.")
    p.add_argument("plan_file", metavar="PLAN.toml")
    p.add_argument("--json", action="store_true", help="machine-readable output (baselines under 'baselines')")
    p.add_argument("--ledger", nargs="?", const="", metavar="DB",
                   help="take the grants from the ledger (default ledger, or the given file) instead of the plan")
    p.add_argument("--grid", type=int, metavar="N", help="share-grid steps per grant (default: automatic)")
    p.add_argument("--explain", action="store_true",
                   help="every year's Form 1040 / 6251 / 8801 lines for the recommended schedule")
    p.add_argument("--inflation", type=float, metavar="RATE", help="assumed inflation for projected years")
    p.add_argument("--today", metavar="YYYY-MM-DD", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_plan)


def load_plan(path: str, args: argparse.Namespace) -> Any:
    """Read and validate a plan file (errors name the file and the key)."""
    import dataclasses
    import datetime
    import tomllib

    from isoplan.planning.plan import parse_plan

    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as err:
        raise InputError("plan file", path, f"a readable TOML file ({err.strerror})") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError("TOML", str(err), "valid TOML", source=path) from None
    today = datetime.date.fromisoformat(args.today) if getattr(args, "today", None) else datetime.date.today()
    if getattr(args, "ledger", None) is not None:
        data = dict(data)
        data.setdefault("grants", [{"id": "placeholder", "grant_date": "2020-01-01", "shares": 1, "strike": 0}])
    plan = parse_plan(data, path, today=today)
    changes: dict[str, Any] = {}
    if getattr(args, "ledger", None) is not None:
        from isoplan.ledger.paths import resolve
        from isoplan.ledger.store import Ledger

        book = Ledger.open(resolve(args.ledger or None))
        grants = tuple(book.grants())
        if not grants:
            raise InputError("--ledger", args.ledger or "default ledger", "a ledger with at least one grant")
        changes["grants"] = grants
    if getattr(args, "grid", None) is not None:
        if not 1 <= args.grid <= 400:
            raise InputError("--grid", args.grid, "a whole number from 1 to 400")
        changes["grid_steps"] = args.grid
    if getattr(args, "inflation", None) is not None:
        changes["inflation"] = args.inflation
    return dataclasses.replace(plan, **changes) if changes else plan


def _progress() -> Any:
    if not sys.stderr.isatty():
        return None

    def show(step: int, total: int) -> None:
        done = int(30 * (step + 1) / max(total - 1, 1))
        print(f"\r  optimizing [{'#' * min(done, 30):<30}] year {step + 1}/{total - 1}", end="", file=sys.stderr)
        if step + 2 >= total:
            print(file=sys.stderr)

    return show


def cmd_plan(args: argparse.Namespace) -> int:
    from isoplan.planning.staging import run_plan
    from isoplan.tax.law import law_table

    plan = load_plan(args.plan_file, args)
    law = law_table(plan.inflation)
    outcome = run_plan(plan, law, progress=_progress())
    data = outcome.as_dict()
    explained = []
    if args.explain:
        from isoplan.tax.federal import compute_federal

        for t, _year in enumerate(outcome.model.years):
            h = outcome.year_household(outcome.recommended, t)
            explained.append((h, compute_federal(h, law)))
    if args.json:
        if explained:
            data["explain"] = [tax_json(h, r, law, explain=True) for h, r in explained]
        _print_json(data)
    else:
        print(render_plan(data))
        for h, r in explained:
            print()
            print(render_tax(h, r, law, explain=True))
    return 0


def render_plan(data: dict[str, Any]) -> str:
    from isoplan.report.text import money, table

    rec = data["recommended"]
    out = [f"Plan: {data['plan']}",
           f"Exit: everything sold {data['exit']['date']} at ${data['exit']['price']:,.2f} a share (assumed)",
           "Blocks: " + "; ".join(f"{b['block']} {b['shares']:,} sh @ ${b['strike']:,.2f}" for b in data["blocks"]),
           "", f"Recommended schedule ({rec['name']})"]
    rows = []
    for y in rec["years"]:
        shares = ", ".join(f"{v:,} {k}" for k, v in y["shares"].items()) or "-"
        qual = ", ".join(sorted(set(y["qualifying_dates"].values()))) or "-"
        rows.append([f"{y['year']}{'*' if y['projected'] else ''}", shares, f"${y['price']:,.2f}",
                     money(y["iso_spread"] + y["nso_income"]), money(y["amt"]), money(y["regular_tax"]),
                     money(y["strike_cash"]), money(y["credit_used"]), money(y["credit_created"]), qual])
    out.append(table(["year", "exercise (shares)", "price", "spread", "AMT", "regular tax", "strike cash",
                      "credit used", "credit made", "qualifies"], rows, align="llrrrrrrrl"))
    out.append("* projected tax law")
    if "california" in rec:
        ca_rows = [[str(y["year"]), money(y["california"]["tax"]), money(y["california"]["amt"]),
                    money(y["california"]["credit_used"]), money(y["california"]["credit_created"])]
                   for y in rec["years"]]
        out += ["", "California (Form 540, Schedule P, FTB 3510), same schedule",
                table(["year", "CA tax", "CA AMT", "CA credit used", "CA credit made"], ca_rows)]
    out += ["", "Compared on the same assumptions (after-tax value at the exit, discounted if set)"]
    ca = "california" in rec

    def amt_text(s: dict[str, Any]) -> str:
        return money(s["total_amt"]) + (f" + CA {money(s['california']['total_amt'])}" if ca else "")

    rows = [[rec["name"], money(rec["after_tax_value"]), amt_text(rec), "yes", "-"]]
    for b in data["baselines"]:
        rows.append([b["name"], money(b["after_tax_value"]), amt_text(b),
                     "yes" if b["feasible"] else "NO (cash or AMT limit)", money(b["advantage_of_plan"])])
    out.append(table(["strategy", "after-tax value", "total AMT", "fits the limits", "plan's advantage"], rows))
    if data["catches"]:
        out += ["", "The catches of staging"] + [f"- {c}" for c in data["catches"]]
    if data["notes"]:
        out += ["", "Notes"] + [f"- {n}" for n in data["notes"]]
    out.append("")
    out.append("A planning estimate, not tax advice.")
    return "\n".join(out)



# ---------------------------------------------------------------- isoplan risk (issue 6)


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


# ---------------------------------------------------------------- isoplan checklist / report (issue 7)


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


# ---------------------------------------------------------------- isoplan serve (issue 8)


def add_serve_parser(sub: Any) -> None:
    """Register ``isoplan serve``."""
    p = sub.add_parser(
        "serve", help="the local web app: room calculator, plan, risk, checklist, ledger (127.0.0.1 only)",
        description="Start the web app on 127.0.0.1 and print its address. Everything is served from the package; "
        "nothing leaves the machine. Pages and safety: docs/web.md.",
    )
    p.add_argument("--port", type=int, default=8765, metavar="N", help="port on 127.0.0.1 (default 8765; 0: any)")
    p.add_argument("--open", action="store_true", help="open the address in the default browser")
    p.add_argument("--db", metavar="PATH", help="the ledger file (default: $ISOPLAN_DB, else the user data folder)")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from isoplan.web import create_app
    from isoplan.web.server import serve

    if not 0 <= args.port <= 65535:
        raise InputError("--port", args.port, "a port number from 0 to 65535")
    try:
        return serve(create_app(db=args.db, port=args.port), args.port, open_browser=args.open)
    except OSError as err:
        raise InputError("--port", args.port, f"a free port ({err.strerror})") from None


if __name__ == "__main__":
    raise SystemExit(main())
