"""`isoplan ledger ...` through the real entry point, on fresh temporary ledgers."""

import json
import subprocess
import sys
from datetime import date

import pytest

from isoplan.cli import main


@pytest.fixture
def ledger(tmp_path, capsys):
    db = str(tmp_path / "ledger.db")

    def run(*argv):
        code = main(["ledger", "--db", db, *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def populated(ledger):
    assert ledger("add-grant", "hire", "--company", "Acme", "--kind", "iso", "--date", "2023-01-10",
                  "--shares", "40000", "--strike", "2")[0] == 0
    assert ledger("exercise", "e1", "--grant", "hire", "--date", "2025-03-01", "--shares", "20000",
                  "--fmv", "22")[0] == 0
    for year in ("2025", "2026"):
        assert ledger("income", year, "--status", "single", "--wages", "200,000")[0] == 0


def test_init_and_default_location(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ISOPLAN_DB", str(tmp_path / "env.db"))
    assert main(["ledger", "init"]) == 0
    assert "env.db" in capsys.readouterr().out and (tmp_path / "env.db").exists()
    monkeypatch.delenv("ISOPLAN_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert main(["ledger", "init", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["path"] == str(tmp_path / "xdg" / "isoplan" / "ledger.db") and data["schema_version"] >= 1


def test_the_years_table_through_the_command(ledger):
    populated(ledger)
    code, out, _ = ledger("years", "--json", "--explain")
    assert code == 0
    years = {y["year"]: y for y in json.loads(out)["years"]}
    assert years[2025]["outputs"]["amt"] == pytest.approx(101_483, abs=1)  # TAX_FACTS F
    assert years[2025]["credit_created"] == pytest.approx(101_483, abs=1)
    assert years[2026]["credit_used"] == pytest.approx(36_734 - 28_574, abs=1)
    assert years[2026]["form8801"]["line21"] == pytest.approx(101_483, abs=1)
    code, out, _ = ledger("years", "--explain")
    assert "Form 8801 25" in out and "$101,483" in out and "credit created" in out


def test_reports_in_text_and_json(ledger):
    populated(ledger)
    assert ledger("sell", "s1", "--lot", "e1", "--date", "2026-06-01", "--shares", "5000", "--price", "30")[0] == 0
    code, out, _ = ledger("lots", "--json")
    lot = json.loads(out)[0]
    assert (lot["held"], lot["regular_basis"], lot["amt_basis"]) == (15_000, "40000", "440000")
    assert lot["qualifying_date"] == "2026-03-02"
    code, out, _ = ledger("sales", "--json")
    sale = json.loads(out)[0]
    assert sale["tax"]["qualifying"] and sale["tax"]["line2k"] == -(22 - 2) * 5_000
    for sub in ("grants", "lots", "sales", "vest-schedule"):
        code, out, _ = ledger(sub)
        assert code == 0 and out.strip(), sub
    code, out, _ = ledger("vest-schedule", "hire", "--json")
    assert sum(row["iso_shares"] for row in json.loads(out)) == 40_000


def test_bad_input_is_one_line_and_exit_2(ledger):
    populated(ledger)
    code, _out, err = ledger("exercise", "e2", "--grant", "hire", "--date", "2025-03-01", "--shares", "5000",
                            "--fmv", "22")
    assert code == 2 and err.count("\n") == 1 and err.startswith("isoplan ledger: shares: 5000")
    code, _, err = ledger("sell", "s9", "--lot", "e1", "--date", "2024-01-01", "--shares", "1", "--price", "3")
    assert code == 2 and "on or after the exercise" in err
    code, _, err = ledger("exercise", "e3", "--grant", "hire", "--date", "2025-13-01", "--shares", "1", "--fmv", "2")
    assert code == 2 and "YYYY-MM-DD" in err


def test_missing_ledger_file(tmp_path, capsys):
    code = main(["ledger", "--db", str(tmp_path / "none.db"), "lots"])
    assert code == 2 and "ledger init" in capsys.readouterr().err


def test_export_import_round_trip_through_the_commands(ledger, tmp_path, capsys):
    populated(ledger)
    ledger("sell", "s1", "--date", "2025-12-01", "--shares", "100", "--price", "25")
    out_json = tmp_path / "x.json"
    assert ledger("export", "--out", str(out_json), "--csv", str(tmp_path / "csv"))[0] == 0
    _code, stdout, _ = ledger("export")
    assert json.loads(stdout) == json.loads(out_json.read_text())
    other = str(tmp_path / "other.db")
    for source in (str(out_json), str(tmp_path / "csv")):
        if (tmp_path / "other.db").exists():
            (tmp_path / "other.db").unlink()
        assert main(["ledger", "--db", other, "import", source]) == 0
        capsys.readouterr()
        assert main(["ledger", "--db", other, "export"]) == 0
        assert json.loads(capsys.readouterr().out) == json.loads(out_json.read_text())


def test_calendar_is_valid_rfc5545(ledger, tmp_path):
    import icalendar  # test-only dependency (pyproject dev extra)

    populated(ledger)
    out = tmp_path / "isoplan.ics"
    assert ledger("calendar", "--out", str(out), "--through", "2026")[0] == 0
    raw = out.read_bytes()
    assert b"\r\n" in raw and all(len(line) <= 75 for line in raw.split(b"\r\n"))
    cal = icalendar.Calendar.from_ical(raw)
    events = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
    qualifying = events["ISO lot e1 qualifies today"]
    assert qualifying.decoded("DTSTART") == date(2026, 3, 2)
    assert events["Sell or hold? Year-end decision for 2025"].decoded("DTSTART") == date(2025, 12, 1)
    assert events["Sell or hold? Year-end decision for 2026"].decoded("DTSTART") == date(2026, 12, 1)
    amt = [e for s, e in events.items() if s.startswith("AMT for 2025 due")]
    assert amt and amt[0].decoded("DTSTART") == date(2026, 4, 15)
    assert not any(s.startswith("AMT for 2026") for s in events)  # no AMT in 2026
    assert len({str(e["UID"]) for e in cal.walk("VEVENT")}) == len(events)


def test_ledger_help_does_not_import_numpy():
    code = ("import sys; from isoplan.cli import main\n"
            "try:\n    main(['ledger', '--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'numpy' not in sys.modules, 'numpy imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
