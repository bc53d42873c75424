"""The household's side of a visit: the elder's code for the door, and confirming (with the
subsidy taken from the allowance) or disputing what the caregiver recorded.

Lock order: the order row, then the allowance month's row (``allowance.take_up_to``). Nothing
else locks an allowance row while holding an order, so confirmations of one elder's orders
queue on the month row and never deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.errors import AppError
from backend.eldercare import allowance
from backend.eldercare import visit_rules as rules
from backend.eldercare.models import CareOrder, CareProviderStaff
from backend.eldercare.visits import clean_notes, locked_order, service_of
from backend.identity.models import User
from backend.identity.service import clean_text
from backend.notifications.service import notify_many
from schemas.care_visits import CareConfirmIn, CareDisputeIn, CareOrderSettled, ElderCodeOut


async def dispatchers_of(
    session: AsyncSession, provider_ids: Iterable[UUID]
) -> dict[UUID, list[UUID]]:
    """The dispatchers of each provider (those who must hear of a missed or disputed visit)."""
    rows = await session.execute(
        select(CareProviderStaff.provider_id, User.id)
        .join(User, User.id == CareProviderStaff.user_id)
        .where(CareProviderStaff.provider_id.in_(list(provider_ids)), User.role == "dispatcher")
        .order_by(User.id)
    )
    found: dict[UUID, list[UUID]] = {}
    for provider_id, user_id in rows:
        found.setdefault(provider_id, []).append(user_id)
    return found


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


def settled(order: CareOrder) -> CareOrderSettled:
    return CareOrderSettled(
        id=order.id,
        status=order.status,
        price=order.price,
        subsidy=order.subsidy,
        payable=order.payable,
        flags=list(order.flags),
        rating=order.rating,
        comment=order.comment,
        dispute_reason=order.dispute_reason,
        completed_at=order.completed_at,
    )


async def elder_code(
    session: AsyncSession, household_id: UUID, order_id: UUID, *, data_key: bytes
) -> ElderCodeOut:
    """The code of this visit, for the household's order only (404 for anyone else's)."""
    order = await _households_order(session, household_id, order_id, lock=False)
    return ElderCodeOut(code=rules.elder_code(data_key, order.id))


def _awaiting(order: CareOrder) -> None:
    if order.status != "awaiting_confirmation":
        raise AppError(409, "care_order_wrong_status", {"status": order.status})


async def confirm(
    session: AsyncSession, household_id: UUID, order_id: UUID, data: CareConfirmIn, *, now: datetime
) -> CareOrderSettled:
    """``awaiting_confirmation`` → ``completed``; the order's subsidy is taken from the
    allowance of the month of the visit in this transaction. Where the allowance no longer
    covers it (other visits were confirmed first, or the worker lowered it), the allowance
    gives what it has left and the household pays the rest: ``subsidy`` falls, ``payable``
    rises by as much, and the allowance never goes below zero."""
    order = await _households_order(session, household_id, order_id, lock=True)
    _awaiting(order)
    taken = await allowance.take_up_to(
        session, order.care_profile_id, order.subsidy, now=now, during=order.starts_at
    )
    order.payable += order.subsidy - taken
    order.subsidy = taken
    order.status, order.completed_at, order.updated_at = "completed", now, now
    order.rating = data.rating
    order.comment = clean_notes(data.comment, "comment")
    await session.flush()
    return settled(order)


async def dispute(
    session: AsyncSession, household_id: UUID, order_id: UUID, data: CareDisputeIn, *, now: datetime
) -> CareOrderSettled:
    """``awaiting_confirmation`` → ``disputed``: nothing is taken from the allowance, and the
    provider's dispatchers are told in this transaction."""
    reason = clean_text(data.reason, field="reason", max_length=200)
    order = await _households_order(session, household_id, order_id, lock=True)
    _awaiting(order)
    order.status, order.dispute_reason, order.updated_at = "disputed", reason, now
    await session.flush()
    service = await service_of(session, order.service_code)
    dispatchers = await dispatchers_of(session, [order.provider_id])
    await notify_many(
        session,
        user_ids=dispatchers.get(order.provider_id, []),
        kind="care_order_disputed",
        data={
            "orderId": order.id,
            "serviceName": service.name_zh,
            "startsAt": order.starts_at,
            "reason": reason,
        },
    )
    return settled(order)
