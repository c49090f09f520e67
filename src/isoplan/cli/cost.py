"""``isoplan cost``: what an ISO exercise really costs."""

from __future__ import annotations

import argparse
from typing import Any

from isoplan.cli.common import (
    _add_state,
    _ca_inputs,
    _check_fraction,
    _emit_with_state,
    _law,
    _refuse_ca_inputs,
    _state_code,
    _usd,
    _whole,
    household_from_args,
)
from isoplan.errors import InputError


def _shares_arg(text: str | None) -> float:
    allowed = "a positive whole number of shares"
    if text is None:
        raise InputError("--shares", None, allowed)
    try:
        value = float(text.replace(",", "").replace("_", "").strip())
    except ValueError:
        raise InputError("--shares", text, allowed) from None
    if not (value > 0 and value == int(value)) or value != value:
        raise InputError("--shares", text, allowed)
    return value


def _exercise_date(text: str | None, year: int) -> Any:
    import datetime

    if text is None:
        return None
    try:
        day = datetime.date.fromisoformat(text)
    except ValueError:
        raise InputError("--date", text, "a date as YYYY-MM-DD") from None
    if day.year != year:
        raise InputError("--date", text, f"a date in the tax year {year} (--year); exercise in {day.year} "
                         f"is taxed in {day.year}")
    return day


def cmd_cost(args: argparse.Namespace) -> int:
    from isoplan.planning.cost import exercise_cost

    shares = _shares_arg(args.shares)
    for flag, value in (("--strike", args.strike), ("--fmv", args.fmv)):
        if value is None:
            raise InputError(flag, None, "a price per share (dollars)")
        if not value >= 0:
            raise InputError(flag, value, "a price per share of 0 or more")
    _check_fraction("--drop", args.drop, zero_ok=False, allowed="a fraction between 0 and 1, e.g. 0.5 for a 50% fall")
    if args.cash is not None and not args.cash >= 0:
        raise InputError("--cash", args.cash, "a dollar amount of 0 or more")
    state = _state_code(getattr(args, "state", None))
    if state != "CA":
        _refuse_ca_inputs(args, state)
    h = household_from_args(args)
    day = _exercise_date(args.date, int(h.year[0]))
    law = _law(args)
    cost = exercise_cost(h, shares, args.strike, args.fmv, law, deduction=args.deduction, drop=args.drop,
                         cash=args.cash)
    data = cost_json(h, cost, law, exercise_date=day, private=args.private)
    _add_state(data, state)
    if state == "CA":
        data["california"] = california_cost_json(args, h, cost, private=args.private)
    return _emit_with_state(args, data, state, render_cost, render_cost_california)


def _ca_path_json(path: Any, i: int) -> dict[str, float]:
    return {k: float(getattr(path, k)[i]) for k in
            ("regular_tax", "exemption_credits", "amt", "credit_used", "mental_health_tax", "total_tax")}


def california_cost_json(args: argparse.Namespace, h: Any, c: Any, *, private: bool, i: int = 0) -> dict[str, Any]:
    """The California tax the exercise causes, beside the federal ``cost_json`` (fields: docs/room-and-cost.md)."""
    from isoplan.planning.cost import california_exercise_cost
    from isoplan.tax.california import ca_law_table, ca_year_notes

    ca_law = ca_law_table(getattr(args, "inflation", None))
    property_tax, carry = _ca_inputs(args)
    ca = california_exercise_cost(h, c, ca_law, property_tax=property_tax, ca_amt_credit_carryforward=carry,
                                  deduction=args.deduction)
    year = int(h.year[i])
    notes = []
    if ca.incremental.amt[i] > 0:
        notes.append("California AMT caused by an ISO exercise is a deferral item: it becomes a California AMT "
                     "credit (FTB 3510) that later years can use when their regular tax exceeds their TMT.")
    if ca.credit_use_lost[i] > 0:
        notes.append(f"The exercise cuts this year's California AMT credit use by {_usd(float(ca.credit_use_lost[i]))}"
                     "; that credit is carried forward, not lost.")
    notes += ca_year_notes(ca_law, year, int(h.filing_status[i]))
    fed_tax = float(c.incremental.total_tax[i])
    ca_tax = float(ca.incremental.total_tax[i])
    rescue = None
    if not private:
        rescue = {
            "tax": _ca_path_json(ca.rescue, i),
            "incremental": _ca_path_json(ca.rescue_incremental, i),
            "combined_tax": float(c.rescue_incremental.total_tax[i] + ca.rescue_incremental.total_tax[i]),
            "combined_net_cash": float(ca.combined_rescue_net_cash[i]),
        }
    return {
        "year": year,
        "projected": bool(ca_law.is_projected(year)),
        "inputs": {"property_tax": property_tax, "ca_amt_credit_carryforward": carry},
        "tax": {
            "without_exercise": _ca_path_json(ca.without, i),
            "with_exercise": _ca_path_json(ca.with_exercise, i),
            "incremental": _ca_path_json(ca.incremental, i),
            "credit_use_lost": float(ca.credit_use_lost[i]),
        },
        "outlay": {
            "strike_cash": float(c.strike_cash[i]),
            "federal_tax": fed_tax,
            "california_tax": ca_tax,
            "total": float(ca.combined_outlay[i]),
            "per_share": float(ca.combined_outlay_per_share[i]),
        },
        "room": {
            "amt_room": float(ca.ca_amt_room[i]),
            "already_in_amt": bool(ca.ca_already_in_amt[i]),
            "spread_past_room": float(ca.ca_spread_past_room[i]),
            "shares_within_room": _whole(float(ca.shares_within_ca_room[i])),
        },
        "hold": {"combined_tax": fed_tax + ca_tax, "combined_net": float(ca.combined_hold_net[i])},
        "rescue": rescue,
        "notes": notes,
    }


