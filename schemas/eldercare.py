"""Wire types of elderly care (优养): care providers, the services catalogue, elders' care
profiles and their subsidies, the daily check-in (平安报) with its alerts, care orders and
their assignment (docs/eldercare.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from msgspec import Meta

from schemas.common import Wire
from schemas.identity import DisplayName, Notes, Phone, single_line

ServiceCode = Literal[
    "meal_delivery", "cleaning", "bathing", "clinic_escort", "haircut", "rehabilitation",
    "visit_chat",
]  # fmt: skip
SubsidyTier = Literal["age_80_plus", "age_90_plus", "low_income", "disability", "lives_alone"]
CareStaffRole = Literal["dispatcher", "caregiver"]
# requested → assigned → in_progress → awaiting_confirmation → completed | disputed;
# requested | assigned → cancelled; assigned → missed (docs/eldercare.md).
CareOrderStatus = Literal[
    "requested", "assigned", "in_progress", "awaiting_confirmation", "completed", "disputed",
    "cancelled", "missed",
]  # fmt: skip
# Electronic visit verification's doubts, set at check-in and check-out.
CareOrderFlag = Literal["far_from_home", "short_visit"]

ProviderName = Annotated[str, single_line(100)]
Address = Annotated[str, single_line(200)]
Relation = Annotated[str, single_line(20)]
CareLevel = Annotated[int, Meta(ge=0, le=4, description="0 independent … 4 fully dependent")]
DueBy = Annotated[
    str,
    Meta(pattern=r"^(?:[01]\d|2[0-3]):[0-5]\d$", description="HH:MM in Asia/Shanghai"),
]
Fen = Annotated[int, Meta(ge=0, le=100_000_000, description="an amount in fen (0.01 yuan)")]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]


class CareProviderIn(Wire):
    name: ProviderName
    phone: Phone
    service_codes: Annotated[
        list[ServiceCode],
        # The server refuses a code named twice; the schema says so, for clients and generators.
        Meta(min_length=1, max_length=7, extra_json_schema={"uniqueItems": True}),
    ]


class CareProviderOut(Wire):
    id: UUID
    name: str
    phone: str
    service_codes: list[ServiceCode]
    created_at: datetime


class CareProviderAssign(Wire):
    provider_id: UUID


class CareStaffOut(Wire):
    """A dispatcher's or caregiver's account and the provider they work for."""

    user_id: UUID
    role: CareStaffRole
    provider_id: UUID


class CareServiceOut(Wire):
    code: ServiceCode
    name: str
    description: str
    minutes: int
    price: int
    subsidy_rate: Annotated[
        float, Meta(ge=0, le=1, description="the share of the price subsidised")
    ]


class Location(Wire):
    lat: Latitude
    lng: Longitude


class EmergencyContact(Wire):
    name: DisplayName
    phone: Phone
    relation: Relation


class DailyCheckIn(Wire):
    enabled: bool
    due_by: DueBy = "10:00"


class CareProfileIn(Wire):
    address: Address
    location: Location
    lives_alone: bool
    care_level: CareLevel
    emergency_contacts: Annotated[list[EmergencyContact], Meta(max_length=5)]
    daily_check_in: DailyCheckIn
    health_notes: Notes | None = None


class CareProfileOut(Wire):
    """An elder's care profile. The household reads ``address`` and ``healthNotes`` in full;
    anyone else gets the address masked and no health notes (``masked: true``)."""

    id: UUID
    member_id: UUID | None
    name: str
    address: str
    location: Location
    lives_alone: bool
    care_level: int
    emergency_contacts: list[EmergencyContact]
    daily_check_in: DailyCheckIn
    subsidy_tier: SubsidyTier | None
    monthly_allowance: int
    allowance_left: int
    masked: bool
    updated_at: datetime
    health_notes: str | None = None


class SubsidyIn(Wire):
    tier: SubsidyTier
    monthly_allowance: Fen


# --- the daily "I am safe" check-in (平安报) -----------------------------------------------------

CheckInAlertStatus = Literal["open", "checked_in", "reached"]


class CareCheckInIn(Wire):
    """Whose check-in: a household member's id, or none for the resident themself."""

    member_id: UUID | None = None


