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
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from isoplan.errors import InputError

__all__ = ["check_output", "check_output_dir", "replace_with", "same_file", "write_text"]


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
