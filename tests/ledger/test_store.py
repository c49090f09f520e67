"""The ledger file: schema and migrations, exact values, refusals that change nothing, round trips."""

import sqlite3
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest

from isoplan.errors import InputError
from isoplan.ledger.db import LATEST, MIGRATIONS, current_version, migrate
from isoplan.ledger.paths import default_path
from isoplan.ledger.store import Ledger, connect
from isoplan.ledger.transfer import load_export, records_from_export, write_csv_dir, write_json


def test_default_path_follows_the_environment(tmp_path):
    assert default_path({"ISOPLAN_DB": str(tmp_path / "x.db"), "HOME": "/h"}) == tmp_path / "x.db"
    assert default_path({"XDG_DATA_HOME": "/data", "HOME": "/h"}) == Path("/data/isoplan/ledger.db")
    assert default_path({"HOME": "/h"}) == Path("/h/.local/share/isoplan/ledger.db")


def test_schema_has_no_real_columns_and_is_strict(book):
    tables = [r[0] for r in book.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert {"grants", "vesting_tranches", "lots", "sales", "tax_years", "income", "schema_migrations"} <= set(tables)
    money_columns = {"strike", "fmv_at_grant", "fmv_at_exercise", "fmv_at_vesting", "price", "amount"}
    seen = set()
    for table in tables:
        sql = book.conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        assert sql.rstrip().endswith("STRICT"), table
        for column in book.conn.execute(f"PRAGMA table_info({table})"):
            declared = column["type"].upper()
            assert declared in ("TEXT", "INTEGER"), (table, column["name"], declared)  # never REAL
            if column["name"] in money_columns:
                assert declared == "TEXT"
                seen.add(column["name"])
    assert seen == money_columns


def test_migrations_are_recorded_and_idempotent(tmp_path):
    conn = connect(tmp_path / "m.db")
    assert migrate(conn) == [m[0] for m in MIGRATIONS]
    assert migrate(conn) == []
    assert current_version(conn) == LATEST
    names = [r["name"] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY version")]
    assert names == [m[1] for m in MIGRATIONS]


def test_a_failing_migration_leaves_nothing_behind(tmp_path):
    conn = connect(tmp_path / "m.db")
    bad = (*MIGRATIONS, (LATEST + 1, "half", ("CREATE TABLE extra (x INTEGER) STRICT", "THIS IS NOT SQL")))
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, bad)
    assert current_version(conn) == LATEST
    assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'extra'").fetchone() is None


def test_a_newer_ledger_is_refused(tmp_path):
    path = tmp_path / "new.db"
    Ledger.open(path, create=True).close()
    conn = connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', 'x')")
    conn.close()
    with pytest.raises(InputError, match="newer isoplan"):
        Ledger.open(path)


def test_missing_ledger_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="ledger init"):
        Ledger.open(tmp_path / "none.db")


def test_exact_values_round_trip(book, make_grant):
    book.add_grant(make_grant(strike="0.3333", fmv="0.3333"))
    lots = book.exercise(grant_id="hire", lot_id="e", exercise_date=date(2025, 3, 1), shares=3,
                         fmv_at_exercise=D("10.0001"))
    stored = book.conn.execute("SELECT strike, fmv_at_exercise, typeof(strike) FROM lots").fetchone()
    assert tuple(stored) == ("0.3333", "10.0001", "text")
    lot = book.lots()[0]
    assert lot.regular_basis == D("0.9999") and lot.amt_adjustment == D("29.0004")  # exact: 3 * (10.0001 - 0.3333)
    assert lots[0] == lot


def snapshot(book):
    return book.export_data()


