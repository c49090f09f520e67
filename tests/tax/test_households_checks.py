"""The input checks of households(): a large batch is first checked in one compiled pass, which may only
accept what the column-by-column checks accept; a batch it refuses gets the column-by-column checks' error."""

from __future__ import annotations

import numpy as np
import pytest

from isoplan.errors import InputError
from isoplan.tax import compiled
from isoplan.tax import households as households_module
from isoplan.tax.households import households
from isoplan.tax.law import STATUS_CODE, supported_years

ROWS = 40


def good_columns() -> dict[str, np.ndarray]:
    """ROWS valid households: int64 year and status, float64 amounts (losses on the signed fields)."""
    rows = np.arange(ROWS, dtype=np.float64)
    return {
        "year": np.full(ROWS, supported_years().start, dtype=np.int64),
        "filing_status": np.arange(ROWS, dtype=np.int64) % len(STATUS_CODE),
        "wages": 1000.0 * rows,
        "ordinary_dividends": 10.0 * rows,
        "qualified_dividends": 10.0 * rows,  # equal to the ordinary dividends: allowed
        "short_term_gain": -50.0 * rows,
        "long_term_gain": 75.0 * rows,
        "charitable": np.full(ROWS, -0.0),  # -0.0 is a dollar amount of 0 or more
    }


@pytest.fixture(params=["compiled pass", "column by column"])
def check(request, monkeypatch):
    """households() with the compiled pass on every batch (small ones included), or with it off."""
    if request.param == "compiled pass":
        monkeypatch.setattr(compiled, "PARALLEL_ROWS", 0)
        monkeypatch.setattr(compiled.PROCESS, "loaded", True)
    else:
        monkeypatch.setattr(compiled, "PARALLEL_ROWS", 10**12)
    return request.param


def test_valid_columns_give_the_same_households_either_way(check):
    columns = good_columns()
    h = households(**columns)
    assert np.array_equal(h.filing_status, columns["filing_status"])
    assert h.filing_status.dtype == np.int8
    assert h.year is columns["year"]
    assert h.wages is columns["wages"]  # float64 columns are used as given
    assert np.array_equal(h.amt_short_term_gain, columns["short_term_gain"])


BAD = [
    # (field, row, value, the error: row, field, value, what is allowed)
    ("wages", 17, np.nan, "row 17, wages: nan is not allowed; expected a dollar amount of 0 or more"),
    ("wages", 3, -1.0, "row 3, wages: -1.0 is not allowed; expected a dollar amount of 0 or more"),
    ("long_term_gain", 39, np.inf, "row 39, long_term_gain: inf is not allowed; expected a finite dollar amount"),
    ("short_term_gain", 0, -np.inf,
     "row 0, short_term_gain: -inf is not allowed; expected a finite dollar amount"),
    ("charitable", 21, -0.01, "row 21, charitable: -0.01 is not allowed; expected a dollar amount of 0 or more"),
    # 10 * 5 = 50 ordinary dividends at row 5
    ("qualified_dividends", 5, 50.01,
     "row 5, qualified_dividends: 50.01 is not allowed; expected at most ordinary_dividends (50)"),
    ("year", 8, 2022, "row 8, year: 2022 is not allowed; expected a tax year from 2023 to"),
    ("filing_status", 30, 5, "row 30, filing_status: 5 is not allowed; expected one of single"),
    ("filing_status", 31, -1, "row 31, filing_status: -1 is not allowed; expected one of single"),
]


@pytest.mark.parametrize(("field", "row", "value", "message"), BAD)
def test_a_bad_value_is_named_the_same_either_way(check, field, row, value, message):
    columns = good_columns()
    columns[field] = columns[field].copy()
    columns[field][row] = value
    with pytest.raises(InputError) as raised:
        households(**columns)
    assert str(raised.value).startswith(message), str(raised.value)


def test_the_first_bad_value_is_the_one_named_either_way(check):
    # the column checks run in field order (year, status, then the amounts in MONEY_FIELDS order), each
    # naming its first bad row: a later column's earlier row does not come first
    columns = good_columns()
    columns["wages"] = columns["wages"].copy()
    columns["wages"][30] = np.nan
    columns["short_term_gain"] = columns["short_term_gain"].copy()
    columns["short_term_gain"][2] = np.inf
    columns["qualified_dividends"] = columns["qualified_dividends"] + 1.0
    with pytest.raises(InputError, match="row 30, wages: nan"):
        households(**columns)


def test_the_compiled_pass_refuses_every_kind_of_bad_value():
    # chunks_valid itself (run interpreted here): each bad value fails its own chunk only
    n, chunk = 12, 4
    zeros = np.zeros(n)
    year = np.full(n, 2025, dtype=np.int64)
    status = np.zeros(n, dtype=np.int64)
    kinds = np.full(len(households_module.MONEY_FIELDS), households_module.ABSENT, dtype=np.int8)
    money = [zeros] * len(kinds)
    wages_at = households_module._MONEY_NAMES.index("wages")
    gain_at = households_module._MONEY_NAMES.index("short_term_gain")
    kinds[wages_at] = households_module.NOT_NEGATIVE
    kinds[gain_at] = households_module.FINITE
    cases = {
        "negative wages": (wages_at, -1.0), "NaN wages": (wages_at, np.nan), "infinite gain": (gain_at, -np.inf),
        "NaN gain": (gain_at, np.nan),
    }
    for name, (at, value) in cases.items():
        column = np.zeros(n)
        column[5] = value
        cols = list(money)
        cols[at] = column
        ok = np.empty(n // chunk, dtype=np.bool_)
        codes = np.empty(n, dtype=np.int8)
        households_module.chunks_valid(year, status, codes, True, 2023, 2036, tuple(cols), kinds, False, n, chunk, ok)
        assert ok.tolist() == [True, False, True], name
    # a loss where a loss is allowed, -0.0 where it is not
    cols = list(money)
    cols[gain_at] = np.full(n, -5.0)
    cols[wages_at] = np.full(n, -0.0)
    ok = np.empty(n // chunk, dtype=np.bool_)
    households_module.chunks_valid(year, status, np.empty(n, dtype=np.int8), True, 2023, 2036, tuple(cols), kinds,
                                   False, n, chunk, ok)
    assert ok.all()
    # years from 2023 to 2035 and status codes 0-4 only
    for bad_year, bad_status in ((2022, 0), (2036, 0), (2025, 5), (2025, -1)):
        y, s = year.copy(), status.copy()
        y[9], s[9] = bad_year, bad_status
        households_module.chunks_valid(y, s, np.empty(n, dtype=np.int8), True, 2023, 2036, tuple(money), kinds,
                                       False, n, chunk, ok)
        assert ok.tolist() == [True, True, False], (bad_year, bad_status)
