"""Plain-text tables for the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from isoplan.report.format import money

__all__ = ["money", "table"]


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, align: str | None = None) -> str:
    """A fixed-width table; ``align`` is one of ``l``/``r`` per column (default: first left, rest right)."""
    columns = len(headers)
    align = align or ("l" + "r" * (columns - 1))
    widths = [len(h) for h in headers]
    for row in rows:
        for j, cell in enumerate(row):
            widths[j] = max(widths[j], len(cell))

    def line(cells: Sequence[str]) -> str:
        out = []
        for j, cell in enumerate(cells):
            out.append(cell.ljust(widths[j]) if align[j] == "l" else cell.rjust(widths[j]))
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])
