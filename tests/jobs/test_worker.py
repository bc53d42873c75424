"""The real worker (procrastinate's, as ``qiyou run`` starts it in-process) on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.jobs import enqueue
from tests.conftest import AppWith, running
from tests.jobs.support import FAIL_FIRST, create_runs_table, runs


@pytest.fixture(autouse=True)
async def runs_table(db: async_sessionmaker[AsyncSession]) -> None:
    await create_runs_table(db)


async def _until(check, seconds: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while True:
        value = await check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.05)


async def test_the_in_process_worker_runs_a_job_once_it_is_committed(
    app_with: AppWith, db: async_sessionmaker[AsyncSession]
) -> None:
    app = app_with(worker=True, job_retry_base_seconds=0.2)
    async with running(app):
        async with db() as session, session.begin():
            await enqueue(session, "test.record", {"key": "live"})
        FAIL_FIRST["live-flaky"] = 1
        async with db() as session, session.begin():
            await enqueue(session, "test.flaky", {"key": "live-flaky"})

        async def done() -> bool:
            return (
                len(await runs(db, "test.record")) == 1 and len(await runs(db, "test.flaky")) == 2
            )

        assert await _until(done)
    assert [r.key for r in await runs(db, "test.record")] == ["live"]
    assert [r.attempt for r in await runs(db, "test.flaky")] == [1, 2]
