"""Price paths for the risk objective, and schedules and policies run on every path.

The paths (:func:`draw_paths`) are drawn once and shared by every candidate
(common random numbers), so differences between candidates are differences
of the candidates, not of the draws.

* Public stock: geometric Brownian motion around the plan's price path
  (:func:`isoplan.planning.montecarlo.simulate`); the exit price on a path is
  the path's price scaled by the plan's exit price over the plan's path there.
* Private stock: the 409A value follows the same process; a liquidity event
  happens with the ``[stock.liquidity]`` probability on a day uniform between
  ``earliest`` and ``latest`` with an outcome drawn from the list (an IPO at a
  multiple moves with the process, an acquisition pays its price, a failure
  pays nothing). With ``[stock] assume_liquidity = true`` and no table, the
  event is certain, at ``liquidity_date`` (else the exit) at ``liquidity_price``
  (else the 409A value). Shares can be sold at the exit only on a path whose
  event has happened by then; elsewhere the shares held count as worth
  nothing at the exit (no sale, no loss claimed).
* A yearly probability of leaving the company (``[person] departure_probability``)
  draws a departure month per path. Exercises stop at the departure; unvested
  shares are forfeited; vested options still held are exercised and sold on
  the last day of the post-termination window (the grant's window, IRC
  §422(a)(2) for ISO treatment, here irrelevant since the sale is the same
  day: ordinary income = the spread, §421(b)) when the stock can be sold
  then, and lapse otherwise.

The tax on every path and year is the federal engine (and California's for a
CA plan) through :func:`isoplan.planning.montecarlo.path_year`, with the
minimum tax credit carried per path (Form 8801, FTB 3510), exactly as
:func:`isoplan.planning.montecarlo.schedule_on_paths` does for one schedule
(a test checks the two agree).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from isoplan.equity.dates import add_months
from isoplan.planning import montecarlo as mc
from isoplan.planning.model import credit_left_worth, disqualifying_income
from isoplan.planning.plan import Liquidity, Outcome, Plan, Stock
from isoplan.planning.staging import StagingModel

#: the escape hatch's last check: a sale on this day still settles in the year
HATCH_LAST_CHECK = (12, 15)
#: the escape hatch's trigger when ``[risk] sell_below`` is not set (a fraction of the exercise-date price)
DEFAULT_HATCH_TRIGGER = 0.75


@dataclass(frozen=True)
class PricePaths:
    """Prices of ``n`` paths at the dates a schedule needs."""

    exercise: np.ndarray  # (n, T) the price (public) or 409A value (private) on each year's exercise date
    exit: np.ndarray  # (n,) what a share sells for at the exit
    last_chance: np.ndarray  # (n, B) the sale price on each block's last chance (model.last_chance)
    exit_sellable: np.ndarray  # (n,) bool: the shares can be sold at the exit on this path
    checks: np.ndarray | None  # (n, T, C) the escape hatch's month-end checks of each year (public only)
    departure_t: np.ndarray  # (n,) year index of the first exercise date after leaving (T: stays to the exit)
    window_year: np.ndarray  # (n, B) year index of the post-termination window's end (departed paths)
    window_cap: np.ndarray  # (n, B) shares vested at the departure (departed paths)
    window_price: np.ndarray  # (n, B) sale price on the window's last day
    window_sellable: np.ndarray  # (n, B) bool: the window's end is before the exit and the stock sellable then
    window_at_exit: np.ndarray  # (n, B) bool: the window ends on or after the exit (the exit sale comes first)
    event_by_exit: float  # share of paths whose liquidity event happened by the exit (1 for public stock)
    sale: np.ndarray | None = None  # (n, T) what a share sells for on each year's partial-sale day (sale_days)
    sellable: np.ndarray | None = None  # (n, T) bool: it can be sold then (public; private after its event)

    @property
    def n(self) -> int:
        return int(self.exit.shape[0])

    def take(self, rows: np.ndarray) -> PricePaths:
        return PricePaths(self.exercise[rows], self.exit[rows], self.last_chance[rows], self.exit_sellable[rows],
                          None if self.checks is None else self.checks[rows], self.departure_t[rows],
                          self.window_year[rows], self.window_cap[rows], self.window_price[rows],
                          self.window_sellable[rows], self.window_at_exit[rows], self.event_by_exit,
                          None if self.sale is None else self.sale[rows],
                          None if self.sellable is None else self.sellable[rows])


@dataclass(frozen=True)
class _Event:
    happens: np.ndarray  # (n,) bool
    day: np.ndarray  # (n,) ordinal
    kind: np.ndarray  # (n,) 0 ipo, 1 acquisition, 2 failure
    multiple: np.ndarray  # (n,) NaN for a fixed price
    price: np.ndarray  # (n,) fixed price (0 for a failure)
    process_at_event: np.ndarray  # (n,) the 409A process on the event day


def liquidity_of(plan: Plan) -> Liquidity:
    """The liquidity model of a private plan: the table, or the certain event ``assume_liquidity`` states."""
    stock = plan.stock
    if stock.liquidity is not None:
        return stock.liquidity
    day = stock.liquidity_date or plan.exit_date
    outcome = (Outcome("ipo", 1.0, price=stock.liquidity_price) if stock.liquidity_price is not None
               else Outcome("ipo", 1.0, multiple=1.0))
    return Liquidity(1.0, day, day, (outcome,))


def _draw_event(plan: Plan, sim: mc.Simulation, rng: np.random.Generator) -> _Event:
    liq = liquidity_of(plan)
    n = sim.paths
    happens = rng.random(n) < liq.probability
    first = max(liq.earliest, plan.stock.price_path.start_date).toordinal()
    last = max(liq.latest.toordinal(), first)
    day = rng.integers(first, last + 1, size=n)
    probs = np.asarray([o.probability for o in liq.outcomes])
    pick = np.minimum(np.searchsorted(np.cumsum(probs), rng.random(n) * probs.sum(), side="right"),
                      len(probs) - 1)
    kind = np.asarray([("ipo", "acquisition", "failure").index(o.kind) for o in liq.outcomes])[pick]
    multiple = np.asarray([np.nan if o.multiple is None else o.multiple for o in liq.outcomes])[pick]
    price = np.asarray([0.0 if o.price is None else o.price for o in liq.outcomes])[pick]
    return _Event(happens, day, kind, multiple, np.where(kind == 2, 0.0, price), sim.price_on(day))


def _realized(event: _Event, ordinal: np.ndarray, process: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What a share sells for on a per-path day (given the process there), and whether it can be sold then."""
    after = event.happens & (event.day <= ordinal) & (event.kind != 2)
    fixed = np.isnan(event.multiple)
    ipo = np.where(fixed, event.price * process / np.maximum(event.process_at_event, 1e-300),
                   np.nan_to_num(event.multiple) * process)
    value = np.where(event.kind == 0, ipo, event.price)
    return np.where(after, value, 0.0), after


