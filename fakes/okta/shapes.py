"""Build Okta Management API JSON objects in the shapes of Okta's published OpenAPI spec.

Every function here is pure. Hrefs in `_links` are org-relative (`/api/v1/...`); the fake
server turns them into absolute URLs on the wire, because the org's URL (a port chosen at
bind time) is not known while an org is being assembled.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

JSON = dict[str, Any]

_ID_ALPHABET: Final = string.ascii_letters + string.digits

# Okta's error catalogue (developer docs data/error-codes.json): code -> (HTTP status, summary).
# A "{0}" is filled with the caller's detail.
ERRORS: Final[Mapping[str, tuple[int, str]]] = {
    "E0000001": (400, "Api validation failed: {0}"),
    "E0000006": (403, "You do not have permission to perform the requested action"),
    "E0000007": (404, "Not found: {0}"),
    "E0000009": (500, "Internal Server Error"),
    "E0000010": (503, "Service is in read only mode"),
    "E0000011": (401, "Invalid token provided"),
    "E0000022": (405, "The endpoint does not support the provided HTTP method"),
    "E0000046": (403, "Deactivate application for user forbidden."),
    "E0000047": (429, "API call exceeded rate limit due to too many requests."),
    "E0000053": (400, "Invalid filter: {0}"),
    "E0000075": (
        403,
        "Cannot modify the {0} attribute because it has a field mapping and profile push "
        "is enabled.",
    ),
}

# The error a fault answers with when a test names only an HTTP status.
CODE_FOR_STATUS: Final[Mapping[int, str]] = {
    400: "E0000001",
    401: "E0000011",
    403: "E0000006",
    404: "E0000007",
    405: "E0000022",
    429: "E0000047",
    500: "E0000009",
    503: "E0000010",
}

PROVISIONING_FEATURES: Final = frozenset(
    {
        "PUSH_NEW_USERS",
        "PUSH_PROFILE_UPDATES",
        "PUSH_USER_DEACTIVATION",
        "PUSH_PASSWORD_UPDATES",
        "REACTIVATE_USERS",
        "IMPORT_NEW_USERS",
        "IMPORT_PROFILE_UPDATES",
        "SCIM_PROVISIONING",
        "PROFILE_MASTERING",
        "GROUP_PUSH",
    }
)

# `displayMessage` of the event types the fake logs (Okta's event type catalogue).
DISPLAY_MESSAGES: Final[Mapping[str, str]] = {
    "user.account.update_profile": "Update user profile for Okta",
    "application.provision.user.push": "Push new user to external application",
    "application.provision.user.push_profile": "Push user's profile to external application",
    "application.provision.user.deactivate": "Push user deactivation to external application",
    "application.provision.user.reactivate": "Push user reactivation in external application",
    "application.provision.user.sync": "Sync user in external application",
    "application.integration.authentication_failure": "Error authenticating",
    "application.integration.rate_limit_exceeded": "API rate limit exceeded",
    "application.integration.general_failure": "Generic error occured",
    "application.user_membership.add": "Add user to application membership",
    "application.user_membership.remove": "Remove user's application membership",
    "application.provision.user.import_profile": "Import profile from external application",
}

SYSTEM_ACTOR: Final[Mapping[str, Any]] = {
    "id": "0oa1oktasystem0000g1",
    "type": "SystemPrincipal",
    "alternateId": "system@okta.com",
    "displayName": "Okta System",
}


def iso(moment: datetime) -> str:
    """Format a moment the way Okta does: UTC, milliseconds, trailing Z."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp (with Z or an offset; naive means UTC)."""
    moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def okta_id(prefix: str, rng: random.Random) -> str:
    """Make a 20-character id like Okta's (`00u…` users, `0oa…` apps, `00g…` groups)."""
    return prefix + "".join(rng.choice(_ID_ALPHABET) for _ in range(20 - len(prefix)))


