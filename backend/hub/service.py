"""Hub rules and transactions: venues, rooms, closures, availability and bookings. No HTTP here.

Collisions are the database's business (see ``models.py``): the service inserts and turns the
constraint's answer into ``booking_conflict``; it never decides by looking first.

Every path that creates bookings first locks the room row (``FOR NO KEY UPDATE``). The
constraint alone would stay correct without it, but two overlapping inserts in flight wait for
each other inside the exclusion check and PostgreSQL aborts one as a deadlock; queued behind the
room lock, the second simply meets the first's committed row. The same lock makes the per-user
active limit a count nobody can race. Lock order, everywhere: the room row before any booking
row, so a closure (room ``FOR UPDATE``, then its bookings) and a status change (room
``FOR SHARE``, then the booking) cannot deadlock either.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from msgspec import UNSET
from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser, Role
from backend.core.base import new_id
from backend.core.clock import LOCAL_TZ, to_local
from backend.core.errors import AppError
from backend.core.pagination import decode_cursor, paginate
from backend.hub import messages as _messages  # noqa: F401  (registers the hub's texts)
from backend.hub import rules
from backend.hub.models import ACTIVE_STATUSES, Booking, Closure, Room, Venue, WorkerVenue
from backend.identity import lookup as identity_lookup
from backend.identity import service as identity_service
from backend.notifications.service import notify
from schemas.common import Page
from schemas.hub import (
    BookingIn,
    BookingOut,
    ClosureIn,
    ClosureOut,
    Interval,
    OpeningHours,
    RecurringBookingIn,
    RecurringBookingOut,
    RoomAvailability,
    RoomIn,
    RoomOut,
    RoomPatch,
    Slot,
    VenueAvailability,
    VenueIn,
    VenueOut,
    VenuePatch,
    VenueRef,
    WorkerVenuesOut,
)

CHECK_IN_OPENS_BEFORE = timedelta(minutes=15)
# Statuses a closure cancels; a booking already checked in stays on record as it happened.
CANCELLED_BY_CLOSURE = ("pending", "confirmed")

_EXCLUSION_VIOLATION = "23P01"
_CHECK_VIOLATION = "23514"
_UNIQUE_VIOLATION = "23505"


# --- conversions ---------------------------------------------------------------------------


def _room_out(room: Room) -> RoomOut:
    return RoomOut(
        id=room.id,
        venue_id=room.venue_id,
        name=room.name,
        kind=room.kind,
        capacity=room.capacity,
        amenities=list(room.amenities or []),
        requires_approval=room.requires_approval,
        slot_minutes=room.slot_minutes,
        min_minutes=room.min_minutes,
        max_minutes=room.max_minutes,
        bookable_days_ahead=room.bookable_days_ahead,
        cancel_cutoff_minutes=room.cancel_cutoff_minutes,
        max_active_bookings_per_user=room.max_active_bookings_per_user,
        description=room.description,
    )


def _venue_out(venue: Venue, rooms: Iterable[Room]) -> VenueOut:
    return VenueOut(
        id=venue.id,
        name=venue.name,
        address=venue.address,
        opening_hours=[OpeningHours(**item) for item in venue.opening_hours],
        rooms=[_room_out(room) for room in rooms],
        description=venue.description,
        phone=venue.phone,
    )


def label(venue_name: str, room_name: str) -> str:
    return f"{venue_name} · {room_name}"


def _booking_out(
    booking: Booking,
    room: Room,
    venue_name: str,
    *,
    owner_view: bool,
    contact_phone: str | None = None,
) -> BookingOut:
    cancellable_until = None
    if owner_view and booking.kind == "resident" and booking.status in CANCELLED_BY_CLOSURE:
        cancellable_until = booking.starts_at - timedelta(minutes=room.cancel_cutoff_minutes)
    return BookingOut(
        id=booking.id,
        room_id=booking.room_id,
        venue_id=room.venue_id,
        room_label=label(venue_name, room.name),
        kind=booking.kind,  # type: ignore[arg-type]
        status=booking.status,  # type: ignore[arg-type]
        starts_at=to_local(booking.starts_at),
        ends_at=to_local(booking.ends_at),
        purpose=booking.purpose,
        attendees=booking.attendees,
        contact_name=booking.contact_name,
        created_at=to_local(booking.created_at),
        cancellable_until=to_local(cancellable_until),
        check_in_code=booking.check_in_code if owner_view else None,
        reason=booking.reason,
        checked_in_at=to_local(booking.checked_in_at),
        series_id=booking.series_id,
        event_id=booking.event_id,
        contact_phone=contact_phone,
    )


def _closure_out(closure: Closure, cancelled: int = 0) -> ClosureOut:
    return ClosureOut(
        id=closure.id,
        venue_id=closure.venue_id,
        room_id=closure.room_id,
        starts_at=to_local(closure.starts_at),
        ends_at=to_local(closure.ends_at),
        reason=closure.reason,
        created_at=to_local(closure.created_at),
        cancelled_bookings=cancelled,
    )


def _room_rules(room: Room) -> rules.RoomRules:
    return rules.RoomRules(
        slot_minutes=room.slot_minutes,
        min_minutes=room.min_minutes,
        max_minutes=room.max_minutes,
        bookable_days_ahead=room.bookable_days_ahead,
        capacity=room.capacity,
    )


def _new_check_in_code() -> str:
    # 96 random bits: a code read off a phone screen must not be guessable or enumerable.
    return secrets.token_urlsafe(12)


# --- loading and authorization ---------------------------------------------------------------


async def _venue(session: AsyncSession, venue_id: UUID) -> Venue:
    venue = await session.get(Venue, venue_id)
    if venue is None:
        raise AppError(404, "not_found")
    return venue


async def _room_with_venue(
    session: AsyncSession, room_id: UUID, *, lock: Literal["share", "update"] | None = None
) -> tuple[Room, Venue]:
    query = select(Room, Venue).join(Venue, Venue.id == Room.venue_id).where(Room.id == room_id)
    if lock is not None:
        # "update" is FOR NO KEY UPDATE: it orders writers of the room without blocking the
        # foreign-key checks of rows that merely point at it.
        query = query.with_for_update(read=lock == "share", key_share=lock == "update", of=Room)
    row = (await session.execute(query)).first()
    if row is None:
        raise AppError(404, "not_found")
    return row[0], row[1]


async def manages_venue(session: AsyncSession, actor: AuthUser, venue_id: UUID) -> bool:
    """The one authorization rule of hub management: admins manage every venue, workers the
    venues assigned to them, nobody else any."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.WORKER:
        return False
    assigned = await session.scalar(
        select(exists().where(WorkerVenue.user_id == actor.id, WorkerVenue.venue_id == venue_id))
    )
    return bool(assigned)


