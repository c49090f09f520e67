"""A ledger with a 2024 exercise computes the Form 8801 chain of 2024, 2025 and 2026 itself, and says how much
credit the carryforwards entered leave unclaimed and until when an amended return can claim it.

Hand arithmetic from the 2024 and 2025 forms (Rev. Proc. 2023-34 and the 2025 law: TAX_FACTS J):
single, wages $150,000 every year; 1,000 ISOs exercised 2024-03-01 at $1 with FMV $101, held.
"""

import json
from datetime import date

import pytest

from isoplan.app import ledger as app
from isoplan.cli import main


@pytest.fixture
def ledger_2024(tmp_path):
    db = str(tmp_path / "l.db")
    for argv in (
        ["add-grant", "hire", "--company", "Acme", "--kind", "iso", "--date", "2023-01-10", "--shares", "1000",
         "--strike", "1", "--vested"],
        ["exercise", "ex24", "--grant", "hire", "--date", "2024-03-01", "--shares", "1000", "--fmv", "101"],
        ["income", "2024", "--status", "single", "--wages", "150000"],
        # the 2025 return was filed with no Form 8801: no credit carried in
        ["income", "2025", "--status", "single", "--wages", "150000", "--credit-carryforward", "0"],
        ["income", "2026", "--status", "single", "--wages", "150000"],
    ):
        assert main(["ledger", *argv, "--db", db]) == 0
    return tmp_path / "l.db"


def test_the_2024_to_2026_form_8801_chain(ledger_2024):
    rows = {r.year: r for r in app.years(ledger_2024).rows}
    assert sorted(rows) == [2024, 2025, 2026]
    y24, y25, y26 = rows[2024], rows[2025], rows[2026]
    # 2024: taxable income 150,000 - 14,600 = 135,400; regular tax by the schedule:
    # 10% x 11,600 + 12% x 35,550 + 22% x 53,375 + 24% x 34,875 = 1,160 + 4,266 + 11,742.50 + 8,370 = 25,538.50
    assert y24.outputs["regular_tax"] == pytest.approx(25_538.50)
    # AMTI = 135,400 + 14,600 (line 2a) + 100,000 (line 2i: 1,000 x (101 - 1)) = 250,000; exemption 85,700;
    # TMT = 26% x 164,300 = 42,718; AMT = 42,718 - 25,538.50 = 17,179.50
    assert y24.outputs["amti"] == pytest.approx(250_000)
    assert y24.outputs["amt"] == pytest.approx(17_179.50)
    # Form 8801 Part I: without line 2i, AMTI 150,000 - 85,700 = 64,300; TMT 16,718 < regular tax, so no net
    # minimum tax on exclusion items: the whole AMT is credit (line 18 of the 2025 Form 8801)
    assert y24.credit_created == pytest.approx(17_179.50)
    # 2025: taxable income 150,000 - 15,750 = 134,250; regular tax
    # 1,192.50 + 4,386 + 12,072.50 + 24% x (134,250 - 103,350) = 25,067;
    # AMTI 150,000, exemption 88,100, TMT = 26% x 61,900 = 16,094; limit (line 24) = 25,067 - 16,094 = 8,973
    f25 = y25.form8801
    assert f25["line18"] == pytest.approx(17_179.50) and f25["line21"] == pytest.approx(17_179.50)
    assert f25["line24"] == pytest.approx(8_973)
    assert f25["line25"] == pytest.approx(8_973)  # the credit used in 2025
    assert f25["line26"] == pytest.approx(17_179.50 - 8_973)  # 8,206.50 carried to 2026
    # 2026 takes the 2025 carryforward and uses what its own limit allows
    f26 = y26.form8801
    assert f26["line19"] == pytest.approx(8_206.50) and f26["line18"] == pytest.approx(0)
    assert f26["line25"] == pytest.approx(min(8_206.50, y26.outputs["regular_tax"]
                                              - y26.outputs["tentative_minimum_tax"]))


def test_credit_left_on_the_table_and_the_last_day_to_claim_it(ledger_2024, capsys):
    result = app.years(ledger_2024, app.YearsRequest(today=date(2026, 8, 1)))
    (u,) = result.unclaimed
    # 2025 allowed 8,973 (line 25 above); a return carrying 0 claimed nothing
    assert (u.jurisdiction, u.year, u.amount, u.from_years) == ("federal", 2025, pytest.approx(8_973), (2024,))
    assert u.carryforward_entered == 0 and u.carryforward_computed == pytest.approx(17_179.50)
    # the 2025 return was due 2026-04-15; IRC §6511(a): 3 years from then
    assert u.return_due == date(2026, 4, 15) and u.claim_by == date(2029, 4, 15)
    # 2029-04-15 is a Sunday and 2029-04-16 DC Emancipation Day: IRC §7503 moves the last day to Tuesday
    assert u.claim_by_next_business_day == date(2029, 4, 17) and u.open
    d = result.as_dict()["unclaimed_credit"][0]
    assert d["amount"] == pytest.approx(8_973) and d["claim_by"] == "2029-04-15" and d["from_years"] == [2024]
    closed = app.years(ledger_2024, app.YearsRequest(today=date(2029, 4, 18))).unclaimed[0]
    assert not closed.open


def test_ledger_years_text_and_json_say_so(ledger_2024, capsys):
    db = str(ledger_2024)
    assert main(["ledger", "years", "--db", db]) == 0
    text = capsys.readouterr().out
    assert "Unclaimed credit: 2025: $8,973 of minimum tax credit (Form 8801) allowable but not claimed" in text
    assert "from the AMT of 2024" in text
    assert main(["ledger", "years", "--db", db, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unclaimed_credit"][0]["year"] == 2025


def test_a_carryforward_entered_in_full_leaves_nothing(ledger_2024):
    assert main(["ledger", "income", "2025", "--credit-carryforward", "17179.50", "--db", str(ledger_2024)]) == 0
    assert app.years(ledger_2024).unclaimed == ()


def test_california_four_year_rule():
    from isoplan.tax.amendment import CreditYear, unclaimed_credit

    chain = [CreditYear(2024, 0.0, 0.0, 0.0, 5_000.0, None), CreditYear(2025, 2_000.0, 2_000.0, 5_000.0, 0.0, 0.0)]
    (u,) = unclaimed_credit(chain, date(2026, 1, 1), "california")
    # FTB 3510 on the 2025 Form 540, due 2026-04-15; R&TC §19306: four years from the original due date
    assert u.amount == 2_000 and u.claim_by == date(2030, 4, 15) and u.from_years == (2024,)
    assert "FTB 3510" in u.form