def error(
    code: str,
    detail: str | None = None,
    causes: Iterable[str] = (),
    *,
    error_id: str = "oae0000000000000000000000",
) -> JSON:
    """Okta's Error object; `detail` fills the summary's slot, or replaces a slotless summary."""
    _, template = ERRORS.get(code, (500, "{0}"))
    summary = template.format(detail or "") if "{0}" in template else detail or template
    return {
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": error_id,
        "errorCauses": [{"errorSummary": cause} for cause in causes],
    }


def status_of(code: str) -> int:
    """HTTP status that Okta answers with for an error code."""
    return ERRORS.get(code, (500, ""))[0]


def not_found_detail(resource_id: str, kind: str) -> str:
    """The `{0}` of E0000007 for a missing resource, as Okta words it."""
    return f"Resource not found: {resource_id} ({kind})"


def user_type(
    *,
    id: str,
    name: str,
    display_name: str,
    default: bool,
    created: datetime,
    description: str = "",
) -> JSON:
    return {
        "id": id,
        "name": name,
        "displayName": display_name,
        "description": description or f"{display_name} user type",
        "default": default,
        "created": iso(created),
        "createdBy": "00u1admin000000000g1",
        "lastUpdated": iso(created),
        "lastUpdatedBy": "00u1admin000000000g1",
        "_links": {
            "self": {"href": f"/api/v1/meta/types/user/{id}", "method": "GET"},
            "schema": {"href": f"/api/v1/meta/schemas/user/{user_schema_id(id)}", "method": "GET"},
        },
    }


def user(
    *,
    id: str,
    login: str,
    first_name: str,
    last_name: str,
    type_id: str,
    created: datetime,
    last_updated: datetime,
    status: str = "ACTIVE",
    email: str | None = None,
    profile: Mapping[str, Any] | None = None,
    status_changed: datetime | None = None,
    last_login: datetime | None = None,
    schema_id: str | None = None,
) -> JSON:
    base_profile: JSON = {
        "firstName": first_name,
        "lastName": last_name,
        "login": login,
        "email": email or login,
    }
    base_profile.update(profile or {})
    return {
        "id": id,
        "status": status,
        "created": iso(created),
        "activated": iso(created) if status != "STAGED" else None,
        "statusChanged": iso(status_changed or created),
        "lastLogin": iso(last_login) if last_login else None,
        "lastUpdated": iso(last_updated),
        "passwordChanged": iso(created),
        "type": {"id": type_id},
        "profile": base_profile,
        "credentials": {
            "password": {},
            "provider": {"type": "OKTA", "name": "OKTA"},
        },
        "_links": {
            "self": {"href": f"/api/v1/users/{id}"},
            "type": {"href": f"/api/v1/meta/types/user/{type_id}"},
            # Okta names the user's schema (their type's) on the user itself.
            "schema": {"href": f"/api/v1/meta/schemas/user/{schema_id or user_schema_id(type_id)}"},
        },
    }


def user_schema_id(type_id: str) -> str:
    """The schema id of a user type the fake makes (`osc…` beside the type's `oty…`); real
    ids need not look alike: read the type's or the user's `_links.schema`."""
    return f"osc{type_id[3:]}"


