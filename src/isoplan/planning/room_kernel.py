"""The AMT room of one household at a time: :func:`isoplan.planning.room.amt_room` as a compiled loop over rows.

:mod:`isoplan.planning.room` solves the room with NumPy, group by group (one
year and filing status each) and pass by pass: the engine's lines, the
closed-form guess, the nudges to the exact dollar, the election rule past the
line, the credit line. This module takes the same steps for one household,
as plain Python functions over scalars, so numba can compile them into one
fused loop over the rows (split across the cores for large batches), each row
looking up its own law in the engine's parameter table. Nothing is written
twice: the law arithmetic is the engine's (:func:`isoplan.tax.kernel.income_and_deductions`,
:func:`~isoplan.tax.kernel.regular_tax_lines` and :func:`~isoplan.tax.kernel.amti_lines` for each
election, only the lines the room needs, :func:`~isoplan.tax.kernel.form6251_from_amti` for Form 6251 at
any added spread); what is here is the solver: the inversion
of the piecewise-linear tentative minimum tax (Form 6251 lines 4-9, IRC §55(b),
(d)), the searches, and the rule of the deduction election (IRC §63(e)) that
decides which line the room ends on.

Each step repeats the NumPy solver's operations in the same order, so the
rooms are the same to the bit (tests/planning/test_room_kernel.py checks it on
mixed batches). The machine code is cached on disk; ``python -m
isoplan.planning.room_kernel`` (run by ``make demo``) builds it once.
"""

from __future__ import annotations

import functools
import hashlib
import math
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from isoplan.tax import compiled, kernel
from isoplan.tax.federal import ELECTION_TIE
from isoplan.tax.households import Households
from isoplan.tax.kernel import (
    AUTO,
    BLOCK_ROWS,
    BLOCK_SPAN,
    I_CREDIT,
    ITEMIZED,
    L_ITEMIZED_ALLOWED,
    L_ITEMIZED_BEFORE_68,
    L_NONITEMIZER_CHARITABLE,
    L_SALT,
    L_STANDARD_TOTAL,
    N_INPUTS,
    N_LINES,
    P_AMT_BREAKPOINT,
    P_AMT_EXEMPTION,
    P_AMT_MFS_ADDON_RATE,
    P_AMT_PHASEOUT_RATE,
    P_AMT_PHASEOUT_START,
    P_AMT_RATES,
    P_CG_RATES,
    amti_lines,
    block_inputs,
    form6251_from_amti,
    income_and_deductions,
    maximum,
    minimum,
    minimum_int,
    regular_tax_lines,
)
from isoplan.tax.law import STATUS_CODE, STATUSES, LawTable

#: Deduction elections (the ``mode`` of :func:`room_rows`): the engine's.
MODES: dict[str, int] = kernel.DEDUCTION_MODES

#: The amounts and the flags of a row (:class:`isoplan.planning.room.RoomResult` fields), each in its own array.
AMOUNTS: tuple[str, ...] = ("amt_room", "credit_line", "regular_tax", "tentative_minimum_tax", "amt", "credit_used")
FLAGS: tuple[str, ...] = ("already_in_amt", "election_switch", "itemized_at_line")
O_ROOM, O_CREDIT_LINE, O_REGULAR, O_TMT, O_AMT, O_CREDIT_USED = range(len(AMOUNTS))
F_ALREADY, F_SWITCH, F_ITEMIZED = range(len(FLAGS))

#: The searches' tests: "TMT(s) <= the curve's regular tax" (one election's line) and "tax after the credit
#: is still at most the target" (the household's tax under the engine's election rule: the credit line).
HOLDS_LINE, HOLDS_UNCHANGED = 0, 1
#: Points where the election test past the line is checked: floor and ceiling of both curves' kinks, and the ends.
N_KINKS = 10
N_POINTS = 4 * N_KINKS + 2
#: Tolerance for "the tax after the credit is unchanged" (a millionth of a dollar), as in planning/room.py.
UNCHANGED = 1e-6

MFS = STATUS_CODE["mfs"]
N_STATUSES = len(STATUSES)

