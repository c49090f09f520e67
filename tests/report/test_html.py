"""The HTML report: self-contained, every section present, user text escaped, numbers from the engine."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from isoplan.cli import main

from .conftest import PLAN


class Links(HTMLParser):
    """Every URL-bearing attribute and every tag name in the document."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "action", "data", "poster", "srcset", "xlink:href"):
                self.urls.append(value or "")


def test_the_report_is_self_contained(report_html):
    parser = Links()
    parser.feed(report_html)
    assert "script" not in parser.tags and "link" not in parser.tags and "img" not in parser.tags
    assert "iframe" not in parser.tags
    assert parser.urls and all(u.startswith("#") or u.startswith("data:") for u in parser.urls), parser.urls
    assert "@import" not in report_html and "url(" not in report_html
    # the only http text is the SVG namespace name (an identifier, never fetched)
    assert set(re.findall(r"https?://[^\s\"'<>]+", report_html)) == {"http://www.w3.org/2000/svg"}


def test_every_section_is_there(report_html):
    for section in ("situation", "schedule", "comparison", "checklist", "risk", "tax", "assumptions"):
        assert f'<section id="{section}">' in report_html
    assert report_html.count("<svg") == 4
    for chart in ("amt-shares", "schedule", "outcomes", "fan"):
        assert f'data-chart="{chart}"' in report_html
    assert "@media print" in report_html
    assert "This is a planning estimate, not tax advice." in report_html
    assert "Parameters of projected tax years" in report_html
    assert "wait and exercise at the exit" in report_html


def test_user_text_is_escaped(report_html):
    assert "hire <ISO> & co" not in report_html
    assert "hire &lt;ISO&gt; &amp; co" in report_html
    assert "my &lt;plan&gt; &amp; co.toml" in report_html
    assert "Acme &quot;Rockets&quot;" in report_html
    assert "<b>fixture</b>" not in report_html and "&lt;not the engine&gt;" in report_html


def test_the_checklist_is_in_the_report(report_inputs, report_html):
    _, _, _, checklist = report_inputs
    for item in checklist["items"]:
        assert f'id="item-{item["key"]}"' in report_html
    assert "data:text/calendar;charset=utf-8;base64," in report_html


def test_the_tax_detail_shows_form_6251_line_2i_per_year(report_inputs, report_html):
    _, outcome, _, _ = report_inputs
    rows = outcome.year_rows(outcome.recommended)
    tax = report_html[report_html.index('<section id="tax">'):report_html.index('<section id="assumptions">')]
    for row in rows:
        assert f"<h3>{row['year']}" in tax
    # the first year's line 2i is the planned shares x (price - strike): 2026-01-02 at $20, strike $5
    first = rows[0]
    shares = sum(first["shares"].values())
    assert first["iso_spread"] == pytest.approx(shares * (20.0 - 5.0))
    block = tax[tax.index("<h3>2026"):tax.index("<h3>2027")]
    line_2i = re.search(r"<td class=\"\">2i</td><td class=\"\">[^<]*</td><td class=\"num\">([^<]+)</td>", block)
    assert line_2i and line_2i.group(1) == f"${shares * 15:,.0f}"
    assert "Form 8801" in tax


def test_a_report_without_risk_says_how_to_get_it(report_inputs):
    from isoplan.planning.checklist import build_checklist
    from isoplan.report.html import render_report

    plan, outcome, _, _ = report_inputs
    checklist = build_checklist(plan, outcome, None).as_dict()
    html = render_report(plan, outcome, None, checklist)
    assert "No risk results" in html and "isoplan risk" in html
    assert html.count("<svg") == 2  # schedule and AMT-vs-shares


def test_cli_report_writes_the_file(tmp_path, capsys):
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    out = tmp_path / "plan.html"
    code = main(["report", str(plan), "--out", str(out), "--no-risk", "--today", "2025-12-01"])
    stdout, err = capsys.readouterr()
    assert code == 0, err
    assert f"wrote {out}" in stdout
    text = out.read_text()
    assert text.startswith("<!DOCTYPE html>") and "</html>" in text


def test_cli_report_needs_out(tmp_path, capsys):
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN)
    assert main(["report", str(plan)]) == 2
    assert "--out" in capsys.readouterr().err
