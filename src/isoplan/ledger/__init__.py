"""The ledger: grants, lots, sales and yearly income in a local SQLite file.

``store.Ledger`` is the one way in: reads, and writes that each run in one
``BEGIN IMMEDIATE ... COMMIT`` transaction (:func:`store.write_transaction`).
``schema`` holds the numbered migrations; ``years`` turns the ledger into a
table of tax years with the minimum tax credit carried (Form 8801);
``transfer`` reads and writes JSON, CSV and Form 3921 files. Exact values
(prices, money) are stored as decimal TEXT, never SQLite REAL.
"""
