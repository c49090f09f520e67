"""California in the ledger's year table (issue 9): Schedule P (540) and FTB 3510 carried across years.

The hand computations use California 2025 law (FTB 2025 Form 540 and Schedule P (540), single):
standard deduction 5,706; brackets 1% to 11,079, 2% to 26,264, 4% to 41,452, 6% to 57,542, 8% to
72,724, 9.3% to 371,479, 10.3% to 445,771; exemption credit 153, less 6 per 2,500 (or fraction) of
AGI over 252,203; AMT exemption 92,749 less 25% of AMTI over 347,808; TMT 7%; Schedule P line 25
compares TMT with the regular tax before credits (Form 540 line 31; isoplan.tax.states.california). 2026 is
projected California law: at 0% assumed California CPI its amounts are 2025's, which keeps the
second year hand-computable.
"""

import json
import sqlite3
from datetime import date
from decimal import Decimal as D

import pytest

from isoplan.cli import main
from isoplan.errors import InputError
from isoplan.ledger.db import LATEST, MIGRATIONS, migrate
from isoplan.ledger.store import Ledger, connect
from isoplan.ledger.transfer import load_export, records_from_export, write_csv_dir, write_json
from isoplan.ledger.years import ledger_years
from isoplan.tax.states.california import ca_law_table

# through the 8% bracket: 1% x 11,079 + 2% x 15,185 + 4% x 15,188 + 6% x 16,090 + 8% x 15,182
THROUGH_8 = 110.79 + 303.70 + 607.52 + 965.40 + 1_214.56  # 3,201.97


def table(book, law, inflation=0.0):
    rows, notes = ledger_years(book.lots(), book.sales(), book.years(), law, states=book.states(),
                               ca_law=ca_law_table(inflation))
    return {r.year: r for r in rows}, notes


def exercise_then_recover(book, make_grant):
    # ISO granted 2023-01-10 at $2 (40,000 shares, all ISO: 40,000 x $2 = 80,000 under the $100,000 limit);
    # 10,000 shares exercised 2025-03-01 at FMV $22 and held: spread (22 - 2) x 10,000 = 200,000
    book.add_grant(make_grant())
    book.exercise(grant_id="hire", lot_id="e1", exercise_date=date(2025, 3, 1), shares=10_000,
                  fmv_at_exercise=D(22))
    book.set_income(2025, "single", {"wages": 100_000, "ca_amt_credit_carryforward": 1_000}, state="CA")
    book.set_income(2026, "single", {"wages": 300_000}, state="CA")


