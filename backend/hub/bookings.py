"""Creating a resident's booking, and how any booking (resident, group or event) is inserted.

The database decides collisions: ``insert_bookings`` turns its refusal into a domain error. The
room row is locked first (see the lock order in ``service.py``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser
from backend.core.base import new_id
from backend.core.errors import AppError
from backend.hub import rules
from backend.hub.common import load_room, overlaps
from backend.hub.models import ACTIVE_STATUSES, Booking, Closure, Room
from backend.hub.wire import booking_out
from backend.identity import service as identity_service
from schemas.hub import BookingIn, BookingOut

_EXCLUSION_VIOLATION = "23P01"
_CHECK_VIOLATION = "23514"
_UNIQUE_VIOLATION = "23505"


def _room_rules(room: Room) -> rules.RoomRules:
    return rules.RoomRules(
        slot_minutes=room.slot_minutes,
        min_minutes=room.min_minutes,
        max_minutes=room.max_minutes,
        bookable_days_ahead=room.bookable_days_ahead,
        capacity=room.capacity,
    )


def new_check_in_code() -> str:
    # 96 random bits: a code read off a phone screen must not be guessable or enumerable.
    return secrets.token_urlsafe(12)


def _constraint_error(exc: IntegrityError) -> tuple[str | None, str | None]:
    """The SQLSTATE and constraint name behind a failed flush."""
    orig = exc.orig
    cause = getattr(orig, "__cause__", None)
    sqlstate = getattr(orig, "sqlstate", None) or getattr(cause, "sqlstate", None)
    constraint = getattr(cause, "constraint_name", None)
    return sqlstate, constraint


async def insert_bookings(session: AsyncSession, bookings: Sequence[Booking]) -> None:
    """Insert in a savepoint, so that a refusal by the database becomes a clean domain error
    and leaves the caller's transaction usable (a recurring booking then lists its clashes)."""
    try:
        async with session.begin_nested():
            session.add_all(bookings)
            await session.flush()
    except IntegrityError as exc:
        sqlstate, constraint = _constraint_error(exc)
        if sqlstate == _EXCLUSION_VIOLATION:
            raise AppError(409, "booking_conflict") from exc
        if sqlstate == _CHECK_VIOLATION and constraint == "ck_bookings_outside_closures":
            raise AppError(422, "room_closed") from exc
        if sqlstate == _UNIQUE_VIOLATION and constraint == "ux_bookings_event_hold":
            raise AppError(409, "booking_conflict") from exc
        raise


async def closures_overlapping(
    session: AsyncSession, room: Room, spans: Sequence[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    rows = await session.execute(
        select(Closure.starts_at, Closure.ends_at).where(
            or_(
                Closure.room_id == room.id,
                and_(Closure.room_id.is_(None), Closure.venue_id == room.venue_id),
            ),
            or_(*(overlaps(Closure.starts_at, Closure.ends_at, s, e) for s, e in spans)),
        )
    )
    return [(row.starts_at, row.ends_at) for row in rows]


async def create_booking(
    session: AsyncSession, actor: AuthUser, data: BookingIn, now: datetime
) -> BookingOut:
    rules.check_instants(startsAt=data.starts_at, endsAt=data.ends_at)
    room, venue = await load_room(session, data.room_id, lock="update")
    rules.check_booking(
        _room_rules(room),
        rules.hours_from_json(venue.opening_hours),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        attendees=data.attendees,
        now=now,
    )
    # A friendly early answer; the trigger is what makes it true under concurrency.
    if await closures_overlapping(session, room, [(data.starts_at, data.ends_at)]):
        raise AppError(422, "room_closed")
    active = await session.scalar(
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.user_id == actor.id,
            Booking.room_id == room.id,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.ends_at > now,
        )
    )
    if (active or 0) >= room.max_active_bookings_per_user:
        raise AppError(409, "booking_limit_reached", {"limit": room.max_active_bookings_per_user})
    owner = await identity_service.get_user(session, actor.id)
    booking = Booking(
        id=new_id(),
        room_id=room.id,
        user_id=actor.id,
        kind="resident",
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        status="pending" if room.requires_approval else "confirmed",
        purpose=data.purpose,
        attendees=data.attendees,
        contact_name=owner.display_name,
        check_in_code=new_check_in_code(),
        created_at=now,
        updated_at=now,
    )
    await insert_bookings(session, [booking])
    return booking_out(booking, room, venue.name, owner_view=True)
