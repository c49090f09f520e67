"""What the risk report's sections share: the summary statistics, the certainty equivalent (CRRA), the
subject exercise, and the yearly amounts an exercise or a same-year sale adds to a return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from isoplan.planning import montecarlo as mc
from isoplan.planning.plan import Plan

if TYPE_CHECKING:
    from isoplan.planning.staging import PlanOutcome, StagingModel


def _f(x: Any) -> float:
    return float(np.round(float(x), 6))


def _stats(x: np.ndarray) -> dict[str, float]:
    p5, p50, p95 = np.percentile(x, [5, 50, 95])
    return {"mean": _f(np.mean(x)), "median": _f(p50), "p5": _f(p5), "p95": _f(p95)}


def _pct(p: float) -> str:
    if 0 < p < 0.005:
        return "under 1%"
    if 0.995 < p < 1:
        return "over 99%"
    return f"{p:.0%}"


def _usd(x: float) -> str:
    return f"-${-x:,.0f}" if x < 0 else f"${x:,.0f}"


def certainty_equivalent(wealth: np.ndarray, gamma: float, floor: float = 1.0) -> float:
    """CRRA certainty equivalent: u(w) = w^(1-g)/(1-g) (log w at g = 1); wealth floored at ``floor`` (at least
    $1: CRRA utility is unbounded below at zero wealth)."""
    w = np.maximum(wealth, max(floor, 1.0))
    if abs(gamma - 1.0) < 1e-12:
        return float(np.exp(np.mean(np.log(w))))
    if gamma == 0:
        return float(np.mean(w))
    # scale for numerical range: CE is homogeneous of degree 1
    scale = float(np.median(w))
    z = w / scale
    with np.errstate(under="ignore", over="ignore"):
        m = np.mean(z ** (1.0 - gamma))
    return float(scale * m ** (1.0 / (1.0 - gamma)))


# ---------------------------------------------------------------- the subject exercise


@dataclass
class Subject:
    """The exercise the sections look at: the plan's first exercise year (shares per block)."""

    t: int
    year: int
    day: date
    shares: np.ndarray  # (B,)
    price: float  # the plan's price on that day
    credit: float  # Form 8801 line 21 that year on the plan's path
    source: str
    ca_credit: float = 0.0  # FTB 3510 credit available that year on the plan's path (California plans)


def _subject(outcome: PlanOutcome) -> Subject | None:
    m = outcome.model
    for strategy in (outcome.recommended, *[b for b in outcome.baselines if b.name == "exercise everything now"]):
        sched = strategy.schedule
        for t in range(len(m.years) - 1):
            if sched[:, t].sum() > 0:
                return Subject(t, m.years[t], m.exercise_dates[t], sched[:, t].copy(),
                               float(m.price_at_exercise[t]), float(strategy.evaluation.credit_available[t, 0]),
                               strategy.name, float(strategy.evaluation.ca_credit_available[t, 0]))
    return None


def _ca(plan: Plan, model: StagingModel, year: int) -> mc.CaliforniaLaw:
    """The California keywords of :func:`~isoplan.planning.montecarlo.path_year` for ``year`` ({} if not CA)."""
    if not getattr(model, "california", False):
        return {}
    return {"ca_law": model.ca_law, "property_tax": mc.property_tax_of(plan, year)}


def _tax_words(model: StagingModel) -> str:
    return "federal and California tax" if getattr(model, "california", False) else "federal tax"


def _exercise_events(model: StagingModel, shares: np.ndarray, price: np.ndarray, iso_ok: np.ndarray) -> mc.Amounts:
    """ISO spread (line 2i) and NSO income of exercising ``shares`` (B,) at ``price`` (n,), held past Dec 31."""
    spread = np.maximum(price[:, None] - model.strike[None, :], 0.0)
    nso = spread[:, ~iso_ok] @ shares[~iso_ok]
    return {"iso_spread": spread[:, iso_ok] @ shares[iso_ok], "ordinary": nso, "nso": nso}


def _same_year_sale(model: StagingModel, shares: np.ndarray, exercise_price: np.ndarray, sale_price: np.ndarray
                    ) -> mc.Amounts:
    """Exercise and sell in the same year: no line 2i; ordinary income = spread, capped at the gain realized
    (§422(c)(2)); the rest (a loss below the strike) is short-term capital gain or loss."""
    k = model.strike[None, :]
    spread = np.maximum(exercise_price[:, None] - k, 0.0)
    ordinary = np.minimum(spread, np.maximum(sale_price[:, None] - k, 0.0))
    capital = sale_price[:, None] - k - ordinary
    return {"ordinary": ordinary @ shares, "short_term": capital @ shares}
