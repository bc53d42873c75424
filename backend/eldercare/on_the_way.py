"""The assigned caregiver tells the household they set out (issue 14: "caregiver on the
way/arrived").

Once per assignment: one conditional ``UPDATE … WHERE on_the_way_at IS NULL`` decides, so of
many taps at once (a phone retrying on a bad connection) exactly one tells the household; the
others are answered 409 ``already_on_the_way``. The window opens two hours before the start (a
caregiver crossing the district by bus sets out early) and closes where a check-in does, when
the visit counts as missed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser
from backend.core.errors import AppError
from backend.eldercare import order_views
from backend.eldercare.models import CareOrder
from backend.eldercare.orders import message_data
from backend.eldercare.visit_rules import MISSED_AFTER
from backend.notifications.service import notify
from schemas.eldercare import CareOrderOut

ON_THE_WAY_OPENS_BEFORE = timedelta(hours=2)


async def _refusal(
    session: AsyncSession, caregiver_id: UUID, order_id: UUID, now: datetime
) -> AppError:
    """Why the conditional UPDATE changed nothing, read after it (the row may have moved on
    since; any of these answers was true at some instant during the call)."""
    order = (
        await session.execute(
            select(CareOrder).where(
                CareOrder.id == order_id, CareOrder.caregiver_id == caregiver_id
            )
        )
    ).scalar_one_or_none()
    if order is None:
        return AppError(404, "not_found")
    if order.on_the_way_at is not None and order.status == "assigned":
        return AppError(409, "already_on_the_way")
    if order.status == "missed" or (
        order.status == "assigned" and now >= order.starts_at + MISSED_AFTER
    ):
        return AppError(409, "visit_missed", {"minutes": MISSED_AFTER.seconds // 60})
    if order.status != "assigned":
        return AppError(409, "care_order_invalid_status", {"status": order.status})
    return AppError(422, "too_early_to_set_out", {"minutes": ON_THE_WAY_OPENS_BEFORE.seconds // 60})


async def set_out(
    session: AsyncSession, actor: AuthUser, order_id: UUID, *, now: datetime
) -> CareOrderOut:
    """``on_the_way_at`` set on an ``assigned`` order of ``actor`` (another's: 404), from two
    hours before the start until the visit counts as missed; the household is told in this
    transaction. The status stays ``assigned``: the check-in starts the visit."""
    changed = (
        await session.execute(
            update(CareOrder)
            .where(
                CareOrder.id == order_id,
                CareOrder.caregiver_id == actor.id,
                CareOrder.status == "assigned",
                CareOrder.on_the_way_at.is_(None),
                CareOrder.starts_at - ON_THE_WAY_OPENS_BEFORE <= now,
                CareOrder.starts_at + MISSED_AFTER > now,
            )
            .values(on_the_way_at=now, updated_at=now)
            .returning(CareOrder.household_id)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one_or_none()
    if changed is None:
        raise await _refusal(session, actor.id, order_id, now)
    await notify(
        session,
        user_id=changed,
        kind="care_caregiver_on_the_way",
        data=await message_data(session, order_id, onTheWayAt=now),
    )
    return await order_views.get_order(session, actor, order_id, now=now)
