"""Law as data: load the per-year parameter files and project later years.

Parameter files live in ``parameters/federal/<year>.toml`` (published law) and
``parameters/federal/projection.toml`` (how later years are projected). No tax
number is written in code: this module only reads, checks and arranges them.
Every loader takes an optional ``directory`` (default: the federal files), so
the same machinery serves a state's files (``parameters/california``).

The loaded law is a :class:`LawTable`: one NumPy array per parameter with shape
``(n_years, n_statuses[, k])`` so that the engine can look up the parameters of
a million households (each with its own year and filing status) with one
fancy-indexing operation per parameter.
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from isoplan.errors import InputError

#: Filing statuses, in the order of the status axis. ``qss`` (qualifying
#: surviving spouse) takes the ``mfj`` value wherever a file does not list it.
STATUSES: tuple[str, ...] = ("single", "mfj", "mfs", "hoh", "qss")
STATUS_CODE: dict[str, int] = {name: code for code, name in enumerate(STATUSES)}
REQUIRED_STATUSES: tuple[str, ...] = ("single", "mfj", "mfs", "hoh")

_METADATA_KEYS = {"description", "citation", "unit", "unsettled"}
_FEDERAL_DIR = Path(__file__).parent / "parameters" / "federal"
#: Where each jurisdiction's parameter files live.
FEDERAL_DIR = _FEDERAL_DIR
CALIFORNIA_DIR = Path(__file__).parent / "parameters" / "california"


@dataclass(frozen=True)
class Parameter:
    """One parameter for one year: values per status plus where they come from."""

    name: str
    description: str
    citations: tuple[str, ...]
    values: dict[str, Any]  # status -> number or list of numbers
    unsettled: bool = False
    projected: bool = False


@dataclass(frozen=True)
class YearLaw:
    """All federal parameters of one tax year."""

    year: int
    projected: bool
    parameters: dict[str, Parameter]

    def value(self, name: str, status: str) -> Any:
        return self.parameters[name].values[status]


def _read_toml(name: str, directory: Path = _FEDERAL_DIR) -> dict[str, Any]:
    text = (directory / name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def parse_year_file(data: dict[str, Any], source: str) -> YearLaw:
    """Turn the TOML of one year's file into a :class:`YearLaw`, checking its shape."""
    year = data.get("year")
    if not isinstance(year, int):
        raise ValueError(f"{source}: 'year' must be an integer")
    parameters: dict[str, Parameter] = {}
    for name, table in data.items():
        if name == "year":
            continue
        if not isinstance(table, dict):
            raise ValueError(f"{source}: [{name}] must be a table")
        citation = table.get("citation")
        if isinstance(citation, str):
            citation = [citation]
        if not citation or not all(isinstance(c, str) and c.strip() for c in citation):
            raise ValueError(f"{source}: [{name}] has no citation")
        values: dict[str, Any] = {}
        if "value" in table:
            values = {status: table["value"] for status in STATUSES}
        else:
            missing = [s for s in REQUIRED_STATUSES if s not in table]
            if missing and name != "tax_table":
                raise ValueError(f"{source}: [{name}] lacks filing status {', '.join(missing)}")
            values = {s: table[s] for s in STATUSES if s in table}
            if "mfj" in values:
                values.setdefault("qss", values["mfj"])
        if name == "tax_table":
            values = {
                k: v for k, v in table.items() if k not in _METADATA_KEYS
            }
        parameters[name] = Parameter(
            name=name,
            description=str(table.get("description", "")),
            citations=tuple(citation),
            values=values,
            unsettled=bool(table.get("unsettled", False)),
        )
    return YearLaw(year=year, projected=False, parameters=parameters)


def _round(amount: float, unit: float, mode: str) -> float:
    if mode == "down":
        return math.floor(amount / unit + 1e-9) * unit
    if mode == "nearest":
        return math.floor(amount / unit + 0.5) * unit
    raise ValueError(f"unknown rounding mode {mode!r}")


def _unit_for(round_rule: Any, status: str) -> float:
    if isinstance(round_rule, dict):  # per filing status: the status's own unit, else the joint one, else single's
        for key in (status, "mfj", "single"):
            if key in round_rule:
                return float(round_rule[key])
        raise ValueError(f"no rounding unit for {status!r} in {round_rule!r}")
    return float(round_rule)