def test_refusals_change_nothing(book, make_grant):
    book.add_grant(make_grant())  # 40,000 shares, 12-month cliff on 2024-01-10, monthly after
    book.exercise(grant_id="hire", lot_id="e1", exercise_date=date(2025, 3, 1), shares=20_000,
                  fmv_at_exercise=D(20))
    book.sell(sale_id="s1", lot_id="e1", sale_date=date(2025, 6, 1), shares=1_000, price=D(25))
    before = snapshot(book)
    attempts = [
        ("grant id", lambda: book.add_grant(make_grant())),
        ("at most 833", lambda: book.exercise(grant_id="hire", lot_id="e2", exercise_date=date(2025, 3, 1),
                                              shares=834, fmv_at_exercise=D(20))),  # 20,833 vested - 20,000
        ("expiration", lambda: book.exercise(grant_id="hire", lot_id="e2", exercise_date=date(2033, 1, 11),
                                             shares=1, fmv_at_exercise=D(20))),
        ("grant date", lambda: book.exercise(grant_id="hire", lot_id="e2", exercise_date=date(2022, 1, 1),
                                             shares=1, fmv_at_exercise=D(20))),
        ("lot id", lambda: book.exercise(grant_id="hire", lot_id="e1", exercise_date=date(2025, 6, 1),
                                         shares=1, fmv_at_exercise=D(20))),
        ("at most 19000", lambda: book.sell(sale_id="s2", lot_id="e1", sale_date=date(2025, 7, 1), shares=19_001,
                                            price=D(25))),
        ("on or after the exercise", lambda: book.sell(sale_id="s2", lot_id="e1", sale_date=date(2025, 2, 1),
                                                       shares=1, price=D(25))),
        ("sale id", lambda: book.sell(sale_id="s1", lot_id="e1", sale_date=date(2025, 7, 1), shares=1,
                                      price=D(25))),
        ("grant", lambda: book.exercise(grant_id="nope", lot_id="e9", exercise_date=date(2025, 6, 1), shares=1,
                                        fmv_at_exercise=D(20))),
        ("status", lambda: book.set_income(2025, "married", {"wages": 1})),
        ("wages", lambda: book.set_income(2025, "single", {"wages": "-5"})),
    ]
    for expected, attempt in attempts:
        with pytest.raises(InputError, match=expected):
            attempt()
        assert snapshot(book) == before, expected


def test_fifo_sale_splits_across_lots(book, make_grant):
    book.add_grant(make_grant())
    book.exercise(grant_id="hire", lot_id="a", exercise_date=date(2024, 6, 1), shares=5_000, fmv_at_exercise=D(5))
    book.exercise(grant_id="hire", lot_id="b", exercise_date=date(2025, 6, 1), shares=5_000, fmv_at_exercise=D(9))
    sales = book.sell(sale_id="s", sale_date=date(2025, 7, 1), shares=6_000, price=D(12))
    assert [(s.id, s.lot_id, s.shares) for s in sales] == [("s", "a", 5_000), ("s-2", "b", 1_000)]
    assert book.held() == {"a": 0, "b": 4_000}


def test_income_entries_update_only_what_is_given(book):
    book.set_income(2025, "mfj", {"wages": "300,000", "state_local_tax": 25000})
    status, entry = book.set_income(2025, None, {"wages": 310_000})
    assert status == "mfj" and entry == {"wages": D(310_000), "state_local_tax": D(25_000)}
    status, entry = book.set_income(2025, "single", {"wages": 1}, clear=True)
    assert (status, entry) == ("single", {"wages": D(1)})


def _populate(book, make_grant):
    book.add_grant(make_grant(), vesting_rule="48 months")
    book.add_grant(make_grant("nso", kind="NSO", granted=date(2024, 2, 1), shares=1_000, strike="4",
                              early=True, months=12))
    book.exercise(grant_id="hire", lot_id="e1", exercise_date=date(2025, 3, 1), shares=20_000,
                  fmv_at_exercise=D("20.25"))
    book.exercise(grant_id="nso", lot_id="n1", exercise_date=date(2024, 3, 1), shares=600,
                  fmv_at_exercise=D(4), election_83b_date=date(2024, 3, 5))
    book.set_vesting_fmv("n1", D(7))
    book.sell(sale_id="s1", lot_id="e1", sale_date=date(2026, 6, 1), shares=5_000, price=D("33.10"),
              wash_sale_or_related_party=True)
    book.set_income(2025, "single", {"wages": 200_000, "amt_credit_carryforward": 12})
    book.set_income(2026, "single", {})


def test_export_then_import_round_trips_json_and_csv(tmp_path, book, make_grant):
    _populate(book, make_grant)
    data = book.export_data()
    write_json(data, str(tmp_path / "x.json"))
    write_csv_dir(data, str(tmp_path / "csv"))
    for name, source in (("from-json", tmp_path / "x.json"), ("from-csv", tmp_path / "csv")):
        other = Ledger.open(tmp_path / f"{name}.db", create=True)
        counts = other.import_data(load_export(str(source)), str(source))
        # the early exercise of 600 NSO shares vests on 18 dates: one lot each, plus e1
        assert counts == {"grants": 2, "lots": 1 + 18, "sales": 1, "years": 2} == {
            k: len(v) for k, v in data.items() if isinstance(v, list)}
        assert other.export_data() == data, name
        other.close()


def test_import_refuses_duplicates_and_imports_nothing(tmp_path, book, make_grant):
    _populate(book, make_grant)
    data = book.export_data()
    before = book.export_data()
    with pytest.raises(InputError, match="already in the ledger"):
        book.import_data(records_from_export(data, "x.json"), "x.json")
    assert book.export_data() == before
