"""`isoplan room` and `isoplan cost` through the real entry point (hand numbers from test_room/test_cost)."""

import csv
import io
import json

import pytest

from isoplan.cli import main

SINGLE_200K = ["--year", "2026", "--status", "single", "--wages", "200000"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ----------------------------------------------------------------- room


def test_room_report(capsys):
    code, out, err = run(capsys, "room", *SINGLE_200K, "--fmv", "60", "--strike", "10")
    assert code == 0 and err == ""
    assert "$31,384" in out  # 36,734 / 0.26 - 109,900 = 31,384.6
    assert "627 shares (564 after the margin)" in out  # 31,384 / 50; 28,245.6 / 50
    assert "26.0%" in out and "26% AMT bracket" in out
    assert "Exercising past the line" in out and "+100% of the room" in out


def test_room_json(capsys):
    code, out, _ = run(capsys, "room", *SINGLE_200K, "--spread-per-share", "50", "--margin", "0.2", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["amt_room"] == 31_384
    assert data["room_after_margin"] == 25_107  # floor(31,384 x 0.8 = 25,107.2)
    assert data["shares"] == 627 and data["shares_after_margin"] == 502  # 25,107.2 / 50 = 502.1
    assert data["marginal_amt_rate"] == pytest.approx(0.26)
    assert data["zone"] == {"phase_out": False, "mfs_addon": False, "upper_rate": False,
                            "gains_pulled_in": False, "description": "26% AMT bracket"}
    assert data["credit"] is None and data["already_in_amt"] is False
    first = data["past_the_line"][0]
    # +10% of 627 shares = 63 shares = 3,150 of spread past a base of 627 x 50 = 31,350:
    # AMT = 0.26 x (200,000 + 34,500 - 90,100) - 36,734 = 810
    assert first["extra_shares"] == 63 and first["extra_spread"] == 3_150
    assert first["amt"] == pytest.approx(0.26 * (234_500 - 90_100) - 36_734)


def test_room_credit_line(capsys):
    _, out, _ = run(capsys, "room", *SINGLE_200K, "--credit-carryforward", "5000", "--json")
    credit = json.loads(out)["credit"]
    assert credit["credit_line"] == 12_153  # (36,734 - 5,000) / 0.26 - 109,900
    assert credit["used_this_year"] == 5_000
    assert "carried forward" in credit["explanation"]
    _, text, _ = run(capsys, "room", *SINGLE_200K, "--credit-carryforward", "5000")
    assert "Credit line" in text and "$12,153" in text


def test_room_phase_out_zone_text(capsys):
    _, out, _ = run(capsys, "room", "--year", "2026", "--status", "single", "--wages", "600000")
    assert "$50,600" in out and "42.0%" in out and "phase-out" in out


def test_room_already_in_amt_says_so(capsys):
    code, out, _ = run(capsys, "room", *SINGLE_200K, "--iso-spread", "400000")
    assert code == 0
    assert "Already in AMT" in out and "no room this year" in out


def test_room_with_no_regular_tax_explains(capsys):
    _, out, _ = run(capsys, "room", "--year", "2026", "--status", "single", "--wages", "16000", "--json")
    data = json.loads(out)
    assert data["amt_room"] == 74_100 and data["regular_tax"] == 0
    assert any("No regular tax" in note for note in data["notes"])


def test_room_underwater_option(capsys):
    code, out, _ = run(capsys, "room", *SINGLE_200K, "--fmv", "5", "--strike", "10", "--json")
    data = json.loads(out)
    assert code == 0 and data["underwater"] and data["shares"] is None and data["spread_per_share"] == 0
    assert any("triggers no AMT" in note for note in data["notes"])


def test_room_batch_adds_columns(capsys, tmp_path):
    path = tmp_path / "households.csv"
    path.write_text(
        "year,filing_status,wages,iso_bargain_element,amt_credit_carryforward\n"
        "2026,single,200000,0,5000\n"
        "2025,mfj,400000,0,0\n"
        "2026,single,200000,400000,0\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "room", "--batch", str(path), "--fmv", "60", "--strike", "10")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["amt_room"] for r in rows] == ["31384", "18842", "0"]
    assert [r["already_in_amt"] for r in rows] == ["false", "false", "true"]
    assert [r["credit_line"] for r in rows] == ["12153", "", ""]
    assert [r["shares"] for r in rows] == ["627", "376", "0"]  # 18,842 / 50 = 376.8
    assert rows[0]["wages"] == "200000"  # inputs kept


def test_room_batch_without_spread_has_no_share_columns(capsys, tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("year,filing_status,wages\n2026,single,200000\n", encoding="utf-8")
    out_path = tmp_path / "out.csv"
    code, out, _ = run(capsys, "room", "--batch", str(path), "--out", str(out_path))
    assert code == 0 and out == ""
    header = out_path.read_text(encoding="utf-8").splitlines()[0]
    assert header == "year,filing_status,wages,amt_room,already_in_amt"


# ----------------------------------------------------------------- cost


def test_cost_report(capsys):
    code, out, err = run(capsys, "cost", *SINGLE_200K, "--shares", "1000", "--strike", "10", "--fmv", "60",
                         "--cash", "12000", "--date", "2026-03-15")
    assert code == 0 and err == ""
    assert "exercised 2026-03-15" in out
    assert "$50,000" in out  # bargain element
    assert "$14,840 ($14.84 per share)" in out  # 10,000 + 4,840
    assert "short by $2,840" in out
    assert "Sell by Dec 31, 2026" in out and "$4,970" in out  # rescue tax (test_cost)
    assert "only for stock that can be sold (public)" in out


def test_cost_json(capsys):
    code, out, _ = run(capsys, "cost", *SINGLE_200K, "--shares", "1,000", "--strike", "10", "--fmv", "$60",
                       "--cash", "12000", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["exercise"]["bargain_element"] == 50_000
    assert data["tax"]["incremental"]["amt"] == pytest.approx(4_840)
    assert data["tax"]["incremental"]["regular_tax"] == 0
    assert data["outlay"] == {"total": pytest.approx(14_840), "per_share": pytest.approx(14.84)}
    assert data["room"]["amt_room"] == 31_384 and data["room"]["spread_past_room"] == 18_616
    stress = data["stress"]
    assert stress["price_after_drop"] == 30 and stress["cash_covers"] is False
    assert stress["cash_gap"] == pytest.approx(2_840)
    assert data["rescue"]["ordinary_income"] == 20_000
    assert data["rescue"]["incremental"]["total_tax"] == pytest.approx(4_970)
    assert data["stock"] == "public" and data["exercise_date"] is None


def test_cost_private_stock_has_no_rescue(capsys):
    _, out, _ = run(capsys, "cost", *SINGLE_200K, "--shares", "1000", "--strike", "10", "--fmv", "60",
                    "--private", "--json")
    data = json.loads(out)
    assert data["rescue"] is None and data["stock"] == "private"
    assert any("no same-year buyer" in note for note in data["notes"])
    _, text, _ = run(capsys, "cost", *SINGLE_200K, "--shares", "1000", "--strike", "10", "--fmv", "60", "--private")
    assert "no same-year buyer" in text


def test_cost_underwater_is_not_an_error(capsys):
    code, out, _ = run(capsys, "cost", *SINGLE_200K, "--shares", "100", "--strike", "20", "--fmv", "15")
    assert code == 0
    assert "triggers no AMT" in out and "$2,000 + tax $0 = $2,000" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["cost", *SINGLE_200K, "--shares", "10.5", "--strike", "1", "--fmv", "2"],
         "--shares: '10.5' is not allowed; expected a positive whole number"),
        (["cost", *SINGLE_200K, "--shares", "0", "--strike", "1", "--fmv", "2"], "--shares: '0'"),
        (["cost", *SINGLE_200K, "--shares", "-5", "--strike", "1", "--fmv", "2"], "--shares: '-5'"),
        (["cost", *SINGLE_200K, "--strike", "1", "--fmv", "2"], "--shares"),
        (["cost", *SINGLE_200K, "--shares", "5", "--fmv", "2"], "--strike"),
        (["cost", *SINGLE_200K, "--shares", "5", "--strike", "1", "--fmv", "2", "--drop", "1"],
         "--drop: 1.0 is not allowed"),
        (["cost", *SINGLE_200K, "--shares", "5", "--strike", "1", "--fmv", "2", "--drop", "0"], "--drop: 0.0"),
        (["cost", *SINGLE_200K, "--shares", "5", "--strike", "1", "--fmv", "2", "--cash", "-10"],
         "--cash: -10.0 is not allowed"),
        (["cost", *SINGLE_200K, "--shares", "5", "--strike", "1", "--fmv", "2", "--date", "2025-06-01"],
         "--date: '2025-06-01' is not allowed; expected a date in the tax year 2026"),
        (["cost", *SINGLE_200K, "--shares", "5", "--strike", "1", "--fmv", "2", "--date", "June 1"],
         "YYYY-MM-DD"),
        (["room", *SINGLE_200K, "--margin", "1"], "--margin: 1.0 is not allowed"),
        (["room", *SINGLE_200K, "--margin", "-0.1"], "--margin: -0.1"),
        (["room", *SINGLE_200K, "--fmv", "10"], "--strike"),
        (["room", *SINGLE_200K, "--fmv", "10", "--strike", "1", "--spread-per-share", "9"], "not both"),
        (["room", *SINGLE_200K, "--spread-per-share", "-1"], "--spread-per-share: -1.0"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and message in err
    assert err.startswith(f"isoplan {argv[0]}: ")
