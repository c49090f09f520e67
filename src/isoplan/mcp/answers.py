"""The short text answer beside each MCP tool's JSON: the decision first, then the figures behind it.

Each function takes the JSON of a result record (its ``as_dict()``, the same as ``--json``) and words
it; nothing here computes a figure that the record does not hold. Amounts are whole US dollars.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from isoplan.report.text import money

__all__ = [
    "checklist_answer",
    "cost_answer",
    "grant_added_answer",
    "grants_answer",
    "income_answer",
    "lots_answer",
    "plan_answer",
    "risk_answer",
    "room_answer",
    "sales_answer",
    "tax_answer",
    "years_answer",
]

Data = Mapping[str, Any]

#: The closing line of every answer that carries tax figures.
ESTIMATE = "A planning estimate, not tax advice."


def _shares(count: Any) -> str:
    return "" if count is None else f" ({count:,} shares)"


def _lines(*parts: str | None) -> str:
    return "\n".join(p for p in parts if p)


def _state_note(data: Data) -> str | None:
    note = data.get("state_note")
    return str(note) if note else None


def room_answer(data: Data) -> str:
    """``room``: how much ISO spread fits under the AMT line, what crossing it costs, California beside it."""
    year = data["year"]
    rate = f"{data['marginal_amt_rate']:.1%}"
    zone = data["zone"]["description"]
    if data["already_in_amt"]:
        lead = (f"In {year} you are already paying AMT ({money(data['amt'])}, Form 6251 line 11): there is no "
                f"AMT-free room, and each added dollar of ISO spread costs {rate} in AMT ({zone}).")
    else:
        lead = (f"In {year} you can add {money(data['amt_room'])} of ISO spread{_shares(data.get('shares'))} "
                f"with no AMT; past that line each dollar of spread costs {rate} in AMT ({zone}). "
                f"Keeping a {data['margin']:.0%} margin: {money(data['room_after_margin'])}"
                f"{_shares(data.get('shares_after_margin'))}.")
    if data.get("underwater"):
        lead += " The option is under water (FMV at or below the strike): exercising it adds no spread."
    credit = data.get("credit")
    credit_text = None
    if credit and credit.get("explanation"):
        credit_text = str(credit["explanation"])
    ca = data.get("california")
    ca_text = None
    if ca:
        binding = "California's (Schedule P (540))" if ca["binding"] == "california" else "the federal"
        ca_text = (f"With California: its AMT-free room is {money(ca['amt_room'])}; {binding} line binds, so "
                   f"the room for both is {money(ca['binding_room'])}{_shares(ca.get('binding_shares'))}.")
    return _lines(lead, credit_text, ca_text, _state_note(data), ESTIMATE)


def tax_answer(data: Data) -> str:
    """``tax``: whether the AMT applies, then the total and its parts."""
    out = data["outputs"]
    year, status = data["year"], data["inputs"]["filing_status"]
    if out["amt"] > 0:
        lead = (f"In {year} ({status}) you owe {money(out['amt'])} of AMT (Form 6251 line 11) on top of "
                f"{money(out['regular_tax'])} of regular tax (Form 1040 line 16).")
    else:
        lead = (f"No AMT in {year} ({status}): the tentative minimum tax {money(out['tentative_minimum_tax'])} "
                f"(Form 6251 line 9) is below the regular tax {money(out['regular_tax'])} (Form 1040 line 16).")
    parts = [f"Total federal tax modeled: {money(out['total_tax'])}"]
    if out["niit"]:
        parts.append(f"NIIT {money(out['niit'])}")
    if out["additional_medicare_tax"]:
        parts.append(f"Additional Medicare Tax {money(out['additional_medicare_tax'])}")
    if out["amt_credit_used"]:
        parts.append(f"minimum tax credit used {money(out['amt_credit_used'])} (Form 8801)")
    total = "; ".join(parts) + f"; {data['deduction_kind']} deduction."
    ca = data.get("california")
    ca_text = None
    if ca:
        c = ca["outputs"]
        ca_text = (f"California: total tax {money(c['ca_total_tax'])}, of which California AMT "
                   f"{money(c['ca_amt'])} (Schedule P (540) line 26).")
    return _lines(lead, total, ca_text, _state_note(data), ESTIMATE)


def cost_answer(data: Data) -> str:
    """``cost``: the real outlay of the exercise, how far past the room it goes, the stress test."""
    ex, outlay, room = data["exercise"], data["outlay"], data["room"]
    caused = data["tax"]["incremental"]
    lead = (f"Exercising {ex['shares']:,} shares in {data['year']} costs {money(outlay['total'])} in all: "
            f"{money(ex['strike_cash'])} of strike cash plus {money(caused['total_tax'])} of federal tax it causes "
            f"({money(caused['amt'])} of it AMT).")
    if room["already_in_amt"]:
        room_text = "You are already paying AMT before this exercise: all of its spread is taxed by the AMT."
    elif room["spread_past_room"] > 0:
        room_text = (f"It goes {money(room['spread_past_room'])} of spread past the AMT-free room of "
                     f"{money(room['amt_room'])}; {room['shares_within_room']:,} of these shares would fit.")
    else:
        room_text = f"It stays inside the AMT-free room of {money(room['amt_room'])}."
    stress = data["stress"]
    stress_text = (f"If the price then fell {stress['drop']:.0%}, the shares would be worth "
                   f"{money(stress['value_after_drop'])} against {money(stress['cash_needed'])} of strike and tax.")
    if stress.get("cash_covers") is False:
        stress_text += f" Your cash falls {money(stress['cash_gap'])} short."
    rescue = data.get("rescue")
    rescue_text = None
    if rescue and rescue.get("available"):
        rescue_text = (f"Selling by December 31 after such a fall would net {money(rescue['net_cash'])} after "
                       f"strike and tax, against {money(data['hold']['net'])} if held into next year.")
    return _lines(lead, room_text, stress_text, rescue_text, _state_note(data), ESTIMATE)


def _exercises(year: Data) -> str:
    shares: Mapping[str, int] = year.get("shares") or {}
    return ", ".join(f"{n:,} {block}" for block, n in shares.items())


def plan_answer(data: Data) -> str:
    """``plan``: the recommended exercises year by year, and what they gain over the simple strategies."""
    best = data["recommended"]
    steps = [f"{y['year']}: {_exercises(y)}" for y in best["years"] if y.get("shares")]
    schedule = "; ".join(steps) if steps else "exercise nothing before the exit"
    lead = (f"Recommended schedule: {schedule}. Total AMT {money(best['total_amt'])}; after-tax value at the exit "
            f"{money(best['after_tax_value'])}.")
    if not best.get("feasible", True):
        lead += " It does not fit every limit of the plan (cash or the $100,000 rule): read the notes."
    baselines: Sequence[Data] = data.get("baselines") or []
    compared = "; ".join(f"{b['name']} {money(b['after_tax_value'])} ({money(b['advantage_of_plan'])} less)"
                         for b in baselines if b.get("advantage_of_plan") is not None)
    catches: Sequence[str] = data.get("catches") or []
    return _lines(lead, f"Against: {compared}." if compared else None,
                  *(f"Catch: {c}" for c in catches), ESTIMATE)


def risk_answer(data: Data) -> str:
    """``risk``: the stress test and the timing first (their summaries), then hold versus sell."""
    parts: list[str | None] = []
    for section in ("peak", "timing"):
        block = data.get(section)
        if block and block.get("summary"):
            parts.append(str(block["summary"]))
    hold = data.get("hold_vs_sell")
    if hold and hold.get("strategies"):
        best = max(hold["strategies"], key=lambda s: s["certainty_equivalent"])
        parts.append(f"Hold or sell the {hold['shares']:,} shares exercised {hold['exercise_date']}: "
                     f"'{best['name']}' has the highest certainty equivalent ({money(best['certainty_equivalent'])}, "
                     f"median {money(best['median'])}).")
    parts.append(f"From {data['paths']:,} simulated price paths (seed {data['seed']}); a model, not a forecast.")
    return _lines(*parts, ESTIMATE)


def checklist_answer(data: Data) -> str:
    """``checklist``: the overall status, then each item's status and next action."""
    lead = f"Exercise-year checklist for {data['year']}: overall {str(data['overall']).upper()}."
    items = [f"{i['number']}. [{i['status']}] {i['title']}: {i['action']}" for i in data["items"]]
    return _lines(lead, *items, ESTIMATE)


