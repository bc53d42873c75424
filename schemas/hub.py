"""Wire types of the community hub: venues, rooms, closures, availability and bookings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from schemas.common import Wire

# PostgreSQL text cannot hold NUL: refuse it at the door instead of failing in the database.
_TEXT = r"^[^\x00]*$"
# Instants must carry an offset: a naive time would be read in someone's guess of a time zone.
Instant = Annotated[datetime, Meta(tz=True, description="RFC 3339 with offset")]
Weekday = Annotated[int, Meta(ge=1, le=7, description="ISO weekday: Monday 1 … Sunday 7")]
TimeOfDay = Annotated[
    str,
    Meta(
        pattern=r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$",
        description="HH:MM in Asia/Shanghai; 24:00 closes at midnight",
    ),
]
Name = Annotated[str, Meta(min_length=1, max_length=100, pattern=_TEXT)]
Reason = Annotated[str, Meta(min_length=1, max_length=200, pattern=_TEXT)]
Purpose = Annotated[str, Meta(min_length=1, max_length=200, pattern=_TEXT)]
Address = Annotated[str, Meta(min_length=1, max_length=200, pattern=_TEXT)]
Description = Annotated[str, Meta(max_length=2000, pattern=_TEXT)]
Phone = Annotated[str, Meta(max_length=30, pattern=_TEXT)]
Capacity = Annotated[int, Meta(ge=1, le=5000)]
Attendees = Annotated[int, Meta(ge=1, le=5000)]
SlotMinutes = Annotated[int, Meta(ge=5, le=1440)]
Minutes = Annotated[int, Meta(ge=5, le=1440)]
DaysAhead = Annotated[int, Meta(ge=0, le=366)]
CutoffMinutes = Annotated[int, Meta(ge=0, le=10080)]
ActiveLimit = Annotated[int, Meta(ge=1, le=100)]
Amenity = Annotated[str, Meta(min_length=1, max_length=50, pattern=_TEXT)]
Amenities = Annotated[list[Amenity], Meta(max_length=30)]

RoomKind = Literal[
    "activity", "calligraphy", "reading", "gym", "canteen", "playroom", "meeting", "classroom",
    "other",
]  # fmt: skip
BookingStatus = Literal["pending", "confirmed", "rejected", "cancelled", "checked_in", "no_show"]
BookingKind = Literal["resident", "group", "event", "childcare"]
SlotState = Literal["free", "booked", "closed", "past", "not_yet_bookable"]
BookingScope = Literal["upcoming", "past"]


class OpeningHours(Wire):
    weekday: Weekday
    opens: TimeOfDay
    closes: TimeOfDay


class VenueIn(Wire):
    name: Name
    address: Address
    opening_hours: Annotated[list[OpeningHours], Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )
    description: Description | None = None
    phone: Phone | None = None


class VenuePatch(Wire):
    name: Name | UnsetType = UNSET
    address: Address | UnsetType = UNSET
    opening_hours: Annotated[list[OpeningHours], Meta(max_length=50)] | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET
    phone: Phone | UnsetType | None = UNSET


class RoomIn(Wire):
    name: Name
    kind: RoomKind
    capacity: Capacity
    slot_minutes: SlotMinutes
    min_minutes: Minutes
    max_minutes: Minutes
    requires_approval: bool = False
    bookable_days_ahead: DaysAhead = 14
    cancel_cutoff_minutes: CutoffMinutes = 120
    max_active_bookings_per_user: ActiveLimit = 2
    amenities: Amenities = msgspec.field(default_factory=list)
    description: Description | None = None


class RoomPatch(Wire):
    name: Name | UnsetType = UNSET
    kind: RoomKind | UnsetType = UNSET
    capacity: Capacity | UnsetType = UNSET
    slot_minutes: SlotMinutes | UnsetType = UNSET
    min_minutes: Minutes | UnsetType = UNSET
    max_minutes: Minutes | UnsetType = UNSET
    requires_approval: bool | UnsetType = UNSET
    bookable_days_ahead: DaysAhead | UnsetType = UNSET
    cancel_cutoff_minutes: CutoffMinutes | UnsetType = UNSET
    max_active_bookings_per_user: ActiveLimit | UnsetType = UNSET
    amenities: Amenities | UnsetType = UNSET
    description: Description | UnsetType | None = UNSET


class RoomOut(Wire):
    id: UUID
    venue_id: UUID
    name: str
    kind: str
    capacity: int
    amenities: list[str]
    requires_approval: bool
    slot_minutes: int
    min_minutes: int
    max_minutes: int
    bookable_days_ahead: int
    cancel_cutoff_minutes: int
    max_active_bookings_per_user: int
    description: str | None = None


class VenueOut(Wire):
    id: UUID
    name: str
    address: str
    opening_hours: list[OpeningHours]
    rooms: list[RoomOut]
    description: str | None = None
    phone: str | None = None


class WorkerVenuesIn(Wire):
    venue_ids: Annotated[list[UUID], Meta(max_length=100)]


class VenueRef(Wire):
    id: UUID
    name: str


class WorkerVenuesOut(Wire):
    """The worker's venues in the shape ``PUT`` takes (``venueIds``), so a client can read,
    change and write back; ``venues`` repeats them with their names for display and is ignored
    when sent back."""

    user_id: UUID
    venue_ids: list[UUID]
    venues: list[VenueRef]


class ClosureIn(Wire):
    starts_at: Instant
    ends_at: Instant
    reason: Reason
    # Admins only: close even over published events' room holds (they lose their room, keep
    # their time, and their staff and registrants are told). Without it such a closure is
    # refused with 409 closure_conflicts_event.
    force: bool = False


class ClosureOut(Wire):
    id: UUID
    venue_id: UUID
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_at: datetime
    room_id: UUID | None = None
    cancelled_bookings: int = 0


class Slot(Wire):
    starts_at: datetime
    ends_at: datetime
    available: bool
    state: SlotState


class Interval(Wire):
    opens: str
    closes: str


class RoomAvailability(Wire):
    date: date
    room_id: UUID
    name: str
    kind: str
    opening_hours: list[Interval]
    slots: list[Slot]


class VenueAvailability(Wire):
    date: date
    venue_id: UUID
    opening_hours: list[Interval]
    rooms: list[RoomAvailability]


class BookingIn(Wire):
    room_id: UUID
    starts_at: Instant
    ends_at: Instant
    purpose: Purpose
    attendees: Attendees = 1


class RecurringBookingIn(Wire):
    """A group's weekly booking: give ``weeks`` or ``until`` (a local date, inclusive)."""

    room_id: UUID
    group_name: Name
    starts_at: Instant
    ends_at: Instant
    purpose: Purpose
    attendees: Attendees = 1
    weeks: Annotated[int, Meta(ge=1, le=52)] | None = None
    until: date | None = None


class RejectIn(Wire):
    reason: Reason


class CancelIn(Wire):
    """A worker's cancellation must give the reason the resident will read; the owner's may."""

    reason: Reason | None = None


class CheckInByCodeIn(Wire):
    check_in_code: Annotated[str, Meta(min_length=1, max_length=64, pattern=_TEXT)]


class BookingOut(Wire):
    id: UUID
    room_id: UUID
    venue_id: UUID
    room_label: str
    kind: BookingKind
    status: BookingStatus
    starts_at: datetime
    ends_at: datetime
    purpose: str
    attendees: int
    contact_name: str
    created_at: datetime
    # Until when the owner may still cancel; null once only a worker can.
    cancellable_until: datetime | None = None
    # Shown to the owner only: the QR code the worker scans at the door.
    check_in_code: str | None = None
    # The worker's reason for a rejection, cancellation or no-show.
    reason: str | None = None
    checked_in_at: datetime | None = None
    series_id: UUID | None = None
    event_id: UUID | None = None
    # The worker's day sheet only: the resident's phone, to call a late-comer.
    contact_phone: str | None = None


class RecurringBookingOut(Wire):
    series_id: UUID
    bookings: list[BookingOut]
