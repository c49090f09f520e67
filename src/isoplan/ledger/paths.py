"""Where the ledger file lives: ``--db``, else ``$ISOPLAN_DB``, else the user's data directory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

FILE_NAME = "ledger.db"


def default_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$ISOPLAN_DB``, else ``$XDG_DATA_HOME/isoplan/ledger.db``, else ``~/.local/share/isoplan/ledger.db``."""
    env = os.environ if environ is None else environ
    if env.get("ISOPLAN_DB"):
        return Path(env["ISOPLAN_DB"]).expanduser()
    data_home = env.get("XDG_DATA_HOME")
    base = Path(data_home).expanduser() if data_home else Path(env.get("HOME", "~")).expanduser() / ".local" / "share"
    return base / "isoplan" / FILE_NAME


def resolve(db: str | None, environ: Mapping[str, str] | None = None) -> Path:
    return Path(db).expanduser() if db else default_path(environ)
