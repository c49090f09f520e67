"""The web app's charts (static/charts.js) in Chromium: round ticks, labels that never overlap, a legend above the
plot, strategies as their advantage over the best alternative, and all of it readable at phone width.

The script is loaded into a blank page with made-up data, so these tests need no server. Skipped (with how to
install) when Chromium is missing; a failure when $CI is set.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
STATIC = resources.files("isoplan.web").joinpath("static")

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing in CI (apt-get install chromium)", pytrace=False)
    pytest.skip(f"chart tests need {CHROMIUM}: apt-get install chromium", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the dev extra)")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def blank(browser: Any, width: int) -> Any:
    """A page with the app's colours, charts.css and charts.js, and one empty chart 100% wide."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    pg = context.new_page()
    pg.set_content('<!doctype html><html><body style="margin:0;padding:0 16px">'
                   '<svg id="c" class="chart" role="img" aria-label="test chart"></svg></body></html>')
    pg.add_style_tag(content=STATIC.joinpath("app.css").read_text(encoding="utf-8"))
    pg.add_style_tag(content=STATIC.joinpath("charts.css").read_text(encoding="utf-8"))
    pg.add_script_tag(content=STATIC.joinpath("charts.js").read_text(encoding="utf-8"))
    return pg


@pytest.fixture(scope="module")
def ticks_page(browser):
    pg = blank(browser, 1280)
    yield pg
    pg.context.close()


def nice(pg: Any, lo: float, hi: float, count: int, integer: bool = False) -> dict[str, Any]:
    return pg.evaluate("([lo, hi, n, i]) => window.isoCharts.niceTicks(lo, hi, n, i)", [lo, hi, count, integer])


def labels(pg: Any, unit: str, ticks: list[float], step: float) -> list[str]:
    return pg.evaluate("([u, t, s]) => t.map(window.isoCharts.formatter(u, t, s))", [unit, ticks, step])


def test_ticks_are_1_2_2p5_or_5_times_a_power_of_ten(ticks_page):
    # 38,000 in about 4 steps: 9,500 a step rounds up to 10,000
    assert nice(ticks_page, 0, 38_000, 4) == {"ticks": [0, 10_000, 20_000, 30_000, 40_000], "step": 10_000}
    # 1,253 shares in about 5 steps: 250.6 rounds up to 500 (2.5 x 100 = 250 is below it)
    assert nice(ticks_page, 0, 1_253, 5, True)["step"] == 500
    # 1,000 in 4 steps: exactly 250 (2.5 x 100)
    assert nice(ticks_page, 0, 1_000, 4, True) == {"ticks": [0, 250, 500, 750, 1_000], "step": 250}
    # shares never step by a fraction: 5 shares in 10 steps is 1 share a step, not 0.5
    assert nice(ticks_page, 0, 5, 10, True)["step"] == 1
    assert nice(ticks_page, 0, 1, 5) == {"ticks": [0, 0.2, 0.4, 0.6, 0.8, 1], "step": 0.2}
    # a negative range reaches round ticks past both ends: -27,281 in 6 steps of 5,000 from -30,000
    assert nice(ticks_page, -27_281, 0, 6)["ticks"] == [-30_000, -25_000, -20_000, -15_000, -10_000, -5_000, 0]


def test_tick_labels_never_round_a_step_away(ticks_page):
    # 12,500 a step in thousands keeps its half: $12.5k, never $13k
    assert labels(ticks_page, "$", [0, 12_500, 25_000, 37_500, 50_000], 12_500) == [
        "$0", "$12.5k", "$25k", "$37.5k", "$50k"]
    assert labels(ticks_page, "$", [0, 2_500, 5_000], 2_500) == ["$0", "$2,500", "$5,000"]
    assert labels(ticks_page, "$", [0, 0.5, 1], 0.5) == ["$0", "$0.50", "$1.00"]
    assert labels(ticks_page, "$", [0, 1_250_000, 2_500_000], 1_250_000) == ["$0", "$1.25M", "$2.5M"]
    assert labels(ticks_page, "shares", [0, 250, 1_250], 250) == ["0", "250", "1,250"]
    assert labels(ticks_page, "%", [0, 0.025, 0.05], 0.025) == ["0%", "2.5%", "5%"]
    assert labels(ticks_page, "$", [-5_000, 0], 5_000) == ["−$5,000", "$0"]


