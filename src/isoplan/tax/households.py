"""The engine's input: arrays of households, one row per scenario.

A household is what one Form 1040 needs for the items isoplan models. Every
field is a float64 array (dollars) except ``year`` (int) and ``filing_status``
(int code, see :data:`isoplan.tax.law.STATUSES`). Missing fields are zero.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from isoplan.errors import InputError
from isoplan.tax.fields import AMT_BASIS_DEFAULTS, COUNT_FIELDS, INPUT_NAMES, MONEY_FIELDS
from isoplan.tax.law import STATUS_CODE, STATUSES, law_table, supported_years
from isoplan.tax.schedule_d import capital_line2k, schedule_d

__all__ = ["COUNT_FIELDS", "INPUT_NAMES", "MONEY_FIELDS", "Households", "households", "status_codes"]

@dataclass(frozen=True)
class Households:
    """Arrays of households (all the same length). Build with :func:`households`."""

    year: np.ndarray
    filing_status: np.ndarray
    wages: np.ndarray
    taxable_interest: np.ndarray
    ordinary_dividends: np.ndarray
    qualified_dividends: np.ndarray
    short_term_gain: np.ndarray
    long_term_gain: np.ndarray
    short_term_loss_carryover: np.ndarray
    long_term_loss_carryover: np.ndarray
    nso_income: np.ndarray
    other_ordinary_income: np.ndarray
    state_local_tax: np.ndarray
    mortgage_interest: np.ndarray
    charitable: np.ndarray
    other_itemized: np.ndarray
    iso_bargain_element: np.ndarray
    amt_disposition_adjustment: np.ndarray
    other_amt_adjustments: np.ndarray
    amt_short_term_gain: np.ndarray
    amt_long_term_gain: np.ndarray
    amt_short_term_loss_carryover: np.ndarray
    amt_long_term_loss_carryover: np.ndarray
    amt_credit_carryforward: np.ndarray
    age_65_or_blind: np.ndarray
    senior_count: np.ndarray

    def __len__(self) -> int:
        return int(self.year.shape[0])

    def replace(self, **changes: Any) -> Households:
        """A copy with some fields replaced (scalars broadcast to the length).

        No input is re-derived: a caller that changes a gain or a carryover on
        either basis sets ``amt_disposition_adjustment`` (Form 6251 line 2k) to match.
        """
        n = len(self)
        for key, value in changes.items():
            arr = np.asarray(value, dtype=np.float64 if key not in ("year", "filing_status") else None)
            changes[key] = np.broadcast_to(arr, (n,)) if arr.shape != (n,) else arr
        return replace(self, **changes)

    def take(self, index: np.ndarray) -> Households:
        """The households at ``index`` (a boolean mask or integer indices)."""
        return Households(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def slice(self, start: int, stop: int) -> Households:
        """Rows ``start:stop`` as views (no copy)."""
        return Households(**{f.name: getattr(self, f.name)[start:stop] for f in fields(self)})

    def row(self, i: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)[i]
            if f.name == "filing_status":
                out[f.name] = STATUSES[int(value)]
            elif f.name == "year":
                out[f.name] = int(value)
            else:
                out[f.name] = float(value)
        return out


def status_codes(values: Any) -> np.ndarray:
    """Filing status names (or codes) to int codes, naming the first bad one."""
    arr = np.asarray(values)
    if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        arr = arr.astype(np.int64)
    if arr.dtype.kind in "iu":
        # as unsigned, a negative code is larger than any valid one: one pass settles the whole column
        if arr.size and arr.view(f"u{arr.itemsize}").max() < len(STATUSES):
            return arr.astype(np.int8)
        bad = (arr < 0) | (arr >= len(STATUSES))
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise InputError("filing_status", int(arr.flat[i]), _status_allowed(), row=_row(arr, i))
        return arr.astype(np.int8)
    arr = arr.astype(str)
    uniques, inverse = _distinct_names(arr)
    codes = np.empty(len(uniques), dtype=np.int8)
    for j, name in enumerate(uniques):
        if name not in STATUS_CODE:
            i = int(np.flatnonzero(inverse == j)[0])
            raise InputError("filing_status", str(arr.flat[i]), _status_allowed(), row=_row(arr, i))
        codes[j] = STATUS_CODE[name]
    coded: np.ndarray = codes[inverse].reshape(arr.shape)
    return coded


#: Status columns up to this long are compared in Python: NumPy's text functions and ``unique`` cost tens of
#: microseconds a call whatever the length (a web request builds several one-household batches).
FEW_NAMES = 16


def _distinct_names(arr: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The distinct names of ``arr`` stripped and lowercased, in sorted order, and each element's index among them
    (``np.unique(..., return_inverse=True)`` of the column)."""
    if arr.size <= FEW_NAMES:
        names = [name.strip().lower() for name in arr.ravel().tolist()]
        uniques = sorted(set(names))
        where = {name: j for j, name in enumerate(uniques)}
        return uniques, np.array([where[name] for name in names], dtype=np.intp)
    distinct, inverse = np.unique(np.char.lower(np.char.strip(arr)), return_inverse=True)
    return list(distinct.tolist()), np.asarray(inverse).ravel()