#: Batches up to this many rows are solved by :func:`isoplan.planning.room.amt_room` without numba (one
#: household never imports it); larger ones here (:func:`batch_rooms`), compiled: in one thread, or split across
#: the cores from :data:`PARALLEL_ROWS` rows, :data:`CHUNK_ROWS` rows a chunk (the engine's thresholds).
INTERPRETED_ROWS = 64
#: Seconds the interpreter takes for one household's room in :func:`rooms_interpreted` (30-60 us measured, with
#: the deduction election; the NumPy solver takes 270-880 us a household with the engine interpreted): with
#: :data:`isoplan.tax.compiled.LOAD_SECONDS`, about 37,000 households. End to end, ``room --batch`` ran faster
#: interpreted up to 30,000 rows and compiled from 60,000 (load average 4-7).
ROW_SECONDS = 40e-6
#: Batches up to this many rows run this module's row functions (:func:`few_rooms`): compiled once the compiled
#: loop has run in this process (a long-running one, such as the web server: about 0.07 ms a call), else in the
#: interpreter (about 0.2 ms for one household); the rest up to :data:`INTERPRETED_ROWS` the NumPy solver (1-2 ms
#: of fixed cost per call). Same results, bit for bit.
ROW_BY_ROW_ROWS = 8
PARALLEL_ROWS = 100_000
CHUNK_ROWS = 4096
#: this solver's name in :data:`isoplan.tax.compiled.COMPILED_RAN` once its compiled loop has run
COMPILED_NAME = "room"


# ------------------------------------------------------------------ Form 6251 as a function of the spread


def curve_of(xi: Any, status: int, law: Any, at: int, tops: tuple[int, ...], itemize: bool, v: Any) -> tuple[
        tuple[float, float, float, float, float, float, float, float, float], tuple[float, float, float]]:
    """One election's Form 6251 inputs and its taxes with no added spread, from the lines of
    :func:`~isoplan.tax.kernel.income_and_deductions` in ``v``: (regular tax, lines 1b, 2a, 2i, 2k, 3, 13, 21,
    29) and :func:`taxes_of` at the engine's TMT (line 9). Regular tax (line 10) does not depend on the added
    spread; lines 21 and 29 are the room left in the 0% and 15% bands, measured on regular-tax ordinary income
    (QDCG Worksheet line 5). Only the lines the room needs are computed: the engine's own row functions
    (:func:`~isoplan.tax.kernel.regular_tax_lines`, :func:`~isoplan.tax.kernel.amti_lines`,
    :func:`~isoplan.tax.kernel.form6251_from_amti`), without its NIIT, carryovers or stored lines."""
    _, _, total_deductions, _, _, q5, _, _, _, _, _, regular_tax = regular_tax_lines(xi, law, at, tops, itemize, v)
    _, line1b, line2a, line2i, line2k, line3, _, amti_before_addon, line13, line21, line29 = amti_lines(
        xi, law, at, itemize, total_deductions, q5, v)
    line9 = form6251_from_amti(amti_before_addon, status, line13, line21, line29, law, at)[8]
    c = (regular_tax, line1b, line2a, line2i, line2k, line3, line13, line21, line29)
    return c, taxes_of(c, line9, xi[I_CREDIT])


def amti_at(c: Any, s: float) -> float:
    """AMTI before the MFS add-on with ``s`` dollars of spread added to line 2i."""
    amti: float = c[1] + c[2] + (c[3] + s) + c[4] + c[5]
    return amti


def tmt_at(c: Any, s: float, status: int, law: Any, at: int) -> float:
    """Form 6251 line 9 with ``s`` added to line 2i (the engine's Form 6251)."""
    line7: float = form6251_from_amti(amti_at(c, s), status, c[6], c[7], c[8], law, at)[8]
    return line7


def taxes_at(c: Any, s: float, credit: float, status: int, law: Any, at: int) -> tuple[float, float, float]:
    """(AMT, regular tax + AMT - credit used, TMT) with ``s`` added: Form 6251 lines 11 and 9, Form 8801 line 25."""
    return taxes_of(c, tmt_at(c, s, status, law, at), credit)


def taxes_of(c: Any, line9: float, credit: float) -> tuple[float, float, float]:
    """(AMT, regular tax + AMT - credit used, TMT) of one election whose TMT is ``line9``."""
    regular = c[0]
    amt = maximum(line9 - regular, 0.0)
    credit_used = minimum(credit, maximum(regular - line9, 0.0))
    return amt, (regular + amt) - credit_used, line9


