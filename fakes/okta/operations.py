"""What Okta does on the write endpoints the fake supports; raises FakeOktaError like Okta would."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from fakes.okta.shapes import JSON, iso
from fakes.okta.state import FakeOktaError, OrgState, evaluate_simple, has_provisioning

_ENABLED_STATUSES: Final = frozenset({"ENABLED", "DISABLED"})
_PUSH_STATUSES: Final = frozenset({"PUSH", "DONT_PUSH"})
_GROUP_GRANTS_ACCESS: Final = (
    "The application cannot be unassigned from the user while their group memberships "
    "grant them access"
)


def _app(state: OrgState, app_id: str) -> JSON:
    found = state.apps.get(app_id)
    if found is None:
        raise FakeOktaError.not_found(app_id, "AppInstance")
    return found


def _app_user(state: OrgState, app_id: str, user_id: str) -> JSON:
    _app(state, app_id)
    found = state.app_users.get((app_id, user_id))
    if found is None:
        raise FakeOktaError.not_found(user_id, "AppUser")
    return found


def _object(body: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(body, Mapping):
        raise FakeOktaError("E0000001", name, ["The request body was not well-formed."])
    return body


def _check_mapped_attributes(
    state: OrgState, app: JSON, user: JSON, profile: Mapping[str, Any]
) -> None:
    """E0000075: with push on, a mapped attribute may not be given a different value."""
    if not {"PUSH_NEW_USERS", "PUSH_PROFILE_UPDATES"} & set(app["features"]):
        return
    found = state.user_mapping(user, app["id"])
    properties = (found or {}).get("properties", {})
    for name, value in profile.items():
        if name not in properties:
            continue
        known, mapped = evaluate_simple(properties[name]["expression"], user["profile"])
        if not known or mapped != value:
            raise FakeOktaError("E0000075", name)


def assign_user(state: OrgState, app_id: str, body: Any) -> JSON:
    """POST /api/v1/apps/{appId}/users."""
    app = _app(state, app_id)
    request = _object(body, "assignment")
    user_id = request.get("id")
    user = state.users.get(user_id) if isinstance(user_id, str) else None
    if user is None:
        raise FakeOktaError("E0000001", "assignment", [f"User not found: {user_id}"])
    scope = request.get("scope", "USER")
    if scope not in ("USER", "GROUP"):
        raise FakeOktaError("E0000001", "assignment", [f"scope: invalid value {scope!r}"])
    profile = request.get("profile") or {}
    _check_mapped_attributes(state, app, user, profile)
    existing = state.app_users.get((app_id, user["id"]))
    if existing is not None:
        return update_app_user(state, app_id, user["id"], {"profile": profile, "scope": scope})
    now = state.now()
    made = state.assign(app, user, scope=scope, profile=profile, created=now)
    user_name = (request.get("credentials") or {}).get("userName")
    if user_name:
        made["credentials"]["userName"] = user_name
    state.log(
        "application.user_membership.add",
        now,
        "SUCCESS",
        [state.app_user_target(app, user), app, user],
        actor=state.admin_actor(),
    )
    if made["externalId"]:
        state.log_push(app, user, now, event_type="application.provision.user.push")
    return made


def update_app_user(state: OrgState, app_id: str, user_id: str, body: Any) -> JSON:
    """POST /api/v1/apps/{appId}/users/{userId}: merge `profile`, or convert `scope`.

    `{"scope": "USER"}` for a user who is not assigned at all creates an individual assignment.
    """
    request = _object(body, "appuser")
    unassigned = (app_id, user_id) not in state.app_users
    if unassigned and request.get("scope") == "USER" and user_id in state.users:
        return assign_user(state, app_id, {**request, "id": user_id})
    app_user = _app_user(state, app_id, user_id)
    app = state.apps[app_id]
    user = state.users[user_id]
    scope = request.get("scope")
    if scope is not None and scope != app_user["scope"]:
        _convert_scope(state, app_id, user_id, app_user, scope)
    profile = request.get("profile")
    if profile is not None:
        if not isinstance(profile, Mapping):
            raise FakeOktaError("E0000001", "appuser", ["profile: must be an object"])
        changed = {
            name: value for name, value in profile.items() if app_user["profile"].get(name) != value
        }
        _check_mapped_attributes(state, app, user, changed)
        for name, value in changed.items():
            if value is None:
                app_user["profile"].pop(name, None)
            else:
                app_user["profile"][name] = value
    user_name = (request.get("credentials") or {}).get("userName")
    if user_name:
        app_user["credentials"]["userName"] = user_name
    app_user["lastUpdated"] = iso(state.now())
    if has_provisioning(app) and app_user["externalId"] and app_user["syncState"] != "ERROR":
        app_user["syncState"] = "OUT_OF_SYNC"
    return app_user


def _convert_scope(state: OrgState, app_id: str, user_id: str, app_user: JSON, scope: str) -> None:
    if scope == "USER":
        app_user["scope"] = "USER"
        app_user["_links"].pop("group", None)
        return
    if scope != "GROUP":
        raise FakeOktaError("E0000001", "appuser", [f"scope: invalid value {scope!r}"])
    for group in state.groups_of(user_id):
        if (app_id, group["id"]) in state.app_groups:
            app_user["scope"] = "GROUP"
            app_user["_links"]["group"] = {"href": f"/api/v1/groups/{group['id']}"}
            return
    raise FakeOktaError(
        "E0000001", "appuser", ["The user is not a member of any group assigned to the app."]
    )


def unassign_user(state: OrgState, app_id: str, user_id: str) -> None:
    """DELETE /api/v1/apps/{appId}/users/{userId}: refused while a group grants the app."""
    _app_user(state, app_id, user_id)
    app = state.apps[app_id]
    user = state.users[user_id]
    granting = [
        group for group in state.groups_of(user_id) if (app_id, group["id"]) in state.app_groups
    ]
    if granting:
        raise FakeOktaError("E0000046", None, [_GROUP_GRANTS_ACCESS])
    now = state.now()
    target = state.app_user_target(app, user)
    del state.app_users[(app_id, user_id)]
    state.log(
        "application.user_membership.remove",
        now,
        "SUCCESS",
        [target, app, user],
        actor=state.admin_actor(),
    )
    if "PUSH_USER_DEACTIVATION" in app["features"]:
        state.log(
            "application.provision.user.deactivate",
            now,
            "SUCCESS",
            [target, app, user],
        )


def _provisioning_feature(state: OrgState, app_id: str, feature_name: str) -> JSON:
    app = _app(state, app_id)
    if not has_provisioning(app):
        raise FakeOktaError(
            "E0000001", "feature", ["Provisioning is not enabled for the app instance."]
        )
    found = state.features.get(app_id)
    if found is None or feature_name != "USER_PROVISIONING":
        raise FakeOktaError.not_found(feature_name, "AppFeature")
    return found


def list_features(state: OrgState, app_id: str) -> list[JSON]:
    return [_provisioning_feature(state, app_id, "USER_PROVISIONING")]


def get_feature(state: OrgState, app_id: str, feature_name: str) -> JSON:
    return _provisioning_feature(state, app_id, feature_name)


def update_feature(state: OrgState, app_id: str, feature_name: str, body: Any) -> JSON:
    """PUT …/features/USER_PROVISIONING: merge a bare CapabilitiesObject."""
    feature = _provisioning_feature(state, app_id, feature_name)
    request = _object(body, "feature")
    capabilities = feature["capabilities"]
    for section, settings in request.items():
        if section not in capabilities or not isinstance(settings, Mapping):
            raise FakeOktaError("E0000001", "feature", [f"Unknown capability: {section}"])
        for setting, values in settings.items():
            if setting not in capabilities[section] or not isinstance(values, Mapping):
                raise FakeOktaError(
                    "E0000001", "feature", [f"Unknown capability: {section}.{setting}"]
                )
            status = values.get("status")
            if status is not None and status not in _ENABLED_STATUSES:
                raise FakeOktaError(
                    "E0000001",
                    "feature",
                    [f"{section}.{setting}.status: must be ENABLED or DISABLED"],
                )
    for section, settings in request.items():
        for setting, values in settings.items():
            capabilities[section][setting].update(
                {key: value for key, value in values.items() if value is not None}
            )
    state.capabilities_to_features(app_id)
    return feature


def update_mapping(state: OrgState, mapping_id: str, body: Any) -> JSON:
    """POST /api/v1/mappings/{id}: add/update properties; null expression+pushStatus removes."""
    found = state.mappings.get(mapping_id)
    if found is None:
        raise FakeOktaError.not_found(mapping_id, "ProfileMapping")
    request = _object(body, "updateMapping")
    properties = request.get("properties")
    if not isinstance(properties, Mapping):
        raise FakeOktaError("E0000001", "updateMapping", ["properties: must be an object"])
    known = _target_attributes(state, found["target"])
    changes: dict[str, JSON | None] = {}
    for name, prop in properties.items():
        if not isinstance(prop, Mapping):
            raise FakeOktaError("E0000001", "updateMapping", [f"{name}: must be an object"])
        expression, push_status = prop.get("expression"), prop.get("pushStatus")
        if expression is None and push_status is None:
            changes[name] = None
            continue
        if known is not None and name not in known:
            raise FakeOktaError(
                "E0000001", "updateMapping", [f"Property '{name}' does not exist in the target"]
            )
        if not isinstance(expression, str) or not expression.strip():
            raise FakeOktaError("E0000001", "updateMapping", [f"{name}.expression: required"])
        push_status = push_status or found["properties"].get(name, {}).get("pushStatus", "PUSH")
        if push_status not in _PUSH_STATUSES:
            raise FakeOktaError(
                "E0000001", "updateMapping", [f"{name}.pushStatus: PUSH or DONT_PUSH"]
            )
        changes[name] = {"expression": expression, "pushStatus": push_status}
    for name, change in changes.items():
        if change is None:
            found["properties"].pop(name, None)
        else:
            found["properties"][name] = change
    return found


def _target_attributes(state: OrgState, target: Mapping[str, Any]) -> set[str] | None:
    """Attribute names a mapping may write, when the fake knows the target's schema."""
    if target["type"] != "appuser" or target["id"] not in state.schemas:
        return None
    definitions = state.schemas[target["id"]]["definitions"]
    return set(definitions["base"]["properties"]) | set(definitions["custom"]["properties"])


