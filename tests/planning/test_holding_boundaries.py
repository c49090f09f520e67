"""The planner's holding rule (``Block.holding_ok``) one day either side of each limit.

IRC §422(a)(1): qualifying only if sold more than 1 year after exercise AND
more than 2 years after grant; §1222: long-term after more than 1 year (NSO
blocks, and ISO blocks exercised after the §422(a)(2) window). "More than"
starts the day after the anniversary; Feb 29 has its anniversary on Feb 28
(Rev. Rul. 70-598, 66-7). Dates counted by hand.
"""

from datetime import date
from decimal import Decimal as D

import pytest

from isoplan.equity.records import ISO, NSO, Grant, VestingTranche
from isoplan.planning.staging import Block


def block(granted, kind=ISO, departure=None):
    grant = Grant("g", "Acme", ISO, granted, 1_000, D("1"), D("1"), (VestingTranche(granted, 1_000),),
                  date(granted.year + 10, 1, 1), False, None, None)
    return Block(grant, kind, ((granted, granted, 1_000),), grant.expiration_date, departure)


@pytest.mark.parametrize(("granted", "exercised", "anniversary", "day_after"), [
    # 1 year after exercise decides (granted long before)
    (date(2020, 1, 10), date(2024, 3, 1), date(2025, 3, 1), date(2025, 3, 2)),
    # 2 years after grant decides
    (date(2023, 6, 15), date(2024, 1, 10), date(2025, 6, 15), date(2025, 6, 16)),
    # leap-day exercise: 1-year anniversary Feb 28, 2025
    (date(2020, 1, 10), date(2024, 2, 29), date(2025, 2, 28), date(2025, 3, 1)),
    # leap-day grant: 2-year anniversary Feb 28, 2026
    (date(2024, 2, 29), date(2024, 3, 15), date(2026, 2, 28), date(2026, 3, 1)),
    # Feb 28 of a common year, exercised: month end to month end, anniversary Feb 29, 2024
    (date(2020, 1, 10), date(2023, 2, 28), date(2024, 2, 29), date(2024, 3, 1)),
])
def test_iso_block_qualifies_the_day_after_the_later_anniversary(granted, exercised, anniversary, day_after):
    b = block(granted)
    assert b.iso_treated(exercised)
    assert not b.holding_ok(exercised, anniversary)
    assert b.holding_ok(exercised, day_after)
    assert b.qualifying_date(exercised) == day_after


def test_each_iso_test_alone_is_not_enough():
    # granted 2023-06-15, exercised 2023-07-01: on 2024-07-02 one year after exercise is met but not two years
    # after grant (first 2025-06-16); on 2025-06-16 both are met
    b = block(date(2023, 6, 15))
    assert not b.holding_ok(date(2023, 7, 1), date(2024, 7, 2))
    assert not b.holding_ok(date(2023, 7, 1), date(2025, 6, 15))
    assert b.holding_ok(date(2023, 7, 1), date(2025, 6, 16))
    # granted long before, exercised 2025-01-10: two years after grant is met, one after exercise is not
    old = block(date(2020, 1, 10))
    assert not old.holding_ok(date(2025, 1, 10), date(2026, 1, 10))
    assert old.holding_ok(date(2025, 1, 10), date(2026, 1, 11))


def test_nso_block_is_long_term_the_day_after_one_year_whatever_the_grant_date():
    b = block(date(2024, 1, 10), kind=NSO)
    assert not b.holding_ok(date(2024, 2, 29), date(2025, 2, 28))
    assert b.holding_ok(date(2024, 2, 29), date(2025, 3, 1))  # two years from grant is not needed
    assert b.qualifying_date(date(2024, 2, 29)) == date(2025, 3, 1)


def test_iso_block_exercised_after_the_window_needs_only_one_year():
    # left 2025-01-15: the last ISO day is 2025-04-15 (3 months, §422(a)(2)); exercised 2025-04-16 it is an
    # NSO exercise, long-term from 2026-04-17, with no 2-years-from-grant test (grant 2024-09-01 -> 2026-09-02)
    b = block(date(2024, 9, 1), departure=date(2025, 1, 15))
    assert b.iso_treated(date(2025, 4, 15))
    assert not b.iso_treated(date(2025, 4, 16))
    assert not b.holding_ok(date(2025, 4, 16), date(2026, 4, 16))
    assert b.holding_ok(date(2025, 4, 16), date(2026, 4, 17))
    # exercised on the last ISO day, the grant test still applies
    assert not b.holding_ok(date(2025, 4, 15), date(2026, 9, 1))
    assert b.holding_ok(date(2025, 4, 15), date(2026, 9, 2))