def spread_taxes(first: Any, other: Any, credit: float, other_allows_more: bool, s: float, status: int, law: Any,
                 at: int) -> tuple[float, float, bool, float]:
    """(AMT, tax after credit, other election chosen?, TMT) at added spread ``s`` under the engine's election
    rule (:func:`elect`)."""
    return elect(taxes_at(first, s, credit, status, law, at), other, credit, other_allows_more, s, status, law, at)


def elect(first_taxes: Any, other: Any, credit: float, other_allows_more: bool, s: float, status: int, law: Any,
          at: int) -> tuple[float, float, bool, float]:
    """The engine's election rule at added spread ``s``, given the first election's :func:`taxes_of`: where the
    AMT or the credit is in play and the other election deducts more for the AMT, it is taken when cheaper by
    more than the tie rule (:func:`isoplan.tax.kernel.other_election`)."""
    amt, after, line9 = first_taxes
    if other_allows_more and (amt > 0 or credit > 0):
        amt_b, after_b, line9_b = taxes_at(other, s, credit, status, law, at)
        if after_b < after - ELECTION_TIE:
            return amt_b, after_b, True, line9_b
    return amt, after, False, line9


# ------------------------------------------------------------------ inversion (the piecewise-linear structure)


def line4_for_line6(y: float, law: Any, at: int) -> float:
    """Largest line 4 whose line 6 (line 4 minus the phased-out exemption, §55(d)(1), (3)) is <= y >= 0."""
    e = law[at + P_AMT_EXEMPTION]
    start = law[at + P_AMT_PHASEOUT_START]
    rate = law[at + P_AMT_PHASEOUT_RATE]
    zero_point = start + e / rate
    if y < start - e:  # line 6 = line 4 - exemption
        line4: float = e + y
        return line4
    if y < zero_point:  # line 6 = (1 + rate) line 4 - exemption - rate x start
        line4 = (y + e + rate * start) / (1.0 + rate)
        return line4
    return y


def amti_for_line4(x: float, status: int, law: Any, at: int) -> float:
    """Largest AMTI before the MFS add-on (§55(d) flush language) whose line 4 is <= x (identity unless MFS)."""
    if status != MFS:
        return x
    e = law[at + P_AMT_EXEMPTION]
    zero_point = law[at + P_AMT_PHASEOUT_START] + e / law[at + P_AMT_PHASEOUT_RATE]
    addon_rate = law[at + P_AMT_MFS_ADDON_RATE]
    cap_start = zero_point + e / addon_rate if addon_rate > 0 else math.inf
    if x <= zero_point:
        return x
    if x <= cap_start + e:
        amti: float = zero_point + (x - zero_point) / (1.0 + addon_rate)
        return amti
    amti = x - e
    return amti


def spread_for_tmt(c: Any, target: float, status: int, law: Any, at: int) -> float:
    """The largest real added spread with TMT <= ``target`` (-inf if the target is negative): the tax of Part II
    or III as a function of line 6, line 6 of line 4 (exemption phase-out), line 4 of AMTI before the add-on."""
    if target < 0:
        return -math.inf
    r0 = law[at + P_AMT_RATES]
    r1 = law[at + P_AMT_RATES + 1]
    bp = law[at + P_AMT_BREAKPOINT]
    t = maximum(target, 0.0)
    # line 39: 26% to the breakpoint, 28% above
    v_bp = r0 * bp
    y39 = t / r0 if t <= v_bp else bp + (t - v_bp) / r1
    gains = c[6]
    if gains > 0:
        # line 38 (Part III): gains in line 6 first fill the 0%, 15%, 20% bands, then 26%/28% on the rest
        c15 = law[at + P_CG_RATES + 1]
        c20 = law[at + P_CG_RATES + 2]
        u1 = minimum(c[7], gains)
        u2 = minimum(c[7] + c[8], gains)
        v1 = c15 * (u2 - u1)
        v2 = v1 + c20 * (gains - u2)
        v3 = v2 + r0 * bp
        if t <= v1:
            y38 = u1 + t / c15
        elif t <= v2:
            y38 = u2 + (t - v1) / c20
        elif t <= v3:
            y38 = gains + (t - v2) / r0
        else:
            y38 = gains + bp + (t - v3) / r1
        # line 7 = min(line 38, line 39): the set where the minimum is <= t is the union of the two sets
        line6 = maximum(y38, y39)
    else:
        line6 = y39
    line4 = line4_for_line6(line6, law, at)
    s: float = amti_for_line4(line4, status, law, at) - amti_at(c, 0.0)
    return s


