"""Corrections to the ledger: delete or edit a grant, a lot, a sale or an income year; check; back up.

A correction goes through the one write path (:func:`isoplan.ledger.db.write_transaction`): the change, a
row of the audit log (who, when, what, the record before and after as JSON text) and a check of the
ledger's invariants (:func:`invariant_problems`) run in one transaction, so a correction that would leave
the ledger inconsistent (a sale before its exercise, a lot larger than its grant) is rolled back and
refused. A delete that would orphan a record (a grant with lots, a lot with sales) is refused.
"""

from __future__ import annotations

import datetime
import getpass
import json
import os
import sqlite3
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from isoplan.errors import InputError
from isoplan.ledger.db import file_error, write_transaction
from isoplan.ledger.store import Ledger

__all__ = ["EDITABLE", "KINDS", "audit_rows", "backup", "delete", "edit", "integrity_problems", "invariant_problems"]

#: kind -> (table, key column)
KINDS = {"grant": ("grants", "id"), "lot": ("lots", "id"), "sale": ("sales", "id"), "income": ("tax_years", "year")}
#: kind -> {field a user may edit: column}
EDITABLE: dict[str, dict[str, str]] = {
    "grant": {"company": "company", "date": "grant_date", "strike": "strike", "fmv": "fmv_at_grant",
              "expires": "expiration_date"},
    "lot": {"date": "exercise_date", "shares": "shares", "fmv": "fmv_at_exercise", "fmv_at_vesting": "fmv_at_vesting"},
    "sale": {"date": "sale_date", "shares": "shares", "price": "price"},
    "income": {"status": "filing_status", "state": "state"},
}
#: what depends on a record of each kind: (table, column pointing at it, what the user calls it)
_DEPENDENTS = {"grant": ("lots", "grant_id", "lot"), "lot": ("sales", "lot_id", "sale")}


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _row(conn: sqlite3.Connection, kind: str, ident: str) -> dict[str, Any]:
    table, key = KINDS[kind]
    row = conn.execute(f"SELECT * FROM {table} WHERE {key} = ?", (_key(kind, ident),)).fetchone()
    if row is None:
        article = "an" if kind == "income" else "a"
        raise InputError(kind, ident,
                         f"the id of {article} {kind} in the ledger (see `isoplan ledger {_listing(kind)}`)")
    out = {k: row[k] for k in row.keys()}  # noqa: SIM118 (sqlite3.Row has no items())
    if kind == "income":
        out["income"] = {r["field"]: r["amount"] for r in
                         conn.execute("SELECT field, amount FROM income WHERE year = ? ORDER BY field", (out["year"],))}
    return out


def _listing(kind: str) -> str:
    return {"grant": "grants", "lot": "lots", "sale": "sales", "income": "years"}[kind]


def _key(kind: str, ident: str) -> Any:
    if kind != "income":
        return ident
    try:
        return int(ident)
    except ValueError:
        raise InputError("year", ident, "a tax year, a whole number such as the year on the return") from None


def _audit(conn: sqlite3.Connection, action: str, kind: str, ident: str, before: Any, after: Any) -> None:
    conn.execute(
        "INSERT INTO audit_log (at, who, action, kind, record_id, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"), _who(), action, kind, str(ident),
         None if before is None else json.dumps(before, sort_keys=True),
         None if after is None else json.dumps(after, sort_keys=True)))


def _refuse_problems(book: Ledger, kind: str, ident: str) -> None:
    problems = invariant_problems(book.conn)
    if problems:
        raise InputError(kind, ident, f"a change that keeps the ledger consistent; it would leave: {problems[0]}")


def delete(book: Ledger, kind: str, ident: str) -> dict[str, Any]:
    """Delete one record (a grant with its vesting; an income year with its amounts); return it as it was."""
    with write_transaction(book.conn) as conn:
        before = _row(conn, kind, ident)
        if kind in _DEPENDENTS:
            table, column, what = _DEPENDENTS[kind]
            count = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (ident,)).fetchone()[0]
            if count:
                raise InputError(kind, ident, f"a {kind} with no {what}s: it has {count}; delete those first")
        if kind == "grant":
            conn.execute("DELETE FROM vesting_tranches WHERE grant_id = ?", (ident,))
        if kind == "income":
            conn.execute("DELETE FROM income WHERE year = ?", (before["year"],))
        table, key = KINDS[kind]
        conn.execute(f"DELETE FROM {table} WHERE {key} = ?", (_key(kind, ident),))
        _audit(conn, "delete", kind, ident, before, None)
    return before


