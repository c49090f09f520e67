"""The defaults every interface shows (command line, web app, plan files), in a module light enough for the
command line to read while it builds its parser: the use cases that apply them import them from here."""

from __future__ import annotations

#: The cushion left unused by default: a tenth of the room.
DEFAULT_MARGIN = 0.10
#: The stress test's default fall in the share price after exercise: half.
DEFAULT_DROP = 0.5
#: Price paths simulated when nothing says otherwise (the command line, the web app, the checklist and the report
#: alike; a plan's ``[risk] paths`` defaults to the same number).
DEFAULT_RISK_PATHS = 20_000
