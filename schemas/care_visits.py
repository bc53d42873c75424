"""Wire types of home visits (优养): check-in and check-out, the elder's code, the household's
confirmation or dispute, and the staff's monthly statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from msgspec import Meta

from schemas import patterns
from schemas.common import Wire
from schemas.eldercare import (
    CareOrderFlag,
    CareOrderStatus,
    Latitude,
    Longitude,
    ServiceCode,
)
from schemas.identity import Notes

ElderCode = Annotated[
    str, Meta(pattern=r"^\d{6}$", description="the six digits the elder's household shows")
]
TaskText = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=100,
        description="one line of text; no control or format characters",
        extra_json_schema={"pattern": patterns.SINGLE_LINE_TEXT},
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


class VisitCheckIn(Wire):
    lat: Latitude
    lng: Longitude
    elder_code: ElderCode | None = None


class VisitCheckOut(Wire):
    lat: Latitude
    lng: Longitude
    tasks: Annotated[list[TaskText], Meta(max_length=20)]
    notes: Notes | None = None


class CareVisitOut(Wire):
    """A visit as the caregiver recorded it, and the order's status and flags after it."""

    order_id: UUID
    status: CareOrderStatus
    flags: list[CareOrderFlag]
    check_in_at: datetime
    check_in_distance_m: int
    elder_code_matched: bool
    tasks: list[str]
    check_out_at: datetime | None = None
    notes: str | None = None


class ElderCodeOut(Wire):
    code: str


class CareConfirmIn(Wire):
    rating: Annotated[int, Meta(ge=1, le=5)]
    comment: Notes | None = None


class CareDisputeIn(Wire):
    reason: Reason


class CareStatisticsRow(Wire):
    """One provider's orders of one service in the month (by the visit's start, Asia/Shanghai).
    ``completionRate``: completed ÷ (completed + missed + disputed), null when none ended;
    ``minutesDelivered``: checked-in to checked-out minutes of completed visits;
    ``subsidySpent``: what allowances paid for completed visits (fen)."""

    provider_id: UUID
    provider_name: str
    service_code: ServiceCode
    orders: int
    completed: int
    missed: int
    disputed: int
    cancelled: int
    completion_rate: float | None
    average_rating: float | None
    minutes_delivered: int
    subsidy_spent: int
    far_from_home: int
    short_visit: int


class CareStatisticsOut(Wire):
    month: str
    rows: list[CareStatisticsRow]
