"""Batch file cells of whole numbers read in one compiled pass: the floats pyarrow's cast from text gives them, and
every other cell left to the cast and the one-household path, which name what is wrong as before."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from isoplan.app.batch import _stored_cells, batch_households, read_batch
from isoplan.app.batch_csv import MOST_IDS, MOST_READ_DIGITS, cell_ids, digit_numbers
from isoplan.app.common import InputError
from isoplan.app.household import PLAIN_NAMES


def _read(cells: list[str]) -> np.ndarray | None:
    return digit_numbers(*_stored_cells(pa.array(cells, pa.string())))


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


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_cells_are_read_from_the_offsets_as_stored(kind):
    """A column's data buffer whole and its offsets as stored (32 bits, or 64 narrowed): a slice of a longer column,
    whose first cell starts past the buffer's start, reads its own cells and no other."""
    cells = ["12", "-0", "", "x", "345", "-6", "", "789012345678901", "7"]
    column = pa.array(cells, kind).slice(4, 4)  # "345" .. "789012345678901": the bad "x" before, "7" after
    data, offsets = _stored_cells(column)
    assert offsets.dtype == (np.int64 if kind == pa.large_string() else np.int32) and offsets[0] > 0
    read = digit_numbers(data, offsets)
    assert read is not None
    assert _bits(read) == _bits([345.0, -6.0, 0.0, 789012345678901.0])
    assert digit_numbers(*_stored_cells(pa.array(cells, kind).slice(2, 3))) is None  # "", "x", "345": the bad cell


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
    _refused_the_same_either_way(path, compiled_reading, message)


def _refused_the_same_either_way(path, compiled_reading, message):
    """The file is refused with ``message``, the same words read by the compiled passes and without them."""
    refusals = []
    for compiled in (False, True):
        compiled_reading(compiled)
        with pytest.raises(InputError, match=message) as refused:
            batch_households(read_batch(path, PLAIN_NAMES))
        refusals.append(str(refused.value))
    assert refusals[0] == refusals[1]


def _numbered(cells: list[str]) -> tuple[list[int], list[str]] | None:
    column = pa.array(cells, pa.string())
    numbered = cell_ids(*_stored_cells(column))
    if numbered is None:
        return None
    ids, firsts = numbered
    return ids.tolist(), [cells[i] for i in firsts.tolist()]


def test_labels_are_numbered_as_a_dictionary_encoding_numbers_them():
    rng = np.random.default_rng(3)
    labels = ["single", "mfj", "MFJ", "Mfj", "mfs", "hoh", "qss", "", "x", "12345678", "1234567", "mfj\x00", "é"]
    cells = [labels[k] for k in rng.integers(0, len(labels), 2000)]
    encoded = pc.dictionary_encode(pa.array(cells, pa.string()))
    assert _numbered(cells) == (encoded.indices.to_pylist(), encoded.dictionary.to_pylist())
    assert _numbered(["b", "a", "b", "", "a", "c"]) == ([0, 1, 0, 2, 1, 3], ["b", "a", "", "c"])  # first appearance


def test_labels_are_numbered_in_a_slice_of_a_column():
    column = pa.array(["x", "hoh", "single", "hoh", "y"], pa.string()).slice(1, 3)
    numbered = cell_ids(*_stored_cells(column))
    assert numbered is not None
    assert numbered[0].tolist() == [0, 1, 0] and numbered[1].tolist() == [0, 1]


def test_long_cells_and_many_labels_are_left_to_the_dictionary_encoding():
    assert _numbered(["single", "123456789"]) is None  # nine bytes: more than a word
    assert _numbered(["ab"] * 3 + ["é" * 5]) is None  # five characters, ten bytes
    many = [f"s{k}" for k in range(MOST_IDS)]
    assert _numbered(many + many) == (list(range(MOST_IDS)) * 2, many)
    assert _numbered([*many, "one more"]) is None


@pytest.mark.parametrize("cells, message", [
    (["single", "mfj", "bad", "worse", "bad"], r"row 3, column filing_status: '?bad'?"),
    (["single", "MFJ", "", "mfj"], r"row 3, column filing_status: '?'?"),
])
def test_a_bad_status_is_named_the_same_either_way(tmp_path, compiled_reading, cells, message):
    path = _batch_file(tmp_path, [f"2025,{cell},1,0,0" for cell in cells])
    _refused_the_same_either_way(path, compiled_reading, message)


def test_statuses_are_the_same_codes_either_way(tmp_path, compiled_reading):
    statuses = ["single", "mfj", "MFS", "Hoh", "qss"]
    path = _batch_file(tmp_path, [f"2025,{statuses[i * 7 % 5]},{i},0,0" for i in range(200)])
    codes = []
    for compiled in (False, True):
        compiled_reading(compiled)
        codes.append(batch_households(read_batch(path, PLAIN_NAMES)).filing_status.tolist())
    assert codes[0] == codes[1] == [[0, 1, 2, 3, 4][i * 7 % 5] for i in range(200)]


READ_WITHOUT_COMPUTE = """
import sys
from isoplan.app.batch import batch_households, kept_columns, read_batch
from isoplan.app.household import PLAIN_NAMES
from isoplan.tax import compiled
compiled.use_compiled()
table = read_batch(sys.argv[1], PLAIN_NAMES)
kept = kept_columns(table, ["client_id"], PLAIN_NAMES, reserved=())
batch_households(table, skip=kept)
print("pyarrow.compute" in sys.modules)
"""


def test_a_clean_csv_file_is_read_and_checked_without_pyarrow_compute(tmp_path):
    """Its import holds the GIL about a tenth of a second while the file is read: a file whose cells need no
    stripping, of whole numbers and a few statuses, read by the compiled passes, never imports it."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import isoplan

    path = tmp_path / "households.csv"
    path.write_text("client_id,year,filing_status,wages\n"
                    + "".join(f"C{i},2025,{['single', 'mfj'][i % 2]},{i * 100}\n" for i in range(2000)))
    src = str(Path(isoplan.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-c", READ_WITHOUT_COMPUTE, str(path)], capture_output=True, text=True,
                         env=env, check=True)
    assert run.stdout.split() == ["False"]
