"""Every case of bad input the hardening review found ends in exit status 2 (or a 4xx) and one line naming the
field and the value, and leaves the ledger and the input files as they were."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from pathlib import Path

import pytest

from isoplan.cli import main

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "examples" / "three-grants-ten-years.toml"
HOUSEHOLD = ["--year", "2025", "--status", "single", "--wages", "200000"]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def _refused(capsys, argv: list[str], *words: str) -> str:
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def book(tmp_path, capsys):
    db = tmp_path / "l.db"
    assert main(["ledger", "--db", str(db), "add-grant", "G", "--company", "Acme", "--kind", "iso",
                 "--date", "2022-01-15", "--shares", "10", "--strike", "1", "--vested"]) == 0
    assert main(["ledger", "--db", str(db), "exercise", "L", "--grant", "G", "--date", "2023-01-01",
                 "--shares", "5", "--fmv", "3"]) == 0
    capsys.readouterr()
    return db


@pytest.mark.parametrize("argv, words", [
    (["add-grant", "G2", "--company", "Acme", "--kind", "iso", "--date", "2022-01-15", "--shares", "10",
      "--strike", "1e400"], ["--strike", "1e400"]),
    (["add-grant", "G2", "--company", "Acme", "--kind", "iso", "--date", "2022-01-15", "--shares", "10",
      "--strike", "1", "--vest-months", "99999999"], ["--vest-months", "99999999"]),
    (["exercise", "L2", "--grant", "G", "--date", "2023-01-01", "--shares", "1", "--fmv", "1e308"],
     ["--fmv", "1e308"]),
    (["sell", "S", "--lot", "L", "--date", "2024-01-01", "--shares", "1", "--price", "1e400"], ["--price", "1e400"]),
    (["income", "2024", "--status", "single", "--long-term-gain", "1e400"], ["--long-term-gain", "1e400"]),
    (["delete", "grant", "G"], ["grant", "'G'", "lots"]),
    (["edit", "lot", "L", "--fmv", "inf"], ["--fmv", "inf"]),
])
def test_a_bad_ledger_value_writes_nothing(book, capsys, argv, words):
    before = _digest(book)
    _refused(capsys, ["ledger", "--db", str(book), *argv], *words)
    assert _digest(book) == before


def test_a_wrong_grant_can_be_deleted_and_the_deletion_is_logged(book, capsys):
    assert main(["ledger", "--db", str(book), "delete", "lot", "L"]) == 0
    assert main(["ledger", "--db", str(book), "delete", "grant", "G"]) == 0
    assert main(["ledger", "--db", str(book), "check"]) == 0
    rows = sqlite3.connect(book).execute("SELECT action, kind, record_id FROM audit_log ORDER BY seq").fetchall()
    assert rows == [("delete", "lot", "L"), ("delete", "grant", "G")]


def test_an_edit_that_breaks_an_invariant_is_rolled_back(book, capsys):
    assert main(["ledger", "--db", str(book), "sell", "S", "--lot", "L", "--date", "2024-01-01", "--shares", "2",
                 "--price", "4"]) == 0
    capsys.readouterr()
    before = _digest(book)
    _refused(capsys, ["ledger", "--db", str(book), "edit", "sale", "S", "--shares", "9"], "sale", "'S'")
    _refused(capsys, ["ledger", "--db", str(book), "edit", "sale", "S", "--date", "2022-06-01"], "before")
    assert _digest(book) == before


def test_backup_refuses_the_ledger_itself_and_copies_it(book, capsys, tmp_path):
    before = _digest(book)
    _refused(capsys, ["ledger", "--db", str(book), "backup", str(book)], "FILE")
    assert _digest(book) == before
    copy = tmp_path / "copy.db"
    assert main(["ledger", "--db", str(book), "backup", str(copy)]) == 0
    assert main(["ledger", "--db", str(copy), "lots", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.split("\n", 1)[1])[0]["id"] == "L"


def test_a_damaged_ledger_is_one_line(book, capsys):
    data = bytearray(book.read_bytes())
    data[4096 * 2:4096 * 3] = b"\xde\xad" * 2048
    book.write_bytes(bytes(data))
    before = _digest(book)
    _refused(capsys, ["ledger", "--db", str(book), "grants"], "damaged", "backup")
    assert _digest(book) == before


def test_a_foreign_database_is_one_line_and_left_alone(tmp_path, capsys):
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    before = _digest(db)
    _refused(capsys, ["ledger", "--db", str(db), "add-grant", "G", "--company", "A", "--kind", "iso", "--date",
                      "2022-01-15", "--shares", "1", "--strike", "1", "--vested"], "not an isoplan ledger")
    assert _digest(db) == before


def test_a_read_only_ledger_is_one_line(book, capsys, monkeypatch):
    import isoplan.ledger.db as db_module

    real = db_module.connect

    def read_only(path):  # as a file the user may not write (root ignores chmod, so open it read-only)
        conn = real(f"file:{path}?mode=ro")
        return conn

    monkeypatch.setattr(sqlite3, "connect", _uri_connect(sqlite3.connect))
    monkeypatch.setattr(db_module, "connect", read_only)
    before = _digest(book)
    _refused(capsys, ["ledger", "--db", str(book), "income", "2024", "--status", "single", "--wages", "1"],
             "read-only")
    assert _digest(book) == before


def _uri_connect(real):
    def connect(database, *args, **kwargs):
        if str(database).startswith("file:"):
            kwargs["uri"] = True
        return real(database, *args, **kwargs)
    return connect


@pytest.mark.parametrize("argv, words", [
    (["room", *HOUSEHOLD, "--fmv", "inf", "--strike", "1"], ["--fmv", "inf"]),
    (["cost", *HOUSEHOLD, "--strike", "1e300", "--fmv", "1e308", "--shares", "10", "--json"], ["--strike", "1e+300"]),
    (["cost", *HOUSEHOLD, "--strike", "1", "--fmv", "2", "--shares", "99999999999999999999999"], ["--shares"]),
    (["tax", "--year", "2025", "--status", "single", "--wages", "1e300"], ["wages", "1e+300"]),
])
def test_inf_and_overflow_are_refused(capsys, argv, words):
    _refused(capsys, argv, *words)


def test_outputs_in_a_missing_folder_are_one_line(book, capsys, tmp_path):
    _refused(capsys, ["ledger", "--db", str(book), "calendar", "--out", str(tmp_path / "no" / "x.ics")], "--out")
    _refused(capsys, ["ledger", "--db", str(book), "export", "--out", str(tmp_path)], "--out", "folder")
    _refused(capsys, ["checklist", str(PLAN), "--ics", str(tmp_path / "no" / "x.ics"), "--no-risk"], "--ics")


@pytest.mark.parametrize("text, words", [
    (b"year,filing_status,wages,wages\n2025,single,1,2\n", ["column 4", "'wages'", "twice"]),
    (b"year,filing_status,wages\n2025,single\n", ["row 1", "3 cells"]),
    (b"year,filing_status,wages,bogus\n2025,single,1,2\n", ["bogus"]),
    (b"year,filing_status,wages\n2025,single,\xff\n", ["row 1", "UTF-8"]),
    (b"year,filing_status,wages\n2025,single,inf\n", ["row 1", "wages", "inf"]),
])
def test_bad_batch_files_name_the_row_and_column(capsys, tmp_path, text, words):
    batch = tmp_path / "in.csv"
    batch.write_bytes(text)
    _refused(capsys, ["tax", "--batch", str(batch), "--out", str(tmp_path / "out.csv")], *words)
    assert batch.read_bytes() == text and not (tmp_path / "out.csv").exists()


def test_out_equal_to_the_input_is_refused(capsys, tmp_path):
    batch = tmp_path / "in.csv"
    batch.write_bytes(b"year,filing_status,wages\n2025,single,1\n")
    before = _digest(batch)
    _refused(capsys, ["tax", "--batch", str(batch), "--out", str(batch)], "--out")
    assert _digest(batch) == before


def _plan_variant(tmp_path: Path, old: str, new: str) -> Path:
    text = PLAN.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "plan.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_plan_file_datetimes_deep_nesting_and_inf_are_refused(capsys, tmp_path):
    path = _plan_variant(tmp_path, "exit_date = 2036-11-15", "exit_date = 2036-11-15T00:00:00")
    _refused(capsys, ["plan", str(path)], "plan.exit_date", "2036-11-15T00:00:00")
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    _refused(capsys, ["plan", str(deep)], "nested")
    path = _plan_variant(tmp_path, "growth = 0.07", "growth = inf")
    _refused(capsys, ["plan", str(path)], "stock.growth", "inf")


def test_plan_and_risk_past_the_memory_budget_are_refused_at_once(capsys):
    _refused(capsys, ["plan", str(PLAN), "--grid", "400"], "--grid", "400", "at most")
    _refused(capsys, ["risk", str(PLAN), "--paths", "10000000"], "--paths", "10000000", "at most")


# ---------------------------------------------------------------- web


def _call(app, method: str, path: str, query: str = "", body: bytes = b"", length: str | None = None):
    env = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "HTTP_HOST": "127.0.0.1:8765",
           "wsgi.input": io.BytesIO(body), "CONTENT_TYPE": "application/json",
           "HTTP_X_CSRF_TOKEN": app.csrf_token}
    if length is not None:
        env["CONTENT_LENGTH"] = length
    seen = {}
    out = b"".join(app(env, lambda status, headers: seen.update(status=status, headers=dict(headers))))
    return seen["status"], seen["headers"], out


@pytest.fixture
def web(tmp_path):
    from isoplan.web.app import create_app

    return create_app(db=str(tmp_path / "web.db"), port=8765)


def test_web_bad_values_are_400_naming_the_field(web, tmp_path):
    status, _, body = _call(web, "GET", "/api/room", "shares=99999999999999999999&fmv=1e308&strike=1&year=2025"
                                                     "&filing_status=single")
    assert status.startswith("400") and json.loads(body)["error"]["field"] in ("shares", "fmv")
    status, _, body = _call(web, "POST", "/api/plan", body=b"{}", length="-5")
    assert status.startswith("400") and b"Content-Length" in body
    text = PLAN.read_text(encoding="utf-8").replace("exit_date = 2036-11-15", "exit_date = 2036-11-15T00:00:00")
    payload = json.dumps({"toml": text}).encode()
    status, _, body = _call(web, "POST", "/api/plan", body=payload, length=str(len(payload)))
    assert status.startswith("400") and json.loads(body)["error"]["field"] == "plan.exit_date"
    grant = json.dumps({"id": "G", "company": "A", "kind": "iso", "date": "2022-01-15", "shares": "10",
                        "strike": "1e400"}).encode()
    status, _, body = _call(web, "POST", "/api/ledger/grant", body=grant, length=str(len(grant)))
    assert status.startswith("400") and json.loads(body)["error"]["field"] == "strike"
    assert not (tmp_path / "web.db").exists()


def test_head_has_no_body(web):
    status, headers, body = _call(web, "HEAD", "/")
    assert status.startswith("200") and body == b"" and int(headers["Content-Length"]) > 0


def test_docs_limits_names_every_bound():
    from isoplan.app import common, household, ledger, plan, risk
    from isoplan.web import app as web_app

    text = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
    modules = [common, household, ledger, plan, risk, web_app]
    bounds = [name for module in modules for name in vars(module)
              if name.isupper() and name.startswith(("MAX_", "MEMORY_", "TIME_"))]
    missing = [name for name in bounds if name not in text]
    assert len(bounds) >= 10 and not missing, missing


def test_one_share_bound_for_the_application_and_the_equity_law():
    from isoplan.app.common import MAX_SHARES
    from isoplan.equity.records import MAX_SHARES as EQUITY_MAX_SHARES

    assert MAX_SHARES == EQUITY_MAX_SHARES == 10_000_000_000


def test_one_amount_bound_for_the_application_and_the_equity_law():
    from isoplan.app.common import MAX_MONEY
    from isoplan.equity.records import MAX_AMOUNT

    assert MAX_MONEY == float(MAX_AMOUNT) == 1e12
