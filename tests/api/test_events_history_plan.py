"""The events page walks the published events by start from the first live one, however much
history lies before it (issue 17, "Flat with history"), in the plan PostgreSQL makes for the
statement with its values and in the generic one asyncpg's prepared statements may switch to."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.events import listing
from tests import factories, plans

_INSERT = (
    "INSERT INTO events (id, title, summary, body, category, audience, location, starts_at,"
    " ends_at, registration_opens_at, registration_closes_at, capacity,"
    " max_seats_per_registration, status, created_by)"
    " SELECT gen_random_uuid(), 'e' || n, '', '', 'misc', 'all', 'hall',"
    " CAST(:now AS timestamptz) + n * CAST(:step AS interval),"
    " CAST(:now AS timestamptz) + n * CAST(:step AS interval) + interval '2 hours',"
    " CAST(:now AS timestamptz) + n * CAST(:step AS interval) - interval '10 days',"
    " CAST(:now AS timestamptz) + n * CAST(:step AS interval), 10, 1, 'published', :staff"
    " FROM generate_series(CAST(:first AS int),"
    " CAST(:last AS int)) AS n"
)


async def test_the_events_page_walks_from_the_first_live_event(
    db: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock
) -> None:
    (staff,) = await factories.users(db, settings, clock, 1, role="staff")
    now = clock.now()
    async with db() as session, session.begin():
        # 4,000 finished events (ten years of history) and 84 to come: the shape that made
        # PostgreSQL read every live event and sort them instead of walking (issue 17).
        for first, last in ((-4000, -1), (1, 84)):
            await session.execute(
                text(_INSERT),
                {
                    "now": now,
                    "step": timedelta(hours=20),
                    "staff": staff.id,
                    "first": first,
                    "last": last,
                },
            )
        await session.execute(text("ANALYZE events"))
    query = listing._list_query(
        until=False, category=False, audience=False, search=False, after=False
    )
    custom, generic = await plans.custom_and_generic(
        db,
        query,
        {
            "now": now,
            "starts_from": now,
            "until": None,
            "category": None,
            "audience": None,
            "pattern": None,
            "after_starts_at": None,
            "after_id": None,
            "limit": 21,
        },
    )
    for plan in (custom, generic):
        assert "Index Scan using ix_events_published_starts_at" in plan, plan
        assert "Sort" not in plan, plan
        # The bound's index serves the bound only (its predicate's ends_at > starts_at).
        assert plan.count("ix_events_live_from") == 1, plan
