"""Batch files of households (``tax --batch``, ``room --batch``): read by columns, checked by columns.

A batch file is CSV or Parquet (by its suffix, ``.parquet``). CSV is parsed by pyarrow straight into
text columns (the cells, stripped), Parquet into its own typed columns; every check runs on whole
columns with NumPy and names the first bad cell by its row (1 = the first household after the header),
its column, its value and what is allowed, as the one-household path does. A CSV that pyarrow's
parser does not take as it is (a ragged row, bytes that are not UTF-8, a quoted header) is read again
with the csv module, which names the line and the problem.

The result (:class:`BatchResult`) is columns too: the input's columns as read, then the outputs, which
become CSV bytes (amounts to the cent, flags as true/false), written a slice of rows at a time by one pass
over the columns (:mod:`isoplan.app.batch_csv`), or Parquet values.
pyarrow is imported inside the functions: the command line's parser and one household never load it.
While a large file is read, the machine code the command runs next loads in a background thread
(:mod:`isoplan.app.batch_preload`).
"""

from __future__ import annotations

import csv
import functools
import io
import os
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from isoplan.app.batch_cents import cents_text, cents_values, whole_cents
from isoplan.app.common import MAX_MONEY, InputError
from isoplan.app.household import Names, number

if TYPE_CHECKING:
    import numpy as np

    from isoplan.tax.households import Households

__all__ = ["MAX_BATCH_BYTES", "MAX_BATCH_ROWS", "BatchFile", "BatchResult", "OutputColumn", "batch_households",
           "is_parquet", "kept_columns", "parquet_options", "read_batch", "state_amounts"]

#: Largest batch file read (200 MB): a million households' rows of about 200 characters, read whole
#: (as columns) before any is computed.
MAX_BATCH_BYTES = 200_000_000
#: Most households in one batch file.
MAX_BATCH_ROWS = 1_000_000
#: Rows turned into output text at a time: bounds the memory of the text, not the result.
TEXT_SLICE_ROWS = 131_072
#: Rows from which a batch file's columns are checked several at a time (:func:`_checked_columns`).
THREADED_CHECK_ROWS = 65_536
#: Rows of CSV written at a time: bounds the memory of the bytes in flight (:data:`CSV_WORKERS` slices and more).
CSV_SLICE_ROWS = 65_536
#: Slices of a CSV result rendered at once (in threads: the row writer, pyarrow and NumPy release the GIL).
CSV_WORKERS = 2

#: The characters Python's ``str.strip()`` removes (``str.isspace``): CSV cells are stripped of exactly these.
PY_WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                 "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def is_parquet(path: str) -> bool:
    """Whether a batch file (in or out) is Parquet: its name ends in ``.parquet``; otherwise CSV."""
    return Path(path).suffix.lower() == ".parquet"


@dataclass(frozen=True)
class BatchFile:
    """A batch file as read: its columns in order (pyarrow arrays, all ``length`` long).

    From CSV every column is text (each cell stripped, blank lines left out: ``stripped``); from Parquet the
    file's own types, nulls meaning blank cells."""

    path: str
    header: tuple[str, ...]
    columns: Mapping[str, Any]
    length: int
    #: Every column is text without nulls, each cell stripped as read (CSV): checks need not look for whitespace.
    stripped: bool = False

    def __len__(self) -> int:
        return self.length


# ---------------------------------------------------------------- reading


def read_batch(path: str, names: Names) -> BatchFile:
    """The batch file at ``path`` (Parquet by its suffix, else CSV); an unreadable one is named as the
    caller names the ``batch`` input."""
    return _read_parquet(path, names) if is_parquet(path) else _read_csv(path, names)


def _read_bytes(path: str, names: Names, kind: str, *, read: bool = True) -> bytes:
    """The file's bytes, checked against :data:`MAX_BATCH_BYTES`; unless ``read``, only the checks (a regular file's
    size is then its length: nothing read, for a reader that opens the file itself)."""
    try:
        with open(path, "rb") as handle:
            if read or not stat.S_ISREG((status := os.fstat(handle.fileno())).st_mode):
                raw = handle.read(MAX_BATCH_BYTES + 1)
                length = len(raw)
            else:
                raw, length = b"", status.st_size
    except OSError as err:
        raise InputError(names("batch"), path, f"a readable {kind} file ({err.strerror})") from None
    if length > MAX_BATCH_BYTES:
        raise InputError(names("batch"), path, f"a {kind} file of at most {MAX_BATCH_BYTES:,} bytes")
    return raw


def _check_header(header: Sequence[str], path: str) -> None:
    """Each column named, once."""
    seen: set[str] = set()
    for column, name in enumerate(header, start=1):
        if name in seen:
            raise InputError(f"column {column} {name!r}", name, "each column once (it is named twice)", source=path)
        if not name:
            raise InputError(f"column {column}", name, "a column name in the header", source=path)
        seen.add(name)