def draw_paths(model: StagingModel, n: int, seed: int, *, stock: Stock | None = None,
               growth_shift: float = 0.0, hatch: bool = True) -> PricePaths:
    """``n`` paths for ``model`` (``stock``: the plan's, or a variant for the sensitivity; ``growth_shift``:
    points of yearly growth added to the mean path). The same seed gives the same draws."""
    plan = model.plan
    stock = stock or plan.stock
    private = stock.kind == "private"
    rng = np.random.default_rng(seed)
    t_count, b_count = len(model.years), len(model.blocks)
    check_days: list[list[date]] = []
    for t in range(t_count - 1):
        day = model.exercise_dates[t]
        last = date(day.year, *HATCH_LAST_CHECK)
        check_days.append([d for d in mc.month_ends(day, last) if d > day] + ([last] if last > day else []))
    dates = [stock.price_path.start_date, *model.exercise_dates, model.exit_date,
             *[d for _, d, _, _, _ in model.last_chance], *[d for row in check_days for d in row]]
    sim = mc.simulate(stock, dates, n, rng)
    start = stock.price_path.start_date.toordinal()
    growth = stock.price_path.growth

    def shift(days: np.ndarray) -> np.ndarray:
        """The factor the growth shift puts on the mean path at day ordinals (1 without a shift)."""
        years = np.maximum(np.asarray(days, dtype=float) - start, 0.0) / mc.DAYS_PER_YEAR
        if growth_shift == 0.0:
            ones: np.ndarray = np.ones_like(years)
            return ones
        if stock.drift is None and not stock.price_path.points:
            compounded: np.ndarray = np.asarray(((1.0 + growth + growth_shift) / (1.0 + growth)) ** years)
            return compounded
        continuous: np.ndarray = np.exp(growth_shift * years)
        return continuous

    def at(days: list[date]) -> np.ndarray:
        scaled: np.ndarray = sim.prices(days) * shift(np.asarray([d.toordinal() for d in days]))[None, :]
        return scaled

    exercise = at(model.exercise_dates)
    exit_process = at([model.exit_date])[:, 0]
    mean_exit = float(mc.mean_prices(stock, np.asarray([model.exit_date.toordinal()]))[0])
    lc_days = [d for _, d, _, _, _ in model.last_chance]
    last_chance = at(lc_days) if lc_days else np.zeros((n, 0))
    event: _Event | None = None
    if private:
        event = _draw_event(plan, sim, rng)
        exit_price, exit_sellable = _realized(event, np.full(n, model.exit_date.toordinal()), exit_process)
        for b, day in enumerate(lc_days):
            last_chance[:, b] = _realized(event, np.full(n, day.toordinal()), last_chance[:, b])[0]
    else:
        exit_price = exit_process * (model.exit_price / mean_exit if mean_exit > 0 else 1.0)
        exit_sellable = np.ones(n, dtype=bool)
    checks = None
    if hatch and not private and t_count > 1:
        width = max((len(row) for row in check_days), default=0)
        checks = np.full((n, t_count, max(width, 1)), np.inf)
        for t, row in enumerate(check_days):
            if row:
                checks[:, t, :len(row)] = at(row)
    # departures: a month per path, from a constant monthly hazard equal to the yearly probability
    departure_t = np.full(n, t_count, dtype=np.intp)
    window_year = np.full((n, b_count), t_count, dtype=np.intp)
    window_cap = np.zeros((n, b_count))
    window_price = np.zeros((n, b_count))
    window_sellable = np.zeros((n, b_count), dtype=bool)
    window_at_exit = np.zeros((n, b_count), dtype=bool)
    p = plan.departure_probability
    if p > 0 and b_count:
        dep_rng = np.random.default_rng([seed, 1])  # its own stream: the price draws stay the same
        monthly = 1.0 - (1.0 - p) ** (1.0 / 12.0)
        months = dep_rng.geometric(monthly, size=n) - 1 if monthly < 1.0 else np.zeros(n, dtype=np.int64)
        first = model.exercise_dates[0]
        horizon = (model.exit_date.year - first.year) * 12 + model.exit_date.month - first.month + 1
        for k in np.unique(months[months < horizon]):
            rows = np.flatnonzero(months == k)
            leave = add_months(first, int(k)) if k > 0 else first
            if leave >= model.exit_date:
                continue
            departure_t[rows] = int(np.searchsorted([d.toordinal() for d in model.exercise_dates],
                                                    leave.toordinal(), side="right"))
            for b, block in enumerate(model.blocks):
                end = block.grant.plan_window_end(leave)
                window_cap[rows, b] = sum(s for _, vest, s in block.tranches if vest <= leave)
                if end >= model.exit_date:  # the exit comes first: sold there as usual
                    window_year[rows, b] = t_count - 1
                    window_at_exit[rows, b] = True
                    continue
                window_year[rows, b] = end.year - model.years[0]
                process = sim.price_on(np.full(n, end.toordinal()))[rows] * shift(np.asarray([end.toordinal()]))
                if event is not None:
                    sub = _Event(*(getattr(event, f)[rows] for f in ("happens", "day", "kind", "multiple", "price",
                                                                     "process_at_event")))
                    window_price[rows, b], window_sellable[rows, b] = _realized(sub, np.full(rows.size,
                                                                                          end.toordinal()), process)
                else:
                    window_price[rows, b], window_sellable[rows, b] = process, True
    # the partial sales' days, drawn last (by the Brownian bridge) so that every earlier draw stays the same
    sale, sellable = np.zeros_like(exercise), np.ones(exercise.shape, dtype=bool)
    for t, day in enumerate(sale_days(model)):
        ordinal = day.toordinal()
        sale[:, t] = sim.price_on(np.full(n, ordinal)) * shift(np.asarray([ordinal]))
        if event is not None:
            sale[:, t], sellable[:, t] = _realized(event, np.full(n, ordinal), sale[:, t])
    return PricePaths(exercise, exit_price, last_chance, exit_sellable, checks, departure_t, window_year,
                      window_cap, window_price, window_sellable, window_at_exit, float(np.mean(exit_sellable)),
                      sale, sellable)


