"""The web app in a real browser: Playwright driving Debian's Chromium against a server on a free loopback port.

Skipped (with how to install) when /usr/bin/chromium is missing; a failure when
$CI is set, so CI never silently skips. Screenshots go to tests/output/web/.
"""

from __future__ import annotations

import os
import re
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
OUTPUT = Path(__file__).resolve().parents[1] / "output" / "web"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing in CI (apt-get install chromium)", pytrace=False)
    pytest.skip(f"browser tests need {CHROMIUM}: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the dev extra)")
expect = sync_api.expect
# Assertions wait for the page's state; on a loaded machine a plan or risk recompute can take longer than
# Playwright's default 5 s, so allow up to 60 s (a passing assertion returns as soon as the state holds).
expect.set_options(timeout=60_000)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def server(db):
    from isoplan.web import create_app
    from isoplan.web.server import serve_in_thread

    app = create_app(db=db, port=0)
    srv, thread = serve_in_thread(app, 0)
    yield app, f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()
    thread.join(5)


class Watch:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.outside: list[str] = []


@pytest.fixture
def page(browser, server):
    _, base = server
    own = urlsplit(base).netloc
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(60_000)  # waits end when the state holds; a loaded machine may need more than 30 s
    watch = Watch()

    def route(r):
        if urlsplit(r.request.url).netloc != own and not r.request.url.startswith(("blob:", "data:")):
            watch.outside.append(r.request.url)
            r.abort()
        else:
            r.continue_()

    pg.route("**/*", route)
    pg.on("console", lambda m: watch.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: watch.errors.append(str(e)))
    pg.watch = watch  # type: ignore[attr-defined]
    pg.base = base  # type: ignore[attr-defined]
    yield pg
    assert watch.outside == [], f"requests left 127.0.0.1: {watch.outside}"
    context.close()


