"""The settings file: parsed into immutable tables, the environment over it, and every fault
one sentence naming the file, the line and the key. Built from text, never the real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.settings_file import parse
from checks.errors import UsageError
from checks.readers.scim import ScimSettings

VALID = """\
[orgs.prod]
url = "https://acme.okta.com"
token_env = "OKTA_PROD_TOKEN"
default = true

[orgs.preview]
url = "https://acme.oktapreview.com"
client_id = "0oapreview"
private_key_env = "PREVIEW_KEY"
scopes = ["okta.users.read", "okta.apps.read"]
channels = ["C0PREVIEW1"]
event_hook_secret_env = "PREVIEW_HOOK_SECRET"

[orgs.preview.apps."Box"]
reader = "scim"
url = "https://box-scim.example.com/v2"
token_env = "PREVIEW_BOX_TOKEN"

[apps."Custom SCIM App"]        # the default org's
reader = "scim"
url = "https://scim.example.com/scim/v2"
token_env = "SCIM_APP_TOKEN"
timeout = 4
"""
ENV = {"OKTA_PROD_TOKEN": "prod-secret", "SCIM_APP_TOKEN": "scim-secret"}


def test_a_valid_file_is_read_into_its_tables() -> None:
    file = parse(VALID, "conf/attrsync.toml")

    prod, preview = file.orgs
    assert (prod.name, prod.url, prod.token_env, prod.default) == (
        "prod",
        "https://acme.okta.com",
        "OKTA_PROD_TOKEN",
        True,
    )
    assert (preview.client_id, preview.private_key_env, preview.scopes, preview.channels) == (
        "0oapreview",
        "PREVIEW_KEY",
        ("okta.users.read", "okta.apps.read"),
        ("C0PREVIEW1",),
    )
    assert preview.event_hook_secret_env == "PREVIEW_HOOK_SECRET"
    assert [(a.label, a.reader, a.title) for a in preview.apps] == [
        ("Box", "scim", "[orgs.preview.apps.Box]")
    ]
    assert file.default_org is prod
    [app] = file.default_apps
    assert (app.label, app.line, app.where("timeout")) == (
        "Custom SCIM App",
        19,
        "conf/attrsync.toml, line 23",
    )
    with pytest.raises(TypeError):
        app.options["url"] = "https://elsewhere.example.com"  # type: ignore[index]


def test_settings_take_the_default_org_and_its_readers_from_the_file() -> None:
    settings = Settings.from_env(ENV, parse(VALID))

    assert settings.okta is not None
    assert (settings.okta.org_url, settings.okta.token) == ("https://acme.okta.com", "prod-secret")
    [reader] = settings.readers
    assert (reader.label, reader.kind) == ("Custom SCIM App", "scim")
    assert reader.settings == ScimSettings(
        url="https://scim.example.com/scim/v2", token="scim-secret", timeout=4.0
    )
    assert "scim-secret" not in repr(settings)


def test_the_environment_overrides_the_file() -> None:
    env = ENV | {"OKTA_ORG_URL": "https://other.okta.com", "OKTA_API_TOKEN": "env-secret"}

    settings = Settings.from_env(env, parse(VALID))

    assert settings.okta is not None
    assert (settings.okta.org_url, settings.okta.token) == ("https://other.okta.com", "env-secret")


def test_the_environment_alone_still_configures_one_org() -> None:
    settings = Settings.from_env({"OKTA_ORG_URL": "https://acme.okta.com", "OKTA_API_TOKEN": "t"})

    assert settings.okta is not None and settings.okta.org_url == "https://acme.okta.com"
    assert (settings.readers, settings.settings_file) == ((), None)


def test_the_file_is_found_by_attrsync_config_else_in_the_working_directory(
    tmp_path: Path,
) -> None:
    (tmp_path / "attrsync.toml").write_text(VALID)
    elsewhere = tmp_path / "other.toml"
    elsewhere.write_text(
        '[apps.X]\nreader = "scim"\nurl = "https://x.example.com"\ntoken_env = "X"\n'
    )

    here = Settings.load(ENV, cwd=tmp_path)
    named = Settings.load({"ATTRSYNC_CONFIG": str(elsewhere), "X": "x"}, cwd=tmp_path)
    none = Settings.load({}, cwd=tmp_path / "nowhere")

    assert [r.label for r in here.readers] == ["Custom SCIM App"]
    assert [r.label for r in named.readers] == ["X"]
    assert none.settings_file is None
    with pytest.raises(
        UsageError, match=r"^ATTRSYNC_CONFIG names missing\.toml, which is not a file\.$"
    ):
        Settings.load({"ATTRSYNC_CONFIG": "missing.toml"}, cwd=tmp_path)


SCIM_HEAD = '[apps."Custom SCIM App"]\nreader = "scim"\n'


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (
            SCIM_HEAD + 'url = "https://scim.example.com"\ntoken_env = \n',
            "f.toml, line 4: Invalid value at key 'token_env' (not valid TOML).",
        ),
        (
            '[apps."Box"]\nreader = "bx"\n',
            "f.toml, line 2: reader 'bx' of [apps.Box] is none of box, google, microsoft, "
            "scim, slack.",
        ),
        (
            '[apps."Box"]\nurl = "https://x.example.com"\n',
            "f.toml, line 1: [apps.Box] has no reader key (one of box, google, microsoft, "
            "scim, slack).",
        ),
        (
            SCIM_HEAD + 'token_env = "SCIM_APP_TOKEN"\n',
            'f.toml, line 1: [apps."Custom SCIM App"] has no url, which the scim reader needs.',
        ),
        (
            SCIM_HEAD + 'url = "https://s.example.com"\ntoken_env = "T"\ntimeout = "10"\n',
            'f.toml, line 5: timeout of [apps."Custom SCIM App"] must be a positive number, '
            "not a string.",
        ),
        (
            SCIM_HEAD + 'url = "https://s.example.com"\ntoken_env = "T"\ntokn = "x"\n',
            "f.toml, line 5: [apps.\"Custom SCIM App\"] has an unknown key 'tokn' (the scim "
            "reader takes max_wait, timeout, token_env, url).",
        ),
        (
            SCIM_HEAD + 'url = "https://s.example.com"\ntoken = "sk-live-abc"\n',
            'f.toml, line 4: [apps."Custom SCIM App"] holds a secret in token: put it in an '
            "environment variable and name the variable with token_env.",
        ),
        (
            SCIM_HEAD + 'url = "https://s.example.com"\ntoken_env = "sk-live-abc.def"\n',
            'f.toml, line 4: token_env of [apps."Custom SCIM App"] names an environment '
            "variable (like APP_TOKEN), not the secret itself.",
        ),
        (
            SCIM_HEAD + 'url = "http://scim.example.com"\ntoken_env = "T"\n',
            'f.toml, line 3: url of [apps."Custom SCIM App"] must be an https:// URL (plain '
            "http only for loopback).",
        ),
        (
            'okta_url = "https://acme.okta.com"\n',
            "f.toml, line 1: unknown key 'okta_url' (the file holds [orgs.NAME] and "
            '[apps."LABEL"] tables).',
        ),
        (
            '[orgs.a]\nurl = "https://a.okta.com"\ntoken_env = "A"\ndefault = true\n'
            '[orgs.b]\nurl = "https://b.okta.com"\ntoken_env = "B"\ndefault = true\n',
            "f.toml, line 8: more than one org says default = true.",
        ),
        (
            '[orgs.a]\nurl = "https://a.okta.com"\nclient_id = "0oa1"\n',
            "f.toml, line 1: [orgs.a] needs token_env, or client_id with private_key_env or "
            "private_key_file.",
        ),
        (
            '[orgs.a]\nurl = "https://a.okta.com/admin"\ntoken_env = "A"\n',
            "f.toml, line 2: url of [orgs.a] must look like https://acme.okta.com (plain http "
            "only for loopback).",
        ),
        (
            '[orgs.a]\nurl = "https://a.okta.com"\ntoken_env = "A"\n[orgs.a.apps.Box]\n'
            'reader = "scim"\nurl = "https://s.example.com"\ntoken_env = "T"\npassword = "p"\n',
            "f.toml, line 8: [orgs.a.apps.Box] holds a secret in password: put it in an "
            "environment variable and name the variable with password_env.",
        ),
        ("apps = 3\n", "f.toml, line 1: [apps] must be a table, not a number."),
    ],
)
def test_a_malformed_file_is_one_sentence_naming_file_line_and_key(
    text: str, sentence: str
) -> None:
    with pytest.raises(UsageError) as caught:
        parse(text, "f.toml")

    assert str(caught.value) == sentence


def test_a_secret_variable_that_is_not_set_names_where_the_file_names_it() -> None:
    with pytest.raises(UsageError) as caught:
        Settings.from_env({"OKTA_PROD_TOKEN": "p"}, parse(VALID, "f.toml"))

    assert str(caught.value) == (
        'f.toml, line 22: token_env of [apps."Custom SCIM App"] names SCIM_APP_TOKEN, '
        "which is not set."
    )


def test_the_default_orgs_token_variable_must_be_set_unless_the_environment_gives_one() -> None:
    with pytest.raises(UsageError, match=r"^f\.toml, line 3: token_env of \[orgs\.prod\] names"):
        Settings.from_env({"SCIM_APP_TOKEN": "s"}, parse(VALID, "f.toml"))

    settings = Settings.from_env({"SCIM_APP_TOKEN": "s", "OKTA_API_TOKEN": "e"}, parse(VALID))
    assert settings.okta is not None and settings.okta.token == "e"


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (
            'apps.Box.reader = "scim"\napps.Box.url = "https://s.example.com"\n'
            "apps.Box.token_env = 3\n",
            "f.toml, line 3: token_env of [apps.Box] must be a string, not 3.",
        ),
        (
            '[apps]\nBox = { reader = "bx" }\n',
            "f.toml, line 2: reader 'bx' of [apps.Box] is none of box, google, microsoft, "
            "scim, slack.",
        ),
        (
            '[orgs.prod]\nurl = "https://acme.okta.com"\ntoken_env = "T"\n\n'
            '[orgs.prod.apps."My App"]\nreader = "scim"\n# a comment\n'
            'url = "https://s.example.com"\ntoken_env = "S"\nmax_wait = -1\n',
            'f.toml, line 10: max_wait of [orgs.prod.apps."My App"] must be a positive number, '
            "not -1.",
        ),
    ],
)
def test_the_line_is_found_for_dotted_keys_inline_tables_and_nested_tables(
    text: str, sentence: str
) -> None:
    with pytest.raises(UsageError) as caught:
        parse(text, "f.toml")

    assert str(caught.value) == sentence
