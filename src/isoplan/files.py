"""Output files: checked before any work, written whole or not at all.

Every file isoplan writes (``--out``, ``--ics``, ``--csv``, the report, the
ledger export, the calendar, a ledger backup) goes through :func:`write_text`
or :func:`replace_with`: the text goes to a temporary file in the same folder,
is flushed to disk, and then takes the target's name with :func:`os.replace`,
so a reader sees the old file or the new one, never half of one, and an
interrupted run leaves the old file as it was. :func:`check_output` refuses,
before anything is computed, a path that names an input of the same command,
a folder, a missing folder or one that cannot be written, naming the flag.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from isoplan.errors import InputError

__all__ = ["check_output", "check_output_dir", "csv_header", "csv_text_rows", "replace_with", "same_file",
           "write_csv_columns", "write_parquet", "write_text"]


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file (through links, ``..`` and case-insensitive file systems)."""
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists():
            return os.path.samefile(pa, pb)
    except OSError:
        pass
    return pa.resolve() == pb.resolve()


def check_output(path: str | os.PathLike[str], field: str, *,
                 inputs: Iterable[str | os.PathLike[str] | None] = ()) -> Path:
    """``path`` as a file this command may write: not one of its ``inputs``, not a folder, in a folder
    that exists and can be written. Raises :class:`InputError` naming ``field``."""
    target = Path(path)
    if not str(path).strip():
        raise InputError(field, str(path), "a file name")
    for source in inputs:
        if source is not None and str(source) and same_file(target, source):
            raise InputError(field, str(path), f"a file other than the input {source} (it would be overwritten)")
    if target.is_dir():
        raise InputError(field, str(path), "a file name, not a folder")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(field, str(path), f"a file in a folder that exists (no folder {folder})")
    if not os.access(folder, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise InputError(field, str(path), "a file isoplan may write (permission denied)")
    return target


def check_output_dir(path: str | os.PathLike[str], field: str) -> Path:
    """A folder to write files into: an existing folder, or a new one whose parent exists."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise InputError(field, str(path), "a folder (this is a file)")
    parent = folder if folder.is_dir() else folder.parent if str(folder.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(field, str(path), f"a folder whose parent exists (no folder {parent})")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(field, str(path), "a folder isoplan may write (permission denied)")
    return folder


@contextlib.contextmanager
def replace_with(path: str | os.PathLike[str], field: str) -> Iterator[Path]:
    """A temporary path beside ``path``; when the block ends without error it replaces ``path`` whole.

    On an error the temporary file is removed and ``path`` is left as it was."""
    target = check_output(path, field)
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as err:
        raise InputError(field, str(path), f"a file isoplan may write ({err.strerror})") from None
    os.close(handle)
    temp_path = Path(temp)
    try:
        yield temp_path
        _sync(temp_path)
        os.chmod(temp_path, _file_mode(target))
        os.replace(temp_path, target)
    except OSError as err:
        raise InputError(field, str(path), f"a file isoplan may write ({err.strerror})") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp_path.unlink()


def write_text(path: str | os.PathLike[str], text: str, field: str, *, newline: str | None = None) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; errors name ``field``."""
    with replace_with(path, field) as temp, open(temp, "w", encoding="utf-8", newline=newline) as handle:
        handle.write(text)
    return Path(path)


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


#: Permissions of a new output file (the temporary file starts private; reading the umask is not thread-safe).
NEW_FILE_MODE = 0o644


def _file_mode(target: Path) -> int:
    """The target's permissions when it exists (a replaced file keeps them), else :data:`NEW_FILE_MODE`."""
    try:
        return target.stat().st_mode & 0o777
    except FileNotFoundError:
        return NEW_FILE_MODE


# ---------------------------------------------------------------- column files (batch results)


def csv_text_rows(columns: Sequence[Any]) -> memoryview:
    """Rows of CSV from text columns (pyarrow string arrays of one length), as :func:`csv.writer` writes them
    (a cell with a comma, quote, CR or LF quoted, its quotes doubled; lines ended by CRLF), column-wise."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    cells = []
    for column in columns:
        if _has_special(column):
            special = pc.match_substring_regex(column, '[,"\r\n]')
            quoted = pc.binary_join_element_wise('"', pc.replace_substring(column, '"', '""'), '"', "")
            column = pc.if_else(special, quoted, column)
        cells.append(column)
    lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*cells, ","), "\r\n", "")
    if lines.type != pa.string():
        lines = lines.cast(pa.string())
    offsets = memoryview(lines.buffers()[1]).cast("i")  # 32-bit offsets into the text
    return memoryview(lines.buffers()[2])[offsets[lines.offset]:offsets[lines.offset + len(lines)]]


#: The bytes that make :func:`csv.writer` quote a cell.
_SPECIAL = b',"\r\n'


def _has_special(column: Any) -> bool:
    """Whether any cell of a text column holds a byte that needs quoting: one look at the whole text."""
    import numpy as np

    data = column.buffers()[2]
    if data is None:
        return False
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)
    text = np.frombuffer(data, dtype=np.uint8)[offsets[column.offset]:offsets[column.offset + len(column)]]
    return bool(np.isin(text, np.frombuffer(_SPECIAL, dtype=np.uint8)).any())


def csv_header(header: Sequence[str]) -> bytes:
    """The header line as :func:`csv.writer` writes it."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerow(header)
    return buffer.getvalue().encode("utf-8")


#: Slices of a CSV file turned into text at once (in threads: pyarrow and NumPy work outside the GIL).
CSV_WORKERS = 2


def write_csv_columns(target: str | os.PathLike[str] | IO[bytes], header: Sequence[str],
                      parts: Sequence[Callable[[], Sequence[Any]]], field: str) -> None:
    """A CSV file: ``header``, then each part's rows (a part gives its text columns, :func:`csv_text_rows`),
    in order. To a path it is written whole and atomically (errors name ``field``); or to a binary stream.
    Parts are rendered :data:`CSV_WORKERS` at a time, while earlier ones are written."""
    if isinstance(target, str | os.PathLike):
        with replace_with(target, field) as temp, open(temp, "wb") as handle:
            _write_csv(handle, header, parts)
    else:
        _write_csv(target, header, parts)


def _render(part: Callable[[], Sequence[Any]]) -> memoryview | None:
    columns = part()
    return csv_text_rows(columns) if columns and len(columns[0]) else None


def _write_csv(handle: IO[bytes], header: Sequence[str], parts: Sequence[Callable[[], Sequence[Any]]]) -> None:
    from concurrent.futures import Future, ThreadPoolExecutor

    handle.write(csv_header(header))
    with ThreadPoolExecutor(max_workers=CSV_WORKERS) as pool:
        pending: list[Future[memoryview | None]] = []
        for part in parts:
            pending.append(pool.submit(_render, part))
            if len(pending) > CSV_WORKERS:
                _write_part(handle, pending.pop(0).result())
        for future in pending:
            _write_part(handle, future.result())


def _write_part(handle: IO[bytes], rows: memoryview | None) -> None:
    if rows is not None:
        handle.write(rows)


def write_parquet(path: str | os.PathLike[str], table: Any, field: str, **options: Any) -> None:
    """A pyarrow table as a Parquet file, written whole and atomically (errors name ``field``); ``options`` go to
    :func:`pyarrow.parquet.write_table`."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    with replace_with(path, field) as temp:
        pq.write_table(table, temp, **options)