def render_cost_california(data: dict[str, Any]) -> str:
    """The California tax the exercise causes, federal beside it, and the combined outlay."""
    from isoplan.report.text import table

    ca = data["california"]
    fed = data["tax"]["incremental"]
    without, with_, caused = ca["tax"]["without_exercise"], ca["tax"]["with_exercise"], ca["tax"]["incremental"]
    lines = [("Regular tax (Form 540 line 31)", "regular_tax"), ("Exemption credits (line 32)", "exemption_credits"),
             ("California AMT (Schedule P line 26)", "amt"), ("AMT credit used (FTB 3510)", "credit_used"),
             ("Mental Health Services Tax (line 62)", "mental_health_tax"),
             ("Total California tax modeled", "total_tax")]
    body = [[name, _usd(without[k]), _usd(with_[k]), _usd(caused[k])] for name, k in lines]
    label = f"{ca['year']} (PROJECTED)" if ca["projected"] else str(ca["year"])
    parts = [f"California, {label}", table(["California tax", "without", "with exercise", "caused"], body)]
    side = [
        ["Regular tax caused", _usd(fed["regular_tax"]), _usd(caused["regular_tax"])],
        ["AMT caused", _usd(fed["amt"]), _usd(caused["amt"])],
        ["Total tax caused", _usd(fed["total_tax"]), _usd(caused["total_tax"])],
        ["AMT room before this exercise", _usd(data["room"]["amt_room"]), _usd(ca["room"]["amt_room"])],
        ["Spread past the room", _usd(data["room"]["spread_past_room"]), _usd(ca["room"]["spread_past_room"])],
    ]
    parts += ["", table(["Caused by the exercise", "federal", "California"], side, align="lrr")]
    out = ca["outlay"]
    parts += ["", f"Combined outlay: strike cash {_usd(out['strike_cash'])} + federal tax {_usd(out['federal_tax'])} "
                  f"+ California tax {_usd(out['california_tax'])} = {_usd(out['total'])} "
                  f"({_usd(out['per_share'], cents=True)} per share)."]
    if ca["rescue"] is not None:
        r = ca["rescue"]
        parts.append(f"Same-year sale: California tax caused {_usd(r['incremental']['total_tax'])} (ordinary income, "
                     f"no Schedule P line 10 adjustment); federal + California {_usd(r['combined_tax'])}; net cash "
                     f"after strike and both taxes {_usd(r['combined_net_cash'])}. Holding instead: both taxes "
                     f"{_usd(ca['hold']['combined_tax'])}, net {_usd(ca['hold']['combined_net'])}.")
    parts += ["", *("Note: " + n for n in ca["notes"])]
    return "\n".join(parts)


def _path_json(path: Any, i: int) -> dict[str, float]:
    return {
        "regular_tax": float(path.regular_tax[i]),
        "amt": float(path.amt[i]),
        "credit_used": float(path.credit_used[i]),
        "niit": float(path.niit[i]),
        "additional_medicare_tax": float(path.additional_medicare_tax[i]),
        "total_tax": float(path.total_tax[i]),
    }


