"""``isoplan room`` (and the parsers of ``room`` and ``cost``)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any

from isoplan.cli.common import (
    _add_state,
    _ca_inputs,
    _check_fraction,
    _emit_with_state,
    _law,
    _money,
    _other_state_note,
    _refuse_ca_inputs,
    _state_code,
    _usd,
    _whole,
    add_household_arguments,
    add_state_arguments,
    household_from_args,
    read_household_csv,
)
from isoplan.cli.cost import cmd_cost
from isoplan.errors import InputError


def add_room_cost_parsers(sub: Any) -> None:
    """Register ``isoplan room`` and ``isoplan cost``."""
    p = sub.add_parser(
        "room", help="the AMT-free room: ISO spread you can add this year with no AMT",
        description="The largest whole-dollar ISO spread (Form 6251 line 2i) this household can add this year "
        "with no AMT, the shares it buys, what going past it costs, and the minimum tax credit line.",
    )
    add_household_arguments(p)
    option = p.add_argument_group("the option (optional: to count shares)")
    option.add_argument("--fmv", type=_money, metavar="USD", help="fair market value per share at exercise")
    option.add_argument("--strike", type=_money, metavar="USD", help="exercise (strike) price per share")
    option.add_argument("--spread-per-share", type=_money, metavar="USD",
                        help="FMV minus strike per share (instead of --fmv and --strike)")
    p.add_argument("--margin", type=float, default=0.10, metavar="FRACTION",
                   help="share of the room left unused as a cushion (default 0.10)")
    p.add_argument("--json", action="store_true", help="machine-readable output (fields: docs/room-and-cost.md)")
    add_state_arguments(p)
    p.set_defaults(func=cmd_room)

    p = sub.add_parser(
        "cost", help="what an ISO exercise really costs: strike cash + the tax it causes, stress test",
        description="Strike cash plus the federal tax an exercise causes (regular tax and AMT separately), "
        "how far past the AMT room it goes, a price-drop stress test and the same-year-sale rescue.",
    )
    add_household_arguments(p, batch=False)
    option = p.add_argument_group("the exercise")
    option.add_argument("--shares", metavar="N", help="number of shares to exercise (a positive whole number)")
    option.add_argument("--strike", type=_money, metavar="USD", help="exercise (strike) price per share")
    option.add_argument("--fmv", type=_money, metavar="USD", help="fair market value per share at exercise")
    option.add_argument("--date", metavar="YYYY-MM-DD", help="exercise date (its year must be --year)")
    stress = p.add_argument_group("stress test")
    stress.add_argument("--cash", type=_money, metavar="USD", help="cash available outside the shares")
    stress.add_argument("--drop", type=float, default=0.5, metavar="FRACTION",
                        help="fall in the share price after exercise, e.g. 0.5 for 50%% (default 0.5)")
    stress.add_argument("--private", action="store_true",
                        help="the stock is private: no same-year sale is possible")
    p.add_argument("--json", action="store_true", help="machine-readable output (fields: docs/room-and-cost.md)")
    add_state_arguments(p)
    p.set_defaults(func=cmd_cost)


#: Going past the line by these shares of the room (the `room` table).
_PAST_LINE_STEPS = (0.10, 0.25, 0.50, 1.00)


def _spread_per_share(args: argparse.Namespace) -> tuple[float | None, bool]:
    """(spread per share or None, underwater?) from --fmv/--strike or --spread-per-share."""
    fmv, strike, given = args.fmv, args.strike, args.spread_per_share
    if given is not None:
        if fmv is not None or strike is not None:
            raise InputError("--spread-per-share", given, "either --spread-per-share or --fmv with --strike, not both")
        if not given >= 0:
            raise InputError("--spread-per-share", given, "a dollar amount per share of 0 or more")
        return given, given == 0
    if fmv is None and strike is None:
        return None, False
    if fmv is None:
        raise InputError("--fmv", None, "a fair market value per share to go with --strike")
    if strike is None:
        raise InputError("--strike", None, "an exercise price per share to go with --fmv")
    for flag, value in (("--fmv", fmv), ("--strike", strike)):
        if not value >= 0:
            raise InputError(flag, value, "a price per share of 0 or more")
    return max(fmv - strike, 0.0), fmv <= strike


def cmd_room(args: argparse.Namespace) -> int:
    from isoplan.planning.room import amt_room

    _check_fraction("--margin", args.margin, zero_ok=True,
                    allowed="a fraction from 0 up to (not including) 1, e.g. 0.10")
    spread_per_share, underwater = _spread_per_share(args)
    law = _law(args)
    state = _state_code(getattr(args, "state", None))
    if state != "CA":
        _refuse_ca_inputs(args, state)
    if args.batch:
        return _room_batch(args, law, spread_per_share)
    h = household_from_args(args)
    room = amt_room(h, law, deduction=args.deduction)
    data = room_json(h, room, law, deduction=args.deduction, margin=args.margin,
                     spread_per_share=spread_per_share, underwater=underwater)
    _add_state(data, state)
    if state == "CA":
        data["california"] = california_room_json(args, h, data, spread_per_share=spread_per_share)
    return _emit_with_state(args, data, state, render_room, render_room_california)


def california_room_json(args: argparse.Namespace, h: Any, data: dict[str, Any], *,
                         spread_per_share: float | None, i: int = 0) -> dict[str, Any]:
    """The California line (Schedule P (540)) beside the federal one in ``data``, and which one binds."""
    import numpy as np

    from isoplan.planning.room import california_amt_room, shares_for_spread, with_added_spread
    from isoplan.tax.california import ca_law_table, ca_year_notes, compute_california

    ca_law = ca_law_table(getattr(args, "inflation", None))
    property_tax, carry = _ca_inputs(args)
    one = h.take(np.array([i]))
    r = california_amt_room(one, ca_law, property_tax=property_tax, ca_amt_credit_carryforward=carry,
                            deduction=args.deduction)
    amount = float(r.ca_amt_room[0])
    margin = data["margin"]
    # the marginal California AMT rate just past the line, measured with the engine (room + 1 -> room + 2)
    two = with_added_spread(one.take(np.zeros(2, dtype=np.intp)), np.array([amount + 1.0, amount + 2.0]))
    past = compute_california(two, ca_law, property_tax=property_tax, ca_amt_credit_carryforward=carry,
                              deduction=args.deduction)
    rate = round(float(past.ca_amt[1] - past.ca_amt[0]), 6)
    shares = shares_after = None
    if spread_per_share is not None and spread_per_share > 0:
        per = np.array([spread_per_share])
        shares = _whole(shares_for_spread(np.array([amount]), per)[0])
        shares_after = _whole(shares_for_spread(np.array([amount * (1.0 - margin)]), per)[0])
    federal_room = float(data["amt_room"])
    binding = "california" if amount < federal_room else "federal"
    credit = None
    if carry > 0:
        line = float(r.ca_credit_line[0])
        credit = {"carryforward": carry, "used_this_year": float(r.ca_credit_used[0]),
                  "credit_line": None if line != line else line}
    year = int(one.year[0])
    notes = []
    if bool(r.ca_already_in_amt[0]):
        notes.append(f"Already in California AMT: {_usd(float(r.ca_amt[0]))} is owed before any more spread, so "
                     "there is no California room this year.")
    if amount == federal_room:
        notes.append("The two lines are equal: federal and California AMT start at the same spread.")
    return {
        "year": year,
        "projected": bool(ca_law.is_projected(year)),
        "inputs": {"property_tax": property_tax, "ca_amt_credit_carryforward": carry},
        "amt_room": amount,
        "already_in_amt": bool(r.ca_already_in_amt[0]),
        "regular_tax": float(r.ca_regular_tax[0]),
        "tentative_minimum_tax": float(r.ca_tentative_minimum_tax[0]),
        "amt": float(r.ca_amt[0]),
        "deduction_at_line": "itemized" if bool(r.ca_itemized_at_line[0]) else "standard",
        "marginal_amt_rate": rate,
        "room_after_margin": float(np.floor(amount * (1.0 - margin))),
        "shares": shares,
        "shares_after_margin": shares_after,
        "credit": credit,
        "binding": binding,
        "binding_room": min(amount, federal_room),
        "binding_room_after_margin": min(float(np.floor(amount * (1.0 - margin))), float(data["room_after_margin"])),
        "binding_shares": None if shares is None else min(shares, data["shares"]),
        "notes": ca_year_notes(ca_law, year, int(one.filing_status[0])),
    }


def render_room_california(data: dict[str, Any]) -> str:
    """Federal and California lines side by side, and which one binds."""
    from isoplan.report.text import table

    ca = data["california"]
    label = f"{ca['year']} (PROJECTED)" if ca["projected"] else str(ca["year"])
    rows = [
        ["Regular tax (1040 line 16 / 540 line 31)", _usd(data["regular_tax"]), _usd(ca["regular_tax"])],
        ["Tentative minimum tax now (6251 line 9 / P line 24)", _usd(data["tentative_minimum_tax"]),
         _usd(ca["tentative_minimum_tax"])],
        ["AMT now (6251 line 11 / P line 26)", _usd(data["amt"]), _usd(ca["amt"])],
        ["AMT room: more ISO spread with no AMT", _usd(data["amt_room"]), _usd(ca["amt_room"])],
        [f"Room after a {data['margin']:.0%} margin", _usd(data["room_after_margin"]), _usd(ca["room_after_margin"])],
        ["AMT per dollar past the line", f"{data['marginal_amt_rate']:.1%}", f"{ca['marginal_amt_rate']:.1%}"],
    ]
    if ca["shares"] is not None:
        rows.append(["Shares within the room", f"{data['shares']:,}", f"{ca['shares']:,}"])
    fed_credit, ca_credit = data["credit"], ca["credit"]
    if (fed_credit and fed_credit["credit_line"] is not None) or (ca_credit and ca_credit["credit_line"] is not None):
        def credit_cell(c: Any) -> str:
            return _usd(c["credit_line"]) if c and c["credit_line"] is not None else "-"
        rows.append(["Credit line (8801 / FTB 3510)", credit_cell(fed_credit), credit_cell(ca_credit)])
    which = "California" if ca["binding"] == "california" else "federal"
    shares = f" ({ca['binding_shares']:,} shares)" if ca["binding_shares"] is not None else ""
    parts = [f"Federal and California AMT room, {label}",
             table(["", "federal", "California"], rows, align="lrr"),
             "",
             f"Binding line: {which}, the smaller one: {_usd(ca['binding_room'])} of spread{shares} owes neither "
             "AMT; past it the " + ("California AMT (Schedule P (540))" if ca["binding"] == "california" else
                                    "federal AMT (Form 6251)") + " starts."]
    parts += ["", *("Note: " + n for n in ca["notes"])]
    return "\n".join(parts)


def room_json(h: Any, room: Any, law: Any, *, deduction: str, margin: float,
              spread_per_share: float | None, underwater: bool, i: int = 0) -> dict[str, Any]:
    """Everything ``isoplan room`` shows for household ``i``, as plain data (fields: docs/room-and-cost.md)."""
    import numpy as np

    from isoplan.planning.room import amt_at_spreads, shares_for_spread, zone_past_line
    from isoplan.tax.explain import year_notes
    from isoplan.tax.law import STATUSES

    one = h.take(np.array([i]))
    year, status_code = int(one.year[0]), int(one.filing_status[0])
    status = STATUSES[status_code]
    amount = float(room.amt_room[i])
    already = bool(room.already_in_amt[i])
    after_margin = float(np.floor(amount * (1.0 - margin)))
    zone = zone_past_line(one, np.array([amount]), law, deduction=deduction)
    rate = round(float(zone.rate[0]), 6)  # a one-dollar difference of two large amounts: keep 6 digits
    description = _zone_text(law, year, status, zone)

    shares = shares_after = None
    if spread_per_share is not None and spread_per_share > 0:
        shares = _whole(shares_for_spread(np.array([amount]), np.array([spread_per_share]))[0])
        shares_after = _whole(shares_for_spread(np.array([amount * (1.0 - margin)]), np.array([spread_per_share]))[0])

    # what exercising past the line costs: spread beyond the room (whole shares when a spread per share is given)
    past: list[dict[str, Any]] = []
    if shares:
        assert spread_per_share is not None
        base = shares * spread_per_share
        extra_shares = [max(1, int(np.ceil(step * shares))) for step in _PAST_LINE_STEPS]
        extra_spread = [k * spread_per_share for k in extra_shares]
    elif amount > 0 and spread_per_share is None:
        base = amount
        extra_shares = []
        extra_spread = [float(np.ceil(step * amount)) for step in _PAST_LINE_STEPS]
    else:
        base, extra_spread, extra_shares = amount, [], []
    if extra_spread:
        r = amt_at_spreads(one, np.array([[base + e for e in extra_spread]]), law, deduction=deduction)
        for j, step in enumerate(_PAST_LINE_STEPS):
            amt = round(float(r.amt[j]), 2)
            row: dict[str, Any] = {"past_by": step, "extra_spread": extra_spread[j], "amt": amt,
                                   "average_rate": round(amt / extra_spread[j], 6)}
            if extra_shares:
                row["extra_shares"] = extra_shares[j]
                row["amt_per_extra_share"] = round(amt / extra_shares[j], 4)
            past.append(row)

    credit = None
    carryforward = float(one.amt_credit_carryforward[0])
    if carryforward > 0:
        line = float(room.credit_line[i])
        credit = {
            "carryforward": carryforward,
            "used_this_year": float(room.credit_used[i]),
            "credit_line": None if line != line else line,
            "explanation": _credit_text(carryforward, float(room.credit_used[i]), line, amount, already),
        }
    notes = []
    if already:
        notes.append(f"Already in AMT: the household owes {_usd(float(room.amt[i]))} of AMT before any more spread, "
                     f"so there is no room this year; each more dollar of spread costs about {rate:.1%}.")
    elif float(room.regular_tax[i]) == 0:
        notes.append("No regular tax: the room is the spread the AMT exemption (and any 0% capital-gain band in "
                     "Part III) absorbs; AMT is owed as soon as the tentative minimum tax is above $0.")
    if bool(room.election_switch[i]):
        kind = "itemizes" if bool(room.itemized_at_line[i]) else "takes the standard deduction"
        notes.append(f"The room is longer than the line of the larger deduction because there the cheaper "
                     f"election {kind} (IRC §63(e)): no more regular tax, and AMTI stays lower.")
    if underwater:
        notes.append("The option is at or under water (FMV at or below the strike): its spread is $0, so "
                     "exercising it triggers no AMT.")
    notes += year_notes(law, year, status_code)
    return {
        "year": year,
        "filing_status": status,
        "projected": bool(law.is_projected(year)),
        "inputs": one.row(0),
        "deduction": deduction,
        "amt_room": amount,
        "already_in_amt": already,
        "regular_tax": float(room.regular_tax[i]),
        "tentative_minimum_tax": float(room.tentative_minimum_tax[i]),
        "amt": float(room.amt[i]),
        "deduction_at_line": "itemized" if bool(room.itemized_at_line[i]) else "standard",
        "election_switch": bool(room.election_switch[i]),
        "marginal_amt_rate": rate,
        "zone": {
            "phase_out": bool(zone.phase_out[0]),
            "mfs_addon": bool(zone.mfs_addon[0]),
            "upper_rate": bool(zone.upper_rate[0]),
            "gains_pulled_in": bool(zone.gains_pulled_in[0]),
            "description": description,
        },
        "margin": margin,
        "room_after_margin": after_margin,
        "spread_per_share": spread_per_share,
        "underwater": underwater,
        "shares": shares,
        "shares_after_margin": shares_after,
        "past_the_line": past,
        "credit": credit,
        "notes": notes,
    }


def _zone_text(law: Any, year: int, status: str, zone: Any) -> str:
    """Why the AMT rate past the line is what it is, from the law's own parameters."""
    rates = law.laws[year].value("amt_rates", status)
    phaseout_rate = float(law.laws[year].value("amt_phaseout_rate", status))
    low, high = float(rates[0]), float(rates[1])
    base = high if zone.upper_rate[0] else low
    parts = []
    if zone.gains_pulled_in[0]:
        parts.append("the spread fills AMT base that the exemption kept free, and Part III taxes that layer as "
                     "capital gain (0%/15%/20%), so each dollar pulls a dollar of gain into the AMT at its rate")
    else:
        parts.append(f"{base:.0%} AMT bracket" + (" (above the 26%/28% breakpoint)" if zone.upper_rate[0] else ""))
    if zone.phase_out[0]:
        multiplier = 1.0 + phaseout_rate
        parts.append(f"exemption phase-out: each dollar also removes {phaseout_rate:.0%} of a dollar of exemption, "
                     f"so {base:.0%} x {multiplier:g} = {base * multiplier:.1%}")
    if zone.mfs_addon[0]:
        addon = float(law.laws[year].value("amt_mfs_addon_rate", status))
        parts.append(f"married-filing-separately add-on (IRC §55(d)): AMTI grows by another {addon:.0%} of "
                     "each dollar")
    return "; ".join(parts)


