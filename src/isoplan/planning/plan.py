"""A person's situation as a plan file (TOML), validated into typed objects.

The format is documented in ``docs/plan-file.md``; every error names the file,
the key and what is allowed (:class:`~isoplan.errors.InputError` with
``source`` set). Parsing is pure: the caller reads the file.
"""

from __future__ import annotations

import math
from calendar import SATURDAY
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from isoplan.equity.records import (
    Grant,
    VestingTranche,
    to_date,
    to_decimal,
    to_kind,
    to_shares,
    vesting_schedule,
)
from isoplan.equity.rules import equity_rules
from isoplan.errors import InputError
from isoplan.planning.price import PricePath
from isoplan.tax.fields import COUNT_FIELDS, MONEY_FIELDS
from isoplan.tax.law import supported_years

STATUS_NAMES = ("single", "mfj", "mfs", "hoh", "qss")
#: household inputs a plan's [income] may set (the engine's inputs less what the plan computes itself)
INCOME_KEYS = tuple(
    name for name, _, _ in MONEY_FIELDS
    if name not in ("iso_bargain_element", "amt_disposition_adjustment", "amt_long_term_gain",
                    "amt_credit_carryforward")
) + tuple(name for name, _ in COUNT_FIELDS) + ("property_tax",)  # property_tax: California (Schedule CA line 5)
STOCK_KINDS = ("public", "private")
#: outcomes of a private company's liquidity event ([stock.liquidity] outcomes)
OUTCOME_KINDS = ("ipo", "acquisition", "failure")
STEP_KINDS = ("daily", "monthly")
#: what ``isoplan plan`` maximizes: the certainty equivalent over price paths, or the after-tax value on one path
OBJECTIVES = ("risk", "tax")
#: price paths the risk objective simulates when ``[plan] paths`` is not set
DEFAULT_OBJECTIVE_PATHS = 10_000


@dataclass(frozen=True)
class Outcome:
    """One outcome of a liquidity event: the price is ``price``, or ``multiple`` x the 409A value that day."""

    kind: str
    probability: float
    multiple: float | None = None
    price: float | None = None


@dataclass(frozen=True)
class Liquidity:
    """A private company's liquidity event: whether it happens, when (uniform between two dates), and how."""

    probability: float
    earliest: date
    latest: date
    outcomes: tuple[Outcome, ...]


@dataclass(frozen=True)
class RiskSettings:
    """The ``[risk]`` table: Monte Carlo settings for ``isoplan risk`` (docs/risk.md)."""

    paths: int = 20_000
    seed: int = 0
    steps: str = "daily"
    drop: float = 0.5
    risk_aversion: float = 3.0
    target_concentration: float = 0.20
    affordable_loss: float | None = None
    sell_below: float | None = None  # the January exerciser's threshold, a fraction of the exercise price


@dataclass(frozen=True)
class Stock:
    kind: str
    price_path: PricePath
    volatility: float | None = None
    liquidity_date: date | None = None
    liquidity_price: float | None = None
    drift: float | None = None
    liquidity: Liquidity | None = None
    assume_liquidity: bool = False  # private stock without a [stock.liquidity] table: a certain event, stated


@dataclass(frozen=True)
class Plan:
    """Everything the planner needs, validated."""

    source: str
    filing_status: str
    state: str | None
    income_by_year: dict[int, dict[str, float]]
    cash_by_year: dict[int, float]
    cash_reserve: float
    net_worth_outside: float
    grants: tuple[Grant, ...]
    stock: Stock
    departure_date: date | None
    prior_credit: float
    prior_ca_credit: float
    start_year: int
    exit_date: date
    exit_price: float
    exercise_month: int
    exercise_day: int
    zero_amt: bool
    discount_rate: float
    grid_steps: int
    inflation: float | None
    warnings: tuple[str, ...] = field(default=())
    risk: RiskSettings = field(default_factory=RiskSettings)
    objective: str = "risk"
    objective_paths: int = DEFAULT_OBJECTIVE_PATHS
    departure_probability: float = 0.0  # yearly probability of leaving the company (the risk objective's paths)
    today: date | None = None  # the day the plan is made: an exercise dated before it can no longer be made

    @property
    def years(self) -> range:
        return range(self.start_year, self.exit_date.year + 1)

    def exercise_date(self, year: int) -> date:
        return date(year, self.exercise_month, self.exercise_day)


