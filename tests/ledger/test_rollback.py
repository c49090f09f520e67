"""All or nothing, tested so that it can fail: a failure after k rows of a multi-row import writes nothing.

The failure is injected inside SQLite, after the import has already written
rows: a TEMP trigger (it lives in the connection, not in the file) aborts the
insert of lot number k + 1. Without the transaction the first k lots (and the
grant made for them) would already be committed; the last test removes the
transaction and checks that the probe then does see those rows, so these
tests are not vacuous.
"""

from __future__ import annotations

import contextlib
import csv
import sqlite3
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from isoplan.errors import InputError
from isoplan.ledger import store
from isoplan.ledger.importers.form3921 import read_form3921_csv
from isoplan.ledger.store import Ledger
from isoplan.ledger.transfer import records_from_export

TABLES = ("grants", "vesting_tranches", "lots", "sales", "tax_years", "income")
ROWS = 6  # Form 3921 rows in the import
FAIL_AFTER = 3  # lots of the import written before the injected failure


def counts(db: Path) -> dict[str, int]:
    """Row counts read through a fresh connection: what another process would see."""
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        conn.close()


def form3921(path: Path) -> str:
    """Six exercises of one grant (Acme, granted 2021-02-01 at $1.50), each a new lot."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["company", "grant_date", "exercise_date", "exercise_price", "fmv_at_exercise", "shares"])
        for i in range(ROWS):
            writer.writerow(["Acme", "2021-02-01", f"2025-0{i + 1}-03", "1.50", "12.00", str(100 + i)])
    return str(path)


def fail_after(book: Ledger, table: str, rows: int) -> None:
    """Make the insert of row ``rows + 1`` into ``table`` (counting rows already there) fail inside SQLite."""
    before = book.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    book.conn.execute(
        f"CREATE TEMP TRIGGER fail_{table} BEFORE INSERT ON main.{table} "
        f"WHEN (SELECT count(*) FROM main.{table}) >= {before + rows} "
        f"BEGIN SELECT RAISE(ABORT, 'injected failure after {rows} rows'); END"
    )


@pytest.fixture
def seeded(tmp_path, make_grant):
    """A ledger that already holds a grant, a lot and a tax year, so "unchanged" is not "empty"."""
    db = tmp_path / "ledger.db"
    with Ledger.open(db, create=True) as book:
        book.add_grant(make_grant())
        book.exercise(grant_id="hire", lot_id="e1", exercise_date=date(2025, 3, 1), shares=100,
                      fmv_at_exercise=D("9"))
        book.set_income(2024, "single", {"wages": "150000"})
    return db


def import_with_failure(db: Path, csv_path: str) -> None:
    with Ledger.open(db) as book:
        fail_after(book, "lots", FAIL_AFTER)
        with pytest.raises(sqlite3.IntegrityError, match=f"injected failure after {FAIL_AFTER} rows"):
            book.import_3921(read_form3921_csv(csv_path), csv_path)


def test_a_failure_after_k_rows_of_a_form_3921_import_writes_nothing(tmp_path, seeded):
    path = form3921(tmp_path / "f.csv")
    before_counts, before_bytes = counts(seeded), seeded.read_bytes()
    assert before_counts["lots"] == 1 and before_counts["grants"] == 1

    import_with_failure(seeded, path)

    assert counts(seeded) == before_counts
    assert seeded.read_bytes() == before_bytes
    assert not Path(f"{seeded}-journal").exists()
    # the trigger was TEMP: the same import then goes through whole
    with Ledger.open(seeded) as book:
        book.import_3921(read_form3921_csv(path), path)
    assert counts(seeded)["lots"] == 1 + ROWS


def test_a_later_record_refused_by_validation_undoes_the_rows_already_written(tmp_path, seeded, make_grant):
    # an export with a new grant, two lots and a sale, then a tax year the ledger already has: the grant,
    # lots and sale are inserted before the year is refused
    other = tmp_path / "other.db"
    with Ledger.open(other, create=True) as book:
        book.add_grant(make_grant("second", granted=date(2022, 5, 2), shares=4_800))
        for n, day in enumerate((date(2024, 6, 3), date(2024, 7, 1)), start=1):
            book.exercise(grant_id="second", lot_id=f"s{n}", exercise_date=day, shares=50,
                          fmv_at_exercise=D("7"))
        book.sell(lot_id="s1", sale_id="sale1", sale_date=date(2025, 8, 1), shares=10, price=D("20"))
        book.set_income(2024, "mfj", {"wages": "90000"})
        data = book.export_data()
    before_counts, before_bytes = counts(seeded), seeded.read_bytes()

    with Ledger.open(seeded) as book, pytest.raises(InputError, match="2024"):
        book.import_data(records_from_export(data, "other.json"), "other.json")

    assert counts(seeded) == before_counts
    assert seeded.read_bytes() == before_bytes


def test_the_probe_sees_the_rows_when_the_transaction_is_removed(tmp_path, seeded, monkeypatch):
    # the same failure with every write in autocommit mode: the first k lots stay, so the tests above can fail
    @contextlib.contextmanager
    def no_transaction(conn):
        yield conn

    monkeypatch.setattr(store, "write_transaction", no_transaction)
    path = form3921(tmp_path / "f.csv")
    before_counts, before_bytes = counts(seeded), seeded.read_bytes()

    import_with_failure(seeded, path)

    after = counts(seeded)
    assert after["lots"] == before_counts["lots"] + FAIL_AFTER
    assert after["grants"] == before_counts["grants"] + 1  # the placeholder grant for the file
    assert seeded.read_bytes() != before_bytes
