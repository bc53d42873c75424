"""The care orders' lists and the dispatcher's board cost the same number of SQL statements for
one order and for many (no query per order), and the board is one statement."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import UUID

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import insert, select, text

from backend.config import Settings
from backend.core.auth import Role
from backend.core.base import new_id
from backend.core.clock import FrozenClock
from backend.eldercare import dispatch, order_rules
from backend.eldercare.models import CareOrder, CareProfile
from tests import factories, plans
from tests.api.care_support import (
    API,
    DAY,
    Sessions,
    assign,
    at,
    make_household,
    make_provider,
    ordered,
)
from tests.factories import MakeUser
from tests.querycount import cost, counting

MANY = 40


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, access_token_ttl_seconds=30 * 24 * 3600)


async def _copies(db: Sessions, order_id: str, count: int, **values: object) -> None:
    """``count`` more orders like ``order_id``, a quarter of an hour apart after it."""
    async with db() as session, session.begin():
        original = (
            await session.execute(select(CareOrder).where(CareOrder.id == UUID(order_id)))
        ).scalar_one()
        columns = {
            c.key: getattr(original, c.key) for c in CareOrder.__table__.columns if c.key != "id"
        }
        rows = []
        for n in range(1, count + 1):
            shift = timedelta(minutes=15 * n)
            rows.append(
                {
                    **columns,
                    "id": new_id(),
                    "starts_at": original.starts_at + shift,
                    "ends_at": original.ends_at + shift,
                    **values,
                }
            )
        await session.execute(insert(CareOrder), rows)


async def test_lists_and_board_cost_the_same_for_one_order_and_many(
    app: Litestar,
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    make_user: MakeUser,
) -> None:
    clock.set(at(DAY, 6))
    provider = await make_provider(db, settings, clock, caregivers=1)
    household = await make_household(client, db, make_user)
    caregiver = provider.caregivers[0]
    first = await ordered(client, household, at(DAY, 7), service="haircut")
    assert (await assign(client, provider.dispatcher, first["id"], caregiver)).status_code == 200
    reads = [
        (f"{API}/me/care/orders", household.resident.headers, {"limit": 100}),
        (f"{API}/manage/care/orders", provider.dispatcher.headers, {"limit": 100}),
        (f"{API}/caregiver/visits", caregiver.headers, {"date": DAY.isoformat(), "limit": 100}),
    ]
    few = [await cost(app, client, p, headers=h, expect_items=1, **q) for p, h, q in reads]
    # Completed visits of the same caregiver: on the day, without holding the caregiver's time.
    await _copies(db, first["id"], MANY, status="completed")
    many = [await cost(app, client, p, headers=h, expect_items=MANY + 1, **q) for p, h, q in reads]
    assert few == many

    board = f"{API}/manage/care/board"
    with counting(app) as statements:
        answer = await client.get(
            board, params={"date": DAY.isoformat()}, headers=provider.dispatcher.headers
        )
    assert answer.status_code == 200
    assert sum(c["count"] for c in answer.json()["columns"]) == MANY + 1
    orders = [s for s in statements if "care_orders" in s]
    assert len(orders) == 1, orders


ELDERS = 3000


async def test_the_board_reads_only_its_days_profiles_however_many_elders_there_are(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    make_user: MakeUser,
) -> None:
    """The board looks each order's masked address up by the profile's key, in the plan
    PostgreSQL makes for the day's values and in the generic one asyncpg's prepared statements
    switch to: a join let the generic plan hash every care profile of the sub-district on every
    request (1.25 ms of PostgreSQL for a day of 42 orders among 2,000 elders in the benchmark's
    data; issue 17)."""
    clock.set(at(DAY, 6))
    provider = await make_provider(db, settings, clock, caregivers=1)
    household = await make_household(client, db, make_user)
    first = await ordered(client, household, at(DAY, 7), service="haircut")
    await _copies(db, first["id"], MANY, status="completed")
    owners = await factories.users(db, settings, clock, ELDERS, prefix="长者")
    async with db() as session, session.begin():
        await session.execute(
            insert(CareProfile),
            [
                {
                    "id": new_id(),
                    "owner_id": owner.id,
                    "address_enc": b"\x01sealed",
                    "address_masked": "嘉兴市****",
                    "lat": 30.77,
                    "lng": 120.76,
                }
                for owner in owners
            ],
        )
        # A day of orders for elders all over the sub-district, as a real board has.
        await session.execute(
            text(
                "UPDATE care_orders o SET care_profile_id = p.id"
                " FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM care_orders) x,"
                " (SELECT id, row_number() OVER (ORDER BY id) AS n FROM care_profiles) p"
                " WHERE o.id = x.id AND p.n = x.n * 70"
            )
        )
        await session.execute(text("ANALYZE care_profiles"))
        await session.execute(text("ANALYZE care_orders"))
    answer = await client.get(
        f"{API}/manage/care/board",
        params={"date": DAY.isoformat()},
        headers=provider.dispatcher.headers,
    )
    orders = [o for column in answer.json()["columns"] for o in column["orders"]]
    assert len(orders) == MANY + 1
    # Every order still shows its own elder's masked address, looked up by its profile.
    assert sum(o["address"] == "嘉兴市****" for o in orders) == MANY + 1
    query = dispatch._board_query(Role.DISPATCHER)
    start, end = order_rules.day_bounds(DAY)
    custom, generic = await plans.custom_and_generic(
        db, query, {"user_id": provider.dispatcher.id, "start": start, "end": end}
    )
    for plan in (custom, generic):
        lines = [line.strip() for line in plan.splitlines()]
        scans = [n for n, line in enumerate(lines) if " on care_profiles" in line]
        assert scans, plan
        for n in scans:
            # Each access to the profiles is a subplan run per order, a lookup by the order's
            # profile: whatever the planner estimates, it cannot become a scan of them all
            # (which plan a join gets depends on the counts: the benchmark's data made it a
            # hash of every profile, this test's a lookup).
            assert lines[n - 1].startswith("SubPlan"), plan
            assert lines[n].startswith("->  Index Scan using pk_care_profiles"), plan
            assert lines[n + 1] == "Index Cond: (id = care_orders.care_profile_id)", plan
