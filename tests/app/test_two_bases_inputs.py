"""Capital gains on two bases, loss carryovers and NSO income: the same inputs in tax, room, cost, the batch
CSV and the web room API (expected values worked by hand from the Schedule D and Form 6251 instructions)."""

import json

import pytest

from isoplan.app.cost import CostRequest, cost
from isoplan.app.room import RoomRequest, room
from isoplan.app.tax import TaxRequest, compute_tax, tax_batch
from isoplan.cli import main
from isoplan.errors import InputError
from isoplan.tax.fields import MONEY_FIELDS


def cli_json(capsys, *argv):
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_amt_basis_gains_make_line_2k_and_line_13_agree(capsys):
    d = cli_json(capsys, "tax", "--year", "2026", "--status", "mfj", "--wages", "300000", "--long-term-gain",
                 "1200000", "--amt-long-term-gain", "200000", "--json", "--explain")
    lines = {row["key"]: row["value"] for row in d["lines"]}
    # line 2k = AMT gain in AMTI - regular gain in AGI = 200,000 - 1,200,000
    assert lines["amt_line2k"] == -1_000_000
    # AGI 1,500,000; line 1a = 2026 MFJ standard deduction 32,200 (no senior deduction), added back on line 2a:
    # AMTI = 1,500,000 - 32,200 + 32,200 - 1,000,000 = 500,000
    assert d["outputs"]["amti"] == 500_000
    assert lines["amt_line13"] == 200_000  # the AMT Schedule D's net capital gain, the same 200,000


def test_line_2k_above_what_the_amt_gains_allow_is_refused_naming_both(capsys):
    assert main(["tax", "--year", "2026", "--status", "mfj", "--wages", "300000", "--long-term-gain", "1200000",
                 "--amt-long-term-gain", "200000", "--amt-disposition-adjustment", "0"]) == 2
    err = capsys.readouterr().err
    assert "amt_disposition_adjustment and amt_long_term_gain" in err and "-1,000,000.00" in err
    assert err.count("\n") == 1


def test_tax_json_carries_the_losses_out_on_both_bases():
    # TAX_FACTS_2 K3, year 1, single 2026: regular net -10,000 LT, AMT net -40,000 LT; $3,000 deducted on each.
    r = compute_tax(TaxRequest({"year": 2026, "filing_status": "single", "wages": 150_000,
                                "long_term_gain": -10_000, "amt_long_term_gain": -40_000}))
    o = r.outputs
    # Capital Loss Carryover Worksheet: line 4 = 3,000 used (taxable income is positive); no short-term loss,
    # so line 13 = 10,000 - 3,000 = 7,000 regular and 40,000 - 3,000 = 37,000 AMT
    assert (o.short_term_loss_carryover_out, o.long_term_loss_carryover_out) == (0, 7_000)
    assert (o.amt_short_term_loss_carryover_out, o.amt_long_term_loss_carryover_out) == (0, 37_000)
    assert r.as_dict()["outputs"]["amt_long_term_loss_carryover_out"] == 37_000


def test_no_capital_losses_no_carryover_out():
    o = compute_tax(TaxRequest({"year": 2026, "filing_status": "single", "wages": 150_000,
                                "long_term_gain": 5_000})).outputs
    assert o.short_term_loss_carryover_out == o.long_term_loss_carryover_out == 0
    assert o.amt_short_term_loss_carryover_out == o.amt_long_term_loss_carryover_out == 0


def test_room_and_cost_take_the_new_inputs():
    household = {"year": 2026, "filing_status": "single", "wages": 150_000, "long_term_gain": 10_000,
                 "amt_long_term_gain": -30_000, "nso_income": 20_000, "long_term_loss_carryover": 0}
    r = room(RoomRequest(household))
    # regular: AGI = 150,000 + 20,000 NSO + 10,000 = 180,000; AMT: gain -30,000, limited to -3,000;
    # line 2k = -3,000 - 10,000 = -13,000 (TAX_FACTS_2 K2)
    assert r.inputs["amt_disposition_adjustment"] == -13_000 and r.inputs["nso_income"] == 20_000
    c = cost(CostRequest(household, shares=100, strike=1, fmv=11))
    assert c.inputs["amt_disposition_adjustment"] == -13_000


def test_batch_blank_amt_cells_are_the_regular_amount_and_blank_line_2k_is_derived(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text(
        "year,filing_status,wages,long_term_gain,amt_long_term_gain,short_term_gain,amt_short_term_gain,"
        "long_term_loss_carryover,amt_long_term_loss_carryover,amt_disposition_adjustment\n"
        "2026,single,100000,10000,-30000,0,,0,,\n"     # K2: line 2k = -3,000 - 10,000 = -13,000
        "2026,single,100000,10000,,0,,0,,\n"           # AMT cells blank: the regular amounts, line 2k 0
        "2026,single,100000,10000,,0,,0,,-2000\n"      # line 2k given
        "2026,single,100000,0,,0,,7000,37000,\n"       # K3 year 2 carryovers, no new gain: -3,000 on each
    )
    table = tax_batch(TaxRequest({}), str(path))
    amti = [float(row[table.header.index("amti")]) for row in table.rows]
    # AGI 110,000 (rows 1-3) or 97,000 (row 4: 100,000 - 3,000); the standard deduction is added back on line 2a
    assert amti == [110_000 - 13_000, 110_000, 110_000 - 2_000, 97_000]
    carry = [float(row[table.header.index("amt_long_term_loss_carryover_out")]) for row in table.rows]
    # row 1: 30,000 - 3,000; row 4: 37,000 - 3,000 AMT basis (and 7,000 - 3,000 = 4,000 regular)
    assert carry == [27_000, 0, 0, 34_000]
    assert float(table.rows[3][table.header.index("long_term_loss_carryover_out")]) == 4_000


def test_batch_line_2k_above_the_derived_amount_is_refused(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("year,filing_status,long_term_gain,amt_long_term_gain,amt_disposition_adjustment\n"
                    "2026,single,10000,,\n2026,single,10000,-30000,0\n")
    with pytest.raises(InputError) as err:
        tax_batch(TaxRequest({}), str(path))
    assert err.value.row == 2 and "amt_disposition_adjustment" in err.value.field


def test_web_room_api_takes_every_engine_input():
    from isoplan.web.api import ROOM_MONEY_FIELDS, room_page

    assert tuple(name for name, _, _ in MONEY_FIELDS) == ROOM_MONEY_FIELDS
    page = room_page({"year": "2026", "filing_status": "single", "wages": "150000", "long_term_gain": "10000",
                      "amt_long_term_gain": "-30000", "amt_disposition_adjustment": "", "nso_income": "20000"})
    assert page.room["inputs"]["amt_disposition_adjustment"] == -13_000
    assert page.room["inputs"]["nso_income"] == 20_000
