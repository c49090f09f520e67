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

__all__ = ["LATEST", "MIGRATIONS", "LedgerFileError", "connect", "current_version", "dec_text", "file_error", "migrate",
           "write_transaction"]


class LedgerFileError(InputError):
    """A ledger file isoplan cannot use as it is: what is wrong with it and what to do, in one line."""

    def __init__(self, path: Path | str, problem: str, remedy: str) -> None:
        self.problem = problem
        self.remedy = remedy
        super().__init__("ledger", str(path), f"{problem}; {remedy}")

    @property
    def message(self) -> str:
        return f"ledger {self.value}: {self.problem}; {self.remedy}"


def file_error(path: Path | str, err: sqlite3.Error) -> LedgerFileError:
    """What an SQLite error on the ledger file means for the user, and what to do about it."""
    text = str(err).lower()
    if "readonly" in text or "read-only" in text:
        return LedgerFileError(path, "the file is read-only",
                               "make it writable (chmod u+w) or copy it and pass the copy with --db")
    if "malformed" in text or "corrupt" in text:
        return LedgerFileError(path, f"the database is damaged (SQLite: {err})",
                               "restore a copy made with `isoplan ledger backup`; `isoplan ledger check` lists "
                               "what is readable")
    if "not a database" in text or "encrypted" in text:
        return LedgerFileError(path, "the file is not an SQLite database",
                               "pass an isoplan ledger with --db, or a new file name to start one")
    if "unable to open" in text or "disk i/o" in text:
        return LedgerFileError(path, f"the file cannot be opened (SQLite: {err})",
                               "check that it is a file (not a folder) in a folder you may write")
    if "locked" in text or "busy" in text:
        return LedgerFileError(path, "another program is writing the ledger", "try again when it has finished")
    if "disk is full" in text or "full" in text:
        return LedgerFileError(path, "the disk is full", "free some space and try again (nothing was written)")
    return LedgerFileError(path, f"SQLite refused the file ({err})",
                           "run `isoplan ledger check`, or restore a copy made with `isoplan ledger backup`")


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
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise LedgerFileError(path, f"its folder cannot be made ({err.strerror})",
                                  "pass --db with a file in a folder you may write") from None
    if path.is_dir():
        raise LedgerFileError(path, "this is a folder", "pass a ledger file with --db")
    conn = None
    try:
        conn = connect(path)
        version = current_version(conn)
        if version == 0 and _foreign_tables(conn):
            raise LedgerFileError(path, "an SQLite database, but not an isoplan ledger",
                                  "pass an isoplan ledger with --db, or a new file name to start one")
        if version < LATEST:
            migrate(conn)
    except sqlite3.Error as err:
        if conn is not None:
            conn.close()
        raise file_error(path, err) from None
    except InputError:
        if conn is not None:
            conn.close()
        raise
    if version > LATEST:
        conn.close()
        raise InputError("ledger schema", version, f"version {LATEST} or older: written by a newer isoplan")
    return conn


def _foreign_tables(conn: sqlite3.Connection) -> list[str]:
    """Tables of a database with no migration record: another program's (isoplan never writes there)."""
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                        "AND name != 'schema_migrations'").fetchall()
    return [row[0] for row in rows]
