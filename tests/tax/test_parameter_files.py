"""The parameter files themselves: citations, statuses, order, and the projection rules."""

import itertools
import tomllib
from pathlib import Path

import numpy as np
import pytest

from isoplan.errors import InputError
from isoplan.tax import law as law_module
from isoplan.tax.law import REQUIRED_STATUSES, STATUSES, LawTable, parse_year_file, year_law

FEDERAL = Path(law_module.__file__).parent / "parameters" / "federal"
PUBLISHED = sorted(FEDERAL.glob("20*.toml"))
BRACKETED = ("ordinary_brackets", "capital_gain_brackets")


def test_published_years_are_2023_to_2026():
    assert [p.stem for p in PUBLISHED] == ["2023", "2024", "2025", "2026"]


@pytest.mark.parametrize("path", PUBLISHED, ids=lambda p: p.stem)
def test_every_parameter_has_a_citation_and_every_status(path):
    data = tomllib.loads(path.read_text())
    for name, table in data.items():
        if name == "year":
            continue
        citation = table.get("citation")
        assert citation, f"{path.name} [{name}] has no citation"
        assert table.get("description"), f"{path.name} [{name}] has no description"
        if "value" not in table and name != "tax_table":
            for status in REQUIRED_STATUSES:
                assert status in table, f"{path.name} [{name}] lacks {status}"


@pytest.mark.parametrize("path", PUBLISHED, ids=lambda p: p.stem)
def test_brackets_and_rates_are_in_order(path):
    data = tomllib.loads(path.read_text())
    for name in BRACKETED:
        for status in REQUIRED_STATUSES:
            tops = data[name][status]
            assert all(a < b for a, b in itertools.pairwise(tops)), (path.name, name, status)
    rates = data["ordinary_rates"]["value"]
    assert len(rates) == len(data["ordinary_brackets"]["single"]) + 1
    assert all(a < b for a, b in itertools.pairwise(rates))
    low, high = data["amt_rates"]["value"]
    assert low < high


def test_both_years_define_the_same_parameters():
    names = [set(tomllib.loads(p.read_text())) for p in PUBLISHED]
    assert all(n == names[0] for n in names)


def test_every_parameter_has_a_projection_rule():
    projection = tomllib.loads((FEDERAL / "projection.toml").read_text())
    data = tomllib.loads(PUBLISHED[-1].read_text())
    rules = projection["rules"]
    for name in data:
        if name != "year":
            assert name in rules, f"no projection rule for {name}"
            assert rules[name].get("citation"), f"projection rule for {name} has no citation"


def test_a_missing_citation_or_status_is_refused():
    with pytest.raises(ValueError, match="no citation"):
        parse_year_file({"year": 2025, "x": {"value": 1}}, "test")
    with pytest.raises(ValueError, match="lacks filing status hoh"):
        parse_year_file({"year": 2025, "x": {"citation": ["c"], "single": 1, "mfj": 2, "mfs": 1}}, "test")


def test_qualifying_surviving_spouse_takes_mfj_unless_listed():
    law = year_law(2026)
    assert law.value("standard_deduction", "qss") == law.value("standard_deduction", "mfj") == 32200
    # TAX_FACTS A5/A6: NIIT treats QSS like a joint return, Additional Medicare Tax does not
    assert law.value("niit_threshold", "qss") == 250000
    assert law.value("additional_medicare_threshold", "qss") == 200000


def test_fact_sheet_values_2026():
    law = year_law(2026)
    assert law.value("amt_exemption", "single") == 90100
    assert law.value("amt_phaseout_start", "mfj") == 1_000_000
    assert law.value("amt_phaseout_rate", "single") == 0.5
    # MFS zero point printed on the 2026 draft form line 4: 500,000 + 70,100 / 0.5
    assert law.value("amt_phaseout_start", "mfs") + law.value("amt_exemption", "mfs") / 0.5 == 640_200


def test_projection_follows_the_indexing_rules():
    law = LawTable(0.025)
    y2027 = law.laws[2027]
    assert y2027.projected and not law.laws[2026].projected
    # standard deduction: 16,100 * 1.025 = 16,502.50, down to a multiple of $50
    assert y2027.value("standard_deduction", "single") == 16500
    # AMT exemption: 90,100 * 1.025 = 92,352.50, to the nearest $100
    assert y2027.value("amt_exemption", "single") == 92400
    # MFS exemption and brackets are half of the joint amounts (§55(d)(4), §1(f)(8))
    assert y2027.value("amt_exemption", "mfs") == y2027.value("amt_exemption", "mfj") / 2
    assert y2027.value("ordinary_brackets", "mfs") == [t / 2 for t in y2027.value("ordinary_brackets", "mfj")]
    # 10% top, single: 12,400 * 1.025 = 12,710, down to a multiple of $25
    assert y2027.value("ordinary_brackets", "single")[0] == 12700
    # not indexed
    assert y2027.value("niit_threshold", "single") == 200000
    assert y2027.value("amt_phaseout_rate", "single") == 0.5


def test_salt_follows_its_statutory_schedule():
    law = LawTable(0.10)  # inflation must not move it
    assert law.laws[2027].value("salt_cap", "mfj") == 40804
    assert law.laws[2029].value("salt_cap", "single") == 41624
    assert law.laws[2030].value("salt_cap", "single") == 10000
    assert law.laws[2035].value("salt_cap", "mfs") == 5000


def test_senior_deduction_ends_after_2028():
    law = LawTable(0.025)
    assert law.laws[2028].value("senior_deduction", "single") == 6000
    assert law.laws[2029].value("senior_deduction", "single") == 0


def test_projected_amounts_never_shrink_with_positive_inflation():
    law = LawTable(0.03)
    for name in ("ordinary_brackets", "standard_deduction", "amt_exemption", "amt_breakpoint"):
        arr = law.arrays[name]
        assert np.all(np.diff(arr[1:], axis=0) >= 0), name


def test_unsupported_year_is_a_clear_error():
    with pytest.raises(InputError, match="2022 is not allowed; expected a tax year from 2023 to 2036"):
        year_law(2022)
    with pytest.raises(InputError, match="inflation"):
        LawTable(5.0)


def test_status_axis_order():
    assert STATUSES[:4] == REQUIRED_STATUSES


def test_notes_users_see_cite_law_not_internal_fact_sheets():
    # every year's notes (projected and unsettled law), federal and California, for every filing status,
    # and the demo's text: primary law only (IRC section, form and line), never an internal reference
    from importlib import resources

    from isoplan.tax.explain import year_notes
    from isoplan.tax.law import law_table
    from isoplan.tax.states.california import ca_law_table, ca_year_notes

    law, ca_law = law_table(), ca_law_table()
    for year in range(law.first_year, law.last_year + 1):
        for status in range(5):
            for note in [*year_notes(law, year, status), *ca_year_notes(ca_law, year, status)]:
                assert "TAX_FACTS" not in note, note
    demo = resources.files("isoplan.data").joinpath("demo-household.toml").read_text(encoding="utf-8")
    assert "TAX_FACTS" not in demo
