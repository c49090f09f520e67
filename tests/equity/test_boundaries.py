"""The day a rule starts to hold, the day before it, and the order the §422(d) limit counts in.

IRC §422(a)(1): a disposition qualifies only if made *more than* 2 years from
the grant and *more than* 1 year after the exercise. A period counted from an
event excludes that day (Rev. Rul. 70-598), so the first qualifying day is the
day after the anniversary; an event on the last day of February has its
anniversary on the last day of February (Rev. Rul. 66-7). Each expected date
below is counted by hand on the calendar.
"""

from datetime import date

import numpy as np
import pytest

from isoplan.equity.dates import (
    add_months,
    anniversary,
    anniversary_array,
    first_day_more_than,
    first_day_more_than_array,
    held_more_than,
)
from isoplan.equity.disposition import sale_flags
from isoplan.equity.exercise import iso_status_at_exercise
from isoplan.equity.iso_limit import iso_nso_split
from isoplan.equity.records import VestingTranche
from isoplan.equity.rules import equity_rules

# (start, years, anniversary, first day "more than" the years)
PERIODS = [
    (date(2024, 3, 1), 1, date(2025, 3, 1), date(2025, 3, 2)),
    (date(2023, 6, 15), 2, date(2025, 6, 15), date(2025, 6, 16)),
    (date(2024, 12, 31), 1, date(2025, 12, 31), date(2026, 1, 1)),  # crosses the year end
    (date(2024, 2, 29), 1, date(2025, 2, 28), date(2025, 3, 1)),  # leap day: Feb 29 -> Feb 28
    (date(2024, 2, 29), 2, date(2026, 2, 28), date(2026, 3, 1)),
    (date(2024, 2, 29), 4, date(2028, 2, 29), date(2028, 3, 1)),  # the next leap day
    (date(2023, 2, 28), 1, date(2024, 2, 29), date(2024, 3, 1)),  # month end to month end: Feb 28 -> Feb 29
    (date(2022, 2, 28), 2, date(2024, 2, 29), date(2024, 3, 1)),
    (date(2024, 2, 28), 1, date(2025, 2, 28), date(2025, 3, 1)),  # not a month end in 2024
    (date(2024, 1, 31), 1, date(2025, 1, 31), date(2025, 2, 1)),
]


@pytest.mark.parametrize(("start", "years", "anniv", "first"), PERIODS)
def test_more_than_n_years_starts_the_day_after_the_anniversary(start, years, anniv, first):
    assert anniversary(start, years) == anniv
    assert first_day_more_than(start, years) == first
    assert not held_more_than(start, anniv, years)
    assert held_more_than(start, first, years)


def test_the_array_versions_count_the_same_days():
    for years in (1, 2, 4):
        rows = [p for p in PERIODS if p[1] == years]
        starts = np.array([p[0] for p in rows], dtype="datetime64[D]")
        assert anniversary_array(starts, years).tolist() == [p[2] for p in rows]
        assert first_day_more_than_array(starts, years).tolist() == [p[3] for p in rows]


def test_month_arithmetic_clamps_to_the_end_of_a_shorter_month():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert add_months(date(2025, 2, 28), 1) == date(2025, 3, 28)
    assert add_months(date(2025, 2, 28), 1, month_end_to_month_end=True) == date(2025, 3, 31)


def test_the_law_data_holds_the_periods():
    # IRC §422(a)(1): 2 years from grant, 1 year after exercise; §1222: long-term after 1 year;
    # §422(a)(2): 3 months (12 on disability, §422(c)(6)); §422(d): $100,000; §83(b)(2): 30 days
    rules = equity_rules()
    assert (rules.years_after_grant, rules.years_after_exercise, rules.long_term_years) == (2, 1, 1)
    assert (rules.employment_months, rules.employment_months_disability) == (3, 12)
    assert rules.iso_annual_limit == 100_000
    assert rules.election_83b_days == 30
    assert rules.iso_maximum_term_years == 10
    assert rules.return_due == (4, 15)


# ------------------------------------------------------------ a sale's qualifying status, one day either side


