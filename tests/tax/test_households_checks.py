"""households() checks a large batch part by part: a bad row is found, and named, in whichever part it is."""

from __future__ import annotations

import numpy as np
import pytest

from isoplan.errors import InputError
from isoplan.tax.households import CHECK_ROWS, households

ROWS = 3 * CHECK_ROWS + 5


# the first row, both ends of a part, a row inside a later part, the last row
@pytest.mark.parametrize("bad", [0, CHECK_ROWS - 1, CHECK_ROWS, 2 * CHECK_ROWS + 3, ROWS - 1])
def test_qualified_dividends_above_ordinary_dividends_are_named_by_their_row(bad: int) -> None:
    ordinary = np.full(ROWS, 1_000.0)
    qualified = np.full(ROWS, 400.0)
    qualified[bad] = 1_000.5  # half a dollar more qualified than ordinary dividends
    with pytest.raises(InputError) as raised:
        households(year=np.full(ROWS, 2026), filing_status=np.zeros(ROWS, dtype=np.int8),
                   ordinary_dividends=ordinary, qualified_dividends=qualified)
    assert (raised.value.field, raised.value.row, raised.value.value) == ("qualified_dividends", bad, 1_000.5)
    assert raised.value.allowed == "at most ordinary_dividends (1000)"


def test_the_first_bad_row_is_named_when_several_parts_have_one() -> None:
    ordinary = np.full(ROWS, 50.0)
    qualified = np.zeros(ROWS)
    qualified[[CHECK_ROWS + 7, 2 * CHECK_ROWS + 1, ROWS - 2]] = 60.0
    ordinary[CHECK_ROWS + 7] = 70.0  # this row is within its ordinary dividends; the next one is not
    with pytest.raises(InputError) as raised:
        households(year=np.full(ROWS, 2025), filing_status=np.ones(ROWS, dtype=np.int8), ordinary_dividends=ordinary,
                   qualified_dividends=qualified)
    assert raised.value.row == 2 * CHECK_ROWS + 1


def test_qualified_dividends_equal_to_ordinary_dividends_pass() -> None:
    ordinary = np.linspace(0.0, 9e5, ROWS)
    h = households(year=np.full(ROWS, 2026), filing_status=np.zeros(ROWS, dtype=np.int8),
                   ordinary_dividends=ordinary, qualified_dividends=ordinary.copy())
    assert np.array_equal(h.qualified_dividends, ordinary)


def test_one_household_with_too_many_qualified_dividends_has_no_row() -> None:
    with pytest.raises(InputError) as raised:
        households(year=2026, filing_status="single", ordinary_dividends=10.0, qualified_dividends=20.0)
    assert (raised.value.row, raised.value.value) == (None, 20.0)


@pytest.mark.parametrize("seed", range(40))
def test_a_few_filing_status_names_read_as_a_long_column_reads_them(seed: int) -> None:
    """A short column of names is compared in Python, a long one by NumPy: same codes, same first bad name."""
    from isoplan.tax import households as module

    rng = np.random.default_rng(seed)
    spellings = ["single", " MFJ", "mfs ", "Hoh", "QSS", "married", "", "single ", " s ingle", "Mfj\t"]
    names = np.array([spellings[k] for k in rng.integers(0, len(spellings), int(rng.integers(1, 9)))])

    def read(few: int) -> tuple[str, object]:
        try:
            with pytest.MonkeyPatch.context() as m:
                m.setattr(module, "FEW_NAMES", few)
                return "codes", module.status_codes(names).tolist()
        except InputError as err:
            return "error", (err.field, err.value, err.row)

    assert read(len(names)) == read(0)
    assert read(len(names))[0] == ("codes" if all(n.strip().lower() in module.STATUS_CODE for n in names) else "error")
