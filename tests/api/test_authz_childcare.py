"""Authorization matrix of childcare: every endpoint for every role in ``tests.authz.ROLES``,
and a household's applications and children out of every other caller's reach."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import FrozenClock
from backend.identity.models import User
from tests.api.childcare_support import (
    APPLICATIONS,
    MANAGE,
    MINE,
    PUBLIC,
    apply,
    born_months_before,
    guardian,
    make_complex,
    program_body,
    published_program,
)
from tests.authz import OK, ROLES, Call, check_every_role
from tests.conftest import problem
from tests.factories import Account, MakeUser, add_member

Sessions = async_sessionmaker[AsyncSession]
P = "{programId:uuid}"
A = "{applicationId:uuid}"

ENDPOINTS = [
    ("GET", "/api/v1/childcare/programs"),
    ("GET", f"/api/v1/childcare/programs/{P}"),
    ("GET", f"/api/v1/childcare/programs/{P}/draw"),
    ("POST", f"/api/v1/childcare/programs/{P}/applications"),
    ("POST", f"/api/v1/childcare/applications/{A}/accept"),
    ("POST", f"/api/v1/childcare/applications/{A}/decline"),
    ("POST", f"/api/v1/childcare/applications/{A}/withdraw"),
    ("GET", "/api/v1/me/childcare/applications"),
    ("POST", "/api/v1/manage/childcare/programs"),
    ("GET", "/api/v1/manage/childcare/programs"),
    ("GET", f"/api/v1/manage/childcare/programs/{P}"),
    ("PATCH", f"/api/v1/manage/childcare/programs/{P}"),
    ("POST", f"/api/v1/manage/childcare/programs/{P}/publish"),
    ("PUT", f"/api/v1/manage/childcare/programs/{P}/teachers"),
    ("POST", f"/api/v1/manage/childcare/programs/{P}/draw"),
    ("GET", f"/api/v1/manage/childcare/programs/{P}/draw"),
    ("GET", f"/api/v1/manage/childcare/programs/{P}/applications"),
]

PUBLIC_ = dict.fromkeys(ROLES, OK)
RESIDENT = {**dict.fromkeys(ROLES, 403), "anonymous": 401, "resident": OK}
STAFF = {**dict.fromkeys(ROLES, 403), "anonymous": 401, "staff": OK, "admin": OK}
EXPECTED = {
    endpoint: PUBLIC_
    if endpoint[1].startswith("/api/v1/childcare/programs") and endpoint[0] == "GET"
    else STAFF
    if "/manage/" in endpoint[1]
    else RESIDENT
    for endpoint in ENDPOINTS
}

Build = Callable[
    [httpx.AsyncClient, Sessions, MakeUser, FrozenClock, Account | None],
    Awaitable[tuple[str, Any, int]],
]


async def _published(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock, **changes: Any
) -> dict[str, Any]:
    where = await make_complex(client, make_user)
    program = await published_program(client, where, clock, **changes)
    program["_staff"] = where.staff
    return program


async def _drawn(client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock) -> str:
    program = await _published(client, make_user, clock, allocation="lottery")
    clock.advance(days=3)
    drawn = await client.post(f"{MANAGE}/{program['id']}/draw", headers=program["_staff"].headers)
    assert drawn.status_code == 200, drawn.text
    return str(program["id"])


async def _guardian_of(
    db: Sessions, make_user: MakeUser, caller: Account | None
) -> tuple[Account, str]:
    """The caller as a verified guardian with a child where the caller is a resident; some
    resident's otherwise (the guard refuses the caller before the object matters)."""
    if caller is not None and caller.role == "resident":
        async with db() as session, session.begin():
            await session.execute(
                update(User).where(User.id == caller.id).values(verified_at=datetime.now(UTC))
            )
        return caller, str(await add_member(db, caller.id, "小明", born_months_before(96)))
    return await guardian(db, make_user)


async def _offered(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock,
    caller: Account | None,
) -> str:  # fmt: skip
    """An application of the caller's (or a resident's) that holds an open offer."""
    program = await _published(client, make_user, clock, capacity=1)
    first, first_child = await guardian(db, make_user)
    parent, child = await _guardian_of(db, make_user, caller)
    enrolled = (await apply(client, first, program["id"], first_child)).json()
    waiting = (await apply(client, parent, program["id"], child)).json()
    await client.post(f"{APPLICATIONS}/{enrolled['id']}/withdraw", headers=first.headers)
    return str(waiting["id"])


def _fixed(path: str, status: int = 200) -> Build:
    async def build(*_: Any) -> tuple[str, Any, int]:
        return path, None, status

    return build


def _on_program(suffix: str, *, body: Any = None, status: int = 200, manage: bool = False) -> Build:
    async def build(
        client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock,
        caller: Account | None,
    ) -> tuple[str, Any, int]:  # fmt: skip
        program = await _published(client, make_user, clock)
        base = MANAGE if manage else PUBLIC
        return f"{base}/{program['id']}{suffix}", body, status

    return build


