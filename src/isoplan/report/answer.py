"""The answer of each command in one sentence: the decision, with two or three numbers.

Each result record of the application layer carries its sentence as ``answer`` (the first line of the
text, the first thing of the report and a key of the JSON), built here from the record's own figures.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from isoplan.report.format import count, date, money, month_year, percent

__all__ = ["checklist_answer", "cost_answer", "ledger_answer", "ledger_figures", "plan_answer",
           "risk_answer", "room_answer", "schedule_text",
           "tax_answer"]


def _year_label(year: int, projected: bool) -> str:
    return f"{year} (projected law)" if projected else str(year)


def room_answer(data: Any) -> str:
    """``In YEAR you can exercise N shares ($X of spread) with no AMT; M with a 10% cushion.``

    ``data`` is an isoplan.app RoomResult (the report layer, below the application layer, does not import it).

    The AMT-free room is the spread that keeps the tentative minimum tax (Form 6251 line 9) at or below the
    regular tax (Form 1040 line 16); with the state CA the smaller of the federal and the Schedule P (540)
    lines binds."""
    when = f"In {_year_label(data.year, data.projected)}"
    ca = data.california
    which = "AMT" if ca is None else "federal or California AMT"
    room, after = data.amt_room, data.room_after_margin
    shares, shares_after = data.shares, data.shares_after_margin
    if ca is not None:
        room, after = ca.binding_room, ca.binding_room_after_margin
        if ca.binding == "california":
            shares, shares_after = ca.shares, ca.shares_after_margin
    cushion = percent(data.margin)
    if data.already_in_amt:
        return (f"{when} you are already in AMT: every dollar of ISO spread adds "
                f"{percent(data.marginal_amt_rate, digits=1)} in federal AMT, so there is no AMT-free room.")
    if ca is not None and room <= 0:
        return (f"{when} you are already in California AMT: every dollar of ISO spread adds "
                f"{percent(ca.marginal_amt_rate, digits=1)} in California AMT, so there is no AMT-free room.")
    if data.underwater:
        return f"{when} the spread is $0 a share: you can exercise any number of shares with no {which}."
    if shares is not None and shares_after is not None:
        return (f"{when} you can exercise {count(shares, 'shares')} ({money(room)} of spread) with no {which}; "
                f"{count(shares_after)} with a {cushion} cushion.")
    return (f"{when} you can exercise {money(room)} of ISO spread with no {which}; {money(after)} with a "
            f"{cushion} cushion.")


def cost_answer(data: Any) -> str:
    """``Exercising N shares in YEAR costs $X in all: $S of strike plus $T of tax.``

    ``data`` is an isoplan.app CostResult (the report layer, below the application layer, does not import it).

    The tax is every modeled jurisdiction's: federal (Form 1040, Form 6251, Form 8801) and, with the state
    CA, California (Form 540 with Schedule P (540))."""
    ex = data.exercise
    when = _year_label(data.year, data.projected)
    ca = data.california
    federal = float(data.tax["incremental"]["total_tax"])
    if ca is None:
        total = data.outlay.total
        tax = f"{money(federal)} of federal tax"
    else:
        california = float(ca.outlay["california_tax"])
        total = float(ca.outlay["total"])
        tax = f"{money(federal + california)} of tax (federal {money(federal)}, California {money(california)})"
    return (f"Exercising {count(ex.shares, 'shares')} in {when} costs {money(total)} in all: "
            f"{money(ex.strike_cash)} of strike plus {tax}.")


def tax_answer(data: Any) -> str:
    """``Total federal tax for YEAR: $X, of which $A is AMT (Form 6251 line 11).``

    ``data`` is an isoplan.app TaxResult (the report layer, below the application layer, does not import it)."""
    when = _year_label(data.year, data.projected)
    f = data.outputs
    ca = data.california
    if ca is None:
        return (f"Total federal tax for {when}: {money(f.total_tax)}, of which {money(f.amt)} is AMT "
                "(Form 6251 line 11).")
    c = ca.outputs
    return (f"Total tax for {when}: {money(f.total_tax + c.ca_total_tax)} (federal {money(f.total_tax)}, "
            f"California {money(c.ca_total_tax)}), of which AMT {money(f.amt)} federal and {money(c.ca_amt)} "
            "California.")


def schedule_text(years: Sequence[Mapping[str, Any]]) -> str:
    """The exercises of a schedule: ``January YEAR: N shares; January YEAR+1: M``."""
    parts: list[str] = []
    for y in years:
        shares = sum(int(v) for v in y["shares"].values())
        if shares and y.get("exercise_date"):
            parts.append(f"{month_year(y['exercise_date'])}: {count(shares, 'shares' if not parts else None)}")
    return "; ".join(parts)


def plan_answer(data: Mapping[str, Any]) -> str:
    """The recommended schedule, its after-tax value at the exit and its lead over the best alternative."""
    rec = data["recommended"]
    schedule = schedule_text(rec["years"])
    feasible = [b["advantage_of_plan"] for b in data["baselines"] if b["feasible"]]
    lead = (f", {money(min(feasible))} ahead of the best alternative that fits the limits"
            if feasible and min(feasible) >= 0.5 else "")
    value = f"{money(rec['after_tax_value'])} after tax at the exit{lead}"
    if rec.get("certainty_equivalent") is not None:
        value = (f"certainty equivalent {money(rec['certainty_equivalent'])}{_risk_lead(data)}; "
                 f"{money(rec['after_tax_value'])} after tax at the exit on the assumed price path")
    if not schedule:
        return f"Exercise nothing before the exit ({date(data['exit']['date'])}): {value}."
    return f"Exercise {schedule}{_policy_clause(rec)} ({value}).{_past_clause(rec, data.get('today'))}"


def _past_clause(rec: Mapping[str, Any], today: str | None) -> str:
    """A warning when the schedule exercises on a date before the day the plan is made: such an exercise can no
    longer be made, so the sentence must not read as advice to make it."""
    if today is None:
        return ""
    past = sorted(str(y["exercise_date"]) for y in rec["years"]
                  if y.get("exercise_date") and sum(int(v) for v in y["shares"].values())
                  and str(y["exercise_date"]) < today)
    if not past:
        return ""
    return (f" {month_year(past[0])} is before today ({date(today)}): that exercise can no longer be made; "
            "see the notes.")


def _risk_lead(data: Mapping[str, Any]) -> str:
    """The risk choice's lead in certainty equivalent over the best other strategy that fits the limits."""
    name = data["recommended"]["name"]
    rows = [b for b in data["baselines"] if b["feasible"]] + list(data.get("risk_objective", {}).get("policies", []))
    leads = [r["certainty_equivalent_advantage_of_plan"] for r in rows
             if r["name"] != name and r.get("certainty_equivalent_advantage_of_plan") is not None]
    return f", {money(min(leads))} above the best alternative" if leads and min(leads) >= 0.5 else ""


