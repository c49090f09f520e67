"""Form 8949 on both bases, Schedule D and Form 3921: the filing examples with their arithmetic."""

from datetime import date
from decimal import Decimal as D

import pytest

from isoplan.equity.disposition import dispose
from isoplan.equity.form8949 import (
    Form3921,
    broker_basis,
    broker_reports_price_paid,
    form3921_for_lot,
    form8949_rows,
    reconcile_form3921,
    regular_row,
    reporting_law,
    schedule_d,
)
from isoplan.equity.records import Lot, Sale
from isoplan.errors import InputError


def lot(*, kind="ISO", granted=date(2023, 1, 15), exercised=date(2024, 3, 1), shares=1000, strike="10", fmv="50",
        vesting_date=None, fmv_at_vesting=None):
    return Lot("L1", "g1", kind, granted, exercised, shares, D(strike), D(fmv), vesting_date,
               D(fmv_at_vesting) if fmv_at_vesting is not None else None, company="Acme")


def rows(the_lot, sold, price, shares=1000, wash=False, **options):
    sale = Sale("S1", the_lot.id, sold, shares, D(price), wash)
    return form8949_rows(the_lot, sale, dispose(the_lot, sale), **options)


def test_same_year_disqualifying_sale_at_60_code_b():
    # 2024: exercise 1,000 at $10 (FMV $50), sold 2024 at $60. W-2 box 1 holds (50 - 10) x 1,000 = 40,000.
    # Form 8949: proceeds 60,000, 1099-B basis 10 x 1,000 = 10,000, code B, (g) -40,000,
    # gain 60,000 - 10,000 - 40,000 = 10,000, short-term, box A.
    regular, amt = rows(lot(), date(2024, 9, 1), "60")
    assert regular.description == "1000 sh Acme"
    assert (regular.date_acquired, regular.date_sold) == (date(2024, 3, 1), date(2024, 9, 1))
    assert (regular.proceeds, regular.cost_basis, regular.code, regular.adjustment, regular.gain) == (
        D("60000.00"), D("10000.00"), "B", D("-40000.00"), D("10000.00"))
    assert (regular.box, regular.term, regular.schedule_d_line) == ("A", "short", "1b")
    assert regular.ordinary_income == D("40000.00")
    # same year: AMT treats it alike (no line 2i); the AMT form shows the 50,000 basis, no code, gain 10,000
    assert (amt.cost_basis, amt.code, amt.adjustment, amt.gain, amt.box) == (D("50000.00"), "", 0, D("10000.00"), "A")


def test_same_year_disqualifying_sale_at_30_is_capped():
    # §422(c)(2): income capped at the gain, 30,000 - 10,000 = 20,000; (g) -20,000; gain 0
    regular, amt = rows(lot(), date(2024, 9, 1), "30")
    assert (regular.proceeds, regular.cost_basis, regular.code, regular.adjustment, regular.gain) == (
        D("30000.00"), D("10000.00"), "B", D("-20000.00"), D("0.00"))
    assert regular.ordinary_income == D("20000.00")
    assert (amt.cost_basis, amt.gain) == (D("30000.00"), D("0.00"))


def test_next_year_disqualifying_sale_amt_basis_50000():
    # exercised 2024-03-01, sold 2025-02-01 at $60: before the qualifying date (2025-03-02), short-term
    the_lot = lot()
    sale = Sale("S1", "L1", date(2025, 2, 1), 1000, D("60"))
    d = dispose(the_lot, sale)
    regular, amt = form8949_rows(the_lot, sale, d)
    # regular: 60,000 - 10,000 - 40,000 (W-2, code B) = 10,000
    assert (regular.cost_basis, regular.code, regular.adjustment, regular.gain, regular.box) == (
        D("10000.00"), "B", D("-40000.00"), D("10000.00"), "A")
    # AMT: basis 10 x 1,000 + the 40,000 adjustment = 50,000; gain 10,000; the 40,000 of W-2 income
    # was AMT income in 2024 and comes out through line 2k: (0 + 10,000) - (40,000 + 10,000) = -40,000
    assert (amt.cost_basis, amt.code, amt.gain, amt.ordinary_income) == (D("50000.00"), "", D("10000.00"), 0)
    assert d.line2k == pytest.approx(-40_000)
    assert float(amt.gain + amt.ordinary_income - regular.gain - regular.ordinary_income) == d.line2k


