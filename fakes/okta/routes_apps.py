"""Apps, app users, app group assignments, provisioning features and connections."""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from fakes.okta import operations, shapes
from fakes.okta.filters import FakeFilterError, parse_filter
from fakes.okta.shapes import JSON
from fakes.okta.state import FakeOktaError, OrgState
from fakes.okta.wire import answer, json_body, mark_mutation, no_content, page, page_of, state_of

# The attributes Okta documents for `GET /api/v1/apps?filter=`.
_APP_FILTER_ATTRIBUTES: Final = frozenset(
    {
        "id",
        "status",
        "name",
        "user.id",
        "group.id",
        "credentials.signing.kid",
        "settings.slo.enabled",
    }
)


def _app(state: OrgState, app_id: str) -> JSON:
    found = state.apps.get(app_id)
    if found is None:
        raise FakeOktaError.not_found(app_id, "AppInstance")
    return found


def _filterable(state: OrgState, app: JSON) -> JSON:
    """The app plus the `user`/`group` views that `user.id eq` / `group.id eq` filters read."""
    users = [{"id": user_id} for app_id, user_id in state.app_users if app_id == app["id"]]
    groups = [{"id": group_id} for app_id, group_id in state.app_groups if app_id == app["id"]]
    return {**app, "user": users, "group": groups}


async def list_apps(request: web.Request) -> web.Response:
    state = state_of(request)
    apps = list(state.apps.values())
    q = request.query.get("q")
    if q:
        wanted = q.casefold()
        apps = [
            app
            for app in apps
            if app["name"].casefold().startswith(wanted)
            or app["label"].casefold().startswith(wanted)
        ]
    text = request.query.get("filter")
    if text:
        try:
            predicate = parse_filter(text, attributes=_APP_FILTER_ATTRIBUTES)
        except FakeFilterError as exc:
            raise FakeOktaError("E0000001", "filter", [str(exc)]) from exc
        apps = [app for app in apps if predicate(_filterable(state, app))]
    chunk, links = page(
        request, apps, cursor=lambda app: str(app["id"]), default_limit=-1, max_limit=200
    )
    return answer(request, chunk, links=links)


async def get_app(request: web.Request) -> web.Response:
    return answer(request, _app(state_of(request), request.match_info["appId"]))


async def replace_app(request: web.Request) -> web.Response:
    body = await json_body(request)
    replaced = operations.replace_app(state_of(request), request.match_info["appId"], body)
    mark_mutation(request)
    return answer(request, replaced)


def _with_user(state: OrgState, request: web.Request, app_user: JSON) -> JSON:
    if request.query.get("expand") != "user":
        return app_user
    return {**app_user, "_embedded": {"user": state.users[app_user["id"]]}}


def _app_user_matches(app_user: JSON, q: str) -> bool:
    wanted = q.casefold()
    values = [app_user["credentials"].get("userName")] + [
        app_user["profile"].get(name) for name in ("firstName", "lastName", "email")
    ]
    return any(str(value or "").casefold().startswith(wanted) for value in values)


async def list_app_users(request: web.Request) -> web.Response:
    state = state_of(request)
    app_id = _app(state, request.match_info["appId"])["id"]
    following = state.app_users.listed_after(app_id, request.query.get("after", ""))
    q = request.query.get("q")
    if q:
        following = (found for found in following if _app_user_matches(found, q))
    chunk, links = page_of(
        request, following, cursor=lambda found: str(found["id"]), default_limit=50, max_limit=500
    )
    return answer(request, [_with_user(state, request, found) for found in chunk], links=links)


async def get_app_user(request: web.Request) -> web.Response:
    state = state_of(request)
    app_id = _app(state, request.match_info["appId"])["id"]
    user_id = request.match_info["userId"]
    found = state.app_users.get((app_id, user_id))
    if found is None:
        raise FakeOktaError.not_found(user_id, "AppUser")
    return answer(request, _with_user(state, request, found))


async def assign_user(request: web.Request) -> web.Response:
    body = await json_body(request)
    made = operations.assign_user(state_of(request), request.match_info["appId"], body)
    mark_mutation(request)
    return answer(request, made)


async def update_app_user(request: web.Request) -> web.Response:
    body = await json_body(request)
    info = request.match_info
    updated = operations.update_app_user(state_of(request), info["appId"], info["userId"], body)
    mark_mutation(request)
    return answer(request, updated)


async def unassign_user(request: web.Request) -> web.Response:
    info = request.match_info
    operations.unassign_user(state_of(request), info["appId"], info["userId"])
    mark_mutation(request)
    return no_content()


async def list_app_groups(request: web.Request) -> web.Response:
    state = state_of(request)
    app_id = _app(state, request.match_info["appId"])["id"]
    assignments = [found for (aid, _), found in state.app_groups.items() if aid == app_id]
    assignments.sort(key=lambda found: int(found["priority"]))
    chunk, links = page(
        request, assignments, cursor=lambda found: str(found["id"]), default_limit=20, max_limit=200
    )
    if request.query.get("expand") == "group":
        chunk = [{**found, "_embedded": {"group": state.group(found["id"])}} for found in chunk]
    return answer(request, chunk, links=links)


async def list_features(request: web.Request) -> web.Response:
    return answer(request, operations.list_features(state_of(request), request.match_info["appId"]))


async def get_feature(request: web.Request) -> web.Response:
    info = request.match_info
    return answer(
        request, operations.get_feature(state_of(request), info["appId"], info["featureName"])
    )


async def update_feature(request: web.Request) -> web.Response:
    body: Any = await json_body(request)
    info = request.match_info
    updated = operations.update_feature(state_of(request), info["appId"], info["featureName"], body)
    mark_mutation(request)
    return answer(request, updated)


async def get_connection(request: web.Request) -> web.Response:
    state = state_of(request)
    app_id = _app(state, request.match_info["appId"])["id"]
    found = state.connections.get(app_id) or shapes.connection(app_id=app_id)
    return answer(request, found)


def routes() -> list[web.RouteDef]:
    apps = "/api/v1/apps/{appId}"
    return [
        web.get("/api/v1/apps", list_apps, allow_head=False),
        web.get(apps, get_app, allow_head=False),
        web.put(apps, replace_app),
        web.get(f"{apps}/users", list_app_users, allow_head=False),
        web.post(f"{apps}/users", assign_user),
        web.get(f"{apps}/users/{{userId}}", get_app_user, allow_head=False),
        web.post(f"{apps}/users/{{userId}}", update_app_user),
        web.delete(f"{apps}/users/{{userId}}", unassign_user),
        web.get(f"{apps}/groups", list_app_groups, allow_head=False),
        web.get(f"{apps}/features", list_features, allow_head=False),
        web.get(f"{apps}/features/{{featureName}}", get_feature, allow_head=False),
        web.put(f"{apps}/features/{{featureName}}", update_feature),
        web.get(f"{apps}/connections/default", get_connection, allow_head=False),
    ]
