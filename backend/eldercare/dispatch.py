"""The provider's side of an order: the dispatcher assigns it to a caregiver and reads the day's
board; a caregiver reads their day.

"A caregiver's visits never overlap" is the database's: the exclusion constraint
``ex_care_orders_caregiver_busy`` over ``tstzrange(starts_at, ends_at)`` per caregiver for the
assigned and started orders. Two dispatchers assigning one caregiver to overlapping visits at
once both pass every check here; the second UPDATE waits for the first to commit and is then
refused (409 ``caregiver_busy``). Nothing counts visits first and writes after.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import get_args
from uuid import UUID

from sqlalchemy import select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser, Role
from backend.core.clock import local_date_of
from backend.core.errors import AppError
from backend.core.pagination import Keyset
from backend.core.reads import Query, Reader, param
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
# The board's columns: every status, in the lifecycle's order.
_STATUSES: tuple[CareOrderStatus, ...] = get_args(CareOrderStatus)
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


@functools.cache
def _board_query(role: Role) -> Query:
    """The day's orders a dispatcher (or an admin) reads, compiled once per role; the caller's
    id is a parameter, never a constant of the compiled statement."""
    return Query.compile(
        order_views.order_rows()
        .where(
            order_views.visible_to_role(role, param("user_id")),
            CareOrder.starts_at >= param("start"),
            CareOrder.starts_at < param("end"),
        )
        .order_by(CareOrder.starts_at, CareOrder.id)
    )


async def board(reader: Reader, actor: AuthUser, day: date, *, now: datetime) -> CareBoardOut:
    """The dispatcher's day in one statement (an admin's: every provider's), read outside the
    session (a hot read, docs/architecture.md "Performance idioms"): the orders starting on
    ``day`` by status, those without a caregiver, those flagged."""
    order_rules.check_day(day)
    start, end = order_rules.day_bounds(day)
    rows = await reader.fetch(_board_query(actor.role), user_id=actor.id, start=start, end=end)
    orders = [wire.order(row, now=now, household=False) for row in rows]
    by_status: dict[CareOrderStatus, list[CareOrderOut]] = {status: [] for status in _STATUSES}
    for order in orders:
        by_status[order.status].append(order)
    unassigned = by_status["requested"]
    flagged = [o for o in orders if o.flags]
    return CareBoardOut(
        date=day,
        columns=[
            CareBoardColumn(status=status, count=len(items), orders=items)
            for status, items in by_status.items()
        ],
        unassigned=CareBoardGroup(count=len(unassigned), orders=unassigned),
        flagged=CareBoardGroup(count=len(flagged), orders=flagged),
    )


@functools.cache
def _visits_query(*, after: bool) -> Query:
    """A caregiver's visits of a day, with or without a cursor, compiled the first time it is
    asked: the order's columns, the elder's name, the profile's address (sealed and masked),
    place and health notes, the household's phone. Columns, not ORM entities (no object per
    visit): :func:`wire.visit` reads them by name."""
    query = (
        select(
            CareOrder.id,
            CareOrder.status,
            CareOrder.service_code,
            CareOrder.starts_at,
            CareOrder.ends_at,
            CareOrder.note,
            CareOrder.flags,
            order_views.elder_name_of_order().label("elder_name"),
            CareProfile.address_enc,
            CareProfile.address_masked,
            CareProfile.lat,
            CareProfile.lng,
            CareProfile.health_notes_enc,
            select(User.phone)
            .where(User.id == CareOrder.household_id)
            .scalar_subquery()
            .label("contact_phone"),
        )
        .join(CareProfile, CareProfile.id == CareOrder.care_profile_id)
        .where(
            CareOrder.caregiver_id == param("user_id"),
            CareOrder.starts_at >= param("start"),
            CareOrder.starts_at < param("end"),
        )
    )
    if after:
        query = query.where(
            tuple_(CareOrder.starts_at, CareOrder.id)
            > tuple_(param("after_starts_at"), param("after_id"))
        )
    return Query.compile(query.order_by(CareOrder.starts_at, CareOrder.id).limit(param("limit")))


async def caregiver_visits(
    reader: Reader,
    actor: AuthUser,
    day: date,
    *,
    now: datetime,
    data_key: bytes,
    limit: int,
    cursor: str | None,
) -> Page[CaregiverVisitOut]:
    """The caregiver's visits starting on ``day`` in visiting order, in one statement read
    outside the session (a hot read, docs/architecture.md "Performance idioms"). The address and
    the household's phone and the health notes only on the day itself, for a visit assigned or
    under way: what issue 14 allows a caregiver (docs/eldercare.md, data protection)."""
    after = VISITS.decode(cursor)
    order_rules.check_day(day)
    start, end = order_rules.day_bounds(day)
    rows = await reader.fetch(
        _visits_query(after=after is not None),
        user_id=actor.id,
        start=start,
        end=end,
        after_starts_at=after[0] if after else None,
        after_id=after[1] if after else None,
        limit=limit + 1,
    )
    page, next_cursor = VISITS.paginate(rows, limit, lambda r: (r["starts_at"], r["id"]))
    today = day == local_date_of(now)
    items = []
    for row in page:
        full = today and row["status"] in _ON_DUTY
        items.append(wire.visit(row, full=full, notes=full, data_key=data_key))
    return Page(items=items, next_cursor=next_cursor)