def test_disqualifying_sale_held_over_a_year_is_long_term_box_d():
    # granted 2024-01-15 (qualifying only from 2026-01-16), exercised 2024-03-01, sold 2025-06-02
    regular, amt = rows(lot(granted=date(2024, 1, 15)), date(2025, 6, 2), "60")
    assert (regular.box, regular.term, regular.code, regular.gain) == ("D", "long", "B", D("10000.00"))
    assert (amt.box, amt.cost_basis, amt.gain) == ("D", D("50000.00"), D("10000.00"))


def test_qualifying_sale_no_code_b():
    # granted 2022-01-15, exercised 2024-03-01, sold 2025-04-01 at $60: qualifying, long-term.
    # Regular: 60,000 - 10,000 = 50,000, the 1099-B basis is right. AMT: 60,000 - 50,000 = 10,000.
    regular, amt = rows(lot(granted=date(2022, 1, 15)), date(2025, 4, 1), "60")
    assert (regular.cost_basis, regular.code, regular.adjustment, regular.gain, regular.box) == (
        D("10000.00"), "", 0, D("50000.00"), "D")
    assert (amt.cost_basis, amt.gain, amt.box) == (D("50000.00"), D("10000.00"), "D")


def test_schedule_d_totals_on_both_bases():
    same_year = rows(lot(), date(2024, 9, 1), "60")
    capped = rows(lot(), date(2024, 10, 1), "30")
    qualifying = rows(lot(granted=date(2022, 1, 15)), date(2025, 4, 1), "60")
    everything = [*same_year, *capped, *qualifying]
    regular = schedule_d(everything)
    a, d = regular.box("A"), regular.box("D")
    # box A (line 1b): proceeds 60,000 + 30,000; basis 10,000 x 2; (g) -40,000 - 20,000; gain 10,000 + 0
    assert (a.line, a.rows, a.proceeds, a.cost_basis, a.adjustment, a.gain) == (
        "1b", 2, D("90000.00"), D("20000.00"), D("-60000.00"), D("10000.00"))
    assert (d.line, d.gain) == ("8b", D("50000.00"))
    # line 6 carryover of 3,000: line 7 = 10,000 - 3,000; line 16 = 7,000 + 50,000
    regular = schedule_d(everything, short_term_carryover=D("3000"))
    assert (regular.net_short_term, regular.net_long_term, regular.net) == (D("7000.00"), D("50000.00"),
                                                                           D("57000.00"))
    amt = schedule_d(everything, basis="amt")
    # AMT: short 10,000 + 0, long 10,000
    assert (amt.net_short_term, amt.net_long_term, amt.net) == (D("10000.00"), D("10000.00"), D("20000.00"))
    assert amt.box("A").cost_basis == D("80000.00")  # 50,000 + 30,000


def test_every_row_gain_is_the_dispositions_gain():
    cases = [(lot(), date(2024, 9, 1), "60"), (lot(), date(2025, 2, 1), "5"),
             (lot(granted=date(2022, 1, 15)), date(2025, 4, 1), "40"), (lot(kind="NSO"), date(2025, 4, 1), "70")]
    for the_lot, sold, price in cases:
        sale = Sale("S1", "L1", sold, 1000, D(price))
        d = dispose(the_lot, sale)
        regular, amt = form8949_rows(the_lot, sale, d)
        assert float(regular.gain) == pytest.approx(d.regular_short_term_gain + d.regular_long_term_gain)
        assert float(amt.gain) == pytest.approx(d.amt_short_term_gain + d.amt_long_term_gain)
        assert regular.gain == regular.proceeds - regular.cost_basis + regular.adjustment


def test_nso_stock_code_b_for_the_income_taxed_at_exercise():
    # NSO: 40,000 of income on the W-2 at exercise; the broker reports 10,000; (g) -40,000; gain 20,000
    regular, amt = rows(lot(kind="NSO"), date(2024, 9, 1), "70")
    assert (regular.cost_basis, regular.code, regular.adjustment, regular.gain) == (
        D("10000.00"), "B", D("-40000.00"), D("20000.00"))
    assert regular.ordinary_income == 0  # the income was in the exercise, not the sale
    assert (amt.cost_basis, amt.gain) == (D("50000.00"), D("20000.00"))


