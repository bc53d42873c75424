"""Creating POSTs retried with their ``Idempotency-Key``: one row, the first answer replayed, and
the key refused for another body. (Bookings, events, closures, members and registrations have
their own such tests beside their domains.)"""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import FrozenClock
from backend.core.models import IdempotencyKey
from backend.core.security import SEALED_VERSION
from backend.eldercare.models import CareProvider
from backend.events.models import Feedback
from backend.hub.models import Room, Venue
from backend.identity.models import AuthSession, User
from tests.api.events_support import register
from tests.api.hub_support import ACTIVITY_ROOM, API, HOURS
from tests.api.identity_support import PASSWORD, send_code
from tests.conftest import problem
from tests.factories import MakeUser, new_phone, published


async def _retried(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    other: dict[str, Any],
    headers: dict[str, str],
    key: str,
) -> dict[str, Any]:
    """POST ``body`` twice with ``key``, then ``other`` with it; the first answer's body."""
    keyed = {**headers, "Idempotency-Key": key}
    first = await client.post(url, json=body, headers=keyed)
    again = await client.post(url, json=body, headers=keyed)
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert "idempotent-replayed" not in first.headers
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    reused = await client.post(url, json=other, headers=keyed)
    assert reused.status_code == 422, reused.text
    assert problem(reused)["code"] == "idempotency_key_reused"
    answer: dict[str, Any] = first.json()
    return answer


async def _count(db: async_sessionmaker[AsyncSession], query: Any) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count()).select_from(query)) or 0)


async def test_create_venue_and_room_once(
    client: httpx.AsyncClient, make_user: MakeUser, db: async_sessionmaker[AsyncSession]
) -> None:
    admin = await make_user("admin")
    venue = {"name": "幂等馆", "address": "嘉兴市南湖区", "openingHours": HOURS}
    created = await _retried(
        client, f"{API}/manage/venues", venue, {**venue, "name": "另一馆"}, admin.headers, "v-1"
    )
    assert await _count(db, Venue.__table__.select().where(Venue.name == "幂等馆").subquery()) == 1
    rooms_url = f"{API}/manage/venues/{created['id']}/rooms"
    await _retried(
        client, rooms_url, ACTIVITY_ROOM, {**ACTIVITY_ROOM, "name": "另一室"}, admin.headers, "r-1"
    )
    rooms = Room.__table__.select().where(Room.venue_id == created["id"]).subquery()
    assert await _count(db, rooms) == 1


async def test_create_user_once(
    client: httpx.AsyncClient, make_user: MakeUser, db: async_sessionmaker[AsyncSession]
) -> None:
    admin = await make_user("admin")
    phone = new_phone()
    body = {"phone": phone, "password": PASSWORD, "role": "worker", "displayName": "王芳"}
    await _retried(
        client, f"{API}/admin/users", body, {**body, "role": "staff"}, admin.headers, "u-1"
    )
    assert await _count(db, User.__table__.select().where(User.phone == phone).subquery()) == 1


async def test_feedback_once(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    staff, resident = await make_user("staff"), await make_user()
    event = await published(client, staff.headers, clock)
    ticket = (await register(client, event["id"], resident.headers)).json()["ticketCode"]
    clock.advance(days=3, minutes=10)
    checked = await client.post(
        f"{API}/manage/events/{event['id']}/check-in",
        json={"ticketCode": ticket},
        headers=staff.headers,
    )
    assert checked.status_code == 200, checked.text
    clock.advance(hours=2)
    await _retried(
        client,
        f"{API}/events/{event['id']}/feedback",
        {"rating": 5},
        {"rating": 4},
        resident.headers,
        "f-1",
    )
    assert await _count(db, Feedback.__table__) == 1


async def test_register_once_scoped_to_the_phone(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    phone = new_phone()
    code = await send_code(client, phone)
    body = {"phone": phone, "smsCode": code, "password": PASSWORD, "displayName": "张伟"}
    url = f"{API}/auth/register"
    pair = await _retried(client, url, body, {**body, "displayName": "李娜"}, {}, "reg-1")
    assert pair["user"]["phone"] == phone
    assert await _count(db, User.__table__.select().where(User.phone == phone).subquery()) == 1
    # The replay opened no second login.
    assert await _count(db, AuthSession.__table__) == 1
    # The stored answer holds the tokens only sealed: refresh tokens are kept nowhere in clear.
    async with db() as session:
        stored = (await session.execute(select(IdempotencyKey.response_body))).scalars().all()
    assert len(stored) == 1
    assert pair["refreshToken"].encode() not in stored[0]
    assert phone.encode() not in stored[0]
    # The key is the phone's: another phone registering with the same key is not a replay.
    other = new_phone()
    other_code = await send_code(client, other)
    second = await client.post(
        url,
        json={**body, "phone": other, "smsCode": other_code},
        headers={"Idempotency-Key": "reg-1"},
    )
    assert second.status_code == 201, second.text
    assert "idempotent-replayed" not in second.headers
    assert second.json()["user"]["phone"] == other


async def test_create_care_provider_once(
    client: httpx.AsyncClient, make_user: MakeUser, db: async_sessionmaker[AsyncSession]
) -> None:
    admin = await make_user("admin")
    provider = {
        "name": "高照居家养老服务中心",
        "phone": "13812345678",
        "serviceCodes": ["cleaning"],
    }
    await _retried(
        client,
        f"{API}/admin/care-providers",
        provider,
        {**provider, "name": "另一家"},
        admin.headers,
        "p-1",
    )
    assert await _count(db, CareProvider.__table__) == 1


async def test_every_stored_answer_is_sealed_and_one_stored_in_clear_still_replays(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    # A registration's answer carries its ticket code, which the service keeps only hashed
    # and encrypted: the stored copy of the answer must not give it away either.
    staff = await make_user("staff")
    resident = await make_user()
    event = await published(client, staff.headers, clock)
    headers = {**resident.headers, "Idempotency-Key": "tap-sealed"}
    url = f"{API}/events/{event['id']}/registrations"
    first = await client.post(url, json={"seats": 1}, headers=headers)
    assert first.status_code == 201, first.text
    ticket = first.json()["ticketCode"]
    async with db() as session:
        stored = await session.scalar(
            select(IdempotencyKey.response_body).where(IdempotencyKey.key == "tap-sealed")
        )
    assert stored is not None
    assert stored[:1] == SEALED_VERSION
    assert ticket.encode() not in stored
    assert event["title"].encode() not in stored
    again = await client.post(url, json={"seats": 1}, headers=headers)
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()

    # An answer an earlier release stored in clear is replayed as it was, until it expires.
    async with db() as session, session.begin():
        await session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == "tap-sealed")
            .values(response_body=first.content)
        )
    legacy = await client.post(url, json={"seats": 1}, headers=headers)
    assert legacy.headers.get("idempotent-replayed") == "true"
    assert legacy.json() == first.json()
