"""The tax, room, cost and demo use cases called directly: requests in, frozen records out."""

import dataclasses
import json

import pytest

from isoplan.app.cost import CostRequest, CostResult, cost
from isoplan.app.household import Names
from isoplan.app.room import RoomPageRequest, RoomRequest, RoomResult, room, room_batch, room_page_data
from isoplan.app.tax import FederalOutputs, TaxRequest, compute_tax, tax_batch
from isoplan.cli import main
from isoplan.cli.common import CLI_NAMES
from isoplan.errors import InputError

SINGLE_200K = {"year": 2026, "filing_status": "single", "wages": 200_000}


def cli_json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


# ---------------------------------------------------------------- tax


def test_tax_record_typed_figures():
    r = compute_tax(TaxRequest(SINGLE_200K | {"iso_bargain_element": 400_000}))
    # 2026 single: taxable 200,000 - 16,100 standard = 183,900; regular tax 36,734 (golden fact sheet)
    assert r.outputs.taxable_income == 183_900 and r.outputs.regular_tax == 36_734
    # AMTI = 200,000 + 400,000 = 600,000; Form 6251 line 5 exemption fully phased out at that AMTI
    assert r.outputs.amti == 600_000
    assert r.outputs.amt == r.outputs.tentative_minimum_tax - r.outputs.regular_tax
    assert r.filing_status == "single" and r.lines is None and r.state is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.year = 2027  # type: ignore[misc]


def test_tax_outputs_are_the_engine_outputs():
    from isoplan.tax.explain import OUTPUTS
    from isoplan.tax.states.california import CA_OUTPUTS, CaliforniaOutputs

    assert tuple(f.name for f in dataclasses.fields(FederalOutputs)) == OUTPUTS
    assert tuple(f.name for f in dataclasses.fields(CaliforniaOutputs)) == CA_OUTPUTS


def test_tax_as_dict_is_the_cli_json(capsys):
    r = compute_tax(TaxRequest({"year": 2025, "filing_status": "mfj", "wages": 400_000,
                                "iso_bargain_element": 300_000}, state="CA", explain=True))
    expected = cli_json(capsys, "tax", "--year", "2025", "--status", "mfj", "--wages", "400000", "--iso-spread",
                        "300000", "--state", "CA", "--json", "--explain")
    assert r.as_dict() == expected
    assert list(r.as_dict())[-3:] == ["state", "california", "answer"]
    assert "deduction_shown" not in r.as_dict() and "form_lines" not in r.as_dict()


def test_tax_other_state_gets_a_note_and_no_california():
    d = compute_tax(TaxRequest(SINGLE_200K, state="ny")).as_dict()
    assert d["state"] == "NY" and "NY income tax is not included" in d["state_note"] and "california" not in d


def test_tax_accepts_form_text():
    a = compute_tax(TaxRequest({"year": "2026", "filing_status": "single", "wages": "$200,000"}))
    b = compute_tax(TaxRequest(SINGLE_200K))
    assert a.as_dict() == b.as_dict()


@pytest.mark.parametrize(("request_", "field", "names"), [
    (TaxRequest({"filing_status": "single"}), "year", None),
    (TaxRequest({"filing_status": "single"}), "--year", CLI_NAMES),
    (TaxRequest({"year": 2019, "filing_status": "single"}), "year", None),
    (TaxRequest({"year": 2026}), "--status", CLI_NAMES),
    (TaxRequest(SINGLE_200K | {"wages": "12x"}), "wages", None),
    (TaxRequest(SINGLE_200K, state="California"), "--state", CLI_NAMES),
    (TaxRequest(SINGLE_200K, property_tax=5000), "--property-tax", CLI_NAMES),
    (TaxRequest(SINGLE_200K, deduction="both"), "deduction", None),
])
def test_tax_bad_values_name_the_field(request_, field, names):
    if names is not None:
        request_ = dataclasses.replace(request_, names=names)
    with pytest.raises(InputError) as err:
        compute_tax(request_)
    assert err.value.field == field and "not allowed" in err.value.message


def test_year_range_comes_from_the_law_data():
    from isoplan.tax.law import supported_years

    years = supported_years()
    with pytest.raises(InputError, match=f"a tax year from {years.start} to {years.stop - 1}"):
        compute_tax(TaxRequest({"year": years.stop, "filing_status": "single"}))
    assert compute_tax(TaxRequest({"year": years.stop - 1, "filing_status": "single"})).projected


