"""Importers: each broker or form format is one module that recognises its files and reads them into records.

An importer (after beangulp, Beancount's importer framework) answers two
questions: :meth:`Importer.identify` -- is this file mine? -- and
:meth:`Importer.extract` -- its records. Extraction only reads: what is done
with the records (checks against the ledger, the write) is the store's
business, in one transaction. A new format is one new module listed in
:func:`importers`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

__all__ = ["Importer", "find_importer", "importers"]


@runtime_checkable
class Importer(Protocol):
    """A file format the ledger can read."""

    #: a short name for messages, e.g. "Form 3921 CSV"
    name: str

    def identify(self, path: str) -> bool:
        """True when the file at ``path`` is in this importer's format (reads at most its header)."""
        ...

    def extract(self, path: str) -> Sequence[object]:
        """The file's records, in file order; bad content raises InputError naming the row and column."""
        ...


def importers() -> tuple[Importer, ...]:
    """Every importer isoplan has, most specific first."""
    from isoplan.ledger.importers.form3921 import Form3921Importer

    return (Form3921Importer(),)


def find_importer(path: str) -> Importer | None:
    """The first importer that recognises the file, or None."""
    return next((imp for imp in importers() if imp.identify(path)), None)
