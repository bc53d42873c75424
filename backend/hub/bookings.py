"""Creating a resident's booking, and how any booking (resident, group or event) is inserted.

The database decides collisions: ``insert_bookings`` turns its refusal into a domain error. The
room row is locked first (see the lock order in ``service.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NoReturn, cast

from sqlalchemy import (
    DateTime,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Uuid,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser
from backend.core.base import new_id
from backend.core.errors import AppError
from backend.core.reads import Attributes, Query, Reader
from backend.core.violations import violated_constraint
from backend.hub import rules
from backend.hub.common import booked_during, closes_room, new_check_in_code, overlaps
from backend.hub.models import ACTIVE_BOOKING, Booking, Closure, Room, Venue
from backend.hub.wire import new_booking_out
from backend.identity import lookup as identity_lookup
from schemas.hub import BookingIn, BookingOut, BookingStatus


def _room_rules(room: Any) -> rules.RoomRules:
    """The rules of a room, from its entity or a row with its columns."""
    return rules.RoomRules(
        slot_minutes=room.slot_minutes,
        min_minutes=room.min_minutes,
        max_minutes=room.max_minutes,
        bookable_days_ahead=room.bookable_days_ahead,
        capacity=room.capacity,
    )


async def insert_bookings(session: AsyncSession, bookings: Sequence[Booking]) -> None:
    """Insert in a savepoint, so that a refusal by the database becomes a clean domain error
    and leaves the caller's transaction usable (a recurring booking then lists its clashes)."""
    try:
        async with session.begin_nested():
            session.add_all(bookings)
            await session.flush()
    except IntegrityError as exc:
        _raise_refusal(exc)


def _raise_refusal(exc: IntegrityError) -> NoReturn:
    """The domain error for the database's refusal of a booking, or the error itself."""
    constraint = violated_constraint(exc)
    if constraint in ("ex_bookings_no_overlap", "ux_bookings_event_hold"):
        raise AppError(409, "booking_conflict") from exc
    if constraint == "ck_bookings_outside_closures":  # the trigger of migration 0004
        raise AppError(422, "room_closed") from exc
    raise exc


