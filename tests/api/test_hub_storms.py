"""Concurrent requests against each booking invariant. The client runs the app in this event
loop, so gathered requests truly overlap in the database; each storm runs three times, because
one lucky interleaving proves little."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import FrozenClock
from backend.hub.models import Booking, Closure
from tests.api.hub_support import (
    API,
    TUESDAY,
    Hub,
    active_bookings,
    at,
    book,
    make_hub,
)
from tests.conftest import problem
from tests.factories import MakeUser

pytestmark = pytest.mark.storm

ROUNDS = 3


@pytest.fixture
async def hub(client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock) -> Hub:
    return await make_hub(client, make_user, clock)


async def test_a_hundred_residents_one_slot(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub, db: async_sessionmaker[AsyncSession]
) -> None:
    for round_ in range(ROUNDS):
        # New residents each round: a winner of an earlier round would meet the active limit.
        residents = await asyncio.gather(*(make_user() for _ in range(100)))
        day = TUESDAY + timedelta(days=round_)
        responses = await asyncio.gather(
            *(book(client, r, hub.room_id, at(day, 9), at(day, 10)) for r in residents)
        )
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {201: 1, 409: 99}, statuses
        assert {problem(r)["code"] for r in responses if r.status_code == 409} == {
            "booking_conflict"
        }
        winner = next(r for r in responses if r.status_code == 201).json()
        on_day = [b for b in await active_bookings(db, hub.room_id) if b.starts_at == at(day, 9)]
        assert [str(b.id) for b in on_day] == [winner["id"]]


async def test_overlapping_requests_of_different_lengths_never_overlap(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub, db: async_sessionmaker[AsyncSession]
) -> None:
    residents = await asyncio.gather(*(make_user() for _ in range(40)))
    for round_ in range(ROUNDS):
        day = TUESDAY + timedelta(days=round_)
        # Every 30-minute start from 08:00 to 11:00, lasting 30, 60, 90 or 120 minutes.
        requests = []
        for index, resident in enumerate(residents):
            start = at(day, 8) + timedelta(minutes=30 * (index % 7))
            length = timedelta(minutes=30 * (1 + index % 4))
            end = min(start + length, at(day, 12))
            requests.append(book(client, resident, hub.room_id, start, end))
        responses = await asyncio.gather(*requests)
        assert {r.status_code for r in responses} <= {201, 409}, [
            r.text for r in responses if r.status_code not in (201, 409)
        ]
        created = sum(r.status_code == 201 for r in responses)
        assert created >= 2  # the morning holds at least two of these
        rows = [b for b in await active_bookings(db, hub.room_id) if b.starts_at.date() == day]
        assert len(rows) == created
        for before, after in itertools.pairwise(rows):
            assert before.ends_at <= after.starts_at, (before, after)
    # The database agrees that no two active bookings of the room overlap.
    async with db() as session:
        overlapping = await session.scalar(
            text(
                "SELECT count(*) FROM bookings a JOIN bookings b "
                "ON a.room_id = b.room_id AND a.id < b.id "
                "AND tstzrange(a.starts_at, a.ends_at) && tstzrange(b.starts_at, b.ends_at) "
                "WHERE a.status IN ('pending','confirmed','checked_in') "
                "AND b.status IN ('pending','confirmed','checked_in')"
            )
        )
    assert overlapping == 0


async def test_one_resident_racing_past_the_active_limit(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub, db: async_sessionmaker[AsyncSession]
) -> None:
    for round_ in range(ROUNDS):
        resident = await make_user()
        day = TUESDAY + timedelta(days=round_)
        # Ten different free slots at once: only the room's limit (2) may succeed.
        responses = await asyncio.gather(
            *(
                book(
                    client,
                    resident,
                    hub.room_id,
                    at(day, 13, 30) + timedelta(minutes=30 * n),
                    at(day, 14) + timedelta(minutes=30 * n),
                )
                for n in range(10)
            )
        )
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {201: 2, 409: 8}, statuses
        assert {problem(r)["code"] for r in responses if r.status_code == 409} == {
            "booking_limit_reached"
        }
        async with db() as session:
            mine = await session.scalar(
                select(text("count(*)"))
                .select_from(Booking)
                .where(Booking.user_id == resident.id, Booking.status == "confirmed")
            )
        assert mine == 2


async def test_a_closure_racing_new_bookings(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub, db: async_sessionmaker[AsyncSession]
) -> None:
    residents = await asyncio.gather(*(make_user() for _ in range(30)))
    for round_ in range(ROUNDS):
        day = TUESDAY + timedelta(days=round_)
        slots = [(at(day, 13, 30) + timedelta(minutes=30 * n)) for n in range(15)]
        bookings = [
            book(client, r, hub.room_id, slots[i % 15], slots[i % 15] + timedelta(minutes=30))
            for i, r in enumerate(residents)
        ]
        closure = client.post(
            f"{API}/manage/venues/{hub.venue_id}/closures",
            json={
                "startsAt": at(day, 13, 30).isoformat(),
                "endsAt": at(day, 21).isoformat(),
                "reason": "临时停电",
            },
            headers=hub.worker.headers,
        )
        # The closure goes in the middle of the storm.
        responses = await asyncio.gather(*bookings[:15], closure, *bookings[15:])
        closed = responses[15]
        assert closed.status_code == 201, closed.text
        others = responses[:15] + responses[16:]
        assert {r.status_code for r in others} <= {201, 409, 422}, [r.text for r in others]
        assert {problem(r)["code"] for r in others if r.status_code == 422} <= {"room_closed"}
        # Whatever won before the closure was cancelled by it; nothing got in after it.
        assert [
            b for b in await active_bookings(db, hub.room_id) if b.starts_at.date() == day
        ] == []
        async with db() as session:
            closures = (
                await session.scalars(select(Closure).where(Closure.venue_id == hub.venue_id))
            ).all()
        assert len(closures) == round_ + 1


async def test_a_closure_sent_at_once_with_one_key_closes_once(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub, db: async_sessionmaker[AsyncSession]
) -> None:
    for round_ in range(ROUNDS):
        day = TUESDAY + timedelta(days=round_)
        resident = await make_user()
        await book(client, resident, hub.room_id, at(day, 9), at(day, 10))
        headers = {**hub.worker.headers, "Idempotency-Key": f"close-{day.isoformat()}"}
        body = {
            "startsAt": at(day, 8).isoformat(),
            "endsAt": at(day, 12).isoformat(),
            "reason": "停电检修",
        }
        # A phone retrying twenty times over while the first attempt still runs.
        responses = await asyncio.gather(
            *(
                client.post(
                    f"{API}/manage/rooms/{hub.room_id}/closures", json=body, headers=headers
                )
                for _ in range(20)
            )
        )
        assert {r.status_code for r in responses} <= {201, 409}, [r.text for r in responses]
        assert {problem(r)["code"] for r in responses if r.status_code == 409} <= {
            "idempotency_request_in_progress"
        }
        made = [r for r in responses if r.status_code == 201]
        first = [r for r in made if "idempotent-replayed" not in r.headers]
        assert len(first) == 1
        assert {r.json()["id"] for r in made} == {first[0].json()["id"]}
        assert first[0].json()["cancelledBookings"] == 1
        async with db() as session:
            closures = (
                await session.scalars(
                    select(Closure).where(
                        Closure.room_id == hub.room_id, Closure.starts_at == at(day, 8)
                    )
                )
            ).all()
        assert [str(c.id) for c in closures] == [first[0].json()["id"]]
