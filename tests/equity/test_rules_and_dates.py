"""The rules file and the counting of periods ("more than one year", month ends, leap days)."""

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from isoplan.equity.dates import (
    add_months,
    anniversary,
    anniversary_array,
    first_day_more_than,
    first_day_more_than_array,
    held_more_than,
)
from isoplan.equity.rules import equity_rules, parse_rules


def test_every_rule_has_a_citation_and_a_description():
    rules = equity_rules()
    assert len(rules.rules) >= 15
    for rule in rules.rules.values():
        assert rule.citations and all(c.strip() for c in rule.citations), rule.name
        assert rule.description.strip(), rule.name


def test_rules_hold_the_statutory_numbers():
    rules = equity_rules()
    assert rules.years_after_grant == 2  # §422(a)(1)
    assert rules.years_after_exercise == 1  # §422(a)(1)
    assert rules.employment_months == 3  # §422(a)(2)
    assert rules.employment_months_disability == 12  # §422(c)(6)
    assert rules.iso_annual_limit == 100_000  # §422(d)
    assert rules.election_83b_days == 30  # §83(b)(2)
    assert rules.return_due == (4, 15)  # §6072(a)


def test_a_rule_without_citation_is_refused():
    with pytest.raises(ValueError, match="citation"):
        parse_rules({"x": {"description": "d", "years": 1}})
    with pytest.raises(ValueError, match="description"):
        parse_rules({"x": {"citation": "IRC §1", "years": 1}})


# ---------------------------------------------------------------- counting periods


def test_more_than_one_year_starts_the_day_after_the_anniversary():
    # J.K. Lasser's Your Income Tax §5.9: bought September 19, 2012; a sale on or after
    # September 20, 2013 is long-term (day of purchase excluded, day of sale included).
    assert first_day_more_than(date(2012, 9, 19), 1) == date(2013, 9, 20)
    assert not held_more_than(date(2012, 9, 19), date(2013, 9, 19), 1)
    assert held_more_than(date(2012, 9, 19), date(2013, 9, 20), 1)


@pytest.mark.parametrize(
    ("start", "years", "anniv", "first"),
    [
        (date(2024, 2, 29), 1, date(2025, 2, 28), date(2025, 3, 1)),  # leap day: month end -> month end
        (date(2023, 2, 28), 1, date(2024, 2, 29), date(2024, 3, 1)),  # month end in a common year -> leap Feb 29
        (date(2024, 2, 28), 1, date(2025, 2, 28), date(2025, 3, 1)),  # not a month end in 2024
        (date(2024, 2, 28), 2, date(2026, 2, 28), date(2026, 3, 1)),
        (date(2022, 2, 28), 2, date(2024, 2, 29), date(2024, 3, 1)),  # month end two years on lands on a leap day
        (date(2024, 1, 31), 1, date(2025, 1, 31), date(2025, 2, 1)),
        (date(2024, 4, 30), 1, date(2025, 4, 30), date(2025, 5, 1)),
        (date(2024, 12, 31), 2, date(2026, 12, 31), date(2027, 1, 1)),
    ],
)
def test_month_end_and_leap_day_anniversaries(start, years, anniv, first):
    assert anniversary(start, years) == anniv
    assert first_day_more_than(start, years) == first


def test_add_months_clamps_to_the_month_end():
    # last ISO day after employment ends on November 30 / 29: three months later, clamped
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert add_months(date(2023, 11, 30), 3) == date(2024, 2, 29)
    assert add_months(date(2023, 11, 29), 3) == date(2024, 2, 29)
    assert add_months(date(2024, 1, 15), 3) == date(2024, 4, 15)


@given(st.lists(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)), min_size=1, max_size=30),
       st.integers(min_value=1, max_value=3))
def test_array_version_matches_the_scalar_one(days, years):
    arr = np.array(days, dtype="datetime64[D]")
    got = first_day_more_than_array(arr, years)
    assert [d.astype(object) for d in got] == [first_day_more_than(d, years) for d in days]
    assert [d.astype(object) for d in anniversary_array(arr, years)] == [anniversary(d, years) for d in days]


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)))
def test_the_first_qualifying_day_is_the_only_boundary(day):
    first = first_day_more_than(day, 1)
    assert held_more_than(day, first, 1)
    assert not held_more_than(day, first - timedelta(days=1), 1)
    assert 365 <= (first - day).days <= 367
