"""Wire types of childcare's safe drop-off and pickup: trusted and blocked people, a child's
allergies and health notes, the session roster, check-in and check-out, absences and
attendance."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from msgspec import Meta

from schemas import patterns
from schemas.common import Wire
from schemas.identity import DisplayName, Notes, Phone

RosterStatus = Literal["present", "absent", "excused", "picked_up"]
PickupMethod = Literal["security_code", "trusted_id"]
AlertStage = Literal["guardians", "teachers"]

PickupRelation = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=20,
        description="one line of text; no control or format characters",
        extra_json_schema={"pattern": patterns.SINGLE_LINE_TEXT},
    ),
]
IdLast4 = Annotated[
    str,
    Meta(
        pattern=r"^[0-9]{3}[0-9Xx]$",
        description="the last four characters of the person's resident ID number",
    ),
]
SecurityCode = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=16,
        description="the code of the check-in, as the guardians' app shows it",
    ),
]
Reason = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=200,
        description="one line of text; no control or format characters",
        extra_json_schema={"pattern": patterns.SINGLE_LINE_TEXT},
    ),
]


class PickupIn(Wire):
    """A trusted person (``idLast4`` required) or, with ``blocked``, someone who must never
    take the child (``idLast4`` optional)."""

    name: DisplayName
    phone: Phone
    relation: PickupRelation
    id_last4: IdLast4 | None = None
    blocked: bool = False


class PickupOut(Wire):
    """``idLast4`` is never answered: it is stored only as a keyed hash."""

    id: UUID
    child_id: UUID
    name: str
    phone: str
    relation: str
    blocked: bool
    has_id_last4: bool
    created_at: datetime


class ChildcareProfileIn(Wire):
    allergies: Notes | None = None
    health_notes: Notes | None = None


class ChildcareProfileOut(Wire):
    child_id: UUID
    updated_at: datetime | None
    allergies: str | None = None
    health_notes: str | None = None


class CheckInIn(Wire):
    child_id: UUID
    brought_by: DisplayName | None = None


class CheckInOut(Wire):
    child_id: UUID
    session_date: date
    checked_in_at: datetime
    security_code: str


class CheckOutIn(Wire):
    """Either the check-in's ``securityCode``, or ``pickupId`` with that trusted person's
    ``idLast4``."""

    child_id: UUID
    security_code: SecurityCode | None = None
    pickup_id: UUID | None = None
    id_last4: IdLast4 | None = None
    picked_up_by: DisplayName | None = None


class CheckOutOut(Wire):
    child_id: UUID
    session_date: date
    checked_out_at: datetime
    method: PickupMethod
    picked_up_by: str | None
    pickup_id: UUID | None


class RosterPickup(Wire):
    id: UUID
    name: str
    relation: str
    blocked: bool


class RosterChild(Wire):
    """``absenceReason``, ``allergies`` and ``healthNotes`` are answered to the program's
    teachers only (null for an admin)."""

    child_id: UUID
    enrollment_id: UUID
    name: str
    status: RosterStatus
    pickups: list[RosterPickup]
    checked_in_at: datetime | None = None
    brought_by: str | None = None
    checked_out_at: datetime | None = None
    picked_up_by: str | None = None
    absence_reason: str | None = None
    allergies: str | None = None
    health_notes: str | None = None


class RosterOut(Wire):
    program_id: UUID
    date: date
    session_status: str
    starts_at: datetime
    ends_at: datetime
    children: list[RosterChild]


class AbsenceIn(Wire):
    date: date
    reason: Reason


class AbsenceOut(Wire):
    id: UUID
    enrollment_id: UUID
    date: date
    reason: str
    created_at: datetime


class SessionAttendance(Wire):
    date: date
    present: int
    absent: int
    excused: int
    late_pickups: int


class ChildAttendance(Wire):
    child_id: UUID
    name: str
    present: int
    absent: int
    excused: int
    late_pickups: int


MonthText = Annotated[str, Meta(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


class AttendanceOut(Wire):
    """A month of a program: each session's counts and each child's. ``present`` counts days
    checked in (picked up or not); ``latePickups`` days picked up, or still not, more than 15
    minutes after the session ended."""

    program_id: UUID
    month: str
    sessions: list[SessionAttendance]
    children: list[ChildAttendance]
