"""HTTP routes of the events domain: parse, authorize, call the service, shape the answer.

Who may do what is decided here, by the guards, and nowhere else: staff and admins manage,
residents register, anyone reads published events. Ownership (another resident's registration
is a 404) is part of every service query that reads a resident's objects.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, get, patch, post
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.auth import AuthUser, resident_only, staff_or_admin
from backend.core.clock import Clock, clock_of
from backend.core.errors import AppError, FieldError, problem_responses
from backend.core.idempotency import IdempotencyKeyHeader, idempotent
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from backend.core.reads import reader_of
from backend.core.responses import Answer
from backend.events import service
from schemas.common import Page
from schemas.events import (
    Audience,
    CheckInOut,
    CheckInRequest,
    EventCancel,
    EventCreate,
    EventOut,
    EventPatch,
    EventStatus,
    EventSummary,
    FeedbackCreate,
    FeedbackOut,
    ManagedEventOut,
    ManagedEventSummary,
    ManagedRegistrationPage,
    RegistrationCreate,
    RegistrationOut,
    RegistrationStatus,
)

TAGS = ["events"]

SearchText = Annotated[
    str | None,
    Parameter(
        max_length=100,
        pattern=r"^[^\x00]*$",
        description="words of the title or summary (any length; Chinese works)",
    ),
]
CategoryParam = Annotated[
    str | None, Parameter(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="a category code")
]


# What ``_moment`` accepts, as the parameters' descriptions and its refusal state it.
_MOMENT_RULE = (
    "an RFC 3339 time with offset, e.g. +08:00, from 2000-01-01 to before 2200-01-01 (UTC)"
)


def _moment(text: str | None, field: str) -> datetime | None:
    """An RFC 3339 time with its offset. (A plain ``datetime`` parameter would also take a bare
    number as a Unix timestamp, and a time without offset, which means nothing here.)"""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if (
        moment is None
        or moment.tzinfo is None
        or "T" not in text.upper()
        or not service.in_range(moment)
    ):
        raise AppError(
            422,
            "validation_error",
            errors=[FieldError(field=field, message=_MOMENT_RULE)],
        )
    return moment


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


# --- public ------------------------------------------------------------------------------------


@get(
    "/events",
    operation_id="listEvents",
    summary="Published events, by start",
    description=(
        "Published events overlapping [from, to) — by default those not over yet — ordered by "
        "start, with seatsLeft and waitlistLength. `q` matches words of the title or summary."
    ),
    tags=TAGS,
    exclude_from_auth=True,
)
async def list_events(
    request: Request[Any, Any, Any],
    from_: Annotated[
        str | None,
        Parameter(
            query="from",
            max_length=64,
            description=f"events ending after this time (default: now); {_MOMENT_RULE}",
            schema_extra={"format": "date-time"},
        ),
    ] = None,
    to: Annotated[
        str | None,
        Parameter(
            max_length=64,
            description=f"events starting before this time; {_MOMENT_RULE}",
            schema_extra={"format": "date-time"},
        ),
    ] = None,
    category: CategoryParam = None,
    audience: Audience | None = None,
    q: SearchText = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[EventSummary]:
    items, next_cursor = await service.list_events(
        reader_of(request),
        now=clock_of(request).now(),
        starts_from=_moment(from_, "from"),
        until=_moment(to, "to"),
        category=category,
        audience=audience,
        q=_text(q),
        limit=limit,
        cursor=cursor,
    )
    return Page(items=items, next_cursor=next_cursor)


@get(
    "/events/{event_id:uuid}",
    operation_id="getEvent",
    summary="A published event",
    tags=TAGS,
    exclude_from_auth=True,
)
async def get_event(event_id: UUID, request: Request[Any, Any, Any]) -> EventOut:
    return await service.get_event(reader_of(request), event_id, now=clock_of(request).now())


# --- residents ---------------------------------------------------------------------------------


@post(
    "/events/{event_id:uuid}/registrations",
    operation_id="registerForEvent",
    summary="Register for an event (confirmed or waitlisted)",
    description=(
        "Confirmed with a ticket while seats last, otherwise waitlisted with a position. "
        "Honours `Idempotency-Key`."
    ),
    tags=TAGS,
    guards=[resident_only],
    status_code=201,
    responses=problem_responses(409, 422),
)
async def register(
    event_id: UUID,
    data: RegistrationCreate,
    request: Request[AuthUser, Any, Any],
    db_session: AsyncSession,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response[RegistrationOut]:
    # The caller and the clock come from the request, not as dependencies: with the session
    # they made a batch that Litestar resolves in an anyio task group on every request, a
    # measurable share of the rush. The guard has already admitted only residents.
    user = request.user
    now = clock_of(request).now()
    # Without a key nothing else joins the registration's transaction: its decisive statement
    # may commit on its own (see service.register).
    autocommit = reader_of(request) if idempotency_key is None else None

    async def handler() -> tuple[int, RegistrationOut]:
        registered = await service.register(
            db_session,
            event_id,
            user.id,
            data,
            now=now,
            data_key=request.app.state.settings.data_key,
            autocommit=autocommit,
        )
        return 201, registered

    return await idempotent(request, db_session, user.id, now, handler)


@get(
    "/me/registrations",
    operation_id="listMyRegistrations",
    summary="The caller's event registrations, newest first",
    tags=TAGS,
    guards=[resident_only],
)
async def my_registrations(
    db_session: AsyncSession,
    user: AuthUser,
    settings: Settings,
    status: RegistrationStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[RegistrationOut]:
    items, next_cursor = await service.my_registrations(
        db_session, user.id, status=status, limit=limit, cursor=cursor, data_key=settings.data_key
    )
    return Page(items=items, next_cursor=next_cursor)


@get(
    "/registrations/{registration_id:uuid}",
    operation_id="getMyRegistration",
    summary="One of the caller's registrations, with its ticket",
    tags=TAGS,
    guards=[resident_only],
)
async def my_registration(
    registration_id: UUID, db_session: AsyncSession, user: AuthUser, settings: Settings
) -> RegistrationOut:
    return await service.my_registration(
        db_session, registration_id, user.id, data_key=settings.data_key
    )


@post(
    "/registrations/{registration_id:uuid}/cancel",
    operation_id="cancelMyRegistration",
    summary="Cancel the caller's registration (frees seats for the waitlist)",
    tags=TAGS,
    guards=[resident_only],
    status_code=200,
    responses=problem_responses(409, 422),
)
async def cancel_registration(
    registration_id: UUID,
    db_session: AsyncSession,
    user: AuthUser,
    clock: Clock,
    settings: Settings,
) -> RegistrationOut:
    return await service.cancel_registration(
        db_session, registration_id, user.id, now=clock.now(), data_key=settings.data_key
    )


@post(
    "/events/{event_id:uuid}/feedback",
    operation_id="giveEventFeedback",
    summary="Rate an event you checked in to, after it ended",
    tags=TAGS,
    guards=[resident_only],
    status_code=201,
    responses=problem_responses(409, 422),
)
async def give_feedback(
    event_id: UUID, data: FeedbackCreate, db_session: AsyncSession, user: AuthUser, clock: Clock
) -> FeedbackOut:
    return await service.give_feedback(db_session, event_id, user.id, data, now=clock.now())


# --- staff -------------------------------------------------------------------------------------


@post(
    "/manage/events",
    operation_id="createEvent",
    summary="Draft an event",
    tags=TAGS,
    guards=[staff_or_admin],
    status_code=201,
    responses=problem_responses(422),
)
async def create_event(
    data: EventCreate, db_session: AsyncSession, user: AuthUser, clock: Clock
) -> ManagedEventOut:
    return await service.create_event(db_session, data, by=user.id, now=clock.now())


@get(
    "/manage/events",
    operation_id="listManagedEvents",
    summary="Every event, drafts included, latest start first",
    tags=TAGS,
    guards=[staff_or_admin],
)
async def list_managed_events(
    db_session: AsyncSession,
    status: EventStatus | None = None,
    q: SearchText = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[ManagedEventSummary]:
    items, next_cursor = await service.list_managed_events(
        db_session, status=status, q=_text(q), limit=limit, cursor=cursor
    )
    return Page(items=items, next_cursor=next_cursor)


@get(
    "/manage/events/{event_id:uuid}",
    operation_id="getManagedEvent",
    summary="An event with its counters, drafts included",
    tags=TAGS,
    guards=[staff_or_admin],
)
async def get_managed_event(event_id: UUID, db_session: AsyncSession) -> ManagedEventOut:
    return await service.managed_event(db_session, event_id)


@patch(
    "/manage/events/{event_id:uuid}",
    operation_id="updateEvent",
    summary="Change an event (registrants hear of a new time or place)",
    tags=TAGS,
    guards=[staff_or_admin],
    responses=problem_responses(409, 422),
)
async def update_event(
    event_id: UUID,
    data: EventPatch,
    db_session: AsyncSession,
    user: AuthUser,
    clock: Clock,
    settings: Settings,
) -> ManagedEventOut:
    return await service.update_event(
        db_session, event_id, data, by=user.id, now=clock.now(), data_key=settings.data_key
    )


@post(
    "/manage/events/{event_id:uuid}/publish",
    operation_id="publishEvent",
    summary="Publish a draft (holds its hub room)",
    tags=TAGS,
    guards=[staff_or_admin],
    status_code=200,
    responses=problem_responses(409, 422),
)
async def publish_event(
    event_id: UUID, db_session: AsyncSession, user: AuthUser, clock: Clock, settings: Settings
) -> ManagedEventOut:
    return await service.publish_event(
        db_session, event_id, by=user.id, now=clock.now(), data_key=settings.data_key
    )


@post(
    "/manage/events/{event_id:uuid}/cancel",
    operation_id="cancelEvent",
    summary="Cancel an event and every registration, telling each registrant",
    tags=TAGS,
    guards=[staff_or_admin],
    status_code=200,
    responses=problem_responses(409, 422),
)
async def cancel_event(
    event_id: UUID, data: EventCancel, db_session: AsyncSession, clock: Clock
) -> ManagedEventOut:
    return await service.cancel_event(db_session, event_id, data.reason, now=clock.now())


@get(
    "/manage/events/{event_id:uuid}/registrations",
    operation_id="listEventRegistrations",
    summary="An event's registrations with attendee names and totals",
    tags=TAGS,
    guards=[staff_or_admin],
)
async def event_registrations(
    event_id: UUID,
    db_session: AsyncSession,
    status: RegistrationStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> ManagedRegistrationPage:
    return await service.event_registrations(
        db_session, event_id, status=status, limit=limit, cursor=cursor
    )


@get(
    "/manage/events/{event_id:uuid}/registrations.csv",
    operation_id="downloadEventRegistrations",
    summary="An event's registrations as a CSV file (UTF-8 with BOM, for Excel)",
    tags=TAGS,
    guards=[staff_or_admin],
    media_type="text/csv; charset=utf-8",
)
async def event_registrations_csv(event_id: UUID, db_session: AsyncSession) -> Response[bytes]:
    filename, content = await service.registrations_csv(db_session, event_id)
    return Answer(
        content=content,
        # The encoding adds "; charset=utf-8" to a text/ type (it was written here too: twice).
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@post(
    "/manage/events/{event_id:uuid}/check-in",
    operation_id="checkInTicket",
    summary="Check a ticket in at the door (once)",
    tags=TAGS,
    guards=[staff_or_admin],
    status_code=200,
    responses=problem_responses(
        404,
        409,
        422,
        describe={404: "No such event, or no such ticket for it (`ticket_not_found`)."},
    ),
)
async def check_in(
    event_id: UUID,
    data: CheckInRequest,
    db_session: AsyncSession,
    user: AuthUser,
    clock: Clock,
    settings: Settings,
) -> CheckInOut:
    return await service.check_in(
        db_session,
        event_id,
        data.ticket_code,
        by=user.id,
        now=clock.now(),
        data_key=settings.data_key,
    )


ROUTES: list[Any] = [
    list_events,
    get_event,
    register,
    my_registrations,
    my_registration,
    cancel_registration,
    give_feedback,
    create_event,
    list_managed_events,
    get_managed_event,
    update_event,
    publish_event,
    cancel_event,
    event_registrations,
    event_registrations_csv,
    check_in,
]
