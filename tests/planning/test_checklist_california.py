"""The exercise-year checklist of a California plan: federal and California side by side (issue 9).

The plan is written out below. Expected numbers are hand arithmetic on the plan's
inputs (shares x (price - strike), the property tax added back on Schedule P
(540) line 3, 7% of line 23), or the engines rerun on their own inputs (the room
functions and compute_california on the year's household), never the
checklist's own output pasted back.
"""

from __future__ import annotations

import json
import math
import tomllib
from datetime import date

import pytest

from isoplan.cli import main
from isoplan.planning.checklist import build_checklist, schedule_california_returns
from isoplan.planning.plan import parse_plan
from isoplan.planning.room import amt_room, california_amt_room
from isoplan.planning.staging import run_plan
from isoplan.tax.states.california import compute_california

TODAY = date(2026, 12, 1)

# Sam: single, $300,000 of wages (+3% a year), $9,000 of property tax, 30,000 vested ISOs at $1 with the stock
# at $6 growing 8% a year, $120,000 of cash a year; the plan stages the exercise over 2027-2029 and the 2029
# exercise runs past both AMT lines.
CA_PLAN = """
[person]
state = "CA"
filing_status = "single"
net_worth_outside = 400000

[income]
wages = 300000
growth = 0.03
state_local_tax = 30000
property_tax = 9000

[cash]
per_year = 120000
reserve = 20000

[stock]
kind = "public"
price = 6.00
price_date = 2027-01-02
growth = 0.08

[[grants]]
id = "2021-ISO"
kind = "ISO"
grant_date = 2021-01-15
shares = 30000
strike = 1.00
fmv_at_grant = 1.00
vesting = { start = 2021-01-15, months = 48, cliff_months = 12 }

[plan]
start_year = 2027
exit_date = 2030-06-30
discount_rate = 0.04
"""

FEDERAL_PLAN = CA_PLAN.replace('state = "CA"\n', "").replace("property_tax = 9000\n", "")


@pytest.fixture(scope="module")
def ca():
    plan = parse_plan(tomllib.loads(CA_PLAN), "sam.toml", today=TODAY)
    outcome = run_plan(plan)
    return plan, outcome


def _item(checklist, key):
    return next(i for i in checklist.items if i.key == key)


def _row(outcome, year):
    return next(r for r in outcome.year_rows(outcome.recommended) if r["year"] == year)


def _amt_years(outcome):
    return [r["year"] for r in outcome.year_rows(outcome.recommended) if r["california"]["amt"] > 0.5]


def test_item_2_shows_both_rooms_and_the_smaller_binds(ca):
    plan, outcome = ca
    year = outcome.model.years[0]
    t = 0
    item = _item(build_checklist(plan, outcome, None, year=year), "amt_and_room")
    n = item.numbers
    row = _row(outcome, year)
    # the engines on their own inputs: the year's household without the ISO spread
    h0 = outcome.year_household(outcome.recommended, t).replace(iso_bargain_element=0.0)
    federal = float(amt_room(h0, outcome.model.law).amt_room[0])
    california = float(california_amt_room(h0, outcome.model.ca_law, property_tax=9000.0,
                                           ca_amt_credit_carryforward=row["california"]["credit_available"])
                       .ca_amt_room[0])
    assert n["amt_room"] == federal
    assert n["california"]["amt_room"] == california
    assert n["binding_room"] == min(federal, california)
    assert n["binding_line"] == ("california" if california < federal else "federal")
    # the California room is exact to the dollar: no California AMT at it, some one dollar past it
    at = compute_california(h0.replace(iso_bargain_element=california), outcome.model.ca_law, property_tax=9000.0)
    past = compute_california(h0.replace(iso_bargain_element=california + 1), outcome.model.ca_law,
                              property_tax=9000.0)
    assert at.ca_amt[0] == 0.0 and past.ca_amt[0] > 0.0
    # shares that fit: the binding room / the spread per share ($6.00 - $1.00 = $5.00 in 2027)
    assert n["room_shares"] == math.floor(min(federal, california) / 5.0)
    assert item.case == "within_room"  # 2027: no AMT on either return
    assert n["amt"] == 0.0 and n["california"]["amt"] == 0.0
    first = item.detail[0]
    assert f"${federal:,.0f}" in first and f"${california:,.0f}" in first and "line binds" in first
    assert f"the AMT-free room of ${min(federal, california):,.0f}" in item.action


def test_a_year_past_the_california_line_warns_and_lists_ftb_3510(ca):
    plan, outcome = ca
    years = _amt_years(outcome)
    assert years, "the staged plan is expected to owe California AMT in one year"
    year = years[0]
    checklist = build_checklist(plan, outcome, None, year=year)
    item = _item(checklist, "amt_and_room")
    row = _row(outcome, year)
    assert item.case == "past_room" and item.status == "warning"
    assert item.numbers["california"]["amt"] == row["california"]["amt"] > 0
    # the California return rerun on the year's household has the same Schedule P line 26
    t = outcome.model.years.index(year)
    again = compute_california(outcome.year_household(outcome.recommended, t), outcome.model.ca_law,
                               property_tax=float(outcome.model.property_tax[t]),
                               ca_amt_credit_carryforward=row["california"]["credit_available"])
    assert again.ca_amt[0] == pytest.approx(row["california"]["amt"], abs=0.01)
    forms = {f["form"]: f for f in _item(checklist, "reporting").numbers["forms"]}
    assert forms["FTB 3510"]["year"] == year + 1
    assert f"${row['california']['credit_created']:,.0f} created in {year}" in forms["FTB 3510"]["what"]


