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


#: The highest TCP port number.
MAX_PORT = 65535


def cmd_serve(args: argparse.Namespace) -> int:
    from isoplan.app.common import whole
    from isoplan.web import create_app
    from isoplan.web.server import serve

    port = whole("--port", args.port, minimum=0, maximum=MAX_PORT, what="a port number")
    try:
        return serve(create_app(db=args.db, port=port), port, open_browser=args.open)
    except OSError as err:
        raise InputError("--port", args.port, f"a free port ({err.strerror})") from None

