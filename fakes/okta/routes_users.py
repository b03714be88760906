"""Users, their groups, groups and user types."""

from __future__ import annotations

from aiohttp import web

from fakes.okta.filters import FakeFilterError, parse_filter
from fakes.okta.shapes import JSON
from fakes.okta.state import FakeOktaError, OrgState
from fakes.okta.wire import answer, page, state_of


def _user(state: OrgState, ref: str) -> JSON:
    found = state.find_user(ref)
    if found is None:
        raise FakeOktaError.not_found(ref, "User")
    return found


def _matches_q(user: JSON, q: str) -> bool:
    profile = user["profile"]
    wanted = q.casefold()
    return any(
        str(profile.get(name) or "").casefold().startswith(wanted)
        for name in ("firstName", "lastName", "email", "login")
    )


async def list_users(request: web.Request) -> web.Response:
    state = state_of(request)
    users: list[JSON] = list(state.users.values())
    for param in ("search", "filter"):
        text = request.query.get(param)
        if text:
            try:
                predicate = parse_filter(text, ignore_case=True)
            except FakeFilterError as exc:
                raise FakeOktaError("E0000001", param, [str(exc)]) from exc
            users = [user for user in users if predicate(user)]
    q = request.query.get("q")
    if q:
        users = [user for user in users if _matches_q(user, q)]
    chunk, links = page(
        request, users, cursor=lambda user: str(user["id"]), default_limit=200, max_limit=200
    )
    return answer(request, chunk, links=links)


async def get_user(request: web.Request) -> web.Response:
    return answer(request, _user(state_of(request), request.match_info["id"]))


async def list_user_groups(request: web.Request) -> web.Response:
    state = state_of(request)
    user = _user(state, request.match_info["id"])
    return answer(request, state.groups_of(user["id"]))


async def get_group(request: web.Request) -> web.Response:
    state = state_of(request)
    group_id = request.match_info["groupId"]
    if group_id not in state.groups:
        raise FakeOktaError.not_found(group_id, "UserGroup")
    return answer(request, state.groups[group_id])


async def list_user_types(request: web.Request) -> web.Response:
    return answer(request, list(state_of(request).user_types.values()))


async def get_user_type(request: web.Request) -> web.Response:
    state = state_of(request)
    type_id = request.match_info["typeId"]
    found = state.user_types.get(type_id)
    if found is None:
        raise FakeOktaError.not_found(type_id, "UserType")
    return answer(request, found)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/api/v1/users", list_users, allow_head=False),
        web.get("/api/v1/users/{id}", get_user, allow_head=False),
        web.get("/api/v1/users/{id}/groups", list_user_groups, allow_head=False),
        web.get("/api/v1/groups/{groupId}", get_group, allow_head=False),
        web.get("/api/v1/meta/types/user", list_user_types, allow_head=False),
        web.get("/api/v1/meta/types/user/{typeId}", get_user_type, allow_head=False),
    ]
