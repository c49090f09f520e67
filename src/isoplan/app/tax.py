"""The ``tax`` use case: federal (and California) tax of a household, line by line.

Form 1040, Form 6251 (AMT) and Form 8801 (minimum tax credit) through
:func:`isoplan.tax.federal.compute_federal`; with the state CA also Form 540,
Schedule P (540) and FTB 3510 through :func:`isoplan.tax.states.california.compute_california`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from isoplan.app.common import InputError, state_code
from isoplan.app.household import (
    HIDDEN,
    PLAIN_NAMES,
    BatchTable,
    CsvRows,
    Deduction,
    Names,
    Value,
    ca_law_table,
    csv_cell,
    csv_households,
    deduction_choice,
    inflation_rate,
    law_table,
    one_household,
    other_state_note,
    read_csv,
    record_json,
    state_inputs,
)

if TYPE_CHECKING:
    from isoplan.tax.federal import FederalResult
    from isoplan.tax.households import Households
    from isoplan.tax.law import LawTable
    from isoplan.tax.states.california import CaliforniaResult

_OMIT = {"omit_none": True}


@dataclass(frozen=True)
class TaxRequest:
    """One household's tax: ``household`` holds the engine's inputs by name (``year`` and ``filing_status``
    required, every amount 0 when missing); the state's inputs count only with ``state`` CA."""

    household: Mapping[str, Value]
    state: str | None = None
    property_tax: Value = None
    ca_amt_credit_carryforward: Value = None
    deduction: str | None = "auto"
    inflation: Value = None
    explain: bool = False
    names: Names = PLAIN_NAMES


@dataclass(frozen=True)
class FederalOutputs:
    """The federal figures of ``isoplan tax --json`` (:data:`isoplan.tax.explain.OUTPUTS`, in that order)."""

    agi: float  # Form 1040 line 11
    deduction: float  # line 12
    itemized: float  # 1 when the return itemizes (Schedule A), else 0
    taxable_income: float  # line 15
    regular_tax: float  # line 16
    niit: float  # Form 8960 line 17
    additional_medicare_tax: float  # Form 8959 line 18
    amti: float  # Form 6251 line 4
    amt_exemption: float  # Form 6251 line 5
    tentative_minimum_tax: float  # Form 6251 line 9
    amt: float  # Form 6251 line 11
    amt_credit_used: float  # Form 8801 line 25
    total_tax: float
    short_term_loss_carryover_out: float  # Capital Loss Carryover Worksheet line 8 (Schedule D instructions)
    long_term_loss_carryover_out: float  # worksheet line 13
    amt_short_term_loss_carryover_out: float  # line 8 refigured on the AMT basis
    amt_long_term_loss_carryover_out: float  # line 13 refigured on the AMT basis


@dataclass(frozen=True)
class CaliforniaOutputs:
    """The California figures (:data:`isoplan.tax.states.california.CA_OUTPUTS`, in that order)."""

    ca_agi: float  # Form 540 line 17
    ca_deduction: float  # Form 540 line 18
    ca_itemized: float
    ca_taxable_income: float  # Form 540 line 19
    ca_regular_tax: float  # Form 540 line 31
    ca_exemption_credits: float  # Form 540 line 32
    ca_amti: float  # Schedule P (540) line 21
    ca_amt_exemption: float  # Schedule P line 22
    ca_tentative_minimum_tax: float  # Schedule P line 24
    ca_amt: float  # Schedule P line 26
    ca_amt_credit_used: float  # FTB 3510
    ca_amt_credit_remaining: float  # FTB 3510 carryover
    ca_mental_health_tax: float  # Form 540 line 62
    ca_total_tax: float


@dataclass(frozen=True)
class FormLine:
    """One form line behind a figure."""

    key: str
    form: str
    line: str
    caption: str
    value: float


@dataclass(frozen=True)
class CaliforniaTax:
    """California's part of ``isoplan tax --state CA --json``."""

    year: int
    projected: bool
    inputs: dict[str, float]
    outputs: CaliforniaOutputs
    deduction_kind: str
    notes: list[str]
    lines: list[FormLine] | None = field(default=None, metadata=_OMIT)

    def as_dict(self) -> dict[str, Any]:
        return record_json(self)


