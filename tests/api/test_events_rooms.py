"""An event in a hub room holds the room, through the hub's service, from publish to cancel."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.hub.models import Booking
from backend.notifications.models import Notification
from tests import factories
from tests.api.events_support import iso, register
from tests.conftest import problem
from tests.factories import (
    Account,
    MakeUser,
    create_room,
    create_venue,
    draft,
    event_body,
    published,
)

LOCAL = ZoneInfo("Asia/Shanghai")


async def _room(client: httpx.AsyncClient, admin: Account) -> str:
    venue = await create_venue(client, admin.headers)
    room = await create_room(client, admin.headers, venue["id"], CALLIGRAPHY_ROOM)
    return str(room["id"])


CALLIGRAPHY_ROOM = {
    "name": "书法室",
    "kind": "calligraphy",
    "capacity": 30,
    "slotMinutes": 30,
    "minMinutes": 30,
    "maxMinutes": 180,
    "bookableDaysAhead": 14,
}


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


async def test_a_closure_over_an_event_hold_is_refused_unless_an_admin_forces_it(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    admin, staff, worker = (
        await make_user("admin"),
        await make_user("staff"),
        await make_user("worker"),
    )
    room_id = await _room(client, admin)
    venue_id = (await client.get("/api/v1/venues")).json()["items"][0]["id"]
    assigned = await client.put(
        f"/api/v1/admin/users/{worker.id}/venues",
        json={"venueIds": [venue_id]},
        headers=admin.headers,
    )
    assert assigned.status_code == 200, assigned.text
    when = _evening(clock, 3)
    event = await published(client, staff.headers, clock, roomId=room_id, **when)
    (person,) = await factories.users(db, settings, clock, 1)
    assert (await register(client, event["id"], person.headers)).status_code == 201
    starts = datetime.fromisoformat(when["startsAt"])
    closure = {
        "startsAt": iso(starts - timedelta(hours=1)),
        "endsAt": iso(starts + timedelta(hours=3)),
        "reason": "屋顶漏水",
    }
    url = f"/api/v1/manage/rooms/{room_id}/closures"

    # The venue's worker is refused, force or not, and told which events hold the room.
    for body in (closure, {**closure, "force": True}):
        refused = await client.post(url, json=body, headers=worker.headers)
        assert refused.status_code == 409, refused.text
        assert problem(refused)["code"] == "closure_conflicts_event"
        assert problem(refused)["events"] == [
            {
                "eventId": event["id"],
                "roomId": room_id,
                "startsAt": event["startsAt"],
                "endsAt": event["endsAt"],
            }
        ]
    assert [h.status for h in await _holds(db, event["id"])] == ["confirmed"]
    unchanged = await client.get(f"/api/v1/manage/events/{event['id']}", headers=staff.headers)
    assert unchanged.json()["roomId"] == room_id

    # An admin forces it: the event keeps its time and place text, loses its room.
    forced = await client.post(url, json={**closure, "force": True}, headers=admin.headers)
    assert forced.status_code == 201, forced.text
    assert forced.json()["cancelledBookings"] == 1
    assert [h.status for h in await _holds(db, event["id"])] == ["cancelled"]
    after = (await client.get(f"/api/v1/manage/events/{event['id']}", headers=staff.headers)).json()
    assert (after["status"], after["roomId"], after["roomBookingId"]) == ("published", None, None)
    assert (after["startsAt"], after["location"]) == (event["startsAt"], event["location"])
    assert (await client.get(f"/api/v1/events/{event['id']}")).json()["roomId"] is None

    async with db() as session:
        told = (
            await session.execute(
                select(Notification.user_id, Notification.kind, Notification.data).order_by(
                    Notification.kind
                )
            )
        ).all()
    assert [(t.user_id, t.kind) for t in told] == [
        (person.id, "event_room_closed"),
        (staff.id, "event_room_lost"),
    ]
    for t in told:
        assert t.data["eventId"] == event["id"]
        assert t.data["reason"] == "屋顶漏水"
        assert t.data["room"] == "高照三合一服务综合体 · 书法室"
    inbox = await client.get("/api/v1/me/notifications", headers=person.headers)
    assert "屋顶漏水" in inbox.json()["items"][0]["body"]
