"""``isoplan mcp``: the use cases of :mod:`isoplan.app` as Model Context Protocol tools for AI assistants.

:mod:`isoplan.mcp.server` builds the server on the official Python SDK (the ``mcp`` distribution, imported
with absolute imports, so ``import mcp`` here always means the SDK) and serves it over stdio.
:mod:`isoplan.mcp.answers` writes the short text answer beside each tool's JSON. Nothing here computes tax:
each tool checks nothing itself and calls one use case of the application layer.
"""