def shot(pg, name: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


def rendered(pg, selector: str) -> int:
    return int(pg.get_attribute(selector, "data-rendered") or 0)


def settle(pg) -> None:
    pg.wait_for_load_state("networkidle")


def test_room_updates_as_you_type(page):
    page.goto(page.base + "/")
    expect(page.locator("#fig-outlay")).not_to_have_text("–")
    settle(page)
    before_outlay = page.text_content("#fig-outlay")
    before_chart = rendered(page, "#room-chart")
    assert page.locator("#room-chart .mark").count() == 1 and page.locator("#room-chart .point").count() == 1
    page.fill("#shares", "3000")
    expect(page.locator("#fig-outlay")).not_to_have_text(before_outlay)
    settle(page)
    assert rendered(page, "#room-chart") > before_chart
    page.click("#why-amt >> xpath=.. >> summary")
    assert "Form 6251 2i" in page.text_content("#why-amt")
    shot(page, "room")
    assert page.watch.errors == []


def test_room_bad_input_shows_next_to_the_field_and_changes_nothing(page):
    page.goto(page.base + "/")
    expect(page.locator("#fig-outlay")).not_to_have_text("–")
    settle(page)
    outlay = page.text_content("#fig-outlay")
    page.fill("#wages", "lots")
    error = page.locator('[data-error-for="wages"]')
    error.wait_for(state="visible")
    assert "wages" in error.text_content() and "not allowed" in error.text_content()
    assert page.get_attribute("#wages", "aria-invalid") == "true"
    assert page.text_content("#fig-outlay") == outlay
    page.fill("#wages", "200000")
    error.wait_for(state="hidden")
    assert all("400" in e for e in page.watch.errors)  # only the refused request itself


def test_room_with_state_ca_shows_the_california_line(page):
    page.goto(page.base + "/")
    expect(page.locator("#fig-outlay")).not_to_have_text("–")
    settle(page)
    assert page.locator("#room-ca").is_hidden() and page.locator("#property_tax").is_hidden()
    page.select_option("#state", "CA")
    page.fill("#property_tax", "0")
    expect(page.locator("#room-ca")).to_be_visible()
    settle(page)
    table = page.text_content("#room-ca-table")
    assert "California" in table and "AMT room" in table
    assert "Binding line:" in page.text_content("#room-ca-binding")
    assert page.locator("#room-chart .mark").count() == 2  # the federal and the California line
    shot(page, "room-california")
    assert page.watch.errors == []


def test_plan_page(page):
    page.goto(page.base + "/plan")
    page.wait_for_selector("#plan-years > tbody > tr")
    settle(page)
    assert page.locator("#plan-years > tbody > tr").count() == 4  # 2027-2030
    value = page.text_content("#fig-plan-value")
    chart = rendered(page, "#plan-chart")
    page.fill("#p-wages", "150000")
    page.click("#plan-run")
    expect(page.locator("#fig-plan-value")).not_to_have_text(value)
    settle(page)
    assert rendered(page, "#plan-chart") > chart
    page.click("#plan-years > tbody > tr:first-child summary")
    assert "Form 6251" in page.text_content("#plan-years > tbody > tr:first-child details")
    shot(page, "plan")
    page.fill("#g0-shares", "0")
    page.click("#plan-run")
    page.locator('[data-error-for="grants[0].shares"]').wait_for(state="visible")
    assert all("400" in e for e in page.watch.errors)


def test_risk_page_with_the_contract(page, fake_risk):
    page.goto(page.base + "/risk")
    page.wait_for_selector("#hvs-table tbody tr")
    settle(page)
    assert page.locator("#hvs-table tbody tr").count() == 3
    assert "seed 0" in page.text_content("#hvs-conclusion")
    chart = rendered(page, "#hvs-chart")
    page.fill("#seed", "7")
    page.press("#seed", "Enter")
    expect(page.locator("#hvs-conclusion")).to_contain_text("seed 7")
    settle(page)
    assert rendered(page, "#hvs-chart") > chart and rendered(page, "#fan-chart") >= 1
    shot(page, "risk")
    assert page.watch.errors == []


def test_checklist_page(page, fake_checklist, fake_risk):
    page.goto(page.base + "/checklist")
    page.wait_for_selector("#checklist-items li")
    settle(page)
    assert page.locator("#checklist-items li").count() == 2
    assert page.text_content("#checklist-overall").startswith("2027")
    page.fill("#cl-year", "2028")
    page.press("#cl-year", "Enter")
    expect(page.locator("#checklist-overall")).to_have_text(re.compile("^2028"))
    settle(page)
    shot(page, "checklist")
    assert page.watch.errors == []


def test_ledger_add_an_exercise_and_see_it_after_reload(page, server):
    app, _ = server
    from .conftest import Client

    Client(app, host=f"127.0.0.1:{app.port}").post("/api/ledger/grant", {
        "id": "2024-hire", "company": "Acme", "kind": "iso", "date": "2024-01-15", "shares": "1000", "strike": "10",
        "vested": True})
    page.goto(page.base + "/ledger")
    page.wait_for_selector("#ex-grant option", state="attached")
    page.fill("#ex-id", "march-ex")
    page.fill("#ex-date", "2025-03-03")
    page.fill("#ex-shares", "100")
    page.fill("#ex-fmv", "30")
    page.click("#exercise-form button[type=submit]")
    expect(page.locator("#ledger-status")).to_have_text(re.compile("^Recorded"))
    page.reload()
    page.wait_for_selector("#ledger-lots tbody tr th")
    row = page.text_content("#ledger-lots tbody tr")
    assert "march-ex" in row and "2026-03-04" in row and "$3,000.00" in row  # AMT basis 100 × $30
    with page.expect_download() as info:
        page.click("text=Download the calendar (.ics)")
    assert info.value.suggested_filename == "isoplan.ics"
    shot(page, "ledger")
    assert page.watch.errors == []


def test_files_page(page):
    page.goto(page.base + "/files")
    expect(page.locator("#files-plan-text")).to_have_value(re.compile(r"\[person\]"))
    page.click("#files-plan-check")
    expect(page.locator("#files-plan-status")).to_have_text(re.compile("^Plan OK"))
    shot(page, "files")
    assert page.watch.errors == []


@pytest.mark.parametrize("path", ["/", "/plan", "/ledger", "/files", "/risk", "/checklist"])
def test_phone_width_and_keyboard(browser, server, path, fake_risk, fake_checklist):
    _, base = server
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    pg = context.new_page()
    pg.goto(base + path)
    pg.wait_for_load_state("networkidle")
    overflow = pg.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{path} scrolls sideways at phone width by {overflow}px"
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.className") == "skip"
    pg.keyboard.press("Tab")
    assert pg.evaluate("document.activeElement.tagName") == "A"
    name = "phone-" + (path.strip("/") or "room")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)
    context.close()


# ---------------------------------------------------------------- the answer first, at a desktop's and a phone's size

VIEWPORTS = {"desktop": (1280, 800), "phone": (390, 844)}
PAGES = ["/", "/plan", "/risk", "/checklist", "/ledger", "/files"]


