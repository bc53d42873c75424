"""The guardians' lists of trusted and blocked people, and a child's allergies and health notes:
kept by the child's household only, the ID digits and the notes never stored readable."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.childcare.models_pickup import ChildProfile, Pickup
from backend.core.clock import FrozenClock, local_date_of
from tests.conftest import problem
from tests.factories import MakeUser, add_member

Sessions = async_sessionmaker[AsyncSession]
TRUSTED = {"name": "李奶奶", "phone": "+86 139-0000-2222", "relation": "奶奶", "idLast4": "123X"}


def _child_birth(clock: FrozenClock) -> date:
    today = local_date_of(clock.now())
    return today.replace(year=today.year - 6, day=1)


async def test_guardians_keep_trusted_and_blocked_people(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock
) -> None:
    guardian = await make_user("resident")
    child = await add_member(db, guardian.id, "小明", _child_birth(clock))
    url = f"/api/v1/me/members/{child}/pickups"
    trusted = await client.post(url, json=TRUSTED, headers=guardian.headers)
    assert trusted.status_code == 201, trusted.text
    body = trusted.json()
    assert body["phone"] == "13900002222"
    assert body["hasIdLast4"] is True
    assert "idLast4" not in body
    blocked = await client.post(
        url,
        json={"name": "王某", "phone": "13900003333", "relation": "其他", "blocked": True},
        headers=guardian.headers,
    )
    assert blocked.status_code == 201, blocked.text
    assert blocked.json()["hasIdLast4"] is False
    # A trusted person without an ID to prove is refused.
    bare = await client.post(url, json={**TRUSTED, "idLast4": None}, headers=guardian.headers)
    assert bare.status_code == 422
    assert problem(bare)["errors"][0]["field"] == "idLast4"
    listed = await client.get(url, params={"limit": 1}, headers=guardian.headers)
    assert [p["name"] for p in listed.json()["items"]] == ["李奶奶"]
    rest = await client.get(
        url, params={"cursor": listed.json()["nextCursor"]}, headers=guardian.headers
    )
    assert [p["blocked"] for p in rest.json()["items"]] == [True]
    async with db() as s:
        digest = (
            await s.scalars(select(Pickup.id_last4_digest).where(Pickup.blocked.is_(False)))
        ).one()
    assert digest is not None
    assert "123" not in digest
    gone = await client.delete(f"{url}/{body['id']}", headers=guardian.headers)
    assert gone.status_code == 204
    again = await client.delete(f"{url}/{body['id']}", headers=guardian.headers)
    assert again.status_code == 404


async def test_another_household_never_reaches_a_childs_list_or_notes(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock
) -> None:
    guardian, stranger = await make_user("resident"), await make_user("resident")
    child = await add_member(db, guardian.id, "小明", _child_birth(clock))
    url = f"/api/v1/me/members/{child}/pickups"
    added = await client.post(url, json=TRUSTED, headers=guardian.headers)
    profile = f"/api/v1/me/members/{child}/childcare-profile"
    await client.put(profile, json={"allergies": "花生"}, headers=guardian.headers)
    for method, target, body in (
        ("GET", url, None),
        ("POST", url, TRUSTED),
        ("DELETE", f"{url}/{added.json()['id']}", None),
        ("GET", profile, None),
        ("PUT", profile, {"allergies": "无"}),
    ):
        answer = await client.request(method, target, json=body, headers=stranger.headers)
        assert answer.status_code == 404, (method, target)
        assert problem(answer)["code"] == "not_found"
        assert "花生" not in answer.text
    mine = await client.get(profile, headers=guardian.headers)
    assert mine.json()["allergies"] == "花生"
    async with db() as s:
        assert await s.scalar(select(func.count()).select_from(Pickup)) == 1


async def test_an_adult_member_is_no_child(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser
) -> None:
    guardian = await make_user("resident")
    adult = await add_member(db, guardian.id, "张三", date(1980, 1, 1))
    for target in ("pickups", "childcare-profile"):
        answer = await client.get(f"/api/v1/me/members/{adult}/{target}", headers=guardian.headers)
        assert answer.status_code == 422
        assert problem(answer)["code"] == "not_a_child"


async def test_allergies_and_health_notes_are_stored_encrypted(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock
) -> None:
    guardian = await make_user("resident")
    child = await add_member(db, guardian.id, "小红", _child_birth(clock))
    url = f"/api/v1/me/members/{child}/childcare-profile"
    empty = await client.get(url, headers=guardian.headers)
    assert empty.json() == {
        "childId": str(child),
        "updatedAt": None,
        "allergies": None,
        "healthNotes": None,
    }
    put = await client.put(
        url,
        json={"allergies": "青霉素过敏", "healthNotes": "哮喘，随身带喷雾"},
        headers=guardian.headers,
    )
    assert put.status_code == 200, put.text
    assert put.json()["healthNotes"] == "哮喘，随身带喷雾"
    async with db() as s:
        row = (await s.scalars(select(ChildProfile))).one()
    assert "青霉素".encode() not in (row.allergies_enc or b"")
    assert "哮喘".encode() not in (row.health_notes_enc or b"")
    cleared = await client.put(url, json={"allergies": "  "}, headers=guardian.headers)
    assert cleared.json()["allergies"] is None
    assert cleared.json()["healthNotes"] is None


@pytest.mark.storm
async def test_storm_at_most_ten_people_per_child(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, clock: FrozenClock
) -> None:
    guardian = await make_user("resident")
    child = await add_member(db, guardian.id, "小明", _child_birth(clock))
    url = f"/api/v1/me/members/{child}/pickups"
    answers = await asyncio.gather(
        *(
            client.post(url, json={**TRUSTED, "name": f"亲友{i}"}, headers=guardian.headers)
            for i in range(25)
        )
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] * 10 + [409] * 15, [a.text for a in answers if a.status_code >= 500]
    assert {problem(a)["code"] for a in answers if a.status_code == 409} == {"pickup_limit_reached"}
    async with db() as s:
        assert await s.scalar(select(func.count()).select_from(Pickup)) == 10
