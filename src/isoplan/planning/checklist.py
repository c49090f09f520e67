"""The exercise-year checklist: nine things to settle before spending a dollar on an exercise.

"Run this in order, before you spend a dollar." Each item is computed from
the plan and the recommended schedule of :func:`isoplan.planning.staging.run_plan`
(and, for item 9, the risk results of ``isoplan risk``), and gets a status
(ok / warning / stop), the numbers behind it and the next action in one
sentence. The titles, the cases and their wording live in one data file,
``checklist.toml`` next to this module; this module computes the numbers and
picks the case.

It also rebuilds the household of each plan year for a schedule
(:func:`schedule_households`), so the report can show every year's Form 6251
and Form 8801 lines from the engine (and, for a California plan, every
Schedule P (540) and FTB 3510 line: :func:`schedule_california_returns`).

For a plan whose state is CA, items 2, 4 and 7 show California beside
federal: item 2 both AMT-free rooms (the binding line is the smaller, as the
optimizer takes it), item 4 the tax due split into federal and California,
item 7 the California forms.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import numpy as np

from isoplan.equity.records import ISO, NSO, Lot
from isoplan.equity.rules import equity_rules
from isoplan.errors import InputError
from isoplan.planning.plan import Plan
from isoplan.planning.staging import CaliforniaYearRow, PlanOutcome, Strategy, evaluate
from isoplan.tax.federal import FederalResult, compute_federal
from isoplan.tax.households import Households

_TEXT_FILE = Path(__file__).with_name("checklist.toml")
STATUSES = ("ok", "warning", "stop")
_RANK = {s: i for i, s in enumerate(STATUSES)}


# ---------------------------------------------------------------- the wording (checklist.toml)


@dataclass(frozen=True)
class ItemText:
    number: int
    key: str
    title: str
    cases: dict[str, tuple[str, str]]  # case -> (status, action template)


@dataclass(frozen=True)
class ChecklistText:
    items: tuple[ItemText, ...]
    settings: dict[str, Any]
    law: dict[str, dict[str, Any]]
    california: dict[str, str] = field(default_factory=dict)  # item key -> extra sentence for a CA plan

    def item(self, key: str) -> ItemText:
        return next(i for i in self.items if i.key == key)


@functools.cache
def checklist_text() -> ChecklistText:
    """The items, their cases and wording, read from ``checklist.toml``."""
    data = tomllib.loads(_TEXT_FILE.read_text(encoding="utf-8"))
    items = []
    for raw in data["items"]:
        cases = {name: (case["status"], case["action"]) for name, case in raw["cases"].items()}
        items.append(ItemText(int(raw["number"]), raw["key"], raw["title"], cases))
    return ChecklistText(tuple(items), dict(data["settings"]), dict(data["law"]), dict(data.get("california", {})))


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class ChecklistItem:
    number: int
    key: str
    title: str
    status: str
    case: str
    numbers: dict[str, Any]
    action: str
    detail: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"number": self.number, "key": self.key, "title": self.title, "status": self.status,
                "numbers": self.numbers, "action": self.action, "case": self.case, "detail": list(self.detail)}


@dataclass(frozen=True)
class Checklist:
    year: int
    items: tuple[ChecklistItem, ...]
    events: tuple[dict[str, str], ...] = field(default=())  # dated reminders: {date, kind, lot, summary}
    risk_included: bool = False

    @property
    def overall(self) -> str:
        return max((i.status for i in self.items), key=_RANK.__getitem__, default="ok")

    def as_dict(self) -> dict[str, Any]:
        return {"year": self.year, "items": [i.as_dict() for i in self.items], "overall": self.overall,
                "events": list(self.events), "risk_included": self.risk_included}


# ---------------------------------------------------------------- the households of a schedule


def schedule_households(outcome: PlanOutcome, strategy: Strategy | None = None) -> list[Households]:
    """Each plan year's household (length 1) for ``strategy`` (default: the recommended schedule): the inputs
    the planner gave the engine (:meth:`~isoplan.planning.staging.PlanOutcome.year_household`)."""
    strategy = strategy or outcome.recommended
    return [outcome.year_household(strategy, t) for t in range(len(outcome.model.years))]


def schedule_returns(outcome: PlanOutcome, strategy: Strategy | None = None) -> list[FederalResult]:
    """The engine's full return (every Form 1040 / 6251 / 8801 line) for each plan year of ``strategy``."""
    return [compute_federal(h, outcome.model.law) for h in schedule_households(outcome, strategy)]


