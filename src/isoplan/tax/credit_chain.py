"""One year with the minimum tax credit, and the credit carried across years, for any return.

The federal return (Form 6251 with Form 8801, IRC §53) and a state's (for
California Schedule P (540) with FTB 3510, R&TC §17063) carry their AMT
credit the same way:

* Part I refigures the year's tentative minimum tax with the exclusion items
  alone, under the deduction election the return used; the AMT those alone
  would cause (the net minimum tax on exclusion items, Form 8801 line 15)
  creates no credit (§53(d)(1)(B)); the rest of the year's AMT is credit
  created (it may be negative and then reduces the carried credit).
* Part II: the credit available (the prior year's credit created plus the
  carried credit, Form 8801 line 21; zero or less means none) is used up to
  the return's limit (regular tax less TMT, §53(c)); the rest carries forward.

:func:`year_with_credit` runs one year for many scenarios of one return;
:func:`credit_years` runs consecutive years with the credit carried and
names the lines as the return's own credit form does. Plan, risk and the
ledger all go through them, each return described by a :class:`TaxReturn`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from isoplan.tax.federal import ELECTION_TIE, Deduction, FederalResult
from isoplan.tax.households import Households
from isoplan.tax.law import LawTable

Election = Literal["standard", "itemized"]


@dataclass(frozen=True)
class CreditLines:
    """Which result lines of a return feed its credit chain (line keys of its ``compute`` result)."""

    regular_tax: str  # regular tax before credits (Form 6251 line 10; Schedule P line 25)
    tentative_minimum_tax: str
    amt: str
    amti: str
    credit_limit: str  # what the credit may take this year (regular tax less TMT, §53(c))
    credit_used: str
    total_tax: str  # the return's whole tax, after the credit
    tax: str  # the tax the credit reduces and the election compares, before the credit
    itemized: str  # 1.0 where the return itemizes
    itemized_allowed: str
    standard_deduction: str
    other_tax: tuple[str, ...] = ()  # taxes beside it that neither the credit nor the election touch


class TaxReturn(Protocol):
    """What the credit chain needs of a return: the federal one (:data:`isoplan.tax.form8801.FEDERAL`)
    and every state (:class:`isoplan.tax.states.Jurisdiction`)."""

    code: str
    name: str
    credit_lines: CreditLines

    def compute(self, households: Households, law: LawTable, *, inputs: Mapping[str, Any], credit: Any,
                deduction: Deduction = "auto", keep: Sequence[str] | None = None) -> FederalResult:
        """The return of every household with ``credit`` available (``inputs``: the return's own amounts)."""
        ...

    def exclusion_items_only(self, households: Households) -> Households:
        """The households with every deferral item removed (the credit form's Part I refigured return)."""
        ...

    def credit_form_lines(self, chain: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The credit form's lines (its own keys, in form order) from one year of :func:`credit_years`."""
        ...


def net_minimum_tax_on_exclusions(exclusion_tmt: Any, regular_tax: Any) -> np.ndarray:
    """Form 8801 line 15: TMT on exclusion items less the regular tax (6251 line 10), not below 0."""
    return np.maximum(np.asarray(exclusion_tmt, dtype=np.float64) - np.asarray(regular_tax, dtype=np.float64), 0.0)


@dataclass(frozen=True)
class YearWithCredit:
    """One year of one return for ``n`` scenarios, the credit applied and carried (arrays of shape (n,))."""

    tax: np.ndarray  # the return's tax after the credit, other taxes included
    regular_tax: np.ndarray
    tentative_minimum_tax: np.ndarray
    amt: np.ndarray
    credit_available: np.ndarray
    credit_used: np.ndarray
    net_minimum_tax_on_exclusions: np.ndarray  # Form 8801 line 15 of this year
    credit_created: np.ndarray  # AMT less line 15: next year's line 18
    credit_next: np.ndarray  # the credit available next year (line 21, not below 0)
    result: FederalResult | None = None  # the full return, one row per scenario (none from distinct rows)
    exclusion_result: FederalResult | None = None  # the refigured return under the same election


def _take_inputs(inputs: Mapping[str, Any], rows: np.ndarray, n: int) -> dict[str, Any]:
    return {k: (np.asarray(v)[rows] if np.ndim(v) and np.shape(v)[0] == n else v) for k, v in inputs.items()}


def forced_election(ret: TaxReturn, h: Households, law: LawTable, itemized: np.ndarray, *,
                    inputs: Mapping[str, Any], credit: Any = 0.0,
                    keep: Sequence[str] | None = None) -> FederalResult:
    """The return with each row's deduction election fixed (as filed on the actual return)."""
    n = len(h)
    if np.all(itemized) or not np.any(itemized):
        election: Election = "itemized" if n and np.all(itemized) else "standard"
        return ret.compute(h, law, inputs=inputs, credit=credit, deduction=election, keep=keep)
    credit_arr = np.broadcast_to(np.asarray(credit, dtype=np.float64), (n,))
    parts: list[tuple[np.ndarray, FederalResult]] = []
    for election, rows in (("itemized", np.flatnonzero(itemized)), ("standard", np.flatnonzero(~itemized))):
        parts.append((rows, ret.compute(h.take(rows), law, inputs=_take_inputs(inputs, rows, n),
                                        credit=credit_arr[rows], deduction=election, keep=keep)))
    keys = parts[0][1].lines.keys()
    lines = {k: np.empty(n, dtype=parts[0][1].lines[k].dtype) for k in keys}
    projected = np.empty(n, dtype=parts[0][1].projected.dtype)
    for rows, part in parts:
        for k in keys:
            lines[k][rows] = part.lines[k]
        projected[rows] = part.projected
    return FederalResult(lines=lines, projected=projected)


def year_with_credit(ret: TaxReturn, h: Households, law: LawTable, *, credit: Any,
                     inputs: Mapping[str, Any] | None = None, deduction: Deduction = "auto",
                     keep: Sequence[str] | None = None,
                     exclusion_households: Households | None = None) -> YearWithCredit:
    """Year ``h.year`` of return ``ret`` with the credit ``credit`` available (Form 8801 line 21 / FTB 3510).

    ``h`` holds one household per scenario; the return is computed with the
    credit in it (the engine takes the election), then the exclusion-items
    return under the election it used. ``exclusion_households``: the
    exclusion-items rows when the caller has them already. Many scenarios
    that share few distinct rows: :func:`distinct_returns` and
    :func:`with_credit_on_distinct`.
    """
    inputs = inputs or {}
    keys = ret.credit_lines
    n = len(h)
    available = np.broadcast_to(np.asarray(credit, dtype=np.float64), (n,)).copy()
    result = ret.compute(h, law, inputs=inputs, credit=available, deduction=deduction, keep=keep)
    excl_keep = None if keep is None else (keys.tentative_minimum_tax,)
    excl_h = exclusion_households if exclusion_households is not None else ret.exclusion_items_only(h)
    excl = forced_election(ret, excl_h, law, result.lines[keys.itemized] > 0.5, inputs=inputs, keep=excl_keep)
    regular = result.lines[keys.regular_tax]
    line15 = net_minimum_tax_on_exclusions(excl.lines[keys.tentative_minimum_tax], regular)
    amt = result.lines[keys.amt]
    used = result.lines[keys.credit_used]
    created = amt - line15
    return YearWithCredit(
        tax=result.lines[keys.total_tax], regular_tax=regular,
        tentative_minimum_tax=result.lines[keys.tentative_minimum_tax], amt=amt,
        credit_available=available, credit_used=used, net_minimum_tax_on_exclusions=line15,
        credit_created=created, credit_next=np.maximum(available - used + created, 0.0),
        result=result, exclusion_result=excl,
    )


@dataclass(frozen=True)
class DistinctReturns:
    """Each election's return on distinct rows, before any credit (:func:`distinct_returns`): the regular tax, TMT,
    AMT, the credit limit (§53(c)), the tax the credit reduces, line 15 (net minimum tax on exclusion items),
    whether the itemized deduction is the larger, and the other taxes (none: no columns), each (2, rows): the
    standard deduction's return, then the itemized one's; :func:`with_credit_on_distinct` applies a credit per
    scenario."""

    regular_tax: np.ndarray
    tentative_minimum_tax: np.ndarray
    amt: np.ndarray
    credit_limit: np.ndarray
    tax: np.ndarray
    net_minimum_tax_on_exclusions: np.ndarray
    itemized_larger: np.ndarray
    other: np.ndarray


def distinct_returns(ret: TaxReturn, h: Households, law: LawTable, *, inputs: Mapping[str, Any],
                     keep: Sequence[str] | None, exclusion_households: Households | None) -> DistinctReturns:
    """Each election's return (and its exclusion-items refigure) of the distinct households ``h``, without the
    credit: many scenarios share few distinct rows, and since the credit used (the lesser of the credit and the
    limit, Form 8801 line 25) and the limit (§53(c)) do not depend on the credit, :func:`with_credit_on_distinct`
    then applies each scenario's own."""
    keys = ret.credit_lines
    excl_h = exclusion_households if exclusion_households is not None else ret.exclusion_items_only(h)
    wanted = None if keep is None else tuple(dict.fromkeys((
        *keep, keys.regular_tax, keys.tentative_minimum_tax, keys.amt, keys.tax, *keys.other_tax,
        keys.credit_limit, keys.itemized_allowed, keys.standard_deduction)))
    per: list[tuple[np.ndarray, ...]] = []
    for election in ("standard", "itemized"):
        r = ret.compute(h, law, inputs=inputs, credit=0.0, deduction=election, keep=wanted)
        excl = ret.compute(excl_h, law, inputs=inputs, credit=0.0, deduction=election,
                           keep=(keys.tentative_minimum_tax,))
        per.append((r.lines[keys.regular_tax], r.lines[keys.tentative_minimum_tax], r.lines[keys.amt],
                    r.lines[keys.credit_limit], r.lines[keys.tax],
                    net_minimum_tax_on_exclusions(excl.lines[keys.tentative_minimum_tax], r.lines[keys.regular_tax]),
                    r.lines[keys.itemized_allowed] > r.lines[keys.standard_deduction],
                    _other(keys, r) if keys.other_tax else np.zeros(0)))
    return DistinctReturns(*(np.stack(pair) for pair in zip(*per, strict=True)))


def with_credit_on_distinct(ret: TaxReturn, returns: DistinctReturns, inverse: np.ndarray,
                            credit: Any) -> YearWithCredit:
    """Scenario ``k`` is distinct row ``inverse[k]`` of ``returns`` with its own credit ``credit[k]``: the credit
    used is the lesser of the credit and the limit (Form 8801 line 25), and the election the one with the lower tax
    after it (ties to the larger deduction), as the engines choose."""
    keys = ret.credit_lines
    n = inverse.shape[0]
    available = np.broadcast_to(np.asarray(credit, dtype=np.float64), (n,))
    used_standard = np.minimum(available, returns.credit_limit[0][inverse])
    after_standard = returns.tax[0][inverse] - used_standard
    used_itemized = np.minimum(available, returns.credit_limit[1][inverse])
    after_itemized = returns.tax[1][inverse] - used_itemized
    # itemize where it gives the lower tax after the credit; a tie goes to the larger deduction
    itemize = np.where(returns.itemized_larger[1][inverse], ~(after_standard < after_itemized - ELECTION_TIE),
                       after_itemized < after_standard - ELECTION_TIE)
    # each scenario's line from its election's return: the two returns end to end, one look-up
    at = inverse + itemize * returns.tax.shape[1]

    def pick(lines: np.ndarray) -> np.ndarray:
        picked: np.ndarray = lines.reshape(-1)[at]
        return picked

    after = np.where(itemize, after_itemized, after_standard)
    tax = after + pick(returns.other) if keys.other_tax else after
    used = np.where(itemize, used_itemized, used_standard)
    line15, amt = pick(returns.net_minimum_tax_on_exclusions), pick(returns.amt)
    created = amt - line15
    return YearWithCredit(
        tax=tax, regular_tax=pick(returns.regular_tax), tentative_minimum_tax=pick(returns.tentative_minimum_tax),
        amt=amt, credit_available=available, credit_used=used, net_minimum_tax_on_exclusions=line15,
        credit_created=created, credit_next=np.maximum(available - used + created, 0.0),
    )


def _other(keys: CreditLines, r: FederalResult) -> np.ndarray:
    total = r.lines[keys.other_tax[0]]
    for key in keys.other_tax[1:]:
        total = total + r.lines[key]
    return total


@dataclass(frozen=True)
class ChainYear:
    """One year of :func:`credit_years`: the return, its exclusion-items refigure and the credit form."""

    year: int
    result: FederalResult
    exclusion_result: FederalResult
    lines: dict[str, np.ndarray]  # the credit form's lines (its own keys, :meth:`TaxReturn.credit_form_lines`)
    credit_created: np.ndarray  # this year's AMT less its net minimum tax on exclusion items
    net_minimum_tax_on_exclusions: np.ndarray
    households: Households  # the year's households as computed (carryovers in)
    credit_available: np.ndarray  # the credit the return was computed with (line 21, not below 0)


def _row(value: Any, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()


def credit_years(
    ret: TaxReturn,
    households_by_year: Sequence[Households],
    law: LawTable,
    *,
    inputs_by_year: Sequence[Mapping[str, Any]] | None = None,
    deduction: Deduction = "auto",
    initial_carryforward: Any = 0.0,
    exclusion_households: Callable[[int, Households], Households] | None = None,
    carry_in: Callable[[Households, FederalResult], Households] | None = None,
) -> list[ChainYear]:
    """Consecutive years of return ``ret`` with its credit carried (Form 8801, FTB 3510).

    ``households_by_year[t]`` holds year ``t``'s households (``n`` scenarios,
    aligned across years; a year of one household applies to every scenario),
    ``inputs_by_year[t]`` the return's own amounts of the year. Each year's
    credit available is the prior year's credit created plus the credit
    carried (line 21, not below zero); the refigured exclusion-items return
    uses the election of the actual one. ``exclusion_households(t, h)``: the
    year's exclusion-items households (default: the return's own refigure);
    ``carry_in(h, prior_result)``: what a year takes from the return before
    it (the federal capital-loss carryovers), applied from the second year.
    """
    out: list[ChainYear] = []
    carry: Any = initial_carryforward
    prior: dict[str, Any] = {"prior_amt": 0.0, "prior_net_minimum_tax_on_exclusions": 0.0,
                             "prior_exclusion_tmt": 0.0, "prior_regular_tax": 0.0, "prior_exclusion_amti": 0.0}
    keys = ret.credit_lines
    width = max((len(h) for h in households_by_year), default=0)
    for t, h in enumerate(households_by_year):
        if len(h) == 1 and width > 1:  # one household for the year: the same for every scenario
            h = h.take(np.zeros(width, dtype=np.intp))
        if carry_in is not None and out:
            h = carry_in(h, out[-1].result)
        n = len(h)
        line18 = np.asarray(prior["prior_amt"], dtype=np.float64) - np.asarray(
            prior["prior_net_minimum_tax_on_exclusions"], dtype=np.float64)
        line21 = line18 + np.asarray(carry, dtype=np.float64)
        available = _row(np.maximum(line21, 0.0), n)  # "if zero or less, stop": no credit, nothing carried
        excl_h = exclusion_households(t, h) if exclusion_households is not None else None
        step = year_with_credit(ret, h, law, credit=available,
                                inputs=None if inputs_by_year is None else inputs_by_year[t],
                                deduction=deduction, exclusion_households=excl_h)
        assert step.result is not None and step.exclusion_result is not None
        result, excl = step.result, step.exclusion_result
        chain = {name: _row(value, n) for name, value in prior.items()}
        chain.update({
            "credit_from_prior_year": _row(line18, n),
            "carryover_in": _row(carry, n),
            "credit_available": _row(line21, n),
            "regular_tax": step.regular_tax,
            "tentative_minimum_tax": step.tentative_minimum_tax,
            "credit_limit": result.lines[keys.credit_limit].copy(),
            "credit_used": step.credit_used.copy(),
            "carryover_out": available - step.credit_used,
        })
        year = int(h.year[0]) if n else 0
        out.append(ChainYear(year, result, excl, ret.credit_form_lines(chain), step.credit_created,
                             step.net_minimum_tax_on_exclusions, h, available))
        carry = chain["carryover_out"]
        prior = {"prior_amt": step.amt, "prior_net_minimum_tax_on_exclusions": step.net_minimum_tax_on_exclusions,
                 "prior_exclusion_tmt": excl.lines[keys.tentative_minimum_tax],
                 "prior_regular_tax": step.regular_tax, "prior_exclusion_amti": excl.lines[keys.amti]}
    return out
