"""The risk objective: among candidate schedules and policies, the highest certainty equivalent.

Decide the hold on the risk, not the rate. Every candidate runs on the same
price paths (:mod:`isoplan.planning.risk_paths`, common random numbers);
its after-tax value on a path is the exit proceeds less strike and every
year's federal (and California) tax above the no-exercise reference, as the
tax objective counts it (:func:`isoplan.planning.staging.evaluate`). Wealth
on a path = ``[person] net_worth_outside`` + that value; the certainty
equivalent is CRRA with ``[risk] risk_aversion``
(:func:`isoplan.planning.risk.certainty_equivalent`), less the outside net
worth.

Candidates: the tax objective's optimum, the baselines (each feasible on the
assumed path: cash and the zero-AMT setting), the optimum stopped after each
of its exercise years and scaled down, every schedule of a small share grid,
and three policies: filling the AMT room each January at the path's price,
each fixed candidate with the escape hatch (public stock), and the tax choice
and the baselines with partial sales down to ``[risk] target_concentration``
of net worth once lots qualify and the stock can be sold. A screen on the
first paths keeps the best few; the finalists run on all the paths.

Wealth is floored at the cash the plan never spends (:func:`wealth_floor`),
and the output counts the paths at the floor.

Ties: candidates whose certainty equivalents are within $1 or within the
Monte Carlo standard error of the difference from the best are tied; a tie
goes to less expected AMT, then less cash at risk, then the earlier exercise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from isoplan.planning import montecarlo as mc
from isoplan.planning import risk_paths as rp
from isoplan.planning.risk_common import certainty_equivalent
from isoplan.planning.staging import (
    PlanOutcome,
    StagingModel,
    Strategy,
    evaluate,
    grid_schedules,
)

#: paths the screen runs every candidate on before the finalists run on all of them
SCREEN_PATHS = 1_000
#: finalists kept by the screen (the tax choice and the baselines are always run on all the paths)
FINALISTS = 3
#: the most schedules of a small share grid added as candidates (times the plan's years)
GRID_BUDGET = 400
#: the sensitivity's variants: (label, volatility factor, growth shift in points of yearly growth)
SENSITIVITY = (("volatility halved", 0.5, 0.0), ("volatility x1.5", 1.5, 0.0),
               ("growth -10 points", 1.0, -0.10), ("growth +10 points", 1.0, 0.10))
#: within this many dollars two certainty equivalents are tied, whatever the Monte Carlo error
TIE_DOLLARS = 1.0
#: paths of each sensitivity variant (drawn from the plan's seed: common random numbers)
SENSITIVITY_PATHS = 1_000
#: a sensitivity variant changes the choice only when its best leads by more than this many standard errors
SIGNIFICANCE = 2.0
FILL_ROOM = "fill the room each January"
HATCH = " + escape hatch"
SELL_DOWN = "sell_down"
#: The policy words of a fixed schedule: nothing to add to the year table.
SCHEDULE_ONLY = "the schedule shown"


@dataclass
class Candidate:
    """A fixed schedule, or a policy whose schedule depends on the path."""

    name: str
    schedule: np.ndarray  # (B, T) on the assumed path
    kind: str  # "optimizer", "baseline", "variant", "grid", "policy", "sell_down"
    hatch: bool = False
    fill_room: bool = False
    sell_down: bool = False  # the partial-sale policy: sell qualifying lots down to the concentration target


@dataclass(frozen=True)
class RiskFigures:
    """A candidate's outcome over the paths (docs/plan-file.md, "The risk objective")."""

    certainty_equivalent: float
    mean: float
    percentile_5: float
    prob_amt_on_vanished_gain: float
    largest_cash_at_risk: float
    expected_amt: float
    exercise_time: float  # share-weighted mean year index of the exercises (earlier is smaller)
    paths_floored: int = 0  # paths whose wealth is at or below the floor (wealth_floor)

    def as_dict(self) -> dict[str, float]:
        return {"certainty_equivalent": _r(self.certainty_equivalent), "mean": _r(self.mean),
                "percentile_5": _r(self.percentile_5),
                "prob_amt_on_vanished_gain": _r(self.prob_amt_on_vanished_gain, 4),
                "largest_cash_at_risk": _r(self.largest_cash_at_risk), "expected_amt": _r(self.expected_amt),
                "paths_floored": self.paths_floored}


