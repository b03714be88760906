"""OrgState: a mutable in-memory Okta org made of the JSON objects of `shapes`, plus builders.

Tests assemble custom orgs with the builder methods, e.g.::

    org = OrgState()
    jane = org.add_user("jdoe", "Jane", "Doe")
    box = org.add_app("boxnet", "Box", features=["PUSH_NEW_USERS", "PUSH_PROFILE_UPDATES"])
    org.set_mapping(None, box, {"lastName": ("user.lastName", "PUSH")})
    org.assign(box, jane, external_id=None, sync_state="OUT_OF_SYNC")
"""

from __future__ import annotations

import bisect
import random
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, Final, Literal

from fakes.okta import shapes
from fakes.okta.shapes import JSON, iso

# Apps whose USER_PROVISIONING feature and provisioning connection Okta exposes by API.
FEATURES_API_APPS: Final = frozenset(
    {"google", "office365", "okta_org2org", "slack", "zoomus", "zscalerbyz"}
)
_TOKEN_AUTH_APPS: Final = frozenset({"okta_org2org", "zscalerbyz"})

# (capabilities section, setting, app feature) — the two views Okta keeps of one toggle.
TOGGLES: Final = (
    ("create", "lifecycleCreate", "PUSH_NEW_USERS"),
    ("update", "profile", "PUSH_PROFILE_UPDATES"),
    ("update", "lifecycleDeactivate", "PUSH_USER_DEACTIVATION"),
    ("update", "password", "PUSH_PASSWORD_UPDATES"),
)


class _Auto(Enum):
    AUTO = "auto"


AUTO: Final = _Auto.AUTO
"""Default for builder arguments whose value follows from the app's provisioning settings."""

Auto = Literal[_Auto.AUTO]
Ref = JSON | str


class FakeOktaError(Exception):
    """An Okta API error the fake org raises; its server answers it as Okta's Error JSON.
    Named apart from attrsync's own OktaError (checks.errors), which a client raises."""

    def __init__(self, code: str, detail: str | None = None, causes: Sequence[str] = ()) -> None:
        super().__init__(f"{code}: {detail or ''}")
        self.code = code
        self.detail = detail
        self.causes = tuple(causes)

    @classmethod
    def not_found(cls, resource_id: str, kind: str) -> FakeOktaError:
        return cls("E0000007", shapes.not_found_detail(resource_id, kind))


def _utcnow() -> datetime:
    return datetime.now(UTC)


def evaluate_simple(expression: str, profile: Mapping[str, Any]) -> tuple[bool, Any]:
    """Evaluate `user.attr` mapping expressions; anything else is (False, None)."""
    text = expression.strip()
    if text.startswith("user.") and text[5:].isidentifier():
        return True, profile.get(text[5:])
    return False, None


def _title(name: str) -> str:
    spaced = "".join(f" {ch}" if ch.isupper() else ch for ch in name)
    return spaced[:1].upper() + spaced[1:]


def has_provisioning(app: Mapping[str, Any]) -> bool:
    return any(feature in shapes.PROVISIONING_FEATURES for feature in app["features"])


def supports_features_api(app: Mapping[str, Any]) -> bool:
    return app["name"] in FEATURES_API_APPS


