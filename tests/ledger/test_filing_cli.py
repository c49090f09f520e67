"""`isoplan ledger forms` and `isoplan ledger estimates` through the real entry point, on fresh ledgers.

Expected values are hand arithmetic written out here; where a figure is the tax engine's own (a year's
total tax), the test takes it from `ledger years --json` or from the engine, and checks the filing
arithmetic built on it.
"""

import csv
import json
from decimal import Decimal

import pytest

from isoplan.cli import main
from isoplan.tax.federal import compute_federal
from isoplan.tax.households import households


@pytest.fixture
def ledger(tmp_path, capsys):
    db = str(tmp_path / "ledger.db")

    def run(*argv):
        code = main(["ledger", "--db", db, *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def ok(ledger, *argv):
    code, out, err = ledger(*argv)
    assert code == 0, err
    return out


def as_json(ledger, *argv):
    return json.loads(ok(ledger, *argv, "--json"))


def year_row(ledger, year):
    return next(y for y in as_json(ledger, "years")["years"] if y["year"] == year)


# ---------------------------------------------------------------- Form 8949


def disqualifying_sale(ledger, price):
    # 1,000 ISO shares granted 2023 (after 2014: the 1099-B shows the price paid), exercised 2024-02-01
    # at $10 when worth $50, sold 2024-09-03 at `price`: a disqualifying disposition in the exercise year
    ok(ledger, "add-grant", "g", "--company", "Acme", "--kind", "iso", "--date", "2023-01-10",
       "--shares", "1000", "--strike", "10", "--vested")
    ok(ledger, "exercise", "ex", "--grant", "g", "--date", "2024-02-01", "--shares", "1000", "--fmv", "50")
    ok(ledger, "income", "2024", "--status", "single", "--wages", "150000")
    ok(ledger, "sell", "s", "--lot", "ex", "--date", "2024-09-03", "--shares", "1000", "--price", price)


def test_form8949_disqualifying_sale_code_b(ledger):
    disqualifying_sale(ledger, "60")
    pack = as_json(ledger, "forms", "2024")
    (regular,) = pack["form8949_regular"]
    # W-2 box 1 holds (50 - 10) x 1,000 = 40,000 (IRC §421(b)); the 1099-B basis is 10 x 1,000 = 10,000, so
    # column (f) B and (g) -40,000: (h) = 60,000 - 10,000 - 40,000 = 10,000, short-term, basis reported: box A
    assert (regular["proceeds"], regular["cost_basis"], regular["code"], regular["adjustment"], regular["gain"]) == \
        ("60000.00", "10000.00", "B", "-40000.00", "10000.00")
    assert regular["box"] == "A" and regular["schedule_d_line"] == "1b" and regular["ordinary_income"] == "40000.00"
    assert (regular["date_acquired"], regular["date_sold"]) == ("2024-02-01", "2024-09-03")
    (amt,) = pack["form8949_amt"]
    # same year: AMT basis 10,000 + the 40,000 income (income for both taxes) = 50,000, no code: gain 10,000
    assert (amt["cost_basis"], amt["code"], amt["adjustment"], amt["gain"]) == ("50000.00", "", "0.00", "10000.00")
    assert pack["schedule_d_regular"]["net_short_term"] == "10000.00"
    assert pack["schedule_d_regular"]["boxes"][0]["adjustment"] == "-40000.00"
    # sold in the exercise year: no line 2i and no line 2k (Instructions for Form 6251, line 2i)
    assert pack["form6251"]["line2i"] == 0 and pack["form6251"]["line2k"] == 0
    (exercise,) = pack["form3921"]
    assert exercise["matches"] and Decimal(exercise["spread"]) == 40_000 and Decimal(exercise["amt_basis"]) == 50_000
    assert any("carry no line 2i" in n for n in pack["notes"])


def test_form8949_capped_at_the_gain(ledger):
    disqualifying_sale(ledger, "30")
    (regular,) = as_json(ledger, "forms", "2024")["form8949_regular"]
    # §422(c)(2): income is at most the gain, 30,000 - 10,000 = 20,000: (g) -20,000, (h) 0
    assert (regular["adjustment"], regular["gain"], regular["code"]) == ("-20000.00", "0.00", "B")


def test_forms_text_and_csv(ledger, tmp_path):
    disqualifying_sale(ledger, "60")
    text = ok(ledger, "forms", "2024")
    assert "Form 8949, regular basis" in text and "-$40,000.00" in text and "Form 8801" in text
    assert "Form 3921" in text and "A planning estimate" in text
    folder = tmp_path / "pack"
    code, _, err = ledger("forms", "2024", "--csv", str(folder))
    assert code == 0 and "wrote 6 CSV files" in err
    with (folder / "form8949-regular.csv").open(newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["code"], row["adjustment"], row["gain"]) == ("B", "-40000.00", "10000.00")
    assert {p.name for p in folder.iterdir()} == {"form8949-regular.csv", "form8949-amt.csv", "schedule-d.csv",
                                                  "form6251.csv", "form8801.csv", "form3921-reconciliation.csv"}


def test_california_year_has_schedule_p_line9_per_sale(ledger):
    ok(ledger, "add-grant", "g", "--company", "Acme", "--kind", "iso", "--date", "2022-01-10",
       "--shares", "1000", "--strike", "10", "--vested")
    ok(ledger, "exercise", "ex", "--grant", "g", "--date", "2024-02-01", "--shares", "1000", "--fmv", "50")
    ok(ledger, "income", "2024", "--status", "single", "--wages", "150000", "--state", "CA")
    ok(ledger, "income", "2025", "--status", "single", "--wages", "150000", "--state", "CA")
    ok(ledger, "sell", "s", "--lot", "ex", "--date", "2025-03-03", "--shares", "1000", "--price", "60")
    pack = as_json(ledger, "forms", "2025")
    (sale,) = pack["california"]["sales"]
    # exercised 2024, sold 2025 before the qualifying date: regular 40,000 income + 10,000 gain = 50,000;
    # AMT basis 50,000, AMT gain 10,000: Schedule P (540) line 9 = 10,000 - 50,000 = -40,000
    assert sale["regular_gain"] == 50_000 and sale["amt_gain"] == 10_000 and sale["schedule_p_line9"] == -40_000
    assert pack["california"]["schedule_p_line9"] == pytest.approx(-40_000)
    (amt,) = pack["form8949_amt"]
    assert amt["cost_basis"] == "50000.00" and amt["gain"] == "10000.00"
    assert pack["form6251"]["line2k"] == pytest.approx(-40_000)


# ---------------------------------------------------------------- estimated tax


def one_year(ledger, exercise_date, *extra_income):
    # single, 2025, wages 240,000 (20,000 a month); 4,000 ISO shares exercised at $5 when worth $55
    ok(ledger, "add-grant", "g", "--company", "Acme", "--kind", "iso", "--date", "2022-01-10",
       "--shares", "4000", "--strike", "5", "--vested")
    ok(ledger, "exercise", "ex", "--grant", "g", "--date", exercise_date, "--shares", "4000", "--fmv", "55")
    ok(ledger, "income", "2025", "--status", "single", "--wages", "240000", *extra_income)
    return year_row(ledger, 2025)["outputs"]["total_tax"]


#: days each installment's shortfall runs to April 15, 2026: 4/15/25 365, 6/15/25 304, 9/15/25 212, 1/15/26 90
DAYS = (365, 304, 212, 90)
RATE_2025 = 0.07  # every quarter of 2025 and Q1 2026 (Rev. Rul. 2024-25, 2025-7, 2025-11, 2025-18, 2025-22)


def test_january_exercise_with_no_payment_owes_the_penalty_at_the_published_rate(ledger):
    tax = one_year(ledger, "2025-01-15")
    est = as_json(ledger, "estimates", "2025", "--today", "2025-02-01")["federal"]
    # no 2024 return in the ledger: the required annual payment is 90% of this year's tax (IRC §6654(d)(1)(B))
    assert est["prior_year_source"] == "none" and est["required_annual_payment"]["prior_year_part"] is None
    assert est["required_annual_payment"]["amount"] == pytest.approx(0.9 * tax, abs=0.01)
    # 25% each: 22.5% of the tax per installment, none paid, all paid with the return on April 15, 2026
    assert [i["required"] for i in est["installments"]] == pytest.approx([0.225 * tax] * 4, abs=0.01)
    assert [i["underpayment"] for i in est["installments"]] == pytest.approx([0.225 * tax] * 4, abs=0.01)
    # penalty = 0.225 x tax x 7% x (365 + 304 + 212 + 90) / 365
    assert est["penalty"] == pytest.approx(0.225 * tax * RATE_2025 * sum(DAYS) / 365, abs=0.02)
    # a January spread is annualized x 4 in column (a): Schedule AI brings no relief
    assert est["method"] == "regular" and est["penalty_annualized"] == pytest.approx(est["penalty_regular"])
    assert est["catch_up"] == {"installment": 1, "due_date": "2025-04-15", "amount": pytest.approx(0.225 * tax),
                               "method": "regular"}
    text = ok(ledger, "estimates", "2025", "--today", "2025-02-01")
    assert f"Pay ${0.225 * tax:,.0f} by April 15, 2025 to stay in the safe harbor" in text
    assert "2025-06-16 (2025-06-15 is a Sunday)" in text


def test_prior_year_flags_set_the_110_percent_safe_harbor(ledger):
    tax = one_year(ledger, "2025-01-15")
    est = as_json(ledger, "estimates", "2025", "--prior-year-tax", "40000", "--prior-year-agi", "200000",
                  "--today", "2025-02-01")["federal"]
    # last year's AGI over 150,000: 110% x 40,000 = 44,000, less than 90% of this year's tax
    rap = est["required_annual_payment"]
    assert rap["prior_year_fraction"] == 1.1 and rap["prior_year_part"] == pytest.approx(44_000)
    assert rap["amount"] == pytest.approx(min(44_000, 0.9 * tax))
    assert est["prior_year_source"] == "given"


def test_withholding_counts_in_equal_parts_and_is_not_an_engine_input(ledger):
    tax = one_year(ledger, "2025-01-15", "--federal-withholding", "44000")
    assert year_row(ledger, 2025)["inputs"].get("federal_withholding") is None
    est = as_json(ledger, "estimates", "2025", "--today", "2025-02-01")["federal"]
    # 44,000 withheld: 11,000 on each due date (IRC §6654(g)(1))
    assert [i["paid"] for i in est["installments"]] == pytest.approx([11_000] * 4)
    required = 0.225 * tax
    assert est["installments"][0]["underpayment"] == pytest.approx(required - 11_000, abs=0.01)
    code, _, err = ledger("income", "2025", "--ca-withholding", "100")
    assert code == 2 and "ca_withholding" in err and "state is CA" in err


def test_november_exercise_schedule_ai_lowers_the_early_installments(ledger):
    tax = one_year(ledger, "2025-11-10")
    est = as_json(ledger, "estimates", "2025", "--today", "2025-02-01")["federal"]
    ai = est["schedule_ai"]
    # columns (a)-(c): wages 60,000 x 4 = 100,000 x 2.4 = 160,000 x 1.5 = 240,000 and no spread yet,
    # so line 19 is the tax of a 240,000-wage year; column (d) holds the 200,000 spread: the year's tax
    no_exercise = float(compute_federal(households(year=2025, filing_status="single", wages=240_000))
                        .lines["total_tax"][0])
    assert ai["annualized_agi"] == pytest.approx([240_000] * 4)
    assert ai["line19_annualized_tax"] == pytest.approx([no_exercise] * 3 + [tax], abs=0.01)
    # line 27: 22.5% of T0 in (a); 45% - 22.5% and 67.5% - 45% in (b), (c); (d) 90% x T - 67.5% x T0,
    # which the recapture of lines 25-26 allows: 22.5% T + 3 x 22.5% (T - T0) = 90% T - 67.5% T0
    t0 = no_exercise
    expected = [0.225 * t0, 0.225 * t0, 0.225 * t0, 0.9 * tax - 0.675 * t0]
    assert ai["line27_required_installment"] == pytest.approx(expected, abs=0.02)
    assert [i["annualized_required"] for i in est["installments"]][:3] < [0.225 * tax] * 3
    # nothing paid: each annualized installment runs to April 15, 2026 at 7%
    penalty = RATE_2025 * sum(a * d for a, d in zip(expected, DAYS, strict=True)) / 365
    assert est["method"] == "annualized" and est["penalty"] == pytest.approx(penalty, abs=0.05)
    assert est["penalty"] < est["penalty_regular"]


def test_california_year_30_40_0_30_and_the_million_dollar_rule(ledger):
    ok(ledger, "income", "2024", "--status", "single", "--wages", "1100000", "--state", "CA")
    ok(ledger, "income", "2025", "--status", "single", "--wages", "1200000", "--state", "CA",
       "--ca-withholding", "50000")
    row = year_row(ledger, 2025)
    ca_tax = row["california"]["outputs"]["ca_total_tax"]
    est = as_json(ledger, "estimates", "2025", "--today", "2025-02-01")
    ca = est["california"]
    assert ca["form"] == "Form 5805" and ca["prior_year_source"] == "ledger"
    # AGI 1,200,000 >= 1,000,000: no prior-year safe harbor (R&TC §19136.3): 90% of this year's tax
    assert ca["required_annual_payment"]["prior_year_part"] is None
    assert ca["required_annual_payment"]["amount"] == pytest.approx(0.9 * ca_tax, abs=0.01)
    assert [i["regular_required"] for i in ca["installments"]] == pytest.approx(
        [0.9 * ca_tax * f for f in (0.30, 0.40, 0.0, 0.30)], abs=0.01)
    # withholding deemed paid 30/40/0/30 (R&TC §19136(e)(2)(A)); the penalty is left to Form 5805
    assert [i["paid"] for i in ca["installments"]] == pytest.approx([15_000, 20_000, 0, 15_000])
    assert ca["penalty"] is None and any("R&TC §19521" in n for n in ca["notes"])
    assert any("1,000,000 or more" in n for n in ca["notes"])
    # the federal side keeps its prior-year safe harbor (no such limit federally)
    assert est["federal"]["required_annual_payment"]["prior_year_part"] is not None
    text = ok(ledger, "estimates", "2025", "--today", "2025-02-01")
    assert "Form 5805" in text and "not computed" in text


def test_schedule_ai_full_year_column_is_the_ledger_years_tax(ledger):
    ok(ledger, "income", "2024", "--status", "single", "--wages", "300000", "--state", "CA",
       "--property-tax", "5000", "--state-local-tax", "30000")
    tax = one_year(ledger, "2025-06-10", "--state", "CA", "--property-tax", "6000", "--state-local-tax", "35000")
    ca_tax = year_row(ledger, 2025)["california"]["outputs"]["ca_total_tax"]
    est = as_json(ledger, "estimates", "2025")
    assert est["federal"]["schedule_ai"]["line19_annualized_tax"][3] == pytest.approx(tax, abs=0.01)
    assert est["california"]["schedule_ai"]["line19_annualized_tax"][3] == pytest.approx(ca_tax, abs=0.01)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("command", ["forms", "estimates"])
@pytest.mark.parametrize(("year", "allowed"), [("1999", "a tax year from"), ("abc", "a tax year from"),
                                               ("2023", "a year of the ledger")])
def test_a_bad_year_exits_2_naming_the_field(ledger, command, year, allowed):
    one_year(ledger, "2025-01-15")
    code, out, err = ledger(command, year)
    assert code == 2 and out == "" and "YEAR" in err and allowed in err


def test_bad_estimate_flags_name_the_flag(ledger):
    one_year(ledger, "2025-01-15")
    for argv, flag in [(("--payment", "2025-04-15"), "--payment"), (("--payment", "2024-04-15:100"), "--payment"),
                       (("--prior-year-tax", "-5"), "--prior-year-tax"),
                       (("--cumulative-wages", "1,2,3"), "--cumulative-wages"),
                       (("--ca-payment", "2025-04-15:100"), "--ca-payment")]:
        code, _, err = ledger("estimates", "2025", *argv)
        assert code == 2 and flag in err, (argv, err)


def test_payments_reduce_the_catch_up(ledger):
    tax = one_year(ledger, "2025-01-15")
    est = as_json(ledger, "estimates", "2025", "--payment", "2025-04-15:10000", "--today", "2025-05-01")["federal"]
    # through June 16 (June 15 is a Sunday): 2 x 22.5% of the tax required, 10,000 paid
    assert est["catch_up"]["due_date"] == "2025-06-16"
    assert est["catch_up"]["amount"] == pytest.approx(0.45 * tax - 10_000, abs=0.01)


# ---------------------------------------------------------------- cost


def test_cost_says_the_next_installment(capsys):
    argv = ["cost", "--year", "2026", "--status", "single", "--wages", "200000", "--shares", "2000",
            "--strike", "10", "--fmv", "110", "--json"]
    assert main([*argv, "--date", "2026-05-01"]) == 0
    data = json.loads(capsys.readouterr().out)
    # the next due date after May 1, 2026 is June 15, 2026 (a Monday)
    assert data["estimated_tax"] == {"tax_year": 2026, "amount": data["tax"]["incremental"]["total_tax"],
                                     "installment": 2, "due_date": "2026-06-15"}
    assert "pay it by June 15, 2026" in data["notes"][-1] and "IRC §6654" in data["notes"][-1]
