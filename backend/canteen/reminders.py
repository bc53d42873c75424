"""The cutoff reminder: a resident who asked for it (one canteen, some minutes before each
meal's cutoff) is told when ordering is about to close and they have not ordered yet.

The opt-in is the resident's own row in ``meal_reminder_prefs``. A periodic job (every minute)
finds the due pairs of meal and resident and records them in ``meal_reminders_sent`` with
``INSERT … ON CONFLICT DO NOTHING RETURNING`` in one statement; only what that statement
returns is sent, in the same transaction: one reminder per meal and resident, however many
workers run the job, and a run missed while no worker ran is made up before the cutoff.
Once the meal's cutoff has passed a record guards nothing (``_due`` only looks ahead), so
housekeeping drops it a day after it was sent (``delete_old``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, exists, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.canteen.common import notice
from backend.canteen.models import Canteen, Meal, MealOrder, MealReminderPref, MealReminderSent
from backend.core.batches import delete_batch
from backend.core.clock import to_local
from backend.core.errors import invalid_field
from backend.jobs import JobContext, periodic
from backend.notifications.service import notify_many
from schemas.canteen import MealReminderIn, MealReminderOut

REMINDERS_CRON = "* * * * *"
# A reminder goes at most 12 hours (``minutes_before`` ≤ 720) before its meal's cutoff, so a
# record sent over a day ago belongs to a meal whose ordering closed at least 12 hours ago.
KEEP_AFTER_SENT = timedelta(days=1)


async def get_reminder(session: AsyncSession, user_id: UUID) -> MealReminderOut:
    row = await session.get(MealReminderPref, user_id)
    if row is None:
        return MealReminderOut(enabled=False, canteen_id=None, minutes_before=60)
    return MealReminderOut(
        enabled=True, canteen_id=row.canteen_id, minutes_before=row.minutes_before
    )


async def put_reminder(
    session: AsyncSession, user_id: UUID, data: MealReminderIn, *, now: datetime
) -> MealReminderOut:
    if not data.enabled:
        await session.execute(delete(MealReminderPref).where(MealReminderPref.user_id == user_id))
        return MealReminderOut(enabled=False, canteen_id=None, minutes_before=data.minutes_before)
    if data.canteen_id is None:
        raise invalid_field("canteenId", "required when enabled")
    if await session.get(Canteen, data.canteen_id) is None:
        raise invalid_field("canteenId", "no such canteen", "unknown_canteen")
    values = {"canteen_id": data.canteen_id, "minutes_before": data.minutes_before}
    await session.execute(
        pg_insert(MealReminderPref)
        .values(user_id=user_id, updated_at=now, **values)
        .on_conflict_do_update(
            index_elements=[MealReminderPref.user_id], set_={**values, "updated_at": now}
        )
    )
    return MealReminderOut(
        enabled=True, canteen_id=data.canteen_id, minutes_before=data.minutes_before
    )


def _due(now: datetime) -> Any:
    """Open meals whose cutoff is within the resident's lead and still ahead, with portions
    left, for which the resident has no order standing, not yet reminded."""
    lead = func.make_interval(0, 0, 0, 0, 0, MealReminderPref.minutes_before)
    due = (
        select(Meal.id.label("meal_id"), MealReminderPref.user_id)
        .join(MealReminderPref, MealReminderPref.canteen_id == Meal.canteen_id)
        .where(
            Meal.status == "open",
            Meal.order_cutoff > now,
            Meal.order_cutoff - lead <= now,
            Meal.ordered < Meal.portions,
            ~exists().where(
                MealOrder.meal_id == Meal.id,
                MealOrder.user_id == MealReminderPref.user_id,
                MealOrder.status != "cancelled",
            ),
        )
        .cte("due")
    )
    recorded = (
        pg_insert(MealReminderSent)
        .from_select(
            ["meal_id", "user_id", "sent_at"], select(due.c.meal_id, due.c.user_id, literal(now))
        )
        .on_conflict_do_nothing()
        .returning(MealReminderSent.meal_id, MealReminderSent.user_id)
        .cte("recorded")
    )
    return (
        select(
            recorded.c.meal_id,
            recorded.c.user_id,
            Meal.id,
            Meal.date,
            Meal.meal,
            Meal.order_cutoff,
            Canteen.name.label("canteen_name"),
        )
        .join(Meal, and_(Meal.id == recorded.c.meal_id))
        .join(Canteen, Canteen.id == Meal.canteen_id)
        .order_by(recorded.c.meal_id)
    )


async def send_due(session: AsyncSession, *, now: datetime) -> int:
    """Record and send the due cutoff reminders; one statement per meal for its residents."""
    rows = (await session.execute(_due(now))).all()
    by_meal: dict[UUID, tuple[Any, list[UUID]]] = {}
    for row in rows:
        by_meal.setdefault(row.meal_id, (row, []))[1].append(row.user_id)
    for meal, users in by_meal.values():
        data = {**notice(meal, meal.canteen_name), "closesAt": to_local(meal.order_cutoff)}
        await notify_many(session, user_ids=users, kind="meal_order_reminder", data=data)
    return len(rows)


@periodic("canteen_cutoff_reminders", cron=REMINDERS_CRON)
async def cutoff_reminders(ctx: JobContext) -> None:
    async with ctx.sessions() as session, session.begin():
        await send_due(session, now=ctx.clock.now())


async def delete_old(session: AsyncSession, *, now: datetime, limit: int) -> int:
    """Housekeeping: drop up to ``limit`` records sent over ``KEEP_AFTER_SENT`` ago."""
    return await delete_batch(
        session,
        MealReminderSent,
        (MealReminderSent.meal_id, MealReminderSent.user_id),
        MealReminderSent.sent_at < now - KEEP_AFTER_SENT,
        limit=limit,
    )