def _check_rows(length: int, path: str) -> None:
    if length > MAX_BATCH_ROWS:
        raise InputError("rows", length, f"at most {MAX_BATCH_ROWS:,} households", source=path)


def _read_csv(path: str, names: Names) -> BatchFile:
    import pyarrow as pa  # type: ignore[import-untyped]

    raw = _read_bytes(path, names, "CSV")
    fast = _arrow_csv(raw, path)
    pa.default_memory_pool().release_unused()  # the parser's blocks, now copied into whole columns
    return fast if fast is not None else _python_csv(raw, path)


def _arrow_csv(raw: bytes, path: str) -> BatchFile | None:
    """The CSV parsed by pyarrow into text columns; None when pyarrow does not take it as it is (then the
    csv module reads it and names what is wrong)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv  # type: ignore[import-untyped]

    skip = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    end = raw.find(b"\n", skip)
    first = raw[skip:] if end < 0 else raw[skip:end]
    if not first.strip() or first.count(b'"') % 2:  # an open quote: the header goes on past the line
        return None
    try:
        header = tuple(h.strip() for h in next(csv.reader([first.decode("utf-8").rstrip("\r")])))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return None
    _check_header(header, path)
    start = len(raw) if end < 0 else end + 1
    rest = memoryview(raw)[start:]  # the rows, not copied
    keys = [f"c{i}" for i in range(len(header))]
    if rest:
        ascii_rows = raw.isascii()  # the header too: a scan without a copy
        try:
            table = pacsv.read_csv(
                pa.py_buffer(rest),
                read_options=pacsv.ReadOptions(column_names=keys, block_size=1 << 24),
                parse_options=pacsv.ParseOptions(newlines_in_values=raw.find(b'"', start) >= 0),
                convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(keys, pa.string()),
                                                     strings_can_be_null=False, quoted_strings_can_be_null=False,
                                                     check_utf8=not ascii_rows),  # ASCII is UTF-8
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        cells = []
        for k in keys:  # one column at a time, each block freed once copied
            column = table.column(k).combine_chunks()
            cells.append(_stripped(column) if _cells_may_need_strip(column, ascii_only=ascii_rows) else column)
            table = table.drop_columns([k])
    else:
        cells = [pa.array([], pa.string()) for _ in keys]
    length = len(cells[0])
    first_lengths = _text_lengths(cells[0]) if length else None
    if first_lengths is not None and not first_lengths.all():  # else no line is blank: the other columns unread
        filled = first_lengths.astype(np.int64)
        for c in cells[1:]:  # added up a column at a time: no array of every column's lengths at once
            filled += _text_lengths(c)
        if not filled.all():  # a line of empty cells is a blank line
            kept = pa.array(filled != 0)
            cells = [c.filter(kept) for c in cells]
            length = len(cells[0])
    _check_rows(length, path)
    return BatchFile(path, header, dict(zip(header, cells, strict=True)), length, stripped=True)


def _stripped(column: Any) -> Any:
    """A text column's cells stripped as :func:`str.strip` strips them (imports pyarrow.compute: a tenth of a second,
    holding the GIL, which a file without whitespace to strip and with statuses :func:`_status_codes` numbers itself
    never spends)."""
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    return pc.utf8_trim(column, characters=PY_WHITESPACE)


def _cells_may_need_strip(column: Any, *, ascii_only: bool = False) -> bool:
    """Whether any cell of a text column might have whitespace to strip: it holds a byte of ASCII whitespace (each at
    most a space) or one outside ASCII (Unicode spaces such as U+00A0; none in text known to be ``ascii_only``). A
    pass or two over the cells' bytes at memory speed (a quote or line end the parser kept inside a cell counts only
    when it is whitespace)."""
    data = _cell_data(column)[0]
    return bool(data.size) and bool(data.min() <= _LAST_ASCII_SPACE or (not ascii_only and data.max() > _LAST_ASCII))


#: The largest byte of ASCII whitespace :func:`str.strip` removes (a space), and the largest ASCII byte.
_LAST_ASCII_SPACE, _LAST_ASCII = 0x20, 0x7F


def _text_lengths(column: Any) -> np.ndarray:
    """The byte length of each cell of a text column (nulls 0), from its offsets: no copy of the text."""
    import numpy as np
    import pyarrow as pa

    offsets = np.frombuffer(column.buffers()[1], dtype=np.int64 if pa.types.is_large_string(column.type)
                            else np.int32)[column.offset:column.offset + len(column) + 1]
    return np.diff(offsets)


def _python_csv(raw: bytes, path: str) -> BatchFile:
    """The CSV read with the csv module, line by line: the one that names a ragged row or bad byte."""
    import pyarrow as pa

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise InputError("encoding", f"byte 0x{raw[err.start]:02x}", "UTF-8 text", row=line - 1 if line > 1 else None,
                         source=path) from None
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as err:
        raise InputError("csv", str(err), "a CSV file (RFC 4180)", source=path) from None
    if not lines:
        raise InputError("header", "", "a header row naming the columns", source=path)
    header = tuple(h.strip() for h in lines[0])
    _check_header(header, path)
    rows = []
    for number_, cells in enumerate(lines[1:], start=1):
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) != len(header):
            raise InputError("cells", len(cells), f"{len(header)} cells, one per column of the header",
                             row=number_, source=path)
        rows.append([cell.strip() for cell in cells])
    _check_rows(len(rows), path)
    columns = {name: pa.array([row[j] for row in rows], pa.string()) for j, name in enumerate(header)}
    return BatchFile(path, header, columns, len(rows), stripped=True)


def _read_parquet(path: str, names: Names) -> BatchFile:
    import pyarrow as pa
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    _read_bytes(path, names, "Parquet", read=False)  # the size bound, and a readable file
    try:
        source = pq.ParquetFile(path)
        _check_rows(source.metadata.num_rows, path)
        table = source.read()
    except (pa.ArrowException, OSError) as err:
        raise InputError(names("batch"), path, f"a readable Parquet file ({err})") from None
    header = tuple(table.column_names)
    _check_header(header, path)
    columns = {name: table.column(j).combine_chunks() for j, name in enumerate(header)}
    return BatchFile(path, header, columns, table.num_rows)


# ---------------------------------------------------------------- compiled code, loaded while the file is read

#: Threads loading compiled code (:func:`isoplan.app.batch_preload.preload_compiled`), until a batch's households
#: are checked.
preloading: list[Any] = []


def _await_preload() -> None:
    """Wait for the compiled code loading in the background, if any."""
    while preloading:
        preloading.pop().join()


# ---------------------------------------------------------------- checking, column by column


def kept_columns(table: BatchFile, keep: Sequence[str], names: Names, *, reserved: Sequence[str]) -> tuple[str, ...]:
    """The ``--keep`` columns: each a column of the file that can be written as text, none an input the
    command reads or an output it adds (``reserved``)."""
    import pyarrow as pa

    flag = names("keep")
    kept = tuple(dict.fromkeys(name.strip() for name in keep))
    for name in kept:
        if name in reserved:
            raise InputError(flag, name, "a column the command does not read or add (inputs and outputs are "
                             "in the output already)")
        if name not in table.header:
            raise InputError(flag, name, f"a column of {table.path} (its columns: {', '.join(table.header)})")
        column = table.columns[name]
        if _is_text(column):
            continue  # written as it is
        try:
            column.slice(0, 1).cast(pa.string())
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
            raise InputError(flag, name, f"a column of text, numbers, dates or true/false (it holds {column.type})",
                             source=table.path) from None
    return kept


def _text(column: Any, stripped: bool = False) -> Any:
    """A text column's cells, nulls blank and stripped as CSV cells are (``stripped``: they are, as read)."""
    if stripped:
        return column
    if not column.null_count and not _cells_may_need_strip(column):
        return column  # nothing to strip (CSV cells are stripped as read)
    return _stripped(column.fill_null(""))