def project_year(base: YearLaw, year: int, rules: dict[str, Any], inflation: float) -> YearLaw:
    """Project ``base`` (the last published year) to ``year`` by each parameter's rule."""
    factor = (1.0 + inflation) ** (year - base.year)
    parameters: dict[str, Parameter] = {}
    for name, param in base.parameters.items():
        rule = rules[name]
        method = rule["method"]
        values: dict[str, Any]
        if method == "fixed":
            values = dict(param.values)
        elif method == "sunset":
            values = dict(param.values) if year <= rule["through"] else {
                s: rule["after"] for s in param.values
            }
        elif method == "schedule":
            listed = [y for y in map(int, rule["years"]) if y <= year]
            if listed:
                row = rule["years"][str(max(listed))]
                values = {s: row[s] for s in REQUIRED_STATUSES}
                values["qss"] = row.get("qss", row["mfj"])
            else:
                values = dict(param.values)
        elif method == "cpi":
            mode = rule["mode"]
            values = {}
            for status, value in param.values.items():
                unit = _unit_for(rule["round"], status)
                if isinstance(value, list):
                    values[status] = [_round(v * factor, unit, mode) for v in value]
                else:
                    values[status] = _round(value * factor, unit, mode)
            if rule.get("mfs_half_of_mfj"):
                mfj = values["mfj"]
                values["mfs"] = [v / 2 for v in mfj] if isinstance(mfj, list) else mfj / 2
            # statuses whose amount is a fixed multiple of the (rounded) single amount,
            # e.g. California's joint brackets are twice the single ones (R&TC §17045)
            for status, multiple in rule.get("multiple_of_single", {}).items():
                single = values["single"]
                values[status] = (
                    [v * multiple for v in single] if isinstance(single, list) else single * multiple
                )
        else:
            raise ValueError(f"projection rule for {name}: unknown method {method!r}")
        citation = rule.get("citation", "")
        parameters[name] = Parameter(
            name=name,
            description=param.description,
            citations=(
                f"PROJECTED from {base.year} at {inflation:.2%} a year inflation: {citation}",
                *param.citations,
            ),
            values=values,
            unsettled=param.unsettled,
            projected=True,
        )
    return YearLaw(year=year, projected=True, parameters=parameters)


@functools.lru_cache(maxsize=4)
def _published_and_rules(directory: Path = _FEDERAL_DIR) -> tuple[dict[int, YearLaw], dict[str, Any]]:
    projection = _read_toml("projection.toml", directory)
    published: dict[int, YearLaw] = {}
    for year in range(projection["first_year"], projection["last_published"] + 1):
        published[year] = parse_year_file(_read_toml(f"{year}.toml", directory), f"{directory.name}/{year}.toml")
    return published, projection


def projection_settings(directory: Path = _FEDERAL_DIR) -> dict[str, Any]:
    """The projection file: first/last supported year, last published year, default inflation."""
    return _published_and_rules(directory)[1]


def default_inflation(directory: Path = _FEDERAL_DIR) -> float:
    return float(projection_settings(directory)["default_inflation"])


def supported_years(directory: Path = _FEDERAL_DIR) -> range:
    settings = projection_settings(directory)
    return range(settings["first_year"], settings["last_year"] + 1)


@functools.lru_cache(maxsize=64)
def year_law(year: int, inflation: float | None = None, directory: Path = _FEDERAL_DIR) -> YearLaw:
    """The parameters of ``year`` (published, or projected at ``inflation``); federal unless ``directory``."""
    published, projection = _published_and_rules(directory)
    if inflation is None:
        inflation = float(projection["default_inflation"])
    if year in published:
        return published[year]
    years = supported_years(directory)
    if year not in years:
        raise InputError(
            "year", year, f"a tax year from {years.start} to {years.stop - 1}"
        )
    last = published[projection["last_published"]]
    return project_year(last, year, projection["rules"], inflation)