def _status_allowed() -> str:
    return "one of " + ", ".join(STATUSES)


def _row(arr: np.ndarray, i: int) -> int | None:
    return i if arr.size > 1 else None


def households(**columns: Any) -> Households:
    """Build and validate :class:`Households` from columns (arrays or scalars).

    ``year`` and ``filing_status`` are required; every other input defaults to
    zero, except the AMT-basis Schedule D inputs, which default to their
    regular counterparts (:data:`AMT_BASIS_DEFAULTS`), and Form 6251 line 2k
    (``amt_disposition_adjustment``), which defaults to the AMT Schedule D
    amount entering AMTI minus the regular one entering AGI (IRC §1211(b)
    applied on each basis). Raises :class:`InputError` naming the row and
    field of the first bad value, and refuses a line 2k that adds more to AMTI
    than the AMT-basis gains given allow (:func:`resolve_line2k`).
    """
    unknown = [k for k in columns if k not in INPUT_NAMES]
    if unknown:
        raise InputError("input", unknown[0], "one of " + ", ".join(INPUT_NAMES))
    for required in ("year", "filing_status"):
        if required not in columns or columns[required] is None:
            raise InputError(required, None, "a value (it is required)")
    sizes = {np.size(v) for v in columns.values() if v is not None and np.ndim(v) > 0}
    if len(sizes) > 1:
        raise InputError("input", sorted(sizes), "columns of one length")
    n = sizes.pop() if sizes else 1

    def column(name: str, default: Any = 0.0) -> np.ndarray:
        value = columns.get(name)
        if value is None:
            value = default
        arr = np.asarray(value)
        if arr.ndim == 0:
            arr = np.full(n, arr.item() if arr.dtype.kind != "U" else arr)
        return arr

    years = supported_years()
    year_raw = column("year")
    if year_raw.dtype.kind in "iu" and year_raw.size and years.start <= year_raw.min() and year_raw.max() < years.stop:
        year = year_raw.astype(np.int64, copy=False)  # whole years in range: nothing to find
    else:
        year = _checked_years(year_raw, years)
    status = status_codes(column("filing_status"))
    zeros = np.zeros(n)  # every input not given (a valid amount: nothing to check)
    zeros.flags.writeable = False

    values: dict[str, np.ndarray] = {}
    for name, may_be_negative, _ in MONEY_FIELDS:
        if name in AMT_BASIS_DEFAULTS and columns.get(name) is None:
            continue
        if name == "amt_disposition_adjustment" and columns.get(name) is None:
            continue
        if columns.get(name) is None:
            values[name] = zeros
            continue
        raw = column(name)
        try:
            arr = np.asarray(raw, dtype=np.float64)  # float64 columns are used as given, not copied
        except ValueError:
            arr = _first_non_numeric(raw, name)
        # one pass accepts a good column (_plainly_valid); one it cannot accept is settled by its smallest and
        # largest value (a NaN or an infinity makes either not finite), and only a column that fails those is
        # searched for its first bad row
        if arr.size and not _plainly_valid(arr, may_be_negative) and not (
                np.isfinite(low := arr.min()) and np.isfinite(arr.max()) and (may_be_negative or low >= 0)):
            bad = ~np.isfinite(arr)
            if not may_be_negative:
                bad |= arr < 0
            i = int(np.flatnonzero(bad)[0])
            allowed = "a finite dollar amount" if may_be_negative else "a dollar amount of 0 or more"
            raise InputError(name, raw.flat[i], allowed, row=_row(arr, i))
        values[name] = arr
    for amt_name, regular_name in AMT_BASIS_DEFAULTS.items():
        values.setdefault(amt_name, values[regular_name])
    amt_basis_given = [name for name in AMT_BASIS_DEFAULTS if columns.get(name) is not None]
    line2k_given = columns.get("amt_disposition_adjustment") is not None
    if not line2k_given and not amt_basis_given:
        # both Schedule Ds are the same computation on the same amounts: line 2k is 0 on every row
        values["amt_disposition_adjustment"] = zeros
    else:
        values["amt_disposition_adjustment"] = resolve_line2k(year, status, values, line2k_given, amt_basis_given)

    if columns.get("qualified_dividends") is not None:
        qualified, ordinary = values["qualified_dividends"], values["ordinary_dividends"]
        # a part of the rows at a time: its sums and flags stay in the cache, where a whole batch's would be new
        # memory the size of a column, faulted in page by page
        for start in range(0, n, CHECK_ROWS):
            too_big = qualified[start:start + CHECK_ROWS] > ordinary[start:start + CHECK_ROWS] + 1e-9
            if np.any(too_big):
                i = start + int(np.flatnonzero(too_big)[0])
                raise InputError(
                    "qualified_dividends", float(qualified[i]),
                    f"at most ordinary_dividends ({float(ordinary[i]):g})", row=_row(qualified, i),
                )

    joint = status == STATUS_CODE["mfj"]
    for name, _ in COUNT_FIELDS:
        if columns.get(name) is None:
            values[name] = zeros
            continue
        raw = column(name)
        try:
            arr = raw.astype(np.float64)
        except ValueError:
            arr = _first_non_numeric(raw, name)
        per_person = 2 if name == "age_65_or_blind" else 1
        limit = np.where(joint, 2 * per_person, per_person)
        bad = ~np.isfinite(arr) | (arr < 0) | (arr != np.round(arr)) | (arr > limit)
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise InputError(name, raw.flat[i], f"a whole number from 0 to {int(limit[i])}", row=_row(arr, i))
        values[name] = arr
    return Households(year=year, filing_status=status, **values)