@dataclass
class PathResults:
    """Candidates run on paths: arrays (rows,) over the stacked (candidate, path) rows."""

    value: np.ndarray  # proceeds - strike - extra tax (discounted as the plan says)
    amt: np.ndarray  # federal + California AMT above the no-exercise reference, summed over the years
    amt_before_exit: np.ndarray  # the same, before the exit year
    cash_peak: np.ndarray  # the most cash paid in (strike + tax - proceeds, cumulated) before the exit
    vanished: np.ndarray  # bool: AMT paid on lots whose exit value is below their AMT basis
    extra_tax: np.ndarray  # (T, rows)
    amt_by_year: np.ndarray  # (T, rows) federal AMT (not above the reference)
    credit_left: np.ndarray


def policy_room(model: StagingModel) -> np.ndarray:
    """Each pre-exit year's AMT-free room in dollars of ISO spread (the smaller of the federal and the
    California line for a CA plan; Form 6251 and Schedule P (540), :mod:`isoplan.planning.room`)."""
    from isoplan.planning.room import amt_room, california_amt_room

    out = np.zeros(len(model.years))
    for t in range(len(model.years) - 1):
        base = model.base[t].replace(amt_credit_carryforward=model.plan.prior_credit)
        room = float(amt_room(base, model.law).amt_room[0])
        if model.ca_law is not None and model.property_tax is not None:
            room = min(room, float(california_amt_room(base, model.ca_law, property_tax=model.property_tax[t],
                                                       ca_amt_credit_carryforward=model.plan.prior_ca_credit
                                                       ).ca_amt_room[0]))
        out[t] = max(room, 0.0)
    return out