def test_iso_year_with_california_amt_then_ftb3510_recovery(book, make_grant, law):
    exercise_then_recover(book, make_grant)
    years, _ = table(book, law)
    y25, y26 = years[2025], years[2026]
    c25, c26 = y25.ca_outputs, y26.ca_outputs

    # ---- 2025: wages 100,000, ISO spread 200,000 ----
    # Form 540: AGI 100,000; taxable 100,000 - 5,706 = 94,294
    assert c25["ca_taxable_income"] == 100_000 - 5_706
    # line 31: 3,201.97 + 9.3% x (94,294 - 72,724 = 21,570) 2,006.01 = 5,207.98
    regular25 = THROUGH_8 + 0.093 * (94_294 - 72_724)
    assert regular25 == pytest.approx(5_207.98, abs=0.005)
    assert c25["ca_regular_tax"] == pytest.approx(regular25, abs=0.01)
    assert c25["ca_exemption_credits"] == 153  # AGI below 252,203: no phase-out
    # Schedule P: line 1 5,706 + line 10 200,000 + line 15 94,294 = AMTI 300,000 (under 347,808: full exemption)
    assert c25["ca_amti"] == 300_000
    assert c25["ca_amt_exemption"] == 92_749
    tmt25 = 0.07 * (300_000 - 92_749)  # 14,507.57
    assert c25["ca_tentative_minimum_tax"] == pytest.approx(tmt25)
    amt25 = tmt25 - regular25  # line 26 = line 24 - line 25 = 14,507.57 - 5,207.98 = 9,299.59
    assert c25["ca_amt"] == pytest.approx(9_299.59, abs=0.01)
    # FTB 3510: the 1,000 carried in cannot be used (regular 5,207.98 - 153 - TMT 14,507.57 < 0)
    assert y25.ftb3510["credit_used"] == 0 and y25.ftb3510["carryover_out"] == 1_000
    # credit created: exclusion items only (standard deduction kept, ISO out): AMTI 100,000, TMT
    # 7% x (100,000 - 92,749) = 507.57 < regular tax 5,207.98, so no net minimum tax on exclusions: all AMT is credit
    assert y25.ca_credit_created == pytest.approx(amt25)

    # ---- 2026: wages 300,000, no option items ----
    # taxable 294,294; line 31: 3,201.97 + 9.3% x (294,294 - 72,724 = 221,570) 20,606.01 = 23,807.98
    regular26 = THROUGH_8 + 0.093 * (294_294 - 72_724)
    assert c26["ca_regular_tax"] == pytest.approx(23_807.98, abs=0.01)
    # exemption credit: AGI 300,000 - 252,203 = 47,797 -> 20 steps of 2,500 -> 153 - 6 x 20 = 33
    assert c26["ca_exemption_credits"] == 33
    # AMTI 294,294 + 5,706 = 300,000; TMT 14,507.57 < regular: no California AMT
    tmt26 = 0.07 * (300_000 - 92_749)
    assert c26["ca_amt"] == 0
    # FTB 3510: available 9,299.59 (2025's AMT) + 1,000 carried = 10,299.59;
    # limit = regular 23,807.98 - exemption credits 33 - TMT 14,507.57 = 9,267.41; used 9,267.41; carried 1,032.18
    limit = regular26 - 33 - tmt26
    assert limit == pytest.approx(9_267.41, abs=0.01)
    assert y26.ftb3510["credit_available"] == pytest.approx(amt25 + 1_000)
    assert y26.ftb3510["credit_used"] == pytest.approx(limit, abs=0.01)
    assert y26.ftb3510["carryover_out"] == pytest.approx(amt25 + 1_000 - limit, abs=0.01)
    assert y26.ftb3510["carryover_out"] == pytest.approx(1_032.18, abs=0.01)
    # Form 540 line 48: 23,807.98 - 33 - 9,267.41 = 14,507.57, the TMT: the credit stops at it
    assert c26["ca_tax_after_credits"] == pytest.approx(tmt26, abs=0.01)
    assert y26.ca_projected and not y25.ca_projected


def test_federal_figures_do_not_change_with_the_state(book, make_grant, law, tmp_path):
    exercise_then_recover(book, make_grant)
    years, _ = table(book, law)
    plain = Ledger.open(tmp_path / "federal.db", create=True)
    plain.add_grant(make_grant())
    plain.exercise(grant_id="hire", lot_id="e1", exercise_date=date(2025, 3, 1), shares=10_000,
                   fmv_at_exercise=D(22))
    plain.set_income(2025, "single", {"wages": 100_000})
    plain.set_income(2026, "single", {"wages": 300_000})
    federal, _ = table(plain, law)
    plain.close()
    for year in (2025, 2026):
        assert years[year].outputs == federal[year].outputs and years[year].form8801 == federal[year].form8801
        assert years[year].california and not federal[year].california


def test_credit_is_carried_unused_through_a_year_in_another_state(book, make_grant, law):
    exercise_then_recover(book, make_grant)
    book.set_income(2026, None, {}, state="NY")
    book.set_income(2027, "single", {"wages": 300_000}, state="CA")
    years, notes = table(book, law)
    assert not years[2026].california and any("NY income tax is not included" in n for n in years[2026].notes)
    # into 2027: 2025's carryover out (1,000) + the credit 2025 created (its AMT, 9,299.59)
    assert years[2027].ftb3510["carryover_in"] == pytest.approx(1_000 + years[2025].ca_credit_created)
    assert years[2027].ftb3510["credit_from_prior_year"] == 0  # 2026 made no California AMT
    assert any("carried unused through 2026-2026" in n for n in notes)


