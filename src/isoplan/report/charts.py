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


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]: steps of 1, 2 or 5 times a power of ten."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        high = low + 1.0
    raw = (high - low) / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 10))
    return ticks


def money_label(value: float) -> str:
    """Short money labels for axes: $0, $500, $25k, $1.2M."""
    sign = "-" if value < 0 else ""
    v = abs(value)
    if v >= 1e6:
        return f"{sign}${v / 1e6:,.1f}M".replace(".0M", "M")
    if v >= 1e3:
        return f"{sign}${v / 1e3:,.1f}k".replace(".0k", "k")
    return f"{sign}${v:,.0f}"


def count_label(value: float) -> str:
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.1f}M".replace(".0M", "M")
    if abs(value) >= 1e3:
        return f"{value / 1e3:,.1f}k".replace(".0k", "k")
    return f"{value:,.0f}"


@dataclass(frozen=True)
class Frame:
    """The plotting area and linear scales from data to SVG coordinates."""

    x0: float
    x1: float
    y0: float
    y1: float
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def left(self) -> float:
        return MARGIN_LEFT

    @property
    def right(self) -> float:
        return self.width - MARGIN_RIGHT

    @property
    def top(self) -> float:
        return MARGIN_TOP

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
        # a long label at the right edge would be cut off by the frame: end it at its tick instead
        anchor = "end" if x + 3.5 * len(label) > f.width else "middle"
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


def _legend(entries: Sequence[tuple[str, str]], x: float, y: float) -> list[str]:
    out = []
    for i, (label, color) in enumerate(entries):
        yy = y + 15 * i
        out.append(f'<rect class="legend-key" x="{x}" y="{yy - 9}" width="10" height="10" fill="{color}"/>')
        out.append(_text(x + 14, yy, label, anchor="start"))
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
    xticks = nice_ticks(0.0, max(shares))
    f = Frame(0.0, xticks[-1], 0.0, yticks[-1])
    out = _open(title, f"The AMT is zero up to about {room_shares:,.0f} shares (the AMT-free room) and grows "
                f"after it; the plan exercises {planned_shares:,.0f} shares.", "amt-shares")
    out += _axes(f, xticks, yticks, count_label, money_label, "ISO shares exercised", "AMT")
    room_x = f.x(min(room_shares, f.x1))
    out.append(f'<rect class="room-band" x="{f.left}" y="{f.top}" width="{round(room_x - f.left, 2)}" '
               f'height="{round(f.bottom - f.top, 2)}" fill="#2ca02c" fill-opacity="0.08"/>')
    out.append(f'<line class="room-line" x1="{room_x}" y1="{f.top}" x2="{room_x}" y2="{f.bottom}" '
               'stroke="#2ca02c" stroke-width="2" stroke-dasharray="6 3"/>')
    out.append(_text(room_x + 4, f.top + 12, f"room: {room_shares:,.0f} shares", anchor="start", cls="room-label"))
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
    f = Frame(-0.5, n - 0.5, 0.0, yticks[-1])
    out = _open(title, "Bars: AMT paid, minimum tax credit used and credit available each year; the numbers above "
                "are the shares exercised that year.", "schedule")
    out += _axes(f, list(range(n)), yticks, str, money_label, "tax year", "dollars",
                 xtick_labels=[str(y) for y in years])
    series: tuple[tuple[str, Sequence[float], str, str], ...] = (
        ("AMT paid", amt, PALETTE[1], "bar-amt"), ("credit used", credit_used, PALETTE[2], "bar-credit-used"),
        ("credit available", credit_available, PALETTE[3], "bar-credit-available"))
    if ca_amt is not None:
        series = (*series, ("California AMT", ca_amt, PALETTE[4], "bar-ca-amt"))
    slot = (f.x(1) - f.x(0)) * 0.8
    bar = slot / len(series)
    for i in range(n):
        start = f.x(i) - slot / 2
        for k, (_, values, color, cls) in enumerate(series):
            value = max(float(values[i]), 0.0)
            y = f.y(value)
            out.append(f'<rect class="bar {cls}" x="{round(start + k * bar, 2)}" y="{y}" width="{round(bar - 2, 2)}" '
                       f'height="{round(f.bottom - y, 2)}" fill="{color}"><title>{escape(str(years[i]))} '
                       f'{escape(series[k][0])}: {escape(money_label(value))}</title></rect>')
        label = f"{shares[i]:,.0f} sh" if shares[i] > 0 else "-"
        out.append(_text(f.x(i), f.top - 8, label, cls="shares-label"))
    out += _legend([(s[0], s[2]) for s in series], f.right - 120, f.top + 12)
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
    f = Frame(min(xticks[0], edges[0]), max(xticks[-1], edges[-1]), 0.0, yticks[-1])
    xticks = [x for x in xticks if f.x0 <= x <= f.x1]
    out = _open(title, "Share of simulated price paths by after-tax value at the exit, one outline per strategy.",
                "outcomes")
    out += _axes(f, xticks, yticks, money_label, lambda v: f"{v:.0%}", "after-tax value", "share of paths")
    legend = []
    for k, (name, values) in enumerate(shares_by_name.items()):
        color = PALETTE[k % len(PALETTE)]
        xs: list[float] = [float(edges[0])]
        ys: list[float] = [0.0]
        for i, v in enumerate(values):
            xs += [float(edges[i]), float(edges[i + 1])]
            ys += [v, v]
        xs.append(float(edges[-1]))
        ys.append(0.0)
        # dashes tell overlapping outlines apart (two strategies can coincide on every bin)
        out.append(_polyline(f, xs, ys, cls=f"series outcome-{k}", color=color, width=2 + (k == 0),
                             dash=(None, "7 4", "2 3")[k % 3]))
        legend.append((name, color))
    out += _legend(legend, f.right - 150, f.top + 12)
    out.append("</svg>")
    return "\n".join(out)


def price_fan(dates: Sequence[str], percentiles: Mapping[str, Sequence[float]], *, stress_level: float | None,
              title: str = "Price paths: percentiles and the stress level") -> str:
    """Bands between the 5th-95th and 25th-75th percentiles, the median, and the stress price as a line."""
    if not dates or not percentiles:
        return _empty(title, "fan", "No price paths in the risk results.")
    n = len(dates)
    keys = sorted(percentiles, key=float)
    values = [float(v) for k in keys for v in percentiles[k]]
    if stress_level is not None:
        values.append(float(stress_level))
    yticks = nice_ticks(min(0.0, min(values)), max(values))
    f = Frame(0.0, max(n - 1, 1), yticks[0], yticks[-1])
    step = max(1, (n - 1) // 5)
    xticks = list(range(0, n, step))
    out = _open(title, "Shaded bands: the middle 90% and 50% of simulated prices; line: the median; dashed: the "
                "stress price.", "fan")
    out += _axes(f, xticks, yticks, str, lambda v: f"${v:,.2f}" if v < 100 else money_label(v), "date",
                 "price per share", xtick_labels=[str(dates[i]) for i in xticks])
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
        out.append(_text(f.right - 4, y - 5, f"stress: ${float(stress_level):,.2f}", anchor="end",
                         cls="stress-label"))
    out.append("</svg>")
    return "\n".join(out)
