"""The ledger behind the web app: the same use cases and JSON as ``isoplan ledger ... --json``.

Reads never create the file; writes create it (as ``isoplan ledger add-grant``
does). Each handler turns the form into a request of :mod:`isoplan.app.ledger`,
which checks every value before the store's one write transaction: bad input
raises before anything is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from isoplan.web.api import flag, state_code, whole


def _path(db: str | None) -> Path:
    from isoplan.ledger.paths import resolve

    return resolve(db)


def ledger_view(db: str | None) -> dict[str, Any]:
    """Grants, lots (both bases, qualifying dates), sales, and each year's tax with the AMT credit (Form 8801)."""
    from isoplan.app import ledger as app

    return app.overview(_path(db)).as_dict()


def ledger_summary(db: str | None, *, today: date | None = None) -> dict[str, Any]:
    """The ledger page's first screen: ``answer`` (:func:`isoplan.report.answer.ledger_answer`) and its numbers."""
    from isoplan.report.answer import ledger_answer, ledger_figures

    data = ledger_view(db)
    when = today or date.today()
    return {"answer": ledger_answer(data, when), **ledger_figures(data, when)}


def add_grant(db: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """``isoplan ledger add-grant``: vested at grant, or months/cliff vesting every month from the grant date."""
    from isoplan.app import ledger as app

    vesting = app.VestingOptions(vested=flag(body, "vested"), months=whole(body, "vest_months", 48),
                                 cliff_months=whole(body, "cliff_months", 12), every=1)
    request = app.AddGrantRequest(id=body.get("id"), company=body.get("company"), kind=body.get("kind") or "iso",
                                  date=body.get("date"), shares=body.get("shares"), strike=body.get("strike"),
                                  fmv=body.get("fmv"), vesting=vesting,
                                  good_faith_valuation=flag(body, "good_faith_valuation"))
    added = app.add_grant(_path(db), request)
    return {"recorded": f"grant {added.grant_id} ({added.vesting_rule})"}


def add_exercise(db: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """``isoplan ledger exercise``: one lot per kind and vesting date."""
    from isoplan.app import ledger as app

    request = app.ExerciseRequest(id=body.get("id"), grant=body.get("grant"), date=body.get("date"),
                                  shares=body.get("shares"), fmv=body.get("fmv"), kind=body.get("kind") or "auto")
    result = app.exercise(_path(db), request)
    return {"recorded": f"exercise {str(request.id).strip()}: {len(result.lots)} lot(s)", "lots": result.as_list()}


def add_sale(db: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """``isoplan ledger sell``: from one lot, else first in first out (within a grant, if given)."""
    from isoplan.app import ledger as app
    from isoplan.app.common import plain

    request = app.SellRequest(id=body.get("id"), date=body.get("date"), shares=body.get("shares"),
                              price=body.get("price"), lot=body.get("lot"), grant=body.get("grant"),
                              wash_sale=flag(body, "wash_sale"))
    result = app.sell(_path(db), request)
    return {"recorded": f"sale {str(request.id).strip()}: {len(result.sales)} lot(s)",
            "sales": [plain(row.sale) for row in result.sales]}


def set_income(db: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """``isoplan ledger income YEAR --status S [--state XX] --wages W``: the year's filing status, state and income.

    ``state``: empty leaves the year's state as it is; ``none`` makes it federal only; ``CA`` or ``other`` with
    ``state_other`` sets it (California's ``property_tax`` and ``ca_amt_credit_carryforward`` need CA).
    """
    from isoplan.app import ledger as app
    from isoplan.tax.fields import CA_MONEY_FIELDS, MONEY_FIELDS

    names = [n for n, _, _ in MONEY_FIELDS] + [n for n, _ in CA_MONEY_FIELDS]
    amounts = {n: str(body[n]).strip() for n in names if str(body.get(n) or "").strip()}
    choice = str(body.get("state") or "").strip()
    request = app.IncomeRequest(year=body.get("year"), filing_status=body.get("filing_status"), amounts=amounts,
                                state=None if not choice else (state_code(body) or ""))
    result = app.set_income(_path(db), request)
    out: dict[str, Any] = {
        "recorded": f"income {result.year} ({result.filing_status}" + (f", {result.state}" if result.state else "")
        + ")", "income": result.as_dict()["income"], "state": result.state}
    if result.state_note:
        out["state_note"] = result.state_note
    return out


def calendar_ics(db: str | None, *, today: date | None = None) -> str:
    """``isoplan ledger calendar``: qualifying dates, year-end decisions, AMT and estimated-tax due dates
    (RFC 5545)."""
    from isoplan.app import filing, ledger

    return filing.calendar(_path(db), ledger.CalendarRequest(today=today)).ics


def export_json(db: str | None) -> str:
    """``isoplan ledger export``: everything as JSON."""
    from isoplan.app import ledger as app

    return app.export(_path(db)).text


def import_json(db: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """``isoplan ledger import``: an export, all or nothing."""
    from isoplan.app import ledger as app
    from isoplan.report.ledger_text import render_import

    result = app.import_export_data(_path(db), body.get("data"), str(body.get("name") or "upload"))
    return {"recorded": render_import(result.counts), "counts": result.as_dict()}
