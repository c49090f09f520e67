"""The ledger: grants, lots, sales and income read as records, and written through the one write path.

Every change goes through :func:`isoplan.ledger.db.write_transaction`
(``BEGIN IMMEDIATE`` ... ``COMMIT``, ``ROLLBACK`` on any error), so a refused
or interrupted write leaves the file as it was. Checks that need the law
(vesting, expiry, the §422(d) split, what a lot still holds) run inside the
transaction, on the state the write will change. Files come in already read:
:mod:`isoplan.ledger.transfer` turns an export into :class:`ExportRecords`,
an importer (:mod:`isoplan.ledger.importers`) turns a form into its rows.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from isoplan.equity.dates import add_months
from isoplan.equity.disposition import check_sale, fifo_allocation
from isoplan.equity.exercise import TERMINATION_REASONS, plan_exercise
from isoplan.equity.iso_limit import iso_nso_split
from isoplan.equity.records import (
    ISO,
    Grant,
    Lot,
    Sale,
    VestingTranche,
    to_date,
    to_decimal,
    to_kind,
    to_shares,
)
from isoplan.equity.rules import equity_rules
from isoplan.errors import InputError
from isoplan.ledger.db import connect, current_version, dec_text, open_connection, write_transaction
from isoplan.ledger.importers.form3921 import Form3921Row
from isoplan.tax.fields import CA_MONEY_FIELDS, COUNT_FIELDS, MONEY_FIELDS, WITHHOLDING_FIELDS

#: household inputs a year's income entry may hold (the tax engine's inputs, and California's own two)
INCOME_FIELDS: dict[str, bool] = {name: negative for name, negative, _ in MONEY_FIELDS}
#: amounts only a California year uses (isoplan.tax.states.california): never negative
CA_INCOME_FIELDS: tuple[str, ...] = tuple(name for name, _ in CA_MONEY_FIELDS)
INCOME_FIELDS.update(dict.fromkeys(CA_INCOME_FIELDS, False))
#: tax withheld: payments toward the year's tax, not inputs of its computation (never negative)
WITHHOLDING_INCOME_FIELDS: tuple[str, ...] = tuple(name for name, _ in WITHHOLDING_FIELDS)
INCOME_FIELDS.update(dict.fromkeys(WITHHOLDING_INCOME_FIELDS, False))
#: amounts refused for a year whose state is not CA
_CA_ONLY_FIELDS = (*CA_INCOME_FIELDS, "ca_withholding")
COUNT_INCOME_FIELDS = tuple(name for name, _ in COUNT_FIELDS)
FILING_STATUSES = ("single", "mfj", "mfs", "hoh", "qss")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "company"


class Ledger:
    """An open ledger file. Use :meth:`open`; close with :meth:`close` or ``with``."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.rules = equity_rules()

    @classmethod
    def open(cls, path: Path | str, *, create: bool = False) -> Ledger:
        path = Path(path)
        return cls(open_connection(path, create=create), path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with write_transaction(self.conn) as conn:
            yield conn

    # ------------------------------------------------------------ reads

    def schema_version(self) -> int:
        return current_version(self.conn)

    def grant_rows(self) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM grants ORDER BY company, grant_date, id").fetchall()

    def grants(self) -> list[Grant]:
        tranches: dict[str, list[VestingTranche]] = {}
        for row in self.conn.execute("SELECT grant_id, vest_date, shares FROM vesting_tranches ORDER BY grant_id, seq"):
            tranches.setdefault(row["grant_id"], []).append(
                VestingTranche(date.fromisoformat(row["vest_date"]), int(row["shares"])))
        return [_grant_from_row(row, tuple(tranches.get(row["id"], ()))) for row in self.grant_rows()]

    def lot_rows(self) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT lots.*, grants.grant_date AS grant_date, grants.company AS company "
            "FROM lots JOIN grants ON grants.id = lots.grant_id ORDER BY exercise_date, lots.id"
        ).fetchall()

    def lots(self) -> list[Lot]:
        return [_lot_from_row(row) for row in self.lot_rows()]

    def sales(self) -> list[Sale]:
        return [_sale_from_row(row) for row in
                self.conn.execute("SELECT * FROM sales ORDER BY sale_date, id").fetchall()]

    def years(self, *, withholding: bool = False) -> dict[int, tuple[str, dict[str, Decimal]]]:
        """Income entries: year -> (filing status, {field: amount}). The tax withheld
        (:data:`WITHHOLDING_INCOME_FIELDS`) is left out unless ``withholding``: it pays the tax, it is
        not an input of it."""
        out: dict[int, tuple[str, dict[str, Decimal]]] = {}
        for row in self.conn.execute("SELECT year, filing_status FROM tax_years ORDER BY year"):
            out[int(row["year"])] = (row["filing_status"], {})
        for row in self.conn.execute("SELECT year, field, amount FROM income ORDER BY year, field"):
            if withholding or row["field"] not in WITHHOLDING_INCOME_FIELDS:
                out[int(row["year"])][1][row["field"]] = Decimal(row["amount"])
        return out

    def states(self) -> dict[int, str | None]:
        """Each entered year's state of residence (None: federal only)."""
        return {int(row["year"]): row["state"]
                for row in self.conn.execute("SELECT year, state FROM tax_years ORDER BY year")}

    def held(self) -> dict[str, int]:
        """Shares each lot still holds."""
        rows = self.conn.execute(
            "SELECT lots.id, lots.shares - COALESCE(SUM(sales.shares), 0) AS held "
            "FROM lots LEFT JOIN sales ON sales.lot_id = lots.id GROUP BY lots.id"
        ).fetchall()
        return {row["id"]: int(row["held"]) for row in rows}

    def _id_taken(self, table: str, ident: str) -> bool:
        return self.conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (ident,)).fetchone() is not None

    # ------------------------------------------------------------ writes

    def add_grant(self, grant: Grant, *, vesting_rule: str = "", source: str = "entered") -> Grant:
        """Record a grant and its vesting tranches."""
        with self._write() as conn:
            if self._id_taken("grants", grant.id):
                raise InputError("grant id", grant.id, "a new id: a grant with this id is already in the ledger")
            _insert_grant(conn, grant, vesting_rule, source)
        return grant

    def exercise(
        self,
        *,
        grant_id: str,
        lot_id: str,
        exercise_date: date,
        shares: int,
        fmv_at_exercise: Decimal,
        kind: str = "auto",
        election_83b_date: date | None = None,
        fmv_at_vesting: Decimal | None = None,
        termination_date: date | None = None,
        termination_reason: str = "left",
    ) -> list[Lot]:
        """Record an exercise (one or more lots); refuse what the grant does not allow."""
        if termination_reason not in TERMINATION_REASONS:
            raise InputError("termination reason", termination_reason, "one of " + ", ".join(TERMINATION_REASONS))
        with self._write() as conn:
            grants = {g.id: g for g in self.grants()}
            if grant_id not in grants:
                raise InputError("grant", grant_id, "the id of a grant in the ledger (see `isoplan ledger grants`)")
            grant = grants[grant_id]
            splits = iso_nso_split([g for g in grants.values() if g.company == grant.company], self.rules)
            prior = [lot for lot in self.lots() if lot.grant_id == grant_id]
            lots = plan_exercise(
                grant, splits, prior, lot_id=lot_id, exercise_date=exercise_date, shares=shares,
                fmv_at_exercise=fmv_at_exercise, kind=kind, election_83b_date=election_83b_date,
                fmv_at_vesting=fmv_at_vesting, termination_date=termination_date,
                termination_reason=termination_reason, rules=self.rules,
            )
            for lot in lots:
                if self._id_taken("lots", lot.id):
                    raise InputError("lot id", lot.id, "a new id: a lot with this id is already in the ledger")
                _insert_lot(conn, lot, termination_date, termination_reason if termination_date else None, "entered")
        return lots

    def set_vesting_fmv(self, lot_id: str, fmv: Decimal) -> Lot:
        """Enter the vesting-date FMV of an early-exercised lot (it measures the AMT adjustment or NSO income)."""
        with self._write() as conn:
            lots = {lot.id: lot for lot in self.lots()}
            if lot_id not in lots:
                raise InputError("lot", lot_id, "the id of a lot in the ledger (see `isoplan ledger lots`)")
            lot = lots[lot_id]
            if lot.vested_at_exercise:
                raise InputError("lot", lot_id, "a lot exercised before vesting: this one was vested at exercise")
            conn.execute("UPDATE lots SET fmv_at_vesting = ? WHERE id = ?", (dec_text(fmv), lot_id))
        return next(x for x in self.lots() if x.id == lot_id)

    def sell(
        self,
        *,
        sale_id: str,
        sale_date: date,
        shares: int,
        price: Decimal,
        lot_id: str | None = None,
        grant_id: str | None = None,
        wash_sale_or_related_party: bool = False,
    ) -> list[Sale]:
        """Record a sale from one lot (specific identification) or FIFO across held lots."""
        with self._write() as conn:
            lots = {lot.id: lot for lot in self.lots()}
            held = self.held()
            if lot_id is not None:
                if lot_id not in lots:
                    raise InputError("lot", lot_id, "the id of a lot in the ledger (see `isoplan ledger lots`)")
                lot = lots[lot_id]
                sale = Sale(sale_id, lot_id, sale_date, shares, price, wash_sale_or_related_party)
                check_sale(lot, sale, lot.shares - held[lot_id])
                picks = [(lot, shares)]
            else:
                pool = [(lot, held[lot.id]) for lot in lots.values() if grant_id is None or lot.grant_id == grant_id]
                if grant_id is not None and not pool:
                    raise InputError("grant", grant_id, "a grant with exercised lots")
                picks = fifo_allocation(pool, shares, sale_date)
            sales = []
            for i, (lot, n) in enumerate(picks):
                sale = Sale(sale_id if i == 0 else f"{sale_id}-{i + 1}", lot.id, sale_date, n, price,
                            wash_sale_or_related_party)
                check_sale(lot, sale, lot.shares - held[lot.id])
                if self._id_taken("sales", sale.id):
                    raise InputError("sale id", sale.id, "a new id: a sale with this id is already in the ledger")
                _insert_sale(conn, sale)
                held[lot.id] -= n
                sales.append(sale)
        return sales

    def set_income(self, year: int, filing_status: str | None, amounts: Mapping[str, Any], *,
                   clear: bool = False, state: str | None = None) -> tuple[str, dict[str, Decimal]]:
        """Set a year's filing status and household inputs (only the fields given; ``clear`` drops the rest).

        ``state``: None leaves the year's state as it is; ``""`` makes the year federal only; a two-letter
        code sets it. California's amounts (``property_tax``, ``ca_amt_credit_carryforward``) are refused
        for a year whose state is not CA, as ``isoplan tax`` refuses them without ``--state CA``.
        """
        checked = _check_income(amounts)
        new_state = None if state is None else _check_state(state)
        with self._write() as conn:
            row = conn.execute("SELECT filing_status FROM tax_years WHERE year = ?", (year,)).fetchone()
            status = filing_status or (row["filing_status"] if row else None)
            if status is None:
                raise InputError("--status", None, "a filing status for a new year: single, mfj, mfs, hoh or qss")
            status = status.strip().lower()
            if status not in FILING_STATUSES:
                raise InputError("--status", status, "single, mfj, mfs, hoh or qss")
            conn.execute("INSERT INTO tax_years (year, filing_status) VALUES (?, ?) "
                         "ON CONFLICT(year) DO UPDATE SET filing_status = excluded.filing_status", (year, status))
            if state is not None:
                conn.execute("UPDATE tax_years SET state = ? WHERE year = ?", (new_state, year))
            if clear:
                conn.execute("DELETE FROM income WHERE year = ?", (year,))
            for name, value in checked.items():
                conn.execute("INSERT INTO income (year, field, amount) VALUES (?, ?, ?) "
                             "ON CONFLICT(year, field) DO UPDATE SET amount = excluded.amount",
                             (year, name, dec_text(value)))
            _check_year(year, self.states()[year], self.years(withholding=True)[year][1])
        return self.years(withholding=True)[year]

    def import_3921(self, rows: Sequence[Form3921Row], source: str) -> list[Lot]:
        """Import Form 3921 exercises, all or nothing; a row that repeats a lot (or another row) is refused."""
        with self._write() as conn:
            grants = {g.id: g for g in self.grants()}
            grant_source = {row["id"]: row["source"] for row in self.grant_rows()}
            seen: dict[tuple[Any, ...], str] = {}
            for lot in self.lots():
                seen[_lot_key(lot.company, lot.grant_date, lot.exercise_date, lot.strike, lot.fmv_at_exercise,
                              lot.shares)] = f"lot {lot.id}"
            exercised: dict[str, int] = {}
            for lot in self.lots():
                exercised[lot.grant_id] = exercised.get(lot.grant_id, 0) + lot.shares
            lot_ids = {row["id"] for row in conn.execute("SELECT id FROM lots")}
            placeholder_shares: dict[str, int] = {}
            next_n: dict[str, int] = {}
            new_lots: list[Lot] = []
            for r in rows:
                key = _lot_key(r.company, r.grant_date, r.exercise_date, r.exercise_price, r.fmv_at_exercise, r.shares)
                if key in seen:
                    raise InputError("row", f"{r.company} {r.exercise_date} {r.shares} shares",
                                     f"a new exercise: it repeats {seen[key]}", row=r.row, source=source)
                seen[key] = f"row {r.row}"
                grant = self._grant_for_3921(r, grants, source)
                if grant.id not in grants:  # a placeholder made for this file
                    grants[grant.id] = grant
                    grant_source[grant.id] = "form3921"
                if grant_source.get(grant.id) == "form3921":
                    placeholder_shares[grant.id] = placeholder_shares.get(grant.id, 0) + r.shares
                else:
                    if r.exercise_date > grant.expiration_date:
                        raise InputError("box 2 exercise date", r.exercise_date.isoformat(),
                                         f"on or before the expiration {grant.expiration_date} of grant {grant.id}",
                                         row=r.row, source=source)
                    exercised[grant.id] = exercised.get(grant.id, 0) + r.shares
                    if exercised[grant.id] > grant.shares:
                        raise InputError("box 5 shares", r.shares,
                                         f"at most the {grant.shares - exercised[grant.id] + r.shares} unexercised "
                                         f"shares of grant {grant.id}", row=r.row, source=source)
                lot_id = r.lot_id or self._new_3921_lot_id(r, lot_ids, next_n)
                if lot_id in lot_ids:
                    raise InputError("lot_id", lot_id, "a new id: a lot with this id exists", row=r.row, source=source)
                lot_ids.add(lot_id)
                try:
                    lot = Lot(id=lot_id, grant_id=grant.id, kind=ISO, grant_date=r.grant_date,
                              exercise_date=r.exercise_date, shares=r.shares, strike=r.exercise_price,
                              fmv_at_exercise=r.fmv_at_exercise,
                              kind_reason="ISO: reported on Form 3921 (shares taken as vested at exercise)",
                              company=r.company, rules=self.rules)
                except InputError as err:
                    raise err.at(row=r.row, source=source) from None
                new_lots.append(lot)
            # placeholder grants: one tranche at grant holding every share exercised so far
            for grant_id, added in placeholder_shares.items():
                grant = grants[grant_id]
                before = conn.execute("SELECT shares FROM grants WHERE id = ?", (grant_id,)).fetchone()
                total = (int(before["shares"]) if before else 0) + added
                if before:
                    conn.execute("UPDATE grants SET shares = ? WHERE id = ?", (total, grant_id))
                    conn.execute("UPDATE vesting_tranches SET shares = ? WHERE grant_id = ? AND seq = 0",
                                 (total, grant_id))
                else:
                    _insert_grant(conn, Grant(
                        id=grant.id, company=grant.company, kind=ISO, grant_date=grant.grant_date, shares=total,
                        strike=grant.strike, fmv_at_grant=grant.fmv_at_grant,
                        vesting=(VestingTranche(grant.grant_date, total),), expiration_date=grant.expiration_date,
                    ), "made from Form 3921 (vesting and grant-date FMV unknown; FMV taken as the price)", "form3921")
            for lot in new_lots:
                _insert_lot(conn, lot, None, None, "form3921")
        return new_lots

    def _grant_for_3921(self, r: Form3921Row, grants: dict[str, Grant], source: str) -> Grant:
        if r.grant_id:
            if r.grant_id not in grants:
                raise InputError("grant_id", r.grant_id, "the id of a grant in the ledger", row=r.row, source=source)
            grant = grants[r.grant_id]
            if grant.grant_date != r.grant_date or grant.kind != ISO:
                raise InputError("grant_id", r.grant_id, f"an ISO grant dated {r.grant_date} (box 1)",
                                 row=r.row, source=source)
            return grant
        matches = [g for g in grants.values() if g.kind == ISO and g.company == r.company
                   and g.grant_date == r.grant_date and g.strike == r.exercise_price]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise InputError("row", f"{r.company} {r.grant_date}", "a grant_id column: grants "
                             + ", ".join(g.id for g in matches) + " all match", row=r.row, source=source)
        ident = f"3921-{_slug(r.company)}-{r.grant_date.isoformat()}-{dec_text(r.exercise_price)}"
        if ident in grants:
            return grants[ident]
        return Grant(
            id=ident, company=r.company, kind=ISO, grant_date=r.grant_date, shares=1, strike=r.exercise_price,
            fmv_at_grant=r.exercise_price, vesting=(VestingTranche(r.grant_date, 1),),
            expiration_date=add_months(r.grant_date, 12 * self.rules.iso_maximum_term_years),
        )

    @staticmethod
    def _new_3921_lot_id(r: Form3921Row, taken: set[str], next_n: dict[str, int]) -> str:
        base = f"3921-{_slug(r.company)}-{r.exercise_date.isoformat()}"
        n = next_n.get(base, 1)
        while f"{base}-{n}" in taken:
            n += 1
        next_n[base] = n + 1
        return f"{base}-{n}"

    def import_data(self, records: ExportRecords, source: str) -> dict[str, int]:
        """Load an export (already read into records by :mod:`isoplan.ledger.transfer`), all or nothing."""
        grants, rules_sources, lots, lot_extra = records.grants, records.grant_meta, records.lots, records.lot_meta
        sales, years, year_states = records.sales, records.years, records.states
        with self._write() as conn:
            for grant in grants:
                if self._id_taken("grants", grant.id):
                    raise InputError("grant id", grant.id, "a new id: already in the ledger", source=source)
                rule, src = rules_sources[grant.id]
                _insert_grant(conn, grant, rule, src)
            existing_lots = {lot.id: lot for lot in self.lots()}
            for lot in lots:
                if lot.id in existing_lots:
                    raise InputError("lot id", lot.id, "a new id: already in the ledger", source=source)
                grant_row = conn.execute("SELECT grant_date FROM grants WHERE id = ?", (lot.grant_id,)).fetchone()
                if grant_row is None:
                    raise InputError("lot grant_id", lot.grant_id, "a grant in the file or the ledger", source=source)
                term, reason, src = lot_extra[lot.id]
                _insert_lot(conn, lot, term, reason, src)
            all_lots = {lot.id: lot for lot in self.lots()}
            held = self.held()
            for sale in sales:
                if self._id_taken("sales", sale.id):
                    raise InputError("sale id", sale.id, "a new id: already in the ledger", source=source)
                if sale.lot_id not in all_lots:
                    raise InputError("sale lot_id", sale.lot_id, "a lot in the file or the ledger", source=source)
                lot = all_lots[sale.lot_id]
                try:
                    check_sale(lot, sale, lot.shares - held[lot.id])
                except InputError as err:
                    raise err.at(source=source) from None
                _insert_sale(conn, sale)
                held[lot.id] -= sale.shares
            for year, (status, amounts) in years.items():
                if conn.execute("SELECT 1 FROM tax_years WHERE year = ?", (year,)).fetchone():
                    raise InputError("year", year, "a year not yet in the ledger", source=source)
                state = _check_state(year_states.get(year) or "", f"year {year} state", source)
                try:
                    checked = _check_income(amounts)
                    _check_year(year, state, checked)
                except InputError as err:
                    raise err.at(source=source) from None
                conn.execute("INSERT INTO tax_years (year, filing_status, state) VALUES (?, ?, ?)",
                             (year, status, state))
                for name, value in checked.items():
                    conn.execute("INSERT INTO income (year, field, amount) VALUES (?, ?, ?)",
                                 (year, name, dec_text(value)))
        return {"grants": len(grants), "lots": len(lots), "sales": len(sales), "years": len(years)}

    def export_data(self) -> dict[str, Any]:
        """Everything in the ledger as plain data (decimals as exact strings)."""
        tranches: dict[str, list[dict[str, Any]]] = {}
        for row in self.conn.execute("SELECT grant_id, vest_date, shares FROM vesting_tranches ORDER BY grant_id, seq"):
            tranches.setdefault(row["grant_id"], []).append({"date": row["vest_date"], "shares": int(row["shares"])})
        grants = []
        for row in self.grant_rows():
            item = {k: row[k] for k in row.keys()}  # noqa: SIM118 (sqlite3.Row has no items())
            item["early_exercise_allowed"] = bool(item["early_exercise_allowed"])
            # as the ledger holds the grant: an ISO recorded below its FMV before the check is loaded flagged
            item["good_faith_valuation"] = bool(item["good_faith_valuation"]) or below_fmv_unstated(row)
            item["vesting"] = tranches.get(row["id"], [])
            grants.append(item)
        lots = []
        for row in self.conn.execute("SELECT * FROM lots ORDER BY exercise_date, id"):
            lots.append({k: row[k] for k in row.keys()})  # noqa: SIM118
        sales = []
        for row in self.conn.execute("SELECT * FROM sales ORDER BY sale_date, id"):
            item = {k: row[k] for k in row.keys()}  # noqa: SIM118
            item["wash_sale_or_related_party"] = bool(item["wash_sale_or_related_party"])
            sales.append(item)
        states = self.states()
        years = [{"year": year, "filing_status": status, "income": {k: dec_text(v) for k, v in amounts.items()},
                  "state": states[year]}
                 for year, (status, amounts) in self.years(withholding=True).items()]
        return {"format": "isoplan-ledger", "schema_version": self.schema_version(),
                "grants": grants, "lots": lots, "sales": sales, "years": years}