def kink(c: Any, j: int, status: int, law: Any, at: int) -> float:
    """The ``j``-th of the :data:`N_KINKS` added spreads where TMT may change slope (TMT is linear between)."""
    e = law[at + P_AMT_EXEMPTION]
    start = law[at + P_AMT_PHASEOUT_START]
    rate = law[at + P_AMT_PHASEOUT_RATE]
    zero_point = start + e / rate
    gains = c[6]
    bp = law[at + P_AMT_BREAKPOINT]
    if j == 8:
        a = zero_point
    elif j == 9:
        addon_rate = law[at + P_AMT_MFS_ADDON_RATE]
        a = zero_point + e / (addon_rate if addon_rate > 0 else 1.0)
    else:
        if j == 5:
            x = e if e <= start else (e + rate * start) / (1.0 + rate)
        elif j == 6:
            x = start
        elif j == 7:
            x = zero_point
        else:
            if j == 0:
                y = minimum(c[7], gains)
            elif j == 1:
                y = minimum(c[7] + c[8], gains)
            elif j == 2:
                y = gains
            elif j == 3:
                y = gains + bp
            else:
                y = bp
            x = line4_for_line6(y, law, at)
        a = amti_for_line4(x, status, law, at)
    spread: float = a - amti_at(c, 0.0)
    return spread


# ------------------------------------------------------------------ searches


def line_of(c: Any, status: int, law: Any, at: int) -> tuple[float, float]:
    """One election's line: the largest whole s >= 0 with TMT(s) <= its regular tax (-1 if even s = 0 is past
    it), and TMT one dollar past the line. The closed-form guess is checked and nudged up to three times, then,
    if still off, searched exactly (:func:`largest` with this test, written out: it runs for every household)."""
    target = c[0]
    guess = np.floor(spread_for_tmt(c, target, status, law, at))
    s = maximum(guess if math.isfinite(guess) else -1.0, -1.0)
    for nudges in range(4):
        here = True
        if s >= 0:
            here = tmt_at(c, s, status, law, at) <= target
        past_tmt = tmt_at(c, s + 1.0, status, law, at)
        past = past_tmt <= target
        if here and not past:
            return s, past_tmt
        if nudges == 3:
            break
        s = maximum(s - 1.0 if not here else (s + 1.0 if past else s), -1.0)
    s = search(HOLDS_LINE, c, c, 0.0, False, target, s, status, law, at)
    return s, tmt_at(c, s + 1.0, status, law, at)


def holds(test: int, first: Any, other: Any, credit: float, other_allows_more: bool, target: float, s: float,
          status: int, law: Any, at: int) -> bool:
    """The searches' monotone test at ``s``: :data:`HOLDS_LINE` (on ``first``) or :data:`HOLDS_UNCHANGED`."""
    if test == HOLDS_LINE:
        return tmt_at(first, s, status, law, at) <= target
    return spread_taxes(first, other, credit, other_allows_more, s, status, law, at)[1] <= target


def largest(test: int, first: Any, other: Any, credit: float, other_allows_more: bool, target: float, guess: float,
            status: int, law: Any, at: int) -> float:
    """Largest whole s >= 0 where the test holds (-1 if even s = 0 fails): ``guess`` (whole dollars, from the
    closed-form inversion) is checked and nudged up to three times, then, if still off, searched exactly."""
    s = maximum(guess, -1.0)
    for nudges in range(4):
        here = True
        if s >= 0:
            here = holds(test, first, other, credit, other_allows_more, target, s, status, law, at)
        past = holds(test, first, other, credit, other_allows_more, target, s + 1.0, status, law, at)
        if here and not past:
            return s
        if nudges == 3:
            break
        s = maximum(s - 1.0 if not here else (s + 1.0 if past else s), -1.0)
    return search(test, first, other, credit, other_allows_more, target, s, status, law, at)


