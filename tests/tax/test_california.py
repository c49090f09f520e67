"""California: Form 540, Schedule P (540), FTB 3510, the parameter files and `isoplan tax --state CA`.

Expected values are hand computations written out here from the 2025 parameters (TAX_FACTS E):
single brackets 11,079 / 26,264 / 41,452 / 57,542 / 72,724 / 371,479 / 445,771 / 742,953 at
1/2/4/6/8/9.3/10.3/11.3/12.3%; MFJ twice those; standard deduction 5,706 / 11,412; AMT exemption
92,749 / 123,667 / 61,830 phased out at 25% above 347,808 / 463,745 / 231,868; TMT 7%; exemption
credit 153 each; MHST 1% over $1,000,000.
"""

import itertools
import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from isoplan.cli import main
from isoplan.errors import InputError
from isoplan.tax import law as law_module
from isoplan.tax.households import households
from isoplan.tax.law import REQUIRED_STATUSES, LawTable
from isoplan.tax.states.california import ca_credit_years, ca_law_table, compute_california

CALIFORNIA = Path(law_module.__file__).parent / "parameters" / "california"

# Single tax through the 8% bracket: 1% x 11,079 + 2% x 15,185 + 4% x 15,188 + 6% x 16,090 + 8% x 15,182
SINGLE_TAX_TO_72724 = 0.01 * 11_079 + 0.02 * 15_185 + 0.04 * 15_188 + 0.06 * 16_090 + 0.08 * 15_182  # 3,201.97
# ... and through the 11.3% bracket: + 9.3% x 298,755 + 10.3% x 74,292 + 11.3% x 297,182
SINGLE_TAX_TO_742953 = SINGLE_TAX_TO_72724 + 0.093 * 298_755 + 0.103 * 74_292 + 0.113 * 297_182  # 72,219.827


@pytest.fixture
def ca():
    return ca_law_table(0.025)


def one(ca, **inputs):
    ca_inputs = {k: inputs.pop(k) for k in ("property_tax", "ca_amt_credit_carryforward", "deduction") if k in inputs}
    result = compute_california(households(**inputs), ca, **ca_inputs)
    return {k: float(v[0]) for k, v in result.lines.items()}


# ---------------------------------------------------------------- hand-worked Schedule P examples


def test_single_2025_without_spread(ca):
    r = one(ca, year=2025, filing_status="single", wages=200_000)
    assert pytest.approx(3_201.97) == SINGLE_TAX_TO_72724
    # taxable 200,000 - 5,706 = 194,294; tax = 3,201.97 + 9.3% x (194,294 - 72,724) = 14,507.98
    assert r["ca_taxable_income"] == 194_294
    assert r["ca_regular_tax"] == pytest.approx(SINGLE_TAX_TO_72724 + 0.093 * 121_570)
    assert r["ca_exemption_credits"] == 153
    # Schedule P: line 1 5,706 + line 15 194,294 = AMTI 200,000; exemption 92,749; TMT 7% x 107,251 = 7,507.57
    assert r["ca_amti"] == 200_000
    assert r["ca_tentative_minimum_tax"] == pytest.approx(0.07 * 107_251)
    assert r["ca_amt"] == 0
    assert r["ca_total_tax"] == pytest.approx(14_507.98 - 153)


def test_single_2025_spread_just_below_and_above_the_california_amt(ca):
    # spread 100,000: AMTI 300,000 (< 347,808, full exemption); TMT 7% x 207,251 = 14,507.57 < 14,507.98
    r = one(ca, year=2025, filing_status="single", wages=200_000, iso_bargain_element=100_000)
    assert r["ca_p_line10"] == 100_000
    assert r["ca_tentative_minimum_tax"] == pytest.approx(14_507.57)
    assert r["ca_amt"] == 0
    # spread 200,000: AMTI 400,000, in the phase-out: 92,749 - 25% x 52,192 = 79,701
    r = one(ca, year=2025, filing_status="single", wages=200_000, iso_bargain_element=200_000)
    assert r["ca_amti"] == 400_000
    assert r["ca_amt_exemption"] == 92_749 - 0.25 * (400_000 - 347_808)
    assert r["ca_tentative_minimum_tax"] == pytest.approx(0.07 * (400_000 - 79_701))  # 22,420.93
    assert r["ca_amt"] == pytest.approx(22_420.93 - 14_507.98)  # 7,912.95
    assert r["ca_total_tax"] == pytest.approx(22_420.93 - 153)


