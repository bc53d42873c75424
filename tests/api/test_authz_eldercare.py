"""Authorization matrix of elderly care: every endpoint for every role in ``tests.authz.ROLES``,
and a household's care profiles out of every other caller's reach."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import FrozenClock
from tests.authz import OK, ROLES, Call, check_every_role
from tests.conftest import problem
from tests.factories import Account, MakeUser, add_member, care_provider

Sessions = async_sessionmaker[AsyncSession]

ENDPOINTS = [
    ("GET", "/api/v1/care/services"),
    ("POST", "/api/v1/admin/care-providers"),
    ("GET", "/api/v1/admin/care-providers"),
    ("PUT", "/api/v1/admin/users/{userId:uuid}/care-provider"),
    ("GET", "/api/v1/me/care-profiles/{memberId:str}"),
    ("PUT", "/api/v1/me/care-profiles/{memberId:str}"),
    ("PUT", "/api/v1/manage/elders/{careProfileId:uuid}/subsidy"),
]

PUBLIC = dict.fromkeys(ROLES, OK)
ADMIN = {**dict.fromkeys(ROLES, 403), "anonymous": 401, "admin": OK}
RESIDENT = {**dict.fromkeys(ROLES, 403), "anonymous": 401, "resident": OK}
WORKER_OR_ADMIN = {**ADMIN, "worker": OK}

EXPECTED: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/v1/care/services"): PUBLIC,
    ("POST", "/api/v1/admin/care-providers"): ADMIN,
    ("GET", "/api/v1/admin/care-providers"): ADMIN,
    ("PUT", "/api/v1/admin/users/{userId:uuid}/care-provider"): ADMIN,
    ("GET", "/api/v1/me/care-profiles/{memberId:str}"): RESIDENT,
    ("PUT", "/api/v1/me/care-profiles/{memberId:str}"): RESIDENT,
    ("PUT", "/api/v1/manage/elders/{careProfileId:uuid}/subsidy"): WORKER_OR_ADMIN,
}

PROFILE = {
    "address": "红旗路12号3幢201室",
    "location": {"lat": 30.87, "lng": 120.09},
    "livesAlone": False,
    "careLevel": 1,
    "emergencyContacts": [],
    "dailyCheckIn": {"enabled": False},
}

# What a call needs: (url, body, expected success status), built for the caller.
Build = Callable[
    [httpx.AsyncClient, Sessions, MakeUser, Account | None],
    Awaitable[tuple[str, Any, int]],
]


async def _elder(db: Sessions, owner: UUID) -> UUID:
    return await add_member(db, owner, "张建国", date(1940, 5, 1))


async def _services(*_: Any) -> tuple[str, Any, int]:
    return "/api/v1/care/services", None, 200


async def _create_provider(*_: Any) -> tuple[str, Any, int]:
    body = {"name": "安康", "phone": "13900001111", "serviceCodes": ["cleaning"]}
    return "/api/v1/admin/care-providers", body, 201


async def _list_providers(*_: Any) -> tuple[str, Any, int]:
    return "/api/v1/admin/care-providers", None, 200


async def _assign(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, caller: Account | None
) -> tuple[str, Any, int]:
    caregiver = await make_user("caregiver")
    provider = await care_provider(db)
    return (
        f"/api/v1/admin/users/{caregiver.id}/care-provider",
        {"providerId": str(provider)},
        200,
    )


async def _own_profile(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, caller: Account | None
) -> tuple[str, Any, int]:
    # The caller's own elder where the caller could have one; a resident's otherwise.
    owner = caller if caller is not None else await make_user("resident")
    elder = await _elder(db, owner.id)
    return f"/api/v1/me/care-profiles/{elder}", PROFILE, 200


async def _get_profile(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, caller: Account | None
) -> tuple[str, Any, int]:
    url, body, _ = await _own_profile(client, db, make_user, caller)
    if caller is not None and caller.role == "resident":
        await client.put(url, json=body, headers=caller.headers)
    return url, None, 200


async def _subsidy(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, caller: Account | None
) -> tuple[str, Any, int]:
    owner = await make_user("resident")
    elder = await _elder(db, owner.id)
    put = await client.put(f"/api/v1/me/care-profiles/{elder}", json=PROFILE, headers=owner.headers)
    body = {"tier": "age_80_plus", "monthlyAllowance": 10000}
    return f"/api/v1/manage/elders/{put.json()['id']}/subsidy", body, 200


BUILDERS: dict[tuple[str, str], Build] = {
    ("GET", "/api/v1/care/services"): _services,
    ("POST", "/api/v1/admin/care-providers"): _create_provider,
    ("GET", "/api/v1/admin/care-providers"): _list_providers,
    ("PUT", "/api/v1/admin/users/{userId:uuid}/care-provider"): _assign,
    ("GET", "/api/v1/me/care-profiles/{memberId:str}"): _get_profile,
    ("PUT", "/api/v1/me/care-profiles/{memberId:str}"): _own_profile,
    ("PUT", "/api/v1/manage/elders/{careProfileId:uuid}/subsidy"): _subsidy,
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


async def test_no_other_household_reaches_a_care_profile(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser
) -> None:
    owner, stranger = await make_user("resident"), await make_user("resident")
    elder = await _elder(db, owner.id)
    url = f"/api/v1/me/care-profiles/{elder}"
    assert (await client.put(url, json=PROFILE, headers=owner.headers)).status_code == 200
    for method, body in (("GET", None), ("PUT", {**PROFILE, "careLevel": 4})):
        answer = await client.request(method, url, json=body, headers=stranger.headers)
        assert answer.status_code == 404, method
        assert problem(answer)["code"] == "not_found"
    # The stranger's "self" is their own, not the owner's.
    mine = await client.get("/api/v1/me/care-profiles/self", headers=stranger.headers)
    assert problem(mine)["code"] == "not_an_elder"
    assert (await client.get(url, headers=owner.headers)).json()["careLevel"] == 1
