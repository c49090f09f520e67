"""The one error type users see: bad input, named precisely.

Every layer raises :class:`InputError` for input it cannot accept; the CLI and
the web app turn it into one line (exit status 2 on the command line), never a
traceback.
"""

from __future__ import annotations

from typing import Any


class InputError(ValueError):
    """Input that cannot be used, with the field, the value and what is allowed."""

    def __init__(
        self,
        field: str,
        value: Any,
        allowed: str,
        *,
        row: int | None = None,
        source: str | None = None,
    ) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        self.row = row
        self.source = source
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.row is not None:
            where.append(f"row {self.row}")
        where.append(self.field)
        shown = repr(self.value) if isinstance(self.value, str) else str(self.value)
        return f"{', '.join(where)}: {shown} is not allowed; expected {self.allowed}"

    def at(self, *, row: int | None = None, source: str | None = None) -> InputError:
        """The same error located at a row and/or in a file."""
        return InputError(
            self.field,
            self.value,
            self.allowed,
            row=self.row if row is None else row,
            source=self.source if source is None else source,
        )