@pytest.mark.parametrize(("granted", "exercised", "last_disqualifying", "first_qualifying"), [
    # the exercise test decides: grant long before
    (date(2022, 1, 10), date(2024, 3, 1), date(2025, 3, 1), date(2025, 3, 2)),
    # the grant test decides: exercised soon after the grant, 1 year after exercise comes first
    (date(2023, 6, 15), date(2024, 3, 1), date(2025, 6, 15), date(2025, 6, 16)),
    # leap-day exercise: anniversary Feb 28, 2025
    (date(2021, 5, 1), date(2024, 2, 29), date(2025, 2, 28), date(2025, 3, 1)),
    # leap-day grant: 2-year anniversary Feb 28, 2026
    (date(2024, 2, 29), date(2024, 3, 4), date(2026, 2, 28), date(2026, 3, 1)),
    # both tests end on the same day
    (date(2023, 9, 5), date(2024, 9, 5), date(2025, 9, 5), date(2025, 9, 6)),
])
def test_a_sale_on_the_anniversary_is_disqualifying_and_the_day_after_qualifies(
        lot_factory, granted, exercised, last_disqualifying, first_qualifying):
    lot = lot_factory(granted=granted, exercised=exercised)
    assert lot.qualifying_date == first_qualifying
    assert not sale_flags(lot, last_disqualifying)["qualifying"]
    assert sale_flags(lot, first_qualifying)["qualifying"]


def test_long_term_starts_the_day_after_one_year_from_exercise(lot_factory):
    lot = lot_factory(granted=date(2022, 1, 10), exercised=date(2024, 2, 29))
    assert lot.long_term_date == lot.amt_long_term_date == date(2025, 3, 1)
    assert not sale_flags(lot, date(2025, 2, 28))["long_term"]
    assert not sale_flags(lot, date(2025, 2, 28))["amt_long_term"]
    assert sale_flags(lot, date(2025, 3, 1))["long_term"]
    assert sale_flags(lot, date(2025, 3, 1))["amt_long_term"]


def test_nso_lot_is_long_term_the_day_after_one_year(lot_factory):
    lot = lot_factory(kind="NSO", granted=date(2022, 1, 10), exercised=date(2024, 3, 1))
    assert lot.qualifying_date is None
    assert lot.long_term_date == date(2025, 3, 2)


# ------------------------------------------------------------ §422(a)(2): the last ISO day after employment ends


@pytest.mark.parametrize(("left", "reason", "last_iso_day"), [
    (date(2025, 1, 15), "left", date(2025, 4, 15)),  # 3 months
    (date(2024, 11, 30), "left", date(2025, 2, 28)),  # clamped to the end of February
    (date(2025, 1, 15), "disability", date(2026, 1, 15)),  # 12 months, §422(c)(6)
])
def test_an_exercise_on_the_last_iso_day_is_iso_and_the_next_day_is_not(left, reason, last_iso_day):
    from datetime import timedelta

    assert iso_status_at_exercise(left, left, reason).iso  # still employed that day
    on_last = iso_status_at_exercise(last_iso_day, left, reason)
    assert on_last.iso and on_last.last_iso_day == last_iso_day
    assert not iso_status_at_exercise(last_iso_day + timedelta(days=1), left, reason).iso


def test_after_death_there_is_no_employment_window():
    assert iso_status_at_exercise(date(2030, 1, 1), date(2025, 1, 15), "death").iso


# ------------------------------------------------------------ §422(d): options count in the order granted


def test_the_limit_counts_by_grant_date_not_by_id(grant_factory):
    # ids sort the opposite way to the grant dates. Both grants first become exercisable in 2025:
    # "a-later" (granted 2024-06-01): 8,000 x $10 = $80,000; "z-earlier" (granted 2024-01-15): 8,000 x $10.
    # In grant order z-earlier takes $80,000 (all ISO); a-later gets the $20,000 left = 2,000 ISO, 6,000 NSO.
    later = grant_factory("a-later", granted=date(2024, 6, 1), shares=8_000, strike="10",
                          vesting=[VestingTranche(date(2025, 6, 1), 8_000)])
    earlier = grant_factory("z-earlier", granted=date(2024, 1, 15), shares=8_000, strike="10",
                            vesting=[VestingTranche(date(2025, 1, 15), 8_000)])
    for given in ([later, earlier], [earlier, later]):
        splits = {s.grant_id: s for s in iso_nso_split(given)}
        assert (splits["z-earlier"].iso_shares, splits["z-earlier"].nso_shares) == (8_000, 0)
        assert (splits["a-later"].iso_shares, splits["a-later"].nso_shares) == (2_000, 6_000)
        assert splits["a-later"].room_before == 80_000


