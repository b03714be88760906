"""Okta JSON -> the model's frozen facts, tolerant of fields Okta leaves out.

What Okta must send (an object, its id) is checked here, at the edge: anything else is one
OktaMalformed with one sentence, never a KeyError deep inside a check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from checks.errors import OktaMalformed
from checks.model import (
    App,
    AppSchema,
    AppUser,
    AttributeSource,
    Connection,
    Group,
    LogEvent,
    MappingProperty,
    ProfileMapping,
    ProvisioningFeature,
    SchemaAttribute,
    SourcePriority,
    User,
    UserSchema,
)


def timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _frozen(value: Any) -> Mapping[str, Any]:
    return MappingProxyType(dict(_dict(value)))


OKTA_ID = re.compile(r"[A-Za-z0-9]{1,64}")
"""Okta's object ids are letters and digits (`00u…`, `0oa…`, `00g…`, `prm…`): an id of any
other shape never goes into a URL."""


def okta_id(value: Any, what: str) -> str:
    if isinstance(value, str) and OKTA_ID.fullmatch(value):
        return value
    raise OktaMalformed(f"Okta answered with a {what} whose id is not an Okta id.")


def _object(data: Any, what: str) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        return data
    raise OktaMalformed(f"Okta answered with {type(data).__name__} where a {what} belongs.")


def user(data: Any) -> User:
    data = _object(data, "user")
    user_id = okta_id(data.get("id"), "user")
    profile = _dict(data.get("profile"))
    name = " ".join(str(p) for p in (profile.get("firstName"), profile.get("lastName")) if p)
    return User(
        id=user_id,
        login=str(profile.get("login") or user_id),
        status=str(data.get("status") or "UNKNOWN"),
        type_id=_dict(data.get("type")).get("id"),
        profile=_frozen(profile),
        last_updated=timestamp(data.get("lastUpdated")),
        display_name=name or str(profile.get("login") or user_id),
        schema_id=_last_segment(_dict(_dict(data.get("_links")).get("schema")).get("href")),
    )


def app(data: Any) -> App:
    data = _object(data, "app")
    app_id = okta_id(data.get("id"), "app")
    template = _dict(_dict(data.get("credentials")).get("userNameTemplate"))
    return App(
        id=app_id,
        name=str(data.get("name") or ""),
        label=str(data.get("label") or data.get("name") or app_id),
        status=str(data.get("status") or "UNKNOWN"),
        sign_on_mode=str(data.get("signOnMode") or ""),
        features=frozenset(str(f) for f in _list(data.get("features"))),
        username_template=_text(template.get("template")),
        username_push=_text(template.get("pushStatus")),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def app_user(data: Any) -> AppUser:
    data = _object(data, "app user")
    return AppUser(
        user_id=okta_id(data.get("id"), "app user"),
        external_id=data.get("externalId") or None,
        scope=str(data.get("scope") or "USER"),
        status=str(data.get("status") or "UNKNOWN"),
        sync_state=data.get("syncState"),
        last_sync=timestamp(data.get("lastSync")),
        last_updated=timestamp(data.get("lastUpdated")),
        status_changed=timestamp(data.get("statusChanged")),
        user_name=_dict(data.get("credentials")).get("userName"),
        profile=_frozen(data.get("profile")),
        group_id=_last_segment(_dict(_dict(data.get("_links")).get("group")).get("href")),
    )


def schema_link(data: Any) -> str | None:
    """The schema id a user type's (or a user's) `_links.schema` names."""
    links = _dict(_object(data, "user type").get("_links"))
    return _last_segment(_dict(links.get("schema")).get("href"))


def _last_segment(href: object) -> str | None:
    """`00g…` of `https://…/api/v1/groups/00g…` (None unless it is an Okta id)."""
    if not isinstance(href, str):
        return None
    last = href.rstrip("/").rsplit("/", 1)[-1]
    return last if OKTA_ID.fullmatch(last) else None


def feature(data: Any) -> ProvisioningFeature:
    data = _object(data, "application feature")
    caps = _dict(data.get("capabilities"))
    create, update = _dict(caps.get("create")), _dict(caps.get("update"))

    def status(part: Mapping[str, Any], key: str) -> str:
        return str(_dict(part.get(key)).get("status") or "DISABLED")

    return ProvisioningFeature(
        status=str(data.get("status") or "DISABLED"),
        create_users=status(create, "lifecycleCreate"),
        update_attributes=status(update, "profile"),
        deactivate_users=status(update, "lifecycleDeactivate"),
    )


def connection(data: Any) -> Connection:
    data = _object(data, "provisioning connection")
    return Connection(
        status=str(data.get("status") or "UNKNOWN"),
        auth_scheme=_dict(data.get("profile")).get("authScheme") or None,
    )


def mapping(data: Any) -> ProfileMapping:
    data = _object(data, "profile mapping")
    properties = {
        name: MappingProperty(str(p.get("expression") or ""), str(p.get("pushStatus") or "PUSH"))
        for name, p in _dict(data.get("properties")).items()
        if isinstance(p, dict) and p.get("expression")
    }
    return ProfileMapping(
        id=okta_id(data.get("id"), "profile mapping"),
        source_id=str(_dict(data.get("source")).get("id") or ""),
        properties=MappingProxyType(properties),
    )


def schema(data: Any) -> AppSchema:
    definitions = _dict(_object(data, "app user schema").get("definitions"))
    attributes: dict[str, SchemaAttribute] = {}
    for part in ("base", "custom"):
        for name, prop in _dict(_dict(definitions.get(part)).get("properties")).items():
            prop = _dict(prop)
            attributes[name] = SchemaAttribute(
                name=name,
                title=str(prop.get("title") or name),
                type=str(prop.get("type") or "string"),
                scope=str(prop.get("scope") or "NONE"),
                base=part == "base",
            )
    return AppSchema(MappingProxyType(attributes))


def group(data: Any) -> Group:
    data = _object(data, "group")
    group_id = okta_id(data.get("id"), "group")
    return Group(id=group_id, name=str(_dict(data.get("profile")).get("name") or group_id))


def log_event(data: Any) -> LogEvent:
    data = _object(data, "System Log event")
    outcome = _dict(data.get("outcome"))
    targets = [_dict(t) for t in _list(data.get("target"))]
    debug = _dict(_dict(data.get("debugContext")).get("debugData"))
    actor = _dict(data.get("actor"))
    changed = str(debug.get("changedAttributes") or "")
    return LogEvent(
        uuid=str(data.get("uuid") or ""),
        published=timestamp(data.get("published")) or datetime.min.replace(tzinfo=UTC),
        event_type=str(data.get("eventType") or ""),
        legacy_event_type=data.get("legacyEventType"),
        result=str(outcome.get("result") or "UNKNOWN"),
        reason=outcome.get("reason"),
        display_message=str(data.get("displayMessage") or ""),
        target_ids=frozenset(str(t["id"]) for t in targets if t.get("id")),
        changed_attributes=frozenset(n.strip() for n in changed.split(",") if n.strip()),
        actor_id=_text(actor.get("id")),
        actor_type=_text(actor.get("type")),
        actor_name=str(actor.get("displayName") or actor.get("alternateId") or ""),
    )


DEFAULT_MASTER = "PROFILE_MASTER"
"""Okta's default for a property without `master` (the spec's own default-schema example
sends none; the Terraform provider's schema property defaults to it too)."""


def user_schema(data: Any) -> UserSchema:
    data = _object(data, "user schema")
    definitions = _dict(data.get("definitions"))
    attributes: dict[str, AttributeSource] = {}
    for part in ("base", "custom"):
        for name, prop in _dict(_dict(definitions.get(part)).get("properties")).items():
            master = _dict(_dict(prop).get("master"))
            priority = tuple(
                SourcePriority(str(p.get("type") or ""), _text(p.get("value")))
                for p in map(_dict, _list(master.get("priority")))
            )
            kind = master.get("type")
            attributes[name] = AttributeSource(
                name, kind if isinstance(kind, str) and kind else DEFAULT_MASTER, priority
            )
    schema_id = str(data.get("id") or "").rstrip("/").rsplit("/", 1)[-1]
    return UserSchema(schema_id or "default", MappingProxyType(attributes))
