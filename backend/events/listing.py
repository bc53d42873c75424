"""What anyone may read: the published events by start (with search), the home screen's
upcoming ones, and one published event in full."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.clock import to_local
from backend.core.errors import AppError
from backend.core.pagination import paginate
from backend.events.common import PUBLIC, registration_open, room_name, text_filter, time_keyset
from backend.events.models import Event
from schemas.events import EventOut, EventSummary

_SUMMARY_COLUMNS = (
    Event.id,
    Event.title,
    Event.summary,
    Event.category,
    Event.audience,
    Event.location,
    Event.starts_at,
    Event.ends_at,
    Event.registration_opens_at,
    Event.registration_closes_at,
    Event.capacity,
    Event.max_seats_per_registration,
    Event.status,
    Event.confirmed_seats,
    Event.waitlisted_count,
    Event.room_id,
)


def _summary(row: Any, now: datetime) -> EventSummary:
    return EventSummary(
        id=row.id,
        title=row.title,
        summary=row.summary,
        category=row.category,
        audience=row.audience,
        location=row.location,
        starts_at=to_local(row.starts_at),
        ends_at=to_local(row.ends_at),
        registration_opens_at=to_local(row.registration_opens_at),
        registration_closes_at=to_local(row.registration_closes_at),
        capacity=row.capacity,
        max_seats_per_registration=row.max_seats_per_registration,
        status=row.status,
        seats_left=row.capacity - row.confirmed_seats,
        waitlist_length=row.waitlisted_count,
        registration_open=registration_open(row, now),
        room_id=row.room_id,
    )


async def list_events(
    session: AsyncSession,
    *,
    now: datetime,
    starts_from: datetime | None,
    until: datetime | None,
    category: str | None,
    audience: str | None,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[EventSummary], str | None]:
    """Published events overlapping [from, to) — by default those not yet over — by start."""
    after = time_keyset(cursor)
    stmt = select(*_SUMMARY_COLUMNS).where(
        Event.status == "published", Event.ends_at > (starts_from or now)
    )
    if until is not None:
        stmt = stmt.where(Event.starts_at < until)
    if category:
        stmt = stmt.where(Event.category == category)
    if audience:
        stmt = stmt.where(Event.audience == audience)
    if q:
        stmt = stmt.where(text_filter(q))
    if after is not None:
        stmt = stmt.where(tuple_(Event.starts_at, Event.id) > tuple_(*after))
    stmt = stmt.order_by(Event.starts_at, Event.id).limit(limit + 1)
    rows = (await session.execute(stmt)).all()
    page, next_cursor = paginate(rows, limit, lambda r: (r.starts_at, r.id))
    return [_summary(r, now) for r in page], next_cursor


async def upcoming_events(session: AsyncSession, now: datetime, limit: int) -> list[EventSummary]:
    """The next published events that are not over yet, for the home screen."""
    rows = (
        await session.execute(
            select(*_SUMMARY_COLUMNS)
            .where(Event.status == "published", Event.ends_at > now)
            .order_by(Event.starts_at, Event.id)
            .limit(limit)
        )
    ).all()
    return [_summary(r, now) for r in rows]


async def get_event(session: AsyncSession, event_id: UUID, *, now: datetime) -> EventOut:
    event = (
        await session.execute(select(Event).where(Event.id == event_id, PUBLIC))
    ).scalar_one_or_none()
    if event is None:
        raise AppError(404, "not_found")
    return EventOut(
        id=event.id,
        title=event.title,
        summary=event.summary,
        body=event.body,
        category=event.category,
        audience=event.audience,  # type: ignore[arg-type]
        location=event.location,
        starts_at=to_local(event.starts_at),
        ends_at=to_local(event.ends_at),
        registration_opens_at=to_local(event.registration_opens_at),
        registration_closes_at=to_local(event.registration_closes_at),
        capacity=event.capacity,
        max_seats_per_registration=event.max_seats_per_registration,
        status=event.status,  # type: ignore[arg-type]
        seats_left=event.capacity - event.confirmed_seats,
        waitlist_length=event.waitlisted_count,
        registration_open=registration_open(event, now),
        room_id=event.room_id,
        room_name=await room_name(session, event.room_id),
        cancelled_at=to_local(event.cancelled_at),
        cancel_reason=event.cancel_reason,
    )