def cost_json(h: Any, c: Any, law: Any, *, exercise_date: Any, private: bool, i: int = 0) -> dict[str, Any]:
    """Everything ``isoplan cost`` shows for household ``i``, as plain data (fields: docs/room-and-cost.md)."""
    from isoplan.tax.explain import year_notes
    from isoplan.tax.law import STATUSES

    year, status_code = int(h.year[i]), int(h.filing_status[i])
    underwater = bool(c.underwater[i])
    cash = float(c.cash[i])
    has_cash = cash == cash
    notes = []
    if underwater:
        notes.append("Under water: the FMV is at or below the strike, so the spread is $0 and the exercise "
                     "triggers no AMT; the outlay is the strike cash alone.")
    if c.incremental.amt[i] > 0:
        notes.append("AMT caused by an ISO exercise is a deferral item: it becomes a minimum tax credit (Form 8801) "
                     "that later years can use when their regular tax exceeds their tentative minimum tax.")
    if c.credit_use_lost[i] > 0:
        notes.append(f"The exercise cuts this year's minimum tax credit use by {_usd(float(c.credit_use_lost[i]))}; "
                     "that credit is carried forward, not lost.")
    if private:
        notes.append("Private stock: there is no same-year buyer, so the same-year rescue does not exist. If the "
                     "value falls, the AMT is still owed on the exercise-date spread.")
    else:
        notes.append("The rescue needs a sale in the same calendar year and a loss that is allowed: on a wash sale "
                     "(IRC §1091) or a sale to a related party the §422(c)(2) limit does not apply and the whole "
                     "exercise-date spread is ordinary income.")
    notes += year_notes(law, year, status_code)
    rescue = None
    if not private:
        rescue = {
            "available": True,
            "sale_price": float(c.price_after_drop[i]),
            "proceeds": float(c.rescue_proceeds[i]),
            "ordinary_income": float(c.rescue_ordinary_income[i]),
            "capital_gain": float(c.rescue_capital_gain[i]),
            "tax": _path_json(c.rescue, i),
            "incremental": _path_json(c.rescue_incremental, i),
            "net_cash": float(c.rescue_net_cash[i]),
        }
    return {
        "year": year,
        "filing_status": STATUSES[status_code],
        "projected": bool(law.is_projected(year)),
        "exercise_date": exercise_date.isoformat() if exercise_date else None,
        "stock": "private" if private else "public",
        "inputs": h.row(i),
        "exercise": {
            "shares": _whole(float(c.shares[i])),
            "strike": float(c.strike[i]),
            "fmv": float(c.fmv[i]),
            "spread_per_share": float(c.spread_per_share[i]),
            "bargain_element": float(c.bargain_element[i]),
            "strike_cash": float(c.strike_cash[i]),
            "underwater": underwater,
        },
        "tax": {
            "without_exercise": _path_json(c.without, i),
            "with_exercise": _path_json(c.with_exercise, i),
            "incremental": _path_json(c.incremental, i),
            "credit_use_lost": float(c.credit_use_lost[i]),
        },
        "outlay": {"total": float(c.outlay[i]), "per_share": float(c.outlay_per_share[i])},
        "room": {
            "amt_room": float(c.amt_room[i]),
            "already_in_amt": bool(c.already_in_amt[i]),
            "spread_past_room": float(c.spread_past_room[i]),
            "shares_within_room": _whole(float(c.shares_within_room[i])),
        },
        "stress": {
            "drop": float(c.drop[i]),
            "price_after_drop": float(c.price_after_drop[i]),
            "value_after_drop": float(c.value_after_drop[i]),
            "tax_locked": float(c.incremental.total_tax[i]),
            "tax_exceeds_value": bool(c.tax_exceeds_value[i]),
            "cash": cash if has_cash else None,
            "cash_needed": float(c.cash_needed[i]),
            "cash_covers": bool(c.cash_covers[i]) if has_cash else None,
            "cash_gap": float(c.cash_gap[i]) if has_cash else None,
        },
        "hold": {"tax": float(c.incremental.total_tax[i]), "value_after_drop": float(c.value_after_drop[i]),
                 "net": float(c.hold_net[i])},
        "rescue": rescue,
        "notes": notes,
    }


