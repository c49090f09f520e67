"""The application layer: one module per use case, typed requests in, frozen records out.

The command line, the web app and the Python API call only this layer. It
validates every user value (see :mod:`isoplan.app.common`), calls the pure
engines in ``tax/``, ``equity/`` and ``planning/`` and the ledger, and returns
records whose ``as_dict()`` is the documented JSON. Nothing here parses
arguments, speaks HTTP or prints.
"""