_ASSIGNED_BY_OKTA: Final = ("id", "name", "status", "created", "lastUpdated", "features", "_links")
"""What a replace of an app cannot change (the spec: Okta ignores these in the body)."""
_USERNAME_PUSH: Final = frozenset({"PUSH", "DONT_PUSH", "NOT_CONFIGURED"})


def replace_app(state: OrgState, app_id: str, body: Any) -> JSON:
    """PUT /api/v1/apps/{appId}: the body replaces every property Okta lets a client set
    (the spec: "all required properties must be specified"); a missing one is refused."""
    app = _app(state, app_id)
    given = _object(body, "application")
    missing = [
        name for name in ("label", "signOnMode", "credentials", "settings") if name not in given
    ]
    if missing:
        raise FakeOktaError("E0000001", "application", [f"{n}: required" for n in missing])
    if given["signOnMode"] != app["signOnMode"]:
        raise FakeOktaError("E0000001", "application", ["signOnMode: cannot be changed"])
    template = _object(given["credentials"], "credentials").get("userNameTemplate") or {}
    push = _object(template, "userNameTemplate").get("pushStatus")
    if push is not None and push not in _USERNAME_PUSH:
        raise FakeOktaError(
            "E0000001", "application", [f"pushStatus: {push!r} is not a valid value"]
        )
    kept: JSON = {name: app[name] for name in _ASSIGNED_BY_OKTA if name in app}
    replaced: JSON = {k: v for k, v in given.items() if k not in _ASSIGNED_BY_OKTA}
    app.clear()
    app.update(replaced | kept)
    app["lastUpdated"] = iso(state.now())
    return app
