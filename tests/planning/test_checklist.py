"""The exercise-year checklist: its wording file, a plan that passes, plans that stop, and the CLI.

Plans are written out in the tests. Expected numbers are hand arithmetic on the
plan's inputs (shares x (price - strike), shares x strike, the qualifying date
from the grant and exercise dates), or the engine rerun on its own inputs.
"""

from __future__ import annotations

import json
import re
import string
import tomllib
from datetime import date
from decimal import Decimal

import pytest

from isoplan.cli import main
from isoplan.planning.checklist import (
    STATUSES,
    build_checklist,
    checklist_text,
    default_year,
    schedule_households,
    schedule_returns,
)
from isoplan.planning.plan import parse_plan
from isoplan.planning.staging import run_plan

TODAY = date(2025, 12, 1)

# A public company, 5,000 vested ISOs at $10 with the stock at $20 (flat), $100,000 of cash a year, and only
# AMT-free years allowed: nothing in it should hold the exercise back.
PASSING = """
[person]
filing_status = "single"
net_worth_outside = 500000

[income]
wages = 200000

[cash]
per_year = 100000

[stock]
kind = "public"
price = 20.0
price_date = 2026-01-02

[[grants]]
id = "early-ISO"
grant_date = 2020-01-15
shares = 5000
strike = 10.0

[plan]
start_year = 2026
exit_date = 2028-06-30
zero_amt = true
"""

# Private stock (409A $10, strike $1, 40,000 ISOs), no [cash] table and $20,000 outside the company: the
# unconstrained schedule exercises most of the grant at once and the AMT dwarfs the money outside the shares.
STOPPING = """
[person]
filing_status = "single"
net_worth_outside = 20000

[income]
wages = 180000

[stock]
kind = "private"
price = 10.0
price_date = 2026-01-02
growth = 0.2
liquidity_date = 2029-01-01

[[grants]]
id = "startup"
grant_date = 2021-03-01
shares = 40000
strike = 1.0

[plan]
objective = "tax"  # the numbers pinned here are the tax objective's
start_year = 2026
exit_date = 2029-06-30
"""

# A hand-made risk result following the contract of RiskOutcome.as_dict() (docs: contracts of issue 6).
RISK_OK = {
    "paths": 1000, "seed": 0, "stock_kind": "public",
    "assumptions": {"drift": 0.05, "volatility": 0.4},
    "timing": {"year": 2026, "shares": 1750, "hatch_exists": True, "threshold_rule": "sell if below strike + AMT",
               "january": {"expected_tax": 1000.0, "prob_amt_on_vanished_gain": 0.05,
                           "expected_amt_on_vanished_gain": 200.0},
               "december": {"expected_tax": 1500.0, "prob_amt_on_vanished_gain": 0.0,
                            "expected_amt_on_vanished_gain": 0.0},
               "escape_hatch_value": 400.0,
               "spread_growth_effect": {"january_spread": 17500.0, "december_expected_spread": 19000.0,
                                        "expected_extra_amt": 300.0},
               "summary": "Exercising in January keeps the escape hatch open for the whole year."},
    "hold_vs_sell": {
        "strategies": [
            {"name": "sell now", "mean": 17000.0, "median": 17000.0, "p5": 17000.0, "p95": 17000.0,
             "prob_worse_than_sell_now": 0.0, "certainty_equivalent": 17000.0, "concentration": 0.0},
            {"name": "hold to qualifying", "mean": 21000.0, "median": 19000.0, "p5": 6000.0, "p95": 40000.0,
             "prob_worse_than_sell_now": 0.35, "certainty_equivalent": 16000.0, "concentration": 0.10},
            {"name": "partial sale", "mean": 19000.0, "median": 18000.0, "p5": 11000.0, "p95": 28000.0,
             "prob_worse_than_sell_now": 0.3, "certainty_equivalent": 16800.0, "concentration": 0.05}],
        "risk_aversion": 2.0, "target_concentration": 0.25,
        "cash_test": {"amt": 0.0, "cash": 100000.0, "covered": True, "gap": 0.0},
        "histogram": {"edges": [0.0, 10000.0, 20000.0, 30000.0, 40000.0],
                      "counts": {"sell now": [0, 1000, 0, 0], "hold to qualifying": [150, 350, 300, 200],
                                 "partial sale": [50, 450, 400, 100]}},
        "conclusion": "Holding pays more on average but is worse than selling now on 35% of paths."},
    "peak": {"amt_now": 0.0, "drop": 0.5, "value_after_drop": 17500.0, "cash": 100000.0,
             "covered_after_drop": True, "cash_gap": 0.0, "prob_amt_exceeds_value_at_year_end": 0.0,
             "summary": "No AMT to pay, so a fall in price costs no cash."},
    "pre_ipo": None,
    "fan": {"dates": ["2026-01-02", "2026-07-02", "2027-01-02"],
            "percentiles": {"5": [20.0, 12.0, 9.0], "25": [20.0, 17.0, 15.0], "50": [20.0, 20.0, 20.5],
                            "75": [20.0, 23.5, 26.0], "95": [20.0, 30.0, 38.0]},
            "stress_level": 10.0},
    "notes": ["Hand-made fixture for the tests."],
}


