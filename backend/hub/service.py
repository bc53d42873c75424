"""Hub rules and transactions: venues, rooms, closures, availability and bookings. No HTTP here.

This module is the hub's public entry point: routes and other domains import it, never the
modules that hold each part of the domain:

- ``venues.py``: venues, rooms and their booking rules, the venues each worker manages
- ``closures.py``: a room or a venue closed for a time, and the bookings that cancels
- ``availability.py``: a room's or a venue's slots on a day
- ``bookings.py``: creating a resident's booking, and how any booking is inserted
- ``recurring.py``: a group's weekly booking, all or nothing
- ``holds.py``: the rooms events and other domains (childcare) hold
- ``booking_views.py``: bookings as their owner or the venue's staff see them
- ``lifecycle.py``: approve, reject, cancel, check in, no-show
- ``reminders.py``: the confirmed bookings due a reminder, for the notifications' job
- ``common.py`` (loading, locks, who manages a venue) and ``wire.py`` (rows to Structs), shared

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

from backend.hub import messages as _messages  # noqa: F401  (registers the hub's texts)
from backend.hub.availability import room_availability, venue_availability
from backend.hub.booking_views import (
    get_booking,
    manage_bookings,
    my_bookings,
    next_booking_from,
    next_booking_lateral,
)
from backend.hub.bookings import create_booking
from backend.hub.closures import create_closure, delete_closure, list_closures
from backend.hub.common import manages_venue
from backend.hub.holds import (
    EventHolds,
    LostHold,
    LostRoomHold,
    RoomHolds,
    hold_room_for_event,
    hold_room_spans,
    on_event_holds,
    on_room_holds,
    release_event_hold,
    release_room_holds,
)
from backend.hub.lifecycle import approve, cancel, check_in, check_in_by_code, no_show, reject
from backend.hub.recurring import create_recurring
from backend.hub.reminders import booking_reminder_data, due_booking_reminders
from backend.hub.venues import (
    create_room,
    create_venue,
    get_room,
    get_venue,
    list_venues,
    room_label,
    room_label_of,
    set_worker_venues,
    update_room,
    update_venue,
    worker_venues,
)
from backend.hub.wire import label

__all__ = [
    "EventHolds",
    "LostHold",
    "LostRoomHold",
    "RoomHolds",
    "approve",
    "booking_reminder_data",
    "cancel",
    "check_in",
    "check_in_by_code",
    "create_booking",
    "create_closure",
    "create_recurring",
    "create_room",
    "create_venue",
    "delete_closure",
    "due_booking_reminders",
    "get_booking",
    "get_room",
    "get_venue",
    "hold_room_for_event",
    "hold_room_spans",
    "label",
    "list_closures",
    "list_venues",
    "manage_bookings",
    "manages_venue",
    "my_bookings",
    "next_booking_from",
    "next_booking_lateral",
    "no_show",
    "on_event_holds",
    "on_room_holds",
    "reject",
    "release_event_hold",
    "release_room_holds",
    "room_availability",
    "room_label",
    "room_label_of",
    "set_worker_venues",
    "update_room",
    "update_venue",
    "venue_availability",
    "worker_venues",
]