async def _draft_publish(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock,
    caller: Account | None,
) -> tuple[str, Any, int]:  # fmt: skip
    where = await make_complex(client, make_user)
    draft = await client.post(MANAGE, json=program_body(where, clock), headers=where.staff.headers)
    return f"{MANAGE}/{draft.json()['id']}/publish", None, 200


async def _create(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock,
    caller: Account | None,
) -> tuple[str, Any, int]:  # fmt: skip
    where = await make_complex(client, make_user)
    return MANAGE, program_body(where, clock), 201


async def _teachers(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock,
    caller: Account | None,
) -> tuple[str, Any, int]:  # fmt: skip
    program = await _published(client, make_user, clock)
    worker = await make_user("worker")
    return f"{MANAGE}/{program['id']}/teachers", {"userIds": [str(worker.id)]}, 200


async def _draw(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock,
    caller: Account | None,
) -> tuple[str, Any, int]:  # fmt: skip
    program = await _published(client, make_user, clock, allocation="lottery")
    clock.advance(timedelta(days=3))
    return f"{MANAGE}/{program['id']}/draw", {}, 200


def _drawn_record(base: str) -> Build:
    async def build(
        client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock,
        caller: Account | None,
    ) -> tuple[str, Any, int]:  # fmt: skip
        return f"{base}/{await _drawn(client, make_user, clock)}/draw", None, 200

    return build


async def _apply(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock,
    caller: Account | None,
) -> tuple[str, Any, int]:  # fmt: skip
    program = await _published(client, make_user, clock)
    _, child = await _guardian_of(db, make_user, caller)
    return f"{PUBLIC}/{program['id']}/applications", {"childId": child}, 201


def _on_offer(action: str) -> Build:
    async def build(
        client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock,
        caller: Account | None,
    ) -> tuple[str, Any, int]:  # fmt: skip
        application = await _offered(client, db, make_user, clock, caller)
        return f"{APPLICATIONS}/{application}/{action}", None, 200

    return build


BUILDERS: dict[tuple[str, str], Build] = {
    ("GET", "/api/v1/childcare/programs"): _fixed(PUBLIC),
    ("GET", f"/api/v1/childcare/programs/{P}"): _on_program(""),
    ("GET", f"/api/v1/childcare/programs/{P}/draw"): _drawn_record(PUBLIC),
    ("POST", f"/api/v1/childcare/programs/{P}/applications"): _apply,
    ("POST", f"/api/v1/childcare/applications/{A}/accept"): _on_offer("accept"),
    ("POST", f"/api/v1/childcare/applications/{A}/decline"): _on_offer("decline"),
    ("POST", f"/api/v1/childcare/applications/{A}/withdraw"): _on_offer("withdraw"),
    ("GET", "/api/v1/me/childcare/applications"): _fixed(MINE),
    ("POST", "/api/v1/manage/childcare/programs"): _create,
    ("GET", "/api/v1/manage/childcare/programs"): _fixed(MANAGE),
    ("GET", f"/api/v1/manage/childcare/programs/{P}"): _on_program("", manage=True),
    ("PATCH", f"/api/v1/manage/childcare/programs/{P}"): _on_program(
        "", body={"description": "新的介绍"}, manage=True
    ),
    ("POST", f"/api/v1/manage/childcare/programs/{P}/publish"): _draft_publish,
    ("PUT", f"/api/v1/manage/childcare/programs/{P}/teachers"): _teachers,
    ("POST", f"/api/v1/manage/childcare/programs/{P}/draw"): _draw,
    ("GET", f"/api/v1/manage/childcare/programs/{P}/draw"): _drawn_record(MANAGE),
    ("GET", f"/api/v1/manage/childcare/programs/{P}/applications"): _on_program(
        "/applications", manage=True
    ),
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
        return Call(*await BUILDERS[(method, path)](client, db, make_user, clock, caller))

    await check_every_role(
        client, method, EXPECTED[(method, path)], clock=clock, caller_of=make_user, arrange=arrange
    )


async def test_no_other_household_reaches_an_application_or_a_child(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock
) -> None:
    owner, child = await guardian(db, make_user)
    stranger, _ = await guardian(db, make_user)
    application = await _offered(client, db, make_user, clock, owner)
    for action in ("accept", "decline", "withdraw"):
        answer = await client.post(
            f"{APPLICATIONS}/{application}/{action}", headers=stranger.headers
        )
        assert answer.status_code == 404, action
        assert problem(answer)["code"] == "not_found"
    assert (await client.get(MINE, headers=stranger.headers)).json()["items"] == []
    program = await _published(client, make_user, clock)
    foreign_child = await apply(client, stranger, program["id"], child)
    assert foreign_child.status_code == 404
    # A draft is not public, even by its id.
    where = await make_complex(client, make_user)
    draft = await client.post(MANAGE, json=program_body(where, clock), headers=where.staff.headers)
    assert (await client.get(f"{PUBLIC}/{draft.json()['id']}")).status_code == 404
    assert (
        await client.get(f"{MANAGE}/{draft.json()['id']}", headers=where.staff.headers)
    ).status_code == 200
