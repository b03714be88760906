"""Microsoft Graph's CSDL (OData metadata), as the excerpt tests/fixtures holds of it: check a
JSON answer against an entity or complex type, property by property, bases included."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
_EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_PRIMITIVES: dict[str, tuple[type, ...]] = {
    "Edm.String": (str,),
    "Edm.Boolean": (bool,),
    "Edm.Int32": (int,),
    "Edm.Int64": (int,),
    "Edm.Double": (int, float),
    "Edm.DateTimeOffset": (str,),
    "Edm.Guid": (str,),
    "Edm.Binary": (str,),
}


@dataclass(frozen=True, slots=True)
class Property:
    type: str
    nullable: bool


@dataclass(frozen=True, slots=True)
class StructuredType:
    base: str | None
    properties: Mapping[str, Property]
    open: bool
    """An open type may hold properties it does not declare (OData CSDL §14.2)."""


class Csdl:
    def __init__(self, name: str) -> None:
        root = ET.parse(FIXTURES / name).getroot()
        self.types: dict[str, StructuredType] = {}
        self._closed: frozenset[str] = frozenset()
        for element in root.iter():
            if element.tag not in (f"{_EDM}EntityType", f"{_EDM}ComplexType"):
                continue
            properties = {
                p.attrib["Name"]: Property(p.attrib["Type"], p.get("Nullable") != "false")
                for p in element.findall(f"{_EDM}Property")
            }
            base = element.get("BaseType")
            self.types[element.attrib["Name"]] = StructuredType(
                base.removeprefix("graph.") if base else None,
                properties,
                element.get("OpenType") == "true",
            )

    def properties(self, name: str) -> dict[str, Property]:
        found: dict[str, Property] = {}
        current: str | None = name
        while current is not None:
            declared = self.types[current]
            found = dict(declared.properties) | found
            current = declared.base
        return found

    def faults(
        self, name: str, instance: Any, where: str = "$", *, closed: frozenset[str] = frozenset()
    ) -> list[str]:
        """Every way `instance` breaks type `name`: a property it does not declare (unless
        the type is open and not named in `closed`: user is open, yet a fake that invents a
        property of it is wrong all the same), a null where none may be, a value of another
        type. OData's `@odata.*` annotations are the protocol's own."""
        self._closed = closed
        if not isinstance(instance, dict):
            return [f"{where} is not an object"]
        declared = self.properties(name)
        found: list[str] = []
        for key, value in instance.items():
            if key.startswith("@odata.") or "@odata." in key:
                continue
            if key not in declared:
                if self._is_open(name) and name not in closed:
                    continue
                found.append(f"{where}.{key} is not a property of {name}")
                continue
            found += self._value_faults(declared[key], value, f"{where}.{key}")
        return found

    def _is_open(self, name: str) -> bool:
        current: str | None = name
        while current is not None:
            if self.types[current].open:
                return True
            current = self.types[current].base
        return False

    def _value_faults(self, prop: Property, value: Any, where: str) -> list[str]:
        if value is None:
            return [] if prop.nullable else [f"{where} is null but not nullable"]
        kind = prop.type
        if kind.startswith("Collection("):
            if not isinstance(value, list):
                return [f"{where} is not a collection"]
            item = Property(kind[len("Collection(") : -1], False)
            return [
                f for i, v in enumerate(value) for f in self._value_faults(item, v, f"{where}[{i}]")
            ]
        if kind in _PRIMITIVES:
            if not isinstance(value, _PRIMITIVES[kind]) or (
                isinstance(value, bool) and bool not in _PRIMITIVES[kind]
            ):
                return [f"{where} is not {kind}"]
            if kind == "Edm.DateTimeOffset" and not _DATE_TIME.match(str(value)):
                return [f"{where} is not a date-time"]
            return []
        return self.faults(kind.removeprefix("graph."), value, where, closed=self._closed)