def _r(x: float, digits: int = 2) -> float:
    return float(round(float(x), digits))


@dataclass
class Scored:
    candidate: Candidate
    figures: RiskFigures
    wealth: np.ndarray  # (n,) outside net worth + value on each path


@dataclass
class RiskChoice:
    """The risk objective's choice, the tax choice beside it, the baselines' figures and the explanations."""

    recommended: Scored
    tax_choice: Scored
    baselines: dict[str, Scored]
    explanations: dict[str, str]  # baseline name -> why it is infeasible or collapses to waiting
    why: list[str]  # the recommendation's sentences (the AMT line, ties)
    liquidity: str
    tie_note: str | None
    sensitivity: list[dict[str, Any]] = field(default_factory=list)
    sensitivity_summary: str = ""
    floor_note: str | None = None  # the paths whose wealth the floor lifts, when there are any
    policies: dict[str, Scored] = field(default_factory=dict)  # the partial-sale policies, by name
    wealth_floor: float = 1.0
    paths: int = 0
    seed: int = 0
    risk_aversion: float = 0.0
    candidates: int = 0


def _usd(x: float) -> str:
    return f"-${-x:,.0f}" if x < 0 else f"${x:,.0f}"


def describe(model: StagingModel, schedule: np.ndarray) -> str:
    """A schedule in words: shares by year."""
    parts = [f"{int(schedule[:, t].sum()):,} in {model.years[t]}" for t in range(len(model.years) - 1)
             if schedule[:, t].sum() > 0]
    return "exercise " + ", ".join(parts) if parts else "wait and exercise at the exit"


def _exercise_time(model: StagingModel, schedule: np.ndarray) -> float:
    t_count = len(model.years)
    total = float(model.exit_cap.sum() + schedule[:, : t_count - 1].sum())
    if total <= 0:
        return float(t_count - 1)
    before = schedule[:, : t_count - 1].sum(axis=0) @ np.arange(t_count - 1)
    rest = max(total - float(schedule[:, : t_count - 1].sum()), 0.0) * (t_count - 1)
    return float((before + rest) / total)


# ---------------------------------------------------------------- candidates


def candidates(model: StagingModel, outcome: PlanOutcome, *, public: bool) -> list[Candidate]:
    """The candidates (see module doc), each feasible on the assumed path, without duplicates."""
    t_count = len(model.years)
    out = [Candidate(outcome.recommended.name, outcome.recommended.schedule, "optimizer")]
    out += [Candidate(b.name, b.schedule, "baseline") for b in outcome.baselines if b.feasible]
    best = outcome.recommended.schedule
    years_used = [t for t in range(t_count - 1) if best[:, t].sum() > 0]
    for t in years_used[:-1]:
        stopped = best.copy()
        stopped[:, t + 1:] = 0.0
        out.append(Candidate(f"optimized through {model.years[t]}, then wait", stopped, "variant"))
    for fraction in (0.25, 0.5, 0.75):
        out.append(Candidate(f"optimized, {fraction:.0%} of each exercise", np.floor(best * fraction), "variant"))
    try:
        grid = grid_schedules(model, limit=GRID_BUDGET)
    except ValueError:  # too many schedules to add them all
        grid = np.zeros((0, len(model.blocks), t_count))
    if grid.shape[0] * t_count <= GRID_BUDGET:
        out += [Candidate(describe(model, s), s, "grid") for s in grid]
    fixed = _unique_feasible(model, out)
    policies = [Candidate(FILL_ROOM + " (at each path's price)", np.zeros_like(best), "policy", fill_room=True)]
    if public:
        policies += [dataclasses.replace(c, name=c.name + HATCH, hatch=True) for c in fixed
                     if c.kind in ("optimizer", "baseline", "variant") and c.schedule[:, : t_count - 1].sum() > 0]
    target = model.plan.risk.target_concentration
    # the tax choice's partial sale always runs on all the paths (a baseline); the baselines' go through the screen
    policies += [dataclasses.replace(c, name=f"{c.name} + sell down to {target:.0%} of net worth",
                                     kind=SELL_DOWN if c.kind == "optimizer" else "policy", sell_down=True)
                 for c in fixed if c.kind in ("optimizer", "baseline") and c.schedule[:, : t_count - 2].sum() > 0]
    # (a lot can be sold on a later year's sale day before the exit's year: rp.sale_days)
    return fixed + policies


