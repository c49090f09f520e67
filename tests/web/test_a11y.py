"""Accessibility of every web page: axe-core finds no serious or critical violation, and the headings are in order.

Each page is checked with its computed result showing, at a desktop (1280x800) and a phone (390x844) viewport.
axe-core is a test-only dependency from the npm registry (tests/web/package.json, installed by ``npm ci`` in
tests/web); the script is injected into the page, so the context bypasses the app's Content-Security-Policy,
which (rightly) refuses inline script. Skipped (with how to install) when Chromium or axe-core is missing; a
failure when $CI is set, so CI never silently skips.
"""

from __future__ import annotations

import os
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
#: axe-core impact levels that fail the test (the lower ones, "moderate" and "minor", are listed, not failed)
FAILING_IMPACT = ("serious", "critical")

for needed, install in ((Path(CHROMIUM), "apt-get install chromium"), (AXE, "cd tests/web && npm ci")):
    if not needed.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{needed} is missing in CI ({install})", pytrace=False)
        pytest.skip(f"accessibility tests need {needed}: {install}", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the dev extra)")
expect = sync_api.expect
expect.set_options(timeout=60_000)  # a plan recompute on a loaded machine can take longer than 5 s


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def server(db, fake_risk, fake_checklist):
    from isoplan.web import create_app
    from isoplan.web.server import serve_in_thread

    from .conftest import Client

    app = create_app(db=db, port=0)
    srv, thread = serve_in_thread(app, 0)
    ledger = Client(app, host=f"127.0.0.1:{srv.server_port}")
    ledger.post("/api/ledger/grant", {"id": "2024-hire", "company": "Acme", "kind": "iso", "date": "2024-01-15",
                                      "shares": "1000", "strike": "10", "vested": True})
    ledger.post("/api/ledger/exercise", {"id": "march-ex", "grant": "2024-hire", "date": "2025-03-03",
                                         "shares": "100", "fmv": "30"})
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def _room(pg: Any) -> None:
    expect(pg.locator("#fig-outlay")).not_to_have_text("–")


def _plan(pg: Any) -> None:
    pg.wait_for_selector("#plan-years > tbody > tr")
    pg.wait_for_selector("#plan-compare-chart[data-rendered]", state="attached")


def _risk(pg: Any) -> None:
    pg.wait_for_selector("#hvs-table tbody tr")
    pg.wait_for_selector("#fan-chart[data-rendered]", state="attached")


def _checklist(pg: Any) -> None:
    pg.wait_for_selector("#checklist-items li")


def _ledger(pg: Any) -> None:
    pg.wait_for_selector("#ledger-lots tbody tr th")


def _files(pg: Any) -> None:
    expect(pg.locator("#files-plan-text")).not_to_have_value("")


#: page -> (path, wait until its computed result shows)
PAGES = {"room": ("/", _room), "plan": ("/plan", _plan), "risk": ("/risk", _risk),
         "checklist": ("/checklist", _checklist), "ledger": ("/ledger", _ledger), "files": ("/files", _files)}


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [" ".join(map(str, n["target"])) for n in v["nodes"][:5]]
        lines.append(f"{v['impact']}: {v['id']} ({v['help']}) on {len(v['nodes'])} element(s): {targets}")
    return "\n".join(lines)


HEADINGS = """() => Array.from(document.querySelectorAll("h1, h2, h3, h4, h5, h6"))
  .filter((h) => h.getClientRects().length > 0)
  .map((h) => [Number(h.tagName[1]), h.textContent.trim().slice(0, 60)])"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("name", list(PAGES))
def test_page_is_accessible(browser, server, name, viewport):
    path, ready = PAGES[name]
    context = browser.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    try:
        pg.goto(server + path)
        ready(pg)
        pg.wait_for_load_state("networkidle")
        pg.add_script_tag(path=str(AXE))
        result = pg.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
        failing = [v for v in result["violations"] if v["impact"] in FAILING_IMPACT]
        assert failing == [], f"axe-core on {name} at {viewport}:\n{_describe(failing)}"

        headings = pg.evaluate(HEADINGS)
        levels = [level for level, _ in headings]
        assert levels.count(1) == 1 and levels[0] == 1, f"{name}: one h1, first: {headings}"
        skips = [(a, b) for a, b in pairwise(headings) if b[0] > a[0] + 1]
        assert skips == [], f"{name}: a heading skips a level: {skips}"
    finally:
        context.close()