async def _require_manager(session: AsyncSession, actor: AuthUser, venue_id: UUID) -> None:
    if not await manages_venue(session, actor, venue_id):
        raise AppError(403, "forbidden")


def _managed_venue_ids(actor: AuthUser) -> Select[UUID]:
    return select(WorkerVenue.venue_id).where(WorkerVenue.user_id == actor.id)


# --- venues and rooms ------------------------------------------------------------------------


async def create_venue(session: AsyncSession, data: VenueIn, now: datetime) -> VenueOut:
    hours = rules.validate_hours(data.opening_hours)
    venue = Venue(
        name=data.name,
        address=data.address,
        description=data.description,
        phone=data.phone,
        opening_hours=rules.hours_to_json(hours),
        created_at=now,
        updated_at=now,
    )
    session.add(venue)
    await session.flush()
    return _venue_out(venue, [])


async def update_venue(
    session: AsyncSession, venue_id: UUID, patch: VenuePatch, now: datetime
) -> VenueOut:
    venue = await _venue(session, venue_id)
    if patch.opening_hours is not UNSET:
        venue.opening_hours = rules.hours_to_json(rules.validate_hours(patch.opening_hours))
    for field in ("name", "address", "description", "phone"):
        value = getattr(patch, field)
        if value is not UNSET:
            setattr(venue, field, value)
    venue.updated_at = now
    await session.flush()
    return await get_venue(session, venue_id)


async def get_venue(session: AsyncSession, venue_id: UUID) -> VenueOut:
    venue = await _venue(session, venue_id)
    rooms = (
        await session.scalars(select(Room).where(Room.venue_id == venue_id).order_by(Room.id))
    ).all()
    return _venue_out(venue, rooms)