def _unique_feasible(model: StagingModel, cands: Sequence[Candidate]) -> list[Candidate]:
    seen: set[bytes] = set()
    keep: list[Candidate] = []
    for c in cands:
        key = np.ascontiguousarray(c.schedule).tobytes()
        if key in seen:
            continue
        seen.add(key)
        keep.append(c)
    if not keep:
        return keep
    feasible = evaluate(model, np.stack([c.schedule for c in keep])).feasible
    return [c for c, ok in zip(keep, feasible, strict=True) if ok or c.kind == "optimizer"]


# ---------------------------------------------------------------- scoring


def wealth_floor(model: StagingModel) -> float:
    """The least wealth a path counts with: the cash the plan never spends (``[cash] reserve``), at least $1.

    CRRA utility is unbounded below at zero wealth, so a path whose outside net worth plus value reaches zero
    would decide the certainty equivalent alone; the plan keeps its reserve whatever happens, so no path
    leaves the person with less."""
    return max(model.plan.cash_reserve, 1.0)


def score(model: StagingModel, cands: Sequence[Candidate], paths: rp.PricePaths, gamma: float,
          room: np.ndarray | None = None) -> list[Scored]:
    """Every candidate on every path (fixed schedules stacked; policies one by one)."""
    n = paths.n
    nwo = model.plan.net_worth_outside
    floor = wealth_floor(model)
    fixed = [c for c in cands if not c.fill_room]
    results: list[tuple[Candidate, rp.PathResults, slice]] = []
    out: list[Scored] = []
    if fixed:
        r = rp.run_fixed(model, np.stack([c.schedule for c in fixed]), paths,
                         hatch=np.asarray([c.hatch for c in fixed]), trigger=_trigger(model),
                         sell_down=np.asarray([c.sell_down for c in fixed]),
                         target=model.plan.risk.target_concentration)
        results += [(c, r, slice(i * n, (i + 1) * n)) for i, c in enumerate(fixed)]
    for c in cands:
        if c.fill_room:
            room = rp.policy_room(model) if room is None else room
            r = rp.run_per_path(model, rp.fill_room_on_paths(model, paths.exercise, room), paths)
            results.append((c, r, slice(0, n)))
    for c, r, rows in results:
        value = r.value[rows]
        wealth = nwo + value
        figures = RiskFigures(
            certainty_equivalent=certainty_equivalent(wealth, gamma, floor) - nwo, mean=float(np.mean(value)),
            percentile_5=float(np.percentile(value, 5)), prob_amt_on_vanished_gain=float(np.mean(r.vanished[rows])),
            largest_cash_at_risk=float(np.percentile(r.cash_peak[rows], 95)),
            expected_amt=float(np.mean(r.amt[rows])), exercise_time=_exercise_time(model, c.schedule),
            paths_floored=int(np.count_nonzero(wealth <= floor)))
        out.append(Scored(c, figures, np.maximum(wealth, floor)))
    order = {id(c): i for i, c in enumerate(cands)}
    return sorted(out, key=lambda s: order[id(s.candidate)])


def _trigger(model: StagingModel) -> float:
    sell_below = model.plan.risk.sell_below
    return rp.DEFAULT_HATCH_TRIGGER if sell_below is None else float(sell_below)


def ce_error(a: np.ndarray, b: np.ndarray, gamma: float) -> float:
    """Monte Carlo standard error of CE(a) - CE(b) on the same paths (delta method: the error of the mean
    utility difference over the marginal utility at the certainty equivalent)."""
    n = a.size
    if n < 2:
        return 0.0
    wa, wb = np.maximum(a, 1.0), np.maximum(b, 1.0)
    scale = float(np.median(wa))
    za, zb = wa / scale, wb / scale
    with np.errstate(under="ignore", over="ignore"):
        if abs(gamma - 1.0) < 1e-12:
            du = np.log(za) - np.log(zb)
        else:
            du = (za ** (1.0 - gamma) - zb ** (1.0 - gamma)) / (1.0 - gamma)
        ce = certainty_equivalent(wa, gamma) / scale
        marginal = ce ** -gamma
    return float(np.std(du) / np.sqrt(n) / marginal * scale) if marginal > 0 else 0.0


