"""The risk math: early-in-the-year timing, hold vs sell, the peak and the stress test, pre-IPO.

Every section runs on the same simulated price paths (:mod:`isoplan.planning.montecarlo`)
and the same federal engine, recomputed on every path and year. The rules each
section assumes are in ``docs/risk.md``; the law they rest on:

* a same-year disqualifying disposition removes the ISO adjustment (Form 6251
  instructions, line 2i) and its compensation income is limited to the gain
  realized when a loss would be recognized (IRC §422(c)(2); §56(b)(3));
* shares held past December 31 carry the adjustment measured at exercise
  (§56(b)(3), Form 6251 line 2i); the AMT paid becomes minimum tax credit
  (IRC §53, Form 8801), recovered while regular tax exceeds TMT;
* a sale more than 1 year after exercise and 2 years after grant is
  qualifying (§422(a)(1)); before that it is disqualifying (§421(b)): ordinary
  income = the spread at exercise (capped by §422(c)(2)), the rest capital
  gain, and for AMT the gain is figured from the AMT basis (Form 6251 line 2k);
* an early exercise of unvested shares is assumed to come with the 30-day
  election (§83(b); for ISOs the AMT-only election of the Form 6251
  instructions), so the spread is measured on the exercise date.

For a plan whose state is CA every tax figure also carries California's tax on
the same paths (Form 540, Schedule P (540) with its own ISO adjustment, line 6,
R&TC §17062; the FTB 3510 credit carried per path), and every AMT figure is
federal + California; the sections add a ``california`` entry with the
California part (``docs/risk.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from isoplan.equity.dates import first_day_more_than
from isoplan.equity.rules import equity_rules
from isoplan.errors import InputError
from isoplan.planning import montecarlo as mc
from isoplan.planning.plan import Plan
from isoplan.planning.risk_common import (
    Subject,
    _ca,
    _exercise_events,
    _f,
    _pct,
    _same_year_sale,
    _stats,
    _subject,
    _tax_words,
    _usd,
    certainty_equivalent,
)
from isoplan.tax.law import LawTable, law_table

if TYPE_CHECKING:
    from isoplan.equity.rules import EquityRules
    from isoplan.planning.staging import PlanOutcome, StagingModel

SECTIONS = ("timing", "hold_vs_sell", "peak", "pre_ipo")
PERCENTILES = (5, 25, 50, 75, 95)
#: the last day the January exerciser checks the price: a sale then still settles in the year
LAST_CHECK = (12, 28)
#: the December exerciser's date
DECEMBER_EXERCISE = (12, 15)
HISTOGRAM_BINS = 30
#: "unlimited" cash in a plan file is stored as a huge number
_UNLIMITED = 1e14


@dataclass
class RiskOutcome:
    paths: int
    seed: int
    stock_kind: str
    assumptions: dict[str, Any]
    timing: dict[str, Any] | None
    hold_vs_sell: dict[str, Any] | None
    peak: dict[str, Any] | None
    pre_ipo: dict[str, Any] | None
    fan: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    california: bool = False  # the plan's state is CA: every tax figure includes California's

    def as_dict(self) -> dict[str, Any]:
        out = {"paths": self.paths, "seed": self.seed, "stock_kind": self.stock_kind,
               "assumptions": self.assumptions, "timing": self.timing, "hold_vs_sell": self.hold_vs_sell,
               "peak": self.peak, "pre_ipo": self.pre_ipo, "fan": self.fan, "notes": self.notes}
        if self.california:
            out["california"] = True
        return out


def validate(paths: int, sections: Sequence[str], drop: float | None = None) -> None:
    if isinstance(paths, bool) or not isinstance(paths, int | np.integer) or not 1 <= paths <= 10_000_000:
        raise InputError("paths", paths, "a whole number of paths from 1 to 10,000,000")
    for s in sections:
        if s not in SECTIONS:
            raise InputError("sections", s, "one or more of " + ", ".join(SECTIONS))
    if drop is not None and not 0.0 < drop < 1.0:
        raise InputError("drop", drop, "a fraction between 0 and 1 (exclusive), e.g. 0.5 for a 50% fall")


# ---------------------------------------------------------------- run


def run_risk(plan: Plan, *, paths: int = 20_000, seed: int = 0,
             sections: Sequence[str] = SECTIONS, law: LawTable | None = None,
             progress: Callable[[int, int], None] | None = None,
             outcome: PlanOutcome | None = None) -> RiskOutcome:
    """Simulate ``paths`` price paths and compute the requested sections (docs/risk.md)."""
    validate(paths, sections, plan.risk.drop)
    law = law or law_table(plan.inflation)
    if outcome is None:
        from isoplan.planning.staging import run_plan

        outcome = run_plan(plan, law)
    model = outcome.model
    stock = plan.stock
    settings = plan.risk
    private = stock.kind == "private"
    notes: list[str] = []
    rng = np.random.default_rng(seed)
    subject = _subject(outcome)
    rules = equity_rules()

    # the dates the sections look at
    horizon = plan.exit_date
    if private and stock.liquidity is not None:
        horizon = max(horizon, stock.liquidity.latest)
    dates = [stock.price_path.start_date, *model.exercise_dates, plan.exit_date]
    dates += [d for _, d, _, _, _ in model.last_chance]
    dates += mc.month_ends(stock.price_path.start_date, horizon)
    checks: list[date] = []
    if subject is not None:
        y = subject.year
        dec = date(y, *DECEMBER_EXERCISE)
        checks = mc.check_dates(subject.day, date(y, *LAST_CHECK), settings.steps)
        qualifying = max(model.blocks[b].qualifying_date(subject.day) for b in range(len(model.blocks))
                         if subject.shares[b] > 0)
        dates += [subject.day, dec, date(y, 12, 31), qualifying, *checks]
        horizon = max(horizon, qualifying)
    sim = mc.simulate(stock, dates, paths, rng)
    total_steps = len(sections) + 1
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress:
            progress(done, total_steps)

    sigma = mc.volatility_of(stock)
    assumptions: dict[str, Any] = {
        "drift": _f(stock.drift if stock.drift is not None else np.log1p(stock.price_path.growth)),
        "drift_source": "stock.drift" if stock.drift is not None else
        ("the plan's price path (stock.prices)" if stock.price_path.points else "ln(1 + stock.growth)"),
        "volatility": _f(sigma),
        "volatility_source": "stock.volatility" if stock.volatility is not None else "default",
        "steps": settings.steps, "price": _f(stock.price_path.start_price),
        "price_date": stock.price_path.start_date.isoformat(), "drop": settings.drop,
        "risk_aversion": settings.risk_aversion, "target_concentration": settings.target_concentration,
        "affordable_loss": settings.affordable_loss, "net_worth_outside": plan.net_worth_outside,
    }
    if private:
        liq = stock.liquidity
        assumptions["liquidity"] = None if liq is None else {
            "probability": liq.probability, "earliest": liq.earliest.isoformat(), "latest": liq.latest.isoformat(),
            "outcomes": [{"kind": o.kind, "probability": o.probability, "multiple": o.multiple, "price": o.price}
                         for o in liq.outcomes]}
    if stock.volatility is None:
        notes.append(f"Volatility {sigma:.0%} a year is isoplan's default: set [stock] volatility for this stock.")
    if subject is None:
        notes.append("The plan exercises nothing before the exit: timing, hold vs sell and the peak need an "
                     "exercise to look at.")

    event = _liquidity_paths(plan, sim, rng) if private else None
    fan = _fan(sim, event, horizon, subject, settings.drop)
    tick()

    timing: dict[str, Any] | None = None
    hold: dict[str, Any] | None = None
    peak: dict[str, Any] | None = None
    pre_ipo: dict[str, Any] | None = None
    for name in sections:
        if name == "timing" and subject is not None:
            timing = _timing(plan, model, law, sim, subject, checks, private, notes)
        elif name == "hold_vs_sell" and subject is not None:
            if private:
                notes.append("Hold vs sell: private stock cannot be sold before the liquidity event; see the "
                             "pre-IPO section.")
            else:
                hold = _hold_vs_sell(plan, model, law, sim, subject, rules)
        elif name == "peak" and subject is not None:
            peak = _peak(plan, model, law, sim, subject)
        elif name == "pre_ipo":
            if private:
                assert event is not None  # drawn above for private stock
                pre_ipo = _pre_ipo(plan, model, law, sim, event, notes)
            else:
                notes.append("Pre-IPO: the stock is public, so there is no liquidity event to wait for.")
        tick()
    notes.append("A model, not a forecast: the paths assume a lognormal price with the drift and volatility above; "
                 "real prices jump, and the spread of outcomes may be wider.")
    if model.california:
        notes.append("State CA: every tax figure includes California's (Form 540, Schedule P (540), FTB 3510 "
                     "credit carried per path); every AMT figure is federal + California, and each section's "
                     "'california' entry gives the California part.")
    return RiskOutcome(paths, seed, stock.kind, assumptions, timing, hold, peak, pre_ipo, fan, notes,
                       california=model.california)


# ---------------------------------------------------------------- private: the liquidity event on each path


@dataclass
class EventPaths:
    happens: np.ndarray  # (n,) bool
    day: np.ndarray  # (n,) ordinal (meaningful where happens)
    kind: np.ndarray  # (n,) index into OUTCOME kinds: 0 ipo, 1 acquisition, 2 failure
    multiple: np.ndarray  # (n,) IPO multiple of the 409A process (NaN for a fixed price)
    price: np.ndarray  # (n,) the event price


def _years_of(ordinals: np.ndarray) -> np.ndarray:
    """Calendar year of each day ordinal."""
    days = np.asarray(ordinals, dtype=np.int64) - date(1970, 1, 1).toordinal()
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _liquidity_paths(plan: Plan, sim: mc.Simulation, rng: np.random.Generator) -> EventPaths:
    stock = plan.stock
    liq = stock.liquidity
    n = sim.paths
    if liq is None:  # one certain event at liquidity_date (or the exit), at liquidity_price or the 409A path
        from isoplan.planning.plan import Liquidity, Outcome

        event_day = stock.liquidity_date or plan.exit_date
        outcome = (Outcome("ipo", 1.0, price=stock.liquidity_price) if stock.liquidity_price is not None
                   else Outcome("ipo", 1.0, multiple=1.0))
        liq = Liquidity(1.0, event_day, event_day, (outcome,))
    happens = rng.random(n) < liq.probability
    first = max(liq.earliest, stock.price_path.start_date).toordinal()
    last = max(liq.latest.toordinal(), first)
    day = rng.integers(first, last + 1, size=n)
    probs = np.asarray([o.probability for o in liq.outcomes])
    pick = np.minimum(np.searchsorted(np.cumsum(probs), rng.random(n) * probs.sum(), side="right"),
                      len(probs) - 1)
    kinds = np.asarray([("ipo", "acquisition", "failure").index(o.kind) for o in liq.outcomes])[pick]
    mult = np.asarray([np.nan if o.multiple is None else o.multiple for o in liq.outcomes])[pick]
    fixed = np.asarray([0.0 if o.price is None else o.price for o in liq.outcomes])[pick]
    value = sim.price_on(day)
    price = np.where(np.isnan(mult), fixed, np.nan_to_num(mult) * value)
    price = np.where(kinds == 2, 0.0, price)
    return EventPaths(happens, day, kinds, mult, price)


def _realized(sim: mc.Simulation, event: EventPaths | None, cols: np.ndarray) -> np.ndarray:
    """(C, n) what a share is worth on grid columns: the price (public) or 409A until the event, then the
    outcome (an IPO moves with the process, an acquisition is cash, a failure is 0)."""
    with np.errstate(under="ignore"):
        p: NDArray[np.float64] = sim.mean[cols, None] * np.exp(sim.sigma * sim.brownian[cols]
                                                               - 0.5 * sim.sigma ** 2 * sim.years[cols, None])
    if event is None:
        return p
    after = event.happens[None, :] & (sim.ordinals[cols][:, None] >= event.day[None, :])
    v_event = np.maximum(event.price, 0.0)
    fixed = np.isnan(event.multiple)
    # the IPO keeps moving with the process after the event
    scale = np.where(fixed, v_event / np.maximum(_at_event(sim, event), 1e-300), np.nan_to_num(event.multiple))
    out = np.where((event.kind == 0)[None, :], scale[None, :] * p, v_event[None, :])
    realized: NDArray[np.float64] = np.where(after, out, p)
    return realized


def _at_event(sim: mc.Simulation, event: EventPaths) -> np.ndarray:
    if not hasattr(event, "_process"):
        event._process = sim.price_on(event.day)  # type: ignore[attr-defined]
    process: NDArray[np.float64] = event._process  # type: ignore[attr-defined]
    return process


def _fan(sim: mc.Simulation, event: EventPaths | None, horizon: date, subject: Subject | None,
         drop: float) -> dict[str, Any]:
    start = sim.stock.price_path.start_date
    wanted = [start, *mc.month_ends(start, horizon)]
    cols = np.asarray(sorted({sim.column(d) for d in wanted}), dtype=np.intp)
    values = _realized(sim, event, cols)
    pct = np.percentile(values, PERCENTILES, axis=1)
    level = (subject.price if subject is not None else sim.stock.price_path.start_price) * (1.0 - drop)
    return {"dates": [sim.dates[c].isoformat() for c in cols],
            "percentiles": {str(p): [_f(v) for v in pct[i]] for i, p in enumerate(PERCENTILES)},
            "stress_level": _f(level)}


# ---------------------------------------------------------------- timing: January vs December


def sell_threshold(plan: Plan, law: LawTable, model: StagingModel, subject: Subject,
                   iso_ok: np.ndarray) -> tuple[float, float]:
    """The January exerciser's default threshold (a fraction of the exercise price) and the AMT cost of holding.

    Rule: sell before December 31 once the price is below the highest price at which a same-year
    disqualifying sale of the shares costs no more federal tax (and California tax, for a
    California plan) this year than holding them past December 31 (whose line-2i adjustment is
    fixed at the exercise-date spread). Found on a grid of 400 prices at the plan's exercise
    price; ``[risk] sell_below`` overrides it.
    """
    shares = np.where(iso_ok, subject.shares, 0.0)
    base = mc.base_households(plan, subject.year)
    s0 = np.asarray([subject.price])
    ca = _ca(plan, model, subject.year)
    hold = mc.path_year(law, base, 1, np.asarray([subject.credit]), ca_credit=subject.ca_credit, **ca,
                        **_exercise_events(model, shares, s0, iso_ok))
    none = mc.path_year(law, base, 1, np.asarray([subject.credit]), ca_credit=subject.ca_credit, **ca)
    hold_tax = float(hold.total_tax[0] - none.total_tax[0])
    grid = np.linspace(0.0, subject.price, 401)[1:]
    sold = mc.path_year(law, base, grid.size, np.full(grid.size, subject.credit), ca_credit=subject.ca_credit, **ca,
                        **_same_year_sale(model, shares, np.full(grid.size, subject.price), grid))
    sell_tax = sold.total_tax - none.total_tax[0]
    ok = np.flatnonzero(sell_tax <= hold_tax + 0.5)
    level = float(grid[ok.max()]) if ok.size else 0.0
    return (level / subject.price if subject.price > 0 else 0.0), hold_tax


def _timing(plan: Plan, model: StagingModel, law: LawTable, sim: mc.Simulation, subject: Subject, checks: list[date],
            private: bool, notes: list[str]) -> dict[str, Any] | None:
    iso_ok = model.iso_treated[:, subject.t] & (subject.shares > 0)
    shares = np.where(iso_ok, subject.shares, 0.0)
    if shares.sum() == 0:
        notes.append("Timing: the first exercise has no ISO shares, so there is no AMT to time.")
        return None
    dec_day = date(subject.year, *DECEMBER_EXERCISE)
    if subject.day >= dec_day:
        notes.append("Timing: the plan's exercise is already in December; nothing to compare.")
        return None
    n = sim.paths
    base = mc.base_households(plan, subject.year)
    credit = np.full(n, subject.credit)
    ca = _ca(plan, model, subject.year)
    ca_credit = np.full(n, subject.ca_credit)
    none = mc.path_year(law, base, 1, credit[:1], ca_credit=ca_credit[:1], **ca)
    s_jan = sim.price(subject.day)
    s_dec = sim.price(dec_day)
    s_end = sim.price(date(subject.year, 12, 31))
    fraction, _ = sell_threshold(plan, law, model, subject, iso_ok)
    if private:
        rule = ("Private stock: no sale is possible before the liquidity event, so neither exerciser can sell "
                "before December 31.")
    elif plan.risk.sell_below is not None:
        fraction = plan.risk.sell_below
        rule = (f"[risk] sell_below: the January exerciser sells every share on the first {plan.risk.steps} price "
                f"check through Dec {LAST_CHECK[1]} below {fraction:.0%} of the exercise-date price.")
    else:
        rule = (f"The January exerciser sells every share on the first {plan.risk.steps} price check through "
                f"Dec {LAST_CHECK[1]} below {fraction:.0%} of the exercise-date price (${fraction * subject.price:,.2f}"
                f" at the plan's ${subject.price:,.2f}): below it a same-year disqualifying sale costs no more "
                f"{_tax_words(model)} this year than the AMT of holding past December 31.")
    hold_jan = mc.path_year(law, base, n, credit, ca_credit=ca_credit, **ca,
                            **_exercise_events(model, shares, s_jan, iso_ok))
    hold_dec = mc.path_year(law, base, n, credit, ca_credit=ca_credit, **ca,
                            **_exercise_events(model, shares, s_dec, iso_ok))
    tax_jan_hold = hold_jan.total_tax - none.total_tax[0]
    tax_dec = hold_dec.total_tax - none.total_tax[0]
    amt_jan_hold = hold_jan.amt - none.amt[0]
    amt_dec = hold_dec.amt - none.amt[0]
    # California parts (zeros for a federal plan): its tax and its AMT (Schedule P (540) line 26)
    ca_tax_jan_hold = hold_jan.ca_tax - none.ca_tax[0]
    ca_tax_dec = hold_dec.ca_tax - none.ca_tax[0]
    ca_amt_jan_hold = hold_jan.ca_amt - none.ca_amt[0]
    ca_amt_dec = hold_dec.ca_amt - none.ca_amt[0]
    hatch = not private and bool(checks)
    if hatch:
        prices = sim.prices(checks).T  # (C, n), date-major
        below = prices < (fraction * s_jan)[None, :]
        sold = below.any(axis=0)
        first = np.argmax(below, axis=0)
        sale_price = prices[first, np.arange(n)]
        rows = np.flatnonzero(sold)
        tax_jan = tax_jan_hold.copy()
        amt_jan = amt_jan_hold.copy()
        ca_tax_jan = ca_tax_jan_hold.copy()
        ca_amt_jan = ca_amt_jan_hold.copy()
        if rows.size:
            sale = _same_year_sale(model, shares, s_jan[rows], sale_price[rows])
            r = mc.path_year(law, base, rows.size, credit[rows], ca_credit=ca_credit[rows], **ca, **sale)
            tax_jan[rows] = r.total_tax - none.total_tax[0]
            amt_jan[rows] = r.amt - none.amt[0]
            ca_tax_jan[rows] = r.ca_tax - none.ca_tax[0]
            ca_amt_jan[rows] = r.ca_amt - none.ca_amt[0]
    else:
        sold = np.zeros(n, dtype=bool)
        tax_jan, amt_jan = tax_jan_hold, amt_jan_hold
        ca_tax_jan, ca_amt_jan = ca_tax_jan_hold, ca_amt_jan_hold
    # every AMT figure below is federal + California (California's is zero for a federal plan)
    fed_amt = {"jan": amt_jan, "dec": amt_dec, "noh": amt_jan_hold}
    amt_jan, amt_dec, amt_jan_hold = amt_jan + ca_amt_jan, amt_dec + ca_amt_dec, amt_jan_hold + ca_amt_jan_hold

    def vanished(amt: np.ndarray, s_ex: np.ndarray, held: np.ndarray | np.bool_) -> tuple[float, float]:
        k = model.strike[None, :]
        spread = np.maximum(s_ex[:, None] - k, 0.0) @ shares
        gone = np.maximum(s_ex[:, None] - np.maximum(s_end[:, None], k), 0.0) @ shares
        frac = np.divide(gone, spread, out=np.zeros_like(gone), where=spread > 0)
        size = np.where(held, np.maximum(amt, 0.0) * np.minimum(frac, 1.0), 0.0)
        return float(np.mean(size > 0.5)), float(np.mean(size))

    p_jan, e_jan = vanished(amt_jan, s_jan, ~sold)
    p_dec, e_dec = vanished(amt_dec, s_dec, np.ones(n, dtype=bool))
    p_noh, e_noh = vanished(amt_jan_hold, s_jan, np.ones(n, dtype=bool))
    hatch_value = float(np.mean(tax_jan_hold) - np.mean(tax_jan)) if hatch else 0.0
    k = model.strike[None, :]
    jan_spread = float(np.mean(np.maximum(s_jan[:, None] - k, 0.0) @ shares))
    dec_spread = float(np.mean(np.maximum(s_dec[:, None] - k, 0.0) @ shares))
    extra_amt = float(np.mean(amt_dec) - np.mean(amt_jan_hold))
    ca_words = " (federal + California)" if ca else ""
    if private:
        summary = (f"Private stock: the escape hatch does not exist (no buyer before the liquidity event), so an "
                   f"early-year exercise locks in the AMT on the exercise-date spread either way; the AMT falls on "
                   f"a gain that is partly gone by December 31 on {_pct(p_noh)} of the paths (average "
                   f"{_usd(e_noh)}{ca_words}).")
    else:
        summary = (f"Exercising on {subject.day.isoformat()} and keeping the option to sell before Dec 31 is worth "
                   f"about {_usd(hatch_value)} of expected tax this year (sold on {_pct(float(np.mean(sold)))} of the "
                   f"paths); without it, the AMT falls on a gain partly gone by year end on {_pct(p_noh)} of the "
                   f"paths. Exercising in December avoids most of that but the spread is "
                   f"{_usd(dec_spread - jan_spread)} larger on average ({_usd(extra_amt)} more AMT{ca_words}).")
    out = {
        "year": subject.year, "shares": int(shares.sum()), "hatch_exists": hatch, "threshold_rule": rule,
        "threshold_fraction": _f(fraction),
        "january": {"exercise_date": subject.day.isoformat(), "expected_tax": _f(np.mean(tax_jan)),
                    "prob_amt_on_vanished_gain": _f(p_jan), "expected_amt_on_vanished_gain": _f(e_jan),
                    "prob_sold_before_year_end": _f(np.mean(sold))},
        "december": {"exercise_date": dec_day.isoformat(), "expected_tax": _f(np.mean(tax_dec)),
                     "prob_amt_on_vanished_gain": _f(p_dec), "expected_amt_on_vanished_gain": _f(e_dec)},
        "january_without_hatch": {"expected_tax": _f(np.mean(tax_jan_hold)), "prob_amt_on_vanished_gain": _f(p_noh),
                                  "expected_amt_on_vanished_gain": _f(e_noh)},
        "escape_hatch_value": _f(hatch_value),
        "spread_growth_effect": {"january_spread": _f(jan_spread), "december_expected_spread": _f(dec_spread),
                                 "expected_extra_amt": _f(extra_amt)},
        "summary": summary,
    }
    if ca:
        # the California part of each figure above, and the federal AMT on a vanished gain beside it
        ca_jan = vanished(ca_amt_jan, s_jan, ~sold)
        ca_dec = vanished(ca_amt_dec, s_dec, np.ones(n, dtype=bool))
        ca_noh = vanished(ca_amt_jan_hold, s_jan, np.ones(n, dtype=bool))
        fed_jan = vanished(fed_amt["jan"], s_jan, ~sold)
        fed_dec = vanished(fed_amt["dec"], s_dec, np.ones(n, dtype=bool))
        fed_noh = vanished(fed_amt["noh"], s_jan, np.ones(n, dtype=bool))

        def part(tax: np.ndarray, ca_v: tuple[float, float], fed_v: tuple[float, float]) -> dict[str, float]:
            return {"expected_tax": _f(np.mean(tax)), "expected_amt_on_vanished_gain": _f(ca_v[1]),
                    "prob_amt_on_vanished_gain": _f(ca_v[0]),
                    "federal_expected_amt_on_vanished_gain": _f(fed_v[1]),
                    "federal_prob_amt_on_vanished_gain": _f(fed_v[0])}

        out["california"] = {
            "january": part(ca_tax_jan, ca_jan, fed_jan), "december": part(ca_tax_dec, ca_dec, fed_dec),
            "january_without_hatch": part(ca_tax_jan_hold, ca_noh, fed_noh),
            "escape_hatch_value": _f(float(np.mean(ca_tax_jan_hold) - np.mean(ca_tax_jan)) if hatch else 0.0),
            "expected_extra_amt": _f(float(np.mean(ca_amt_dec) - np.mean(ca_amt_jan_hold))),
        }
    return out


# ---------------------------------------------------------------- hold vs sell


def _other_money(plan: Plan, year: int) -> tuple[float, str]:
    cash = plan.cash_by_year.get(year, 0.0) - plan.cash_reserve
    if cash >= _UNLIMITED:
        return plan.net_worth_outside, "person.net_worth_outside"
    return cash, "cash for the year less the reserve"


def _hold_vs_sell(plan: Plan, model: StagingModel, law: LawTable, sim: mc.Simulation, subject: Subject,
                  rules: EquityRules) -> dict[str, Any]:
    n = sim.paths
    t0, e = subject.t, subject.day
    iso_ok = model.iso_treated[:, t0]
    k = model.strike
    qualifying = max(model.blocks[b].qualifying_date(e) for b in range(len(model.blocks)) if subject.shares[b] > 0)
    s_e = sim.price(e)
    s_q = sim.price(qualifying)
    nwo = plan.net_worth_outside
    total = float(subject.shares.sum())
    position = total * subject.price
    worth = nwo + position
    target = plan.risk.target_concentration
    keep = min(total, np.floor(target * worth / subject.price)) if subject.price > 0 else total
    years = list(range(subject.year, qualifying.year + 1))
    in_money = s_e[:, None] > k[None, :]  # (n, B): nobody exercises an underwater option
    strategies = {"sell now": 0.0, "hold to qualifying": 1.0, "partial sale": keep / total if total else 0.0}
    results: dict[str, np.ndarray] = {}
    conc: dict[str, float] = {}
    cash_needed = hold_tax = hold_amt = ca_hold_tax = ca_hold_amt = 0.0
    ca_law = model.ca_law if model.california else None
    ca_extra: dict[str, np.ndarray] = {}
    for name, held_frac in strategies.items():
        held = np.floor(subject.shares * held_frac)
        sold = subject.shares - held
        held_p = np.where(in_money, held[None, :], 0.0)  # (n, B)
        sold_p = np.where(in_money, sold[None, :], 0.0)
        waiting = np.where(in_money, 0.0, subject.shares[None, :])  # options kept, exercised-and-sold at the end
        spread_e = np.maximum(s_e[:, None] - k[None, :], 0.0)
        events: dict[int, mc.Amounts] = {y: {} for y in years}
        # year of exercise: the held ISO shares carry line 2i; NSO spread is income; the sold shares are a
        # same-day disqualifying sale (ordinary income = spread, §421(b))
        events[subject.year] = {
            "iso_spread": np.sum(np.where(iso_ok[None, :], held_p * spread_e, 0.0), axis=1),
            "ordinary": np.sum(np.where(iso_ok[None, :], 0.0, held_p * spread_e), axis=1)
            + np.sum(sold_p * spread_e, axis=1),
            "nso": np.sum(np.where(iso_ok[None, :], 0.0, (held_p + sold_p) * spread_e), axis=1),
        }
        # the qualifying date: sell the held shares; regular gain from the strike (ISO) or the exercise price
        # (NSO); AMT gain from the exercise price (line 2k = AMT gain - regular gain)
        reg_basis = np.where(iso_ok[None, :], k[None, :], s_e[:, None])
        sale_value = held_p.sum(axis=1) * s_q
        regular_gain = sale_value - np.sum(held_p * reg_basis, axis=1)
        amt_gain = sale_value - held_p.sum(axis=1) * s_e
        late_spread = np.maximum(s_q[:, None] - k[None, :], 0.0)
        late_ordinary = np.sum(waiting * late_spread, axis=1)
        q_events: mc.Amounts = {"long_term": regular_gain, "amt_long_term": amt_gain,
                                "disposition_adjustment": amt_gain - regular_gain, "ordinary": late_ordinary}
        if qualifying.year == subject.year:  # cannot happen (more than a year later), kept for safety
            same = events[subject.year]
            q_events = {"long_term": same.get("long_term", 0.0) + regular_gain,
                        "amt_long_term": same.get("amt_long_term", 0.0) + amt_gain,
                        "disposition_adjustment": same.get("disposition_adjustment", 0.0) + (amt_gain - regular_gain),
                        "ordinary": same.get("ordinary", 0.0) + late_ordinary}
        events[qualifying.year] = {**events.get(qualifying.year, mc.Amounts()), **q_events}
        taxes = mc.path_years(plan, law, years, n, events, subject.credit, ca_law=ca_law, ca_credit=subject.ca_credit)
        ca_extra[name] = taxes.ca_extra_tax.sum(axis=0)
        proceeds = np.sum(sold_p, axis=1) * s_e + sale_value + np.sum(waiting * np.maximum(s_q[:, None], k[None, :]),
                                                                       axis=1)
        strike_paid = (held_p + sold_p) @ k + np.sum(np.where(s_q[:, None] > k[None, :], waiting, 0.0) * k, axis=1)
        results[name] = proceeds - strike_paid - taxes.extra_tax.sum(axis=0)
        conc[name] = float(held.sum() * subject.price / worth) if worth > 0 else 0.0
        if name == "hold to qualifying":  # the cash test, at the plan's exercise price
            det = mc.path_years(plan, law, [subject.year], 1, {subject.year: _exercise_events(
                model, held, np.asarray([subject.price]), iso_ok)}, subject.credit, ca_law=ca_law,
                ca_credit=subject.ca_credit)
            ca_hold_tax = float(det.ca_extra_tax[0, 0])
            ca_hold_amt = float(det.ca_extra_amt[0, 0])
            hold_tax = float(det.extra_tax[0, 0])  # federal + California
            hold_amt = float(det.extra_amt[0, 0]) + ca_hold_amt
            cash_needed = hold_tax + float(held @ k)
    gamma = plan.risk.risk_aversion
    sell = results["sell now"]
    rows: list[dict[str, Any]] = []
    for name, x in results.items():
        ce = certainty_equivalent(nwo + x, gamma) - nwo
        rows.append({"name": name, **_stats(x),
                     "prob_worse_than_sell_now": _f(np.mean(x < sell - 0.5)) if name != "sell now" else 0.0,
                     "certainty_equivalent": _f(ce), "concentration": _f(conc[name])})
    lo, hi = np.percentile(np.concatenate(list(results.values())), [1, 99])
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, HISTOGRAM_BINS + 1)
    counts = {name: np.histogram(np.clip(x, edges[0], edges[-1]), edges)[0].tolist() for name, x in results.items()}
    cash, cash_source = _other_money(plan, subject.year)
    cash_test = {"amt": _f(hold_amt), "tax": _f(hold_tax), "strike": _f(float(subject.shares @ k)),
                 "cash": _f(cash), "cash_source": cash_source, "covered": bool(cash >= cash_needed - 0.5),
                 "gap": _f(max(cash_needed - cash, 0.0))}
    out = {"exercise_date": e.isoformat(), "shares": int(total), "horizon": qualifying.isoformat(),
           "strategies": rows, "risk_aversion": gamma, "target_concentration": target,
           "partial_sale_shares_kept": int(keep), "cash_test": cash_test,
           "histogram": {"edges": [_f(v) for v in edges], "counts": counts},
           "conclusion": _conclusion(rows, gamma, qualifying, n, results)}
    if ca_law is not None:
        # the California part: its extra tax over the years to the qualifying date (in each strategy's value)
        out["california"] = {
            "strategies": [{"name": name, "expected_tax": _f(np.mean(x))} for name, x in ca_extra.items()],
            "cash_test": {"amt": _f(ca_hold_amt), "tax": _f(ca_hold_tax)}}
    return out


def _conclusion(rows: list[dict[str, Any]], gamma: float, horizon: date, n: int,
                results: dict[str, np.ndarray]) -> str:
    by = {r["name"]: r for r in rows}
    hold, sell = by["hold to qualifying"], by["sell now"]
    best = max(rows, key=lambda r: r["certainty_equivalent"])
    diff = results["hold to qualifying"] - results["sell now"]
    se = float(np.std(diff) / np.sqrt(max(n, 1)))
    mean_diff = float(np.mean(diff))
    scale = abs(best["certainty_equivalent"]) or 1.0
    others = [r["certainty_equivalent"] for r in rows
              if not np.allclose(results[r["name"]], results[best["name"]])]
    close = bool(others) and (best["certainty_equivalent"] - max(others)) < 0.02 * scale
    lead = (f"On these assumptions, holding to {horizon.isoformat()} ends worse than selling now on "
            f"{_pct(hold['prob_worse_than_sell_now'])} of the paths")
    if abs(mean_diff) < 2 * se:
        avg = "and its average is about the same"
    else:
        avg = f"and averages {_usd(abs(mean_diff))} {'more' if mean_diff > 0 else 'less'}"
    if close:
        verdict = (f"with risk aversion {gamma:g} the strategies' certainty equivalents are within 2% of each "
                   "other, so this is a close call the model cannot settle")
    else:
        verdict = f"with risk aversion {gamma:g}, '{best['name']}' has the highest certainty equivalent"
    if sell is best and not close:
        verdict += " (selling now gives up the upside but removes the risk)"
    return f"{lead} {avg}; {verdict} (a model estimate, not a forecast)."


# ---------------------------------------------------------------- the peak and the stress test


def _peak(plan: Plan, model: StagingModel, law: LawTable, sim: mc.Simulation, subject: Subject) -> dict[str, Any]:
    t0 = subject.t
    iso_ok = model.iso_treated[:, t0]
    shares = subject.shares
    k = model.strike
    base = mc.base_households(plan, subject.year)
    drop = plan.risk.drop
    one = np.asarray([subject.price])
    ca = _ca(plan, model, subject.year)
    ca_credit1 = np.asarray([subject.ca_credit])
    now = mc.path_year(law, base, 1, np.asarray([subject.credit]), ca_credit=ca_credit1, **ca,
                       **_exercise_events(model, shares, one, iso_ok))
    none = mc.path_year(law, base, 1, np.asarray([subject.credit]), ca_credit=ca_credit1, **ca)
    ca_amt_now = float(now.ca_amt[0] - none.ca_amt[0])
    ca_tax_now = float(now.ca_tax[0] - none.ca_tax[0])
    amt_now = float(now.amt[0] - none.amt[0]) + ca_amt_now  # federal + California
    tax_now = float(now.total_tax[0] - none.total_tax[0])
    strike_cash = float(shares @ k)
    value_after = float(shares.sum() * subject.price * (1.0 - drop))
    cash, source = _other_money(plan, subject.year)
    needed = strike_cash + tax_now
    gap = max(needed - cash, 0.0)
    n = sim.paths
    s_e = sim.price(subject.day)
    s_end = sim.price(date(subject.year, 12, 31))
    s_end_value = s_end  # private stock: the 409A value (there is no buyer)
    paths = mc.path_year(law, base, n, np.full(n, subject.credit), ca_credit=np.full(n, subject.ca_credit), **ca,
                         **_exercise_events(model, shares, s_e, iso_ok))
    amt_paths = paths.amt - none.amt[0] + paths.ca_amt - none.ca_amt[0]
    p_exceeds = float(np.mean(amt_paths > shares.sum() * s_end_value + 0.5))
    covered = cash >= needed - 0.5
    summary = (f"Exercising {int(shares.sum()):,} shares on {subject.day.isoformat()} at ${subject.price:,.2f} adds "
               f"{_usd(amt_now)} of AMT{' (federal + California)' if ca else ''} ({_usd(tax_now)} of tax in all) "
               f"and {_usd(strike_cash)} of strike. If the "
               f"shares then fell {drop:.0%}, they would be worth {_usd(value_after)}, and the "
               f"{_usd(needed)} of strike and tax "
               + ("could still be paid from other money." if covered else
                  f"would leave a cash gap of {_usd(gap)} after the other money ({_usd(cash)}).")
               + f" The AMT exceeds the shares' value at year end on {_pct(p_exceeds)} of the paths.")
    out = {"exercise_date": subject.day.isoformat(), "shares": int(shares.sum()), "price": _f(subject.price),
           "amt_now": _f(amt_now), "tax_now": _f(tax_now), "strike_cash": _f(strike_cash), "drop": drop,
           "value_after_drop": _f(value_after), "cash": _f(cash), "cash_source": source,
           "covered_after_drop": bool(covered), "cash_gap": _f(gap),
           "shares_after_drop_cover_gap": bool(value_after >= gap),
           "prob_amt_exceeds_value_at_year_end": _f(p_exceeds), "summary": summary}
    if ca:
        out["california"] = {"amt_now": _f(ca_amt_now), "tax_now": _f(ca_tax_now),
                             "federal_amt_now": _f(amt_now - ca_amt_now)}
    return out


# ---------------------------------------------------------------- pre-IPO: exercise now vs wait for the event


def _pre_ipo(plan: Plan, model: StagingModel, law: LawTable, sim: mc.Simulation, event: EventPaths,
             notes: list[str]) -> dict[str, Any] | None:
    e = model.exercise_dates[0]
    shares = model.cap[:, 0].copy()
    if shares.sum() == 0:
        notes.append(f"Pre-IPO: no shares can be exercised on {e.isoformat()}.")
        return None
    n = sim.paths
    k = model.strike
    iso_ok = model.iso_treated[:, 0]
    s0 = float(plan.stock.price_path.price(e))
    vested = np.asarray([sum(s for _, v, s in blk.tranches if v <= e) for blk in model.blocks], dtype=float)
    unvested = np.maximum(shares - vested, 0.0)
    rules = equity_rules()
    qualifying = max(model.blocks[b].qualifying_date(e) for b in range(len(model.blocks)) if shares[b] > 0)
    long_term_from = first_day_more_than(e, rules.years_after_exercise)
    credit0 = plan.prior_credit
    # California's law and its FTB 3510 credit (none for a federal plan)
    ca_law = model.ca_law if model.california else None
    ca_credit0 = plan.prior_ca_credit if model.california else 0.0
    # exercise now: the sale date on each path (an IPO waits for the qualifying date; an acquisition pays then)
    happens, kind = event.happens, event.kind
    ipo = happens & (kind == 0)
    sale_day = np.where(ipo, np.maximum(event.day, qualifying.toordinal()), event.day)
    later = ipo & (sale_day > event.day)
    price_later = sim.price_on(sale_day)
    ipo_price = np.where(np.isnan(event.multiple), event.price * price_later / np.maximum(_at_event(sim, event),
                                                                                          1e-300),
                         np.nan_to_num(event.multiple) * price_later)
    sale_price = np.where(later, ipo_price, event.price)
    sale_price = np.where(happens, sale_price, 0.0)
    years_all = sorted({e.year, *np.unique(_years_of(sale_day)).tolist()})
    if years_all[-1] > law.last_year:
        raise InputError("stock.liquidity.latest", plan.stock.liquidity.latest.isoformat() if plan.stock.liquidity
                         else None, f"a date that leaves the sale in {law.last_year} or earlier", source=plan.source)
    years = list(range(years_all[0], years_all[-1] + 1))
    year_of = _years_of(sale_day)
    same_year = happens & (year_of == e.year)
    qualifies = sale_day >= qualifying.toordinal()
    lt = sale_day >= long_term_from.toordinal()
    failure = happens & (kind == 2)
    # year of exercise
    spread0 = np.maximum(s0 - k, 0.0)
    iso_spread_now = float(np.sum(np.where(iso_ok, shares * spread0, 0.0)))
    nso_now = float(np.sum(np.where(iso_ok, 0.0, shares * spread0)))
    strike_cash = float(shares @ k)
    events: dict[int, mc.Amounts] = {y: {"iso_spread": np.zeros(n), "ordinary": np.zeros(n),
                                         "short_term": np.zeros(n), "long_term": np.zeros(n),
                                         "amt_long_term": np.zeros(n), "amt_short_term": np.zeros(n),
                                         "nso": np.zeros(n),
                                         "disposition_adjustment": np.zeros(n)}
                                     for y in years}
    ev0 = events[e.year]
    ev0["iso_spread"] += np.where(same_year & ~failure, 0.0, iso_spread_now)
    ev0["ordinary"] += nso_now
    ev0["nso"] += nso_now
    sell = happens
    for b in range(len(model.blocks)):
        s_b = shares[b]
        if s_b == 0:
            continue
        for y in years:
            rows = sell & (year_of == y)
            if not rows.any():
                continue
            x = sale_price
            ev = events[y]
            if iso_ok[b]:
                qual = rows & qualifies & ~failure
                dd = rows & ~qualifies & ~failure
                # qualifying: regular gain from the strike, AMT gain from the exercise price (line 2k)
                reg = s_b * (x - k[b])
                amt = s_b * (x - s0)
                ev["long_term"] += np.where(qual, reg, 0.0)
                ev["amt_long_term"] += np.where(qual, amt, 0.0)
                ev["disposition_adjustment"] += np.where(qual, amt - reg, 0.0)
                # disqualifying: ordinary = spread at exercise capped at the gain (§422(c)(2)); the rest capital
                ordinary = s_b * np.minimum(spread0[b], np.maximum(x - k[b], 0.0))
                capital = s_b * (x - k[b]) - ordinary
                ev["ordinary"] += np.where(dd, ordinary, 0.0)
                ev["long_term"] += np.where(dd & lt, capital, 0.0)
                ev["short_term"] += np.where(dd & ~lt, capital, 0.0)
                later_year = dd & ~same_year
                ev["amt_long_term"] += np.where(later_year & lt, amt, 0.0)
                # a same-year sale has no AMT adjustment: the AMT gain is the regular one
                ev["amt_short_term"] += np.where(later_year & ~lt, amt, np.where(dd & ~lt, capital, 0.0))
                ev["disposition_adjustment"] += np.where(later_year, amt - (ordinary + capital), 0.0)
                # failure: worthless shares, a capital loss of the basis (§165(g)); AMT basis includes the spread
                f_rows = rows & failure
                reg_loss, amt_loss = -s_b * k[b], -s_b * s0
                ev["long_term"] += np.where(f_rows & lt, reg_loss, 0.0)
                ev["short_term"] += np.where(f_rows & ~lt, reg_loss, 0.0)
                ev["amt_long_term"] += np.where(f_rows & lt, amt_loss, 0.0)
                ev["amt_short_term"] += np.where(f_rows & ~lt, amt_loss, 0.0)
                ev["disposition_adjustment"] += np.where(f_rows, amt_loss - reg_loss, 0.0)
            else:
                gain = s_b * (x - s0)  # NSO: basis = the exercise-date value (income already taxed)
                ev["long_term"] += np.where(rows & lt, gain, 0.0)
                ev["short_term"] += np.where(rows & ~lt, gain, 0.0)
                ev["amt_long_term"] += np.where(rows & lt, gain, 0.0)
                ev["amt_short_term"] += np.where(rows & ~lt, gain, 0.0)
    ev0["iso_spread"] = np.where(same_year & failure, iso_spread_now, ev0["iso_spread"])
    taxes_now = mc.path_years(plan, law, years, n, events, credit0, ca_law=ca_law, ca_credit=ca_credit0)
    proceeds = np.where(happens, shares.sum() * sale_price, 0.0)
    net_now = proceeds - strike_cash - taxes_now.extra_tax.sum(axis=0)
    first = mc.path_years(plan, law, [e.year], 1, {e.year: {"iso_spread": np.asarray([iso_spread_now]),
                                                           "ordinary": np.asarray([nso_now]),
                                                           "nso": np.asarray([nso_now])}}, credit0,
                          ca_law=ca_law, ca_credit=ca_credit0)
    tax_now = float(first.extra_tax[0, 0])  # federal + California
    amt_now = float(first.extra_amt[0, 0] + first.ca_extra_amt[0, 0])
    cash_at_risk = strike_cash + tax_now
    # wait: exercise and sell at the event (a same-day disqualifying sale: ordinary income = spread, §421(b))
    event_year = _years_of(event.day)
    wait_years = sorted(set(event_year[happens].tolist())) or [e.year]
    wait_years = list(range(min(wait_years[0], e.year), wait_years[-1] + 1))
    wait_events: dict[int, mc.Amounts] = {}
    x_event = np.where(happens, event.price, 0.0)
    spread_event = np.maximum(x_event[:, None] - k[None, :], 0.0) @ shares
    for y in wait_years:
        wait_events[y] = {"ordinary": np.where(happens & (event_year == y), spread_event, 0.0)}
    taxes_wait = mc.path_years(plan, law, wait_years, n, wait_events, credit0, ca_law=ca_law, ca_credit=ca_credit0)
    net_wait = spread_event - taxes_wait.extra_tax.sum(axis=0)
    prob_lost = float(np.mean(net_now < -0.5))
    affordable = plan.risk.affordable_loss
    exceeds = affordable is not None and cash_at_risk > affordable
    sold = happens & ~failure
    p_qual = float(np.mean(qualifies[sold])) if sold.any() else 0.0
    now_stats = _stats(net_now)
    wait_stats = _stats(net_wait)
    exercise_now = {
        "date": e.isoformat(), "shares": int(shares.sum()), "unvested_shares_83b": int(unvested.sum()),
        "price_409a": _f(s0), "strike_cash": _f(strike_cash), "amt_now": _f(amt_now), "tax_now": _f(tax_now),
        "cash_at_risk": _f(cash_at_risk), **now_stats, "std": _f(np.std(net_now)),
        "clock_start": e.isoformat(), "qualifying_date": qualifying.isoformat(),
        "prob_sale_qualifies": _f(p_qual), "prob_event": _f(np.mean(happens)),
        "prob_failure": _f(np.mean(failure)), "credit_left_mean": _f(np.mean(taxes_now.credit_left)),
    }
    wait = {"cash_now": 0.0, **wait_stats, "std": _f(np.std(net_wait)),
            "clock_start": "the event date (exercise and sell the same day)", "prob_sale_qualifies": 0.0}
    beats = float(np.mean(net_now > net_wait + 0.5))
    parts = [f"Exercising now puts {_usd(cash_at_risk)} at risk ({_usd(strike_cash)} strike, {_usd(tax_now)} tax, "
             f"{_usd(amt_now)} of it AMT{' (federal + California)' if model.california else ''}) and loses money on "
             f"{_pct(prob_lost)} of the paths; on average it leaves "
             f"{_usd(now_stats['mean'])} after tax against {_usd(wait_stats['mean'])} for waiting, and it does "
             f"better than waiting on {_pct(beats)} of the paths."]
    if exceeds and affordable is not None:
        parts.append(f"The cash at risk is more than the {_usd(affordable)} you say you can afford to lose.")
    elif affordable is None:
        parts.append("Set [risk] affordable_loss to compare the cash at risk with what you can afford to lose.")
    if unvested.sum() > 0:
        parts.append(f"{int(unvested.sum()):,} of the shares are unvested: this assumes an 83(b) election filed "
                     "within 30 days of the exercise.")
    out = {"exercise_now": exercise_now, "wait_for_event": wait, "cash_at_risk": _f(cash_at_risk),
           "prob_cash_lost": _f(prob_lost), "prob_exercise_now_beats_wait": _f(beats),
           "exceeds_affordable_loss": bool(exceeds), "affordable_loss": affordable, "summary": " ".join(parts)}
    if model.california:
        out["california"] = {
            "amt_now": _f(first.ca_extra_amt[0, 0]), "tax_now": _f(first.ca_extra_tax[0, 0]),
            "federal_amt_now": _f(first.extra_amt[0, 0]),
            "exercise_now_expected_tax": _f(np.mean(taxes_now.ca_extra_tax.sum(axis=0))),
            "wait_expected_tax": _f(np.mean(taxes_wait.ca_extra_tax.sum(axis=0))),
            "credit_left_mean": _f(np.mean(taxes_now.ca_credit_left))}
    return out
