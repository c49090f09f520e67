"""Sales of ISO and NSO stock: hand-worked cases, vectorized vs one-at-a-time, conservation of basis."""

from datetime import date
from decimal import Decimal as D

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isoplan.equity.disposition import dispose, dispositions, fifo_allocation
from isoplan.equity.records import Sale
from isoplan.equity.years import merge_year_inputs, year_items
from isoplan.errors import InputError

# The lot of the Form 6251 example: 100 shares, price $10, FMV $25 at exercise on 2025-03-01 (grant 2024-01-15):
# adjustment $1,500, regular basis $1,000, AMT basis $2,500, qualifying from 2026-03-02.


def sell(lot, day, price, shares=100, wash=False):
    return dispose(lot, Sale("s", lot.id, day, shares, D(price), wash))


def test_same_year_disqualifying_sale_at_a_loss_against_exercise_fmv(lot_factory):
    d = sell(lot_factory(), date(2025, 10, 1), "20")
    # §422(c)(2): ordinary income = spread (25-10)*100 = 1,500 capped at the gain (20-10)*100 = 1,000
    assert d.regular_ordinary_income == 1_000
    assert d.regular_short_term_gain == 0 and d.regular_long_term_gain == 0
    # same year: AMT alike, and the exercise-year line 2i loses these shares' 1,500
    assert d.amt_ordinary_income == 1_000 and d.line2k == 0
    assert d.line2i_same_year == -1_500
    assert not d.qualifying and d.same_year


def test_same_year_sale_below_the_price_paid(lot_factory):
    d = sell(lot_factory(), date(2025, 10, 1), "8")
    assert d.regular_ordinary_income == 0  # no gain at all: cap at max(0, 8-10) -> 0
    assert d.regular_short_term_gain == pytest.approx((8 - 10) * 100)  # -200 capital loss
    assert d.amt_short_term_gain == pytest.approx(-200) and d.line2k == 0


def test_wash_sale_loses_the_cap(lot_factory):
    d = sell(lot_factory(), date(2025, 10, 1), "20", wash=True)
    assert d.regular_ordinary_income == 1_500  # the whole spread (§§1091, 267: loss not recognized)
    # capital result 100*20 - 1,000 - 1,500 = -500, disallowed
    assert d.regular_short_term_gain == 0 and d.regular_disallowed_loss == pytest.approx(500)


def test_qualifying_sale_two_years_later_has_a_negative_line_2k(lot_factory):
    d = sell(lot_factory(), date(2027, 3, 15), "40")
    assert d.qualifying
    assert d.regular_long_term_gain == (40 - 10) * 100  # 3,000 over the price paid
    assert d.amt_long_term_gain == (40 - 25) * 100  # 1,500 over the AMT basis
    assert d.line2k == 1_500 - 3_000  # -1,500: the exercise-year adjustment comes back
    assert d.regular_ordinary_income == 0


def test_qualifying_date_boundary(lot_factory):
    lot = lot_factory()
    assert not sell(lot, date(2026, 3, 1), "40").qualifying
    assert sell(lot, date(2026, 3, 2), "40").qualifying


def test_later_year_disqualifying_sale(lot_factory):
    d = sell(lot_factory(), date(2026, 1, 15), "30")  # before 2026-03-02
    assert d.regular_ordinary_income == 1_500  # spread, in the sale year (§421(b))
    assert d.regular_short_term_gain == (30 - 25) * 100  # held < 1 year from exercise
    assert d.amt_ordinary_income == 0  # counted for AMT in 2025 already
    assert d.amt_short_term_gain == (30 - 25) * 100
    assert d.line2k == 500 - (1_500 + 500)  # -1,500


def test_later_year_disqualifying_sale_at_a_loss(lot_factory):
    d = sell(lot_factory(), date(2026, 1, 15), "18")
    assert d.regular_ordinary_income == (18 - 10) * 100  # capped at the 800 gain
    assert d.regular_short_term_gain == 0
    assert d.amt_short_term_gain == (18 - 25) * 100  # -700 against the AMT basis
    assert d.line2k == -700 - 800  # -1,500


def test_nso_sale(lot_factory):
    d = sell(lot_factory(kind="NSO"), date(2026, 3, 2), "40")
    assert d.regular_long_term_gain == (40 - 25) * 100 == d.amt_long_term_gain
    assert d.regular_ordinary_income == 0 and d.line2k == 0 and d.line2i_same_year == 0


def test_refusals(lot_factory):
    lot = lot_factory()
    with pytest.raises(InputError, match="on or after the exercise"):
        sell(lot, date(2025, 2, 1), "20")
    with pytest.raises(InputError, match="at most 100"):
        sell(lot, date(2025, 6, 1), "20", shares=101)
    unvested = lot_factory(vesting_date=date(2026, 3, 1))
    with pytest.raises(InputError, match="vest"):
        sell(unvested, date(2025, 6, 1), "20")


def test_fifo_takes_the_oldest_held_lots_first(lot_factory):
    a = lot_factory("a", exercised=date(2025, 3, 1))
    b = lot_factory("b", exercised=date(2025, 1, 1))
    c = lot_factory("c", exercised=date(2025, 7, 1))
    picks = fifo_allocation([(a, 100), (b, 30), (c, 100)], 120, date(2025, 6, 1))
    assert [(lot.id, n) for lot, n in picks] == [("b", 30), ("a", 90)]  # c not yet exercised on June 1
    with pytest.raises(InputError, match="at most 130"):
        fifo_allocation([(a, 100), (b, 30), (c, 100)], 131, date(2025, 6, 1))


