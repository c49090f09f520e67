"""Inline SVG charts for the HTML report, drawn in Python (no scripts, no fonts, no network).

Each function takes plain numbers (lists, dicts) and returns one ``<svg>``
element as text, with explicit ``width``/``height`` and a ``viewBox`` so it
scales in the page and prints at a fixed size. Every label passes through
:func:`html.escape`. Colours come from CSS classes the report's stylesheet
defines (so print can restyle them), with plain fallbacks in ``fill``/``stroke``.

* :func:`amt_vs_shares`: AMT against ISO shares exercised, the room marked.
* :func:`schedule_chart`: the multi-year schedule: shares, AMT and credit by year.
* :func:`outcome_histogram`: after-tax outcomes of hold vs sell (the risk histogram).
* :func:`price_fan`: the price-path percentiles with the stress level.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 640, 300
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 70, 20, 30, 45
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
CHAR_WIDTH = 6.5  # px: a generous average width of one 11 px sans-serif character, to lay out the legend
LEGEND_ROW = 16  # px: one row of the legend band above the plot


def nice_ticks(low: float, high: float, count: int = 5, *, integer: bool = False) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2, 2.5 or 5 times a power of ten (whole steps only
    with ``integer``, for shares), about ``count`` intervals, reaching past both ends."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        high = low + 1.0
    raw = (high - low) / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    steps = [m * power for m in (1, 2, 2.5, 5, 10)]
    step = next((s for s in steps if s >= raw * (1 - 1e-9) and (not integer or float(s).is_integer())),
                max(1.0, steps[-1]) if integer else steps[-1])
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    return [round(k * step, 10) for k in range(first, last + 1)]


def _decimals(step: float) -> int:
    """The decimals that show ``step`` exactly (2.5 needs one, 0.25 two)."""
    return next((d for d in range(10) if abs(round(step * 10**d) - step * 10**d) < 1e-6), 10)


def _trim(number: str) -> str:
    return number.rstrip("0").rstrip(".") if "." in number else number


def tick_format(unit: str, ticks: Sequence[float]) -> Callable[[float], str]:
    """Labels that tell round ticks apart: money in k or M with as many decimals as the step needs ($12.5k, never
    a rounded $13k; cents only for steps under a dollar), whole shares with separators, percents of a whole."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    top = max((abs(t) for t in ticks), default=0.0)
    if unit == "%":
        pd = _decimals(step * 100)
        return lambda v: "0%" if v == 0 else f"{_trim(f'{v * 100:,.{pd}f}')}%"
    div, suffix = (1e6, "M") if unit == "$" and top >= 1e6 else (1e3, "k") if unit == "$" and top >= 1e4 else (1.0, "")
    d = _decimals(step / div)
    cents = unit == "$" and div == 1.0 and d > 0

    def label(v: float) -> str:
        if v == 0:
            return "$0" if unit == "$" else "0"
        body = f"{abs(v) / div:,.{max(d, 2) if cents else d}f}"
        return ("-" if v < 0 else "") + ("$" if unit == "$" else "") + (body if cents else _trim(body)) + suffix

    return label


def money_label(value: float) -> str:
    """Short money labels for axes: $0, $500, $25k, $1.2M."""
    sign = "-" if value < 0 else ""
    v = abs(value)
    if v >= 1e6:
        return f"{sign}${v / 1e6:,.1f}M".replace(".0M", "M")
    if v >= 1e3:
        return f"{sign}${v / 1e3:,.1f}k".replace(".0k", "k")
    return f"{sign}${v:,.0f}"


@dataclass(frozen=True)
class Frame:
    """The plotting area and linear scales from data to SVG coordinates."""

    x0: float
    x1: float
    y0: float
    y1: float
    width: int = WIDTH
    height: int = HEIGHT
    top_margin: float = MARGIN_TOP

    @property
    def left(self) -> float:
        return MARGIN_LEFT

    @property
    def right(self) -> float:
        return self.width - MARGIN_RIGHT

    @property
    def top(self) -> float:
        return self.top_margin

    @property
    def bottom(self) -> float:
        return self.height - MARGIN_BOTTOM

    def x(self, value: float) -> float:
        span = self.x1 - self.x0 or 1.0
        return round(self.left + (value - self.x0) / span * (self.right - self.left), 2)

    def y(self, value: float) -> float:
        span = self.y1 - self.y0 or 1.0
        return round(self.bottom - (value - self.y0) / span * (self.bottom - self.top), 2)


