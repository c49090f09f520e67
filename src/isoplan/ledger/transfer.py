"""Files in and out of the ledger: JSON and CSV exports, their import, and Form 3921 CSVs."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from isoplan.equity.records import (
    Grant,
    Lot,
    Sale,
    VestingTranche,
    to_date,
    to_decimal,
    to_kind,
    to_shares,
)
from isoplan.errors import InputError
from isoplan.ledger.store import FILING_STATUSES, Form3921Row

# ---------------------------------------------------------------- Form 3921

#: canonical column -> accepted header names (case-insensitive, spaces/underscores alike)
FORM3921_COLUMNS: dict[str, tuple[str, ...]] = {
    "company": ("company", "corporation", "transferor", "box6", "box 6"),
    "grant_date": ("grant_date", "box1", "box 1", "date option granted"),
    "exercise_date": ("exercise_date", "box2", "box 2", "date option exercised"),
    "exercise_price": ("exercise_price", "box3", "box 3", "exercise price per share"),
    "fmv_at_exercise": ("fmv_at_exercise", "fmv", "box4", "box 4", "fair market value per share on exercise date"),
    "shares": ("shares", "box5", "box 5", "no. of shares transferred", "number of shares transferred"),
    "lot_id": ("lot_id", "lot", "id"),
    "grant_id": ("grant_id", "grant"),
}
REQUIRED_3921 = ("company", "grant_date", "exercise_date", "exercise_price", "fmv_at_exercise", "shares")


def _norm(name: str) -> str:
    return " ".join(name.strip().lower().replace("_", " ").split())


def read_form3921_csv(path: str) -> list[Form3921Row]:
    """Read a CSV of Form 3921s (one row per exercise), naming the row and column of any bad cell."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = list(reader.fieldnames or [])
            raw_rows = list(reader)
    except OSError as err:
        raise InputError("FILE", path, f"a readable CSV file ({err.strerror})") from None
    lookup = {_norm(alias): canon for canon, aliases in FORM3921_COLUMNS.items() for alias in aliases}
    columns: dict[str, str] = {}
    for name in header:
        canon = lookup.get(_norm(name or ""))
        if canon is None:
            raise InputError(f"column {name!r}", name, "one of " + ", ".join(FORM3921_COLUMNS), source=path)
        columns[canon] = name
    for needed in REQUIRED_3921:
        if needed not in columns:
            raise InputError("header", ",".join(header), f"a {needed!r} column (Form 3921 boxes 1-5 and the company)",
                             source=path)
    if not raw_rows:
        raise InputError("rows", 0, "at least one exercise after the header", source=path)
    rows = []
    for i, raw in enumerate(raw_rows, start=1):
        def cell(canon: str, raw: dict[str, str] = raw) -> str:
            return (raw.get(columns[canon]) or "").strip() if canon in columns else ""
        try:
            company = cell("company")
            if not company:
                raise InputError("company", company, "the corporation's name")
            rows.append(Form3921Row(
                row=i,
                company=company,
                grant_date=to_date(cell("grant_date"), "box 1 grant date"),
                exercise_date=to_date(cell("exercise_date"), "box 2 exercise date"),
                exercise_price=to_decimal(cell("exercise_price"), "box 3 exercise price"),
                fmv_at_exercise=to_decimal(cell("fmv_at_exercise"), "box 4 FMV on exercise date"),
                shares=to_shares(cell("shares"), "box 5 shares"),
                lot_id=cell("lot_id") or None,
                grant_id=cell("grant_id") or None,
            ))
        except InputError as err:
            raise err.at(row=i, source=path) from None
    return rows


# ---------------------------------------------------------------- export

CSV_TABLES = {
    "grants": ("id", "company", "kind", "grant_date", "shares", "strike", "fmv_at_grant", "expiration_date",
               "early_exercise_allowed", "post_termination_months", "post_termination_days", "vesting_rule", "source"),
    "vesting": ("grant_id", "date", "shares"),
    "lots": ("id", "grant_id", "kind", "exercise_date", "shares", "strike", "fmv_at_exercise", "vesting_date",
             "fmv_at_vesting", "election_83b_date", "termination_date", "termination_reason", "kind_reason", "source"),
    "sales": ("id", "lot_id", "sale_date", "shares", "price", "wash_sale_or_related_party"),
    "income": ("year", "filing_status", "field", "amount", "state"),
}


def write_json(data: Mapping[str, Any], path: str | None) -> str:
    text = json.dumps(data, indent=2) + "\n"
    if path:
        Path(path).write_text(text, encoding="utf-8")
    return text


