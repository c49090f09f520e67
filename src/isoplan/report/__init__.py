"""Rendering: terminal tables, HTML, charts, calendar files. No tax logic lives here."""