def fill_room_on_paths(model: StagingModel, exercise: np.ndarray, room: np.ndarray) -> np.ndarray:
    """(n, B, T): each January, ISO shares up to the year's room at the path's price (highest strike first),
    within the year's cash less the reserve plus the strike cash earlier years left unspent."""
    n = exercise.shape[0]
    b_count, t_count = len(model.blocks), len(model.years)
    out = np.zeros((n, b_count, t_count))
    done = np.zeros((n, b_count))
    order = sorted(range(b_count), key=lambda b: -model.strike[b])
    carried = np.zeros(n)
    for t in range(t_count - 1):
        left = np.full(n, room[t])
        cash = model.cash_limit[t] + carried
        for b in order:
            if not (model.allowed[b, t] and model.iso_treated[b, t]):
                continue
            spread = exercise[:, t] - model.strike[b]
            available = np.maximum(model.cap[b, t] - done[:, b], 0.0)
            by_room = np.where(spread > 0, np.floor(left / np.where(spread > 0, spread, 1.0)), 0.0)
            by_cash = np.floor(cash / model.strike[b]) if model.strike[b] > 0 else available
            take = np.maximum(np.minimum(np.minimum(available, by_room), by_cash), 0.0)
            out[:, b, t] = take
            done[:, b] += take
            left = left - take * np.maximum(spread, 0.0)
            cash = cash - take * model.strike[b]
        carried = np.maximum(cash, 0.0)
    return out