def _is_text(column: Any) -> bool:
    """Whether a column (or a schema's field) holds text."""
    import pyarrow as pa

    return bool(pa.types.is_string(column.type) or pa.types.is_large_string(column.type))


def _first(mask: np.ndarray) -> int:
    import numpy as np

    return int(np.flatnonzero(mask)[0])


def _numbers(column: Any, name: str, path: str, stripped: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """A column's numbers (blank cells 0) and where it is blank; a cell that is not a finite number of at
    most :data:`MAX_MONEY` is refused naming its row, as :func:`isoplan.app.household.number` does
    (``stripped``: a text column's cells are stripped as read)."""
    import numpy as np
    import pyarrow as pa

    field_name, allowed = f"column {name}", "a number"
    if _is_text(column):
        text = _text(column, stripped)
        blank = _text_lengths(text) == 0
        values = _cast_numbers(text, blank)
        if values is None:  # text pyarrow does not read as a number: each cell as the one-household path reads it
            values = np.zeros(len(text))
            for i, cell in enumerate(text.to_pylist()):
                if cell:
                    try:
                        values[i] = number(field_name, cell, allowed)
                    except InputError as err:
                        raise err.at(row=i + 1, source=path) from None
        cells: Any = text
    else:
        blank = column.is_null().to_numpy(zero_copy_only=False)
        kind = column.type
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
                or pa.types.is_null(kind)):
            i = _first(~blank) if not blank.all() else 0
            raise InputError(field_name, column[i].as_py(), allowed, row=i + 1, source=path)
        values = np.asarray(column.fill_null(0).cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
        cells = column
    if values.size and values.min() >= -MAX_MONEY and values.max() <= MAX_MONEY:  # a NaN fails both: 2 passes
        return values, blank
    bad = ~np.isfinite(values) | (np.abs(values) > MAX_MONEY)
    if bad.any():
        i = _first(bad)
        cell = cells[i].as_py()
        try:
            number(field_name, cell, allowed)
        except InputError as err:
            raise err.at(row=i + 1, source=path) from None
    return values, blank


def _cast_numbers(text: Any, blank: np.ndarray) -> np.ndarray | None:
    """Text cells as numbers through pyarrow ('1,234.50' and '$5' too), blanks 0; None when a cell is no
    number pyarrow reads. A large column of whole numbers in digits, once compiled code is loaded, in one compiled
    pass instead (:func:`isoplan.app.batch_csv.digit_numbers`: the same floats)."""
    import numpy as np

    if _digits_at_once(len(text)):
        from isoplan.app.batch_csv import digit_numbers

        digits = digit_numbers(*_stored_cells(text))
        if digits is not None:
            return digits
    import pyarrow as pa
    import pyarrow.compute as pc

    filled = pc.if_else(pa.array(blank), "0", text) if blank.any() else text
    try:
        return np.asarray(pc.cast(filled, pa.float64()).to_numpy(), dtype=np.float64)
    except pa.ArrowInvalid:
        pass
    for mark in (",", "$", "_"):
        filled = pc.replace_substring(filled, mark, "")
    try:
        return np.asarray(pc.cast(pc.utf8_trim(filled, characters=PY_WHITESPACE), pa.float64()).to_numpy(),
                          dtype=np.float64)
    except pa.ArrowInvalid:
        return None


def _digits_at_once(rows: int) -> bool:
    """Whether a text column of ``rows`` cells is read by the compiled pass of digits (or of labels, numbered): a large
    column, while compiled code runs in this process and those passes are loaded, or nothing loads in the background
    (they are then loaded here, tens of milliseconds), not waiting on the loading of numba meanwhile: pyarrow's cast
    (or dictionary encoding) does the work then."""
    from isoplan.tax.compiled import INTERPRETED_ROWS, compiled_loaded

    if rows <= INTERPRETED_ROWS or not compiled_loaded():
        return False
    from isoplan.app.batch_csv import digits_loaded

    return digits_loaded() or not any(thread.is_alive() for thread in preloading)


def _status_codes(column: Any, path: str, stripped: bool = False) -> np.ndarray:
    """Filing statuses as the engine's codes: each distinct text checked once, the first bad one named at
    its first row."""
    import numpy as np

    from isoplan.tax.households import status_codes

    if not _is_text(column):
        return np.asarray(column.to_numpy(zero_copy_only=False))
    text = _text(column, stripped)
    numbered = None
    if _digits_at_once(len(text)):
        from isoplan.app.batch_csv import cell_ids

        numbered = cell_ids(*_stored_cells(text))
    if numbered is not None:  # the cells numbered as pyarrow's dictionary encoding numbers them, the same distinct
        indices, firsts = numbered
        distinct = np.asarray([text[int(i)].as_py() for i in firsts], dtype=object).astype(str)
    else:
        import pyarrow.compute as pc

        encoded = pc.dictionary_encode(text)
        indices = np.asarray(encoded.indices.to_numpy(zero_copy_only=False))
        distinct = np.asarray(encoded.dictionary.to_pylist(), dtype=object).astype(str)
    try:
        codes = status_codes(distinct)
    except InputError as err:
        row = _first(indices == (err.row or 0))
        raise InputError("column filing_status", err.value, err.allowed, row=row + 1, source=path) from None
    return np.asarray(codes[indices])


def batch_households(table: BatchFile, *, skip: Sequence[str] = ()) -> Households:
    """The households of a batch file (columns in ``skip`` left out), naming the row and column of a bad cell.

    A blank cell is 0, except in the AMT-basis Schedule D columns, where it is the row's regular amount
    (:data:`isoplan.tax.fields.AMT_BASIS_DEFAULTS`), and in ``amt_disposition_adjustment``, where it is no
    input: that row's Form 6251 line 2k is derived from its two Schedule Ds.
    """
    import numpy as np
    import pyarrow as pa

    from isoplan.tax.fields import AMT_BASIS_DEFAULTS
    from isoplan.tax.households import INPUT_NAMES

    path = table.path
    header = [name for name in table.header if name not in skip]
    for name in header:
        if name not in INPUT_NAMES:
            raise InputError(f"column {name!r}", name, "one of " + ", ".join(INPUT_NAMES), source=path)
    for required in ("year", "filing_status"):
        if required not in header:
            raise InputError("header", ",".join(header), f"a '{required}' column", source=path)
    if not len(table):
        raise InputError("rows", 0, "at least one household after the header", source=path)
    columns: dict[str, Any] = {}
    blanks: dict[str, np.ndarray] = {}
    for name, checked in zip(header, _checked_columns(table, header), strict=True):
        if name == "filing_status":
            columns[name] = checked
        else:
            columns[name], blanks[name] = checked
    for name in header:
        if name not in AMT_BASIS_DEFAULTS and name != "amt_disposition_adjustment":
            continue
        blank = blanks[name]
        if blank.all():
            del columns[name]  # a blank column is no input: the engine derives it
        elif name in AMT_BASIS_DEFAULTS and blank.any():
            regular = columns.get(AMT_BASIS_DEFAULTS[name])
            columns[name] = np.where(blank, 0.0 if regular is None else regular, columns[name])
    try:
        households_ = _households(columns, blanks)
    except InputError as err:
        row = (err.row or 0) + 1  # 1 = the first household after the header
        raise InputError(f"column {err.field}", err.value, err.allowed, row=row, source=path) from None
    finally:
        columns.clear()
        pa.default_memory_pool().release_unused()  # the parsed columns, now copied into the households
    _await_preload()  # the engine runs next, on the code loaded meanwhile
    return households_


def _checked_columns(table: BatchFile, header: Sequence[str]) -> Iterator[Any]:
    """Each column of ``header`` checked, in order: statuses as the engine's codes, others as numbers and where blank.
    From :data:`THREADED_CHECK_ROWS` rows, :data:`CSV_WORKERS` columns at a time (pyarrow's casts and NumPy release
    the GIL), handed on in order: the bad cell named is the one a check a column at a time names first."""
    from concurrent.futures import ThreadPoolExecutor

    def check(name: str) -> Any:
        if name == "filing_status":
            return _status_codes(table.columns[name], table.path, table.stripped)
        return _numbers(table.columns[name], name, table.path, table.stripped)

    if len(table) < THREADED_CHECK_ROWS:
        yield from map(check, header)
        return
    pool = ThreadPoolExecutor(max_workers=CSV_WORKERS)
    try:
        for future in [pool.submit(check, name) for name in header]:
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # after a bad cell, the columns not begun are not checked


def _households(columns: dict[str, Any], blanks: dict[str, np.ndarray]) -> Households:
    """The engine's households of the parsed columns; a blank line 2k cell derived from its row's two Schedule Ds."""
    import numpy as np

    from isoplan.tax.households import households

    line2k_blank = blanks.get("amt_disposition_adjustment")
    if "amt_disposition_adjustment" in columns and line2k_blank is not None and line2k_blank.any():
        derived = households(**{k: v for k, v in columns.items() if k != "amt_disposition_adjustment"})
        columns["amt_disposition_adjustment"] = np.where(line2k_blank, derived.amt_disposition_adjustment,
                                                         columns["amt_disposition_adjustment"])
    return households(**columns)


def state_amounts(table: BatchFile, name: str) -> np.ndarray:
    """A state input column (``property_tax``, ...) as numbers: blank 0, commas ignored."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    column = table.columns.get(name)
    if column is None:
        return np.zeros(len(table))
    if not _is_text(column):
        return np.asarray(pc.cast(column.fill_null(0), pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    text = pc.replace_substring(_text(column, table.stripped), ",", "")
    try:
        return np.asarray(pc.cast(pc.if_else(pc.equal(text, ""), "0", text), pa.float64()).to_numpy(),
                          dtype=np.float64)
    except pa.ArrowInvalid:
        pass
    values = np.zeros(len(text))
    for i, cell in enumerate(text.to_pylist()):
        try:
            values[i] = float(cell or "0")
        except ValueError:
            raise InputError(f"column {name}", table.columns[name][i].as_py().strip(), "a number", row=i + 1,
                             source=table.path) from None
    return values


def state_codes(table: BatchFile, default: str | None) -> np.ndarray:
    """Each row's state: its ``state`` cell, or ``default`` where blank (None: federal only), checked
    once per distinct cell, the first bad one named at its first row."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from isoplan.app.common import state_code

    column = table.columns.get("state")
    if column is None:
        column = pa.nulls(len(table), pa.string())
    encoded = pc.dictionary_encode(_text(column.cast(pa.string()), table.stripped and "state" in table.columns))
    indices = np.asarray(encoded.indices.to_numpy(zero_copy_only=False))
    codes = []
    for j, cell in enumerate(encoded.dictionary.to_pylist()):
        try:
            codes.append(state_code("column state", cell or default) or "")
        except InputError as err:
            raise err.at(row=_first(indices == j) + 1, source=table.path) from None
    return np.asarray(codes, dtype=object)[indices] if codes else np.full(len(table), "", dtype=object)


# ---------------------------------------------------------------- the result


Kind = Literal["input", "amount", "flag", "whole", "label"]


@dataclass(frozen=True)
class OutputColumn:
    """One column of a batch result.

    ``kind``: ``input`` (the file's column as read, passed through), ``amount`` (dollars, to the cent),
    ``flag`` (true/false), ``whole`` (a whole number; NaN: no value), ``label`` (text). ``shown``: the rows
    with a value (None: every row); the others are blank (null in Parquet)."""

    name: str
    kind: Kind
    values: Any  # a NumPy array, or the input's pyarrow array
    shown: np.ndarray | None = None


@dataclass(frozen=True)
class BatchResult:
    """A batch result: the input columns, then the outputs, one row per household; notes for the user."""

    columns: tuple[OutputColumn, ...]
    length: int
    notes: tuple[str, ...] = ()
    header: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "header", tuple(c.name for c in self.columns))

    def __len__(self) -> int:
        return self.length

    @property
    def rows(self) -> tuple[tuple[str, ...], ...]:
        """Every row as its CSV cells (for small results: a batch file is written by :meth:`text_parts`)."""
        cells = [_column_text(c, 0, self.length).to_pylist() for c in self.columns]
        return tuple(zip(*cells, strict=True)) if cells else ()

    def text_parts(self) -> list[Callable[[], list[Any]]]:
        """The CSV cells, a slice of rows at a time: each part gives one pyarrow text array per column."""
        return [functools.partial(self.text, start, min(start + TEXT_SLICE_ROWS, self.length))
                for start in range(0, self.length, TEXT_SLICE_ROWS)]

    def text(self, start: int, stop: int) -> list[Any]:
        """The CSV cells of rows ``start:stop``: one pyarrow text array per column."""
        return [_column_text(c, start, stop) for c in self.columns]

    def csv_chunks(self, *, recycle: bool = False) -> Iterator[bytes | memoryview]:
        """The CSV file's bytes in order: the header as :func:`csv.writer` writes it, then the rows a slice at a time
        (the bytes of :meth:`text_parts`), :data:`CSV_WORKERS` slices rendered at once while earlier ones are handed
        on. ``recycle``: the caller is done with a chunk when it asks for the next, whose memory then holds a later
        slice (touched once, not taken afresh from the system, which zeroes each new page first)."""
        from concurrent.futures import Future, ThreadPoolExecutor

        from isoplan.app.batch_csv import row_buffers
        from isoplan.files import csv_header

        yield csv_header(self.header)
        starts = range(0, self.length, CSV_SLICE_ROWS)
        plain = self._plain_columns()
        if len(starts) == 1:
            yield self.csv_rows(0, self.length, plain)
            return
        spare: list[Any] = []  # the row loop's buffers of chunks handed on (recycle)
        with ThreadPoolExecutor(max_workers=CSV_WORKERS) as pool:
            pending: list[Future[memoryview]] = []
            for start in starts:
                pending.append(pool.submit(self.csv_rows, start, min(start + CSV_SLICE_ROWS, self.length), plain,
                                           spare.pop() if spare else None))
                if len(pending) > CSV_WORKERS:
                    yield (chunk := pending.pop(0).result())
                    spare.extend(row_buffers(chunk) if recycle else ())
            for future in pending:
                yield future.result()

    def _plain_columns(self) -> tuple[bool, ...]:
        """Per column, whether it is text none of whose cells :func:`csv.writer` quotes: one look at each whole
        column of the file, not one per slice."""
        return tuple(c.kind == "input" and _is_text(c.values) and not c.values.null_count
                     and not _has_special(c.values) for c in self.columns)

    def csv_rows(self, start: int, stop: int, plain: Sequence[bool] = (), out: Any = None) -> memoryview:
        """The CSV bytes of rows ``start:stop``, each line ended by CRLF (``plain``: the columns known to need no
        quoting, :meth:`_plain_columns`; ``out``: a buffer for the row loop to write them into, if large enough)."""
        from isoplan.app.batch_csv import column_wise

        rows = stop - start
        if column_wise(rows, len(self.columns)):  # no compiled code to load: pyarrow's column-wise text, same bytes
            from isoplan.files import csv_text_rows

            return csv_text_rows(self.text(start, stop))
        written = self._rendered(start, stop, plain, out, classify_amounts=False)
        if written is None:  # an amount the row loop does not write itself: each amount column looked at first
            written = self._rendered(start, stop, plain, out, classify_amounts=True)
        assert written is not None  # every amount left to the loop is one it writes
        return written

    def _rendered(self, start: int, stop: int, plain: Sequence[bool], out: Any, *,
                  classify_amounts: bool) -> memoryview | None:
        """Rows ``start:stop`` by the row loop; None when an amount column holds a cell the loop does not write
        itself, unless ``classify_amounts``: then such a column is written as whole cents, or as text."""
        import numpy as np

        from isoplan.app.batch_csv import AMOUNT, render_rows

        rows = stop - start
        order = np.empty(len(self.columns), dtype=np.int64)
        texts: list[Any] = []
        numbers: list[tuple[int, np.ndarray, np.ndarray]] = []
        for j, column in enumerate(self.columns):
            number_ = _column_number(column, start, stop, classify_amounts=classify_amounts)
            if number_ is None:
                order[j] = len(texts)
                cells = _column_text(column, start, stop)
                texts.append(cells if j < len(plain) and plain[j] else
                             _quoted(cells.fill_null("") if cells.null_count else cells))
            else:
                order[j] = -1 - len(numbers)
                numbers.append(number_)
        kinds = np.array([kind for kind, _, _ in numbers], dtype=np.int64)
        amounts = kinds == AMOUNT
        slots = np.where(amounts, np.cumsum(amounts) - 1, np.cumsum(~amounts) - 1).astype(np.int64)
        floats = np.empty((rows, int(amounts.sum())), dtype=np.float64)  # a row after another, as the writer reads
        wholes = np.empty((rows, len(numbers) - floats.shape[1]), dtype=np.int64)
        shown = np.empty((rows, len(numbers)), dtype=np.bool_)
        for k, (kind, values, show) in enumerate(numbers):
            (floats if kind == AMOUNT else wholes)[:, slots[k]] = values
            shown[:, k] = show
        text, cell_starts = _text_cells(texts, rows)
        return render_rows(order, text, cell_starts, floats, wholes, kinds, slots, shown, rows, out)

    def arrow_table(self) -> Any:
        """The result as a pyarrow table (Parquet): inputs as read, amounts as float64 to the cent, flags
        as booleans, whole numbers as int64, a row without a value null. A large result's columns are built
        :data:`CSV_WORKERS` at a time (NumPy and pyarrow release the GIL on whole columns)."""
        import pyarrow as pa

        if self.length < CSV_SLICE_ROWS:
            return pa.table([_column_arrow(c) for c in self.columns], names=list(self.header))
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=CSV_WORKERS) as pool:
            return pa.table(list(pool.map(_column_arrow, self.columns)), names=list(self.header))