def search(test: int, first: Any, other: Any, credit: float, other_allows_more: bool, target: float, start: float,
           status: int, law: Any, at: int) -> float:
    """Exact search from ``start``: bracket by doubling, then bisect (the NumPy solver's steps, row by row)."""
    lo = -1.0
    hi = math.inf
    point = maximum(start, 0.0)
    if holds(test, first, other, credit, other_allows_more, target, point, status, law, at):
        lo = point
    else:
        hi = point
    step = 1.0
    for _ in range(64):  # grow the bracket until [lo, hi] holds the line
        open_up = not math.isfinite(hi)
        if not open_up and not (lo < 0 and hi > 0):
            break
        probe = lo + step if open_up else maximum(hi - step, 0.0)
        if holds(test, first, other, credit, other_allows_more, target, probe, status, law, at):
            lo = maximum(lo, probe)
        else:
            hi = minimum(hi, probe)
        step = step * 2.0
    for _ in range(80):
        if not hi - lo > 1:
            break
        mid = np.floor((lo + hi) / 2.0)
        if holds(test, first, other, credit, other_allows_more, target, maximum(mid, 0.0), status, law, at):
            lo = mid
        else:
            hi = mid
    return lo


def sort_in_place(a: Any, n: int) -> None:
    """Sort ``a[:n]`` ascending (insertion sort: a few dozen points)."""
    for i in range(1, n):
        key = a[i]
        j = i - 1
        while j >= 0 and a[j] > key:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = key


def first_crossing(first: Any, other: Any, credit: float, other_allows_more: bool, start: float, other_room: float,
                   status: int, law: Any, at: int, points: Any) -> float:
    """Where the engine switched election at ``start`` with no AMT: the first spread that owes AMT, less 1.

    Past the larger deduction's line the engine keeps the other election (AMT 0
    up to ``other_room``) while it is cheaper than the first one. "Cheaper" can
    only stop where TMT(first) - TMT(other) falls to the tie rule, a
    piecewise-linear function whose kinks are the kinks of the two curves: the
    AMT is checked at every kink (rounded both ways) in order, the first one
    that owes AMT brackets the line on a piece where the test is monotone, and
    bisection ends it. Without gains both elections share one TMT function F of
    AMTI (slope at least the 26% rate wherever line 6 > 0), so when
    26% x min(AMTI difference, AMTI past where line 6 starts) clears the tie
    rule at the start, the engine keeps the other election up to its own line.
    """
    x_start = amti_at(first, start)
    d = x_start - amti_at(other, start)
    line6_starts = amti_for_line4(line4_for_line6(0.0, law, at), status, law, at)
    bound = law[at + P_AMT_RATES] * minimum(d, x_start - line6_starts)
    if not (first[6] > 0 or bound <= 1e3 * ELECTION_TIE):
        return other_room
    n = 0
    for curve in range(2):
        c = first if curve == 0 else other
        for j in range(N_KINKS):
            k = kink(c, j, status, law, at)
            points[n] = np.floor(k)
            points[n + 1] = np.ceil(k)
            n += 2
    points[n] = other_room
    points[n + 1] = start
    n += 2
    m = 0
    for i in range(n):
        p = points[i]
        if p == p:  # a point that is not a number owes nothing: leave it out
            points[m] = minimum(maximum(p, start), other_room)
            m += 1
    sort_in_place(points, m)
    lo = start - 1.0
    hi = math.nan
    for i in range(m):
        p = points[i]
        if i > 0 and p == points[i - 1]:
            continue
        if spread_taxes(first, other, credit, other_allows_more, p, status, law, at)[0] > 0:
            hi = p
            break
        lo = p
    if hi != hi:
        return other_room
    for _ in range(80):
        if not hi - lo > 1:
            break
        mid = np.floor((lo + hi) / 2.0)
        if spread_taxes(first, other, credit, other_allows_more, mid, status, law, at)[0] > 0:
            hi = mid
        else:
            lo = mid
    return lo


# ------------------------------------------------------------------ one household's room