def test_tax_batch_is_a_table(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("year,filing_status,wages\n2026,single,200000\n2025,mfj,400000\n")
    table = tax_batch(TaxRequest({}), str(path))
    assert table.header[:3] == ("year", "filing_status", "wages") and table.header[-1] == "projected"
    assert len(table.rows) == 2 and table.rows[0][table.header.index("regular_tax")] == "36734.00"
    noted = tax_batch(TaxRequest({}, state="NY"), str(path))
    assert noted.rows == table.rows and "NY income tax is not included" in noted.notes[0]


# ---------------------------------------------------------------- room


def test_room_as_dict_is_the_cli_json(capsys):
    r = room(RoomRequest(SINGLE_200K, fmv=60, strike=10))
    assert isinstance(r, RoomResult)
    assert r.as_dict() == cli_json(capsys, "room", "--year", "2026", "--status", "single", "--wages", "200000",
                                   "--fmv", "60", "--strike", "10", "--json")
    # 36,734 / 0.26 - 109,900 = 31,384.6: the whole-dollar room; 31,384 / 50 = 627 shares
    assert r.amt_room == 31_384 and r.shares == 627 and r.zone.description == "26% AMT bracket"
    assert r.past_the_line[0].extra_shares == 63  # ceil(10% x 627)


def test_room_with_ca_is_the_cli_json(capsys):
    r = room(RoomRequest({"year": 2025, "filing_status": "single", "wages": 200_000}, spread_per_share=50,
                         state="CA"))
    expected = cli_json(capsys, "room", "--year", "2025", "--status", "single", "--wages", "200000",
                        "--spread-per-share", "50", "--state", "CA", "--json")
    assert r.as_dict() == expected
    assert r.california is not None and r.california.binding == "federal"
    assert r.california.binding_room == min(r.amt_room, r.california.amt_room)


def test_room_without_shares_has_no_share_keys():
    d = room(RoomRequest(SINGLE_200K)).as_dict()
    assert d["shares"] is None and "extra_shares" not in d["past_the_line"][0] and "state" not in d


@pytest.mark.parametrize(("request_", "field", "allowed"), [
    (RoomRequest(SINGLE_200K, margin=1.0, names=CLI_NAMES), "--margin", "a fraction from 0 up to"),
    (RoomRequest(SINGLE_200K, margin="1"), "margin", "a fraction from 0 up to"),
    (RoomRequest(SINGLE_200K, fmv=10, names=CLI_NAMES), "--strike", "to go with --fmv"),
    (RoomRequest(SINGLE_200K, strike=10), "fmv", "to go with strike"),
    (RoomRequest(SINGLE_200K, fmv=-1, strike=1), "fmv", "a price per share of 0 or more"),
    (RoomRequest(SINGLE_200K, fmv=10, strike=1, spread_per_share=9, names=CLI_NAMES), "--spread-per-share",
     "not both"),
    (RoomRequest(SINGLE_200K, spread_per_share=float("nan")), "spread_per_share", "0 or more"),
    (RoomRequest(SINGLE_200K, state="NY", ca_amt_credit_carryforward=10, names=CLI_NAMES),
     "--ca-credit-carryforward", "used only with --state CA (got --state NY)"),
    (RoomRequest(SINGLE_200K, property_tax="5000", names=Names(form=True)), "property_tax",
     "used only with state CA (no state is chosen)"),
])
def test_room_bad_values_name_the_field(request_, field, allowed):
    with pytest.raises(InputError) as err:
        room(request_)
    assert err.value.field == field and allowed in err.value.allowed


def test_form_zero_for_a_california_field_is_no_input():
    assert room(RoomRequest(SINGLE_200K, property_tax="0", names=Names(form=True))).state is None
    with pytest.raises(InputError):
        room(RoomRequest(SINGLE_200K, property_tax=0.0, names=CLI_NAMES))


def test_room_batch(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("year,filing_status,wages\n2026,single,200000\n")
    table = room_batch(RoomRequest({}, spread_per_share=50), str(path))
    assert table.header[-4:] == ("amt_room", "already_in_amt", "shares", "shares_after_margin")
    assert table.rows[0][-4:] == ("31384", "false", "627", "564")  # 28,245.6 / 50 = 564.9


# ---------------------------------------------------------------- cost


def test_cost_record(capsys):
    r = cost(CostRequest(SINGLE_200K, shares=2000, strike=10, fmv=110, date="2026-02-01"))
    assert isinstance(r, CostResult)
    # spread 100 x 2,000 = 200,000 (Form 6251 line 2i); strike cash 10 x 2,000 = 20,000
    assert r.exercise.bargain_element == 200_000 and r.exercise.strike_cash == 20_000
    assert r.outlay.total == 20_000 + r.tax["incremental"]["total_tax"]
    assert r.as_dict() == cli_json(capsys, "cost", "--year", "2026", "--status", "single", "--wages", "200000",
                                   "--shares", "2000", "--strike", "10", "--fmv", "110", "--date", "2026-02-01",
                                   "--json")
    assert r.as_dict()["exercise_date"] == "2026-02-01"


@pytest.mark.parametrize(("changes", "field", "allowed"), [
    ({"shares": "10.5"}, "--shares", "a positive whole number of shares"),
    ({"shares": 0}, "--shares", "a positive whole number of shares"),
    ({"strike": None}, "--strike", "a price per share (dollars)"),
    ({"drop": 1.0}, "--drop", "a fraction between 0 and 1"),
    ({"cash": -10.0}, "--cash", "a dollar amount of 0 or more"),
    ({"date": "2025-06-01"}, "--date", "a date in the tax year 2026 (--year)"),
    ({"date": "June 1"}, "--date", "a date as YYYY-MM-DD"),
])
def test_cost_bad_values_name_the_flag(changes, field, allowed):
    req = dataclasses.replace(CostRequest(SINGLE_200K, shares=5, strike=1, fmv=2, names=CLI_NAMES), **changes)
    with pytest.raises(InputError) as err:
        cost(req)
    assert err.value.field == field and allowed in err.value.allowed


# ---------------------------------------------------------------- the web room page


def test_room_page_data():
    form = Names(form=True)
    data = room_page_data(RoomPageRequest(RoomRequest(SINGLE_200K, fmv="60", strike="10", names=form),
                                          shares="1000"))
    assert data.cost is not None and data.cost.exercise.shares == 1000
    assert data.curve.line_x == data.room.shares == 627 and data.curve.current_x == 1000
    assert set(data.explain) == {"now", "at_line", "with_exercise"}
    with pytest.raises(InputError) as err:
        room_page_data(RoomPageRequest(RoomRequest(SINGLE_200K, names=form), drop="0"))
    assert err.value.field == "drop"
    with pytest.raises(InputError) as err:
        room_page_data(RoomPageRequest(RoomRequest(SINGLE_200K, names=form), shares="1.5"))
    assert err.value.field == "shares"


def test_demo_record():
    from isoplan.app.demo import demo

    d = demo().as_dict()
    assert set(d) == {"plan", "household"} and d["household"]["lines"]
