"""The staff's programme under ``/manage/events``: drafting, publishing, changing and cancelling
events, who comes, and the door. Staff and admins only (``staff_or_admin``, declared once)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.auth import AuthUser, staff_or_admin
from backend.core.clock import Clock
from backend.core.errors import problem_responses
from backend.core.idempotency import IdempotencyKeyHeader, idempotent
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from backend.core.spreadsheets import csv_answer
from backend.events import service
from backend.events.routes import (
    TAG,
    Codes,
    EventId,
    SearchText,
    codes,
    search_words,
)
from schemas.common import Page
from schemas.events import (
    CheckInOut,
    CheckInRequest,
    EventCancel,
    EventCreate,
    EventPatch,
    EventStatus,
    ManagedEventOut,
    ManagedEventSummary,
    ManagedRegistrationPage,
    RegistrationStatus,
)

EventStatusFilter = Annotated[
    EventStatus | None, QueryParameter(description="only events in this status")
]
RegistrationStatusFilter = Annotated[
    RegistrationStatus | None, QueryParameter(description="only registrations in this status")
]
# Moving or taking a hub room for an event: the hub's answers about the slot.
_ROOM_HOLD: Codes = {409: ("booking_conflict",), 422: ("room_closed",)}


class ManageEventsController(Controller):
    path = "/manage/events"
    tags = (TAG,)
    guards = (staff_or_admin,)

    @post(
        "/",
        operation_id="createEvent",
        summary="Draft an event",
        description=(
            "A new event as a draft, invisible to residents until published. The schedule must "
            "be coherent (end after start, the registration window ordered and closing by the "
            "end, `maxSeatsPerRegistration` not above `capacity`, the start in the future); "
            "`roomId` must name a hub room. Staff and admins. Honours `Idempotency-Key`: a "
            "retry returns the first answer and drafts nothing more."
        ),
        status_code=201,
        responses=problem_responses(codes={422: ("event_in_past",)}),
    )
    async def create_event(
        self,
        request: Request[AuthUser, Any, Any],
        data: JSONBody[EventCreate],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ManagedEventOut]:
        now = clock.now()

        async def handler() -> tuple[int, ManagedEventOut]:
            return 201, await service.create_event(db_session, data, by=user.id, now=now)

        return await idempotent(request, db_session, user.id, now, handler)

    @get(
        "/",
        operation_id="listManagedEvents",
        summary="Every event, drafts included, latest start first",
        description=(
            "Every event in any status (or in `status`), latest start first, with its "
            "counters; `q` matches words of the title or summary. Staff and admins."
        ),
    )
    async def list_managed_events(
        self,
        db_session: NamedDependency[AsyncSession],
        status: EventStatusFilter = None,
        q: SearchText = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[ManagedEventSummary]:
        return await service.list_managed_events(
            db_session, status=status, q=search_words(q), limit=limit, cursor=cursor
        )

    @get(
        "/{eventId:uuid}",
        operation_id="getManagedEvent",
        summary="An event with its counters, drafts included",
        description=(
            "An event in any status with its seat counters, its room hold and the summary of "
            "its feedback. Staff and admins."
        ),
    )
    async def get_managed_event(
        self, event_id: EventId, db_session: NamedDependency[AsyncSession]
    ) -> ManagedEventOut:
        return await service.managed_event(db_session, event_id)

    @patch(
        "/{eventId:uuid}",
        operation_id="updateEvent",
        summary="Change an event (registrants hear of a new time or place)",
        description=(
            "Changes any subset of an event's fields under the same rules as drafting. For a "
            "published event a new time or room moves its room hold (refused whole if the new "
            "slot is taken), a new time or place tells every registrant, and a raised capacity "
            "confirms the waitlist in order; capacity cannot drop below the confirmed seats. A "
            "cancelled event cannot change. Staff and admins."
        ),
        responses=problem_responses(
            codes=codes(
                {409: ("event_cancelled",), 422: ("capacity_below_confirmed", "event_in_past")},
                _ROOM_HOLD,
            )
        ),
    )
    async def update_event(
        self,
        event_id: EventId,
        data: JSONBody[EventPatch],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        settings: NamedDependency[Settings],
    ) -> ManagedEventOut:
        return await service.update_event(
            db_session, event_id, data, by=user.id, now=clock.now(), data_key=settings.data_key
        )

    @post(
        "/{eventId:uuid}/publish",
        operation_id="publishEvent",
        summary="Publish a draft (holds its hub room)",
        description=(
            "Makes a draft visible and opens registration at `registrationOpensAt`. An event "
            "with a `roomId` holds that room for its time as a hub booking, or stays a draft if "
            "the room is taken or closed then. Only drafts that start in the future. Staff and "
            "admins."
        ),
        status_code=200,
        responses=problem_responses(
            codes=codes({409: ("event_not_draft",), 422: ("event_in_past",)}, _ROOM_HOLD)
        ),
    )
    async def publish_event(
        self,
        event_id: EventId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        settings: NamedDependency[Settings],
    ) -> ManagedEventOut:
        return await service.publish_event(
            db_session, event_id, by=user.id, now=clock.now(), data_key=settings.data_key
        )

    @post(
        "/{eventId:uuid}/cancel",
        operation_id="cancelEvent",
        summary="Cancel an event and every registration, telling each registrant",
        description=(
            "Cancels the event and all its registrations in one transaction, tells each "
            "registrant with the reason and releases the room hold. An event already over "
            "cannot be cancelled. Staff and admins."
        ),
        status_code=200,
        responses=problem_responses(codes={409: ("event_cancelled",), 422: ("event_ended",)}),
    )
    async def cancel_event(
        self,
        event_id: EventId,
        data: JSONBody[EventCancel],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> ManagedEventOut:
        return await service.cancel_event(db_session, event_id, data.reason, now=clock.now())

    @get(
        "/{eventId:uuid}/registrations",
        operation_id="listEventRegistrations",
        summary="An event's registrations with attendee names and totals",
        description=(
            "An event's registrations in arrival order (or those in `status`) with the "
            "registrant's name and phone, the attendees, seats, waitlist position and check-in "
            "time, and `totals` over the whole event. Ticket codes are never listed. Staff and "
            "admins."
        ),
    )
    async def list_event_registrations(
        self,
        event_id: EventId,
        db_session: NamedDependency[AsyncSession],
        status: RegistrationStatusFilter = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> ManagedRegistrationPage:
        return await service.event_registrations(
            db_session, event_id, status=status, limit=limit, cursor=cursor
        )

    @get(
        "/{eventId:uuid}/registrations.csv",
        operation_id="downloadEventRegistrations",
        summary="An event's registrations as a CSV file (UTF-8 with BOM, for Excel)",
        description=(
            "Every registration of the event — confirmed, then the waitlist in order, then "
            "cancelled — as a CSV file with a byte-order mark so Excel reads the Chinese names; "
            "times local (Asia/Shanghai). Staff and admins."
        ),
        media_type="text/csv; charset=utf-8",
    )
    async def download_event_registrations(
        self, event_id: EventId, db_session: NamedDependency[AsyncSession]
    ) -> Response[bytes]:
        return csv_answer(*await service.registrations_csv(db_session, event_id))

    @post(
        "/{eventId:uuid}/check-in",
        operation_id="checkInTicket",
        summary="Check a ticket in at the door (once)",
        description=(
            "Admits a scanned ticket once, from two hours before the start until the end: the "
            "answer names the registrant and the attendees to let in. A second scan of the same "
            "ticket is refused with the time of the first. Staff and admins."
        ),
        status_code=200,
        responses=problem_responses(
            describe={404: "No such event, or no such ticket for it (`ticket_not_found`)."},
            codes={
                404: ("ticket_not_found",),
                409: ("already_checked_in", "ticket_cancelled"),
                422: ("check_in_closed",),
            },
        ),
    )
    async def check_in(
        self,
        event_id: EventId,
        data: JSONBody[CheckInRequest],
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        settings: NamedDependency[Settings],
    ) -> CheckInOut:
        return await service.check_in(
            db_session,
            event_id,
            data.ticket_code,
            by=user.id,
            now=clock.now(),
            data_key=settings.data_key,
        )
