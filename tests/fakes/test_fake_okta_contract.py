"""The fake Okta answers in the shapes of Okta's published OpenAPI spec.

Every answer the demo org gives is validated against the response schema of its operation in
`../shared/okta-spec/management-minimal.yaml` (or `$ATTRSYNC_OKTA_SPEC`).
"""

from __future__ import annotations

import copy
import os
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker, validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from bot.demo.org import build_demo_org
from fakes.okta.faults import Fault
from fakes.okta.server import FakeOkta, serve
from fakes.okta.state import OrgState

SPEC_URI = "urn:okta:management-minimal"
JSON = dict[str, Any]


def _spec_path() -> Path:
    configured = os.environ.get("ATTRSYNC_OKTA_SPEC")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "shared/okta-spec/management-minimal.yaml"


def _patch_known_spec_gaps(spec: JSON) -> None:
    """Loosen the spec only where it contradicts Okta itself.

    AppUser.externalId and AppUser.lastSync: real Okta sends `null` for app users that were
    never provisioned (okta-api.md §1e; the spec's own examples AppUserCredUpdateResponse and
    the `_embedded.user` of its SAML app example show `externalId: null`, `lastSync: null`),
    but the schema types them as non-nullable strings.
    """
    app_user = spec["components"]["schemas"]["AppUser"]["properties"]
    for name in ("externalId", "lastSync"):
        app_user[name] = {**app_user[name], "nullable": True}


class Contract:
    """Looks up an operation's response schema and validates answers against it."""

    def __init__(self, spec: JSON) -> None:
        self.spec = spec
        resource: Resource[Any] = Resource.from_contents(spec, default_specification=DRAFT4)
        self.registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        self.checked: list[str] = []

    def _resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def response_schema(self, method: str, template: str, status: int) -> Mapping[str, Any]:
        operation = self.spec["paths"][template][method.lower()]
        response = self._resolve(operation["responses"][str(status)])
        schema: Mapping[str, Any] = response["content"]["application/json"]["schema"]
        return schema

    def _concrete(self, schema: Mapping[str, Any], instance: Any) -> Mapping[str, Any]:
        """Apply a discriminator that sits beside `properties`, which the validator ignores."""
        if "$ref" not in schema or not isinstance(instance, Mapping):
            return schema
        target = self._resolve(schema)
        discriminator = target.get("discriminator")
        if not discriminator or {"allOf", "oneOf", "anyOf"} & set(target):
            return schema
        value = instance.get(discriminator["propertyName"])
        mapped = discriminator.get("mapping", {}).get(value)
        assert mapped, f"{schema['$ref']} has no subtype for {value!r}"
        return {"$ref": mapped}

    def validate(self, schema: Mapping[str, Any], instance: Any) -> None:
        validate(
            instance,
            _rebase(self._concrete(schema, instance)),
            cls=OAS30Validator,
            registry=self.registry,
            format_checker=oas30_format_checker,
        )

    def check(self, method: str, template: str, status: int, body: Any) -> None:
        schema = self.response_schema(method, template, status)
        if schema.get("type") == "array":
            assert isinstance(body, list), body
            for item in body:
                self.validate(schema["items"], item)
        else:
            self.validate(schema, body)
        self.checked.append(f"{method} {template} {status}")


def _rebase(schema: Any) -> Any:
    """Point the spec-relative refs (`#/components/...`) of a schema at the registered spec."""
    if isinstance(schema, Mapping):
        return {
            key: SPEC_URI + value
            if key == "$ref" and isinstance(value, str) and value.startswith("#/")
            else _rebase(value)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_rebase(item) for item in schema]
    return schema


@pytest.fixture(scope="module")
def contract() -> Contract:
    path = _spec_path()
    if not path.is_file():
        if os.environ.get("ATTRSYNC_REQUIRE_SPEC") == "1":
            pytest.fail(f"Okta OpenAPI spec not found at {path} (ATTRSYNC_REQUIRE_SPEC=1)")
        pytest.skip(f"Okta OpenAPI spec not found at {path}; set ATTRSYNC_OKTA_SPEC to check")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        spec = yaml.load(handle, Loader=loader)
    assert spec["openapi"].startswith("3.0"), "OAS30Validator matches the spec's version"
    _patch_known_spec_gaps(spec)
    return Contract(spec)


@pytest.fixture
def org() -> OrgState:
    return build_demo_org(datetime.now(UTC))


