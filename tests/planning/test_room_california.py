"""The California AMT room (Schedule P (540)), hand-computed, and its line property against the engine.

2025 California law (src/isoplan/tax/parameters/california/2025.toml): single brackets 1% to 11,079,
2% to 26,264, 4% to 41,452, 6% to 57,542, 8% to 72,724, 9.3% to 371,479, 10.3% to 445,771; standard
deduction 5,706 (MFJ twice it); exemption credit 153; AMT 7%, exemption 92,749 single / 123,667 MFJ,
phased out by 25% of AMTI over 347,808 (single).
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isoplan.planning.room import amt_room, ca_spread_for_tmt, california_amt_room, with_added_spread
from isoplan.tax.households import households
from isoplan.tax.law import STATUS_CODE
from isoplan.tax.states.california import ca_law_table, compute_california, schedule_p_part2

# Form 540 line 31 for 2025 single taxable income 194,294 (200,000 - 5,706): the five low brackets
LOW_BRACKETS = 110.79 + 303.70 + 607.52 + 965.40 + 1_214.56  # 11,079 x 1% ... 15,182 x 8% = 3,201.97


@pytest.fixture(scope="module")
def ca_law():
    return ca_law_table(0.025)


def test_single_200k_by_hand(ca_law):
    h = households(year=2025, filing_status="single", wages=200_000)
    r = california_amt_room(h, ca_law)
    regular = LOW_BRACKETS + (194_294 - 72_724) * 0.093  # 3,201.97 + 11,306.01 = 14,507.98
    assert r.ca_regular_tax[0] == pytest.approx(regular, abs=0.005)
    assert regular == pytest.approx(14_507.98, abs=0.005)
    # Schedule P: line 25 is regular tax BEFORE the 153 exemption credit (california.py: line25 = regular_tax).
    # AMTI = 194,294 + 5,706 (standard deduction added back) + s = 200,000 + s <= 347,808: no phase-out.
    # 0.07 x (200,000 + s - 92,749) <= 14,507.98  ->  s <= 14,507.98 / 0.07 - 107,251 = 100,005.857
    assert r.ca_amt_room[0] == 100_005
    assert r.ca_tentative_minimum_tax[0] == pytest.approx(0.07 * (200_000 - 92_749), abs=0.005)  # 7,507.57
    assert not r.ca_already_in_amt[0]
    at = compute_california(with_added_spread(h.take(np.zeros(2, dtype=np.intp)), np.array([100_005.0, 100_006.0])),
                            ca_law)
    assert at.ca_amt[0] == 0.0
    assert at.ca_amt[1] == pytest.approx(0.07 * 207_257 - 14_507.98, abs=1e-6)  # 14,507.99 - 14,507.98 = 0.01


def test_single_400k_in_the_phase_out(ca_law):
    h = households(year=2025, filing_status="single", wages=400_000)
    r = california_amt_room(h, ca_law)
    # taxable 394,294: 3,201.97 + (371,479 - 72,724) x 9.3% + (394,294 - 371,479) x 10.3%
    regular = LOW_BRACKETS + 298_755 * 0.093 + 22_815 * 0.103  # = 33,336.13
    assert r.ca_regular_tax[0] == pytest.approx(regular, abs=0.005)
    # AMTI x = 400,000 + s > 347,808: base = x - (92,749 - 0.25 (x - 347,808)) = 1.25 x - 179,701
    # 0.07 (1.25 x - 179,701) <= 33,336.13  ->  x <= (33,336.13 / 0.07 + 179,701) / 1.25 = 524,745.14
    assert r.ca_amt_room[0] == 124_745
    assert 92_749 - 0.25 * (524_745 - 347_808) > 0  # the exemption is not yet used up at the line


def test_mfj_california_binds(ca_law, law):
    h = households(year=2025, filing_status="mfj", wages=[0.0, 30_000.0])
    ca = california_amt_room(h, ca_law)
    fed = amt_room(h, law)
    # no income: the room is the exemption itself, California 123,667 against the federal 137,000
    assert ca.ca_amt_room[0] == 123_667 and fed.amt_room[0] == 137_000
    # 30,000 MFJ: California taxable 30,000 - 11,412 = 18,588 at 1% = 185.88;
    # 0.07 (30,000 + s - 123,667) <= 185.88 -> s <= 2,655.43 + 93,667 = 96,322.43;
    # federal: taxable income 0 (standard deduction 31,500), room = 137,000 - 30,000
    assert ca.ca_regular_tax[1] == pytest.approx(185.88, abs=0.005)
    assert ca.ca_amt_room[1] == 96_322 and fed.amt_room[1] == 107_000
    assert np.all(ca.ca_amt_room < fed.amt_room)  # California binds


def test_credit_line_by_hand(ca_law):
    h = households(year=2025, filing_status="single", wages=200_000)
    r = california_amt_room(h, ca_law, ca_amt_credit_carryforward=5_000)
    # FTB 3510: limit = 14,507.98 - 153 - 7,507.57 = 6,847.41 > 5,000, so all 5,000 is used; use starts to
    # shrink once 0.07 (107,251 + s) > 14,507.98 - 153 - 5,000 = 9,354.98, i.e. s > 133,642.57 - 107,251
    assert r.ca_credit_used[0] == pytest.approx(5_000)
    assert r.ca_credit_line[0] == 26_391
    assert r.ca_amt_room[0] == 100_005  # the credit does not move the AMT line


def test_closed_form_matches_schedule_p(ca_law):
    status = np.array([STATUS_CODE[s] for s in ("single", "mfs", "mfs", "mfj")])
    p = ca_law.gather(np.full(4, 2025), status)
    amti0 = np.array([50_000.0, 300_000.0, 500_000.0, 100_000.0])
    # below the phase-out, in it, past the MFS zero point (add-on), and MFJ
    target = np.array([5_000.0, 30_000.0, 60_000.0, 10_000.0])
    s = ca_spread_for_tmt(target, amti0, status, p)
    tmt = schedule_p_part2(amti0 + s, status, p)["ca_tentative_minimum_tax"]
    assert tmt == pytest.approx(target, abs=1e-6)


def test_already_in_california_amt(ca_law):
    h = households(year=2025, filing_status="single", wages=100_000, iso_bargain_element=400_000)
    r = california_amt_room(h, ca_law)
    assert r.ca_already_in_amt[0] and r.ca_amt_room[0] == 0 and r.ca_amt[0] > 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    year=st.sampled_from([2025, 2026, 2028]),
    status=st.sampled_from(["single", "mfj", "mfs", "hoh"]),
    # whole dollars (as on the forms); cents would only add subnormal-float noise under seterr(all="raise")
    wages=st.integers(0, 2_000_000),
    gain=st.integers(0, 500_000),
    mortgage=st.integers(0, 60_000),
    salt=st.integers(0, 60_000),
    property_share=st.sampled_from([0.0, 0.25, 0.5, 1.0]),
    spread=st.integers(0, 300_000),
    carry=st.integers(0, 50_000),
)
def test_room_is_the_line(ca_law, year, status, wages, gain, mortgage, salt, property_share, spread, carry):
    h = households(year=year, filing_status=status, wages=wages, long_term_gain=gain, mortgage_interest=mortgage,
                   state_local_tax=salt, iso_bargain_element=spread)
    ptax = salt * property_share
    r = california_amt_room(h, ca_law, property_tax=ptax, ca_amt_credit_carryforward=carry)
    room = float(r.ca_amt_room[0])
    two = with_added_spread(h.take(np.zeros(2, dtype=np.intp)), np.array([room, room + 1.0]))
    at = compute_california(two, ca_law, property_tax=ptax, ca_amt_credit_carryforward=carry)
    if r.ca_already_in_amt[0]:
        assert room == 0 and at.ca_amt[0] > 0
    else:
        assert at.ca_amt[0] == 0 < at.ca_amt[1]
        line = float(r.ca_credit_line[0])
        if line == line:  # the credit use has not shrunk at the credit line (an election switch may raise it)
            assert 0 <= line <= room
            one = compute_california(with_added_spread(h, line), ca_law, property_tax=ptax,
                                     ca_amt_credit_carryforward=carry)
            assert one.ca_amt_credit_used[0] >= r.ca_credit_used[0] - 1e-6


# ----------------------------------------------------------------- isoplan room --state


def _run(capsys, *argv):
    from isoplan.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_room_ca_json(capsys):
    import json

    base = ["room", "--year", "2025", "--status", "single", "--wages", "200000", "--spread-per-share", "50", "--json"]
    _, plain, _ = _run(capsys, *base)
    code, out, err = _run(capsys, *base, "--state", "ca", "--ca-credit-carryforward", "5000")
    assert code == 0 and err == ""
    fed, data = json.loads(plain), json.loads(out)
    # the answer states every modeled jurisdiction: with the state CA it is California's too
    assert "California" in data.pop("answer") and "California" not in fed.pop("answer")
    assert set(data) == set(fed) | {"state", "california"}  # existing keys unchanged, only added ones
    assert {k: data[k] for k in fed} == fed
    ca = data["california"]
    assert data["state"] == "CA"
    assert ca["amt_room"] == 100_005 and ca["shares"] == 2_000  # floor(100,005 / 50)
    assert ca["marginal_amt_rate"] == pytest.approx(0.07)
    assert ca["binding"] == "federal" and ca["binding_room"] == fed["amt_room"] < 100_005
    assert ca["credit"]["credit_line"] == 26_391
    assert ca["room_after_margin"] == 90_004  # floor(100,005 x 0.9 = 90,004.5)


def test_cli_room_ca_binding_text(capsys):
    code, out, _ = _run(capsys, "room", "--year", "2025", "--status", "mfj", "--wages", "30000", "--state", "CA")
    assert code == 0
    assert "Federal and California AMT room" in out
    assert "Binding line: California, the smaller one: $96,322" in out  # 96,322 < 107,000 (hand: see above)


def test_cli_room_other_state_and_bad_state(capsys):
    base = ["room", "--year", "2025", "--status", "single", "--wages", "200000"]
    code, out, _ = _run(capsys, *base, "--state", "NY")
    assert code == 0 and "NY income tax is not included" in out
    code, _, err = _run(capsys, *base, "--state", "Calif")
    assert code == 2 and "--state" in err and "Calif" in err and "Traceback" not in err
    code, _, err = _run(capsys, *base, "--property-tax", "1000")
    assert code == 2 and "--property-tax" in err and "--state CA" in err


def test_cli_room_batch_ca(capsys, tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("year,filing_status,wages\n2025,single,200000\n2025,mfj,30000\n")
    code, out, _ = _run(capsys, "room", "--batch", str(path), "--state", "CA")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].endswith("amt_room,already_in_amt,ca_amt_room,ca_already_in_amt,binding")
    assert lines[1].endswith(",100005,false,federal") and lines[2].endswith(",96322,false,california")