def _open(title: str, desc: str, kind: str, width: int = WIDTH, height: int = HEIGHT) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{kind}" role="img" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'aria-label="{escape(title)}" data-chart="{kind}">',
            f"<title>{escape(title)}</title>", f"<desc>{escape(desc)}</desc>",
            f'<rect class="chart-bg" x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>']


def _text(x: float, y: float, text: str, *, anchor: str = "middle", cls: str = "label", size: int = 11,
          rotate: float | None = None) -> str:
    transform = f' transform="rotate({rotate} {x} {y})"' if rotate is not None else ""
    return (f'<text class="{cls}" x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" '
            f'font-family="sans-serif" fill="#222222"{transform}>{escape(text)}</text>')


def _axes(f: Frame, xticks: Sequence[float], yticks: Sequence[float], xfmt: Callable[[float], str],
          yfmt: Callable[[float], str], xlabel: str,
          ylabel: str, *, xtick_labels: Sequence[str] | None = None) -> list[str]:
    out = []
    for v in yticks:
        y = f.y(v)
        out.append(f'<line class="grid" x1="{f.left}" y1="{y}" x2="{f.right}" y2="{y}" stroke="#dddddd" '
                   'stroke-width="1"/>')
        out.append(_text(f.left - 6, y + 4, yfmt(v), anchor="end"))
    for i, v in enumerate(xticks):
        x = f.x(v)
        out.append(f'<line class="tick" x1="{x}" y1="{f.bottom}" x2="{x}" y2="{f.bottom + 5}" stroke="#444444"/>')
        label = xtick_labels[i] if xtick_labels is not None else xfmt(v)
        # a long label at either edge would be cut off or run into the y labels: end or start it at its tick
        half = CHAR_WIDTH / 2 * len(label)
        anchor = "end" if x + half > f.width else "start" if x - half < f.left - 6 else "middle"
        out.append(_text(x, f.bottom + 18, label, anchor=anchor))
    out.append(f'<line class="axis" x1="{f.left}" y1="{f.bottom}" x2="{f.right}" y2="{f.bottom}" '
               'stroke="#444444"/>')
    out.append(f'<line class="axis" x1="{f.left}" y1="{f.top}" x2="{f.left}" y2="{f.bottom}" stroke="#444444"/>')
    out.append(_text((f.left + f.right) / 2, f.height - 8, xlabel))
    out.append(_text(14, (f.top + f.bottom) / 2, ylabel, rotate=-90))
    return out


def _polyline(f: Frame, xs: Sequence[float], ys: Sequence[float], *, cls: str, color: str, width: float = 2,
              dash: str | None = None) -> str:
    points = " ".join(f"{f.x(x)},{f.y(y)}" for x, y in zip(xs, ys, strict=True))
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<polyline class="{cls}" points="{points}" fill="none" stroke="{color}" '
            f'stroke-width="{width}"{dashed}/>')


@dataclass(frozen=True)
class Key:
    """One legend entry, drawn like the mark it names: a filled box (bars, bands) or a line with its dashes."""

    label: str
    color: str
    line: bool = False
    dash: str | None = None
    opacity: float = 1.0


def _legend_rows(keys: Sequence[Key]) -> list[list[tuple[Key, float]]]:
    """The keys laid out left to right from the plot's left edge, a new row when the next would pass the right."""
    rows: list[list[tuple[Key, float]]] = [[]]
    x = 0.0
    for key in keys:
        w = 22 + CHAR_WIDTH * len(key.label) + 14
        if x > 0 and MARGIN_LEFT + x + w > WIDTH - MARGIN_RIGHT:
            rows.append([])
            x = 0.0
        rows[-1].append((key, x))
        x += w
    return rows if keys else []


