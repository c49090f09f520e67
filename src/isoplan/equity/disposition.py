"""Selling option stock: regular-tax and AMT consequences, vectorized over sales.

:func:`dispositions` takes arrays (one element per sale, or per scenario of
the planner) and returns arrays; :func:`dispose` is the same law for one
:class:`~isoplan.equity.records.Lot` and :class:`~isoplan.equity.records.Sale`.

ISO stock (IRC §§421, 422, 56(b)(3)):

* sold in the same year its AMT adjustment arises: regular tax and AMT treat
  it alike and those shares carry no line 2i adjustment (Form 6251
  instructions, line 2i): ``line2i_same_year`` is the negative of their spread;
* qualifying (on or after the qualifying date): all gain over the price paid
  is long-term capital gain; for AMT the gain is over the AMT basis, and the
  difference is a (negative) Form 6251 line 2k adjustment;
* disqualifying in a later year: the spread (capped at the actual gain,
  §422(c)(2), unless a wash sale or related-party sale, §§1091, 267) is
  ordinary income in the sale year (§421(b)); for AMT it was income already,
  so the AMT gain is over the AMT basis and line 2k reverses the difference.

NSO stock: the income was taxed at exercise (or vesting); a sale gives
capital gain over that basis for both taxes.

Amounts are float64 dollars. ``line2k`` here is per sale, before the
separate $3,000 AMT capital-loss limit which applies to the year's totals
(see :mod:`isoplan.equity.years`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

from isoplan.equity.records import ISO, Lot, Sale
from isoplan.errors import InputError


@dataclass(frozen=True)
class Dispositions:
    """Tax consequences of sales, one element per sale (float64 dollars, bool flags)."""

    proceeds: np.ndarray
    qualifying: np.ndarray
    same_year: np.ndarray
    disqualifying: np.ndarray
    regular_basis: np.ndarray
    amt_basis: np.ndarray
    regular_ordinary_income: np.ndarray
    regular_short_term_gain: np.ndarray
    regular_long_term_gain: np.ndarray
    regular_disallowed_loss: np.ndarray
    amt_ordinary_income: np.ndarray
    amt_short_term_gain: np.ndarray
    amt_long_term_gain: np.ndarray
    amt_disallowed_loss: np.ndarray
    line2k: np.ndarray
    line2i_same_year: np.ndarray

    def __len__(self) -> int:
        return int(self.proceeds.shape[0])

    def total(self, name: str) -> float:
        return float(np.sum(getattr(self, name)))


def amt_adjustments(shares: object, strike: object, fmv: object) -> np.ndarray:
    """Form 6251 line 2i for ISO exercises held past year end: (FMV − price) × shares, never below 0."""
    shares, strike, fmv = (np.asarray(a, dtype=np.float64) for a in (shares, strike, fmv))
    return np.maximum(fmv - strike, 0.0) * shares


def dispositions(
    *,
    iso: object,
    shares: object,
    strike: object,
    price: object,
    income_fmv: object,
    amt_fmv: object,
    qualifying: object,
    same_year: object,
    long_term: object,
    amt_long_term: object,
    loss_cap_lost: object = False,
) -> Dispositions:
    """The regular-tax and AMT results of selling ``shares`` at ``price``.

    ``income_fmv``: FMV that measures regular-tax compensation (NSO income at
    exercise or vesting; ISO disqualifying-disposition income). ``amt_fmv``:
    FMV that measured the ISO AMT adjustment (ignored for NSO stock).
    ``qualifying``: sold on or after the qualifying date (ISO). ``same_year``:
    sold in the year the ISO adjustment arose. ``long_term`` /
    ``amt_long_term``: held more than a year for regular tax / AMT.
    ``loss_cap_lost``: wash sale or related-party sale (§422(c)(2) cap lost,
    capital loss disallowed).
    """
    iso = np.asarray(iso, dtype=bool)
    n = iso.shape[0] if iso.ndim else 1

    def arr(x: object) -> NDArray[np.float64]:
        return np.broadcast_to(np.asarray(x, dtype=np.float64), (n,))

    def flags(x: object) -> NDArray[np.bool_]:
        return np.broadcast_to(np.asarray(x, dtype=bool), (n,))

    iso = flags(iso)
    shares, strike, price = arr(shares), arr(strike), arr(price)
    income_fmv, amt_fmv = arr(income_fmv), arr(amt_fmv)
    qualifying, same_year = flags(qualifying) & iso, flags(same_year) & iso
    long_term, amt_long_term, cap_lost = flags(long_term), flags(amt_long_term), flags(loss_cap_lost)

    proceeds = shares * price
    cost = shares * strike
    # ---- regular tax
    nso_income = np.where(iso, 0.0, np.maximum(income_fmv - strike, 0.0) * shares)  # taxed at exercise/vesting
    regular_basis = cost + nso_income
    gain = proceeds - regular_basis
    spread = np.maximum(income_fmv - strike, 0.0) * shares
    disqualifying = iso & ~qualifying
    capped = np.minimum(spread, np.maximum(gain, 0.0))  # §422(c)(2)
    regular_ordinary = np.where(disqualifying, np.where(cap_lost, spread, capped), 0.0)
    regular_capital = gain - regular_ordinary
    regular_disallowed = np.where(cap_lost & (regular_capital < 0), -regular_capital, 0.0)
    regular_capital = regular_capital + regular_disallowed

    # ---- AMT: basis raised by the adjustment, except shares sold in the adjustment's own year
    adjustment = np.where(iso, np.maximum(amt_fmv - strike, 0.0) * shares, 0.0)
    amt_basis = regular_basis + adjustment
    amt_capital = np.where(same_year, regular_capital, proceeds - amt_basis)
    amt_disallowed = np.where(same_year, regular_disallowed,
                              np.where(cap_lost & (amt_capital < 0), -amt_capital, 0.0))
    amt_capital = np.where(same_year, amt_capital, amt_capital + amt_disallowed)
    amt_ordinary = np.where(same_year, regular_ordinary, 0.0)
    amt_lt = np.where(same_year, long_term, amt_long_term)

    line2k = (amt_ordinary + amt_capital) - (regular_ordinary + regular_capital)
    line2i_same_year = np.where(same_year, -adjustment, 0.0)
    zero = np.zeros(n)
    return Dispositions(
        proceeds=proceeds,
        qualifying=qualifying.copy(),
        same_year=same_year.copy(),
        disqualifying=disqualifying,
        regular_basis=regular_basis,
        amt_basis=np.where(same_year, regular_basis, amt_basis),
        regular_ordinary_income=regular_ordinary,
        regular_short_term_gain=np.where(long_term, zero, regular_capital),
        regular_long_term_gain=np.where(long_term, regular_capital, zero),
        regular_disallowed_loss=regular_disallowed,
        amt_ordinary_income=amt_ordinary,
        amt_short_term_gain=np.where(amt_lt, zero, amt_capital),
        amt_long_term_gain=np.where(amt_lt, amt_capital, zero),
        amt_disallowed_loss=amt_disallowed,
        line2k=line2k,
        line2i_same_year=line2i_same_year,
    )


# ---------------------------------------------------------------- one lot, one sale


@dataclass(frozen=True)
class Disposition:
    """The consequences of one sale, in dollars, with the reasons."""

    sale_id: str
    lot_id: str
    year: int
    kind: str
    shares: int
    proceeds: float
    qualifying: bool
    same_year: bool
    regular_basis: float
    amt_basis: float
    regular_ordinary_income: float
    regular_short_term_gain: float
    regular_long_term_gain: float
    regular_disallowed_loss: float
    amt_ordinary_income: float
    amt_short_term_gain: float
    amt_long_term_gain: float
    amt_disallowed_loss: float
    line2k: float
    line2i_same_year: float
    explanation: str


def check_sale(lot: Lot, sale: Sale, already_sold: int = 0) -> None:
    """Refuse a sale the lot cannot support (IRC aside: these are facts that cannot be)."""
    if sale.lot_id != lot.id:
        raise InputError("lot", sale.lot_id, f"lot {lot.id}")
    if sale.date < lot.exercise_date:
        raise InputError("sale date", sale.date.isoformat(),
                         f"a date on or after the exercise {lot.exercise_date.isoformat()} of lot {lot.id}")
    if lot.vesting_date is not None and sale.date < lot.vesting_date:
        raise InputError("sale date", sale.date.isoformat(),
                         f"a date on or after {lot.vesting_date.isoformat()}, when the shares of lot {lot.id} vest")
    left = lot.shares - already_sold
    if sale.shares > left:
        raise InputError("shares", sale.shares, f"at most {left}: what lot {lot.id} still holds")


def sale_flags(lot: Lot, sale_date: date) -> dict[str, bool]:
    """Qualifying / same-year / long-term flags of selling ``lot`` on ``sale_date``."""
    iso = lot.kind == ISO
    qualifying_date = lot.qualifying_date
    return {
        "qualifying": bool(iso and qualifying_date is not None and sale_date >= qualifying_date),
        "same_year": bool(iso and sale_date.year == lot.amt_adjustment_year),
        "long_term": sale_date >= lot.long_term_date,
        "amt_long_term": sale_date >= lot.amt_long_term_date,
    }


def dispose(lot: Lot, sale: Sale) -> Disposition:
    """The regular-tax and AMT consequences of ``sale`` of shares of ``lot``."""
    check_sale(lot, sale, 0)
    flags = sale_flags(lot, sale.date)
    d = dispositions(
        iso=[lot.kind == ISO],
        shares=[sale.shares],
        strike=[float(lot.strike)],
        price=[float(sale.price)],
        income_fmv=[float(lot.income_fmv)],
        amt_fmv=[float(lot.measurement_fmv)],
        qualifying=[flags["qualifying"]],
        same_year=[flags["same_year"]],
        long_term=[flags["long_term"]],
        amt_long_term=[flags["amt_long_term"]],
        loss_cap_lost=[sale.wash_sale_or_related_party],
    )
    return Disposition(
        sale_id=sale.id,
        lot_id=lot.id,
        year=sale.date.year,
        kind=lot.kind,
        shares=sale.shares,
        explanation=explain_sale(lot, sale, flags),
        **{name: float(getattr(d, name)[0]) for name in (
            "proceeds", "regular_basis", "amt_basis", "regular_ordinary_income", "regular_short_term_gain",
            "regular_long_term_gain", "regular_disallowed_loss", "amt_ordinary_income", "amt_short_term_gain",
            "amt_long_term_gain", "amt_disallowed_loss", "line2k", "line2i_same_year")},
        qualifying=bool(d.qualifying[0]),
        same_year=bool(d.same_year[0]),
    )


def explain_sale(lot: Lot, sale: Sale, flags: dict[str, bool]) -> str:
    """Why the sale is taxed the way it is, in one sentence."""
    if lot.kind != ISO:
        term = "long-term" if flags["long_term"] else "short-term"
        return f"NSO stock: income was taxed when measured; {term} capital gain over the regular basis"
    qd = lot.qualifying_date
    qd_text = qd.isoformat() if qd else "?"
    cap = ("; wash sale / related party: the §422(c)(2) cap does not apply and a loss is disallowed (§§1091, 267)"
           if sale.wash_sale_or_related_party else "")
    if flags["same_year"]:
        kind = "qualifying" if flags["qualifying"] else "disqualifying"
        return (f"{kind} disposition in {sale.date.year}, the year of the AMT adjustment: regular tax and AMT "
                f"alike, no line 2i for these shares (Form 6251 instructions, line 2i){cap}")
    if flags["qualifying"]:
        return (f"qualifying disposition (on or after {qd_text}, IRC §422(a)(1)): long-term gain over the price "
                f"paid; AMT gain over the AMT basis, the difference on Form 6251 line 2k")
    return (f"disqualifying disposition (before {qd_text}): the spread, at most the gain (§422(c)(2)), is "
            f"ordinary income in {sale.date.year} (§421(b)); AMT gain over the AMT basis, line 2k{cap}")


def fifo_allocation(held: list[tuple[Lot, int]], shares: int, sale_date: date) -> list[tuple[Lot, int]]:
    """First in, first out: take ``shares`` from lots held on ``sale_date`` (exercised and vested
    by then), oldest exercise first. ``held`` pairs each lot with the shares it still holds."""
    eligible = [
        (lot, left) for lot, left in held
        if left > 0 and lot.exercise_date <= sale_date and (lot.vesting_date is None or lot.vesting_date <= sale_date)
    ]
    eligible.sort(key=lambda pair: (pair[0].exercise_date, pair[0].id))
    out = []
    need = shares
    for lot, left in eligible:
        if need == 0:
            break
        n = min(left, need)
        out.append((lot, n))
        need -= n
    if need:
        available = shares - need
        raise InputError("shares", shares, f"at most {available}: the vested shares held on {sale_date.isoformat()}")
    return out
