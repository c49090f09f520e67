"""Form 3921 import: boxes 1-5 and the company, duplicates refused, all or nothing, even when killed."""

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from isoplan.errors import InputError
from isoplan.ledger.importers.form3921 import read_form3921_csv
from isoplan.ledger.store import Ledger

HEADER = ["company", "grant_date", "exercise_date", "exercise_price", "fmv_at_exercise", "shares"]


def write_csv(path, rows, header=HEADER):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def test_import_makes_iso_lots_and_a_placeholder_grant(tmp_path, book):
    path = write_csv(tmp_path / "f.csv", [
        ["Acme Corp", "2021-02-01", "2025-03-03", "1.50", "12.00", "1000"],
        ["Acme Corp", "2021-02-01", "2025-09-01", "1.50", "15.00", "500"],
    ])
    lots = book.import_3921(read_form3921_csv(path), path)
    assert [(lot.kind, lot.shares, lot.amt_adjustment) for lot in lots] == [
        ("ISO", 1000, D("10500.00")),  # (box 4 - box 3) * box 5 = (12 - 1.5) * 1,000
        ("ISO", 500, D("6750.00")),  # (15 - 1.5) * 500
    ]
    grants = book.grants()
    assert len(grants) == 1 and grants[0].shares == 1500 and grants[0].kind == "ISO"
    source = book.grant_rows()[0]["source"]
    assert source == "form3921"


def test_import_attaches_to_a_matching_grant(tmp_path, book, make_grant):
    book.add_grant(make_grant(granted=date(2021, 2, 1), strike="1.50"))
    path = write_csv(tmp_path / "f.csv", [["Acme", "2021-02-01", "2025-03-03", "1.50", "12", "100"]])
    lots = book.import_3921(read_form3921_csv(path), path)
    assert lots[0].grant_id == "hire" and len(book.grants()) == 1


def test_box_headers_are_accepted(tmp_path, book):
    path = write_csv(tmp_path / "f.csv", [["Acme", "2021-02-01", "2025-03-03", "1.5", "12", "100"]],
                     header=["Company", "Box 1", "Box 2", "Box 3", "Box 4", "Box 5"])
    assert len(book.import_3921(read_form3921_csv(path), path)) == 1


def test_duplicates_are_refused_and_nothing_is_imported(tmp_path, book):
    row = ["Acme", "2021-02-01", "2025-03-03", "1.50", "12.00", "1000"]
    path = write_csv(tmp_path / "dup.csv", [row, ["Acme", "2021-02-01", "2025-04-01", "1.5", "13", "5"], row])
    with pytest.raises(InputError, match=r"row 3.*repeats row 1"):
        book.import_3921(read_form3921_csv(path), path)
    assert book.lots() == [] and book.grants() == []
    once = write_csv(tmp_path / "once.csv", [row])
    book.import_3921(read_form3921_csv(once), once)
    with pytest.raises(InputError, match="repeats lot"):
        book.import_3921(read_form3921_csv(once), once)
    assert len(book.lots()) == 1


def test_bad_cells_name_row_and_box(tmp_path):
    path = write_csv(tmp_path / "bad.csv", [["Acme", "2021-02-01", "2025-03-03", "abc", "12", "1"]])
    with pytest.raises(InputError, match=r"row 1, box 3 exercise price"):
        read_form3921_csv(path)
    path = write_csv(tmp_path / "bad2.csv", [["Acme", "2021-02-01", "2025-03-03", "1", "12", "1"]],
                     header=["company", "grant_date", "exercise_date", "exercise_price", "fmv", "quantity"])
    with pytest.raises(InputError, match="quantity"):
        read_form3921_csv(path)


def test_exercise_before_grant_is_refused(tmp_path, book):
    path = write_csv(tmp_path / "f.csv", [["Acme", "2025-02-01", "2025-01-03", "1", "12", "1"]])
    with pytest.raises(InputError, match="row 1"):
        book.import_3921(read_form3921_csv(path), path)
    assert book.grants() == []


def test_killed_in_the_middle_of_a_large_import_leaves_none_or_all(tmp_path):
    n = 20_000
    rows = [["Acme", "2020-01-15", (date(2021, 1, 1) + timedelta(days=i % 1500)).isoformat(), "1.25", "7.5",
             str(1 + i // 1500 + (i % 7) * 1000)] for i in range(n)]
    path = write_csv(tmp_path / "big.csv", rows)
    db = tmp_path / "ledger.db"
    Ledger.open(db, create=True).close()
    journal = tmp_path / "ledger.db-journal"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "isoplan", "ledger", "--db", str(db), "import-3921", path],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 60
    # wait until the transaction writes (its rollback journal appears), then kill without warning
    while not journal.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    if killed:
        assert proc.returncode == -signal.SIGKILL
    else:  # it finished before the kill: then it must have finished well
        assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with Ledger.open(db) as book:  # opens cleanly: the hot journal is rolled back
        count = len(book.lots())
        assert count in (0, n)
        assert count == (0 if killed else n)
        if killed:
            assert count == 0
            assert book.grants() == []
            # and the same import then goes through whole
            book.import_3921(read_form3921_csv(path), path)
            assert len(book.lots()) == n
