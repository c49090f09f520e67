"""``isoplan mcp``: the Model Context Protocol server for AI assistants, over stdio (docs/mcp.md)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

#: Exit status when the MCP SDK (the ``mcp`` extra) is not installed.
EXIT_NO_SDK = 1


def add_mcp_parser(sub: Any) -> None:
    """Register ``isoplan mcp``."""
    p = sub.add_parser(
        "mcp", help="serve isoplan's tools to an AI assistant (Model Context Protocol, stdio)",
        description="Serve tax, room, cost, plan, risk, checklist and the ledger as Model Context Protocol tools "
        "over stdin/stdout, for an AI assistant on this machine. The ledger is read-only unless --allow-writes "
        "is given. Registration and the tools: docs/mcp.md.",
    )
    p.add_argument("--db", metavar="PATH", help="the ledger file (default: $ISOPLAN_DB, else the user data folder)")
    p.add_argument("--allow-writes", action="store_true",
                   help="also offer the tools that record grants, exercises, sales and income in the ledger")
    p.set_defaults(func=cmd_mcp)


def cmd_mcp(args: argparse.Namespace) -> int:
    from isoplan.ledger.paths import resolve

    try:
        from isoplan.mcp.server import serve
    except ModuleNotFoundError as err:
        if err.name is None or err.name.partition(".")[0] != "mcp":
            raise
        print("isoplan mcp: the MCP SDK is not installed; install it with: pip install 'isoplan[mcp]'",
              file=sys.stderr)
        return EXIT_NO_SDK
    return serve(resolve(args.db), allow_writes=args.allow_writes)