def _sign_on(sign_on_mode: str, name: str) -> tuple[JSON, JSON]:
    """Credentials and settings that the spec's subtype for this signOnMode requires."""
    notifications: JSON = {"vpn": {"network": {"connection": "DISABLED"}}}
    template: JSON = {"template": "${source.login}", "type": "BUILT_IN"}
    credentials: JSON
    sign_on: JSON
    if sign_on_mode == "SAML_2_0":
        sign_on = {
            "defaultRelayState": "",
            "ssoAcsUrl": f"https://{name}.example.net/saml/acs",
            "idpIssuer": "http://www.okta.com/${org.externalKey}",
            "audience": f"https://{name}.example.net",
            "recipient": f"https://{name}.example.net/saml/acs",
            "destination": f"https://{name}.example.net/saml/acs",
            "subjectNameIdTemplate": "${user.userName}",
            "subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            "responseSigned": True,
            "assertionSigned": True,
            "signatureAlgorithm": "RSA_SHA256",
            "digestAlgorithm": "SHA256",
            "honorForceAuthn": True,
            "authnContextClassRef": (
                "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
            ),
            "requestCompressed": False,
            "allowMultipleAcsEndpoints": False,
            "acsEndpoints": [],
            "attributeStatements": [],
        }
        credentials = {"userNameTemplate": template, "signing": {"kid": "demoSigningKey0001"}}
        return credentials, {"app": {}, "notifications": notifications, "signOn": sign_on}
    if sign_on_mode == "AUTO_LOGIN":
        credentials = {
            "scheme": "EDIT_USERNAME_AND_PASSWORD",
            "userNameTemplate": template,
            "revealPassword": False,
            "signing": {},
        }
        sign_on = {"loginUrl": f"https://{name}.example.net/login"}
        return credentials, {"app": {}, "notifications": notifications, "signOn": sign_on}
    if sign_on_mode == "BOOKMARK":
        app_settings = {"url": f"https://{name}.example.net", "requestIntegration": False}
        credentials = {"userNameTemplate": template, "signing": {}}
        return credentials, {"app": app_settings, "notifications": notifications}
    raise ValueError(f"unsupported signOnMode {sign_on_mode!r} (SAML_2_0, AUTO_LOGIN, BOOKMARK)")


def app(
    *,
    id: str,
    name: str,
    label: str,
    created: datetime,
    last_updated: datetime,
    features: Sequence[str] = (),
    status: str = "ACTIVE",
    sign_on_mode: str = "SAML_2_0",
) -> JSON:
    if sign_on_mode == "BOOKMARK" and name != "bookmark":
        raise ValueError("the spec requires BOOKMARK apps to be named 'bookmark'")
    credentials, settings = _sign_on(sign_on_mode, name)
    lifecycle = "deactivate" if status == "ACTIVE" else "activate"
    links: JSON = {
        "self": {"href": f"/api/v1/apps/{id}"},
        "users": {"href": f"/api/v1/apps/{id}/users"},
        "groups": {"href": f"/api/v1/apps/{id}/groups"},
        lifecycle: {"href": f"/api/v1/apps/{id}/lifecycle/{lifecycle}"},
        "appLinks": [
            {
                "name": f"{name}_link",
                "href": f"/home/{name}/{id}/aln{id[3:]}",
                "type": "text/html",
            }
        ],
        "logo": [{"name": "medium", "href": f"/assets/img/logos/{name}.png", "type": "image/png"}],
    }
    if sign_on_mode == "SAML_2_0":
        links["metadata"] = {
            "href": f"/api/v1/apps/{id}/sso/saml/metadata",
            "type": "application/xml",
        }
    return {
        "id": id,
        "name": name,
        "label": label,
        "status": status,
        "lastUpdated": iso(last_updated),
        "created": iso(created),
        "accessibility": {"selfService": False},
        "visibility": {
            "autoSubmitToolbar": False,
            "hide": {"iOS": False, "web": False},
            "appLinks": {f"{name}_link": True},
        },
        "features": list(features),
        "signOnMode": sign_on_mode,
        "credentials": credentials,
        "settings": settings,
        "_links": links,
    }


