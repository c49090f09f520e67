"""`isoplan plan` through the real entry point, pinned to 2026-11-28 with the hidden --today flag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from isoplan.cli import main

ROOT = Path(__file__).resolve().parents[2]
SEED = str(ROOT / "examples" / "staging-three-years.toml")
FAST = str(ROOT / "examples" / "staging-fast-rise.toml")
PIN = ["--today", "2026-11-28", "--objective", "tax"]  # the tax objective: the numbers these tests pin


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("path", [SEED, FAST])
def test_plan_text(capsys, path):
    code, out, err = run(capsys, "plan", path, *PIN)
    assert code == 0 and "Traceback" not in err
    assert "Recommended schedule" in out
    assert "Compared on the same assumptions" in out
    for name in ("exercise everything now", "equal thirds over three Januaries", "fill the room each January",
                 "wait and exercise at the exit"):
        assert name in out
    assert "Notes" in out and "PROJECTED" in out
    assert "2021-ISO ISO 30,000 sh @ $1.00" in out
    assert "2030-06-30" in out
    for year in ("2027", "2028", "2029", "2030"):
        assert year in out


def test_plan_json_keys(capsys):
    code, out, _ = run(capsys, "plan", SEED, *PIN, "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"plan", "today", "blocks", "exit", "recommended", "baselines", "optimizer", "catches",
                         "notes", "answer"}
    assert data["plan"] == SEED
    assert data["exit"]["date"] == "2030-06-30"
    assert data["blocks"] == [{"block": "2021-ISO ISO", "grant": "2021-ISO", "kind": "ISO", "shares": 30000,
                               "strike": 1.0}]
    strategy_keys = {"name", "after_tax_value", "feasible", "total_amt", "total_extra_tax", "credit_left_after_exit",
                     "years"}
    assert set(data["recommended"]) == strategy_keys
    assert len(data["baselines"]) == 4
    for b in data["baselines"]:
        assert set(b) == strategy_keys | {"advantage_of_plan"}
        assert b["advantage_of_plan"] == pytest.approx(data["recommended"]["after_tax_value"] - b["after_tax_value"])
    row_keys = {"year", "projected", "exercise_date", "price", "shares", "iso_spread", "nso_income", "regular_tax",
                "tentative_minimum_tax", "amt", "extra_tax", "strike_cash", "sale_proceeds", "credit_available",
                "credit_used", "credit_created", "qualifying_dates", "estimated_tax"}
    years = data["recommended"]["years"]
    assert [y["year"] for y in years] == [2027, 2028, 2029, 2030]
    assert all(set(y) == row_keys for y in years)
    assert sum(sum(y["shares"].values()) for y in years) <= 30000
    assert set(data["optimizer"]) == {"grid_states", "labels_max", "label_cap_reached", "evaluations", "grid_value"}
    assert isinstance(data["catches"], list) and isinstance(data["notes"], list)
    thirds = next(b for b in data["baselines"] if b["name"] == "equal thirds over three Januaries")
    assert [y["shares"].get("2021-ISO ISO", 0) for y in thirds["years"]] == [10000, 10000, 10000, 0]
    assert thirds["years"][0]["exercise_date"] == "2027-01-02"
    assert thirds["years"][0]["qualifying_dates"] == {"2021-ISO ISO": "2028-01-03"}


def test_plan_grid_option(capsys):
    code, out, _ = run(capsys, "plan", SEED, *PIN, "--grid", "5", "--json")
    assert code == 0
    data = json.loads(out)
    # one grant, 5 even steps of 30,000 (0, 6,000, ..., 30,000): 6 grid points
    assert data["optimizer"]["grid_states"] == 6
    for y in data["recommended"]["years"]:
        assert all(v % 6000 == 0 for v in y["shares"].values())


@pytest.mark.parametrize("grid", ["0", "401", "-3"])
def test_plan_bad_grid(capsys, grid):
    code, out, err = run(capsys, "plan", SEED, *PIN, "--grid", grid)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "--grid" in err and "Traceback" not in err


def test_plan_explain_shows_each_years_form_6251(capsys):
    example = Path(__file__).resolve().parents[2] / "examples" / "staging-three-years.toml"
    code = main(["plan", str(example), "--today", "2026-11-28", "--explain", "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    years = [row["year"] for row in data["recommended"]["years"]]
    assert [e["year"] for e in data["explain"]] == years
    for row, explained in zip(data["recommended"]["years"], data["explain"], strict=True):
        lines = {line["key"]: line["value"] for line in explained["lines"]}
        assert lines["amt"] == pytest.approx(row["amt"], abs=0.01)
        assert lines["amt_line2i"] == pytest.approx(row["iso_spread"], abs=0.01)


def test_a_policy_that_sells_says_what_the_year_table_leaves_out(capsys, tmp_path):
    # the seed under the risk objective, with fewer paths: its choice sells down to 20% of net worth once
    # lots qualify, sales the year table and the after-tax value on the assumed path do not show
    text = Path(SEED).read_text(encoding="utf-8").replace("[plan]\n", "[plan]\npaths = 2000\n")
    plan = tmp_path / "seed.toml"
    plan.write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "plan", str(plan), "--today", "2026-11-28")
    data = json.loads(run(capsys, "plan", str(plan), "--today", "2026-11-28", "--json")[1])
    assert code == 0
    policy = [line for line in out.splitlines() if line.startswith("Policy: ")]
    if data["recommended"]["sell_down_to"] is None and not data["recommended"]["escape_hatch"]:
        pytest.skip("the choice on these paths is a plain schedule")
    assert policy == [f"Policy: {data['recommended']['policy']}."]
    assert "without the sales" in policy[0] or "escape hatch" in policy[0]
    # a plain schedule (the tax objective) adds no policy line
    assert not [line for line in run(capsys, "plan", SEED, *PIN)[1].splitlines() if line.startswith("Policy: ")]
