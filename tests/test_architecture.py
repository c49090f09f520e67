"""The architecture, checked from the source: layers point down, no import cycles, no oversized files.

Every module under src/isoplan is parsed with ``ast``; every import that can
run counts, including those inside functions (a lazy import is still a
dependency). An import under ``if TYPE_CHECKING`` never runs: it only names the
type of a value handed down (a renderer in report/ is typed by the app record
it is given), so it is no dependency and does not count. Layers, top to bottom:

    cli, web -> app -> planning, ledger, report -> equity -> tax

A module may import its own layer or any layer below it, never one above.
A package's ``__init__`` importing its own submodules is not a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "isoplan"
MAX_LINES = 900

#: layer rank of each top-level subpackage (higher imports lower, never the reverse)
LAYERS = {"cli": 4, "web": 4, "mcp": 4, "app": 3, "planning": 2, "ledger": 2, "report": 2, "equity": 1, "tax": 0}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _resolve(name: str) -> str | None:
    """The isoplan module ``name`` refers to (a name imported from a module resolves to the module)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _is_type_checking(test: ast.expr) -> bool:
    """``if TYPE_CHECKING:`` or ``if typing.TYPE_CHECKING:``."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(name: str) -> Iterator[tuple[str, int]]:
    """(imported isoplan module, line) for every import statement in the module, at any depth."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if _is_package(name) else name.rpartition(".")[0]
    type_only = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.If) and _is_type_checking(node.test)
                 for stmt in node.body for inner in ast.walk(stmt)}
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            # ``from pkg import sub`` imports the submodule pkg.sub when there is one
            targets = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES else module
                       for alias in node.names]
        for target in targets:
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                resolved = _resolve(target)
                if resolved and resolved != name:
                    yield resolved, node.lineno


GRAPH: dict[str, dict[str, int]] = {name: dict(_imports(name)) for name in MODULES}


def _layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def _own_submodule(importer: str, imported: str) -> bool:
    return _is_package(importer) and imported.startswith(importer + ".")


def _cycles(within: str = PACKAGE) -> list[list[str]]:
    """Every elementary cycle found by depth-first search (one per back edge), as module paths."""
    edges = {m: [t for t in targets if not _own_submodule(m, t)] for m, targets in GRAPH.items()}
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in edges[node]:
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt):], nxt]
                if any(m == within or m.startswith(within + ".") for m in cycle):
                    found.append(cycle)
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)
    return found


def _upward(layers: set[str]) -> list[str]:
    bad = []
    for importer, targets in GRAPH.items():
        mine = _layer(importer)
        if mine not in layers:
            continue
        for target, line in targets.items():
            theirs = _layer(target)
            if theirs is not None and LAYERS[theirs] > LAYERS[mine]:
                bad.append(f"{importer}:{line} imports {target} ({mine} -> {theirs})")
    return sorted(bad)


def test_the_graph_sees_lazy_imports():
    # isoplan.cli.ledger imports the application layer only inside its command functions
    assert "isoplan.app.ledger" in GRAPH["isoplan.cli.ledger"]
    assert "isoplan.ledger.db" in GRAPH["isoplan.ledger.store"]


def test_web_and_app_never_import_the_command_line():
    bad = sorted(f"{m}:{line} imports {t}" for m, targets in GRAPH.items()
                 if _layer(m) in ("web", "app") for t, line in targets.items() if _layer(t) == "cli")
    assert not bad, "\n".join(bad)


def test_the_ledger_web_and_app_modules_never_import_the_command_line():
    mine = ("isoplan.web.ledger_api", "isoplan.app.ledger", "isoplan.app.common", "isoplan.report.ledger_text")
    bad = [f"{m} imports {t}" for m in mine for t in GRAPH[m] if _layer(t) == "cli"]
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    cycles = _cycles()
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_no_import_cycles_in_the_ledger():
    cycles = _cycles("isoplan.ledger")
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle(monkeypatch):
    monkeypatch.setitem(GRAPH, "isoplan.ledger.db", {**GRAPH["isoplan.ledger.db"], "isoplan.ledger.store": 1})
    assert ["isoplan.ledger.store", "isoplan.ledger.db", "isoplan.ledger.store"] in _cycles("isoplan.ledger")


def test_no_source_file_over_900_lines():
    long = sorted(f"{name}: {n} lines" for name, path in MODULES.items()
                  if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES)
    assert not long, "\n".join(long)


def test_the_ledger_files_are_under_900_lines():
    mine = [n for n in MODULES if n.startswith("isoplan.ledger") or n in (
        "isoplan.app.ledger", "isoplan.cli.ledger", "isoplan.web.ledger_api", "isoplan.report.ledger_text")]
    long = [n for n in mine if len(MODULES[n].read_text(encoding="utf-8").splitlines()) > MAX_LINES]
    assert not long


@pytest.mark.parametrize("layer", ["tax", "equity"])
def test_the_engines_import_nothing_above_them(layer):
    bad = _upward({layer})
    assert not bad, "\n".join(bad)


def test_planning_and_report_import_nothing_above_them():
    bad = _upward({"planning", "report"})
    assert not bad, "\n".join(bad)


def test_the_ledger_imports_nothing_above_it():
    bad = _upward({"ledger"})
    assert not bad, "\n".join(bad)


def test_app_imports_nothing_above_it():
    bad = _upward({"app"})
    assert not bad, "\n".join(bad)
