"""The command text contract (DESIGN §1.4): what people type, and what the bot understands."""

from __future__ import annotations

import pytest

from bot.slack.parser import (
    HELP_TEXT,
    Command,
    Help,
    ParseError,
    Scan,
    help_text,
    parse,
    strip_mention,
)
from checks.model import Question

USAGE_WHY = "Usage: `/attrsync why USER APP [ATTRIBUTE]`, e.g. `/attrsync why jdoe box lastName`"
USAGE_SCAN = "Usage: `/attrsync scan APP`, e.g. `/attrsync scan box`"
LSQUO, RSQUO = "\u2018", "\u2019"  # curly single quotes, escaped: ruff flags them
NOT_A_SLACK_USER = "Name the Okta user (login, email or short name), not a Slack user."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("why jdoe box lastName", Question("jdoe", "box", "lastName"), id="why-full"),
        pytest.param("why jdoe box", Question("jdoe", "box", None), id="why-no-attribute"),
        pytest.param("why 00u1abc boxnet", Question("00u1abc", "boxnet", None), id="why-user-id"),
        pytest.param(
            "why jdoe@example.com box",
            Question("jdoe@example.com", "box", None),
            id="why-plain-email",
        ),
        pytest.param("scan box", Scan("box"), id="scan"),
        pytest.param('scan "Google Workspace"', Scan("Google Workspace"), id="scan-quoted"),
        pytest.param("WHY jdoe Box LastName", Question("jdoe", "Box", "LastName"), id="why-upper"),
        pytest.param("Why jdoe box", Question("jdoe", "box", None), id="why-title-case"),
        pytest.param("ScAn box", Scan("box"), id="scan-mixed-case"),
        pytest.param('"why" jdoe box', Question("jdoe", "box", None), id="quoted-sub-command"),
    ],
)
def test_commands(text: str, expected: Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('why jdoe "Google Workspace" lastName', id="double"),
        pytest.param("why jdoe 'Google Workspace' lastName", id="single"),
        pytest.param("why jdoe “Google Workspace” lastName", id="typographic-double"),
        pytest.param(f"why jdoe {LSQUO}Google Workspace{RSQUO} lastName", id="typographic-single"),
        pytest.param('why jdoe “Google Workspace" lastName', id="mixed-double"),
        pytest.param("why jdoe ”Google Workspace” lastName", id="right-double-both-sides"),
        pytest.param("why jdoe '  Google Workspace ' lastName", id="spaces-inside-quotes"),
        pytest.param('why "jdoe" "Google Workspace" "lastName"', id="every-argument-quoted"),
    ],
)
def test_quotes_group_words(text: str) -> None:
    assert parse(text) == Question("jdoe", "Google Workspace", "lastName")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("why o'brien box", Question("o'brien", "box", None), id="apostrophe"),
        pytest.param(
            f"why o{RSQUO}brien box",
            Question(f"o{RSQUO}brien", "box", None),
            id="typographic-apostrophe",
        ),
        pytest.param(
            'why jdoe "Bob\'s app"', Question("jdoe", "Bob's app", None), id="apostrophe-in-quotes"
        ),
        pytest.param(
            "why jdoe 'Bob's app'", Question("jdoe", "Bob's app", None), id="apostrophe-in-single"
        ),
        pytest.param(
            r"why ACME\jdoe box", Question(r"ACME\jdoe", "box", None), id="backslash-kept"
        ),
        pytest.param("why jdoe box\\", Question("jdoe", "box\\", None), id="trailing-backslash"),
    ],
)
def test_quote_characters_inside_words_are_literal(text: str, expected: Question) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("  why jdoe box  ", id="leading-trailing-spaces"),
        pytest.param("why   jdoe \t box", id="spaces-and-tab"),
        pytest.param("\nwhy\njdoe\n\nbox\n", id="newlines"),
        pytest.param("why\u00a0jdoe\u00a0box", id="non-breaking-spaces"),
    ],
)
def test_extra_whitespace_is_ignored(text: str) -> None:
    assert parse(text) == Question("jdoe", "box", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "why <mailto:jdoe@example.com|jdoe@example.com> box",
            Question("jdoe@example.com", "box", None),
            id="mailto-with-label",
        ),
        pytest.param(
            "why <mailto:jdoe@example.com> box",
            Question("jdoe@example.com", "box", None),
            id="mailto-without-label",
        ),
        pytest.param(
            "why <http://jdoe.com|jdoe.com> box", Question("jdoe.com", "box", None), id="link-label"
        ),
        pytest.param(
            "why jdoe <https://box.com> x", Question("jdoe", "box.com", "x"), id="link-no-label"
        ),
        pytest.param(
            'why jdoe "<https://x.example|Google Workspace>"',
            Question("jdoe", "Google Workspace", None),
            id="link-inside-quotes",
        ),
        pytest.param(
            "why jdoe <https://x.example|Google Workspace>",
            Question("jdoe", "Google Workspace", None),
            id="link-label-with-space-is-one-word",
        ),
        pytest.param("why jdoe AT&amp;T", Question("jdoe", "AT&T", None), id="amp"),
        pytest.param("why jdoe &lt;box&gt;", Question("jdoe", "<box>", None), id="lt-gt"),
        pytest.param(
            "why jdoe a&amp;lt;b", Question("jdoe", "a&lt;b", None), id="typed-entity-kept"
        ),
        pytest.param(
            "why jdoe <http://x.example|AT&amp;T>",
            Question("jdoe", "AT&T", None),
            id="entity-in-label",
        ),
        pytest.param('scan "R&amp;D Wiki"', Scan("R&D Wiki"), id="entity-in-scan"),
    ],
)
def test_slack_formatting_is_undone(text: str, expected: Command) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "start"),
    [
        pytest.param("why <@U123> box", NOT_A_SLACK_USER, id="user-mention"),
        pytest.param("why <@U123|jdoe> box", NOT_A_SLACK_USER, id="user-mention-label"),
        pytest.param("why <@W123|jdoe> box lastName", NOT_A_SLACK_USER, id="enterprise-user"),
        pytest.param(
            "why <#C123|general> box",
            "Name the Okta user (login, email or short name), not a Slack channel.",
            id="channel-as-user",
        ),
        pytest.param(
            "why jdoe <#C123|general>",
            "Name the Okta app (label or name), not a Slack channel.",
            id="channel-as-app",
        ),
        pytest.param(
            "why jdoe <#C123>",
            "Name the Okta app (label or name), not a Slack channel.",
            id="channel-no-label",
        ),
        pytest.param(
            "why jdoe box <@U123>",
            "Name the Okta attribute (e.g. `lastName`), not a Slack user.",
            id="user-as-attribute",
        ),
        pytest.param(
            "why <!subteam^S123|@helpdesk> box",
            "Name the Okta user (login, email or short name), not a Slack user group.",
            id="user-group",
        ),
        pytest.param(
            "why <!here> box",
            "Name the Okta user (login, email or short name), not a Slack mention.",
            id="here",
        ),
        pytest.param(
            "scan <#C123|box>", "Name the Okta app (label or name), not a Slack channel.", id="scan"
        ),
    ],
)
def test_slack_entities_are_not_okta_names(text: str, start: str) -> None:
    result = parse(text)
    assert isinstance(result, ParseError)
    assert result.message.startswith(start)
    assert "Usage: `/attrsync" in result.message