def test_mfj_2025_itemized_with_spread_in_the_phase_out(ca):
    r = one(ca, year=2025, filing_status="mfj", wages=400_000, iso_bargain_element=300_000,
            state_local_tax=40_000, property_tax=12_000, mortgage_interest=30_000, charitable=10_000)
    # Schedule CA: 12,000 property tax (no state income tax, no cap) + 30,000 + 10,000 = 52,000; AGI under 504,411
    assert r["ca_itemized"] == 1 and r["ca_deduction"] == 52_000 and r["ca_itemized_limitation"] == 0
    # taxable 348,000; MFJ tax: 221.58 + 607.40 + 1,215.04 + 1,930.80 + 2,429.12 + 9.3% x 202,552 = 25,241.276
    tax = 0.01 * 22_158 + 0.02 * 30_370 + 0.04 * 30_376 + 0.06 * 32_180 + 0.08 * 30_364 + 0.093 * 202_552
    assert r["ca_regular_tax"] == pytest.approx(tax) == pytest.approx(25_241.276)
    # Schedule P: line 3 12,000 + line 10 300,000 + line 15 348,000 = AMTI 660,000
    assert r["ca_p_line3"] == 12_000 and r["ca_p_line1"] == 0
    assert r["ca_amti"] == 660_000
    exemption = 123_667 - 0.25 * (660_000 - 463_745)  # 74,603.25
    assert r["ca_amt_exemption"] == pytest.approx(exemption)
    tmt = 0.07 * (660_000 - exemption)  # 40,977.7725
    assert r["ca_tentative_minimum_tax"] == pytest.approx(tmt)
    assert r["ca_amt"] == pytest.approx(tmt - tax)  # 15,736.50
    assert r["ca_exemption_credits"] == 2 * 153
    assert r["ca_total_tax"] == pytest.approx(tmt - 306)


def test_exemption_fully_phased_out_and_exemption_credit_phase_out(ca):
    r = one(ca, year=2025, filing_status="single", wages=300_000, iso_bargain_element=500_000)
    # AMTI = 5,706 + 500,000 + 294,294 = 800,000 > 718,804 (= 347,808 + 4 x 92,749): no exemption
    assert r["ca_amti"] == 800_000 and r["ca_amt_exemption"] == 0
    assert r["ca_tentative_minimum_tax"] == pytest.approx(56_000)
    # regular: 3,201.97 + 9.3% x (294,294 - 72,724) = 23,807.98
    assert r["ca_regular_tax"] == pytest.approx(SINGLE_TAX_TO_72724 + 0.093 * 221_570)
    # AGI 300,000 is 47,797 over 252,203: 19.12 -> 20 steps of $2,500 (or fraction) x $6 = 120; 153 - 120 = 33
    assert r["ca_exemption_credit_each"] == 33 and r["ca_exemption_credits"] == 33
    assert r["ca_amt"] == pytest.approx(56_000 - 23_807.98)
    assert r["ca_total_tax"] == pytest.approx(56_000 - 33)


def test_mental_health_services_tax_without_and_with_the_amt(ca):
    r = one(ca, year=2025, filing_status="single", wages=1_500_000)
    # taxable 1,494,294: MHST 1% x 494,294; regular 72,219.827 + 12.3% x 751,341
    assert r["ca_mental_health_tax"] == pytest.approx(4_942.94)
    assert r["ca_regular_tax"] == pytest.approx(SINGLE_TAX_TO_742953 + 0.123 * 751_341)  # 164,634.77
    assert r["ca_exemption_credits"] == 0  # phased out entirely
    assert r["ca_amt"] == 0  # TMT 7% x 1,500,000 = 105,000 < regular tax
    assert r["ca_total_tax"] == pytest.approx(164_634.77 + 4_942.94)
    # with a 3,000,000 spread: AMTI 4,200,000, TMT 294,000; the MHST is neither in line 25 nor absorbed [U]
    r = one(ca, year=2025, filing_status="single", wages=1_200_000, iso_bargain_element=3_000_000)
    regular = SINGLE_TAX_TO_742953 + 0.123 * (1_194_294 - 742_953)  # 127,734.77
    assert r["ca_p_line25"] == pytest.approx(regular)
    assert r["ca_amt"] == pytest.approx(294_000 - regular)
    assert r["ca_mental_health_tax"] == pytest.approx(0.01 * 194_294)
    assert r["ca_total_tax"] == pytest.approx(294_000 + 1_942.94)