async def list_venues(
    session: AsyncSession,
    *,
    limit: int,
    cursor: str | None,
    managed_by: AuthUser | None = None,
) -> Page[VenueOut]:
    """Every venue, or those ``managed_by`` may manage, with their rooms, in creation order."""
    after = decode_cursor(cursor, 1, types=(UUID,))
    query = select(Venue).order_by(Venue.id).limit(limit + 1)
    if managed_by is not None and managed_by.role != Role.ADMIN:
        query = query.where(Venue.id.in_(_managed_venue_ids(managed_by)))
    if after is not None:
        query = query.where(Venue.id > after[0])
    venues, next_cursor = paginate((await session.scalars(query)).all(), limit, lambda v: [v.id])
    # The page's rooms in one query, whatever the page size.
    rooms_of: dict[UUID, list[Room]] = {v.id: [] for v in venues}
    if venues:
        for room in await session.scalars(
            select(Room).where(Room.venue_id.in_(list(rooms_of))).order_by(Room.id)
        ):
            rooms_of[room.venue_id].append(room)
    return Page(items=[_venue_out(v, rooms_of[v.id]) for v in venues], next_cursor=next_cursor)


def _check_room_rules(slot_minutes: int, min_minutes: int, max_minutes: int) -> None:
    errors = rules.validate_room_rules(
        slot_minutes=slot_minutes, min_minutes=min_minutes, max_minutes=max_minutes
    )
    if errors:
        raise AppError(422, "invalid_room_rules", errors=errors)


async def create_room(
    session: AsyncSession, venue_id: UUID, data: RoomIn, now: datetime
) -> RoomOut:
    await _venue(session, venue_id)
    _check_room_rules(data.slot_minutes, data.min_minutes, data.max_minutes)
    room = Room(
        venue_id=venue_id,
        name=data.name,
        kind=data.kind,
        description=data.description,
        capacity=data.capacity,
        amenities=list(dict.fromkeys(data.amenities)),
        requires_approval=data.requires_approval,
        slot_minutes=data.slot_minutes,
        min_minutes=data.min_minutes,
        max_minutes=data.max_minutes,
        bookable_days_ahead=data.bookable_days_ahead,
        cancel_cutoff_minutes=data.cancel_cutoff_minutes,
        max_active_bookings_per_user=data.max_active_bookings_per_user,
        created_at=now,
        updated_at=now,
    )
    session.add(room)
    await session.flush()
    return _room_out(room)


_ROOM_FIELDS = (
    "name",
    "kind",
    "description",
    "capacity",
    "requires_approval",
    "slot_minutes",
    "min_minutes",
    "max_minutes",
    "bookable_days_ahead",
    "cancel_cutoff_minutes",
    "max_active_bookings_per_user",
)


async def update_room(
    session: AsyncSession, room_id: UUID, patch: RoomPatch, now: datetime
) -> RoomOut:
    """Changed rules apply to bookings made from now on; existing bookings stay as they are."""
    room, _ = await _room_with_venue(session, room_id, lock="update")
    for field in _ROOM_FIELDS:
        value = getattr(patch, field)
        if value is not UNSET:
            setattr(room, field, value)
    if patch.amenities is not UNSET:
        room.amenities = list(dict.fromkeys(patch.amenities))
    _check_room_rules(room.slot_minutes, room.min_minutes, room.max_minutes)
    room.updated_at = now
    await session.flush()
    return _room_out(room)


async def get_room(session: AsyncSession, room_id: UUID) -> RoomOut:
    room, _ = await _room_with_venue(session, room_id)
    return _room_out(room)


async def room_label(session: AsyncSession, room_id: UUID) -> str | None:
    """``高照三合一 · 书法室``: how messages and other domains name a room."""
    row = (
        await session.execute(
            select(Venue.name, Room.name)
            .join(Room, Room.venue_id == Venue.id)
            .where(Room.id == room_id)
        )
    ).first()
    return label(row[0], row[1]) if row else None


# --- worker assignments ----------------------------------------------------------------------


async def set_worker_venues(
    session: AsyncSession, user_id: UUID, venue_ids: Sequence[UUID]
) -> WorkerVenuesOut:
    """Replace the venues a worker manages (an empty list unassigns them all)."""
    user = await identity_service.get_user(session, user_id)
    wanted = list(dict.fromkeys(venue_ids))
    found = (
        await session.execute(select(Venue.id, Venue.name).where(Venue.id.in_(wanted)))
        if wanted
        else None
    )
    venues = {row.id: row.name for row in found} if found is not None else {}
    if len(venues) != len(wanted):
        raise AppError(404, "not_found")
    if user.role != Role.WORKER:
        raise AppError(422, "not_a_worker")
    await session.execute(
        delete(WorkerVenue).where(
            WorkerVenue.user_id == user_id, WorkerVenue.venue_id.not_in(wanted)
        )
    )
    if wanted:
        await session.execute(
            pg_insert(WorkerVenue)
            .values([{"user_id": user_id, "venue_id": vid} for vid in wanted])
            .on_conflict_do_nothing()
        )
    return WorkerVenuesOut(
        user_id=user_id,
        venues=sorted((VenueRef(id=v, name=n) for v, n in venues.items()), key=lambda r: r.id),
    )


