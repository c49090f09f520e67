from datetime import date
from decimal import Decimal as D

import pytest

from isoplan.equity.records import Grant, VestingTranche, vesting_schedule
from isoplan.ledger.store import Ledger


@pytest.fixture
def book(tmp_path):
    ledger = Ledger.open(tmp_path / "ledger.db", create=True)
    yield ledger
    ledger.close()


def grant(gid="hire", *, kind="ISO", granted=date(2023, 1, 10), shares=40_000, strike="2", fmv=None,
          vesting=None, early=False, company="Acme", expires=None, months=None):
    return Grant(gid, company, kind, granted, shares, D(strike), D(fmv or strike),
                 tuple(vesting or vesting_schedule(shares, granted, months=48, cliff_months=12)),
                 expires or date(granted.year + 10, granted.month, granted.day), early, months, None)


@pytest.fixture
def make_grant():
    return grant


__all__ = ["VestingTranche", "grant"]
