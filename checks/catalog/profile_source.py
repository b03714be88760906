"""Is the Okta attribute sourced from another system, so that an edit in Okta is refused or put
back by the next import; is the app's username template "create only"? (DESIGN §1.9)"""

from __future__ import annotations

from checks import links
from checks.attributes import MappedAttributes, for_facts, recent_changes
from checks.common import when
from checks.errors import OktaError
from checks.facts import Facts, gathered
from checks.model import App, Finding, Fix, LogEvent, Status, User
from checks.remediation import username_push
from checks.sources import (
    USERNAME_ATTRIBUTES,
    History,
    Sourcing,
    history,
    profile_sources,
    sourcing,
    template_reads,
)

CHECK = "profile_source"
SOURCE_FIX = "source_priority"
"""A manual fix: change the value in the source, or the attribute's source priority."""


async def run(facts: Facts) -> Finding:
    user, app = await gathered(facts.user(), facts.app())  # nothing to ask for without both
    asked = facts.user_schema(), facts.user_apps()
    mapped = await for_facts(facts)  # fetched meanwhile
    schema, apps = await gathered(*asked)
    try:
        events: tuple[LogEvent, ...] | None = await facts.log_events()
    except OktaError:
        events = None  # the sourcing still shows; only the import's evidence is missing
    concerned = _concerned(facts.attribute, mapped, user, events or ())
    sources = profile_sources(apps)
    found = [sourcing(name, schema.attributes.get(name), sources) for name in sorted(concerned)]
    evidence = [
        ("Profile sources", ", ".join(a.label for a in sources) or "none: Okta is the source")
    ]
    evidence += [_row(s, user, events, facts) for s in found]
    if events is None:
        evidence.append(("System Log", "could not be read: imports after an edit are not known"))
    if app.username_push is not None:
        template = f"{app.username_template or '(none)'} · pushStatus {app.username_push}"
        evidence.append(("Username template", template))
    username = _username(facts.attribute, mapped, app, user, events or ())
    if username is not None:
        return await _username_problem(facts, app, username, evidence)
    judged = [(s, _history(s, user, events)) for s in found if s.source is not None]
    undone = [(s, h) for s, h in judged if h.edit is not None and _reverts(s, h)]
    if undone:
        return _reverted(facts, user, app, undone, evidence)
    unknown = [s for s in found if s.unknown is not None]
    if unknown:
        listed = ", ".join(f"{s.attribute} ({s.unknown})" for s in unknown)
        title = f"Okta names a source type attrsync does not know for {listed}."
        detail = "Its source is not guessed: see the attribute in Directory > Profile Editor."
        link = links.user_profile_editor(facts.okta.org_url, user)
        return Finding(CHECK, Status.UNKNOWN, title, detail, link=link, evidence=tuple(evidence))
    if judged:
        return _sourced_elsewhere(facts, user, judged, evidence)
    title = (
        f"{', '.join(sorted(concerned))} of {user.display_name} is sourced in Okta."
        if concerned
        else f"No attribute in question of {user.display_name} is sourced outside Okta."
    )
    return Finding(CHECK, Status.OK, title, evidence=tuple(evidence))


def _concerned(
    asked: str | None, mapped: MappedAttributes, user: User, events: tuple[LogEvent, ...]
) -> set[str]:
    """The Okta attributes in question: those the asked app attribute carries or reads; else
    those the log names as changed that the app's mapping reads."""
    carried = {n for v in mapped.views for n in (v.okta_name, *v.reads) if n}
    if asked is not None:
        return carried
    changed = set(recent_changes(user, events))
    return changed & carried if mapped.mapping is not None else changed


def _history(s: Sourcing, user: User, events: tuple[LogEvent, ...] | None) -> History:
    if s.source is None or events is None:
        return History(None, None)
    return history(s.attribute, user, s.source, events)


def _reverts(s: Sourcing, h: History) -> bool:
    """An import put the source's value back, or the source imports profile updates, so its
    next import will."""
    return h.reverted_by is not None or (
        s.source is not None and "IMPORT_PROFILE_UPDATES" in s.source.features
    )


