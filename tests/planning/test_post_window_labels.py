"""An ISO exercised after the post-employment window is taxed as an NSO (IRC §422(a)(2)) and the plan says so."""

import datetime

from isoplan.app.plan import PlanRequest, run_plan

PLAN = """
[person]
filing_status = "single"
departure_date = 2027-03-01     # the ISO window closes three months later, on 2027-06-01

[income]
wages = 150000

[cash]
per_year = 200000

[stock]
kind = "public"
price = 10.00
price_date = 2027-01-02
growth = 0.0

[[grants]]
id = "G"
kind = "ISO"
grant_date = 2020-01-15
shares = 1000
strike = 1.00
vesting = { start = 2020-01-15, months = 12, cliff_months = 0 }
post_termination_months = 120   # the plan keeps the option open for ten years after leaving

[plan]
start_year = 2028
exit_date = 2030-06-30
objective = "tax"       # the schedule the tax objective picks exercises the grant each January
"""


def test_an_exercise_after_the_window_is_labelled_nso():
    result = run_plan(PlanRequest(source=PLAN, today=datetime.date(2026, 12, 1)))
    years = result.as_dict()["recommended"]["years"]
    labels = {label for year in years for label in year["shares"]}
    assert labels, "the plan exercises the grant"
    # every exercise falls after 2027-06-01: none may be labelled plain ISO
    assert all("NSO" in label for label in labels), labels
    for year in years:
        for label, day in year["qualifying_dates"].items():
            # the date shown is the long-term date: more than one year after the January exercise
            assert datetime.date.fromisoformat(day) > datetime.date(year["year"] + 1, 1, 1), (label, day)
