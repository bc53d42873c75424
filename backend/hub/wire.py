"""Hub rows as the wire's Structs, and how a room is named."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from backend.core.clock import to_local
from backend.hub.common import CANCELLED_BY_CLOSURE, check_in_code_of
from backend.hub.models import Booking, Closure, Room, Venue
from schemas.hub import BookingOut, ClosureOut, OpeningHours, RoomOut, VenueOut


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
