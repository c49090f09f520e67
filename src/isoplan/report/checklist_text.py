"""The exercise-year checklist as text (``isoplan checklist``): the answer, then one block per item, status first.

:func:`number_rows` types each item's numbers for a reader (dollars, percents, dates, counts, yes/no) by what
the key means, so no raw key or wrong unit reaches the page; the HTML report uses it too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from isoplan.report.answer import checklist_answer
from isoplan.report.format import count, date, money, percent, yes_no
from isoplan.report.plan_text import Record, as_data

#: numbers that are fractions, shown as percents
_PERCENT_KEYS = frozenset({"drop", "concentration", "target_concentration"})
#: numbers that are counts, with their unit
_COUNT_UNITS = {"days_to_year_end": "days"}
#: numbers per share, shown with cents
_PER_SHARE_KEYS = frozenset({"price", "spread_per_share", "regular_basis_per_share", "amt_basis_per_share",
                             "strike"})
#: words of a key read as their usual spelling
_WORDS = {"amt": "AMT", "iso": "ISO", "nso": "NSO", "prob": "chance", "ca": "California", "tmt": "TMT"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def number_label(key: str) -> str:
    """A number's key as words: ``prob_cash_lost`` -> ``chance cash lost``, ``amt_room`` -> ``AMT room``."""
    words = [_WORDS.get(w, w) for w in key.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def number_text(key: str, value: Any) -> str:
    """One number as a reader sees it, typed by what its key means."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, str):
        return date(value) if _ISO_DATE.match(value) else value
    if isinstance(value, Mapping):
        inner = key.removesuffix("_by_block")  # shares_by_block: each block's shares
        return "; ".join(f"{k}: {number_text(inner if key != 'california' else k, v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(_entry_text(key, v) for v in value)
    if key in _PERCENT_KEYS or key.startswith("prob_"):
        return percent(float(value), digits=1 if 0 < float(value) < 0.01 else 0)
    if key == "year" or key.endswith("_year"):
        return str(int(value))
    if key in _COUNT_UNITS:
        return count(float(value), _COUNT_UNITS[key])
    if key == "shares" or key.endswith("_shares"):
        return count(float(value), "shares")
    if key in _PER_SHARE_KEYS:
        return money(float(value), cents=True)
    return money(float(value))


def _entry_text(key: str, entry: Any) -> str:
    """One entry of a list of numbers: a form, a lot, a block, a citation."""
    if not isinstance(entry, Mapping):
        return str(entry)
    if "form" in entry:
        return f"{entry['form']} ({entry['year']}): {entry['what']}"
    if "lot" in entry:
        return (f"{entry['lot']}: {count(entry['shares'], 'shares')}, regular basis {money(entry['regular_basis'])}, "
                f"AMT basis {money(entry['amt_basis'])}")
    if "block" in entry:
        return f"{entry['block']}: {count(entry['shares'], 'shares')}"
    return ", ".join(f"{number_label(k)} {number_text(k, v)}" for k, v in entry.items())


def number_rows(numbers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """An item's numbers as (label, text) rows; a nested table (California's) becomes labelled rows."""
    rows: list[tuple[str, str]] = []
    for key, value in numbers.items():
        if key == "california" and isinstance(value, Mapping):
            rows += [(f"California {number_label(k).lower()}", number_text(k, v)) for k, v in value.items()]
        elif key == "citation":
            rows.append(("Law", number_text(key, value)))
        else:
            rows.append((number_label(key), number_text(key, value)))
    return rows


def render_checklist(record: Record | Mapping[str, Any]) -> str:
    """The checklist as text: the answer (the overall state and any stop), then one block per item, status
    first."""
    data = as_data(record)
    out = [str(data.get("answer") or checklist_answer(data)), "",
           f"Exercise-year checklist for {data['year']}: {data.get('plan', '')}",
           f"Overall: {data['overall'].upper()}", ""]
    for item in data["items"]:
        out.append(f"{item['number']}. [{item['status'].upper():<7}] {item['title']}")
        out.append(f"   {item['action']}")
        out += [f"   - {line}" for line in item.get("detail", [])]
    out += ["", "A planning estimate, not tax advice."]
    return "\n".join(out)