def plan_from(text: str, source: str = "plan.toml"):
    return parse_plan(tomllib.loads(text), source, today=TODAY)


@pytest.fixture(scope="module")
def passing():
    plan = plan_from(PASSING)
    return plan, run_plan(plan)


@pytest.fixture(scope="module")
def stopping():
    plan = plan_from(STOPPING)
    return plan, run_plan(plan)


def items_by_key(checklist):
    return {i["key"]: i for i in checklist.as_dict()["items"]}


# ---------------------------------------------------------------- the wording file


def test_the_wording_file_has_the_nine_items_in_order():
    text = checklist_text()
    assert [i.number for i in text.items] == list(range(1, 10))
    assert len({i.key for i in text.items}) == 9
    for item in text.items:
        assert item.title and item.cases
        for case, (status, action) in item.cases.items():
            assert status in STATUSES, (item.key, case)
            # one sentence: it ends with a full stop and no full stop followed by a capital sits inside it
            assert action.endswith("."), (item.key, case)
            assert not re.search(r"\.\s+[A-Z]", action), (item.key, case)
            fields = {name for _, name, _, _ in string.Formatter().parse(action) if name}
            assert all(re.fullmatch(r"[a-z_0-9]+", f) for f in fields), (item.key, case, fields)


def test_the_law_dates_in_the_wording_file_are_cited():
    law = checklist_text().law
    for name, entry in law.items():
        assert entry["citation"], name


# ---------------------------------------------------------------- a plan that passes


def test_a_plan_that_should_pass_passes(passing):
    plan, outcome = passing
    checklist = build_checklist(plan, outcome, RISK_OK)
    data = checklist.as_dict()
    assert data["overall"] == "ok", [(i["number"], i["status"], i["action"]) for i in data["items"]]
    assert [i["number"] for i in data["items"]] == list(range(1, 10))
    assert all(i["status"] == "ok" and i["action"] for i in data["items"])
    json.dumps(data)  # JSON-ready


def test_passing_numbers_by_hand(passing):
    plan, outcome = passing
    checklist = build_checklist(plan, outcome, RISK_OK)
    items = items_by_key(checklist)
    assert checklist.year == 2026 == default_year(outcome)
    shares = items["bargain_element"]["numbers"]["shares"]
    assert shares > 0
    # item 1: shares x ($20 - $10)
    assert items["bargain_element"]["numbers"]["bargain_element"] == pytest.approx(shares * (20.0 - 10.0))
    # item 2: AMT-free, inside the room
    room = items["amt_and_room"]["numbers"]
    assert room["amt"] == 0 and room["iso_spread"] <= room["amt_room"]
    # item 4: strike = shares x $10 and no extra tax (zero AMT, an ISO exercise adds no regular tax)
    cash = items["cash_test"]["numbers"]
    assert cash["strike_cash"] == pytest.approx(shares * 10.0)
    assert cash["cash_needed"] == pytest.approx(shares * 10.0)
    assert cash["cash_available"] == 100000.0 and cash["cash_gap"] == 0.0
    # item 5: regular basis = price paid ($10), AMT basis = FMV at exercise ($20), Form 6251 instructions line 2i
    (lot,) = items["cost_bases"]["numbers"]["lots"]
    assert lot["regular_basis"] == pytest.approx(shares * 10.0)
    assert lot["amt_basis"] == pytest.approx(shares * 20.0)
    assert lot["in_ledger"] is None
    # item 6: exercised 2026-01-02, granted 2020-01-15: more than 1 year after exercise is 2027-01-03
    assert list(items["calendar"]["numbers"]["qualifying_dates"].values()) == ["2027-01-03"]
    assert items["calendar"]["numbers"]["year_end_decision"] == "2026-12-31"
    assert items["calendar"]["numbers"]["amt_due"] is None
    # item 7: 3921 from the employer by January 31 of the next year, 6251 with the spread on line 2i
    forms = {f["form"]: f for f in items["reporting"]["numbers"]["forms"]}
    assert "2027-01-31" in forms["Form 3921"]["what"]
    assert f"${shares * 10:,.0f}" in forms["Form 6251"]["what"]
    assert "Form 8801" not in forms
    # item 8: January 2 to December 31 2026 is 363 days
    assert items["timing"]["numbers"]["days_to_year_end"] == 363
    assert items["timing"]["numbers"]["hatch_exists"] is True