def grants_answer(grants: Sequence[Data]) -> str:
    """``ledger_grants``: one line per grant."""
    if not grants:
        return "The ledger holds no grants."
    lines = [f"{g['id']}: {g['company']}, {str(g['kind']).upper()}, {g['shares']:,} shares at ${g['strike']} "
             f"granted {g['grant_date']}, {g['exercised']:,} exercised" for g in grants]
    return _lines(f"The ledger holds {len(grants)} grant(s):", *lines)


def lots_answer(lots: Sequence[Data]) -> str:
    """``ledger_lots`` (and the lots an exercise wrote): one line per lot with both bases."""
    if not lots:
        return "The ledger holds no lots."
    lines = [f"{lot['id']}: {lot['held']:,} of {lot['shares']:,} {str(lot['kind']).upper()} shares of "
             f"{lot['grant_id']} exercised {lot['exercise_date']}; regular basis ${lot['regular_basis']}, "
             f"AMT basis ${lot['amt_basis']}"
             + (f"; qualifies {lot['qualifying_date']}" if lot.get("qualifying_date") else "") for lot in lots]
    return _lines(f"{len(lots)} lot(s):", *lines)


def sales_answer(sales: Sequence[Data]) -> str:
    """``ledger_sell``: the sales recorded, one line per lot sold from."""
    lines = [f"{s['id']}: {s['shares']:,} shares of lot {s['lot_id']} sold {s['date']} at ${s['price']}"
             for s in sales]
    return _lines(f"Recorded {len(sales)} sale(s):", *lines)


def years_answer(data: Data) -> str:
    """``ledger_years``: each year's AMT and the minimum tax credit carried."""
    years: Sequence[Data] = data["years"]
    if not years:
        return "The ledger has no years with income or option events."
    lines = [f"{y['year']}: regular tax {money(y['outputs']['regular_tax'])}, AMT {money(y['outputs']['amt'])}, "
             f"credit created {money(y['credit_created'])}, used {money(y['credit_used'])}, carried forward "
             f"{money(y['credit_carried_forward'])}" for y in years]
    return _lines("Each year of the ledger (Form 1040, Form 6251, Form 8801):", *lines, ESTIMATE)


def grant_added_answer(grant_id: str, vesting_rule: str, schedule: Sequence[Data]) -> str:
    """``ledger_add_grant``: the grant recorded and how its vesting splits into tranches."""
    return f"Recorded grant {grant_id} ({vesting_rule}): {len(schedule)} vesting tranche(s)."


def income_answer(data: Data) -> str:
    """``ledger_set_income``: the year's entry as stored."""
    state = data.get("state") or "federal only"
    return f"Recorded {data['year']} ({data['filing_status']}, {state}): {len(data['income'])} amount(s) stored."
