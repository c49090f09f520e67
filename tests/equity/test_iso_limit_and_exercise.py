"""The §422(d) $100,000 limit and what an exercise may take."""

from datetime import date
from decimal import Decimal as D

import pytest

from isoplan.equity.exercise import iso_status_at_exercise, plan_exercise
from isoplan.equity.iso_limit import iso_nso_split
from isoplan.equity.records import VestingTranche
from isoplan.errors import InputError


def one_tranche(day, shares):
    return [VestingTranche(day, shares)]


def test_limit_counts_grants_in_order_and_by_first_exercisable_year(grant_factory):
    # Sally Star's example (stockoptionadvisors.com, §422(d) FAQ): $100,000 granted in year 1 exercisable in
    # year 2, $50,000 granted in year 2 exercisable in year 2, $100,000 granted in year 2 exercisable in year 3.
    g1 = grant_factory("g1", granted=date(2023, 3, 1), shares=10_000, strike="10",
                       vesting=one_tranche(date(2024, 3, 1), 10_000))  # 10,000 x $10 = $100,000 in 2024
    g2 = grant_factory("g2", granted=date(2024, 2, 1), shares=5_000, strike="10",
                       vesting=one_tranche(date(2024, 6, 1), 5_000))  # $50,000 more in 2024: over the limit
    g3 = grant_factory("g3", granted=date(2024, 3, 1), shares=10_000, strike="10",
                       vesting=one_tranche(date(2025, 3, 1), 10_000))  # $100,000 in 2025: fits
    splits = {s.grant_id: s for s in iso_nso_split([g3, g2, g1])}  # order given does not matter
    assert (splits["g1"].iso_shares, splits["g1"].nso_shares) == (10_000, 0)
    assert (splits["g2"].iso_shares, splits["g2"].nso_shares) == (0, 5_000)
    assert (splits["g3"].iso_shares, splits["g3"].nso_shares) == (10_000, 0)
    assert "no room left" in splits["g2"].reason