def app_user(
    *,
    app_id: str,
    user_id: str,
    user_name: str,
    created: datetime,
    last_updated: datetime,
    scope: str = "USER",
    status: str = "ACTIVE",
    sync_state: str = "DISABLED",
    external_id: str | None = None,
    last_sync: datetime | None = None,
    status_changed: datetime | None = None,
    profile: Mapping[str, Any] | None = None,
    group_id: str | None = None,
) -> JSON:
    links: JSON = {
        "app": {"href": f"/api/v1/apps/{app_id}"},
        "user": {"href": f"/api/v1/users/{user_id}"},
    }
    if scope == "GROUP" and group_id:
        links["group"] = {"href": f"/api/v1/groups/{group_id}"}
    # Real Okta sends explicit nulls here (the spec's own AppUser examples do too).
    return {
        "id": user_id,
        "externalId": external_id,
        "created": iso(created),
        "lastUpdated": iso(last_updated),
        "scope": scope,
        "status": status,
        "statusChanged": iso(status_changed or created),
        "passwordChanged": None,
        "syncState": sync_state,
        "lastSync": iso(last_sync) if last_sync else None,
        "credentials": {"userName": user_name},
        "profile": dict(profile or {}),
        "_links": links,
    }


def group(
    *,
    id: str,
    name: str,
    created: datetime,
    last_updated: datetime | None = None,
    last_membership_updated: datetime | None = None,
    description: str = "",
) -> JSON:
    return {
        "id": id,
        "created": iso(created),
        "lastUpdated": iso(last_updated or created),
        "lastMembershipUpdated": iso(last_membership_updated or created),
        "objectClass": ["okta:user_group"],
        "type": "OKTA_GROUP",
        "profile": {"name": name, "description": description},
        "_links": {
            "self": {"href": f"/api/v1/groups/{id}"},
            "users": {"href": f"/api/v1/groups/{id}/users"},
            "apps": {"href": f"/api/v1/groups/{id}/apps"},
        },
    }


def app_group(
    *,
    app_id: str,
    group_id: str,
    last_updated: datetime,
    priority: int = 0,
    profile: Mapping[str, Any] | None = None,
) -> JSON:
    return {
        "id": group_id,
        "lastUpdated": iso(last_updated),
        "priority": priority,
        "profile": dict(profile or {}),
        "_links": {
            "self": {"href": f"/api/v1/apps/{app_id}/groups/{group_id}"},
            "app": {"href": f"/api/v1/apps/{app_id}"},
            "group": {"href": f"/api/v1/groups/{group_id}"},
        },
    }


def user_provisioning_feature(
    *,
    app_id: str,
    create: str = "DISABLED",
    update_profile: str = "DISABLED",
    deactivate: str = "DISABLED",
    password: str = "DISABLED",
    status: str = "ENABLED",
) -> JSON:
    """The USER_PROVISIONING ApplicationFeature; each toggle is ENABLED or DISABLED."""
    return {
        "name": "USER_PROVISIONING",
        "status": status,
        "description": "User provisioning settings from Okta to a downstream application",
        "capabilities": {
            "create": {"lifecycleCreate": {"status": create}},
            "update": {
                "profile": {"status": update_profile},
                "lifecycleDeactivate": {"status": deactivate},
                "password": {"status": password, "seed": "RANDOM", "change": "KEEP_EXISTING"},
            },
        },
        "_links": {
            "self": {
                "href": f"/api/v1/apps/{app_id}/features/USER_PROVISIONING",
                "hints": {"allow": ["GET", "PUT"]},
            }
        },
    }


def connection(
    *, app_id: str, status: str = "UNKNOWN", auth_scheme: str = "UNKNOWN", base_url: str = ""
) -> JSON:
    """ProvisioningConnectionResponse; UNKNOWN/UNKNOWN is what apps without the API answer."""
    path = f"/api/v1/apps/{app_id}/connections/default"
    links: JSON = {"self": {"href": path, "hints": {"allow": ["GET", "POST"]}}}
    if status == "ENABLED":
        links["deactivate"] = {
            "href": f"{path}/lifecycle/deactivate",
            "hints": {"allow": ["POST"]},
        }
    elif status == "DISABLED":
        links["activate"] = {"href": f"{path}/lifecycle/activate", "hints": {"allow": ["POST"]}}
    body: JSON = {"status": status, "profile": {"authScheme": auth_scheme}}
    if auth_scheme == "TOKEN":
        body["authScheme"] = "TOKEN"
        if base_url:
            body["baseUrl"] = base_url
    if auth_scheme == "OAUTH2":
        links["authorize"] = {
            "href": f"https://oauth.example.net/authorize?client_id={app_id}",
            "hints": {"allow": ["GET"]},
        }
    body["_links"] = links
    return body