def run_fixed(model: StagingModel, schedules: np.ndarray, paths: PricePaths, *, hatch: np.ndarray | None = None,
              trigger: float = DEFAULT_HATCH_TRIGGER, sell_down: np.ndarray | None = None,
              target: float = 0.0) -> PathResults:
    """Run ``k`` fixed schedules (k, B, T) on every path: rows ``c * n + i`` are candidate ``c`` on path ``i``.

    ``hatch`` (k,) bool: the candidate keeps the escape hatch: the lot exercised in a year is sold on the first
    month-end check (through December 15) below ``trigger`` x the exercise-date price, a same-year
    disqualifying sale (no Form 6251 line 2i adjustment; ordinary income = the spread capped at the gain,
    IRC §422(c)(2); the rest a short-term loss). Sellable (public) stock only.

    ``sell_down`` (k,) bool: the candidate keeps the partial-sale policy with ``target``, a fraction of net
    worth: on each year's sale day before the exit (:func:`sale_days`) on which the stock can be sold, lots
    that qualify by then (:meth:`Block.holding_ok`: no disqualifying sale) are sold, pro rata, until the
    shares held are worth at most that fraction of the outside net worth plus the shares; the gain is
    long-term on both bases (Form 6251 line 2k takes the difference).
    """
    return _run(model, np.repeat(schedules, paths.n, axis=0), paths, schedules.shape[0], hatch, trigger,
                sell_down, target)


def run_per_path(model: StagingModel, schedules: np.ndarray, paths: PricePaths, *, hatch: bool = False,
                 trigger: float = DEFAULT_HATCH_TRIGGER) -> PathResults:
    """Run one policy whose schedule differs by path: ``schedules`` (n, B, T)."""
    return _run(model, schedules, paths, 1, np.asarray([hatch]), trigger)


def _tile(x: np.ndarray, k: int) -> np.ndarray:
    return np.concatenate([x] * k, axis=0) if k > 1 else x


def sale_days(model: StagingModel) -> list[date]:
    """The partial-sale policy's day in each plan year: the day after the year's exercise date, so that a lot
    exercised on the same date a year earlier is held more than a year (IRC §422(a)(1), §1222)."""
    return [d + timedelta(days=1) for d in model.exercise_dates]


def qualifying_by(model: StagingModel) -> np.ndarray:
    """(B, T, T) bool: the lot of block b exercised in year u qualifies (ISO) or is long-term (NSO) on year t's
    partial-sale day (:func:`sale_days`), before the exit (IRC §422(a)(1), §1222)."""
    dates, days = model.exercise_dates, sale_days(model)
    return np.asarray([[[u < t and days[t] < model.exit_date and block.holding_ok(dates[u], days[t])
                         for t in range(len(dates))] for u in range(len(dates))] for block in model.blocks],
                      dtype=bool).reshape(len(model.blocks), len(dates), len(dates))