#: Rows whose qualified dividends :func:`households` compares with their ordinary dividends at once.
CHECK_ROWS = 1 << 15


#: The bit pattern of +infinity: as unsigned integers, the non-negative finite float64 values are exactly the
#: patterns below it (the sign bit and an all-ones exponent both make the pattern at least this large).
_INFINITY_BITS = np.float64(np.inf).view(np.uint64)


def _plainly_valid(arr: np.ndarray, may_be_negative: bool) -> bool:
    """Whether one pass over the float64 column ``arr`` shows every value valid: finite, and also 0 or more
    unless ``may_be_negative``. False may still be a valid column (a -0.0, or finite amounts whose sum
    overflows): the caller then checks it value by value."""
    if may_be_negative:
        # a sum of finite amounts is finite unless it overflows; a NaN or an infinity makes it NaN or infinite
        with np.errstate(over="ignore", invalid="ignore"):
            return bool(np.isfinite(arr.sum()))
    return bool(arr.view(np.uint64).max() < _INFINITY_BITS)


def _checked_years(year_raw: np.ndarray, years: range) -> np.ndarray:
    """Whole-number tax years in ``years``, naming the first row that is not one."""
    try:
        year = year_raw.astype(np.float64)
    except ValueError:
        raise InputError("year", year_raw.flat[0], "a whole-number tax year") from None
    bad = ~np.isfinite(year) | (year != np.round(year))
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise InputError("year", year_raw.flat[i], "a whole-number tax year", row=_row(year, i))
    year = year.astype(np.int64)
    bad = (year < years.start) | (year >= years.stop)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise InputError("year", int(year[i]), f"a tax year from {years.start} to {years.stop - 1}", row=_row(year, i))
    return year


def _first_non_numeric(raw: np.ndarray, name: str) -> np.ndarray:
    for i, cell in enumerate(raw.flat):
        try:
            float(cell)
        except (TypeError, ValueError):
            raise InputError(name, cell, "a number", row=_row(raw, i)) from None
    return raw.astype(np.float64)


#: Dollars by which a given line 2k may exceed what the AMT-basis gains allow (rounding of the inputs).
LINE2K_TOLERANCE = 0.5