def parquet_options(table: Any) -> dict[str, Any]:
    """How a batch result is written to Parquet (:func:`pyarrow.parquet.write_table`): dictionary pages only for the
    text columns. Amounts and counts are mostly distinct, so a dictionary of them is built only to be dropped; the
    columns read back the same either way (the file is some 8% larger, written in about half the time)."""
    return {"use_dictionary": [f.name for f in table.schema if _is_text(f)]}


def _column_text(column: OutputColumn, start: int, stop: int) -> Any:
    import numpy as np
    import pyarrow as pa

    if column.kind == "input":
        values = column.values.slice(start, stop - start)
        return values if _is_text(values) else values.cast(pa.string()).fill_null("")
    import pyarrow.compute as pc

    part = column.values[start:stop]
    if column.kind == "amount":
        text = cents_text(np.asarray(part, dtype=np.float64))
    elif column.kind == "flag":
        text = pc.if_else(pa.array(np.asarray(part, dtype=bool)), "true", "false")
    elif column.kind == "whole":
        given = ~np.isnan(part) if part.dtype.kind == "f" else np.ones(len(part), dtype=bool)
        whole = pa.array(np.trunc(np.where(given, part, 0)).astype(np.int64)).cast(pa.string())
        text = whole if given.all() else pc.if_else(pa.array(given), whole, "")
    else:
        text = pa.array(np.asarray(part, dtype=str).tolist(), pa.string())
    if column.shown is not None:
        text = pc.if_else(pa.array(column.shown[start:stop]), text, "")
    return text


