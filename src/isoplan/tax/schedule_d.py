"""Schedule D on two bases: netting, the capital-loss limit and the carryover, vectorized.

The regular Schedule D and the AMT Schedule D are the same computation on
different amounts (Form 6251 instructions: refigure Schedule D when a gain or
loss, or the capital loss carryover, differs for the AMT, e.g. because of an
incentive stock option's AMT basis):

* line 7 = net short-term gain or loss less the short-term loss carried in
  (line 6); line 15 = net long-term gain or loss less the long-term loss
  carried in (line 14); line 16 = line 7 + line 15;
* a net loss enters income only up to the IRC §1211(b) limit ($3,000,
  $1,500 married filing separately): line 21;
* the loss not used carries forward without expiry, keeping its short- or
  long-term character (IRC §1212(b); Schedule D instructions, Capital Loss
  Carryover Worksheet, lines 1-13).

Form 6251 line 2k is the AMT amount entering AMTI minus the regular amount
entering AGI, each after its own limit (:func:`capital_line2k`). The AMT
carryover is tracked apart from the regular one.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def schedule_d(
    short_term: Any, long_term: Any, short_term_carryover: Any, long_term_carryover: Any, loss_limit: Any
) -> dict[str, np.ndarray]:
    """Schedule D lines 7, 15, 16, 21 and the net capital gain (IRC §1222(11)).

    Gains are this year's net results (may be negative); carryovers are
    positive amounts of loss carried in. ``in_income`` is what enters AGI (or
    AMTI): line 16 if a gain, else line 21 (the loss up to ``loss_limit``).
    ``net_capital_gain`` is the smaller of line 15 and line 16, not below
    zero (QDCG Worksheet line 3; Form 6251 line 13 on the AMT basis).
    """
    line7 = np.asarray(short_term, dtype=np.float64) - np.asarray(short_term_carryover, dtype=np.float64)
    line15 = np.asarray(long_term, dtype=np.float64) - np.asarray(long_term_carryover, dtype=np.float64)
    line16 = line7 + line15
    in_income = np.where(line16 < 0, np.maximum(line16, -np.asarray(loss_limit, dtype=np.float64)), line16)
    return {
        "line7": line7,
        "line15": line15,
        "line16": line16,
        "in_income": in_income,
        "net_capital_gain": np.maximum(np.minimum(line15, line16), 0.0),
    }


def loss_carryover(line7: Any, line15: Any, in_income: Any, taxable_income: Any) -> tuple[np.ndarray, np.ndarray]:
    """Capital Loss Carryover Worksheet (Schedule D instructions): the (short-term, long-term) loss carried out.

    ``taxable_income`` is worksheet line 1: the year's taxable income, negative
    if the deductions exceed income, so a loss deduction that saved no tax
    carries forward. The deduction used is charged to short-term loss first.
    """
    line7 = np.asarray(line7, dtype=np.float64)
    line15 = np.asarray(line15, dtype=np.float64)
    line2 = np.maximum(-np.asarray(in_income, dtype=np.float64), 0.0)  # the line 21 loss, as a positive amount
    line3 = np.maximum(np.asarray(taxable_income, dtype=np.float64) + line2, 0.0)
    line4 = np.minimum(line2, line3)
    line5 = np.maximum(-line7, 0.0)  # short-term loss
    line6 = np.maximum(line15, 0.0)  # long-term gain
    line8 = np.maximum(line5 - (line4 + line6), 0.0)
    line9 = np.maximum(-line15, 0.0)  # long-term loss
    line10 = np.maximum(line7, 0.0)  # short-term gain
    line11 = np.maximum(line4 - line5, 0.0)
    line13 = np.maximum(line9 - (line10 + line11), 0.0)
    return line8, line13


def capital_line2k(regular: dict[str, np.ndarray], amt: dict[str, np.ndarray]) -> np.ndarray:
    """The Schedule D part of Form 6251 line 2k: AMT gain or loss after the limit minus the regular one."""
    line2k: np.ndarray = amt["in_income"] - regular["in_income"]
    return line2k