async def worker_venues(session: AsyncSession, user_id: UUID) -> WorkerVenuesOut:
    await identity_service.get_user(session, user_id)
    rows = await session.execute(
        select(Venue.id, Venue.name)
        .join(WorkerVenue, WorkerVenue.venue_id == Venue.id)
        .where(WorkerVenue.user_id == user_id)
        .order_by(Venue.id)
    )
    return WorkerVenuesOut(user_id=user_id, venues=[VenueRef(id=r.id, name=r.name) for r in rows])


# --- closures ---------------------------------------------------------------------------------


def _overlaps(
    starts: Any, ends: Any, other_starts: datetime, other_ends: datetime
) -> ColumnElement[bool]:
    return and_(starts < other_ends, ends > other_starts)


async def create_closure(
    session: AsyncSession,
    actor: AuthUser,
    *,
    data: ClosureIn,
    now: datetime,
    venue_id: UUID | None = None,
    room_id: UUID | None = None,
) -> ClosureOut:
    """Close a room (``room_id``) or a whole venue; pending and confirmed bookings inside are
    cancelled and their owners told why, in this transaction."""
    if room_id is not None:
        _, venue = await _room_with_venue(session, room_id)
    else:
        assert venue_id is not None
        venue = await _venue(session, venue_id)
    await _require_manager(session, actor, venue.id)
    rules.check_instants(startsAt=data.starts_at, endsAt=data.ends_at)
    rules.check_time_range(data.starts_at, data.ends_at)
    # Exclusive room locks, in id order: bookings being made in these rooms finish first (their
    # trigger shares the lock), and those that come after see this closure and are refused.
    scope = Room.id == room_id if room_id is not None else Room.venue_id == venue.id
    locked = (
        await session.execute(
            select(Room.id, Room.name).where(scope).order_by(Room.id).with_for_update()
        )
    ).all()
    room_names = {row.id: row.name for row in locked}
    cancelled = (
        await session.execute(
            update(Booking)
            .where(
                Booking.room_id.in_(list(room_names)),
                Booking.status.in_(CANCELLED_BY_CLOSURE),
                _overlaps(Booking.starts_at, Booking.ends_at, data.starts_at, data.ends_at),
            )
            .values(
                status="cancelled",
                reason=data.reason,
                cancelled_at=now,
                decided_by=actor.id,
                decided_at=now,
                updated_at=now,
            )
            .returning(
                Booking.id, Booking.user_id, Booking.room_id, Booking.starts_at, Booking.ends_at
            )
            .execution_options(synchronize_session=False)
        )
    ).all()
    for row in cancelled:
        await notify(
            session,
            user_id=row.user_id,
            kind="booking_closure",
            data={
                "bookingId": str(row.id),
                "room": label(venue.name, room_names[row.room_id]),
                "when": rules.when_text(row.starts_at, row.ends_at),
                "reason": data.reason,
            },
        )
    closure = Closure(
        venue_id=venue.id,
        room_id=room_id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        reason=data.reason,
        created_by=actor.id,
        created_at=now,
    )
    session.add(closure)
    await session.flush()
    return _closure_out(closure, len(cancelled))


