"""What every app reader shares: one HTTP exchange with the app, its label, and a read held to
its time budget. Each reader says how to find a record (`_read`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol

import aiohttp

from checks.readers.http import ReaderHttp, Sleep, Vendor, within
from checks.readers.model import AppRecord, AppUser


class Timeouts(Protocol):
    @property
    def timeout(self) -> float: ...

    @property
    def max_wait(self) -> float: ...


class HttpReader:
    VENDOR: ClassVar[Vendor]
    CAN_LIST: ClassVar[bool] = True

    def __init__(
        self,
        session: aiohttp.ClientSession,
        app: str,
        settings: Timeouts,
        *,
        sleep: Sleep | None = None,
    ) -> None:
        extra = {} if sleep is None else {"sleep": sleep}
        self._http = ReaderHttp(
            session,
            app=app,
            vendor=self.VENDOR,
            timeout=settings.timeout,
            max_wait=settings.max_wait,
            **extra,
        )

    def __repr__(self) -> str:  # never the credentials
        return f"{type(self).__name__}({self.app!r})"

    @property
    def app(self) -> str:
        return self._http.app

    @property
    def can_list(self) -> bool:
        return self.CAN_LIST

    async def read(
        self, user: AppUser, attributes: Sequence[str], *, budget: float | None = None
    ) -> AppRecord | None:
        record: AppRecord | None = await within(
            budget, self.app, self.VENDOR.name, self._read(user, tuple(attributes))
        )
        return record

    async def _read(self, user: AppUser, attributes: tuple[str, ...]) -> AppRecord | None:
        raise NotImplementedError