@dataclass(frozen=True)
class TaxResult:
    """``isoplan tax --json`` of one household; ``state``, ``california`` and ``state_note`` only when given."""

    year: int
    projected: bool
    inputs: dict[str, Any]
    outputs: FederalOutputs
    deduction_kind: str
    notes: list[str]
    lines: list[FormLine] | None = field(default=None, metadata=_OMIT)
    state: str | None = field(default=None, metadata=_OMIT)
    california: CaliforniaTax | None = field(default=None, metadata=_OMIT)
    state_note: str | None = field(default=None, metadata=_OMIT)
    #: the deduction as the return shows it: line 12 plus the non-itemizer charitable deduction (IRC §170(p))
    deduction_shown: float = field(metadata=HIDDEN, kw_only=True)
    #: the form lines, shown in the text with ``--explain`` (``lines`` is the JSON of the same)
    form_lines: list[FormLine] = field(metadata=HIDDEN, kw_only=True)

    @property
    def filing_status(self) -> str:
        return str(self.inputs["filing_status"])

    @property
    def answer(self) -> str:
        """The decision in one sentence (the first line of the text; ``answer`` in the JSON)."""
        from isoplan.report.answer import tax_answer

        return tax_answer(self)

    def as_dict(self) -> dict[str, Any]:
        return record_json(self) | {"answer": self.answer}


def tax_record(h: Households, result: FederalResult, law: LawTable, *, explain: bool, i: int = 0) -> TaxResult:
    """The record of household ``i`` of an engine result (used by ``tax``, ``demo`` and ``plan --explain``)."""
    from isoplan.tax.explain import OUTPUTS, explain_row, year_notes

    year = int(h.year[i])
    rows = [FormLine(r.key, r.form, r.line, r.caption, r.value) for r in explain_row(result, i)]
    return TaxResult(
        year=year,
        projected=bool(result.projected[i]),
        inputs=h.row(i),
        outputs=FederalOutputs(**{k: float(result.lines[k][i]) for k in OUTPUTS}),
        deduction_kind="itemized" if result.itemized[i] else "standard",
        notes=year_notes(law, year, int(h.filing_status[i])),
        lines=rows if explain else None,
        deduction_shown=float(result.lines["deduction"][i] + result.lines["nonitemizer_charitable_used"][i]),
        form_lines=rows,
    )


def california_record(h: Households, ca: CaliforniaResult, ca_law: LawTable, *, explain: bool,
                      i: int = 0) -> CaliforniaTax:
    from isoplan.tax.states.california import CA_OUTPUTS, ca_explain_row, ca_year_notes

    year = int(h.year[i])
    return CaliforniaTax(
        year=year,
        projected=bool(ca.projected[i]),
        inputs={"property_tax": float(ca.ca_taxes_deducted[i]),
                "ca_amt_credit_carryforward": float(ca.ca_amt_credit_carryforward[i])},
        outputs=CaliforniaOutputs(**{k: float(ca.lines[k][i]) for k in CA_OUTPUTS}),
        deduction_kind="itemized" if ca.ca_itemized[i] else "standard",
        notes=ca_year_notes(ca_law, year, int(h.filing_status[i])),
        lines=[FormLine(r.key, r.form, r.line, r.caption, r.value) for r in ca_explain_row(ca, i)] if explain
        else None,
    )


def compute_tax(req: TaxRequest) -> TaxResult:
    """Federal tax of one household; with the state CA California beside it, another state gets a note."""
    import dataclasses

    from isoplan.tax.federal import compute_federal
    from isoplan.tax.states.california import compute_california

    names = req.names
    inflation = inflation_rate(req.inflation, names)
    law = law_table(inflation)
    code = state_code(names("state"), req.state)
    deduction = deduction_choice(req.deduction, names)
    h = one_household(req.household, names)
    result = compute_federal(h, law, deduction=deduction)
    california = None
    if code == "CA":
        st = state_inputs(code, req.property_tax, req.ca_amt_credit_carryforward, names)
        ca_law = ca_law_table(inflation)
        ca = compute_california(h, ca_law, property_tax=st.property_tax,
                                ca_amt_credit_carryforward=st.ca_amt_credit_carryforward, deduction=deduction)
        california = california_record(h, ca, ca_law, explain=req.explain)
    else:
        state_inputs(code, req.property_tax, req.ca_amt_credit_carryforward, names)
    record = tax_record(h, result, law, explain=req.explain)
    return dataclasses.replace(record, state=code, california=california,
                               state_note=other_state_note(code) if code and code != "CA" else None)


# ---------------------------------------------------------------- tax --batch