def _row(
    s: Sourcing, user: User, events: tuple[LogEvent, ...] | None, facts: Facts
) -> tuple[str, str]:
    if s.unknown is not None:
        return s.attribute, f"source type {s.unknown} (not known to attrsync)"
    if s.source is None:
        return s.attribute, f"sourced in Okta ({s.master})"
    text = f"sourced by {s.source.label} ({s.master})"
    if s.others:
        text += f"; also could be: {', '.join(a.label for a in s.others)}"
    h = _history(s, user, events)
    if h.edit is not None:
        editor = h.edit.actor_name or "an admin"
        text += f" · edited in Okta by {editor} {when(h.edit.published, facts.now)}"
    if h.reverted_by is not None:
        text += f" · imported from {s.source.label} {when(h.reverted_by.published, facts.now)}"
    return s.attribute, text


def _reverted(
    facts: Facts,
    user: User,
    app: App,
    undone: list[tuple[Sourcing, History]],
    evidence: list[tuple[str, str]],
) -> Finding:
    s, h = undone[0]
    assert s.source is not None and h.edit is not None
    source = s.source.label
    edited = when(h.edit.published, facts.now)
    if h.reverted_by is not None:
        title = (
            f"{user.display_name}'s {s.attribute} comes from {source}: its import "
            f"{when(h.reverted_by.published, facts.now)} put {source}'s value back after the "
            f"edit in Okta {edited}, so {app.label} gets {source}'s value, not the edit."
        )
    else:
        title = (
            f"{user.display_name}'s {s.attribute} comes from {source}: the edit in Okta "
            f"{edited} will be put back by {source}'s next import, and {app.label} with it."
        )
    link = links.user_profile_editor(facts.okta.org_url, user)
    detail = (
        f"Change {s.attribute} in {source} (Okta imports it from there), or let Okta keep "
        f"edits of it: Directory > Profile Editor > the user's type > {s.attribute} > "
        f'"Source priority" (now {s.master}).'
    )
    if len(undone) > 1:
        detail += " Also: " + ", ".join(o.attribute for o, _ in undone[1:]) + "."
    fix = Fix(SOURCE_FIX, False, f"Change {s.attribute} in {source}, or its source priority.")
    return Finding(CHECK, Status.PROBLEM, title, detail, fix, link, tuple(evidence))


def _sourced_elsewhere(
    facts: Facts,
    user: User,
    judged: list[tuple[Sourcing, History]],
    evidence: list[tuple[str, str]],
) -> Finding:
    s, _ = judged[0]
    assert s.source is not None
    names = ", ".join(o.attribute for o, _ in judged)
    title = (
        f"{user.display_name}'s {names} {'comes' if len(judged) == 1 else 'come'} from "
        f"{s.source.label}: change {'it' if len(judged) == 1 else 'them'} there, not in Okta."
    )
    detail = (
        f"Nothing has put an edit back yet, but an edit in Okta may be refused or replaced "
        f"by {s.source.label}'s next import. Directory > Profile Editor > the user's type > "
        f'{s.attribute} > "Source priority" decides.'
    )
    fix = Fix(SOURCE_FIX, False, f"Change {names} in {s.source.label}, or its source priority.")
    link = links.user_profile_editor(facts.okta.org_url, user)
    return Finding(CHECK, Status.WARNING, title, detail, fix, link, tuple(evidence))


def _username(
    asked: str | None, mapped: MappedAttributes, app: App, user: User, events: tuple[LogEvent, ...]
) -> str | None:
    """What says the username changed, when the app's template is create only (else None)."""
    if app.username_push != "DONT_PUSH":
        return None
    if asked is not None:
        names = {v.name for v in mapped.views} | {asked}
        hit = names & USERNAME_ATTRIBUTES
        return f"{sorted(hit)[0]} was asked about" if hit else None
    reads = template_reads(app.username_template) | {"login"}
    changed = sorted(set(recent_changes(user, events)) & reads)
    return f"{', '.join(changed)} changed in Okta" if changed else None


async def _username_problem(
    facts: Facts, app: App, why: str, evidence: list[tuple[str, str]]
) -> Finding:
    title = (
        f"{app.label} updates usernames on create only (its username template is DONT_PUSH), "
        f"so a username change never reaches it ({why})."
    )
    blocked = await username_push.blocker(facts)
    summary = blocked or (
        f'Set {app.label}\'s "Update application username on" to "Create and update" '
        "(pushStatus PUSH)."
    )
    fix = Fix(username_push.FIX, blocked is None, summary)
    link = links.app_sign_on(facts.okta.org_url, app)
    detail = f"{app.label} > Sign On > Settings > Credentials Details holds the setting."
    return Finding(CHECK, Status.PROBLEM, title, detail, fix, link, tuple(evidence))
