"""The ledger's year table: option items on the right lines, the credit created, used and carried."""

from datetime import date
from decimal import Decimal as D

import pytest

from isoplan.ledger.years import ledger_years


def setup(book, make_grant):
    # ISO grant 2023-01-10, 40,000 shares at $2; exercise 20,000 on 2025-03-01 at FMV $22:
    # spread (22 - 2) * 20,000 = 400,000 (the TAX_FACTS F household's ISO spread)
    book.add_grant(make_grant())
    book.exercise(grant_id="hire", lot_id="e1", exercise_date=date(2025, 3, 1), shares=20_000,
                  fmv_at_exercise=D(22))
    for year in (2025, 2026, 2027):
        book.set_income(year, "single", {"wages": 200_000})


def table(book, law):
    rows, notes = ledger_years(book.lots(), book.sales(), book.years(), law)
    return {r.year: r for r in rows}, notes


def test_amt_then_recovery_over_three_years(book, make_grant, law):
    setup(book, make_grant)
    years, _ = table(book, law)
    y25, y26, y27 = years[2025], years[2026], years[2027]
    assert y25.inputs["iso_bargain_element"] == 400_000
    # TAX_FACTS F, 2025 single, wages 200,000, spread 400,000: AMT 101,483, all of it credit
    assert y25.outputs["amt"] == pytest.approx(101_483, abs=1)
    assert y25.credit_created == pytest.approx(101_483, abs=1)
    # 2026, wages only: regular 36,734 - TMT 28,574 = 8,160 used; 101,483 - 8,160 = 93,323 carried
    assert y26.form8801["line25"] == pytest.approx(8_160, abs=1)
    assert y26.form8801["line26"] == pytest.approx(93_323, abs=1)
    # 2027 (projected law): used = that year's regular tax - TMT, the rest carried
    limit = y27.outputs["regular_tax"] - y27.outputs["tentative_minimum_tax"]
    assert y27.form8801["line25"] == pytest.approx(limit)
    assert y27.form8801["line26"] == pytest.approx(93_323 - limit, abs=1)
    assert y27.projected and not y26.projected


def test_same_year_disqualifying_sale_flows_to_ordinary_income_and_cuts_line_2i(book, make_grant, law):
    setup(book, make_grant)
    book.sell(sale_id="s", lot_id="e1", sale_date=date(2025, 11, 1), shares=1_000, price=D(15))
    y25 = table(book, law)[0][2025]
    assert y25.inputs["other_ordinary_income"] == (15 - 2) * 1_000  # spread 20,000 capped at the 13,000 gain
    assert y25.inputs["iso_bargain_element"] == 400_000 - 20 * 1_000  # the sold shares carry no adjustment
    assert y25.inputs["amt_disposition_adjustment"] == 0
    assert y25.outputs["amt_line2i"] == 380_000


def test_qualifying_sale_flows_to_long_term_gain_and_a_negative_2k(book, make_grant, law):
    setup(book, make_grant)
    book.sell(sale_id="q", lot_id="e1", sale_date=date(2026, 6, 1), shares=5_000, price=D(30))
    y26 = table(book, law)[0][2026]
    assert y26.inputs["long_term_gain"] == (30 - 2) * 5_000  # 140,000 over the price paid
    assert y26.inputs["amt_long_term_gain"] == (30 - 22) * 5_000  # 40,000 over the AMT basis
    assert y26.inputs["amt_disposition_adjustment"] == -(22 - 2) * 5_000  # -100,000
    assert y26.outputs["amt_line2k"] == -100_000


def test_years_without_income_are_filled_and_said(book, make_grant, law):
    book.add_grant(make_grant())
    book.exercise(grant_id="hire", lot_id="e1", exercise_date=date(2025, 3, 1), shares=1_000,
                  fmv_at_exercise=D(22))
    book.set_income(2027, "mfj", {"wages": 100_000, "amt_credit_carryforward": 5_000})
    years, notes = table(book, law)
    assert sorted(years) == [2025, 2026, 2027]
    assert not years[2025].entered and any("no income entered" in n for n in years[2025].notes)
    assert years[2025].filing_status == "mfj"
    # a credit entered in a later year is not used (the ledger carries the credit itself), and it says so
    assert years[2027].form8801["line19"] == years[2026].form8801["line26"]
    assert any("2027" in n and "not used" in n for n in notes)


def test_credit_entered_for_the_first_year_is_carried_in(book, law):
    book.set_income(2025, "single", {"wages": 200_000, "amt_credit_carryforward": 5_000})
    y25 = table(book, law)[0][2025]
    assert y25.form8801["line19"] == 5_000
    # limit 37,067 - 29,094 = 7,973 >= 5,000: all used
    assert y25.form8801["line25"] == pytest.approx(5_000)


def test_empty_ledger(book, law):
    rows, notes = ledger_years([], [], {}, law)
    assert rows == [] and "no income" in notes[0]
