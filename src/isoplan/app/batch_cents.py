"""Amounts of a batch result to the cent, column-wise, exactly as ``f"{value:.2f}"`` rounds each (the exact binary
value, half to even): as text for CSV (:func:`cents_text`) and as the nearest floats for Parquet (:func:`cents_values`).
NumPy is imported inside the functions, as by :mod:`isoplan.app.batch`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["cents_text", "cents_values", "whole_cents"]

#: Cents below this are whole numbers a float64 holds exactly.
_EXACT_CENTS = 2.0**52
#: Dekker's splitter (2**27 + 1): cuts a float64 into two halves whose products with 100 are exact.
_SPLITTER = 134217729.0


def whole_cents(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each amount in signed whole cents as ``f"{value:.2f}"`` rounds it (the exact binary value, half to
    even), and where Python must write it itself (not finite, too large for exact cents, or negative yet
    0.00, written -0.00)."""
    import numpy as np

    cents, python = _signed_cents(values)
    return cents.astype(np.int64), python


def _signed_cents(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`whole_cents` as floats (each a whole number below 2**52, so exact), in as few passes over the column as
    it takes: it runs on every amount of a result.

    The cents are ``|value| x 100`` rounded to a whole number. The float product can land exactly on a
    half cent that the exact product is not on; Dekker's exact product (the product plus its rounding
    error) decides those."""
    import numpy as np

    scaled = np.multiply(values, 100.0)
    np.abs(scaled, out=scaled)  # |value x 100| is |value| x 100: only the sign differs
    exact = scaled < _EXACT_CENTS  # not NaN, not infinite
    all_exact = bool(exact.all())
    if not all_exact:
        scaled[~exact] = 0.0
    cents = np.rint(scaled)
    off = np.subtract(scaled, cents)
    np.abs(off, out=off)
    on_half = np.flatnonzero(off == 0.5)  # a whole number and a half: exactly representable
    del off
    if on_half.size:
        half_magnitude, half_scaled = np.abs(values[on_half]), scaled[on_half]
        split = _SPLITTER * half_magnitude
        high = split - (split - half_magnitude)
        # exact: magnitude x 100 = scaled + error
        error = (high * 100.0 - half_scaled) + (half_magnitude - high) * 100.0
        floor = np.floor(half_scaled)
        cents[on_half] = np.where(error > 0.0, floor + 1.0, np.where(error < 0.0, floor, cents[on_half]))
    python = np.signbit(values)
    python &= cents == 0.0  # negative yet 0.00
    if not all_exact:
        python |= ~exact
    np.copysign(cents, values, out=cents)
    return cents, python


def cents_text(values: np.ndarray) -> Any:
    """Amounts as ``f"{value:.2f}"`` writes them, column-wise (pyarrow text), every cell exactly Python's."""
    import numpy as np
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.compute as pc  # type: ignore[import-untyped]

    signed, python = whole_cents(values)
    words = np.empty((len(values), 2), dtype=np.int64)  # decimal128: a 128-bit two's complement integer
    words[:, 0] = signed
    words[:, 1] = signed >> 63
    text = pa.Array.from_buffers(pa.decimal128(18, 2), len(values), [None, pa.py_buffer(words)]).cast(pa.string())
    if python.any():
        chosen = values[python]
        text = pc.replace_with_mask(text, pa.array(python), pa.array([f"{v:.2f}" for v in chosen.tolist()],
                                                                      pa.string()))
    return text


def cents_values(values: np.ndarray) -> np.ndarray:
    """Amounts to the cent as numbers: the float nearest each cell :func:`cents_text` writes. A large column, once
    compiled code runs in this process, in one pass by the CSV row writer's rounding
    (:func:`isoplan.app.batch_csv.amounts_to_cents`); else column-wise."""
    import numpy as np

    from isoplan.tax.compiled import INTERPRETED_ROWS, compiled_loaded

    if values.shape[0] > INTERPRETED_ROWS and compiled_loaded():
        from isoplan.app.batch_csv import amounts_to_cents

        rounded, left = amounts_to_cents(values)
        python = np.isnan(rounded) if left else None
    else:
        rounded, python = _signed_cents(values)
        rounded /= 100.0
    if python is not None and python.any():
        rounded[python] = [float(f"{v:.2f}") for v in values[python].tolist()]
    return rounded
