"""Household members: CRUD, age groups in Asia/Shanghai, the limit of twenty, idempotency."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from uuid import uuid4

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import LOCAL_TZ, FrozenClock
from backend.identity.models import HouseholdMember
from tests.conftest import problem
from tests.factories import Account, MakeUser

URL = "/api/v1/me/members"


def _member(**changes: object) -> dict[str, object]:
    return {
        "name": "张建国",
        "relation": "father",
        "birthDate": "1948-03-12",
        "gender": "male",
        "notes": "行动不便",
        **changes,
    }


async def _count(db: async_sessionmaker[AsyncSession], account: Account | None = None) -> int:
    async with db() as session:
        query = select(func.count()).select_from(HouseholdMember)
        if account is not None:
            query = query.where(HouseholdMember.owner_id == account.id)
        return int(await session.scalar(query) or 0)


async def test_create_read_update_delete(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    account = await make_user()
    created = await client.post(URL, json=_member(), headers=account.headers)
    assert created.status_code == 201, created.text
    member = created.json()
    assert member["name"] == "张建国"
    assert member["relation"] == "father"
    assert member["birthDate"] == "1948-03-12"
    assert member["gender"] == "male"
    assert member["notes"] == "行动不便"
    assert member["ageGroup"] == "elder"
    assert member["id"]
    assert member["createdAt"]

    fetched = await client.get(f"{URL}/{member['id']}", headers=account.headers)
    assert fetched.status_code == 200
    assert fetched.json() == member

    changed = await client.patch(
        f"{URL}/{member['id']}", json={"notes": None, "name": "张国"}, headers=account.headers
    )
    assert changed.status_code == 200
    assert changed.json()["notes"] is None
    assert changed.json()["name"] == "张国"
    assert changed.json()["birthDate"] == "1948-03-12"

    listed = await client.get(URL, headers=account.headers)
    assert listed.status_code == 200
    assert listed.json() == {"items": [changed.json()], "nextCursor": None}

    deleted = await client.delete(f"{URL}/{member['id']}", headers=account.headers)
    assert deleted.status_code == 204
    gone = await client.get(f"{URL}/{member['id']}", headers=account.headers)
    assert gone.status_code == 404
    assert (await client.get(URL, headers=account.headers)).json()["items"] == []


async def test_gender_and_notes_are_optional(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    account = await make_user()
    body = {"name": "张小雨", "relation": "daughter", "birthDate": "2017-09-01"}
    created = await client.post(URL, json=body, headers=account.headers)
    assert created.status_code == 201
    assert created.json()["gender"] == "unspecified"
    assert created.json()["notes"] is None
    assert created.json()["ageGroup"] == "child"


async def test_age_groups_turn_on_the_birthday_in_shanghai(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    account = await make_user()
    # 00:30 on 1 March 2026 in Shanghai is still 28 February in UTC.
    clock.set(datetime(2026, 3, 1, 0, 30, tzinfo=LOCAL_TZ))
    cases = {
        "2008-03-01": "adult",  # eighteen today
        "2008-03-02": "child",  # eighteen tomorrow
        "1966-03-01": "elder",  # sixty today
        "1966-03-02": "adult",
        "2008-02-29": "adult",  # a leap-day birthday counts from 1 March in common years
        "2026-03-01": "child",  # born today
    }
    for birth, group in cases.items():
        response = await client.post(
            URL, json=_member(birthDate=birth, name=f"m{birth}"), headers=account.headers
        )
        assert response.status_code == 201, (birth, response.text)
        assert response.json()["ageGroup"] == group, birth
    # The group follows the calendar: a day later the child of yesterday is an adult.
    clock.advance(days=1)
    items = (await client.get(URL, headers=account.headers)).json()["items"]
    assert {i["birthDate"]: i["ageGroup"] for i in items}["2008-03-02"] == "adult"


async def test_birth_date_in_the_future_is_422(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    account = await make_user()
    clock.set(datetime(2026, 3, 1, 0, 30, tzinfo=LOCAL_TZ))
    # Tomorrow in Shanghai, although it is "today" in UTC terms of the day before.
    for birth in ("2026-03-02", "2099-01-01"):
        response = await client.post(URL, json=_member(birthDate=birth), headers=account.headers)
        assert response.status_code == 422
        document = problem(response)
        assert document["code"] == "invalid_birth_date"
        assert [e["field"] for e in document["errors"]] == ["birthDate"]
    too_old = await client.post(URL, json=_member(birthDate="1899-12-31"), headers=account.headers)
    assert problem(too_old)["code"] == "invalid_birth_date"
    assert await _count(db) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 51}, "name"),
        ({"relation": "boss"}, "relation"),
        ({"gender": "x"}, "gender"),
        ({"birthDate": "2020-02-30"}, "birthDate"),
        ({"birthDate": "yesterday"}, "birthDate"),
        ({"birthDate": None}, "birthDate"),
        ({"notes": "x" * 501}, "notes"),
        ({"notes": "bell\u0007"}, "notes"),
    ],
)
async def test_invalid_members_are_422_and_change_nothing(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    db: async_sessionmaker[AsyncSession],
    changes: dict[str, object],
    field: str,
) -> None:
    account = await make_user()
    response = await client.post(URL, json=_member(**changes), headers=account.headers)
    assert response.status_code == 422
    document = problem(response)
    assert any(field in e["field"] for e in document["errors"]), document["errors"]
    assert await _count(db) == 0


async def test_invalid_patches_change_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    account = await make_user()
    member = (await client.post(URL, json=_member(), headers=account.headers)).json()
    future = (clock.today() + timedelta(days=1)).isoformat()
    for body in ({"birthDate": future}, {"relation": "boss"}, {"name": " "}, {"gender": None}):
        response = await client.patch(f"{URL}/{member['id']}", json=body, headers=account.headers)
        assert response.status_code == 422, body
        problem(response)
    assert (await client.get(f"{URL}/{member['id']}", headers=account.headers)).json() == member


async def test_another_residents_members_are_404(
    client: httpx.AsyncClient, make_user: MakeUser, db: async_sessionmaker[AsyncSession]
) -> None:
    owner, stranger = await make_user(), await make_user()
    member = (await client.post(URL, json=_member(), headers=owner.headers)).json()
    path = f"{URL}/{member['id']}"
    for response in (
        await client.get(path, headers=stranger.headers),
        await client.patch(path, json={"name": "偷改"}, headers=stranger.headers),
        await client.delete(path, headers=stranger.headers),
    ):
        assert response.status_code == 404
        assert problem(response)["code"] == "not_found"
    assert (await client.get(URL, headers=stranger.headers)).json()["items"] == []
    assert (await client.get(path, headers=owner.headers)).json() == member
    unknown = await client.get(f"{URL}/{uuid4()}", headers=owner.headers)
    assert unknown.status_code == 404
    assert await _count(db) == 1


async def test_at_most_twenty_members(
    client: httpx.AsyncClient, make_user: MakeUser, db: async_sessionmaker[AsyncSession]
) -> None:
    account = await make_user()
    for n in range(20):
        response = await client.post(URL, json=_member(name=f"成员{n}"), headers=account.headers)
        assert response.status_code == 201
    full = await client.post(URL, json=_member(name="多一个"), headers=account.headers)
    assert full.status_code == 409
    assert problem(full)["code"] == "member_limit_reached"
    assert await _count(db, account) == 20
    # Removing one makes room again.
    first = (await client.get(URL, params={"limit": 1}, headers=account.headers)).json()
    await client.delete(f"{URL}/{first['items'][0]['id']}", headers=account.headers)
    assert (
        await client.post(URL, json=_member(name="新成员"), headers=account.headers)
    ).status_code == 201


@pytest.mark.storm
async def test_parallel_additions_cannot_exceed_twenty(
    client: httpx.AsyncClient, make_user: MakeUser, db: async_sessionmaker[AsyncSession]
) -> None:
    account = await make_user()
    for n in range(15):
        await client.post(URL, json=_member(name=f"成员{n}"), headers=account.headers)
    answers = await asyncio.gather(
        *(
            client.post(URL, json=_member(name=f"并发{n}"), headers=account.headers)
            for n in range(20)
        )
    )
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [201] * 5 + [409] * 15
    assert await _count(db, account) == 20


async def test_limit_is_per_household(
    client: httpx.AsyncClient, make_user: MakeUser, db: async_sessionmaker[AsyncSession]
) -> None:
    first, second = await make_user(), await make_user()
    await asyncio.gather(
        *(client.post(URL, json=_member(name=f"a{n}"), headers=first.headers) for n in range(20))
    )
    assert (await client.post(URL, json=_member(), headers=second.headers)).status_code == 201


async def test_list_is_cursor_paged_and_stable_under_inserts(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    account = await make_user()
    for n in range(5):
        await client.post(URL, json=_member(name=f"成员{n}"), headers=account.headers)
    first = (await client.get(URL, params={"limit": 2}, headers=account.headers)).json()
    assert [m["name"] for m in first["items"]] == ["成员0", "成员1"]
    assert first["nextCursor"]
    # An insert between pages neither repeats nor skips anything.
    await client.post(URL, json=_member(name="成员5"), headers=account.headers)
    names = [m["name"] for m in first["items"]]
    cursor = first["nextCursor"]
    while cursor:
        page = (
            await client.get(URL, params={"limit": 2, "cursor": cursor}, headers=account.headers)
        ).json()
        names += [m["name"] for m in page["items"]]
        cursor = page["nextCursor"]
    assert names == [f"成员{n}" for n in range(6)]
    default = (await client.get(URL, headers=account.headers)).json()
    assert len(default["items"]) == 6
    assert default["nextCursor"] is None


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "101"}, {"cursor": "%%%"}])
async def test_bad_paging_is_a_problem(
    client: httpx.AsyncClient, make_user: MakeUser, params: dict[str, str]
) -> None:
    account = await make_user()
    response = await client.get(URL, params=params, headers=account.headers)
    assert response.status_code in (400, 422)
    problem(response)


async def test_idempotent_creation(
    client: httpx.AsyncClient, make_user: MakeUser, db: async_sessionmaker[AsyncSession]
) -> None:
    account = await make_user()
    headers = {**account.headers, "Idempotency-Key": "add-father-1"}
    first = await client.post(URL, json=_member(), headers=headers)
    assert first.status_code == 201
    repeat = await client.post(URL, json=_member(), headers=headers)
    assert repeat.status_code == 201
    assert repeat.json() == first.json()
    assert await _count(db, account) == 1
    reused = await client.post(URL, json=_member(name="别人"), headers=headers)
    assert reused.status_code == 422
    assert problem(reused)["code"] == "idempotency_key_reused"
    assert await _count(db, account) == 1
    # The key is the caller's own: another resident may use the same one.
    other = await make_user()
    theirs = await client.post(
        URL, json=_member(), headers={**other.headers, "Idempotency-Key": "add-father-1"}
    )
    assert theirs.status_code == 201
    assert theirs.json()["id"] != first.json()["id"]


@pytest.mark.storm
async def test_parallel_repeats_of_one_key_create_one_member(
    client: httpx.AsyncClient, make_user: MakeUser, db: async_sessionmaker[AsyncSession]
) -> None:
    account = await make_user()
    headers = {**account.headers, "Idempotency-Key": "tapped-twice"}
    answers = await asyncio.gather(
        *(client.post(URL, json=_member(), headers=headers) for _ in range(8))
    )
    statuses = [r.status_code for r in answers]
    assert 201 in statuses
    assert set(statuses) <= {201, 409}, statuses
    ids = {r.json()["id"] for r in answers if r.status_code == 201}
    assert len(ids) == 1
    for response in answers:
        if response.status_code == 409:
            assert problem(response)["code"] == "idempotency_request_in_progress"
    assert await _count(db, account) == 1


async def test_refused_creation_can_be_retried_with_its_key(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    account = await make_user()
    headers = {**account.headers, "Idempotency-Key": "retry-me"}
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    refused = await client.post(URL, json=_member(birthDate=tomorrow), headers=headers)
    assert refused.status_code == 422
    fixed = await client.post(URL, json=_member(birthDate=tomorrow), headers=headers)
    assert fixed.status_code == 422  # not a replayed success: nothing was created the first time


def test_relations_agree_between_wire_and_database() -> None:
    # The models' constraints are built from the Literals (backend.core.base.one_of); that the
    # database holds the same lists is tests/unit/test_enumerations.py's.
    from typing import get_args

    from backend.core.base import ONE_OF
    from backend.identity.models import HouseholdMember
    from schemas.identity import Gender, Relation

    held = {
        c.name: c.info[ONE_OF] for c in HouseholdMember.__table__.constraints if ONE_OF in c.info
    }
    assert held == {
        "ck_household_members_gender_known": get_args(Gender),
        "ck_household_members_relation_known": get_args(Relation),
    }