async def list_closures(
    session: AsyncSession,
    actor: AuthUser,
    venue_id: UUID,
    *,
    now: datetime,
    limit: int,
    cursor: str | None,
) -> Page[ClosureOut]:
    """The venue's closures that have not ended yet, soonest first."""
    await _venue(session, venue_id)
    await _require_manager(session, actor, venue_id)
    after = decode_cursor(cursor, 2, types=(datetime, UUID))
    query = (
        select(Closure)
        .where(Closure.venue_id == venue_id, Closure.ends_at > now)
        .order_by(Closure.starts_at, Closure.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(
            or_(
                Closure.starts_at > after[0],
                and_(Closure.starts_at == after[0], Closure.id > after[1]),
            )
        )
    items, next_cursor = paginate(
        (await session.scalars(query)).all(), limit, lambda c: [c.starts_at, c.id]
    )
    return Page(items=[_closure_out(c) for c in items], next_cursor=next_cursor)


async def delete_closure(session: AsyncSession, actor: AuthUser, closure_id: UUID) -> None:
    """Lift a closure. Bookings it cancelled stay cancelled: their owners were told so."""
    closure = await session.get(Closure, closure_id)
    if closure is None:
        raise AppError(404, "not_found")
    await _require_manager(session, actor, closure.venue_id)
    await session.delete(closure)
    await session.flush()


# --- availability -----------------------------------------------------------------------------


async def room_availability(
    session: AsyncSession, room_id: UUID, day: date, now: datetime
) -> RoomAvailability:
    rules.check_day(day)
    room, venue = await _room_with_venue(session, room_id)
    return (await _availability(session, venue, [room], day, now))[0]


async def venue_availability(
    session: AsyncSession, venue_id: UUID, day: date, now: datetime
) -> VenueAvailability:
    """The app's day view: every room of the venue in three queries, however many rooms."""
    rules.check_day(day)
    venue = await _venue(session, venue_id)
    rooms = (
        await session.scalars(select(Room).where(Room.venue_id == venue_id).order_by(Room.id))
    ).all()
    hours = rules.hours_on(rules.hours_from_json(venue.opening_hours), day)
    return VenueAvailability(
        date=day,
        venue_id=venue.id,
        opening_hours=[_interval(h) for h in hours],
        rooms=await _availability(session, venue, rooms, day, now),
    )


def _interval(hours: rules.Hours) -> Interval:
    return Interval(opens=rules.format_hhmm(hours.opens), closes=rules.format_hhmm(hours.closes))


@dataclass(frozen=True, slots=True)
class _Span:
    room_id: UUID | None
    starts_at: datetime
    ends_at: datetime


def _hits(spans: Iterable[_Span], room_id: UUID, starts: datetime, ends: datetime) -> bool:
    return any(
        (span.room_id is None or span.room_id == room_id)
        and span.starts_at < ends
        and span.ends_at > starts
        for span in spans
    )


async def _availability(
    session: AsyncSession, venue: Venue, rooms: Sequence[Room], day: date, now: datetime
) -> list[RoomAvailability]:
    if not rooms:
        return []
    day_start, day_end = rules.day_bounds(day)
    room_ids = [room.id for room in rooms]
    booked = [
        _Span(row.room_id, row.starts_at, row.ends_at)
        for row in await session.execute(
            select(Booking.room_id, Booking.starts_at, Booking.ends_at).where(
                Booking.room_id.in_(room_ids),
                Booking.status.in_(ACTIVE_STATUSES),
                _overlaps(Booking.starts_at, Booking.ends_at, day_start, day_end),
            )
        )
    ]
    closed = [
        _Span(row.room_id, row.starts_at, row.ends_at)
        for row in await session.execute(
            select(Closure.room_id, Closure.starts_at, Closure.ends_at).where(
                Closure.venue_id == venue.id,
                _overlaps(Closure.starts_at, Closure.ends_at, day_start, day_end),
            )
        )
    ]
    hours = rules.hours_from_json(venue.opening_hours)
    today = now.astimezone(LOCAL_TZ).date()
    result = []
    for room in rooms:
        beyond = day > rules.last_bookable_day(today, room.bookable_days_ahead)
        slots = []
        for starts, ends in rules.slot_grid(hours, day, room.slot_minutes):
            state: Literal["free", "booked", "closed", "past", "not_yet_bookable"]
            if starts < now:
                state = "past"
            elif _hits(closed, room.id, starts, ends):
                state = "closed"
            elif _hits(booked, room.id, starts, ends):
                state = "booked"
            elif beyond:
                state = "not_yet_bookable"
            else:
                state = "free"
            slots.append(
                Slot(starts_at=starts, ends_at=ends, available=state == "free", state=state)
            )
        result.append(
            RoomAvailability(
                date=day,
                room_id=room.id,
                name=room.name,
                kind=room.kind,
                opening_hours=[_interval(h) for h in rules.hours_on(hours, day)],
                slots=slots,
            )
        )
    return result


# --- creating bookings ------------------------------------------------------------------------


def _constraint_error(exc: IntegrityError) -> tuple[str | None, str | None]:
    """The SQLSTATE and constraint name behind a failed flush."""
    orig = exc.orig
    cause = getattr(orig, "__cause__", None)
    sqlstate = getattr(orig, "sqlstate", None) or getattr(cause, "sqlstate", None)
    constraint = getattr(cause, "constraint_name", None)
    return sqlstate, constraint


async def _insert_bookings(session: AsyncSession, bookings: Sequence[Booking]) -> None:
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


async def _closures_overlapping(
    session: AsyncSession, room: Room, spans: Sequence[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    rows = await session.execute(
        select(Closure.starts_at, Closure.ends_at).where(
            or_(
                Closure.room_id == room.id,
                and_(Closure.room_id.is_(None), Closure.venue_id == room.venue_id),
            ),
            or_(*(_overlaps(Closure.starts_at, Closure.ends_at, s, e) for s, e in spans)),
        )
    )
    return [(row.starts_at, row.ends_at) for row in rows]


async def create_booking(
    session: AsyncSession, actor: AuthUser, data: BookingIn, now: datetime
) -> BookingOut:
    rules.check_instants(startsAt=data.starts_at, endsAt=data.ends_at)
    room, venue = await _room_with_venue(session, data.room_id, lock="update")
    rules.check_booking(
        _room_rules(room),
        rules.hours_from_json(venue.opening_hours),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        attendees=data.attendees,
        now=now,
    )
    # A friendly early answer; the trigger is what makes it true under concurrency.
    if await _closures_overlapping(session, room, [(data.starts_at, data.ends_at)]):
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
        check_in_code=_new_check_in_code(),
        created_at=now,
        updated_at=now,
    )
    await _insert_bookings(session, [booking])
    return _booking_out(booking, room, venue.name, owner_view=True)


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
    session: AsyncSession, actor: AuthUser, data: RecurringBookingIn, now: datetime
) -> RecurringBookingOut:
    """A group's weekly booking, all or nothing: one clash anywhere and nothing is booked; the
    answer lists every clashing occurrence (``conflicts``)."""
    rules.check_instants(startsAt=data.starts_at, endsAt=data.ends_at)
    if data.until is not None:
        rules.check_day(data.until, "until")
    room, venue = await _room_with_venue(session, data.room_id, lock="update")
    await _require_manager(session, actor, venue.id)
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
    closed = await _closures_overlapping(session, room, spans)
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
            check_in_code=_new_check_in_code(),
            series_id=series_id,
            decided_by=actor.id,
            decided_at=now,
            created_at=now,
            updated_at=now,
        )
        for starts, ends in spans
    ]
    try:
        await _insert_bookings(session, bookings)
    except AppError as error:
        if error.code != "booking_conflict":
            raise
        clashes = await _clashing(session, room.id, spans)
        raise AppError(
            409, "booking_conflict", extra={"conflicts": _conflict_list(clashes)}
        ) from error
    return RecurringBookingOut(
        series_id=series_id,
        bookings=[_booking_out(b, room, venue.name, owner_view=True) for b in bookings],
    )


