"""isoplan: plan Incentive Stock Option exercises around the Alternative Minimum Tax.

The use cases are functions of this package (``isoplan.room(...)``, ``isoplan.compute_tax(...)``, ``isoplan.plan(...)``;
see :mod:`isoplan.api` and docs/api.md). They are imported on first use, so
``import isoplan`` stays fast.
"""

from __future__ import annotations

from typing import Any

from isoplan.errors import InputError

__version__ = "0.1.0"

_API = ("checklist", "compute_tax", "cost", "ledger_grants", "ledger_lots", "ledger_years", "plan", "plan_report",
        "risk", "room")

__all__ = ["InputError", "__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        from isoplan import api

        return getattr(api, name)
    raise AttributeError(f"module 'isoplan' has no attribute {name!r}")
