"""`isoplan risk` through the real entry point (pinned with the hidden --today flag)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from isoplan.cli import main

ROOT = Path(__file__).resolve().parents[2]
SEED = str(ROOT / "examples" / "staging-three-years.toml")
PRE_IPO = str(ROOT / "examples" / "pre-ipo.toml")
PIN = ["--today", "2026-11-28"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_risk_text(capsys):
    code, out, err = run(capsys, "risk", SEED, *PIN, "--paths", "2000")
    assert code == 0 and "Traceback" not in err
    for heading in ("Risk: 2,000 price paths (seed 0), public stock", "Share value (percentiles",
                    "Timing: January vs December", "Escape hatch value", "Hold vs sell",
                    "The peak and the stress test", "Notes", "not tax advice"):
        assert heading in out


def test_risk_json_follows_the_contract(capsys):
    code, out, _ = run(capsys, "risk", SEED, *PIN, "--paths", "1000", "--seed", "3", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"paths", "seed", "stock_kind", "assumptions", "timing", "hold_vs_sell", "peak", "pre_ipo",
                         "fan", "notes", "answer"}
    assert data["paths"] == 1000 and data["seed"] == 3 and data["stock_kind"] == "public"
    assert {"drift", "volatility"} <= set(data["assumptions"])
    t = data["timing"]
    assert {"year", "shares", "hatch_exists", "threshold_rule", "january", "december", "escape_hatch_value",
            "spread_growth_effect", "summary"} <= set(t)
    for side in ("january", "december"):
        assert {"expected_tax", "prob_amt_on_vanished_gain", "expected_amt_on_vanished_gain"} <= set(t[side])
    assert set(t["spread_growth_effect"]) == {"january_spread", "december_expected_spread", "expected_extra_amt"}
    h = data["hold_vs_sell"]
    assert {"strategies", "risk_aversion", "target_concentration", "cash_test", "histogram", "conclusion"} <= set(h)
    for s in h["strategies"]:
        assert {"name", "mean", "median", "p5", "p95", "prob_worse_than_sell_now", "certainty_equivalent",
                "concentration"} <= set(s)
    assert {"amt", "cash", "covered", "gap"} <= set(h["cash_test"])
    assert set(h["histogram"]["counts"]) == {"sell now", "hold to qualifying", "partial sale"}
    assert len(h["histogram"]["edges"]) == len(h["histogram"]["counts"]["sell now"]) + 1
    assert {"amt_now", "drop", "value_after_drop", "cash", "covered_after_drop", "cash_gap",
            "prob_amt_exceeds_value_at_year_end", "summary"} <= set(data["peak"])
    assert data["pre_ipo"] is None
    assert set(data["fan"]) == {"dates", "percentiles", "stress_level"}
    assert set(data["fan"]["percentiles"]) == {"5", "25", "50", "75", "95"}


def test_sections_select(capsys):
    code, out, _ = run(capsys, "risk", SEED, *PIN, "--paths", "500", "--sections", "peak", "--json")
    data = json.loads(out)
    assert code == 0 and data["peak"] is not None
    assert data["timing"] is None and data["hold_vs_sell"] is None and data["pre_ipo"] is None


def test_seed_reproducible(capsys):
    outs = [run(capsys, "risk", SEED, *PIN, "--paths", "500", "--seed", "11", "--json")[1] for _ in range(2)]
    assert outs[0] == outs[1]


def test_pre_ipo_example_runs_with_plan_and_risk(capsys):
    code, out, _ = run(capsys, "plan", PRE_IPO, *PIN)
    assert code == 0 and "Recommended schedule" in out
    code, out, _err = run(capsys, "risk", PRE_IPO, *PIN, "--paths", "2000", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["stock_kind"] == "private" and data["seed"] == 7  # the plan file's [risk] seed
    assert data["timing"]["hatch_exists"] is False
    pre = data["pre_ipo"]
    # 40,000 shares x $0.80 strike = $32,000 of strike cash at risk, plus the tax of the exercise year
    assert pre["exercise_now"]["strike_cash"] == pytest.approx(32000.0)
    assert pre["cash_at_risk"] > 25000 and pre["exceeds_affordable_loss"] is True
    assert "afford to lose" in pre["summary"]
    code, out, _ = run(capsys, "risk", PRE_IPO, *PIN, "--paths", "1000")
    assert code == 0 and "Pre-IPO" in out and "does not exist" in out


@pytest.mark.parametrize("argv, needle", [
    (["--paths", "0"], "isoplan risk: --paths: 0 is not allowed"),
    (["--paths", "-3"], "--paths"),
    (["--drop", "1.5"], "isoplan risk: --drop: 1.5 is not allowed"),
    (["--drop", "0"], "--drop"),
    (["--sections", "timing,luck"], "--sections: 'luck'"),
    (["--seed", "-1"], "--seed"),
])
def test_bad_input_one_line_exit_2(capsys, argv, needle):
    code, out, err = run(capsys, "risk", SEED, *PIN, *argv)
    assert code == 2 and out == ""
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bad_plan_risk_key(capsys, tmp_path):
    text = (ROOT / "examples" / "staging-three-years.toml").read_text() + "\n[risk]\ndrop = 1.2\n"
    path = tmp_path / "p.toml"
    path.write_text(text)
    code, _out, err = run(capsys, "risk", str(path), *PIN)
    assert code == 2 and "risk.drop: 1.2 is not allowed" in err and len(err.strip().splitlines()) == 1