@pytest.fixture
async def okta(org: OrgState) -> AsyncIterator[FakeOkta]:
    async with serve(org) as fake:
        yield fake
    assert fake.errors == []


@pytest.fixture
async def http(okta: FakeOkta) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": "SSWS demo-token"}
    async with aiohttp.ClientSession(base_url=okta.url, headers=headers) as session:
        yield session


async def _call(
    http: aiohttp.ClientSession,
    method: str,
    path: str,
    *,
    params: Mapping[str, str] | None = None,
    json: Any = None,
) -> tuple[int, Any]:
    async with http.request(method, path, params=params, json=json) as response:
        assert response.headers["X-Okta-Request-Id"]
        if response.status == 204:
            return response.status, None
        assert response.content_type == "application/json"
        return response.status, await response.json()


async def test_users_and_groups_match_the_spec(
    contract: Contract, http: aiohttp.ClientSession, org: OrgState
) -> None:
    for ref in ("jdoe", "asmith@example.com", *org.users):
        status, body = await _call(http, "GET", f"/api/v1/users/{ref}")
        assert status == 200
        contract.check("GET", "/api/v1/users/{id}", 200, body)
    status, body = await _call(
        http, "GET", "/api/v1/users", params={"search": 'profile.email eq "jdoe@example.com"'}
    )
    assert status == 200
    assert len(body) == 1
    contract.check("GET", "/api/v1/users", 200, body)
    bwayne = org.user("bwayne")
    status, body = await _call(http, "GET", f"/api/v1/users/{bwayne['id']}/groups")
    assert [group["profile"]["name"] for group in body] == ["Sales"]
    contract.check("GET", "/api/v1/users/{id}/groups", 200, body)
    status, body = await _call(http, "GET", f"/api/v1/groups/{body[0]['id']}")
    contract.check("GET", "/api/v1/groups/{groupId}", 200, body)
    status, body = await _call(http, "GET", "/api/v1/meta/types/user")
    assert {found["displayName"] for found in body} == {"User", "Contractor"}
    contract.check("GET", "/api/v1/meta/types/user", 200, body)
    status, body = await _call(http, "GET", f"/api/v1/meta/types/user/{body[1]['id']}")
    contract.check("GET", "/api/v1/meta/types/user/{typeId}", 200, body)


async def test_apps_match_the_spec(
    contract: Contract, http: aiohttp.ClientSession, org: OrgState
) -> None:
    for params in ({}, {"q": "g"}, {"filter": 'status eq "ACTIVE"'}, {"limit": "2"}):
        status, body = await _call(http, "GET", "/api/v1/apps", params=params)
        assert status == 200
        contract.check("GET", "/api/v1/apps", 200, body)
    modes = set()
    for app_id, app in org.apps.items():
        status, body = await _call(http, "GET", f"/api/v1/apps/{app_id}")
        contract.check("GET", "/api/v1/apps/{appId}", 200, body)
        modes.add(body["signOnMode"])
        status, body = await _call(http, "GET", f"/api/v1/apps/{app_id}/users")
        contract.check("GET", "/api/v1/apps/{appId}/users", 200, body)
        for app_user in body:
            path = f"/api/v1/apps/{app_id}/users/{app_user['id']}"
            status, single = await _call(http, "GET", path, params={"expand": "user"})
            contract.check("GET", "/api/v1/apps/{appId}/users/{userId}", 200, single)
        status, body = await _call(http, "GET", f"/api/v1/apps/{app_id}/groups")
        contract.check("GET", "/api/v1/apps/{appId}/groups", 200, body)
        status, body = await _call(http, "GET", f"/api/v1/apps/{app_id}/connections/default")
        contract.check("GET", "/api/v1/apps/{appId}/connections/default", 200, body)
        status, body = await _call(http, "GET", f"/api/v1/meta/schemas/apps/{app_id}/default")
        contract.check("GET", "/api/v1/meta/schemas/apps/{appId}/default", 200, body)
        assert body["name"] == app["name"]
    assert modes == {"SAML_2_0", "AUTO_LOGIN"}


