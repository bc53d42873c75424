"""The jobs API against a real PostgreSQL: jobs commit and roll back with the caller's
transaction, and ``drain`` runs what is due by the test's clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import LOCAL_TZ, FrozenClock
from backend.jobs import enqueue
from backend.jobs.queue import prune_finished, recover_stalled
from backend.jobs.service import UnknownTaskError
from backend.jobs.testing import drain
from tests.jobs.support import FAIL_FIRST, NIGHTLY, create_runs_table, nightly_job, runs

PERIODIC = NIGHTLY


@pytest.fixture(autouse=True)
async def runs_table(db: async_sessionmaker[AsyncSession]) -> None:
    await create_runs_table(db)


async def _jobs(db: async_sessionmaker[AsyncSession]) -> list[tuple[str, str]]:
    async with db() as session:
        rows = await session.execute(
            text(
                "SELECT task_name, status::text FROM procrastinate_jobs "
                "WHERE task_name <> :periodic AND task_name LIKE 'test.%' ORDER BY id"
            ),
            {"periodic": PERIODIC},
        )
        return [(name, status) for name, status in rows.all()]


def _only(ran: list[str]) -> list[str]:
    """What ran of the test suite's jobs besides its periodic one (which runs on a first
    drain); the app's own periodic jobs (reminders, housekeeping) run on drains too."""
    return [name for name in ran if name.startswith("test.") and name != PERIODIC]


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
    assert _only(await drain(app)) == []


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


@pytest.fixture
def nightly() -> Iterator[None]:
    with nightly_job():
        yield


@pytest.mark.usefixtures("nightly")
async def test_a_periodic_job_runs_once_per_period(
    app: Litestar, db: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 6, 1, 2, 0, tzinfo=LOCAL_TZ))
    assert PERIODIC in await drain(app)  # the period that began yesterday 03:00, run late
    assert PERIODIC not in await drain(app)
    clock.set(datetime(2026, 6, 1, 2, 59, 59, tzinfo=LOCAL_TZ))
    assert PERIODIC not in await drain(app)
    clock.set(datetime(2026, 6, 1, 3, 0, tzinfo=LOCAL_TZ))
    assert [name for name in await drain(app) if name.startswith("test.")] == [PERIODIC]
    clock.set(datetime(2026, 6, 1, 23, 0, tzinfo=LOCAL_TZ))
    assert _only(await drain(app)) == []
    clock.set(datetime(2026, 6, 3, 12, 0, tzinfo=LOCAL_TZ))  # two periods missed: run once
    assert [name for name in await drain(app) if name.startswith("test.")] == [PERIODIC]
    assert len(await runs(db, PERIODIC)) == 3


async def test_finished_jobs_are_pruned_after_two_weeks_and_failed_ones_kept(
    app: Litestar, db: async_sessionmaker[AsyncSession]
) -> None:
    FAIL_FIRST["prune"] = 99
    async with db() as session, session.begin():
        await enqueue(session, "test.record", {"key": "old"})
        await enqueue(session, "test.flaky", {"key": "prune"})
    await drain(app)
    async with db() as session, session.begin():
        await session.execute(
            text("UPDATE procrastinate_jobs SET status = 'failed' WHERE task_name = 'test.flaky'")
        )
        await session.execute(
            text(
                "UPDATE procrastinate_events SET at = now() - interval '15 days' WHERE job_id IN "
                "(SELECT id FROM procrastinate_jobs WHERE task_name LIKE 'test.%')"
            )
        )
        await enqueue(session, "test.record", {"key": "recent"})
    await drain(app)
    assert await prune_finished(db) == 1
    assert await _jobs(db) == [("test.flaky", "failed"), ("test.record", "succeeded")]


async def test_a_dead_workers_job_is_queued_again_unless_that_was_its_last_attempt(
    db: async_sessionmaker[AsyncSession],
) -> None:
    async with db() as session, session.begin():
        await enqueue(session, "test.flaky", {"key": "first"})
        await enqueue(session, "test.flaky", {"key": "last"})
        await enqueue(session, "test.record", {"key": "alive"})
        await session.execute(text("INSERT INTO procrastinate_workers DEFAULT VALUES"))
        # Two jobs of a worker procrastinate already pruned (worker_id NULL), one of a live one.
        await session.execute(
            text(
                "UPDATE procrastinate_jobs SET status = 'doing', "
                "attempts = CASE WHEN args->>'key' = 'last' THEN 2 ELSE 0 END, "
                "worker_id = CASE WHEN task_name = 'test.record' "
                "  THEN (SELECT max(id) FROM procrastinate_workers) END"
            )
        )
    assert await recover_stalled(db, 30) == 2
    async with db() as session:
        rows = await session.execute(
            text("SELECT args->>'key', status::text, attempts FROM procrastinate_jobs ORDER BY id")
        )
        assert [tuple(r) for r in rows] == [
            ("first", "todo", 1),
            ("last", "failed", 3),  # test.flaky has max_attempts=3
            ("alive", "doing", 0),
        ]
