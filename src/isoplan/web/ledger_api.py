"""The ledger behind the web app: the same store and JSON as ``isoplan ledger ... --json``.

Reads never create the file; writes create it (as ``isoplan ledger add-grant``
does). Every write goes through :class:`isoplan.ledger.store.Ledger`, the one
write path, in one transaction: bad input raises before anything is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from isoplan.errors import InputError
from isoplan.web.api import flag, state_code, whole


def _path(db: str | None) -> Path:
    from isoplan.ledger.paths import resolve

    return resolve(db)


def _open(db: str | None, *, create: bool = False) -> Any:
    from isoplan.ledger.store import Ledger

    return Ledger.open(_path(db), create=create)


def _required(body: Mapping[str, Any], name: str, what: str) -> str:
    value = str(body.get(name) or "").strip()
    if not value:
        raise InputError(name, None, what)
    return value


def ledger_view(db: str | None) -> dict[str, Any]:
    """Grants, lots (both bases, qualifying dates), sales, and each year's tax with the AMT credit (Form 8801)."""
    from isoplan.cli.ledger import _ledger_year_json, _lot_json, _plain
    from isoplan.equity.disposition import dispose
    from isoplan.ledger.years import ledger_years
    from isoplan.tax.california import ca_law_table
    from isoplan.tax.law import law_table

    path = _path(db)
    if not path.exists():
        return {"path": str(path), "exists": False, "grants": [], "lots": [], "sales": [], "years": [], "notes": []}
    with _open(db) as book:
        grants, meta, lots, sales, held = book.grants(), {r["id"]: r for r in book.grant_rows()}, book.lots(), \
            book.sales(), book.held()
        # as `isoplan ledger years`: California (Form 540, Schedule P, FTB 3510) for the years whose state is CA
        rows, notes = ledger_years(lots, sales, book.years(), law_table(), states=book.states(),
                                   ca_law=ca_law_table(None))
    by_id = {lot.id: lot for lot in lots}
    exercised = {g.id: sum(lot.shares for lot in lots if lot.grant_id == g.id) for g in grants}
    return {
        "path": str(path),
        "exists": True,
        "grants": [_plain(g.__dict__ | {"vesting": [t.__dict__ for t in g.vesting],
                                        "vesting_rule": meta[g.id]["vesting_rule"], "source": meta[g.id]["source"],
                                        "exercised": exercised[g.id]}) for g in grants],
        "lots": [_lot_json(lot, held.get(lot.id, lot.shares)) for lot in lots],
        "sales": [_plain(s.__dict__) | {"tax": dispose(by_id[s.lot_id], s).__dict__} for s in sales],
        "years": [_ledger_year_json(r, explain=True) for r in rows],
        "notes": notes,
    }


