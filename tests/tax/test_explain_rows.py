"""explain_row: one row per line the result has, in form order, each with its value as the result holds it."""

from __future__ import annotations

import math

import numpy as np

from isoplan.tax.explain import LINES, LineRow, explain_row
from isoplan.tax.federal import FederalResult


def test_each_row_holds_its_lines_value_with_the_sign_of_a_zero() -> None:
    keys = [key for key, *_ in LINES][::2]  # every other line: rows only for the lines the result has
    values = [0.0, -0.0, 12.5, -3.25, math.nan, math.inf]
    lines = {key: np.array([values[k % len(values)], values[(k + 1) % len(values)]]) for k, key in enumerate(keys)}
    result = FederalResult(lines=lines, projected=np.zeros(2, dtype=bool))
    for i in range(2):
        rows = explain_row(result, i)
        expected = [(key, form, line, caption) for key, form, line, caption in LINES if key in lines]
        assert [(r.key, r.form, r.line, r.caption) for r in rows] == expected
        for row in rows:
            assert isinstance(row, LineRow)
            # repr tells -0.0 from 0.0 and shows NaN, which == would not
            assert repr(row.value) == repr(float(lines[row.key][i])), row.key
            assert type(row.value) is float