def sized_page(browser, size: str):
    width, height = VIEWPORTS[size]
    phone = size == "phone"
    context = browser.new_context(viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    return context, pg


def answered(pg) -> None:
    """Wait until the page's answer card holds a computed answer."""
    expect(pg.locator("[data-answer]")).to_have_attribute("data-state", "done")
    settle(pg)


def fresh(pg) -> None:
    """Wait until the figures match the inputs (nothing dimmed as stale)."""
    expect(pg.locator("main")).not_to_have_class(re.compile(r"\bstale\b"))
    settle(pg)


def seed_ledger(app) -> None:
    from .conftest import Client

    client = Client(app, host=f"127.0.0.1:{app.port}")
    for kind, body in [
        ("grant", {"id": "2024-hire", "company": "Acme", "kind": "iso", "date": "2024-01-15", "shares": "1000",
                   "strike": "10", "vested": True}),
        ("exercise", {"id": "march-ex", "grant": "2024-hire", "date": "2025-03-03", "shares": "100", "fmv": "30"}),
        ("income", {"year": "2025", "filing_status": "single", "wages": "200000"}),
    ]:
        assert client.post(f"/api/ledger/{kind}", body).status == 200


@pytest.mark.parametrize("size", list(VIEWPORTS))
@pytest.mark.parametrize("path", PAGES)
def test_the_answer_is_in_the_first_screen(browser, server, path, size, fake_risk, fake_checklist):
    app, base = server
    if path == "/ledger":
        seed_ledger(app)
    context, pg = sized_page(browser, size)
    width, height = VIEWPORTS[size]
    pg.goto(base + path)
    answered(pg)
    text = pg.text_content("#answer-text") or ""
    assert len(text) > 20 and not text.endswith("…"), text
    assert pg.locator("#answer-figures > div").count() >= 2
    box = pg.locator("[data-answer]").bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, (path, size, box)
    # the answer card is not one more card: it has its own frame and background
    assert pg.evaluate("getComputedStyle(document.querySelector('[data-answer]')).backgroundColor") not in (
        "rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    assert pg.evaluate("document.scrollingElement.scrollWidth <= innerWidth"), f"{path} scrolls sideways at {width}px"
    words = pg.inner_text("main")  # plain words: no command-line flag, command or documentation path
    assert not re.search(r"(^|\s)--[a-z]", words) and "isoplan " not in words and "docs/" not in words, path
    levels = pg.evaluate("[...document.querySelectorAll('h1, h2, h3, h4, h5, h6')].map((h) => +h.tagName[1])")
    assert levels[0] == 1 and levels.count(1) == 1 and all(b <= a + 1 for a, b in pairwise(levels)), levels
    if size == "phone":  # a sticky result bar: still in view at the bottom of the page
        pg.evaluate("window.scrollTo(0, document.scrollingElement.scrollHeight)")
        top, bottom = pg.evaluate("(() => { const r = document.querySelector('[data-answer]').getBoundingClientRect();"
                                  " return [r.top, r.bottom]; })()")
        assert top >= 0 and bottom <= height, (path, top, bottom)
        assert pg.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(OUTPUT / f"first-{size}-{path.strip('/') or 'room'}.png"))
    context.close()


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_tables_become_cards_on_a_phone_and_dates_do_not_wrap(browser, server, size):
    app, base = server
    seed_ledger(app)
    context, pg = sized_page(browser, size)
    pg.goto(base + "/ledger")
    answered(pg)
    pg.wait_for_selector("#ledger-lots tbody tr th")
    head_shown = pg.locator("#ledger-lots thead").bounding_box()
    assert head_shown is not None and (head_shown["height"] <= 1) == (size == "phone")
    assert pg.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    lines = pg.evaluate("""[...document.querySelectorAll('#ledger-lots td.date')].map((e) => {
        const r = document.createRange(); r.selectNodeContents(e);
        return new Set([...r.getClientRects()].map((b) => b.top)).size; })""")
    assert lines and all(n == 1 for n in lines), lines  # each date on one line, never broken over two
    if size == "phone":
        label = pg.evaluate("getComputedStyle(document.querySelector('#ledger-lots td.date'), '::before').content")
        assert label == '"Exercised"'
    context.close()


def test_household_carries_from_room_to_plan(page):
    page.goto(page.base + "/")
    answered(page)
    page.select_option("#filing_status", "mfj")
    page.fill("#wages", "$250k")
    fresh(page)
    assert page.locator('[data-error-for="wages"]').is_hidden()
    page.goto(page.base + "/plan")
    answered(page)
    expect(page.locator("#p-wages")).to_have_value("250000")
    expect(page.locator("#p-status")).to_have_value("mfj")
    # and back: a change on the plan page is the household of the room page
    page.fill("#p-wages", "180,000")
    page.click("#plan-run")
    fresh(page)
    page.goto(page.base + "/")
    answered(page)
    expect(page.locator("#wages")).to_have_value("180000")
    expect(page.locator("#filing_status")).to_have_value("mfj")
    stored = page.evaluate("Object.keys(localStorage)")
    assert "isoplan.household" in stored
    assert page.watch.errors == []


def test_money_and_percent_as_people_type_them(page):
    page.goto(page.base + "/")
    answered(page)
    answer = page.text_content("#answer-text")
    assert "10% cushion" in answer  # wages 200000, cushion 10 (percent)
    for wages in ("$200k", "200,000", "0.2m"):
        page.fill("#wages", wages)
        fresh(page)
        assert page.locator('[data-error-for="wages"]').is_hidden(), wages
        assert page.text_content("#answer-text") == answer, wages
    page.fill("#margin", "10%")
    fresh(page)
    assert page.text_content("#answer-text") == answer
    page.fill("#margin", "20")
    expect(page.locator("#answer-text")).to_contain_text("20% cushion")
    page.fill("#wages", "1.5m")
    expect(page.locator("#answer-text")).not_to_have_text(answer)
    fresh(page)
    assert page.watch.errors == []


def test_an_error_sits_beside_its_field_and_the_stale_figures_dim(page):
    page.goto(page.base + "/")
    answered(page)
    page.fill("#margin", "150")
    error = page.locator('[data-error-for="margin"]')
    error.wait_for(state="visible")
    message = error.text_content()
    assert "150" in message and "percent" in message and "fraction" not in message, message
    field, note = page.locator("#margin").bounding_box(), error.bounding_box()
    assert 0 <= note["y"] - (field["y"] + field["height"]) <= 24 and abs(note["x"] - field["x"]) <= 4
    assert page.get_attribute("#margin", "aria-invalid") == "true"
    assert re.search(r"\bstale\b", page.get_attribute("main", "class") or "")  # the figures are for 10%, not 150
    assert float(page.evaluate("getComputedStyle(document.querySelector('[data-answer]')).opacity")) < 1
    page.fill("#margin", "10")
    error.wait_for(state="hidden")
    fresh(page)
    assert all("400" in e for e in page.watch.errors)


def test_ledger_forms_in_order_with_the_answer_beside_the_form(browser, server):
    _, base = server
    context, pg = sized_page(browser, "phone")
    pg.goto(base + "/ledger")
    answered(pg)
    assert "record a grant first" in pg.text_content("#answer-text")
    assert pg.evaluate("[...document.querySelectorAll('form[data-endpoint]')].map((f) => f.getAttribute('id'))") == [
        "grant-form", "exercise-form", "sale-form", "income-form"]
    # an exercise before any grant: said plainly, beside the field and the form
    pg.fill("#ex-id", "early")
    pg.fill("#ex-date", "2025-03-03")
    pg.fill("#ex-shares", "100")
    pg.fill("#ex-fmv", "30")
    pg.click("#exercise-form button[type=submit]")
    error = pg.locator('#exercise-form [data-error-for="grant"]')
    expect(error).to_contain_text("record the grant first")
    assert "None" not in error.text_content()
    expect(pg.locator("#exercise-form [data-form-status]")).to_have_text(re.compile("^Nothing recorded"))
    # the grant, typed as people type: "1,000" shares, "$10" strike
    pg.fill("#gr-id", "2024-hire")
    pg.fill("#gr-company", "Acme")
    pg.fill("#gr-date", "2024-01-15")
    pg.fill("#gr-shares", "1,000")
    pg.fill("#gr-strike", "$10")
    pg.check("#gr-vested")
    pg.click("#grant-form button[type=submit]")
    status = pg.locator("#grant-form [data-form-status]")
    expect(status).to_have_text(re.compile("^Recorded: grant 2024-hire"))
    box = status.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORTS["phone"][1]
    expect(pg.locator("#ex-grant")).to_have_value("2024-hire")
    pg.fill("#ex-id", "march-ex")
    pg.fill("#ex-date", "2025-03-03")
    pg.fill("#ex-shares", "100")
    pg.fill("#ex-fmv", "$30")
    pg.click("#exercise-form button[type=submit]")
    status = pg.locator("#exercise-form [data-form-status]")
    expect(status).to_have_text(re.compile("^Recorded: exercise march-ex"))
    box = status.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORTS["phone"][1]
    expect(pg.locator("#answer-text")).to_contain_text("You hold 100 shares in 1 lot")
    assert pg.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
    context.close()


def test_pages_speak_plain_words_not_command_lines(page):
    """The real checklist's actions name command-line steps; the page names its own controls instead."""
    page.goto(page.base + "/checklist")
    answered(page)
    page.wait_for_selector("#checklist-items li")
    text = page.inner_text("main")
    assert not re.search(r"(^|\s)--[a-z]", text) and "isoplan " not in text and "docs/" not in text, text
    with page.expect_download() as info:
        page.click("#calendar-download")
    assert info.value.suggested_filename == "isoplan-checklist.ics"
    assert page.watch.errors == []