DRAW = {
    "line": ("lineChart", {"x": [0, 250, 500, 750, 1000, 1254], "xLabel": "shares exercised", "yLabel": "AMT ($)",
                           "xUnit": "shares",
                           "series": [{"y": [0, 0, 0, 2_000, 5_000, 8_100], "cls": "s1", "label": "AMT"},
                                      {"y": [0, 0, 500, 3_000, 6_000, 9_000], "cls": "s3", "label": "California AMT"}],
                           "marks": [{"x": 627, "label": "room 627", "legend": "AMT-free room"},
                                     {"x": 560, "cls": "ca", "label": "CA 560", "legend": "California room"}],
                           "points": [{"x": 1000, "y": 4_857, "label": "1,000: $4,857", "legend": "your shares"}]}),
    "bar": ("barChart", {"labels": ["2027", "2028", "2029", "2030"], "xLabel": "tax year", "yLabel": "tax ($)",
                         "series": [{"label": "regular tax", "values": [67_000, 69_000, 71_000, 105_000], "cls": "s2"},
                                    {"label": "AMT", "values": [0, 800, 1_900, 0], "cls": "s1"},
                                    {"label": "California AMT", "values": [0, 0, 300, 0], "cls": "s3"}]}),
    "advantage": ("advantageChart", {"strategies": [
        {"name": "equal thirds over three Januaries + escape hatch", "value": 146_206, "recommended": True},
        {"name": "equal thirds over three Januaries", "value": 146_015},
        {"name": "exercise everything now", "value": 143_589, "feasible": False},
        {"name": "wait and exercise at the exit", "value": 118_925}]}),
    # a tie with the best alternative: every bar ends at or left of 0, and the "$0" beside it still fits
    "tie": ("advantageChart", {"strategies": [{"name": "equal thirds + escape hatch", "value": 146_015},
                                              {"name": "equal thirds", "value": 146_015},
                                              {"name": "wait", "value": 118_734}]}),
    "histogram": ("histogram", {"edges": [1_522 + 4_458.6 * i for i in range(41)],
                                "xLabel": "after-tax value at the exit ($)", "yLabel": "share of paths (%)",
                                "counts": {"sell now": [10 + (i * 37) % 90 for i in range(40)],
                                           "hold to qualifying": [60 - i for i in range(40)],
                                           "partial sale": [5 + i for i in range(40)]}}),
    "fan": ("fanChart", {"x": [f"{2027 + m // 12}-{m % 12 + 1:02d}-02" for m in range(42)], "xLabel": "date",
                         "yLabel": "price per share ($)", "level": 3.24,
                         "bands": {k: [6 * f ** (m / 41) for m in range(42)]
                                   for k, f in (("5", 0.3), ("25", 0.8), ("50", 1.0), ("75", 1.5), ("95", 3.8))}}),
}

GEOMETRY = """() => {
  const svg = document.getElementById("c"), view = svg.viewBox.baseVal;
  const o = svg.getBoundingClientRect();
  const box = (e) => {
    const b = e.getBoundingClientRect();
    return { l: b.left - o.left, r: b.right - o.left, t: b.top - o.top, b: b.bottom - o.top };
  };
  const texts = [...svg.querySelectorAll("text")]
    .map((t) => ({ s: t.textContent, cls: t.getAttribute("class"), ...box(t) }));
  const legend = svg.querySelector(".legend");
  const plot = [...svg.querySelectorAll("path.series, rect.bar, circle.point, path.band, line.mark")]
    .filter((e) => !e.closest(".legend")).map(box);
  return { width: view.width, client: svg.getBoundingClientRect().width, texts,
           legend: legend && legend.childNodes.length ? box(legend) : null,
           plotTop: plot.length ? Math.min(...plot.map((b) => b.t)) : null };
}"""


def overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["l"] < b["r"] - 0.5 and b["l"] < a["r"] - 0.5 and a["t"] < b["b"] - 0.5 and b["t"] < a["b"] - 0.5


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("kind", list(DRAW))
def test_chart_is_legible(browser, kind, width):
    fn, spec = DRAW[kind]
    pg = blank(browser, width)
    try:
        pg.evaluate(f"(spec) => window.isoCharts.{fn}(document.getElementById('c'), spec)", spec)
        g = pg.evaluate(GEOMETRY)
        # drawn at its own width: one SVG unit is one CSS pixel, so 12 px text stays 12 px on a phone
        assert abs(g["width"] - g["client"]) <= 1
        texts = g["texts"]
        for t in texts:
            assert t["l"] >= -0.5 and t["r"] <= g["width"] + 0.5, f"{t['s']!r} leaves the chart"
        clashes = [(a["s"], b["s"]) for i, a in enumerate(texts) for b in texts[i + 1:] if overlaps(a, b)]
        assert clashes == [], f"labels overlap: {clashes}"
        if g["legend"] is not None:
            assert g["legend"]["b"] <= g["plotTop"], "the legend overlaps the marks"
        ticks = [t["s"] for t in texts if t["cls"] == "axis-text"]
        assert not any(".5 sh" in s or s.endswith(".5") for s in ticks), ticks
        if kind == "advantage":
            values = [t["s"] for t in texts if t["cls"] == "value-text"]
            # 146,206 - 146,015 = +191 for the recommended plan; the others against it; the unfit strategy is
            # never the reference: 143,589 - 146,206 = -2,617
            assert values == ["+$191", "−$191", "−$2,617", "−$27,281"]
        if kind == "histogram" and width == 390:
            steps = pg.evaluate("() => document.querySelector('#c path.series').getAttribute('d').split('L').length")
            assert steps < 2 * 40, "40 bins are merged at phone width"
    finally:
        pg.context.close()
