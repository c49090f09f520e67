"""The report is an advisor's summary: at most six Letter pages printed in Chromium, no sideways scroll on a
phone (390 px), the answer before anything else, the parameters only with ``--appendix``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.report.test_browser import ARGS, CHROMIUM, _browser_or_skip

from isoplan.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _report(tmp_path: Path, example: str, *extra: str) -> Path:
    out = tmp_path / f"{example}.html"
    argv = ["report", str(EXAMPLES / example), "--paths", "500", "--today", "2026-12-01", "--out", str(out), *extra]
    assert main(argv) == 0
    return out


@pytest.mark.parametrize("example", ["staging-three-years.toml", "three-grants-ten-years.toml"])
def test_report_prints_on_at_most_six_letter_pages(tmp_path, example):
    sync_playwright = _browser_or_skip()
    path = _report(tmp_path, example)
    html = path.read_text(encoding="utf-8")
    # the answer comes first, the title is the plan's name, the parameter dumps wait for --appendix
    assert html.index('class="answer"') < html.index('<section id="schedule">')
    assert re.search(r"<title>ISO exercise plan: [A-Z][a-z ]+</title>", html)
    assert "Parameters of projected tax years" not in html and '<section id="form6251">' in html
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(path.as_uri(), wait_until="load")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            page.emulate_media(media="print")
            pdf = page.pdf(format="Letter")
        finally:
            browser.close()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 6, pages


def test_appendix_adds_the_inputs_and_parameters(tmp_path):
    html = _report(tmp_path, "staging-three-years.toml", "--appendix", "--no-risk").read_text(encoding="utf-8")
    for section in ("situation", "tax", "assumptions"):
        assert f'<section id="{section}">' in html
    assert "Parameters of projected tax years" in html