def _policy_clause(rec: Mapping[str, Any]) -> str:
    """What the risk choice does beyond its exercises: the sales that make it the choice."""
    clauses = []
    if rec.get("sell_down_to") is not None:
        clauses.append(f"then, once lots qualify, sell down to {percent(rec['sell_down_to'])} of net worth")
    if rec.get("escape_hatch"):
        clauses.append("sell a year's lot in the same year if the price falls below the escape-hatch trigger")
    return "".join(f"; {c}" for c in clauses)


def risk_answer(data: Mapping[str, Any]) -> str:
    """The verdict of the simulation: the cash at risk before a liquidity event, or the stress test (does the
    cash still cover strike and tax after the price falls) with the chance that holding ends worse."""
    pre, peak, hold = data.get("pre_ipo"), data.get("peak"), data.get("hold_vs_sell")
    if pre and "exercise_now" in pre:
        now = pre["exercise_now"]
        affordable = pre.get("affordable_loss")
        limit = ("" if affordable is None else
                 f": more than the {money(affordable)} you can afford to lose" if pre.get("exceeds_affordable_loss")
                 else f": within the {money(affordable)} you can afford to lose")
        return (f"Exercising {count(now['shares'], 'shares')} now ({date(now['date'])}) puts "
                f"{money(pre['cash_at_risk'])} at risk and loses money on {percent(pre['prob_cash_lost'])} of the "
                f"paths{limit}.")
    if peak and {"shares", "exercise_date", "drop", "strike_cash", "tax_now", "covered_after_drop"} <= peak.keys():
        outlay = float(peak["strike_cash"]) + float(peak["tax_now"])
        covered = ("cash still covers" if peak["covered_after_drop"] else
                   f"cash falls {money(peak['cash_gap'])} short of")
        text = (f"Exercising {count(peak['shares'], 'shares')} on {date(peak['exercise_date'])}: if the price "
                f"falls {percent(peak['drop'])}, your {covered} the {money(outlay)} of strike and tax")
        held = {s["name"]: s for s in (hold or {}).get("strategies", [])}.get("hold to qualifying")
        if held and held.get("prob_worse_than_sell_now") is not None:
            text += (f"; holding to qualifying ends worse than selling now on "
                     f"{percent(held['prob_worse_than_sell_now'])} of the paths")
        return text + "."
    timing = data.get("timing")
    if timing and timing.get("summary"):
        return str(timing["summary"])
    return f"{count(data.get('paths') or 0, 'price paths')} simulated: no section to judge for this plan."


