"""From the settings file to open readers: every kind the file may name builds its settings
with the secrets its variables hold, and open_readers serves them over one session."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.settings_file import parse
from checks.errors import UsageError
from checks.readers.box import BoxReader, BoxSettings
from checks.readers.google import GoogleReader
from checks.readers.graph import GraphReader, GraphSettings
from checks.readers.model import AppUser
from checks.readers.registry import READERS, open_readers
from checks.readers.scim import ScimReader
from checks.readers.slack import SlackReader, SlackReaderSettings
from fakes.scim.server import FakeScim, serve_scim
from tests.readers.clocks import ManualClock

PEM = "-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----\\n"
EVERY_KIND = """\
[apps."Custom SCIM App"]
reader = "scim"
url = "https://scim.example.com/scim/v2"
token_env = "SCIM_TOKEN"

[apps.Box]
reader = "box"
client_id = "box-client"
client_secret_env = "BOX_SECRET"
enterprise_id = "1234"

[apps."Microsoft 365"]
reader = "microsoft"
tenant_id = "contoso.onmicrosoft.com"
client_id = "graph-client"
client_secret_env = "GRAPH_SECRET"

[apps."Google Workspace"]
reader = "google"
client_email = "reader@acme.iam.gserviceaccount.com"
private_key_env = "GOOGLE_KEY"
subject = "admin@acme.example"

[apps.Slack]
reader = "slack"
"""
ENV = {
    "SCIM_TOKEN": "scim-secret",
    "BOX_SECRET": "box-secret",
    "GRAPH_SECRET": "graph-secret",
    "GOOGLE_KEY": PEM,
    "SLACK_BOT_TOKEN": "xoxb-bot",
    "SLACK_SIGNING_SECRET": "signing",
}


def test_every_kind_is_built_from_its_table_with_its_secrets() -> None:
    settings = Settings.from_env(ENV, parse(EVERY_KIND))

    by_label = {r.label: r for r in settings.readers}
    assert {label: r.kind for label, r in by_label.items()} == {
        "Custom SCIM App": "scim",
        "Box": "box",
        "Microsoft 365": "microsoft",
        "Google Workspace": "google",
        "Slack": "slack",
    }
    assert by_label["Box"].settings == BoxSettings("box-client", "box-secret", "1234")
    assert by_label["Microsoft 365"].settings == GraphSettings(
        "contoso.onmicrosoft.com", "graph-client", "graph-secret"
    )
    assert by_label["Google Workspace"].settings.private_key.startswith(
        "-----BEGIN PRIVATE KEY-----\nMIIE\n"
    )
    assert by_label["Slack"].settings == SlackReaderSettings("xoxb-bot")
    shown = repr(settings)
    assert not [
        s for s in ("scim-secret", "box-secret", "graph-secret", "MIIE", "xoxb-bot") if s in shown
    ]


async def test_open_readers_opens_each_kind_over_one_session_and_reads() -> None:
    async with serve_scim(FakeScim(token="scim-secret")) as scim:
        scim.add_user("jdoe@example.com", family_name="Smith", user_id="u-1")
        text = EVERY_KIND.replace("https://scim.example.com/scim/v2", scim.url)
        settings = Settings.from_env(ENV, parse(text))

        async with open_readers(settings.readers, clock=ManualClock()) as readers:
            kinds = {label: type(reader) for label, reader in readers.items()}
            record = await readers["Custom SCIM App"].read(
                AppUser("u-1", None), ("name.familyName",)
            )
            sessions = {id(reader._http._session) for reader in readers.values()}  # type: ignore[attr-defined]

    assert kinds == {
        "Custom SCIM App": ScimReader,
        "Box": BoxReader,
        "Microsoft 365": GraphReader,
        "Google Workspace": GoogleReader,
        "Slack": SlackReader,
    }
    assert record is not None and record.attributes["name.familyName"] == "Smith"
    assert len(sessions) == 1


@pytest.mark.parametrize("kind", sorted(READERS))
def test_each_kind_refuses_a_secret_written_into_the_file(kind: str) -> None:
    secret_keys = [k for k, o in READERS[kind].options.items() if o.secret_env]
    assert secret_keys, f"{kind} names no secret by variable"
    for key in secret_keys:
        pasted = key.removesuffix("_env")
        with pytest.raises(UsageError, match=f"holds a secret in {pasted}: .* with {key}\\."):
            parse(f'[apps.X]\nreader = "{kind}"\n{pasted} = "s3cr3t"\n', "f.toml")
