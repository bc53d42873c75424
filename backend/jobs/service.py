"""The jobs API the domains use (the interface; the queue behind it is wired in ``backend.jobs``).

Names are stored with queued jobs: never rename a task that may still be queued, add a new one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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


def task(
    name: str, *, max_attempts: int = 10, safety: bool = False
) -> Callable[[JobHandler], JobHandler]:
    """Register ``handler`` as the job ``name``.

    ``max_attempts``: after that many failures (retried with exponential backoff) the job lands in
    the failed state an admin can list and retry. ``safety``: a safety alert (an elder's missed
    check-in, a late pickup) — runs ahead of ordinary work.
    """
    raise NotImplementedError  # implemented by the queue (issue 13)


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
    raise NotImplementedError  # implemented by the queue (issue 13)


def periodic(name: str, *, cron: str) -> Callable[[PeriodicHandler], PeriodicHandler]:
    """Register ``handler`` to run once per period of ``cron`` (five fields, Asia/Shanghai),
    once across all workers on all hosts. A period missed while no worker ran is run once, late.
    """
    raise NotImplementedError  # implemented by the queue (issue 13)