def room_row(xi: Any, status: int, law: Any, at: int, tops: tuple[int, ...], mode: int, v: Any, points: Any, out: Any,
             flags: Any, i: int) -> None:
    """The room and the credit line of the household with inputs ``xi`` into ``out[:, i]`` (:data:`AMOUNTS`) and
    ``flags[:, i]`` (:data:`FLAGS`).

    The engine's lines of each election the solve needs (:func:`curve_of`; ``v``: scratch), then the steps of
    :func:`isoplan.planning.room.amt_room` for this household (``points``: scratch for :func:`first_crossing`).
    """
    credit = xi[I_CREDIT]
    income_and_deductions(xi, status, law, at, tops, v)
    other_allows_more = False
    # each election's curve, and its taxes with no added spread: the engine's own lines (Form 6251 lines 11, 9)
    if mode == AUTO:
        # compute_federal "auto": start from the larger deduction; the other election is tried
        # only where it deducts more for the AMT (mortgage interest, charity, other itemized)
        itemize_first = v[L_ITEMIZED_ALLOWED] > v[L_STANDARD_TOTAL]
        amt_itemized = v[L_ITEMIZED_BEFORE_68] - v[L_SALT]
        amt_standard = v[L_NONITEMIZER_CHARITABLE]
        other_allows_more = amt_standard > amt_itemized if itemize_first else amt_itemized > amt_standard
        # The standard curve of an itemizer is needed only where the election may switch, or for the credit
        # line's first guess (which takes the later of both elections' inversions).
        if itemize_first or other_allows_more:
            itemized, itemized0 = curve_of(xi, status, law, at, tops, True, v)
            if not itemize_first or other_allows_more or credit > 0:
                standard, standard0 = curve_of(xi, status, law, at, tops, False, v)
            else:
                standard, standard0 = itemized, itemized0
        else:
            standard, standard0 = curve_of(xi, status, law, at, tops, False, v)
            itemized, itemized0 = standard, standard0
        first, first0 = (itemized, itemized0) if itemize_first else (standard, standard0)
        other, other0 = (standard, standard0) if itemize_first else (itemized, itemized0)
    else:
        itemize_first = mode == ITEMIZED
        first, first0 = curve_of(xi, status, law, at, tops, itemize_first, v)
        other, other0 = first, first0
    amt0, after0, line9 = first0
    switch0 = False
    if other_allows_more and (amt0 > 0 or credit > 0) and other0[1] < after0 - ELECTION_TIE:
        amt0, after0, line9 = other0
        switch0 = True
    already = amt0 > 0

    # the first election's own line (monotone in s: regular tax fixed, TMT non-decreasing); a household already
    # in AMT has room 0, and its line matters only for the election at it, where a credit is in play
    line_first, tmt_past = -1.0, 0.0
    if not already or credit > 0:
        line_first, tmt_past = line_of(first, status, law, at)
    room = maximum(line_first, 0.0)
    switched = False
    switch_at_line = False
    if mode == AUTO:
        if not already:
            # does the engine owe AMT one dollar past the larger deduction's line? (not if it switches)
            amt_next, _, switch_next, _ = elect(taxes_of(first, tmt_past, credit), other, credit, other_allows_more,
                                                line_first + 1.0, status, law, at)
            switched = amt_next == 0 and switch_next
        if switched:
            other_room = line_of(other, status, law, at)[0]
            room = first_crossing(first, other, credit, other_allows_more, line_first + 1.0, other_room, status, law,
                                  at, points)
        # the election at the line: at or below the first line the engine can still switch (credit rows)
        if switched or credit > 0:
            switch_at_line = spread_taxes(first, other, credit, other_allows_more, room, status, law, at)[2]
    if already:
        room = 0.0

    # outputs at s = 0, of the election the engine takes there
    regular = other[0] if switch0 else first[0]
    credit_line = math.nan
    if credit > 0 and not already and after0 < regular:
        # tax after credit under one election = max(regular - credit, TMT(s)): invert each election, take the later
        target = after0 + UNCHANGED
        credit_guess = spread_for_tmt(first, target, status, law, at) if first[0] - credit <= target else -math.inf
        if mode == AUTO:
            other_guess = spread_for_tmt(other, target, status, law, at) if other[0] - credit <= target \
                else -math.inf
            credit_guess = maximum(credit_guess, other_guess)
        credit_guess = np.floor(credit_guess)
        found = largest(HOLDS_UNCHANGED, first, other, credit, other_allows_more, target,
                        credit_guess if math.isfinite(credit_guess) else -1.0, status, law, at)
        credit_line = minimum(maximum(found, 0.0), room)
    out[O_ROOM, i] = room
    flags[F_ALREADY, i] = already
    out[O_CREDIT_LINE, i] = credit_line
    out[O_REGULAR, i] = regular
    out[O_TMT, i] = line9
    out[O_AMT, i] = amt0
    out[O_CREDIT_USED, i] = minimum(credit, maximum(regular - line9, 0.0))
    flags[F_SWITCH, i] = switched and room > line_first
    flags[F_ITEMIZED, i] = itemize_first != switch_at_line