def legend_height(keys: Sequence[Key]) -> float:
    """The height of the legend band above the plot (the plot keeps its own height below it)."""
    return LEGEND_ROW * len(_legend_rows(keys)) + 6 if keys else 0.0


def _legend(keys: Sequence[Key]) -> list[str]:
    out = ['<g class="legend">']
    for r, row in enumerate(_legend_rows(keys)):
        y = 6 + LEGEND_ROW * r + LEGEND_ROW / 2
        for key, dx in row:
            x = MARGIN_LEFT + dx
            if key.line:
                dashed = f' stroke-dasharray="{key.dash}"' if key.dash else ""
                out.append(f'<line class="legend-key" x1="{x}" y1="{y}" x2="{x + 18}" y2="{y}" stroke="{key.color}" '
                           f'stroke-width="2.5"{dashed}/>')
            else:
                out.append(f'<rect class="legend-key" x="{x}" y="{y - 6}" width="18" height="12" fill="{key.color}" '
                           f'fill-opacity="{key.opacity}"/>')
            out.append(_text(x + 22, y + 4, key.label, anchor="start"))
    out.append("</g>")
    return out


def _empty(title: str, kind: str, message: str) -> str:
    out = _open(title, message, kind, height=80)
    out.append(_text(WIDTH / 2, 45, message))
    out.append("</svg>")
    return "\n".join(out)


def amt_vs_shares(shares: Sequence[float], amt: Sequence[float], *, room_shares: float, planned_shares: float,
                  year: int, title: str | None = None) -> str:
    """AMT (Form 6251 line 11) against ISO shares exercised in ``year``: the room and the plan marked."""
    title = title or f"AMT against ISO shares exercised in {year}"
    if not shares:
        return _empty(title, "amt-shares", "No ISO shares can be exercised this year.")
    top_y = max(max(amt), 1.0)
    yticks = nice_ticks(0.0, top_y)
    xticks = nice_ticks(0.0, max(shares), integer=True)
    f = Frame(0.0, xticks[-1], 0.0, yticks[-1])
    out = _open(title, f"The AMT is zero up to about {room_shares:,.0f} shares (the AMT-free room) and grows "
                f"after it; the plan exercises {planned_shares:,.0f} shares.", "amt-shares")
    out += _axes(f, xticks, yticks, tick_format("shares", xticks), tick_format("$", yticks), "ISO shares exercised",
                 "AMT ($)")
    room_x = f.x(min(room_shares, f.x1))
    out.append(f'<rect class="room-band" x="{f.left}" y="{f.top}" width="{round(room_x - f.left, 2)}" '
               f'height="{round(f.bottom - f.top, 2)}" fill="#2ca02c" fill-opacity="0.08"/>')
    out.append(f'<line class="room-line" x1="{room_x}" y1="{f.top}" x2="{room_x}" y2="{f.bottom}" '
               'stroke="#2ca02c" stroke-width="2" stroke-dasharray="6 3"/>')
    room_text = f"room: {room_shares:,.0f} shares"
    # near the right edge the label ends at its line instead of running out of the frame
    inside = room_x + 4 + CHAR_WIDTH * len(room_text) <= f.right
    out.append(_text(room_x + 4 if inside else room_x - 4, f.top + 12, room_text, anchor="start" if inside else "end",
                     cls="room-label"))
    out.append(_polyline(f, shares, amt, cls="series amt-line", color=PALETTE[1], width=2.5))
    if planned_shares > 0:
        px = f.x(planned_shares)
        out.append(f'<line class="plan-line" x1="{px}" y1="{f.top}" x2="{px}" y2="{f.bottom}" stroke="{PALETTE[0]}" '
                   'stroke-width="2"/>')
        out.append(_text(px - 4, f.top + 26, f"plan: {planned_shares:,.0f}", anchor="end", cls="plan-label"))
    out.append("</svg>")
    return "\n".join(out)