class CareCheckInOut(Wire):
    """One day's check-in of an elder. ``late``: made after that day's ``dueBy``."""

    id: UUID
    care_profile_id: UUID
    member_id: UUID | None
    name: str
    date: date
    checked_in_at: datetime
    late: bool


class CareReachedIn(Wire):
    note: Notes = ""


class CareWorkerRef(Wire):
    id: UUID
    name: str


class MissedCareCheckInOut(Wire):
    """A day an elder's check-in was missing at ``dueAt`` (an alert), as a community worker
    reads it: the address masked; the emergency contacts to call. ``status``: ``open`` (nobody
    has reached the elder), ``checked_in`` (the household checked in late, at
    ``checkedInAt``), ``reached`` (a worker reached the elder)."""

    id: UUID
    care_profile_id: UUID
    name: str
    address: str
    lives_alone: bool
    emergency_contacts: list[EmergencyContact]
    date: date
    due_at: datetime
    alerted_at: datetime
    escalated: bool
    status: CheckInAlertStatus
    escalated_at: datetime | None = None
    checked_in_at: datetime | None = None
    reached_at: datetime | None = None
    reached_by: CareWorkerRef | None = None
    reached_note: str | None = None


# --- care orders --------------------------------------------------------------------------------

Instant = Annotated[datetime, Meta(tz=True, description="RFC 3339 with offset")]
Reason = Annotated[str, single_line(200)]


class CareOrderIn(Wire):
    """A household asks for a visit. Without ``memberId`` the elder is the resident themself;
    without ``providerId`` a provider offering the service takes it (docs/eldercare.md)."""

    service_code: ServiceCode
    starts_at: Instant
    note: Notes = ""
    member_id: UUID | None = None
    provider_id: UUID | None = None


class CareOrderOut(Wire):
    """A care order. ``price = subsidy + payable`` (fen), fixed when it was made; the subsidy
    is taken from the elder's allowance only when the household confirms the visit. The
    address is always the masked one here: only the caregiver's day shows it in full."""

    id: UUID
    status: CareOrderStatus
    service_code: ServiceCode
    care_profile_id: UUID
    member_id: UUID | None
    elder_name: str
    address: str
    provider_id: UUID
    provider_name: str
    caregiver_id: UUID | None
    caregiver_name: str | None
    starts_at: datetime
    ends_at: datetime
    note: str
    price: int
    subsidy: int
    payable: int
    flags: list[CareOrderFlag]
    created_at: datetime
    cancellable_until: datetime | None = None
    assigned_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    completed_at: datetime | None = None
    rating: int | None = None
    comment: str | None = None
    dispute_reason: str | None = None
    missed_at: datetime | None = None
    on_the_way_at: datetime | None = None


class CareOrderCancel(Wire):
    reason: Reason


class CareOrderAssign(Wire):
    caregiver_id: UUID


class CareBoardGroup(Wire):
    count: int
    orders: list[CareOrderOut]


class CareBoardColumn(Wire):
    status: CareOrderStatus
    count: int
    orders: list[CareOrderOut]


class CareBoardOut(Wire):
    """A dispatcher's day: every order starting on ``date`` (Asia/Shanghai) by status, in the
    statuses' fixed order, and two views across them: the orders still without a caregiver
    and those with a flag."""

    date: date
    columns: list[CareBoardColumn]
    unassigned: CareBoardGroup
    flagged: CareBoardGroup


class CaregiverVisitOut(Wire):
    """One visit of a caregiver's day. On the day itself (Asia/Shanghai), while the visit is
    assigned or under way, the address and the household's phone are shown in full
    (``masked: false``); on any other day, or once the visit is over or off, masked. The
    elder's health notes follow the same rule: only on the day, while assigned or under way."""

    id: UUID
    status: CareOrderStatus
    service_code: ServiceCode
    elder_name: str
    starts_at: datetime
    ends_at: datetime
    address: str
    location: Location
    contact_phone: str | None
    note: str
    flags: list[CareOrderFlag]
    masked: bool
    health_notes: str | None = None