class LawTable:
    """Every supported year's parameters as arrays indexed ``[year - first_year, status]``."""

    def __init__(self, inflation: float | None = None, directory: Path = _FEDERAL_DIR) -> None:
        if inflation is None:
            inflation = default_inflation(directory)
        if not (-0.5 < inflation < 1.0) or math.isnan(inflation):
            raise InputError("inflation", inflation, "a yearly rate between -0.5 and 1.0, e.g. 0.025")
        self.inflation = float(inflation)
        years = supported_years(directory)
        self.directory = directory
        self.first_year = years.start
        self.last_year = years.stop - 1
        self.last_published = int(projection_settings(directory)["last_published"])
        laws = [year_law(y, self.inflation, directory) for y in years]
        self.laws = {law.year: law for law in laws}
        names = list(laws[0].parameters)
        self.arrays: dict[str, np.ndarray] = {}
        for name in names:
            if name == "tax_table":
                continue
            rows = []
            for law in laws:
                values = law.parameters[name].values
                rows.append([values[s] for s in STATUSES])
            self.arrays[name] = np.asarray(rows, dtype=np.float64)
        table = laws[0].parameters["tax_table"].values if "tax_table" in laws[0].parameters else {}
        self.tax_table = SimpleNamespace(**{k: np.asarray(v, dtype=np.float64) for k, v in table.items()})
        self.projected = np.asarray([law.projected for law in laws])
        self._by_key: dict[tuple[int, int], SimpleNamespace] = {}
        self._packed: PackedLaw | None = None
        #: tables derived from this law by the engines that read it (built once each, by their owners)
        self.derived: dict[str, Any] = {}

    @property
    def packed(self) -> PackedLaw:
        """Every parameter of every (year, status) as one row of a float64 table (built once)."""
        if self._packed is None:
            self._packed = PackedLaw.from_arrays(self.arrays, vars(self.tax_table), len(self.laws))
        return self._packed

    def year_index(self, year: np.ndarray) -> np.ndarray:
        year = np.asarray(year)
        bad = (year < self.first_year) | (year > self.last_year)
        if np.any(bad):
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                "year", int(year.flat[row]), f"a tax year from {self.first_year} to {self.last_year}",
                row=row if year.size > 1 else None,
            )
        return (year - self.first_year).astype(np.intp)

    def parameters(self, year_index: int, status: int) -> SimpleNamespace:
        """The parameters of one (year, status) as scalars and small bracket vectors (cached)."""
        key = (int(year_index), int(status))
        cached = self._by_key.get(key)
        if cached is None:
            out: dict[str, Any] = {}
            for name, arr in self.arrays.items():
                value = arr[key]
                out[name] = float(value) if value.ndim == 0 else value
            out["tax_table"] = self.tax_table
            cached = self._by_key[key] = SimpleNamespace(**out)
        return cached

    def gather(self, year: np.ndarray, status: np.ndarray) -> SimpleNamespace:
        """Parameters for each household, as arrays aligned with ``year`` and ``status``.

        When every household shares one year and status (the planner's case),
        the parameters come back as scalars (or 1-D bracket vectors) and
        broadcast, which is much faster than per-row arrays.
        """
        yi = self.year_index(year)
        si = np.asarray(status, dtype=np.intp)
        if yi.size and yi.min() == yi.max() and si.min() == si.max():
            return self.parameters(int(yi.flat[0]), int(si.flat[0]))
        out: dict[str, Any] = {name: arr[yi, si] for name, arr in self.arrays.items()}
        out["tax_table"] = self.tax_table
        return SimpleNamespace(**out)

    def is_projected(self, year: int) -> bool:
        return bool(self.laws[year].projected)


@dataclass(frozen=True)
class PackedLaw:
    """The law as one table for per-row engines: row ``year_index * len(STATUSES) + status``.

    Each parameter occupies ``width`` consecutive columns from ``start``
    (``columns[name] = (start, width)``); bracket vectors are spread across
    their columns, and the Tax Table rule (the same for every status) is
    repeated on every row under ``tax_table_<key>``.
    """

    table: np.ndarray
    columns: dict[str, tuple[int, int]]

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], tax_table: dict[str, np.ndarray], n_years: int) -> PackedLaw:
        blocks: list[np.ndarray] = []
        columns: dict[str, tuple[int, int]] = {}
        start = 0
        rows = n_years * len(STATUSES)
        named = [*arrays.items(), *((f"tax_table_{k}", np.broadcast_to(np.asarray(v, dtype=np.float64),
                                                                        (n_years, len(STATUSES), *np.shape(v))))
                                    for k, v in tax_table.items())]
        for name, arr in named:
            block = np.asarray(arr, dtype=np.float64).reshape(rows, -1)
            columns[name] = (start, block.shape[1])
            blocks.append(block)
            start += block.shape[1]
        table = np.ascontiguousarray(np.concatenate(blocks, axis=1))
        table.flags.writeable = False
        return cls(table=table, columns=columns)


@functools.lru_cache(maxsize=8)
def law_table(inflation: float | None = None) -> LawTable:
    """The cached :class:`LawTable` for an inflation assumption (``None`` = the default)."""
    return LawTable(inflation)