def schedule_chart(years: Sequence[int], shares: Sequence[float], amt: Sequence[float],
                   credit_used: Sequence[float], credit_available: Sequence[float], *,
                   title: str = "The schedule: shares exercised, AMT and credit by year",
                   ca_amt: Sequence[float] | None = None) -> str:
    """Grouped bars per year (AMT paid, credit used, credit available; with ``ca_amt``, a California plan's
    California AMT beside them) with the shares exercised above them."""
    if not years:
        return _empty(title, "schedule", "No plan years.")
    n = len(years)
    top = max([*amt, *credit_used, *credit_available, *(ca_amt or []), 1.0])
    yticks = nice_ticks(0.0, top)
    series: tuple[tuple[str, Sequence[float], str, str], ...] = (
        ("AMT paid", amt, PALETTE[1], "bar-amt"), ("credit used", credit_used, PALETTE[2], "bar-credit-used"),
        ("credit available", credit_available, PALETTE[3], "bar-credit-available"))
    if ca_amt is not None:
        series = (*series, ("California AMT", ca_amt, PALETTE[4], "bar-ca-amt"))
    keys = [Key(name, color) for name, _, color, _ in series]
    band = legend_height(keys)
    f = Frame(-0.5, n - 0.5, 0.0, yticks[-1], height=HEIGHT + round(band), top_margin=MARGIN_TOP + band)
    out = _open(title, "Bars: AMT paid, minimum tax credit used and credit available each year; the numbers above "
                "are the shares exercised that year.", "schedule", height=f.height)
    out += _legend(keys)
    out += _axes(f, list(range(n)), yticks, str, tick_format("$", yticks), "tax year", "dollars ($)",
                 xtick_labels=[str(y) for y in years])
    slot = (f.x(1) - f.x(0)) * 0.8
    bar = slot / len(series)
    for i in range(n):
        start = f.x(i) - slot / 2
        for k, (_, values, color, cls) in enumerate(series):
            value = max(float(values[i]), 0.0)
            y = f.y(value)
            out.append(f'<rect class="bar {cls}" x="{round(start + k * bar, 2)}" y="{y}" width="{round(bar - 2, 2)}" '
                       f'height="{round(f.bottom - y, 2)}" fill="{color}"><title>{escape(str(years[i]))} '
                       f'{escape(series[k][0])}: ${value:,.0f}</title></rect>')
        label = f"{shares[i]:,.0f} sh" if shares[i] > 0 else "-"
        out.append(_text(f.x(i), f.top - 8, label, cls="shares-label"))
    out.append("</svg>")
    return "\n".join(out)


def outcome_histogram(edges: Sequence[float], counts: Mapping[str, Sequence[int]], *,
                      title: str = "After-tax outcomes: hold vs sell") -> str:
    """Each strategy's distribution of after-tax value as a step outline over the same bins (share of paths)."""
    if len(edges) < 2 or not counts:
        return _empty(title, "outcomes", "No distribution in the risk results.")
    shares_by_name = {}
    for name, path_counts in counts.items():
        total = sum(path_counts) or 1
        shares_by_name[name] = [v / total for v in path_counts]
    top = max(max(v) for v in shares_by_name.values()) or 1.0
    yticks = nice_ticks(0.0, top)
    xticks = nice_ticks(float(edges[0]), float(edges[-1]))
    # dashes tell overlapping outlines apart (two strategies can coincide on every bin); the keys carry them
    dashes = (None, "7 4", "2 3")
    keys = [Key(name, PALETTE[k % len(PALETTE)], line=True, dash=dashes[k % 3])
            for k, name in enumerate(shares_by_name)]
    band = legend_height(keys)
    f = Frame(min(xticks[0], edges[0]), max(xticks[-1], edges[-1]), 0.0, yticks[-1], height=HEIGHT + round(band),
              top_margin=MARGIN_TOP + band)
    out = _open(title, "Share of simulated price paths by after-tax value at the exit, one outline per strategy.",
                "outcomes", height=f.height)
    out += _legend(keys)
    out += _axes(f, xticks, yticks, tick_format("$", xticks), tick_format("%", yticks),
                 "after-tax value at the exit ($)", "share of paths (%)")
    for k, values in enumerate(shares_by_name.values()):
        color = PALETTE[k % len(PALETTE)]
        xs: list[float] = [float(edges[0])]
        ys: list[float] = [0.0]
        for i, v in enumerate(values):
            xs += [float(edges[i]), float(edges[i + 1])]
            ys += [v, v]
        xs.append(float(edges[-1]))
        ys.append(0.0)
        out.append(_polyline(f, xs, ys, cls=f"series outcome-{k}", color=color, width=2 + (k == 0),
                             dash=dashes[k % 3]))
    out.append("</svg>")
    return "\n".join(out)


