"""Running jobs inside a test, on the test's clock.

``drain(app)`` runs, in the test's own process and event loop, every job due at ``now`` (the
app's clock unless given): queued jobs whose ``run_at`` has come by that clock, the jobs those
jobs queue, and the current period of each periodic job not yet run — until nothing is due. Due
is decided by the clock handed in, never by the database's ``now()``, so a reminder queued for
08:00 tomorrow runs when the test's FrozenClock is moved there, and not before.

A job that fails is put back with the same backoff as a worker would (counted from ``now``), or
lands in the failed state after its last attempt; ``drain`` logs the error and carries on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from litestar import Litestar
from sqlalchemy import text

from backend.jobs.queue import (
    JobRuntime,
    backoff_seconds,
    defer_due_periods,
    max_attempts_of,
    run_handler,
)
from backend.jobs.service import PERIODIC, QUEUE

log = logging.getLogger("qiyou.jobs")

_CLAIM_DUE = text(
    "UPDATE procrastinate_jobs SET status = 'doing' WHERE id = ("
    "  SELECT id FROM procrastinate_jobs"
    "  WHERE status = 'todo' AND queue_name = :queue"
    "    AND (scheduled_at IS NULL OR scheduled_at <= :now)"
    "  ORDER BY priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
    "RETURNING id, task_name, attempts, args"
)
_FINISH = text(
    "SELECT procrastinate_finish_job_v1(:id, CAST(:status AS procrastinate_job_status), false)"
)
_RETRY = text("SELECT procrastinate_retry_job_v2(:id, :retry_at, NULL, NULL, NULL)")


async def drain(app: Litestar, *, now: datetime | None = None) -> list[str]:
    """Run every job due at ``now`` until none is; the names of the jobs run, in order."""
    runtime: JobRuntime = app.state.jobs
    at = now if now is not None else runtime.clock.now()
    ran: list[str] = []
    await defer_due_periods(runtime.sessions, at, PERIODIC.values())
    while True:
        async with runtime.sessions.begin() as session:
            row = (await session.execute(_CLAIM_DUE, {"queue": QUEUE, "now": at})).first()
        if row is None:
            return ran
        job_id, name, attempts, args = row
        ran.append(name)
        try:
            await run_handler(runtime, name, attempts + 1, _args(args))
        except Exception:
            log.exception("job %s (%s) failed in drain", job_id, name)
            await _failed(runtime, job_id, name, attempts + 1, at)
        else:
            async with runtime.sessions.begin() as session:
                await session.execute(_FINISH, {"id": job_id, "status": "succeeded"})


async def _failed(
    runtime: JobRuntime, job_id: int, name: str, attempts_done: int, at: datetime
) -> None:
    async with runtime.sessions.begin() as session:
        if attempts_done >= max_attempts_of(name):
            await session.execute(_FINISH, {"id": job_id, "status": "failed"})
        else:
            wait = timedelta(seconds=backoff_seconds(runtime.settings, attempts_done))
            await session.execute(_RETRY, {"id": job_id, "retry_at": at + wait})


def _args(value: Any) -> dict[str, Any]:
    if isinstance(value, str):  # asyncpg hands jsonb over as text unless told otherwise
        import json

        loaded: dict[str, Any] = json.loads(value)
        return loaded
    return dict(value)