def choose(scored: Sequence[Scored], gamma: float) -> tuple[Scored, list[Scored]]:
    """The highest certainty equivalent, ties (within $1 or the Monte Carlo error) to less expected AMT, then
    less cash at risk, then the earlier exercise. Returns the choice and the candidates tied with the best."""
    best = max(scored, key=lambda s: s.figures.certainty_equivalent)
    tied = [s for s in scored
            if best.figures.certainty_equivalent - s.figures.certainty_equivalent
            <= max(TIE_DOLLARS, ce_error(best.wealth, s.wealth, gamma))]
    choice = min(tied, key=lambda s: (round(s.figures.expected_amt), round(s.figures.largest_cash_at_risk),
                                      s.figures.exercise_time, -s.figures.certainty_equivalent))
    return choice, tied


# ---------------------------------------------------------------- explanations


def liquidity_sentence(model: StagingModel, paths: rp.PricePaths) -> str:
    plan, stock = model.plan, model.plan.stock
    sigma = mc.volatility_of(stock)
    source = "stock.volatility" if stock.volatility is not None else "isoplan's default"
    if stock.kind != "private":
        return (f"Public stock: the price follows geometric Brownian motion around the plan's path with volatility "
                f"{sigma:.0%} a year ({source}); shares can be sold any day.")
    liq = rp.liquidity_of(plan)
    gone = 1.0 - paths.event_by_exit
    if stock.liquidity is None:
        price = (f"${stock.liquidity_price:,.2f} a share" if stock.liquidity_price is not None
                 else "the 409A value then")
        return (f"Private stock: assumed (assume_liquidity = true) a certain sale on {liq.earliest.isoformat()} at "
                f"{price}; the 409A value moves with volatility {sigma:.0%} a year ({source}).")
    outcomes = ", ".join(f"{o.kind} {o.probability:.0%}" for o in liq.outcomes)
    return (f"Private stock: a liquidity event with probability {liq.probability:.0%} between "
            f"{liq.earliest.isoformat()} and {liq.latest.isoformat()} ({outcomes}); on the {gone:.0%} of paths "
            f"with no sale possible by the exit {model.exit_date.isoformat()} the shares count as worth nothing.")


def baseline_explanation(model: StagingModel, strategy: Strategy) -> str | None:
    """Why a baseline is infeasible, or collapses to waiting, with numbers (None: neither)."""
    ev = strategy.evaluation
    t_count = len(model.years)
    if not strategy.feasible:
        for t in range(t_count - 1):
            need = float(ev.cash_out[t, 0])
            if need > float(ev.cash_available[t, 0]) + 1e-6:
                return (f"Infeasible: it needs {_usd(need)} of strike and tax in {model.years[t]}, more than the "
                        f"{_usd(float(ev.cash_available[t, 0]))} of cash less the reserve (with what earlier years "
                        "left unspent).")
            amt = float(ev.amt[t, 0] + ev.ca_amt[t, 0])
            if model.plan.zero_amt and amt > 0.5:
                return (f"Infeasible: it pays {_usd(amt)} of AMT in {model.years[t]}, and the plan sets "
                        "zero_amt = true.")
        return "Infeasible on the plan's limits."
    if strategy.name.startswith("wait") or strategy.schedule[:, : t_count - 1].sum() > 0:
        return None
    exercisable = bool(np.any(model.cap[:, : t_count - 1] > 0))
    if not exercisable:
        return ("It collapses to waiting: no share can be exercised on an exercise date before the exit "
                f"{model.exit_date.isoformat()} (vesting, expiration or departure).")
    first = model.exercise_dates[0]
    qualifying = min(blk.qualifying_date(first) for blk in model.blocks)
    if qualifying > model.exit_date:
        return (f"It collapses to waiting: no exercise before the exit can qualify; an exercise on "
                f"{first.isoformat()} qualifies on {qualifying.isoformat()} at the earliest, after the exit "
                f"{model.exit_date.isoformat()} (IRC §422(a)(1): 2 years from grant, 1 year from exercise).")
    return "It collapses to waiting: no exercise fits the plan's cash in the years before the exit."


