"""Structured logs: one JSON object per line off a TTY, with the request id; no secrets."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def new_request_id() -> str:
    value = uuid.uuid4().hex[:12]
    request_id.set(value)
    return value


class _Redact(logging.Filter):
    """Replace every configured secret wherever it appears (messages, arguments, tracebacks)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if len(s) >= 6)

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        if self._secrets:
            message = record.getMessage()
            if record.exc_info:
                message += "\n" + logging.Formatter().formatException(record.exc_info)
                record.exc_info, record.exc_text = None, None
            for secret in self._secrets:
                message = message.replace(secret, "[redacted]")
            record.msg, record.args = message, None
        return True


class _Json(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(*, secrets: Iterable[str], level: int = logging.INFO) -> None:
    """Log to stderr: JSON lines when not on a TTY (log collectors), plain text on one."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_Redact(secrets))
    if sys.stderr.isatty():
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(message)s")
        )
    else:
        handler.setFormatter(_Json())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # The SDKs log request bodies and URLs at DEBUG; keep them at warnings.
    for noisy in ("slack_bolt", "slack_sdk", "okta-sdk-python", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
