"""The queue in /metrics and /health/ready."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.jobs import enqueue
from backend.jobs.testing import drain
from tests.jobs.support import FAIL_FIRST, create_runs_table

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture(autouse=True)
async def runs_table(db: Sessions) -> None:
    await create_runs_table(db)


async def _queue_waiting_since(db: Sessions, seconds: int) -> None:
    async with db() as session, session.begin():
        await enqueue(session, "test.record", {"key": "late"})
        await session.execute(
            text("UPDATE procrastinate_events SET at = now() - make_interval(secs => :s)"),
            {"s": seconds},
        )


def _metric(body: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", body, re.MULTILINE)
    assert match, f"{name} not in /metrics"
    return float(match.group(1))


async def test_ready_warns_but_stays_200_when_the_workers_fall_behind(
    app: Litestar, client: httpx.AsyncClient, db: Sessions
) -> None:
    fine = await client.get("/health/ready")
    assert fine.status_code == 200
    assert fine.json()["warnings"] == []
    await _queue_waiting_since(db, 120)  # the threshold is 60 s by default
    behind = await client.get("/health/ready")
    assert behind.status_code == 200
    assert behind.json()["warnings"] == ["jobs_behind"]
    assert behind.json()["oldestDueJobSeconds"] >= 120
    await drain(app)
    caught_up = await client.get("/health/ready")
    assert caught_up.json()["warnings"] == []


async def test_metrics_show_depth_lag_latency_and_failures(
    app: Litestar, client: httpx.AsyncClient, db: Sessions
) -> None:
    started = time.monotonic()
    await _queue_waiting_since(db, 30)
    FAIL_FIRST["metrics"] = 1
    async with db() as session, session.begin():
        await enqueue(session, "test.flaky", {"key": "metrics"})
    body = (await client.get("/metrics")).text
    assert _metric(body, "qiyou_jobs_due") == 2
    assert _metric(body, 'qiyou_jobs{state="queued"}') == 2
    assert _metric(body, "qiyou_jobs_oldest_due_seconds") >= 30
    await drain(app, periodic=False)
    # Both jobs also waited for this test itself (seconds on a loaded machine), on the wall clock.
    waited_here = time.monotonic() - started
    body = (await client.get("/metrics")).text
    assert _metric(body, "qiyou_jobs_due") == 0
    assert _metric(body, 'qiyou_jobs{state="succeeded"}') == 1
    assert _metric(body, "qiyou_job_failures_recent") == 1
    # Of two jobs started, one waited 30 s and one none: the 95th percentile interpolates
    # between them (28.5 s), the median halfway (15 s).
    assert 27 < _metric(body, 'qiyou_job_start_latency_seconds{quantile="0.95"}') < 30 + waited_here
    assert 14 < _metric(body, 'qiyou_job_start_latency_seconds{quantile="0.5"}') < 16 + waited_here
