"""The ``tax`` use case: federal (and California) tax of a household, line by line.

Form 1040, Form 6251 (AMT) and Form 8801 (minimum tax credit) through
:func:`isoplan.tax.federal.compute_federal`; with the state CA also Form 540,
Schedule P (540) and FTB 3510 through :func:`isoplan.tax.states.california.compute_california`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from isoplan.app.common import InputError, state_code
from isoplan.app.household import (
    HIDDEN,
    PLAIN_NAMES,
    Deduction,
    Figures,
    Names,
    Value,
    deduction_choice,
    inflation_rate,
    law_table,
    one_household,
    other_state_note,
    record_json,
    request_state_values,
    state_inputs,
    with_state_key,
)

if TYPE_CHECKING:
    from isoplan.app.batch import BatchFile, BatchResult, OutputColumn
    from isoplan.tax.federal import FederalResult
    from isoplan.tax.households import Households
    from isoplan.tax.law import LawTable
    from isoplan.tax.states import Jurisdiction

_OMIT = {"omit_none": True}


@dataclass(frozen=True)
class TaxRequest:
    """One household's tax: ``household`` holds the engine's inputs by name (``year`` and ``filing_status``
    required, every amount 0 when missing); a state's own inputs count only with a state that takes them
    (``property_tax`` and ``ca_amt_credit_carryforward`` with CA; another modeled state's by name in
    ``state_amounts``)."""

    household: Mapping[str, Value]
    state: str | None = None
    property_tax: Value = None
    ca_amt_credit_carryforward: Value = None
    state_amounts: Mapping[str, Value] = field(default_factory=dict)
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
class FormLine:
    """One form line behind a figure."""

    key: str
    form: str
    line: str
    caption: str
    value: float


@dataclass(frozen=True)
class StateTax:
    """A modeled state's part of ``isoplan tax --state XX --json`` (under the jurisdiction's key)."""

    year: int
    projected: bool
    inputs: dict[str, float]
    outputs: Figures  # the jurisdiction's ``outputs``, in that order
    deduction_kind: str
    notes: list[str]
    lines: list[FormLine] | None = field(default=None, metadata=_OMIT)
    key: str = field(default="", metadata=HIDDEN, kw_only=True)  # the JSON key, e.g. "california"

    def as_dict(self) -> dict[str, Any]:
        return record_json(self)


@dataclass(frozen=True)
class TaxResult:
    """``isoplan tax --json`` of one household; ``state``, the modeled state's figures (under its key, e.g.
    ``california``) and ``state_note`` only when given."""

    year: int
    projected: bool
    inputs: dict[str, Any]
    outputs: FederalOutputs
    deduction_kind: str
    notes: list[str]
    lines: list[FormLine] | None = field(default=None, metadata=_OMIT)
    state: str | None = field(default=None, metadata=_OMIT)
    state_tax: StateTax | None = field(default=None, metadata=HIDDEN)
    state_note: str | None = field(default=None, metadata=_OMIT)
    #: the deduction as the return shows it: line 12 plus the non-itemizer charitable deduction (IRC §170(p))
    deduction_shown: float = field(metadata=HIDDEN, kw_only=True)
    #: the form lines, shown in the text with ``--explain`` (``lines`` is the JSON of the same)
    form_lines: list[FormLine] = field(metadata=HIDDEN, kw_only=True)

    @property
    def filing_status(self) -> str:
        return str(self.inputs["filing_status"])

    @property
    def california(self) -> StateTax | None:
        """California's figures, when the state is CA."""
        return self.state_tax if self.state_tax is not None and self.state_tax.key == "california" else None

    @property
    def answer(self) -> str:
        """The decision in one sentence (the first line of the text; ``answer`` in the JSON)."""
        from isoplan.report.answer import tax_answer

        return tax_answer(self)

    def as_dict(self) -> dict[str, Any]:
        return with_state_key(record_json(self), self.state_tax) | {"answer": self.answer}


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


