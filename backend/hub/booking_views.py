"""Bookings as people see them: their owner (with the check-in code and until when they may
cancel), the venue's worker or an admin (whose day sheet adds the resident's phone), and the
home screen's card."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, cast
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import LateralFromClause

from backend.core.auth import AuthUser, Role
from backend.core.errors import AppError
from backend.core.pagination import Keyset
from backend.core.reads import Attributes, Record
from backend.hub import rules
from backend.hub.common import (
    load_room,
    load_venue,
    managed_venue_ids,
    manages_venue,
    overlaps,
    require_manager,
)
from backend.hub.models import ACTIVE_BOOKING, Booking, Room, Venue, active_booking_of
from backend.hub.wire import booking_out
from backend.identity import lookup as identity_lookup
from schemas.common import Page
from schemas.hub import BookingOut


def _booking_rows() -> Select[Booking, Room, str]:
    return (
        select(Booking, Room, Venue.name)
        .join(Room, Room.id == Booking.room_id)
        .join(Venue, Venue.id == Room.venue_id)
    )


async def get_booking(
    session: AsyncSession, actor: AuthUser, booking_id: UUID, *, now: datetime, data_key: bytes
) -> BookingOut:
    row = (await session.execute(_booking_rows().where(Booking.id == booking_id))).first()
    if row is None:
        raise AppError(404, "not_found")
    booking, room, venue_name = row
    if booking.user_id == actor.id:
        return booking_out(booking, room, venue_name, owner_view=True, data_key=data_key, now=now)
    if await manages_venue(session, actor, room.venue_id):
        return booking_out(booking, room, venue_name, owner_view=False)
    # A worker may know other venues' bookings exist; a resident may not learn of another's.
    if actor.role == Role.WORKER:
        raise AppError(403, "forbidden")
    raise AppError(404, "not_found")


def _keyset(after: tuple[Any, ...] | None, descending: bool) -> ColumnElement[bool] | None:
    if after is None:
        return None
    starts, booking_id = after
    if descending:
        return or_(
            Booking.starts_at < starts, and_(Booking.starts_at == starts, Booking.id < booking_id)
        )
    return or_(
        Booking.starts_at > starts, and_(Booking.starts_at == starts, Booking.id > booking_id)
    )


# Upcoming and past pages run in opposite directions: a cursor of one is refused by the other.
MY_BOOKINGS = {
    "upcoming": Keyset("my-bookings-upcoming", (datetime, UUID)),
    "past": Keyset("my-bookings-past", (datetime, UUID)),
}
MANAGED_BOOKINGS = Keyset("managed-bookings", (datetime, UUID))


async def my_bookings(
    session: AsyncSession,
    actor: AuthUser,
    *,
    scope: Literal["upcoming", "past"],
    now: datetime,
    limit: int,
    cursor: str | None,
    data_key: bytes,
) -> Page[BookingOut]:
    """Upcoming (not yet ended) soonest first, or past most recent first, in every status."""
    keyset = MY_BOOKINGS[scope]
    after = keyset.decode(cursor)
    descending = scope == "past"
    query = _booking_rows().where(Booking.user_id == actor.id)
    if descending:
        query = query.where(Booking.ends_at <= now).order_by(
            Booking.starts_at.desc(), Booking.id.desc()
        )
    else:
        query = query.where(Booking.ends_at > now).order_by(Booking.starts_at, Booking.id)
    condition = _keyset(after, descending)
    if condition is not None:
        query = query.where(condition)
    rows, next_cursor = keyset.paginate(
        (await session.execute(query.limit(limit + 1))).all(),
        limit,
        lambda r: [r[0].starts_at, r[0].id],
    )
    return Page(
        items=[
            booking_out(b, room, vn, owner_view=True, data_key=data_key, now=now)
            for b, room, vn in rows
        ],
        next_cursor=next_cursor,
    )


# The same table again for the bound inside ``next_booking_lateral`` (its own name, so the
# predicate, written literally for the partial index, names it rather than the outer row).
live = aliased(Booking, name="live")
_LIVE_ACTIVE = active_booking_of("live")


def next_booking_lateral(user_id: Any, now: Any) -> LateralFromClause:
    """The user's soonest booking still to come or under way, with its room's columns, as a
    lateral subquery another statement joins (the home screen's card); read it back with
    ``next_booking_from``."""
    return (
        select(
            *Booking.__table__.columns,
            Room.venue_id,
            Room.name,
            Room.cancel_cutoff_minutes,
            Venue.name.label("venue_name"),
        )
        .join(Room, Room.id == Booking.room_id)
        .join(Venue, Venue.id == Room.venue_id)
        .where(
            Booking.user_id == user_id,
            ACTIVE_BOOKING,
            Booking.ends_at > now,
            # Implied by the line above, so no answer changes: the walk by start begins at the
            # user's first booking not over (ix_bookings_live_from) instead of reading every
            # past one, which stays active in status (issue 17). The FILTER keeps min() from
            # becoming "the first by start", and ``ends_at > starts_at`` (always true, the
            # index's predicate) keeps that index to the bound (see events.listing.live_from).
            Booking.starts_at
            >= select(func.min(live.starts_at).filter(live.ends_at > now))
            .where(
                live.user_id == user_id,
                _LIVE_ACTIVE,
                live.ends_at > now,
                live.ends_at > live.starts_at,
            )
            .scalar_subquery(),
        )
        .order_by(Booking.starts_at, Booking.id)
        .limit(1)
        .lateral("next_booking")
    )


def next_booking_from(row: Record, data_key: bytes, now: datetime) -> BookingOut | None:
    """The card from a row that joined ``next_booking_lateral`` (no booking: its id is null)."""
    if row["id"] is None:
        return None
    # One record carries the booking's and the room's columns (their names do not collide).
    fields = cast(Any, Attributes(row))
    return booking_out(
        fields, fields, row["venue_name"], owner_view=True, data_key=data_key, now=now
    )


async def manage_bookings(
    session: AsyncSession,
    actor: AuthUser,
    *,
    venue_id: UUID | None,
    room_id: UUID | None,
    status: str | None,
    day: date | None,
    limit: int,
    cursor: str | None,
) -> Page[BookingOut]:
    """A worker's day sheet: bookings of the venues they manage (admins: all), by start."""
    after = MANAGED_BOOKINGS.decode(cursor)
    query = _booking_rows()
    if room_id is not None:
        room, _ = await load_room(session, room_id)
        await require_manager(session, actor, room.venue_id)
        query = query.where(Booking.room_id == room_id)
    if venue_id is not None:
        await load_venue(session, venue_id)
        await require_manager(session, actor, venue_id)
        query = query.where(Room.venue_id == venue_id)
    if actor.role != Role.ADMIN:
        query = query.where(Room.venue_id.in_(managed_venue_ids(actor)))
    if status is not None:
        query = query.where(Booking.status == status)
    if day is not None:
        rules.check_day(day)
        day_start, day_end = rules.day_bounds(day)
        query = query.where(overlaps(Booking.starts_at, Booking.ends_at, day_start, day_end))
    condition = _keyset(after, descending=False)
    if condition is not None:
        query = query.where(condition)
    query = query.order_by(Booking.starts_at, Booking.id).limit(limit + 1)
    rows, next_cursor = MANAGED_BOOKINGS.paginate(
        (await session.execute(query)).all(), limit, lambda r: [r[0].starts_at, r[0].id]
    )
    residents = {b.user_id for b, _, _ in rows if b.kind == "resident"}
    people = await identity_lookup.people(session, residents)
    return Page(
        items=[
            booking_out(
                b,
                room,
                vn,
                owner_view=False,
                contact_phone=people[b.user_id].phone if b.user_id in people else None,
            )
            for b, room, vn in rows
        ],
        next_cursor=next_cursor,
    )
