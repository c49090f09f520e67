"""The text of ``isoplan room``: the AMT-free room (Form 6251), and California's line (Schedule P (540))."""

from __future__ import annotations

from typing import TYPE_CHECKING

from isoplan.report.text import money as _usd
from isoplan.report.text import table

if TYPE_CHECKING:
    from isoplan.app.room import CaliforniaCredit, RoomCredit, RoomResult


def render_room(data: RoomResult) -> str:
    """The human-readable ``isoplan room`` report."""
    label = f"{data.year} (PROJECTED)" if data.projected else str(data.year)
    rows = [
        ["Regular tax (Form 1040 line 16)", _usd(data.regular_tax)],
        ["Tentative minimum tax now (Form 6251 line 9)", _usd(data.tentative_minimum_tax)],
        ["AMT now (Form 6251 line 11)", _usd(data.amt)],
        ["AMT room: more ISO spread with no AMT", _usd(data.amt_room)],
        [f"Room after a {data.margin:.0%} margin", _usd(data.room_after_margin)],
    ]
    if data.credit and data.credit.credit_line is not None:
        rows.append(["Credit line: spread before credit use shrinks", _usd(data.credit.credit_line)])
    parts = [f"AMT room, {label}, {data.filing_status}", table(["", "amount"], rows)]
    if data.shares is not None:
        assert data.spread_per_share is not None and data.shares_after_margin is not None
        parts += ["", f"At {_usd(data.spread_per_share, cents=True)} of spread per share the room buys "
                      f"{data.shares:,} shares ({data.shares_after_margin:,} after the margin)."]
    elif data.underwater:
        parts += ["", "Spread per share is $0: exercising triggers no AMT, whatever the number of shares."]
    rate = data.marginal_amt_rate
    parts += ["", f"Past the line each dollar of spread costs {rate:.1%} in AMT: {data.zone.description}."]
    if data.past_the_line:
        with_shares = data.past_the_line[0].extra_shares is not None
        headers = ["past the line", *(["extra shares"] if with_shares else []), "extra spread", "AMT",
                   *(["AMT per share"] if with_shares else []), "average rate"]
        body = []
        for row in data.past_the_line:
            body.append([
                f"+{row.past_by:.0%} of the room",
                *([f"{row.extra_shares:,}"] if with_shares else []),
                _usd(row.extra_spread),
                _usd(row.amt),
                *([_usd(row.amt_per_extra_share or 0.0, cents=True)] if with_shares else []),
                f"{row.average_rate:.1%}",
            ])
        parts += ["", "Exercising past the line", table(headers, body)]
    if data.credit and data.credit.explanation:
        parts += ["", "Minimum tax credit (Form 8801): " + data.credit.explanation]
    if data.notes:
        parts += ["", *("Note: " + n for n in data.notes)]
    parts += ["", "A planning estimate of federal tax, not tax advice."]
    return "\n".join(parts)


def _credit_cell(credit: RoomCredit | CaliforniaCredit | None) -> str:
    return _usd(credit.credit_line) if credit and credit.credit_line is not None else "-"


def render_room_california(data: RoomResult) -> str:
    """Federal and California lines side by side, and which one binds."""
    ca = data.california
    assert ca is not None, "render_room_california needs a result with the state CA"
    label = f"{ca.year} (PROJECTED)" if ca.projected else str(ca.year)
    rows = [
        ["Regular tax (1040 line 16 / 540 line 31)", _usd(data.regular_tax), _usd(ca.regular_tax)],
        ["Tentative minimum tax now (6251 line 9 / P line 24)", _usd(data.tentative_minimum_tax),
         _usd(ca.tentative_minimum_tax)],
        ["AMT now (6251 line 11 / P line 26)", _usd(data.amt), _usd(ca.amt)],
        ["AMT room: more ISO spread with no AMT", _usd(data.amt_room), _usd(ca.amt_room)],
        [f"Room after a {data.margin:.0%} margin", _usd(data.room_after_margin), _usd(ca.room_after_margin)],
        ["AMT per dollar past the line", f"{data.marginal_amt_rate:.1%}", f"{ca.marginal_amt_rate:.1%}"],
    ]
    if ca.shares is not None:
        rows.append(["Shares within the room", f"{data.shares:,}", f"{ca.shares:,}"])
    fed_credit, ca_credit = data.credit, ca.credit
    if (fed_credit and fed_credit.credit_line is not None) or (ca_credit and ca_credit.credit_line is not None):
        rows.append(["Credit line (8801 / FTB 3510)", _credit_cell(fed_credit), _credit_cell(ca_credit)])
    which = "California" if ca.binding == "california" else "federal"
    shares = f" ({ca.binding_shares:,} shares)" if ca.binding_shares is not None else ""
    parts = [f"Federal and California AMT room, {label}",
             table(["", "federal", "California"], rows, align="lrr"),
             "",
             f"Binding line: {which}, the smaller one: {_usd(ca.binding_room)} of spread{shares} owes neither "
             "AMT; past it the " + ("California AMT (Schedule P (540))" if ca.binding == "california" else
                                    "federal AMT (Form 6251)") + " starts."]
    parts += ["", *("Note: " + n for n in ca.notes)]
    return "\n".join(parts)


def render_room_with_state(data: RoomResult) -> str:
    """The text of ``isoplan room``: the answer, the federal room, then California (state CA) or the note for
    another state."""
    text = data.answer + "\n\n" + render_room(data)
    if data.california is not None:
        text += "\n\n" + render_room_california(data)
    elif data.state_note:
        text += "\n\nNote: " + data.state_note
    return text
