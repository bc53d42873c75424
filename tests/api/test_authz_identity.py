"""The identity domain's authorization matrix: each role against each identity endpoint.

Every request is a valid one, so a caller the route admits gets the route's success status;
one it refuses gets 401 (no login) or 403 (wrong role). A resident reaching another resident's
member or session gets 404, never 403.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.identity.models import AuthSession, HouseholdMember
from tests import factories
from tests.api.identity_support import PASSWORD, send_code
from tests.authz import OK, ROLES, Call, check_every_role
from tests.conftest import problem
from tests.factories import Account, MakeUser, id_number, new_phone

ENDPOINTS: list[tuple[str, str]] = [
    ("POST", "/api/v1/auth/sms-codes"),
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/login/sms"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/password-reset"),
    ("GET", "/api/v1/me"),
    ("PATCH", "/api/v1/me"),
    ("GET", "/api/v1/me/sessions"),
    ("DELETE", "/api/v1/me/sessions/{sessionId:uuid}"),
    ("POST", "/api/v1/me/verification"),
    ("GET", "/api/v1/me/members"),
    ("POST", "/api/v1/me/members"),
    ("GET", "/api/v1/me/members/{memberId:uuid}"),
    ("PATCH", "/api/v1/me/members/{memberId:uuid}"),
    ("DELETE", "/api/v1/me/members/{memberId:uuid}"),
    ("POST", "/api/v1/admin/users"),
    ("GET", "/api/v1/admin/users"),
    ("PATCH", "/api/v1/admin/users/{userId:uuid}"),
    ("DELETE", "/api/v1/admin/users/{userId:uuid}/sessions"),
    ("GET", "/api/v1/dev/sms-codes/latest"),
]

PUBLIC = dict.fromkeys(ROLES, OK)
ANY_USER = {**PUBLIC, "anonymous": 401}
RESIDENT = {**dict.fromkeys(ROLES, 403), "anonymous": 401, "resident": OK}
ADMIN = {**dict.fromkeys(ROLES, 403), "anonymous": 401, "admin": OK}

EXPECTED: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/auth/sms-codes"): PUBLIC,
    ("POST", "/api/v1/auth/register"): PUBLIC,
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/login/sms"): PUBLIC,
    ("POST", "/api/v1/auth/refresh"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): ANY_USER,
    ("POST", "/api/v1/auth/password-reset"): PUBLIC,
    ("GET", "/api/v1/me"): ANY_USER,
    ("PATCH", "/api/v1/me"): ANY_USER,
    ("GET", "/api/v1/me/sessions"): ANY_USER,
    ("DELETE", "/api/v1/me/sessions/{sessionId:uuid}"): ANY_USER,
    ("POST", "/api/v1/me/verification"): RESIDENT,
    ("GET", "/api/v1/me/members"): RESIDENT,
    ("POST", "/api/v1/me/members"): RESIDENT,
    ("GET", "/api/v1/me/members/{memberId:uuid}"): RESIDENT,
    ("PATCH", "/api/v1/me/members/{memberId:uuid}"): RESIDENT,
    ("DELETE", "/api/v1/me/members/{memberId:uuid}"): RESIDENT,
    ("POST", "/api/v1/admin/users"): ADMIN,
    ("GET", "/api/v1/admin/users"): ADMIN,
    ("PATCH", "/api/v1/admin/users/{userId:uuid}"): ADMIN,
    ("DELETE", "/api/v1/admin/users/{userId:uuid}/sessions"): ADMIN,
    ("GET", "/api/v1/dev/sms-codes/latest"): PUBLIC,
}


@dataclass
class Context:
    client: httpx.AsyncClient
    db: async_sessionmaker[AsyncSession]
    settings: Settings
    clock: FrozenClock
    make_user: MakeUser
    caller: Account | None


async def own_member(ctx: Context) -> UUID:
    """A member of the caller's household (or of nobody's, when the caller cannot have one)."""
    if ctx.caller is None or ctx.caller.role != "resident":
        return uuid4()
    async with ctx.db() as session, session.begin():
        member = HouseholdMember(
            owner_id=ctx.caller.id,
            name="张建国",
            relation="father",
            birth_date=ctx.clock.today().replace(year=1950),
            gender="male",
        )
        session.add(member)
    return member.id


async def own_session(ctx: Context) -> UUID:
    if ctx.caller is None:
        return uuid4()
    async with ctx.db() as session:
        found = (
            await session.execute(
                select(AuthSession.id).where(AuthSession.user_id == ctx.caller.id)
            )
        ).scalar_one()
    return found


Request = tuple[str, dict[str, Any] | None, dict[str, str] | None]
Builder = Callable[[Context], Awaitable[Request]]


async def _sms_codes(ctx: Context) -> Request:
    return "/api/v1/auth/sms-codes", {"phone": new_phone(), "purpose": "register"}, None


async def _register(ctx: Context) -> Request:
    phone = new_phone()
    code = await send_code(ctx.client, phone)
    body = {"phone": phone, "smsCode": code, "password": PASSWORD, "displayName": "新居民"}
    return "/api/v1/auth/register", body, None


async def _login(ctx: Context) -> Request:
    account = await ctx.make_user()
    return "/api/v1/auth/login", {"phone": account.phone, "password": account.password}, None


async def _login_sms(ctx: Context) -> Request:
    account = await factories.user(ctx.db, ctx.settings, ctx.clock, "resident")
    code = await send_code(ctx.client, account.phone, "login")
    return "/api/v1/auth/login/sms", {"phone": account.phone, "smsCode": code}, None


async def _refresh(ctx: Context) -> Request:
    account = await factories.user(ctx.db, ctx.settings, ctx.clock, "resident")
    return "/api/v1/auth/refresh", {"refreshToken": account.refresh_token}, None


async def _logout(ctx: Context) -> Request:
    token = ctx.caller.refresh_token if ctx.caller else "none"
    return "/api/v1/auth/logout", {"refreshToken": token}, None


async def _password_reset(ctx: Context) -> Request:
    account = await factories.user(ctx.db, ctx.settings, ctx.clock, "resident")
    code = await send_code(ctx.client, account.phone, "reset_password")
    body = {"phone": account.phone, "smsCode": code, "newPassword": "New-canal-2027"}
    return "/api/v1/auth/password-reset", body, None


async def _me(ctx: Context) -> Request:
    return "/api/v1/me", None, None


async def _patch_me(ctx: Context) -> Request:
    return "/api/v1/me", {"displayName": "改名"}, None


async def _sessions(ctx: Context) -> Request:
    return "/api/v1/me/sessions", None, None


async def _end_session(ctx: Context) -> Request:
    return f"/api/v1/me/sessions/{await own_session(ctx)}", None, None


async def _verification(ctx: Context) -> Request:
    body = {"realName": "张三丰", "idNumber": id_number("33040219900301123")}
    return "/api/v1/me/verification", body, None


async def _members(ctx: Context) -> Request:
    return "/api/v1/me/members", None, None


async def _add_member(ctx: Context) -> Request:
    body = {"name": "张小雨", "relation": "daughter", "birthDate": "2017-09-01"}
    return "/api/v1/me/members", body, None


async def _member(ctx: Context) -> Request:
    return f"/api/v1/me/members/{await own_member(ctx)}", None, None


async def _patch_member(ctx: Context) -> Request:
    return f"/api/v1/me/members/{await own_member(ctx)}", {"notes": "每周三体检"}, None


async def _create_staff(ctx: Context) -> Request:
    body = {"phone": new_phone(), "password": PASSWORD, "role": "worker", "displayName": "王芳"}
    return "/api/v1/admin/users", body, None


async def _list_users(ctx: Context) -> Request:
    return "/api/v1/admin/users", None, {"role": "worker"}


async def _change_role(ctx: Context) -> Request:
    target = await factories.user(ctx.db, ctx.settings, ctx.clock, "worker")
    return f"/api/v1/admin/users/{target.id}", {"role": "staff"}, None


async def _end_all_sessions(ctx: Context) -> Request:
    target = await factories.user(ctx.db, ctx.settings, ctx.clock, "resident")
    return f"/api/v1/admin/users/{target.id}/sessions", None, None


async def _dev_outbox(ctx: Context) -> Request:
    phone = new_phone()
    await send_code(ctx.client, phone)
    return "/api/v1/dev/sms-codes/latest", None, {"phone": phone}


BUILDERS: dict[tuple[str, str], tuple[Builder, int]] = {
    ("POST", "/api/v1/auth/sms-codes"): (_sms_codes, 202),
    ("POST", "/api/v1/auth/register"): (_register, 201),
    ("POST", "/api/v1/auth/login"): (_login, 200),
    ("POST", "/api/v1/auth/login/sms"): (_login_sms, 200),
    ("POST", "/api/v1/auth/refresh"): (_refresh, 200),
    ("POST", "/api/v1/auth/logout"): (_logout, 204),
    ("POST", "/api/v1/auth/password-reset"): (_password_reset, 204),
    ("GET", "/api/v1/me"): (_me, 200),
    ("PATCH", "/api/v1/me"): (_patch_me, 200),
    ("GET", "/api/v1/me/sessions"): (_sessions, 200),
    ("DELETE", "/api/v1/me/sessions/{sessionId:uuid}"): (_end_session, 204),
    ("POST", "/api/v1/me/verification"): (_verification, 200),
    ("GET", "/api/v1/me/members"): (_members, 200),
    ("POST", "/api/v1/me/members"): (_add_member, 201),
    ("GET", "/api/v1/me/members/{memberId:uuid}"): (_member, 200),
    ("PATCH", "/api/v1/me/members/{memberId:uuid}"): (_patch_member, 200),
    ("DELETE", "/api/v1/me/members/{memberId:uuid}"): (_member, 204),
    ("POST", "/api/v1/admin/users"): (_create_staff, 201),
    ("GET", "/api/v1/admin/users"): (_list_users, 200),
    ("PATCH", "/api/v1/admin/users/{userId:uuid}"): (_change_role, 200),
    ("DELETE", "/api/v1/admin/users/{userId:uuid}/sessions"): (_end_all_sessions, 204),
    ("GET", "/api/v1/dev/sms-codes/latest"): (_dev_outbox, 200),
}


def test_every_identity_route_is_in_the_matrix(app: Litestar) -> None:
    registered = {
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", ())
        if method not in ("OPTIONS", "HEAD")
        and (
            route.path.startswith(("/api/v1/auth", "/api/v1/admin/users", "/api/v1/dev/sms-codes"))
            or route.path == "/api/v1/me"
            or route.path.startswith(("/api/v1/me/sessions", "/api/v1/me/members"))
            or route.path == "/api/v1/me/verification"
        )
    }
    # The hub's and elderly care's routes under /admin/users are in their matrices, and so are
    # childcare's under a child member (pickups, the childcare profile).
    registered = {
        e
        for e in registered
        if not e[1].endswith(("/venues", "/care-provider"))
        and "/pickups" not in e[1]
        and not e[1].endswith("/childcare-profile")
    }
    assert registered == set(ENDPOINTS)
    assert set(EXPECTED) == set(ENDPOINTS) == set(BUILDERS)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_matrix(
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FrozenClock,
    make_user: MakeUser,
    method: str,
    path: str,
) -> None:
    build, success = BUILDERS[(method, path)]

    async def arrange(caller: Account | None) -> Call:
        url, body, params = await build(Context(client, db, settings, clock, make_user, caller))
        return Call(url, body, success, params)

    # Every role's request comes from the one client address, with rate limits on: a public
    # route's seven arrangements send at most seven codes, registrations and code checks, well
    # under the per-address limits (30 or 60 a minute, backend/identity/throttle.py).
    await check_every_role(
        client, method, EXPECTED[(method, path)], clock=clock, caller_of=make_user, arrange=arrange
    )


async def test_a_resident_cannot_reach_another_residents_objects(
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FrozenClock,
    make_user: MakeUser,
) -> None:
    owner = await factories.user(db, settings, clock, "resident")
    stranger = await factories.user(db, settings, clock, "resident")
    owner_ctx = Context(client, db, settings, clock, make_user, owner)
    member = await own_member(owner_ctx)
    login = await own_session(owner_ctx)
    attempts = [
        ("GET", f"/api/v1/me/members/{member}", None),
        ("PATCH", f"/api/v1/me/members/{member}", {"name": "偷改"}),
        ("DELETE", f"/api/v1/me/members/{member}", None),
        ("DELETE", f"/api/v1/me/sessions/{login}", None),
    ]
    for method, url, body in attempts:
        response = await client.request(method, url, json=body, headers=stranger.headers)
        assert response.status_code == 404, (method, url)
        assert problem(response)["code"] == "not_found"
    # Their lists do not show them either.
    assert (await client.get("/api/v1/me/members", headers=stranger.headers)).json()["items"] == []
    sessions = (await client.get("/api/v1/me/sessions", headers=stranger.headers)).json()
    assert str(login) not in {s["id"] for s in sessions["items"]}
    # And nothing of the owner's changed.
    assert (await client.get(f"/api/v1/me/members/{member}", headers=owner.headers)).json()[
        "name"
    ] == "张建国"
    assert (await client.get("/api/v1/me", headers=owner.headers)).status_code == 200
