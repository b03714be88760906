"""The diagnosis data: Okta facts as read, and the findings and report built from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class Question:
    """What a diagnosis answers, whoever asks it (a person in Slack, the terminal, triage):
    why `user`'s `attribute` (or any of them) did not reach `app`. Each is as the asker named
    it (a login, email or id; an app's label, name or id), resolved by the facts."""

    user: str
    app: str
    attribute: str | None = None


class Status(StrEnum):
    OK = "ok"
    PROBLEM = "problem"
    WARNING = "warning"
    UNKNOWN = "unknown"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Fix:
    id: str
    automated: bool
    summary: str


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    status: Status
    title: str
    detail: str = ""
    fix: Fix | None = None
    link: str | None = None
    evidence: tuple[tuple[str, str], ...] = ()
    """Label/value rows (a table a person can scan), rendered by each front end."""


@dataclass(frozen=True, slots=True)
class Verdict:
    check: str | None
    summary: str


@dataclass(frozen=True, slots=True)
class User:
    id: str
    login: str
    status: str
    type_id: str | None
    profile: Mapping[str, Any]
    last_updated: datetime | None
    display_name: str
    schema_id: str | None = None
    """The id of the user's schema (their user type's), from the user's `_links.schema`."""


@dataclass(frozen=True, slots=True)
class App:
    id: str
    name: str
    label: str
    status: str
    sign_on_mode: str
    features: frozenset[str]
    username_template: str | None = None
    """`credentials.userNameTemplate.template`, e.g. `${source.login}`."""
    username_push: str | None = None
    """`credentials.userNameTemplate.pushStatus`: PUSH, DONT_PUSH (create only) or
    NOT_CONFIGURED; None when Okta sends none."""

    @property
    def profile_source(self) -> bool:
        """Whether the app is a profile source (Workday, Active Directory…): Okta imports its
        users' profiles from it."""
        return "PROFILE_MASTERING" in self.features


@dataclass(frozen=True, slots=True)
class AppUser:
    user_id: str
    external_id: str | None
    scope: str
    status: str
    sync_state: str | None
    last_sync: datetime | None
    last_updated: datetime | None
    status_changed: datetime | None
    user_name: str | None
    profile: Mapping[str, Any]
    group_id: str | None = None
    """For a group assignment, the group Okta names in `_links.group`: the one whose
    assignment (and app profile) the user's assignment comes from."""


@dataclass(frozen=True, slots=True)
class ProvisioningFeature:
    """The features API's USER_PROVISIONING capabilities (only for apps that expose it)."""

    status: str
    create_users: str
    update_attributes: str
    deactivate_users: str


@dataclass(frozen=True, slots=True)
class Connection:
    status: str
    auth_scheme: str | None
    """None where Okta's answer has no `profile` (a connection never set up says only its
    status)."""


@dataclass(frozen=True, slots=True)
class MappingProperty:
    expression: str
    push_status: str


@dataclass(frozen=True, slots=True)
class ProfileMapping:
    id: str
    source_id: str
    properties: Mapping[str, MappingProperty]


@dataclass(frozen=True, slots=True)
class SchemaAttribute:
    name: str
    title: str
    type: str
    scope: str
    base: bool


@dataclass(frozen=True, slots=True)
class AppSchema:
    attributes: Mapping[str, SchemaAttribute]


@dataclass(frozen=True, slots=True)
class SourcePriority:
    """One entry of an OVERRIDE attribute's `master.priority`: `type` APP (with the app's id
    in `value`) or OKTA."""

    type: str
    value: str | None


@dataclass(frozen=True, slots=True)
class AttributeSource:
    """Where an Okta user attribute's value comes from: its schema property's `master`."""

    name: str
    master_type: str
    """PROFILE_MASTER (the user's profile source), OKTA (Okta itself), OVERRIDE (the first
    source in `priority` that applies), or whatever else Okta sends, kept as sent."""
    priority: tuple[SourcePriority, ...] = ()


@dataclass(frozen=True, slots=True)
class UserSchema:
    """The Okta user schema of a user type: where each attribute is sourced."""

    id: str
    attributes: Mapping[str, AttributeSource]


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class LogEvent:
    uuid: str
    published: datetime
    event_type: str
    legacy_event_type: str | None
    result: str
    reason: str | None
    display_message: str
    target_ids: frozenset[str]
    changed_attributes: frozenset[str] = frozenset()
    """The profile attributes a `user.account.update_profile` event names as changed
    (`debugContext.debugData.changedAttributes`); Okta logs no values for them."""
    actor_id: str | None = None
    actor_type: str | None = None
    """Who did it: `User` for a person (an admin's edit), else a system, an app or an agent."""
    actor_name: str = ""


@dataclass(frozen=True, slots=True)
class Report:
    user: User | None
    app: App | None
    verdict: Verdict
    findings: tuple[Finding, ...]
    faults: tuple[str, ...] = ()
    """One sentence per Okta fault that left a check unknown (the diagnosis is incomplete)."""

    @property
    def has_problem(self) -> bool:
        return any(f.status is Status.PROBLEM for f in self.findings)
