"""An event in a hub room holds the room, through the hub's service, from publish to cancel."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import FrozenClock
from backend.hub.models import Booking
from tests.api.events_support import draft, event_body, iso
from tests.conftest import problem
from tests.factories import Account, MakeUser

LOCAL = ZoneInfo("Asia/Shanghai")


async def _room(client: httpx.AsyncClient, admin: Account) -> str:
    venue = await client.post(
        "/api/v1/manage/venues",
        json={
            "name": "高照三合一服务综合体",
            "address": "嘉兴市南湖区高照街道",
            "openingHours": [
                {"weekday": d, "opens": "08:00", "closes": "21:00"} for d in range(1, 8)
            ],
        },
        headers=admin.headers,
    )
    assert venue.status_code == 201, venue.text
    room = await client.post(
        f"/api/v1/manage/venues/{venue.json()['id']}/rooms",
        json={
            "name": "书法室",
            "kind": "calligraphy",
            "capacity": 30,
            "slotMinutes": 30,
            "minMinutes": 30,
            "maxMinutes": 180,
            "bookableDaysAhead": 14,
        },
        headers=admin.headers,
    )
    assert room.status_code == 201, room.text
    return str(room.json()["id"])


def _evening(clock: FrozenClock, days: int, hour: int = 18) -> dict[str, Any]:
    """An event from ``hour`` to two hours later, local time, ``days`` from now."""
    day = clock.now().astimezone(LOCAL).date() + timedelta(days=days)
    starts = datetime.combine(day, time(hour), LOCAL)
    return {
        "startsAt": iso(starts),
        "endsAt": iso(starts + timedelta(hours=2)),
        "registrationOpensAt": iso(clock.now() - timedelta(hours=1)),
        "registrationClosesAt": iso(starts - timedelta(hours=1)),
    }


async def _holds(db: async_sessionmaker[AsyncSession], event_id: str) -> list[Any]:
    async with db() as session:
        return list(
            (
                await session.execute(
                    select(Booking.status, Booking.starts_at, Booking.kind)
                    .where(Booking.event_id == UUID(event_id))
                    .order_by(Booking.created_at, Booking.id)
                )
            ).all()
        )


async def test_room_held_from_publish_to_cancel(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    admin, staff, resident = await make_user("admin"), await make_user("staff"), await make_user()
    room_id = await _room(client, admin)
    when = _evening(clock, 3)

    unknown = await client.post(
        "/api/v1/manage/events",
        json={**event_body(clock), **when, "roomId": "01900000-0000-7000-8000-000000000000"},
        headers=staff.headers,
    )
    assert unknown.status_code == 422
    assert problem(unknown)["errors"][0]["field"] == "roomId"

    event = await draft(client, staff.headers, clock, roomId=room_id, **when)
    assert event["roomName"] == "高照三合一服务综合体 · 书法室"
    assert await _holds(db, event["id"]) == []  # a draft holds nothing

    held = await client.post(f"/api/v1/manage/events/{event['id']}/publish", headers=staff.headers)
    assert held.status_code == 200, held.text
    assert held.json()["roomBookingId"]
    (hold,) = await _holds(db, event["id"])
    assert (hold.status, hold.kind) == ("confirmed", "event")
    public = (await client.get(f"/api/v1/events/{event['id']}")).json()
    assert public["roomName"] == "高照三合一服务综合体 · 书法室"

    # A resident cannot book the room over the event.
    booking = await client.post(
        "/api/v1/bookings",
        json={
            "roomId": room_id,
            "startsAt": when["startsAt"],
            "endsAt": iso(datetime.fromisoformat(when["startsAt"]) + timedelta(minutes=30)),
            "purpose": "练字",
        },
        headers=resident.headers,
    )
    assert booking.status_code == 409
    assert problem(booking)["code"] == "booking_conflict"

    # A second event in the same room at an overlapping time cannot be published.
    clash = await draft(client, staff.headers, clock, roomId=room_id, **_evening(clock, 3, 19))
    refused = await client.post(
        f"/api/v1/manage/events/{clash['id']}/publish", headers=staff.headers
    )
    assert refused.status_code == 409
    assert problem(refused)["code"] == "booking_conflict"
    still = (await client.get(f"/api/v1/manage/events/{clash['id']}", headers=staff.headers)).json()
    assert still["status"] == "draft"

    # Moving the published event moves its hold; the old time is free again.
    moved = await client.patch(
        f"/api/v1/manage/events/{event['id']}", json=_evening(clock, 4), headers=staff.headers
    )
    assert moved.status_code == 200, moved.text
    holds = await _holds(db, event["id"])
    assert [h.status for h in holds] == ["cancelled", "confirmed"]
    assert holds[1].starts_at == datetime.fromisoformat(_evening(clock, 4)["startsAt"]).astimezone(
        UTC
    )
    assert (
        await client.post(f"/api/v1/manage/events/{clash['id']}/publish", headers=staff.headers)
    ).status_code == 200

    # Moving it onto the other event's time is refused, and nothing changes.
    onto = await client.patch(
        f"/api/v1/manage/events/{event['id']}",
        json=_evening(clock, 3, 19),
        headers=staff.headers,
    )
    assert onto.status_code == 409
    assert [h.status for h in await _holds(db, event["id"])] == ["cancelled", "confirmed"]

    cancelled = await client.post(
        f"/api/v1/manage/events/{event['id']}/cancel",
        json={"reason": "讲师临时有事"},
        headers=staff.headers,
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["roomBookingId"] is None
    assert [h.status for h in await _holds(db, event["id"])] == ["cancelled", "cancelled"]

    # Leaving the room altogether releases its hold too.
    out = await client.patch(
        f"/api/v1/manage/events/{clash['id']}", json={"roomId": None}, headers=staff.headers
    )
    assert out.status_code == 200
    assert out.json()["roomId"] is None
    assert [h.status for h in await _holds(db, clash["id"])] == ["cancelled"]
