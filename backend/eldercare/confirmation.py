"""The household's side of a visit: the elder's code for the door, and confirming (with the
subsidy taken from the allowance) or disputing what the caregiver recorded.

Lock order: the order row, then the allowance month's row (``allowance.take_up_to``). Nothing
else locks an allowance row while holding an order, so confirmations of one elder's orders
queue on the month row and never deadlock.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.errors import AppError
from backend.eldercare import allowance, wire
from backend.eldercare import visit_rules as rules
from backend.eldercare.models import CareOrder
from backend.eldercare.order_views import order_rows
from backend.eldercare.orders import dispatcher_ids, message_data
from backend.eldercare.visits import clean_notes, locked_order
from backend.identity.service import clean_text
from backend.notifications.service import notify_many
from schemas.care_visits import CareConfirmIn, CareDisputeIn, ElderCodeOut
from schemas.eldercare import CareOrderOut


async def _households_order(
    session: AsyncSession, household_id: UUID, order_id: UUID, *, lock: bool
) -> CareOrder:
    if lock:
        order = await locked_order(session, order_id)
    else:
        order = await session.get(CareOrder, order_id)
    if order is None or order.household_id != household_id:
        raise AppError(404, "not_found")
    return order


async def _answer(session: AsyncSession, order: CareOrder, now: datetime) -> CareOrderOut:
    row = (await session.execute(order_rows().where(CareOrder.id == order.id))).one()
    return wire.order(row, now=now, household=True)


async def elder_code(
    session: AsyncSession, household_id: UUID, order_id: UUID, *, data_key: bytes
) -> ElderCodeOut:
    """The code of this visit, for the household's order only (404 for anyone else's)."""
    order = await _households_order(session, household_id, order_id, lock=False)
    return ElderCodeOut(code=rules.elder_code(data_key, order.id))


async def charge(session: AsyncSession, order: CareOrder, *, now: datetime) -> None:
    """Take the order's subsidy from the allowance of the visit's month, as much as it still
    holds; the household pays the rest. The order must be locked by the caller (it is the
    first lock of the fixed order: the order row, then the month's row). Confirming and the
    automatic completion both come here, so a visit is charged the same either way."""
    taken = await allowance.take_up_to(
        session, order.care_profile_id, order.subsidy, now=now, during=order.starts_at
    )
    order.payable += order.subsidy - taken
    order.subsidy = taken


def _awaiting(order: CareOrder) -> None:
    if order.status != "awaiting_confirmation":
        raise AppError(409, "care_order_invalid_status", {"status": order.status})


async def confirm(
    session: AsyncSession, household_id: UUID, order_id: UUID, data: CareConfirmIn, *, now: datetime
) -> CareOrderOut:
    """``awaiting_confirmation`` → ``completed``; the order's subsidy is taken from the
    allowance of the month of the visit in this transaction. Where the allowance no longer
    covers it (other visits were confirmed first, or the worker lowered it), the allowance
    gives what it has left and the household pays the rest: ``subsidy`` falls, ``payable``
    rises by as much, and the allowance never goes below zero."""
    order = await _households_order(session, household_id, order_id, lock=True)
    _awaiting(order)
    await charge(session, order, now=now)
    order.status, order.completed_at, order.updated_at = "completed", now, now
    order.rating = data.rating
    order.comment = clean_notes(data.comment, "comment")
    await session.flush()
    return await _answer(session, order, now)


async def dispute(
    session: AsyncSession, household_id: UUID, order_id: UUID, data: CareDisputeIn, *, now: datetime
) -> CareOrderOut:
    """``awaiting_confirmation`` → ``disputed``: nothing is taken from the allowance, and the
    provider's dispatchers are told in this transaction."""
    reason = clean_text(data.reason, field="reason", max_length=200)
    order = await _households_order(session, household_id, order_id, lock=True)
    _awaiting(order)
    order.status, order.dispute_reason, order.updated_at = "disputed", reason, now
    await session.flush()
    await notify_many(
        session,
        user_ids=await dispatcher_ids(session, order.provider_id),
        kind="care_order_disputed",
        data=await message_data(session, order.id, reason=reason),
    )
    return await _answer(session, order, now)