def test_typed_mention_text_is_just_text() -> None:
    # Slack escapes what people type, so a typed `<@U1>` is text, not a mention.
    assert parse("why &lt;@U1&gt; box") == Question("<@U1>", "box", None)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("   \n\t ", id="only-whitespace"),
        pytest.param("help", id="help"),
        pytest.param("HELP", id="help-upper"),
        pytest.param("-h", id="dash-h"),
        pytest.param("--help", id="dash-dash-help"),
        pytest.param("?", id="question-mark"),
        pytest.param("help why", id="help-with-words"),
    ],
)
def test_help_asked_for(text: str) -> None:
    assert parse(text) == Help(None)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("xyz", "I don't know `xyz`.", id="unknown"),
        pytest.param("jdoe box", "I don't know `jdoe`.", id="forgot-why"),
        pytest.param("diagnose jdoe box", "I don't know `diagnose`.", id="other-verb"),
        pytest.param("a`b", "I don't know `a'b`.", id="backtick-cannot-break-code-span"),
        pytest.param("&lt;b&gt;", "I don't know `&lt;b&gt;`.", id="echo-stays-escaped"),
        pytest.param("<@U123|jdoe>", "I don't know `jdoe`.", id="mention-not-echoed"),
        pytest.param("x" * 300, f"I don't know `{'x' * 29}…`.", id="long-word-truncated"),
        pytest.param('"a\n b"', "I don't know `a b`.", id="one-line"),
    ],
)
def test_unknown_sub_command_gets_help_with_reason(text: str, reason: str) -> None:
    assert parse(text) == Help(reason=reason)


