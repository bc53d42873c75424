"""Pushing inbox notifications to the users' devices: the ``notifications.push`` job.

``notify_many`` queues one job per call, in the sender's transaction, carrying the ids of the
notifications it wrote (an event cancelled for thousands is one job, not thousands). The job:

1. reads, in one statement, every (notification, device) pair not yet delivered, with the
   user's settings; drops those the user does not want pushed (push off, kind muted); queues
   those inside the user's quiet hours again for the end of the quiet hours (safety kinds never
   wait);
2. claims the rest in ``push_deliveries`` and commits the claims before any provider is called:
   a retried job (the worker died, or another device failed) finds the claim and does not push
   twice, so each notification reaches each device at most once;
3. calls the providers; a device the provider calls unregistered is removed; a failure worth
   retrying (5xx, 429, a timeout) releases its claim, and the job then fails so that the queue
   retries it with exponential backoff (the pairs already sent are skipped by their claims).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ARRAY,
    Uuid,
    any_,
    cast,
    delete,
    exists,
    func,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend import jobs
from backend.core.i18n import Language
from backend.jobs import JobContext
from backend.notifications import messages, rules
from backend.notifications.models import (
    Device,
    Notification,
    NotificationPreference,
    PushDelivery,
)
from backend.notifications.providers import (
    Outcome,
    PushMessage,
    PushProvider,
    RetryLater,
    build_providers,
)

log = logging.getLogger("qiyou.push")

PUSH_TASK = "notifications.push"
PUSH_SAFETY_TASK = "notifications.push_safety"
# Pushes to one job's devices in flight at once.
CONCURRENCY = 20
# The language of a push: the app shows the inbox in the reader's language when read; a push
# is written before anyone reads it, and users have no stored language yet.
PUSH_LANGUAGE: Language = "zh-CN"


class PushesFailedError(Exception):
    """Some pushes failed in a way worth retrying: the job fails and is retried."""


async def queue_push(session: AsyncSession, kind: str, notification_ids: Sequence[UUID]) -> None:
    """Queue the push of these notifications in ``session``'s transaction (``notify_many``).
    Safety alerts go to the job that runs ahead of ordinary work."""
    if notification_ids:
        await jobs.enqueue(
            session,
            PUSH_SAFETY_TASK if rules.is_safety(kind) else PUSH_TASK,
            {"notificationIds": [str(i) for i in notification_ids]},
        )


async def _queue_later(session: AsyncSession, ids: list[UUID], at: datetime) -> None:
    # The same ids for the same time are queued once, however often this job is retried.
    digest = hashlib.sha256(",".join(sorted(map(str, ids))).encode()).hexdigest()[:24]
    await jobs.enqueue(
        session,
        PUSH_TASK,
        {"notificationIds": [str(i) for i in ids]},
        run_at=at,
        dedupe_key=f"push:{at.isoformat()}:{digest}",
    )


# Lists travel as one array parameter each: a notification for tens of thousands of users
# stays one statement, far from the protocol's limit of 32767 parameters.
def _uuids(values: Sequence[UUID]) -> Any:
    return cast(literal(list(values), ARRAY(Uuid)), ARRAY(Uuid))


def _pairs(pairs: Sequence[tuple[UUID, UUID]]) -> Any:
    """(notification id, device id) pairs as rows of a select."""
    return select(
        func.unnest(_uuids([n for n, _ in pairs])), func.unnest(_uuids([d for _, d in pairs]))
    )


def _plan_query(ids: list[UUID]) -> Any:
    delivered = exists().where(
        PushDelivery.notification_id == Notification.id, PushDelivery.device_id == Device.id
    )
    return (
        select(
            Notification.id,
            Notification.kind,
            Notification.data,
            Device.id.label("device_id"),
            Device.provider,
            Device.token,
            NotificationPreference.push,
            NotificationPreference.muted_kinds,
            NotificationPreference.quiet_from,
            NotificationPreference.quiet_to,
        )
        .join(Device, Device.user_id == Notification.user_id)
        .outerjoin(NotificationPreference, NotificationPreference.user_id == Notification.user_id)
        .where(Notification.id == any_(_uuids(ids)), ~delivered)
        .order_by(Notification.id, Device.id)
    )


async def deliver(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The ``notifications.push`` job (see the module's docstring)."""
    ids = [UUID(value) for value in payload.get("notificationIds", [])]
    if not ids:
        return
    now = ctx.clock.now()
    providers = build_providers(ctx.settings, ctx.sessions)
    try:
        await _deliver(ctx, ids, providers, now)
    finally:
        await asyncio.gather(*(provider.aclose() for provider in providers.values()))


