"""The ledger's calendar carries each estimated-tax installment still to pay, with its amount."""

import datetime

from isoplan.app import filing
from isoplan.app.ledger import CalendarRequest
from isoplan.cli import main


def ledger(tmp_path, *, withholding: bool):
    db = tmp_path / "l.db"

    def run(*argv):
        assert main(["ledger", "--db", str(db), *argv]) == 0

    run("add-grant", "hire", "--company", "Acme", "--kind", "iso", "--date", "2023-01-10", "--shares", "40000",
        "--strike", "2")
    run("exercise", "e1", "--grant", "hire", "--date", "2027-01-05", "--shares", "20000", "--fmv", "22")
    run("income", "2026", "--status", "single", "--wages", "200000")
    extra = ["--federal-withholding", "30000"] if withholding else []
    run("income", "2027", "--status", "single", "--wages", "200000", *extra)
    return db


def test_installments_due_after_today_are_on_the_calendar(tmp_path, capsys):
    db = ledger(tmp_path, withholding=True)
    capsys.readouterr()
    today = datetime.date(2027, 1, 6)
    estimates = filing.estimates(db, filing.EstimatesRequest(year=2027, today=today))
    owed = {i.due_date: round(i.required - i.paid, 2) for i in estimates.federal.installments
            if i.required - i.paid > 0 and i.due_date >= today}
    assert owed, "the January exercise's AMT leaves installments to pay"
    ics = filing.calendar(db, CalendarRequest(today=today, through=2027)).ics
    for due, amount in owed.items():
        assert f"DTSTART;VALUE=DATE:{due:%Y%m%d}" in ics
        assert f"pay ${amount:,.0f}".replace(",", "\\,") in ics


def test_no_installments_without_withholding_entered(tmp_path):
    db = ledger(tmp_path, withholding=False)
    ics = filing.calendar(db, CalendarRequest(today=datetime.date(2027, 1, 6), through=2027)).ics
    assert "estimated tax for" not in ics