def _credit_text(carryforward: float, used: float, line: float, room: float, already: bool) -> str:
    if already:
        return ("No minimum tax credit can be used this year: the tentative minimum tax is above the regular "
                "tax. The credit stays carried forward.")
    if used <= 0:
        return ("No minimum tax credit can be used this year: regular tax does not exceed the tentative minimum "
                "tax (Form 8801 limit, IRC §53(c)). The credit stays carried forward.")
    if line != line:
        return ""
    head = (f"This year you use {_usd(used)} of your {_usd(carryforward)} credit (limited to regular tax minus "
            "TMT, IRC §53(c)). ")
    if line <= 0:
        return head + ("That limit already binds: every dollar of spread reduces this year's credit use, "
                       f"by the AMT rate, until the AMT line at {_usd(room)}. ")  + _credit_kept()
    return head + (f"Up to {_usd(line)} of spread leaves that unchanged; past it each dollar reduces this year's "
                   f"credit use by the AMT rate, until the AMT line at {_usd(room)}. ") + _credit_kept()


def _credit_kept() -> str:
    return "Credit not used this year is carried forward, not lost."


def render_room(data: dict[str, Any]) -> str:
    """The human-readable ``isoplan room`` report."""
    from isoplan.report.text import table

    label = f"{data['year']} (PROJECTED)" if data["projected"] else str(data["year"])
    rows = [
        ["Regular tax (Form 1040 line 16)", _usd(data["regular_tax"])],
        ["Tentative minimum tax now (Form 6251 line 9)", _usd(data["tentative_minimum_tax"])],
        ["AMT now (Form 6251 line 11)", _usd(data["amt"])],
        ["AMT room: more ISO spread with no AMT", _usd(data["amt_room"])],
        [f"Room after a {data['margin']:.0%} margin", _usd(data["room_after_margin"])],
    ]
    if data["credit"] and data["credit"]["credit_line"] is not None:
        rows.append(["Credit line: spread before credit use shrinks", _usd(data["credit"]["credit_line"])])
    parts = [f"AMT room, {label}, {data['filing_status']}", table(["", "amount"], rows)]
    if data["shares"] is not None:
        parts += ["", f"At {_usd(data['spread_per_share'], cents=True)} of spread per share the room buys "
                      f"{data['shares']:,} shares ({data['shares_after_margin']:,} after the margin)."]
    elif data["underwater"]:
        parts += ["", "Spread per share is $0: exercising triggers no AMT, whatever the number of shares."]
    rate = data["marginal_amt_rate"]
    parts += ["", f"Past the line each dollar of spread costs {rate:.1%} in AMT: {data['zone']['description']}."]
    if data["past_the_line"]:
        with_shares = "extra_shares" in data["past_the_line"][0]
        headers = ["past the line", *(["extra shares"] if with_shares else []), "extra spread", "AMT",
                   *(["AMT per share"] if with_shares else []), "average rate"]
        body = []
        for row in data["past_the_line"]:
            body.append([
                f"+{row['past_by']:.0%} of the room",
                *([f"{row['extra_shares']:,}"] if with_shares else []),
                _usd(row["extra_spread"]),
                _usd(row["amt"]),
                *([_usd(row["amt_per_extra_share"], cents=True)] if with_shares else []),
                f"{row['average_rate']:.1%}",
            ])
        parts += ["", "Exercising past the line", table(headers, body)]
    if data["credit"] and data["credit"]["explanation"]:
        parts += ["", "Minimum tax credit (Form 8801): " + data["credit"]["explanation"]]
    if data["notes"]:
        parts += ["", *("Note: " + n for n in data["notes"])]
    parts += ["", "A planning estimate of federal tax, not tax advice."]
    return "\n".join(parts)


