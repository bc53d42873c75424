"""The queue behind ``backend.jobs``: procrastinate's worker running our registered handlers,
plus the two things we schedule ourselves (periodic jobs in Asia/Shanghai, and the jobs of
workers that died).

Who runs what:

- ``qiyou worker`` (:func:`run_worker`), or the in-process worker of ``qiyou run``
  (:class:`InProcessWorker`, started by the app's lifespan when ``settings.worker``);
- procrastinate fetches one job at a time with ``FOR UPDATE SKIP LOCKED`` (each job runs on one
  worker), wakes on ``LISTEN/NOTIFY`` when a job is committed, and writes a heartbeat;
- every worker also defers the latest due period of each periodic job (the library's
  ``procrastinate_periodic_defers`` unique constraint lets one worker win per period) and puts
  back the jobs of workers whose heartbeat stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import procrastinate
from croniter import croniter
from procrastinate import jobs as procrastinate_jobs
from procrastinate.retry import BaseRetryStrategy, RetryDecision
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import LOCAL_TZ, Clock
from backend.core.database import plain_url
from backend.jobs.service import (
    ORDINARY_PRIORITY,
    PERIODIC,
    QUEUE,
    TASKS,
    JobContext,
    PeriodicSpec,
)

log = logging.getLogger("qiyou.jobs")

# A periodic run that fails is retried a few times; the next period comes anyway.
PERIODIC_MAX_ATTEMPTS = 3
# How often a worker looks for due periods and for jobs of dead workers (seconds).
SCHEDULER_INTERVAL = 15.0


@dataclass(frozen=True, slots=True)
class JobRuntime:
    """What handlers get, bound once per app or worker process."""

    settings: Settings
    clock: Clock
    sessions: async_sessionmaker[AsyncSession]

    def context(self, attempt: int) -> JobContext:
        return JobContext(self.settings, self.sessions, self.clock, attempt)


def backoff_seconds(settings: Settings, attempts_done: int) -> float:
    """The wait before the next run after ``attempts_done`` failed runs (1, 2, ...):
    ``base * 2 ** (attempts_done - 1)``, at most ``cap``."""
    base, cap = settings.job_retry_base_seconds, settings.job_retry_max_seconds
    return float(min(cap, base * 2 ** max(0, attempts_done - 1)))


def max_attempts_of(name: str) -> int:
    spec = TASKS.get(name)
    return spec.max_attempts if spec is not None else PERIODIC_MAX_ATTEMPTS


async def run_handler(runtime: JobRuntime, name: str, attempt: int, args: dict[str, Any]) -> None:
    """Run job ``name``'s handler: the one path for the worker and for ``drain``."""
    spec = TASKS.get(name)
    if spec is not None:
        await spec.handler(runtime.context(attempt), args)
        return
    periodic_spec = PERIODIC.get(name)
    if periodic_spec is None:
        raise LookupError(f"no job registered as {name!r}")
    await periodic_spec.handler(runtime.context(attempt))


class _Backoff(BaseRetryStrategy):
    """Exponential backoff up to the task's ``max_attempts`` runs, then the failed state."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def get_retry_decision(
        self, *, exception: BaseException, job: procrastinate_jobs.Job
    ) -> RetryDecision | None:
        done = job.attempts + 1  # procrastinate counts the runs before this one
        if done >= max_attempts_of(job.task_name):
            return None
        wait = timedelta(seconds=backoff_seconds(self._settings, done))
        return RetryDecision(retry_at=datetime.now(UTC) + wait)


def build_app(runtime: JobRuntime, url: str, *, pool_size: int) -> procrastinate.App:
    """A procrastinate App whose tasks are our registered handlers."""
    connector = procrastinate.PsycopgConnector(
        conninfo=plain_url(url), min_size=1, max_size=pool_size
    )
    app = procrastinate.App(connector=connector)
    retry = _Backoff(runtime.settings)
    for name in [*TASKS, *PERIODIC]:

        async def run(context: procrastinate.JobContext, /, _name: str = name, **args: Any) -> None:
            await run_handler(runtime, _name, context.job.attempts + 1, args)

        app.task(name=name, queue=QUEUE, pass_context=True, retry=retry)(run)
    return app


# --- periodic jobs --------------------------------------------------------------------------

_DEFER_PERIODIC = text(
    "SELECT procrastinate_defer_periodic_job_v2(:queue, NULL, NULL, :task, :priority, '', "
    ":timestamp, CAST('{}' AS jsonb))"
)


def latest_tick(spec: PeriodicSpec, now: datetime) -> datetime:
    """The start of the period ``now`` is in: the latest cron time at or before ``now``."""
    local = now.astimezone(LOCAL_TZ)
    it = croniter(spec.cron, local)
    if croniter.match(spec.cron, local.replace(second=0, microsecond=0)) and local.second == 0:
        return local
    previous: datetime = it.get_prev(datetime)
    return previous


async def defer_due_periods(
    sessions: async_sessionmaker[AsyncSession], now: datetime, specs: Iterable[PeriodicSpec]
) -> list[str]:
    """Queue the current period of each periodic job unless a worker already did; the names
    queued. The library's unique (task, period) row makes this once across all workers."""
    queued: list[str] = []
    async with sessions.begin() as session:
        for spec in specs:
            tick = latest_tick(spec, now)
            job_id = (
                await session.execute(
                    _DEFER_PERIODIC,
                    {
                        "queue": QUEUE,
                        "task": spec.name,
                        "priority": ORDINARY_PRIORITY,
                        "timestamp": int(tick.timestamp()),
                    },
                )
            ).scalar_one()
            if job_id is not None:
                queued.append(spec.name)
    return queued


