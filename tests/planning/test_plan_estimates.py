"""The plan says what each year's exercise adds to that year's estimated tax, and by which installment."""

import datetime
from pathlib import Path

from isoplan.app.plan import PlanRequest, run_plan

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "staging-three-years.toml"


def test_each_exercise_year_names_its_amount_and_installment():
    result = run_plan(PlanRequest(source=str(EXAMPLE), today=datetime.date(2026, 12, 1), objective="tax"))
    years = result.as_dict()["recommended"]["years"]
    for row in years:
        estimate = row["estimated_tax"]
        if not row["exercise_date"] or row["extra_tax"] <= 0.5:
            assert estimate is None
            continue
        assert estimate["amount"] == row["extra_tax"]
        # a January 2 exercise: the first installment, April 15 moved past a weekend and DC Emancipation Day
        # (April 16) when they fall on it (IRC §6654(c)(2), §7503)
        assert row["exercise_date"].endswith("-01-02") and estimate["installment"] == 1
        due = datetime.date.fromisoformat(estimate["due_date"])
        assert due.month == 4 and 15 <= due.day <= 18 and due.weekday() < 5
    assert any(row["estimated_tax"] for row in years)