def amt_line_sentence(model: StagingModel, choice: Scored, fill_room: Scored | None) -> str | None:
    """Why the recommendation goes past the AMT line (when it does on the assumed path)."""
    ev = evaluate(model, choice.candidate.schedule[None])
    amt = (ev.amt[:, 0] + ev.ca_amt[:, 0])[: len(model.years) - 1]
    if amt.sum() <= 0.5:
        return None
    t = int(np.argmax(amt))
    shares = int(choice.candidate.schedule[:, t].sum())
    gain = ""
    if fill_room is not None:
        above = choice.figures.certainty_equivalent - fill_room.figures.certainty_equivalent
        gain = f": its certainty equivalent is {_usd(above)} above filling only the room each January"
    return (f"It goes past the AMT line: {shares:,} shares in {model.years[t]} add {_usd(float(amt[t]))} of AMT "
            f"on the assumed path ({_usd(float(amt.sum()))} in all, which becomes minimum tax credit){gain}.")


def floor_sentence(model: StagingModel, choice: Scored, tax: Scored, n: int, gamma: float) -> str | None:
    """Says how many paths of the recommendation and of the tax choice reach the wealth floor (None: none)."""
    if choice.figures.paths_floored == 0 and tax.figures.paths_floored == 0:
        return None
    floor = wealth_floor(model)
    source = "the cash reserve the plan never spends" if model.plan.cash_reserve >= 1.0 else "no cash reserve"
    return (f"On {tax.figures.paths_floored:,} of {n:,} paths the tax choice's wealth (outside net worth + value) "
            f"falls to the floor of {_usd(floor)} ({source}), on {choice.figures.paths_floored:,} the "
            f"recommendation's: with risk aversion {gamma:g} those paths weigh heavily in the certainty "
            "equivalent and so in the price of risk.")


# ---------------------------------------------------------------- the objective


def choose_on_risk(outcome: PlanOutcome, *, paths: int | None = None, seed: int | None = None,
                   sensitivity: bool = True) -> RiskChoice:
    """The risk objective's choice for an optimized plan (see module doc)."""
    model = outcome.model
    plan = model.plan
    n = paths or plan.objective_paths
    seed = plan.risk.seed if seed is None else seed
    gamma = plan.risk.risk_aversion
    public = plan.stock.kind != "private"
    cands = candidates(model, outcome, public=public)
    room = rp.policy_room(model)
    draws = rp.draw_paths(model, n, seed)
    must = [c for c in cands if c.kind in ("optimizer", "baseline", SELL_DOWN)]
    if n > SCREEN_PATHS and len(cands) > len(must) + FINALISTS:
        screen = score(model, cands, draws.take(np.arange(SCREEN_PATHS)), gamma, room)
        others = sorted((s for s in screen if s.candidate.kind not in ("optimizer", "baseline", SELL_DOWN)),
                        key=lambda s: -s.figures.certainty_equivalent)
        finalists = must + [s.candidate for s in others[:FINALISTS]]
    else:
        finalists = cands
    scored = score(model, finalists, draws, gamma, room)
    choice, tied = choose(scored, gamma)
    by_name = {s.candidate.name: s for s in scored}
    tax = next(s for s in scored if s.candidate.kind == "optimizer")
    baselines: dict[str, Scored] = {}
    infeasible = [b for b in outcome.baselines if not b.feasible]
    if infeasible:
        for s in score(model, [Candidate(b.name, b.schedule, "baseline") for b in infeasible], draws, gamma, room):
            baselines[s.candidate.name] = s
    for b in outcome.baselines:
        if b.name in by_name:
            baselines[b.name] = by_name[b.name]
    explanations = {b.name: e for b in outcome.baselines if (e := baseline_explanation(model, b)) is not None}
    fill = next((s for s in scored if s.candidate.name == FILL_ROOM), None)
    why = [line] if (line := amt_line_sentence(model, choice, fill)) else []
    tie_note = None
    if len(tied) > 1:
        tie_note = (f"{len(tied)} candidates are within $1 or the Monte Carlo error of the best certainty "
                    f"equivalent ({_usd(max(s.figures.certainty_equivalent for s in tied))}); the tie goes to less "
                    f"expected AMT ({_usd(choice.figures.expected_amt)}), then less cash at risk, then the earlier "
                    "exercise.")
    policies = {s.candidate.name: s for s in scored if s.candidate.sell_down}
    result = RiskChoice(choice, tax, baselines, explanations, why, liquidity_sentence(model, draws), tie_note,
                        policies=policies,
                        floor_note=floor_sentence(model, choice, tax, n, gamma), wealth_floor=wealth_floor(model),
                        paths=n, seed=seed, risk_aversion=gamma, candidates=len(cands))
    if sensitivity:
        _sensitivity(model, finalists, choice, n, seed, gamma, room, result)
    return result


