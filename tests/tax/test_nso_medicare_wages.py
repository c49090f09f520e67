"""NSO spread is Medicare wages (Form 8959 line 1); ISO disqualifying-disposition income is not (IRC §3121(a)(22))."""

import pytest

from isoplan.tax.federal import compute_federal
from isoplan.tax.households import households


def tax(law, **inputs):
    result = compute_federal(households(**inputs), law)
    return {k: float(v[0]) for k, v in result.lines.items()}


def test_nso_spread_counts_for_the_additional_medicare_tax(law):
    # 2024 single: salary 150,000 + NSO spread 120,000 = Medicare wages 270,000 (W-2 box 5)
    # Form 8959: 0.9% x (270,000 - 200,000) = 630
    r = tax(law, year=2024, filing_status="single", wages=150_000, nso_income=120_000)
    assert r["additional_medicare_tax"] == pytest.approx(630)
    assert r["agi"] == 270_000


def test_iso_disqualifying_income_does_not(law):
    # same, with 120,000 of ISO disqualifying-disposition income: box 5 stays 150,000, no Additional Medicare Tax
    r = tax(law, year=2024, filing_status="single", wages=150_000, other_ordinary_income=120_000)
    assert r["additional_medicare_tax"] == 0
    assert r["agi"] == 270_000


def test_nso_and_iso_income_are_taxed_alike_otherwise(law):
    nso = tax(law, year=2026, filing_status="mfj", wages=100_000, nso_income=50_000)
    iso = tax(law, year=2026, filing_status="mfj", wages=100_000, other_ordinary_income=50_000)
    assert nso["regular_tax"] == iso["regular_tax"]
    assert nso["amti"] == iso["amti"]