def room_rows(start: int, stop: int, x: Any, year: Any, status: Any, first_year: int, law: Any, width: int,
              tops: tuple[int, ...], mode: int, out: Any, flags: Any, xb: Any, v: Any, points: Any) -> None:
    """Rows ``start:stop`` of the inputs ``x`` (one sequence per :data:`isoplan.tax.kernel.INPUT_FIELDS`); row
    i's law starts at ``((year - first_year) * statuses + status) * width`` of the flat table ``law``. ``xb``,
    ``v``, ``points``: scratch for the inputs of :data:`~isoplan.tax.kernel.BLOCK_ROWS` rows (``xb[r]``: one
    row's :data:`~isoplan.tax.kernel.N_INPUTS`), :data:`~isoplan.tax.kernel.N_LINES` lines and
    :data:`N_POINTS` points."""
    for block in range(start, stop, BLOCK_ROWS):
        # a block's inputs column by column, as the engine's loop reads them (:func:`~isoplan.tax.kernel.block_inputs`)
        block_stop = minimum_int(stop, block + BLOCK_ROWS)
        block_inputs(x, block, block_stop, xb)
        block_year = year[block:block_stop]
        block_status = status[block:block_stop]
        for r in range(len(block_year)):
            s = block_status[r]
            at = ((block_year[r] - first_year) * N_STATUSES + s) * width
            # the household's own row of the law: each parameter is then read at a fixed place (no index computed
            # per read, which the compiled loop would check for negative values)
            room_row(xb[r], s, law[at:at + width], 0, tops, mode, v, points, out, flags, block + r)


#: The loop over chunks of rows: ``range`` when run in one thread; :func:`_compiled` runs a copy of
#: :func:`room_chunks` with numba's ``prange`` here, which splits the chunks across the cores.
prange = range


