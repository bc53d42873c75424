"""A small community hub for the hub tests: one venue with two rooms, a second venue, an admin,
the first venue's worker and a worker of the other venue, at a fixed Monday morning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import FrozenClock
from backend.hub.models import Booking
from backend.notifications.models import Notification
from tests.factories import Account, MakeUser, create_room, create_venue

LOCAL = ZoneInfo("Asia/Shanghai")
MONDAY = date(2027, 3, 1)
TUESDAY = MONDAY + timedelta(days=1)
SUNDAY = MONDAY + timedelta(days=6)
API = "/api/v1"

# Monday to Saturday 08:00–12:00 and 13:30–21:00; Sunday closed.
HOURS = [
    {"weekday": d, "opens": opens, "closes": closes}
    for d in range(1, 7)
    for opens, closes in (("08:00", "12:00"), ("13:30", "21:00"))
]

ACTIVITY_ROOM = {
    "name": "活动室",
    "kind": "activity",
    "capacity": 20,
    "slotMinutes": 30,
    "minMinutes": 30,
    "maxMinutes": 120,
    "bookableDaysAhead": 7,
    "cancelCutoffMinutes": 60,
    "maxActiveBookingsPerUser": 2,
    "amenities": ["投影仪", "音响"],
}
MEETING_ROOM = {
    "name": "会议室",
    "kind": "meeting",
    "capacity": 12,
    "slotMinutes": 60,
    "minMinutes": 60,
    "maxMinutes": 180,
    "bookableDaysAhead": 14,
    "cancelCutoffMinutes": 120,
    "maxActiveBookingsPerUser": 1,
    "requiresApproval": True,
}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), LOCAL)


def iso(moment: datetime) -> str:
    return moment.isoformat()


@dataclass
class Hub:
    admin: Account
    worker: Account
    other_worker: Account
    venue_id: str
    other_venue_id: str
    room_id: str  # the activity room: confirmed at once
    approval_room_id: str  # the meeting room: needs a worker's approval
    other_room_id: str  # a room of the other venue


async def assign(
    client: httpx.AsyncClient, admin: Account, worker: Account, *venue_ids: str
) -> None:
    response = await client.put(
        f"{API}/admin/users/{worker.id}/venues",
        json={"venueIds": list(venue_ids)},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text


async def make_hub(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    **activity_room: Any,
) -> Hub:
    clock.set(at(MONDAY, 7))
    admin = await make_user("admin")
    worker = await make_user("worker")
    other_worker = await make_user("worker")
    venue = await create_venue(client, admin.headers, "高照三合一", opening_hours=HOURS)
    other = await create_venue(client, admin.headers, "文昌社区中心", opening_hours=HOURS)
    room = await create_room(client, admin.headers, venue["id"], {**ACTIVITY_ROOM, **activity_room})
    meeting = await create_room(client, admin.headers, venue["id"], MEETING_ROOM)
    other_room = await create_room(client, admin.headers, other["id"], ACTIVITY_ROOM)
    await assign(client, admin, worker, venue["id"])
    await assign(client, admin, other_worker, other["id"])
    return Hub(
        admin=admin,
        worker=worker,
        other_worker=other_worker,
        venue_id=venue["id"],
        other_venue_id=other["id"],
        room_id=room["id"],
        approval_room_id=meeting["id"],
        other_room_id=other_room["id"],
    )


def booking_body(
    room_id: str,
    starts: datetime,
    ends: datetime,
    *,
    attendees: int = 4,
    purpose: str = "读书会",
) -> dict[str, Any]:
    return {
        "roomId": room_id,
        "startsAt": iso(starts),
        "endsAt": iso(ends),
        "purpose": purpose,
        "attendees": attendees,
    }


async def book(
    client: httpx.AsyncClient,
    who: Account,
    room_id: str,
    starts: datetime,
    ends: datetime,
    **kwargs: Any,
) -> httpx.Response:
    return await client.post(
        f"{API}/bookings", json=booking_body(room_id, starts, ends, **kwargs), headers=who.headers
    )


async def booked(
    client: httpx.AsyncClient,
    who: Account,
    room_id: str,
    starts: datetime,
    ends: datetime,
    **kwargs: Any,
) -> dict[str, Any]:
    response = await book(client, who, room_id, starts, ends, **kwargs)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def inbox(db: async_sessionmaker[AsyncSession], user_id: UUID) -> list[Notification]:
    async with db() as session:
        return list(
            (
                await session.scalars(
                    select(Notification)
                    .where(Notification.user_id == user_id)
                    .order_by(Notification.id)
                )
            ).all()
        )


async def active_bookings(db: async_sessionmaker[AsyncSession], room_id: str) -> list[Booking]:
    async with db() as session:
        return list(
            (
                await session.scalars(
                    select(Booking)
                    .where(
                        Booking.room_id == UUID(room_id),
                        Booking.status.in_(("pending", "confirmed", "checked_in")),
                    )
                    .order_by(Booking.starts_at)
                )
            ).all()
        )
