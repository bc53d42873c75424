"""Availability: a room's slots on a day, or every room of a venue, each free or why not."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.clock import LOCAL_TZ
from backend.core.errors import AppError
from backend.core.reads import Attributes, Query, Reader, param
from backend.hub import rules
from backend.hub.common import booked_during, closes_room, load_venue, overlaps, span
from backend.hub.models import Booking, Closure, Room, Venue
from backend.hub.wire import room_availability_out, venue_availability_out
from schemas.hub import RoomAvailability, SlotState, VenueAvailability


def _spans(table: Any, *where: Any) -> Any:
    return func.array(select(span(table.starts_at, table.ends_at)).where(*where).scalar_subquery())


# A room's day in one statement: the room, its venue's hours, the day's bookings and closures.
_ROOM_DAY = Query.compile(
    select(
        Room.id,
        Room.name,
        Room.kind,
        Room.slot_minutes,
        Room.bookable_days_ahead,
        Venue.opening_hours,
        _spans(
            Booking,
            Booking.room_id == Room.id,
            booked_during(param("day_start"), param("day_end")),
        ).label("booked"),
        _spans(
            Closure,
            closes_room(Room.id, Room.venue_id),
            overlaps(Closure.starts_at, Closure.ends_at, param("day_start"), param("day_end")),
        ).label("closed"),
    )
    .join(Venue, Venue.id == Room.venue_id)
    .where(Room.id == param("room_id"))
)


async def room_availability(
    reader: Reader, room_id: UUID, day: date, now: datetime
) -> RoomAvailability:
    rules.check_day(day)
    day_start, day_end = rules.day_bounds(day)
    row = await reader.fetchrow(_ROOM_DAY, room_id=room_id, day_start=day_start, day_end=day_end)
    if row is None:
        raise AppError(404, "not_found")
    # Every span read here concerns this room (closures of the whole venue included).
    booked = [(r.lower, r.upper) for r in row["booked"]]
    closed = [(r.lower, r.upper) for r in row["closed"]]
    # Only the day's weekday is parsed: the slots and the answer's hours read no other.
    weekday = day.isoweekday()
    hours = rules.hours_from_json(h for h in row["opening_hours"] if int(h["weekday"]) == weekday)
    return _room_slots(cast(Room, Attributes(row)), hours, day, now, booked, closed)


async def venue_availability(
    session: AsyncSession, venue_id: UUID, day: date, now: datetime
) -> VenueAvailability:
    """The app's day view: every room of the venue in three queries, however many rooms."""
    rules.check_day(day)
    venue = await load_venue(session, venue_id)
    rooms = (
        await session.scalars(select(Room).where(Room.venue_id == venue_id).order_by(Room.id))
    ).all()
    hours = rules.hours_on(rules.hours_from_json(venue.opening_hours), day)
    return venue_availability_out(
        venue, day, hours, await _availability(session, venue, rooms, day, now)
    )


# A booking's or a closure's span: (starts_at, ends_at).
Span = tuple[datetime, datetime]


def _hits(spans: Iterable[Span], starts: datetime, ends: datetime) -> bool:
    return any(span_starts < ends and span_ends > starts for span_starts, span_ends in spans)


async def _availability(
    session: AsyncSession, venue: Venue, rooms: Sequence[Room], day: date, now: datetime
) -> list[RoomAvailability]:
    if not rooms:
        return []
    day_start, day_end = rules.day_bounds(day)
    room_ids = [room.id for room in rooms]
    booked: dict[UUID, list[Span]] = {room_id: [] for room_id in room_ids}
    for booking in await session.execute(
        select(Booking.room_id, Booking.starts_at, Booking.ends_at).where(
            Booking.room_id.in_(room_ids), booked_during(day_start, day_end)
        )
    ):
        booked[booking.room_id].append((booking.starts_at, booking.ends_at))
    # A closure without a room closes the whole venue: every room's list holds it.
    closed: dict[UUID, list[Span]] = {room_id: [] for room_id in room_ids}
    for closure in await session.execute(
        select(Closure.room_id, Closure.starts_at, Closure.ends_at).where(
            Closure.venue_id == venue.id,
            overlaps(Closure.starts_at, Closure.ends_at, day_start, day_end),
        )
    ):
        for room_id in room_ids if closure.room_id is None else (closure.room_id,):
            if room_id in closed:
                closed[room_id].append((closure.starts_at, closure.ends_at))
    hours = rules.hours_from_json(venue.opening_hours)
    return [_room_slots(room, hours, day, now, booked[room.id], closed[room.id]) for room in rooms]


def _room_slots(
    room: Room,
    hours: list[rules.Hours],
    day: date,
    now: datetime,
    booked: Sequence[Span],
    closed: Sequence[Span],
) -> RoomAvailability:
    """The room's slots, each free or why not: ``booked`` and ``closed`` are the spans that
    concern this room on the day."""
    today = now.astimezone(LOCAL_TZ).date()
    beyond = day > rules.last_bookable_day(today, room.bookable_days_ahead)
    slots = []
    for starts, ends in rules.slot_grid(hours, day, room.slot_minutes):
        state: SlotState
        if starts < now:
            state = "past"
        elif _hits(closed, starts, ends):
            state = "closed"
        elif _hits(booked, starts, ends):
            state = "booked"
        elif beyond:
            state = "not_yet_bookable"
        else:
            state = "free"
        slots.append((starts, ends, state))
    return room_availability_out(room, day, rules.hours_on(hours, day), slots)
