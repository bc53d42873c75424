"""Every list endpoint costs the same number of SQL statements for one item and for a full
page (100, or as many as the domain allows): no query per item (N+1).

The hub's and the events' own lists are measured in ``test_hub_integration`` and
``test_events_queries``; these are the others.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.catalog import service as catalog
from backend.catalog.models import Program, ProgramService
from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.hub.models import Closure, Room, Venue, WorkerVenue
from backend.identity import members
from backend.identity import service as identity_service
from backend.identity.models import User
from backend.notifications.service import notify_many
from schemas.identity import MemberIn
from tests.factories import Account, MakeUser
from tests.querycount import cost

API = "/api/v1"
PAGE = 100
Sessions = async_sessionmaker[AsyncSession]


@asynccontextmanager
async def transaction(db: Sessions) -> AsyncIterator[AsyncSession]:
    async with db() as session, session.begin():
        yield session


async def test_my_sessions(
    app: Litestar,
    client: httpx.AsyncClient,
    make_user: MakeUser,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
) -> None:
    me = await make_user()  # logged in once: one session
    path = f"{API}/me/sessions"
    few = await cost(app, client, path, headers=me.headers, expect_items=1, limit=PAGE)
    async with transaction(db) as session:
        user = await session.get(User, me.id)
        assert user is not None
        for _ in range(PAGE + 5):
            await identity_service.open_session(session, settings, user, now=clock.now())
    many = await cost(app, client, path, headers=me.headers, expect_items=PAGE, limit=PAGE)
    assert few == many


async def test_my_members(
    app: Litestar, client: httpx.AsyncClient, make_user: MakeUser, db: Sessions, clock: FrozenClock
) -> None:
    me = await make_user()

    async def add(count: int) -> None:
        async with transaction(db) as session:
            for n in range(count):
                member = MemberIn(name=f"家人{n}", relation="daughter", birth_date=date(2015, 1, 1))
                await members.add_member(
                    session, me.id, member, now=clock.now(), today=clock.today()
                )

    path = f"{API}/me/members"
    await add(1)
    few = await cost(app, client, path, headers=me.headers, expect_items=1, limit=PAGE)
    await add(members.MAX_MEMBERS - 1)  # a household holds at most 20
    many = await cost(
        app, client, path, headers=me.headers, expect_items=members.MAX_MEMBERS, limit=PAGE
    )
    assert few == many


async def test_admin_users(
    app: Litestar, client: httpx.AsyncClient, make_user: MakeUser, db: Sessions, clock: FrozenClock
) -> None:
    admin = await make_user("admin")  # the only account
    path = f"{API}/admin/users"
    few = await cost(app, client, path, headers=admin.headers, expect_items=1, limit=PAGE)
    now = clock.now()
    async with transaction(db) as session:
        session.add_all(
            User(
                phone=str(13900000000 + n),
                display_name=f"居民{n}",
                role=("resident", "worker", "staff")[n % 3],
                created_at=now,
                updated_at=now,
            )
            for n in range(PAGE + 5)
        )
    many = await cost(app, client, path, headers=admin.headers, expect_items=PAGE, limit=PAGE)
    assert few == many
    # and filtered by role
    few = await cost(
        app, client, path, headers=admin.headers, expect_items=1, limit=PAGE, role="admin"
    )
    many = await cost(
        app, client, path, headers=admin.headers, expect_items=35, limit=PAGE, role="worker"
    )
    assert few == many


async def test_my_notifications(
    app: Litestar, client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    me = await make_user()

    async def send(count: int) -> None:
        data = {"room": "高照三合一 活动室", "when": "6月3日 09:00–10:00", "reason": "检修"}
        async with transaction(db) as session:
            await notify_many(session, user_ids=[me.id] * count, kind="booking_closure", data=data)

    path = f"{API}/me/notifications"
    await send(1)
    few = [
        await cost(app, client, path, headers=me.headers, expect_items=1, limit=PAGE),
        await cost(
            app, client, path, headers=me.headers, expect_items=1, limit=PAGE, unreadOnly=True
        ),
    ]
    await send(PAGE + 5)
    many = [
        await cost(app, client, path, headers=me.headers, expect_items=PAGE, limit=PAGE),
        await cost(
            app, client, path, headers=me.headers, expect_items=PAGE, limit=PAGE, unreadOnly=True
        ),
    ]
    assert few == many


async def add_venues(db: Sessions, count: int, worker: Account | None = None) -> list[UUID]:
    """``count`` venues of two rooms each, assigned to ``worker``."""
    async with transaction(db) as session:
        venues = [Venue(name=f"社区中心{n}", address="嘉兴市南湖区") for n in range(count)]
        session.add_all(venues)
        await session.flush()
        for venue in venues:
            session.add_all(
                Room(
                    venue_id=venue.id,
                    name=f"活动室{n}",
                    kind="activity",
                    capacity=20,
                    slot_minutes=60,
                    min_minutes=60,
                    max_minutes=120,
                    bookable_days_ahead=14,
                    cancel_cutoff_minutes=60,
                    max_active_bookings_per_user=2,
                )
                for n in range(2)
            )
            if worker is not None:
                session.add(WorkerVenue(user_id=worker.id, venue_id=venue.id))
        return [venue.id for venue in venues]


async def test_venues_public_and_managed(
    app: Litestar, client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    admin = await make_user("admin")
    worker = await make_user("worker")

    async def costs(items: int) -> list[int]:
        return [
            await cost(app, client, f"{API}/venues", expect_items=items, limit=PAGE),
            await cost(
                app,
                client,
                f"{API}/manage/venues",
                headers=admin.headers,
                expect_items=items,
                limit=PAGE,
            ),
            await cost(
                app,
                client,
                f"{API}/manage/venues",
                headers=worker.headers,
                expect_items=items,
                limit=PAGE,
            ),
        ]

    await add_venues(db, 1, worker)
    few = await costs(1)
    await add_venues(db, PAGE + 5, worker)
    many = await costs(PAGE)
    assert few == many


async def test_venue_closures(
    app: Litestar, client: httpx.AsyncClient, make_user: MakeUser, db: Sessions, clock: FrozenClock
) -> None:
    admin = await make_user("admin")
    worker = await make_user("worker")
    (venue_id,) = await add_venues(db, 1, worker)
    start = clock.now() + timedelta(days=1)

    async def close(count: int) -> None:
        async with transaction(db) as session:
            room_ids = list(
                await session.scalars(Room.__table__.select().with_only_columns(Room.id))
            )
            session.add_all(
                Closure(
                    venue_id=venue_id,
                    room_id=(None, *room_ids)[n % 3],
                    starts_at=start + timedelta(hours=n),
                    ends_at=start + timedelta(hours=n + 2),
                    reason="检修",
                    created_by=admin.id,
                )
                for n in range(count)
            )

    path = f"{API}/manage/venues/{venue_id}/closures"

    async def costs(items: int) -> list[int]:
        return [
            await cost(app, client, path, headers=who.headers, expect_items=items, limit=PAGE)
            for who in (admin, worker)
        ]

    await close(1)
    few = await costs(1)
    await close(PAGE + 5)
    many = await costs(PAGE)
    assert few == many


@pytest.fixture
def cold_catalog() -> Iterator[None]:
    """The catalog is cached per process: measure loading it, and leave no test rows cached."""
    catalog.clear_cache()
    yield
    catalog.clear_cache()


async def test_programs(
    app: Litestar, client: httpx.AsyncClient, db: Sessions, cold_catalog: None
) -> None:
    path = f"{API}/programs"

    async def replace_catalog(count: int) -> None:
        async with transaction(db) as session:
            await session.execute(delete(Program))  # their services go with them
            for n in range(count):
                code = f"program{n}"
                texts: dict[str, Any] = {
                    "name_zh": f"项目{n}",
                    "name_en": f"Program {n}",
                    "description_zh": "说明",
                    "description_en": "About",
                }
                session.add(Program(code=code, position=n, **texts))
                await session.flush()
                session.add_all(
                    ProgramService(
                        code=f"{code}-s{k}", program_code=code, position=k, kind="info", **texts
                    )
                    for k in range(3)
                )
        catalog.clear_cache()

    await replace_catalog(1)
    few = await cost(app, client, path, expect_items=1)
    await replace_catalog(PAGE)
    many = await cost(app, client, path, expect_items=PAGE)
    assert few == many
    # once loaded, the catalog costs nothing
    with pytest.raises(AssertionError, match="sent no statement"):
        await cost(app, client, path, expect_items=PAGE)