def write_csv_dir(data: Mapping[str, Any], folder: str) -> list[Path]:
    """One CSV per table (grants, vesting, lots, sales, income) in ``folder``."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in CSV_TABLES}
    for grant in data["grants"]:
        rows["grants"].append({k: grant[k] for k in CSV_TABLES["grants"]})
        for tranche in grant["vesting"]:
            rows["vesting"].append({"grant_id": grant["id"], **tranche})
    rows["lots"] = [dict(lot) for lot in data["lots"]]
    rows["sales"] = [dict(sale) for sale in data["sales"]]
    for year in data["years"]:
        # the year's state repeats on each of its rows (blank: federal only)
        state = year.get("state")
        if not year["income"]:
            rows["income"].append({"year": year["year"], "filing_status": year["filing_status"],
                                   "field": "", "amount": "", "state": state})
        for name, amount in year["income"].items():
            rows["income"].append({"year": year["year"], "filing_status": year["filing_status"],
                                   "field": name, "amount": amount, "state": state})
    written = []
    for name, columns in CSV_TABLES.items():
        path = out / f"{name}.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
            writer.writeheader()
            for row in rows[name]:
                writer.writerow({k: _csv_cell(row.get(k)) for k in columns})
        written.append(path)
    return written


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------- import


def read_export(path: str) -> dict[str, Any]:
    """An export: a JSON file, or a folder of the CSVs :func:`write_csv_dir` writes."""
    p = Path(path)
    if p.is_dir():
        return _read_csv_dir(p)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError("FILE", path, f"a readable export file ({err.strerror})") from None
    except json.JSONDecodeError as err:
        raise InputError("FILE", path, f"JSON written by `isoplan ledger export` ({err.msg}, line {err.lineno})") \
            from None
    if not isinstance(data, dict) or data.get("format") != "isoplan-ledger":
        raise InputError("format", data.get("format") if isinstance(data, dict) else type(data).__name__,
                         "'isoplan-ledger' (a file written by `isoplan ledger export`)", source=path)
    return data


def _read_csv_dir(folder: Path) -> dict[str, Any]:
    tables: dict[str, list[dict[str, str]]] = {}
    for name in CSV_TABLES:
        path = folder / f"{name}.csv"
        if not path.exists():
            raise InputError("FILE", str(path), f"{name}.csv in the export folder")
        with open(path, newline="", encoding="utf-8-sig") as handle:
            tables[name] = [dict(row) for row in csv.DictReader(handle)]
    vesting: dict[str, list[dict[str, Any]]] = {}
    for row in tables["vesting"]:
        vesting.setdefault(row["grant_id"], []).append({"date": row["date"], "shares": row["shares"]})
    grants = []
    for row in tables["grants"]:
        grant: dict[str, Any] = {k: (v if v != "" else None) for k, v in row.items()}
        grant["early_exercise_allowed"] = row["early_exercise_allowed"] == "true"
        grant["vesting_rule"] = row.get("vesting_rule") or ""
        grant["vesting"] = vesting.get(row["id"], [])
        grants.append(grant)
    lots = [{k: (v if v != "" else None) for k, v in row.items()} for row in tables["lots"]]
    for lot in lots:
        lot["kind_reason"] = lot.get("kind_reason") or ""
    sales = [{**{k: (v if v != "" else None) for k, v in row.items()},
              "wash_sale_or_related_party": row["wash_sale_or_related_party"] == "true"} for row in tables["sales"]]
    years: dict[int, dict[str, Any]] = {}
    for row in tables["income"]:
        year = years.setdefault(int(row["year"]), {"year": int(row["year"]), "filing_status": row["filing_status"],
                                                   "income": {}, "state": row.get("state") or None})
        if row["field"]:
            year["income"][row["field"]] = row["amount"]
    return {"format": "isoplan-ledger", "grants": grants, "lots": lots, "sales": sales,
            "years": list(years.values())}


def _opt(value: Any, parse: Any, name: str) -> Any:
    return None if value in (None, "") else parse(value, name)


def _opt_int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def records_from_export(data: Mapping[str, Any], source: str) -> tuple[
    list[Grant], dict[str, tuple[str, str]], list[Lot], dict[str, tuple[date | None, str | None, str]],
    list[Sale], dict[int, tuple[str, dict[str, Any]]],
]:
    """Check an export and turn it into records (the law's checks run as the records are built)."""
    grants: list[Grant] = []
    rules_sources: dict[str, tuple[str, str]] = {}
    grant_dates: dict[str, tuple[date, str]] = {}
    for i, g in enumerate(data.get("grants", []), start=1):
        try:
            grant = Grant(
                id=str(g["id"]), company=str(g["company"]), kind=to_kind(g["kind"]),
                grant_date=to_date(g["grant_date"], "grant_date"), shares=to_shares(g["shares"]),
                strike=to_decimal(g["strike"], "strike"), fmv_at_grant=to_decimal(g["fmv_at_grant"], "fmv_at_grant"),
                vesting=tuple(VestingTranche(to_date(t["date"], "vesting date"), to_shares(t["shares"]))
                              for t in g.get("vesting", [])),
                expiration_date=to_date(g["expiration_date"], "expiration_date"),
                early_exercise_allowed=bool(g.get("early_exercise_allowed")),
                post_termination_months=_opt_int(g.get("post_termination_months")),
                post_termination_days=_opt_int(g.get("post_termination_days")),
            )
        except KeyError as err:
            raise InputError(f"grant {i}", f"missing {err.args[0]}", "every grant field", source=source) from None
        except InputError as err:
            raise InputError(f"grant {g.get('id')}: {err.field}", err.value, err.allowed, source=source) from None
        if grant.id in rules_sources:
            raise InputError("grant id", grant.id, "ids used once in the file", source=source)
        grants.append(grant)
        rules_sources[grant.id] = (str(g.get("vesting_rule") or ""), str(g.get("source") or "entered"))
        grant_dates[grant.id] = (grant.grant_date, grant.company)
    lots: list[Lot] = []
    extra: dict[str, tuple[date | None, str | None, str]] = {}
    for i, x in enumerate(data.get("lots", []), start=1):
        try:
            grant_id = str(x["grant_id"])
            grant_date, company = grant_dates.get(grant_id, (to_date(x.get("grant_date") or "1900-01-01", "grant"),
                                                             ""))
            lot = Lot(
                id=str(x["id"]), grant_id=grant_id, kind=to_kind(x["kind"]), grant_date=grant_date,
                exercise_date=to_date(x["exercise_date"], "exercise_date"), shares=to_shares(x["shares"]),
                strike=to_decimal(x["strike"], "strike"), fmv_at_exercise=to_decimal(x["fmv_at_exercise"], "fmv"),
                vesting_date=_opt(x.get("vesting_date"), to_date, "vesting_date"),
                fmv_at_vesting=_opt(x.get("fmv_at_vesting"), to_decimal, "fmv_at_vesting"),
                election_83b_date=_opt(x.get("election_83b_date"), to_date, "election_83b_date"),
                kind_reason=str(x.get("kind_reason") or ""), company=company,
            )
        except KeyError as err:
            raise InputError(f"lot {i}", f"missing {err.args[0]}", "every lot field", source=source) from None
        except InputError as err:
            raise InputError(f"lot {x.get('id')}: {err.field}", err.value, err.allowed, source=source) from None
        if lot.id in extra:
            raise InputError("lot id", lot.id, "ids used once in the file", source=source)
        lots.append(lot)
        extra[lot.id] = (_opt(x.get("termination_date"), to_date, "termination_date"),
                         x.get("termination_reason") or None, str(x.get("source") or "entered"))
    sales: list[Sale] = []
    seen_sales: set[str] = set()
    for i, s in enumerate(data.get("sales", []), start=1):
        try:
            sale = Sale(id=str(s["id"]), lot_id=str(s["lot_id"]), date=to_date(s["sale_date"], "sale_date"),
                        shares=to_shares(s["shares"]), price=to_decimal(s["price"], "price"),
                        wash_sale_or_related_party=bool(s.get("wash_sale_or_related_party")))
        except KeyError as err:
            raise InputError(f"sale {i}", f"missing {err.args[0]}", "every sale field", source=source) from None
        except InputError as err:
            raise InputError(f"sale {s.get('id')}: {err.field}", err.value, err.allowed, source=source) from None
        if sale.id in seen_sales:
            raise InputError("sale id", sale.id, "ids used once in the file", source=source)
        seen_sales.add(sale.id)
        sales.append(sale)
    years: dict[int, tuple[str, dict[str, Any]]] = {}
    for y in data.get("years", []):
        try:
            year = int(y["year"])
        except (KeyError, TypeError, ValueError):
            raise InputError("year", y.get("year") if isinstance(y, dict) else y, "a tax year", source=source) \
                from None
        status = str(y.get("filing_status", "")).lower()
        if status not in FILING_STATUSES:
            raise InputError(f"year {year} filing_status", status, ", ".join(FILING_STATUSES), source=source)
        if year in years:
            raise InputError("year", year, "each year once in the file", source=source)
        years[year] = (status, {k: to_decimal(v, f"year {year} {k}", minimum=None)
                                for k, v in (y.get("income") or {}).items()})
    return grants, rules_sources, lots, extra, sales, years
