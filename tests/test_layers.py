"""The parts of the product depend one way (docs/architecture.md draws them): read from the
import statements of every file, as httpx tests its exported members."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "checks", "fakes")

LAYERS: dict[str, tuple[str, ...]] = {
    "engine": ("checks",),
    "fakes": ("fakes",),
    "base": (
        "bot",
        "bot.config",
        "bot.settings_file",
        "bot.logs",
        "bot.metrics",
        "bot.csvfile",
        "bot.terminal",
        "bot.workflow",
    ),
    "store": ("bot.store",),
    "kit": ("bot.services", "bot.audit", "bot.approvers", "bot.slackkit", "bot.reports"),
    "features": ("bot.fixes", "bot.scan", "bot.bulk", "bot.watch"),
    "edges": ("bot.slack", "bot.runtime", "bot.cli", "bot.demo", "bot.__main__"),
}
"""Bottom to top. A part imports only parts of its own layer or below; the features never
import one another (a bulk fix reaches a scan's rows through the store); only the edges and
the demo reach the fakes."""

RANK = {part: rank for rank, parts in enumerate(LAYERS.values()) for part in parts}
FEATURES = frozenset(LAYERS["features"])
MAY_IMPORT_FAKES = frozenset({"bot.demo"})


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> Iterator[str]:
    """Every module of ours `path` imports, wherever the import stands (in a function, under
    TYPE_CHECKING): a cycle hidden in either is a cycle still."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            submodules = [f"{node.module}.{alias.name}" for alias in node.names]
            names = [n for n in submodules if n in MODULES] or [node.module]
        else:
            continue
        yield from (name for name in names if name in MODULES)


GRAPH = {module: frozenset(_imports(path)) - {module} for module, path in MODULES.items()}


def part_of(module: str) -> str:
    """The longest part named in LAYERS that holds `module`."""
    candidates = [p for p in RANK if module == p or module.startswith(p + ".")]
    assert candidates, f"{module} belongs to no layer: add it to LAYERS"
    return max(candidates, key=len)


Graph = dict[str, frozenset[str]]


def _part_edges(graph: Graph) -> set[tuple[str, str]]:
    return {
        (part_of(m), part_of(t)) for m, ts in graph.items() for t in ts if part_of(m) != part_of(t)
    }


def layering_faults(graph: Graph) -> list[str]:
    """Each way `graph` breaks the layering, one line each."""
    edges = _part_edges(graph)
    faults = [f"{a} and {b} import each other" for a, b in edges if a < b and (b, a) in edges]
    faults += [f"{a} imports {b}, of a higher layer" for a, b in edges if RANK[b] > RANK[a]]
    faults += [f"feature {a} imports feature {b}" for a, b in edges if {a, b} <= FEATURES]
    faults += [
        f"{a} imports the fakes" for a, b in edges if b == "fakes" and a not in MAY_IMPORT_FAKES
    ]
    faults += [f"the fakes import {b}" for a, b in edges if a == "fakes"]
    return sorted(faults)


def file_cycles(graph: Graph) -> list[list[str]]:
    """The groups of files that import one another, directly or through others (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in graph.get(module, frozenset()):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while (popped := stack.pop()) != module:
                group.append(popped)
            if group:
                groups.append(sorted([*group, module]))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return groups


def test_every_module_belongs_to_a_layer() -> None:
    for module in MODULES:
        part_of(module)


def test_the_parts_depend_one_way() -> None:
    assert layering_faults(GRAPH) == []


def test_no_file_imports_itself_through_others() -> None:
    assert file_cycles(GRAPH) == []


def test_the_checks_see_what_they_are_for() -> None:
    broken = dict(GRAPH)
    broken["bot.scan.render"] = frozenset({"bot.bulk.render"})  # a feature importing another
    broken["bot.store.scans"] = frozenset({"bot.scan.runner"})  # the store importing a feature
    broken["fakes.okta.state"] = frozenset({"checks.model"})
    broken["bot.fixes.runner"] = frozenset({"fakes.okta.server", "bot.fixes.render"})
    broken["bot.fixes.render"] = frozenset({"bot.fixes.runner"})
    assert layering_faults(broken) == [
        "bot.fixes imports the fakes",
        "bot.scan and bot.store import each other",
        "bot.store imports bot.scan, of a higher layer",
        "feature bot.scan imports feature bot.bulk",
        "the fakes import checks",
    ]
    assert ["bot.fixes.render", "bot.fixes.runner"] in file_cycles(broken)