def test_a_tranche_is_split_in_whole_shares(grant_factory):
    # $20,000 used by an earlier grant in 2025; $80,000 left / $5 grant-date FMV = 16,000 ISO shares of 25,000
    g1 = grant_factory("g1", granted=date(2024, 1, 1), shares=2_000, strike="10",
                       vesting=one_tranche(date(2025, 1, 1), 2_000))
    g2 = grant_factory("g2", granted=date(2024, 1, 2), shares=25_000, strike="5",
                       vesting=one_tranche(date(2025, 2, 1), 25_000))
    split = next(s for s in iso_nso_split([g1, g2]) if s.grant_id == "g2")
    assert split.room_before == 20_000
    assert (split.iso_shares, split.nso_shares) == (80_000 // 5, 25_000 - 16_000)
    # $7 FMV: 80,000 / 7 = 11,428.57 -> 11,428 whole shares fit ($79,996)
    g3 = grant_factory("g3", granted=date(2024, 1, 2), shares=25_000, strike="7",
                       vesting=one_tranche(date(2025, 2, 1), 25_000))
    split = next(s for s in iso_nso_split([g1, g3]) if s.grant_id == "g3")
    assert split.iso_shares == 11_428


def test_early_exercisable_grant_counts_in_the_grant_year(grant_factory):
    # Treas. Reg. §1.422-4(b)(4): exercisable in full at once -> the whole $200,000 counts in 2024
    g = grant_factory("g", granted=date(2024, 5, 1), shares=40_000, strike="5", early=True)
    splits = iso_nso_split([g])
    assert {s.year for s in splits} == {2024}
    assert sum(s.iso_shares for s in splits) == 100_000 // 5
    assert sum(s.nso_shares for s in splits) == 40_000 - 20_000


def test_nso_grants_and_other_companies_do_not_count(grant_factory):
    big = dict(shares=10_000, strike="10", vesting=one_tranche(date(2025, 1, 1), 10_000))
    nso = grant_factory("n", kind="NSO", granted=date(2023, 1, 1), **big)
    other = grant_factory("o", company="Other", granted=date(2023, 1, 2), **big)
    mine = grant_factory("m", granted=date(2023, 1, 3), **big)
    splits = {s.grant_id: s for s in iso_nso_split([nso, other, mine])}
    assert splits["n"].iso_shares == 0 and "NSO grant" in splits["n"].reason
    assert splits["o"].iso_shares == 10_000
    assert splits["m"].iso_shares == 10_000


# ---------------------------------------------------------------- exercise


def _exercise(grant, prior=(), **kw):
    kw.setdefault("lot_id", "e")
    kw.setdefault("fmv_at_exercise", D(20))
    return plan_exercise(grant, iso_nso_split([grant]), list(prior), **kw)


def test_exercise_refusals(grant_factory):
    g = grant_factory(granted=date(2024, 1, 15), shares=4800, strike="10", expires=date(2030, 1, 15))
    with pytest.raises(InputError, match="grant date"):
        _exercise(g, exercise_date=date(2024, 1, 1), shares=1)
    with pytest.raises(InputError, match="expiration"):
        _exercise(g, exercise_date=date(2030, 1, 16), shares=1)
    # on 2025-03-01: cliff 1,200 + Feb 100 = 1,300 vested
    with pytest.raises(InputError, match="at most 1300"):
        _exercise(g, exercise_date=date(2025, 3, 1), shares=1301)
    lots = _exercise(g, exercise_date=date(2025, 3, 1), shares=1300)
    assert [lot.shares for lot in lots] == [1300] and lots[0].vested_at_exercise
    with pytest.raises(InputError, match="at most 0"):
        _exercise(g, lots, lot_id="e2", exercise_date=date(2025, 3, 1), shares=1)


def test_early_exercise_makes_one_lot_per_vesting_date(grant_factory):
    g = grant_factory(granted=date(2024, 1, 15), shares=300, strike="1", early=True,
                      vesting=[VestingTranche(date(2025, 1, 15), 100), VestingTranche(date(2026, 1, 15), 200)])
    lots = _exercise(g, exercise_date=date(2024, 2, 1), shares=250, fmv_at_exercise=D(1),
                     election_83b_date=date(2024, 2, 10))
    assert [(lot.id, lot.shares, lot.vesting_date) for lot in lots] == [
        ("e", 100, date(2025, 1, 15)), ("e-2", 150, date(2026, 1, 15))]
    assert all(lot.elected_83b and lot.amt_adjustment == 0 for lot in lots)  # spread 0 at exercise


def test_iso_first_then_nso_and_kind_choice(grant_factory):
    # $150,000 first exercisable in 2025 at $10: 10,000 ISO + 5,000 NSO in one tranche
    g = grant_factory(granted=date(2024, 1, 1), shares=15_000, strike="10",
                      vesting=one_tranche(date(2025, 1, 1), 15_000))
    lots = _exercise(g, exercise_date=date(2025, 6, 1), shares=12_000)
    assert [(lot.kind, lot.shares) for lot in lots] == [("ISO", 10_000), ("NSO", 2_000)]
    assert "§422(d)" in lots[1].kind_reason
    only_nso = _exercise(g, exercise_date=date(2025, 6, 1), shares=5_000, kind="nso")
    assert [(lot.kind, lot.shares) for lot in only_nso] == [("NSO", 5_000)]
    with pytest.raises(InputError, match="at most 5000 NSO"):
        _exercise(g, exercise_date=date(2025, 6, 1), shares=5_001, kind="nso")


def test_post_termination_windows():
    left = date(2025, 1, 15)
    assert iso_status_at_exercise(date(2025, 4, 15), left).iso  # 3 months later to the day (§422(a)(2))
    late = iso_status_at_exercise(date(2025, 4, 16), left)
    assert not late.iso and late.last_iso_day == date(2025, 4, 15) and "NSO" in late.reason
    assert iso_status_at_exercise(date(2026, 1, 15), left, "disability").iso  # 1 year (§422(c)(6))
    assert not iso_status_at_exercise(date(2026, 1, 16), left, "disability").iso
    assert iso_status_at_exercise(date(2027, 1, 1), left, "death").iso  # §421(c)(1)(A)


def test_exercise_after_the_iso_window_but_inside_the_plan_window_is_nso(grant_factory):
    g = grant_factory(granted=date(2020, 1, 15), shares=100, strike="1", months=12,
                      vesting=one_tranche(date(2021, 1, 15), 100))
    lots = _exercise(g, exercise_date=date(2025, 6, 1), shares=100, termination_date=date(2025, 1, 15))
    assert lots[0].kind == "NSO" and "post-employment window" in lots[0].kind_reason
    with pytest.raises(InputError, match="post-termination"):
        _exercise(g, exercise_date=date(2026, 1, 16), shares=100, termination_date=date(2025, 1, 15))
    # the default plan window is the ISO window of 3 months
    g3 = grant_factory(granted=date(2020, 1, 15), shares=100, strike="1", vesting=one_tranche(date(2021, 1, 15), 100))
    with pytest.raises(InputError, match="2025-04-15"):
        _exercise(g3, exercise_date=date(2025, 4, 16), shares=100, termination_date=date(2025, 1, 15))


def test_later_exercises_see_what_earlier_lots_took(grant_factory):
    # 10,000 ISO + 5,000 NSO in one 2025 tranche ($150,000 at $10); an NSO exercise first, then ISO ones
    g = grant_factory(granted=date(2024, 1, 1), shares=15_000, strike="10",
                      vesting=one_tranche(date(2025, 1, 1), 15_000))
    first = _exercise(g, lot_id="n", exercise_date=date(2025, 6, 1), shares=5_000, kind="nso")
    second = _exercise(g, first, lot_id="i", exercise_date=date(2025, 7, 1), shares=10_000)
    assert [(lot.kind, lot.shares) for lot in second] == [("ISO", 10_000)]
    with pytest.raises(InputError, match="at most 0"):
        _exercise(g, first + second, lot_id="x", exercise_date=date(2025, 8, 1), shares=1)
