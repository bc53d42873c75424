"""Worker processes on one database: each job runs once, a killed worker's job runs again, a
period is queued once however many workers look at it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.jobs import enqueue
from backend.jobs.queue import defer_due_periods
from backend.jobs.service import PERIODIC
from tests.conftest import ROOT
from tests.jobs.support import NIGHTLY, create_runs_table, nightly_job, runs

Sessions = async_sessionmaker[AsyncSession]
pytestmark = pytest.mark.storm


@pytest.fixture(autouse=True)
async def runs_table(db: Sessions) -> None:
    await create_runs_table(db)


Spawn = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
async def spawn(database_url: str) -> AsyncIterator[Spawn]:
    started: list[subprocess.Popen[bytes]] = []

    def start(*options: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.jobs.worker_main", database_url, *options],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _until(check: Callable[[], object], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not await check():  # type: ignore[misc]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.2)


async def _count(db: Sessions, sql: str) -> int:
    async with db() as session:
        return int((await session.execute(text(sql))).scalar_one())


async def test_two_workers_run_each_of_1000_jobs_exactly_once(db: Sessions, spawn: Spawn) -> None:
    first, second = spawn(), spawn()

    async def both_listening() -> bool:
        return await _count(db, "SELECT count(*) FROM procrastinate_workers") == 2

    await _until(both_listening, 60)
    for batch in range(10):
        async with db() as session, session.begin():
            for n in range(batch * 100, batch * 100 + 100):
                await enqueue(session, "test.count", {"n": n})

    async def all_done() -> bool:
        return (
            await _count(db, "SELECT count(*) FROM procrastinate_jobs WHERE status <> 'succeeded'")
            == 0
        )

    await _until(all_done, 120)
    assert first.poll() is None
    assert second.poll() is None
    assert await _count(db, "SELECT count(*) FROM job_runs WHERE name = 'test.count'") == 1000
    assert await _count(db, "SELECT count(DISTINCT key) FROM job_runs") == 1000
    # Both took part: the once-only above was between two workers, not one worker alone.
    assert await _count(db, "SELECT count(DISTINCT worker_id) FROM procrastinate_jobs") == 2


async def test_a_job_of_a_killed_worker_runs_again(db: Sessions, spawn: Spawn) -> None:
    doomed = spawn()
    async with db() as session, session.begin():
        await enqueue(session, "test.slow", {"key": "k"})

    async def started() -> bool:
        return len(await runs(db, "test.slow")) == 1

    await _until(started, 60)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    spawn()  # the survivor notices the silence and runs the job again

    async def ran_again() -> bool:
        return len(await runs(db, "test.slow")) == 2

    await _until(ran_again, 60)
    assert [r.attempt for r in await runs(db, "test.slow")] == [1, 2]

    async def succeeded() -> bool:
        return (
            await _count(db, "SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'")
            == 1
        )

    await _until(succeeded, 30)


async def test_a_period_is_queued_once_by_many_workers_at_once(db: Sessions) -> None:
    with nightly_job():
        spec = PERIODIC[NIGHTLY]
        now = datetime(2026, 6, 1, 3, 0, 30, tzinfo=UTC)
        queued = await asyncio.gather(*(defer_due_periods(db, now, [spec]) for _ in range(20)))
    assert sum(len(names) for names in queued) == 1
    assert (
        await _count(db, f"SELECT count(*) FROM procrastinate_jobs WHERE task_name = '{NIGHTLY}'")
        == 1
    )


async def test_two_workers_run_a_periodic_job_once_per_period(db: Sessions, spawn: Spawn) -> None:
    began = datetime.now(UTC)
    spawn("--minutely"), spawn("--minutely")

    async def both_listening() -> bool:
        return await _count(db, "SELECT count(*) FROM procrastinate_workers") == 2

    await _until(both_listening, 60)
    await asyncio.sleep(5)  # each scheduler has looked at the period several times (every 1.5 s)
    ended = datetime.now(UTC)
    periods = int(ended.timestamp() // 60 - began.timestamp() // 60) + 1
    jobs = await _count(
        db, "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'test.minutely'"
    )
    assert 1 <= jobs <= periods

    async def all_ran() -> bool:
        return (
            await _count(db, "SELECT count(*) FROM job_runs WHERE name = 'test.minutely'") >= jobs
        )

    await _until(all_ran, 30)
    assert await _count(db, "SELECT count(*) FROM job_runs WHERE name = 'test.minutely'") == jobs


async def test_concurrent_enqueues_with_one_dedupe_key_queue_one_job(db: Sessions) -> None:
    async def one() -> None:
        async with db() as session, session.begin():
            await enqueue(session, "test.record", {"key": "storm"}, dedupe_key="storm")

    await asyncio.gather(*(one() for _ in range(20)))
    assert await _count(db, "SELECT count(*) FROM procrastinate_jobs") == 1