# --- jobs of dead workers -------------------------------------------------------------------

# A job is "doing" on a worker whose heartbeat stopped (or whose row procrastinate already
# pruned): back to "todo", counted as an attempt. One statement, so two workers recovering at
# once cannot both touch a job, and a job another worker fetched meanwhile is not touched.
_RECOVER_STALLED = text(
    "UPDATE procrastinate_jobs SET status = 'todo', attempts = attempts + 1, "
    "scheduled_at = now(), worker_id = NULL "
    "WHERE status = 'doing' AND (worker_id IS NULL OR worker_id IN ("
    "  SELECT id FROM procrastinate_workers "
    "  WHERE last_heartbeat < now() - make_interval(secs => :timeout))) "
    "RETURNING id, task_name"
)


async def recover_stalled(sessions: async_sessionmaker[AsyncSession], after: float) -> int:
    """Queue again the jobs of workers silent for ``after`` seconds; how many."""
    async with sessions.begin() as session:
        rows = (await session.execute(_RECOVER_STALLED, {"timeout": after})).all()
    for job_id, name in rows:
        log.warning("job %s (%s) of a dead worker is queued again", job_id, name)
    return len(rows)


async def _scheduler(runtime: JobRuntime) -> None:
    timeout = runtime.settings.job_stalled_seconds
    while True:
        try:
            await defer_due_periods(runtime.sessions, runtime.clock.now(), PERIODIC.values())
            await recover_stalled(runtime.sessions, timeout)
        except Exception:  # a database hiccup must not end the worker; the next round retries
            log.exception("job scheduler round failed")
        await asyncio.sleep(SCHEDULER_INTERVAL)


# --- running ----------------------------------------------------------------------------------


async def run_worker(
    runtime: JobRuntime,
    url: str,
    *,
    concurrency: int,
    install_signal_handlers: bool,
) -> None:
    """Run jobs until cancelled (or, with signal handlers, until SIGTERM/SIGINT)."""
    app = build_app(runtime, url, pool_size=concurrency + 2)
    async with app.open_async():
        scheduler = asyncio.create_task(_scheduler(runtime))
        try:
            await app.run_worker_async(
                queues=[QUEUE],
                concurrency=concurrency,
                wait=True,
                listen_notify=True,
                install_signal_handlers=install_signal_handlers,
                delete_jobs="never",
                update_heartbeat_interval=runtime.settings.job_heartbeat_seconds,
                stalled_worker_timeout=runtime.settings.job_stalled_seconds,
                shutdown_graceful_timeout=runtime.settings.job_shutdown_seconds,
            )
        finally:
            scheduler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await scheduler


class InProcessWorker:
    """The worker of ``qiyou run``: started and stopped with the app's lifespan."""

    def __init__(self, runtime: JobRuntime, url: str, concurrency: int) -> None:
        self._runtime, self._url, self._concurrency = runtime, url, concurrency
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(
            run_worker(
                self._runtime,
                self._url,
                concurrency=self._concurrency,
                install_signal_handlers=False,
            ),
            name="qiyou-jobs-worker",
        )

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