def edit(book: Ledger, kind: str, ident: str, changes: dict[str, str | int | None],
         income: dict[str, str] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Change checked values of one record (``changes``: column -> stored value; ``income``: amounts of an
    income year); refused, and nothing written, when the ledger would be inconsistent. Returns (before, after)."""
    with write_transaction(book.conn) as conn:
        before = _row(conn, kind, ident)
        table, key = KINDS[kind]
        for column, value in changes.items():
            conn.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (value, _key(kind, ident)))
        if kind == "grant" and "strike" in changes:  # a lot carries its grant's exercise price
            conn.execute("UPDATE lots SET strike = ? WHERE grant_id = ?", (changes["strike"], ident))
        for field, amount in (income or {}).items():
            conn.execute("INSERT INTO income (year, field, amount) VALUES (?, ?, ?) "
                         "ON CONFLICT (year, field) DO UPDATE SET amount = excluded.amount",
                         (before["year"], field, amount))
        _refuse_problems(book, kind, ident)
        after = _row(conn, kind, ident)
        _audit(conn, "edit", kind, ident, before, after)
    return before, after


def audit_rows(book: Ledger) -> list[dict[str, Any]]:
    """The audit log, oldest first."""
    return [{k: row[k] for k in row.keys()}  # noqa: SIM118
            for row in book.conn.execute("SELECT * FROM audit_log ORDER BY seq")]


def integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """SQLite's own check of the file (``PRAGMA integrity_check``) and of the references between tables."""
    rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
    problems = [] if rows == ["ok"] else [f"integrity: {r}" for r in rows]
    problems += [f"reference: {r[0]} row {r[1]} points at a missing {r[2]}"
                 for r in conn.execute("PRAGMA foreign_key_check").fetchall()]
    return problems


def _decimal_ok(text: Any) -> bool:
    try:
        return Decimal(str(text)).is_finite()
    except InvalidOperation:
        return False


def _date_ok(text: Any) -> bool:
    try:
        datetime.date.fromisoformat(str(text))
    except ValueError:
        return False
    return True


def invariant_problems(conn: sqlite3.Connection) -> list[str]:
    """isoplan's own rules: exact decimal text that parses, dates that parse, no lot holding fewer than 0
    shares, no sale before its exercise, no grant's lots past its shares."""
    problems = []
    money = {"grants": ("strike", "fmv_at_grant"), "lots": ("strike", "fmv_at_exercise", "fmv_at_vesting"),
             "sales": ("price",), "income": ("amount",)}
    for table, columns in money.items():
        for column in columns:
            for row in conn.execute(f"SELECT rowid, {column} FROM {table} WHERE {column} IS NOT NULL"):
                if not _decimal_ok(row[1]):
                    problems.append(f"{table} row {row[0]}: {column} {row[1]!r} is not a finite decimal number")
    dates = {"grants": ("grant_date", "expiration_date"), "lots": ("exercise_date",), "sales": ("sale_date",)}
    for table, columns in dates.items():
        for column in columns:
            for row in conn.execute(f"SELECT rowid, {column} FROM {table}"):
                if not _date_ok(row[1]):
                    problems.append(f"{table} row {row[0]}: {column} {row[1]!r} is not a date (YYYY-MM-DD)")
    for row in conn.execute("SELECT lots.id, lots.shares - COALESCE(SUM(sales.shares), 0) FROM lots "
                            "LEFT JOIN sales ON sales.lot_id = lots.id GROUP BY lots.id"):
        if row[1] < 0:
            problems.append(f"lot {row[0]}: its sales are {-row[1]} shares more than it holds")
    for row in conn.execute("SELECT sales.id, sales.sale_date, lots.id, lots.exercise_date FROM sales "
                            "JOIN lots ON lots.id = sales.lot_id WHERE sales.sale_date < lots.exercise_date"):
        problems.append(f"sale {row[0]} on {row[1]} is before the exercise of lot {row[2]} on {row[3]}")
    for row in conn.execute("SELECT grants.id, grants.shares, SUM(lots.shares) FROM grants "
                            "JOIN lots ON lots.grant_id = grants.id GROUP BY grants.id"):
        if row[2] > row[1]:
            problems.append(f"grant {row[0]}: its lots hold {row[2]} shares, more than the {row[1]} granted")
    return problems


def backup(book: Ledger, target: Path) -> Path:
    """A consistent copy of the open ledger at ``target`` (SQLite's online backup API), written beside the
    target first and then renamed over it, so a reader never sees half a copy."""
    from isoplan.files import replace_with

    with replace_with(target, "FILE") as temp:
        os.unlink(temp)  # SQLite makes the file itself
        copy = sqlite3.connect(str(temp))
        try:
            book.conn.backup(copy)
        except sqlite3.Error as err:
            raise file_error(book.path, err) from None
        finally:
            copy.close()
    return target
