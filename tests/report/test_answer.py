"""The answer first: each command's first line is the decision in one sentence, and the JSON carries it as
``answer``; the checklist's numbers are typed (dollars, percents, dates, counts) and its days come from today."""

from __future__ import annotations

import json
from datetime import date

import pytest
from tests.planning.test_checklist import items_by_key, passing  # noqa: F401  (a fixture)

from isoplan.cli import main
from isoplan.planning.checklist import build_checklist
from isoplan.report.checklist_text import number_rows, number_text
from isoplan.report.format import count, money, month_year, percent


def run(capsys, *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_formatting_layer():
    assert money(31384.4) == "$31,384" and money(-0.3) == "$0" and money(-12.5, cents=True) == "-$12.50"
    assert percent(0.26) == "26%" and percent(0.0345, digits=1) == "3.5%"
    assert count(3487, "shares") == "3,487 shares" and count(1, "shares") == "1 share"
    assert month_year("2027-01-02") == "January 2027"


def test_room_answer_first(capsys):
    argv = ["room", "--year", "2026", "--status", "single", "--wages", "200000", "--fmv", "60", "--strike", "10"]
    text = run(capsys, *argv)
    # 31,384 of room / $50 a share = 627 shares; 28,245 after the 10% margin = 564 shares
    assert text.splitlines()[0] == ("In 2026 you can exercise 627 shares ($31,384 of spread) with no AMT; "
                                    "564 with a 10% cushion.")
    data = json.loads(run(capsys, *argv, "--json"))
    assert list(data)[-1] == "answer" and data["answer"] == text.splitlines()[0]
    spread_only = run(capsys, *argv[:7])
    assert spread_only.splitlines()[0] == ("In 2026 you can exercise $31,384 of ISO spread with no AMT; $28,245 with "
                                           "a 10% cushion.")


def test_checklist_numbers_are_typed():
    assert number_text("value_after_drop", 997264.5) == "$997,264"
    assert number_text("drop", 0.5) == "50%"
    assert number_text("days_to_year_end", 363) == "363 days"
    assert number_text("exercise_date", "2026-01-02") == "2026-01-02"
    assert number_text("covered_after_drop", True) == "yes"
    assert dict(number_rows({"year": 2026}))["Year"] == "2026"
    assert ("Law", "IRC §6039(a)") in number_rows({"citation": ["IRC §6039(a)"]})


def test_checklist_cites_primary_law_only(passing):  # noqa: F811
    plan, outcome = passing
    items = items_by_key(build_checklist(plan, outcome, None))
    for citation in items["reporting"]["numbers"]["citation"]:
        assert "TAX_FACTS" not in citation and "[S]" not in citation


def test_days_left_come_from_today(passing):  # noqa: F811
    plan, outcome = passing
    # the plan exercises on 2026-01-02; on 1 December 30 days are left (not 363) and the date has passed
    items = items_by_key(build_checklist(plan, outcome, None, today=date(2026, 12, 1)))
    timing = items["timing"]
    assert timing["numbers"]["days_to_year_end"] == 30
    assert timing["status"] == "warning" and "already passed" in timing["action"]
    before = items_by_key(build_checklist(plan, outcome, None, today=date(2025, 12, 1)))
    assert before["timing"]["numbers"]["days_to_year_end"] == 363


def test_plan_answer_says_an_exercise_date_has_passed():
    from isoplan.report.answer import plan_answer

    def data(today: str | None) -> dict:
        years = [{"year": 2026, "exercise_date": "2026-01-02", "shares": {"a": 1000}},
                 {"year": 2027, "exercise_date": "2027-01-02", "shares": {"a": 0}}]
        return {"today": today, "exit": {"date": "2028-06-30"}, "baselines": [],
                "recommended": {"name": "optimized", "after_tax_value": 5000.0, "years": years}}

    assert plan_answer(data("2026-01-02")) == "Exercise January 2026: 1,000 shares ($5,000 after tax at the exit)."
    assert plan_answer(data(None)) == plan_answer(data("2026-01-02"))
    assert plan_answer(data("2026-01-03")).endswith(
        "($5,000 after tax at the exit). January 2026 is before today (2026-01-03): that exercise can no longer be "
        "made; see the notes.")


@pytest.mark.parametrize("command", ["plan", "risk", "checklist"])
def test_plan_commands_answer_first(capsys, command):
    from pathlib import Path

    example = str(Path(__file__).resolve().parents[2] / "examples" / "staging-three-years.toml")
    # the plan under the tax objective: the schedule this test pins (the risk objective is tested on its own)
    extra = ["--objective", "tax"] if command == "plan" else ["--paths", "300"]
    data = json.loads(run(capsys, command, example, "--today", "2026-12-01", *extra, "--json"))
    text = run(capsys, command, example, "--today", "2026-12-01", *extra)
    assert text.splitlines()[0] == data["answer"]
    if command == "plan":
        assert data["answer"].startswith("Exercise January 2028: 9,000 shares; January 2029: 21,000 ($146,206 ")
    if command == "risk":
        assert "drift" not in text.splitlines()[0]
    if command == "checklist":
        assert data["answer"].startswith(f"{data['year']} exercise checklist: {data['overall'].upper()}")