def room_chunks(x: Any, year: Any, status: Any, first_year: int, law: Any, width: int, tops: tuple[int, ...], mode: int,
                out: Any, flags: Any, chunk: int) -> None:
    """:func:`room_rows` over every row, ``chunk`` rows at a time."""
    n = len(year)
    for c in prange((n + chunk - 1) // chunk):
        stop = (c + 1) * chunk
        room_rows(c * chunk, n if n < stop else stop, x, year, status, first_year, law, width, tops, mode, out, flags,
                  np.empty((N_INPUTS, BLOCK_SPAN)).T, np.empty(N_LINES), np.empty(N_POINTS))


#: The solver's functions the compiled loops call (each compiled once, with the engine's).
ROW_FUNCTIONS = (curve_of, amti_at, tmt_at, taxes_at, taxes_of, spread_taxes, elect, line4_for_line6,
                 amti_for_line4, spread_for_tmt, kink, line_of, holds, largest, search, sort_in_place, first_crossing,
                 room_row, room_rows)


# ------------------------------------------------------------------ running it


@functools.cache
def _compiled(variant: str) -> Callable[..., None]:
    """The compiled loop, in one thread (``one_thread``) or split across the cores (``parallel``), each made only
    when first run (imports numba; loads the cached machine code, or compiles it once).

    numba's cache is keyed to the file of the compiled function (this one), not to the engine's kernel it
    calls; the loop's cache name therefore carries a digest of kernel.py, so a change to the law arithmetic
    compiles anew instead of loading a stale loop.
    """
    import numba  # a heavy import: only for batches
    from numba.extending import register_jitable

    compiled.register_row_functions()  # the engine's row functions, as the engine's loops compile them
    for function in ROW_FUNCTIONS:
        # as the engine's row functions (see there): inlined, and without reference counting of borrowed arrays
        register_jitable(_nrt=False, forceinline=True)(function)
    digest = hashlib.sha256(Path(kernel.__file__).read_bytes()).hexdigest()[:16]
    loop: Callable[..., None]
    if variant == "parallel":
        loop = compiled.cached_jit(_copy(room_chunks, numba.prange, f"room_chunks_parallel_{digest}"), parallel=True,
                                   error_model="numpy")
    else:
        loop = compiled.cached_jit(_copy(room_chunks, range, f"room_chunks_{digest}"), error_model="numpy")
    return loop


def _copy(driver: Callable[..., None], loop: Any, qualname: str) -> Callable[..., None]:
    """A copy of ``driver`` with ``loop`` as its ``prange`` and its own name in numba's cache."""
    namespace = dict(driver.__globals__, prange=loop)
    copy = types.FunctionType(driver.__code__, namespace, driver.__name__, driver.__defaults__, driver.__closure__)
    copy.__qualname__ = qualname
    copy.__module__ = driver.__module__
    return copy


def rooms(h: Households, law: LawTable, deduction: str) -> dict[str, np.ndarray]:
    """The :class:`isoplan.planning.room.RoomResult` fields of every household in ``h``, compiled, in input order."""
    n = len(h)
    _check_years(h, law)
    table, n_tops = compiled.kernel_table(law)
    out, flags = np.empty((len(AMOUNTS), n)), np.empty((len(FLAGS), n), dtype=np.bool_)
    loop = _compiled("parallel" if n >= PARALLEL_ROWS else "one_thread")
    loop(tuple(compiled.readonly(getattr(h, name), np.float64) for name in kernel.INPUT_FIELDS),
         compiled.readonly(h.year, np.int64), compiled.readonly(h.filing_status, np.int8), int(law.first_year),
         compiled.readonly(table.ravel(), np.float64), int(table.shape[1]), kernel.bracket_tops(n_tops),
         MODES[deduction], out, flags, CHUNK_ROWS)
    compiled.COMPILED_RAN.add(COMPILED_NAME)
    return {**dict(zip(AMOUNTS, out, strict=True)), **dict(zip(FLAGS, flags, strict=True))}


def batch_rooms(h: Households, law: LawTable, deduction: str) -> dict[str, np.ndarray]:
    """:func:`rooms` of a batch, compiled, or row by row in the interpreter while compiled code is not loaded in
    this process and loading it would cost more (:func:`isoplan.tax.compiled.interpret`): the same rooms."""
    if compiled.interpret(len(h) * ROW_SECONDS):
        return rooms_interpreted(h, law, deduction)
    return rooms(h, law, deduction)


def few_rooms(h: Households, law: LawTable, deduction: str) -> dict[str, np.ndarray]:
    """:func:`rooms` of a few households (up to :data:`ROW_BY_ROW_ROWS`): compiled when the compiled loop has already
    run in this process, else interpreted (a one-household command never imports numba): the same rooms."""
    if COMPILED_NAME in compiled.COMPILED_RAN:
        return rooms(h, law, deduction)
    return rooms_interpreted(h, law, deduction)


def rooms_interpreted(h: Households, law: LawTable, deduction: str) -> dict[str, np.ndarray]:
    """:func:`rooms` with the same functions run by the interpreter (for a few households; slow for a batch)."""
    n = len(h)
    _check_years(h, law)
    table, n_tops = compiled.kernel_table(law)
    out, flags = np.empty((len(AMOUNTS), n)), np.empty((len(FLAGS), n), dtype=np.bool_)
    room_rows(0, n, tuple(getattr(h, name).tolist() for name in kernel.INPUT_FIELDS), h.year.tolist(),
              h.filing_status.tolist(), int(law.first_year), table.ravel().tolist(), int(table.shape[1]),
              kernel.bracket_tops(n_tops), MODES[deduction], out, flags,
              [[0.0] * N_INPUTS for _ in range(min(n, BLOCK_ROWS))], [0.0] * N_LINES, [0.0] * N_POINTS)
    return {**dict(zip(AMOUNTS, out, strict=True)), **dict(zip(FLAGS, flags, strict=True))}


def _check_years(h: Households, law: LawTable) -> None:
    """Every year is one the law has (else :meth:`LawTable.year_index` raises the input error naming the row)."""
    if len(h) and not law.first_year <= int(h.year.min()) <= int(h.year.max()) <= law.last_year:
        law.year_index(h.year)


def warm() -> None:
    """Compile (or load from the cache) both loops, on a small batch each."""
    from isoplan.tax.households import households
    from isoplan.tax.law import law_table

    law = law_table()
    compiled.use_compiled()
    for rows in (INTERPRETED_ROWS + 1, PARALLEL_ROWS):
        wages = np.linspace(0.0, 1e6, rows)
        h = households(year=np.full(rows, law.first_year), filing_status=np.zeros(rows, dtype=np.int8), wages=wages,
                       mortgage_interest=wages / 20, amt_credit_carryforward=wages / 50)
        for deduction in MODES:
            rooms(h, law, deduction)


if __name__ == "__main__":
    warm()
