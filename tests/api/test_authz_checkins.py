"""Authorization matrix of the daily check-in: every endpoint for every role in
``tests.authz.ROLES``, and a household's elders out of every other resident's reach."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import FrozenClock
from backend.jobs.testing import drain
from tests.api.checkin_support import CHECK_INS, MISSING, MY_CHECK_INS, at, check_in, elder
from tests.authz import OK, ROLES, Call, check_every_role
from tests.conftest import problem
from tests.factories import Account, MakeUser

Sessions = async_sessionmaker[AsyncSession]

REACHED = "/api/v1/manage/care/check-ins/{alertId:uuid}/reached"
ENDPOINTS = [
    ("POST", "/api/v1/care/check-ins"),
    ("GET", "/api/v1/me/care/check-ins"),
    ("GET", "/api/v1/manage/care/check-ins/missing"),
    ("POST", REACHED),
]

RESIDENT = {**dict.fromkeys(ROLES, 403), "anonymous": 401, "resident": OK}
WORKER_OR_ADMIN = {**dict.fromkeys(ROLES, 403), "anonymous": 401, "worker": OK, "admin": OK}

EXPECTED: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/care/check-ins"): RESIDENT,
    ("GET", "/api/v1/me/care/check-ins"): RESIDENT,
    ("GET", "/api/v1/manage/care/check-ins/missing"): WORKER_OR_ADMIN,
    ("POST", REACHED): WORKER_OR_ADMIN,
}


@pytest.fixture(autouse=True)
def morning(clock: FrozenClock) -> None:
    clock.set(at(7))


Build = Callable[
    [httpx.AsyncClient, Litestar, Sessions, FrozenClock, MakeUser, Account | None],
    Awaitable[tuple[str, Any, int]],
]


async def _check_in(
    client: httpx.AsyncClient,
    app: Litestar,
    db: Sessions,
    clock: FrozenClock,
    make_user: MakeUser,
    caller: Account | None,
) -> tuple[str, Any, int]:
    # The caller's own elder where the caller could have one; a resident's otherwise.
    owner = caller if caller is not None and caller.role == "resident" else None
    owner = owner or await make_user("resident")
    member, _ = await elder(client, db, owner)
    return CHECK_INS, {"memberId": str(member)}, 201


async def _my_check_ins(*_: Any) -> tuple[str, Any, int]:
    return MY_CHECK_INS, None, 200


async def _missing(*_: Any) -> tuple[str, Any, int]:
    return MISSING, None, 200


async def _reached(
    client: httpx.AsyncClient,
    app: Litestar,
    db: Sessions,
    clock: FrozenClock,
    make_user: MakeUser,
    caller: Account | None,
) -> tuple[str, Any, int]:
    owner, worker = await make_user("resident"), await make_user("worker")
    _, profile_id = await elder(client, db, owner)
    # The scan is a periodic job, run once a minute's tick. The matrix makes an arrangement per
    # admitted role in one database, so a later one scans at the first minute from 10:00 that
    # no earlier one scanned, and takes its own elder's alert among theirs.
    for minute in range(len(ROLES)):
        clock.set(at(10, minute))
        if "care_check_in_scan" in await drain(app):
            break
    else:
        raise AssertionError("no minute left to scan at")
    items = (await client.get(MISSING, headers=worker.headers)).json()["items"]
    [alert] = [item for item in items if item["careProfileId"] == profile_id]
    return f"/api/v1/manage/care/check-ins/{alert['id']}/reached", {"note": "到家看过"}, 200


BUILDERS: dict[tuple[str, str], Build] = {
    ("POST", "/api/v1/care/check-ins"): _check_in,
    ("GET", "/api/v1/me/care/check-ins"): _my_check_ins,
    ("GET", "/api/v1/manage/care/check-ins/missing"): _missing,
    ("POST", REACHED): _reached,
}


def test_every_endpoint_has_its_row() -> None:
    assert set(EXPECTED) == set(ENDPOINTS) == set(BUILDERS)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_matrix(
    client: httpx.AsyncClient,
    app: Litestar,
    db: Sessions,
    clock: FrozenClock,
    make_user: MakeUser,
    method: str,
    path: str,
) -> None:
    async def arrange(caller: Account | None) -> Call:
        return Call(*await BUILDERS[(method, path)](client, app, db, clock, make_user, caller))

    await check_every_role(
        client, method, EXPECTED[(method, path)], clock=clock, caller_of=make_user, arrange=arrange
    )


async def test_no_other_household_checks_in_or_reads_an_elder(
    client: httpx.AsyncClient, db: Sessions, clock: FrozenClock, make_user: MakeUser
) -> None:
    owner, stranger = await make_user("resident"), await make_user("resident")
    member, _ = await elder(client, db, owner)
    clock.set(at(8))
    assert (await check_in(client, owner, member)).status_code == 201
    tap = await check_in(client, stranger, member)
    assert (tap.status_code, problem(tap)["code"]) == (404, "not_found")
    mine = {"memberId": str(member)}
    read = await client.get(MY_CHECK_INS, params=mine, headers=stranger.headers)
    assert (read.status_code, problem(read)["code"]) == (404, "not_found")
    # The stranger's own list holds nothing of the owner's.
    assert (await client.get(MY_CHECK_INS, headers=stranger.headers)).json()["items"] == []
    assert len((await client.get(MY_CHECK_INS, headers=owner.headers)).json()["items"]) == 1
