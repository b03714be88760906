"""A vendor's OpenAPI description, as the small excerpt tests/fixtures holds of it: validate an
answer against one of its schemas, and name the fields an answer has that it does not declare."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from openapi_schema_validator import OAS30Validator, oas30_format_checker, validate

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


class Excerpt:
    def __init__(self, name: str) -> None:
        self.document: dict[str, Any] = json.loads((FIXTURES / name).read_text())
        self.schemas: Mapping[str, Any] = self.document["components"]["schemas"]

    def validate(self, schema: str, instance: Any) -> None:
        """Raises jsonschema's ValidationError where `instance` breaks schema `schema`."""
        root = {"components": self.document["components"], "$ref": _ref(schema)}
        validate(instance, root, cls=OAS30Validator, format_checker=oas30_format_checker)

    def undeclared(self, schema: str, instance: Mapping[str, Any]) -> set[str]:
        """The fields of `instance` that `schema` (through allOf) does not declare: the
        vendor's schemas allow extra fields, so an invented one would otherwise pass."""
        return set(instance) - self.declared(self.schemas[schema])

    def declared(self, node: Mapping[str, Any]) -> set[str]:
        if "$ref" in node:
            return self.declared(self.schemas[node["$ref"].rsplit("/", 1)[1]])
        names = set(node.get("properties", {}))
        for part in node.get("allOf", []):
            names |= self.declared(part)
        return names


def _ref(schema: str) -> str:
    return f"#/components/schemas/{schema}"