def test_capital_gains_are_ordinary_income_and_losses_follow_1211(ca):
    r = one(ca, year=2025, filing_status="single", long_term_gain=100_000, qualified_dividends=10_000,
            ordinary_dividends=10_000)
    # taxable 110,000 - 5,706 = 104,294, all at ordinary rates: 3,201.97 + 9.3% x 31,570
    assert r["ca_regular_tax"] == pytest.approx(SINGLE_TAX_TO_72724 + 0.093 * (104_294 - 72_724))
    r = one(ca, year=2025, filing_status="mfs", wages=50_000, short_term_gain=-10_000)
    assert r["ca_agi"] == 50_000 - 1_500


def test_married_filing_separately_add_on(ca):
    r = one(ca, year=2025, filing_status="mfs", wages=300_000, iso_bargain_element=400_000)
    # AMTI before add-on 5,706 + 400,000 + 294,294 = 700,000; zero point 231,868 + 4 x 61,830 = 479,188
    # add-on = min(25% x 220,812, 61,830) = 55,203; AMTI 755,203; exemption 0; TMT 7% x 755,203
    assert r["ca_mfs_addon"] == pytest.approx(55_203)
    assert r["ca_amti"] == pytest.approx(755_203)
    assert r["ca_tentative_minimum_tax"] == pytest.approx(0.07 * 755_203)


def test_itemized_limitation_is_restored_for_amti(ca):
    r = one(ca, year=2025, filing_status="single", wages=400_000, mortgage_interest=40_000)
    # 6% x (400,000 - 252,203) = 6% x 147,797 = 8,867.82 < 80% x 40,000
    assert r["ca_itemized_limitation"] == pytest.approx(0.06 * 147_797)
    assert r["ca_deduction"] == pytest.approx(40_000 - 8_867.82)
    assert r["ca_p_line18"] == pytest.approx(-8_867.82)
    # AMTI = taxable 368,867.82 + line 18 (-8,867.82) = 400,000 - 40,000: the full deduction counts for AMT
    assert r["ca_amti"] == pytest.approx(360_000)


def test_ftb3510_credit_limited_to_regular_tax_less_exemption_credits_less_tmt(ca):
    # single 200,000: regular 14,507.98, exemption credit 153, TMT 7,507.57 -> limit 6,847.41
    r = one(ca, year=2025, filing_status="single", wages=200_000, ca_amt_credit_carryforward=5_000)
    assert r["ca_amt_credit_limit"] == pytest.approx(14_507.98 - 153 - 7_507.57)
    assert r["ca_amt_credit_used"] == 5_000 and r["ca_amt_credit_remaining"] == 0
    r = one(ca, year=2025, filing_status="single", wages=200_000, ca_amt_credit_carryforward=10_000)
    assert r["ca_amt_credit_used"] == pytest.approx(6_847.41)
    assert r["ca_amt_credit_remaining"] == pytest.approx(10_000 - 6_847.41)
    assert r["ca_total_tax"] == pytest.approx(7_507.57)  # down to TMT, not below


def test_ftb3510_across_years(ca):
    years = ca_credit_years([
        households(year=2025, filing_status="single", wages=200_000, iso_bargain_element=200_000),
        households(year=2026, filing_status="single", wages=200_000),
    ], ca)
    first, second = years
    # year 1: AMT 7,912.95; exclusion items only: AMTI 200,000, TMT 7,507.57 < regular 14,507.98 -> all credit
    assert float(first.result.ca_amt[0]) == pytest.approx(7_912.95)
    assert float(first.exclusion_result.ca_tentative_minimum_tax[0]) == pytest.approx(7_507.57)
    assert float(first.credit_created[0]) == pytest.approx(7_912.95)
    # year 2 uses up to its own regular tax - exemption credits - TMT, carries the rest
    limit = float(second.result.ca_amt_credit_limit[0])
    assert float(second.lines["credit_available"][0]) == pytest.approx(7_912.95)
    assert float(second.lines["credit_used"][0]) == pytest.approx(min(7_912.95, limit))
    assert float(second.lines["carryover_out"][0]) == pytest.approx(7_912.95 - min(7_912.95, limit))
    assert bool(second.result.projected[0])