def render_cost(data: dict[str, Any]) -> str:
    """The human-readable ``isoplan cost`` report."""
    from isoplan.report.text import table

    year = data["year"]
    label = f"{year} (PROJECTED)" if data["projected"] else str(year)
    when = f", exercised {data['exercise_date']}" if data["exercise_date"] else ""
    ex = data["exercise"]
    parts = [f"ISO exercise cost, {label}, {data['filing_status']}{when}"]
    parts += ["", table(["Exercise", "amount"], [
        ["Shares", f"{ex['shares']:,}"],
        ["Strike / FMV per share", f"{_usd(ex['strike'], cents=True)} / {_usd(ex['fmv'], cents=True)}"],
        ["Spread per share", _usd(ex["spread_per_share"], cents=True)],
        ["Bargain element (Form 6251 line 2i)", _usd(ex["bargain_element"])],
        ["Strike cash", _usd(ex["strike_cash"])],
    ])]
    tax = data["tax"]
    without, with_, caused = tax["without_exercise"], tax["with_exercise"], tax["incremental"]
    lines = [("Regular tax (Form 1040 line 16)", "regular_tax"), ("AMT (Form 6251 line 11)", "amt"),
             ("Minimum tax credit used (Form 8801)", "credit_used"), ("NIIT (Form 8960)", "niit"),
             ("Total federal tax modeled", "total_tax")]
    body = [[name, _usd(without[k]), _usd(with_[k]), _usd(caused[k])] for name, k in lines]
    parts += ["", table(["Federal tax", "without", "with exercise", "caused"], body)]
    outlay = data["outlay"]
    parts += ["", f"Real outlay: strike cash {_usd(ex['strike_cash'])} + tax {_usd(caused['total_tax'])} = "
                  f"{_usd(outlay['total'])} ({_usd(outlay['per_share'], cents=True)} per share)."]
    room = data["room"]
    if room["already_in_amt"]:
        parts.append("Room: none; the household is already in AMT before this exercise.")
    elif room["spread_past_room"] > 0:
        parts.append(f"Room: {_usd(room['amt_room'])} of spread was AMT-free ({room['shares_within_room']:,} of "
                     f"these shares); this exercise goes {_usd(room['spread_past_room'])} past it.")
    else:
        parts.append(f"Room: {_usd(room['amt_room'])}; this exercise fits inside it (no AMT).")
    st = data["stress"]
    parts += ["", f"Stress test: the price falls {st['drop']:.0%} to {_usd(st['price_after_drop'], cents=True)} "
                  "after exercise"]
    stress_rows = [
        ["Shares worth", _usd(st["value_after_drop"])],
        ["Tax caused, fixed at the exercise-date spread once the year closes", _usd(st["tax_locked"])],
        ["Strike cash + tax to pay", _usd(st["cash_needed"])],
    ]
    if st["cash"] is not None:
        stress_rows.append(["Cash available", _usd(st["cash"])])
        stress_rows.append(["Cash gap (to cover without selling)", _usd(st["cash_gap"])])
    parts.append(table(["", "amount"], stress_rows))
    if st["tax_exceeds_value"]:
        parts.append("The tax is more than the shares are then worth.")
    if st["cash"] is not None:
        parts.append("Cash covers strike and tax without selling." if st["cash_covers"]
                     else f"Cash does not cover strike and tax: short by {_usd(st['cash_gap'])}.")
    hold, rescue = data["hold"], data["rescue"]
    parts += ["", f"If the price falls before December 31, {year}"]
    if rescue is None:
        parts.append(f"Hold into {year + 1}: tax {_usd(hold['tax'])}; shares worth {_usd(hold['value_after_drop'])} "
                     "(unsold). Private stock has no same-year buyer: there is no rescue.")
    else:
        gain = rescue["capital_gain"]
        kind = (f"short-term capital loss {_usd(-gain)}" if gain < 0 else
                f"short-term capital gain {_usd(gain)}" if gain > 0 else "no capital gain or loss")
        body = [
            [f"Hold into {year + 1} (AMT stays)", _usd(hold["tax"]), "$0", _usd(hold["value_after_drop"]),
             _usd(hold["net"])],
            [f"Sell by Dec 31, {year} (disqualifying)", _usd(rescue["incremental"]["total_tax"]),
             _usd(rescue["proceeds"]), "$0", _usd(rescue["net_cash"])],
        ]
        parts.append(table(["path", "tax caused", "cash from sale", "shares kept (value)", "net after strike and tax"],
                           body))
        parts.append(f"Selling in {year}: no AMT adjustment; ordinary income {_usd(rescue['ordinary_income'])} "
                     f"(limited to the gain, IRC §422(c)(2)), {kind}. The rescue exists only for stock that "
                     "can be sold (public).")
    if data["notes"]:
        parts += ["", *("Note: " + n for n in data["notes"])]
    parts += ["", "A planning estimate of federal tax, not tax advice."]
    return "\n".join(parts)