def mapping_side(*, id: str, name: str, type: str) -> JSON:
    """`source`/`target` of a mapping: a user type (`type` "user") or an app ("appuser")."""
    if type == "user":
        self_href = f"/api/v1/meta/types/user/{id}"
        schema_href = f"/api/v1/meta/schemas/user/{user_schema_id(id)}"
    else:
        self_href = f"/api/v1/apps/{id}"
        schema_href = f"/api/v1/meta/schemas/apps/{id}/default"
    return {
        "id": id,
        "name": name,
        "type": type,
        "_links": {"self": {"href": self_href}, "schema": {"href": schema_href}},
    }


def mapping(
    *, id: str, source: JSON, target: JSON, properties: Mapping[str, Mapping[str, Any]]
) -> JSON:
    return {
        "id": id,
        "source": source,
        "target": target,
        "properties": {name: dict(prop) for name, prop in properties.items()},
        "_links": {"self": {"href": f"/api/v1/mappings/{id}"}},
    }


def mapping_summary(full: Mapping[str, Any]) -> JSON:
    """The list form of a mapping: Okta leaves `properties` out of list answers."""
    return {key: value for key, value in full.items() if key != "properties"}


def schema_attribute(
    title: str,
    *,
    type: str = "string",
    scope: str = "NONE",
    required: bool = False,
    master: str | None = "PROFILE_MASTER",
    external_name: str | None = None,
    mutability: str | None = None,
    **extra: Any,
) -> JSON:
    attribute: JSON = {"title": title, "type": type, "scope": scope}
    if required:
        attribute["required"] = True
    if master:
        attribute["master"] = {"type": master}
    if external_name:
        attribute["externalName"] = external_name
    if mutability:
        attribute["mutability"] = mutability
    attribute.update(extra)
    return attribute


def app_schema(
    *,
    app_id: str,
    app_name: str,
    app_label: str,
    created: datetime,
    last_updated: datetime,
    base: Mapping[str, Mapping[str, Any]],
    custom: Mapping[str, Mapping[str, Any]],
) -> JSON:
    required = [name for name, attr in base.items() if attr.get("required")]
    custom_required = [name for name, attr in custom.items() if attr.get("required")]
    return {
        "id": f"/meta/schemas/apps/{app_id}/default",
        "$schema": "http://json-schema.org/draft-04/schema#",
        "name": app_name,
        "title": f"{app_label} User",
        "lastUpdated": iso(last_updated),
        "created": iso(created),
        "definitions": {
            "base": {
                "id": "#base",
                "type": "object",
                "properties": {name: dict(attr) for name, attr in base.items()},
                "required": required,
            },
            "custom": {
                "id": "#custom",
                "type": "object",
                "properties": {name: dict(attr) for name, attr in custom.items()},
                "required": custom_required,
            },
        },
        "type": "object",
        "properties": {
            "profile": {"allOf": [{"$ref": "#/definitions/base"}, {"$ref": "#/definitions/custom"}]}
        },
        "_links": {"self": {"href": f"/api/v1/meta/schemas/apps/{app_id}/default"}},
    }


USER_BASE_ATTRIBUTES: Final[Mapping[str, tuple[str, str | None]]] = {
    "login": ("Username", None),
    "firstName": ("First name", None),
    "lastName": ("Last name", None),
    "email": ("Primary email", "email"),
    "title": ("Title", None),
    "department": ("Department", None),
    "employeeNumber": ("Employee number", None),
    "locale": ("Locale", "locale"),
    "manager": ("Manager", None),
    "nickName": ("Nickname", None),
}
"""A subset of the user schema's base properties: name -> (title, format)."""