def resolve_line2k(
    year: np.ndarray, status: np.ndarray, values: dict[str, np.ndarray], given: bool, amt_basis_given: list[str]
) -> np.ndarray:
    """Form 6251 line 2k: derived from the two Schedule Ds, or the amount given, checked against them.

    Derived: the AMT gain or loss entering AMTI minus the regular one entering
    AGI, each after its own IRC §1211(b) limit (Form 6251 instructions,
    line 2k). Given: the whole line 2k; besides the Schedule D difference it
    may only take back ordinary income recognized for regular tax on a
    disposition (the disqualifying-disposition compensation of ISO shares
    exercised in an earlier year, already AMT income at exercise), so it may
    be below the derived amount but not above it when AMT-basis gains are
    given too: then AMTI would hold more gain than the AMT Schedule D (and
    Part III line 13) has, a return that cannot exist.
    """
    limit = law_table().arrays["capital_loss_limit"][year - supported_years().start, status]
    regular = schedule_d(values["short_term_gain"], values["long_term_gain"], values["short_term_loss_carryover"],
                         values["long_term_loss_carryover"], limit)
    amt = schedule_d(values["amt_short_term_gain"], values["amt_long_term_gain"],
                     values["amt_short_term_loss_carryover"], values["amt_long_term_loss_carryover"], limit)
    derived = capital_line2k(regular, amt)
    if not given:
        return derived
    line2k = values["amt_disposition_adjustment"]
    if amt_basis_given:
        bad = line2k > derived + LINE2K_TOLERANCE
        if np.any(bad):
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"amt_disposition_adjustment and {' and '.join(amt_basis_given)}", float(line2k[i]),
                f"a line 2k of at most {float(derived[i]):,.2f} with these AMT-basis gains (their AMT Schedule D "
                f"amount minus the regular one; leave line 2k out to have it derived)", row=_row(line2k, i),
            )
    return line2k


def capital_part_of_line2k(h: Households) -> np.ndarray:
    """The part of Form 6251 line 2k that comes from capital gains and losses: the AMT Schedule D amount
    entering AMTI minus the regular one entering AGI, each after its own IRC §1211(b) limit."""
    limit = law_table().arrays["capital_loss_limit"][h.year - supported_years().start, h.filing_status]
    regular = schedule_d(h.short_term_gain, h.long_term_gain, h.short_term_loss_carryover,
                         h.long_term_loss_carryover, limit)
    amt = schedule_d(h.amt_short_term_gain, h.amt_long_term_gain, h.amt_short_term_loss_carryover,
                     h.amt_long_term_loss_carryover, limit)
    return capital_line2k(regular, amt)


def with_added_gains(base: Households, n: int, *, short_term: Any = 0.0, long_term: Any = 0.0,
                     amt_short_term: Any = None, amt_long_term: Any = None, other_line2k: Any = 0.0,
                     **changes: Any) -> Households:
    """``n`` copies of the one household ``base`` with capital gains added on both bases and Form 6251
    line 2k re-derived.

    ``amt_short_term``/``amt_long_term`` default to the regular amounts (same basis). Line 2k becomes
    base's own non-capital part, plus ``other_line2k`` (ordinary income a disposition takes back for the
    AMT: the disqualifying-disposition compensation of shares exercised in an earlier year), plus the
    capital part of the new Schedule Ds, each basis after its own §1211(b) limit. ``changes``: other
    fields to replace.
    """
    st = np.asarray(short_term, dtype=np.float64)
    lt = np.asarray(long_term, dtype=np.float64)
    amt_st = st if amt_short_term is None else np.asarray(amt_short_term, dtype=np.float64)
    amt_lt = lt if amt_long_term is None else np.asarray(amt_long_term, dtype=np.float64)
    base_other = base.amt_disposition_adjustment[0] - capital_part_of_line2k(base)[0]
    h = base.take(np.zeros(n, dtype=np.intp)).replace(
        short_term_gain=base.short_term_gain[0] + st,
        long_term_gain=base.long_term_gain[0] + lt,
        amt_short_term_gain=base.amt_short_term_gain[0] + amt_st,
        amt_long_term_gain=base.amt_long_term_gain[0] + amt_lt,
        **changes,
    )
    return h.replace(amt_disposition_adjustment=base_other + np.asarray(other_line2k, dtype=np.float64)
                     + capital_part_of_line2k(h))
