"""Every JSON endpoint, in process: the web app returns what the CLI computes, and bad input changes nothing."""

from __future__ import annotations

import json
import tomllib
from importlib import resources

import pytest

from isoplan.cli import main
from isoplan.web.plan_api import to_toml

ROOM_QUERY = "year=2026&filing_status=single&wages=200000&shares=1000&strike=10&fmv=60&cash=30000&drop=0.5"


def cli_json(capsys, *argv: str):
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def demo_toml() -> str:
    return resources.files("isoplan.data").joinpath("demo-plan.toml").read_text(encoding="utf-8")


# ---------------------------------------------------------------- room and cost


def test_room_is_the_cli_room_and_cost(client, capsys):
    r = client.get("/api/room?" + ROOM_QUERY)
    assert r.status == 200
    d = r.json()
    household = ["--year", "2026", "--status", "single", "--wages", "200000"]
    assert d["room"] == cli_json(capsys, "room", *household, "--fmv", "60", "--strike", "10", "--json")
    assert d["cost"] == cli_json(capsys, "cost", *household, "--shares", "1000", "--strike", "10", "--fmv", "60",
                                 "--cash", "30000", "--drop", "0.5", "--json")


def test_room_figures_by_hand(client):
    d = client.get("/api/room?" + ROOM_QUERY).json()
    ex = d["cost"]["exercise"]
    assert ex["bargain_element"] == 1000 * (60 - 10)  # 50,000 of spread on Form 6251 line 2i
    assert ex["strike_cash"] == 1000 * 10
    inc = d["cost"]["tax"]["incremental"]
    assert d["cost"]["outlay"]["total"] == pytest.approx(1000 * 10 + inc["total_tax"])
    # the spread changes only the AMT side: no regular tax is caused (IRC §56(b)(3))
    assert inc["regular_tax"] == 0
    # the room in shares: whole shares of $50 spread that fit in the room
    assert d["room"]["shares"] == int(d["room"]["amt_room"] // 50)


def test_room_curve_marks_the_line(client):
    d = client.get("/api/room?" + ROOM_QUERY).json()
    curve, room = d["curve"], d["room"]
    assert curve["x_label"] == "shares exercised"
    assert curve["line_x"] == room["shares"] and curve["current_x"] == 1000
    assert curve["x"][0] == 0 and curve["amt"][0] == room["amt"]
    before = [a for x, a in zip(curve["x"], curve["amt"], strict=True) if x <= curve["line_x"]]
    after = [a for x, a in zip(curve["x"], curve["amt"], strict=True) if x > curve["line_x"]]
    assert all(a == 0 for a in before) and after and all(a > 0 for a in after)
    assert curve["amt"] == sorted(curve["amt"])  # more spread never lowers the AMT (standard deduction here)


def test_room_explanations_are_form_lines(client):
    d = client.get("/api/room?" + ROOM_QUERY).json()
    lines = {row["key"]: row for row in d["explain"]["with_exercise"]}
    assert lines["amt_line2i"]["form"] == "Form 6251" and lines["amt_line2i"]["line"] == "2i"
    assert lines["amt_line2i"]["value"] == 50_000
    at_line = {row["key"]: row["value"] for row in d["explain"]["at_line"]}
    assert at_line["amt_line2i"] == d["room"]["amt_room"] and at_line["amt"] == 0
    assert {row["key"]: row["value"] for row in d["explain"]["now"]}["amt_line2i"] == 0


def test_room_without_an_exercise_has_no_cost(client):
    d = client.get("/api/room?year=2026&filing_status=mfj&wages=300000").json()
    assert d["cost"] is None and d["curve"]["x_label"].startswith("ISO spread")
    assert d["curve"]["line_x"] == d["room"]["amt_room"]


@pytest.mark.parametrize(("query", "field"), [
    ("wages=abc", "wages"), ("wages=-5", "wages"), ("year=1999", "year"), ("filing_status=married", "filing_status"),
    ("shares=1.5&strike=1&fmv=2", "shares"), ("strike=10", "fmv"), ("margin=1", "margin"), ("drop=0", "drop"),
    ("long_term_gain=x", "long_term_gain"), ("deduction=both", "deduction"),
])
def test_room_bad_input_names_the_field(client, query, field):
    r = client.get("/api/room?year=2026&" + query if not query.startswith("year") else "/api/room?" + query)
    assert r.status == 400
    err = r.json()["error"]
    assert err["field"] == field and "not allowed" in err["message"]


def test_room_accepts_dollar_formatting(client):
    a = client.get("/api/room?year=2026&wages=%24200%2C000").json()["room"]["amt_room"]
    b = client.get("/api/room?year=2026&wages=200000").json()["room"]["amt_room"]
    assert a == b


# ---------------------------------------------------------------- plan


def test_plan_is_the_cli_plan(client, tmp_path, capsys):
    path = tmp_path / "plan.toml"
    path.write_text(demo_toml())
    d = client.post("/api/plan", {"toml": demo_toml(), "name": str(path)}).json()
    expected = cli_json(capsys, "plan", str(path), "--json")
    expected["plan"] = path.name
    assert d["outcome"] == expected
    assert d["toml"] == demo_toml()


def test_plan_default_is_the_bundled_example(client):
    d = client.post("/api/plan").json()
    assert d["outcome"]["blocks"][0]["shares"] == 30_000 and d["form"]["plan"]["exit_date"] == "2030-06-30"


def test_plan_year_lines_agree_with_the_table(client):
    d = client.post("/api/plan").json()
    years = d["outcome"]["recommended"]["years"]
    assert len(d["explain"]) == len(years)
    for row, lines in zip(years, d["explain"], strict=True):
        by_key = {line["key"]: line["value"] for line in lines}
        assert by_key["amt"] == pytest.approx(row["amt"], abs=0.01)
        assert by_key["regular_tax"] == pytest.approx(row["regular_tax"], abs=0.01)
        assert by_key["amt_line2i"] == pytest.approx(row["iso_spread"], abs=0.01)


def test_plan_from_the_form_round_trips_through_toml(client):
    form = client.post("/api/plan").json()["form"]
    form["income"]["wages"] = 250_000
    d = client.post("/api/plan", {"plan": form}).json()
    assert tomllib.loads(d["toml"])["income"]["wages"] == 250_000
    assert d["form"] == form


def test_to_toml_writes_every_shape_plan_files_use():
    data = {"person": {"filing_status": "mfj", "departure_date": "2028-03-31"},
            "income": {"wages": 1.5, "years": {"2028": {"wages": 0}}},
            "cash": {"years": {"2027": 5}},
            "stock": {"price": 4, "prices": [{"date": "2028-06-01", "price": 9.0}]},
            "grants": [{"id": 'a "quoted" id', "grant_date": "2021-01-15", "shares": 10, "strike": 1,
                        "vesting": [{"date": "2022-01-15", "shares": 10}], "early_exercise": True}],
            "plan": {"exit_date": "2030-06-30", "zero_amt": False}}
    back = tomllib.loads(to_toml(data))
    assert back["grants"][0]["id"] == 'a "quoted" id'
    assert back["income"]["years"]["2028"]["wages"] == 0
    assert str(back["stock"]["prices"][0]["date"]) == "2028-06-01"
    assert str(back["person"]["departure_date"]) == "2028-03-31"
    assert back["grants"][0]["vesting"][0]["shares"] == 10 and back["grants"][0]["early_exercise"] is True


@pytest.mark.parametrize(("change", "field"), [
    (lambda f: f["grants"][0].__setitem__("shares", 0), "grants[0].shares"),
    (lambda f: f["stock"].__setitem__("price", "six"), "stock.price"),
    (lambda f: f["person"].__setitem__("filing_status", "joint"), "person.filing_status"),
    (lambda f: f["cash"].__setitem__("reserve", 10**9), "cash.reserve"),
])
def test_plan_bad_form_input_names_the_field(client, change, field):
    form = client.post("/api/plan").json()["form"]
    change(form)
    r = client.post("/api/plan", {"plan": form})
    assert r.status == 400 and r.json()["error"]["field"] == field


def test_plan_bad_toml_is_one_message(client):
    r = client.post("/api/plan", {"toml": "[person\nfiling_status = 1"})
    assert r.status == 400 and r.json()["error"]["field"] == "toml"


def test_plan_check_and_export(client):
    d = client.post("/api/plan/check", {"toml": demo_toml()}).json()
    assert d["summary"] == {"filing_status": "single", "grants": [{"id": "2021-ISO", "kind": "ISO", "shares": 30000,
                                                                   "strike": 1.0}],
                            "years": [2027, 2030], "exit_date": "2030-06-30", "stock": "public"}
    exported = client.post("/api/plan/toml", {"plan": d["form"]}).json()["toml"]
    assert tomllib.loads(exported) == tomllib.loads(demo_toml())
    assert client.get("/api/plan/demo").json()["toml"] == demo_toml()


# ---------------------------------------------------------------- risk and checklist


def test_risk_passes_the_contract_through(client, fake_risk):
    r = client.post("/api/risk", {"toml": demo_toml(), "paths": "500", "seed": "3"})
    assert r.status == 200
    d = r.json()
    assert d["paths"] == 500 and d["seed"] == 3 and d["hold_vs_sell"]["strategies"][0]["name"] == "sell now"
    assert fake_risk[0]["outcome"] is not None and fake_risk[0]["plan"].start_year == 2027


def test_risk_bad_paths(client, fake_risk):
    r = client.post("/api/risk", {"paths": "ten"})
    assert r.status == 400 and r.json()["error"]["field"] == "paths"
    assert not fake_risk


def test_checklist_with_and_without_risk(client, fake_checklist, fake_risk):
    d = client.post("/api/checklist", {"year": "2028"}).json()
    assert d["year"] == 2028 and d["overall"] == "warning" and len(d["items"]) == 2
    # the same default number of paths as `isoplan checklist`
    assert fake_checklist[0]["risk"]["paths"] == 20_000 and fake_checklist[0]["ledger_lots"] is None


def test_report_html(client, fake_checklist, fake_risk):
    d = client.post("/api/report", {}).json()
    assert d["html"].startswith("<!doctype html>") and "overall warning" in d["html"]


# ---------------------------------------------------------------- ledger


GRANT = {"id": "2024-hire", "company": "Acme", "kind": "iso", "date": "2024-01-15", "shares": "1000",
         "strike": "10", "vested": True}
EXERCISE = {"id": "ex1", "grant": "2024-hire", "date": "2025-03-03", "shares": "100", "fmv": "30"}


def test_ledger_empty_does_not_create_the_file(client, db):
    from pathlib import Path

    d = client.get("/api/ledger").json()
    assert d == {"path": db, "exists": False, "grants": [], "lots": [], "sales": [], "years": [], "notes": []}
    assert not Path(db).exists()


def test_ledger_grant_exercise_sale_income(client):
    assert client.post("/api/ledger/grant", GRANT).status == 200
    r = client.post("/api/ledger/exercise", EXERCISE)
    assert r.status == 200, r.text
    lot = r.json()["lots"][0]
    assert float(lot["regular_basis"]) == 100 * 10
    assert float(lot["amt_basis"]) == 100 * 30
    assert float(lot["amt_adjustment"]) == 100 * (30 - 10) and lot["amt_adjustment_year"] == 2025
    # §422(a)(1): more than 2 years after 2024-01-15 (from 2026-01-16) and more than 1 year after 2025-03-03
    assert lot["qualifying_date"] == "2026-03-04"
    assert client.post("/api/ledger/income", {"year": "2025", "filing_status": "single", "wages": "150000"}).status \
        == 200
    r = client.post("/api/ledger/sale", {"id": "s1", "date": "2026-06-01", "shares": "40", "price": "50"})
    assert r.status == 200, r.text
    view = client.get("/api/ledger").json()
    assert [g["id"] for g in view["grants"]] == ["2024-hire"] and view["grants"][0]["exercised"] == 100
    assert view["lots"][0]["held"] == 100 - 40
    assert view["sales"][0]["tax"]["qualifying"] is True
    y2025 = next(y for y in view["years"] if y["year"] == 2025)
    lines = {row["key"]: row["value"] for row in y2025["lines"]}
    assert lines["amt_line2i"] == 100 * (30 - 10)  # the exercise's spread, Form 6251 line 2i of 2025
    assert y2025["outputs"]["amt"] == lines["amt"] and "amt_credit_used" in lines


@pytest.mark.parametrize(("body", "field"), [
    (EXERCISE | {"shares": "abc"}, "shares"),
    (EXERCISE | {"date": "2025-13-01"}, "date"),
    (EXERCISE | {"fmv": "-1"}, "fmv"),
    (EXERCISE | {"grant": "nope"}, "grant"),
    (EXERCISE | {"id": ""}, "id"),
])
def test_ledger_bad_exercise_changes_nothing(client, body, field):
    client.post("/api/ledger/grant", GRANT)
    r = client.post("/api/ledger/exercise", body)
    assert r.status == 400 and r.json()["error"]["field"] == field
    assert client.get("/api/ledger").json()["lots"] == []


def test_ledger_bad_sale_changes_nothing(client):
    client.post("/api/ledger/grant", GRANT)
    client.post("/api/ledger/exercise", EXERCISE)
    r = client.post("/api/ledger/sale", {"id": "s1", "date": "2026-06-01", "shares": "5000", "price": "50"})
    assert r.status == 400
    assert client.get("/api/ledger").json()["sales"] == []


def test_ledger_calendar_and_export_import(client, app, tmp_path):
    from isoplan.web import create_app

    from .conftest import Client

    client.post("/api/ledger/grant", GRANT)
    client.post("/api/ledger/exercise", EXERCISE)
    ics = client.get("/ledger/calendar.ics")
    assert ics.status == 200 and ics.headers["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in ics.text and "DTSTART;VALUE=DATE:20260304" in ics.text
    exported = client.get("/ledger/export.json")
    assert "attachment" in exported.headers["Content-Disposition"]
    other = Client(create_app(db=str(tmp_path / "other.db")))
    r = other.post("/api/ledger/import", {"data": exported.json(), "name": "export.json"})
    assert r.status == 200, r.text
    assert [lot["id"] for lot in other.get("/api/ledger").json()["lots"]] == ["ex1"]
    again = other.post("/api/ledger/import", {"data": exported.json()})
    assert again.status == 400  # ids already there: all or nothing
    assert other.post("/api/ledger/import", {"data": {"format": "x"}}).json()["error"]["field"] == "file"


def test_ledger_download_without_a_ledger_is_400(client):
    assert client.get("/ledger/calendar.ics").status == 400