def add_grant(db: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """``isoplan ledger add-grant``: vested at grant, or months/cliff/every-month vesting."""
    from isoplan.cli.ledger import _dec
    from isoplan.equity.dates import add_months
    from isoplan.equity.records import Grant, VestingTranche, to_date, to_kind, to_shares, vesting_schedule
    from isoplan.equity.rules import equity_rules

    grant_id = _required(body, "id", "a name for the grant, e.g. 2024-hire")
    company = _required(body, "company", "the employer's name")
    kind = to_kind(str(body.get("kind") or "iso"))
    grant_date = to_date(body.get("date"), "date")
    shares = to_shares(body.get("shares"), "shares")
    strike = _dec(body.get("strike"), "strike")
    fmv = _dec(body.get("fmv"), "fmv") if str(body.get("fmv") or "").strip() else strike
    expires = add_months(grant_date, 12 * equity_rules().iso_maximum_term_years)
    if flag(body, "vested"):
        tranches: tuple[Any, ...] = (VestingTranche(grant_date, shares),)
        rule = "vested at grant"
    else:
        months = whole(body, "vest_months", 48, minimum=1, maximum=240)
        cliff = whole(body, "cliff_months", 12, minimum=0, maximum=240)
        assert months is not None and cliff is not None
        tranches = vesting_schedule(shares, grant_date, months=months, cliff_months=cliff, every_months=1)
        rule = f"{months} months from {grant_date.isoformat()}, {cliff}-month cliff, every 1 month(s)"
    grant = Grant(id=grant_id, company=company, kind=kind, grant_date=grant_date, shares=shares, strike=strike,
                  fmv_at_grant=fmv, vesting=tranches, expiration_date=expires, early_exercise_allowed=False,
                  post_termination_months=None, post_termination_days=None)
    with _open(db, create=True) as book:
        book.add_grant(grant, vesting_rule=rule)
    return {"recorded": f"grant {grant_id} ({rule})"}


def add_exercise(db: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """``isoplan ledger exercise``: one lot per kind and vesting date."""
    from isoplan.cli.ledger import _dec, _lot_json
    from isoplan.equity.records import to_date, to_shares

    lot_id = _required(body, "id", "a name for the lot, e.g. 2026-03-ex")
    grant_id = _required(body, "grant", "the grant exercised")
    kind = str(body.get("kind") or "auto").lower()
    if kind not in ("auto", "iso", "nso"):
        raise InputError("kind", kind, "auto, iso or nso")
    day = to_date(body.get("date"), "date")
    shares = to_shares(body.get("shares"), "shares")
    fmv = _dec(body.get("fmv"), "fmv")
    with _open(db, create=True) as book:
        lots = book.exercise(grant_id=grant_id, lot_id=lot_id, exercise_date=day, shares=shares,
                             fmv_at_exercise=fmv, kind=kind)
        held = book.held()
    return {"recorded": f"exercise {lot_id}: {len(lots)} lot(s)",
            "lots": [_lot_json(lot, held.get(lot.id, lot.shares)) for lot in lots]}


def add_sale(db: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """``isoplan ledger sell``: from one lot, else first in first out (within a grant, if given)."""
    from isoplan.cli.ledger import _dec, _plain
    from isoplan.equity.records import to_date, to_shares

    sale_id = _required(body, "id", "a name for the sale")
    lot_id = str(body.get("lot") or "").strip() or None
    grant_id = str(body.get("grant") or "").strip() or None
    if lot_id and grant_id:
        raise InputError("lot", lot_id, "either a lot or a grant, not both")
    day = to_date(body.get("date"), "date")
    shares = to_shares(body.get("shares"), "shares")
    price = _dec(body.get("price"), "price")
    with _open(db) as book:
        sales = book.sell(sale_id=sale_id, sale_date=day, shares=shares, price=price, lot_id=lot_id,
                          grant_id=grant_id, wash_sale_or_related_party=flag(body, "wash_sale"))
    return {"recorded": f"sale {sale_id}: {len(sales)} lot(s)", "sales": [_plain(s.__dict__) for s in sales]}


def set_income(db: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """``isoplan ledger income YEAR --status S [--state XX] --wages W``: the year's filing status, state and income.

    ``state``: empty leaves the year's state as it is; ``none`` makes it federal only; ``CA`` or ``other`` with
    ``state_other`` sets it (California's ``property_tax`` and ``ca_amt_credit_carryforward`` need CA).
    """
    from isoplan.cli.common import _other_state_note
    from isoplan.cli.ledger import _plain
    from isoplan.tax.fields import CA_MONEY_FIELDS, MONEY_FIELDS

    year = whole(body, "year", None, minimum=2025, maximum=2035)
    if year is None:
        raise InputError("year", None, "a tax year from 2025 to 2035")
    names = [n for n, _, _ in MONEY_FIELDS] + [n for n, _ in CA_MONEY_FIELDS]
    amounts = {n: str(body[n]).strip() for n in names if str(body.get(n) or "").strip()}
    status = str(body.get("filing_status") or "").strip() or None
    choice = str(body.get("state") or "").strip()
    state = None if not choice else (state_code(body) or "")
    with _open(db, create=True) as book:
        status, entry = book.set_income(year, status, amounts, state=state)
        state = book.states()[year]
    out = {"recorded": f"income {year} ({status}" + (f", {state}" if state else "") + ")", "income": _plain(entry),
           "state": state}
    if state and state != "CA":
        out["state_note"] = _other_state_note(state)
    return out


def calendar_ics(db: str | None, *, today: date | None = None) -> str:
    """``isoplan ledger calendar``: qualifying dates, year-end decisions, AMT due dates (RFC 5545)."""
    from isoplan.equity.rules import equity_rules
    from isoplan.ledger.years import ledger_years
    from isoplan.report.calendar import held_lots, ics, ledger_events
    from isoplan.tax.law import law_table

    with _open(db) as book:
        lots, sales = book.lots(), book.sales()
        rows, _ = ledger_years(lots, sales, book.years(), law_table())
    held = held_lots(lots, sales)
    last_qualifying = max((lot.qualifying_date.year for lot in held if lot.qualifying_date), default=0)
    through = max((today or date.today()).year, last_qualifying)
    events = ledger_events(held, {r.year: r.outputs["amt"] for r in rows}, through_year=through,
                           return_due=equity_rules().return_due)
    return ics(events, stamp=datetime.now(UTC))


def export_json(db: str | None) -> str:
    """``isoplan ledger export``: everything as JSON."""
    from isoplan.ledger.transfer import write_json

    with _open(db) as book:
        return write_json(book.export_data(), None)


def import_json(db: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """``isoplan ledger import``: an export, all or nothing."""
    data = body.get("data")
    if not isinstance(data, Mapping) or data.get("format") != "isoplan-ledger":
        shown = data.get("format") if isinstance(data, Mapping) else type(data).__name__
        raise InputError("file", shown, "'isoplan-ledger' (a file written by `isoplan ledger export`)")
    with _open(db, create=True) as book:
        counts = book.import_data(data, str(body.get("name") or "upload"))
    return {"recorded": "imported " + ", ".join(f"{n} {k}" for k, n in counts.items()), "counts": counts}
