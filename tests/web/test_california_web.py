"""California in the web app (issue 9): the same numbers as `isoplan room/cost/plan/ledger` with the state CA.

The web app calls the CLI's own builders, so every California figure must equal
the CLI's JSON for the same inputs; the hand checks below show the arithmetic
that ties the figures together (the binding line is the smaller one, the outlay
is strike cash plus both taxes caused).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from isoplan.cli import main

ROOT = Path(__file__).resolve().parents[2]
CA_PLAN = ROOT / "examples" / "staging-california.toml"

# a single filer with $200,000 of wages, $20,000 of state and local tax of which $5,000 is property tax,
# $1,000 of California AMT credit carried in; 1,000 ISOs at a $10 strike, $60 price
ROOM = {"year": "2026", "filing_status": "single", "wages": "200000", "state_local_tax": "20000",
        "shares": "1000", "strike": "10", "fmv": "60", "cash": "30000", "drop": "0.5"}
CA = {"state": "CA", "property_tax": "5000", "ca_amt_credit_carryforward": "1000"}
HOUSEHOLD = ["--year", "2026", "--status", "single", "--wages", "200000", "--state-local-tax", "20000"]
CA_FLAGS = ["--state", "CA", "--property-tax", "5000", "--ca-credit-carryforward", "1000"]


def query(params: dict[str, str]) -> str:
    return "/api/room?" + "&".join(f"{k}={v}" for k, v in params.items())


def cli_json(capsys, *argv: str):
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


# ---------------------------------------------------------------- room and cost


def test_room_and_cost_with_state_ca_are_the_cli(client, capsys):
    r = client.get(query(ROOM | CA))
    assert r.status == 200, r.text
    d = r.json()
    assert d["room"] == cli_json(capsys, "room", *HOUSEHOLD, *CA_FLAGS, "--fmv", "60", "--strike", "10", "--json")
    assert d["cost"] == cli_json(capsys, "cost", *HOUSEHOLD, *CA_FLAGS, "--shares", "1000", "--strike", "10",
                                 "--fmv", "60", "--cash", "30000", "--drop", "0.5", "--json")
    assert d["room"]["state"] == "CA" and "california" in d["room"] and "california" in d["cost"]


def test_room_ca_two_lines_the_smaller_binds(client):
    d = client.get(query(ROOM | CA)).json()
    fed, ca = d["room"], d["room"]["california"]
    assert ca["binding_room"] == min(fed["amt_room"], ca["amt_room"])
    assert ca["binding"] == ("california" if ca["amt_room"] < fed["amt_room"] else "federal")
    # whole shares of $60 - $10 = $50 spread inside each line
    assert ca["shares"] == math.floor(ca["amt_room"] / 50)
    assert ca["binding_shares"] == min(fed["shares"], ca["shares"])
    assert ca["inputs"] == {"property_tax": 5000.0, "ca_amt_credit_carryforward": 1000.0}


def test_cost_ca_outlay_is_strike_plus_both_taxes(client):
    c = client.get(query(ROOM | CA)).json()["cost"]
    out = c["california"]["outlay"]
    assert out["strike_cash"] == 1000 * 10
    assert out["federal_tax"] == pytest.approx(c["tax"]["incremental"]["total_tax"])
    assert out["california_tax"] == pytest.approx(c["california"]["tax"]["incremental"]["total_tax"])
    assert out["total"] == pytest.approx(1000 * 10 + out["federal_tax"] + out["california_tax"])


def test_room_ca_curve_and_lines(client):
    d = client.get(query(ROOM | CA)).json()
    curve, ca = d["curve"], d["room"]["california"]
    assert curve["ca_line_x"] == math.floor(ca["amt_room"] / 50) == ca["shares"]  # whole shares, as the room
    assert len(curve["ca_amt"]) == len(curve["x"]) and max(curve["x"]) >= curve["ca_line_x"]
    # no California AMT up to the California line; some past it (Schedule P line 26)
    assert all(a == 0 for x, a in zip(curve["x"], curve["ca_amt"], strict=True) if x * 50 <= ca["amt_room"])
    assert any(a > 0 for x, a in zip(curve["x"], curve["ca_amt"], strict=True) if x * 50 > ca["amt_room"] + 50)
    at_line = {row["key"]: row for row in d["explain"]["ca_at_line"]}
    assert at_line["ca_p_line10"]["form"] == "Schedule P (540)" and at_line["ca_p_line10"]["line"] == "10"
    assert at_line["ca_p_line10"]["value"] == ca["amt_room"] and at_line["ca_amt"]["value"] == 0
    with_ex = {row["key"]: row["value"] for row in d["explain"]["ca_with_exercise"]}
    assert with_ex["ca_p_line10"] == 1000 * 50  # the exercise's spread on Schedule P line 10


def test_room_without_state_is_unchanged(client):
    d = client.get(query(ROOM)).json()
    assert "california" not in d["room"] and "state" not in d["room"] and "california" not in d["cost"]
    assert d["curve"]["ca_amt"] is None and d["curve"]["ca_line_x"] is None
    assert not any(k.startswith("ca_") for k in d["explain"])


def test_room_other_state_is_a_note_never_silent(client, capsys):
    d = client.get(query(ROOM | {"state": "other", "state_other": "ny"})).json()
    expected = cli_json(capsys, "room", *HOUSEHOLD, "--state", "NY", "--fmv", "60", "--strike", "10", "--json")
    assert d["room"] == expected
    assert d["room"]["state"] == "NY" and "NY income tax is not included" in d["room"]["state_note"]


@pytest.mark.parametrize(("params", "field"), [
    ({"state": "XYZ"}, "state"),
    ({"state": "C1"}, "state"),
    ({"state": "other", "state_other": "N"}, "state_other"),
    ({"state": "other"}, "state_other"),
    ({"property_tax": "5000"}, "property_tax"),  # California's input without state CA would be ignored: refused
    ({"state": "NY", "ca_amt_credit_carryforward": "10"}, "ca_amt_credit_carryforward"),
    ({"state": "CA", "property_tax": "-1"}, "property_tax"),
])
def test_room_bad_state_input_names_the_field(client, params, field):
    r = client.get(query(ROOM | params))
    assert r.status == 400
    assert r.json()["error"]["field"] == field and field in r.json()["error"]["message"]


# ---------------------------------------------------------------- plan


def test_plan_ca_is_the_cli_plan(client, capsys):
    d = client.post("/api/plan", {"toml": CA_PLAN.read_text(), "name": str(CA_PLAN)}).json()
    expected = cli_json(capsys, "plan", str(CA_PLAN), "--json")
    expected["plan"] = CA_PLAN.name
    assert d["outcome"] == expected
    rec = d["outcome"]["recommended"]
    assert "california" in rec and all("california" in y for y in rec["years"])
    assert len(d["ca_explain"]) == len(rec["years"])
    for row, lines in zip(rec["years"], d["ca_explain"], strict=True):
        by_key = {line["key"]: line["value"] for line in lines}
        assert by_key["ca_amt"] == pytest.approx(row["california"]["amt"], abs=0.01)
        assert by_key["ca_p_line10"] == pytest.approx(row["iso_spread"], abs=0.01)  # ISO spread, Schedule P line 10


def test_plan_form_state_and_california_keys(client):
    form = client.post("/api/plan", {"toml": CA_PLAN.read_text()}).json()["form"]
    form["plan"]["prior_ca_credit"] = 2_000
    d = client.post("/api/plan", {"plan": form}).json()
    assert 'state = "CA"' in d["toml"] and "prior_ca_credit = 2000" in d["toml"] and "property_tax = 9000" in d["toml"]
    assert d["outcome"]["recommended"]["years"][0]["california"]["credit_available"] == 2_000
    form["person"]["state"] = "California"
    r = client.post("/api/plan", {"plan": form})
    assert r.status == 400 and r.json()["error"]["field"] == "person.state"


def test_plan_without_state_has_no_california(client):
    d = client.post("/api/plan").json()
    assert d["ca_explain"] is None and "california" not in d["outcome"]["recommended"]


# ---------------------------------------------------------------- ledger


def test_ledger_ca_year_is_the_cli_ledger(client, db, capsys):
    body = {"year": "2026", "filing_status": "single", "state": "CA", "wages": "200000",
            "state_local_tax": "20000", "property_tax": "5000", "ca_amt_credit_carryforward": "1000"}
    r = client.post("/api/ledger/income", body)
    assert r.status == 200, r.text
    assert r.json()["state"] == "CA"
    view = client.get("/api/ledger").json()
    expected = cli_json(capsys, "ledger", "--db", db, "years", "--json", "--explain")
    assert view["years"] == expected["years"]
    y = view["years"][0]
    assert y["state"] == "CA" and y["california"]["inputs"]["property_tax"] == 5000
    assert y["california"]["ftb3510"]["carryover_in"] == 1000
    assert any(line["form"] == "Schedule P (540)" for line in y["california"]["lines"])


def test_ledger_state_kept_other_state_noted_and_bad_state_refused(client, db):
    ok = {"year": "2026", "filing_status": "single", "state": "CA", "wages": "200000"}
    assert client.post("/api/ledger/income", ok).status == 200
    # an empty state leaves the year's state as it is (CA)
    assert client.post("/api/ledger/income", ok | {"state": "", "wages": "210000"}).json()["state"] == "CA"
    r = client.post("/api/ledger/income", ok | {"state": "other", "state_other": "TX"}).json()
    assert r["state"] == "TX" and "TX income tax is not included" in r["state_note"]
    before = client.get("/api/ledger").json()
    for bad, field in ((ok | {"state": "other", "state_other": "T1"}, "state_other"),
                       (ok | {"state": "none", "property_tax": "10"}, "property_tax")):
        r = client.post("/api/ledger/income", bad)
        assert r.status == 400 and r.json()["error"]["field"] == field
    assert client.get("/api/ledger").json() == before  # nothing changed
    assert client.post("/api/ledger/income", ok | {"state": "none"}).json()["state"] is None