# ---------------------------------------------------------------- an export, read


@dataclass(frozen=True)
class ExportRecords:
    """An export (JSON or CSV folder) read into records: what :meth:`Ledger.import_data` loads."""

    grants: tuple[Grant, ...] = ()
    #: grant id -> (vesting rule, source)
    grant_meta: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    lots: tuple[Lot, ...] = ()
    #: lot id -> (termination date, termination reason, source)
    lot_meta: Mapping[str, tuple[date | None, str | None, str]] = field(default_factory=dict)
    sales: tuple[Sale, ...] = ()
    #: year -> (filing status, income amounts)
    years: Mapping[int, tuple[str, Mapping[str, Decimal]]] = field(default_factory=dict)
    #: year -> the state as written in the file (checked on import)
    states: Mapping[int, str | None] = field(default_factory=dict)


# ---------------------------------------------------------------- rows <-> records


def _lot_key(company: str, grant_date: date, exercise_date: date, price: Decimal, fmv: Decimal,
             shares: int) -> tuple[Any, ...]:
    return (company.strip().lower(), grant_date, exercise_date, price.normalize(), fmv.normalize(), shares)


def _opt_date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def below_fmv_unstated(row: sqlite3.Row | Mapping[str, Any]) -> bool:
    """An ISO row priced below its grant-date FMV with no good-faith valuation stated (IRC §422(b)(4)).

    Only a grant recorded before the ledger checked the rule can be one: it is loaded as an ISO, flagged
    as priced in good faith (IRC §422(c)(1)), so the ledger still opens; ``ledger grants`` says so.
    """
    return (row["kind"] == ISO and not row["good_faith_valuation"]
            and Decimal(row["strike"]) < Decimal(row["fmv_at_grant"]))