@pytest.mark.parametrize(
    ("text", "start", "usage"),
    [
        pytest.param("why", "`why` needs a user and an app.", USAGE_WHY, id="why-no-args"),
        pytest.param("why jdoe", "`why` needs a user and an app.", USAGE_WHY, id="why-one-arg"),
        pytest.param(
            "why jdoe Google Workspace lastName",
            "Too many words for `why`: quote an app name with spaces.",
            '`/attrsync why jdoe "Google Workspace"`',
            id="why-too-many",
        ),
        pytest.param("scan", "`scan` needs an app.", USAGE_SCAN, id="scan-no-app"),
        pytest.param(
            "scan Google Workspace",
            "`scan` takes one app: quote an app name with spaces.",
            '`/attrsync scan "Google Workspace"`',
            id="scan-too-many",
        ),
        pytest.param('why "" box', "The user is empty.", USAGE_WHY, id="empty-user"),
        pytest.param("why jdoe '  '", "The app is empty.", USAGE_WHY, id="blank-app"),
        pytest.param('scan ""', "The app is empty.", USAGE_SCAN, id="empty-scan"),
        pytest.param(
            'why jdoe "Google Workspace', "A quote is not closed.", USAGE_WHY, id="unclosed-double"
        ),
        pytest.param("why jdoe 'box", "A quote is not closed.", USAGE_WHY, id="unclosed-single"),
        pytest.param("why jdoe “box", "A quote is not closed.", USAGE_WHY, id="unclosed-curly"),
        pytest.param('why jdoe "', "A quote is not closed.", USAGE_WHY, id="lone-quote"),
        pytest.param('scan "box', "A quote is not closed.", USAGE_WHY, id="unclosed-in-scan"),
    ],
)
def test_usage_errors_say_what_is_wrong_and_show_an_example(
    text: str, start: str, usage: str
) -> None:
    result = parse(text)
    assert isinstance(result, ParseError)
    assert result.message.startswith(start)
    assert usage in result.message
    assert "e.g. `/attrsync " in result.message


@pytest.mark.parametrize(
    ("text", "role"),
    [
        pytest.param(f"why {'u' * 201} box", "user", id="user"),
        pytest.param(f"why jdoe {'a' * 201}", "app", id="app"),
        pytest.param(f"why jdoe box {'b' * 201}", "attribute", id="attribute"),
        pytest.param(f"scan {'a' * 10_000}", "app", id="scan-huge"),
        pytest.param(f"why <mailto:x|{'u' * 201}> box", "user", id="after-unformatting"),
    ],
)
def test_overlong_arguments_are_rejected(text: str, role: str) -> None:
    result = parse(text)
    assert isinstance(result, ParseError)
    assert result.message.startswith(f"The {role} is longer than 200 characters.")


def test_argument_of_exactly_200_characters_is_fine() -> None:
    assert parse(f"scan {'a' * 200}") == Scan("a" * 200)


def test_command_name_is_used_in_messages() -> None:
    result = parse("why", command="@attrsync")
    assert isinstance(result, ParseError)
    assert "`@attrsync why USER APP [ATTRIBUTE]`" in result.message
    assert "/attrsync" not in result.message


