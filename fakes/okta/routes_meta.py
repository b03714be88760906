"""Profile mappings and app user schemas."""

from __future__ import annotations

from aiohttp import web

from fakes.okta import operations, shapes
from fakes.okta.state import FakeOktaError
from fakes.okta.wire import answer, json_body, mark_mutation, page, state_of


async def list_mappings(request: web.Request) -> web.Response:
    mappings = list(state_of(request).mappings.values())
    source_id = request.query.get("sourceId")
    target_id = request.query.get("targetId")
    if source_id:
        mappings = [found for found in mappings if found["source"]["id"] == source_id]
    if target_id:
        mappings = [found for found in mappings if found["target"]["id"] == target_id]
    chunk, links = page(
        request, mappings, cursor=lambda found: str(found["id"]), default_limit=20, max_limit=200
    )
    return answer(request, [shapes.mapping_summary(found) for found in chunk], links=links)


async def get_mapping(request: web.Request) -> web.Response:
    mapping_id = request.match_info["mappingId"]
    found = state_of(request).mappings.get(mapping_id)
    if found is None:
        raise FakeOktaError.not_found(mapping_id, "ProfileMapping")
    return answer(request, found)


async def update_mapping(request: web.Request) -> web.Response:
    body = await json_body(request)
    updated = operations.update_mapping(state_of(request), request.match_info["mappingId"], body)
    mark_mutation(request)
    return answer(request, updated)


async def get_app_schema(request: web.Request) -> web.Response:
    state = state_of(request)
    app_id = request.match_info["appId"]
    if app_id not in state.apps:
        raise FakeOktaError.not_found(app_id, "AppInstance")
    return answer(request, state.schemas[app_id])


async def get_user_schema(request: web.Request) -> web.Response:
    state = state_of(request)
    schema_id = request.match_info["schemaId"]
    if schema_id == "default":  # the spec: `default` names the default user type's schema
        return answer(request, state.user_schema(None))
    found = state.user_schemas.get(schema_id)
    if found is None:
        raise FakeOktaError.not_found(schema_id, "UserSchema")
    return answer(request, found)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/v1/mappings", list_mappings, allow_head=False),
        web.get("/api/v1/mappings/{mappingId}", get_mapping, allow_head=False),
        web.post("/api/v1/mappings/{mappingId}", update_mapping),
        web.get("/api/v1/meta/schemas/apps/{appId}/default", get_app_schema, allow_head=False),
        web.get("/api/v1/meta/schemas/user/{schemaId}", get_user_schema, allow_head=False),
    ]
