"""Shared arrangements for the events tests: events in any state, and residents by the hundred.

``make_user`` hashes a password and opens a login per account — right for a handful, far too
slow for a rush of 200. ``residents`` inserts the accounts in one statement and mints their
access tokens directly (the token is all the API checks).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.auth import issue_access_token
from backend.core.base import new_id
from backend.core.clock import FrozenClock
from backend.core.security import encrypt
from backend.identity.models import HouseholdMember, User
from tests.api.identity_support import id_number

_phones = itertools.count(13600000000)


@dataclass
class Resident:
    """An account of any role, known by its access token."""

    id: UUID
    name: str
    access_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def residents(
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FrozenClock,
    count: int,
    *,
    prefix: str = "居民",
    role: str = "resident",
) -> list[Resident]:
    now = clock.now()
    rows = [
        {
            "id": new_id(),
            "phone": str(next(_phones)),
            "password_hash": None,
            "display_name": f"{prefix}{i:03d}",
            "role": role,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    async with db() as session, session.begin():
        await session.execute(insert(User), rows)
    return [
        Resident(
            id=row["id"],
            name=row["display_name"],
            access_token=issue_access_token(
                settings, user_id=row["id"], role=role, session_id=uuid4(), now=now
            ),
        )
        for row in rows
    ]


async def add_member(
    db: async_sessionmaker[AsyncSession], owner_id: UUID, name: str, birth: date
) -> UUID:
    member_id = new_id()
    async with db() as session, session.begin():
        await session.execute(
            insert(HouseholdMember).values(
                id=member_id, owner_id=owner_id, name=name, relation="other", birth_date=birth
            )
        )
    return member_id


async def verify_birth(
    db: async_sessionmaker[AsyncSession], settings: Settings, user_id: UUID, birth: date
) -> None:
    """What a real-name verification leaves behind, as far as events care: the encrypted
    number carries the birth date (nothing else stores it)."""
    number = id_number(f"330402{birth:%Y%m%d}123")
    async with db() as session, session.begin():
        await session.execute(
            update(User)
            .where(User.id == user_id)
            .values(
                id_number_enc=encrypt(settings.data_key, "id-number", number),
                verified_at=datetime.now(UTC),
            )
        )


def years_ago(clock: FrozenClock, years: int, days: int = 0) -> date:
    today = clock.today()
    return today.replace(year=today.year - years) - timedelta(days=days)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def event_body(clock: FrozenClock, **overrides: Any) -> dict[str, Any]:
    """A valid draft: starts in three days, registration open from an hour ago to an hour
    before the start."""
    now = clock.now()
    starts = now + timedelta(days=3)
    body: dict[str, Any] = {
        "title": "运河文化之夜",
        "summary": "沿着大运河听老嘉兴的故事",
        "body": "本期邀请民俗专家讲述运河边的旧事，现场有评弹表演。",
        "category": "canal_culture",
        "audience": "all",
        "location": "高照街道三合一服务综合体 二楼多功能厅",
        "startsAt": iso(starts),
        "endsAt": iso(starts + timedelta(hours=2)),
        "capacity": 50,
        "registrationOpensAt": iso(now - timedelta(hours=1)),
        "registrationClosesAt": iso(starts - timedelta(hours=1)),
        "maxSeatsPerRegistration": 4,
    }
    body.update(overrides)
    return body


async def draft(
    client: httpx.AsyncClient, staff_headers: dict[str, str], clock: FrozenClock, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/manage/events", json=event_body(clock, **overrides), headers=staff_headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def published(
    client: httpx.AsyncClient, staff_headers: dict[str, str], clock: FrozenClock, **overrides: Any
) -> dict[str, Any]:
    event = await draft(client, staff_headers, clock, **overrides)
    response = await client.post(
        f"/api/v1/manage/events/{event['id']}/publish", headers=staff_headers
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def register(
    client: httpx.AsyncClient,
    event_id: str,
    headers: dict[str, str],
    seats: int = 1,
    member_ids: list[str] | None = None,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/events/{event_id}/registrations",
        json={"seats": seats, "memberIds": member_ids or []},
        headers=headers,
    )
