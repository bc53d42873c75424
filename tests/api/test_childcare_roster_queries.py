"""A session's roster is one statement (a hot read, issue 17), for one child and for a class
whose children have people named, allergies noted and check-ins: no query per child."""

from __future__ import annotations

from typing import Any

import httpx
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import FrozenClock
from tests.api.childcare_pickup_support import afternoon, enrol, program_with_session
from tests.factories import MakeUser
from tests.querycount import counting

Sessions = async_sessionmaker[AsyncSession]
MANY = 12


async def _roster(
    app: Litestar, client: httpx.AsyncClient, url: str, headers: dict[str, str]
) -> tuple[list[str], list[dict[str, Any]]]:
    with counting(app) as statements:
        answer = await client.get(url, headers=headers)
    assert answer.status_code == 200, answer.text
    return statements, answer.json()["children"]


async def test_the_roster_is_one_statement_for_one_child_and_a_class(
    app: Litestar,
    client: httpx.AsyncClient,
    db: Sessions,
    make_user: MakeUser,
    clock: FrozenClock,
) -> None:
    afternoon(clock)
    day = await program_with_session(db, make_user, clock, children=1)
    teacher = day.teacher.headers
    statements, children = await _roster(app, client, day.url, teacher)
    assert len(children) == 1
    assert len(statements) == 1, statements

    for n in range(MANY):
        day.children.append(await enrol(db, make_user, day, f"同学{n:02d}"))
    for child in day.children[: MANY // 2]:
        guardian = child.guardian.headers
        people = f"/api/v1/me/members/{child.id}/pickups"
        for name, extra in (("李奶奶", {"idLast4": "0427"}), ("王某", {"blocked": True})):
            added = await client.post(
                people,
                json={"name": name, "phone": "13900002222", "relation": "其他", **extra},
                headers=guardian,
            )
            assert added.status_code == 201, added.text
        noted = await client.put(
            f"/api/v1/me/members/{child.id}/childcare-profile",
            json={"allergies": "花生过敏", "healthNotes": "哮喘"},
            headers=guardian,
        )
        assert noted.status_code == 200, noted.text
        checked = await client.post(
            f"{day.url}/check-in", json={"childId": str(child.id)}, headers=teacher
        )
        assert checked.status_code == 200, checked.text

    statements, children = await _roster(app, client, day.url, teacher)
    assert len(children) == MANY + 1
    assert len(statements) == 1, statements
    noted = [c for c in children if c["allergies"] == "花生过敏" and c["healthNotes"] == "哮喘"]
    assert len(noted) == MANY // 2
    assert all(c["status"] == "present" for c in noted)
    assert all(len(c["pickups"]) == 2 for c in noted)
