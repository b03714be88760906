"""Every exception the product defines is an AttrsyncError, drawn where it stands in the tree of
checks/errors.py's docstring: read from the classes themselves once every module is imported."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterable, Iterator

import bot
import checks
import checks.errors
from checks.errors import AttrsyncError

PACKAGES = (checks, bot)
_NODE = re.compile(r"^(?P<indent> *)\* (?P<name>\w+)")


def _import_all() -> None:
    for package in PACKAGES:
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(module.name)


def _subclasses(cls: type[BaseException]) -> Iterator[type[BaseException]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _ours(module: str) -> bool:
    return any(module == p.__name__ or module.startswith(f"{p.__name__}.") for p in PACKAGES)


def product_exceptions() -> set[type[BaseException]]:
    """Every exception class defined in `checks` or `bot`, at module level or not (one made in
    a function is seen only once the function has run)."""
    _import_all()
    return {cls for cls in _subclasses(BaseException) if _ours(cls.__module__)}


def drawn(doc: str) -> dict[str, str | None]:
    """The tree's classes by name, each with the class it is drawn under (None at the top)."""
    parents: dict[str, str | None] = {}
    path: list[str] = []
    for line in doc.splitlines():
        node = _NODE.match(line)
        if node is None:
            continue
        depth = len(node["indent"]) // 2
        assert depth <= len(path), f"{node['name']} is indented under nothing"
        assert node["name"] not in parents, f"the tree draws {node['name']} twice"
        del path[depth:]
        parents[node["name"]] = path[-1] if path else None
        path.append(node["name"])
    return parents


def tree_faults(classes: Iterable[type[BaseException]], doc: str) -> list[str]:
    """Each way the classes and the tree disagree, one line each."""
    faults: list[str] = []
    by_name: dict[str, type[BaseException]] = {}
    for cls in sorted(classes, key=lambda c: (c.__name__, c.__module__)):
        if cls.__name__ in by_name:
            faults.append(f"{cls.__name__} is defined twice; the tree cannot tell them apart")
        by_name[cls.__name__] = cls
        if not issubclass(cls, AttrsyncError):
            faults.append(f"{cls.__module__}.{cls.__qualname__} is not an AttrsyncError")
    tree = drawn(doc)
    for name, cls in by_name.items():
        if name not in tree:
            faults.append(f"{cls.__module__}.{cls.__qualname__} is missing from the tree")
    for name, parent in tree.items():
        found = by_name.get(name)
        if found is None:
            faults.append(f"the tree names {name}, which no module defines")
        elif parent is None and found is not AttrsyncError:
            faults.append(f"the tree draws {name} at the top, beside AttrsyncError")
        elif parent is not None and parent not in {base.__name__ for base in found.__bases__}:
            faults.append(f"the tree draws {name} under {parent}, which it does not subclass")
    return sorted(faults)


def test_every_exception_is_an_attrsync_error_drawn_in_the_tree() -> None:
    assert checks.errors.__doc__ is not None
    assert tree_faults(product_exceptions(), checks.errors.__doc__) == []


def test_the_check_sees_what_it_is_for() -> None:
    class Stray(Exception):
        pass

    class Misdrawn(checks.errors.OktaError):
        pass

    doc = "* AttrsyncError\n  * OktaError\n  * Misdrawn\n  * Ghost\n"
    stray = f"{Stray.__module__}.{Stray.__qualname__}"
    classes = {AttrsyncError, checks.errors.OktaError, checks.errors.UsageError, Stray, Misdrawn}
    assert tree_faults(classes, doc) == sorted(
        [
            f"{stray} is missing from the tree",
            f"{stray} is not an AttrsyncError",
            "checks.errors.UsageError is missing from the tree",
            "the tree draws Misdrawn under AttrsyncError, which it does not subclass",
            "the tree names Ghost, which no module defines",
        ]
    )
    twins = {Misdrawn, type("Misdrawn", (AttrsyncError,), {})}
    assert "Misdrawn is defined twice; the tree cannot tell them apart" in tree_faults(twins, "")
