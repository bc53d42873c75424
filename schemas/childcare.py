"""Wire types of childcare (一小 · 优教): programs, their sessions and teachers, applications,
enrolments and the lottery's draw."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from msgspec import UNSET, Meta, UnsetType

from schemas.common import Wire
from schemas.identity import single_line

ProgramKind = Literal["infant", "after_school", "holiday", "parent_child"]
Allocation = Literal["first_come", "lottery"]
ProgramStatus = Literal["draft", "published", "cancelled"]
SessionStatus = Literal["scheduled", "cancelled"]
ApplicationStatus = Literal[
    "applied", "enrolled", "offered", "waitlisted", "declined", "withdrawn", "expired",
    "not_selected",
]  # fmt: skip
# Statuses that hold the child's one application to a program (a new one is refused).
LIVE_STATUSES: tuple[ApplicationStatus, ...] = ("applied", "enrolled", "offered", "waitlisted")

ProgramName = Annotated[str, single_line(100)]
Description = Annotated[str, Meta(max_length=2000)]
Months = Annotated[int, Meta(ge=0, le=216, description="an age in whole months")]
Weekday = Annotated[int, Meta(ge=1, le=7, description="1 Monday … 7 Sunday")]
ClockTime = Annotated[
    str, Meta(pattern=r"^(?:[01]\d|2[0-3]):[0-5]\d$", description="HH:MM in Asia/Shanghai")
]
Capacity = Annotated[int, Meta(ge=1, le=10_000)]
Fen = Annotated[int, Meta(ge=0, le=100_000_000, description="an amount in fen (0.01 yuan)")]
OfferHours = Annotated[int, Meta(ge=1, le=720, description="hours an offer stays open")]
Instant = Annotated[datetime, Meta(tz=True, description="RFC 3339 with offset")]
Seed = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$", description="32 bytes, lower-case hex")]


class ScheduleSlot(Wire):
    weekday: Weekday
    starts: ClockTime
    ends: ClockTime


Schedule = Annotated[list[ScheduleSlot], Meta(min_length=1, max_length=14)]


class ProgramIn(Wire):
    name: ProgramName
    kind: ProgramKind
    venue_id: UUID
    room_id: UUID
    min_age_months: Months
    max_age_months: Months
    age_on: date
    schedule: Schedule
    term_starts: date
    term_ends: date
    capacity: Capacity
    application_opens_at: Instant
    application_closes_at: Instant
    allocation: Allocation
    description: Description = ""
    fee: Fen = 0
    offer_hours: OfferHours = 48


class ProgramPatch(Wire):
    name: ProgramName | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    min_age_months: Months | UnsetType = UNSET
    max_age_months: Months | UnsetType = UNSET
    age_on: date | UnsetType = UNSET
    schedule: Schedule | UnsetType = UNSET
    term_starts: date | UnsetType = UNSET
    term_ends: date | UnsetType = UNSET
    capacity: Capacity | UnsetType = UNSET
    fee: Fen | UnsetType = UNSET
    application_opens_at: Instant | UnsetType = UNSET
    application_closes_at: Instant | UnsetType = UNSET
    allocation: Allocation | UnsetType = UNSET
    offer_hours: OfferHours | UnsetType = UNSET


class SessionOut(Wire):
    id: UUID
    date: date
    starts_at: datetime
    ends_at: datetime
    status: SessionStatus


class ProgramOut(Wire):
    id: UUID
    name: str
    kind: ProgramKind
    venue_id: UUID
    room_id: UUID
    description: str
    min_age_months: int
    max_age_months: int
    age_on: date
    schedule: list[ScheduleSlot]
    term_starts: date
    term_ends: date
    capacity: int
    fee: int
    application_opens_at: datetime
    application_closes_at: datetime
    allocation: Allocation
    offer_hours: int
    status: ProgramStatus
    enrolled: int
    places_left: int
    drawn: bool
    teacher_ids: list[UUID]
    sessions: list[SessionOut]


class TeachersIn(Wire):
    user_ids: Annotated[list[UUID], Meta(max_length=50, extra_json_schema={"uniqueItems": True})]


class ApplicationIn(Wire):
    child_id: UUID


class ApplicationOut(Wire):
    id: UUID
    program_id: UUID
    program_name: str
    child_id: UUID
    child_name: str
    status: ApplicationStatus
    priority: bool
    draw_rank: int | None
    waitlist_position: int | None
    offer_expires_at: datetime | None
    created_at: datetime


class DrawIn(Wire):
    seed: Seed | UnsetType = UNSET


class DrawOut(Wire):
    program_id: UUID
    seed: str
    algorithm: str
    offered: list[UUID]
    waitlisted: list[UUID]
    priority: list[UUID]
    drawn_at: datetime
    drawn_by: UUID
