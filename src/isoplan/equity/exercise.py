"""Exercising a grant: which tranches the shares come from, ISO or NSO, vested or not.

:func:`plan_exercise` is pure: given a grant, its §422(d) split, the lots
already exercised from it and the request, it returns the new lots or raises
:class:`InputError` (exercise before grant, after expiry, after the plan's
post-termination window, more shares than exercisable).

Which shares an exercise takes [U, isoplan's convention; the corporation may
designate ISO stock]: vested tranches first, oldest first, then (early
exercise) unvested tranches in vesting order; within a tranche, ISO shares
before NSO shares unless ``kind`` asks for one kind. One lot is made per
(kind, vesting date).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from isoplan.equity.dates import add_months
from isoplan.equity.iso_limit import TrancheSplit
from isoplan.equity.records import ISO, NSO, Grant, Lot
from isoplan.equity.rules import EquityRules, equity_rules
from isoplan.errors import InputError

TERMINATION_REASONS = ("left", "disability", "death")


@dataclass(frozen=True)
class IsoStatus:
    """Whether an exercise of an ISO grant on a date gets ISO treatment, and why."""

    iso: bool
    reason: str
    last_iso_day: date | None = None


def iso_status_at_exercise(
    exercise_date: date,
    termination_date: date | None = None,
    termination_reason: str = "left",
    rules: EquityRules | None = None,
) -> IsoStatus:
    """IRC §422(a)(2): employed until 3 months before exercise (1 year on disability, §422(c)(6);
    no requirement after death, §421(c)(1)(A)); an exercise after that window is an NSO exercise."""
    rules = rules or equity_rules()
    if termination_date is None or exercise_date <= termination_date:
        return IsoStatus(True, "exercised while employed")
    if termination_reason not in TERMINATION_REASONS:
        raise InputError("termination reason", termination_reason, "one of " + ", ".join(TERMINATION_REASONS))
    if termination_reason == "death" and not rules.employment_rule_applies_on_death:
        return IsoStatus(True, f"exercised after death: no employment requirement "
                               f"({rules.citation('employment_before_exercise_death')})")
    if termination_reason == "disability":
        months, rule = rules.employment_months_disability, "employment_before_exercise_disability"
    else:
        months, rule = rules.employment_months, "employment_before_exercise"
    last = add_months(termination_date, months)
    if exercise_date <= last:
        return IsoStatus(True, f"exercised within {months} months after employment ended "
                               f"(last ISO day {last.isoformat()}, {rules.citation(rule)})", last)
    return IsoStatus(False, f"exercised after the {months}-month post-employment window closed on "
                            f"{last.isoformat()}: NSO ({rules.citation(rule)})", last)


@dataclass
class _Pool:
    tranche: int
    vest_date: date
    exercisable: date
    iso_left: int
    nso_left: int


def _pools(grant: Grant, splits: Sequence[TrancheSplit], rules: EquityRules) -> list[_Pool]:
    mine = sorted((s for s in splits if s.grant_id == grant.id), key=lambda s: s.tranche)
    if len(mine) != len(grant.vesting):
        raise ValueError(f"split of grant {grant.id} does not match its vesting schedule")
    return [_Pool(s.tranche, s.vest_date, grant.exercisable_date(grant.vesting[s.tranche], rules),
                  s.iso_shares, s.nso_shares) for s in mine]


def _take(pools: list[_Pool], kind: str, shares: int, on: date, *, vested: bool | None,
          vest_date: date | None = None) -> list[tuple[_Pool, str, int]]:
    """Take up to ``shares`` of ``kind`` ('ISO', 'NSO' or 'auto') from the pools, in order."""
    taken: list[tuple[_Pool, str, int]] = []
    for pool in pools:
        if shares == 0:
            break
        if vest_date is not None and pool.vest_date != vest_date:
            continue
        if vested is True and pool.vest_date > on:
            continue
        if vested is False and pool.vest_date <= on:
            continue
        kinds = {"auto": (ISO, NSO), "nso_first": (NSO, ISO)}.get(kind, (kind,))
        for k in kinds:
            left = pool.iso_left if k == ISO else pool.nso_left
            n = min(left, shares)
            if n:
                if k == ISO:
                    pool.iso_left -= n
                else:
                    pool.nso_left -= n
                shares -= n
                taken.append((pool, k, n))
    return taken


def remaining_pools(grant: Grant, splits: Sequence[TrancheSplit], lots: Sequence[Lot],
                    rules: EquityRules | None = None) -> list[_Pool]:
    """The grant's tranches with the ISO and NSO shares not yet exercised, replaying ``lots``.

    Lots record their kind as exercised. An NSO lot takes NSO shares first,
    then ISO shares (a lot made NSO by the post-employment rule came from
    ISO shares).
    """
    rules = rules or equity_rules()
    pools = _pools(grant, splits, rules)
    for lot in sorted((x for x in lots if x.grant_id == grant.id), key=lambda x: (x.exercise_date, x.id)):
        kind = "nso_first" if lot.kind == NSO else ISO
        if lot.vested_at_exercise:
            got = _take(pools, kind, lot.shares, lot.exercise_date, vested=True)
        else:
            got = _take(pools, kind, lot.shares, lot.exercise_date, vested=None, vest_date=lot.vesting_date)
        missing = lot.shares - sum(n for _, _, n in got)
        if missing:
            # records imported without a matching schedule (e.g. Form 3921): take any shares left
            got = _take(pools, "auto", missing, lot.exercise_date, vested=None)
    return pools


def plan_exercise(
    grant: Grant,
    splits: Sequence[TrancheSplit],
    prior_lots: Sequence[Lot],
    *,
    lot_id: str,
    exercise_date: date,
    shares: int,
    fmv_at_exercise: Decimal,
    kind: str = "auto",
    election_83b_date: date | None = None,
    fmv_at_vesting: Decimal | None = None,
    termination_date: date | None = None,
    termination_reason: str = "left",
    rules: EquityRules | None = None,
) -> list[Lot]:
    """The lots an exercise creates, or :class:`InputError` saying why it cannot happen."""
    rules = rules or equity_rules()
    kind = kind if kind == "auto" else kind.upper()
    if kind not in ("auto", ISO, NSO):
        raise InputError("kind", kind, "auto, iso or nso")
    if grant.kind == NSO and kind == ISO:
        raise InputError("kind", "iso", f"nso or auto: grant {grant.id} is an NSO grant")
    if shares < 1:
        raise InputError("shares", shares, "at least 1")
    if fmv_at_exercise < 0:
        raise InputError("fmv", fmv_at_exercise, "a price of 0 or more")
    if exercise_date < grant.grant_date:
        raise InputError("exercise date", exercise_date.isoformat(),
                         f"a date on or after the grant date {grant.grant_date.isoformat()} of {grant.id}")
    if exercise_date > grant.expiration_date:
        raise InputError("exercise date", exercise_date.isoformat(),
                         f"a date on or before the expiration {grant.expiration_date.isoformat()} of {grant.id}")
    if termination_date is not None:
        if termination_date < grant.grant_date:
            raise InputError("termination date", termination_date.isoformat(),
                             f"a date on or after the grant date {grant.grant_date.isoformat()}")
        window_end = grant.plan_window_end(termination_date, rules)
        if exercise_date > window_end and termination_reason != "death":
            raise InputError("exercise date", exercise_date.isoformat(),
                             f"a date on or before {window_end.isoformat()}, when the plan's post-termination "
                             f"exercise window of {grant.id} closed")

    pools = remaining_pools(grant, splits, prior_lots, rules)
    taken = _take(pools, kind, shares, exercise_date, vested=True)
    vested_count = sum(n for _, _, n in taken)
    if vested_count < shares:
        if grant.early_exercise_allowed:
            taken += _take(pools, kind, shares - vested_count, exercise_date, vested=False)
        got = sum(n for _, _, n in taken)
        if got < shares:
            what = "" if kind == "auto" else f" {kind}"
            if grant.early_exercise_allowed:
                allowed = f"at most {got}{what} shares: the unexercised shares of {grant.id}"
            else:
                allowed = (f"at most {got}{what} shares: the vested, unexercised shares of {grant.id} on "
                           f"{exercise_date.isoformat()} (the grant does not allow early exercise)")
            raise InputError("shares", shares, allowed)

    status = iso_status_at_exercise(exercise_date, termination_date, termination_reason, rules)
    groups: dict[tuple[str, date | None], list[tuple[_Pool, str, int]]] = {}
    for pool, k, n in taken:
        vest = None if pool.vest_date <= exercise_date else pool.vest_date
        groups.setdefault((k, vest), []).append((pool, k, n))

    unvested_dates = {vest for (_, vest) in groups if vest is not None}
    if fmv_at_vesting is not None and len(unvested_dates) != 1:
        raise InputError("fmv at vesting", fmv_at_vesting,
                         "no value: this exercise has " + ("no unvested shares" if not unvested_dates else
                         f"shares vesting on {len(unvested_dates)} dates; enter each lot's vesting FMV later"))
    lots = []
    for i, ((k, vest), parts) in enumerate(sorted(groups.items(), key=lambda kv: (kv[0][1] or date.min, kv[0][0]))):
        n = sum(p[2] for p in parts)
        if grant.kind == NSO:
            lot_kind, reason = NSO, "NSO grant"
        elif k == NSO:
            lot_kind, reason = NSO, "NSO: over the §422(d) $100,000 limit for the year first exercisable"
        elif not status.iso:
            lot_kind, reason = NSO, status.reason
        else:
            lot_kind, reason = ISO, f"ISO: within the §422(d) limit; {status.reason}"
        lots.append(Lot(
            id=lot_id if i == 0 else f"{lot_id}-{i + 1}",
            grant_id=grant.id,
            kind=lot_kind,
            grant_date=grant.grant_date,
            exercise_date=exercise_date,
            shares=n,
            strike=grant.strike,
            fmv_at_exercise=fmv_at_exercise,
            vesting_date=vest,
            fmv_at_vesting=fmv_at_vesting if vest is not None else None,
            election_83b_date=election_83b_date if vest is not None else None,
            kind_reason=reason,
            company=grant.company,
            rules=rules,
        ))
    return lots
