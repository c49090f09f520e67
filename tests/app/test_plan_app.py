"""The plan, risk, checklist and report use cases called directly (no argparse, no HTTP): one loader for a path,
TOML text or a parsed table; grants from a ledger; every bad value an InputError naming its field."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from isoplan.app.checklist import ChecklistRequest, run_checklist
from isoplan.app.plan import PlanRequest, load_plan, run_plan
from isoplan.app.report import run_report, write_report
from isoplan.app.risk import DEFAULT_RISK_PATHS, RiskRequest, run_risk
from isoplan.equity.records import Grant, vesting_schedule
from isoplan.errors import InputError
from isoplan.ledger.store import Ledger
from isoplan.planning.plan import RiskSettings, parse_plan
from isoplan.tax.law import supported_years

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "staging-three-years.toml"
TODAY = date(2026, 11, 28)
GRID = 5  # a coarse share grid keeps each run fast; the results still compare like for like


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def without_grants(text: str) -> str:
    """The seed plan with its [[grants]] table cut out."""
    start = text.index("[[grants]]")
    return text[:start] + text[text.index("[plan]"):]


def ledger_with_grant(path: Path) -> Path:
    """A ledger holding the seed plan's grant: 30,000 ISOs at $1, granted 2021-01-15, 4-year vesting, 1-year cliff."""
    grant = Grant("2021-ISO", "employer", "ISO", date(2021, 1, 15), 30_000, Decimal("1"), Decimal("1"),
                  vesting_schedule(30_000, date(2021, 1, 15), months=48, cliff_months=12), date(2031, 1, 15))
    with Ledger.open(path, create=True) as book:
        book.add_grant(grant)
    return path


# ---------------------------------------------------------------- one loader


def test_plan_from_text_and_from_path_is_the_same_record():
    from_path = run_plan(PlanRequest(SEED, grid=GRID, today=TODAY))
    from_text = run_plan(PlanRequest(seed_text(), name=str(SEED), grid=GRID, today=TODAY))
    from_table = run_plan(PlanRequest(tomllib.loads(seed_text()), name=str(SEED), grid=GRID, today=TODAY))
    assert from_path.plan == from_text.plan == from_table.plan
    assert from_path.as_dict() == from_text.as_dict() == from_table.as_dict()
    assert from_path.as_dict()["plan"] == str(SEED)
    assert "explain" not in from_path.as_dict()


def test_explain_adds_every_year_of_the_schedule():
    result = run_plan(PlanRequest(SEED, grid=GRID, today=TODAY, explain=True))
    data = result.as_dict()
    years = [row["year"] for row in data["recommended"]["years"]]
    assert [y["year"] for y in data["explain"]] == years
    for row, year in zip(data["recommended"]["years"], data["explain"], strict=True):
        assert year["outputs"]["amt"] == pytest.approx(row["amt"], abs=0.01)


def test_grants_from_a_ledger_need_no_grants_table(tmp_path):
    db = ledger_with_grant(tmp_path / "ledger.db")
    path = tmp_path / "no-grants.toml"
    path.write_text(without_grants(seed_text()), encoding="utf-8")
    assert "[[grants]]" not in path.read_text(encoding="utf-8")
    from_ledger = run_plan(PlanRequest(path, ledger=str(db), grid=GRID, today=TODAY))
    from_file = run_plan(PlanRequest(SEED, grid=GRID, today=TODAY))
    assert [g.id for g in from_ledger.plan.grants] == ["2021-ISO"]
    assert from_ledger.as_dict()["recommended"] == from_file.as_dict()["recommended"]
    # the ledger was closed: the file can be removed at once (and no placeholder grant was planned)
    db.unlink()
    assert all(b["block"] != "placeholder" for b in from_ledger.as_dict()["blocks"])


def test_without_a_ledger_the_grants_table_is_required(tmp_path):
    with pytest.raises(InputError) as info:
        load_plan(without_grants(seed_text()), name="plan.toml", today=TODAY)
    assert info.value.field == "grants" and info.value.source == "plan.toml"


def test_parse_plan_takes_grants_separately():
    data = tomllib.loads(without_grants(seed_text()))
    grants = load_plan(SEED, today=TODAY).grants
    plan = parse_plan(data, "p.toml", today=TODAY, grants=grants)
    assert plan.grants == grants


# ---------------------------------------------------------------- bad values name the field


@pytest.mark.parametrize(("options", "field"), [
    ({"grid": 0}, "grid"),
    ({"grid": 401}, "grid"),
    ({"grid": 2.5}, "grid"),
    ({"inflation": 0.9}, "inflation"),
    ({"inflation": "fast"}, "inflation"),
    ({"today": "yesterday"}, "today"),
])
def test_bad_plan_options_name_the_field(options, field):
    with pytest.raises(InputError) as info:
        load_plan(SEED, **options)
    assert info.value.field == field
    with pytest.raises(InputError) as info:
        load_plan(SEED, flag_prefix="--", **options)
    assert info.value.field == "--" + field  # the command line names its flag


