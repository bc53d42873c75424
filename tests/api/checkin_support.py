"""Helpers of the daily check-in tests: a fixed morning, elders with profiles, the scan run as
the queue runs it, and the messages it left."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import httpx
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import FrozenClock
from backend.jobs.testing import drain
from backend.notifications.models import Notification
from tests.factories import Account, add_member

Sessions = async_sessionmaker[AsyncSession]
CST = timezone(timedelta(hours=8))
DAY = date(2027, 3, 1)
CHECK_INS = "/api/v1/care/check-ins"
MY_CHECK_INS = "/api/v1/me/care/check-ins"
MISSING = "/api/v1/manage/care/check-ins/missing"
KINDS = (
    "care_check_in_missed",
    "care_check_in_escalated",
    "care_check_in_resolved",
    "care_check_in_reached",
)


def at(hour: int, minute: int = 0, *, day: date = DAY) -> datetime:
    """A wall-clock moment in Asia/Shanghai."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CST)


def profile(*, enabled: bool = True, due_by: str = "10:00", **changes: Any) -> dict[str, Any]:
    return {
        "address": "嘉兴市南湖区高照街道红旗路12号3幢201室",
        "location": {"lat": 30.77, "lng": 120.76},
        "livesAlone": True,
        "careLevel": 1,
        "emergencyContacts": [],
        "dailyCheckIn": {"enabled": enabled, "dueBy": due_by},
        **changes,
    }


async def elder(
    client: httpx.AsyncClient,
    db: Sessions,
    owner: Account,
    name: str = "陈桂英",
    **profile_changes: Any,
) -> tuple[UUID, str]:
    """An elder of ``owner``'s household with a care profile: (member id, profile id)."""
    member = await add_member(db, owner.id, name, date(1941, 4, 2))
    put = await client.put(
        f"/api/v1/me/care-profiles/{member}", json=profile(**profile_changes), headers=owner.headers
    )
    assert put.status_code == 200, put.text
    return member, put.json()["id"]


async def check_in(client: httpx.AsyncClient, owner: Account, member: UUID) -> httpx.Response:
    return await client.post(CHECK_INS, json={"memberId": str(member)}, headers=owner.headers)


async def scan(app: Litestar, clock: FrozenClock, moment: datetime) -> None:
    """Run what is due at ``moment`` as a worker would (each call a later minute)."""
    clock.set(moment)
    assert "care_check_in_scan" in await drain(app)


async def told(db: Sessions, user_id: UUID, kind: str | None = None) -> list[Notification]:
    async with db() as session:
        query = select(Notification).where(
            Notification.user_id == user_id, Notification.kind.in_((kind,) if kind else KINDS)
        )
        return list((await session.scalars(query.order_by(Notification.id))).all())
