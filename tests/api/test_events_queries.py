"""The events lists cost the same number of SQL statements for one item and for a full page:
seat counts come from the event row's counters, names and positions from one query per page."""

from __future__ import annotations

import httpx
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import FrozenClock
from tests import factories
from tests.api.events_support import register, years_ago
from tests.factories import Account, published
from tests.querycount import counting


async def test_lists_cost_the_same_for_one_item_and_many(
    app: Litestar,
    client: httpx.AsyncClient,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    (staff,) = await factories.users(db, settings, clock, 1, role="staff")
    crowd = await factories.users(db, settings, clock, 40)
    first = await published(client, staff.headers, clock, capacity=20, maxSeatsPerRegistration=2)
    child = str(await factories.add_member(db, crowd[0].id, "小雨", years_ago(clock, 8)))
    await register(client, first["id"], crowd[0].headers, 2, [child])

    async def cost(path: str, who: Account | None = None) -> int:
        with counting(app) as statements:
            response = await client.get(
                path, params={"limit": 100}, headers=who.headers if who else {}
            )
        assert response.status_code == 200, response.text
        return len(statements)

    reads: list[tuple[str, Account | None]] = [
        ("/api/v1/events", None),
        ("/api/v1/manage/events", staff),
        ("/api/v1/me/registrations", crowd[0]),
        (f"/api/v1/manage/events/{first['id']}/registrations", staff),
    ]
    few = [await cost(path, who) for path, who in reads]

    for i in range(12):
        event = await published(client, staff.headers, clock, title=f"第{i}场")
        await register(client, event["id"], crowd[0].headers)
    for person in crowd[1:]:
        await register(client, first["id"], person.headers, 2)  # 20 seats: most wait
    many = [await cost(path, who) for path, who in reads]
    assert all(few)
    assert few == many