async def _clashing(
    session: AsyncSession, room_id: UUID, spans: Sequence[tuple[datetime, datetime]]
) -> list[tuple[datetime, datetime]]:
    rows = (
        await session.execute(
            select(Booking.starts_at, Booking.ends_at).where(
                Booking.room_id == room_id,
                Booking.status.in_(ACTIVE_STATUSES),
                or_(*(_overlaps(Booking.starts_at, Booking.ends_at, s, e) for s, e in spans)),
            )
        )
    ).all()
    return [s for s in spans if any(r.starts_at < s[1] and r.ends_at > s[0] for r in rows)]


# --- event holds (called by the events domain inside its own transaction) ---------------------


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
) -> UUID:
    """Hold ``room_id`` for an event's time as a confirmed booking; returns the booking id.

    The exclusion constraint applies as to any booking (409 ``booking_conflict``), and so do
    closures (422 ``room_closed``); opening hours and the slot grid do not bind staff. Holding
    again for the same event and time returns the existing hold.
    """
    rules.check_instants(startsAt=starts_at, endsAt=ends_at)
    room, _ = await _room_with_venue(session, room_id, lock="update")
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
    if await _closures_overlapping(session, room, [(starts_at, ends_at)]):
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
        check_in_code=_new_check_in_code(),
        event_id=event_id,
        decided_by=held_by,
        decided_at=now,
        created_at=now,
        updated_at=now,
    )
    await _insert_bookings(session, [booking])
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


# --- reading bookings -------------------------------------------------------------------------


def _booking_rows() -> Select[Booking, Room, str]:
    return (
        select(Booking, Room, Venue.name)
        .join(Room, Room.id == Booking.room_id)
        .join(Venue, Venue.id == Room.venue_id)
    )


