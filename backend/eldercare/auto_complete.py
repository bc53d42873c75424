"""Visits the household never confirms: 48 hours after the check-out an order still
``awaiting_confirmation`` is completed automatically, charged as a confirmation charges it.

Why 48 hours: the household (often a son or daughter living elsewhere) is asked at check-out;
two days cover a weekend evening's visit read on the Monday, and a dispute needs a
reason, not a week. Without this the provider is never settled and the subsidy of a visit that
took place is never counted.

One periodic job, every ten minutes. One conditional ``UPDATE … WHERE status =
'awaiting_confirmation'`` completes every due order over the rows it could lock (``SKIP
LOCKED``: a household confirming or disputing at this moment holds its order, and its answer
wins; the outer condition is checked again on the locked row, so an order confirmed while the
job waited is not completed twice). Then each completed order is charged through
``confirmation.charge`` (the lock order is the confirmation's: the orders first, then the
allowance months, taken in one sorted order so two runs cannot deadlock) and the household
is told, all in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.eldercare.allowance import month_of
from backend.eldercare.confirmation import charge
from backend.eldercare.models import CareOrder, CareVisit
from backend.eldercare.orders import message_data
from backend.jobs import JobContext, periodic
from backend.notifications.service import notify

CONFIRM_WITHIN = timedelta(hours=48)
AUTO_COMPLETE_CRON = "*/10 * * * *"


def auto_complete_update(now: datetime) -> Any:
    """Every order awaiting confirmation whose check-out is ``CONFIRM_WITHIN`` old → completed
    (no rating: the household gave none), returning the ids."""
    due = (
        select(CareOrder.id)
        .join(CareVisit, CareVisit.order_id == CareOrder.id)
        # Literal, so the planner matches the partial index's predicate.
        .where(
            text("care_orders.status = 'awaiting_confirmation'"),
            CareVisit.check_out_at <= now - CONFIRM_WITHIN,
        )
        .with_for_update(of=CareOrder, skip_locked=True)
    )
    return (
        update(CareOrder)
        .where(CareOrder.id.in_(due.scalar_subquery()), CareOrder.status == "awaiting_confirmation")
        .values(status="completed", completed_at=now, updated_at=now)
        .returning(CareOrder.id)
        .execution_options(synchronize_session=False)
    )


async def complete_unconfirmed(session: AsyncSession, *, now: datetime) -> int:
    """Complete, charge and tell; how many orders were completed."""
    ids = (await session.execute(auto_complete_update(now))).scalars().all()
    if not ids:
        return 0
    orders = (
        (
            await session.execute(
                select(CareOrder)
                .where(CareOrder.id.in_(ids))
                .execution_options(populate_existing=True)
            )
        )
        .scalars()
        .all()
    )
    # One order of allowance months for every run: no two runs wait on each other in a ring.
    for order in sorted(orders, key=lambda o: (o.care_profile_id, month_of(o.starts_at), o.id)):
        await charge(session, order, now=now)
        order.updated_at = now
    await session.flush()
    for order in orders:
        await notify(
            session,
            user_id=order.household_id,
            kind="care_order_auto_completed",
            data=await message_data(
                session,
                order.id,
                hours=int(CONFIRM_WITHIN.total_seconds() // 3600),
                subsidy=order.subsidy,
                payable=order.payable,
            ),
        )
    return len(orders)


@periodic("complete_unconfirmed_care_orders", cron=AUTO_COMPLETE_CRON)
async def complete_unconfirmed_care_orders(ctx: JobContext) -> None:
    async with ctx.sessions() as session, session.begin():
        await complete_unconfirmed(session, now=ctx.clock.now())
