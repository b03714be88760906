"""Shared fixtures: tests never read the real environment."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("OKTA_", "SLACK_", "ATTRSYNC_")):
            monkeypatch.delenv(name)