def test_item_7_lists_the_california_forms(ca):
    plan, outcome = ca
    year = outcome.model.years[0]
    row = _row(outcome, year)
    item = _item(build_checklist(plan, outcome, None, year=year), "reporting")
    forms = {f["form"]: f for f in item.numbers["forms"]}
    assert {"Form 540", "Schedule P (540)", "Schedule D (540)"} <= set(forms)
    shares = sum(row["shares"].values())
    spread = shares * (6.00 - 1.00)  # hand: 2027 price $6.00, strike $1.00
    assert row["iso_spread"] == pytest.approx(spread)
    assert f"line 10: ${spread:,.0f} of ISO spread" in forms["Schedule P (540)"]["what"]
    # at the sale, Schedule P line 9 = regular basis - AMT basis = shares x ($1.00 - $6.00)
    assert forms["Schedule D (540)"]["year"] == 2030
    assert f"Schedule P (540) line 9: -${shares * 5.0:,.0f}" in forms["Schedule D (540)"]["what"]
    assert "FTB 3510" not in forms  # no California AMT in 2027, so no credit to recover
    assert any("California adds Form 540" in d for d in item.detail)


def test_item_4_counts_california_tax(ca):
    plan, outcome = ca
    year = _amt_years(outcome)[0]
    t = outcome.model.years.index(year)
    item = _item(build_checklist(plan, outcome, None, year=year), "cash_test")
    n = item.numbers
    row = _row(outcome, year)
    # California's part: the year's California tax less the California tax of the same year with no exercise
    # (the household without ISO spread; no credit in the no-exercise path)
    base = compute_california(outcome.model.base[t], outcome.model.ca_law,
                              property_tax=float(outcome.model.property_tax[t]))
    assert n["california_tax_due"] == pytest.approx(row["california"]["tax"] - float(base.ca_total_tax[0]), abs=0.01)
    assert n["california_tax_due"] > 0
    assert n["federal_tax_due"] + n["california_tax_due"] == pytest.approx(n["tax_due"])
    assert n["cash_needed"] == pytest.approx(n["strike_cash"] + n["tax_due"] - n["sale_proceeds"])
    assert "California" in item.detail[0]


def test_schedule_california_returns_match_the_plan_rows(ca):
    _plan, outcome = ca
    returns = schedule_california_returns(outcome)
    rows = outcome.year_rows(outcome.recommended)
    assert len(returns) == len(rows)
    for r, row in zip(returns, rows, strict=True):
        assert float(r.ca_amt[0]) == pytest.approx(row["california"]["amt"], abs=0.01)
        assert float(r.ca_amt_credit_used[0]) == pytest.approx(row["california"]["credit_used"], abs=0.01)
        assert float(r.ca_p_line10[0]) == pytest.approx(row["iso_spread"])
        # Schedule P adds back the property tax on line 3 ($9,000 every year: the plan does not grow it) when
        # the return itemizes, else the standard deduction on line 1
        if r.ca_itemized[0] == 1.0:
            assert float(r.ca_p_line3[0]) == pytest.approx(9000.0) and float(r.ca_p_line1[0]) == 0.0
        else:
            assert float(r.ca_p_line1[0]) == pytest.approx(float(r.ca_deduction[0])) and float(r.ca_p_line3[0]) == 0


def test_a_federal_plan_has_no_california_figures():
    plan = parse_plan(tomllib.loads(FEDERAL_PLAN), "fed.toml", today=TODAY)
    outcome = run_plan(plan)
    checklist = build_checklist(plan, outcome, None)
    assert schedule_california_returns(outcome) == []
    for item in checklist.items:
        assert "california" not in item.numbers and "california_tax_due" not in item.numbers
        assert not any("California" in d or "(540)" in d for d in item.detail)
        assert "California" not in item.action


def test_cli_checklist_california(tmp_path, capsys):
    path = tmp_path / "sam.toml"
    path.write_text(CA_PLAN, encoding="utf-8")
    assert main(["checklist", str(path), "--no-risk", "--json", "--today", "2026-12-01"]) == 0
    data = json.loads(capsys.readouterr().out)
    room = data["items"][1]["numbers"]
    assert room["binding_room"] == min(room["amt_room"], room["california"]["amt_room"])
    assert main(["checklist", str(path), "--no-risk", "--today", "2026-12-01"]) == 0
    text = capsys.readouterr().out
    assert "California" in text and "Schedule P (540)" in text
