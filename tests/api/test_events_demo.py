"""``qiyou demo`` loads a season of 艳阳高照 events with registrations, and adds nothing twice."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend import demo
from backend.config import Settings
from backend.events.models import Event, Registration


async def _counts(db: async_sessionmaker[AsyncSession]) -> tuple[int, int, int]:
    async with db() as session:
        events = (await session.execute(select(func.count()).select_from(Event))).scalar_one()
        confirmed = (
            await session.execute(select(func.count()).where(Registration.status == "confirmed"))
        ).scalar_one()
        waitlisted = (
            await session.execute(select(func.count()).where(Registration.status == "waitlisted"))
        ).scalar_one()
    return events, confirmed, waitlisted


async def test_demo_season_loads_once(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with db() as session, session.begin():
        summary = await demo.load(session, settings)
    assert any(line.startswith("events:") for line in summary)
    first = await _counts(db)
    events, confirmed, waitlisted = first
    assert events == 12
    assert confirmed == 9
    assert waitlisted == 1  # the four-seat boat ride is over-subscribed

    async with db() as session, session.begin():
        await demo.load(session, settings)
    assert await _counts(db) == first

    listed = (await client.get("/api/v1/events", params={"limit": 100})).json()["items"]
    assert len(listed) == 12
    categories = {e["category"] for e in listed}
    assert {"canal_culture", "opera", "festival", "calligraphy", "paper_cutting"} <= categories
    starts = [e["startsAt"] for e in listed]
    assert starts == sorted(starts)
    # The classes hold rooms of the hub's demo complex.
    classes = [e for e in listed if e["category"] in ("calligraphy", "paper_cutting")]
    assert all(e["roomId"] for e in classes)
    boat = next(e for e in listed if "摇橹船" in e["title"])
    assert (boat["seatsLeft"], boat["waitlistLength"]) == (0, 1)
