"""An ISO priced below its grant-date FMV: refused unless the good-faith valuation of IRC §422(c)(1) is stated;
stated, it is stored, exported and imported; a ledger recorded before the check still opens (flagged)."""

import json

from isoplan.app import ledger as app
from isoplan.cli import main
from isoplan.ledger.db import MIGRATIONS, connect, migrate

ADD = ["ledger", "add-grant", "below", "--company", "Acme", "--kind", "iso", "--date", "2024-01-10",
       "--shares", "1000", "--strike", "1", "--fmv", "3", "--vested"]


def run_json(capsys, *argv):
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_below_fmv_iso_is_refused_naming_the_rule(tmp_path, capsys):
    db = str(tmp_path / "l.db")
    assert main([*ADD, "--db", db]) == 2
    err = capsys.readouterr().err
    assert "§422(b)(4)" in err and "good-faith" in err


def test_good_faith_valuation_is_kept_flagged_and_travels(tmp_path, capsys):
    db = str(tmp_path / "l.db")
    assert main([*ADD, "--good-faith-valuation", "--db", db]) == 0
    grants = run_json(capsys, "ledger", "grants", "--db", db, "--json")
    assert grants[0]["good_faith_valuation"] is True and "§422(c)(1)" in grants[0]["notes"][0]
    assert main(["ledger", "grants", "--db", db]) == 0
    assert "Note: grant below: ISO priced at 1 below its grant-date FMV 3" in capsys.readouterr().out
    out, folder = tmp_path / "e.json", tmp_path / "csv"
    assert main(["ledger", "export", "--db", db, "--out", str(out), "--csv", str(folder)]) == 0
    assert json.loads(out.read_text())["grants"][0]["good_faith_valuation"] is True
    assert "good_faith_valuation" in (folder / "grants.csv").read_text().splitlines()[0]
    for source, name in ((out, "j.db"), (folder, "c.db")):
        other = str(tmp_path / name)
        assert main(["ledger", "import", str(source), "--db", other]) == 0
        again = run_json(capsys, "ledger", "grants", "--db", other, "--json")
        assert again[0]["good_faith_valuation"] is True


def test_web_grant_form_states_good_faith(tmp_path):
    from isoplan.web.ledger_api import add_grant

    db = str(tmp_path / "w.db")
    body = {"id": "g", "company": "Acme", "kind": "iso", "date": "2024-01-10", "shares": "10", "strike": "1",
            "fmv": "3", "vested": "on", "good_faith_valuation": "on"}
    add_grant(db, body)
    assert app.grants(tmp_path / "w.db").grants[0].grant.good_faith_valuation


def test_a_ledger_recorded_before_the_check_still_opens(tmp_path, capsys):
    path = tmp_path / "old.db"
    conn = connect(path)
    assert migrate(conn, MIGRATIONS[:3]) == [1, 2, 3]  # written before the good-faith column
    conn.execute("INSERT INTO grants (id, company, kind, grant_date, shares, strike, fmv_at_grant, expiration_date) "
                 "VALUES ('old', 'Acme', 'ISO', '2024-01-10', 100, '1', '3', '2034-01-10')")
    conn.execute("INSERT INTO vesting_tranches VALUES ('old', 0, '2024-01-10', 100)")
    conn.close()
    rows = app.grants(path).grants
    assert rows[0].grant.kind == "ISO" and rows[0].grant.good_faith_valuation
    assert "recorded before isoplan checked IRC §422(b)(4)" in rows[0].notes[0]
    assert app.years(path).rows == ()  # the other views open too
    out = tmp_path / "e.json"
    assert main(["ledger", "export", "--db", str(path), "--out", str(out)]) == 0
    assert main(["ledger", "import", str(out), "--db", str(tmp_path / "new.db")]) == 0
