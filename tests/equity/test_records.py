"""Lots and grants: both bases, the AMT adjustment and its year, NSO income, the qualifying date."""

from datetime import date
from decimal import Decimal as D

import pytest

from isoplan.equity.records import Grant, VestingTranche, to_decimal, to_shares, vesting_schedule
from isoplan.errors import InputError


def test_form_6251_instructions_example(lot_factory):
    # Form 6251 instructions (line 2i): FMV $25, price $10, 100 shares -> adjustment (25 - 10) * 100 = $1,500
    lot = lot_factory(shares=100, strike="10", fmv="25")
    assert lot.amt_adjustment == D(1500)
    assert lot.regular_basis == D(10 * 100)  # price paid
    assert lot.amt_basis == D(10 * 100 + 1500)  # price paid plus the adjustment
    assert lot.amt_adjustment_year == 2025
    assert lot.nso_ordinary_income == 0


def test_nso_lot_income_and_basis(lot_factory):
    lot = lot_factory(kind="NSO", shares=100, strike="10", fmv="25")
    assert lot.nso_ordinary_income == D(1500)  # §83(a): spread at exercise
    assert lot.nso_income_year == 2025
    assert lot.regular_basis == D(2500) == lot.amt_basis  # §1.83-4(b): basis = price + income
    assert lot.amt_adjustment == 0 and lot.qualifying_date is None


def test_qualifying_date_is_the_later_of_the_two_periods(lot_factory):
    # grant 2024-01-15: more than 2 years -> 2026-01-16; exercise 2025-03-01: more than 1 year -> 2026-03-02
    assert lot_factory(granted=date(2024, 1, 15), exercised=date(2025, 3, 1)).qualifying_date == date(2026, 3, 2)
    # exercised soon after grant: the 2-year period from grant decides
    assert lot_factory(granted=date(2024, 1, 15), exercised=date(2024, 2, 1)).qualifying_date == date(2026, 1, 16)
    # leap-day grant: anniversary Feb 28, 2026 (month end), first qualifying day March 1, 2026
    assert lot_factory(granted=date(2024, 2, 29), exercised=date(2024, 3, 1)).qualifying_date == date(2026, 3, 1)


def test_early_exercise_without_election_measures_at_vesting(lot_factory):
    lot = lot_factory(exercised=date(2025, 3, 1), fmv="12", vesting_date=date(2026, 3, 1), fmv_at_vesting="30")
    assert not lot.vested_at_exercise
    assert lot.amt_adjustment_year == 2026  # the year the risk of forfeiture lapses (§56(b)(3), i6251 line 2i)
    assert lot.amt_adjustment == D((30 - 10) * 100)
    assert lot.amt_basis == D(10 * 100 + 2000)
    assert lot.long_term_date == date(2026, 3, 2)  # regular holding of ISO stock runs from exercise
    assert lot.amt_long_term_date == date(2027, 3, 2)  # AMT (§83 rules) from vesting


def test_early_exercise_with_83b_election_measures_at_exercise(lot_factory):
    lot = lot_factory(exercised=date(2025, 3, 1), fmv="12", vesting_date=date(2026, 3, 1), fmv_at_vesting="30",
                      election=date(2025, 3, 20))
    assert lot.amt_adjustment_year == 2025
    assert lot.amt_adjustment == D((12 - 10) * 100)


def test_missing_vesting_fmv_is_flagged_and_estimated(lot_factory):
    lot = lot_factory(exercised=date(2025, 3, 1), fmv="12", vesting_date=date(2026, 3, 1))
    assert lot.vesting_fmv_missing
    assert lot.amt_adjustment == D(200)  # exercise-date FMV stands in


def test_83b_election_after_30_days_is_refused(lot_factory):
    with pytest.raises(InputError, match="83\\(b\\)"):
        lot_factory(exercised=date(2025, 3, 1), vesting_date=date(2026, 3, 1), election=date(2025, 4, 1))
    # day 30 is still in time: March 1 + 30 days = March 31
    lot_factory(exercised=date(2025, 3, 1), vesting_date=date(2026, 3, 1), election=date(2025, 3, 31))


def test_vesting_schedule_cliff_then_monthly():
    tranches = vesting_schedule(4800, date(2024, 1, 15), months=48, cliff_months=12)
    assert tranches[0] == VestingTranche(date(2025, 1, 15), 1200)  # 12/48 of 4,800
    assert all(t.shares == 100 for t in tranches[1:])  # 4,800 / 48 a month
    assert len(tranches) == 1 + 36 and tranches[-1].date == date(2028, 1, 15)
    assert sum(t.shares for t in tranches) == 4800


def test_vesting_schedule_quarterly_with_rounding_keeps_every_share():
    tranches = vesting_schedule(1001, date(2024, 1, 31), months=48, cliff_months=12, every_months=3)
    assert sum(t.shares for t in tranches) == 1001
    assert tranches[0].shares == 1001 * 12 // 48  # 250
    assert tranches[1].date == date(2025, 4, 30)  # Jan 31 + 15 months, clamped to April's end


def test_grant_checks(grant_factory):
    with pytest.raises(InputError, match="adding up"):
        grant_factory(shares=100, vesting=[VestingTranche(date(2025, 1, 1), 50)])
    with pytest.raises(InputError, match="expiration"):
        grant_factory(expires=date(2023, 1, 1))
    with pytest.raises(InputError, match="ISO or NSO"):
        Grant("x", "A", "RSU", date(2024, 1, 1), 1, D(1), D(1), (VestingTranche(date(2024, 1, 1), 1),),
              date(2030, 1, 1))


def test_parsers_name_the_field():
    with pytest.raises(InputError, match="strike"):
        to_decimal("ten", "strike")
    assert to_decimal("$1,234.50", "x") == D("1234.50")
    assert to_decimal(0.1, "x") == D("0.1")
    with pytest.raises(InputError, match="whole number"):
        to_shares("10.5")
    assert to_shares("1,000") == 1000


def test_iso_priced_below_grant_date_fmv_is_refused(grant_factory):
    # IRC §422(b)(4); Treas. Reg. §1.422-2(e): the option price must be at least the FMV at grant
    with pytest.raises(InputError, match=r"422\(b\)\(4\).*1\.422-2\(e\).*422\(c\)\(1\)"):
        grant_factory(strike="10", fmv="12")
    # an NSO may be priced below FMV; an ISO at FMV is fine
    assert grant_factory(kind="NSO", strike="10", fmv="12").kind == "NSO"
    assert not grant_factory(strike="12", fmv="12").priced_below_fmv_in_good_faith


def test_good_faith_valuation_keeps_it_an_iso_and_flags_it(grant_factory):
    from dataclasses import replace

    ok = replace(grant_factory(strike="12", fmv="12"), strike=D("10"), good_faith_valuation=True)
    assert ok.kind == "ISO" and ok.priced_below_fmv_in_good_faith
