"""CSV rows of a batch result written straight into bytes, a slice of rows at a time, in one pass per slice.

Each column is either text (the file's own cells, labels: copied as they are, already quoted where
:func:`csv.writer` quotes) or numbers: amounts written to the cent as ``f"{value:.2f}"`` writes them (from
the float, or from whole cents), whole numbers, or flags written ``true``/``false``; a cell not shown is
blank. The rows are the bytes :func:`csv.writer` writes for the same cells (a comma between cells, each
line ended by CRLF).

A handful of rows runs the very loop in the interpreter; a larger slice runs it compiled by numba (machine
code cached on disk beside the sources, as the tax engine's), which releases the GIL so that two slices are
written at once. Until compiled code is loaded in the process, and while loading it would cost more than it saves
(:func:`column_wise`), such a slice is written column-wise by pyarrow instead
(:func:`isoplan.files.csv_text_rows`: the same bytes).

The loop's rounding also gives a large Parquet result its amounts to the cent (:func:`amounts_to_cents`): one
compiled pass per column. The other way, a batch file's column of whole numbers in digits is read in one compiled
pass too (:func:`digit_numbers`), the numbers pyarrow's cast from text gives, and a column of a few labels numbered
(:func:`cell_ids`), as pyarrow's dictionary encoding numbers them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from isoplan.tax import compiled as compiled_code

__all__ = ["AMOUNT", "CENTS", "FLAG", "INTERPRETED_ROWS", "MOST_IDS", "NOT_PLAIN", "WHOLE", "amounts_to_cents",
           "cell_ids", "column_wise", "digit_numbers", "digits_loaded", "plain_amounts", "render_rows", "row_buffers",
           "row_bytes_bound", "warm"]

#: Kinds of a number column: an amount (a float, written to the cent), whole cents (written as dollars and
#: two decimals), a whole number, a flag (0/1).
AMOUNT, CENTS, WHOLE, FLAG = 0, 1, 2, 3
#: Slices up to this many rows are written by the interpreter (no numba import, no compiled code to load).
INTERPRETED_ROWS = 64
#: Seconds the compiled loop saves over pyarrow's column-wise text for a column of a slice and for a cell (0.3-0.9 ms
#: and about 0.1 us measured; the interpreted loop takes 5-20 us a number cell): with
#: :data:`isoplan.tax.compiled.LOAD_SECONDS` alone, pyarrow would write about 400,000 rows of ``tax --batch`` results.
COLUMN_SECONDS = 0.8e-3
CELL_SECONDS = 0.1e-6
#: Most bytes one number cell takes: a sign, 19 digits and a decimal point (``true``/``false`` fewer).
NUMBER_BYTES = 21
#: Amounts below this many dollars are whole cents a float64 holds exactly once multiplied by 100 (below 2**52).
PLAIN_DOLLARS = 4.5e13
#: Dekker's splitter (2**27 + 1): cuts a float64 into two halves whose products with 100 are exact.
SPLITTER = 134217729.0

#: Most digits of a cell :func:`digit_numbers` reads: every whole number of up to 15 digits is a float64 exactly.
MOST_READ_DIGITS = 15

_COMMA, _MINUS, _POINT, _ZERO, _CR, _LF = 44, 45, 46, 48, 13, 10
#: Text cells of up to this many bytes are copied this many bytes at a time (most cells of a batch file are shorter).
_COPY_BYTES = 8
#: 10**0 .. 10**18: a whole number below ``_POWERS[d]`` has at most ``d`` digits.
_POWERS = np.array([10**d for d in range(19)], dtype=np.int64)
_MOST_DIGITS = 19
#: "00" .. "99": two digits at a time.
_PAIRS = np.frombuffer("".join(f"{d:02d}" for d in range(100)).encode(), dtype=np.uint8).copy()
_TRUE = np.frombuffer(b"true", dtype=np.uint8).copy()
_FALSE = np.frombuffer(b"false", dtype=np.uint8).copy()


def plain_amounts(values: np.ndarray) -> bool:
    """Whether every amount is one the row writer rounds itself: finite, below :data:`PLAIN_DOLLARS`, and not a
    negative amount near zero (``f"{-0.001:.2f}"`` is ``-0.00``, written by Python)."""
    magnitude = np.abs(values)
    return bool((magnitude < PLAIN_DOLLARS).all() and not (np.signbit(values) & (magnitude < 0.01)).any())


def _whole_cents(magnitude: float) -> np.uint64:
    """``magnitude`` (finite, 0 or more, below :data:`PLAIN_DOLLARS`) in whole cents as ``f"{magnitude:.2f}"`` rounds
    it (the exact binary value, half to even).

    ``magnitude x 100`` cut to its whole part, plus one above a half; where the float product lands exactly on a half
    cent that the exact product is not on, Dekker's exact product (the product plus its rounding error) decides, and
    on an exact half the even neighbour is taken. Unsigned: the digits are cut off with divisions that need no sign."""
    scaled = magnitude * 100.0
    whole = np.floor(scaled)
    rest = scaled - whole  # exact: a float and its whole part share their binade
    cents = np.uint64(whole) + np.uint64(rest > 0.5)  # no branch: rest falls either side of a half at random
    if rest == 0.5:
        split = SPLITTER * magnitude
        high = split - (split - magnitude)
        error = (high * 100.0 - scaled) + (magnitude - high) * 100.0  # exact: magnitude x 100 = scaled + error
        if error > 0.0 or (error == 0.0 and cents & np.uint64(1)):
            cents += np.uint64(1)
    return cents


def _unsigned_digits(out: np.ndarray, pos: int, value: np.uint64, pairs: np.ndarray, powers: np.ndarray) -> int:
    """``value`` in decimal at ``out[pos]``, two digits at a time from the last; the next position."""
    count = 1
    while count < _MOST_DIGITS and value >= np.uint64(powers[count]):
        count += 1
    end = pos + count
    while value >= np.uint64(100):
        higher = value // np.uint64(100)
        pair = np.uint64(2) * (value - higher * np.uint64(100))
        out[end - 1] = pairs[pair + np.uint64(1)]
        out[end - 2] = pairs[pair]
        end -= 2
        value = higher
    if value >= np.uint64(10):
        pair = np.uint64(2) * value
        out[end - 1] = pairs[pair + np.uint64(1)]
        out[end - 2] = pairs[pair]
    else:
        out[end - 1] = np.uint64(_ZERO) + value
    return pos + count


def _digits(out: np.ndarray, pos: int, value: int, width: int, pairs: np.ndarray, powers: np.ndarray) -> int:
    """``value`` (>= 0) in decimal, at least ``width`` digits (zeros in front), at ``out[pos]``; the next position."""
    count = width
    while count < _MOST_DIGITS and value >= powers[count]:
        count += 1
    k = pos + count - 1
    while k > pos:
        pair = 2 * (value % 100)
        out[k] = pairs[pair + 1]
        out[k - 1] = pairs[pair]
        value //= 100
        k -= 2
    if k == pos:
        out[k] = _ZERO + value
    return pos + count


#: What :func:`_rows` returns for a slice with an amount it does not write itself (:func:`plain_amounts`).
NOT_PLAIN = -1


def _rows(order: np.ndarray, text: np.ndarray, starts: np.ndarray, floats: np.ndarray, wholes: np.ndarray,
          kinds: np.ndarray, slots: np.ndarray, shown: np.ndarray, tables: tuple[np.ndarray, ...],
          rows: int, out: np.ndarray) -> int:
    """The rows into ``out``; the number of bytes written, or :data:`NOT_PLAIN` when a shown amount is not one
    :func:`plain_amounts` accepts (the caller then writes that column's cells as whole cents or text).

    ``order[j]``: column ``j`` is text column ``order[j]`` (``>= 0``: cells ``text[starts[i, t]:starts[i + 1, t]]``)
    or number column ``k = -1 - order[j]`` of kind ``kinds[k]``: ``floats[i, slots[k]]`` for an amount,
    ``wholes[i, slots[k]]`` for the others, blank where ``shown[i, k]`` is 0. Every array is laid out a row
    after another, so that a row's cells are read from one place, not from one stream per column. ``out`` has
    :data:`_COPY_BYTES` bytes more than the rows can take."""
    pairs, powers, true, false = tables
    pos = 0
    for i in range(rows):
        for j in range(order.shape[0]):
            if j:
                out[pos] = _COMMA
                pos += 1
            c = order[j]
            if c >= 0:
                a, length = starts[i, c], starts[i + 1, c] - starts[i, c]
                if length <= _COPY_BYTES and a + _COPY_BYTES <= text.shape[0]:
                    for b in range(_COPY_BYTES):  # a fixed count, no branch per byte: the bytes past the cell are
                        out[pos + b] = text[a + b]  # overwritten by what follows it
                else:
                    for b in range(length):
                        out[pos + b] = text[a + b]
                pos += length
                continue
            k = -1 - c
            if not shown[i, k]:
                continue
            kind = kinds[k]
            if kind == AMOUNT:
                amount = floats[i, slots[k]]
                magnitude = abs(amount)
                if not magnitude < PLAIN_DOLLARS:  # NaN and the infinities too
                    return NOT_PLAIN
                if magnitude < 0.01 and np.signbit(amount):  # -0.00 (-0.0 too): Python writes the sign
                    return NOT_PLAIN
                if amount == 0.0:  # a third of a tax result's amounts or more (no AMT, no credit): written at once
                    out[pos] = _ZERO
                    out[pos + 1] = _POINT
                    out[pos + 2] = _ZERO
                    out[pos + 3] = _ZERO
                    pos += 4
                    continue
                if amount < 0.0:
                    out[pos] = _MINUS
                    pos += 1
                cents = _whole_cents(magnitude)
                dollars = cents // np.uint64(100)
                pair = np.uint64(2) * (cents - dollars * np.uint64(100))
                pos = _unsigned_digits(out, pos, dollars, pairs, powers)
                out[pos] = _POINT
                out[pos + 1] = pairs[pair]
                out[pos + 2] = pairs[pair + np.uint64(1)]
                pos += 3
                continue
            value = wholes[i, slots[k]]
            negative = value < 0
            if negative:
                value = -value
            if kind == FLAG:
                word = true if value else false
                for a in range(word.shape[0]):
                    out[pos] = word[a]
                    pos += 1
                continue
            if negative:
                out[pos] = _MINUS
                pos += 1
            if kind == WHOLE:
                pos = _digits(out, pos, value, 1, pairs, powers)
            else:
                pos = _digits(out, pos, value // 100, 1, pairs, powers)
                cents_pair = 2 * (value % 100)
                out[pos] = _POINT
                out[pos + 1] = pairs[cents_pair]
                out[pos + 2] = pairs[cents_pair + 1]
                pos += 3
        out[pos] = _CR
        out[pos + 1] = _LF
        pos += 2
    return pos


def _cents_values(values: np.ndarray, out: np.ndarray) -> int:
    """Each amount to the cent into ``out``: its whole cents as the row loop writes them (:func:`_whole_cents`) over
    100, the float nearest the text; NaN where :func:`plain_amounts` leaves the rounding to Python. The number of
    those."""
    left = 0
    for i in range(values.shape[0]):
        amount = values[i]
        magnitude = abs(amount)
        if not magnitude < PLAIN_DOLLARS or (magnitude < 0.01 and np.signbit(amount)):  # NaN and infinities too
            out[i] = np.nan
            left += 1
            continue
        cents = np.float64(_whole_cents(magnitude)) / 100.0  # exact cents over 100: rounded once, as float() rounds
        out[i] = -cents if amount < 0.0 else cents
    return left


def _digit_cells(data: np.ndarray, starts: np.ndarray, out: np.ndarray) -> bool:
    """Each cell ``data[starts[i]:starts[i + 1]]`` of decimal digits (at most :data:`MOST_READ_DIGITS`, after a minus
    sign or not; none: 0) as its number into ``out``; False at the first cell that is anything else (a plus sign, a
    point, an exponent, a space, more digits, a minus alone)."""
    for i in range(out.shape[0]):
        first, end = starts[i], starts[i + 1]
        negative = end - first > 1 and data[first] == _MINUS
        if negative:
            first += 1
        if end - first > MOST_READ_DIGITS:
            return False
        value = np.int64(0)
        for b in range(first, end):
            digit = np.int64(data[b]) - _ZERO
            if digit < 0 or digit > 9:
                return False
            value = value * 10 + digit
        number = np.float64(value)  # exact: below 10**15
        out[i] = -number if negative else number  # "-0" is -0.0, as pyarrow reads it
    return True


#: Most bytes of a cell :func:`_cell_ids` tells apart (one word), and most distinct cells it numbers: a column of a
#: few labels (filing statuses); any other is left to pyarrow's dictionary encoding.
MOST_ID_BYTES = 8
MOST_IDS = 64
#: Slots of the table of distinct cells (a power of two, four times :data:`MOST_IDS`: short probes) and the
#: multiplier that spreads a cell's word over them (Fibonacci hashing).
_ID_SLOTS = 256
_ID_SPREAD = np.uint64(0x9E3779B97F4A7C15)


def _cell_ids(data: np.ndarray, starts: np.ndarray, ids: np.ndarray, firsts: np.ndarray) -> int:
    """Each cell ``data[starts[i]:starts[i + 1]]`` numbered by its first appearance into ``ids`` (the first distinct
    cell 0, the next 1, ...), and the row of each number's first cell into ``firsts``: the number of distinct cells;
    -1 when a cell is longer than :data:`MOST_ID_BYTES` or there are more than ``firsts.shape[0]`` distinct cells.

    A cell is its bytes as one word and its length; distinct ones are kept in a table of open slots."""
    words = np.zeros(_ID_SLOTS, dtype=np.uint64)
    lengths = np.zeros(_ID_SLOTS, dtype=np.int64)
    slot_ids = np.full(_ID_SLOTS, -1, dtype=np.int64)
    count = 0
    for i in range(ids.shape[0]):
        first, end = np.int64(starts[i]), np.int64(starts[i + 1])
        length = end - first
        if length > MOST_ID_BYTES:
            return -1
        word = np.uint64(0)
        for b in range(length):
            word |= np.uint64(data[first + b]) << np.uint64(8 * b)
        slot = np.int64(((word ^ np.uint64(length)) * _ID_SPREAD) >> np.uint64(56))  # 256 slots: the top 8 bits
        while slot_ids[slot] >= 0 and not (words[slot] == word and lengths[slot] == length):
            slot = (slot + 1) % _ID_SLOTS
        if slot_ids[slot] < 0:
            if count == firsts.shape[0]:
                return -1
            words[slot] = word
            lengths[slot] = length
            slot_ids[slot] = count
            firsts[count] = i
            count += 1
        ids[i] = slot_ids[slot]
    return count


@functools.cache
def _helpers() -> None:
    """The loops' helpers made callable from compiled code, once (imports numba)."""
    from numba.extending import register_jitable  # a heavy import: only for slices of more than a handful of rows

    for helper in (_whole_cents, _unsigned_digits, _digits):  # inlined by LLVM: a call per cell costs a fifth more
        register_jitable(_nrt=False, forceinline=True)(helper)


@functools.cache
def _compiled() -> Callable[..., int]:
    """The row loop compiled (imports numba; loads the cached machine code, or compiles it once)."""
    _helpers()
    compiled: Callable[..., int] = compiled_code.cached_jit(_rows)
    return compiled


@functools.cache
def _compiled_cents() -> Callable[..., int]:
    """:func:`_cents_values` compiled, as :func:`_compiled`."""
    _helpers()
    compiled: Callable[..., int] = compiled_code.cached_jit(_cents_values)
    return compiled


@functools.cache
def _compiled_digits() -> Callable[..., bool]:
    """:func:`_digit_cells` compiled (imports numba; loads the cached machine code, or compiles it once)."""
    compiled: Callable[..., bool] = compiled_code.cached_jit(_digit_cells)
    return compiled


@functools.cache
def _compiled_ids() -> Callable[..., int]:
    """:func:`_cell_ids` compiled, as :func:`_compiled_digits`."""
    compiled: Callable[..., int] = compiled_code.cached_jit(_cell_ids)
    return compiled


def digits_loaded() -> bool:
    """Whether :func:`digit_numbers` and :func:`cell_ids` run here at once: their compiled passes are loaded in this
    process."""
    return _compiled_digits.cache_info().currsize > 0 and _compiled_ids.cache_info().currsize > 0


def cell_ids(data: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Text cells (``data[starts[i]:starts[i + 1]]``, as :func:`digit_numbers` takes them) numbered in the order each
    distinct cell first appears, in one compiled pass (loaded first if need be): the number of each cell and the row
    of each number's first cell, as a dictionary encoding gives them. None when a cell is longer than
    :data:`MOST_ID_BYTES` or there are more than :data:`MOST_IDS` distinct cells."""
    narrow = _int32_starts(data, starts)
    if narrow is None:
        return None
    ids = np.empty(starts.shape[0] - 1, dtype=np.int32)
    firsts = np.empty(MOST_IDS, dtype=np.int64)
    count = int(_compiled_ids()(compiled_code.readonly(data, np.uint8), narrow, ids, firsts))
    return None if count < 0 else (ids, firsts[:count])


def digit_numbers(data: np.ndarray, starts: np.ndarray) -> np.ndarray | None:
    """Text cells (``data[starts[i]:starts[i + 1]]``, ``starts`` such as a pyarrow text column's offsets as stored) of
    decimal digits as numbers, in one compiled pass (loaded first if need be): the floats pyarrow's cast from text
    gives them (each whole number exactly), a blank cell 0. None when a cell is anything but at most
    :data:`MOST_READ_DIGITS` digits, or when ``data`` is too long for 32-bit starts (the pass reads those, as a text
    column of a batch file stores them, without a copy)."""
    narrow = _int32_starts(data, starts)
    if narrow is None:
        return None
    out = np.empty(starts.shape[0] - 1)
    return out if _compiled_digits()(compiled_code.readonly(data, np.uint8), narrow, out) else None


def _int32_starts(data: np.ndarray, starts: np.ndarray) -> np.ndarray | None:
    """``starts`` as the compiled passes read them: 32-bit and read-only (a copy only when stored wider); None when
    ``data`` is too long for 32-bit starts."""
    if starts.dtype != np.int32:
        if data.shape[0] > np.iinfo(np.int32).max:
            return None
        starts = starts.astype(np.int32)
    return compiled_code.readonly(starts, np.int32)


def amounts_to_cents(values: np.ndarray) -> tuple[np.ndarray, int]:
    """Amounts to the cent as floats, in one compiled pass (:func:`_cents_values`): NaN where Python rounds (not
    finite, too large for exact cents, or negative below a cent), and how many those are."""
    out = np.empty(values.shape[0])
    left = int(_compiled_cents()(compiled_code.readonly(values, np.float64), out))
    return out, left


def column_wise(rows: int, columns: int) -> bool:
    """Whether a slice of ``rows`` rows of ``columns`` columns is written column-wise by pyarrow rather than by the
    row loop: more than :data:`INTERPRETED_ROWS` rows while compiled code is not loaded in this process and loading
    it would cost more than it saves (:func:`isoplan.tax.compiled.interpret`)."""
    return rows > INTERPRETED_ROWS and compiled_code.interpret(columns * COLUMN_SECONDS + rows * columns * CELL_SECONDS)


def row_bytes_bound(text_bytes: int, rows: int, columns: int, numbers: int) -> int:
    """Most bytes the rows take: the text, a separator per cell and CRLF per row, the widest number per number cell."""
    return text_bytes + rows * (columns + 1 + numbers * NUMBER_BYTES)


def render_rows(order: np.ndarray, text: np.ndarray, starts: np.ndarray, floats: np.ndarray, wholes: np.ndarray,
                kinds: np.ndarray, slots: np.ndarray, shown: np.ndarray, rows: int,
                out: np.ndarray | None = None) -> memoryview | None:
    """The CSV bytes of ``rows`` rows (the columns as :func:`_rows` takes them, a row after another; every array
    C-contiguous), in ``out`` when it is large enough (bytes, as :func:`row_buffers` gives it back), else in a new
    buffer; None when a shown amount is not one the loop writes (:func:`plain_amounts`)."""
    size = row_bytes_bound(int(text.shape[0]), rows, int(order.shape[0]), int(kinds.shape[0])) + _COPY_BYTES
    if out is None or out.dtype != np.uint8 or out.shape[0] < size:  # room for bytes copied past the last text cell
        out = np.empty(size + size // 16, dtype=np.uint8)  # and for a later slice of longer text, rendered into it
    write: Any = _rows if rows <= INTERPRETED_ROWS else _compiled()
    end = int(write(order, text, starts, floats, wholes, kinds, slots, shown, (_PAIRS, _POWERS, _TRUE, _FALSE),
                    rows, out))
    return None if end == NOT_PLAIN else memoryview(out.data)[:end]


def row_buffers(rendered: memoryview) -> list[np.ndarray]:
    """The buffer under rows :func:`render_rows` wrote, to render others into once they are used (none for bytes
    written otherwise)."""
    buffer = rendered.obj
    return [buffer] if isinstance(buffer, np.ndarray) and buffer.dtype == np.uint8 and buffer.ndim == 1 else []


def warm(*, rows: bool = True, cents: bool = True, digits: bool = True) -> None:
    """Compile the row loop (``rows``), the rounding of amounts for Parquet (``cents``) and the reading of digit cells
    (``digits``), or load them from the cache: for setup steps, so that no user's first batch waits."""
    compiled_code.use_compiled()
    if digits:
        digit_numbers(np.empty(0, dtype=np.uint8), np.zeros(1, dtype=np.int32))
        cell_ids(np.empty(0, dtype=np.uint8), np.zeros(1, dtype=np.int32))
    if rows:
        count = INTERPRETED_ROWS + 1
        render_rows(np.full(1, -1, dtype=np.int64), np.empty(0, dtype=np.uint8),
                    np.zeros((count + 1, 0), dtype=np.int64), np.zeros((count, 1)),
                    np.zeros((count, 0), dtype=np.int64), np.full(1, AMOUNT, dtype=np.int64),
                    np.zeros(1, dtype=np.int64), np.ones((count, 1), dtype=np.bool_), count)
    if cents:
        amounts_to_cents(np.zeros(1))


if __name__ == "__main__":
    warm()