def test_credit_entered_after_the_first_california_year_is_not_used_and_said(book, law):
    book.set_income(2025, "single", {"wages": 100_000}, state="CA")
    book.set_income(2026, "single", {"wages": 100_000, "ca_amt_credit_carryforward": 5_000}, state="CA")
    years, notes = table(book, law)
    assert years[2026].ftb3510["carryover_in"] == 0
    assert any("2026" in n and "ca_amt_credit_carryforward" in n and "not used" in n for n in notes)


def test_property_tax_is_deductible_in_california(book, law):
    # state_local_tax 30,000 of which property tax 12,000; mortgage interest 20,000: California itemizes
    # property tax 12,000 + mortgage 20,000 = 32,000 (state income tax is not deductible) over 5,706
    book.set_income(2025, "single", {"wages": 200_000, "state_local_tax": 30_000, "mortgage_interest": 20_000,
                                     "property_tax": 12_000}, state="CA")
    c = table(book, law)[0][2025].ca_outputs
    assert c["ca_itemized"] == 1 and c["ca_deduction"] == 12_000 + 20_000
    assert c["ca_p_line3"] == 12_000  # Schedule P line 3 adds the property tax back


def test_california_amounts_are_refused_outside_california_and_change_nothing(book):
    book.set_income(2025, "single", {"wages": 100_000, "state_local_tax": 5_000})
    before = book.export_data()
    with pytest.raises(InputError, match=r"property_tax.*only for a year whose state is CA"):
        book.set_income(2025, None, {"property_tax": 1_000})
    with pytest.raises(InputError, match=r"ca_amt_credit_carryforward.*state is NY"):
        book.set_income(2025, None, {"ca_amt_credit_carryforward": 1_000}, state="NY")
    with pytest.raises(InputError, match="at most 2025's state_local_tax"):
        book.set_income(2025, None, {"property_tax": 6_000}, state="CA")
    with pytest.raises(InputError, match="two-letter state code"):
        book.set_income(2025, None, {}, state="California")
    assert book.export_data() == before
    # leaving California with California amounts stored is refused too (they would be ignored silently)
    book.set_income(2025, None, {"property_tax": 1_000}, state="CA")
    with pytest.raises(InputError, match="property_tax"):
        book.set_income(2025, None, {}, state="")
    book.set_income(2025, None, {"property_tax": 0}, state="none")
    assert book.states()[2025] is None


def test_state_and_california_amounts_are_exact_text(book):
    book.set_income(2025, "single", {"state_local_tax": "9000.10", "property_tax": "4321.05",
                                     "ca_amt_credit_carryforward": "1234.56"}, state="ca")
    stored = dict(book.conn.execute(
        "SELECT field, amount FROM income WHERE field IN ('property_tax', 'ca_amt_credit_carryforward')").fetchall())
    assert stored == {"property_tax": "4321.05", "ca_amt_credit_carryforward": "1234.56"}
    assert book.conn.execute("SELECT typeof(amount) FROM income").fetchall()[0][0] == "text"
    assert book.states() == {2025: "CA"}
    with pytest.raises(sqlite3.IntegrityError):  # the column refuses what is no state code
        book.conn.execute("UPDATE tax_years SET state = 'ca1'")


def test_migration_upgrades_an_existing_ledger_and_keeps_its_data(tmp_path, make_grant):
    path = tmp_path / "old.db"
    conn = connect(path)
    assert migrate(conn, MIGRATIONS[:2]) == [1, 2]  # a ledger written before migration 3
    conn.execute("INSERT INTO tax_years (year, filing_status) VALUES (2025, 'mfj')")
    conn.execute("INSERT INTO income (year, field, amount) VALUES (2025, 'wages', '123456.78')")
    conn.close()
    with Ledger.open(path) as book:
        assert book.schema_version() == LATEST >= 3
        assert book.years() == {2025: ("mfj", {"wages": D("123456.78")})}
        assert book.states() == {2025: None}
        columns = {c["name"]: c["type"] for c in book.conn.execute("PRAGMA table_info(tax_years)")}
        assert columns["state"] == "TEXT"
        book.set_income(2025, None, {"property_tax": 0}, state="CA")
        assert book.states() == {2025: "CA"}


