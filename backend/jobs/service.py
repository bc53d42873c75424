"""The jobs API the domains use (the interface; the queue behind it is wired in ``backend.jobs``).

Names are stored with queued jobs: never rename a task that may still be queued, add a new one.

The queue is procrastinate's (docs/architecture.md, "Background work"): a job is a row of
``procrastinate_jobs``, written by :func:`enqueue` with the library's own SQL function on the
caller's connection, so it commits or rolls back with the change that caused it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import Clock


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a running job may use. ``attempt`` starts at 1."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    attempt: int


JobHandler = Callable[[JobContext, dict[str, Any]], Awaitable[None]]
PeriodicHandler = Callable[[JobContext], Awaitable[None]]

# One queue for everything: safety alerts go ahead by priority, not by a queue of their own, so
# a worker never idles on an empty queue while another has work.
QUEUE = "qiyou"
SAFETY_PRIORITY = 100
ORDINARY_PRIORITY = 0


@dataclass(frozen=True, slots=True)
class TaskSpec:
    name: str
    handler: JobHandler
    max_attempts: int
    priority: int


@dataclass(frozen=True, slots=True)
class PeriodicSpec:
    name: str
    handler: PeriodicHandler
    cron: str


# Filled at import time by the decorators; read by the worker and by backend.jobs.testing.
TASKS: dict[str, TaskSpec] = {}
PERIODIC: dict[str, PeriodicSpec] = {}


class UnknownTaskError(LookupError):
    """``enqueue`` named a task nobody registered (a typo would otherwise queue a job that
    fails forever)."""


def task(
    name: str, *, max_attempts: int = 10, safety: bool = False
) -> Callable[[JobHandler], JobHandler]:
    """Register ``handler`` as the job ``name``.

    ``max_attempts``: after that many failures (retried with exponential backoff) the job lands in
    the failed state an admin can list and retry. ``safety``: a safety alert (an elder's missed
    check-in, a late pickup) — runs ahead of ordinary work.
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")

    def register(handler: JobHandler) -> JobHandler:
        _claim(name)
        TASKS[name] = TaskSpec(
            name, handler, max_attempts, SAFETY_PRIORITY if safety else ORDINARY_PRIORITY
        )
        return handler

    return register


def periodic(name: str, *, cron: str) -> Callable[[PeriodicHandler], PeriodicHandler]:
    """Register ``handler`` to run once per period of ``cron`` (five fields, Asia/Shanghai),
    once across all workers on all hosts. A period missed while no worker ran is run once, late.
    """
    from croniter import croniter

    if len(cron.split()) != 5 or not croniter.is_valid(cron):
        raise ValueError(f"not a five-field cron expression: {cron!r}")

    def register(handler: PeriodicHandler) -> PeriodicHandler:
        _claim(name)
        PERIODIC[name] = PeriodicSpec(name, handler, cron)
        return handler

    return register


def _claim(name: str) -> None:
    if name in TASKS or name in PERIODIC:
        raise ValueError(f"job name {name!r} is registered twice")


_DEFER = text(
    "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(:queue, :task, :priority, NULL, "
    ":queueing_lock, CAST(:args AS jsonb), :scheduled_at)]::procrastinate_job_to_defer_v1[])"
)


async def enqueue(
    session: AsyncSession,
    name: str,
    payload: Mapping[str, Any],
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Queue job ``name`` in ``session``'s transaction, to run at ``run_at`` (default: now).

    ``payload`` is JSON (UUIDs and datetimes are stored as their JSON forms). With ``dedupe_key``,
    a second job with the same key is not queued while the first is waiting.
    """
    spec = TASKS.get(name)
    if spec is None:
        raise UnknownTaskError(name)
    if run_at is not None and run_at.tzinfo is None:
        raise ValueError("run_at must be an aware datetime")
    params = {
        "queue": QUEUE,
        "task": name,
        "priority": spec.priority,
        "queueing_lock": dedupe_key,
        "args": msgspec.json.encode(dict(payload)).decode(),
        "scheduled_at": run_at,
    }
    if dedupe_key is None:
        await session.execute(_DEFER, params)
        return
    # The library's unique index on waiting jobs' queueing_lock refuses the second job; the
    # savepoint keeps that refusal from aborting the caller's transaction.
    try:
        async with session.begin_nested():
            await session.execute(_DEFER, params)
    except IntegrityError as exc:
        if "procrastinate_jobs_queueing_lock_idx" not in str(exc.orig):
            raise
