"""What the care-order tests share: a provider with a dispatcher and caregivers, a household
with an elder and a care profile, and requests made through the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.notifications.models import Notification
from tests.factories import Account, MakeUser, add_member, care_provider, care_staff

Sessions = async_sessionmaker[AsyncSession]
API = "/api/v1"
ORDERS = f"{API}/care/orders"
CST = timezone(timedelta(hours=8))
# A Monday; the tests' clock starts at 08:00 on it.
DAY = date(2027, 3, 1)
ADDRESS = "浙江省嘉兴市南湖区高照街道东升路88号5幢302室"
PROFILE = {
    "address": ADDRESS,
    "location": {"lat": 30.77, "lng": 120.76},
    "livesAlone": True,
    "careLevel": 2,
    "emergencyContacts": [],
    "healthNotes": "糖尿病，注意饮食",
    "dailyCheckIn": {"enabled": False},
}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CST)


def iso(moment: datetime) -> str:
    return moment.isoformat()


@dataclass
class Provider:
    id: UUID
    dispatcher: Account
    caregivers: list[Account]


@dataclass
class Household:
    resident: Account
    elder_id: UUID
    profile_id: UUID


async def make_provider(
    db: Sessions, settings: Settings, clock: FrozenClock, *, caregivers: int = 2, name: str = "安康"
) -> Provider:
    provider_id = await care_provider(db, name)
    dispatcher = await care_staff(db, settings, clock, "dispatcher", provider_id)
    staff = [
        await care_staff(db, settings, clock, "caregiver", provider_id) for _ in range(caregivers)
    ]
    return Provider(provider_id, dispatcher, staff)


async def make_household(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, *, resident: Account | None = None
) -> Household:
    resident = resident or await make_user("resident")
    elder = await add_member(db, resident.id, "张建国", date(1940, 5, 1))
    put = await client.put(
        f"{API}/me/care-profiles/{elder}", json=PROFILE, headers=resident.headers
    )
    assert put.status_code == 200, put.text
    return Household(resident, elder, UUID(put.json()["id"]))


async def request(
    client: httpx.AsyncClient,
    household: Household,
    starts_at: datetime,
    *,
    service: str = "cleaning",
    **extra: Any,
) -> httpx.Response:
    body = {
        "serviceCode": service,
        "memberId": str(household.elder_id),
        "startsAt": iso(starts_at),
        "note": "请带拖把",
        **extra,
    }
    return await client.post(
        ORDERS,
        json=body,
        headers={**household.resident.headers, "Idempotency-Key": str(uuid4())},
    )


async def ordered(
    client: httpx.AsyncClient, household: Household, starts_at: datetime, **extra: Any
) -> dict[str, Any]:
    answer = await request(client, household, starts_at, **extra)
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def assign(
    client: httpx.AsyncClient, dispatcher: Account, order_id: str, caregiver: Account
) -> httpx.Response:
    return await client.post(
        f"{API}/manage/care/orders/{order_id}/assign",
        json={"caregiverId": str(caregiver.id)},
        headers=dispatcher.headers,
    )


async def inbox(db: Sessions, user_id: UUID, kind: str | None = None) -> list[Notification]:
    async with db() as session:
        query = select(Notification).where(Notification.user_id == user_id)
        if kind is not None:
            query = query.where(Notification.kind == kind)
        return list((await session.scalars(query.order_by(Notification.id))).all())