async def test_features_match_the_spec(
    contract: Contract, http: aiohttp.ClientSession, org: OrgState
) -> None:
    for name in ("google", "slack", "office365", "zoomus"):
        app_id = org.app(name)["id"]
        status, body = await _call(http, "GET", f"/api/v1/apps/{app_id}/features")
        assert status == 200
        contract.check("GET", "/api/v1/apps/{appId}/features", 200, body)
        path = f"/api/v1/apps/{app_id}/features/USER_PROVISIONING"
        status, body = await _call(http, "GET", path)
        contract.check("GET", "/api/v1/apps/{appId}/features/{featureName}", 200, body)
    zoom = org.app("zoomus")["id"]
    path = f"/api/v1/apps/{zoom}/features/USER_PROVISIONING"
    status, body = await _call(
        http, "PUT", path, json={"update": {"profile": {"status": "ENABLED"}}}
    )
    assert status == 200
    contract.check("PUT", "/api/v1/apps/{appId}/features/{featureName}", 200, body)


async def test_mappings_match_the_spec(
    contract: Contract, http: aiohttp.ClientSession, org: OrgState
) -> None:
    status, body = await _call(http, "GET", "/api/v1/mappings", params={"limit": "200"})
    assert status == 200
    assert all("properties" not in item for item in body)
    contract.check("GET", "/api/v1/mappings", 200, body)
    for mapping_id in org.mappings:
        status, body = await _call(http, "GET", f"/api/v1/mappings/{mapping_id}")
        contract.check("GET", "/api/v1/mappings/{mappingId}", 200, body)
        # The spec types `properties` as one ProfileMappingProperty instead of a map of them.
        for prop in body["properties"].values():
            contract.validate({"$ref": "#/components/schemas/ProfileMappingProperty"}, prop)
    office = org.app("office365")
    mapping = org.user_mapping(org.user("gmap"), office["id"])
    assert mapping is not None
    change = {"properties": {"lastName": {"expression": "user.lastName", "pushStatus": "PUSH"}}}
    status, body = await _call(http, "POST", f"/api/v1/mappings/{mapping['id']}", json=change)
    assert status == 200
    contract.check("POST", "/api/v1/mappings/{mappingId}", 200, body)


async def test_app_user_writes_match_the_spec(
    contract: Contract, http: aiohttp.ClientSession, org: OrgState
) -> None:
    box, jack = org.app("boxnet")["id"], org.user("jnoassign")["id"]
    status, body = await _call(http, "POST", f"/api/v1/apps/{box}/users", json={"id": jack})
    assert status == 200
    contract.check("POST", "/api/v1/apps/{appId}/users", 200, body)
    bwayne = org.user("bwayne")["id"]
    path = f"/api/v1/apps/{box}/users/{bwayne}"
    status, body = await _call(http, "POST", path, json={"scope": "USER"})
    assert status == 200
    contract.check("POST", "/api/v1/apps/{appId}/users/{userId}", 200, body)


async def test_logs_match_the_spec(
    contract: Contract, http: aiohttp.ClientSession, org: OrgState
) -> None:
    status, body = await _call(
        http,
        "GET",
        "/api/v1/logs",
        params={"since": _days_ago(30), "until": _days_ago(0)},
    )
    assert status == 200
    assert len(body) == len(org.logs)
    contract.check("GET", "/api/v1/logs", 200, body)
    event_types = {event["eventType"] for event in body}
    assert {
        "user.account.update_profile",
        "application.provision.user.push_profile",
        "application.integration.authentication_failure",
        "application.provision.user.import_profile",
    } <= event_types


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


async def test_errors_match_the_spec(
    contract: Contract, okta: FakeOkta, http: aiohttp.ClientSession, org: OrgState
) -> None:
    zendesk, box = org.app("zendesk")["id"], org.app("boxnet")["id"]
    bwayne = org.user("bwayne")["id"]
    cases: list[tuple[str, str, str, int, str]] = [
        ("GET", "/api/v1/users/nobody", "/api/v1/users/{id}", 404, "E0000007"),
        ("GET", "/api/v1/apps/0oanope", "/api/v1/apps/{appId}", 404, "E0000007"),
        (
            "GET",
            f"/api/v1/apps/{zendesk}/features",
            "/api/v1/apps/{appId}/features",
            400,
            "E0000001",
        ),
        (
            "GET",
            f"/api/v1/apps/{box}/features/USER_PROVISIONING",
            "/api/v1/apps/{appId}/features/{featureName}",
            404,
            "E0000007",
        ),
        (
            "GET",
            f"/api/v1/apps/{box}/users/{org.user('jnoassign')['id']}",
            "/api/v1/apps/{appId}/users/{userId}",
            404,
            "E0000007",
        ),
        (
            "DELETE",
            f"/api/v1/apps/{box}/users/{bwayne}",
            "/api/v1/apps/{appId}/users/{userId}",
            403,
            "E0000046",
        ),
        ("GET", "/api/v1/mappings/prmnope", "/api/v1/mappings/{mappingId}", 404, "E0000007"),
    ]
    for method, path, template, status, code in cases:
        got, body = await _call(http, method, path)
        assert (got, body["errorCode"]) == (status, code), path
        contract.check(method, template, status, body)

    got, body = await _call(http, "GET", "/api/v1/logs", params={"filter": 'eventType eqq "x"'})
    assert (got, body["errorCode"]) == (400, "E0000053")
    contract.check("GET", "/api/v1/logs", 400, body)

    okta.faults.append(Fault.rate_limited(path="^/api/v1/users", reset_in=1.0))
    got, body = await _call(http, "GET", "/api/v1/users/jdoe")
    assert (got, body["errorCode"]) == (429, "E0000047")
    contract.check("GET", "/api/v1/users/{id}", 429, body)

    async with aiohttp.ClientSession(base_url=okta.url) as anonymous:
        got, body = await _call(anonymous, "GET", "/api/v1/apps")
    assert (got, body["errorCode"]) == (401, "E0000011")
    contract.validate({"$ref": "#/components/schemas/Error"}, body)


