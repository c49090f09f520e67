"""Every total equals the sum of its rows: in the text of ``isoplan cost``, ``tax``, ``plan`` and ``ledger years``
and in their JSON (Form 1040 line 16 + Form 6251 line 11 - Form 8801 line 25 + Form 8960 + Form 8959)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from isoplan.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DOLLARS = re.compile(r"-?\$[\d,]+(?:\.\d+)?")


def run(capsys, *argv: str) -> str:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def dollars(cell_text: str) -> list[float]:
    """The dollar figures of a line, in order."""
    return [float(m.replace("$", "").replace(",", "")) for m in DOLLARS.findall(cell_text)]


def row(text: str, label: str) -> list[float]:
    """The dollar figures of the first line that starts with ``label``."""
    line = next(line for line in text.splitlines() if line.startswith(label))
    return dollars(line[len(label):])


FEDERAL_ONE_YEAR = ["--year", "2026", "--status", "single", "--wages", "260000"]
COST = ["cost", *FEDERAL_ONE_YEAR, "--shares", "2000", "--strike", "10", "--fmv", "110", "--taxable-interest", "30000",
        "--credit-carryforward", "4000"]


def federal_sum(part: dict[str, float]) -> float:
    return (part["regular_tax"] + part["amt"] - part["credit_used"] + part["niit"]
            + part["additional_medicare_tax"])


@pytest.mark.parametrize("state", [None, "CA"])
def test_cost_totals_equal_their_rows(capsys, state):
    extra = ["--state", state] if state else []
    data = json.loads(run(capsys, *COST, *extra, "--json"))
    for column in ("without_exercise", "with_exercise", "incremental"):
        part = data["tax"][column]
        assert federal_sum(part) == pytest.approx(part["total_tax"], abs=0.01), column
    assert data["tax"]["incremental"]["additional_medicare_tax"] > 0 or data["tax"]["with_exercise"]["niit"] > 0
    text = run(capsys, *COST, *extra)
    labels = ["Regular tax (Form 1040 line 16)", "AMT (Form 6251 line 11)", "Less minimum tax credit used",
              "NIIT (Form 8960)", "Additional Medicare Tax (Form 8959)"]
    rows = [row(text, label) for label in labels]
    total = row(text, "Total federal tax modeled")
    for j in range(3):  # without, with exercise, caused: each within $1 a row of rounding
        assert sum(r[j] for r in rows) == pytest.approx(total[j], abs=len(rows)), (j, rows, total)
    if state:
        ca = data["california"]
        for column in ("without_exercise", "with_exercise", "incremental"):
            part = ca["tax"][column]
            assert (part["regular_tax"] - part["exemption_credits"] + part["amt"] - part["credit_used"]
                    + part["mental_health_tax"]) == pytest.approx(part["total_tax"], abs=0.01), column
        ca_labels = ["Regular tax (Form 540 line 31)", "Less exemption credits", "California AMT (Schedule P",
                     "Less AMT credit used (FTB 3510)", "Mental Health Services Tax"]
        ca_rows = [row(text, label) for label in ca_labels]
        ca_total = row(text, "Total California tax modeled")
        for j in range(3):
            assert sum(r[j] for r in ca_rows) == pytest.approx(ca_total[j], abs=len(ca_rows))
        out = ca["outlay"]
        assert out["strike_cash"] + out["federal_tax"] + out["california_tax"] == pytest.approx(out["total"])
        # the answer states the outlay with every jurisdiction: the combined total
        assert text.splitlines()[0] == data["answer"]
        assert f"${out['total']:,.0f}" in data["answer"]
    else:
        assert data["exercise"]["strike_cash"] + data["tax"]["incremental"]["total_tax"] == pytest.approx(
            data["outlay"]["total"])
        assert f"${data['outlay']['total']:,.0f}" in data["answer"]


def test_tax_total_equals_its_rows(capsys):
    argv = ["tax", *FEDERAL_ONE_YEAR, "--iso-spread", "100000", "--taxable-interest", "30000",
            "--credit-carryforward", "3000"]
    data = json.loads(run(capsys, *argv, "--json"))
    out = data["outputs"]
    assert (out["regular_tax"] + out["amt"] - out["amt_credit_used"] + out["niit"] + out["additional_medicare_tax"]
            == pytest.approx(out["total_tax"], abs=0.01))
    text = run(capsys, *argv)
    parts = [row(text, label)[0] for label in ("Regular tax (line 16)", "AMT (line 11)",
                                               "Net investment income tax (8960)", "Additional Medicare Tax (8959)")]
    used = row(text, "Minimum tax credit used (8801 line 25)")[0]
    assert sum(parts) - used == pytest.approx(row(text, "Total federal tax modeled")[0], abs=5)
    assert text.splitlines()[0] == data["answer"]


@pytest.mark.parametrize("example", ["staging-three-years.toml", "three-grants-ten-years.toml",
                                     "staging-california.toml"])
def test_plan_years_equal_their_totals(capsys, example):
    argv = ["plan", str(EXAMPLES / example), "--today", "2026-12-01"]
    data = json.loads(run(capsys, *argv, "--json"))
    for strategy in [data["recommended"], *data["baselines"]]:
        years = strategy["years"]
        assert sum(y["amt"] for y in years) == pytest.approx(strategy["total_amt"], abs=0.01)
        assert sum(y["extra_tax"] for y in years) == pytest.approx(strategy["total_extra_tax"], abs=0.01)
        credit = years[0]["credit_available"]
        for y in years:  # Form 8801: the credit carried = carried in - used + made (line 18, may be below 0)
            assert y["credit_available"] == pytest.approx(credit, abs=0.01)
            assert y["credit_used"] >= 0
            credit = max(credit - y["credit_used"] + y["credit_created"], 0.0)
        assert credit == pytest.approx(strategy["credit_left_after_exit"], abs=0.01)
    text = run(capsys, *argv)
    lines = text.splitlines()
    assert lines[0] == data["answer"]
    start = lines.index(next(line for line in lines if line.startswith("year ")))
    header = lines[start]
    table = [line for line in lines[start + 2:start + 2 + len(data["recommended"]["years"])]]
    amt_total = 0.0
    for line, year in zip(table, data["recommended"]["years"], strict=True):
        figures = dollars(line)
        # price, spread, AMT, regular tax, strike cash, credit used, credit made [, credit reduced]
        assert all(f >= 0 for f in figures[4:]), line  # strike cash and credits are never negative
        if line.split()[1] == "-":  # no exercise: no strike cash
            assert figures[4] == 0, line
        if figures[4] > 0:
            assert line.split()[1] != "-", line
        made = figures[6]
        reduced = figures[7] if "credit reduced" in header else 0.0
        assert made - reduced == pytest.approx(year["credit_created"], abs=1), line
        amt_total += figures[2]
    compare = next(line for line in lines if line.startswith(data["recommended"]["name"] + " "))
    assert amt_total == pytest.approx(dollars(compare)[1], abs=len(table))


def test_ledger_years_totals_equal_their_rows(capsys, tmp_path):
    db = str(tmp_path / "l.db")
    steps = [["init"], ["add-grant", "hire", "--company", "Acme", "--kind", "iso", "--date", "2023-01-10",
                        "--shares", "40000", "--strike", "2"],
             ["exercise", "e1", "--grant", "hire", "--date", "2025-03-01", "--shares", "20000", "--fmv", "22"],
             ["income", "2025", "--status", "single", "--wages", "200000"],
             ["income", "2026", "--status", "single", "--wages", "300000"],
             ["sell", "s1", "--lot", "e1", "--date", "2026-06-01", "--shares", "5000", "--price", "30"]]
    for step in steps:
        run(capsys, "ledger", "--db", db, *step)
    data = json.loads(run(capsys, "ledger", "--db", db, "years", "--json"))
    carried = 0.0
    for y in data["years"]:
        out = y["outputs"]
        assert (out["regular_tax"] + out["amt"] - out["amt_credit_used"] + out["niit"]
                + out["additional_medicare_tax"]) == pytest.approx(out["total_tax"], abs=0.01)
        assert y["credit_used"] == pytest.approx(out["amt_credit_used"], abs=0.01)
        carried_now = max(carried - y["credit_used"], 0.0)
        assert y["credit_carried_forward"] == pytest.approx(carried_now, abs=0.01)
        carried = carried_now + y["credit_created"]
    text = run(capsys, "ledger", "--db", db, "years")
    for y in data["years"]:
        line = next(line for line in text.splitlines() if line.startswith(str(y["year"])))
        regular, _tmt, amt, _created, used, _carried, total = dollars(line)
        others = y["outputs"]["niit"] + y["outputs"]["additional_medicare_tax"]
        assert regular + amt - used + others == pytest.approx(total, abs=5), line
