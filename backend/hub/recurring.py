"""A group's weekly booking, made by the venue's worker: all or nothing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser
from backend.core.base import new_id
from backend.core.clock import LOCAL_TZ
from backend.core.errors import AppError
from backend.hub import rules
from backend.hub.bookings import closures_overlapping, insert_bookings
from backend.hub.common import check_in_columns, load_room, overlaps, require_manager
from backend.hub.models import ACTIVE_STATUSES, Booking
from backend.hub.wire import recurring_booking_out
from schemas.hub import RecurringBookingIn, RecurringBookingOut


def _conflict_list(spans: Iterable[tuple[datetime, datetime]]) -> list[dict[str, str]]:
    return [
        {
            "date": s.astimezone(LOCAL_TZ).date().isoformat(),
            "startsAt": s.isoformat(),
            "endsAt": e.isoformat(),
        }
        for s, e in spans
    ]


async def create_recurring(
    session: AsyncSession,
    actor: AuthUser,
    data: RecurringBookingIn,
    now: datetime,
    *,
    data_key: bytes,
) -> RecurringBookingOut:
    """A group's weekly booking, all or nothing: one clash anywhere and nothing is booked; the
    answer lists every clashing occurrence (``conflicts``)."""
    rules.check_instants(startsAt=data.starts_at, endsAt=data.ends_at)
    if data.until is not None:
        rules.check_day(data.until, "until")
    room, venue = await load_room(session, data.room_id, lock="update")
    await require_manager(session, actor, venue.id)
    if (data.weeks is None) == (data.until is None):
        raise AppError(422, "invalid_recurrence")
    count = data.weeks or rules.weeks_until(data.starts_at, data.until)  # type: ignore[arg-type]
    if not 1 <= count <= 52:
        raise AppError(422, "invalid_recurrence")
    rules.check_time_range(data.starts_at, data.ends_at)
    if data.starts_at < now:
        raise AppError(422, "in_the_past")
    # Weekly repeats keep weekday and local time, so the first occurrence speaks for all.
    rules.check_opening_hours(
        rules.hours_from_json(venue.opening_hours), data.starts_at, data.ends_at, room.slot_minutes
    )
    if data.attendees > room.capacity:
        raise AppError(422, "over_capacity", {"capacity": room.capacity})
    spans = rules.weekly(data.starts_at, data.ends_at, count)
    closed = await closures_overlapping(session, room, spans)
    if closed:
        hit = [s for s in spans if any(c[0] < s[1] and c[1] > s[0] for c in closed)]
        raise AppError(422, "room_closed", extra={"conflicts": _conflict_list(hit)})
    series_id = new_id()
    bookings = [
        Booking(
            id=new_id(),
            room_id=room.id,
            user_id=actor.id,
            kind="group",
            starts_at=starts,
            ends_at=ends,
            status="confirmed",
            purpose=data.purpose,
            attendees=data.attendees,
            contact_name=data.group_name,
            **check_in_columns(data_key),
            series_id=series_id,
            decided_by=actor.id,
            decided_at=now,
            created_at=now,
            updated_at=now,
        )
        for starts, ends in spans
    ]
    try:
        await insert_bookings(session, bookings)
    except AppError as error:
        if error.code != "booking_conflict":
            raise
        clashes = await _clashing(session, room.id, spans)
        raise AppError(
            409, "booking_conflict", extra={"conflicts": _conflict_list(clashes)}
        ) from error
    return recurring_booking_out(series_id, bookings, room, venue.name, data_key=data_key, now=now)


async def _clashing(
    session: AsyncSession, room_id: UUID, spans: Sequence[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    rows = (
        await session.execute(
            select(Booking.starts_at, Booking.ends_at).where(
                Booking.room_id == room_id,
                Booking.status.in_(ACTIVE_STATUSES),
                or_(*(overlaps(Booking.starts_at, Booking.ends_at, s, e) for s, e in spans)),
            )
        )
    ).all()
    return [s for s in spans if any(r.starts_at < s[1] and r.ends_at > s[0] for r in rows)]