def schedule_california_returns(outcome: PlanOutcome, strategy: Strategy | None = None) -> list[Any]:
    """For a California plan, each plan year's California return (Form 540, Schedule P (540), FTB 3510) of
    ``strategy``: :func:`~isoplan.tax.states.california.compute_california` on the year's household with the year's
    property tax and the FTB 3510 credit available that year (as the planner carried it). [] if not CA."""
    from isoplan.tax.states.california import compute_california

    m = outcome.model
    if not m.california or m.property_tax is None:
        return []
    strategy = strategy or outcome.recommended
    credit = strategy.evaluation.ca_credit_available
    return [compute_california(outcome.year_household(strategy, t), m.ca_law, property_tax=float(m.property_tax[t]),
                               ca_amt_credit_carryforward=float(credit[t, 0])) for t in range(len(m.years))]


def amt_curve(outcome: PlanOutcome, year: int, points: int = 61) -> dict[str, Any] | None:
    """AMT (Form 6251 line 11) of ``year`` against ISO shares exercised that year, for the report's chart.

    The rest of the year is as the recommended schedule has it; the spread per
    share is the planned ISO shares' average (or, with none planned, that of the
    ISO shares exercisable then). None when no ISO share with a spread can be
    exercised that year.
    """
    from isoplan.planning.room import amt_room

    m = outcome.model
    t = _year_index(outcome, year)
    sched = outcome.recommended.schedule
    iso = m.iso_treated[:, t] & m.allowed[:, t]
    price = float(m.price_at_exercise[t])
    spread = np.maximum(price - m.strike, 0.0)
    planned = sched[:, t] * iso
    before = sched[:, :t].sum(axis=1)
    available = np.where(iso, np.maximum(m.cap[:, t] - before, 0.0), 0.0)
    weights = planned if planned.sum() > 0 else available
    if weights.sum() <= 0 or float(weights @ spread) <= 0:
        return None
    per_share = float(weights @ spread / weights.sum())
    h = schedule_households(outcome)[t].replace(iso_bargain_element=0.0)
    top = max(float(available.sum()), float(planned.sum()), 1.0)
    shares = np.linspace(0.0, top, points)
    curve = compute_federal(h.take(np.zeros(points, dtype=np.intp)).replace(iso_bargain_element=shares * per_share),
                            m.law, keep=("amt",))
    room = float(amt_room(h, m.law).amt_room[0])
    return {"year": year, "shares": shares.tolist(), "amt": curve.amt.tolist(), "spread_per_share": per_share,
            "room": room, "room_shares": room / per_share, "planned_shares": float(planned.sum()),
            "price": price}


# ---------------------------------------------------------------- building the checklist


def _usd(value: float) -> str:
    return f"-${abs(value):,.0f}" if value < -0.5 else f"${abs(value):,.0f}"


def _price(value: float) -> str:
    return f"${value:,.2f}"


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _year_index(outcome: PlanOutcome, year: int) -> int:
    years = outcome.model.years
    if year not in years:
        raise InputError("--year", year, f"a year of the plan ({years[0]}-{years[-1]})")
    return years.index(year)


def default_year(outcome: PlanOutcome) -> int:
    """The first year the recommended schedule exercises shares (else the plan's first year)."""
    sched = outcome.recommended.schedule
    for t, year in enumerate(outcome.model.years):
        if sched[:, t].sum() > 0:
            return year
    return outcome.model.years[0]


