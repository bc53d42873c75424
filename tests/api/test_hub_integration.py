"""The hub as other parts see it: the home screen's next booking, the events domain's room
holds, the database's own rules, and lists whose query count does not grow with their length."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.core.errors import AppError
from backend.hub import service as hub_service
from tests.api.hub_support import (
    API,
    TUESDAY,
    Hub,
    at,
    book,
    booked,
    make_hub,
)
from tests.conftest import problem
from tests.factories import MakeUser
from tests.querycount import counting


@pytest.fixture
async def hub(client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock) -> Hub:
    return await make_hub(client, make_user, clock)


async def test_home_shows_the_next_booking(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub, clock: FrozenClock
) -> None:
    resident = await make_user()
    assert (await client.get(f"{API}/home", headers=resident.headers)).json()["nextBooking"] is None
    later = await booked(client, resident, hub.room_id, at(TUESDAY, 14), at(TUESDAY, 15))
    sooner = await booked(client, resident, hub.room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    home = (await client.get(f"{API}/home", headers=resident.headers)).json()
    assert home["nextBooking"]["id"] == sooner["id"]
    assert home["nextBooking"]["checkInCode"] == sooner["checkInCode"]
    clock.set(at(TUESDAY, 10))
    home = (await client.get(f"{API}/home", headers=resident.headers)).json()
    assert home["nextBooking"]["id"] == later["id"]
    assert (await client.get(f"{API}/home")).json()["nextBooking"] is None


# --- event holds ------------------------------------------------------------------------------


async def test_an_event_holds_and_releases_its_room(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    hub: Hub,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    settings: Settings,
) -> None:
    staff = await make_user("staff")
    event_id = uuid4()
    room_id = UUID(hub.room_id)
    async with db() as session, session.begin():
        assert await hub_service.room_label(session, room_id) == "高照三合一 · 活动室"
        assert await hub_service.room_label(session, uuid4()) is None
        # Staff holds ignore the slot grid and opening hours.
        hold = await hub_service.hold_room_for_event(
            session,
            room_id=room_id,
            starts_at=at(TUESDAY, 18, 45),
            ends_at=at(TUESDAY, 21, 15),
            event_id=event_id,
            title="运河故事会",
            held_by=staff.id,
            now=clock.now(),
            data_key=settings.data_key,
        )
        # Holding again for the same event and time is the same hold.
        assert (
            await hub_service.hold_room_for_event(
                session,
                room_id=room_id,
                starts_at=at(TUESDAY, 18, 45),
                ends_at=at(TUESDAY, 21, 15),
                event_id=event_id,
                title="运河故事会",
                held_by=staff.id,
                now=clock.now(),
                data_key=settings.data_key,
            )
            == hold
        )
    resident = await make_user()
    clash = await book(client, resident, hub.room_id, at(TUESDAY, 20), at(TUESDAY, 20, 30))
    assert problem(clash)["code"] == "booking_conflict"
    day = (
        await client.get(
            f"{API}/rooms/{hub.room_id}/availability", params={"date": TUESDAY.isoformat()}
        )
    ).json()
    assert {s["state"] for s in day["slots"] if s["startsAt"][11:16] >= "19:00"} == {"booked"}
    # A worker cannot cancel an event's hold from under it.
    refused = await client.post(
        f"{API}/bookings/{hold}/cancel", json={"reason": "x"}, headers=hub.worker.headers
    )
    assert problem(refused)["code"] == "booking_held_by_event"
    async with db() as session, session.begin():
        with pytest.raises(AppError) as taken:
            await hub_service.hold_room_for_event(
                session,
                room_id=room_id,
                starts_at=at(TUESDAY, 20),
                ends_at=at(TUESDAY, 22),
                event_id=uuid4(),
                title="另一个活动",
                held_by=staff.id,
                now=clock.now(),
                data_key=settings.data_key,
            )
        assert (taken.value.status, taken.value.code) == (409, "booking_conflict")
        with pytest.raises(AppError) as missing:
            await hub_service.hold_room_for_event(
                session,
                room_id=uuid4(),
                starts_at=at(TUESDAY, 20),
                ends_at=at(TUESDAY, 22),
                event_id=uuid4(),
                title="x",
                held_by=staff.id,
                now=clock.now(),
                data_key=settings.data_key,
            )
        assert missing.value.status == 404
        # The failed holds left the transaction usable.
        await hub_service.release_event_hold(session, booking_id=hold, now=clock.now())
        await hub_service.release_event_hold(session, booking_id=hold, now=clock.now())
    assert (
        await book(client, resident, hub.room_id, at(TUESDAY, 20), at(TUESDAY, 20, 30))
    ).status_code == 201


async def test_an_event_cannot_hold_a_closed_room(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    hub: Hub,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    settings: Settings,
) -> None:
    await client.post(
        f"{API}/manage/venues/{hub.venue_id}/closures",
        json={
            "startsAt": at(TUESDAY, 0).isoformat(),
            "endsAt": at(TUESDAY, 23).isoformat(),
            "reason": "整修",
        },
        headers=hub.admin.headers,
    )
    staff = await make_user("staff")
    async with db() as session, session.begin():
        with pytest.raises(AppError) as closed:
            await hub_service.hold_room_for_event(
                session,
                room_id=UUID(hub.room_id),
                starts_at=at(TUESDAY, 19),
                ends_at=at(TUESDAY, 21),
                event_id=uuid4(),
                title="x",
                held_by=staff.id,
                now=clock.now(),
                data_key=settings.data_key,
            )
        assert closed.value.code == "room_closed"


# --- the database's own rules -----------------------------------------------------------------


async def test_the_database_refuses_overlaps_and_bookings_inside_closures(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub, db: async_sessionmaker[AsyncSession]
) -> None:
    """Whatever code writes to the tables, the rules hold: no service involved here."""
    resident = await make_user()
    await booked(client, resident, hub.room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    insert = text(
        "INSERT INTO bookings (id, room_id, user_id, kind, starts_at, ends_at, status, purpose, "
        "attendees, contact_name, check_in_hash, check_in_code_enc) VALUES (:id, :room, :user, "
        "'resident', :s, :e, :status, 'x', 1, 'x', :code, 'x')"
    )

    async def insert_booking(start: Any, end: Any, status: str = "confirmed") -> None:
        async with db() as session, session.begin():
            await session.execute(
                insert,
                {
                    "id": uuid4(),
                    "room": UUID(hub.room_id),
                    "user": resident.id,
                    "s": start,
                    "e": end,
                    "status": status,
                    "code": uuid4().hex,
                },
            )

    with pytest.raises(IntegrityError) as overlap:
        await insert_booking(at(TUESDAY, 9, 30), at(TUESDAY, 11))
    assert constraint(overlap.value) == "ex_bookings_no_overlap"
    # Cancelled bookings occupy nothing.
    await insert_booking(at(TUESDAY, 9, 30), at(TUESDAY, 11), status="cancelled")
    await client.post(
        f"{API}/manage/rooms/{hub.room_id}/closures",
        json={
            "startsAt": at(TUESDAY, 14).isoformat(),
            "endsAt": at(TUESDAY, 16).isoformat(),
            "reason": "检修",
        },
        headers=hub.worker.headers,
    )
    with pytest.raises(IntegrityError) as inside:
        await insert_booking(at(TUESDAY, 15), at(TUESDAY, 17))
    assert constraint(inside.value) == "ck_bookings_outside_closures"
    with pytest.raises(IntegrityError) as over:
        async with db() as session, session.begin():
            await session.execute(
                text(
                    "INSERT INTO closures (id, venue_id, room_id, starts_at, ends_at, reason) "
                    "VALUES (:id, :venue, NULL, :s, :e, 'x')"
                ),
                {
                    "id": uuid4(),
                    "venue": UUID(hub.venue_id),
                    "s": at(TUESDAY, 8),
                    "e": at(TUESDAY, 12),
                },
            )
    assert constraint(over.value) == "ck_closures_clear_of_bookings"


def constraint(error: IntegrityError) -> str | None:
    return getattr(error.orig.__cause__, "constraint_name", None)  # type: ignore[union-attr]


# --- query counts -------------------------------------------------------------------------------


async def test_lists_cost_the_same_queries_for_one_item_and_many(
    app: Litestar, client: httpx.AsyncClient, make_user: MakeUser, hub: Hub
) -> None:
    resident = await make_user()
    extra_rooms = []
    for n in range(5):
        response = await client.post(
            f"{API}/manage/venues/{hub.venue_id}/rooms",
            json={
                "name": f"教室{n}",
                "kind": "classroom",
                "capacity": 30,
                "slotMinutes": 60,
                "minMinutes": 60,
                "maxMinutes": 120,
                "maxActiveBookingsPerUser": 5,
            },
            headers=hub.admin.headers,
        )
        extra_rooms.append(response.json()["id"])

    async def cost(method: str, path: str, who: Any = None, **params: Any) -> int:
        headers = who.headers if who is not None else {}
        with counting(app) as statements:
            response = await client.request(method, path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        return len(statements)

    reads: list[tuple[str, Any, dict[str, Any]]] = [
        (f"{API}/me/bookings", resident, {}),
        (f"{API}/manage/bookings", hub.worker, {}),
        (f"{API}/venues", None, {}),
        (f"{API}/venues/{hub.venue_id}/availability", None, {"date": TUESDAY.isoformat()}),
    ]
    await booked(client, resident, hub.room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    few = [await cost("GET", path, who, **params) for path, who, params in reads]
    for n, room in enumerate(extra_rooms):
        day = TUESDAY + timedelta(days=n % 3)
        await booked(client, resident, room, at(day, 14, 30), at(day, 15, 30))
        await booked(client, resident, room, at(day, 16, 30), at(day, 17, 30))
    many = [await cost("GET", path, who, **params) for path, who, params in reads]
    assert all(few)
    assert few == many
