"""``isoplan serve``: the local web app."""

from __future__ import annotations

import argparse
from typing import Any

from isoplan.errors import InputError


def add_serve_parser(sub: Any) -> None:
    """Register ``isoplan serve``."""
    p = sub.add_parser(
        "serve", help="the local web app: room calculator, plan, risk, checklist, ledger (127.0.0.1 only)",
        description="Start the web app on 127.0.0.1 and print its address. Everything is served from the package; "
        "nothing leaves the machine. Pages and safety: docs/web.md.",
    )
    p.add_argument("--port", type=int, default=8765, metavar="N", help="port on 127.0.0.1 (default 8765; 0: any)")
    p.add_argument("--open", action="store_true", help="open the address in the default browser")
    p.add_argument("--db", metavar="PATH", help="the ledger file (default: $ISOPLAN_DB, else the user data folder)")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from isoplan.web import create_app
    from isoplan.web.server import serve

    if not 0 <= args.port <= 65535:
        raise InputError("--port", args.port, "a port number from 0 to 65535")
    try:
        return serve(create_app(db=args.db, port=args.port), args.port, open_browser=args.open)
    except OSError as err:
        raise InputError("--port", args.port, f"a free port ({err.strerror})") from None