class _Builder:
    def __init__(self, plan: Plan, outcome: PlanOutcome, risk: Mapping[str, Any] | None, year: int,
                 ledger_lots: Sequence[Lot] | None, today: date | None) -> None:
        self.plan, self.outcome, self.risk, self.year = plan, outcome, risk, year
        self.ledger_lots, self.today = ledger_lots, today
        self.text = checklist_text()
        self.m = outcome.model
        self.t = _year_index(outcome, year)
        self.row = outcome.year_rows(outcome.recommended)[self.t]
        self.sched = outcome.recommended.schedule
        self.exercise = self.sched[:, self.t]
        self.planned = bool(self.exercise.sum() > 0)
        self.exercise_date = self.m.exercise_dates[self.t]
        self.price = float(self.m.price_at_exercise[self.t])
        self.households = schedule_households(outcome)
        self.h = self.households[self.t]
        self.lots = self._planned_lots()
        self.rules = equity_rules()
        # a California plan: the row's FTB 3510 figures (tax, amt, credit_available, credit_used, credit_created)
        state_row = cast(dict[str, object], self.row).get(self.m.state_key or "") if self.m.california else None
        self.ca: CaliforniaYearRow | None = cast(CaliforniaYearRow | None, state_row)

    def ca_sentence(self, key: str, fmt: dict[str, str]) -> list[str]:
        """The California sentence of ``checklist.toml`` [california] for item ``key`` (none if not CA)."""
        if self.ca is None or key not in self.text.california:
            return []
        return [self.text.california[key].format(year=str(self.year), **fmt)]

    # -- helpers

    def item(self, key: str, case: str, numbers: dict[str, Any], fmt: dict[str, str],
             detail: Sequence[str] = ()) -> ChecklistItem:
        text = self.text.item(key)
        status, template = text.cases[case]
        values = {"year": str(self.year), "plan_file": self.plan.source, **fmt}
        return ChecklistItem(text.number, key, text.title, status, case, numbers, template.format(**values),
                             tuple(detail))

    def _planned_lots(self) -> list[tuple[Any, Lot]]:
        """The lots the recommended schedule creates this year, as ledger records (both bases derive from them)."""
        lots = []
        fmv = Decimal(str(round(self.price, 6)))
        for b, block in enumerate(self.m.blocks):
            shares = int(self.exercise[b])
            if shares <= 0:
                continue
            kind = ISO if self.m.iso_treated[b, self.t] else NSO
            lots.append((block, Lot(id=f"{block.label} {self.exercise_date.isoformat()}", grant_id=block.grant.id,
                                    kind=kind, grant_date=block.grant.grant_date, exercise_date=self.exercise_date,
                                    shares=shares, strike=block.grant.strike, fmv_at_exercise=fmv,
                                    company=block.grant.company)))
        return lots

    def exercise_years(self) -> list[int]:
        return [y for t, y in enumerate(self.m.years) if self.sched[:, t].sum() > 0]

    # -- the items

    def bargain_element(self) -> ChecklistItem:
        by_block = {blk.label: int(self.exercise[b]) for b, blk in enumerate(self.m.blocks) if self.exercise[b] > 0}
        spread = {blk.label: max(self.price - blk.strike, 0.0) for b, blk in enumerate(self.m.blocks)
                  if self.exercise[b] > 0}
        shares = int(self.exercise.sum())
        bargain = float(self.row["iso_spread"]) + float(self.row["nso_income"])
        numbers = {"exercise_date": self.exercise_date.isoformat() if self.planned else None, "price": self.price,
                   "shares": shares, "shares_by_block": by_block, "spread_per_share": spread,
                   "bargain_element": bargain, "iso_spread": float(self.row["iso_spread"]),
                   "nso_spread": float(self.row["nso_income"])}
        fmt = {"shares": f"{shares:,}", "price": _price(self.price), "bargain_element": _usd(bargain),
               "exercise_years": ", ".join(map(str, self.exercise_years())) or "none before the exit"}
        detail = [f"{label}: {n:,} shares x ({_price(self.price)} - {_price(self.price - spread[label])}) = "
                  f"{_usd(n * spread[label])}" for label, n in by_block.items()]
        return self.item("bargain_element", "planned" if self.planned else "nothing_planned", numbers, fmt, detail)

    def amt_and_room(self) -> ChecklistItem:
        from isoplan.planning.room import amt_room

        room = amt_room(self.h.replace(iso_bargain_element=0.0), self.m.law)
        room_value = float(room.amt_room[0])
        already = bool(room.already_in_amt[0])
        iso_spread = float(self.row["iso_spread"])
        amt = float(self.row["amt"])
        ca = self.california_room() if self.ca is not None else None
        # the binding line is the smaller room (a California plan); past_room and room_shares are measured on it
        binding = min(room_value, ca["amt_room"]) if ca else room_value
        iso_blocks = [b for b in range(len(self.m.blocks)) if self.exercise[b] > 0 and self.m.iso_treated[b, self.t]]
        iso_shares = float(sum(self.exercise[b] for b in iso_blocks))
        per_share = iso_spread / iso_shares if iso_shares else None
        room_shares = int(binding // per_share) if per_share else None
        past = max(iso_spread - binding, 0.0)
        numbers: dict[str, Any] = {"iso_spread": iso_spread, "amt_room": room_value, "already_in_amt": already,
                   "past_room": past, "amt": amt, "extra_tax": float(self.row["extra_tax"]),
                   "regular_tax": float(self.row["regular_tax"]),
                   "tentative_minimum_tax": float(self.row["tentative_minimum_tax"]),
                   "credit_available": float(self.row["credit_available"]),
                   "credit_created": float(self.row["credit_created"]), "room_shares": room_shares}
        fmt = {"iso_spread": _usd(iso_spread), "amt_room": _usd(binding), "past_room": _usd(past),
               "amt": _usd(amt), "room_shares": f"{room_shares:,}" if room_shares is not None else "-"}
        ca_amt = ca["amt"] if ca else 0.0
        if ca:
            line = "california" if ca["amt_room"] < room_value else "federal"
            numbers.update(california=ca, binding_line=line, binding_room=binding)
            already = already or ca["already_in_amt"]
        if not self.planned:
            case = "nothing_planned"
        elif already:
            case = "already_in_amt"
        elif amt > 0.5 or ca_amt > 0.5:
            case = "past_room"
        else:
            case = "within_room"
        detail = [f"Regular tax {_usd(numbers['regular_tax'])}, tentative minimum tax "
                  f"{_usd(numbers['tentative_minimum_tax'])} (Form 6251 line 9), AMT {_usd(amt)} (line 11)."]
        if amt > 0.5:
            detail.append(f"Minimum tax credit created for later years: {_usd(numbers['credit_created'])} "
                          "(Form 8801, IRC §53).")
        if ca:
            detail = self.ca_sentence("amt_and_room", {
                "federal_room": _usd(room_value), "california_room": _usd(ca["amt_room"]),
                "binding_line": numbers["binding_line"], "amt": _usd(amt), "ca_amt": _usd(ca_amt)}) + detail
            detail.append(f"California: regular tax {_usd(ca['regular_tax'])} (Schedule P (540) line 25), tentative "
                          f"minimum tax {_usd(ca['tentative_minimum_tax'])} (line 24), AMT {_usd(ca_amt)} (line 26).")
            if ca["credit_created"] > 0.5:
                detail.append(f"California AMT credit created for later years: {_usd(ca['credit_created'])} "
                              "(FTB 3510, R&TC §17063).")
        return self.item("amt_and_room", case, numbers, fmt, detail)

    def california_room(self) -> dict[str, Any]:
        """Item 2's California figures: the Schedule P (540) AMT-free room of the year's household without the
        ISO spread (:func:`~isoplan.planning.room.california_amt_room`), and the year's return with it."""
        from isoplan.planning.room import california_amt_room
        from isoplan.tax.states.california import compute_california

        assert self.ca is not None and self.m.property_tax is not None
        ptax, carry = float(self.m.property_tax[self.t]), float(self.ca["credit_available"])
        room = california_amt_room(self.h.replace(iso_bargain_element=0.0), self.m.ca_law, property_tax=ptax,
                                   ca_amt_credit_carryforward=carry)
        r = compute_california(self.h, self.m.ca_law, property_tax=ptax, ca_amt_credit_carryforward=carry)
        return {"amt_room": float(room.ca_amt_room[0]), "already_in_amt": bool(room.ca_already_in_amt[0]),
                "amt": float(self.ca["amt"]), "regular_tax": float(r.ca_p_line25[0]),
                "tentative_minimum_tax": float(r.ca_tentative_minimum_tax[0]),
                "credit_available": carry, "credit_used": float(self.ca["credit_used"]),
                "credit_created": float(self.ca["credit_created"]), "tax": float(self.ca["tax"])}

    def iso_limit(self) -> ChecklistItem:
        iso_shares = sum(int(lot.shares) for _, lot in self.lots if lot.kind == ISO)
        nso_shares = sum(int(lot.shares) for _, lot in self.lots if lot.kind == NSO)
        nso_income = float(self.row["nso_income"])
        nso_tax = 0.0
        if nso_income > 0:
            law = self.m.law
            without = self.h.replace(other_ordinary_income=self.h.other_ordinary_income - nso_income)
            nso_tax = float(compute_federal(self.h, law, keep=("total_tax",)).total_tax[0]
                            - compute_federal(without, law, keep=("total_tax",)).total_tax[0])
        split = [{"block": b.label, "grant": b.grant.id, "kind": b.kind, "shares": b.shares}
                 for b in self.m.blocks]
        numbers = {"iso_shares": iso_shares, "nso_shares": nso_shares, "nso_income": nso_income,
                   "nso_tax": nso_tax, "iso_limit": self.rules.iso_annual_limit, "blocks": split}
        fmt = {"iso_shares": f"{iso_shares:,}", "nso_shares": f"{nso_shares:,}", "nso_income": _usd(nso_income),
               "nso_tax": _usd(nso_tax), "iso_limit": _usd(self.rules.iso_annual_limit)}
        case = "nothing_planned" if not self.planned else ("some_nso" if nso_shares else "all_iso")
        detail = [f"{b['block']}: {b['shares']:,} shares" for b in split]
        return self.item("iso_limit", case, numbers, fmt, detail)

    def cash_test(self) -> ChecklistItem:
        settings = self.text.settings
        strike_cash = float(self.row["strike_cash"])
        tax_due = max(float(self.row["extra_tax"]), 0.0)
        proceeds = float(self.row["sale_proceeds"])
        needed = max(strike_cash + tax_due - proceeds, 0.0)
        stated = self.plan.cash_by_year[self.year] < float(settings["unstated_cash"])
        if stated:
            available: float | None = self.plan.cash_by_year[self.year] - self.plan.cash_reserve
            source = "cash for the year (less the reserve)"
        elif self.plan.net_worth_outside > 0:
            available, source = self.plan.net_worth_outside, "net worth outside the company"
        else:
            available, source = None, "not stated"
        gap = max(needed - available, 0.0) if available is not None else None
        per_share = needed / self.exercise.sum() if self.planned else 0.0
        affordable = int(max(available or 0.0, 0.0) // per_share) if per_share > 0 else None
        private = self.plan.stock.kind == "private"
        numbers = {"strike_cash": strike_cash, "tax_due": tax_due, "amt": float(self.row["amt"]),
                   "sale_proceeds": proceeds, "cash_needed": needed, "cash_available": available,
                   "cash_source": source, "cash_gap": gap, "stock_kind": self.plan.stock.kind,
                   "affordable_shares": affordable}
        fmt = {"cash_needed": _usd(needed), "strike_cash": _usd(strike_cash), "tax_due": _usd(tax_due),
               "cash_source": source, "cash_available": _usd(available or 0.0), "cash_gap": _usd(gap or 0.0),
               "affordable_shares": f"{affordable:,}" if affordable is not None else "0"}
        if needed <= 0.5:
            case = "nothing_needed"
        elif available is None:
            case = "not_stated"
        elif gap is not None and gap > 0.5:
            case = "gap_private" if private else "gap_public"
        else:
            case = "covered"
        detail: list[str] = []
        if self.ca is not None:
            # the year's extra tax (already federal + California) split: California's part is its tax less
            # the California tax of the no-exercise reference path the extra tax is measured from
            reference = evaluate(self.m, np.zeros((1, len(self.m.blocks), len(self.m.years))), reference=True)
            ca_extra = float(self.ca["tax"]) - float(reference.ca_tax[self.t, 0])
            federal_extra = float(self.row["extra_tax"]) - ca_extra
            numbers.update(federal_tax_due=federal_extra, california_tax_due=ca_extra)
            detail = self.ca_sentence("cash_test", {"tax_due": _usd(tax_due), "federal_tax_due": _usd(federal_extra),
                                                    "california_tax_due": _usd(ca_extra)})
        return self.item("cash_test", case, numbers, fmt, detail)

    def cost_bases(self) -> ChecklistItem:
        rows = []
        for block, lot in self.lots:
            found = None
            if self.ledger_lots is not None:
                found = next((x for x in self.ledger_lots if x.grant_id == lot.grant_id
                              and x.exercise_date == lot.exercise_date and x.kind == lot.kind), None)
            rows.append({"lot": lot.id, "block": block.label, "kind": lot.kind,
                         "exercise_date": lot.exercise_date.isoformat(), "shares": lot.shares,
                         "regular_basis_per_share": float(lot.regular_basis_per_share),
                         "amt_basis_per_share": float(lot.amt_basis_per_share),
                         "regular_basis": float(lot.regular_basis), "amt_basis": float(lot.amt_basis),
                         "in_ledger": None if self.ledger_lots is None else found is not None,
                         "ledger_lot": found.id if found is not None else None})
        numbers = {"lots": rows, "ledger_checked": self.ledger_lots is not None}
        if not self.planned:
            case = "nothing_planned"
        elif self.ledger_lots is None:
            case = "not_checked"
        elif all(r["in_ledger"] for r in rows):
            case = "recorded"
        elif self.today is not None and self.today >= self.exercise_date:
            case = "missing"
        else:
            case = "not_yet_recorded"
        detail = [f"{r['lot']}: {r['shares']:,} {r['kind']} shares, regular basis {_usd(r['regular_basis'])} "
                  f"({_price(r['regular_basis_per_share'])} a share), AMT basis {_usd(r['amt_basis'])} "
                  f"({_price(r['amt_basis_per_share'])} a share)" for r in rows]
        return self.item("cost_bases", case, numbers, {"exercise_date": self.exercise_date.isoformat()}, detail)

    def calendar(self) -> tuple[ChecklistItem, list[dict[str, str]]]:
        events: list[dict[str, str]] = []
        qualifying = {lot.id: (lot.qualifying_date or lot.long_term_date) for _, lot in self.lots}
        for _, lot in self.lots:
            day = lot.qualifying_date or lot.long_term_date
            what = "qualifying disposition date (IRC §422(a)(1))" if lot.kind == ISO else \
                "long-term holding date (IRC §1222)"
            events.append({"date": day.isoformat(), "kind": "qualifying" if lot.kind == ISO else "long_term",
                           "lot": lot.id, "shares": str(lot.shares),
                           "summary": f"{lot.id}: {what}; a sale before this date is "
                                      f"{'disqualifying' if lot.kind == ISO else 'short-term'}"})
        year_end = date(self.year, 12, 31)
        due_month, due_day = self.rules.return_due
        amt = float(self.row["amt"])
        amt_due = date(self.year + 1, due_month, due_day)
        if self.planned:
            events.append({"date": year_end.isoformat(), "kind": "year_end", "lot": "",
                           "summary": f"Last day to sell {self.year} ISO shares and undo their AMT (same-year "
                                      "disposition, Form 6251 instructions line 2i)"})
            if amt > 0.5:
                events.append({"date": amt_due.isoformat(), "kind": "amt_due", "lot": "",
                               "summary": f"{self.year} return and its AMT of {_usd(amt)} due (IRC §6072(a))"})
        events.sort(key=lambda e: e["date"])
        first = min(qualifying.values(), default=None)
        last = max(qualifying.values(), default=None)
        numbers = {"qualifying_dates": {k: v.isoformat() for k, v in qualifying.items()},
                   "year_end_decision": year_end.isoformat(), "amt_due": amt_due.isoformat() if amt > 0.5 else None,
                   "amt": amt, "exit_date": self.plan.exit_date.isoformat()}
        fmt = {"year_end": year_end.isoformat(), "amt_due": amt_due.isoformat(),
               "first_qualifying": first.isoformat() if first else "-",
               "last_qualifying": last.isoformat() if last else "-", "exit_date": self.plan.exit_date.isoformat()}
        if not self.planned:
            case = "nothing_planned"
        elif last is not None and last > self.plan.exit_date:
            case = "qualifies_after_exit"
        else:
            case = "dates" if amt > 0.5 else "dates_no_amt"
        detail = [f"{e['date']}: {e['summary']}" for e in events]
        return self.item("calendar", case, numbers, fmt, detail), events

    def reporting(self) -> ChecklistItem:
        law = self.text.law["form_3921_furnish"]
        iso_spread = float(self.row["iso_spread"])
        amt = float(self.row["amt"])
        forms = []
        iso_lots = [lot for _, lot in self.lots if lot.kind == ISO]
        nso_lots = [lot for _, lot in self.lots if lot.kind == NSO]
        if iso_lots:
            furnish = date(self.year + 1, int(law["month"]), int(law["day"]))
            forms.append({"form": "Form 3921", "year": self.year,
                          "what": f"from the employer by {furnish.isoformat()}, one per exercise: grant date, "
                                  "exercise date, strike (box 3), FMV (box 4) and shares (box 5)"})
        if iso_spread > 0:
            forms.append({"form": "Form 6251", "year": self.year,
                          "what": f"line 2i: {_usd(iso_spread)} of ISO spread; AMT on line 11: {_usd(amt)}"})
        if nso_lots:
            forms.append({"form": "Form W-2", "year": self.year,
                          "what": f"{_usd(float(self.row['nso_income']))} of NSO income in box 1 wages"})
        if amt > 0.5:
            forms.append({"form": "Form 8801", "year": self.year + 1,
                          "what": f"from {self.year + 1} on, to recover the minimum tax credit "
                                  f"({_usd(float(self.row['credit_created']))} created in {self.year})"})
        if self.lots:
            exit_year = self.plan.exit_date.year
            regular = sum(float(lot.regular_basis) for lot in iso_lots + nso_lots)
            amt_basis = sum(float(lot.amt_basis) for lot in iso_lots + nso_lots)
            forms.append({"form": "Schedule D / Form 8949", "year": exit_year,
                          "what": f"at the sale: regular basis {_usd(regular)}; a second AMT version with AMT basis "
                                  f"{_usd(amt_basis)}; Form 6251 line 2k: {_usd(regular - amt_basis)} (AMT gain minus "
                                  "regular gain)"})
        if self.ca is not None and self.planned:
            forms += self.california_forms(iso_lots + nso_lots)
        numbers = {"forms": forms, "citation": list(law["citation"])}
        detail = [f"{f['form']} ({f['year']}): {f['what']}" for f in forms]
        if self.planned:
            detail = self.ca_sentence("reporting", {}) + detail
        return self.item("reporting", "forms" if self.planned else "nothing_planned", numbers, {}, detail)

    def california_forms(self, lots: Sequence[Lot]) -> list[dict[str, Any]]:
        """Item 7's California forms: Form 540 with Schedule P (540) (line 10: the ISO spread, line 26: the
        California AMT), FTB 3510 from the next year when California AMT creates credit (R&TC §17063), and
        Schedule D (540) at the sale, where California taxes the gain as ordinary income."""
        assert self.ca is not None
        iso_spread = float(self.row["iso_spread"])
        ca_amt, created = float(self.ca["amt"]), float(self.ca["credit_created"])
        forms: list[dict[str, Any]] = [{"form": "Form 540", "year": self.year,
                                        "what": f"California tax of the year: {_usd(float(self.ca['tax']))}"}]
        if iso_spread > 0:
            forms.append({"form": "Schedule P (540)", "year": self.year,
                          "what": f"line 10: {_usd(iso_spread)} of ISO spread; California AMT on line 26: "
                                  f"{_usd(ca_amt)}"})
        if created > 0.5:
            forms.append({"form": "FTB 3510", "year": self.year + 1,
                          "what": f"from {self.year + 1} on, to recover the California AMT credit "
                                  f"({_usd(created)} created in {self.year})"})
        if lots:
            regular = sum(float(lot.regular_basis) for lot in lots)
            amt_basis = sum(float(lot.amt_basis) for lot in lots)
            forms.append({"form": "Schedule D (540)", "year": self.plan.exit_date.year,
                          "what": f"at the sale: the gain is California ordinary income; regular basis "
                                  f"{_usd(regular)}, AMT basis {_usd(amt_basis)}; Schedule P (540) line 9: "
                                  f"{_usd(regular - amt_basis)}"})
        return forms

    def timing(self) -> ChecklistItem:
        private = self.plan.stock.kind == "private"
        year_end = date(self.year, 12, 31)
        liquidity = self.plan.stock.liquidity_date
        hatch = (not private) or (liquidity is not None and self.exercise_date <= liquidity <= year_end)
        # the days left to watch the price run from today once the exercise date has passed
        passed = self.today is not None and self.today > self.exercise_date
        days = max((year_end - (self.today if passed and self.today else self.exercise_date)).days, 0)
        early = self.exercise_date.month in self.text.settings["early_months"]
        numbers: dict[str, Any] = {"exercise_date": self.exercise_date.isoformat(), "days_to_year_end": days,
                                   "early_in_year": early, "stock_kind": self.plan.stock.kind,
                                   "hatch_exists": hatch, "amt": float(self.row["amt"]),
                                   "liquidity_date": liquidity.isoformat() if liquidity else None}
        detail = []
        timing = (self.risk or {}).get("timing") if self.risk else None
        if timing:
            numbers["escape_hatch_value"] = timing.get("escape_hatch_value")
            numbers["risk_hatch_exists"] = timing.get("hatch_exists")
            if timing.get("summary"):
                detail.append(str(timing["summary"]))
        fmt = {"exercise_date": self.exercise_date.isoformat(), "days_to_year_end": str(days),
               "amt": _usd(float(self.row["amt"])), "liquidity_date": liquidity.isoformat() if liquidity else "-",
               "today": self.today.isoformat() if self.today else "-"}
        if not self.planned:
            case = "nothing_planned"
        elif passed:
            case = "date_passed"
        elif private:
            case = "private_hatch" if hatch else "private_no_hatch"
        else:
            case = "early_public" if early else "late_public"
        return self.item("timing", case, numbers, fmt, detail)

    def concentration_stress(self) -> ChecklistItem:
        risk = self.risk
        if not risk:
            return self.item("concentration_stress", "no_risk", {"risk_included": False}, {})
        private = (risk.get("stock_kind") or self.plan.stock.kind) == "private"
        peak = risk.get("peak") or {}
        hold = risk.get("hold_vs_sell") or {}
        pre_ipo = risk.get("pre_ipo") or {}
        strategies = {s["name"]: s for s in hold.get("strategies", [])}
        held = strategies.get("hold to qualifying", {})
        concentration = held.get("concentration")
        target = hold.get("target_concentration")
        numbers = {"risk_included": True, "drop": peak.get("drop"), "stress_amt": peak.get("amt_now"),
                   "value_after_drop": peak.get("value_after_drop"), "cash": peak.get("cash"),
                   "covered_after_drop": peak.get("covered_after_drop"), "stress_gap": peak.get("cash_gap"),
                   "prob_amt_exceeds_value": peak.get("prob_amt_exceeds_value_at_year_end"),
                   "concentration": concentration, "target_concentration": target,
                   "prob_worse_than_sell_now": held.get("prob_worse_than_sell_now"),
                   "cash_at_risk": pre_ipo.get("cash_at_risk"), "prob_cash_lost": pre_ipo.get("prob_cash_lost"),
                   "exceeds_affordable_loss": pre_ipo.get("exceeds_affordable_loss")}
        fmt = {"drop_pct": _pct(float(peak.get("drop") or 0.0)), "stress_gap": _usd(float(peak.get("cash_gap") or 0)),
               "stress_amt": _usd(float(peak.get("amt_now") or 0.0)),
               "cash_at_risk": _usd(float(pre_ipo.get("cash_at_risk") or 0.0)),
               "prob_cash_lost": _pct(float(pre_ipo.get("prob_cash_lost") or 0.0)),
               "concentration": _pct(float(concentration)) if concentration is not None else "-",
               "target_concentration": _pct(float(target)) if target is not None else "-"}
        not_covered = peak and peak.get("covered_after_drop") is False
        if not_covered and private:
            case = "stress_stop"
        elif pre_ipo and pre_ipo.get("exceeds_affordable_loss"):
            case = "pre_ipo_stop"
        elif not_covered:
            case = "stress_gap"
        elif concentration is not None and target is not None and concentration > target:
            case = "concentrated"
        else:
            case = "ok"
        detail = [str(s[k]) for s in (peak, hold, pre_ipo) for k in ("summary", "conclusion") if s.get(k)]
        return self.item("concentration_stress", case, numbers, fmt, detail)


def build_checklist(plan: Plan, outcome: PlanOutcome, risk: Mapping[str, Any] | None, *, year: int | None = None,
                    ledger_lots: Sequence[Lot] | None = None, today: date | None = None) -> Checklist:
    """The nine items for ``year`` (default: the recommended schedule's first exercise year).

    ``risk``: ``RiskOutcome.as_dict()`` of ``isoplan risk`` (None: item 9 asks for it).
    ``ledger_lots``: the ledger's lots (None: item 5 does not check the ledger).
    ``today``: with a ledger, a planned exercise date on or before it whose lots are missing is a warning.
    """
    year = default_year(outcome) if year is None else int(year)
    b = _Builder(plan, outcome, risk, year, ledger_lots, today)
    calendar, events = b.calendar()
    items = (b.bargain_element(), b.amt_and_room(), b.iso_limit(), b.cash_test(), b.cost_bases(), calendar,
             b.reporting(), b.timing(), b.concentration_stress())
    return Checklist(year, items, tuple(events), risk_included=bool(risk))
