"""Which confirmed bookings are due a reminder, for ``backend.notifications.reminders``.

The hub owns its tables, so the question is asked here and only the answer's columns leave the
domain: the reminders job wraps this query in the one statement that records and sends.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Select, func, select, text

from backend.core.clock import to_local
from backend.hub import rules
from backend.hub.models import Booking, Room, Venue

# Event holds are reminded as events (``event_reminder`` to the registrants), not as bookings.
_REMINDED_KINDS = ("resident", "group")


def due_booking_reminders(
    now: datetime, lead: timedelta
) -> Select[UUID, UUID, datetime, datetime, str]:
    """Confirmed bookings whose reminder time has come: ``starts_at − lead <= now <
    starts_at``, confirmed (made, or approved) no later than ``starts_at − lead`` — one made
    inside the lead was just seen by its owner and gets none.

    Columns: ``subject_id`` (the booking), ``user_id``, ``starts_at``, ``ends_at``, ``room``.
    A range scan of ``ix_bookings_confirmed_starts_at`` over the next ``lead`` of time: its
    cost follows the bookings starting soon, never the history.
    """
    return (
        select(
            Booking.id.label("subject_id"),
            Booking.user_id,
            Booking.starts_at,
            Booking.ends_at,
            (Venue.name + " · " + Room.name).label("room"),
        )
        .join(Room, Room.id == Booking.room_id)
        .join(Venue, Venue.id == Room.venue_id)
        .where(
            # Literal, so the planner matches the partial index's predicate.
            text("bookings.status = 'confirmed'"),
            Booking.kind.in_(_REMINDED_KINDS),
            Booking.starts_at > now,
            Booking.starts_at <= now + lead,
            func.coalesce(Booking.decided_at, Booking.created_at) <= Booking.starts_at - lead,
        )
    )


def booking_reminder_data(row: Any) -> dict[str, Any]:
    """The inbox data of one due booking (a row of :func:`due_booking_reminders`): the same
    ``room`` and ``when`` as the hub's other booking messages."""
    return {
        "bookingId": str(row.subject_id),
        "room": row.room,
        "when": rules.when_text(row.starts_at, row.ends_at),
        "startsAt": to_local(row.starts_at).isoformat(),
    }
