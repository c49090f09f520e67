"""``isoplan tax``: federal (and state) tax of a household, line by line."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any

from isoplan.cli.common import (
    _law,
    _line_value,
    _other_state_note,
    _print_json,
    _refuse_ca_inputs,
    _state_code,
    _write_csv,
    household_from_args,
    read_household_csv,
)
from isoplan.errors import InputError


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


#: Batch columns read for the state layer (not engine inputs of the federal Households).
_STATE_COLUMNS = ("state", "property_tax", "ca_amt_credit_carryforward")


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