def test_auto_election_itemizes_below_the_standard_deduction_only_when_it_pays(ca):
    # 4,000 of mortgage interest < 5,706 standard; with a large spread the AMT binds and the standard
    # deduction is added back, so itemizing lowers TMT by 7% x 4,000 - more than the regular tax it costs
    r = one(ca, year=2025, filing_status="single", wages=200_000, iso_bargain_element=400_000, mortgage_interest=4_000)
    assert r["ca_itemized"] == 1
    r = one(ca, year=2025, filing_status="single", wages=200_000, mortgage_interest=4_000)
    assert r["ca_itemized"] == 0


def test_bad_ca_inputs_are_named(ca):
    h = households(year=2025, filing_status="single", wages=1, state_local_tax=100)
    with pytest.raises(InputError, match="property_tax"):
        compute_california(h, ca, property_tax=200)
    with pytest.raises(InputError, match="ca_amt_credit_carryforward"):
        compute_california(h, ca, ca_amt_credit_carryforward=-1)


def test_vectorized_rows_match_one_at_a_time(ca):
    h = households(year=[2025, 2026, 2030], filing_status=["single", "mfj", "hoh"], wages=[200_000, 400_000, 90_000],
                   iso_bargain_element=[200_000, 300_000, 50_000])
    together = compute_california(h, ca)
    for i in range(3):
        alone = compute_california(h.take(np.array([i])), ca)
        for k in ("ca_regular_tax", "ca_amt", "ca_total_tax"):
            assert float(together.lines[k][i]) == pytest.approx(float(alone.lines[k][0]))
    assert together.projected.tolist() == [False, True, True]


# ---------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None)
@given(
    # amounts to the cent: a tiny float such as 3e-308 is no dollar amount and only underflows the arithmetic
    wages=st.integers(0, 200_000_000).map(lambda cents: cents / 100),
    spread=st.integers(0, 300_000_000).map(lambda cents: cents / 100),
    extra=st.integers(0, 100_000_000).map(lambda cents: cents / 100),
    status=st.sampled_from(["single", "mfj", "mfs", "hoh", "qss"]),
    year=st.sampled_from([2025, 2026, 2031]),
    deduction=st.sampled_from(["standard", "itemized"]),
)
def test_california_amt_never_decreases_with_the_spread(wages, spread, extra, status, year, deduction):
    law = ca_law_table(0.025)
    h = households(year=year, filing_status=status, wages=wages, iso_bargain_element=[spread, spread + extra],
                   mortgage_interest=10_000)
    r = compute_california(h, law, deduction=deduction)
    assert r.ca_amt[1] >= r.ca_amt[0] - 1e-6
    assert r.ca_tentative_minimum_tax[1] >= r.ca_tentative_minimum_tax[0] - 1e-6
    assert r.ca_regular_tax[1] == pytest.approx(r.ca_regular_tax[0])  # the spread is not regular income
    assert np.all(r.ca_total_tax >= 0)


# ---------------------------------------------------------------- parameter files


def test_every_parameter_has_a_citation_every_status_and_a_projection_rule():
    data = tomllib.loads((CALIFORNIA / "2025.toml").read_text())
    rules = tomllib.loads((CALIFORNIA / "projection.toml").read_text())["rules"]
    for name, table in data.items():
        if name == "year":
            continue
        assert table.get("citation") and table.get("description"), name
        if "value" not in table:
            for status in REQUIRED_STATUSES:
                assert status in table, (name, status)
        assert rules[name].get("citation"), name


def test_single_source_values_are_marked():
    data = tomllib.loads((CALIFORNIA / "2025.toml").read_text())
    for name in ("ordinary_brackets", "standard_deduction", "amt_exemption", "amt_phaseout_start", "exemption_credit",
                 "itemized_limitation_start"):
        assert any("[S]" in c for c in data[name]["citation"]), name


def test_brackets_and_rates_in_order_and_joint_twice_single():
    data = tomllib.loads((CALIFORNIA / "2025.toml").read_text())
    rates = data["ordinary_rates"]["value"]
    assert all(a < b for a, b in itertools.pairwise(rates))
    for status in REQUIRED_STATUSES:
        tops = data["ordinary_brackets"][status]
        assert len(tops) + 1 == len(rates)
        assert all(a < b for a, b in itertools.pairwise(tops)), status
    assert data["ordinary_brackets"]["mfj"] == [2 * t for t in data["ordinary_brackets"]["single"]]
    assert data["standard_deduction"]["mfj"] == 2 * data["standard_deduction"]["single"]


