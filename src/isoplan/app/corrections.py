"""Correcting the ledger: delete or edit a grant, a lot, a sale or an income year (each kept in the audit
log), the integrity check, and a backup. The same checks as the rest of :mod:`isoplan.app.ledger` run
before anything is written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from isoplan.app.ledger import (
    Labels,
    _amount,
    _date,
    _income_amounts,
    _label,
    _open,
    _required,
    _shares,
    _state,
    _text,
)
from isoplan.errors import InputError
from isoplan.ledger.store import COUNT_INCOME_FIELDS, FILING_STATUSES, INCOME_FIELDS

__all__ = ["CheckResult", "CorrectionResult", "backup", "check", "delete_record", "edit_record"]


@dataclass(frozen=True)
class CorrectionResult:
    """A record deleted or edited: its kind and id, and the record before and after (None: deleted)."""

    action: str
    kind: str
    id: str
    before: Mapping[str, Any]
    after: Mapping[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "kind": self.kind, "id": self.id, "before": dict(self.before),
                "after": None if self.after is None else dict(self.after)}


@dataclass(frozen=True)
class CheckResult:
    """``ledger check``: SQLite's integrity check and isoplan's invariants; ``ok`` when both find nothing."""

    path: str
    integrity: tuple[str, ...]
    invariants: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.integrity and not self.invariants

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "ok": self.ok, "integrity": list(self.integrity),
                "invariants": list(self.invariants)}


def _kind(value: Any, labels: Labels | None) -> str:
    from isoplan.ledger.corrections import KINDS

    kind = _text(value).lower()
    if kind not in KINDS:
        raise InputError(_label(labels, "kind"), value, "grant, lot, sale or income")
    return kind


def delete_record(db: Path, kind: Any, ident: Any, *, labels: Labels | None = None) -> CorrectionResult:
    """Delete a grant, a lot, a sale or an income year; refused when another record depends on it."""
    from isoplan.ledger.corrections import delete

    which = _kind(kind, labels)
    name = _required(labels, "id", ident, f"the id of the {which}")
    with _open(db) as book:
        return CorrectionResult("delete", which, name, delete(book, which, name), None)


def _edit_values(kind: str, fields: Mapping[str, Any], labels: Labels | None) -> tuple[dict[str, Any], dict[str, str]]:
    """Checked stored values of an edit: (column -> value, income field -> amount)."""
    from isoplan.ledger.corrections import EDITABLE
    from isoplan.ledger.db import dec_text

    columns: dict[str, Any] = {}
    income: dict[str, str] = {}
    editable = EDITABLE[kind]
    for name, value in fields.items():
        label = _label(labels, name)
        if name in editable:
            column = editable[name]
            if name in ("date", "expires"):
                columns[column] = _date(label, value).isoformat()
            elif name in ("strike", "fmv", "fmv_at_vesting", "price"):
                columns[column] = dec_text(_amount(label, value))
            elif name == "shares":
                columns[column] = _shares(label, value)
            elif name == "status":
                status = _text(value).lower()
                if status not in FILING_STATUSES:
                    raise InputError(label, value, "single, mfj, mfs, hoh or qss")
                columns[column] = status
            elif name == "state":
                columns[column] = _state(label, value) or None
            else:
                columns[column] = _required(labels, name, value, "some text")
        elif kind == "income" and (name in INCOME_FIELDS or name in COUNT_INCOME_FIELDS):
            income.update({k: dec_text(v) for k, v in _income_amounts({name: value}, labels).items()})
        else:
            allowed = [*editable, *([*INCOME_FIELDS, *COUNT_INCOME_FIELDS] if kind == "income" else [])]
            raise InputError(label, value, f"a field of a {kind} that can be edited: " + ", ".join(allowed))
    if not columns and not income:
        raise InputError("fields", None, "at least one field to change")
    return columns, income


def edit_record(db: Path, kind: Any, ident: Any, fields: Mapping[str, Any], *,
                labels: Labels | None = None) -> CorrectionResult:
    """Edit fields of a grant, a lot, a sale or an income year (every value checked before anything is
    written); refused when the ledger would be inconsistent."""
    from isoplan.ledger.corrections import edit

    which = _kind(kind, labels)
    name = _required(labels, "id", ident, f"the id of the {which}")
    columns, income = _edit_values(which, fields, labels)
    with _open(db) as book:
        before, after = edit(book, which, name, columns, income)
        return CorrectionResult("edit", which, name, before, after)


def check(db: Path) -> CheckResult:
    """SQLite's integrity check of the ledger file and isoplan's own invariants."""
    from isoplan.ledger.corrections import integrity_problems, invariant_problems

    with _open(db) as book:
        return CheckResult(str(db), tuple(integrity_problems(book.conn)), tuple(invariant_problems(book.conn)))


def backup(db: Path, target: Any, *, labels: Labels | None = None) -> str:
    """A consistent copy of the ledger at ``target`` (not the ledger itself), written whole."""
    from isoplan.files import check_output
    from isoplan.ledger.corrections import backup as copy_ledger

    label = _label(labels, "file")
    path = _required(labels, "file", target, "a file to write the copy to")
    check_output(path, label, inputs=[db])
    with _open(db) as book:
        copy_ledger(book, Path(path))
    return path
