"""The jobs API against a real PostgreSQL: jobs commit and roll back with the caller's
transaction, and ``drain`` runs what is due by the test's clock."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import LOCAL_TZ, FrozenClock
from backend.jobs import enqueue
from backend.jobs.service import UnknownTaskError
from backend.jobs.testing import drain
from tests.jobs.support import FAIL_FIRST, create_runs_table, runs

PERIODIC = "test.every_day_at_3"


@pytest.fixture(autouse=True)
async def runs_table(db: async_sessionmaker[AsyncSession]) -> None:
    await create_runs_table(db)


async def _jobs(db: async_sessionmaker[AsyncSession]) -> list[tuple[str, str]]:
    async with db() as session:
        rows = await session.execute(
            text(
                "SELECT task_name, status::text FROM procrastinate_jobs "
                "WHERE task_name <> :periodic ORDER BY id"
            ),
            {"periodic": PERIODIC},
        )
        return [(name, status) for name, status in rows.all()]


def _only(ran: list[str]) -> list[str]:
    """What ran besides the test suite's periodic job (which runs on a first drain)."""
    return [name for name in ran if name != PERIODIC]


async def test_a_committed_enqueue_is_queued_and_a_rolled_back_one_is_not(
    app: Litestar, db: async_sessionmaker[AsyncSession]
) -> None:
    async with db() as session, session.begin():
        await enqueue(session, "test.record", {"key": "kept"})

    async def change_that_fails() -> None:
        async with db() as session, session.begin():
            await enqueue(session, "test.record", {"key": "dropped"})
            await session.execute(text("SELECT 1 / 0"))

    with pytest.raises(DBAPIError, match="division by zero"):
        await change_that_fails()
    assert await _jobs(db) == [("test.record", "todo")]
    assert _only(await drain(app)) == ["test.record"]
    assert [tuple(r) for r in await runs(db, "test.record")] == [("test.record", "kept", 1)]
    assert await drain(app) == []


async def test_an_unknown_task_is_refused(db: async_sessionmaker[AsyncSession]) -> None:
    async with db() as session, session.begin():
        with pytest.raises(UnknownTaskError):
            await enqueue(session, "test.no_such_task", {})


async def test_a_job_runs_when_the_clock_reaches_its_time(
    app: Litestar, db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    tomorrow_8 = (clock.now().astimezone(LOCAL_TZ) + timedelta(days=1)).replace(
        hour=8, minute=0, second=0, microsecond=0
    )
    async with db() as session, session.begin():
        await enqueue(session, "test.record", {"key": "at-8"}, run_at=tomorrow_8)
    assert _only(await drain(app)) == []
    clock.set(tomorrow_8 - timedelta(seconds=1))
    assert _only(await drain(app)) == []
    clock.set(tomorrow_8)
    assert _only(await drain(app)) == ["test.record"]
    assert [r.key for r in await runs(db, "test.record")] == ["at-8"]


async def test_a_frozen_clock_in_the_past_holds_back_a_job_the_database_thinks_due(
    app: Litestar, db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 1, 1, 9, tzinfo=LOCAL_TZ))
    async with db() as session, session.begin():
        await enqueue(session, "test.record", {}, run_at=datetime(2026, 1, 2, 9, tzinfo=LOCAL_TZ))
    assert _only(await drain(app)) == []
    assert _only(await drain(app, now=datetime(2026, 1, 2, 9, tzinfo=LOCAL_TZ))) == ["test.record"]


async def test_drain_runs_the_jobs_that_jobs_queue_and_safety_first(
    app: Litestar, db: async_sessionmaker[AsyncSession]
) -> None:
    async with db() as session, session.begin():
        await enqueue(session, "test.chain", {"key": "a"})
        await enqueue(session, "test.safety", {"key": "s"})
    assert _only(await drain(app)) == ["test.safety", "test.chain", "test.record"]
    assert [r.key for r in await runs(db, "test.record")] == ["after-a"]


async def test_a_dedupe_key_queues_one_job_while_it_waits(
    app: Litestar, db: async_sessionmaker[AsyncSession]
) -> None:
    for _ in range(2):
        async with db() as session, session.begin():
            await enqueue(session, "test.record", {"key": "once"}, dedupe_key="k1")
            # The refused duplicate did not spoil the caller's transaction.
            await session.execute(text("SELECT 1"))
    assert await _jobs(db) == [("test.record", "todo")]
    await drain(app)
    async with db() as session, session.begin():  # it ran: the key is free again
        await enqueue(session, "test.record", {"key": "again"}, dedupe_key="k1")
    assert _only(await drain(app)) == ["test.record"]


async def test_failures_back_off_exponentially_then_land_in_failed(
    app: Litestar, db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    FAIL_FIRST["always"] = 99
    base = app.state.settings.job_retry_base_seconds
    async with db() as session, session.begin():
        await enqueue(session, "test.flaky", {"key": "always"})
    assert _only(await drain(app)) == ["test.flaky"]
    clock.advance(seconds=base - 1)
    assert _only(await drain(app)) == []
    clock.advance(seconds=1)
    assert _only(await drain(app)) == ["test.flaky"]  # attempt 2, after base
    clock.advance(seconds=2 * base - 1)
    assert _only(await drain(app)) == []
    clock.advance(seconds=1)
    assert _only(await drain(app)) == ["test.flaky"]  # attempt 3 of 3, after 2·base
    clock.advance(days=1)
    assert _only(await drain(app)) == []
    assert [r.attempt for r in await runs(db, "test.flaky")] == [1, 2, 3]
    assert await _jobs(db) == [("test.flaky", "failed")]


async def test_a_periodic_job_runs_once_per_period(
    app: Litestar, db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 6, 1, 2, 0, tzinfo=LOCAL_TZ))
    assert PERIODIC in await drain(app)  # the period that began yesterday 03:00, run late
    assert PERIODIC not in await drain(app)
    clock.set(datetime(2026, 6, 1, 2, 59, 59, tzinfo=LOCAL_TZ))
    assert PERIODIC not in await drain(app)
    clock.set(datetime(2026, 6, 1, 3, 0, tzinfo=LOCAL_TZ))
    assert await drain(app) == [PERIODIC]
    clock.set(datetime(2026, 6, 1, 23, 0, tzinfo=LOCAL_TZ))
    assert await drain(app) == []
    clock.set(datetime(2026, 6, 3, 12, 0, tzinfo=LOCAL_TZ))  # two periods missed: run once
    assert await drain(app) == [PERIODIC]
    assert len(await runs(db, PERIODIC)) == 3
