"""Planning and risk paths on both bases: line 2k from the two Schedule Ds (each after its own loss limit),
and NSO spread as Medicare wages (Form 8959)."""

import numpy as np
import pytest

from isoplan.planning import montecarlo as mc
from isoplan.tax.federal import compute_federal
from isoplan.tax.households import households, with_added_gains
from isoplan.tax.law import law_table


def base():
    return households(year=2026, filing_status="single", wages=200_000)


def test_an_amt_loss_past_the_limit_does_not_reach_amti():
    # shares exercised at $60 (AMT basis), strike $1, sold at $11 more than a year later (1,000 shares):
    # regular long-term gain (11 - 1) x 1,000 = 10,000; AMT long-term loss (11 - 60) x 1,000 = -49,000
    h = with_added_gains(base(), 1, long_term=10_000.0, amt_long_term=-49_000.0)
    # Form 6251 line 2k = AMT amount in AMTI - regular amount in AGI, each after IRC 1211(b):
    # AMT: max(-49,000, -3,000) = -3,000; regular: +10,000 -> line 2k = -3,000 - 10,000 = -13,000
    assert h.amt_disposition_adjustment[0] == pytest.approx(-13_000.0)
    # the unlimited difference (-59,000) is what the paths used to carry; now they agree with the engine's
    # own derivation for the same household
    direct = households(year=2026, filing_status="single", wages=200_000, long_term_gain=10_000,
                        amt_long_term_gain=-49_000)
    assert direct.amt_disposition_adjustment[0] == pytest.approx(-13_000.0)
    law = law_table()
    path = mc.path_year(law, base(), 1, np.zeros(1), long_term=10_000.0, amt_long_term=-49_000.0,
                        disposition_adjustment=-59_000.0)
    assert path.total_tax[0] == pytest.approx(float(compute_federal(direct, law).total_tax[0]))


def test_income_a_disposition_takes_back_stays_in_line_2k():
    # exercised last year at FMV $15, strike $10 (line 2i then: 1,000 x 5 = 5,000); sold this year at $17
    # before a year: regular: ordinary income 5,000 (W-2) + short-term gain (17 - 15) x 1,000 = 2,000;
    # AMT basis 15,000: AMT short-term gain 2,000. Line 2k = AMT gain - regular gain and income
    # = 2,000 - (5,000 + 2,000) = -5,000: the ordinary income taken back, with no capital difference
    h = with_added_gains(base(), 1, short_term=2_000.0, amt_short_term=2_000.0, other_line2k=-5_000.0)
    assert h.amt_disposition_adjustment[0] == pytest.approx(-5_000.0)
    law = law_table()
    direct = households(year=2026, filing_status="single", wages=200_000, other_ordinary_income=5_000,
                        short_term_gain=2_000, amt_disposition_adjustment=-5_000)
    path = mc.path_year(law, base(), 1, np.zeros(1), ordinary=5_000.0, short_term=2_000.0,
                        disposition_adjustment=-5_000.0)
    assert path.total_tax[0] == pytest.approx(float(compute_federal(direct, law).total_tax[0]))


def test_nso_spread_is_medicare_wages_and_disqualifying_income_is_not():
    law = law_table()
    as_nso = mc.path_year(law, base(), 1, np.zeros(1), ordinary=300_000.0, nso=300_000.0)
    as_iso = mc.path_year(law, base(), 1, np.zeros(1), ordinary=300_000.0)
    # Form 8959: 0.9% of Medicare wages over $200,000 (single): (200,000 + 300,000 - 200,000) x 0.009 = 2,700;
    # a disqualifying disposition's income is no wage (IRC 3121(a)(22)): 0 on the $200,000 of wages
    assert as_nso.total_tax[0] - as_iso.total_tax[0] == pytest.approx(2_700.0)
