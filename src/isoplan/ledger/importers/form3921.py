"""Form 3921 (Exercise of an Incentive Stock Option Under Section 422(b)) as a CSV, one row per exercise.

Boxes 1-5 and the corporation's name: grant date (box 1), exercise date
(box 2), exercise price per share (box 3), fair market value per share on the
exercise date (box 4) and shares transferred (box 5). Optional columns name
the lot and the grant it belongs to.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from isoplan.equity.records import to_date, to_decimal, to_shares
from isoplan.errors import InputError

__all__ = ["FORM3921_COLUMNS", "REQUIRED_3921", "Form3921Importer", "Form3921Row", "read_form3921_csv"]


@dataclass(frozen=True)
class Form3921Row:
    """One Form 3921 (one ISO exercise): boxes 1-5 and the company."""

    row: int
    company: str
    grant_date: date  # box 1
    exercise_date: date  # box 2
    exercise_price: Decimal  # box 3, per share
    fmv_at_exercise: Decimal  # box 4, per share
    shares: int  # box 5
    lot_id: str | None = None
    grant_id: str | None = None


#: canonical column -> accepted header names (case-insensitive, spaces/underscores alike)
FORM3921_COLUMNS: dict[str, tuple[str, ...]] = {
    "company": ("company", "corporation", "transferor", "box6", "box 6"),
    "grant_date": ("grant_date", "box1", "box 1", "date option granted"),
    "exercise_date": ("exercise_date", "box2", "box 2", "date option exercised"),
    "exercise_price": ("exercise_price", "box3", "box 3", "exercise price per share"),
    "fmv_at_exercise": ("fmv_at_exercise", "fmv", "box4", "box 4", "fair market value per share on exercise date"),
    "shares": ("shares", "box5", "box 5", "no. of shares transferred", "number of shares transferred"),
    "lot_id": ("lot_id", "lot", "id"),
    "grant_id": ("grant_id", "grant"),
}
REQUIRED_3921 = ("company", "grant_date", "exercise_date", "exercise_price", "fmv_at_exercise", "shares")


def _norm(name: str) -> str:
    return " ".join(name.strip().lower().replace("_", " ").split())


def _columns(header: list[str]) -> dict[str, str] | None:
    """Canonical column -> header name, or None when a header is not a Form 3921 column."""
    lookup = {_norm(alias): canon for canon, aliases in FORM3921_COLUMNS.items() for alias in aliases}
    columns: dict[str, str] = {}
    for name in header:
        canon = lookup.get(_norm(name or ""))
        if canon is None:
            return None
        columns[canon] = name
    return columns


def read_form3921_csv(path: str) -> list[Form3921Row]:
    """Read a CSV of Form 3921s (one row per exercise), naming the row and column of any bad cell."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = list(reader.fieldnames or [])
            raw_rows = list(reader)
    except OSError as err:
        raise InputError("FILE", path, f"a readable CSV file ({err.strerror})") from None
    columns = _columns(header)
    if columns is None:
        lookup = {_norm(alias) for aliases in FORM3921_COLUMNS.values() for alias in aliases}
        name = next(n for n in header if _norm(n or "") not in lookup)
        raise InputError(f"column {name!r}", name, "one of " + ", ".join(FORM3921_COLUMNS), source=path)
    for needed in REQUIRED_3921:
        if needed not in columns:
            raise InputError("header", ",".join(header), f"a {needed!r} column (Form 3921 boxes 1-5 and the company)",
                             source=path)
    if not raw_rows:
        raise InputError("rows", 0, "at least one exercise after the header", source=path)
    rows = []
    for i, raw in enumerate(raw_rows, start=1):
        def cell(canon: str, raw: dict[str, str] = raw) -> str:
            return (raw.get(columns[canon]) or "").strip() if canon in columns else ""
        try:
            company = cell("company")
            if not company:
                raise InputError("company", company, "the corporation's name")
            rows.append(Form3921Row(
                row=i,
                company=company,
                grant_date=to_date(cell("grant_date"), "box 1 grant date"),
                exercise_date=to_date(cell("exercise_date"), "box 2 exercise date"),
                exercise_price=to_decimal(cell("exercise_price"), "box 3 exercise price"),
                fmv_at_exercise=to_decimal(cell("fmv_at_exercise"), "box 4 FMV on exercise date"),
                shares=to_shares(cell("shares"), "box 5 shares"),
                lot_id=cell("lot_id") or None,
                grant_id=cell("grant_id") or None,
            ))
        except InputError as err:
            raise err.at(row=i, source=path) from None
    return rows


class Form3921Importer:
    """Form 3921 CSVs: every header a known column, and boxes 1-5 with the company present."""

    name = "Form 3921 CSV"

    def identify(self, path: str) -> bool:
        try:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                header = next(csv.reader(handle), [])
        except (OSError, UnicodeDecodeError):
            return False
        columns = _columns(header)
        return columns is not None and all(c in columns for c in REQUIRED_3921)

    def extract(self, path: str) -> list[Form3921Row]:
        return read_form3921_csv(path)
