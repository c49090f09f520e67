"""The web JSON adds up: every total equals its rows, on the same records the pages show; and the household
the browser keeps is laid over the plan by the server, which still checks every value."""

from __future__ import annotations

import re

import pytest

from .conftest import Client

ROOM = "/api/room?year=2026&filing_status=single&wages=250000&taxable_interest=30000&shares=2000&strike=10&fmv=60"


def federal_sum(part: dict[str, float]) -> float:
    # Form 1040 line 16 + Form 6251 line 11 - Form 8801 line 25 + Form 8960 + Form 8959
    return (part["regular_tax"] + part["amt"] - part["credit_used"] + part["niit"]
            + part["additional_medicare_tax"])


@pytest.mark.parametrize("state", ["", "CA"])
def test_room_page_cost_totals_equal_their_rows(client: Client, state: str) -> None:
    d = client.get(ROOM + f"&state={state}&property_tax=0").json()
    cost = d["cost"]
    for column in ("without_exercise", "with_exercise", "incremental"):
        assert federal_sum(cost["tax"][column]) == pytest.approx(cost["tax"][column]["total_tax"], abs=0.01), column
    # strike cash 2,000 x $10 = $20,000, plus the tax the exercise causes
    assert cost["exercise"]["strike_cash"] == 20_000
    assert cost["outlay"]["total"] == pytest.approx(20_000 + cost["tax"]["incremental"]["total_tax"])
    if state:
        out = cost["california"]["outlay"]
        assert out["strike_cash"] + out["federal_tax"] + out["california_tax"] == pytest.approx(out["total"])
        assert f"${out['total']:,.0f}" in cost["answer"]
    else:
        assert f"${cost['outlay']['total']:,.0f}" in cost["answer"]
    assert d["room"]["answer"].startswith("In 2026 you can exercise")


def test_plan_page_years_equal_their_totals(client: Client) -> None:
    o = client.post("/api/plan", {}).json()["outcome"]
    for strategy in [o["recommended"], *o["baselines"]]:
        years = strategy["years"]
        assert sum(y["amt"] for y in years) == pytest.approx(strategy["total_amt"], abs=0.01)
        assert sum(y["extra_tax"] for y in years) == pytest.approx(strategy["total_extra_tax"], abs=0.01)
        credit = years[0]["credit_available"]
        for y in years:  # Form 8801: carried = carried in - used + made, never below 0
            assert y["credit_used"] >= 0 and y["credit_created"] >= 0 and y["strike_cash"] >= 0
            credit = max(credit - y["credit_used"] + y["credit_created"], 0.0)
        assert credit == pytest.approx(strategy["credit_left_after_exit"], abs=0.01)
    assert f"${o['recommended']['after_tax_value']:,.0f}" in o["answer"]


def test_ledger_totals_and_answer_equal_their_rows(client: Client) -> None:
    assert client.get("/api/ledger/answer").json()["answer"].startswith("The ledger is empty")
    steps = [("grant", {"id": "hire", "company": "Acme", "kind": "iso", "date": "2023-01-10", "shares": "40000",
                        "strike": "2", "vested": True}),
             ("exercise", {"id": "e1", "grant": "hire", "date": "2025-03-01", "shares": "20000", "fmv": "22"}),
             ("exercise", {"id": "e2", "grant": "hire", "date": "2026-02-01", "shares": "1000", "fmv": "25"}),
             ("income", {"year": "2025", "filing_status": "single", "wages": "200000"}),
             ("income", {"year": "2026", "filing_status": "single", "wages": "300000"}),
             ("sale", {"id": "s1", "lot": "e1", "date": "2026-06-01", "shares": "5000", "price": "30"})]
    for kind, body in steps:
        assert client.post(f"/api/ledger/{kind}", body).status == 200, (kind, body)
    d = client.get("/api/ledger").json()
    carried = 0.0
    for y in d["years"]:
        out = {k: float(v) for k, v in y["outputs"].items() if isinstance(v, int | float | str) and k != "itemized"}
        assert (out["regular_tax"] + out["amt"] - out["amt_credit_used"] + out["niit"]
                + out["additional_medicare_tax"]) == pytest.approx(out["total_tax"], abs=0.01)
        now = max(carried - float(y["credit_used"]), 0.0)
        assert float(y["credit_carried_forward"]) == pytest.approx(now, abs=0.01)
        carried = now + float(y["credit_created"])
    summary = client.get("/api/ledger/answer").json()
    # held: 20,000 - 5,000 sold from e1, plus 1,000 of e2
    assert summary["shares_held"] == sum(lot["held"] for lot in d["lots"]) == 16_000
    assert summary["credit_carried_forward"] == pytest.approx(float(d["years"][-1]["credit_carried_forward"]))
    assert "16,000 shares in 2 lots" in summary["answer"]


def test_ledger_exercise_before_any_grant_says_so(client: Client) -> None:
    r = client.post("/api/ledger/exercise", {"id": "x", "date": "2025-01-02", "shares": "1", "fmv": "1"})
    assert r.status == 400
    error = r.json()["error"]
    assert error["field"] == "grant" and "record a grant first" in error["message"]


def test_the_household_is_laid_over_the_plan(client: Client) -> None:
    plain = client.post("/api/plan/check", {}).json()["form"]
    assert plain["income"]["wages"] != 150_000
    d = client.post("/api/plan/check", {"household": {"wages": "150000", "filing_status": "mfj", "state": "CA",
                                                      "state_local_tax": "10000", "property_tax": "4000",
                                                      "year": "2026"}}).json()
    assert d["form"]["income"]["wages"] == 150_000 and d["form"]["income"]["property_tax"] == 4_000
    assert d["form"]["person"] == {**plain["person"], "filing_status": "mfj", "state": "CA"}
    assert d["summary"]["filing_status"] == "mfj"
    # an empty state is federal only; an empty amount leaves the plan's
    d = client.post("/api/plan/check", {"household": {"state": "", "wages": ""}}).json()
    assert "state" not in d["form"]["person"] and d["form"]["income"]["wages"] == plain["income"]["wages"]
    # the plan still checks every value the browser sends
    r = client.post("/api/plan/check", {"household": {"wages": "lots"}})
    assert r.status == 400 and r.json()["error"]["field"] == "income.wages"


def test_web_text_has_no_command_line_flags(client: Client) -> None:
    for path in ("/", "/plan", "/risk", "/checklist", "/ledger", "/files"):
        words = re.sub(r"<[^>]*>", " ", client.get(path).text)  # the text a reader sees, without the markup
        assert not re.search(r"(^|\s)--[a-z]", words), path
        assert "docs/" not in words, path
    assert "docs/" not in client.post("/api/plan/toml", {}).json()["toml"]


def test_the_checklist_dates_download_as_a_calendar(client: Client) -> None:
    d = client.post("/api/checklist/ics", {"paths": 500}).json()
    assert d["ics"].startswith("BEGIN:VCALENDAR") and "BEGIN:VEVENT" in d["ics"]