def state_record(h: Households, state: Jurisdiction, result: FederalResult, law: LawTable,
                 amounts: Mapping[str, float], *, explain: bool, i: int = 0) -> StateTax:
    """The record of household ``i`` of a state's result (``amounts``: the state's own inputs)."""
    year = int(h.year[i])
    return StateTax(
        year=year,
        projected=bool(result.projected[i]),
        inputs={name: float(amounts[name]) for name in amounts},
        outputs=Figures({k: float(result.lines[k][i]) for k in state.outputs}),
        deduction_kind="itemized" if result.lines[state.credit_lines.itemized][i] > 0.5 else "standard",
        notes=state.year_notes(law, year, int(h.filing_status[i])),
        lines=[FormLine(r.key, r.form, r.line, r.caption, r.value) for r in state.explain_rows(result, i)]
        if explain else None,
        key=state.key,
    )


def compute_tax(req: TaxRequest) -> TaxResult:
    """Federal tax of one household; a modeled state's return beside it, another state gets a note."""
    import dataclasses

    from isoplan.tax.federal import compute_federal

    names = req.names
    inflation = inflation_rate(req.inflation, names)
    law = law_table(inflation)
    code = state_code(names("state"), req.state)
    deduction = deduction_choice(req.deduction, names)
    h = one_household(req.household, names)
    result = compute_federal(h, law, deduction=deduction)
    st = state_inputs(code, request_state_values(req), names)
    state_tax = None
    if st.jurisdiction is not None:
        state_law = st.law(inflation)
        figures = st.jurisdiction.compute(h, state_law, inputs=st.inputs, credit=st.credit, deduction=deduction)
        state_tax = state_record(h, st.jurisdiction, figures, state_law, st.amounts, explain=req.explain)
    record = tax_record(h, result, law, explain=req.explain)
    return dataclasses.replace(record, state=code, state_tax=state_tax,
                               state_note=other_state_note(code) if code and st.jurisdiction is None else None)


# ---------------------------------------------------------------- tax --batch

def _state_columns() -> tuple[str, ...]:
    """Batch columns read for the state layer (not engine inputs of the federal Households)."""
    from isoplan.tax.states import jurisdiction, modeled_states

    inputs = [f.name for s in map(jurisdiction, modeled_states()) if s is not None for f in s.extra_inputs]
    return ("state", *dict.fromkeys(inputs))


def _output_names() -> tuple[str, ...]:
    """Every column ``tax --batch`` may add (a kept column may not take one of these names)."""
    from isoplan.tax.explain import OUTPUTS
    from isoplan.tax.states import jurisdiction, modeled_states

    states = [s for s in map(jurisdiction, modeled_states()) if s is not None]
    return (*OUTPUTS, "projected", *(k for s in states for k in (*s.outputs, f"{s.code.lower()}_projected")))


def tax_batch(req: TaxRequest, path: str, *, keep: Sequence[str] = ()) -> BatchResult:
    """``tax --batch``: one household per row of a CSV or Parquet file; the federal outputs, and each modeled
    state's outputs (California's ``ca_*``) on rows of that state (a ``state`` column, or ``req.state`` for
    every row). Columns named in ``keep`` pass through to the output unread."""
    from isoplan.app.batch import BatchResult, batch_households, kept_columns, read_batch
    from isoplan.tax.explain import OUTPUTS
    from isoplan.tax.federal import compute_federal
    from isoplan.tax.households import INPUT_NAMES
    from isoplan.tax.states import jurisdiction

    names = req.names
    inflation = inflation_rate(req.inflation, names)
    law = law_table(inflation)
    default = state_code(names("state"), req.state)
    deduction = deduction_choice(req.deduction, names)
    notes: list[str] = []
    reserved = (*INPUT_NAMES, *_state_columns(), *_output_names())
    table: BatchFile | None
    try:
        table = read_batch(path, names)
    except InputError:
        table = None  # read below, federal only, where the error names the file
    if table is not None and (any(c in _state_columns() for c in table.header) or jurisdiction(default) is not None):
        return _state_batch(table, kept_columns(table, keep, names, reserved=reserved), law, inflation, default,
                            deduction)
    if table is not None:
        kept = kept_columns(table, keep, names, reserved=reserved)
    if default is not None:
        state_inputs(default, request_state_values(req), names)
        notes.append(other_state_note(default))
    if table is None:
        table = read_batch(path, names)
        kept = kept_columns(table, keep, names, reserved=reserved)
    h = batch_households(table, skip=kept)
    result = compute_federal(h, law, deduction=deduction, keep=OUTPUTS)
    return BatchResult(columns=(*_inputs(table), *_federal_columns(result)), length=len(table), notes=tuple(notes))