def _grant_from_row(row: sqlite3.Row, vesting: tuple[VestingTranche, ...]) -> Grant:
    return Grant(
        id=row["id"], company=row["company"], kind=row["kind"], grant_date=date.fromisoformat(row["grant_date"]),
        shares=int(row["shares"]), strike=Decimal(row["strike"]), fmv_at_grant=Decimal(row["fmv_at_grant"]),
        vesting=vesting, expiration_date=date.fromisoformat(row["expiration_date"]),
        early_exercise_allowed=bool(row["early_exercise_allowed"]),
        post_termination_months=row["post_termination_months"], post_termination_days=row["post_termination_days"],
        good_faith_valuation=bool(row["good_faith_valuation"]) or below_fmv_unstated(row),
    )


def _lot_from_row(row: sqlite3.Row) -> Lot:
    return Lot(
        id=row["id"], grant_id=row["grant_id"], kind=row["kind"], grant_date=date.fromisoformat(row["grant_date"]),
        exercise_date=date.fromisoformat(row["exercise_date"]), shares=int(row["shares"]),
        strike=Decimal(row["strike"]), fmv_at_exercise=Decimal(row["fmv_at_exercise"]),
        vesting_date=_opt_date(row["vesting_date"]),
        fmv_at_vesting=Decimal(row["fmv_at_vesting"]) if row["fmv_at_vesting"] is not None else None,
        election_83b_date=_opt_date(row["election_83b_date"]), kind_reason=row["kind_reason"],
        company=row["company"],
    )


