"""Structured logs: JSON lines with the request id, and no secret ever written."""

from __future__ import annotations

import json
import logging

import pytest

from bot import logs


def test_json_lines_with_request_id_and_secrets_redacted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.configure(secrets=["xoxb-very-secret-token", "ssws-okta-token"])
    try:
        logs.new_request_id()
        log = logging.getLogger("attrsync.test")
        log.warning("calling Okta with %s", "ssws-okta-token")
        try:
            raise RuntimeError("token xoxb-very-secret-token rejected")
        except RuntimeError:
            log.exception("failed")
    finally:
        logging.basicConfig(force=True, handlers=[logging.NullHandler()])
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["message"].splitlines()[0] for line in lines] == [
        "calling Okta with [redacted]",
        "failed",
    ]
    assert len({line["request_id"] for line in lines}) == 1
    assert lines[0]["request_id"] != "-"
    everything = json.dumps(lines)
    assert "very-secret" not in everything
    assert "ssws-okta-token" not in everything
    assert "[redacted] rejected" in everything
