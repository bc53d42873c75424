"""Reading care orders: who may see which (the one place that decides it), the household's
list, one order, and the staff's list.

The household's list is a hot read (the benchmark's ``listMyCareOrders``): it runs outside the
session on the reader, one statement compiled once (``backend.core.reads``; docs/architecture.md,
"Performance idioms"). The other reads share its statement, run in the request's session.

Who sees an order: its household (the resident account that owns it), the dispatchers of its
provider, and its assigned caregiver. Anyone else is answered 404, as if it did not exist.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, false, func, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser, Role
from backend.core.errors import AppError
from backend.core.pagination import Keyset
from backend.core.reads import Query, Reader, param
from backend.eldercare import order_rules, wire
from backend.eldercare.models import CareOrder, CareProfile, CareProvider, CareProviderStaff
from backend.identity import lookup
from backend.identity.models import HouseholdMember
from schemas.common import Page
from schemas.eldercare import CareOrderOut

MY_ORDERS = Keyset("my-care-orders", (datetime, UUID))
MANAGED_ORDERS = Keyset("managed-care-orders", (datetime, UUID))


def elder_name_of_order() -> ColumnElement[str]:
    """The elder's name as a column: the member's, or the resident's own (``member_id`` null)."""
    member_name = (
        select(HouseholdMember.name)
        .where(HouseholdMember.id == CareOrder.member_id)
        .scalar_subquery()
    )
    return func.coalesce(member_name, lookup.display_name_of(CareOrder.household_id))


def order_rows() -> Select[*tuple[Any, ...]]:
    """An order with what its answer shows beside its own columns, in one statement: the
    elder's name, the masked address, the provider's and the caregiver's names. Columns, not
    the ORM entity (no object per row): read rows back by name with :func:`wire.order`.

    The masked address is a lookup per order by the profile's key, not a join: joined, the
    planner's generic plan for the board (a day of one provider, ~40 orders) hashed every care
    profile of the sub-district for each request (1.25 ms of PostgreSQL against 0.23 ms,
    growing with the number of elders; docs/performance.md)."""
    address_masked = (
        select(CareProfile.address_masked)
        .where(CareProfile.id == CareOrder.care_profile_id)
        .scalar_subquery()
    )
    return select(
        *CareOrder.__table__.columns,
        elder_name_of_order().label("elder_name"),
        address_masked.label("address_masked"),
        CareProvider.name.label("provider_name"),
        lookup.display_name_of(CareOrder.caregiver_id).label("caregiver_name"),
    ).join(CareProvider, CareProvider.id == CareOrder.provider_id)


def visible_to(actor: AuthUser) -> ColumnElement[bool]:
    """The orders ``actor`` may read, as a condition every reading and changing statement
    carries (a dispatcher's provider is a subquery: no round trip of its own)."""
    return visible_to_role(actor.role, actor.id)


def visible_to_role(role: Role, user_id: Any) -> ColumnElement[bool]:
    """:func:`visible_to` for a role, ``user_id`` a value or, in a statement compiled once for
    every caller, a bound parameter."""
    if role == Role.RESIDENT:
        return CareOrder.household_id == user_id
    if role == Role.CAREGIVER:
        return CareOrder.caregiver_id == user_id
    if role == Role.DISPATCHER:
        return CareOrder.provider_id.in_(
            select(CareProviderStaff.provider_id).where(CareProviderStaff.user_id == user_id)
        )
    if role == Role.ADMIN:
        return true()
    return false()


async def get_order(
    session: AsyncSession, actor: AuthUser, order_id: UUID, *, now: datetime
) -> CareOrderOut:
    row = (
        await session.execute(order_rows().where(CareOrder.id == order_id, visible_to(actor)))
    ).one_or_none()
    if row is None:
        raise AppError(404, "not_found")
    return wire.order(row._mapping, now=now, household=actor.id == row.household_id)


@functools.cache
def _my_orders_query(*, after: bool) -> Query:
    """The household's page, with or without a cursor, compiled the first time it is asked."""
    query = order_rows().where(CareOrder.household_id == param("household_id"))
    if after:
        query = query.where(
            tuple_(CareOrder.starts_at, CareOrder.id)
            < tuple_(param("after_starts_at"), param("after_id"))
        )
    return Query.compile(
        query.order_by(CareOrder.starts_at.desc(), CareOrder.id.desc()).limit(param("limit"))
    )


async def my_orders(
    reader: Reader, household_id: UUID, *, now: datetime, limit: int, cursor: str | None
) -> Page[CareOrderOut]:
    """The household's orders in every status, the latest visit first."""
    after = MY_ORDERS.decode(cursor)
    rows = await reader.fetch(
        _my_orders_query(after=after is not None),
        household_id=household_id,
        after_starts_at=after[0] if after else None,
        after_id=after[1] if after else None,
        limit=limit + 1,
    )
    page, next_cursor = MY_ORDERS.paginate(rows, limit, lambda r: (r["starts_at"], r["id"]))
    return Page(
        items=[wire.order(r, now=now, household=True) for r in page], next_cursor=next_cursor
    )


async def manage_orders(
    session: AsyncSession,
    actor: AuthUser,
    *,
    status: str | None,
    day: date | None,
    now: datetime,
    limit: int,
    cursor: str | None,
) -> Page[CareOrderOut]:
    """A dispatcher's orders (their provider's; an admin's: every provider's), by start,
    narrowed to a status or an Asia/Shanghai day."""
    after = MANAGED_ORDERS.decode(cursor)
    query = order_rows().where(visible_to(actor))
    if status is not None:
        query = query.where(CareOrder.status == status)
    if day is not None:
        query = query.where(on_day(day))
    if after is not None:
        query = query.where(tuple_(CareOrder.starts_at, CareOrder.id) > tuple_(*after))
    query = query.order_by(CareOrder.starts_at, CareOrder.id).limit(limit + 1)
    rows, next_cursor = MANAGED_ORDERS.paginate(
        (await session.execute(query)).all(), limit, lambda r: [r.starts_at, r.id]
    )
    return Page(
        items=[wire.order(r._mapping, now=now, household=False) for r in rows],
        next_cursor=next_cursor,
    )


def on_day(day: date) -> ColumnElement[bool]:
    """Orders whose visit starts on the Asia/Shanghai ``day`` (a range on the start index)."""
    order_rules.check_day(day)
    start, end = order_rules.day_bounds(day)
    return and_(CareOrder.starts_at >= start, CareOrder.starts_at < end)
