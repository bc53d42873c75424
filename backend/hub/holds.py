"""Event holds: the events domain holds and frees rooms through these, inside its own
transaction."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.base import new_id
from backend.core.errors import AppError
from backend.hub import rules
from backend.hub.bookings import closures_overlapping, insert_bookings
from backend.hub.common import check_in_columns, load_room
from backend.hub.models import ACTIVE_STATUSES, Booking


async def hold_room_for_event(
    session: AsyncSession,
    *,
    room_id: UUID,
    starts_at: datetime,
    ends_at: datetime,
    event_id: UUID,
    title: str,
    held_by: UUID,
    now: datetime,
    data_key: bytes,
) -> UUID:
    """Hold ``room_id`` for an event's time as a confirmed booking; returns the booking id.

    The exclusion constraint applies as to any booking (409 ``booking_conflict``), and so do
    closures (422 ``room_closed``); opening hours and the slot grid do not bind staff. Holding
    again for the same event and time returns the existing hold.
    """
    rules.check_instants(startsAt=starts_at, endsAt=ends_at)
    room, _ = await load_room(session, room_id, lock="update")
    rules.check_time_range(starts_at, ends_at)
    existing = (
        await session.execute(
            select(Booking).where(Booking.event_id == event_id, Booking.status.in_(ACTIVE_STATUSES))
        )
    ).scalar_one_or_none()
    if existing is not None:
        if (existing.room_id, existing.starts_at, existing.ends_at) == (
            room_id,
            starts_at,
            ends_at,
        ):
            return existing.id
        raise AppError(409, "booking_conflict")
    if await closures_overlapping(session, room, [(starts_at, ends_at)]):
        raise AppError(422, "room_closed")
    booking = Booking(
        id=new_id(),
        room_id=room.id,
        user_id=held_by,
        kind="event",
        starts_at=starts_at,
        ends_at=ends_at,
        status="confirmed",
        purpose=title[:200],
        attendees=1,
        contact_name=title[:100],
        **check_in_columns(data_key),
        event_id=event_id,
        decided_by=held_by,
        decided_at=now,
        created_at=now,
        updated_at=now,
    )
    await insert_bookings(session, [booking])
    return booking.id


async def release_event_hold(session: AsyncSession, *, booking_id: UUID, now: datetime) -> None:
    """Free an event's room; releasing a hold that is already gone does nothing."""
    await session.execute(
        update(Booking)
        .where(
            Booking.id == booking_id,
            Booking.kind == "event",
            Booking.status.in_(ACTIVE_STATUSES),
        )
        .values(status="cancelled", cancelled_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
