"""Federal income tax and the Alternative Minimum Tax of a batch of households.

:func:`compute_federal` runs the law arithmetic of :mod:`isoplan.tax.kernel`
(Form 1040, Schedule D on both bases, Form 6251, Form 8801 Part II, Forms
8960 and 8959) over every household, in input order: each household looks up
the parameters of its own year and filing status, so a batch mixing years and
statuses needs no grouping. A few households run interpreted; batches run
compiled and in parallel (:mod:`isoplan.tax.compiled`). No parameter is
written here: every rate and threshold comes from :mod:`isoplan.tax.law`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from isoplan.errors import InputError
from isoplan.tax import compiled, kernel
from isoplan.tax.households import Households
from isoplan.tax.kernel import ELECTION_TIE
from isoplan.tax.law import LawTable, law_table

__all__ = ["ELECTION_TIE", "Deduction", "FederalResult", "bracket_tax", "compute_federal", "form6251_from_amti"]

Deduction = Literal["auto", "standard", "itemized"]

@dataclass(frozen=True)
class FederalResult:
    """Every computed line, as arrays aligned with the input households.

    ``lines`` maps a line key (see :data:`isoplan.tax.explain.LINES`) to its
    array; the main outputs are also attributes.
    """

    lines: Mapping[str, np.ndarray] = field(repr=False)
    projected: np.ndarray

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            line: np.ndarray = self.__dict__["lines"][name]
        except KeyError:
            raise AttributeError(name) from None
        return line

    def __len__(self) -> int:
        return int(self.projected.shape[0])


def bracket_tax(income: np.ndarray, tops: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Tax on ``income`` by a progressive schedule, vectorized (a state's rate table, e.g. R&TC §17041).

    ``tops[..., k]`` is the top of bracket k, ``rates[..., k]`` its rate; the
    last rate applies above the last top. Computed as the first rate on all
    income plus each rate step on income above each top, as the federal kernel
    does (:func:`isoplan.tax.kernel.bracket_tax`).
    """
    rates = np.asarray(rates)
    tax: np.ndarray = rates[..., 0] * income
    for k in range(tops.shape[-1]):
        step = rates[..., k + 1] - rates[..., k]
        tax = tax + step * np.maximum(income - tops[..., k], 0.0)
    return tax


def form6251_from_amti(
    amti_before_addon: np.ndarray,
    status: np.ndarray,
    line13: np.ndarray,
    line21: np.ndarray,
    line29: np.ndarray,
    law_row: np.ndarray,
    law: LawTable,
) -> dict[str, np.ndarray]:
    """Form 6251 line 4 (with the MFS add-on) through line 7 of each row, from AMTI before the add-on.

    The kernel's own lines (:func:`isoplan.tax.kernel.form6251_from_amti`);
    ``law_row[i]`` is row i's ``year_index * len(STATUSES) + status``. Keys:
    ``mfs_addon``, ``line4``-``line7``, ``line18``, ``line31``, ``line34``,
    ``line39``. Used by the room solver, which evaluates it at many spreads.
    """
    table, _ = compiled.kernel_table(law)
    out = compiled.form6251(amti_before_addon, status, line13, line21, line29, law_row, table)
    return {key: out[j] for j, key in enumerate(kernel.FORM6251_KEYS)}


def compute_federal(
    h: Households,
    law: LawTable | None = None,
    *,
    deduction: Deduction = "auto",
    keep: Iterable[str] | None = None,
) -> FederalResult:
    """Federal tax of every household in ``h``.

    ``keep``: the line keys to return (default: every line). Large batches that
    need only a few outputs (the optimizer, ``--batch``) save the memory and
    time of storing ~65 arrays.

    ``deduction``: ``"auto"`` takes the election with the lower regular tax +
    AMT - minimum tax credit (IRC §63(e) lets a filer itemize even below the
    standard deduction, which can pay when the AMT binds: TAX_FACTS H); ties
    go to the larger deduction. ``"standard"`` or ``"itemized"`` forces one.
    """
    if deduction not in kernel.DEDUCTION_MODES:
        raise InputError("deduction", deduction, "auto, standard or itemized")
    law = law or law_table()
    n = len(h)
    projected = _projected(h.year, law)
    if n == 0:
        return FederalResult(lines={}, projected=projected)
    keys = kernel.LINE_KEYS if keep is None else tuple(keep)
    table, n_tops = compiled.kernel_table(law)
    x = tuple(getattr(h, name) for name in kernel.INPUT_FIELDS)
    out = compiled.federal(x, h.year, h.filing_status, law.first_year, table, n_tops,
                           kernel.DEDUCTION_MODES[deduction], _line_positions(keys))
    return FederalResult(lines=dict(zip(keys, out, strict=True)), projected=projected)


def _projected(year: np.ndarray, law: LawTable) -> np.ndarray:
    """Whether each household's year is projected (:meth:`LawTable.year_index` checks the years): for whole
    years their smallest and largest settle the range in two passes, and the years then index a copy of
    ``law.projected`` placed at the years themselves, without a bounds check."""
    if year.dtype != np.intp or not year.size or year.min() < law.first_year or year.max() > law.last_year:
        checked: np.ndarray = law.projected[law.year_index(year)]  # names the first year out of range
        return checked
    by_year: np.ndarray | None = law.derived.get("projected_by_year")
    if by_year is None:
        by_year = np.zeros(law.last_year + 1, dtype=law.projected.dtype)
        by_year[law.first_year:] = law.projected
        law.derived["projected_by_year"] = by_year
    projected: np.ndarray = by_year.take(year, mode="clip")
    return projected


@functools.lru_cache(maxsize=64)
def _line_positions(keys: tuple[str, ...]) -> np.ndarray:
    """The positions in :data:`kernel.LINE_KEYS` of the lines ``keys`` (read-only; a caller asks for the same few
    sets of lines again and again)."""
    positions = np.asarray([_LINE_POSITION[key] for key in keys], dtype=np.intp)
    positions.flags.writeable = False
    return positions


_LINE_POSITION = {key: j for j, key in enumerate(kernel.LINE_KEYS)}