def test_the_limit_is_per_company_and_per_year(grant_factory):
    # $90,000 at Acme in 2025 and $90,000 at Beta in 2025 both fit; a second Acme tranche in 2025 of
    # 2,000 x $10 = $20,000 finds $10,000 left: 1,000 ISO, 1,000 NSO; the same in 2026 fits whole.
    acme = grant_factory("acme", company="Acme", granted=date(2024, 1, 15), shares=13_000, strike="10",
                         vesting=[VestingTranche(date(2025, 1, 15), 9_000), VestingTranche(date(2025, 7, 15), 2_000),
                                  VestingTranche(date(2026, 1, 15), 2_000)])
    beta = grant_factory("beta", company="Beta", granted=date(2024, 1, 15), shares=9_000, strike="10",
                         vesting=[VestingTranche(date(2025, 1, 15), 9_000)])
    splits = iso_nso_split([acme, beta])
    got = [(s.grant_id, s.year, s.iso_shares, s.nso_shares) for s in splits]
    assert got == [("acme", 2025, 9_000, 0), ("acme", 2025, 1_000, 1_000), ("acme", 2026, 2_000, 0),
                   ("beta", 2025, 9_000, 0)]


def test_exactly_the_limit_is_all_iso_and_one_share_more_is_not(grant_factory):
    # 10,000 x $10 = $100,000 is "not more than" the limit; 10,001 shares: the last one is NSO
    exact = grant_factory("exact", granted=date(2024, 1, 15), shares=10_000, strike="10",
                          vesting=[VestingTranche(date(2025, 1, 15), 10_000)])
    split = iso_nso_split([exact])[0]
    assert (split.iso_shares, split.nso_shares) == (10_000, 0)
    over = grant_factory("over", granted=date(2024, 1, 15), shares=10_001, strike="10",
                         vesting=[VestingTranche(date(2025, 1, 15), 10_001)])
    split = iso_nso_split([over])[0]
    assert (split.iso_shares, split.nso_shares) == (10_000, 1)


def test_early_exercise_counts_the_whole_grant_in_the_grant_year(grant_factory):
    # Treas. Reg. §1.422-4(b)(4): exercisable in full at grant: 12,000 x $10 = $120,000 all in 2024
    early = grant_factory("early", granted=date(2024, 3, 1), shares=12_000, strike="10", early=True,
                          vesting=[VestingTranche(date(2025, 3, 1), 6_000), VestingTranche(date(2026, 3, 1), 6_000)])
    splits = iso_nso_split([early])
    assert [(s.year, s.iso_shares, s.nso_shares) for s in splits] == [(2024, 6_000, 0), (2024, 4_000, 2_000)]


# ------------------------------------------------------------ §83(b)(2): "not later than 30 days after"


def test_an_83b_election_on_day_30_is_accepted_and_day_31_refused(lot_factory):
    from isoplan.errors import InputError

    # exercised (transferred) 2025-03-01, vesting later; day 30 after it is 2025-03-31
    lot = lot_factory(exercised=date(2025, 3, 1), vesting_date=date(2026, 3, 1), fmv_at_vesting="40",
                      election=date(2025, 3, 31))
    assert lot.elected_83b and lot.measured_at_exercise
    with pytest.raises(InputError, match="83"):
        lot_factory(exercised=date(2025, 3, 1), vesting_date=date(2026, 3, 1), fmv_at_vesting="40",
                    election=date(2025, 4, 1))


def test_shares_vesting_on_the_exercise_day_are_vested_at_exercise(lot_factory):
    lot = lot_factory(exercised=date(2025, 3, 1), vesting_date=date(2025, 3, 1), fmv_at_vesting="40")
    assert lot.vested_at_exercise and lot.measurement_date == date(2025, 3, 1)
    assert lot.amt_long_term_date == date(2026, 3, 2)


def test_the_post_employment_window_never_runs_past_the_option_term(grant_factory):
    # IRC §422(b)(3): not exercisable after its term. Left 2033-12-01: 3 months would run to 2034-03-01,
    # but the option expires 2034-01-15 (granted 2024-01-15, 10 years)
    grant = grant_factory(granted=date(2024, 1, 15))
    assert grant.expiration_date == date(2034, 1, 15)
    assert grant.plan_window_end(date(2033, 12, 1)) == date(2034, 1, 15)
    # left a year earlier the 3-month window ends first: 2032-12-01 + 3 months
    assert grant.plan_window_end(date(2032, 12, 1)) == date(2033, 3, 1)
    # a plan window in days, also cut at the term: 2034-01-10 + 90 days would be 2034-04-10
    days = grant_factory(granted=date(2024, 1, 15), days=90)
    assert days.plan_window_end(date(2034, 1, 10)) == date(2034, 1, 15)
    assert days.plan_window_end(date(2033, 1, 10)) == date(2033, 4, 10)


def test_an_underwater_iso_exercise_has_no_negative_adjustment():
    # Form 6251 line 2i is the excess of FMV over the price: $8 FMV on a $10 strike adds 0, not -$200
    from isoplan.equity.disposition import amt_adjustments

    assert amt_adjustments([100, 100, 100], [10, 10, 10], [8, 10, 25]).tolist() == [0, 0, 1_500]