def _run(model: StagingModel, sched: np.ndarray, paths: PricePaths, k: int, hatch: np.ndarray | None,
         trigger: float, sell_down: np.ndarray | None = None, target: float = 0.0) -> PathResults:
    rows, b_count, t_count = sched.shape
    strike = model.strike
    ex = _tile(paths.exercise, k)
    exit_p = _tile(paths.exit, k)
    exit_ok = _tile(paths.exit_sellable, k)
    lc = _tile(paths.last_chance, k)
    dep_t = _tile(paths.departure_t, k)
    w_year, w_cap = _tile(paths.window_year, k), _tile(paths.window_cap, k)
    w_price, w_ok = _tile(paths.window_price, k), _tile(paths.window_sellable, k)
    w_at_exit = _tile(paths.window_at_exit, k)
    departed = dep_t < t_count
    hatch_rows = np.zeros(rows, dtype=bool) if hatch is None or paths.checks is None else np.repeat(hatch, paths.n)
    hatch_sale = None  # (rows, T): the price of the first check below the trigger (NaN: none), the same per path
    if paths.checks is not None and hatch_rows.any():
        below = paths.checks < (trigger * paths.exercise)[:, :, None]
        first = np.argmax(below, axis=2)
        price_then = np.take_along_axis(paths.checks, first[:, :, None], axis=2)[:, :, 0]
        hatch_sale = _tile(np.where(below.any(axis=2), price_then, np.nan), k)
    plan = model.plan
    credit, ref_credit = np.full(rows, plan.prior_credit), np.full(1, plan.prior_credit)
    ca_credit, ref_ca = np.full(rows, plan.prior_ca_credit), np.full(1, plan.prior_ca_credit)
    before = np.zeros((rows, b_count))  # options exercised so far (sold lots included)
    lots = np.zeros(rows)  # shares held
    held_blocks = np.zeros((rows, b_count))  # shares held, by block
    # the partial-sale rows (sell_down) keep their lots by (block, exercise year); only they
    sell = (np.flatnonzero(np.repeat(np.asarray(sell_down, dtype=bool), paths.n))
            if sell_down is not None and paths.sale is not None and paths.sellable is not None
            else np.zeros(0, dtype=np.intp))
    selling = sell.size > 0
    sale_p = _tile(paths.sale, k)[sell] if paths.sale is not None and selling else np.zeros((0, t_count))
    sale_ok = (_tile(paths.sellable, k)[sell] if paths.sellable is not None and selling
               else np.zeros((0, t_count), dtype=bool))
    qualifies = qualifying_by(model) if selling else np.zeros((b_count, t_count, t_count), dtype=bool)
    lot_shares = np.zeros((sell.size, b_count, t_count))  # shares held by (block, exercise year)
    lot_regular = np.zeros((sell.size, b_count, t_count))  # per share: strike (ISO) or FMV (NSO)
    lot_amt = np.zeros((sell.size, b_count, t_count))  # per share: FMV at exercise
    regular_basis, amt_basis = np.zeros(rows), np.zeros(rows)
    value, amt_all, amt_pre = np.zeros(rows), np.zeros(rows), np.zeros(rows)
    cash, cash_peak = np.zeros(rows), np.zeros(rows)
    extra_rows, amt_rows = [], []
    ca: mc.CaliforniaLaw = {}
    for t in range(t_count):
        is_exit = t == t_count - 1
        price = ex[:, t]
        exercise = np.where((t < dep_t)[:, None], sched[:, :, t], 0.0)
        if not is_exit:  # within the vested (or early-exercisable) shares; a departure forfeits the rest
            exercise = np.minimum(exercise, np.maximum(model.cap[None, :, t] - before, 0.0))
        spread = np.maximum(price[:, None] - strike[None, :], 0.0)
        iso = model.iso_treated[:, t]
        sold = np.zeros(rows, dtype=bool)
        sale = np.zeros(rows)
        if hatch_sale is not None and not is_exit:
            sold = hatch_rows & ~np.isnan(hatch_sale[:, t]) & (exercise.sum(axis=1) > 0)
            sale = np.where(sold, hatch_sale[:, t], 0.0)
        held = np.where(sold[:, None], 0.0, exercise)
        iso_spread = (spread * held)[:, iso].sum(axis=1)
        ordinary = (spread * exercise)[:, ~iso].sum(axis=1)
        short = np.zeros(rows)
        proceeds = np.zeros(rows)
        if sold.any():
            gone = np.where(sold[:, None], exercise, 0.0)
            capped = np.minimum(spread, np.maximum(sale[:, None] - strike[None, :], 0.0))
            ordinary = ordinary + (capped * gone)[:, iso].sum(axis=1)
            short = short + ((sale[:, None] - strike[None, :] - capped) * gone)[:, iso].sum(axis=1)
            short = short + ((sale[:, None] - price[:, None]) * gone)[:, ~iso].sum(axis=1)  # NSO basis: FMV
            proceeds = proceeds + sale * gone.sum(axis=1)
        strike_paid = exercise @ strike
        after = before + exercise
        for b, (year_index, day, _p, _iso, can_sell) in enumerate(model.last_chance):
            # a path that stayed: the block's last chance (its option's end, or the exit); a departed path: the
            # post-termination window's end, or the exit when that comes first
            at_exit = day >= model.exit_date
            stay = ~departed & (year_index == t) & can_sell
            if at_exit:
                stay &= exit_ok & bool(model.exit_cap[b] > 0)
            leave_exit = departed & w_at_exit[:, b] & is_exit & exit_ok
            leave_window = departed & ~w_at_exit[:, b] & (w_year[:, b] == t) & w_ok[:, b]
            if not (stay.any() or leave_exit.any() or leave_window.any()):
                continue
            cap_b = model.exit_cap[b] if at_exit else float(model.blocks[b].exercisable(day))
            remaining = np.maximum(np.where(departed, w_cap[:, b], cap_b) - after[:, b], 0.0)
            price_b = np.where(leave_window, w_price[:, b],
                               np.where(leave_exit | at_exit, exit_p, lc[:, b]))
            go = (stay | leave_exit | leave_window) & (price_b > strike[b])  # only in the money (§421(b))
            ordinary = ordinary + np.where(go, remaining * (price_b - strike[b]), 0.0)
            strike_paid = strike_paid + np.where(go, remaining * strike[b], 0.0)
            proceeds = proceeds + np.where(go, remaining * price_b, 0.0)
        events: mc.Amounts = {"iso_spread": iso_spread, "ordinary": ordinary, "short_term": short}
        if selling and t > 0 and not is_exit:  # the partial sale, before the year's exercise settles
            p_t = sale_p[:, t]
            value_held = lots[sell] * p_t
            excess = np.maximum(value_held - target * (model.plan.net_worth_outside + value_held), 0.0)
            ready = lot_shares * qualifies[None, :, :, t]
            ready_value = ready.sum(axis=(1, 2)) * p_t
            fraction = np.where(sale_ok[:, t] & (ready_value > 0),
                                np.minimum(excess / np.where(ready_value > 0, ready_value, 1.0), 1.0), 0.0)
            gone = ready * fraction[:, None, None]
            if gone.any():
                sold_shares = gone.sum(axis=(1, 2))
                regular_out, amt_out = (gone * lot_regular).sum(axis=(1, 2)), (gone * lot_amt).sum(axis=(1, 2))
                lt_sale, amt_lt_sale = np.zeros(rows), np.zeros(rows)
                lt_sale[sell], amt_lt_sale[sell] = sold_shares * p_t - regular_out, sold_shares * p_t - amt_out
                events.update({"long_term": lt_sale, "amt_long_term": amt_lt_sale,
                               "disposition_adjustment": amt_lt_sale - lt_sale})
                proceeds = proceeds.copy()
                proceeds[sell] += sold_shares * p_t
                lot_shares = lot_shares - gone
                held_blocks[sell] -= gone.sum(axis=2)
                lots[sell] -= sold_shares
                regular_basis[sell] -= regular_out
                amt_basis[sell] -= amt_out
        if is_exit:
            sale_value = np.where(exit_ok, lots * exit_p, 0.0)
            proceeds = proceeds + sale_value
            # lots of a grant too recent to qualify, held past a year: §422(c)(2) (model.disqualifying_income)
            disq = np.where(exit_ok, disqualifying_income(model, held_blocks, ex, exit_p), 0.0)
            lt = np.where(exit_ok, sale_value - regular_basis - disq, 0.0)
            amt_lt = np.where(exit_ok, sale_value - amt_basis, 0.0)
            events.update({"ordinary": ordinary + disq, "long_term": lt, "amt_long_term": amt_lt,
                           "disposition_adjustment": amt_lt - lt - disq})
        if model.ca_law is not None and model.property_tax is not None:
            ca = {"ca_law": model.ca_law, "property_tax": float(model.property_tax[t])}
        step = _path_year_unique(model, t, credit, ca_credit, ca, events)
        ref = mc.path_year(model.law, model.base[t], 1, ref_credit, ca_credit=ref_ca, **ca)
        extra = step.total_tax - ref.total_tax[0]
        flow = proceeds - strike_paid - extra
        value = value + model.discount[t] * flow
        amt_extra = np.maximum(step.amt + step.ca_amt - ref.amt[0] - ref.ca_amt[0], 0.0)
        amt_all = amt_all + amt_extra
        if not is_exit:
            amt_pre = amt_pre + amt_extra
            cash = cash - flow
            cash_peak = np.maximum(cash_peak, cash)
        else:  # the credit left, at its assumed recovery after the exit (model.credit_left_worth)
            worth = (credit_left_worth(model, step.credit_next, step.ca_credit_next)
                     - credit_left_worth(model, ref.credit_next, ref.ca_credit_next)[0])
            value = value + model.discount[t] * worth
        extra_rows.append(extra)
        amt_rows.append(step.amt)
        basis = np.where(iso[None, :], strike[None, :], price[:, None])  # regular basis: strike (ISO) or FMV
        regular_basis = regular_basis + (basis * held).sum(axis=1)
        amt_basis = amt_basis + held.sum(axis=1) * price
        lots = lots + held.sum(axis=1)
        held_blocks = held_blocks + held
        if selling:
            lot_shares[:, :, t] = held[sell]
            lot_regular[:, :, t] = basis[sell]
            lot_amt[:, :, t] = price[sell, None]
        before = after
        credit, ref_credit = step.credit_next, ref.credit_next
        ca_credit, ref_ca = step.ca_credit_next, ref.ca_credit_next
    exit_value = np.where(exit_ok, lots * exit_p, 0.0)
    vanished = (amt_pre > 0.5) & (exit_value < amt_basis - 0.5)
    return PathResults(value, amt_all, amt_pre, cash_peak, vanished, np.asarray(extra_rows), np.asarray(amt_rows),
                       credit)


