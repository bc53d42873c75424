"""Hub rows as the wire's Structs, and how a room is named: every Struct of ``schemas.hub``
that the hub answers with is built here, and nowhere else."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from backend.core.clock import to_local
from backend.hub import rules
from backend.hub.common import CANCELLED_BY_CLOSURE, check_in_code_of
from backend.hub.models import Booking, Closure, Room, Venue
from schemas.hub import (
    BookingIn,
    BookingOut,
    BookingStatus,
    ClosureOut,
    Interval,
    OpeningHours,
    RecurringBookingOut,
    RoomAvailability,
    RoomOut,
    Slot,
    SlotState,
    VenueAvailability,
    VenueOut,
    VenueRef,
    WorkerVenuesOut,
)


def room_out(room: Room) -> RoomOut:
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


def venue_out(venue: Venue, rooms: Iterable[Room]) -> VenueOut:
    return VenueOut(
        id=venue.id,
        name=venue.name,
        address=venue.address,
        opening_hours=[OpeningHours(**item) for item in venue.opening_hours],
        rooms=[room_out(room) for room in rooms],
        description=venue.description,
        phone=venue.phone,
    )


def label(venue_name: str, room_name: str) -> str:
    return f"{venue_name} · {room_name}"


def booking_out(
    booking: Booking,
    room: Room,
    venue_name: str,
    *,
    owner_view: bool,
    data_key: bytes | None = None,
    now: datetime | None = None,
    contact_phone: str | None = None,
) -> BookingOut:
    """The booking as ``owner_view`` (its owner, who alone sees the check-in code and until
    when they may cancel: pass the data key to decrypt the code, and the time) or anyone else
    sees it."""
    check_in_code = None
    cancellable_until = None
    if owner_view:
        if data_key is None or now is None:
            raise TypeError("the owner's view needs the data key (its code) and the time")
        check_in_code = check_in_code_of(data_key, booking.check_in_code_enc)
        if booking.kind == "resident" and booking.status in CANCELLED_BY_CLOSURE:
            cancellable_until = owner_cancellable_until(
                booking.starts_at, room.cancel_cutoff_minutes, now
            )
    return BookingOut(
        id=booking.id,
        room_id=booking.room_id,
        venue_id=room.venue_id,
        room_label=label(venue_name, room.name),
        kind=booking.kind,
        status=booking.status,
        starts_at=to_local(booking.starts_at),
        ends_at=to_local(booking.ends_at),
        purpose=booking.purpose,
        attendees=booking.attendees,
        contact_name=booking.contact_name,
        created_at=to_local(booking.created_at),
        cancellable_until=to_local(cancellable_until),
        check_in_code=check_in_code,
        reason=booking.reason,
        checked_in_at=to_local(booking.checked_in_at),
        series_id=booking.series_id,
        event_id=booking.event_id,
        contact_phone=contact_phone,
    )


def owner_cancellable_until(
    starts_at: datetime, cancel_cutoff_minutes: int, now: datetime
) -> datetime | None:
    """Until when the owner may cancel; None once the cutoff has passed (only a worker can
    then), even from the booking's first second, so the app can warn when it is made."""
    cutoff = starts_at - timedelta(minutes=cancel_cutoff_minutes)
    return cutoff if now <= cutoff else None


def closure_out(closure: Closure) -> ClosureOut:
    return ClosureOut(
        id=closure.id,
        venue_id=closure.venue_id,
        room_id=closure.room_id,
        starts_at=to_local(closure.starts_at),
        ends_at=to_local(closure.ends_at),
        reason=closure.reason,
        created_at=to_local(closure.created_at),
        cancelled_bookings=closure.cancelled_bookings,
    )


def new_booking_out(
    booking_id: UUID,
    room: Any,
    data: BookingIn,
    *,
    status: BookingStatus,
    contact_name: str,
    check_in_code: str,
    now: datetime,
) -> BookingOut:
    """A resident's booking as its owner sees it the moment it is made, from the request and
    the row of its room (``room.venue_name`` included) rather than a loaded booking."""
    return BookingOut(
        id=booking_id,
        room_id=room.id,
        venue_id=room.venue_id,
        room_label=label(room.venue_name, room.name),
        kind="resident",
        status=status,
        starts_at=to_local(data.starts_at),
        ends_at=to_local(data.ends_at),
        purpose=data.purpose,
        attendees=data.attendees,
        contact_name=contact_name,
        created_at=to_local(now),
        cancellable_until=to_local(
            owner_cancellable_until(data.starts_at, room.cancel_cutoff_minutes, now)
        ),
        check_in_code=check_in_code,
    )


def recurring_booking_out(
    series_id: UUID,
    bookings: Iterable[Booking],
    room: Room,
    venue_name: str,
    *,
    data_key: bytes,
    now: datetime,
) -> RecurringBookingOut:
    """A group's weekly series as the worker who made it sees it (with the check-in codes)."""
    return RecurringBookingOut(
        series_id=series_id,
        bookings=[
            booking_out(b, room, venue_name, owner_view=True, data_key=data_key, now=now)
            for b in bookings
        ],
    )


def worker_venues_out(user_id: UUID, venues: Sequence[tuple[UUID, str]]) -> WorkerVenuesOut:
    """A worker's venues, ``(id, name)`` each, in the shape ``PUT`` takes."""
    return WorkerVenuesOut(
        user_id=user_id,
        venue_ids=[venue_id for venue_id, _ in venues],
        venues=[VenueRef(id=venue_id, name=name) for venue_id, name in venues],
    )


def interval_out(hours: rules.Hours) -> Interval:
    return Interval(opens=rules.format_hhmm(hours.opens), closes=rules.format_hhmm(hours.closes))


def room_availability_out(
    room: Any,
    day: date,
    hours: Iterable[rules.Hours],
    slots: Iterable[tuple[datetime, datetime, SlotState]],
) -> RoomAvailability:
    """A room's day: ``hours`` its opening intervals that day, ``slots`` each slot's span and
    state (``room``: its entity or a row with its columns)."""
    return RoomAvailability(
        date=day,
        room_id=room.id,
        name=room.name,
        kind=room.kind,
        opening_hours=[interval_out(h) for h in hours],
        slots=[
            Slot(starts_at=starts, ends_at=ends, available=state == "free", state=state)
            for starts, ends, state in slots
        ],
    )


def venue_availability_out(
    venue: Venue, day: date, hours: Iterable[rules.Hours], rooms: list[RoomAvailability]
) -> VenueAvailability:
    return VenueAvailability(
        date=day,
        venue_id=venue.id,
        opening_hours=[interval_out(h) for h in hours],
        rooms=rooms,
    )