def _sale_from_row(row: sqlite3.Row) -> Sale:
    return Sale(id=row["id"], lot_id=row["lot_id"], date=date.fromisoformat(row["sale_date"]),
                shares=int(row["shares"]), price=Decimal(row["price"]),
                wash_sale_or_related_party=bool(row["wash_sale_or_related_party"]))


def _insert_grant(conn: sqlite3.Connection, grant: Grant, vesting_rule: str, source: str) -> None:
    conn.execute(
        "INSERT INTO grants (id, company, kind, grant_date, shares, strike, fmv_at_grant, expiration_date, "
        "early_exercise_allowed, post_termination_months, post_termination_days, vesting_rule, source, "
        "good_faith_valuation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (grant.id, grant.company, grant.kind, grant.grant_date.isoformat(), grant.shares, dec_text(grant.strike),
         dec_text(grant.fmv_at_grant), grant.expiration_date.isoformat(), int(grant.early_exercise_allowed),
         grant.post_termination_months, grant.post_termination_days, vesting_rule, source,
         int(grant.good_faith_valuation)),
    )
    conn.executemany(
        "INSERT INTO vesting_tranches (grant_id, seq, vest_date, shares) VALUES (?, ?, ?, ?)",
        [(grant.id, i, t.date.isoformat(), t.shares) for i, t in enumerate(grant.vesting)],
    )


