"""The text of ``isoplan cost``: what an ISO exercise costs, federal (Form 6251) and California (Schedule P (540))."""

from __future__ import annotations

from typing import TYPE_CHECKING

from isoplan.report.text import money as _usd
from isoplan.report.text import table

if TYPE_CHECKING:
    from isoplan.app.cost import CostResult

#: The federal tax table of ``isoplan cost``: (row, key, sign); the signed rows above the total add up to it
#: (Form 1040 line 16 + Form 6251 line 11 - Form 8801 line 25 + Form 8960 line 17 + Form 8959 line 18).
FEDERAL_ROWS = (("Regular tax (Form 1040 line 16)", "regular_tax", 1), ("AMT (Form 6251 line 11)", "amt", 1),
                ("Less minimum tax credit used (Form 8801)", "credit_used", -1), ("NIIT (Form 8960)", "niit", 1),
                ("Additional Medicare Tax (Form 8959)", "additional_medicare_tax", 1),
                ("Total federal tax modeled", "total_tax", 1))
#: California's table: Form 540 line 31 - line 32 + Schedule P line 26 - FTB 3510 credit + line 62.
CALIFORNIA_ROWS = (("Regular tax (Form 540 line 31)", "regular_tax", 1),
                   ("Less exemption credits (line 32)", "exemption_credits", -1),
                   ("California AMT (Schedule P line 26)", "amt", 1),
                   ("Less AMT credit used (FTB 3510)", "credit_used", -1),
                   ("Mental Health Services Tax (line 62)", "mental_health_tax", 1),
                   ("Total California tax modeled", "total_tax", 1))


def render_cost(data: CostResult) -> str:
    """The human-readable ``isoplan cost`` report."""
    year = data.year
    label = f"{year} (PROJECTED)" if data.projected else str(year)
    when = f", exercised {data.exercise_date.isoformat()}" if data.exercise_date else ""
    ex = data.exercise
    parts = [f"ISO exercise cost, {label}, {data.filing_status}{when}"]
    parts += ["", table(["Exercise", "amount"], [
        ["Shares", f"{ex.shares:,}"],
        ["Strike / FMV per share", f"{_usd(ex.strike, cents=True)} / {_usd(ex.fmv, cents=True)}"],
        ["Spread per share", _usd(ex.spread_per_share, cents=True)],
        ["Bargain element (Form 6251 line 2i)", _usd(ex.bargain_element)],
        ["Strike cash", _usd(ex.strike_cash)],
    ])]
    tax = data.tax
    without, with_, caused = tax["without_exercise"], tax["with_exercise"], tax["incremental"]
    body = [[name, *(_usd(sign * col[k]) for col in (without, with_, caused))] for name, k, sign in FEDERAL_ROWS]
    parts += ["", table(["Federal tax", "without", "with exercise", "caused"], body)]
    outlay = data.outlay
    real = "Federal outlay (with California below)" if data.california is not None else "Real outlay"
    parts += ["", f"{real}: strike cash {_usd(ex.strike_cash)} + tax {_usd(caused['total_tax'])} = "
                  f"{_usd(outlay.total)} ({_usd(outlay.per_share, cents=True)} per share)."]
    room = data.room
    if room.already_in_amt:
        parts.append("Room: none; the household is already in AMT before this exercise.")
    elif room.spread_past_room > 0:
        parts.append(f"Room: {_usd(room.amt_room)} of spread was AMT-free ({room.shares_within_room:,} of "
                     f"these shares); this exercise goes {_usd(room.spread_past_room)} past it.")
    else:
        parts.append(f"Room: {_usd(room.amt_room)}; this exercise fits inside it (no AMT).")
    st = data.stress
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
    hold, rescue = data.hold, data.rescue
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
    if data.notes:
        parts += ["", *("Note: " + n for n in data.notes)]
    parts += ["", "A planning estimate of federal tax, not tax advice."]
    return "\n".join(parts)


def render_cost_california(data: CostResult) -> str:
    """The California tax the exercise causes, federal beside it, and the combined outlay."""
    ca = data.california
    assert ca is not None and ca.room is not None, "render_cost_california needs a result with the state CA"
    fed = data.tax["incremental"]
    without, with_, caused = ca.tax["without_exercise"], ca.tax["with_exercise"], ca.tax["incremental"]
    body = [[name, *(_usd(sign * col[k]) for col in (without, with_, caused))] for name, k, sign in CALIFORNIA_ROWS]
    label = f"{ca.year} (PROJECTED)" if ca.projected else str(ca.year)
    parts = [f"California, {label}", table(["California tax", "without", "with exercise", "caused"], body)]
    side = [
        ["Regular tax caused", _usd(fed["regular_tax"]), _usd(caused["regular_tax"])],
        ["AMT caused", _usd(fed["amt"]), _usd(caused["amt"])],
        ["Total tax caused", _usd(fed["total_tax"]), _usd(caused["total_tax"])],
        ["AMT room before this exercise", _usd(data.room.amt_room), _usd(ca.room.amt_room)],
        ["Spread past the room", _usd(data.room.spread_past_room), _usd(ca.room.spread_past_room)],
    ]
    parts += ["", table(["Caused by the exercise", "federal", "California"], side, align="lrr")]
    out = ca.outlay
    parts += ["", f"Combined outlay: strike cash {_usd(out['strike_cash'])} + federal tax {_usd(out['federal_tax'])} "
                  f"+ California tax {_usd(out['california_tax'])} = {_usd(out['total'])} "
                  f"({_usd(out['per_share'], cents=True)} per share)."]
    if ca.rescue is not None:
        r = ca.rescue
        parts.append(f"Same-year sale: California tax caused {_usd(r['incremental']['total_tax'])} (ordinary income, "
                     f"no Schedule P line 10 adjustment); federal + California {_usd(r['combined_tax'])}; net cash "
                     f"after strike and both taxes {_usd(r['combined_net_cash'])}. Holding instead: both taxes "
                     f"{_usd(ca.hold['combined_tax'])}, net {_usd(ca.hold['combined_net'])}.")
    parts += ["", *("Note: " + n for n in ca.notes)]
    return "\n".join(parts)


def render_cost_with_state(data: CostResult) -> str:
    """The text of ``isoplan cost``: the answer (the outlay with every modeled jurisdiction), federal, then
    California (state CA) or the note for another state."""
    text = data.answer + "\n\n" + render_cost(data)
    if data.california is not None:
        text += "\n\n" + render_cost_california(data)
    elif data.state_note:
        text += "\n\nNote: " + data.state_note
    return text
