"""The provider's side of an order: the dispatcher assigns it to a caregiver and reads the day's
board; a caregiver reads their day.

"A caregiver's visits never overlap" is the database's: the exclusion constraint
``ex_care_orders_caregiver_busy`` over ``tstzrange(starts_at, ends_at)`` per caregiver for the
assigned and started orders. Two dispatchers assigning one caregiver to overlapping visits at
once both pass every check here; the second UPDATE waits for the first to commit and is then
refused (409 ``caregiver_busy``). Nothing counts visits first and writes after.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, get_args
from uuid import UUID

from sqlalchemy import select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser, Role
from backend.core.clock import local_date_of
from backend.core.errors import AppError
from backend.core.pagination import Keyset
from backend.core.violations import violated_constraint
from backend.eldercare import order_rules, order_views, wire
from backend.eldercare.models import CareOrder, CareProfile, CareProviderStaff
from backend.eldercare.orders import message_data
from backend.identity.models import User
from backend.notifications.service import notify
from schemas.common import Page
from schemas.eldercare import (
    CareBoardColumn,
    CareBoardGroup,
    CareBoardOut,
    CaregiverVisitOut,
    CareOrderOut,
    CareOrderStatus,
)

VISITS = Keyset("caregiver-visits", (datetime, UUID))
# While these, the caregiver needs the address (and the household's phone) of the day's visit.
_ON_DUTY = ("assigned", "in_progress")


async def _is_caregiver_of(session: AsyncSession, user_id: UUID, provider_id: UUID) -> bool:
    found = await session.scalar(
        select(CareProviderStaff.user_id)
        .join(User, User.id == CareProviderStaff.user_id)
        .where(
            CareProviderStaff.user_id == user_id,
            CareProviderStaff.provider_id == provider_id,
            User.role == Role.CAREGIVER.value,
        )
    )
    return found is not None


async def assign_order(
    session: AsyncSession, actor: AuthUser, order_id: UUID, caregiver_id: UUID, *, now: datetime
) -> CareOrderOut:
    """Assign (or reassign, before the visit starts) an order of the dispatcher's provider to
    one of its caregivers. The order row is locked first, so its status cannot change under
    the checks; the overlap is left to the exclusion constraint."""
    order = (
        await session.execute(
            select(CareOrder)
            .where(CareOrder.id == order_id, order_views.visible_to(actor))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if order is None:
        raise AppError(404, "not_found")
    if order.status not in order_rules.OPEN_STATUSES:
        raise AppError(409, "care_order_invalid_status", {"status": order.status})
    if order.starts_at <= now:
        raise AppError(409, "visit_time_passed")
    if not await _is_caregiver_of(session, caregiver_id, order.provider_id):
        raise AppError(422, "not_provider_caregiver")
    previous = order.caregiver_id
    if previous == caregiver_id and order.status == "assigned":
        # Assigned twice to the same caregiver (a retry): nothing changes, nobody is told again.
        return await order_views.get_order(session, actor, order_id, now=now)
    try:
        async with session.begin_nested():
            await session.execute(
                update(CareOrder)
                .where(CareOrder.id == order_id)
                .values(
                    caregiver_id=caregiver_id,
                    status="assigned",
                    assigned_at=now,
                    updated_at=now,
                    # The new caregiver has not set out; the old one's word no longer holds.
                    on_the_way_at=None,
                )
            )
    except IntegrityError as exc:
        if violated_constraint(exc) == "ex_care_orders_caregiver_busy":
            raise AppError(409, "caregiver_busy") from exc
        raise
    data = await message_data(session, order_id)
    await notify(session, user_id=caregiver_id, kind="care_visit_assigned", data=data)
    await notify(session, user_id=order.household_id, kind="care_order_assigned", data=data)
    if previous is not None and previous != caregiver_id:
        await notify(session, user_id=previous, kind="care_visit_unassigned", data=data)
    return await order_views.get_order(session, actor, order_id, now=now)


async def board(
    session: AsyncSession, actor: AuthUser, day: date, *, now: datetime
) -> CareBoardOut:
    """The dispatcher's day in one statement (an admin's: every provider's): the orders
    starting on ``day`` by status, those without a caregiver, those flagged."""
    rows = (
        await session.execute(
            order_views.order_rows()
            .where(order_views.visible_to(actor), order_views.on_day(day))
            .order_by(CareOrder.starts_at, CareOrder.id)
        )
    ).all()
    orders = [wire.order(row, now=now, household=False) for row in rows]
    statuses: tuple[CareOrderStatus, ...] = get_args(CareOrderStatus)
    columns = []
    for status in statuses:
        items = [o for o in orders if o.status == status]
        columns.append(CareBoardColumn(status=status, count=len(items), orders=items))
    unassigned = [o for o in orders if o.status == "requested"]
    flagged = [o for o in orders if o.flags]
    return CareBoardOut(
        date=day,
        columns=columns,
        unassigned=CareBoardGroup(count=len(unassigned), orders=unassigned),
        flagged=CareBoardGroup(count=len(flagged), orders=flagged),
    )


def _visit_rows() -> Any:
    return select(
        CareOrder,
        CareProfile,
        order_views.elder_name_of_order().label("elder_name"),
        select(User.phone)
        .where(User.id == CareOrder.household_id)
        .scalar_subquery()
        .label("contact_phone"),
    ).join(CareProfile, CareProfile.id == CareOrder.care_profile_id)


async def caregiver_visits(
    session: AsyncSession,
    actor: AuthUser,
    day: date,
    *,
    now: datetime,
    data_key: bytes,
    limit: int,
    cursor: str | None,
) -> Page[CaregiverVisitOut]:
    """The caregiver's visits starting on ``day`` in visiting order. The address and the
    household's phone and the health notes only on the day itself, for a visit assigned or under
    way: what issue 14 allows a caregiver (docs/eldercare.md, data protection)."""
    after = VISITS.decode(cursor)
    query = _visit_rows().where(CareOrder.caregiver_id == actor.id, order_views.on_day(day))
    if after is not None:
        query = query.where(tuple_(CareOrder.starts_at, CareOrder.id) > tuple_(*after))
    query = query.order_by(CareOrder.starts_at, CareOrder.id).limit(limit + 1)
    rows, next_cursor = VISITS.paginate(
        (await session.execute(query)).all(), limit, lambda r: [r[0].starts_at, r[0].id]
    )
    today = day == local_date_of(now)
    return Page(
        items=[
            wire.visit(
                row,
                full=today and row[0].status in _ON_DUTY,
                notes=today and row[0].status in _ON_DUTY,
                data_key=data_key,
            )
            for row in rows
        ],
        next_cursor=next_cursor,
    )