def _sensitivity(model: StagingModel, finalists: Sequence[Candidate], choice: Scored, n: int, seed: int,
                 gamma: float, room: np.ndarray, result: RiskChoice) -> None:
    """The choice among the same finalists with volatility halved and x1.5, growth 10 points lower and higher.

    Every variant draws from the same seed (common random numbers: the same normal draws, scaled), so the
    candidates differ by the variant, not the draws. A variant's best counts as a change only when it leads
    the base choice by more than :data:`SIGNIFICANCE` Monte Carlo standard errors of the difference (and $1);
    a smaller lead, or the base choice tied with the best, is "unchanged within the Monte Carlo error"."""
    stock = model.plan.stock
    sigma = mc.volatility_of(stock)
    m = min(n, SENSITIVITY_PATHS)
    rows = []
    changed, close = [], []
    for label, factor, shift in SENSITIVITY:
        variant = dataclasses.replace(stock, volatility=sigma * factor)
        draws = rp.draw_paths(model, m, seed, stock=variant, growth_shift=shift)
        scored = score(model, finalists, draws, gamma, room)
        pick, tied = choose(scored, gamma)
        base = next(s for s in scored if s.candidate is choice.candidate)
        lead = pick.figures.certainty_equivalent - base.figures.certainty_equivalent
        error = ce_error(pick.wealth, base.wealth, gamma)
        same = pick.candidate is choice.candidate or any(s.candidate is choice.candidate for s in tied)
        changes = not same and lead > max(TIE_DOLLARS, SIGNIFICANCE * error)
        rows.append({"case": label, "paths": m, "choice": pick.candidate.name if changes else choice.candidate.name,
                     "changes": changes, "certainty_equivalent": _r(pick.figures.certainty_equivalent),
                     "best": pick.candidate.name, "lead_over_choice": _r(lead), "monte_carlo_error": _r(error)})
        if changes:
            changed.append(f"{label}: {pick.candidate.name} (by {_usd(lead)}, Monte Carlo error {_usd(error)})")
        elif not same:
            close.append(f"{label} ({pick.candidate.name} leads by {_usd(lead)}, error {_usd(error)})")
    result.sensitivity = rows
    head = f"Sensitivity ({m:,} paths each, the same draws, the same finalists): "
    within = ("; unchanged within the Monte Carlo error with " + "; ".join(close)) if close else ""
    result.sensitivity_summary = (
        head + "the choice stays the same with volatility halved and x1.5 and growth 10 points lower and higher"
        + within + "." if not changed else head + "the choice changes with " + "; ".join(changed) + within + ".")


# ---------------------------------------------------------------- the outcome with the risk choice


