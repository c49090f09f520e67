"""The ledger's use cases (isoplan.app.ledger): requests in, frozen records out, bad input refused before any write.

Each test works on a fresh ledger file in tmp_path. A refused request must
name the field and leave the file byte for byte as it was.
"""

import dataclasses
import hashlib
import json
from datetime import date
from decimal import Decimal as D

import pytest

from isoplan.app import ledger as app
from isoplan.app.common import tax_years
from isoplan.cli import main
from isoplan.errors import InputError
from isoplan.ledger.store import Ledger

GRANT = app.AddGrantRequest(id="hire", company="Acme", kind="iso", date="2023-01-10", shares="40,000", strike="2")
EXERCISE = app.ExerciseRequest(id="e1", grant="hire", date="2025-03-01", shares="20000", fmv="22")


@pytest.fixture
def db(tmp_path):
    return tmp_path / "ledger.db"


@pytest.fixture
def book(db):
    """A ledger with the grant, an exercise and two years of income."""
    app.add_grant(db, GRANT)
    app.exercise(db, EXERCISE)
    for year in (2025, 2026):
        app.set_income(db, app.IncomeRequest(year=year, filing_status="single", amounts={"wages": "200,000"}))
    return db


def fingerprint(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def cli_json(capsys, db, *argv):
    capsys.readouterr()
    assert main(["ledger", "--db", str(db), *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_init_creates_the_file_and_reports_its_schema(db):
    info = app.init(db)
    assert db.exists() and info.as_dict() == {"path": str(db), "schema_version": info.schema_version}
    assert info.schema_version >= 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.path = "elsewhere"  # type: ignore[misc]


def test_add_grant_with_each_kind_of_vesting(db):
    monthly = app.add_grant(db, GRANT)
    assert monthly.vesting_rule == "48 months from 2023-01-10, 12-month cliff, every 1 month(s)"
    # 12 of 48 months at the cliff: 40,000 * 12 / 48 = 10,000 shares on 2024-01-10
    first = monthly.schedule.tranches[0]
    assert (first.vest_date, first.shares) == (date(2024, 1, 10), 10_000)
    assert sum(row["shares"] for row in monthly.as_list()) == 40_000
    quarterly = app.add_grant(db, dataclasses.replace(
        GRANT, id="q", vesting=app.VestingOptions(months=24, cliff_months=0, every="quarterly", start="2023-02-01")))
    assert len(quarterly.schedule.tranches) == 24 // 3
    explicit = app.add_grant(db, dataclasses.replace(
        GRANT, id="x", shares=300, vesting=app.VestingOptions(tranches=("2024-06-01:200", "2024-01-01:100"))))
    assert [(t.vest_date, t.shares) for t in explicit.schedule.tranches] == [
        (date(2024, 1, 1), 100), (date(2024, 6, 1), 200)]  # sorted by date
    vested = app.add_grant(db, dataclasses.replace(GRANT, id="v", vesting=app.VestingOptions(vested=True)))
    assert vested.vesting_rule == "vested at grant" and len(vested.schedule.tranches) == 1
    assert [g.grant.id for g in app.grants(db).grants] == ["hire", "q", "v", "x"]


def test_records_give_the_json_of_the_command_line(book, capsys):
    app.sell(book, app.SellRequest(id="s1", lot="e1", date="2026-06-01", shares=5000, price="30"))
    assert app.lots(book).as_list() == cli_json(capsys, book, "lots")
    assert app.sales(book).as_list() == cli_json(capsys, book, "sales")
    assert app.grants(book).as_list() == cli_json(capsys, book, "grants")
    assert app.vest_schedule(book).as_list() == cli_json(capsys, book, "vest-schedule")
    assert app.years(book, app.YearsRequest(explain=True)).as_dict() == cli_json(capsys, book, "years", "--explain")
    lot = app.lots(book).lots[0]
    assert (lot.held, lot.lot.regular_basis, lot.lot.amt_basis) == (15_000, D(40_000), D(440_000))
    sale = app.sales(book).sales[0]
    # qualifying: Form 6251 line 2k = AMT gain - regular gain = -(22 - 2) * 5,000
    assert sale.tax.qualifying and sale.tax.line2k == -(22 - 2) * 5_000


def test_years_carry_the_credit(book):
    rows = {r.year: r for r in app.years(book).rows}
    assert rows[2025].outputs["amt"] == pytest.approx(101_483, abs=1)
    assert rows[2026].form8801["line25"] == pytest.approx(36_734 - 28_574, abs=1)


def test_income_state_and_the_note_for_another_state(db):
    ca = app.set_income(db, app.IncomeRequest(year=2026, filing_status="MFJ", amounts={"wages": 1, "state_local_tax":
                                                                                        "9000", "property_tax": 500},
                                              state="ca"))
    assert (ca.filing_status, ca.state, ca.state_note) == ("mfj", "CA", None)
    assert ca.as_dict() == {"year": 2026, "filing_status": "mfj", "state": "CA",
                            "income": {"property_tax": "500", "state_local_tax": "9000", "wages": "1"}}
    kept = app.set_income(db, app.IncomeRequest(year=2026, amounts={"wages": 2}))
    assert kept.state == "CA"  # no state given: the year keeps it
    other = app.set_income(db, app.IncomeRequest(year=2026, amounts={"property_tax": 0}, state="tx"))
    assert other.state == "TX" and "TX income tax is not included" in (other.state_note or "")
    assert app.set_income(db, app.IncomeRequest(year=2026, state="none")).state is None


def test_vesting_fmv_export_import_and_calendar(book, tmp_path):
    app.add_grant(book, dataclasses.replace(GRANT, id="nso", kind="nso", date="2024-02-01", shares=1200,
                                            early_exercise=True, vesting=app.VestingOptions(months=12,
                                                                                           cliff_months=0)))
    early = app.exercise(book, app.ExerciseRequest(id="n", grant="nso", date="2024-02-15", shares=100, fmv=4))
    assert early.lots[0].lot.vesting_fmv_missing
    fixed = app.vesting_fmv(book, early.lots[0].lot.id, "7")
    assert fixed.lots[0].lot.fmv_at_vesting == D(7)
    exported = app.export(book, app.ExportRequest(out=str(tmp_path / "x.json"), csv_dir=str(tmp_path / "csv")))
    assert len(exported.csv_files) == 5 and json.loads(exported.text) == json.loads((tmp_path / "x.json").read_text())
    for source in (str(tmp_path / "x.json"), str(tmp_path / "csv")):
        other = tmp_path / (source.rsplit("/", 1)[-1] + ".db")
        counts = app.import_export(other, source).as_dict()
        assert counts["grants"] == 2 and counts["years"] == 2
        assert app.export(other).text == exported.text
    uploaded = tmp_path / "upload.db"
    assert app.import_export_data(uploaded, json.loads(exported.text), "upload").counts["lots"] == counts["lots"]
    result = app.calendar(book, app.CalendarRequest(through=2026))
    assert result.ics.startswith("BEGIN:VCALENDAR") and result.ics.count("BEGIN:VEVENT") == result.events


def test_import_3921(tmp_path, db):
    path = tmp_path / "f.csv"
    path.write_text("company,grant_date,exercise_date,exercise_price,fmv_at_exercise,shares\n"
                    "Acme Corp,2021-02-01,2025-03-03,1.50,12.00,1000\n", encoding="utf-8")
    lots = app.import_3921(db, str(path))
    # Form 6251 line 2i: (box 4 - box 3) * box 5 = (12 - 1.5) * 1,000
    assert [row.lot.amt_adjustment for row in lots.lots] == [D("10500.00")]


def test_every_use_case_closes_the_ledger(book, monkeypatch, tmp_path):
    opened = []
    real_open = Ledger.open.__func__

    def tracking_open(cls, path, *, create=False):
        ledger = real_open(cls, path, create=create)
        opened.append(ledger)
        return ledger

    monkeypatch.setattr(Ledger, "open", classmethod(tracking_open))
    app.lots(book)
    app.years(book)
    app.sell(book, app.SellRequest(id="s", date="2026-01-02", shares=1, price=3))
    with pytest.raises(InputError):
        app.sell(book, app.SellRequest(id="s", date="2026-01-02", shares=1, price=3))  # the id is taken
    app.calendar(book)
    app.export(book)
    assert len(opened) == 6
    for ledger in opened:
        with pytest.raises(Exception, match="closed"):
            ledger.conn.execute("SELECT 1")


YEARS = tax_years()
BAD = [
    # (use case, field named in the error)
    (lambda db: app.add_grant(db, dataclasses.replace(GRANT, strike="NaN")), "strike"),
    (lambda db: app.add_grant(db, dataclasses.replace(GRANT, strike="1e13")), "strike"),
    (lambda db: app.add_grant(db, dataclasses.replace(GRANT, fmv="-1")), "fmv"),
    (lambda db: app.add_grant(db, dataclasses.replace(GRANT, shares="1.5")), "shares"),
    (lambda db: app.add_grant(db, dataclasses.replace(GRANT, shares=10**11)), "shares"),
    (lambda db: app.add_grant(db, dataclasses.replace(GRANT, date="2023-02-30")), "date"),
    (lambda db: app.add_grant(db, dataclasses.replace(GRANT, company=" ")), "company"),
    (lambda db: app.add_grant(db, dataclasses.replace(GRANT, kind="rsu")), "kind"),
    (lambda db: app.add_grant(db, dataclasses.replace(GRANT, vesting=app.VestingOptions(every="weekly"))), "every"),
    (lambda db: app.add_grant(db, dataclasses.replace(GRANT, vesting=app.VestingOptions(months=0))), "vest_months"),
    (lambda db: app.add_grant(db, dataclasses.replace(GRANT, vesting=app.VestingOptions(tranches=("2024-01-01",)))),
     "tranche"),
    (lambda db: app.exercise(db, dataclasses.replace(EXERCISE, fmv="inf")), "fmv"),
    (lambda db: app.exercise(db, dataclasses.replace(EXERCISE, kind="both")), "kind"),
    (lambda db: app.exercise(db, dataclasses.replace(EXERCISE, termination_reason="fired")), "termination_reason"),
    (lambda db: app.exercise(db, dataclasses.replace(EXERCISE, shares="0")), "shares"),
    (lambda db: app.exercise(db, dataclasses.replace(EXERCISE, id="")), "id"),
    (lambda db: app.sell(db, app.SellRequest(id="s", date="2026-01-02", shares=1, price="$1e400")), "price"),
    (lambda db: app.sell(db, app.SellRequest(id="s", date="2026-01-02", shares=1, price=1, lot="e1", grant="hire")),
     "lot"),
    (lambda db: app.set_income(db, app.IncomeRequest(year=YEARS.start - 1, filing_status="single")), "year"),
    (lambda db: app.set_income(db, app.IncomeRequest(year=YEARS.stop, filing_status="single")), "year"),
    (lambda db: app.set_income(db, app.IncomeRequest(year=2025, filing_status="married")), "filing_status"),
    (lambda db: app.set_income(db, app.IncomeRequest(year=2025, state="California")), "state"),
    (lambda db: app.set_income(db, app.IncomeRequest(year=2025, amounts={"wages": "1e13"})), "wages"),
    (lambda db: app.set_income(db, app.IncomeRequest(year=2025, amounts={"wages": "-5"})), "wages"),
    (lambda db: app.set_income(db, app.IncomeRequest(year=2025, amounts={"salary": "5"})), "income field"),
    (lambda db: app.years(db, app.YearsRequest(inflation=2)), "inflation"),
    (lambda db: app.calendar(db, app.CalendarRequest(through=YEARS.stop)), "through"),
]


@pytest.mark.parametrize(("attempt", "field"), BAD)
def test_bad_input_names_the_field_and_writes_nothing(book, attempt, field):
    before = fingerprint(book)
    with pytest.raises(InputError) as err:
        attempt(book)
    assert err.value.field == field
    assert fingerprint(book) == before


def test_bad_input_to_a_new_ledger_does_not_create_it(db):
    with pytest.raises(InputError):
        app.add_grant(db, dataclasses.replace(GRANT, strike="abc"))
    with pytest.raises(InputError, match="ledger init"):
        app.lots(db)
    assert not db.exists()


def test_labels_name_the_field_as_the_caller_shows_it(book):
    with pytest.raises(InputError) as err:
        app.exercise(book, dataclasses.replace(EXERCISE, date="2025-13-01"), labels={"date": "--date"})
    assert err.value.field == "--date" and "YYYY-MM-DD" in err.value.message
