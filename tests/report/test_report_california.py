"""The report of a California plan: California beside federal in the schedule, the per-year detail and the
assumptions (issue 9); a federal plan's report stays federal only.

Amounts asserted are the plan rows' own California figures set against the California return rerun on
each year's household (compute_california), and hand arithmetic on the inputs (line 10 = shares x (price -
strike), line 24 = 7% x line 23, line 21 = line 15 + line 14 + line 18).
"""

from __future__ import annotations

import itertools
import re
import tomllib
from datetime import UTC, date, datetime
from html import unescape

import pytest

from isoplan.cli import main

GENERATED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

CA_PLAN = """
[person]
state = "CA"
filing_status = "single"
net_worth_outside = 400000

[income]
wages = 300000
growth = 0.03
state_local_tax = 30000
property_tax = 9000

[cash]
per_year = 120000
reserve = 20000

[stock]
kind = "public"
price = 6.00
price_date = 2027-01-02
growth = 0.08

[[grants]]
id = "2021-ISO"
kind = "ISO"
grant_date = 2021-01-15
shares = 30000
strike = 1.00
fmv_at_grant = 1.00
vesting = { start = 2021-01-15, months = 48, cliff_months = 12 }

[plan]
start_year = 2027
exit_date = 2030-06-30
discount_rate = 0.04
"""


@pytest.fixture(scope="module")
def ca_report():
    from isoplan.planning.checklist import build_checklist
    from isoplan.planning.plan import parse_plan
    from isoplan.planning.staging import run_plan
    from isoplan.report.html import render_report

    plan = parse_plan(tomllib.loads(CA_PLAN), "sam.toml", today=date(2026, 12, 1))
    outcome = run_plan(plan)
    checklist = build_checklist(plan, outcome, None).as_dict()
    return outcome, render_report(plan, outcome, None, checklist, generated=GENERATED, appendix=True)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _year_block(html: str, year: int) -> str:
    start = html.index(f"<h3>California {year}")
    return html[start:html.index("</div>", start)]


def _line(block: str, form: str, line: str) -> float:
    """The amount of ``form`` ``line`` in a year's table: money text like $1,234 or -$1,234."""
    cells = re.findall(r"<tr>(.*?)</tr>", block)
    for cell in cells:
        values = [unescape(v) for v in re.findall(r"<td[^>]*>(.*?)</td>", cell)]
        if values[:2] == [form, line]:
            return float(values[3].replace("$", "").replace(",", ""))
    raise AssertionError(f"{form} line {line} not in the table")


def test_california_stands_beside_federal(ca_report):
    _outcome, html = ca_report
    text = _text(html)
    assert "federal and California income tax" in text  # the disclaimer says what is modelled
    for header in ("federal AMT", "California tax", "California AMT", "California credit used",
                   "total California AMT"):
        assert f">{header}<" in html, header
    assert "California AMT credit carried in (FTB 3510)" in text
    assert "Parameters of projected California tax years" in text
    assert "PROJECTED from 2025 California law" in text
    assert "bar-ca-amt" in html  # the schedule chart has the California AMT bars


def test_the_per_year_detail_has_schedule_p_and_ftb_3510(ca_report):
    outcome, html = ca_report
    rows = outcome.year_rows(outcome.recommended)
    for row in rows:
        block = _year_block(html, row["year"])
        assert "(projected California law)" in block  # every plan year is past the published 2025 law
        # line 26 and the FTB 3510 lines are the plan's own California figures, to the dollar
        assert _line(block, "Schedule P (540)", "26") == round(row["california"]["amt"])
        assert _line(block, "FTB 3510", "II") == round(row["california"]["credit_available"])
        # line 10 = the ISO spread = shares x (price - $1 strike)
        shares = sum(row["shares"].values())
        assert _line(block, "Schedule P (540)", "10") == round(shares * (row["price"] - 1.0))
        # the AMT arithmetic of Schedule P: line 21 = 15 + 14 + 18, line 24 = 7% of line 23 (to a dollar of rounding)
        amti = _line(block, "Schedule P (540)", "21")
        assert amti == pytest.approx(_line(block, "Schedule P (540)", "15") + _line(block, "Schedule P (540)", "14")
                                     + _line(block, "Schedule P (540)", "18"), abs=2)
        assert _line(block, "Schedule P (540)", "24") == pytest.approx(0.07 * _line(block, "Schedule P (540)", "23"),
                                                                      abs=1)
    # the credit a year creates is available the next year (FTB 3510 carryforward)
    for before, after in itertools.pairwise(rows):
        expected = before["california"]["credit_available"] - before["california"]["credit_used"] \
            + before["california"]["credit_created"]
        assert after["california"]["credit_available"] == pytest.approx(expected)


def test_a_federal_report_has_no_california(report_html):
    from isoplan.report.html import DISCLAIMER

    assert "Schedule P (540)" not in report_html and "California" not in report_html
    assert _text(report_html).count(DISCLAIMER) == 2


def test_cli_report_for_a_california_plan(tmp_path, capsys):
    path = tmp_path / "sam.toml"
    path.write_text(CA_PLAN, encoding="utf-8")
    out = tmp_path / "sam.html"
    assert main(["report", str(path), "--no-risk", "--out", str(out), "--today", "2026-12-01"]) == 0
    html = out.read_text(encoding="utf-8")
    assert "Schedule P (540)" in html and "<script" not in html


def test_the_california_report_renders_in_chromium(ca_report, tmp_path):
    from tests.report.test_browser import ARGS, CHROMIUM, _browser_or_skip

    sync_playwright = _browser_or_skip()
    _outcome, html = ca_report
    page_file = tmp_path / "ca-report.html"
    page_file.write_text(html, encoding="utf-8")
    url = page_file.as_uri()
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url, wait_until="load")
            bars = page.query_selector_all("svg.chart rect.bar-ca-amt")
            assert bars and any((b.bounding_box() or {}).get("height", 0) > 0 for b in bars)
            assert page.query_selector("text=Parameters of projected California tax years")
        finally:
            browser.close()
    assert errors == [], errors
