"""Rows → the wire Structs of ``schemas.events``: each Struct is built here, and only here.

The builders read rows by attribute or by key as they come (ORM objects, SQLAlchemy rows, asyncpg
records wrapped in ``Attributes``); they run no query and decide no rule beyond arithmetic on
what the row holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from backend.core.clock import to_local
from backend.events.common import ticket_of
from schemas.events import (
    Attendee,
    CheckInOut,
    EventBrief,
    EventOut,
    EventSummary,
    FeedbackOut,
    FeedbackSummary,
    ManagedEventOut,
    ManagedEventSummary,
    ManagedRegistration,
    RegistrationOut,
    RegistrationTotals,
)


def seats_left(capacity: int, confirmed_seats: int) -> int:
    """What every view calls ``seatsLeft``."""
    return capacity - confirmed_seats


def attendees(raw: Sequence[Mapping[str, Any]]) -> list[Attendee]:
    """The attendees a registration stores (JSON) as the wire shows them."""
    return [
        Attendee(name=a["name"], member_id=UUID(a["memberId"]) if a.get("memberId") else None)
        for a in raw
    ]


_Public = TypeVar("_Public", EventSummary, EventOut)


def public_event(row: Any, wire: type[_Public], **more: Any) -> _Public:
    """An event as anyone may read it: a summary, or — given ``EventOut`` and the fields only
    it has — the full view, built in one go. ``row`` is read by key (the hot reads hand over
    asyncpg records) and carries ``registration_open``, the rule's answer for the time of the
    read (``rules.window_open``)."""
    return wire(
        id=row["id"],
        title=row["title"],
        summary=row["summary"],
        category=row["category"],
        audience=row["audience"],
        location=row["location"],
        starts_at=to_local(row["starts_at"]),
        ends_at=to_local(row["ends_at"]),
        registration_opens_at=to_local(row["registration_opens_at"]),
        registration_closes_at=to_local(row["registration_closes_at"]),
        capacity=row["capacity"],
        max_seats_per_registration=row["max_seats_per_registration"],
        status=row["status"],
        seats_left=seats_left(row["capacity"], row["confirmed_seats"]),
        waitlist_length=row["waitlisted_count"],
        registration_open=row["registration_open"],
        room_id=row["room_id"],
        **more,
    )


def event_brief(event_id: UUID, row: Any, status: Any) -> EventBrief:
    """The event a registration belongs to, from a row carrying its title, place and times
    (the id and status apart: a registration's row has its own)."""
    return EventBrief(
        id=event_id,
        title=row.title,
        location=row.location,
        starts_at=to_local(row.starts_at),
        ends_at=to_local(row.ends_at),
        status=status,
    )


def managed_event(
    event: Any, *, feedback_count: int, average_rating: Any, room_name: str | None
) -> ManagedEventOut:
    return ManagedEventOut(
        id=event.id,
        title=event.title,
        summary=event.summary,
        body=event.body,
        category=event.category,
        audience=event.audience,
        location=event.location,
        starts_at=to_local(event.starts_at),
        ends_at=to_local(event.ends_at),
        registration_opens_at=to_local(event.registration_opens_at),
        registration_closes_at=to_local(event.registration_closes_at),
        capacity=event.capacity,
        max_seats_per_registration=event.max_seats_per_registration,
        status=event.status,
        confirmed_seats=event.confirmed_seats,
        seats_left=seats_left(event.capacity, event.confirmed_seats),
        waitlist_length=event.waitlisted_count,
        created_by=event.created_by,
        created_at=to_local(event.created_at),
        updated_at=to_local(event.updated_at),
        feedback=FeedbackSummary(
            count=feedback_count,
            average_rating=round(float(average_rating), 2) if average_rating else None,
        ),
        room_id=event.room_id,
        room_name=room_name,
        room_booking_id=event.room_hold_id,
        published_at=to_local(event.published_at),
        cancelled_at=to_local(event.cancelled_at),
        cancel_reason=event.cancel_reason,
    )


def managed_event_summary(row: Any) -> ManagedEventSummary:
    return ManagedEventSummary(
        id=row.id,
        title=row.title,
        category=row.category,
        audience=row.audience,
        location=row.location,
        starts_at=to_local(row.starts_at),
        ends_at=to_local(row.ends_at),
        capacity=row.capacity,
        status=row.status,
        confirmed_seats=row.confirmed_seats,
        seats_left=seats_left(row.capacity, row.confirmed_seats),
        waitlist_length=row.waitlisted_count,
        created_at=to_local(row.created_at),
        room_id=row.room_id,
        published_at=to_local(row.published_at),
        cancelled_at=to_local(row.cancelled_at),
    )


def my_registration(row: Any, data_key: bytes) -> RegistrationOut:
    """A registration as its owner reads it: the row joins its event (``event_status``) and
    carries its waitlist ``position``."""
    return RegistrationOut(
        id=row.id,
        event_id=row.event_id,
        status=row.status,
        seats=row.seats,
        attendees=attendees(row.attendees),
        event=event_brief(row.event_id, row, row.event_status),
        created_at=to_local(row.created_at),
        # A ticket is only shown while it admits someone.
        ticket_code=ticket_of(data_key, row.ticket_code_enc) if row.status == "confirmed" else None,
        waitlist_position=row.position,
        confirmed_at=to_local(row.confirmed_at),
        checked_in_at=to_local(row.checked_in_at),
        cancelled_at=to_local(row.cancelled_at),
        cancel_reason=row.cancel_reason,
    )


def new_registration(
    registration_id: UUID,
    seats: int,
    people: Sequence[Mapping[str, Any]],
    taken: Any,
    ticket: str,
    now: datetime,
) -> RegistrationOut:
    """The registration just decided: ``taken`` is the event row as the deciding statement
    returned it (nobody waiting after it means this one got its seats)."""
    confirmed = taken.waitlisted_count == 0
    return RegistrationOut(
        id=registration_id,
        event_id=taken.id,
        status="confirmed" if confirmed else "waitlisted",
        seats=seats,
        attendees=attendees(people),
        event=event_brief(taken.id, taken, taken.status),
        created_at=to_local(now),
        ticket_code=ticket if confirmed else None,
        waitlist_position=None if confirmed else taken.waitlisted_count,
        confirmed_at=to_local(now) if confirmed else None,
    )


def managed_registration(row: Any, user_name: str, phone: str) -> ManagedRegistration:
    return ManagedRegistration(
        id=row.id,
        user_id=row.user_id,
        user_name=user_name,
        phone=phone,
        status=row.status,
        seats=row.seats,
        attendees=attendees(row.attendees),
        created_at=to_local(row.created_at),
        waitlist_position=row.position,
        confirmed_at=to_local(row.confirmed_at),
        checked_in_at=to_local(row.checked_in_at),
        cancelled_at=to_local(row.cancelled_at),
    )


def registration_totals(event: Any, counts: Sequence[Any]) -> RegistrationTotals:
    """``counts``: confirmed, waitlisted registrations, waitlisted seats, checked-in
    registrations and seats, cancelled registrations (in that order)."""
    return RegistrationTotals(
        capacity=event.capacity,
        confirmed_seats=event.confirmed_seats,
        seats_left=seats_left(event.capacity, event.confirmed_seats),
        confirmed_registrations=counts[0],
        waitlisted_registrations=counts[1],
        waitlisted_seats=int(counts[2]),
        checked_in_registrations=counts[3],
        checked_in_seats=int(counts[4]),
        cancelled_registrations=counts[5],
    )


def checked_in(row: Any, event_id: UUID, user_name: str, at: datetime) -> CheckInOut:
    return CheckInOut(
        registration_id=row.id,
        event_id=event_id,
        user_name=user_name,
        seats=row.seats,
        attendees=attendees(row.attendees),
        checked_in_at=to_local(at),
    )


def feedback(
    feedback_id: UUID, event_id: UUID, rating: int, comment: str | None, at: datetime
) -> FeedbackOut:
    return FeedbackOut(
        id=feedback_id,
        event_id=event_id,
        rating=rating,
        comment=comment,
        created_at=to_local(at),
    )