def test_year_items_and_the_separate_amt_capital_loss_limit(lot_factory):
    # 1,000 shares, price $10, FMV $50 in 2025 (adjustment 40,000); sold in 2026 at $12, disqualifying:
    lot = lot_factory(shares=1000, fmv="50")
    items = year_items([lot], [Sale("s", lot.id, date(2026, 1, 15), 1000, D(12))])
    assert items[2025].iso_bargain_element == 40_000
    y = items[2026]
    assert y.disqualifying_income == (12 - 10) * 1000  # capped at the 2,000 gain
    assert y.amt_short_term_gain == (12 - 50) * 1000  # -38,000 for AMT
    merged = merge_year_inputs({"wages": 100_000}, y, 3_000)
    # AMT capital loss limited to -3,000 separately; regular capital result 0:
    # 2k = (AMT ordinary 0 - regular ordinary 2,000) + (-3,000 - 0) = -5,000
    assert merged["amt_disposition_adjustment"] == pytest.approx(-5_000)
    assert merged["other_ordinary_income"] == 2_000


def test_year_items_same_year_sale_removes_its_share_of_line_2i(lot_factory):
    lot = lot_factory(shares=100)
    items = year_items([lot], [Sale("s", lot.id, date(2025, 12, 1), 40, D(30))])
    assert items[2025].iso_bargain_element == (25 - 10) * (100 - 40)  # 900 for the 60 shares held
    assert items[2025].disqualifying_income == (25 - 10) * 40  # 600


# ---------------------------------------------------------------- properties


sale_cases = st.fixed_dictionaries({
    "kind": st.sampled_from(["ISO", "NSO"]),
    "shares": st.integers(1, 5000),
    "strike": st.decimals(min_value=0, max_value=100, places=2),
    "fmv": st.decimals(min_value=0, max_value=500, places=2),
    "price": st.decimals(min_value=0, max_value=500, places=2),
    "days": st.integers(0, 1200),
    "wash": st.booleans(),
})


@given(st.lists(sale_cases, min_size=1, max_size=20))
@settings(max_examples=60, deadline=None)
def test_vectorized_equals_one_at_a_time(cases):
    from isoplan.equity.disposition import sale_flags

    from .conftest import make_lot

    lots, sales = [], []
    for i, c in enumerate(cases):
        lot = make_lot(f"l{i}", kind=c["kind"], shares=c["shares"], strike=str(c["strike"]), fmv=str(c["fmv"]))
        lots.append(lot)
        sales.append(Sale(f"s{i}", lot.id, date.fromordinal(lot.exercise_date.toordinal() + c["days"]),
                          c["shares"], c["price"], c["wash"]))
    one = [dispose(lot, s) for lot, s in zip(lots, sales, strict=True)]
    flags = [sale_flags(lot, s.date) for lot, s in zip(lots, sales, strict=True)]
    many = dispositions(
        iso=[lot.kind == "ISO" for lot in lots], shares=[s.shares for s in sales],
        strike=[float(lot.strike) for lot in lots], price=[float(s.price) for s in sales],
        income_fmv=[float(lot.income_fmv) for lot in lots], amt_fmv=[float(lot.measurement_fmv) for lot in lots],
        qualifying=[f["qualifying"] for f in flags], same_year=[f["same_year"] for f in flags],
        long_term=[f["long_term"] for f in flags], amt_long_term=[f["amt_long_term"] for f in flags],
        loss_cap_lost=[s.wash_sale_or_related_party for s in sales],
    )
    for name in ("regular_ordinary_income", "regular_long_term_gain", "amt_long_term_gain", "line2k"):
        assert np.allclose(getattr(many, name), [getattr(d, name) for d in one])
    for lot, d in zip(lots, one, strict=True):
        # exact (Decimal) records and float arithmetic agree to the cent
        assert abs(float(lot.regular_basis) - d.regular_basis) < 0.005
        # everything the sale produces adds up to proceeds minus basis (a disallowed loss put back)
        regular_total = d.regular_ordinary_income + d.regular_short_term_gain + d.regular_long_term_gain
        assert regular_total - d.regular_disallowed_loss == pytest.approx(d.proceeds - d.regular_basis, abs=1e-6)
        amt_total = d.amt_ordinary_income + d.amt_short_term_gain + d.amt_long_term_gain
        assert amt_total - d.amt_disallowed_loss == pytest.approx(d.proceeds - d.amt_basis, abs=1e-6)


@given(total=st.integers(2, 10_000), cuts=st.lists(st.integers(1, 10_000), min_size=1, max_size=6),
       strike=st.decimals(min_value=0, max_value=50, places=2), fmv=st.decimals(min_value=0, max_value=200, places=2),
       kind=st.sampled_from(["ISO", "NSO"]))
@settings(max_examples=80, deadline=None)
def test_basis_is_conserved_across_partial_sales(total, cuts, strike, fmv, kind):
    from .conftest import make_lot

    lot = make_lot(kind=kind, shares=total, strike=str(strike), fmv=str(fmv))
    parts, left = [], total
    for cut in cuts:
        n = min(cut, left)
        if n == 0:
            break
        parts.append(n)
        left -= n
    if left:
        parts.append(left)
    results = [dispose(lot, Sale(f"s{i}", lot.id, date(2027, 6, 1), n, D("30"))) for i, n in enumerate(parts)]
    assert sum(parts) == total
    assert sum(r.regular_basis for r in results) == pytest.approx(float(lot.regular_basis), abs=0.01)
    assert sum(r.amt_basis for r in results) == pytest.approx(float(lot.amt_basis), abs=0.01)