def checklist_answer(data: Mapping[str, Any]) -> str:
    """The overall state of the exercise year, the items that stop it (or need a check) and the exercise."""
    items = data["items"]
    overall = str(data["overall"]).upper()
    stops = [i["title"] for i in items if i["status"] == "stop"]
    checks = [i["title"] for i in items if i["status"] == "warning"]
    text = f"{data['year']} exercise checklist: {overall}"
    if stops:
        text += f"; stop: {'; '.join(stops)}"
    elif checks:
        text += f"; check: {'; '.join(checks)}"
    else:
        text += "; nothing stops the exercise"
    first: Mapping[str, Any] = next((i["numbers"] for i in items if i["key"] == "bargain_element"), {})
    if first.get("shares") and first.get("exercise_date"):
        text += (f" ({count(first['shares'], 'shares')} on {date(first['exercise_date'])}, "
                 f"{money(float(first['bargain_element']))} of spread)")
    return text + "."


def ledger_figures(data: Mapping[str, Any], today: datetime.date) -> dict[str, Any]:
    """The ledger's headline numbers: grants, shares held, the next qualifying date still ahead of ``today``
    (IRC §422(a)(1): two years from the grant and one from the exercise) and the AMT credit carried forward
    (Form 8801 line 26)."""
    held = [lot for lot in data["lots"] if lot["held"] > 0]
    waiting = sorted((lot["qualifying_date"], lot["id"]) for lot in held
                     if lot.get("qualifying_date") and lot["qualifying_date"] > today.isoformat())
    years = data["years"]
    return {"grants": len(data["grants"]), "lots_held": len(held), "shares_held": sum(lot["held"] for lot in held),
            "next_qualifying_date": waiting[0][0] if waiting else None,
            "next_qualifying_lot": waiting[0][1] if waiting else None,
            "credit_carried_forward": float(years[-1]["credit_carried_forward"] or 0) if years else None,
            "credit_carried_into": years[-1]["year"] + 1 if years else None}


def ledger_answer(data: Mapping[str, Any], today: datetime.date) -> str:
    """What the ledger holds and what comes next (:func:`ledger_figures`)."""
    figures = ledger_figures(data, today)
    if not figures["grants"]:
        return "The ledger is empty: record a grant first, then its exercises and sales."
    if not figures["lots_held"]:
        return (f"{count(figures['grants'], 'grants')} recorded and no shares held: record an exercise when you "
                f"buy shares.")
    text = f"You hold {count(figures['shares_held'], 'shares')} in {count(figures['lots_held'], 'lots')}"
    if figures["next_qualifying_lot"] is not None:
        text += f"; the next to qualify is {figures['next_qualifying_lot']} on {date(figures['next_qualifying_date'])}"
    carried = figures["credit_carried_forward"] or 0.0
    if carried >= 0.5:
        text += f"; {money(carried)} of AMT credit carries into {figures['credit_carried_into']}"
    return text + "."
