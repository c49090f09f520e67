"""ISO and NSO law: grants, vesting, the §422(d) $100,000 limit, lots with two bases, dispositions.

Pure (no I/O). Time and dollar rules come from ``rules.toml`` (cited data).
Modules: ``records`` (Grant, VestingTranche, Lot, Sale), ``iso_limit``
(``iso_nso_split``), ``exercise`` (``plan_exercise``), ``disposition``
(``dispositions`` vectorized, ``dispose`` for one sale), ``years`` (a year's
engine inputs from the records), ``dates`` (counting periods).
"""
