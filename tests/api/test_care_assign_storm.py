"""Concurrent requests against the care orders' invariants: a caregiver's visits never overlap
(the exclusion constraint), and an order is cancelled once (the conditional UPDATE). The
client runs the app in this event loop, so gathered requests truly overlap in the database;
each storm runs three times, because one lucky interleaving proves little."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.eldercare.models import CareOrder
from tests.api.care_support import (
    DAY,
    ORDERS,
    assign,
    at,
    inbox,
    make_household,
    make_provider,
    ordered,
)
from tests.conftest import problem
from tests.factories import MakeUser, care_staff

pytestmark = pytest.mark.storm

ROUNDS = 3
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, access_token_ttl_seconds=30 * 24 * 3600)


async def test_twenty_dispatchers_one_caregiver_overlapping_visits(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    make_user: MakeUser,
) -> None:
    clock.set(at(DAY, 7))
    provider = await make_provider(db, settings, clock, caregivers=1)
    caregiver = provider.caregivers[0]
    dispatchers = [
        provider.dispatcher,
        *[await care_staff(db, settings, clock, "dispatcher", provider.id) for _ in range(19)],
    ]
    household = await make_household(client, db, make_user)
    for round_ in range(ROUNDS):
        day = DAY + timedelta(days=round_)
        # Twenty cleanings (two hours each) starting a minute apart: every pair overlaps.
        orders = [
            await ordered(client, household, at(day, 9, i), providerId=str(provider.id))
            for i in range(20)
        ]
        answers = await asyncio.gather(
            *(
                assign(client, dispatcher, order["id"], caregiver)
                for dispatcher, order in zip(dispatchers, orders, strict=True)
            )
        )
        statuses = Counter(a.status_code for a in answers)
        assert statuses == {200: 1, 409: 19}, statuses
        assert {problem(a)["code"] for a in answers if a.status_code == 409} == {"caregiver_busy"}
        winner = next(a for a in answers if a.status_code == 200).json()
        async with db() as session:
            busy = (
                await session.scalars(
                    select(CareOrder.id).where(
                        CareOrder.caregiver_id == caregiver.id,
                        CareOrder.status == "assigned",
                        CareOrder.starts_at >= at(day, 0),
                        CareOrder.starts_at < at(day + timedelta(days=1), 0),
                    )
                )
            ).all()
        assert [str(i) for i in busy] == [winner["id"]]
    # Told once per visit won, never for a refused one.
    assert len(await inbox(db, caregiver.id, "care_visit_assigned")) == ROUNDS


async def test_twenty_cancellations_of_one_order(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    make_user: MakeUser,
) -> None:
    clock.set(at(DAY, 7))
    provider = await make_provider(db, settings, clock, caregivers=1)
    household = await make_household(client, db, make_user)
    for round_ in range(ROUNDS):
        order = await ordered(client, household, at(DAY, 10 + 3 * round_))
        # The household and the dispatcher, ten times each, at once.
        callers = [household.resident, provider.dispatcher] * 10
        answers = await asyncio.gather(
            *(
                client.post(
                    f"{ORDERS}/{order['id']}/cancel",
                    json={"reason": f"取消{i}"},
                    headers=caller.headers,
                )
                for i, caller in enumerate(callers)
            )
        )
        statuses = Counter(a.status_code for a in answers)
        assert statuses == {200: 1, 409: 19}, statuses
        assert {problem(a)["code"] for a in answers if a.status_code == 409} == {
            "care_order_invalid_status"
        }
        async with db() as session:
            status = await session.scalar(
                select(CareOrder.status).where(CareOrder.id == UUID(order["id"]))
            )
        assert status == "cancelled"
    async with db() as session:
        cancelled = await session.scalar(
            select(func.count()).where(CareOrder.status == "cancelled")
        )
    assert cancelled == ROUNDS