async def _deliver(
    ctx: JobContext, ids: list[UUID], providers: dict[str, PushProvider], now: datetime
) -> None:
    sends: list[tuple[UUID, UUID, str, str, PushMessage]] = []
    async with ctx.sessions() as session, session.begin():
        later: dict[datetime, set[UUID]] = defaultdict(set)
        for row in (await session.execute(_plan_query(ids))).all():
            push = True if row.push is None else row.push
            if not rules.wants_push(row.kind, push=push, muted_kinds=row.muted_kinds or ()):
                continue
            wait = rules.push_after(
                row.kind, now=now, quiet_from=row.quiet_from, quiet_to=row.quiet_to
            )
            if wait is not None:
                later[wait].add(row.id)
                continue
            if row.provider not in providers:
                log.warning(
                    "no %s provider configured: device %s not pushed", row.provider, row.device_id
                )
                continue
            title, body = messages.render(row.kind, row.data, PUSH_LANGUAGE)
            message = PushMessage(
                kind=row.kind,
                title=title,
                body=body,
                data={**row.data, "notificationId": str(row.id)},
                safety=rules.is_safety(row.kind),
            )
            sends.append((row.id, row.device_id, row.provider, row.token, message))
        for at, waiting in later.items():
            await _queue_later(session, sorted(waiting), at)
        if sends:
            rows = _pairs([(n, d) for n, d, *_ in sends]).add_columns(literal(now))
            claimed = set(
                (
                    await session.execute(
                        insert(PushDelivery)
                        .from_select(["notification_id", "device_id", "claimed_at"], rows)
                        .on_conflict_do_nothing()
                        .returning(PushDelivery.notification_id, PushDelivery.device_id)
                    )
                ).all()
            )
            sends = [send for send in sends if (send[0], send[1]) in claimed]
    if not sends:
        return

    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(provider: str, token: str, message: PushMessage) -> Outcome | None:
        async with gate:
            try:
                return await providers[provider].send(token, message, now=now)
            except RetryLater as exc:
                log.warning("push failed, to be retried: %s", exc)
                return None
            except Exception:
                # Not the provider's answer (a bug, a bad key): released and retried too, so
                # that fixing it delivers what failed.
                log.exception("push failed unexpectedly, to be retried")
                return None

    outcomes = await asyncio.gather(*(one(p, t, m) for _, _, p, t, m in sends))
    results: dict[Outcome | None, list[tuple[UUID, UUID]]] = defaultdict(list)
    for (notification_id, device_id, *_), outcome in zip(sends, outcomes, strict=True):
        results[outcome].append((notification_id, device_id))

    _pair = tuple_(PushDelivery.notification_id, PushDelivery.device_id)
    async with ctx.sessions() as session, session.begin():
        for outcome in (Outcome.SENT, Outcome.REJECTED):
            if results[outcome]:
                await session.execute(
                    update(PushDelivery)
                    .where(_pair.in_(_pairs(results[outcome])))
                    .values(outcome=outcome.value)
                )
        if results[Outcome.GONE]:
            gone = sorted({device_id for _, device_id in results[Outcome.GONE]})
            await session.execute(delete(Device).where(Device.id == any_(_uuids(gone))))
        if results[None]:
            await session.execute(
                delete(PushDelivery).where(
                    _pair.in_(_pairs(results[None])),
                    PushDelivery.outcome.is_(None),
                )
            )
    if results[None]:
        raise PushesFailedError(f"{len(results[None])} push(es) failed; retried with backoff")


jobs.task(PUSH_TASK, max_attempts=8)(deliver)
# The same work for safety alerts (an elder's missed check-in, a late pickup): run ahead.
jobs.task(PUSH_SAFETY_TASK, max_attempts=8, safety=True)(deliver)
