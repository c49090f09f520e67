"""The report in headless Chromium: the charts render, nothing is logged as an error, nothing leaves the file.

Uses Debian's /usr/bin/chromium through Playwright (no browser download). Without it
the test is skipped locally (`apt-get install chromium`) and fails in CI.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
OUTPUT = Path(__file__).resolve().parents[1] / "output"


def _browser_or_skip():
    if not CHROMIUM.exists():
        message = "headless Chromium not found at /usr/bin/chromium: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        message = "the playwright package is missing: .venv/bin/pip install -e '.[dev]'"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return sync_playwright


def test_report_renders_in_chromium_without_errors_or_requests(report_html):
    sync_playwright = _browser_or_skip()
    OUTPUT.mkdir(exist_ok=True)
    page_file = OUTPUT / "report.html"
    page_file.write_text(report_html, encoding="utf-8")
    url = page_file.as_uri()
    outside: list[str] = []
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})

            def route(r):
                if r.request.url == url or r.request.url.startswith("data:"):
                    r.continue_()
                else:
                    outside.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("requestfailed", lambda r: outside.append(r.url) if r.url != url else None)
            page.goto(url, wait_until="load")
            charts = page.query_selector_all("svg.chart")
            assert len(charts) == 4
            for chart in charts:
                box = chart.bounding_box()
                assert box and box["width"] > 100 and box["height"] > 50, (chart.get_attribute("data-chart"), box)
                # the drawing inside is laid out too (a series line or bars with size)
                inner = chart.query_selector("polyline, polygon, rect.bar")
                inner_box = inner.bounding_box() if inner else None
                assert inner_box and inner_box["width"] > 0, chart.get_attribute("data-chart")
            assert page.title().startswith("ISO exercise plan")
            page.screenshot(path=str(OUTPUT / "report.png"), full_page=True)
            page.emulate_media(media="print")
            assert page.evaluate("getComputedStyle(document.querySelector('nav')).display") == "none"
            page.pdf(path=str(OUTPUT / "report.pdf"), format="Letter")
        finally:
            browser.close()
    assert outside == [], outside
    assert errors == [], errors
    assert (OUTPUT / "report.png").stat().st_size > 10_000
    assert (OUTPUT / "report.pdf").stat().st_size > 10_000
