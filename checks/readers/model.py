"""What every app reader is: the protocol a check and a scan use, and the data it returns."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

Value = str | int | float | bool | None | tuple["Value", ...]
"""An attribute's value as the app holds it; a multi-valued one is a tuple."""


@dataclass(frozen=True, slots=True)
class AppUser:
    """Okta's app user, as much of it as finding the app's record needs."""

    external_id: str | None
    """The app's own id for the account, as Okta recorded it when it provisioned the user."""
    user_name: str | None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class AppRecord:
    """The user's record as the app holds it: only the attributes that were asked for."""

    id: str
    """The app's id for the account: what Okta's externalId should be."""
    user_name: str | None
    emails: tuple[str, ...]
    """Every address the record holds; with user_name, what confirms whose record it is."""
    attributes: Mapping[str, Value] = field(default_factory=lambda: MappingProxyType({}))
    """Attribute as the question names it (the app's own path) -> the value read."""
    found_by: str = "id"
    """How it was found: "id" (the externalId), "userName" or "email" (a search)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "attributes", MappingProxyType(dict(self.attributes)))

    def __repr__(self) -> str:  # names and addresses are personal: only the id
        return f"AppRecord({self.id!r}, found by {self.found_by})"


@dataclass(frozen=True, slots=True)
class Page:
    """One page of an app's users, and where the next begins (None after the last)."""

    records: tuple[AppRecord, ...]
    next: str | None
    """An opaque cursor for `list_page`: keep it to resume a long listing."""


class AppReader(Protocol):
    """Reads users' records in one app. Every method raises only AppReadFailed's family."""

    @property
    def app(self) -> str:
        """The app's label, as the settings file names it."""
        ...

    @property
    def can_list(self) -> bool:
        """Whether `list_page` works: the app's API lists users for these credentials."""
        ...

    async def read(
        self, user: AppUser, attributes: Sequence[str], *, budget: float | None = None
    ) -> AppRecord | None:
        """The user's record by the externalId, else (no externalId, or it finds nothing) by
        username, else by email; None when the app has none. `budget` caps the seconds the
        whole read may take, token request and every retry included."""
        ...

    async def list_page(
        self, attributes: Sequence[str], cursor: str | None = None, *, page_size: int = 100
    ) -> Page:
        """One page of every user, from `cursor` (None: the first page)."""
        ...


async def list_pages(
    reader: AppReader, attributes: Sequence[str], *, page_size: int = 100
) -> AsyncIterator[Page]:
    """Every page of `reader`'s users, first to last."""
    cursor: str | None = None
    while True:
        page = await reader.list_page(attributes, cursor, page_size=page_size)
        yield page
        if page.next is None:
            return
        cursor = page.next