def test_wash_sale_disqualifying_sale_codes_b_and_w():
    # cap lost: the whole 40,000 spread is W-2 income; the 45,000 loss (5,000 - 10,000 - 40,000) is disallowed.
    # (g) = 10,000 - 50,000 + 45,000 = 5,000; gain = 5,000 - 10,000 + 5,000 = 0
    regular, amt = rows(lot(), date(2024, 9, 1), "5", wash=True)
    assert (regular.code, regular.adjustment, regular.gain, regular.ordinary_income) == (
        "BW", D("5000.00"), D("0.00"), D("40000.00"))
    assert amt.code == "W" and amt.gain == 0
    related, _ = rows(lot(), date(2024, 9, 1), "5", wash=True, disallowed_loss_code="L")
    assert related.code == "BL"


def test_boxes_by_basis_reporting_and_the_1099b_basis():
    regular, _ = rows(lot(), date(2024, 9, 1), "60", basis_reported_to_irs=False)
    assert regular.box == "B" and regular.schedule_d_line == "2"
    regular, _ = rows(lot(), date(2024, 9, 1), "60", received_1099b=False)
    assert regular.box == "C"
    long_regular, _ = rows(lot(granted=date(2022, 1, 15)), date(2025, 4, 1), "60", basis_reported_to_irs=False)
    assert long_regular.box == "E" and long_regular.schedule_d_line == "9"
    # a broker that added the compensation (an option granted before 2014): no code B is needed
    old = lot(granted=date(2013, 6, 1))
    assert not broker_reports_price_paid(old) and broker_reports_price_paid(lot())
    regular, _ = rows(old, date(2024, 9, 1), "60", reported_basis=D("50000"))
    assert (regular.cost_basis, regular.code, regular.adjustment, regular.gain) == (D("50000.00"), "", 0,
                                                                                   D("10000.00"))
    assert broker_basis(lot(), Sale("S1", "L1", date(2024, 9, 1), 250, D("60"))) == D("2500.00")


def test_a_disposition_of_another_sale_is_refused():
    the_lot = lot()
    sale = Sale("S1", "L1", date(2024, 9, 1), 1000, D("60"))
    other = dispose(the_lot, Sale("S2", "L1", date(2024, 9, 1), 1000, D("60")))
    with pytest.raises(InputError):
        regular_row(the_lot, sale, other)


def test_reporting_law_is_cited():
    for name, table in reporting_law().items():
        assert table["citation"], name
    assert reporting_law()["codes"]["basis_incorrect"] == "B"


# ---------------------------------------------------------------- Form 3921


def test_form3921_reconciles_with_its_lot():
    the_lot = lot()
    form = Form3921(date(2023, 1, 15), date(2024, 3, 1), D("10"), D("50"), 1000, "ACME")
    result = reconcile_form3921(the_lot, form)
    assert result.matches and [c.box for c in result.checks] == ["1", "2", "3", "4", "5", "6"]
    # box 3 x box 5 = 10,000; box 4 x box 5 = 50,000; spread 40,000 = the lot's line 2i
    assert (result.regular_basis, result.amt_basis, result.spread) == (D("10000"), D("50000"), D("40000"))
    assert result.ledger_amt_adjustment == result.spread
    assert form3921_for_lot(the_lot) == Form3921(date(2023, 1, 15), date(2024, 3, 1), D("10"), D("50"), 1000, "Acme")


def test_form3921_mismatch_is_shown_by_box():
    form = Form3921(date(2023, 1, 15), date(2024, 3, 1), D("10"), D("52.50"), 1000)
    result = reconcile_form3921(lot(), form)
    assert not result.matches
    (bad,) = [c for c in result.checks if not c.matches]
    assert (bad.box, bad.on_form, bad.in_ledger) == ("4", "52.50", "50")


def test_form3921_of_an_early_exercise_notes_the_vesting_measurement():
    early = lot(exercised=date(2024, 3, 1), vesting_date=date(2025, 3, 1), fmv_at_vesting="80", fmv="10")
    result = reconcile_form3921(early, form3921_for_lot(early))
    assert result.matches and result.spread == 0
    assert result.ledger_amt_adjustment == D("70000")  # (80 - 10) x 1,000 at vesting
    assert "measured at vesting (2025-03-01)" in result.notes[0]