def _insert_lot(conn: sqlite3.Connection, lot: Lot, termination_date: date | None, termination_reason: str | None,
                source: str) -> None:
    conn.execute(
        "INSERT INTO lots (id, grant_id, kind, exercise_date, shares, strike, fmv_at_exercise, vesting_date, "
        "fmv_at_vesting, election_83b_date, termination_date, termination_reason, kind_reason, source) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (lot.id, lot.grant_id, lot.kind, lot.exercise_date.isoformat(), lot.shares, dec_text(lot.strike),
         dec_text(lot.fmv_at_exercise), lot.vesting_date.isoformat() if lot.vesting_date else None,
         dec_text(lot.fmv_at_vesting) if lot.fmv_at_vesting is not None else None,
         lot.election_83b_date.isoformat() if lot.election_83b_date else None,
         termination_date.isoformat() if termination_date else None, termination_reason, lot.kind_reason, source),
    )


def _insert_sale(conn: sqlite3.Connection, sale: Sale) -> None:
    conn.execute(
        "INSERT INTO sales (id, lot_id, sale_date, shares, price, wash_sale_or_related_party) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (sale.id, sale.lot_id, sale.date.isoformat(), sale.shares, dec_text(sale.price),
         int(sale.wash_sale_or_related_party)),
    )


