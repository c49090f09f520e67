"""The inline SVG charts: well-formed, scaled as computed by hand, text escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from isoplan.report import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert float(root.get("width")) > 0 and float(root.get("height")) > 0
    return root


def test_nice_ticks():
    assert charts.nice_ticks(0, 38_000) == [0, 10_000, 20_000, 30_000, 40_000]
    assert charts.nice_ticks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert charts.nice_ticks(0, 0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]  # a flat series still gets an axis


def test_money_labels():
    assert charts.money_label(0) == "$0"
    assert charts.money_label(25_000) == "$25k"
    assert charts.money_label(1_250_000) == "$1.2M"
    assert charts.money_label(-1_500) == "-$1.5k"


def test_frame_scales():
    f = charts.Frame(0, 10_000, 0, 40_000)
    # left margin 70, right edge 640 - 20 = 620: 2,500 of 10,000 shares is 70 + 0.25 x 550 = 207.5
    assert f.x(2_500) == 207.5
    # top 30, bottom 300 - 45 = 255: $10,000 of $40,000 is 255 - 0.25 x 225 = 198.75
    assert f.y(10_000) == 198.75


def test_amt_vs_shares_marks_the_room_and_the_plan():
    shares = [0, 2_500, 5_000, 7_500, 10_000]
    amt = [0, 0, 7_000, 14_000, 21_000]
    root = parse(charts.amt_vs_shares(shares, amt, room_shares=2_500, planned_shares=5_000, year=2027))
    room = root.find(f".//{SVG}line[@class='room-line']")
    plan = root.find(f".//{SVG}line[@class='plan-line']")
    # x axis ticks 0..10,000: room at 70 + 2,500/10,000 x 550 = 207.5; plan at 70 + 0.5 x 550 = 345
    assert float(room.get("x1")) == 207.5
    assert float(plan.get("x1")) == 345.0
    line = root.find(f".//{SVG}polyline")
    first, last = line.get("points").split()[0], line.get("points").split()[-1]
    # y axis ticks 0..25,000 (5,000 steps): (0, 0) -> (70, 255); (10,000, 21,000) -> (620, 255 - 0.84 x 225)
    assert first == "70.0,255.0"
    assert last == "620.0,66.0"
    assert "room: 2,500 shares" in ET.tostring(root, encoding="unicode")


def test_schedule_chart_has_three_bars_a_year():
    svg = charts.schedule_chart([2026, 2027, 2028], [1000, 500, 0], [5_000, 0, 0], [0, 2_000, 3_000],
                                [0, 5_000, 3_000])
    root = parse(svg)
    bars = root.findall(f".//{SVG}rect[@class]")
    assert sum("bar " in (b.get("class") or "") for b in bars) == 9
    # $5,000 of AMT on a 0..5,000 axis fills the plot height (255 - 30 = 225)
    amt = [b for b in bars if "bar-amt" in (b.get("class") or "")]
    assert float(amt[0].get("height")) == pytest.approx(225.0)


def test_outcome_histogram_and_fan_are_well_formed():
    root = parse(charts.outcome_histogram([0, 10, 20], {"sell now": [0, 5], "hold": [3, 2]}))
    assert len(root.findall(f".//{SVG}polyline")) == 2
    fan = parse(charts.price_fan(["2026-01-01", "2027-01-01"], {"5": [1, 0.5], "25": [1, 0.8], "50": [1, 1],
                                                               "75": [1, 1.3], "95": [1, 2]}, stress_level=0.5))
    assert len(fan.findall(f".//{SVG}polygon")) == 2
    assert fan.find(f".//{SVG}line[@class='stress-line']") is not None


def test_empty_inputs_give_a_small_message_not_an_error():
    for svg in (charts.amt_vs_shares([], [], room_shares=0, planned_shares=0, year=2026),
                charts.outcome_histogram([], {}), charts.price_fan([], {}, stress_level=None)):
        root = parse(svg)
        assert root.find(f".//{SVG}text") is not None


def test_labels_are_escaped():
    svg = charts.outcome_histogram([0, 1], {"<script>alert(1)</script>": [1]})
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    parse(svg)


def test_nice_ticks_step_by_2_5_and_whole_shares():
    # 1,000 in 4 steps: 250 = 2.5 x 100
    assert charts.nice_ticks(0, 1_000, 4) == [0, 250, 500, 750, 1_000]
    # 1,253 shares in 5 steps: 250.6 a step rounds up to 500, never a fraction of a share
    assert charts.nice_ticks(0, 1_253, 5, integer=True) == [0, 500, 1_000, 1_500]
    # 5 shares in 10 steps: 0.5 a step would be half shares; whole shares step by 1
    assert charts.nice_ticks(0, 5, 10, integer=True) == [0, 1, 2, 3, 4, 5]
    # a range below zero reaches round ticks past both ends
    assert charts.nice_ticks(-27_281, 0, 6) == [-30_000, -25_000, -20_000, -15_000, -10_000, -5_000, 0]


def test_tick_labels_keep_the_steps_decimals():
    def labels(unit, ticks):
        return [charts.tick_format(unit, ticks)(v) for v in ticks]

    # 12,500 a step in thousands: $12.5k and $37.5k, never the rounded $13k and $38k
    assert labels("$", [0, 12_500, 25_000, 37_500, 50_000]) == ["$0", "$12.5k", "$25k", "$37.5k", "$50k"]
    assert labels("$", [0, 2_500, 5_000]) == ["$0", "$2,500", "$5,000"]
    assert labels("$", [0, 0.5, 1]) == ["$0", "$0.50", "$1.00"]  # a price under a dollar a step shows cents
    assert labels("$", [0, 1_250_000, 2_500_000]) == ["$0", "$1.25M", "$2.5M"]
    assert labels("shares", [0, 250, 1_250]) == ["0", "250", "1,250"]
    assert labels("%", [0, 0.025, 0.05]) == ["0%", "2.5%", "5%"]


def _legend_bottom_and_plot_top(root: ET.Element) -> tuple[float, float]:
    legend = root.find(f".//{SVG}g[@class='legend']")
    assert legend is not None
    bottom = max(float(e.get("y", e.get("y1"))) + float(e.get("height", 0)) for e in legend
                 if e.get("class") == "legend-key")
    top = min(float(e.get("y1")) for e in root.iter(f"{SVG}line") if e.get("class") == "grid")
    return bottom, top


def test_legends_sit_above_the_plot_and_look_like_their_marks():
    schedule = parse(charts.schedule_chart([2026, 2027], [1000, 0], [5_000, 0], [0, 2_000], [0, 5_000],
                                           ca_amt=[1_000, 0]))
    hist = parse(charts.outcome_histogram([0, 10, 20], {"sell now": [0, 5], "hold": [3, 2], "partial": [1, 1]}))
    fan = parse(charts.price_fan(["2026-12-01", "2027-01-04", "2028-01-03"],
                                 {"5": [1, 0.5, 0.4], "25": [1, 0.8, 0.7], "50": [1, 1, 1], "75": [1, 1.3, 1.5],
                                  "95": [1, 2, 3]}, stress_level=0.5))
    for root in (schedule, hist, fan):
        bottom, top = _legend_bottom_and_plot_top(root)
        assert bottom <= top, ET.tostring(root, encoding="unicode")[:300]
    # the histogram's keys are lines with the outlines' dashes, not boxes
    keys = hist.findall(f".//{SVG}g[@class='legend']/{SVG}line")
    outlines = hist.findall(f".//{SVG}polyline")
    assert [k.get("stroke-dasharray") for k in keys] == [o.get("stroke-dasharray") for o in outlines]
    # the fan's date ticks: the first date, then each new year by its year
    texts = [t.text for t in fan.iter(f"{SVG}text")]
    assert "2026-12-01" in texts and "2027" in texts and "2028" in texts
    assert "stress price $0.50" in texts


def test_schedule_plot_keeps_its_height_below_the_legend():
    root = parse(charts.schedule_chart([2026], [1000], [5_000], [0], [0]))
    # the legend band adds to the chart's height; the plot is still 225 high: $5,000 on a 0..5,000 axis
    amt = next(b for b in root.iter(f"{SVG}rect") if "bar-amt" in (b.get("class") or ""))
    assert float(amt.get("height")) == pytest.approx(225.0)
    assert float(root.get("height")) > 300