def test_export_import_round_trip_with_state_and_california_amounts(tmp_path, book, make_grant):
    exercise_then_recover(book, make_grant)
    book.set_income(2026, None, {"state_local_tax": "20000.25", "property_tax": "7500.5"})
    book.set_income(2027, "mfj", {"wages": 1})  # a federal-only year
    data = book.export_data()
    assert [y["state"] for y in data["years"]] == ["CA", "CA", None]
    assert data["years"][1]["income"]["property_tax"] == "7500.5"
    write_json(data, str(tmp_path / "x.json"))
    write_csv_dir(data, str(tmp_path / "csv"))
    for name, source in (("from-json", tmp_path / "x.json"), ("from-csv", tmp_path / "csv")):
        with Ledger.open(tmp_path / f"{name}.db", create=True) as other:
            other.import_data(load_export(str(source)), str(source))
            assert other.export_data() == data, name


def test_import_refuses_california_amounts_in_a_year_not_in_california(tmp_path, book):
    data = {"format": "isoplan-ledger", "grants": [], "lots": [], "sales": [],
            "years": [{"year": 2025, "filing_status": "single", "income": {"property_tax": "10"}, "state": None}]}
    with pytest.raises(InputError, match="property_tax") as err:
        book.import_data(records_from_export(data, "x.json"), "x.json")
    assert "x.json" in str(err.value)
    assert book.years() == {}


# ---------------------------------------------------------------- the command


@pytest.fixture
def ledger(tmp_path, capsys):
    db = str(tmp_path / "ledger.db")

    def run(*argv):
        code = main(["ledger", "--db", db, *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_cli_income_and_years_show_california_beside_federal(ledger):
    assert ledger("add-grant", "hire", "--company", "Acme", "--kind", "iso", "--date", "2023-01-10",
                  "--shares", "40000", "--strike", "2")[0] == 0
    assert ledger("exercise", "e1", "--grant", "hire", "--date", "2025-03-01", "--shares", "10000",
                  "--fmv", "22")[0] == 0
    code, out, _ = ledger("income", "2025", "--status", "single", "--wages", "100000", "--state", "ca",
                          "--ca-credit-carryforward", "1000")
    assert code == 0 and "2025, single, CA" in out
    assert ledger("income", "2026", "--status", "single", "--wages", "300000", "--state", "CA")[0] == 0
    code, out, _ = ledger("years", "--json", "--inflation", "0")
    data = json.loads(out)
    y25, y26 = data["years"]
    assert y25["state"] == "CA" and y25["outputs"]["amt"] > 0  # the federal keys are all still there
    assert y25["california"]["outputs"]["ca_amt"] == pytest.approx(9_299.59, abs=0.01)  # as hand-worked above
    assert y25["california"]["credit_created"] == pytest.approx(9_299.59, abs=0.01)
    assert y26["california"]["credit_used"] == pytest.approx(9_267.41, abs=0.01)
    assert y26["california"]["credit_carried_forward"] == pytest.approx(1_032.18, abs=0.01)
    assert "lines" not in y25["california"]
    code, out, _ = ledger("years", "--inflation", "0")
    assert code == 0 and "California (Form 540 line 31" in out and "9,300" in out
    code, out, _ = ledger("years", "--explain", "--json", "--inflation", "0")
    ca = json.loads(out)["years"][1]["california"]
    assert ca["ftb3510"]["credit_used"] == pytest.approx(9_267.41, abs=0.01)
    assert any(line["form"] == "Schedule P (540)" and line["line"] == "24" for line in ca["lines"])
    code, out, _ = ledger("years", "--explain", "--inflation", "0")
    assert "2026: California, Schedule P (540) and FTB 3510" in out and "FTB 3510 Part II" in out


def test_cli_refuses_california_amounts_for_another_state(ledger):
    code, _, err = ledger("income", "2025", "--status", "single", "--state", "NY", "--property-tax", "100")
    assert code == 2 and "property_tax" in err and "only for a year whose state is CA" in err
    code, out, _ = ledger("income", "2025", "--status", "single", "--state", "NY")
    assert code == 0 and "NY income tax is not included" in out
    code, out, _ = ledger("years", "--json")
    year = json.loads(out)["years"][0]
    assert year["state"] == "NY" and year["california"] is None