def _column_number(column: OutputColumn, start: int, stop: int, *,
                   classify_amounts: bool = True) -> tuple[int, np.ndarray, np.ndarray] | None:
    """A number column's rows ``start:stop`` as the row writer takes them (:mod:`isoplan.app.batch_csv`): its
    kind, values and which are shown; None for a column written as text (the file's own, labels, and amounts
    with a cell Python writes itself, such as -0.00). Unless ``classify_amounts``, amounts are handed to the loop
    as they are, unlooked at (it stops at one it does not write itself)."""
    import numpy as np

    from isoplan.app.batch_csv import AMOUNT, CENTS, FLAG, WHOLE, plain_amounts

    if column.kind in ("input", "label"):
        return None
    part = np.asarray(column.values[start:stop])
    shown = np.ones(stop - start, dtype=np.bool_) if column.shown is None else np.asarray(column.shown[start:stop])
    if column.kind == "amount":
        amounts = np.asarray(part, dtype=np.float64)
        if not classify_amounts:
            return AMOUNT, amounts, shown
        if column.shown is not None:
            amounts = np.where(shown, amounts, 0.0)  # a cell not shown is not written
        if plain_amounts(amounts):
            return AMOUNT, amounts, shown
        cents, python = whole_cents(amounts)
        return None if python.any() else (CENTS, cents, shown)
    if column.kind == "flag":
        return FLAG, np.asarray(part, dtype=bool).astype(np.int64), shown
    if part.dtype.kind == "f":
        given = ~np.isnan(part)
        return WHOLE, np.trunc(np.where(given, part, 0)).astype(np.int64), shown & given
    return WHOLE, part.astype(np.int64), shown