def _table(data: Mapping[str, Any], key: str, source: str, *, required: bool = False) -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        if required:
            raise InputError(f"[{key}]", None, f"a [{key}] table", source=source)
        return {}
    if not isinstance(value, Mapping):
        raise InputError(key, value, "a table", source=source)
    return value


#: The largest size of any number in a plan file ($1 trillion for an amount or a price), the same bound as
#: every dollar amount the application takes: far inside float64's exact range, so no product of two of them
#: (a price times a share count) overflows.
MAX_PLAN_NUMBER = 1e12


def _number(value: Any, key: str, source: str, *, minimum: float | None = 0.0,
            maximum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(key, value, "a number", source=source)
    try:
        number = float(value)
    except OverflowError:
        raise InputError(key, value, "a finite number", source=source) from None
    if not math.isfinite(number):
        raise InputError(key, value, "a finite number", source=source)
    low = -MAX_PLAN_NUMBER if minimum is None else minimum
    high = MAX_PLAN_NUMBER if maximum is None else min(maximum, MAX_PLAN_NUMBER)
    if number < low:
        raise InputError(key, value, f"a number of at least {low:g}", source=source)
    if number > high:
        raise InputError(key, value, f"a number of at most {high:g}", source=source)
    return number


def _date(value: Any, key: str, source: str) -> date:
    try:
        return to_date(value, key)
    except InputError as err:
        raise err.at(source=source) from None


def _unknown(data: Mapping[str, Any], allowed: tuple[str, ...], where: str, source: str) -> None:
    for key in data:
        if key not in allowed:
            raise InputError(f"{where}{key}", key, "one of " + ", ".join(allowed), source=source)


def _income(data: Mapping[str, Any], years: range, source: str) -> dict[int, dict[str, float]]:
    allowed = (*INCOME_KEYS, "growth", "years")
    _unknown(data, allowed, "income.", source)
    growth = _number(data.get("growth", 0.0), "income.growth", source, minimum=-0.5, maximum=1.0)
    base = {k: _number(data[k], f"income.{k}", source, minimum=None if k.endswith("_gain") else 0.0)
            for k in INCOME_KEYS if k in data}
    explicit = _table(data, "years", source)
    out: dict[int, dict[str, float]] = {}
    for i, year in enumerate(years):
        row = {k: v * (1.0 + growth) ** i if k == "wages" else v for k, v in base.items()}
        override = explicit.get(str(year))
        if override is not None:
            if not isinstance(override, Mapping):
                raise InputError(f"income.years.{year}", override, "a table of household inputs", source=source)
            _unknown(override, INCOME_KEYS, f"income.years.{year}.", source)
            for k, v in override.items():
                row[k] = _number(v, f"income.years.{year}.{k}", source,
                                 minimum=None if k.endswith("_gain") else 0.0)
        if row.get("property_tax", 0.0) > row.get("state_local_tax", 0.0):
            raise InputError(f"income.property_tax ({year})", row["property_tax"],
                             "at most income.state_local_tax (property taxes are part of it)", source=source)
        out[year] = row
    for key in explicit:
        if not key.isdigit() or int(key) not in years:
            raise InputError(f"income.years.{key}", key, f"a year of the plan ({years.start}-{years.stop - 1})",
                             source=source)
    return out


def _grant(data: Mapping[str, Any], index: int, source: str) -> Grant:
    where = f"grants[{index}]"
    allowed = ("id", "company", "kind", "grant_date", "shares", "strike", "fmv_at_grant", "vesting",
               "early_exercise", "expiration", "post_termination_months", "good_faith_valuation")
    _unknown(data, allowed, f"{where}.", source)
    try:
        grant_id = str(data.get("id") or f"grant-{index + 1}")
        kind = to_kind(data.get("kind", "ISO"), f"{where}.kind")
        grant_date = to_date(data.get("grant_date"), f"{where}.grant_date")
        shares = to_shares(data.get("shares"), f"{where}.shares")
        strike = to_decimal(data.get("strike"), f"{where}.strike")
        fmv = to_decimal(data.get("fmv_at_grant", data.get("strike")), f"{where}.fmv_at_grant")
        vesting = _vesting(data.get("vesting"), shares, grant_date, f"{where}.vesting", source)
        rules = equity_rules()
        expiration = (to_date(data["expiration"], f"{where}.expiration") if "expiration" in data
                      else date(grant_date.year + rules.iso_maximum_term_years, grant_date.month,
                                min(grant_date.day, 28)))
        window = data.get("post_termination_months")
        if window is not None:
            window = int(_number(window, f"{where}.post_termination_months", source, maximum=600))
        return Grant(
            id=grant_id, company=str(data.get("company", "employer")), kind=kind, grant_date=grant_date,
            shares=shares, strike=strike, fmv_at_grant=fmv, vesting=vesting, expiration_date=expiration,
            early_exercise_allowed=bool(data.get("early_exercise", False)), post_termination_months=window,
            good_faith_valuation=bool(data.get("good_faith_valuation", False)),
        )
    except InputError as err:
        field_name = err.field if err.field.startswith(where) else f"{where}.{err.field}"
        raise InputError(field_name, err.value, err.allowed, source=source) from None


def _vesting(spec: Any, shares: int, grant_date: date, where: str, source: str) -> tuple[VestingTranche, ...]:
    if spec is None:
        return (VestingTranche(grant_date, shares),)
    if isinstance(spec, list):
        tranches = []
        for k, item in enumerate(spec):
            if not isinstance(item, Mapping):
                raise InputError(f"{where}[{k}]", item, "a table {date = ..., shares = ...}", source=source)
            tranches.append(VestingTranche(to_date(item.get("date"), f"{where}[{k}].date"),
                                           to_shares(item.get("shares"), f"{where}[{k}].shares")))
        return tuple(tranches)
    if not isinstance(spec, Mapping):
        raise InputError(where, spec, "a table (start, months, cliff_months, every_months) or a list of tranches",
                         source=source)
    _unknown(spec, ("start", "months", "cliff_months", "every_months"), f"{where}.", source)
    start = to_date(spec.get("start", grant_date), f"{where}.start")
    return vesting_schedule(
        shares, start,
        months=int(_number(spec.get("months", 48), f"{where}.months", source, minimum=1, maximum=240)),
        cliff_months=int(_number(spec.get("cliff_months", 0), f"{where}.cliff_months", source, maximum=240)),
        every_months=int(_number(spec.get("every_months", 1), f"{where}.every_months", source, minimum=1,
                                 maximum=120)),
    )


def _stock(data: Mapping[str, Any], source: str, today: date) -> Stock:
    allowed = ("kind", "price", "price_date", "growth", "prices", "volatility", "liquidity_date",
               "liquidity_price", "drift", "liquidity", "assume_liquidity")
    _unknown(data, allowed, "stock.", source)
    kind = str(data.get("kind", "public")).lower()
    if kind not in STOCK_KINDS:
        raise InputError("stock.kind", data.get("kind"), "public or private", source=source)
    if "price" not in data:
        raise InputError("stock.price", None, "the current price (public) or 409A value (private)", source=source)
    price = _number(data["price"], "stock.price", source)
    price_date = _date(data.get("price_date", today.isoformat()), "stock.price_date", source)
    growth = _number(data.get("growth", 0.0), "stock.growth", source, minimum=-0.99, maximum=10.0)
    points = []
    for k, item in enumerate(data.get("prices", []) or []):
        if not isinstance(item, Mapping) or "date" not in item or "price" not in item:
            raise InputError(f"stock.prices[{k}]", item, "a table {date = YYYY-MM-DD, price = ...}", source=source)
        points.append((_date(item["date"], f"stock.prices[{k}].date", source),
                       _number(item["price"], f"stock.prices[{k}].price", source)))
    try:
        path = PricePath(price_date, price, growth, tuple(points))
    except InputError as err:
        raise err.at(source=source) from None
    volatility = data.get("volatility")
    if volatility is not None:
        volatility = _number(volatility, "stock.volatility", source, maximum=5.0)
    liquidity_date = _date(data["liquidity_date"], "stock.liquidity_date", source) if "liquidity_date" in data else None
    liquidity_price = (_number(data["liquidity_price"], "stock.liquidity_price", source)
                       if "liquidity_price" in data else None)
    drift = _number(data["drift"], "stock.drift", source, minimum=-1.0, maximum=2.0) if "drift" in data else None
    liquidity = _liquidity(data["liquidity"], source) if "liquidity" in data else None
    if liquidity is not None and kind != "private":
        raise InputError("stock.liquidity", "a [stock.liquidity] table", 'kind = "private" (public stock can be '
                         "sold any day)", source=source)
    assume = data.get("assume_liquidity", False)
    if not isinstance(assume, bool):
        raise InputError("stock.assume_liquidity", assume, "true or false", source=source)
    return Stock(kind, path, volatility, liquidity_date, liquidity_price, drift, liquidity, assume)


def _liquidity(data: Any, source: str) -> Liquidity:
    """``[stock.liquidity]``: probability, earliest, latest, outcomes (docs/plan-file.md, "Risk inputs")."""
    if not isinstance(data, Mapping):
        raise InputError("stock.liquidity", data, "a table", source=source)
    _unknown(data, ("probability", "earliest", "latest", "outcomes"), "stock.liquidity.", source)
    probability = _number(data.get("probability", 1.0), "stock.liquidity.probability", source, maximum=1.0)
    for key in ("earliest", "latest"):
        if key not in data:
            raise InputError(f"stock.liquidity.{key}", None, "a date", source=source)
    earliest = _date(data["earliest"], "stock.liquidity.earliest", source)
    latest = _date(data["latest"], "stock.liquidity.latest", source)
    if latest < earliest:
        raise InputError("stock.liquidity.latest", latest.isoformat(), f"a date on or after earliest "
                         f"({earliest.isoformat()})", source=source)
    last_year = supported_years().stop - 1
    if latest.year >= last_year:
        raise InputError("stock.liquidity.latest", latest.isoformat(), f"a date no later than {last_year - 1}-12-31 "
                         f"(taxes are computed through {last_year})", source=source)
    items = data.get("outcomes")
    if not isinstance(items, list) or not items:
        raise InputError("stock.liquidity.outcomes", items, "a list of {kind, probability, multiple or price}",
                         source=source)
    outcomes = []
    for k, item in enumerate(items):
        where = f"stock.liquidity.outcomes[{k}]"
        if not isinstance(item, Mapping):
            raise InputError(where, item, "a table {kind, probability, multiple or price}", source=source)
        _unknown(item, ("kind", "probability", "multiple", "price"), f"{where}.", source)
        kind = str(item.get("kind", "")).lower()
        if kind not in OUTCOME_KINDS:
            raise InputError(f"{where}.kind", item.get("kind"), "ipo, acquisition or failure", source=source)
        if "probability" not in item:
            raise InputError(f"{where}.probability", None, "a probability from 0 to 1", source=source)
        prob = _number(item["probability"], f"{where}.probability", source, maximum=1.0)
        multiple = _number(item["multiple"], f"{where}.multiple", source) if "multiple" in item else None
        price = _number(item["price"], f"{where}.price", source) if "price" in item else None
        if multiple is not None and price is not None:
            raise InputError(where, "both multiple and price", "one of multiple or price", source=source)
        if kind == "failure":
            if (multiple or 0.0) > 0 or (price or 0.0) > 0:
                raise InputError(f"{where}.price", price if price is not None else multiple,
                                 "0 or nothing (a failure leaves the shares worthless)", source=source)
            multiple, price = None, 0.0
        elif multiple is None and price is None:
            raise InputError(where, kind, "a multiple (of the 409A value on the event date) or a price",
                             source=source)
        outcomes.append(Outcome(kind, prob, multiple, price))
    total = sum(o.probability for o in outcomes)
    if abs(total - 1.0) > 1e-6:
        raise InputError("stock.liquidity.outcomes", f"probabilities adding up to {total:g}", "probabilities "
                         "adding up to 1 (given that the event happens)", source=source)
    return Liquidity(probability, earliest, latest, tuple(outcomes))


def _risk(data: Mapping[str, Any], source: str) -> RiskSettings:
    """``[risk]``: Monte Carlo settings (docs/risk.md)."""
    allowed = ("paths", "seed", "steps", "drop", "risk_aversion", "target_concentration", "affordable_loss",
               "sell_below")
    _unknown(data, allowed, "risk.", source)
    d = RiskSettings()
    paths = _number(data.get("paths", d.paths), "risk.paths", source, minimum=1, maximum=10_000_000)
    if paths != int(paths):
        raise InputError("risk.paths", data.get("paths"), "a whole number of paths from 1 to 10,000,000",
                         source=source)
    seed = _number(data.get("seed", d.seed), "risk.seed", source, maximum=2**63 - 1)
    if seed != int(seed):
        raise InputError("risk.seed", data.get("seed"), "a whole number of 0 or more", source=source)
    steps = str(data.get("steps", d.steps)).lower()
    if steps not in STEP_KINDS:
        raise InputError("risk.steps", data.get("steps"), "daily or monthly", source=source)
    drop = _number(data.get("drop", d.drop), "risk.drop", source)
    if not 0.0 < drop < 1.0:
        raise InputError("risk.drop", drop, "a fraction between 0 and 1 (exclusive), e.g. 0.5 for a 50% fall",
                         source=source)
    concentration = _number(data.get("target_concentration", d.target_concentration), "risk.target_concentration",
                            source, maximum=1.0)
    sell_below = data.get("sell_below")
    if sell_below is not None:
        sell_below = _number(sell_below, "risk.sell_below", source)
        if not 0.0 < sell_below < 1.0:
            raise InputError("risk.sell_below", sell_below, "a fraction of the exercise price between 0 and 1 "
                             "(exclusive)", source=source)
    loss = data.get("affordable_loss")
    return RiskSettings(
        paths=int(paths), seed=int(seed), steps=steps, drop=drop,
        risk_aversion=_number(data.get("risk_aversion", d.risk_aversion), "risk.risk_aversion", source,
                              maximum=50.0),
        target_concentration=concentration,
        affordable_loss=None if loss is None else _number(loss, "risk.affordable_loss", source),
        sell_below=sell_below,
    )


def parse_plan(data: Mapping[str, Any], source: str, *, today: date, grants: Sequence[Grant] | None = None) -> Plan:
    """Validate a parsed plan file. ``today`` dates the default start of the plan.

    ``grants``: the grants to plan when they come from elsewhere (the ledger); the file then needs no
    ``[[grants]]`` (any it has are still checked, then replaced). The tax years a plan may span come
    from the law data (:func:`isoplan.tax.law.supported_years`).
    """
    tax_years = supported_years()
    top = ("person", "income", "cash", "stock", "grants", "plan", "risk")
    _unknown(data, top, "", source)
    person = _table(data, "person", source, required=True)
    _unknown(person, ("filing_status", "state", "departure_date", "net_worth_outside", "departure_probability"),
             "person.", source)
    status = str(person.get("filing_status", "")).lower()
    if status not in STATUS_NAMES:
        raise InputError("person.filing_status", person.get("filing_status"), "one of " + ", ".join(STATUS_NAMES),
                         source=source)
    state = person.get("state")
    warnings: list[str] = []
    if state is not None:
        state = str(state).upper()
        if state != "CA":
            warnings.append(f"state {state}: only federal tax is modeled (California is planned); "
                            f"{state} income tax is not in these numbers.")
        else:
            warnings.append("state CA: California tax (Form 540, Schedule P with its 7% AMT, the FTB 3510 credit) "
                            "is included beside federal; no other state's tax is modeled.")
    departure = _date(person["departure_date"], "person.departure_date", source) if "departure_date" in person \
        else None

    plan_table = _table(data, "plan", source, required=True)
    _unknown(plan_table, ("start_year", "exit_date", "exit_price", "exercise_month", "exercise_day", "zero_amt",
                          "discount_rate", "prior_credit", "prior_ca_credit", "grid_steps", "inflation", "objective",
                          "paths"),
             "plan.", source)
    if "exit_date" not in plan_table:
        raise InputError("plan.exit_date", None, "the date the shares are sold (the exit)", source=source)
    exit_date = _date(plan_table["exit_date"], "plan.exit_date", source)
    month = int(_number(plan_table.get("exercise_month", 1), "plan.exercise_month", source, minimum=1, maximum=12))
    day = int(_number(plan_table.get("exercise_day", 2 if month == 1 else 1), "plan.exercise_day", source,
                      minimum=1, maximum=28))
    default_start = today.year if date(today.year, month, day) >= today else today.year + 1
    start_year = int(_number(plan_table.get("start_year", default_start), "plan.start_year", source,
                             minimum=tax_years.start, maximum=tax_years.stop - 1))
    if exit_date.year < start_year:
        raise InputError("plan.exit_date", exit_date.isoformat(), f"a date in or after the start year {start_year}",
                         source=source)
    if exit_date.year >= tax_years.stop:
        raise InputError("plan.exit_date", exit_date.isoformat(), f"a date no later than {tax_years.stop - 1} (the "
                         "last tax year isoplan supports)", source=source)
    years = range(start_year, exit_date.year + 1)
    weekend = [y for y in years if date(y, month, day).weekday() >= SATURDAY]
    if weekend:
        listed = ", ".join(map(str, weekend[:-1])) + (" and " if len(weekend) > 1 else "") + str(weekend[-1])
        warnings.append(f"plan.exercise_day: {date(weekend[0], month, day).strftime('%B')} {day} falls on a weekend "
                        f"in {listed}; those exercises are priced on that day, but a broker "
                        "makes them on the next business day, whose price sets the spread (IRC §83(a), §56(b)(3)).")
    first_exercise = date(start_year, month, day)
    if first_exercise < today:
        warnings.insert(0, f"plan.start_year {start_year}: the first exercise date, {first_exercise.isoformat()}, is "
                           f"before today ({today.isoformat()}); an exercise cannot be dated in the past, so "
                           "exercises planned before today are hypothetical. Record the exercises already made in "
                           f"the ledger and plan from {default_start} (leave start_year out to start at the next "
                           "exercise date).")

    income = _income(_table(data, "income", source, required=True), years, source)
    cash = _table(data, "cash", source)
    _unknown(cash, ("per_year", "years", "reserve"), "cash.", source)
    # no per-year cash given: no cash limit (a sentinel far above any exercise, not a user value to check)
    per_year = _number(cash["per_year"], "cash.per_year", source) if "per_year" in cash else 1e15
    cash_by_year = {y: per_year for y in years}
    for key, value in _table(cash, "years", source).items():
        if not key.isdigit() or int(key) not in years:
            raise InputError(f"cash.years.{key}", key, f"a year of the plan ({years.start}-{years.stop - 1})",
                             source=source)
        cash_by_year[int(key)] = _number(value, f"cash.years.{key}", source)
    reserve = _number(cash.get("reserve", 0.0), "cash.reserve", source)
    for year, amount in cash_by_year.items():
        if reserve > amount:
            raise InputError("cash.reserve", reserve, f"at most the cash available in {year} ({amount:,.0f})",
                             source=source)

    grants_data = data.get("grants")
    if grants is None or grants_data is not None:
        if not isinstance(grants_data, list) or not grants_data:
            raise InputError("grants", grants_data, "at least one [[grants]] table", source=source)
        file_grants = tuple(_grant(g if isinstance(g, Mapping) else {}, i, source) for i, g in enumerate(grants_data))
    if grants is None:
        grants = file_grants
    elif not grants:
        raise InputError("grants", [], "at least one grant", source=source)
    grants = tuple(grants)
    ids = [g.id for g in grants]
    if len(set(ids)) != len(ids):
        raise InputError("grants.id", ids, "distinct grant ids", source=source)
    if departure is not None:
        for g in grants:
            if departure < g.grant_date:
                raise InputError("person.departure_date", departure.isoformat(),
                                 f"a date on or after grant {g.id}'s grant date {g.grant_date.isoformat()}",
                                 source=source)

    stock = _stock(_table(data, "stock", source, required=True), source, today)
    exit_price = (_number(plan_table["exit_price"], "plan.exit_price", source) if "exit_price" in plan_table
                  else stock.price_path.price(exit_date))
    zero_amt = plan_table.get("zero_amt", False)
    if not isinstance(zero_amt, bool):
        raise InputError("plan.zero_amt", zero_amt, "true or false", source=source)
    inflation = plan_table.get("inflation")
    if inflation is not None:
        inflation = _number(inflation, "plan.inflation", source, minimum=-0.5, maximum=0.5)
    net_worth = _number(person.get("net_worth_outside", 0.0), "person.net_worth_outside", source)
    objective = str(plan_table.get("objective", "risk")).lower()
    if objective not in OBJECTIVES:
        raise InputError("plan.objective", plan_table.get("objective"), '"risk" (the certainty equivalent over '
                         'price paths) or "tax" (the after-tax value on the assumed price path)', source=source)
    paths = _number(plan_table.get("paths", DEFAULT_OBJECTIVE_PATHS), "plan.paths", source, minimum=1,
                    maximum=1_000_000)
    if paths != int(paths):
        raise InputError("plan.paths", plan_table.get("paths"), "a whole number of paths from 1 to 1,000,000",
                         source=source)
    departure_probability = _number(person.get("departure_probability", 0.0), "person.departure_probability",
                                    source, maximum=1.0)
    return Plan(
        source=source,
        filing_status=status,
        state=state,
        income_by_year=income,
        cash_by_year=cash_by_year,
        cash_reserve=reserve,
        net_worth_outside=net_worth,
        grants=grants,
        stock=stock,
        departure_date=departure,
        prior_credit=_number(plan_table.get("prior_credit", 0.0), "plan.prior_credit", source),
        prior_ca_credit=_number(plan_table.get("prior_ca_credit", 0.0), "plan.prior_ca_credit", source),
        start_year=start_year,
        exit_date=exit_date,
        exit_price=exit_price,
        exercise_month=month,
        exercise_day=day,
        zero_amt=zero_amt,
        discount_rate=_number(plan_table.get("discount_rate", 0.0), "plan.discount_rate", source, maximum=0.5),
        grid_steps=int(_number(plan_table.get("grid_steps", 0), "plan.grid_steps", source, maximum=400)),
        inflation=inflation,
        warnings=tuple(warnings),
        risk=_risk(_table(data, "risk", source), source),
        objective=objective,
        objective_paths=int(paths),
        departure_probability=departure_probability,
        today=today,
    )
