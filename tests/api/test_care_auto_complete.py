"""Visits the household never confirms: the job completes them 48 hours after the check-out,
charged as a confirmation charges them, and a confirmation racing the job is debited once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.eldercare import service
from backend.eldercare.models import CareAllowanceMonth, CareOrder
from backend.jobs.testing import drain
from tests.api.care_visit_support import (
    API,
    CareSetup,
    Sessions,
    care_setup,
    check_in,
    check_out,
    kinds,
    order,
)
from tests.factories import MakeUser

START = datetime(2027, 3, 15, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
CHECK_OUT = START + timedelta(hours=2)


@pytest.fixture
async def setup(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    make_user: MakeUser,
) -> CareSetup:
    clock.set(START - timedelta(days=1))
    # Cleaning: 8000 fen, 4000 subsidised; the allowance covers one and a half visits.
    return await care_setup(client, db, settings, clock, make_user, allowance=6000)


async def _visited(
    client: httpx.AsyncClient, db: Sessions, clock: FrozenClock, setup: CareSetup, at: datetime
) -> UUID:
    """An order checked in at ``at`` and out two hours later: awaiting confirmation."""
    order_id = await order(db, setup, at)
    clock.set(at)
    assert (await check_in(client, setup.caregiver, order_id)).status_code == 200
    clock.set(at + timedelta(hours=2))
    assert (await check_out(client, setup.caregiver, order_id)).status_code == 200
    return order_id


async def _order(db: Sessions, order_id: UUID) -> CareOrder:
    async with db() as session:
        return await session.get_one(CareOrder, order_id)


async def _spent(db: Sessions, setup: CareSetup) -> int:
    async with db() as session:
        month = await session.get(
            CareAllowanceMonth, (setup.profile_id, START.date().replace(day=1))
        )
        return month.spent if month else 0


async def test_the_job_completes_after_48_hours_and_charges_as_a_confirmation(
    app: Litestar, client: httpx.AsyncClient, db: Sessions, clock: FrozenClock, setup: CareSetup
) -> None:
    first = await _visited(client, db, clock, setup, START)
    second = await _visited(client, db, clock, setup, START + timedelta(hours=3))
    disputed = await _visited(client, db, clock, setup, START + timedelta(hours=6))
    clock.set(START + timedelta(hours=9))
    answer = await client.post(
        f"{API}/care/orders/{disputed}/dispute",
        json={"reason": "没来"},
        headers=setup.household.headers,
    )
    assert answer.status_code == 200

    # A minute short of 48 hours after the first check-out: nothing yet.
    almost = CHECK_OUT + timedelta(hours=48) - timedelta(minutes=1)
    clock.set(almost)
    await drain(app, now=almost)
    assert (await _order(db, first)).status == "awaiting_confirmation"

    # 48 hours after the first check-out (the second's is three hours later).
    due = CHECK_OUT + timedelta(hours=48)
    clock.set(due)
    await drain(app, now=due)
    done = await _order(db, first)
    assert (done.status, done.completed_at, done.rating) == ("completed", due, None)
    assert (done.subsidy, done.payable) == (4000, 4000)
    assert (await _order(db, second)).status == "awaiting_confirmation"
    assert await _spent(db, setup) == 4000

    later = due + timedelta(hours=3)
    clock.set(later)
    await drain(app, now=later)
    # The allowance had 2000 left: it gives that, the household pays the rest.
    done = await _order(db, second)
    assert (done.status, done.subsidy, done.payable) == ("completed", 2000, 6000)
    assert (await _order(db, disputed)).status == "disputed"
    assert await _spent(db, setup) == 6000
    inbox = await client.get(f"{API}/me/notifications", headers=setup.household.headers)
    auto = [n for n in inbox.json()["items"] if n["kind"] == "care_order_auto_completed"]
    assert sorted((n["data"]["hours"], n["data"]["subsidy"]) for n in auto) == [
        (48, 2000),
        (48, 4000),
    ]
    mine = await client.get(f"{API}/care/orders/{second}", headers=setup.household.headers)
    assert (mine.json()["status"], mine.json()["subsidy"], mine.json()["rating"]) == (
        "completed",
        2000,
        None,
    )

    # Nothing left: a second run completes nothing and tells nobody again.
    async with db() as session, session.begin():
        assert await service.complete_unconfirmed(session, now=later + timedelta(days=1)) == 0
    assert (await kinds(client, setup.household)).count("care_order_auto_completed") == 2


@pytest.mark.storm
async def test_a_confirmation_racing_the_job_is_debited_once(
    client: httpx.AsyncClient, db: Sessions, clock: FrozenClock, setup: CareSetup
) -> None:
    """Eight visits; the household confirms each while four job runs complete the due ones:
    every order is completed once and the allowance spent exactly once per completion."""
    orders = [
        await _visited(client, db, clock, setup, START + timedelta(hours=3 * i)) for i in range(8)
    ]
    at = START + timedelta(days=5)
    clock.set(at)

    async def job() -> int:
        async with db() as session, session.begin():
            return await service.complete_unconfirmed(session, now=at)

    confirms = [
        client.post(
            f"{API}/care/orders/{o}/confirm", json={"rating": 4}, headers=setup.household.headers
        )
        for o in orders
    ]
    results = await asyncio.gather(*confirms, *(job() for _ in range(4)))
    answers, by_job = results[:8], results[8:]
    confirmed = [a for a in answers if a.status_code == 200]  # type: ignore[union-attr]
    assert all(a.status_code in (200, 409) for a in answers)  # type: ignore[union-attr]
    assert len(confirmed) + sum(by_job) == 8  # type: ignore[arg-type]
    async with db() as session:
        rows = (
            (await session.execute(select(CareOrder).where(CareOrder.id.in_(orders))))
            .scalars()
            .all()
        )
    assert {r.status for r in rows} == {"completed"}
    assert sum(r.subsidy for r in rows) == await _spent(db, setup) == 6000
    assert all(r.subsidy + r.payable == 8000 for r in rows)
    assert sum(1 for r in rows if r.rating is None) == sum(by_job)  # type: ignore[arg-type]
