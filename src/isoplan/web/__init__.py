"""The local web app (``isoplan serve``): a thin layer over the planning API the CLI uses.

Pages and JSON endpoints: :mod:`isoplan.web.app`; the data behind them:
:mod:`isoplan.web.api` and :mod:`isoplan.web.ledger_api`; the loopback server:
:mod:`isoplan.web.server`. Docs: docs/web.md.
"""

from isoplan.web.app import App, create_app

__all__ = ["App", "create_app"]
