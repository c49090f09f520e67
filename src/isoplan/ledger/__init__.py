"""The ledger: grants, lots, sales and yearly income in a local SQLite file.

``store.Ledger`` is the one way in: reads, and writes that each run in one
``BEGIN IMMEDIATE ... COMMIT`` transaction (:func:`db.write_transaction`).
``db`` holds the connection and applies the numbered migrations of
``schema`` (data only); ``years`` turns the ledger into a table of tax years
with the minimum tax credit carried (Form 8801); ``transfer`` reads and writes
JSON and CSV exports; ``importers`` read other files (Form 3921 CSVs) into
records. Exact values (prices, money) are stored as decimal TEXT, never
SQLite REAL.
"""
