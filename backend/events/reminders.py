"""Which confirmed registrations are due a reminder, for ``backend.notifications.reminders``.

The events domain owns its tables, so the question is asked here and only the answer's columns
leave the domain: the reminders job wraps this query in the one statement that records and sends.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import Select, select, text

from backend.events.common import notice
from backend.events.models import Event, Registration


def due_event_reminders(
    now: datetime, lead: timedelta
) -> Select[UUID, UUID, datetime, UUID, str, str]:
    """Confirmed registrations of published events whose reminder time has come:
    ``starts_at − lead <= now < starts_at``, confirmed (registered, or promoted from the
    waitlist) no later than ``starts_at − lead`` — one confirmed inside the lead was just told.

    Columns: ``subject_id`` (the registration), ``user_id``, ``starts_at`` (the event's, so a
    moved event is reminded again at its new time), ``event_id``, ``title``, ``location``.
    A range scan of ``ix_events_status_starts_at`` over the next ``lead`` of time, then each
    event's registrations: its cost follows the events starting soon, never the history.
    """
    return (
        select(
            Registration.id.label("subject_id"),
            Registration.user_id,
            Event.starts_at,
            Event.id.label("event_id"),
            Event.title,
            Event.location,
        )
        .join(Registration, Registration.event_id == Event.id)
        .where(
            # Literals, so the planner can use the (status, starts_at) index.
            text("events.status = 'published'"),
            Event.starts_at > now,
            Event.starts_at <= now + lead,
            text("event_registrations.status = 'confirmed'"),
            Registration.confirmed_at <= Event.starts_at - lead,
        )
    )


def event_reminder_data(row: Any) -> dict[str, Any]:
    """The inbox data of a due registration (a row of :func:`due_event_reminders`): the same
    as the domain's other messages about an event, so all its registrants share one."""
    return notice(
        SimpleNamespace(
            id=row.event_id, title=row.title, starts_at=row.starts_at, location=row.location
        )
    )
