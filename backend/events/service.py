"""Events: publishing, registration without overselling, the waitlist, tickets, check-in.

This is the events domain's entry point — routes and other domains import it — and it holds no
rules itself; each part of the domain lives in its own module:

- ``publishing``: the staff's programme — drafts, publish, change, cancel; room holds via the hub
- ``listing``: what anyone may read — published events, search, the home screen's upcoming ones
- ``registering``: a resident registers, confirmed or waitlisted, in one deciding statement
- ``rules``: the registration rules, each once, as SQL conditions every deciding statement carries
- ``registrations``: a resident reads and cancels their own registrations
- ``waitlist``: a waiting registration's place, and promotion into freed seats
- ``door``: checking tickets in, and feedback after the event
- ``reminders``: the confirmed registrations due a reminder, for the notifications' job
- ``roster``: the staff's lists of who comes, and the CSV file of them
- ``common``: what several of them share (public visibility, time range, search, tickets)
- ``wire``: rows to the Structs of ``schemas/events.py``, each built in one place

Concurrency, in one place: every change to an event's seats, its waitlist or a registration's
status first takes that event's row lock (a conditional ``UPDATE`` or ``SELECT … FOR UPDATE``)
and only then touches registrations. So the counters on the event row always agree with the
registrations, waitlist sequence numbers are handed out in commit order, and — since every such
transaction locks the event before any registration — two of them never wait on each other in a
cycle. The door's check-in is the one writer without the event lock: it changes a single
registration row with a conditional ``UPDATE`` and holds nothing else.
"""

from __future__ import annotations

from backend.events import messages  # noqa: F401  (registers the domain's messages)
from backend.events.common import in_range, like_pattern
from backend.events.door import check_in, give_feedback
from backend.events.listing import get_event, list_events, upcoming_column, upcoming_from
from backend.events.publishing import (
    RoomClosures,
    cancel_event,
    create_event,
    list_managed_events,
    managed_event,
    publish_event,
    update_event,
)
from backend.events.registering import register
from backend.events.registrations import cancel_registration, my_registration, my_registrations
from backend.events.reminders import due_event_reminders, event_reminder_data
from backend.events.roster import event_registrations, registrations_csv
from backend.hub import service as hub

# A hub closure over a published event's room hold reaches the event through this.
hub.on_event_holds(RoomClosures())

__all__ = [
    "cancel_event",
    "cancel_registration",
    "check_in",
    "create_event",
    "due_event_reminders",
    "event_registrations",
    "event_reminder_data",
    "get_event",
    "give_feedback",
    "in_range",
    "like_pattern",
    "list_events",
    "list_managed_events",
    "managed_event",
    "my_registration",
    "my_registrations",
    "publish_event",
    "register",
    "registrations_csv",
    "upcoming_column",
    "upcoming_from",
    "update_event",
]
