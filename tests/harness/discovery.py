"""A Google API discovery document, as the excerpt tests/fixtures holds of it: check a JSON
answer against one of its schemas, property by property."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


_PYTHON: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "boolean": bool,
    "integer": int,
    "number": (int, float),
}


class Discovery:
    def __init__(self, name: str) -> None:
        self.document: dict[str, Any] = json.loads((FIXTURES / name).read_text())
        self.schemas: dict[str, Any] = self.document["schemas"]

    def method(self, resource: str, name: str) -> dict[str, Any]:
        method: dict[str, Any] = self.document["resources"][resource]["methods"][name]
        return method

    def faults(self, schema: str, instance: Any) -> list[str]:
        """Every way `instance` breaks `schema`: a property it does not declare (where no
        additionalProperties allows one), a value of another type or format."""
        return self._faults({"$ref": schema}, instance, "$")

    def _faults(self, node: dict[str, Any], value: Any, where: str) -> list[str]:
        if "$ref" in node:
            node = self.schemas[node["$ref"]]
        kind = node.get("type")
        if kind == "any":
            return []
        if kind == "object":
            if not isinstance(value, dict):
                return [f"{where} is not an object"]
            found: list[str] = []
            declared = node.get("properties", {})
            extra = node.get("additionalProperties")
            for key, item in value.items():
                if key in declared:
                    found += self._faults(declared[key], item, f"{where}.{key}")
                elif extra is not None:
                    found += self._faults(extra, item, f"{where}.{key}")
                else:
                    found.append(f"{where}.{key} is not a property of {node.get('id', 'it')}")
            return found
        if kind == "array":
            if not isinstance(value, list):
                return [f"{where} is not an array"]
            return [
                f
                for i, v in enumerate(value)
                for f in self._faults(node["items"], v, f"{where}[{i}]")
            ]
        expected = _PYTHON[str(kind)]
        if not isinstance(value, expected) or (isinstance(value, bool) and kind != "boolean"):
            return [f"{where} is not {kind}"]
        if node.get("format") == "date-time" and not _DATE_TIME.match(str(value)):
            return [f"{where} is not a date-time"]
        if "enum" in node and value not in node["enum"]:
            return [f"{where} is none of {node['enum']}"]
        return []
