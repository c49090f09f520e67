"""The assumed share price over time: a constant growth rate, or explicit prices by date.

Between explicit points the price moves geometrically (constant growth between
the two dates); before the first point and after the last it is flat. With a
growth rate, ``price(d) = price0 * (1 + growth) ** (days / 365.25)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from isoplan.errors import InputError

_DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class PricePath:
    """Deterministic price assumption (the risk engine adds volatility on top)."""

    start_date: date
    start_price: float
    growth: float = 0.0
    points: tuple[tuple[date, float], ...] = ()

    def __post_init__(self) -> None:
        if not np.isfinite(self.start_price) or self.start_price < 0:
            raise InputError("stock.price", self.start_price, "a price of 0 or more")
        if not (-1.0 < self.growth < 10.0):
            raise InputError("stock.growth", self.growth, "a yearly rate above -1, e.g. 0.08")
        for d, p in self.points:
            if not np.isfinite(p) or p < 0:
                raise InputError("stock.prices", f"{p} on {d.isoformat()}", "prices of 0 or more")
        dates = [d for d, _ in self.points]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise InputError("stock.prices", "dates out of order or repeated", "one price per date, in date order")

    def price(self, day: date) -> float:
        return float(self.prices([day])[0])

    def prices(self, days: Sequence[date]) -> np.ndarray:
        ordinals = np.asarray([d.toordinal() for d in days], dtype=np.float64)
        if self.points:
            xs = np.asarray([self.start_date.toordinal(), *(d.toordinal() for d, _ in self.points)], dtype=float)
            ys = np.asarray([self.start_price, *(p for _, p in self.points)], dtype=float)
            order = np.argsort(xs, kind="stable")
            xs, ys = xs[order], ys[order]
            # geometric between points; a zero price is held until the next point
            with np.errstate(divide="ignore"):
                log_ys = np.where(ys > 0, np.log(np.where(ys > 0, ys, 1.0)), -np.inf)
            if np.all(np.isfinite(log_ys)):
                geometric: np.ndarray = np.exp(np.interp(ordinals, xs, log_ys))
                return geometric
            linear: np.ndarray = np.interp(ordinals, xs, ys)
            return linear
        years = (ordinals - self.start_date.toordinal()) / _DAYS_PER_YEAR
        return self.start_price * (1.0 + self.growth) ** years
