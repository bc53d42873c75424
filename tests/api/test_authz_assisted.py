"""Authorization matrix of assisted residents: every endpoint for every role in
``tests.authz.ROLES``; what was done for one resident out of every other resident's reach."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import FrozenClock
from tests.api import assisted_support as support
from tests.authz import OK, ROLES, Call, check_every_role
from tests.factories import Account, MakeUser, add_member

Sessions = async_sessionmaker[AsyncSession]
URL = "/api/v1/manage/assisted-residents"

ENDPOINTS = [
    ("POST", "/api/v1/manage/assisted-residents"),
    ("GET", "/api/v1/manage/assisted-residents"),
    ("GET", "/api/v1/manage/assisted-residents/{userId:uuid}"),
    ("POST", "/api/v1/manage/assisted-residents/{userId:uuid}/act"),
    ("GET", "/api/v1/manage/elders"),
    ("GET", "/api/v1/me/acted-for"),
    ("GET", "/api/v1/admin/acted-for"),
]

ADMIN = {**dict.fromkeys(ROLES, 403), "anonymous": 401, "admin": OK}
RESIDENT = {**dict.fromkeys(ROLES, 403), "anonymous": 401, "resident": OK}
WORKER_OR_ADMIN = {**ADMIN, "worker": OK}

EXPECTED: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/manage/assisted-residents"): WORKER_OR_ADMIN,
    ("GET", "/api/v1/manage/assisted-residents"): WORKER_OR_ADMIN,
    ("GET", "/api/v1/manage/assisted-residents/{userId:uuid}"): WORKER_OR_ADMIN,
    ("POST", "/api/v1/manage/assisted-residents/{userId:uuid}/act"): WORKER_OR_ADMIN,
    ("GET", "/api/v1/manage/elders"): WORKER_OR_ADMIN,
    ("GET", "/api/v1/me/acted-for"): RESIDENT,
    ("GET", "/api/v1/admin/acted-for"): ADMIN,
}

Build = Callable[
    [httpx.AsyncClient, Sessions, MakeUser, Account | None],
    Awaitable[tuple[str, Any, int]],
]


async def _elder(client: httpx.AsyncClient, make_user: MakeUser) -> dict[str, Any]:
    return await support.create(client, await make_user("worker"))


async def _create(*_: Any) -> tuple[str, Any, int]:
    return URL, support.body(), 201


async def _list(*_: Any) -> tuple[str, Any, int]:
    return URL, None, 200


async def _get(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, caller: Account | None
) -> tuple[str, Any, int]:
    return f"{URL}/{(await _elder(client, make_user))['id']}", None, 200


async def _act(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, caller: Account | None
) -> tuple[str, Any, int]:
    return f"{URL}/{(await _elder(client, make_user))['id']}/act", None, 200


async def _elders(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, caller: Account | None
) -> tuple[str, Any, int]:
    return "/api/v1/manage/elders", None, 200


async def _mine(*_: Any) -> tuple[str, Any, int]:
    return "/api/v1/me/acted-for", None, 200


async def _audit(*_: Any) -> tuple[str, Any, int]:
    return "/api/v1/admin/acted-for", None, 200


BUILDERS: dict[tuple[str, str], Build] = {
    ("POST", "/api/v1/manage/assisted-residents"): _create,
    ("GET", "/api/v1/manage/assisted-residents"): _list,
    ("GET", "/api/v1/manage/assisted-residents/{userId:uuid}"): _get,
    ("POST", "/api/v1/manage/assisted-residents/{userId:uuid}/act"): _act,
    ("GET", "/api/v1/manage/elders"): _elders,
    ("GET", "/api/v1/me/acted-for"): _mine,
    ("GET", "/api/v1/admin/acted-for"): _audit,
}


def test_every_endpoint_has_its_row() -> None:
    assert set(EXPECTED) == set(ENDPOINTS) == set(BUILDERS)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_matrix(
    client: httpx.AsyncClient,
    db: Sessions,
    make_user: MakeUser,
    clock: FrozenClock,
    method: str,
    path: str,
) -> None:
    async def arrange(caller: Account | None) -> Call:
        return Call(*await BUILDERS[(method, path)](client, db, make_user, caller))

    await check_every_role(
        client, method, EXPECTED[(method, path)], clock=clock, caller_of=make_user, arrange=arrange
    )


async def test_an_acting_token_reaches_only_its_elders_objects(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser
) -> None:
    """Acting for one elder is no key to another resident's household: 404, as for anyone."""
    worker = await make_user("worker")
    neighbour = await make_user("resident")
    member = await add_member(db, neighbour.id, "李奶奶", date(1938, 1, 1))
    acting = await support.act(client, worker, (await support.create(client, worker))["id"])
    for method, url in (
        ("GET", f"/api/v1/me/members/{member}"),
        ("DELETE", f"/api/v1/me/members/{member}"),
        ("GET", f"/api/v1/me/care-profiles/{member}"),
    ):
        answer = await client.request(method, url, headers=acting)
        assert answer.status_code == 404, (method, url)
    mine = await client.get("/api/v1/me/acted-for", headers=neighbour.headers)
    assert mine.json()["items"] == []