def test_bad_toml_and_missing_file_name_the_source(tmp_path):
    with pytest.raises(InputError) as info:
        load_plan("[person\nfiling_status = 1\n", name="mine.toml")
    assert info.value.field == "toml" and info.value.source == "mine.toml"
    with pytest.raises(InputError) as info:
        load_plan(tmp_path / "nope.toml")
    assert info.value.field == "plan file"


def test_missing_or_empty_ledger_names_the_ledger(tmp_path):
    with pytest.raises(InputError) as info:
        load_plan(SEED, ledger=str(tmp_path / "none.db"), today=TODAY)
    assert info.value.field == "ledger"
    empty = tmp_path / "empty.db"
    Ledger.open(empty, create=True).close()
    with pytest.raises(InputError) as info:
        load_plan(SEED, ledger=str(empty), today=TODAY, flag_prefix="--")
    assert info.value.field == "--ledger" and "at least one grant" in info.value.message


def test_year_bounds_come_from_the_law_data():
    last = supported_years().stop - 1
    data = tomllib.loads(seed_text())
    data["plan"]["exit_date"] = date(last + 1, 6, 30)
    with pytest.raises(InputError) as info:
        load_plan(data, name="late.toml", today=TODAY)
    assert info.value.field == "plan.exit_date" and f"no later than {last}" in info.value.allowed
    data = tomllib.loads(seed_text())
    data["plan"]["start_year"] = supported_years().start - 1
    with pytest.raises(InputError) as info:
        load_plan(data, today=TODAY)
    assert info.value.field == "plan.start_year"


@pytest.mark.parametrize(("options", "field"), [
    ({"paths": 0}, "paths"),
    ({"paths": "many"}, "paths"),
    ({"seed": -1}, "seed"),
    ({"sections": "timing,luck"}, "sections"),
    ({"sections": ["peak", "weather"]}, "sections"),
    ({"drop": 1.5}, "drop"),
    ({"drop": 0}, "drop"),
])
def test_bad_risk_settings_name_the_field(options, field):
    with pytest.raises(InputError) as info:
        run_risk(RiskRequest(SEED, today=TODAY, **options))
    assert info.value.field == field


@pytest.mark.parametrize(("options", "field"), [
    ({"year": 2031}, "year"),
    ({"year": "soon"}, "year"),
    ({"paths": 0}, "paths"),
    ({"seed": 1.5}, "seed"),
])
def test_bad_checklist_settings_name_the_field(options, field):
    with pytest.raises(InputError) as info:
        run_checklist(ChecklistRequest(SEED, today=TODAY, risk=False, **options))
    assert info.value.field == field


# ---------------------------------------------------------------- risk, checklist, report


def test_one_default_number_of_risk_paths():
    # the checklist, the report, the web app and a plan without a [risk] table all simulate this many paths
    assert RiskSettings().paths == DEFAULT_RISK_PATHS == 20_000


def test_checklist_uses_the_default_paths_and_today(monkeypatch):
    import isoplan.app.checklist as checklist_app

    seen = {}

    def fake_simulate(plan, outcome, law, *, paths, seed, sections=None, progress=None):
        seen.update(paths=paths, seed=seed)

        class Outcome:
            def as_dict(self):
                return {}

        return Outcome()

    monkeypatch.setattr(checklist_app, "simulate", fake_simulate)
    result = run_checklist(ChecklistRequest(SEED, today="2026-11-28", grid=GRID))
    assert seen == {"paths": DEFAULT_RISK_PATHS, "seed": 0}
    data = result.as_dict()
    assert data["plan"] == str(SEED) and data["year"] == result.year and data["overall"] == result.overall


def test_risk_record_is_the_engine_json():
    result = run_risk(RiskRequest(SEED, paths=200, seed=3, sections="peak", today=TODAY))
    data = result.as_dict()
    assert data["paths"] == 200 and data["seed"] == 3 and data["peak"] and data["timing"] is None


def test_report_without_risk_is_written(tmp_path):
    report = run_report(ChecklistRequest(SEED, risk=False, grid=GRID, today=TODAY))
    assert report.html.lower().startswith("<!doctype html>") and not report.risk_included
    out = tmp_path / "plan.html"
    write_report(report, str(out))
    assert out.read_text(encoding="utf-8") == report.html
    with pytest.raises(InputError) as info:
        write_report(report, str(tmp_path / "no-such-dir" / "plan.html"))
    assert info.value.field == "out"