class AppUsers(MutableMapping[tuple[str, str], JSON]):
    """The org's app users by (app id, user id), plus each app's user ids sorted: Okta's
    listing order, kept in step by every write so that a page is a search, not a sort."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], JSON] = {}
        self._ids: dict[str, list[str]] = {}

    def __getitem__(self, key: tuple[str, str]) -> JSON:
        return self._by_key[key]

    def __setitem__(self, key: tuple[str, str], value: JSON) -> None:
        if key not in self._by_key:
            app_id, user_id = key
            bisect.insort(self._ids.setdefault(app_id, []), user_id)
        self._by_key[key] = value

    def __delitem__(self, key: tuple[str, str]) -> None:
        del self._by_key[key]
        app_id, user_id = key
        ids = self._ids[app_id]
        del ids[bisect.bisect_left(ids, user_id)]

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def listed_after(self, app_id: str, after: str) -> Iterator[JSON]:
        """The app's users in Okta's order, from the first whose id sorts after `after` (all
        of them for ""): a cursor whose user has gone since still finds its place. Read it
        before the org changes again."""
        ids = self._ids.get(app_id, [])
        for position in range(bisect.bisect_right(ids, after), len(ids)):
            yield self._by_key[(app_id, ids[position])]


@dataclass(eq=False, repr=False)
class OrgState:
    """Everything the fake Okta serves. Objects are stored in their wire shape."""

    clock: Callable[[], datetime] = _utcnow
    seed: int = 1
    email_domain: str = "example.com"
    users: dict[str, JSON] = field(default_factory=dict)
    user_types: dict[str, JSON] = field(default_factory=dict)
    apps: dict[str, JSON] = field(default_factory=dict)
    app_users: AppUsers = field(default_factory=AppUsers)
    groups: dict[str, JSON] = field(default_factory=dict)
    group_members: dict[str, list[str]] = field(default_factory=dict)
    app_groups: dict[tuple[str, str], JSON] = field(default_factory=dict)
    features: dict[str, JSON] = field(default_factory=dict)
    connections: dict[str, JSON] = field(default_factory=dict)
    mappings: dict[str, JSON] = field(default_factory=dict)
    schemas: dict[str, JSON] = field(default_factory=dict)
    user_schemas: dict[str, JSON] = field(default_factory=dict)
    """By schema id (each user type has one)."""
    logs: list[JSON] = field(default_factory=list)
    default_type_id: str = field(init=False)
    _rng: random.Random = field(init=False, repr=False)
    _app_user_ids: dict[tuple[str, str], str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._app_user_ids = {}
        founded = self.clock() - timedelta(days=3 * 365)
        default = self.add_user_type("user", "User", created=founded, default=True)
        self.default_type_id = default["id"]

    def __repr__(self) -> str:
        # The full org would flood test failure output; counts are what one scans for.
        return (
            f"OrgState(users={len(self.users)}, apps={len(self.apps)}, "
            f"app_users={len(self.app_users)}, groups={len(self.groups)}, "
            f"mappings={len(self.mappings)}, logs={len(self.logs)})"
        )

    # ids and clock

    def new_id(self, prefix: str) -> str:
        """A fresh Okta-style id; deterministic for a given seed."""
        return shapes.okta_id(prefix, self._rng)

    def new_uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def now(self) -> datetime:
        return self.clock()

    # lookups

    def find_user(self, ref: str) -> JSON | None:
        """By id, login, or login short name when unambiguous (logins are case-insensitive)."""
        if ref in self.users:
            return self.users[ref]
        wanted = ref.casefold()
        for candidate in self.users.values():
            if candidate["profile"]["login"].casefold() == wanted:
                return candidate
        short = [
            candidate
            for candidate in self.users.values()
            if candidate["profile"]["login"].casefold().split("@")[0] == wanted
        ]
        return short[0] if len(short) == 1 else None

    def find_app(self, ref: str) -> JSON | None:
        """By id, then name, then label (case-insensitive); for builders, not the API."""
        if ref in self.apps:
            return self.apps[ref]
        for key in ("name", "label"):
            for candidate in self.apps.values():
                if str(candidate[key]).casefold() == ref.casefold():
                    return candidate
        return None

    def user(self, ref: Ref) -> JSON:
        found = self.users.get(ref["id"]) if isinstance(ref, dict) else self.find_user(ref)
        if found is None:
            raise KeyError(f"no user {ref if isinstance(ref, str) else ref['id']!r}")
        return found

    def app(self, ref: Ref) -> JSON:
        found = self.apps.get(ref["id"]) if isinstance(ref, dict) else self.find_app(ref)
        if found is None:
            raise KeyError(f"no app {ref if isinstance(ref, str) else ref['id']!r}")
        return found

    def group(self, ref: Ref) -> JSON:
        if isinstance(ref, dict):
            return self.groups[ref["id"]]
        if ref in self.groups:
            return self.groups[ref]
        for candidate in self.groups.values():
            if candidate["profile"]["name"] == ref:
                return candidate
        raise KeyError(f"no group {ref!r}")

    def user_type(self, ref: Ref | None) -> JSON:
        if ref is None:
            return self.user_types[self.default_type_id]
        if isinstance(ref, dict):
            return self.user_types[ref["id"]]
        if ref in self.user_types:
            return self.user_types[ref]
        for candidate in self.user_types.values():
            if candidate["name"] == ref or candidate["displayName"] == ref:
                return candidate
        raise KeyError(f"no user type {ref!r}")

    def groups_of(self, user_id: str) -> list[JSON]:
        return [
            self.groups[gid] for gid, members in self.group_members.items() if user_id in members
        ]

    def mapping_between(self, source_id: str, target_id: str) -> JSON | None:
        for candidate in self.mappings.values():
            if candidate["source"]["id"] == source_id and candidate["target"]["id"] == target_id:
                return candidate
        return None

    def user_mapping(self, user: Mapping[str, Any], app_id: str) -> JSON | None:
        """The Okta user -> app mapping that applies to this user (by user type)."""
        return self.mapping_between(user["type"]["id"], app_id)

    def mapped_profile(self, user: Mapping[str, Any], app_id: str) -> JSON:
        """App user attributes that the user's mapping computes from simple `user.x` expressions."""
        result: JSON = {}
        found = self.user_mapping(user, app_id)
        for name, prop in (found or {}).get("properties", {}).items():
            ok, value = evaluate_simple(prop["expression"], user["profile"])
            if ok and value is not None:
                result[name] = value
        return result

    # builders

    def add_user_type(
        self,
        name: str,
        display_name: str | None = None,
        *,
        created: datetime | None = None,
        default: bool = False,
    ) -> JSON:
        type_id = self.new_id("oty")
        made = shapes.user_type(
            id=type_id,
            name=name,
            display_name=display_name or _title(name),
            default=default,
            created=created or self.now(),
        )
        self.user_types[type_id] = made
        schema_id = shapes.user_schema_id(type_id)
        self.user_schemas[schema_id] = shapes.user_schema(
            schema_id=schema_id,
            type_id=type_id,
            title=made["displayName"],
            created=created or self.now(),
            base={
                name: shapes.user_schema_property(title, **({"format": fmt} if fmt else {}))
                for name, (title, fmt) in shapes.USER_BASE_ATTRIBUTES.items()
            },
        )
        for app_id in self.apps:
            self._ensure_mapping(type_id, app_id)
        return made

    def user_schema(self, type_ref: Ref | None) -> JSON:
        """The user schema of a user type (None: the default type)."""
        return self.user_schemas[shapes.user_schema_id(self.user_type(type_ref)["id"])]

    def set_attribute_source(
        self,
        type_ref: Ref | None,
        name: str,
        master: str,
        priority: Sequence[tuple[str, str | None]] = (),
    ) -> JSON:
        """Set where a user type's attribute is sourced: `master` PROFILE_MASTER, OKTA or
        OVERRIDE with `priority` as (type, value) pairs, e.g. ("APP", app id), ("OKTA", None)."""
        prop: JSON = self.user_schema(type_ref)["definitions"]["base"]["properties"][name]
        found: JSON = {"type": master}
        if master == "OVERRIDE":
            found["priority"] = [
                {"type": kind, **({"value": value} if value else {})} for kind, value in priority
            ]
        prop["master"] = found
        return prop

    def import_profile(
        self, source: Ref, user: Ref, changes: Mapping[str, Any], *, at: datetime
    ) -> None:
        """A profile source's import into a user, as the System Log tells it: the import
        from the app, then the profile update it made (by Okta's import job, not a person)."""
        target_app, target_user = self.app(source), self.user(user)
        self.log(
            "application.provision.user.import_profile",
            at,
            "SUCCESS",
            [self.app_user_target(target_app, target_user), target_app, target_user],
        )
        if changes:
            self.change_profile(target_user, changes, at=at, actor=shapes.SYSTEM_ACTOR)

    def add_user(
        self,
        login: str,
        first: str,
        last: str,
        *,
        profile: Mapping[str, Any] | None = None,
        status: str = "ACTIVE",
        created: datetime | None = None,
        last_updated: datetime | None = None,
        type_id: Ref | None = None,
        email: str | None = None,
        status_changed: datetime | None = None,
    ) -> JSON:
        """Add a user; a bare `login` like "jdoe" becomes "jdoe@<email_domain>"."""
        if "@" not in login:
            login = f"{login}@{self.email_domain}"
        created = created or self.now() - timedelta(days=400)
        made = shapes.user(
            id=self.new_id("00u"),
            login=login,
            first_name=first,
            last_name=last,
            email=email,
            type_id=self.user_type(type_id)["id"],
            schema_id=shapes.user_schema_id(self.user_type(type_id)["id"]),
            profile=profile,
            status=status,
            created=created,
            last_updated=last_updated or created,
            status_changed=status_changed,
        )
        self.users[made["id"]] = made
        return made

    def change_profile(
        self,
        user: Ref,
        changes: Mapping[str, Any],
        *,
        at: datetime | None = None,
        actor: Mapping[str, Any] | None = None,
    ) -> JSON:
        """Change a user's profile and log `user.account.update_profile` as Okta does: the
        changed attributes' names in `debugContext.debugData.changedAttributes`, no values."""
        target = self.user(user)
        at = at or self.now()
        target["profile"].update(changes)
        target["lastUpdated"] = iso(at)
        return self.log(
            "user.account.update_profile",
            at,
            "SUCCESS",
            [target],
            actor=actor or self.admin_actor(),
            debug_data={"changedAttributes": ",".join(changes)},
        )

    def add_app(
        self,
        name: str,
        label: str,
        *,
        features: Iterable[str] = (),
        status: str = "ACTIVE",
        sign_on_mode: str = "SAML_2_0",
        created: datetime | None = None,
        connection: tuple[str, str] | None = None,
        username_template: Mapping[str, Any] | None = None,
    ) -> JSON:
        """Add an app with a default schema, empty mappings and (where Okta has them) the
        USER_PROVISIONING feature and provisioning connection in step with `features`.

        `connection` is (status, authScheme) and overrides the derived one;
        `username_template` replaces `credentials.userNameTemplate` (e.g. with a pushStatus).
        """
        created = created or self.now() - timedelta(days=500)
        made = shapes.app(
            id=self.new_id("0oa"),
            name=name,
            label=label,
            features=list(features),
            status=status,
            sign_on_mode=sign_on_mode,
            created=created,
            last_updated=created,
        )
        if username_template is not None:
            made["credentials"]["userNameTemplate"] = dict(username_template)
        app_id = made["id"]
        self.apps[app_id] = made
        if supports_features_api(made) and has_provisioning(made):
            self.features[app_id] = shapes.user_provisioning_feature(app_id=app_id)
            self._features_to_capabilities(made)
        if connection is None and supports_features_api(made):
            scheme = "TOKEN" if name in _TOKEN_AUTH_APPS else "OAUTH2"
            connection = ("ENABLED" if has_provisioning(made) else "DISABLED", scheme)
        if connection is not None:
            self.connections[app_id] = shapes.connection(
                app_id=app_id, status=connection[0], auth_scheme=connection[1]
            )
        self.set_schema(made)
        for type_id in self.user_types:
            self._ensure_mapping(type_id, app_id)
        # Okta also keeps the reverse (app -> Okta user) mapping used by imports.
        reverse = shapes.mapping(
            id=self.new_id("prm"),
            source=shapes.mapping_side(id=app_id, name=name, type="appuser"),
            target=self._type_side(self.default_type_id),
            properties={},
        )
        self.mappings[reverse["id"]] = reverse
        return made

    def set_provisioning(
        self,
        app: Ref,
        *,
        create: bool | None = None,
        update_profile: bool | None = None,
        deactivate: bool | None = None,
        password: bool | None = None,
    ) -> JSON:
        """Flip "To App" toggles; keeps `features[]` and USER_PROVISIONING in step."""
        target = self.app(app)
        wanted = {
            "PUSH_NEW_USERS": create,
            "PUSH_PROFILE_UPDATES": update_profile,
            "PUSH_USER_DEACTIVATION": deactivate,
            "PUSH_PASSWORD_UPDATES": password,
        }
        for feature, on in wanted.items():
            if on is True and feature not in target["features"]:
                target["features"].append(feature)
            elif on is False and feature in target["features"]:
                target["features"].remove(feature)
        target["lastUpdated"] = iso(self.now())
        if supports_features_api(target) and has_provisioning(target):
            self.features.setdefault(
                target["id"], shapes.user_provisioning_feature(app_id=target["id"])
            )
        if target["id"] in self.features:
            self._features_to_capabilities(target)
        return target

    def _features_to_capabilities(self, app: JSON) -> None:
        capabilities = self.features[app["id"]]["capabilities"]
        for section, setting, feature in TOGGLES:
            on = feature in app["features"]
            capabilities[section][setting]["status"] = "ENABLED" if on else "DISABLED"

    def capabilities_to_features(self, app_id: str) -> None:
        """After a USER_PROVISIONING change, make `features[]` say the same."""
        app = self.apps[app_id]
        capabilities = self.features[app_id]["capabilities"]
        for section, setting, feature in TOGGLES:
            on = capabilities[section][setting]["status"] == "ENABLED"
            if on and feature not in app["features"]:
                app["features"].append(feature)
            elif not on and feature in app["features"]:
                app["features"].remove(feature)
        app["lastUpdated"] = iso(self.now())

    def set_schema(
        self,
        app: Ref,
        *,
        base: Mapping[str, Mapping[str, Any]] | None = None,
        custom: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> JSON:
        """Replace the app user schema; attribute dicts override `schema_attribute` defaults."""
        target = self.app(app)
        if base is None:
            base = {
                "userName": {"scope": "SELF", "required": True},
                "firstName": {},
                "lastName": {},
                "email": {},
            }

        def attributes(spec: Mapping[str, Mapping[str, Any]]) -> dict[str, JSON]:
            built: dict[str, JSON] = {}
            for name, overrides in spec.items():
                attribute = shapes.schema_attribute(_title(name))
                attribute.update(overrides)
                built[name] = attribute
            return built

        created = shapes.parse_iso(target["created"])
        made = shapes.app_schema(
            app_id=target["id"],
            app_name=target["name"],
            app_label=target["label"],
            created=created,
            last_updated=max(created, self.now()),
            base=attributes(base),
            custom=attributes(custom or {}),
        )
        self.schemas[target["id"]] = made
        return made

    def _type_side(self, type_id: str) -> JSON:
        return shapes.mapping_side(id=type_id, name=self.user_types[type_id]["name"], type="user")

    def _ensure_mapping(self, type_id: str, app_id: str) -> JSON:
        found = self.mapping_between(type_id, app_id)
        if found is None:
            app = self.apps[app_id]
            found = shapes.mapping(
                id=self.new_id("prm"),
                source=self._type_side(type_id),
                target=shapes.mapping_side(id=app_id, name=app["name"], type="appuser"),
                properties={},
            )
            self.mappings[found["id"]] = found
        return found

    def set_mapping(
        self,
        source_type: Ref | None,
        app: Ref,
        properties: Mapping[str, tuple[str, str] | str],
    ) -> JSON:
        """Replace the Okta user -> app mapping of a user type (None = default type).

        Each property is `(expression, pushStatus)`, or just the expression (pushStatus PUSH).
        """
        type_id = self.user_type(source_type)["id"]
        found = self._ensure_mapping(type_id, self.app(app)["id"])
        found["properties"] = {
            name: (
                {"expression": prop, "pushStatus": "PUSH"}
                if isinstance(prop, str)
                else {"expression": prop[0], "pushStatus": prop[1]}
            )
            for name, prop in properties.items()
        }
        return found

    def assign(
        self,
        app: Ref,
        user: Ref,
        *,
        scope: str = "USER",
        external_id: str | Auto | None = AUTO,
        sync_state: str | Auto = AUTO,
        status: str | Auto = AUTO,
        last_sync: datetime | Auto | None = AUTO,
        profile: Mapping[str, Any] | None = None,
        created: datetime | None = None,
        last_updated: datetime | None = None,
        group: Ref | None = None,
    ) -> JSON:
        """Assign (or re-assign, replacing) a user to an app.

        By default the app user looks like one created while the app's provisioning settings
        were what they are now: with PUSH_NEW_USERS it has an external id, is PROVISIONED and
        SYNCHRONIZED. Its profile is what the user's mapping computes, updated by `profile`.
        """
        target_app = self.app(app)
        target_user = self.user(user)
        provisioning = has_provisioning(target_app)
        if external_id is AUTO:
            pushes = "PUSH_NEW_USERS" in target_app["features"]
            external_id = self._external_id(target_app) if pushes else None
        if status is AUTO:
            status = "PROVISIONED" if external_id else "ACTIVE"
        if sync_state is AUTO:
            if not provisioning:
                sync_state = "DISABLED"
            else:
                sync_state = "SYNCHRONIZED" if external_id else "OUT_OF_SYNC"
        created = created or self.now()
        last_updated = last_updated or created
        if last_sync is AUTO:
            last_sync = last_updated if sync_state == "SYNCHRONIZED" else None
        group_id = None
        if scope == "GROUP":
            group_id = (
                self.group(group)["id"]
                if group is not None
                else self._granting_group(target_app["id"], target_user["id"])
            )
        values = self.mapped_profile(target_user, target_app["id"])
        values.update(profile or {})
        made = shapes.app_user(
            app_id=target_app["id"],
            user_id=target_user["id"],
            user_name=target_user["profile"]["login"],
            scope=scope,
            status=status,
            sync_state=sync_state,
            external_id=external_id,
            created=created,
            last_updated=last_updated,
            last_sync=last_sync,
            profile=values,
            group_id=group_id,
        )
        self.app_users[(target_app["id"], target_user["id"])] = made
        return made

    def _external_id(self, app: Mapping[str, Any]) -> str:
        if app["name"] == "google":
            return str(self._rng.randrange(10**20, 10**21))
        if app["name"] == "boxnet":
            return str(self._rng.randrange(10**10, 10**11))
        return self.new_uuid()

    def _granting_group(self, app_id: str, user_id: str) -> str | None:
        for group_id, members in self.group_members.items():
            if user_id in members and (app_id, group_id) in self.app_groups:
                return group_id
        return None

    def add_group(
        self,
        name: str,
        members: Iterable[Ref] = (),
        *,
        description: str = "",
        created: datetime | None = None,
    ) -> JSON:
        created = created or self.now() - timedelta(days=300)
        made = shapes.group(
            id=self.new_id("00g"), name=name, description=description, created=created
        )
        self.groups[made["id"]] = made
        self.group_members[made["id"]] = [self.user(member)["id"] for member in members]
        return made

    def add_member(self, group: Ref, user: Ref) -> None:
        """Add a user to a group (app assignments of the group are not extended)."""
        target = self.group(group)
        members = self.group_members[target["id"]]
        user_id = self.user(user)["id"]
        if user_id not in members:
            members.append(user_id)
            target["lastMembershipUpdated"] = iso(self.now())

    def assign_group(
        self,
        app: Ref,
        group: Ref,
        *,
        profile: Mapping[str, Any] | None = None,
        priority: int | None = None,
        created: datetime | None = None,
    ) -> JSON:
        """Assign a group to an app; members without an assignment get GROUP-scoped app users."""
        target_app = self.app(app)
        target_group = self.group(group)
        if priority is None:
            priority = sum(1 for app_id, _ in self.app_groups if app_id == target_app["id"])
        created = created or self.now()
        made = shapes.app_group(
            app_id=target_app["id"],
            group_id=target_group["id"],
            priority=priority,
            profile=profile,
            last_updated=created,
        )
        self.app_groups[(target_app["id"], target_group["id"])] = made
        for user_id in self.group_members[target_group["id"]]:
            if (target_app["id"], user_id) not in self.app_users:
                self.assign(
                    target_app,
                    user_id,
                    scope="GROUP",
                    group=target_group,
                    profile=profile,
                    created=created,
                )
        return made

    # System Log

    def admin_actor(self) -> JSON:
        return {
            "id": "00u1admin000000000g1",
            "type": "User",
            "alternateId": f"admin@{self.email_domain}",
            "displayName": "Org Admin",
        }

    def app_user_target(self, app: Ref, user: Ref) -> JSON:
        """The `AppUser` log target of an assignment (Okta gives app users their own `0ua` id)."""
        target_app, target_user = self.app(app), self.user(user)
        key = (target_app["id"], target_user["id"])
        if key not in self._app_user_ids:
            self._app_user_ids[key] = self.new_id("0ua")
        profile = target_user["profile"]
        return shapes.log_target(
            id=self._app_user_ids[key],
            type="AppUser",
            alternate_id=profile["login"],
            display_name=f"{profile['firstName']} {profile['lastName']}",
        )

    def _target(self, obj: Mapping[str, Any]) -> JSON:
        if isinstance(obj.get("type"), str) and "alternateId" in obj:
            return dict(obj)
        obj_id = obj["id"]
        if obj_id in self.users:
            profile = self.users[obj_id]["profile"]
            return shapes.log_target(
                id=obj_id,
                type="User",
                alternate_id=profile["login"],
                display_name=f"{profile['firstName']} {profile['lastName']}",
            )
        if obj_id in self.apps:
            label = self.apps[obj_id]["label"]
            return shapes.log_target(
                id=obj_id, type="AppInstance", alternate_id=label, display_name=label
            )
        if obj_id in self.groups:
            name = self.groups[obj_id]["profile"]["name"]
            return shapes.log_target(
                id=obj_id, type="UserGroup", alternate_id=name, display_name=name
            )
        raise KeyError(f"cannot make a log target of {obj_id!r}")

    def log(
        self,
        event_type: str,
        published: datetime,
        result: str,
        targets: Sequence[Mapping[str, Any]],
        *,
        reason: str | None = None,
        legacy: str | None = None,
        actor: Mapping[str, Any] | None = None,
        severity: str | None = None,
        display_message: str = "",
        debug_data: Mapping[str, Any] | None = None,
    ) -> JSON:
        """Record a System Log event.

        `targets` are users, apps and groups of this org (turned into User/AppInstance/UserGroup
        targets) or ready-made targets such as `app_user_target(...)`.
        """
        made = shapes.log_event(
            uuid=self.new_uuid(),
            published=published,
            event_type=event_type,
            result=result,
            targets=[self._target(obj) for obj in targets],
            actor=actor or shapes.SYSTEM_ACTOR,
            display_message=display_message,
            severity=severity,
            reason=reason,
            legacy_event_type=legacy,
            debug_data={"requestId": self.new_id("aDemo"), **(debug_data or {})},
        )
        self.logs.append(made)
        return made

    def push_succeeded(self, app_id: str, user: JSON, at: datetime) -> None:
        """A successful profile push at `at`: the app user is in sync as of then."""
        self.log_push(app_id, user, at)
        app_user = self.app_users[(app_id, user["id"])]
        app_user["syncState"] = "SYNCHRONIZED"
        app_user["lastSync"] = shapes.iso(at)
        app_user["lastUpdated"] = shapes.iso(at)

    def log_push(
        self,
        app: Ref,
        user: Ref,
        published: datetime,
        result: str = "SUCCESS",
        *,
        reason: str | None = None,
        legacy: str | None = None,
        event_type: str = "application.provision.user.push_profile",
    ) -> JSON:
        """Log a provisioning event about one app user (targets: AppUser, AppInstance, User)."""
        target_app, target_user = self.app(app), self.user(user)
        return self.log(
            event_type,
            published,
            result,
            [self.app_user_target(target_app, target_user), target_app, target_user],
            reason=reason,
            legacy=legacy,
        )
