"""Files in and out of the ledger: JSON and CSV exports, and reading them back into records.

Reading only: :meth:`isoplan.ledger.store.Ledger.import_data` loads the
:class:`~isoplan.ledger.store.ExportRecords` made here. Form 3921 CSVs are
an importer of their own (:mod:`isoplan.ledger.importers.form3921`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
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
from isoplan.files import check_output_dir, write_text
from isoplan.ledger.store import FILING_STATUSES, ExportRecords

# ---------------------------------------------------------------- export

CSV_TABLES = {
    "grants": ("id", "company", "kind", "grant_date", "shares", "strike", "fmv_at_grant", "expiration_date",
               "early_exercise_allowed", "post_termination_months", "post_termination_days", "vesting_rule", "source",
               "good_faith_valuation"),
    "vesting": ("grant_id", "date", "shares"),
    "lots": ("id", "grant_id", "kind", "exercise_date", "shares", "strike", "fmv_at_exercise", "vesting_date",
             "fmv_at_vesting", "election_83b_date", "termination_date", "termination_reason", "kind_reason", "source"),
    "sales": ("id", "lot_id", "sale_date", "shares", "price", "wash_sale_or_related_party"),
    "income": ("year", "filing_status", "field", "amount", "state"),
}


def export_json(data: Mapping[str, Any]) -> str:
    """The export's JSON text (RFC 8259: no ``NaN`` or ``Infinity``; exact values are text)."""
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def write_json(data: Mapping[str, Any], path: str | None, *, field: str = "out") -> str:
    """The export's JSON text, also written to ``path`` (whole or not at all) when given."""
    text = export_json(data)
    if path:
        write_text(path, text, field)
    return text


def write_csv_dir(data: Mapping[str, Any], folder: str, *, field: str = "csv") -> list[Path]:
    """One CSV per table (grants, vesting, lots, sales, income) in ``folder``, each written whole."""
    out = check_output_dir(folder, field)
    try:
        out.mkdir(exist_ok=True)
    except OSError as err:
        raise InputError(field, folder, f"a folder isoplan may write ({err.strerror})") from None
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
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows[name]:
            writer.writerow({k: _csv_cell(row.get(k)) for k in columns})
        write_text(path, buffer.getvalue(), field, newline="")
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
        grant["good_faith_valuation"] = row.get("good_faith_valuation") == "true"  # absent in older exports
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


def load_export(path: str) -> ExportRecords:
    """An export file or CSV folder, read and checked: :func:`read_export` then :func:`records_from_export`."""
    return records_from_export(read_export(path), path)


def records_from_export(data: Mapping[str, Any], source: str) -> ExportRecords:
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
                good_faith_valuation=g.get("good_faith_valuation") is True,
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
    years: dict[int, tuple[str, Mapping[str, Decimal]]] = {}
    states: dict[int, str | None] = {}
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
        states[year] = y.get("state")
    return ExportRecords(grants=tuple(grants), grant_meta=rules_sources, lots=tuple(lots), lot_meta=extra,
                         sales=tuple(sales), years=years, states=states)