def test_the_contract_rejects_wrong_shapes(contract: Contract, org: OrgState) -> None:
    """Guard against a validator that passes everything (e.g. unresolved refs, ignored
    discriminators)."""
    saml_app = copy.deepcopy(org.app("boxnet"))
    del saml_app["settings"]["signOn"]["honorForceAuthn"]  # required by SamlApplication only
    app_user = {**next(iter(org.app_users.values())), "syncState": "PUSHED"}
    event = {**org.logs[0], "published": "yesterday"}
    feature = copy.deepcopy(org.features[org.app("google")["id"]])
    feature["capabilities"]["update"]["profile"]["status"] = "ON"
    for schema, instance, reason in (
        ("Application", saml_app, "'honorForceAuthn' is a required property"),
        ("AppUser", app_user, "'PUSHED' is not one of"),
        ("LogEvent", event, "'yesterday' is not a 'date-time'"),
        ("ApplicationFeature", feature, "'ON' is not one of"),
    ):
        # openapi-schema-validator raises jsonschema's ValidationError (no stubs for mypy).
        with pytest.raises(Exception, match=reason):
            contract.validate({"$ref": f"#/components/schemas/{schema}"}, instance)


async def test_user_schemas_and_a_users_apps_match_the_spec(
    contract: Contract, http: aiohttp.ClientSession, org: OrgState, okta: FakeOkta
) -> None:
    status, user = await _call(http, "GET", "/api/v1/users/wtitle")
    # Okta names the user's schema on the user (spec examples; Terraform's recorded users).
    schema_path = user["_links"]["schema"]["href"].removeprefix(okta.url)
    for path in (schema_path, "/api/v1/meta/schemas/user/default"):
        status, body = await _call(http, "GET", path)
        assert status == 200
        contract.check("GET", "/api/v1/meta/schemas/user/{schemaId}", 200, body)
        masters = {p["master"]["type"] for p in body["definitions"]["base"]["properties"].values()}
        assert masters == {"PROFILE_MASTER", "OVERRIDE"}
    for found in org.user_types.values():
        status, body = await _call(http, "GET", found["_links"]["schema"]["href"])
        contract.check("GET", "/api/v1/meta/schemas/user/{schemaId}", 200, body)
    params = {"filter": f'user.id eq "{user["id"]}"', "limit": "200"}
    status, body = await _call(http, "GET", "/api/v1/apps", params=params)
    contract.check("GET", "/api/v1/apps", 200, body)
    assert {a["label"] for a in body} == {"Workday", "Box"}
    assert "PROFILE_MASTERING" in next(a for a in body if a["label"] == "Workday")["features"]


async def test_app_replace_matches_the_spec(
    contract: Contract, http: aiohttp.ClientSession, org: OrgState
) -> None:
    jira = org.app("Jira")
    assert jira["credentials"]["userNameTemplate"]["pushStatus"] == "DONT_PUSH"
    body = copy.deepcopy(jira)
    body["credentials"]["userNameTemplate"]["pushStatus"] = "PUSH"
    status, answer = await _call(http, "PUT", f"/api/v1/apps/{jira['id']}", json=body)
    assert status == 200
    contract.check("PUT", "/api/v1/apps/{appId}", 200, answer)
    assert answer["credentials"]["userNameTemplate"]["pushStatus"] == "PUSH"
