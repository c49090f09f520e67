"""The law's time and dollar rules for stock options, read from ``rules.toml``.

Every number here (2 years, 1 year, 3 months, $100,000, 30 days, ...) comes
from the cited data file next to this module; this module only reads and
checks it.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_RULES_FILE = Path(__file__).with_name("rules.toml")


@dataclass(frozen=True)
class Rule:
    """One rule: its values, what it says and where the law says it."""

    name: str
    description: str
    citations: tuple[str, ...]
    values: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


@dataclass(frozen=True)
class EquityRules:
    """The rules, by name, with typed shortcuts for the ones code uses."""

    rules: dict[str, Rule]

    def __getitem__(self, name: str) -> Rule:
        return self.rules[name]

    # shortcuts (names say what they are)
    @property
    def years_after_grant(self) -> int:
        return int(self.rules["holding_after_grant"]["years"])

    @property
    def years_after_exercise(self) -> int:
        return int(self.rules["holding_after_exercise"]["years"])

    @property
    def long_term_years(self) -> int:
        return int(self.rules["long_term_holding"]["years"])

    @property
    def employment_months(self) -> int:
        return int(self.rules["employment_before_exercise"]["months"])

    @property
    def employment_months_disability(self) -> int:
        return int(self.rules["employment_before_exercise_disability"]["months"])

    @property
    def employment_rule_applies_on_death(self) -> bool:
        return bool(self.rules["employment_before_exercise_death"]["applies"])

    @property
    def iso_annual_limit(self) -> float:
        return float(self.rules["iso_annual_limit"]["dollars"])

    @property
    def early_exercise_counts_at_grant(self) -> bool:
        return bool(self.rules["iso_first_exercisable"]["early_exercise_counts_at_grant"])

    @property
    def iso_maximum_term_years(self) -> int:
        return int(self.rules["iso_maximum_term"]["years"])

    @property
    def election_83b_days(self) -> int:
        return int(self.rules["election_83b"]["days"])

    @property
    def return_due(self) -> tuple[int, int]:
        rule = self.rules["return_due"]
        return int(rule["month"]), int(rule["day"])

    def citation(self, name: str) -> str:
        return "; ".join(self.rules[name].citations)


def parse_rules(data: dict[str, Any], source: str = "rules.toml") -> EquityRules:
    """Check the shape of the rules file: every table has a description and a citation."""
    rules: dict[str, Rule] = {}
    for name, table in data.items():
        if not isinstance(table, dict):
            raise ValueError(f"{source}: [{name}] must be a table")
        citation = table.get("citation")
        if isinstance(citation, str):
            citation = [citation]
        if not citation or not all(isinstance(c, str) and c.strip() for c in citation):
            raise ValueError(f"{source}: [{name}] has no citation")
        description = table.get("description")
        if not isinstance(description, str) or not description.strip():
            raise ValueError(f"{source}: [{name}] has no description")
        values = {k: v for k, v in table.items() if k not in ("citation", "description")}
        if not values:
            raise ValueError(f"{source}: [{name}] has no value")
        rules[name] = Rule(name, description, tuple(citation), values)
    return EquityRules(rules)


@functools.lru_cache(maxsize=1)
def equity_rules() -> EquityRules:
    """The cached rules of ``rules.toml``."""
    return parse_rules(tomllib.loads(_RULES_FILE.read_text(encoding="utf-8")), _RULES_FILE.name)