async def get_booking(session: AsyncSession, actor: AuthUser, booking_id: UUID) -> BookingOut:
    row = (await session.execute(_booking_rows().where(Booking.id == booking_id))).first()
    if row is None:
        raise AppError(404, "not_found")
    booking, room, venue_name = row
    if booking.user_id == actor.id:
        return _booking_out(booking, room, venue_name, owner_view=True)
    if await manages_venue(session, actor, room.venue_id):
        return _booking_out(booking, room, venue_name, owner_view=False)
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


async def my_bookings(
    session: AsyncSession,
    actor: AuthUser,
    *,
    scope: Literal["upcoming", "past"],
    now: datetime,
    limit: int,
    cursor: str | None,
) -> Page[BookingOut]:
    """Upcoming (not yet ended) soonest first, or past most recent first, in every status."""
    after = decode_cursor(cursor, 2, types=(datetime, UUID))
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
    rows, next_cursor = paginate(
        (await session.execute(query.limit(limit + 1))).all(),
        limit,
        lambda r: [r[0].starts_at, r[0].id],
    )
    return Page(
        items=[_booking_out(b, room, vn, owner_view=True) for b, room, vn in rows],
        next_cursor=next_cursor,
    )


async def next_booking_for(
    session: AsyncSession, user_id: UUID, now: datetime
) -> BookingOut | None:
    """The home screen's card: the user's soonest booking that is still to come or under way."""
    row = (
        await session.execute(
            _booking_rows()
            .where(
                Booking.user_id == user_id,
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.ends_at > now,
            )
            .order_by(Booking.starts_at, Booking.id)
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    return _booking_out(row[0], row[1], row[2], owner_view=True)


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
    after = decode_cursor(cursor, 2, types=(datetime, UUID))
    query = _booking_rows()
    if room_id is not None:
        room, _ = await _room_with_venue(session, room_id)
        await _require_manager(session, actor, room.venue_id)
        query = query.where(Booking.room_id == room_id)
    if venue_id is not None:
        await _venue(session, venue_id)
        await _require_manager(session, actor, venue_id)
        query = query.where(Room.venue_id == venue_id)
    if actor.role != Role.ADMIN:
        query = query.where(Room.venue_id.in_(_managed_venue_ids(actor)))
    if status is not None:
        query = query.where(Booking.status == status)
    if day is not None:
        rules.check_day(day)
        day_start, day_end = rules.day_bounds(day)
        query = query.where(_overlaps(Booking.starts_at, Booking.ends_at, day_start, day_end))
    condition = _keyset(after, descending=False)
    if condition is not None:
        query = query.where(condition)
    query = query.order_by(Booking.starts_at, Booking.id).limit(limit + 1)
    rows, next_cursor = paginate(
        (await session.execute(query)).all(), limit, lambda r: [r[0].starts_at, r[0].id]
    )
    residents = {b.user_id for b, _, _ in rows if b.kind == "resident"}
    people = await identity_lookup.people(session, residents)
    return Page(
        items=[
            _booking_out(
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


# --- the lifecycle ----------------------------------------------------------------------------


async def _for_change(session: AsyncSession, booking_id: UUID) -> tuple[Booking, Room, Venue]:
    """The booking locked for a status change, its room share-locked first (the lock order)."""
    room_id = await session.scalar(select(Booking.room_id).where(Booking.id == booking_id))
    if room_id is None:
        raise AppError(404, "not_found")
    room, venue = await _room_with_venue(session, room_id, lock="share")
    booking = (
        await session.execute(
            select(Booking)
            .where(Booking.id == booking_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    return booking, room, venue


def _require_status(booking: Booking, *allowed: str) -> None:
    if booking.kind == "event":
        raise AppError(409, "booking_held_by_event")
    if booking.status not in allowed:
        raise AppError(409, "invalid_status_transition", {"status": booking.status})


async def _tell_owner(
    session: AsyncSession,
    actor: AuthUser,
    booking: Booking,
    room: Room,
    venue: Venue,
    kind: str,
) -> None:
    """Every decision the owner did not make reaches their inbox in this transaction."""
    if booking.user_id == actor.id:
        return
    await notify(
        session,
        user_id=booking.user_id,
        kind=kind,
        data={
            "bookingId": str(booking.id),
            "room": label(venue.name, room.name),
            "when": rules.when_text(booking.starts_at, booking.ends_at),
            "reason": booking.reason or "",
        },
    )


async def _managed_change(
    session: AsyncSession, actor: AuthUser, booking_id: UUID
) -> tuple[Booking, Room, Venue]:
    booking, room, venue = await _for_change(session, booking_id)
    await _require_manager(session, actor, venue.id)
    return booking, room, venue


async def approve(
    session: AsyncSession, actor: AuthUser, booking_id: UUID, now: datetime
) -> BookingOut:
    booking, room, venue = await _managed_change(session, actor, booking_id)
    _require_status(booking, "pending")
    if booking.ends_at <= now:
        raise AppError(422, "booking_ended")
    booking.status = "confirmed"
    booking.decided_by, booking.decided_at, booking.updated_at = actor.id, now, now
    await session.flush()
    await _tell_owner(session, actor, booking, room, venue, "booking_approved")
    return _booking_out(booking, room, venue.name, owner_view=False)


async def reject(
    session: AsyncSession, actor: AuthUser, booking_id: UUID, reason: str, now: datetime
) -> BookingOut:
    booking, room, venue = await _managed_change(session, actor, booking_id)
    _require_status(booking, "pending")
    booking.status, booking.reason = "rejected", reason
    booking.decided_by, booking.decided_at, booking.updated_at = actor.id, now, now
    await session.flush()
    await _tell_owner(session, actor, booking, room, venue, "booking_rejected")
    return _booking_out(booking, room, venue.name, owner_view=False)


async def cancel(
    session: AsyncSession,
    actor: AuthUser,
    booking_id: UUID,
    reason: str | None,
    now: datetime,
) -> BookingOut:
    """The owner cancels before the room's cutoff; the venue's worker or an admin at any time,
    giving the reason the owner will read."""
    booking, room, venue = await _for_change(session, booking_id)
    is_owner = booking.user_id == actor.id
    is_manager = await manages_venue(session, actor, venue.id)
    if not is_owner and not is_manager:
        if actor.role == Role.WORKER:
            raise AppError(403, "forbidden")
        raise AppError(404, "not_found")
    _require_status(booking, "pending", "confirmed")
    if not is_manager:
        cutoff = booking.starts_at - timedelta(minutes=room.cancel_cutoff_minutes)
        if now > cutoff:
            raise AppError(422, "cancel_cutoff_passed", {"minutes": room.cancel_cutoff_minutes})
    elif not is_owner and not reason:
        raise AppError(422, "reason_required")
    booking.status, booking.cancelled_at, booking.updated_at = "cancelled", now, now
    if reason:
        booking.reason = reason
    if not is_owner:
        booking.decided_by, booking.decided_at = actor.id, now
    await session.flush()
    await _tell_owner(session, actor, booking, room, venue, "booking_cancelled")
    return _booking_out(booking, room, venue.name, owner_view=is_owner)


async def check_in(
    session: AsyncSession, actor: AuthUser, booking_id: UUID, now: datetime
) -> BookingOut:
    booking, room, venue = await _managed_change(session, actor, booking_id)
    if booking.status == "checked_in":
        raise AppError(409, "booking_already_checked_in")
    _require_status(booking, "confirmed")
    if not booking.starts_at - CHECK_IN_OPENS_BEFORE <= now < booking.ends_at:
        raise AppError(422, "outside_check_in_window")
    booking.status, booking.checked_in_at, booking.updated_at = "checked_in", now, now
    await session.flush()
    return _booking_out(booking, room, venue.name, owner_view=False)


async def check_in_by_code(
    session: AsyncSession, actor: AuthUser, code: str, now: datetime
) -> BookingOut:
    """The worker scans the resident's QR code; an unknown code is 404."""
    booking_id = await session.scalar(select(Booking.id).where(Booking.check_in_code == code))
    if booking_id is None:
        raise AppError(404, "not_found")
    return await check_in(session, actor, booking_id, now)


async def no_show(
    session: AsyncSession, actor: AuthUser, booking_id: UUID, now: datetime
) -> BookingOut:
    booking, room, venue = await _managed_change(session, actor, booking_id)
    _require_status(booking, "confirmed")
    if now < booking.starts_at:
        raise AppError(422, "no_show_too_early")
    booking.status, booking.updated_at = "no_show", now
    booking.decided_by, booking.decided_at = actor.id, now
    await session.flush()
    await _tell_owner(session, actor, booking, room, venue, "booking_no_show")
    return _booking_out(booking, room, venue.name, owner_view=False)