def _check_state(value: str, field: str = "--state", source: str | None = None) -> str | None:
    """A two-letter state code in capitals; ``""`` or ``none`` is federal only (None)."""
    code = str(value).strip().upper()
    if code in ("", "NONE"):
        return None
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise InputError(field, value, "a two-letter state code such as CA, or none for federal only", source=source)
    return code


def _check_year(year: int, state: str | None, amounts: Mapping[str, Decimal]) -> None:
    """California's amounts belong to a California year (elsewhere they would be ignored silently), and
    property tax is the part of state_local_tax that California lets one deduct (at most all of it)."""
    if state != "CA":
        for name in _CA_ONLY_FIELDS:
            if amounts.get(name):
                raise InputError(name, dec_text(amounts[name]),
                                 f"used only for a year whose state is CA ({year}'s state is {state or 'none'}: "
                                 f"set the state to CA, or the amount to 0)")
        return
    property_tax = amounts.get("property_tax", Decimal(0))
    state_local_tax = amounts.get("state_local_tax", Decimal(0))
    if property_tax > state_local_tax:
        raise InputError("property_tax", dec_text(property_tax),
                         f"at most {year}'s state_local_tax ({dec_text(state_local_tax)}), which includes it")


def _check_income(amounts: Mapping[str, Any]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for name, value in amounts.items():
        if name in INCOME_FIELDS:
            out[name] = to_decimal(value, name, minimum=None if INCOME_FIELDS[name] else Decimal(0))
        elif name in COUNT_INCOME_FIELDS:
            out[name] = Decimal(to_shares(value, name, minimum=0))
        else:
            raise InputError("income field", name, "one of " + ", ".join([*INCOME_FIELDS, *COUNT_INCOME_FIELDS]))
    return out


__all__ = [
    "ExportRecords",
    "Form3921Row",
    "Ledger",
    "connect",
    "dec_text",
    "to_date",
    "to_decimal",
    "to_kind",
    "to_shares",
    "write_transaction",
]
