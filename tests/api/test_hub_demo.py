"""``qiyou demo`` builds the Gaozhao three-in-one complex with its rooms and some bookings, and
adds nothing the second time."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend import demo
from backend.config import Settings
from backend.hub.models import Booking, Room, Venue, WorkerVenue
from backend.identity import service as identity


async def _counts(db: async_sessionmaker[AsyncSession]) -> tuple[int, int, int, int]:
    async with db() as session:
        counts = []
        for model in (Venue, Room, Booking, WorkerVenue):
            counts.append(
                (await session.execute(select(func.count()).select_from(model))).scalar_one()
            )
    return counts[0], counts[1], counts[2], counts[3]


async def test_demo_complex_loads_once(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with db() as session, session.begin():
        summary = await demo.load(session, settings)
    assert any(line.startswith("hub:") for line in summary)
    first = await _counts(db)
    venues, rooms, bookings, assignments = first
    assert (venues, rooms, assignments) == (1, 7, 1)
    assert bookings >= 8  # the choir's eight Tuesdays, and residents' bookings most days

    async with db() as session, session.begin():
        await demo.load(session, settings)
    assert await _counts(db) == first

    (venue,) = (await client.get("/api/v1/venues")).json()["items"]
    kinds = {room["kind"] for room in venue["rooms"]}
    assert kinds == {
        "activity", "calligraphy", "reading", "gym", "canteen", "playroom", "meeting",
    }  # fmt: skip
    async with db() as session:
        worker = await identity.find_user_by_phone(session, "13900000002")
        resident = await identity.find_user_by_phone(session, "13900000011")
    assert worker is not None
    assert resident is not None
    async with db() as session:
        mine = (await session.scalars(select(Booking).where(Booking.user_id == resident.id))).all()
    assert mine, "a demo resident has bookings to show"