def _room_batch(args: argparse.Namespace, law: Any, spread_per_share: float | None) -> int:
    import csv

    import numpy as np

    from isoplan.planning.room import amt_room, shares_for_spread

    header, rows, h = read_household_csv(args.batch)
    room = amt_room(h, law, deduction=args.deduction)
    columns: dict[str, Any] = {"amt_room": room.amt_room, "already_in_amt": room.already_in_amt}
    if "amt_credit_carryforward" in header:
        columns["credit_line"] = room.credit_line
    if spread_per_share is not None and spread_per_share > 0:
        per = np.full(len(h), spread_per_share)
        columns["shares"] = shares_for_spread(room.amt_room, per)
        columns["shares_after_margin"] = shares_for_spread(room.amt_room * (1.0 - args.margin), per)
    state = _state_code(getattr(args, "state", None))
    if state == "CA":  # every row a California resident, with the --property-tax / --ca-credit-carryforward flags
        from isoplan.planning.room import california_amt_room
        from isoplan.tax.california import ca_law_table

        property_tax, carry = _ca_inputs(args)
        ca = california_amt_room(h, ca_law_table(getattr(args, "inflation", None)), property_tax=property_tax,
                                 ca_amt_credit_carryforward=carry, deduction=args.deduction)
        columns["ca_amt_room"] = ca.ca_amt_room
        columns["ca_already_in_amt"] = ca.ca_already_in_amt
        if carry > 0:
            columns["ca_credit_line"] = ca.ca_credit_line
        columns["binding"] = np.where(ca.ca_amt_room < room.amt_room, "california", "federal")
    elif state:
        print(f"isoplan room: note: {_other_state_note(state)}", file=sys.stderr)
    lists = {k: v.tolist() for k, v in columns.items()}
    with contextlib.ExitStack() as stack:
        handle = stack.enter_context(open(args.out, "w", newline="", encoding="utf-8")) if args.out else sys.stdout
        writer = csv.writer(handle)
        writer.writerow([*header, *columns])
        for i, row in enumerate(rows):
            out = []
            for k in columns:
                value = lists[k][i]
                if isinstance(value, bool):
                    out.append(str(value).lower())
                elif isinstance(value, str):
                    out.append(value)
                elif value != value:  # no credit line for this row
                    out.append("")
                else:
                    out.append(str(int(value)))
            writer.writerow([row.get(c, "") for c in header] + out)
    return 0

