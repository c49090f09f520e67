"""The AMT-free room: how much ISO spread a household can add this year with no AMT.

Adding ISO spread ``s`` (Form 6251 line 2i, IRC §56(b)(3)) on top of what the
household already has changes nothing on Form 1040: regular tax is fixed. It
only raises AMTI, and the tentative minimum tax (Form 6251 line 9) is a
continuous, non-decreasing, piecewise-linear function of ``s``::

    line 4  = AMTI before the add-on + s  (+ the MFS add-on, §55(d) flush language)
    line 5  = exemption - phase-out rate x (line 4 - phase-out start), floored at 0  (§55(d)(1), (3))
    line 6  = line 4 - line 5
    line 9  = 26%/28% of line 6, or Part III (§55(b)(3)) when there are gains

The AMT (line 11) is ``max(0, line 9 - regular tax)``. For one deduction
election the **room** is therefore the largest whole dollar ``s`` with
``TMT(s) <= regular tax``, found here by inverting the three piecewise-linear
steps (line 6 -> line 4 -> AMTI before the add-on) in closed form, then fixed
to the exact dollar by :class:`SpreadCurve`, which evaluates Form 6251 for any
``s`` with the engine's own arithmetic (bit for bit the numbers
:func:`isoplan.tax.federal.compute_federal` returns for the household with
``iso_bargain_element + s``; the tests check this against the engine).

The deduction election. With ``deduction="auto"`` the engine starts from the
larger deduction and switches to the other election when that is cheaper
(IRC §63(e); e.g. itemizing below the standard deduction once the AMT binds).
The AMT is then *not* monotone in ``s``: past the line, the switch can bring
the AMT back to 0 at a higher total tax. The room is the **first** line: the
largest ``s`` such that no spread from 0 to ``s`` owes AMT. Below the larger
deduction's own line the AMT is always 0 (the other election has no lower
regular tax, so it can only be chosen with no AMT); at that line the engine
keeps the larger deduction unless the other election costs (almost) nothing
in regular tax, e.g. both fall in the same Tax Table row, or a minimum tax
credit is in play. Those rows are followed exactly through the kinks of both
elections (:func:`_first_crossing`).

The **credit line** (Form 8801, IRC §53(c)): the credit used this year is
``min(credit available, regular tax - TMT)``, so spread reduces this year's
credit recovery before any AMT appears. The credit line is the largest ``s``
at which the tax after the credit is still what it is at ``s = 0``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from types import SimpleNamespace
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from isoplan.errors import InputError
from isoplan.tax.federal import ELECTION_TIE, FederalResult, compute_federal, form6251_from_amti
from isoplan.tax.households import Households
from isoplan.tax.law import STATUS_CODE, STATUSES, LawTable, law_table

if TYPE_CHECKING:
    from isoplan.tax.states import Jurisdiction
    from isoplan.tax.states.california import CaliforniaResult

#: a monotone test on some rows (indices) at added spread ``s`` (one per row): the searches' predicate
RowPredicate = Callable[[NDArray[np.intp], NDArray[np.float64]], NDArray[np.bool_]]

Deduction = Literal["auto", "standard", "itemized"]

_MFS = STATUS_CODE["mfs"]
#: Tolerance for "the tax after the credit is unchanged" (a millionth of a dollar).
_UNCHANGED = 1e-6
#: The law parameters Form 6251 needs, gathered once per household.
_PARAMS = (
    "amt_phaseout_start",
    "amt_exemption",
    "amt_phaseout_rate",
    "amt_mfs_addon_rate",
    "amt_rates",
    "amt_breakpoint",
    "capital_gain_brackets",
    "capital_gain_rates",
)


# ------------------------------------------------------------------ Form 6251 as a function of the spread


@dataclass(frozen=True)
class SpreadCurve:
    """Form 6251 of one household and one deduction election, as a function of added spread.

    Built from the engine's lines at the household's own spread; :meth:`tmt`
    repeats the engine's Form 6251 lines 2i-9 for any added spread ``s`` with
    the same operations in the same order, so the results are identical to a
    fresh :func:`compute_federal` call (tests/planning/test_room.py checks it).
    """

    status: np.ndarray
    regular_tax: np.ndarray  # Form 1040 line 16 = Form 6251 line 10 (does not depend on s)
    line1b: np.ndarray
    line2a: np.ndarray
    line2i: np.ndarray  # the household's own ISO spread; s is added to it
    line2k: np.ndarray
    line3: np.ndarray
    line13: np.ndarray  # qualified dividends and net capital gain (AMT basis)
    line21: np.ndarray  # Part III room in the 0% band (measured on regular-tax ordinary income)
    line29: np.ndarray  # Part III room in the 15% band
    credit: np.ndarray  # Form 8801 line 21 credit available
    p: SimpleNamespace  # the law of the curve's (year, filing status): scalars, small vectors, its law row

    def __len__(self) -> int:
        return int(self.status.shape[0])

    # -- evaluation (the engine's arithmetic) --

    def amti_before_addon(self, s: np.ndarray | float) -> np.ndarray:
        amti: np.ndarray = self.line1b + self.line2a + (self.line2i + s) + self.line2k + self.line3
        return amti

    def tmt(self, s: np.ndarray | float) -> np.ndarray:
        """Form 6251 line 9 with ``s`` dollars of spread added to line 2i (the engine's own function)."""
        amti = self.amti_before_addon(s)
        rows = np.full(amti.shape[0], self.p.law_row, dtype=np.intp)
        return form6251_from_amti(amti, self.status, self.line13, self.line21, self.line29, rows, self.p.law)["line7"]

    def taxes(self, s: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(AMT, regular tax + AMT - credit used, TMT) with ``s`` added: Form 6251 lines 11 and 9, Form 8801."""
        line9 = self.tmt(s)
        amt = np.maximum(line9 - self.regular_tax, 0.0)
        credit_used = np.minimum(self.credit, np.maximum(self.regular_tax - line9, 0.0))
        return amt, (self.regular_tax + amt) - credit_used, line9

    # -- inversion (the piecewise-linear structure) --

    def spread_for_tmt(self, target: np.ndarray) -> np.ndarray:
        """The largest real ``s`` with ``TMT(s) <= target`` (may be negative: already above it).

        Three closed-form inversions of non-decreasing piecewise-linear steps:
        Part II/III tax as a function of line 6, line 6 as a function of
        line 4 (exemption phase-out), line 4 as a function of AMTI before the
        MFS add-on.
        """
        p = self.p
        r0, r1 = p.amt_rates[..., 0], p.amt_rates[..., 1]
        bp = p.amt_breakpoint
        c15, c20 = p.capital_gain_rates[..., 1], p.capital_gain_rates[..., 2]
        t = np.maximum(target, 0.0)
        # line 39: 26% to the breakpoint, 28% above
        v_bp = r0 * bp
        y39 = np.where(t <= v_bp, t / r0, bp + (t - v_bp) / r1)
        # line 38 (Part III): gains in line 6 first fill the 0%, 15%, 20% bands, then 26%/28% on the rest
        gains = self.line13
        u1 = np.minimum(self.line21, gains)
        u2 = np.minimum(self.line21 + self.line29, gains)
        v1 = c15 * (u2 - u1)
        v2 = v1 + c20 * (gains - u2)
        v3 = v2 + r0 * bp
        y38 = np.where(
            t <= v1,
            u1 + t / c15,
            np.where(
                t <= v2,
                u2 + (t - v1) / c20,
                np.where(t <= v3, gains + (t - v2) / r0, gains + bp + (t - v3) / r1),
            ),
        )
        # line 7 = min(line 38, line 39): the set where the minimum is <= t is the union of the two sets
        line6 = np.where(gains > 0, np.maximum(y38, y39), y39)
        line4 = self._line4_for_line6(line6)
        s = self._amti_for_line4(line4) - self.amti_before_addon(0.0)
        return np.where(target < 0, -np.inf, s)

    def _line4_for_line6(self, y: np.ndarray) -> np.ndarray:
        """Largest line 4 whose line 6 (line 4 minus the phased-out exemption) is <= y >= 0."""
        p = self.p
        e, start, rate = p.amt_exemption, p.amt_phaseout_start, p.amt_phaseout_rate
        zero_point = start + e / rate
        below_start = y < start - e  # line 6 = line 4 - exemption
        in_phaseout = y < zero_point  # line 6 = (1 + rate) line 4 - exemption - rate x start
        return np.where(below_start, e + y, np.where(in_phaseout, (y + e + rate * start) / (1.0 + rate), y))

    def _amti_for_line4(self, x: np.ndarray) -> np.ndarray:
        """Largest AMTI before the MFS add-on whose line 4 is <= x (identity unless MFS)."""
        p = self.p
        zero_point = p.amt_phaseout_start + p.amt_exemption / p.amt_phaseout_rate
        addon_rate = p.amt_mfs_addon_rate
        safe_rate = np.where(addon_rate > 0, addon_rate, 1.0)
        cap_start = np.where(addon_rate > 0, zero_point + p.amt_exemption / safe_rate, np.inf)
        mfs = np.where(
            x <= zero_point,
            x,
            np.where(x <= cap_start + p.amt_exemption, zero_point + (x - zero_point) / (1.0 + addon_rate),
                     x - p.amt_exemption),
        )
        return np.where(self.status == _MFS, mfs, x)

    def kinks(self) -> np.ndarray:
        """Every added spread where TMT(s) may change slope, shape (n, 10); TMT is linear between them."""
        p = self.p
        e, start, rate = p.amt_exemption, p.amt_phaseout_start, p.amt_phaseout_rate
        gains = self.line13
        bp = np.broadcast_to(p.amt_breakpoint, gains.shape)
        y_kinks = [
            np.minimum(self.line21, gains),
            np.minimum(self.line21 + self.line29, gains),
            gains,
            gains + bp,
            bp,
        ]
        zero_point = np.broadcast_to(start + e / rate, gains.shape)
        exemption_used_up = np.where(e <= start, e, (e + rate * start) / (1.0 + rate))
        x_kinks = [self._line4_for_line6(y) for y in y_kinks]
        x_kinks += [np.broadcast_to(exemption_used_up, gains.shape), np.broadcast_to(start, gains.shape), zero_point]
        addon_rate = p.amt_mfs_addon_rate
        safe_rate = np.where(addon_rate > 0, addon_rate, 1.0)
        a_kinks = [self._amti_for_line4(x) for x in x_kinks]
        a_kinks += [zero_point, np.broadcast_to(zero_point + e / safe_rate, gains.shape)]
        base = self.amti_before_addon(0.0)
        return np.stack([a - base for a in a_kinks], axis=1)

    # -- subsets --

    def take(self, index: np.ndarray) -> SpreadCurve:
        arrays = {
            name: getattr(self, name)[index]
            for name in ("status", "regular_tax", "line1b", "line2a", "line2i", "line2k", "line3",
                         "line13", "line21", "line29", "credit")
        }
        return SpreadCurve(**arrays, p=self.p)


def spread_curve(h: Households, lines: dict[str, np.ndarray], p: SimpleNamespace) -> SpreadCurve:
    """The :class:`SpreadCurve` of households sharing one year and status, from one election's engine lines."""
    q5 = lines["qdcg_line5"]
    cg_top0, cg_top15 = p.capital_gain_brackets[..., 0], p.capital_gain_brackets[..., 1]
    line21 = np.maximum(cg_top0 - q5, 0.0)
    line28 = line21 + q5
    line29 = np.maximum(cg_top15 - line28, 0.0)
    return SpreadCurve(
        status=h.filing_status,
        regular_tax=lines["regular_tax"],
        line1b=lines["amt_line1b"],
        line2a=lines["amt_line2a"],
        line2i=lines["amt_line2i"],
        line2k=lines["amt_line2k"],
        line3=lines["amt_line3"],
        line13=lines["amt_line13"],
        line21=line21,
        line29=line29,
        credit=h.amt_credit_carryforward,
        p=p,
    )


# ------------------------------------------------------------------ the household's tax as a function of s


class _SpreadTax:
    """AMT and tax after credit for added spread, under one election or the engine's ``auto`` rule."""

    def __init__(self, first: SpreadCurve, other: SpreadCurve | None, other_allows_more: np.ndarray) -> None:
        self.first = first  # the larger deduction (auto) or the forced election
        self.other = other  # the other election (auto only)
        self.other_allows_more = other_allows_more  # the other election deducts more for AMT

    def __len__(self) -> int:
        return len(self.first)

    def take(self, index: np.ndarray) -> _SpreadTax:
        other = None if self.other is None else self.other.take(index)
        return _SpreadTax(self.first.take(index), other, self.other_allows_more[index])

    def at(self, s: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(AMT, tax after credit, other election chosen?, TMT) at added spread ``s``."""
        amt, after, line9 = self.first.taxes(s)
        n = amt.shape[0]
        switch = np.zeros(n, dtype=bool)
        if self.other is None:
            return amt, after, switch, line9
        # federal._try_other_election: where AMT or a credit is in play and the other election
        # deducts more for AMT, take it if it is cheaper by more than the tie rule
        candidate = ((amt > 0) | (self.first.credit > 0)) & self.other_allows_more
        idx = np.flatnonzero(candidate)
        if idx.size == 0:
            return amt, after, switch, line9
        other = self.other if idx.size == n else self.other.take(idx)
        spread = np.broadcast_to(np.asarray(s, dtype=np.float64), (n,))
        amt_b, after_b, line9_b = other.taxes(spread if idx.size == n else spread[idx])
        better = after_b < after[idx] - ELECTION_TIE
        if not np.any(better):
            return amt, after, switch, line9
        rows = idx[better]
        amt, after, line9 = amt.copy(), after.copy(), line9.copy()
        amt[rows], after[rows], line9[rows] = amt_b[better], after_b[better], line9_b[better]
        switch[rows] = True
        return amt, after, switch, line9


def _largest(pred: RowPredicate, guess: np.ndarray) -> np.ndarray:
    """Largest whole s >= 0 with ``pred(idx, s)`` true (-1 if even s = 0 fails), for a monotone predicate.

    ``guess`` (whole dollars, from the closed-form inversion) is checked and
    nudged; rows it misses get an exact search (doubling, then bisection).
    """
    n = guess.shape[0]
    rows = np.arange(n)
    s: NDArray[np.float64] = np.maximum(guess, -1.0)
    for _ in range(3):
        here = np.where(s >= 0, pred(rows, np.maximum(s, 0.0)), True)
        nxt = pred(rows, s + 1.0)
        if np.all(here & ~nxt):
            return s
        s = np.maximum(np.where(~here, s - 1.0, np.where(nxt, s + 1.0, s)), -1.0)
    here = np.where(s >= 0, pred(rows, np.maximum(s, 0.0)), True)
    nxt = pred(rows, s + 1.0)
    bad = np.flatnonzero(~here | nxt)
    if bad.size:
        s[bad] = _search(pred, bad, s[bad])
    return s


def _search(pred: RowPredicate, idx: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Exact search on the rows ``idx``: bracket by doubling around ``start``, then bisect."""
    lo = np.full(idx.shape, -1.0)
    hi = np.full(idx.shape, np.inf)
    point = np.maximum(start, 0.0)
    ok = pred(idx, point)
    lo = np.where(ok, point, lo)
    hi = np.where(ok, hi, point)
    step = np.ones(idx.shape)
    for _ in range(64):  # grow the bracket until [lo, hi] holds the line
        open_up = ~np.isfinite(hi)
        open_down = np.isfinite(hi) & (lo < 0) & (hi > 0)
        if not np.any(open_up | open_down):
            break
        probe = np.where(open_up, lo + step, np.maximum(hi - step, 0.0))
        check = open_up | open_down
        ok = pred(idx, probe)
        lo = np.where(check & ok, np.maximum(lo, probe), lo)
        hi = np.where(check & ~ok, np.minimum(hi, probe), hi)
        step = step * 2.0
    for _ in range(80):
        gap = hi - lo > 1
        if not np.any(gap):
            break
        mid = np.floor((lo + hi) / 2.0)
        ok = pred(idx, np.maximum(mid, 0.0))
        lo = np.where(gap & ok, mid, lo)
        hi = np.where(gap & ~ok, mid, hi)
    return lo


def _first_crossing(tax: _SpreadTax, start: np.ndarray, other_room: np.ndarray) -> np.ndarray:
    """Rows where the engine switched election at ``start`` with no AMT: the first spread that owes AMT, less 1.

    Past the larger deduction's line (``start - 1``) the engine keeps the
    other election (AMT 0 up to ``other_room``) while it is cheaper than
    the first one. Within that range, "cheaper" can only stop where
    TMT(first) - TMT(other) falls to the tie rule, a piecewise-linear
    function whose kinks are the kinks of the two curves. So the AMT is
    checked at every kink (rounded both ways), the first one that owes AMT
    brackets the line on a piece where the test is monotone, and bisection
    ends it.
    """
    other = tax.other
    assert other is not None
    room = other_room.copy()
    # Without gains both elections share one TMT function F of AMTI (non-decreasing, slope at least
    # the 26% rate wherever line 6 > 0), so TMT(first) - TMT(other) = F(x) - F(x - d) stays at least
    # 26% x min(d, x - where line 6 starts): if that bound clears the tie rule at the start, the
    # engine keeps the other election up to its own line. Otherwise scan the kinks.
    first = tax.first
    x_start = first.amti_before_addon(start)
    d = x_start - other.amti_before_addon(start)
    line6_starts = first._amti_for_line4(first._line4_for_line6(np.zeros(len(first))))
    bound = first.p.amt_rates[..., 0] * np.minimum(d, x_start - line6_starts)
    scan = np.flatnonzero((first.line13 > 0) | (bound <= 1e3 * ELECTION_TIE))
    if scan.size == 0:
        return room
    tax = tax.take(scan)
    start, other_room = start[scan], other_room[scan]
    first, other = tax.first, tax.other
    assert other is not None
    kinks = np.concatenate([first.kinks(), other.kinks()], axis=1)
    points = np.concatenate([np.floor(kinks), np.ceil(kinks), other_room[:, None], start[:, None]], axis=1)
    points = np.clip(points, start[:, None], other_room[:, None])
    points.sort(axis=1)
    m, k = points.shape
    rows = np.repeat(np.arange(m), k)
    amt = tax.take(rows).at(points.ravel())[0]
    owes = (amt > 0).reshape(m, k)
    hit = owes.any(axis=1)
    if not np.any(hit):
        return room
    first_bad = np.argmax(owes, axis=1)
    idx = np.flatnonzero(hit)
    hi = points[idx, first_bad[idx]]
    lo = np.where(first_bad[idx] > 0, points[idx, np.maximum(first_bad[idx] - 1, 0)], start[idx] - 1.0)
    sub = tax.take(idx)
    for _ in range(80):
        gap = hi - lo > 1
        if not np.any(gap):
            break
        mid = np.floor((lo + hi) / 2.0)
        owes_mid = sub.at(mid)[0] > 0
        lo = np.where(gap & ~owes_mid, mid, lo)
        hi = np.where(gap & owes_mid, mid, hi)
    room[scan[idx]] = lo
    return room


# ------------------------------------------------------------------ the public API


@dataclass(frozen=True)
class RoomResult:
    """The AMT line and the credit line of each household (arrays aligned with the input).

    * ``amt_room``: the largest whole-dollar ISO spread that can be added to
      the household's own (Form 6251 line 2i) with no AMT at that spread or
      any smaller one; 0 when the household already owes AMT.
    * ``already_in_amt``: the household owes AMT before any added spread.
    * ``credit_line``: with a minimum tax credit carryforward that is being
      used this year, the largest whole-dollar spread at which this year's tax
      after the credit is unchanged (credit use starts to shrink one dollar
      later); NaN where no credit is being used.
    * ``regular_tax``, ``tentative_minimum_tax``, ``amt``, ``credit_used``:
      the household's Form 1040 line 16, Form 6251 lines 9 and 11 and Form
      8801 line 25 with no added spread.
    * ``election_switch``: the room is longer because, at the line of the
      larger deduction, the engine switches to the other election (which
      costs nothing, or less than the AMT, in regular tax).
    * ``itemized_at_line``: the deduction election at the room.
    """

    amt_room: np.ndarray
    already_in_amt: np.ndarray
    credit_line: np.ndarray
    regular_tax: np.ndarray
    tentative_minimum_tax: np.ndarray
    amt: np.ndarray
    credit_used: np.ndarray
    election_switch: np.ndarray
    itemized_at_line: np.ndarray

    def __len__(self) -> int:
        return int(self.amt_room.shape[0])


#: Engine lines the curves are built from.
_CURVE_LINES = ("regular_tax", "amt_line1b", "amt_line2a", "amt_line2i", "amt_line2k", "amt_line3",
                "amt_line13", "qdcg_line5")
_ELECTION_LINES = ("itemized_allowed", "standard_total", "itemized_before_68", "salt_deducted",
                   "nonitemizer_charitable")


def _spread_tax(
    h: Households, p: SimpleNamespace, law: LawTable, deduction: Deduction
) -> tuple[_SpreadTax, np.ndarray]:
    """The curves of both elections (auto) or of the forced one, and whether the first one itemizes.

    ``h`` shares one year and filing status; ``p`` is its law.
    """
    if deduction == "auto":
        standard = compute_federal(h, law, deduction="standard", keep=(*_CURVE_LINES, *_ELECTION_LINES))
        pre = standard.lines
        # compute_federal "auto": start from the larger deduction; the other election is tried
        # only where it deducts more for the AMT (mortgage interest, charity, other itemized)
        itemize = pre["itemized_allowed"] > pre["standard_total"]
        amt_itemized = pre["itemized_before_68"] - pre["salt_deducted"]
        amt_standard = pre["nonitemizer_charitable"]
        other_allows_more = np.where(itemize, amt_standard > amt_itemized, amt_itemized > amt_standard)
        # itemized lines are needed where itemizing is the first election or may be switched to
        need = np.flatnonzero(itemize | other_allows_more)
        itemized_lines = {k: np.array(pre[k]) for k in _CURVE_LINES}
        if need.size:
            part = h if need.size == len(h) else h.take(need)
            result = compute_federal(part, law, deduction="itemized", keep=_CURVE_LINES)
            for k in _CURVE_LINES:
                itemized_lines[k][need] = result.lines[k]
        first = {k: np.where(itemize, itemized_lines[k], pre[k]) for k in _CURVE_LINES}
        second = {k: np.where(itemize, pre[k], itemized_lines[k]) for k in _CURVE_LINES}
        tax = _SpreadTax(spread_curve(h, first, p), spread_curve(h, second, p), other_allows_more)
        return tax, itemize
    if deduction not in ("standard", "itemized"):
        raise InputError("deduction", deduction, "auto, standard or itemized")
    result = compute_federal(h, law, deduction=deduction, keep=_CURVE_LINES)
    itemize = np.full(len(h), deduction == "itemized")
    return _SpreadTax(spread_curve(h, dict(result.lines), p), None, np.zeros(len(h), dtype=bool)), itemize


def amt_room(h: Households, law: LawTable | None = None, *, deduction: Deduction = "auto") -> RoomResult:
    """The AMT room and the credit line of every household in ``h`` (Form 6251, Form 8801).

    Exact to the dollar: ``compute_federal`` with ``iso_bargain_element``
    increased by ``amt_room`` owes no AMT, and by ``amt_room + 1`` it does
    (unless the household is already in AMT). Per (year, filing status)
    group: one engine call per election (two for ``auto``, one when the
    deduction is forced), closed-form algebra, and a few evaluations of
    Form 6251 to settle the last dollar. A batch of more than a few dozen
    households takes the same steps row by row, compiled
    (:mod:`isoplan.planning.room_kernel`; interpreted while loading the
    compiled code would cost more), and a few households the same row
    functions interpreted, with the same results.
    """
    if deduction not in ("auto", "standard", "itemized"):
        raise InputError("deduction", deduction, "auto, standard or itemized")
    law = law or law_table()
    n = len(h)
    from isoplan.planning import room_kernel

    if n > room_kernel.INTERPRETED_ROWS:
        return RoomResult(**room_kernel.batch_rooms(h, law, deduction))
    if n <= room_kernel.ROW_BY_ROW_ROWS:
        return RoomResult(**room_kernel.few_rooms(h, law, deduction))
    year_index = law.year_index(h.year)
    key = year_index * len(STATUSES) + h.filing_status
    names = [f.name for f in fields(RoomResult)]
    if n and key.min() == key.max():
        p = _params(law, int(key[0]))
        return RoomResult(**_room_group(h, p, law, deduction))
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    cuts = [0, *(np.flatnonzero(np.diff(sorted_key)) + 1).tolist(), n]
    out: dict[str, np.ndarray] = {}
    in_order = h.take(order)  # one copy; each group is then a view
    for a, b in itertools.pairwise(cuts):
        rows = order[a:b]
        part = _room_group(in_order.slice(a, b), _params(law, int(sorted_key[a])), law, deduction)
        for name in names:
            if name not in out:
                out[name] = np.empty(n, dtype=part[name].dtype)
            out[name][rows] = part[name]
    return RoomResult(**out)


def _params(law: LawTable, key: int) -> SimpleNamespace:
    full = law.parameters(*divmod(key, len(STATUSES)))
    # law_row and law: the engine's own Form 6251 (tmt) looks the parameters up by row of the law
    return SimpleNamespace(**{k: getattr(full, k) for k in _PARAMS}, law_row=key, law=law)


def _room_group(h: Households, p: SimpleNamespace, law: LawTable, deduction: Deduction) -> dict[str, np.ndarray]:
    """:func:`amt_room` for households sharing one year and filing status."""
    n = len(h)
    tax, itemize_first = _spread_tax(h, p, law, deduction)
    first, other = tax.first, tax.other
    zero = np.zeros(n)
    amt0, after0, switch0, line9 = tax.at(zero)
    already = amt0 > 0

    # the first election's own line (monotone in s: regular tax fixed, TMT non-decreasing)
    guess = np.floor(first.spread_for_tmt(first.regular_tax))

    def first_ok(idx: np.ndarray, s: np.ndarray) -> np.ndarray:
        curve = first.take(idx) if idx.shape[0] != n else first
        return curve.tmt(s) <= curve.regular_tax

    line_first = _largest(first_ok, np.where(np.isfinite(guess), guess, -1.0))
    room = np.maximum(line_first, 0.0)
    switched = np.zeros(n, dtype=bool)
    switch_at_line = np.zeros(n, dtype=bool)
    if other is not None:
        # does the engine owe AMT one dollar past the larger deduction's line? (not if it switches)
        amt_next, _, switch_next, _ = tax.at(line_first + 1.0)
        switched = (amt_next == 0) & switch_next & ~already
        idx = np.flatnonzero(switched)
        if idx.size:
            sub = tax.take(idx)
            assert sub.other is not None
            other_sub = sub.other
            other_guess = np.floor(other_sub.spread_for_tmt(other_sub.regular_tax))

            def other_ok(rows: np.ndarray, s: np.ndarray) -> np.ndarray:
                curve = other_sub.take(rows) if rows.shape[0] != idx.size else other_sub
                return curve.tmt(s) <= curve.regular_tax

            other_room = _largest(other_ok, np.where(np.isfinite(other_guess), other_guess, -1.0))
            room[idx] = _first_crossing(sub, line_first[idx] + 1.0, other_room)
        # the election at the line: at or below the first line the engine can still switch (credit rows)
        maybe = np.flatnonzero(switched | (first.credit > 0))
        if maybe.size:
            switch_at_line[maybe] = tax.take(maybe).at(room[maybe])[2]
    room = np.where(already, 0.0, room)

    # outputs at s = 0, of the election the engine takes there
    regular = first.regular_tax if other is None else np.where(switch0, other.regular_tax, first.regular_tax)
    credit_used = np.minimum(first.credit, np.maximum(regular - line9, 0.0))
    credit_line = _credit_line(tax, after0, regular, already, room)
    return {
        "amt_room": room,
        "already_in_amt": already,
        "credit_line": credit_line,
        "regular_tax": regular,
        "tentative_minimum_tax": line9,
        "amt": amt0,
        "credit_used": credit_used,
        "election_switch": switched & (room > line_first),
        "itemized_at_line": itemize_first ^ switch_at_line,
    }


def _credit_line(
    tax: _SpreadTax, after0: np.ndarray, regular: np.ndarray, already: np.ndarray, room: np.ndarray
) -> np.ndarray:
    """Largest whole s at which regular tax + AMT - credit used is still what it is at s = 0 (NaN if no credit used)."""
    first = tax.first
    n = len(first)
    line = np.full(n, np.nan)
    in_play = (first.credit > 0) & ~already & (after0 < regular)
    idx = np.flatnonzero(in_play)
    if idx.size == 0:
        return line
    sub = tax.take(idx)
    target = after0[idx] + _UNCHANGED
    # tax after credit under one election = max(regular - credit, TMT(s)): invert each election, take the later
    guesses = []
    for curve in (sub.first, sub.other):
        if curve is None:
            continue
        reachable = curve.regular_tax - curve.credit <= target
        guesses.append(np.where(reachable, curve.spread_for_tmt(target), -np.inf))
    guess = np.floor(np.maximum.reduce(guesses))

    def unchanged(rows: np.ndarray, s: np.ndarray) -> np.ndarray:
        part = sub.take(rows) if rows.shape[0] != idx.size else sub
        same: NDArray[np.bool_] = part.at(s)[1] <= target[rows]
        return same

    found = _largest(unchanged, np.where(np.isfinite(guess), guess, -1.0))
    line[idx] = np.minimum(np.maximum(found, 0.0), room[idx])
    return line


# ------------------------------------------------------------------ around the line (engine calls)


def with_added_spread(h: Households, spread: np.ndarray) -> Households:
    """``h`` with ``spread`` added to its ISO spread (Form 6251 line 2i)."""
    return h.replace(iso_bargain_element=h.iso_bargain_element + np.asarray(spread, dtype=np.float64))


def amt_at_spreads(
    h: Households, spreads: np.ndarray, law: LawTable | None = None, *, deduction: Deduction = "auto"
) -> FederalResult:
    """Engine results for every household at each added spread; ``spreads`` has shape (n, k), results (n * k,)."""
    spreads = np.asarray(spreads, dtype=np.float64)
    n, k = spreads.shape
    rows = np.repeat(np.arange(n), k)
    return compute_federal(with_added_spread(h.take(rows), spreads.ravel()), law, deduction=deduction)


@dataclass(frozen=True)
class LineZone:
    """The marginal AMT rate on the first dollars past the line, and why (engine numbers)."""

    rate: np.ndarray  # AMT per extra dollar of spread just past the line
    phase_out: np.ndarray  # the exemption is being phased out (§55(d)(3))
    mfs_addon: np.ndarray  # the MFS add-on is growing (§55(d) flush language)
    upper_rate: np.ndarray  # the ordinary part of the AMT base is above the 26%/28% breakpoint
    gains_pulled_in: np.ndarray  # Part III: exemption-sheltered gains enter the AMT at their 0/15/20% rates


def zone_past_line(
    h: Households, room: np.ndarray, law: LawTable | None = None, *, deduction: Deduction = "auto"
) -> LineZone:
    """Marginal AMT rate just past the line, measured with the engine: AMT(room + 2) - AMT(room + 1).

    Measured from the first dollar that owes AMT (``room + 1``), over one
    dollar, so it is the slope of the piece the line falls on. The zone is
    read off the Form 6251 lines at ``room + 1``.
    """
    law = law or law_table()
    room = np.asarray(room, dtype=np.float64)
    r = amt_at_spreads(h, np.stack([room + 1.0, room + 2.0], axis=1), law, deduction=deduction)
    return zone_in_result(h, r, 2, law)


def zone_in_result(h: Households, r: FederalResult, k: int, law: LawTable) -> LineZone:
    """:func:`zone_past_line` read off engine results that hold ``k`` rows per household, of which the first
    two are the household at room + 1 and room + 2 (the others are the caller's: one engine call for both)."""
    amt = r.amt.reshape(-1, k)
    rate = amt[:, 1] - amt[:, 0]
    first = np.arange(0, k * len(h), k)
    p = law.gather(h.year, h.filing_status)
    amti, exemption, base = r.amti[first], r.amt_exemption[first], r.amt_base[first]
    gains = r.amt_line13[first]
    ordinary = base - np.minimum(base, gains)
    return LineZone(
        rate=rate,
        phase_out=(amti > p.amt_phaseout_start) & (exemption > 0),
        mfs_addon=(h.filing_status == _MFS) & (r.mfs_addon[first] > 0) & (r.mfs_addon[first] < p.amt_exemption),
        upper_rate=ordinary > p.amt_breakpoint,
        gains_pulled_in=(gains > 0) & (base < gains),
    )


def shares_for_spread(spread: np.ndarray, spread_per_share: np.ndarray) -> np.ndarray:
    """Whole shares whose total spread fits in ``spread`` (no spread per share: every share fits, inf).

    A share that overshoots by less than a billionth of the spread counts as
    fitting, so exact multiples (e.g. $10,000 at $0.10 a share) are not lost
    to binary rounding.
    """
    spread = np.maximum(np.asarray(spread, dtype=np.float64), 0.0)
    per = np.asarray(spread_per_share, dtype=np.float64)
    safe = np.where(per > 0, per, 1.0)
    slack = 1e-9 * np.maximum(spread, 1.0)
    shares = np.floor(spread / safe)
    shares = np.where((shares + 1.0) * safe <= spread + slack, shares + 1.0, shares)
    shares = np.where(shares * safe > spread + slack, shares - 1.0, shares)
    return np.where(per > 0, np.maximum(shares, 0.0), np.inf)


# ------------------------------------------------------------------ California (Schedule P (540), issue 9)
#
# Added ISO spread enters Schedule P (540) line 10 (R&TC §17062 via IRC §56(b)(3)). California regular tax
# (Form 540 line 31 = Schedule P line 25) does not depend on it, and the tentative minimum tax is
#
#     line 21 = AMTI before the add-on + s   (+ the MFS add-on: 25% of AMTI over the exemption's zero point)
#     line 22 = exemption - 25% x (line 21 - phase-out start), floored at 0
#     line 24 = 7% x (line 21 - line 22)
#
# (the rates and amounts come from the California parameter files), a non-decreasing piecewise-linear function
# of s. The California AMT is line 24 - line 25, so the California room is the largest whole s with
# line 24 <= line 25: three closed-form inversions, then checked at the dollar with compute_california.


@dataclass(frozen=True)
class CaliforniaRoomResult:
    """The California AMT line (Schedule P (540)) and FTB 3510 credit line of each household.

    * ``ca_amt_room``: the largest whole-dollar ISO spread that can be added
      with no California AMT (Schedule P line 26 = 0 at that spread; the
      next dollar owes some); 0 when the household already owes it.
    * ``ca_credit_line``: with a California AMT credit carryforward in use,
      the largest whole-dollar spread (at most the AMT line) up to which this
      year's FTB 3510 credit use has not shrunk; NaN where no credit is used.
    * the rest: Schedule P lines 25, 24, 26 and the credit used, with no added spread.
    """

    ca_amt_room: np.ndarray
    ca_already_in_amt: np.ndarray
    ca_credit_line: np.ndarray
    ca_regular_tax: np.ndarray  # Schedule P line 25 (Form 540 line 31)
    ca_tentative_minimum_tax: np.ndarray
    ca_amt: np.ndarray
    ca_credit_used: np.ndarray
    ca_itemized_at_line: np.ndarray

    def __len__(self) -> int:
        return int(self.ca_amt_room.shape[0])


def ca_spread_for_tmt(target: np.ndarray, amti_before_addon: np.ndarray, status: np.ndarray,
                      p: SimpleNamespace) -> np.ndarray:
    """The largest real added spread with Schedule P line 24 <= ``target`` (-inf if the target is negative).

    Inverts :func:`isoplan.tax.states.california.schedule_p_part2` step by step:
    line 23 = target / rate; line 21 from line 23 through the exemption
    phase-out; AMTI before the MFS add-on from line 21.
    """
    e, start, rate = p.amt_exemption, p.amt_phaseout_start, p.amt_phaseout_rate
    y = np.maximum(target, 0.0) / p.amt_rate  # line 23
    zero_point = start + e / rate
    # line 23 = line 21 - e below the start; (1 + rate) line 21 - e - rate x start in the phase-out; line 21 above
    line21 = np.where(y < start - e, e + y, np.where(y < zero_point, (y + e + rate * start) / (1.0 + rate), y))
    addon_rate = p.amt_mfs_addon_rate
    safe_rate = np.where(addon_rate > 0, addon_rate, 1.0)
    cap_start = np.where(addon_rate > 0, zero_point + e / safe_rate, np.inf)
    mfs = np.where(
        line21 <= zero_point,
        line21,
        np.where(line21 <= cap_start + e, zero_point + (line21 - zero_point) / (1.0 + addon_rate), line21 - e),
    )
    amti = np.where(status == _MFS, mfs, line21)
    return np.where(target < 0, -np.inf, amti - amti_before_addon)


def california_amt_room(
    h: Households,
    law: LawTable | None = None,
    *,
    property_tax: float | NDArray[np.float64] = 0.0,
    ca_amt_credit_carryforward: float | NDArray[np.float64] = 0.0,
    deduction: Deduction = "auto",
) -> CaliforniaRoomResult:
    """The California AMT room and FTB 3510 credit line of every household in ``h``.

    Exact to the dollar: :func:`isoplan.tax.states.california.compute_california`
    with ``iso_bargain_element + ca_amt_room`` owes no California AMT and with
    one dollar more it does (unless already in California AMT). The closed
    form (:func:`ca_spread_for_tmt`, for the election taken with no added
    spread) is the first guess; the engine settles the last dollar, and rows
    where it misses (an election switch) get an exact search.
    """
    from isoplan.tax.states.california import ca_law_table, compute_california

    if deduction not in ("auto", "standard", "itemized"):
        raise InputError("deduction", deduction, "auto, standard or itemized")
    law = law or ca_law_table()
    n = len(h)
    ptax = np.broadcast_to(np.asarray(property_tax, dtype=np.float64), (n,))
    carry = np.broadcast_to(np.asarray(ca_amt_credit_carryforward, dtype=np.float64), (n,))

    def ca_at(idx: np.ndarray, s: np.ndarray) -> CaliforniaResult:
        part = h if idx.shape[0] == n and np.array_equal(idx, np.arange(n)) else h.take(idx)
        return compute_california(with_added_spread(part, s), law, property_tax=ptax[idx],
                                  ca_amt_credit_carryforward=carry[idx], deduction=deduction)

    rows = np.arange(n)
    r0 = ca_at(rows, np.zeros(n))
    if n == 0:
        empty = np.zeros(0)
        return CaliforniaRoomResult(empty, empty.astype(bool), empty, empty, empty, empty, empty, empty.astype(bool))
    p = law.gather(h.year, h.filing_status)
    amti0 = r0.ca_amti - r0.ca_mfs_addon
    already = r0.ca_amt > 0
    guess = np.floor(ca_spread_for_tmt(r0.ca_p_line25, amti0, h.filing_status, p))

    def no_amt(idx: np.ndarray, s: np.ndarray) -> np.ndarray:
        return ca_at(idx, s).ca_amt <= 0

    room = _largest(no_amt, np.where(np.isfinite(guess), guess, -1.0))
    room = np.where(already, 0.0, np.maximum(room, 0.0))

    # FTB 3510: the credit used is min(carry, line 25 - exemption credits - line 24); it is unchanged while
    # line 24 <= line 25 - exemption credits - credit used at s = 0
    line = np.full(n, np.nan)
    used0 = r0.ca_amt_credit_used
    idx = np.flatnonzero((used0 > _UNCHANGED) & ~already)
    if idx.size:
        target = r0.ca_p_line25[idx] - r0.ca_exemption_credits[idx] - used0[idx]
        p_sub = SimpleNamespace(**{k: np.asarray(getattr(p, k))[idx] if np.ndim(getattr(p, k)) else getattr(p, k)
                                   for k in ("amt_exemption", "amt_phaseout_start", "amt_phaseout_rate",
                                             "amt_mfs_addon_rate", "amt_rate")})
        credit_guess = np.floor(ca_spread_for_tmt(target + _UNCHANGED, amti0[idx], h.filing_status[idx], p_sub))

        def unchanged(sub: np.ndarray, s: np.ndarray) -> np.ndarray:
            # bounded by the AMT line (no credit is used once TMT passes line 25), so the search ends
            rows = idx[sub]
            same: NDArray[np.bool_] = ((ca_at(rows, s).ca_amt_credit_used >= used0[rows] - _UNCHANGED)
                                       & (s <= room[rows]))
            return same

        found = _largest(unchanged, np.where(np.isfinite(credit_guess), credit_guess, -1.0))
        line[idx] = np.minimum(np.maximum(found, 0.0), room[idx])
    at_line = ca_at(rows, room)
    return CaliforniaRoomResult(
        ca_amt_room=room,
        ca_already_in_amt=already,
        ca_credit_line=line,
        ca_regular_tax=r0.ca_p_line25,
        ca_tentative_minimum_tax=r0.ca_tentative_minimum_tax,
        ca_amt=r0.ca_amt,
        ca_credit_used=used0,
        ca_itemized_at_line=at_line.ca_itemized > 0,
    )


def state_has_amt(state: Jurisdiction, law: LawTable, years: Sequence[int]) -> bool:
    """Whether the state has an alternative minimum tax in ``years``: an AMT basis dollar can lower its TMT."""
    return state.amt_basis_worth(law, years) > 0


def state_amt_room(state: Jurisdiction, h: Households, law: LawTable, inputs: Mapping[str, float],
                   credit: float | NDArray[np.float64], *, deduction: Deduction = "auto") -> NDArray[np.float64] | None:
    """The state's AMT room of every household in ``h``: the largest whole-dollar ISO spread that adds no state
    AMT (0 where the household already owes it); None for a state without an AMT (it draws no line).

    California uses its exact solver (:func:`california_amt_room`); another state's room is found with its
    own return (:meth:`~isoplan.tax.states.Jurisdiction.compute`), searched to the dollar.
    """
    if state.code == "CA":
        room: NDArray[np.float64] = california_amt_room(
            h, law, property_tax=inputs.get("property_tax", 0.0), ca_amt_credit_carryforward=credit,
            deduction=deduction).ca_amt_room
        return room
    if not state_has_amt(state, law, sorted({int(y) for y in h.year})):
        return None
    n = len(h)
    carry = np.broadcast_to(np.asarray(credit, dtype=np.float64), (n,))
    amt_line = state.credit_lines.amt

    def amt_at(idx: np.ndarray, s: np.ndarray) -> np.ndarray:
        part = with_added_spread(h.take(idx), s)
        amounts = {k: np.asarray(v)[idx] if np.ndim(v) else v for k, v in inputs.items()}
        amt: np.ndarray = state.compute(part, law, inputs=amounts, credit=carry[idx], deduction=deduction).lines[
            amt_line]
        return amt

    rows = np.arange(n)
    already = amt_at(rows, np.zeros(n)) > 0

    def no_amt(idx: np.ndarray, s: np.ndarray) -> np.ndarray:
        ok: np.ndarray = amt_at(idx, s) <= 0
        return ok

    found = _largest(no_amt, np.zeros(n))
    out: NDArray[np.float64] = np.where(already, 0.0, np.maximum(found, 0.0))
    return out
