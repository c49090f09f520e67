"""The ledger's schema as numbered migrations, each applied in one transaction and recorded.

Tables are STRICT (SQLite >= 3.37): a column declared TEXT or INTEGER
refuses anything else. Prices and money are decimal TEXT (exact), shares
INTEGER, dates TEXT as YYYY-MM-DD. No column is REAL; a test checks it.

Data only: :mod:`isoplan.ledger.db` applies these migrations.
"""

from __future__ import annotations

#: (version, name, statements). Never edit a released migration: add a new one.
MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (1, "grants, vesting, lots, sales, tax years and income", (
        """CREATE TABLE grants (
            id TEXT PRIMARY KEY,
            company TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('ISO', 'NSO')),
            grant_date TEXT NOT NULL,
            shares INTEGER NOT NULL CHECK (shares > 0),
            strike TEXT NOT NULL,
            fmv_at_grant TEXT NOT NULL,
            expiration_date TEXT NOT NULL,
            early_exercise_allowed INTEGER NOT NULL DEFAULT 0 CHECK (early_exercise_allowed IN (0, 1)),
            post_termination_months INTEGER,
            post_termination_days INTEGER,
            vesting_rule TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT 'entered'
        ) STRICT""",
        """CREATE TABLE vesting_tranches (
            grant_id TEXT NOT NULL REFERENCES grants(id),
            seq INTEGER NOT NULL,
            vest_date TEXT NOT NULL,
            shares INTEGER NOT NULL CHECK (shares > 0),
            PRIMARY KEY (grant_id, seq)
        ) STRICT""",
        """CREATE TABLE lots (
            id TEXT PRIMARY KEY,
            grant_id TEXT NOT NULL REFERENCES grants(id),
            kind TEXT NOT NULL CHECK (kind IN ('ISO', 'NSO')),
            exercise_date TEXT NOT NULL,
            shares INTEGER NOT NULL CHECK (shares > 0),
            strike TEXT NOT NULL,
            fmv_at_exercise TEXT NOT NULL,
            vesting_date TEXT,
            fmv_at_vesting TEXT,
            election_83b_date TEXT,
            termination_date TEXT,
            termination_reason TEXT,
            kind_reason TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL DEFAULT 'entered'
        ) STRICT""",
        """CREATE TABLE sales (
            id TEXT PRIMARY KEY,
            lot_id TEXT NOT NULL REFERENCES lots(id),
            sale_date TEXT NOT NULL,
            shares INTEGER NOT NULL CHECK (shares > 0),
            price TEXT NOT NULL,
            wash_sale_or_related_party INTEGER NOT NULL DEFAULT 0 CHECK (wash_sale_or_related_party IN (0, 1))
        ) STRICT""",
        """CREATE TABLE tax_years (
            year INTEGER PRIMARY KEY,
            filing_status TEXT NOT NULL
        ) STRICT""",
        """CREATE TABLE income (
            year INTEGER NOT NULL REFERENCES tax_years(year),
            field TEXT NOT NULL,
            amount TEXT NOT NULL,
            PRIMARY KEY (year, field)
        ) STRICT""",
    )),
    (2, "indexes for lookups by grant and by lot", (
        "CREATE INDEX lots_by_grant ON lots(grant_id)",
        "CREATE INDEX sales_by_lot ON sales(lot_id)",
    )),
    # A year's state of residence (NULL: federal only). California's own amounts (property_tax, the FTB 3510
    # credit carried in) are income fields: exact decimal TEXT rows of the income table like every amount.
    (3, "state of residence per tax year", (
        "ALTER TABLE tax_years ADD COLUMN state TEXT "
        "CHECK (state IS NULL OR (length(state) = 2 AND state GLOB '[A-Z][A-Z]'))",
    )),
    # The grant states that an ISO priced below its grant-date FMV was priced in a good-faith attempt to meet
    # that FMV (IRC §422(c)(1)). Grants recorded before this column held no such statement: 0 for all of them.
    (4, "grant good-faith valuation statement", (
        "ALTER TABLE grants ADD COLUMN good_faith_valuation INTEGER NOT NULL DEFAULT 0 "
        "CHECK (good_faith_valuation IN (0, 1))",
    )),
    # Every correction (`ledger edit`, `ledger delete`): who, when, what, and the record before and after as
    # JSON text, so a correction can be seen and undone by hand.
    (5, "audit log of corrections", (
        """CREATE TABLE audit_log (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            who TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('edit', 'delete')),
            kind TEXT NOT NULL,
            record_id TEXT NOT NULL,
            before TEXT,
            after TEXT
        ) STRICT""",
    )),
)

LATEST = MIGRATIONS[-1][0]

#: The table that records which migrations were applied.
TRACKING_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
) STRICT"""