_EVENT_KEYS = ("iso_spread", "ordinary", "short_term", "long_term", "amt_long_term", "disposition_adjustment")


def _path_year_unique(model: StagingModel, t: int, credit: np.ndarray, ca_credit: np.ndarray,
                      ca: mc.CaliforniaLaw, events: mc.Amounts) -> mc.PathYear:
    """:func:`isoplan.planning.montecarlo.path_year` run once per distinct row (a year without an exercise or a
    sale is the same return on every path that carries the same credit), then spread back over the rows."""
    rows = credit.shape[0]
    given: dict[str, object] = dict(events)
    columns = [np.broadcast_to(np.asarray(given.get(key, 0.0), dtype=np.float64), (rows,)) for key in _EVENT_KEYS]
    quiet = np.all(np.stack(columns) == 0.0, axis=0)
    if quiet.sum() < rows // 4 or np.ptp(ca_credit) > 0:  # little to gain
        return mc.path_year(model.law, model.base[t], rows, credit, ca_credit=ca_credit, **ca, **events)
    loud = np.flatnonzero(~quiet)
    levels, inverse = np.unique(credit[quiet], return_inverse=True)
    # the distinct quiet rows first, then every other row as it is
    m = levels.size
    stacked = [np.concatenate([np.zeros(m), col[loud]]) for col in columns]
    amounts: mc.Amounts = {"iso_spread": stacked[0], "ordinary": stacked[1], "short_term": stacked[2],
                           "long_term": stacked[3], "amt_long_term": stacked[4], "disposition_adjustment": stacked[5]}
    both = np.concatenate([levels, credit[loud]])
    step = mc.path_year(model.law, model.base[t], both.size, both, ca_credit=np.full(both.size, ca_credit[0]),
                        **ca, **amounts)
    where = np.empty(rows, dtype=np.intp)
    where[np.flatnonzero(quiet)] = inverse.reshape(-1)
    where[loud] = m + np.arange(loud.size)
    return mc.PathYear(*(getattr(step, f.name)[where] for f in dataclasses.fields(step)))