def test_without_risk_item_9_asks_for_it(passing):
    plan, outcome = passing
    items = items_by_key(build_checklist(plan, outcome, None))
    assert items["concentration_stress"]["status"] == "warning"
    assert "isoplan risk" in items["concentration_stress"]["action"]


def test_concentration_over_target_warns(passing):
    plan, outcome = passing
    risk = json.loads(json.dumps(RISK_OK))
    risk["hold_vs_sell"]["strategies"][1]["concentration"] = 0.6
    items = items_by_key(build_checklist(plan, outcome, risk))
    assert items["concentration_stress"]["status"] == "warning"
    assert "60%" in items["concentration_stress"]["action"] and "25%" in items["concentration_stress"]["action"]


# ---------------------------------------------------------------- plans that stop


def test_private_stock_with_amt_larger_than_cash_stops(stopping):
    plan, outcome = stopping
    checklist = build_checklist(plan, outcome, None)
    assert checklist.overall == "stop"
    items = items_by_key(checklist)
    cash = items["cash_test"]
    assert cash["status"] == "stop" and cash["case"] == "gap_private"
    n = cash["numbers"]
    shares = items["bargain_element"]["numbers"]["shares"]
    row = outcome.year_rows(outcome.recommended)[0]
    # needed = shares x $1 strike + the year's extra tax; the cash is the $20,000 outside the company
    assert n["strike_cash"] == pytest.approx(shares * 1.0)
    assert n["cash_needed"] == pytest.approx(shares * 1.0 + row["extra_tax"])
    assert n["amt"] > n["cash_available"] == 20000.0
    assert n["cash_gap"] == pytest.approx(n["cash_needed"] - 20000.0)
    assert "Stop" in cash["action"]
    # no escape hatch for private stock before the liquidity date
    assert items["timing"]["status"] == "warning" and items["timing"]["numbers"]["hatch_exists"] is False
    # AMT owed: the calendar carries the April 15 payment date (IRC §6072(a))
    assert items["calendar"]["numbers"]["amt_due"] == "2027-04-15"


def test_the_same_gap_on_public_stock_is_a_warning():
    plan = plan_from(STOPPING.replace('kind = "private"', 'kind = "public"'))
    items = items_by_key(build_checklist(plan, run_plan(plan), None))
    assert items["cash_test"]["status"] == "warning" and items["cash_test"]["case"] == "gap_public"


def test_stress_test_short_on_private_stock_stops(stopping):
    plan, outcome = stopping
    risk = json.loads(json.dumps(RISK_OK))
    risk["stock_kind"] = "private"
    risk["peak"].update(amt_now=76000.0, covered_after_drop=False, cash_gap=56000.0, cash=20000.0)
    items = items_by_key(build_checklist(plan, outcome, risk))
    assert items["concentration_stress"]["status"] == "stop"
    assert "$56,000" in items["concentration_stress"]["action"] and "50%" in items["concentration_stress"]["action"]


def test_unstated_cash_warns():
    plan = plan_from(STOPPING.replace("net_worth_outside = 20000", ""))
    items = items_by_key(build_checklist(plan, run_plan(plan), None))
    assert items["cash_test"]["case"] == "not_stated" and items["cash_test"]["status"] == "warning"


def test_nso_shares_are_named_with_their_tax():
    # fmv_at_grant $40 x 5,000 = $200,000 first exercisable in 2020: $100,000 of it (2,500 shares) is over the
    # IRC §422(d) limit and is NSO
    # the stock grows 30% a year, so exercising the NSO shares at today's $20 beats waiting
    # (an ISO priced below the grant-date FMV stays an ISO only under the good-faith rule, IRC §422(c)(1))
    text = (PASSING.replace("strike = 10.0", "strike = 10.0\nfmv_at_grant = 40.0\ngood_faith_valuation = true")
            .replace("zero_amt = true", "")
            .replace("price_date = 2026-01-02", "price_date = 2026-01-02\ngrowth = 0.3"))
    plan = plan_from(text)
    outcome = run_plan(plan)
    blocks = {b["block"]: b["shares"] for b in outcome.as_dict()["blocks"]}
    assert blocks == {"early-ISO ISO": 2500, "early-ISO NSO": 2500}
    for year in plan.years[:1]:  # 2026-01-02, at $20
        items = items_by_key(build_checklist(plan, outcome, None, year=year))
        n = items["iso_limit"]["numbers"]
        if n["nso_shares"]:
            assert items["iso_limit"]["status"] == "warning"
            assert n["nso_income"] == pytest.approx(n["nso_shares"] * (20.0 - 10.0))
            assert 0 < n["nso_tax"] < n["nso_income"]
            lots = {lot["kind"]: lot for lot in items["cost_bases"]["numbers"]["lots"]}
            # NSO: the income is taxed, so the regular basis is the FMV (Treas. Reg. §1.83-4(b))
            assert lots["NSO"]["regular_basis_per_share"] == pytest.approx(20.0)
            break
    else:
        pytest.fail("no NSO exercise planned")


