"""The care orders' lists and the dispatcher's board cost the same number of SQL statements for
one order and for many (no query per order), and the board is one statement."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import UUID

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import insert, select

from backend.config import Settings
from backend.core.base import new_id
from backend.core.clock import FrozenClock
from backend.eldercare.models import CareOrder
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