def test_amt_exemption_zero_points_match_the_published_upper_thresholds():
    # PolicyEngine-US amt/exemption/amti/threshold/upper.yaml (2025): 718,804 / 958,413 / 479,188
    law = LawTable(0.025, law_module.CALIFORNIA_DIR).laws[2025]
    for status, upper in (("single", 718_804), ("mfj", 958_413), ("mfs", 479_188), ("hoh", 718_804)):
        start, exemption = law.value("amt_phaseout_start", status), law.value("amt_exemption", status)
        assert start + exemption / law.value("amt_phaseout_rate", status) == upper


def test_projection_by_california_cpi_nearest_dollar():
    law = LawTable(0.03, law_module.CALIFORNIA_DIR)
    y2026 = law.laws[2026]
    assert y2026.projected and not law.laws[2025].projected
    # 11,079 x 1.03 = 11,411.37 -> 11,411; joint twice the rounded single amount
    assert y2026.value("ordinary_brackets", "single")[0] == 11_411
    assert y2026.value("ordinary_brackets", "mfj")[0] == 22_822
    # 742,953 x 1.03 = 765,241.59 -> 765,242 (HOH indexed on its own: 1,010,417 x 1.03 = 1,040,729.51)
    assert y2026.value("ordinary_brackets", "single")[-1] == 765_242
    assert y2026.value("ordinary_brackets", "hoh")[-1] == 1_040_730
    # AMT exemption 92,749 x 1.03 = 95,531.47 -> 95,531
    assert y2026.value("amt_exemption", "single") == 95_531
    # not indexed: the MHST threshold and the 25% phase-out
    assert law.laws[2035].value("mental_health_tax_threshold", "single") == 1_000_000
    assert law.laws[2035].value("amt_phaseout_rate", "mfj") == 0.25
    assert any("PROJECTED" in c for c in y2026.parameters["amt_exemption"].citations)


def test_federal_law_is_unchanged_by_the_directory_argument():
    assert law_module.supported_years() == range(2023, 2037)
    assert law_module.year_law(2026).value("amt_phaseout_rate", "single") == 0.5


# ---------------------------------------------------------------- isoplan tax --state


def test_cli_state_ca_json(capsys):
    code = main(["tax", "--year", "2025", "--status", "single", "--wages", "200000", "--iso-spread", "200000",
                 "--state", "ca", "--json", "--explain"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["state"] == "CA"
    assert data["california"]["outputs"]["ca_amt"] == pytest.approx(7_912.95)
    assert any(line["form"] == "Schedule P (540)" and line["line"] == "10" for line in data["california"]["lines"])
    assert any(line["form"] == "FTB 3510" for line in data["california"]["lines"])
    assert any("[U]" in n for n in data["california"]["notes"])
    assert data["outputs"]["amt"] == pytest.approx(45_483)  # federal unchanged (TAX_FACTS F: 2025 single)


def test_cli_state_ca_text_and_projection_label(capsys):
    assert main(["tax", "--year", "2026", "--status", "mfj", "--wages", "400000", "--state", "CA", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "Federal and California, 2026 (PROJECTED)" in out
    assert "California line by line" in out and "Schedule P (540) 24" in out
    assert "California 2026 is PROJECTED" in out


def test_cli_other_state_is_noted_never_silent(capsys):
    assert main(["tax", "--year", "2025", "--status", "single", "--wages", "100000", "--state", "NY", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["state"] == "NY" and "NY income tax is not included" in data["state_note"]
    assert "california" not in data


def test_cli_bad_state_and_stray_ca_input(capsys):
    assert main(["tax", "--year", "2025", "--status", "single", "--state", "Calif"]) == 2
    assert "--state: 'Calif' is not allowed" in capsys.readouterr().err
    assert main(["tax", "--year", "2025", "--status", "single", "--ca-credit-carryforward", "100"]) == 2
    assert "used only with --state CA" in capsys.readouterr().err


def test_cli_batch_with_state_column(tmp_path, capsys):
    path = tmp_path / "in.csv"
    path.write_text("year,filing_status,wages,iso_bargain_element,state\n"
                    "2025,single,200000,200000,CA\n2025,single,200000,200000,\n2025,mfj,100000,0,TX\n")
    assert main(["tax", "--batch", str(path)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.strip().splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=True)) for line in lines[1:]]
    assert float(rows[0]["ca_amt"]) == pytest.approx(7_912.95)
    assert rows[1]["ca_amt"] == "" and rows[2]["ca_amt"] == ""
    assert rows[0]["amt"] == rows[1]["amt"]  # federal figures do not depend on the state
    assert "TX" in captured.err
