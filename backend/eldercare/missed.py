"""Missed visits: an assigned order whose caregiver has not checked in 30 minutes after the
start becomes ``missed``, and the household and the provider's dispatchers are told.

One periodic job, every minute, and one statement for all the orders due: a conditional
``UPDATE … WHERE status = 'assigned' AND starts_at <= now − 30 min`` over the rows it could
lock (``SKIP LOCKED``: an order a caregiver is checking in at this moment is left to that
check-in, and taken next minute if the check-in failed). A check-in after the 30 minutes is
refused by the same rule (``visit_rules.check_in_time``), so the outcome never depends on when
the job runs. The notifications go out in the same transaction; a second worker running the
job finds the orders no longer assigned and tells nobody twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.eldercare.models import CareOrder
from backend.eldercare.orders import dispatcher_ids, message_data
from backend.eldercare.visit_rules import MISSED_AFTER
from backend.jobs import JobContext, periodic
from backend.notifications.service import notify, notify_many

MISSED_CRON = "* * * * *"


def missed_update(now: datetime) -> Any:
    """The one statement that marks every due order missed, returning what the messages need.
    Its scan reads the partial index ``ix_care_orders_assigned_starts_at`` up to ``now − 30
    min``, so its cost follows the assigned orders, never the history."""
    due = (
        select(CareOrder.id)
        # Literal, so the planner matches the partial index's predicate.
        .where(text("care_orders.status = 'assigned'"), CareOrder.starts_at <= now - MISSED_AFTER)
        .with_for_update(skip_locked=True)
    )
    return (
        update(CareOrder)
        .where(CareOrder.id.in_(due.scalar_subquery()), CareOrder.status == "assigned")
        .values(status="missed", missed_at=now, updated_at=now)
        .returning(CareOrder.id, CareOrder.household_id, CareOrder.provider_id)
        .execution_options(synchronize_session=False)
    )


async def mark_missed(session: AsyncSession, *, now: datetime) -> int:
    """Mark every due order missed and tell those who must know; how many were marked."""
    rows = (await session.execute(missed_update(now))).all()
    if not rows:
        return 0
    dispatchers: dict[UUID, list[UUID]] = {}
    for row in rows:
        if row.provider_id not in dispatchers:
            dispatchers[row.provider_id] = await dispatcher_ids(session, row.provider_id)
        data = await message_data(session, row.id)
        await notify(session, user_id=row.household_id, kind="care_order_missed", data=data)
        await notify_many(
            session, user_ids=dispatchers[row.provider_id], kind="care_order_missed", data=data
        )
    return len(rows)


@periodic("mark_missed_care_visits", cron=MISSED_CRON)
async def mark_missed_care_visits(ctx: JobContext) -> None:
    async with ctx.sessions() as session, session.begin():
        await mark_missed(session, now=ctx.clock.now())