def price_fan(dates: Sequence[str], percentiles: Mapping[str, Sequence[float]], *, stress_level: float | None,
              title: str = "Price paths: percentiles and the stress level") -> str:
    """Bands between the 5th-95th and 25th-75th percentiles, the median, and the stress price as a line."""
    if not dates or not percentiles:
        return _empty(title, "fan", "No price paths in the risk results.")
    n = len(dates)
    values = [float(v) for series in percentiles.values() for v in series]
    if stress_level is not None:
        values.append(float(stress_level))
    yticks = nice_ticks(min(0.0, min(values)), max(values))
    keys: list[Key] = []
    if "50" in percentiles:
        keys.append(Key("median", PALETTE[0], line=True))
    if "25" in percentiles and "75" in percentiles:
        keys.append(Key("middle 50% of paths", PALETTE[0], opacity=0.4))
    if "5" in percentiles and "95" in percentiles:
        keys.append(Key("middle 90%", PALETTE[0], opacity=0.15))
    if stress_level is not None:
        keys.append(Key(f"stress price ${float(stress_level):,.2f}", PALETTE[1], line=True, dash="6 3"))
    band_height = legend_height(keys)
    f = Frame(0.0, max(n - 1, 1), yticks[0], yticks[-1], height=HEIGHT + round(band_height),
              top_margin=MARGIN_TOP + band_height)
    # date ticks: the first date, then the first date of each year labelled with its year, thinned to fit
    years = [i for i in range(n) if i == 0 or str(dates[i])[:4] != str(dates[i - 1])[:4]]
    every = max(1, math.ceil(len(years) / 8))
    xticks = years[::every]
    out = _open(title, "Shaded bands: the middle 90% and 50% of simulated prices; line: the median; dashed: the "
                "stress price.", "fan", height=f.height)
    out += _legend(keys)
    out += _axes(f, xticks, yticks, str, tick_format("$", yticks), "date", "price per share ($)",
                 xtick_labels=[str(dates[i]) if i == 0 else str(dates[i])[:4] for i in xticks])
    idx = list(range(n))

    def band(low: str, high: str, opacity: float, cls: str) -> str:
        lo, hi = percentiles[low], percentiles[high]
        pts = [f"{f.x(i)},{f.y(float(hi[i]))}" for i in idx] + [f"{f.x(i)},{f.y(float(lo[i]))}" for i in reversed(idx)]
        return f'<polygon class="{cls}" points="{" ".join(pts)}" fill="{PALETTE[0]}" fill-opacity="{opacity}"/>'

    if "5" in percentiles and "95" in percentiles:
        out.append(band("5", "95", 0.15, "band band-90"))
    if "25" in percentiles and "75" in percentiles:
        out.append(band("25", "75", 0.3, "band band-50"))
    if "50" in percentiles:
        out.append(_polyline(f, idx, [float(v) for v in percentiles["50"]], cls="series median", color=PALETTE[0]))
    if stress_level is not None:
        y = f.y(float(stress_level))
        out.append(f'<line class="stress-line" x1="{f.left}" y1="{y}" x2="{f.right}" y2="{y}" stroke="{PALETTE[1]}" '
                   'stroke-width="2" stroke-dasharray="6 3"/>')
    out.append("</svg>")
    return "\n".join(out)
