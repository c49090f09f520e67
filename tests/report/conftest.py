"""A plan, its outcome, a hand-made risk result (the issue 6 contract) and the report made from them."""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime

import pytest

PLAN = """
[person]
filing_status = "single"
net_worth_outside = 500000

[income]
wages = 250000

[cash]
per_year = 150000

[stock]
kind = "public"
price = 20.0
price_date = 2026-01-02
growth = 0.1

[[grants]]
id = "hire <ISO> & co"
company = "Acme \\"Rockets\\""
grant_date = 2021-01-15
shares = 12000
strike = 5.0

[plan]
start_year = 2026
exit_date = 2029-06-30
"""

RISK = {
    "paths": 2000, "seed": 7, "stock_kind": "public",
    "assumptions": {"drift": 0.08, "volatility": 0.45, "note": "<b>fixture</b>"},
    "timing": {"year": 2026, "shares": 4000, "hatch_exists": True, "threshold_rule": "sell below strike + AMT",
               "january": {"expected_tax": 5000.0, "prob_amt_on_vanished_gain": 0.1,
                           "expected_amt_on_vanished_gain": 800.0},
               "december": {"expected_tax": 6500.0, "prob_amt_on_vanished_gain": 0.0,
                            "expected_amt_on_vanished_gain": 0.0},
               "escape_hatch_value": 900.0,
               "spread_growth_effect": {"january_spread": 60000.0, "december_expected_spread": 66000.0,
                                        "expected_extra_amt": 1200.0},
               "summary": "January keeps the escape hatch open all year."},
    "hold_vs_sell": {
        "strategies": [
            {"name": "sell now", "mean": 150000.0, "median": 150000.0, "p5": 150000.0, "p95": 150000.0,
             "prob_worse_than_sell_now": 0.0, "certainty_equivalent": 150000.0, "concentration": 0.0},
            {"name": "hold to qualifying", "mean": 190000.0, "median": 170000.0, "p5": 60000.0, "p95": 380000.0,
             "prob_worse_than_sell_now": 0.4, "certainty_equivalent": 140000.0, "concentration": 0.2},
            {"name": "partial sale", "mean": 170000.0, "median": 160000.0, "p5": 100000.0, "p95": 260000.0,
             "prob_worse_than_sell_now": 0.35, "certainty_equivalent": 148000.0, "concentration": 0.1}],
        "risk_aversion": 2.0, "target_concentration": 0.3,
        "cash_test": {"amt": 5000.0, "cash": 150000.0, "covered": True, "gap": 0.0},
        "histogram": {"edges": [0.0, 100000.0, 200000.0, 300000.0, 400000.0],
                      "counts": {"sell now": [0, 2000, 0, 0], "hold to qualifying": [300, 800, 600, 300],
                                 "partial sale": [100, 1000, 700, 200]}},
        "conclusion": "Holding pays more on average; selling part trims the worst cases."},
    "peak": {"amt_now": 5000.0, "drop": 0.5, "value_after_drop": 40000.0, "cash": 150000.0,
             "covered_after_drop": True, "cash_gap": 0.0, "prob_amt_exceeds_value_at_year_end": 0.01,
             "summary": "A 50% fall leaves the AMT covered by cash."},
    "pre_ipo": None,
    "fan": {"dates": ["2026-01-02", "2026-07-02", "2027-01-02", "2027-07-02", "2028-01-02"],
            "percentiles": {"5": [20.0, 13.0, 10.0, 8.5, 7.5], "25": [20.0, 17.5, 16.5, 16.0, 15.8],
                            "50": [20.0, 21.0, 22.0, 23.0, 24.0], "75": [20.0, 24.5, 28.0, 31.0, 34.0],
                            "95": [20.0, 31.0, 40.0, 50.0, 60.0]},
            "stress_level": 10.0},
    "notes": ["Hand-made fixture <not the engine>."],
}

GENERATED = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def report_inputs():
    from isoplan.planning.checklist import build_checklist
    from isoplan.planning.plan import parse_plan
    from isoplan.planning.staging import run_plan

    plan = parse_plan(tomllib.loads(PLAN), "my <plan> & co.toml", today=date(2025, 12, 1))
    outcome = run_plan(plan)
    checklist = build_checklist(plan, outcome, RISK).as_dict()
    return plan, outcome, RISK, checklist


@pytest.fixture(scope="session")
def report_html(report_inputs):
    from isoplan.report.html import render_report

    plan, outcome, risk, checklist = report_inputs
    return render_report(plan, outcome, risk, checklist, generated=GENERATED, appendix=True)