def _quoted(column: Any) -> Any:
    """A text column's cells as :func:`csv.writer` writes them: one holding a comma, quote, CR or LF quoted, its
    quotes doubled."""
    import pyarrow.compute as pc

    if not _has_special(column):
        return column
    special = pc.match_substring_regex(column, '[,"\r\n]')
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(column, '"', '""'), '"', "")
    return pc.if_else(special, quoted, column)


#: The bytes that make :func:`csv.writer` quote a cell.
_SPECIAL = b',"\r\n'


def _has_special(column: Any) -> bool:
    """Whether any cell of a text column holds a byte that needs quoting: one look at the whole text (its smallest
    byte, without a copy: ids, numbers and names have none at or below a comma, the largest such byte)."""
    data = _cell_data(column)[0]
    if not data.size or data.min() > max(_SPECIAL):
        return False
    text = data.tobytes()  # a copy, then searched at memory speed, a byte at a time
    return any(text.find(_SPECIAL[i:i + 1]) >= 0 for i in range(len(_SPECIAL)))


def _cell_data(column: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """A text column's bytes (every cell's, in order), its offsets as stored (32 or 64 bits; one more than its cells:
    the end) and the first of them, where the bytes start."""
    data, offsets = _stored_cells(column)
    first = int(offsets[0]) if len(offsets) else 0
    return data[first:int(offsets[-1]) if len(offsets) else 0], offsets, first


def _stored_cells(column: Any) -> tuple[np.ndarray, np.ndarray]:
    """A text column's data buffer whole and its offsets as stored (32 or 64 bits), one more than its cells: cell
    ``i`` is ``data[offsets[i]:offsets[i + 1]]``. No copy."""
    import numpy as np
    import pyarrow as pa

    buffers = column.buffers()
    wide = pa.types.is_large_string(column.type)
    offsets = np.frombuffer(buffers[1], dtype=np.int64 if wide else np.int32)[column.offset:column.offset
                                                                                 + len(column) + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.empty(0, dtype=np.uint8)
    return data, offsets


def _text_cells(columns: Sequence[Any], rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The bytes of text columns end to end and where each cell starts in them: ``starts[i, t]`` for row ``i`` of
    column ``t`` (``rows + 1`` rows: the last is where each column ends)."""
    import numpy as np

    by_column = np.empty((len(columns), rows + 1), dtype=np.int64)
    parts = []
    base = 0
    for t, column in enumerate(columns):
        data, offsets, first = _cell_data(column)
        np.subtract(offsets, first - base, out=by_column[t])  # the stored offsets, moved: one pass, no copy
        parts.append(data)
        base += len(data)
    # laid out a row after another by one copy: half the time of storing each column a row's width apart
    return (np.concatenate(parts) if parts else np.empty(0, dtype=np.uint8)), np.ascontiguousarray(by_column.T)


def _column_arrow(column: OutputColumn) -> Any:
    import numpy as np
    import pyarrow as pa

    if column.kind == "input":
        return column.values
    values = np.asarray(column.values)
    missing = None if column.shown is None else ~column.shown
    if column.kind == "amount":
        amounts = np.asarray(values, dtype=np.float64)  # only read by cents_values: no copy
        return pa.array(cents_values(amounts), pa.float64(), mask=missing)
    if column.kind == "flag":
        return pa.array(values.astype(bool), pa.bool_(), mask=missing)
    if column.kind == "whole":
        if values.dtype.kind == "f":
            nan = np.isnan(values)
            missing = nan if missing is None else missing | nan
            values = np.trunc(np.where(nan, 0, values))
        return pa.array(values.astype(np.int64), pa.int64(), mask=missing)
    return pa.array(values.astype(str).tolist(), pa.string(), mask=missing)
