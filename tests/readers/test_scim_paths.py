"""SCIM attribute paths read from a resource's JSON, as RFC 7644 §3.10 writes them."""

from __future__ import annotations

from typing import Any

import pytest

from checks.readers.model import Value
from checks.readers.scim_paths import BadPath, read_path

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
USER: dict[str, Any] = {
    "userName": "jdoe@example.com",
    "name": {"givenName": "Jane", "familyName": "Smith"},
    "emails": [
        {"value": "jdoe@example.com", "type": "work", "primary": True},
        {"value": "jane@home.example", "type": "home"},
    ],
    "phoneNumbers": [{"value": "+1 555 0100", "type": "work"}],
    "active": True,
    ENTERPRISE: {"department": "Sales", "manager": {"value": "u-9"}},
}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("userName", "jdoe@example.com"),
        ("NAME.FAMILYNAME", "Smith"),  # attribute names are case-insensitive
        ('emails[type eq "work"].value', "jdoe@example.com"),
        ('emails[type eq "WORK"].value', "jdoe@example.com"),  # so is `type`'s value
        ("emails[primary eq true].value", "jdoe@example.com"),
        ("emails.value", ("jdoe@example.com", "jane@home.example")),
        ('emails[type eq "other"].value', None),
        ("phoneNumbers.value", "+1 555 0100"),
        ("active", True),
        ("title", None),
        ("name", None),  # a complex attribute is no single value
        (f"{ENTERPRISE}:department", "Sales"),
        (f"{ENTERPRISE}:manager.value", "u-9"),
        ("urn:ietf:params:scim:schemas:extension:other:2.0:User:costCenter", None),
    ],
)
def test_a_path_reads_its_value(path: str, value: Value) -> None:
    assert read_path(USER, path) == value


@pytest.mark.parametrize("path", ["name..familyName", 'emails[type sw "w"].value', "1abc", ""])
def test_a_path_that_is_none_is_refused(path: str) -> None:
    with pytest.raises(BadPath, match=r"write one as name\.familyName"):
        read_path(USER, path)