def _inputs(table: BatchFile) -> tuple[OutputColumn, ...]:
    """The file's columns, passed through in their places."""
    from isoplan.app.batch import OutputColumn

    return tuple(OutputColumn(name, "input", table.columns[name]) for name in table.header)


def _federal_columns(result: FederalResult) -> tuple[OutputColumn, ...]:
    from isoplan.app.batch import OutputColumn
    from isoplan.tax.explain import OUTPUTS

    return (*(OutputColumn(k, "amount", result.lines[k]) for k in OUTPUTS),
            OutputColumn("projected", "flag", result.projected))


def _state_batch(table: BatchFile, kept: tuple[str, ...], law: LawTable, inflation: float | None,
                 default: str | None, deduction: Deduction) -> BatchResult:
    """The batch with every modeled state's columns: its outputs and ``<code>_projected``, filled on its rows."""
    import numpy as np

    from isoplan.app.batch import BatchResult, OutputColumn, batch_households, state_amounts, state_codes
    from isoplan.tax.explain import OUTPUTS
    from isoplan.tax.federal import compute_federal
    from isoplan.tax.states import carried_credit_field, jurisdiction, modeled_states

    path, n = table.path, len(table)
    columns_read = _state_columns()
    h = batch_households(table, skip=(*columns_read, *kept))
    states = state_codes(table, default)
    modeled = [s for s in map(jurisdiction, modeled_states()) if s is not None]

    def column(name: str) -> np.ndarray:
        owners = [s.code for s in modeled if any(f.name == name for f in s.extra_inputs)]
        values = state_amounts(table, name)
        foreign = (values != 0) & ~np.isin(states, owners)
        if foreign.any():
            i = int(np.flatnonzero(foreign)[0])
            cell = table.columns[name][i].as_py()
            raise InputError(f"column {name}", str(cell).strip() if isinstance(cell, str) else str(cell),
                             f"used only on rows whose state is {' or '.join(owners)}", row=i + 1, source=path)
        return values

    amounts = {name: column(name) for name in columns_read[1:]}
    result = compute_federal(h, law, deduction=deduction, keep=OUTPUTS)
    outputs: list[OutputColumn] = [*_inputs(table), *_federal_columns(result)]
    for state in modeled:
        carried = carried_credit_field(state)
        inputs = {f.name: amounts[f.name] for f in state.extra_inputs if f.name != carried}
        credit: Any = amounts[carried] if carried else 0.0
        try:
            figures = state.compute(h, state.law_table(inflation), inputs=inputs, credit=credit, deduction=deduction)
        except InputError as err:
            raise InputError(f"column {err.field}", err.value, err.allowed, row=(err.row or 0) + 1,
                             source=path) from None
        mine = states == state.code
        outputs += [OutputColumn(k, "amount", np.broadcast_to(figures.lines[k], (n,)), mine) for k in state.outputs]
        outputs.append(OutputColumn(f"{state.code.lower()}_projected", "flag", figures.projected, mine))
    notes = []
    codes = {s.code for s in modeled}
    others = sorted({s for s in set(states.tolist()) if s and s not in codes})
    if others:
        notes.append(f"rows with state {', '.join(others)} get federal tax only "
                     f"(isoplan models federal tax and {' and '.join(s.name for s in modeled)}).")
    return BatchResult(columns=tuple(outputs), length=n, notes=tuple(notes))
