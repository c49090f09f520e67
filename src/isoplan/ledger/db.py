"""The ledger's SQLite file: the connection, the one write path, and the migrations that shape it.

Every change goes through :func:`write_transaction` (``BEGIN IMMEDIATE`` ...
``COMMIT``, ``ROLLBACK`` on any error), so a refused or interrupted write
leaves the file as it was. :func:`migrate` applies the numbered migrations of
:mod:`isoplan.ledger.schema`, each in its own write transaction, and records
them. Exact values are stored as decimal text (:func:`dec_text`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from isoplan.errors import InputError
from isoplan.ledger.schema import LATEST, MIGRATIONS, TRACKING_TABLE

__all__ = ["LATEST", "MIGRATIONS", "connect", "current_version", "dec_text", "migrate", "write_transaction"]


def dec_text(value: Decimal) -> str:
    """Exact decimal text without exponent (``Decimal('1E+2')`` -> ``'100'``)."""
    return format(value, "f")


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """The one write path: ``BEGIN IMMEDIATE`` (take the write lock now), ``COMMIT`` or ``ROLLBACK``."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection in autocommit mode (we issue BEGIN/COMMIT ourselves), rows by name, foreign keys on."""
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=10.0)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    return conn


def current_version(conn: sqlite3.Connection) -> int:
    """The newest migration applied (0: none, or not an isoplan ledger yet)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection,
            migrations: Sequence[tuple[int, str, Sequence[str]]] = MIGRATIONS) -> list[int]:
    """Apply the migrations not yet applied, each in its own write transaction; return their numbers."""
    versions = [m[0] for m in migrations]
    if versions != sorted(set(versions)):
        raise ValueError("migrations must have increasing, unique versions")
    with write_transaction(conn):
        conn.execute(TRACKING_TABLE)
    done = current_version(conn)
    newest = versions[-1] if versions else 0
    if done > newest:
        raise InputError("ledger schema", done,
                         f"version {newest} or older: this ledger was written by a newer isoplan")
    applied = []
    for version, name, statements in migrations:
        if version <= done:
            continue
        with write_transaction(conn):
            # re-check inside the lock: another process may have migrated meanwhile
            if current_version(conn) >= version:
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, datetime.now(UTC).isoformat(timespec="seconds")),
            )
        applied.append(version)
    return applied


def open_connection(path: Path, *, create: bool) -> sqlite3.Connection:
    """Open the ledger file at ``path`` and bring its schema up to date (a newer schema is refused)."""
    if not path.exists():
        if not create:
            raise InputError("--db", str(path), "an existing ledger file (run `isoplan ledger init` first)")
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = connect(path)
        version = current_version(conn)
    except sqlite3.DatabaseError as err:
        raise InputError("--db", str(path), f"an isoplan ledger (SQLite said: {err})") from None
    if version < LATEST:
        migrate(conn)
    elif version > LATEST:
        conn.close()
        raise InputError("ledger schema", version, f"version {LATEST} or older: written by a newer isoplan")
    return conn
