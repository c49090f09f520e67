"""The minimum tax credit left on the table: credit allowable in a year but not claimed, and until when an
amended return can still claim it.

The credit of IRC §53 is the AMT of earlier years (its deferral part) less the
credit *allowable* in the years since (§53(b)); each year allows at most
regular tax minus tentative minimum tax (§53(c); Form 8801 lines 21-25). A
household's own history (the ledger) gives that chain year by year. Where the
carryforward the household actually entered for a year is smaller, the year
allowed credit that its return did not claim:

* claimed = the lesser of the carryforward entered and the year's limit
  (Form 8801 line 24): what a return carrying that amount claims;
* unclaimed = the credit the chain allows that year (line 25) minus that.

It comes from the AMT years whose credit the chain uses first (first in,
first out: the oldest credit is used first). It is claimed on an amended
return of the year where it was allowable (Form 1040-X with Form 8801), within
3 years from that return's filing (IRC §6511(a)), each return assumed filed on
its due date (§6513(a)); California's FTB 3510 credit within 4 years from the
original due date (R&TC §19306). Under the reading of "allowable" in §53(b),
credit allowable in a year whose period has closed is lost, not carried on.

Every period and date rule comes from ``parameters/<jurisdiction>/amendment.toml``.
"""

from __future__ import annotations

import functools
import tomllib
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from isoplan.tax.estimates import CALIFORNIA, FEDERAL, JURISDICTION_DIRS, estimate_law, next_business_day

AMENDMENT_FILE = "amendment.toml"
#: Unclaimed credit below this many dollars is rounding, not credit left on the table.
CREDIT_TOLERANCE = 0.5


@dataclass(frozen=True)
class AmendmentLaw:
    """One jurisdiction's claim period for an amended return, with its citations."""

    jurisdiction: str
    form: str
    due_month: int
    due_day: int
    claim_years: int
    lost_when_closed: bool
    last_day_moves: bool
    citations: tuple[str, ...]


def parse_amendment_law(data: dict[str, Any], source: str) -> AmendmentLaw:
    """Check an ``amendment.toml``: every table has a description and a citation."""
    citations: list[str] = []
    for name in ("return_due", "claim_period", "credit_allowable", "last_day_moves"):
        table = data.get(name)
        if not isinstance(table, dict) or not table.get("description") or not table.get("citation"):
            raise ValueError(f"{source}: [{name}] needs a description and a citation")
        citations += list(table["citation"])
    return AmendmentLaw(
        jurisdiction=str(data["jurisdiction"]), form=str(data["form"]),
        due_month=int(data["return_due"]["month"]), due_day=int(data["return_due"]["day"]),
        claim_years=int(data["claim_period"]["years"]),
        lost_when_closed=bool(data["credit_allowable"]["lost_when_closed"]),
        last_day_moves=bool(data["last_day_moves"]["moves"]), citations=tuple(citations),
    )


@functools.lru_cache(maxsize=4)
def amendment_law(jurisdiction: str = FEDERAL) -> AmendmentLaw:
    """The cached claim-period law of ``federal`` or ``california``."""
    path = JURISDICTION_DIRS[jurisdiction] / AMENDMENT_FILE
    return parse_amendment_law(tomllib.loads(Path(path).read_text(encoding="utf-8")), f"{jurisdiction}/{path.name}")


@dataclass(frozen=True)
class CreditYear:
    """One year of a credit chain (Form 8801 or FTB 3510) beside what the household entered for it."""

    year: int
    limit: float  # Form 8801 line 24: regular tax minus TMT, not below 0
    allowable: float  # line 25 of the chain computed from the first year
    available: float  # line 21 of that chain: the carryforward the history implies
    created: float  # credit this year's AMT creates for next year (line 18 of next year's form)
    entered: float | None  # the carryforward the household entered for the year; None: not entered


@dataclass(frozen=True)
class UnclaimedCredit:
    """Credit allowable in ``year`` that the carryforward entered for it leaves unclaimed."""

    jurisdiction: str
    year: int
    carryforward_entered: float
    carryforward_computed: float
    allowable: float
    claimed: float
    amount: float
    from_years: tuple[int, ...]  # the AMT years the credit came from (the year before the first: earlier credit)
    form: str
    return_due: date
    claim_by: date  # the return's due date plus the claim period
    claim_by_next_business_day: date  # the same, moved past a weekend or holiday
    open: bool  # the claim period has not closed as of ``today``


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # February 29
        return day.replace(year=day.year + years, day=28)


def unclaimed_credit(chain: Sequence[CreditYear], today: date, jurisdiction: str = FEDERAL,
                     initial_carryforward: float = 0.0) -> list[UnclaimedCredit]:
    """Every year of ``chain`` whose entered carryforward leaves allowable credit unclaimed.

    ``chain`` is in year order; its first year's carryforward is the history's
    starting point (``initial_carryforward``, credit from before the first
    year) and is never compared. The credit used is charged to the oldest
    credit first, the claimed part before the unclaimed part.
    """
    law = amendment_law(jurisdiction)
    holidays = estimate_law(CALIFORNIA if jurisdiction == CALIFORNIA else FEDERAL)
    layers: deque[list[float]] = deque()
    if chain and initial_carryforward > 0:
        layers.append([chain[0].year - 1, initial_carryforward])

    def take(amount: float) -> list[int]:
        years: list[int] = []
        while amount > CREDIT_TOLERANCE and layers:
            layer = layers[0]
            used = min(layer[1], amount)
            layer[1] -= used
            amount -= used
            if used > CREDIT_TOLERANCE:
                years.append(int(layer[0]))
            if layer[1] <= CREDIT_TOLERANCE:
                layers.popleft()
        return years

    out: list[UnclaimedCredit] = []
    for i, cy in enumerate(chain):
        compared = i > 0 and cy.entered is not None
        claimed = min(cy.entered or 0.0, cy.limit) if compared else cy.allowable
        claimed = min(claimed, cy.allowable)
        take(claimed)
        amount = cy.allowable - claimed
        if compared and amount > CREDIT_TOLERANCE:
            due = date(cy.year + 1, law.due_month, law.due_day)
            claim_by = _add_years(due, law.claim_years)
            moved = next_business_day(claim_by, holidays) if law.last_day_moves else claim_by
            out.append(UnclaimedCredit(
                jurisdiction=jurisdiction, year=cy.year, carryforward_entered=float(cy.entered or 0.0),
                carryforward_computed=cy.available, allowable=cy.allowable, claimed=claimed, amount=amount,
                from_years=tuple(take(amount)), form=law.form, return_due=due, claim_by=claim_by,
                claim_by_next_business_day=moved, open=today <= moved,
            ))
        else:
            take(amount)
        if cy.created > 0:
            layers.append([cy.year, cy.created])
    return out
