"""Batch file cells of whole numbers read in one compiled pass: the floats pyarrow's cast from text gives them, and
every other cell left to the cast and the one-household path, which name what is wrong as before."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from isoplan.app.batch import _cell_bytes, batch_households, read_batch
from isoplan.app.batch_csv import MOST_READ_DIGITS, digit_numbers
from isoplan.app.common import InputError
from isoplan.app.household import PLAIN_NAMES


def _read(cells: list[str]) -> np.ndarray | None:
    return digit_numbers(*_cell_bytes(pa.array(cells, pa.string())))


def _bits(values: list[float] | np.ndarray) -> list[int]:
    return np.asarray(values, dtype=np.float64).view(np.int64).tolist()


def test_digit_cells_are_the_floats_python_and_pyarrow_read():
    rng = np.random.default_rng(5)
    cells = ["0", "-0", "7", "-7", "007", "-007", "000000000000000", "999999999999999", "-999999999999999",
             "-000000000000000", "123456789012345", "1000000000000", "-1000000000000"]
    for digits in range(1, MOST_READ_DIGITS + 1):  # every length, random digits, leading zeros included
        for _ in range(20):
            text = "".join(str(d) for d in rng.integers(0, 10, digits))
            cells += [text, "-" + text]
    read = _read(cells)
    assert read is not None
    assert _bits(read) == _bits([float(c) for c in cells])  # -0 is -0.0, bit for bit
    assert _bits(read) == _bits(pc.cast(pa.array(cells), pa.float64()).to_numpy())


def test_blank_cells_are_zero():
    read = _read(["", "12", "", "-3", ""])
    assert read is not None and _bits(read) == _bits([0.0, 12.0, 0.0, -3.0, 0.0])


@pytest.mark.parametrize("cell", ["+5", "-", "--5", "1.5", "5.", "1e3", " 5", "5 ", "1,000", "$5", "nan", "inf",
                                  "0x10", "\u0665", "1" * (MOST_READ_DIGITS + 1), "-" + "1" * (MOST_READ_DIGITS + 1),
                                  "0" * (MOST_READ_DIGITS + 1), "5-", "/", ":"])
def test_other_cells_are_left_to_the_cast(cell):
    """A cell other than digits (a plus sign, a point, an exponent, a space, a byte just below or above the digits,
    a digit outside ASCII, more than fifteen digits) is not read here: wherever it stands in the column."""
    assert _read([cell]) is None
    assert _read(["12", "-4", cell]) is None
    assert _read([cell, "12", "-4"]) is None


def test_no_cells():
    read = _read([])
    assert read is not None and read.shape == (0,)


def _batch_file(tmp_path, rows: list[str]) -> str:
    path = tmp_path / "households.csv"
    path.write_text("year,filing_status,wages,short_term_gain,charitable\n" + "\n".join(rows) + "\n")
    return str(path)


@pytest.fixture
def compiled_reading(monkeypatch):
    """Large columns read by the compiled pass (True) or by pyarrow's cast (False)."""
    def choose(compiled: bool) -> None:
        monkeypatch.setattr("isoplan.app.batch._digits_at_once", lambda rows: compiled)

    return choose


def test_households_are_the_same_read_either_way(tmp_path, compiled_reading):
    rng = np.random.default_rng(11)
    rows = [f"{2025 + i % 2},{'single' if i % 3 else 'mfj'},{rng.integers(0, 10**6) if i % 5 else ''},"
            f"{rng.integers(-10**5, 10**5) if i % 4 else '-0'},{'' if i % 7 else rng.integers(0, 10**4)}"
            for i in range(300)]
    rows.append("2025,single,1234.5,-0.0,1e3")  # not all digits: those columns by the cast
    path = _batch_file(tmp_path, rows)
    read = {}
    for compiled in (False, True):
        compiled_reading(compiled)
        h = batch_households(read_batch(path, PLAIN_NAMES))
        read[compiled] = {name: _bits(getattr(h, name)) for name in ("year", "wages", "short_term_gain", "charitable")}
    assert read[True] == read[False]
    assert read[True]["wages"][-1] == _bits([1234.5])[0] and read[True]["charitable"][-1] == _bits([1000.0])[0]


@pytest.mark.parametrize("cell, message", [
    ("100000000000000", r"row 3, column wages: '?100000000000000'?"),  # digits, beyond the largest amount
    ("-2000000000000", r"row 3, column wages: '?-2000000000000'?"),
    ("12abc", r"row 3, column wages: '?12abc'?"),
])
def test_a_bad_cell_is_named_the_same_either_way(tmp_path, compiled_reading, cell, message):
    path = _batch_file(tmp_path, ["2025,single,5,0,0", "2025,mfj,-6,1,2", f"2026,single,{cell},3,4"])
    refusals = []
    for compiled in (False, True):
        compiled_reading(compiled)
        with pytest.raises(InputError, match=message) as refused:
            batch_households(read_batch(path, PLAIN_NAMES))
        refusals.append(str(refused.value))
    assert refusals[0] == refusals[1]