@pytest.mark.parametrize("command", ["/attrsync", "/attrsync-dev", "@attrsync"])
def test_help_text_lists_every_sub_command_with_an_example(command: str) -> None:
    text = help_text(command)
    for example in (f"{command} why jdoe box lastName", f"{command} scan box", f"{command} help"):
        assert f"`{example}`" in text
    assert "`why` " not in text  # every form is spelled with the command name


def test_help_text_constant_uses_the_slash_command() -> None:
    assert help_text() == HELP_TEXT
    assert "`/attrsync why USER APP [ATTRIBUTE]`" in HELP_TEXT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("<@U0BOT> why jdoe box", "why jdoe box", id="mention"),
        pytest.param("<@U0BOT|attrsync> why jdoe box", "why jdoe box", id="mention-with-label"),
        pytest.param("  <@U0BOT>\n why jdoe box", "why jdoe box", id="whitespace-around"),
        pytest.param("<@U0BOT>", "", id="mention-only"),
        pytest.param("<@U0BOT>why jdoe box", "why jdoe box", id="no-space"),
        pytest.param("<@U0OTHER> why jdoe box", "<@U0OTHER> why jdoe box", id="other-user"),
        pytest.param("<@U0BOTX> why", "<@U0BOTX> why", id="longer-id-same-prefix"),
        pytest.param("hey <@U0BOT> why jdoe box", "hey <@U0BOT> why jdoe box", id="not-leading"),
        pytest.param("why <@U0BOT> box", "why <@U0BOT> box", id="later-mention-kept"),
        pytest.param("<@U0BOT> <@U0BOT> help", "<@U0BOT> help", id="only-one-stripped"),
        pytest.param("why jdoe box", "why jdoe box", id="no-mention"),
    ],
)
def test_strip_mention(text: str, expected: str) -> None:
    assert strip_mention(text, "U0BOT") == expected


def test_mention_then_parse() -> None:
    text = strip_mention("<@U0BOT|attrsync> why jdoe “Google Workspace”", "U0BOT")
    assert parse(text, command="@attrsync") == Question("jdoe", "Google Workspace", None)


AWKWARD = [
    "",
    '"',
    "'",
    "“",
    "”",
    LSQUO,
    RSQUO,
    '""',
    "''",
    '"""',
    f"“”{LSQUO}{RSQUO}\"'",
    'why "\'" box',
    "why ' \" box",
    "\\",
    "\\\\\\",
    'why \\" box',
    "<",
    ">",
    "<>",
    "<<>>",
    "<|>",
    "why <|> <>",
    "why <@> <#>",
    "why <mailto:> <http://>",
    "why < box >",
    "why jdoe <https://x|",
    "&",
    "&amp;&lt;&gt;&quot;",
    "why 🙂 📦 ✅",
    "🙂",
    "why Ω 箱 لقب",
    "WHY \u0130 \u0131",  # dotted and dotless i
    "\u017fcan box",  # long s: lower() must not turn it into `scan`
    "why jdoe box \x00",
    "\u200b",
    "why\u200bjdoe box",
    "why " + "“" * 500,
    "why " + "<" * 500 + ">" * 500,
    "why " + "a " * 5000,
    "\r\n\r\n",
    "why\x0bjdoe\x0cbox",
    "?" * 3,
    "-h why",
    "scan \ud800",
]


@pytest.mark.parametrize("text", AWKWARD)
@pytest.mark.parametrize("command", ["/attrsync", "@attrsync"])
def test_parse_never_raises(text: str, command: str) -> None:
    result = parse(text, command=command)
    assert isinstance(result, Question | Scan | Help | ParseError)
    assert parse(text, command=command) == result  # deterministic
    if isinstance(result, Question):
        for value in (result.user, result.app, result.attribute or "x"):
            assert value and len(value) <= 200
    if isinstance(result, Help) and result.reason is not None:
        assert "<" not in result.reason and result.reason.count("`") == 2


@pytest.mark.parametrize("text", AWKWARD)
def test_strip_mention_never_raises(text: str) -> None:
    assert strip_mention(f"<@U0BOT> {text}", "U0BOT") == text.lstrip()
