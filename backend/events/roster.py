"""The staff's view of who comes: an event's registrations with names, phones and totals, and
the same as a CSV file for Excel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.clock import LOCAL_TZ
from backend.core.errors import AppError
from backend.core.pagination import Keyset
from backend.core.spreadsheets import csv_cell, csv_file
from backend.events import wire
from backend.events.models import Event, Registration
from backend.events.waitlist import position_column
from backend.identity import lookup
from schemas.events import ManagedRegistration, ManagedRegistrationPage, RegistrationTotals


async def _totals(session: AsyncSession, event: Event) -> RegistrationTotals:
    r = Registration
    checked_in = r.checked_in_at.is_not(None)
    counts = (
        await session.execute(
            select(
                func.count().filter(r.status == "confirmed"),
                func.count().filter(r.status == "waitlisted"),
                func.coalesce(func.sum(r.seats).filter(r.status == "waitlisted"), 0),
                func.count().filter(checked_in),
                func.coalesce(func.sum(r.seats).filter(checked_in), 0),
                func.count().filter(r.status == "cancelled"),
            ).where(r.event_id == event.id)
        )
    ).one()
    return wire.registration_totals(event, counts)


_MANAGED_COLUMNS = (
    Registration.id,
    Registration.user_id,
    Registration.status,
    Registration.seats,
    Registration.attendees,
    Registration.created_at,
    Registration.confirmed_at,
    Registration.checked_in_at,
    Registration.cancelled_at,
)


async def _managed_rows(session: AsyncSession, rows: Sequence[Any]) -> list[ManagedRegistration]:
    people = await lookup.people(session, {r.user_id for r in rows})
    return [
        wire.managed_registration(
            r,
            user_name=people[r.user_id].display_name if r.user_id in people else "",
            phone=people[r.user_id].phone if r.user_id in people else "",
        )
        for r in rows
    ]


ROSTER = Keyset("event-registrations", (UUID,))


async def event_registrations(
    session: AsyncSession,
    event_id: UUID,
    *,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> ManagedRegistrationPage:
    """An event's registrations in arrival order, with the totals over all of them."""
    event = await session.get(Event, event_id)
    if event is None:
        raise AppError(404, "not_found")
    after = ROSTER.decode(cursor)
    stmt = select(*_MANAGED_COLUMNS, position_column()).where(Registration.event_id == event_id)
    if status:
        stmt = stmt.where(Registration.status == status)
    if after is not None:
        stmt = stmt.where(Registration.id > after[0])
    rows = (await session.execute(stmt.order_by(Registration.id).limit(limit + 1))).all()
    page, next_cursor = ROSTER.paginate(rows, limit, lambda r: (r.id,))
    return ManagedRegistrationPage(
        items=await _managed_rows(session, page),
        totals=await _totals(session, event),
        next_cursor=next_cursor,
    )


_STATUS_LABELS = {"confirmed": "已确认", "waitlisted": "候补", "cancelled": "已取消"}
_CSV_HEADER = (
    "报名编号",
    "状态",
    "候补位次",
    "人数",
    "报名人",
    "手机号",
    "参加者",
    "报名时间",
    "签到时间",
    "取消时间",
)


def _csv_time(moment: datetime | None) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


async def registrations_csv(session: AsyncSession, event_id: UUID) -> tuple[str, bytes]:
    """Every registration of the event as a CSV file Excel opens correctly (UTF-8 with BOM):
    confirmed first, then the waitlist in order, then the cancelled ones."""
    event = await session.get(Event, event_id)
    if event is None:
        raise AppError(404, "not_found")
    order = case(
        (Registration.status == "confirmed", 0), (Registration.status == "waitlisted", 1), else_=2
    )
    rows = (
        await session.execute(
            select(*_MANAGED_COLUMNS, position_column())
            .where(Registration.event_id == event_id)
            .order_by(order, Registration.waitlist_seq, Registration.id)
        )
    ).all()
    registrations = await _managed_rows(session, rows)
    lines = [
        (
            str(r.id),
            _STATUS_LABELS[r.status],
            r.waitlist_position or "",
            r.seats,
            csv_cell(r.user_name),
            r.phone,
            "、".join(csv_cell(a.name) for a in r.attendees),
            _csv_time(r.created_at),
            _csv_time(r.checked_in_at),
            _csv_time(r.cancelled_at),
        )
        for r in registrations
    ]
    filename = f"event-{event.starts_at.astimezone(LOCAL_TZ):%Y%m%d}-{event.id}.csv"
    return filename, csv_file(_CSV_HEADER, lines)
