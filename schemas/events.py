"""Wire types of the events domain (艳阳高照 cultural events)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from schemas.common import Page, Wire

Audience = Literal["all", "elderly", "children", "families"]
EventStatus = Literal["draft", "published", "cancelled"]
RegistrationStatus = Literal["confirmed", "waitlisted", "cancelled"]

# Times must carry an offset: "19:00" means nothing without knowing where.
Moment = Annotated[datetime, msgspec.Meta(tz=True)]
# PostgreSQL text cannot hold NUL; refuse it at the door instead of failing in the database.
_TEXT = r"^[^\x00]*$"
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=120, pattern=_TEXT)]
Summary = Annotated[str, msgspec.Meta(max_length=500, pattern=_TEXT)]
Body = Annotated[str, msgspec.Meta(max_length=20000, pattern=_TEXT)]
Category = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z][a-z0-9_]{0,39}$",
        description="a snake_case code, e.g. canal_culture, opera, festival, calligraphy",
    ),
]
Location = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=_TEXT)]
Capacity = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
MaxSeats = Annotated[int, msgspec.Meta(ge=1, le=20)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=_TEXT)]


class EventCreate(Wire):
    title: Title
    summary: Summary
    body: Body
    category: Category
    audience: Audience
    location: Location
    starts_at: Moment
    ends_at: Moment
    capacity: Capacity
    registration_opens_at: Moment
    registration_closes_at: Moment
    max_seats_per_registration: MaxSeats
    room_id: UUID | None = None


class EventPatch(Wire):
    """Only the fields present change; ``roomId: null`` moves the event out of its room."""

    title: Title | msgspec.UnsetType = msgspec.UNSET
    summary: Summary | msgspec.UnsetType = msgspec.UNSET
    body: Body | msgspec.UnsetType = msgspec.UNSET
    category: Category | msgspec.UnsetType = msgspec.UNSET
    audience: Audience | msgspec.UnsetType = msgspec.UNSET
    location: Location | msgspec.UnsetType = msgspec.UNSET
    room_id: UUID | msgspec.UnsetType | None = msgspec.UNSET
    starts_at: Moment | msgspec.UnsetType = msgspec.UNSET
    ends_at: Moment | msgspec.UnsetType = msgspec.UNSET
    capacity: Capacity | msgspec.UnsetType = msgspec.UNSET
    registration_opens_at: Moment | msgspec.UnsetType = msgspec.UNSET
    registration_closes_at: Moment | msgspec.UnsetType = msgspec.UNSET
    max_seats_per_registration: MaxSeats | msgspec.UnsetType = msgspec.UNSET


class EventCancel(Wire):
    reason: Reason


class EventSummary(Wire):
    """An event in a list: everything but the long body."""

    id: UUID
    title: str
    summary: str
    category: str
    audience: Audience
    location: str
    starts_at: datetime
    ends_at: datetime
    registration_opens_at: datetime
    registration_closes_at: datetime
    capacity: int
    max_seats_per_registration: int
    status: EventStatus
    seats_left: int
    waitlist_length: int
    registration_open: bool
    room_id: UUID | None = None


class EventOut(Wire):
    id: UUID
    title: str
    summary: str
    body: str
    category: str
    audience: Audience
    location: str
    starts_at: datetime
    ends_at: datetime
    registration_opens_at: datetime
    registration_closes_at: datetime
    capacity: int
    max_seats_per_registration: int
    status: EventStatus
    seats_left: int
    waitlist_length: int
    registration_open: bool
    room_id: UUID | None = None
    room_name: str | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None


class ManagedEventSummary(Wire):
    """An event in the staff list, drafts included, with its counters."""

    id: UUID
    title: str
    category: str
    audience: Audience
    location: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    status: EventStatus
    confirmed_seats: int
    seats_left: int
    waitlist_length: int
    created_at: datetime
    room_id: UUID | None = None
    published_at: datetime | None = None
    cancelled_at: datetime | None = None


class FeedbackSummary(Wire):
    count: int
    average_rating: float | None = None


class ManagedEventOut(Wire):
    id: UUID
    title: str
    summary: str
    body: str
    category: str
    audience: Audience
    location: str
    starts_at: datetime
    ends_at: datetime
    registration_opens_at: datetime
    registration_closes_at: datetime
    capacity: int
    max_seats_per_registration: int
    status: EventStatus
    confirmed_seats: int
    seats_left: int
    waitlist_length: int
    created_by: UUID
    created_at: datetime
    updated_at: datetime
    feedback: FeedbackSummary
    room_id: UUID | None = None
    room_name: str | None = None
    room_booking_id: UUID | None = None
    published_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None


MemberIds = Annotated[list[UUID], msgspec.Meta(max_length=20)]


class RegistrationCreate(Wire):
    """``seats`` counts everyone who comes: the named ``memberIds`` of the caller's household
    and, when ``seats`` is larger than them, the caller too."""

    seats: MaxSeats
    member_ids: MemberIds = msgspec.field(default_factory=list)


class Attendee(Wire):
    """Someone who comes; ``memberId`` is null for the registering resident themself."""

    name: str
    member_id: UUID | None = None


class EventBrief(Wire):
    id: UUID
    title: str
    location: str
    starts_at: datetime
    ends_at: datetime
    status: EventStatus


class RegistrationOut(Wire):
    id: UUID
    event_id: UUID
    status: RegistrationStatus
    seats: int
    attendees: list[Attendee]
    event: EventBrief
    created_at: datetime
    ticket_code: str | None = None
    waitlist_position: int | None = None
    confirmed_at: datetime | None = None
    checked_in_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None


class ManagedRegistration(Wire):
    id: UUID
    user_id: UUID
    user_name: str
    phone: str
    status: RegistrationStatus
    seats: int
    attendees: list[Attendee]
    created_at: datetime
    waitlist_position: int | None = None
    confirmed_at: datetime | None = None
    checked_in_at: datetime | None = None
    cancelled_at: datetime | None = None


class RegistrationTotals(Wire):
    capacity: int
    confirmed_seats: int
    seats_left: int
    confirmed_registrations: int
    waitlisted_registrations: int
    waitlisted_seats: int
    checked_in_registrations: int
    checked_in_seats: int
    cancelled_registrations: int


class ManagedRegistrationPage(Page[ManagedRegistration], kw_only=True):
    """A page of an event's registrations with the totals over all of them: the common
    ``Page`` plus its one extra member. (``items`` is restated: Litestar's document reads a
    struct's own annotations and would render the inherited ``list[T]`` as untyped.)"""

    items: list[ManagedRegistration]
    totals: RegistrationTotals


TicketCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class CheckInRequest(Wire):
    ticket_code: TicketCode


class CheckInOut(Wire):
    registration_id: UUID
    event_id: UUID
    user_name: str
    seats: int
    attendees: list[Attendee]
    checked_in_at: datetime


class FeedbackCreate(Wire):
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Annotated[str, msgspec.Meta(max_length=1000, pattern=_TEXT)] | None = None


class FeedbackOut(Wire):
    id: UUID
    event_id: UUID
    rating: int
    created_at: datetime
    comment: str | None = None
