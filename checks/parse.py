"""Okta JSON -> the model's frozen facts, tolerant of fields Okta leaves out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from checks.model import (
    App,
    AppSchema,
    AppUser,
    Connection,
    Group,
    LogEvent,
    MappingProperty,
    ProfileMapping,
    ProvisioningFeature,
    SchemaAttribute,
    User,
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


def user(data: Mapping[str, Any]) -> User:
    profile = _dict(data.get("profile"))
    name = " ".join(str(p) for p in (profile.get("firstName"), profile.get("lastName")) if p)
    return User(
        id=str(data["id"]),
        login=str(profile.get("login") or data["id"]),
        status=str(data.get("status") or "UNKNOWN"),
        type_id=_dict(data.get("type")).get("id"),
        profile=_frozen(profile),
        last_updated=timestamp(data.get("lastUpdated")),
        display_name=name or str(profile.get("login") or data["id"]),
    )


def app(data: Mapping[str, Any]) -> App:
    return App(
        id=str(data["id"]),
        name=str(data.get("name") or ""),
        label=str(data.get("label") or data.get("name") or data["id"]),
        status=str(data.get("status") or "UNKNOWN"),
        sign_on_mode=str(data.get("signOnMode") or ""),
        features=frozenset(str(f) for f in data.get("features") or ()),
    )


def app_user(data: Mapping[str, Any]) -> AppUser:
    return AppUser(
        user_id=str(data["id"]),
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


def _last_segment(href: object) -> str | None:
    """`00g…` of `https://…/api/v1/groups/00g…`."""
    if not isinstance(href, str):
        return None
    return href.rstrip("/").rsplit("/", 1)[-1] or None


def feature(data: Mapping[str, Any]) -> ProvisioningFeature:
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


def connection(data: Mapping[str, Any]) -> Connection:
    return Connection(
        status=str(data.get("status") or "UNKNOWN"),
        auth_scheme=_dict(data.get("profile")).get("authScheme") or None,
    )


def mapping(data: Mapping[str, Any]) -> ProfileMapping:
    properties = {
        name: MappingProperty(str(p.get("expression") or ""), str(p.get("pushStatus") or "PUSH"))
        for name, p in _dict(data.get("properties")).items()
        if isinstance(p, dict) and p.get("expression")
    }
    return ProfileMapping(
        id=str(data["id"]),
        source_id=str(_dict(data.get("source")).get("id") or ""),
        properties=MappingProxyType(properties),
    )


def schema(data: Mapping[str, Any]) -> AppSchema:
    definitions = _dict(data.get("definitions"))
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


def group(data: Mapping[str, Any]) -> Group:
    return Group(id=str(data["id"]), name=str(_dict(data.get("profile")).get("name") or data["id"]))


def log_event(data: Mapping[str, Any]) -> LogEvent:
    outcome = _dict(data.get("outcome"))
    targets = [_dict(t) for t in data.get("target") or ()]
    debug = _dict(_dict(data.get("debugContext")).get("debugData"))
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
    )