async def closures_overlapping(
    session: AsyncSession, room: Room, spans: Sequence[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    rows = await session.execute(
        select(Closure.starts_at, Closure.ends_at).where(
            closes_room(room.id, room.venue_id),
            or_(*(overlaps(Closure.starts_at, Closure.ends_at, s, e) for s, e in spans)),
        )
    )
    return [(row.starts_at, row.ends_at) for row in rows]


# --- a resident's booking ----------------------------------------------------------------------
#
# The booking storm: hundreds of phones on one slot, all but one refused. Most refusals come from
# a glance at the database as it stands (``_AT_A_GLANCE``, below). Two statements decide, both
# built once here (a reused statement keeps its cache key). The first locks the room row —
# without that lock, overlapping inserts deadlocked inside the exclusion constraint's check — and
# reads in the same round trip what the rules need: the room, its venue's hours, whether a
# closure is in the way and the resident's name. The second, a statement of its own because it
# must see the bookings committed by whoever held the lock before us (a statement's snapshot is
# taken when it starts, and the first one started before it got the lock), counts the resident's
# active bookings and inserts unless the limit is reached or the slot is taken. A taken slot is
# no error: ``ON CONFLICT ON CONSTRAINT`` names the exclusion constraint alone, so the insert
# answers "nothing inserted" without a savepoint or a rollback, while any other constraint (a
# check-in code collision, the closure trigger) still raises.

_BOOKINGS = cast(Table, Booking.__table__)
_ROOM = Room.__table__.c
_VENUE = Venue.__table__.c
_BOOKING = _BOOKINGS.c
_ROOM_ID = bindparam("room", type_=Uuid)
_OWNER = bindparam("owner", type_=Uuid)
_STARTS = bindparam("starts", type_=DateTime(timezone=True))
_ENDS = bindparam("ends", type_=DateTime(timezone=True))
_NOW = bindparam("now", type_=DateTime(timezone=True))

_ROOM_COLUMNS = (
    _ROOM.id,
    _ROOM.venue_id,
    _ROOM.name,
    _ROOM.capacity,
    _ROOM.requires_approval,
    _ROOM.slot_minutes,
    _ROOM.min_minutes,
    _ROOM.max_minutes,
    _ROOM.bookable_days_ahead,
    _ROOM.cancel_cutoff_minutes,
    _ROOM.max_active_bookings_per_user,
    _VENUE.name.label("venue_name"),
    _VENUE.opening_hours,
    # A friendly early answer; the trigger is what makes it true under concurrency.
    exists()
    .where(
        closes_room(_ROOM.id, _ROOM.venue_id),
        overlaps(Closure.starts_at, Closure.ends_at, _STARTS, _ENDS),
    )
    .label("closed"),
    identity_lookup.display_name_of(_OWNER, active_only=True).label("owner_name"),
)
_MY_ACTIVE = (
    _BOOKING.user_id == _OWNER,
    _BOOKING.room_id == _ROOM_ID,
    ACTIVE_BOOKING,
    _BOOKING.ends_at > _NOW,
)

_ROOM_FOR_BOOKING = (
    select(*_ROOM_COLUMNS)
    .join_from(Room.__table__, Venue.__table__, _VENUE.id == _ROOM.venue_id)
    .where(_ROOM.id == _ROOM_ID)
    # FOR NO KEY UPDATE: it orders writers of the room without blocking the foreign-key checks
    # of rows that merely point at it.
    .with_for_update(key_share=True, of=Room.__table__)
)

# The same room, and the answers to rules 9 and 10 as they stand, without a lock or a
# transaction. A refusal needs no more: if the slot is already taken (or the resident at the
# limit, or the room closed) in this snapshot, the request is refused as of that moment — the
# answer the locked path would have given had it come then. Only a request this snapshot would
# admit takes the room lock and lets the database decide. In a storm that spares all but the
# first few losers the queue on the room's lock.
_AT_A_GLANCE = Query.compile(
    select(
        *_ROOM_COLUMNS,
        select(func.count())
        .select_from(_BOOKINGS)
        .where(*_MY_ACTIVE)
        .scalar_subquery()
        .label("active"),
        exists().where(_BOOKING.room_id == _ROOM_ID, booked_during(_STARTS, _ENDS)).label("taken"),
    )
    .join_from(Room.__table__, Venue.__table__, _VENUE.id == _ROOM.venue_id)
    .where(_ROOM.id == _ROOM_ID)
)

_MINE = select(func.count().label("active")).select_from(_BOOKINGS).where(*_MY_ACTIVE).cte("mine")
_MADE = (
    pg_insert(_BOOKINGS)
    .from_select(
        [
            _BOOKING.id,
            _BOOKING.room_id,
            _BOOKING.user_id,
            _BOOKING.kind,
            _BOOKING.starts_at,
            _BOOKING.ends_at,
            _BOOKING.status,
            _BOOKING.purpose,
            _BOOKING.attendees,
            _BOOKING.contact_name,
            _BOOKING.check_in_hash,
            _BOOKING.check_in_code_enc,
            _BOOKING.created_at,
            _BOOKING.updated_at,
        ],
        select(
            bindparam("booking", type_=Uuid),
            _ROOM_ID,
            _OWNER,
            literal("resident"),
            _STARTS,
            _ENDS,
            bindparam("status", type_=String),
            bindparam("purpose", type_=String),
            bindparam("attendees", type_=SmallInteger),
            bindparam("contact_name", type_=String),
            bindparam("check_in_hash", type_=String),
            bindparam("check_in_code_enc", type_=LargeBinary),
            _NOW,
            _NOW,
        ).where(_MINE.c.active < bindparam("limit", type_=Integer)),
    )
    .on_conflict_do_nothing(constraint="ex_bookings_no_overlap")
    .returning(_BOOKING.id)
    .cte("made")
)
_BOOK = select(_MINE.c.active, exists(select(_MADE.c.id)).label("made")).add_cte(_MADE)


def _check_rules(room: Any, data: BookingIn, now: datetime) -> None:
    """Rules 1 to 8 of docs/hub.md, in their order, and the owner's account."""
    rules.check_booking(
        _room_rules(room),
        rules.hours_from_json(room.opening_hours),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        attendees=data.attendees,
        now=now,
    )
    if room.closed:
        raise AppError(422, "room_closed")
    if room.owner_name is None:
        # A token outliving its account, or a deactivated one.
        raise AppError(404, "not_found")


async def create_booking(
    session: AsyncSession,
    actor: AuthUser,
    data: BookingIn,
    now: datetime,
    *,
    data_key: bytes,
    glance: Reader | None = None,
) -> BookingOut:
    """Book a room for a resident. ``glance``: refuse at once, without the room's lock, what
    the database as it stands refuses anyway (see ``_AT_A_GLANCE``)."""
    rules.check_instants(startsAt=data.starts_at, endsAt=data.ends_at)
    params: dict[str, Any] = {
        "room": data.room_id,
        "owner": actor.id,
        "starts": data.starts_at,
        "ends": data.ends_at,
    }
    # (An empty or reversed span is no range to glance at; the long way refuses it in order.)
    if glance is not None and data.ends_at > data.starts_at:
        row = await glance.fetchrow(_AT_A_GLANCE, **params, now=now)
        if row is None:
            raise AppError(404, "not_found")
        seen = Attributes(row)
        _check_rules(seen, data, now)
        if seen.active >= seen.max_active_bookings_per_user:
            raise AppError(
                409, "booking_limit_reached", {"limit": seen.max_active_bookings_per_user}
            )
        if seen.taken:
            raise AppError(409, "booking_conflict")
    room = (await session.execute(_ROOM_FOR_BOOKING, params)).one_or_none()
    if room is None:
        raise AppError(404, "not_found")
    _check_rules(room, data, now)
    booking_id = new_id()
    status: BookingStatus = "pending" if room.requires_approval else "confirmed"
    code = new_check_in_code(data_key)
    limit = room.max_active_bookings_per_user
    try:
        outcome = (
            await session.execute(
                _BOOK,
                {
                    "booking": booking_id,
                    "room": room.id,
                    "owner": actor.id,
                    "starts": data.starts_at,
                    "ends": data.ends_at,
                    "now": now,
                    "status": status,
                    "purpose": data.purpose,
                    "attendees": data.attendees,
                    "contact_name": room.owner_name,
                    "check_in_hash": code.digest,
                    "check_in_code_enc": code.sealed,
                    "limit": limit,
                },
            )
        ).one()
    except IntegrityError as exc:
        _raise_refusal(exc)
    if not outcome.made:
        if outcome.active >= limit:
            raise AppError(409, "booking_limit_reached", {"limit": limit})
        raise AppError(409, "booking_conflict")
    return new_booking_out(
        booking_id,
        room,
        data,
        status=status,
        contact_name=room.owner_name,
        check_in_code=code.code,
        now=now,
    )