#: Batch columns read for the state layer (not engine inputs of the federal Households).
_STATE_COLUMNS = ("state", "property_tax", "ca_amt_credit_carryforward")


def tax_batch(req: TaxRequest, path: str) -> BatchTable:
    """``tax --batch``: one household per CSV row; the federal outputs, and California's (``ca_*``) on rows
    whose state is CA (a ``state`` column, or ``req.state`` for every row)."""
    from isoplan.tax.explain import OUTPUTS
    from isoplan.tax.federal import compute_federal

    names = req.names
    inflation = inflation_rate(req.inflation, names)
    law = law_table(inflation)
    default = state_code(names("state"), req.state)
    deduction = deduction_choice(req.deduction, names)
    notes: list[str] = []
    try:
        table = read_csv(path, names)
    except InputError:
        table = None  # read below, federal only, where the error names the file
    if table is not None and any(c in _STATE_COLUMNS for c in table.header):
        return _state_batch(table, law, inflation, default, deduction)
    if table is not None and default == "CA":
        return _state_batch(table, law, inflation, default, deduction)
    if default is not None:
        state_inputs(default, req.property_tax, req.ca_amt_credit_carryforward, names)
        notes.append(other_state_note(default))
    table = read_csv(path, names)
    h = csv_households(table)
    result = compute_federal(h, law, deduction=deduction)
    lists: dict[str, list[Any]] = {k: result.lines[k].tolist() for k in OUTPUTS}
    lists["projected"] = result.projected.tolist()
    outputs = [*OUTPUTS, "projected"]
    rows = tuple(tuple([row.get(c, "") for c in table.header] + [csv_cell(lists[k][i]) for k in outputs])
                 for i, row in enumerate(table.rows))
    return BatchTable(header=(*table.header, *outputs), rows=rows, notes=tuple(notes))


def _state_batch(table: CsvRows, law: LawTable, inflation: float | None, default: str | None,
                 deduction: Deduction) -> BatchTable:
    from isoplan.tax.explain import OUTPUTS
    from isoplan.tax.federal import compute_federal
    from isoplan.tax.states.california import CA_OUTPUTS, compute_california

    path, rows = table.path, table.rows
    h = csv_households(table, skip=_STATE_COLUMNS)
    states = []
    for i, row in enumerate(rows):
        try:
            states.append(state_code("column state", row.get("state") or default))
        except InputError as err:
            raise err.at(row=i + 1, source=path) from None

    def column(name: str) -> list[float]:
        values = []
        for i, row in enumerate(rows):
            cell = row.get(name, "") or "0"
            try:
                values.append(float(cell.replace(",", "")))
            except ValueError:
                raise InputError(f"column {name}", cell, "a number", row=i + 1, source=path) from None
            if values[-1] and states[i] != "CA":
                raise InputError(f"column {name}", cell, "used only on rows whose state is CA", row=i + 1,
                                 source=path)
        return values

    property_tax, carry = column("property_tax"), column("ca_amt_credit_carryforward")
    result = compute_federal(h, law, deduction=deduction)
    try:
        ca = compute_california(h, ca_law_table(inflation),
                                property_tax=property_tax, ca_amt_credit_carryforward=carry, deduction=deduction)
    except InputError as err:
        raise InputError(f"column {err.field}", err.value, err.allowed, row=(err.row or 0) + 1, source=path) from None
    notes = []
    others = sorted({s for s in states if s and s != "CA"})
    if others:
        notes.append(f"rows with state {', '.join(others)} get federal tax only "
                     "(isoplan models federal tax and California).")
    fed_cols = {k: result.lines[k].tolist() for k in OUTPUTS}
    ca_cols = {k: ca.lines[k].tolist() for k in CA_OUTPUTS}
    projected, ca_projected = result.projected.tolist(), ca.projected.tolist()
    out_rows = []
    for i, row in enumerate(rows):
        out = [f"{fed_cols[k][i]:.2f}" for k in OUTPUTS] + [str(bool(projected[i])).lower()]
        out += [f"{ca_cols[k][i]:.2f}" if states[i] == "CA" else "" for k in CA_OUTPUTS]
        out.append(str(bool(ca_projected[i])).lower() if states[i] == "CA" else "")
        out_rows.append(tuple([row.get(c, "") for c in table.header] + out))
    return BatchTable(header=(*table.header, *OUTPUTS, "projected", *CA_OUTPUTS, "ca_projected"),
                      rows=tuple(out_rows), notes=tuple(notes))
