"""The exercise-year checklist as text (``isoplan checklist``): one block per item, status first."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from isoplan.report.plan_text import Record, as_data


def render_checklist(record: Record | Mapping[str, Any]) -> str:
    """The checklist as text: one block per item, status first."""
    data = as_data(record)
    out = [f"Exercise-year checklist for {data['year']}: {data.get('plan', '')}",
           f"Overall: {data['overall'].upper()}", ""]
    for item in data["items"]:
        out.append(f"{item['number']}. [{item['status'].upper():<7}] {item['title']}")
        out.append(f"   {item['action']}")
        out += [f"   - {line}" for line in item.get("detail", [])]
    out += ["", "A planning estimate, not tax advice."]
    return "\n".join(out)
