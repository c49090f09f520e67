"""The text of ``isoplan tax``: Form 1040 / 6251 / 8801 figures, and Form 540 / Schedule P (540) beside them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from isoplan.report.text import money, table

if TYPE_CHECKING:
    from isoplan.app.tax import FormLine, TaxResult


def line_value(key: str, value: float) -> str:
    """A form line's value as shown: yes/no for the deduction election flag, counts plain, else dollars."""
    if key in ("itemized", "ca_itemized"):
        return "yes" if value else "no"
    if key.endswith("_count"):
        return f"{value:g}"
    return money(value)


def _line_table(lines: list[FormLine]) -> str:
    rows = [[f"{row.form} {row.line}", row.caption, line_value(row.key, row.value)] for row in lines]
    return table(["form line", "what", "amount"], rows, align="llr")


def render_tax(record: TaxResult, *, explain: bool) -> str:
    """Federal tax of one household (with ``explain`` every form line)."""
    label = f"{record.year} (PROJECTED)" if record.projected else str(record.year)
    r = record.outputs
    kind = "itemized" if r.itemized else "standard"
    rows = [
        ["Adjusted gross income (1040 line 11)", money(r.agi)],
        [f"Deduction ({kind})", money(record.deduction_shown)],
        ["Taxable income (line 15)", money(r.taxable_income)],
        ["Regular tax (line 16)", money(r.regular_tax)],
        ["AMTI (6251 line 4)", money(r.amti)],
        ["Exemption (line 5)", money(r.amt_exemption)],
        ["Tentative minimum tax (line 9)", money(r.tentative_minimum_tax)],
        ["AMT (line 11)", money(r.amt)],
    ]
    if r.amt_credit_used or record.inputs["amt_credit_carryforward"]:
        rows.append(["Minimum tax credit used (8801 line 25)", money(r.amt_credit_used)])
    rows += [
        ["Net investment income tax (8960)", money(r.niit)],
        ["Additional Medicare Tax (8959)", money(r.additional_medicare_tax)],
        ["Total federal tax modeled", money(r.total_tax)],
    ]
    parts = [f"Federal tax, {label}, {record.filing_status}", table(["", "amount"], rows)]
    if explain:
        parts += ["", "Line by line", _line_table(record.form_lines)]
    if record.notes:
        parts += ["", *("Note: " + n for n in record.notes)]
    return "\n".join(parts)


def render_california(record: TaxResult, *, explain: bool) -> str:
    """Federal and California side by side, the California-only lines, and the combined total."""
    ca = record.california
    assert ca is not None, "render_california needs a result with the state CA"
    f, c = record.outputs, ca.outputs
    label = f"{ca.year} (PROJECTED)" if ca.projected else str(ca.year)
    fed_kind = "itemized" if f.itemized else "standard"
    ca_kind = "itemized" if c.ca_itemized else "standard"
    rows = [
        ["Adjusted gross income", money(f.agi), money(c.ca_agi)],
        [f"Deduction (federal {fed_kind}, CA {ca_kind})", money(record.deduction_shown), money(c.ca_deduction)],
        ["Taxable income", money(f.taxable_income), money(c.ca_taxable_income)],
        ["Regular tax (1040 line 16 / 540 line 31)", money(f.regular_tax), money(c.ca_regular_tax)],
        ["AMTI (6251 line 4 / Schedule P line 21)", money(f.amti), money(c.ca_amti)],
        ["AMT exemption (6251 line 5 / P line 22)", money(f.amt_exemption), money(c.ca_amt_exemption)],
        ["Tentative minimum tax (6251 line 9 / P line 24)",
         money(f.tentative_minimum_tax), money(c.ca_tentative_minimum_tax)],
        ["AMT (6251 line 11 / P line 26)", money(f.amt), money(c.ca_amt)],
        ["Prior-year AMT credit used (8801 / FTB 3510)", money(f.amt_credit_used), money(c.ca_amt_credit_used)],
        ["Exemption credits (540 line 32)", "", money(c.ca_exemption_credits)],
        ["Mental Health Services Tax (540 line 62)", "", money(c.ca_mental_health_tax)],
        ["NIIT + Additional Medicare Tax", money(f.niit + f.additional_medicare_tax), ""],
        ["Total tax modeled", money(f.total_tax), money(c.ca_total_tax)],
    ]
    parts = [f"Federal and California, {label}", table(["", "federal", "California"], rows, align="lrr"),
             f"Federal + California: {money(f.total_tax + c.ca_total_tax)}"]
    if ca.inputs["ca_amt_credit_carryforward"]:
        parts.append(f"California AMT credit carried forward (FTB 3510): {money(c.ca_amt_credit_remaining)}")
    if explain and ca.lines is not None:
        parts += ["", "California line by line", _line_table(ca.lines)]
    parts += ["", *("Note: " + n for n in ca.notes)]
    return "\n".join(parts)


def render_tax_with_state(record: TaxResult, *, explain: bool) -> str:
    """The text of ``isoplan tax``: the answer, federal, then California (state CA) or the note for another
    state."""
    text = record.answer + "\n\n" + render_tax(record, explain=explain)
    if record.california is not None:
        text += "\n\n" + render_california(record, explain=explain)
    elif record.state_note:
        text += "\n\nNote: " + record.state_note
    return text
