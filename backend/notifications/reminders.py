"""Reminders: ``booking_reminder`` before a confirmed booking, ``event_reminder`` before a
confirmed registration's event (docs/architecture.md, "Reminders").

Not a job per booking queued when it is made — the registration rush is benchmarked and every
statement on that path counts, and a queued job would have to be found and cancelled or moved
with its booking. Instead one periodic job (every minute) asks each domain which of its
confirmed subjects are due (``start − lead <= now < start``, confirmed no later than
``start − lead``) and, in one statement per kind, records them in ``reminders`` under the key
(``starts_at``, ``kind``, ``subject_id``) with ``INSERT … ON CONFLICT DO NOTHING RETURNING``.
Only the rows that statement returns are sent, in the same transaction. So:

- a cancelled booking or registration is no longer confirmed, and never found;
- a moved one is found again under its new start time, a key not yet recorded;
- two workers running the job at once insert the same keys: the second waits on the first's
  uncommitted key, then does nothing and returns nothing — one reminder each, whatever the
  number of workers;
- a run missed while no worker ran is made up by the next one, as long as the subject has not
  started.

The domains own their tables: the hub and the events service each expose the due query and
how a due row becomes a message's data; this module only records and sends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import Select, and_, exists, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.batches import delete_batch
from backend.eldercare import service as eldercare
from backend.events import service as events
from backend.hub import service as hub
from backend.jobs import JobContext, periodic
from backend.notifications.models import Reminder
from backend.notifications.service import notify_many

# A reminder's record is kept this long after its subject started: long enough that a run
# cannot find the subject again (it is found only before it starts), short enough to stay small.
KEEP_AFTER_START = timedelta(days=1)
# Every minute: a reminder goes out within a minute of its time (or of a worker coming back).
REMINDERS_CRON = "* * * * *"


@dataclass(frozen=True, slots=True)
class ReminderKind:
    kind: str
    # (now, lead) -> the due rows: subject_id, user_id, starts_at and what ``data`` needs
    due: Callable[[datetime, timedelta], Select[*tuple[Any, ...]]]
    data: Callable[[Any], dict[str, Any]]
    lead: Callable[[Settings], timedelta]


KINDS: tuple[ReminderKind, ...] = (
    ReminderKind(
        "booking_reminder",
        hub.due_booking_reminders,
        hub.booking_reminder_data,
        lambda settings: timedelta(minutes=settings.booking_reminder_minutes),
    ),
    ReminderKind(
        "event_reminder",
        events.due_event_reminders,
        events.event_reminder_data,
        lambda settings: timedelta(minutes=settings.event_reminder_minutes),
    ),
    # An assigned care visit: the household and the caregiver, each under a kind of their own
    # (a reminder's key holds one recipient).
    ReminderKind(
        "care_visit_reminder",
        eldercare.due_household_reminders,
        eldercare.visit_reminder_data,
        lambda _: eldercare.REMINDER_LEAD,
    ),
    ReminderKind(
        "care_visit_upcoming",
        eldercare.due_caregiver_reminders,
        eldercare.visit_reminder_data,
        lambda _: eldercare.REMINDER_LEAD,
    ),
)


def _record_due(
    kind: str, due: Select[*tuple[Any, ...]], now: datetime
) -> Select[*tuple[Any, ...]]:
    """One statement: the due rows not yet reminded at their start time, share-locked, recorded,
    and returned only if this transaction recorded them.

    The lock (``FOR SHARE OF`` the subject's table, ``SKIP LOCKED``) makes "cancelled → no
    reminder" exact: a cancellation that committed while the statement ran is seen when the row
    is locked (PostgreSQL re-checks the conditions on its newest version), one still running
    holds the row and it is skipped this minute (and found next minute if it rolled back), and
    one that comes later waits for this short transaction: the reminder was sent while the
    subject was confirmed. Never waiting, the job cannot deadlock with a cancellation that
    promotes a waitlist. Only the rows not yet reminded are locked.
    """
    subject, starts = due.selected_columns.subject_id, due.selected_columns.starts_at
    subject_table = getattr(subject, "element", subject).table
    fresh = (
        due.where(
            ~exists().where(
                Reminder.starts_at == starts,
                Reminder.kind == kind,
                Reminder.subject_id == subject,
            )
        )
        .with_for_update(read=True, skip_locked=True, of=subject_table)
        .cte("fresh")
    )
    recorded = (
        pg_insert(Reminder)
        .from_select(
            ["starts_at", "kind", "subject_id", "user_id", "sent_at"],
            select(
                fresh.c.starts_at,
                literal(kind),
                fresh.c.subject_id,
                fresh.c.user_id,
                literal(now),
            ),
        )
        .on_conflict_do_nothing()
        .returning(Reminder.starts_at, Reminder.subject_id)
        .cte("recorded")
    )
    return (
        select(fresh)
        .join(
            recorded,
            and_(
                recorded.c.starts_at == fresh.c.starts_at,
                recorded.c.subject_id == fresh.c.subject_id,
            ),
        )
        .order_by(fresh.c.starts_at, fresh.c.subject_id)
    )


async def send_due(
    session: AsyncSession, reminder: ReminderKind, *, now: datetime, lead: timedelta
) -> int:
    """Record and send the due reminders of one kind in ``session``'s transaction; returns how
    many were sent. Rows that share their data (an event's registrants) share one statement."""
    if lead <= timedelta(0):
        return 0
    rows = (await session.execute(_record_due(reminder.kind, reminder.due(now, lead), now))).all()
    groups: dict[bytes, tuple[dict[str, Any], list[Any]]] = {}
    for row in rows:
        data = reminder.data(row)
        key = msgspec.json.encode(data, order="sorted")
        groups.setdefault(key, (data, []))[1].append(row.user_id)
    for data, user_ids in groups.values():
        await notify_many(session, user_ids=user_ids, kind=reminder.kind, data=data)
    return len(rows)


@periodic("send_reminders", cron=REMINDERS_CRON)
async def send_reminders(ctx: JobContext) -> None:
    """The periodic job: each kind in a transaction of its own."""
    now = ctx.clock.now()
    for reminder in KINDS:
        lead = reminder.lead(ctx.settings)
        if lead <= timedelta(0):
            continue
        async with ctx.sessions() as session, session.begin():
            await send_due(session, reminder, now=now, lead=lead)


async def delete_old(session: AsyncSession, *, now: datetime, limit: int) -> int:
    """Housekeeping: drop up to ``limit`` records of subjects that started over a day ago."""
    return await delete_batch(
        session,
        Reminder,
        (Reminder.starts_at, Reminder.kind, Reminder.subject_id),
        Reminder.starts_at < now - KEEP_AFTER_START,
        limit=limit,
        oldest_first=Reminder.starts_at,
    )