def user_schema_property(title: str, *, master: str = "PROFILE_MASTER", **extra: Any) -> JSON:
    """A user schema property as Okta answers it (the okta Terraform provider's recorded
    `GET /api/v1/meta/schemas/user/…`): mutability, scope, permissions and `master`."""
    prop: JSON = {
        "title": title,
        "type": "string",
        "mutability": "READ_WRITE",
        "scope": "NONE",
        "permissions": [{"principal": "SELF", "action": "READ_ONLY"}],
        "master": {"type": master},
    }
    prop.update(extra)
    return prop


def user_schema(
    *,
    schema_id: str,
    type_id: str,
    title: str,
    created: datetime,
    base: Mapping[str, Mapping[str, Any]],
    custom: Mapping[str, Mapping[str, Any]] | None = None,
) -> JSON:
    return {
        "id": f"/meta/schemas/user/{schema_id}",
        "$schema": "http://json-schema.org/draft-04/schema#",
        "name": "user",
        "title": title,
        "description": "Okta user profile template with default permission settings",
        "lastUpdated": iso(created),
        "created": iso(created),
        "definitions": {
            "custom": {
                "id": "#custom",
                "type": "object",
                "properties": {name: dict(p) for name, p in (custom or {}).items()},
                "required": [],
            },
            "base": {
                "id": "#base",
                "type": "object",
                "properties": {name: dict(p) for name, p in base.items()},
                "required": ["login", "firstName", "lastName", "email"],
            },
        },
        "type": "object",
        "properties": {
            "profile": {"allOf": [{"$ref": "#/definitions/custom"}, {"$ref": "#/definitions/base"}]}
        },
        "_links": {
            "self": {
                "rel": "self",
                "href": f"/api/v1/meta/schemas/user/{schema_id}",
                "method": "GET",
            },
            "type": {"rel": "type", "href": f"/api/v1/meta/types/user/{type_id}", "method": "GET"},
        },
    }


def log_target(
    *,
    id: str,
    type: str,
    alternate_id: str,
    display_name: str,
) -> JSON:
    """A LogEvent target."""
    return {
        "id": id,
        "type": type,
        "alternateId": alternate_id,
        "displayName": display_name,
    }


def log_event(
    *,
    uuid: str,
    published: datetime,
    event_type: str,
    result: str,
    targets: Sequence[Mapping[str, Any]],
    actor: Mapping[str, Any] = SYSTEM_ACTOR,
    display_message: str = "",
    severity: str | None = None,
    reason: str | None = None,
    legacy_event_type: str | None = None,
    transaction_id: str = "",
    debug_data: Mapping[str, Any] | None = None,
) -> JSON:
    by_system = actor.get("type") == "SystemPrincipal"
    outcome: JSON = {"result": result}
    if reason:
        outcome["reason"] = reason
    event: JSON = {
        "actor": dict(actor),
        "client": (
            {"zone": "null"}
            if by_system
            else {
                "userAgent": {
                    "rawUserAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5)",
                    "os": "Mac OS X",
                    "browser": "CHROME",
                },
                "zone": "null",
                "device": "Computer",
                "ipAddress": "203.0.113.10",
            }
        ),
        "authenticationContext": {"externalSessionId": "unknown" if by_system else "idxDemo0001"},
        "displayMessage": display_message or DISPLAY_MESSAGES.get(event_type, event_type),
        "eventType": event_type,
        "outcome": outcome,
        "published": iso(published),
        "securityContext": {},
        "severity": severity or ("ERROR" if result == "FAILURE" else "INFO"),
        "debugContext": {"debugData": dict(debug_data or {})},
        "transaction": {
            "type": "JOB" if by_system else "WEB",
            "id": transaction_id or uuid.replace("-", "")[:20],
            "detail": {},
        },
        "uuid": uuid,
        "version": "0",
        "request": {"ipChain": []},
        "target": [dict(target) for target in targets],
    }
    if legacy_event_type:
        event["legacyEventType"] = legacy_event_type
    return event
