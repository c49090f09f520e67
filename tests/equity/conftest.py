from datetime import date
from decimal import Decimal as D

import pytest

from isoplan.equity.records import Grant, Lot, VestingTranche, vesting_schedule


def make_grant(gid="g", *, company="Acme", kind="ISO", granted=date(2024, 1, 15), shares=4800, strike="10",
               fmv=None, vesting=None, expires=None, early=False, months=None, days=None):
    vesting = vesting or vesting_schedule(shares, granted, months=48, cliff_months=12)
    return Grant(gid, company, kind, granted, shares, D(strike), D(fmv if fmv is not None else strike),
                 tuple(vesting), expires or date(granted.year + 10, granted.month, granted.day), early, months, days)


def make_lot(lid="lot", *, kind="ISO", granted=date(2024, 1, 15), exercised=date(2025, 3, 1), shares=100,
             strike="10", fmv="25", vesting_date=None, fmv_at_vesting=None, election=None):
    return Lot(lid, "g", kind, granted, exercised, shares, D(strike), D(fmv), vesting_date,
               D(fmv_at_vesting) if fmv_at_vesting is not None else None, election)


@pytest.fixture
def grant_factory():
    return make_grant


@pytest.fixture
def lot_factory():
    return make_lot


__all__ = ["VestingTranche", "make_grant", "make_lot"]
