"""Form 8801: the minimum tax credit carried across years (IRC §53), vectorized over scenarios.

The AMT of a year creates credit to the extent it comes from *deferral*
items. Form 8801 Part I refigures the prior year's tentative minimum tax
with the *exclusion* items alone, under that year's law; the AMT that those
alone would have caused (the net minimum tax on exclusion items, line 15)
creates no credit (§53(d)(1)(B)):

* exclusion items (kept in the refigured return): the Form 6251 line 2a
  add-back of taxes or of the standard deduction (§56(b)(1)(A), (E)), the
  senior deduction (line 1a, treated like a personal exemption [S]), the §68
  restoration (§56(b)(1)(F)), and the §57(a)(1), (5), (7) preferences
  (depletion, private-activity-bond interest, the §1202 exclusion), which
  callers may pass as ``exclusion_adjustments``;
* deferral items (removed): the ISO adjustment (line 2i, §56(b)(3)), the
  disposition adjustment (line 2k, with the AMT-basis gain put back to the
  regular gain), and every other adjustment (``other_amt_adjustments``).

Part II: line 18 = prior AMT − line 15 (it can be negative, TAX_FACTS H);
line 21 = line 18 + the prior carryforward (line 19); the credit used
(line 25) is the lesser of line 21 and regular tax − TMT (§53(c)); the rest
carries forward without expiry (line 26). Line 21 at or below zero means no
credit (the form says stop), so nothing negative is carried.

:func:`credit_schedule` is the pure arithmetic on arrays of per-year
results; :func:`minimum_tax_credit_years` runs the federal engine year by
year, feeding each year's line 21 into the next return, through the chain
every return shares (:mod:`isoplan.tax.credit_chain`, with :data:`FEDERAL`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from isoplan.tax.credit_chain import CreditLines, credit_years, net_minimum_tax_on_exclusions
from isoplan.tax.federal import Deduction, FederalResult, compute_federal
from isoplan.tax.households import Households
from isoplan.tax.law import LawTable, law_table
from isoplan.tax.schedule_d import capital_line2k, schedule_d

#: (key, line, caption) of the Form 8801 lines isoplan computes, in form order.
FORM8801_LINES: tuple[tuple[str, str, str], ...] = (
    ("line4", "4", "Prior-year AMTI on exclusion items only (Part I refigured return)"),
    ("line13", "13", "Prior-year tentative minimum tax on exclusion items"),
    ("line14", "14", "Prior-year regular tax (Form 6251 line 10)"),
    ("line15", "15", "Net minimum tax on exclusion items (13 − 14, not below 0)"),
    ("line16", "16", "Prior-year AMT (Form 6251 line 11)"),
    ("line17", "17", "Line 15"),
    ("line18", "18", "Credit created by the prior year: 16 − 17 (may be negative)"),
    ("line19", "19", "Credit carried forward from the prior year's Form 8801 line 26"),
    ("line21", "21", "Credit available: 18 + 19"),
    ("line22", "22", "Regular tax this year (less other credits: none modeled)"),
    ("line23", "23", "Tentative minimum tax this year (Form 6251 line 9)"),
    ("line24", "24", "Limit: 22 − 23, not below 0 (§53(c))"),
    ("line25", "25", "Minimum tax credit used this year"),
    ("line26", "26", "Credit carried forward to next year: 21 − 25"),
)


def exclusion_items_only(h: Households, exclusion_adjustments: Any = 0.0) -> Households:
    """The households with every deferral item removed (Form 8801 Part I's refigured return).

    Line 2i, line 2k and other adjustments go to zero, the AMT Schedule D
    inputs go back to the regular ones (a different AMT basis or AMT loss
    carryover is a deferral item),
    and ``exclusion_adjustments`` (§57(a)(1), (5), (7) preferences) stay.
    """
    return h.replace(
        iso_bargain_element=0.0,
        amt_disposition_adjustment=0.0,
        other_amt_adjustments=exclusion_adjustments,
        amt_short_term_gain=h.short_term_gain,
        amt_long_term_gain=h.long_term_gain,
        amt_short_term_loss_carryover=h.short_term_loss_carryover,
        amt_long_term_loss_carryover=h.long_term_loss_carryover,
        amt_credit_carryforward=0.0,
    )


def part2(
    *,
    prior_amt: Any,
    prior_net_minimum_tax_on_exclusions: Any,
    prior_carryforward: Any,
    regular_tax: Any,
    tentative_minimum_tax: Any,
) -> dict[str, np.ndarray]:
    """Form 8801 Part II (lines 16-26) for one year, vectorized over scenarios."""
    line16 = np.asarray(prior_amt, dtype=np.float64)
    line17 = np.asarray(prior_net_minimum_tax_on_exclusions, dtype=np.float64)
    line18 = line16 - line17
    line19 = np.asarray(prior_carryforward, dtype=np.float64)
    line21 = line18 + line19
    available = np.maximum(line21, 0.0)  # "if zero or less, stop": no credit, nothing carried
    line22 = np.asarray(regular_tax, dtype=np.float64)
    line23 = np.asarray(tentative_minimum_tax, dtype=np.float64)
    line24 = np.maximum(line22 - line23, 0.0)
    line25 = np.minimum(available, line24)
    line26 = available - line25
    return {"line16": line16, "line17": line17, "line18": line18, "line19": line19, "line21": line21,
            "line22": line22, "line23": line23, "line24": line24, "line25": line25, "line26": line26}


def credit_schedule(
    *,
    amt: Any,
    tentative_minimum_tax: Any,
    regular_tax: Any,
    exclusion_tmt: Any,
    initial_carryforward: Any = 0.0,
) -> dict[str, np.ndarray]:
    """Form 8801 for a run of consecutive years, from each year's results.

    Every input has shape ``(n_years,)`` or ``(n_years, n_scenarios)``; year
    ``t``'s Form 8801 uses year ``t-1``'s AMT and exclusion-item TMT and year
    ``t``'s regular tax and TMT. ``initial_carryforward`` is the credit
    carried into the first year (its line 19; nothing before is known).

    Returns the lines (same shape) plus ``credit_created`` (each year's AMT
    less its net minimum tax on exclusion items: next year's line 18).
    Assumes the regular tax and TMT do not depend on the credit (true unless
    the deduction election changes with it; :func:`minimum_tax_credit_years`
    handles that case by running the engine).
    """
    amt = np.asarray(amt, dtype=np.float64)
    tmt = np.asarray(tentative_minimum_tax, dtype=np.float64)
    regular = np.asarray(regular_tax, dtype=np.float64)
    excl = np.asarray(exclusion_tmt, dtype=np.float64)
    shape = np.broadcast_shapes(amt.shape, tmt.shape, regular.shape, excl.shape)
    amt, tmt, regular, excl = (np.broadcast_to(a, shape) for a in (amt, tmt, regular, excl))
    line15_own = net_minimum_tax_on_exclusions(excl, regular)

    def prior(a: np.ndarray) -> np.ndarray:  # last year's value (zero before the first year)
        return np.concatenate([np.zeros((1, *shape[1:])), a[:-1]]) if shape[0] else a.copy()

    out = {"line13": prior(excl), "line14": prior(regular), "line15": prior(line15_own), "line16": prior(amt)}
    out["line17"] = out["line15"]
    out["line18"] = out["line16"] - out["line17"]
    out["line22"], out["line23"] = regular.copy(), tmt.copy()
    out["line24"] = np.maximum(regular - tmt, 0.0)
    for key in ("line19", "line21", "line25", "line26"):
        out[key] = np.empty(shape)
    carry = np.broadcast_to(np.asarray(initial_carryforward, dtype=np.float64), shape[1:])
    for t in range(shape[0]):  # only the carried credit runs year to year
        out["line19"][t] = carry
        line21 = out["line18"][t] + carry
        out["line21"][t] = line21
        available = np.maximum(line21, 0.0)  # "if zero or less, stop": no credit, nothing carried
        used = np.minimum(available, out["line24"][t])
        out["line25"][t] = used
        carry = available - used
        out["line26"][t] = carry
    out["credit_created"] = amt - line15_own
    out["net_minimum_tax_on_exclusions"] = line15_own
    return out


@dataclass(frozen=True)
class CreditYear:
    """One year of :func:`minimum_tax_credit_years`: the return, the refigured return, Form 8801."""

    year: int
    result: FederalResult
    exclusion_result: FederalResult
    lines: dict[str, np.ndarray]  # this year's Form 8801 (lines 4 and 13-26)
    credit_created: np.ndarray  # this year's AMT less its net minimum tax on exclusion items
    net_minimum_tax_on_exclusions: np.ndarray
    households: Households | None = None  # the year's inputs as computed (carryovers in, credit available)


class FederalReturn:
    """The federal return as the credit chain sees it: Form 1040 / 6251 with Form 8801 (IRC §53)."""

    code = "US"
    name = "Federal"
    credit_lines = CreditLines(
        regular_tax="regular_tax", tentative_minimum_tax="tentative_minimum_tax", amt="amt", amti="amti",
        credit_limit="amt_credit_limit", credit_used="amt_credit_used", total_tax="total_tax", tax="income_tax",
        other_tax=("niit", "additional_medicare_tax"), itemized="itemized", itemized_allowed="itemized_allowed",
        standard_deduction="standard_total",
    )

    def compute(self, households: Households, law: LawTable, *, inputs: Mapping[str, Any], credit: Any,
                deduction: Deduction = "auto", keep: Sequence[str] | None = None) -> FederalResult:
        """The federal engine with ``credit`` as the Form 8801 line 21 carried in (no inputs of its own)."""
        h = households.replace(amt_credit_carryforward=np.broadcast_to(
            np.asarray(credit, dtype=np.float64), (len(households),)))
        return compute_federal(h, law, deduction=deduction, keep=keep)

    def exclusion_items_only(self, households: Households) -> Households:
        return exclusion_items_only(households)

    def credit_form_lines(self, chain: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Form 8801 lines 16-26 (Part II) and lines 4 and 13-15 (Part I, of the prior year)."""
        lines = part2(prior_amt=chain["prior_amt"],
                      prior_net_minimum_tax_on_exclusions=chain["prior_net_minimum_tax_on_exclusions"],
                      prior_carryforward=chain["carryover_in"], regular_tax=chain["regular_tax"],
                      tentative_minimum_tax=chain["tentative_minimum_tax"])
        lines = {k: v.copy() for k, v in lines.items()}
        lines["line4"] = chain["prior_exclusion_amti"].copy()
        lines["line13"] = chain["prior_exclusion_tmt"].copy()
        lines["line14"] = chain["prior_regular_tax"].copy()
        lines["line15"] = chain["prior_net_minimum_tax_on_exclusions"].copy()
        return lines


#: The federal return for :mod:`isoplan.tax.credit_chain`.
FEDERAL = FederalReturn()


def with_loss_carryovers_in(h: Households, prior: FederalResult, law: LawTable) -> Households:
    """``h`` with the capital losses carried out of the prior year's return carried in (IRC §1212(b)).

    Both bases move: the regular carryover (Schedule D lines 6 and 14) and the
    AMT one (AMT Schedule D). Form 6251 line 2k moves by the change in its
    Schedule D part (AMT amount after the limit minus the regular one), so
    what else it holds stays.
    """
    limit = law.gather(h.year, h.filing_status).capital_loss_limit

    def schedule_d_part(x: Households) -> np.ndarray:
        regular = schedule_d(x.short_term_gain, x.long_term_gain, x.short_term_loss_carryover,
                             x.long_term_loss_carryover, limit)
        amt = schedule_d(x.amt_short_term_gain, x.amt_long_term_gain, x.amt_short_term_loss_carryover,
                         x.amt_long_term_loss_carryover, limit)
        return capital_line2k(regular, amt)

    moved = h.replace(
        short_term_loss_carryover=prior.short_term_loss_carryover_out,
        long_term_loss_carryover=prior.long_term_loss_carryover_out,
        amt_short_term_loss_carryover=prior.amt_short_term_loss_carryover_out,
        amt_long_term_loss_carryover=prior.amt_long_term_loss_carryover_out,
    )
    return moved.replace(
        amt_disposition_adjustment=h.amt_disposition_adjustment - schedule_d_part(h) + schedule_d_part(moved)
    )


def minimum_tax_credit_years(
    households_by_year: Sequence[Households],
    law: LawTable | None = None,
    *,
    deduction: Deduction = "auto",
    initial_carryforward: Any = 0.0,
    exclusion_adjustments: Sequence[Any] | None = None,
    carry_capital_losses: bool = False,
) -> list[CreditYear]:
    """Run consecutive years through the engine with the credit carried by Form 8801.

    ``households_by_year[t]`` holds year ``t``'s households (all of one year,
    ``n`` scenarios each, aligned across years; a year of one household
    applies to every scenario). Each year's
    ``amt_credit_carryforward`` input is replaced by its Form 8801 line 21
    (not below zero); the refigured exclusion-items return uses the same
    deduction election as the actual one. With ``carry_capital_losses``, each
    year after the first also takes the capital-loss carryovers (regular and
    AMT) out of the year before (:func:`with_loss_carryovers_in`).
    """
    law = law or law_table()
    years = credit_years(
        FEDERAL, households_by_year, law, deduction=deduction, initial_carryforward=initial_carryforward,
        exclusion_households=lambda t, h: exclusion_items_only(
            h, 0.0 if exclusion_adjustments is None else exclusion_adjustments[t]),
        carry_in=(lambda h, prior: with_loss_carryovers_in(h, prior, law)) if carry_capital_losses else None,
    )
    return [CreditYear(y.year, y.result, y.exclusion_result, y.lines, y.credit_created, y.net_minimum_tax_on_exclusions,
                       y.households.replace(amt_credit_carryforward=y.credit_available)) for y in years]
