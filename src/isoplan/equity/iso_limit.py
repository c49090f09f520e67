"""The §422(d) $100,000 limit: which shares of each tranche are ISO and which NSO, and why.

Per employer group (isoplan's ``company``) and per calendar year in which
options first become exercisable, the grant-date fair market value of ISO
stock may not pass the limit; options count in the order granted and the
excess is treated as NSOs (IRC §422(d)(1)-(3); Treas. Reg. §1.422-4). A
tranche is split in whole shares: the ISO part is the most shares whose
grant-date value fits in the room left.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from isoplan.equity.records import ISO, Grant
from isoplan.equity.rules import EquityRules, equity_rules


@dataclass(frozen=True)
class TrancheSplit:
    """One vesting tranche of one grant, split into ISO and NSO shares."""

    grant_id: str
    tranche: int  # 0-based position in the grant's schedule
    vest_date: date
    first_exercisable: date
    year: int
    shares: int
    iso_shares: int
    nso_shares: int
    fmv_at_grant: float
    room_before: float  # limit left in that year before this tranche (NaN for NSO grants)
    reason: str


def _usd(value: float) -> str:
    return f"${value:,.2f}".replace(".00", "")


def iso_nso_split(grants: Iterable[Grant], rules: EquityRules | None = None) -> list[TrancheSplit]:
    """Split every tranche of every grant; results in grant order (company, grant date, id)."""
    rules = rules or equity_rules()
    limit = rules.iso_annual_limit
    ordered = sorted(grants, key=lambda g: (g.company, g.grant_date, g.id))
    used: dict[tuple[str, int], float] = {}
    out: list[TrancheSplit] = []
    for grant in ordered:
        fmv = float(grant.fmv_at_grant)
        for k, tranche in enumerate(grant.vesting):
            first = grant.exercisable_date(tranche, rules)
            year = first.year
            if grant.kind != ISO:
                out.append(TrancheSplit(grant.id, k, tranche.date, first, year, tranche.shares, 0,
                                        tranche.shares, fmv, math.nan,
                                        "NSO grant: not an incentive stock option, outside the §422(d) limit"))
                continue
            key = (grant.company, year)
            before = used.get(key, 0.0)
            room = max(limit - before, 0.0)
            # a hair of tolerance so $100,000 / $10 gives 10,000 shares, not 9,999
            iso_shares = tranche.shares if fmv <= 0 else min(tranche.shares, math.floor(room / fmv + 1e-9))
            nso_shares = tranche.shares - iso_shares
            value = iso_shares * fmv
            used[key] = before + value
            early = " (early exercise: whole grant counts at grant)" if (
                grant.early_exercise_allowed and rules.early_exercise_counts_at_grant) else ""
            head = f"{year}{early}: {_usd(before)} of {_usd(limit)} used before"
            if nso_shares == 0:
                reason = f"{head}; {tranche.shares} × {_usd(fmv)} = {_usd(value)} fits: all ISO"
            elif iso_shares == 0:
                reason = f"{head}; no room left: all {nso_shares} NSO"
            else:
                reason = (f"{head}; {_usd(room)} left covers {iso_shares} × {_usd(fmv)}: "
                          f"{iso_shares} ISO, {nso_shares} NSO")
            out.append(TrancheSplit(grant.id, k, tranche.date, first, year, tranche.shares, iso_shares,
                                    nso_shares, fmv, before, reason))
    return out