@dataclass
class RiskPlanOutcome(PlanOutcome):
    """A plan outcome whose recommendation is the risk objective's choice, the tax choice beside it."""

    risk: RiskChoice | None = None
    tax_outcome: PlanOutcome | None = None

    def as_dict(self) -> dict[str, object]:
        data = super().as_dict()
        risk = self.risk
        assert risk is not None and self.tax_outcome is not None
        rec = risk.recommended
        recommended = dict(data["recommended"])  # type: ignore[call-overload]
        recommended.update(rec.figures.as_dict())
        recommended["policy"] = _policy_words(rec.candidate, self.model)
        recommended["escape_hatch"] = rec.candidate.hatch
        recommended["sell_down_to"] = (self.model.plan.risk.target_concentration if rec.candidate.sell_down
                                       else None)
        recommended["why"] = risk.why
        data["recommended"] = recommended
        baselines = []
        for b in data["baselines"]:  # type: ignore[attr-defined]
            row = dict(b)
            scored = risk.baselines.get(row["name"])
            if scored is not None:
                row.update(scored.figures.as_dict())
                row["certainty_equivalent_advantage_of_plan"] = _r(rec.figures.certainty_equivalent
                                                                   - scored.figures.certainty_equivalent)
            if row["name"] in risk.explanations:
                row["explanation"] = risk.explanations[row["name"]]
            baselines.append(row)
        data["baselines"] = baselines
        tax = risk.tax_choice
        tax_rec = self.tax_outcome.recommended
        data["objective"] = "risk"
        data["tax_choice"] = {
            "name": tax_rec.name, "schedule": describe(self.model, tax_rec.schedule),
            "after_tax_value": tax_rec.value, "total_amt": float(tax_rec.evaluation.amt[:, 0].sum()),
            **tax.figures.as_dict(),
            "price_of_risk": _r(rec.figures.certainty_equivalent - tax.figures.certainty_equivalent),
        }
        data["risk_objective"] = {
            "paths": risk.paths, "seed": risk.seed, "risk_aversion": risk.risk_aversion,
            "candidates": risk.candidates, "liquidity": risk.liquidity, "tie": risk.tie_note,
            "wealth_floor": risk.wealth_floor, "floor_note": risk.floor_note,
            "departure_probability": self.model.plan.departure_probability,
            "sensitivity": risk.sensitivity, "sensitivity_summary": risk.sensitivity_summary,
            "target_concentration": self.model.plan.risk.target_concentration,
            "policies": [{"name": name, "policy": _policy_words(s.candidate, self.model),
                          "schedule": describe(self.model, s.candidate.schedule), **s.figures.as_dict(),
                          "certainty_equivalent_advantage_of_plan": _r(rec.figures.certainty_equivalent
                                                                       - s.figures.certainty_equivalent)}
                         for name, s in risk.policies.items()],
        }
        return data


def _policy_words(c: Candidate, model: StagingModel) -> str:
    if c.sell_down:
        return (f"the schedule shown, and on the day after each year's exercise date when the stock can be sold, "
                f"lots that qualify by then sold pro rata until the shares held are worth at most "
                f"{model.plan.risk.target_concentration:.0%} of net worth (outside net worth + the shares); the year "
                "table and the after-tax value show the exercises on the assumed path without the sales, the risk "
                "figures include them")
    if c.fill_room:
        return ("each January, ISO shares up to that year's AMT room at the price of the day (the schedule shown "
                "is the assumed path's)")
    if c.hatch:
        return ("the schedule shown, and each year's lot sold in the same year if the price falls below the "
                "escape hatch's trigger by December 15")
    return SCHEDULE_ONLY


def risk_outcome(outcome: PlanOutcome, *, paths: int | None = None, sensitivity: bool = True) -> RiskPlanOutcome:
    """The tax outcome re-decided on risk: the recommendation replaced by the risk choice, notes updated."""
    model = outcome.model
    choice = choose_on_risk(outcome, paths=paths, sensitivity=sensitivity)
    cand = choice.recommended.candidate
    schedule = cand.schedule
    if cand.fill_room:
        schedule = rp.fill_room_on_paths(model, model.price_at_exercise[None, :], rp.policy_room(model))[0]
    recommended = Strategy(cand.name, schedule, evaluate(model, schedule[None]))
    notes = [n for n in outcome.notes if not n.startswith("The objective weighs taxes on the assumed price path")]
    notes.append(f"Objective: risk. Among {choice.candidates} candidates the recommendation has the highest "
                 f"certainty equivalent (CRRA, risk aversion {choice.risk_aversion:g}, wealth = outside net worth "
                 f"+ the position after tax) over {choice.paths:,} price paths (seed {choice.seed}), the same paths "
                 "for every candidate.")
    if model.plan.departure_probability > 0:
        notes.append(f"Each year the person leaves the company with probability "
                     f"{model.plan.departure_probability:.0%}: exercises stop, unvested shares are forfeited, vested "
                     "options are exercised and sold at the end of the post-termination window if the stock can be "
                     "sold then, and lapse otherwise.")
    from isoplan.planning.staging import staging_catches

    return RiskPlanOutcome(model, recommended, outcome.baselines, outcome.optimizer,
                           staging_catches(model, recommended), notes, risk=choice, tax_outcome=outcome)
