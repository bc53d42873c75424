"""Housekeeping: old rows deleted by a periodic job rather than by the requests that pass by.

Requests used to delete as they went: a creating POST with an ``Idempotency-Key`` dropped the
user's expired answers, an SMS code request the phone's codes older than two days. That cost a
statement on the request path, and rows of users who never came back stayed for ever. Now every
``HOUSEKEEPING_CRON`` a job deletes, step by step:

- expired ``Idempotency-Key`` answers (``core.idempotency.delete_expired``);
- SMS codes older than any rule looks back (``identity.sms.delete_old_codes``);
- login sessions ended longer ago than ``QIYOU_SESSION_RETENTION_DAYS``, with their refresh
  tokens (``identity.sessions.delete_ended_sessions``), never one the revocation list still
  needs;
- records of reminders whose subject started over a day ago (``notifications.reminders``);
- records of the canteen's cutoff reminders sent over a day ago (``canteen.reminders``).

Each step deletes in batches of ``QIYOU_HOUSEKEEPING_BATCH`` rows, each batch its own short
transaction (``FOR UPDATE SKIP LOCKED``: two runs never wait for each other), and at most
``MAX_BATCHES`` batches per run, so a large backlog is worked off over a few runs instead of in
one long transaction. Refresh tokens of a live session are still pruned on refresh
(``identity.sessions.refresh``): that delete is bounded by the session and reads its index.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from backend.canteen import reminders as meal_reminders
from backend.config import Settings
from backend.core import idempotency
from backend.identity import sessions, sms
from backend.jobs import JobContext, periodic
from backend.notifications import reminders

log = logging.getLogger("qiyou.jobs")

HOUSEKEEPING_CRON = "*/10 * * * *"
MAX_BATCHES = 50

Step = Callable[[AsyncSession, Settings, datetime, int], Awaitable[int]]


async def _idempotency_keys(
    session: AsyncSession, _settings: Settings, now: datetime, limit: int
) -> int:
    return await idempotency.delete_expired(session, now=now, limit=limit)


async def _sms_codes(session: AsyncSession, _settings: Settings, now: datetime, limit: int) -> int:
    return await sms.delete_old_codes(session, now=now, limit=limit)


async def _sessions(session: AsyncSession, settings: Settings, now: datetime, limit: int) -> int:
    return await sessions.delete_ended_sessions(session, settings, now=now, limit=limit)


async def _reminders(session: AsyncSession, _settings: Settings, now: datetime, limit: int) -> int:
    return await reminders.delete_old(session, now=now, limit=limit)


async def _meal_reminders(
    session: AsyncSession, _settings: Settings, now: datetime, limit: int
) -> int:
    return await meal_reminders.delete_old(session, now=now, limit=limit)


STEPS: dict[str, Step] = {
    "idempotency_keys": _idempotency_keys,
    "sms_codes": _sms_codes,
    "sessions": _sessions,
    "reminders": _reminders,
    "meal_reminders": _meal_reminders,
}


async def run_step(ctx: JobContext, step: Step, now: datetime) -> int:
    """One step in batches; returns how many rows it deleted."""
    limit = ctx.settings.housekeeping_batch
    total = 0
    for _ in range(MAX_BATCHES):
        async with ctx.sessions() as session, session.begin():
            deleted = await step(session, ctx.settings, now, limit)
        total += deleted
        if deleted < limit:
            break
    return total


async def sweep(ctx: JobContext) -> dict[str, int]:
    """Every step, each at the same ``now``; the rows deleted per step."""
    now = ctx.clock.now()
    return {name: await run_step(ctx, step, now) for name, step in STEPS.items()}


@periodic("housekeeping", cron=HOUSEKEEPING_CRON)
async def housekeeping(ctx: JobContext) -> None:
    """The periodic job."""
    counts = await sweep(ctx)
    if any(counts.values()):
        log.info("housekeeping deleted %s", counts)