def test_a_year_without_exercise(passing):
    plan, outcome = passing
    items = items_by_key(build_checklist(plan, outcome, RISK_OK, year=2028))
    assert items["bargain_element"]["case"] == "nothing_planned"
    assert items["bargain_element"]["status"] == "warning"
    assert "2026" in items["bargain_element"]["action"]


# ---------------------------------------------------------------- the ledger (item 5)


def test_item_5_finds_the_planned_lots_in_the_ledger(passing, tmp_path):
    from isoplan.ledger.store import Ledger

    plan, outcome = passing
    book = Ledger.open(tmp_path / "l.db", create=True)
    book.add_grant(plan.grants[0])
    shares = int(outcome.recommended.schedule[0, 0])
    missing = items_by_key(build_checklist(plan, outcome, None, ledger_lots=book.lots(), today=date(2026, 3, 1)))
    assert missing["cost_bases"]["case"] == "missing" and missing["cost_bases"]["status"] == "warning"
    before = items_by_key(build_checklist(plan, outcome, None, ledger_lots=book.lots(), today=date(2025, 12, 1)))
    assert before["cost_bases"]["case"] == "not_yet_recorded"
    book.exercise(grant_id="early-ISO", lot_id="L1", exercise_date=date(2026, 1, 2), shares=shares,
                  fmv_at_exercise=Decimal("20"))
    items = items_by_key(build_checklist(plan, outcome, None, ledger_lots=book.lots(), today=date(2026, 3, 1)))
    assert items["cost_bases"]["case"] == "recorded"
    (lot,) = items["cost_bases"]["numbers"]["lots"]
    assert lot["in_ledger"] is True and lot["ledger_lot"] == "L1"
    (recorded,) = book.lots()
    assert float(recorded.amt_basis) == pytest.approx(lot["amt_basis"])
    assert float(recorded.regular_basis) == pytest.approx(lot["regular_basis"])
    book.close()


# ---------------------------------------------------------------- the households behind the report


@pytest.mark.parametrize("which", ["passing", "stopping"])
def test_the_engine_on_the_rebuilt_households_reproduces_the_schedule(which, request):
    _plan, outcome = request.getfixturevalue(which)
    rows = outcome.year_rows(outcome.recommended)
    for row, result, h in zip(rows, schedule_returns(outcome), schedule_households(outcome), strict=True):
        assert float(h.iso_bargain_element[0]) == pytest.approx(row["iso_spread"])
        assert float(result.regular_tax[0]) == pytest.approx(row["regular_tax"], abs=0.01)
        assert float(result.tentative_minimum_tax[0]) == pytest.approx(row["tentative_minimum_tax"], abs=0.01)
        assert float(result.amt[0]) == pytest.approx(row["amt"], abs=0.01)
        assert float(result.amt_credit_used[0]) == pytest.approx(row["credit_used"], abs=0.01)


# ---------------------------------------------------------------- the command


def write(tmp_path, text, name="plan.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_cli_checklist_json(tmp_path, capsys):
    path = write(tmp_path, STOPPING)
    code = main(["checklist", path, "--json", "--no-risk", "--today", "2025-12-01"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert set(data) >= {"year", "items", "overall"}
    assert data["overall"] == "stop"
    for item in data["items"]:
        assert set(item) >= {"number", "key", "title", "status", "numbers", "action"}


def test_cli_checklist_text_and_ics(tmp_path, capsys):
    path = write(tmp_path, STOPPING)
    ics_path = tmp_path / "dates.ics"
    code = main(["checklist", path, "--no-risk", "--ics", str(ics_path), "--today", "2025-12-01"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "Overall: STOP" in out and "4. [STOP   ] The cash test" in out
    assert "not tax advice" in out
    text = ics_path.read_text()
    assert text.startswith("BEGIN:VCALENDAR") and text.count("BEGIN:VEVENT") == 3  # qualifying, Dec 31, AMT due
    assert "DTSTART;VALUE=DATE:20270415" in text


def test_cli_checklist_bad_year_is_one_line(tmp_path, capsys):
    path = write(tmp_path, PASSING)
    code = main(["checklist", path, "--year", "2031", "--no-risk"])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.strip() == "isoplan checklist: --year: 2031 is not allowed; expected a year of the plan (2026-2028)"


def test_cli_checklist_missing_ledger_names_the_flag(tmp_path, capsys):
    path = write(tmp_path, PASSING)
    code = main(["checklist", path, "--ledger", str(tmp_path / "none.db"), "--no-risk"])
    _, err = capsys.readouterr()
    assert code == 2 and err.startswith("isoplan checklist: --ledger:") and "Traceback" not in err
