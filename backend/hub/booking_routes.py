"""HTTP routes of bookings: a resident's own, and the venue's worker's (the day sheet, group
bookings and every decision on a booking)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, cast
from uuid import UUID

from litestar import Request, Response, get, post
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.auth import AuthUser, any_user, resident_only, worker_or_admin
from backend.core.clock import Clock
from backend.core.errors import problem_responses
from backend.core.idempotency import idempotent
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from backend.core.reads import reader_of
from backend.hub import service
from schemas.common import Page
from schemas.hub import (
    BookingIn,
    BookingOut,
    BookingScope,
    BookingStatus,
    CancelIn,
    CheckInByCodeIn,
    RecurringBookingIn,
    RecurringBookingOut,
    RejectIn,
)

TAGS = ["hub"]
OptionalDay = Annotated[
    date | None, Parameter(query="date", description="only bookings on this local date")
]

_BOOKING_RULES = {
    409: "`booking_conflict` (the slot is taken) or `booking_limit_reached`.",
    422: (
        "A broken booking rule: `invalid_time_range`, `in_the_past`, `too_far_ahead`, "
        "`duration_out_of_range`, `outside_opening_hours`, `slot_misaligned`, `over_capacity`, "
        "`room_closed`; `validation_error`; `idempotency_key_reused`."
    ),
}
_CHECK_IN_CONFLICTS = (
    "`booking_already_checked_in`, `invalid_status_transition` or `booking_held_by_event`."
)
_NO_ROOM = "No such room (`not_found`)."
_TRANSITION = {
    409: "`invalid_status_transition` (with the current status) or `booking_held_by_event`.",
}


# --- residents ------------------------------------------------------------------------------


@post(
    "/bookings",
    operation_id="createBooking",
    tags=TAGS,
    summary="Book a room (honours Idempotency-Key)",
    guards=[resident_only],
    status_code=201,
    responses=problem_responses(404, 409, 422, describe={**_BOOKING_RULES, 404: _NO_ROOM}),
)
async def create_booking(
    request: Request[AuthUser, Any, Any],
    db_session: AsyncSession,
    data: BookingIn,
) -> Response[BookingOut]:
    # The caller and the clock come from the request, not as dependencies: next to the session
    # they made a batch that Litestar resolves in an anyio task group on every request, a
    # measurable share of the booking storm. The guard has already admitted only residents.
    user = request.user
    now = cast(Clock, request.app.state.clock).now()

    async def handler() -> tuple[int, BookingOut]:
        booking = await service.create_booking(
            db_session,
            user,
            data,
            now,
            data_key=request.app.state.settings.data_key,
            glance=reader_of(request),
        )
        return 201, booking

    return await idempotent(request, db_session, user.id, now, handler)


@get(
    "/me/bookings",
    operation_id="listMyBookings",
    tags=TAGS,
    summary="My bookings: upcoming (soonest first) or past (latest first)",
    guards=[any_user],
)
async def my_bookings(
    db_session: AsyncSession,
    clock: Clock,
    user: AuthUser,
    settings: Settings,
    # Not called ``scope``: Litestar reserves that name for the ASGI scope.
    which: Annotated[BookingScope, Parameter(query="scope")] = "upcoming",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[BookingOut]:
    return await service.my_bookings(
        db_session,
        user,
        scope=which,
        now=clock.now(),
        limit=limit,
        cursor=cursor,
        data_key=settings.data_key,
    )


@get(
    "/bookings/{booking_id:uuid}",
    operation_id="getBooking",
    tags=TAGS,
    summary="One booking: its owner, the venue's worker or an admin",
    guards=[any_user],
)
async def get_booking(
    db_session: AsyncSession, clock: Clock, user: AuthUser, settings: Settings, booking_id: UUID
) -> BookingOut:
    return await service.get_booking(
        db_session, user, booking_id, now=clock.now(), data_key=settings.data_key
    )


@post(
    "/bookings/{booking_id:uuid}/cancel",
    operation_id="cancelBooking",
    tags=TAGS,
    summary="Cancel: the owner before the cutoff, the venue's worker any time with a reason",
    guards=[any_user],
    status_code=200,
    responses=problem_responses(
        409,
        422,
        describe={
            **_TRANSITION,
            422: "`cancel_cutoff_passed` (owner), or `validation_error` on `reason` (a worker gave "
            "none).",
        },
    ),
)
async def cancel_booking(
    db_session: AsyncSession,
    clock: Clock,
    user: AuthUser,
    booking_id: UUID,
    settings: Settings,
    data: CancelIn | None = None,
) -> BookingOut:
    reason = data.reason if data is not None else None
    return await service.cancel(
        db_session, user, booking_id, reason, clock.now(), data_key=settings.data_key
    )


# --- workers and admins: bookings -----------------------------------------------------------


@get(
    "/manage/bookings",
    operation_id="listManagedBookings",
    tags=TAGS,
    summary="The bookings of the venues I manage (a worker's day sheet)",
    guards=[worker_or_admin],
    responses=problem_responses(404, describe={404: "No such venue or room (`not_found`)."}),
)
async def manage_bookings(
    db_session: AsyncSession,
    user: AuthUser,
    venue_id: Annotated[UUID | None, Parameter(query="venueId")] = None,
    room_id: Annotated[UUID | None, Parameter(query="roomId")] = None,
    status: BookingStatus | None = None,
    day: OptionalDay = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[BookingOut]:
    return await service.manage_bookings(
        db_session,
        user,
        venue_id=venue_id,
        room_id=room_id,
        status=status,
        day=day,
        limit=limit,
        cursor=cursor,
    )


@post(
    "/manage/bookings/recurring",
    operation_id="createRecurringBooking",
    tags=TAGS,
    summary="Book a room weekly for a group, all or nothing (honours Idempotency-Key)",
    guards=[worker_or_admin],
    status_code=201,
    responses=problem_responses(
        404,
        409,
        422,
        describe={
            404: _NO_ROOM,
            409: "`booking_conflict` with `conflicts`: every clashing occurrence.",
            422: (
                "`invalid_recurrence`, `invalid_time_range`, `in_the_past`, "
                "`outside_opening_hours`, `slot_misaligned`, `over_capacity`, or `room_closed` "
                "with `conflicts`."
            ),
        },
    ),
)
async def create_recurring_booking(
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    clock: Clock,
    user: AuthUser,
    settings: Settings,
    data: RecurringBookingIn,
) -> Response[RecurringBookingOut]:
    now = clock.now()

    async def handler() -> tuple[int, RecurringBookingOut]:
        return 201, await service.create_recurring(
            db_session, user, data, now, data_key=settings.data_key
        )

    return await idempotent(request, db_session, user.id, now, handler)


@post(
    "/manage/bookings/{booking_id:uuid}/approve",
    operation_id="approveBooking",
    tags=TAGS,
    summary="Approve a pending booking",
    guards=[worker_or_admin],
    status_code=200,
    responses=problem_responses(409, 422, describe={**_TRANSITION, 422: "`booking_ended`."}),
)
async def approve_booking(
    db_session: AsyncSession, clock: Clock, user: AuthUser, booking_id: UUID
) -> BookingOut:
    return await service.approve(db_session, user, booking_id, clock.now())


@post(
    "/manage/bookings/{booking_id:uuid}/reject",
    operation_id="rejectBooking",
    tags=TAGS,
    summary="Reject a pending booking with the reason the resident will read",
    guards=[worker_or_admin],
    status_code=200,
    responses=problem_responses(409, describe=_TRANSITION),
)
async def reject_booking(
    db_session: AsyncSession, clock: Clock, user: AuthUser, booking_id: UUID, data: RejectIn
) -> BookingOut:
    return await service.reject(db_session, user, booking_id, data.reason, clock.now())


@post(
    "/manage/bookings/{booking_id:uuid}/check-in",
    operation_id="checkInBooking",
    tags=TAGS,
    summary="Check in a confirmed booking (15 minutes before the start until its end)",
    guards=[worker_or_admin],
    status_code=200,
    responses=problem_responses(
        409,
        422,
        describe={
            409: _CHECK_IN_CONFLICTS,
            422: "`outside_check_in_window`.",
        },
    ),
)
async def check_in_booking(
    db_session: AsyncSession, clock: Clock, user: AuthUser, booking_id: UUID
) -> BookingOut:
    return await service.check_in(db_session, user, booking_id, clock.now())


@post(
    "/manage/bookings/check-in",
    operation_id="checkInBookingByCode",
    tags=TAGS,
    summary="Check in by the code on the resident's phone (the QR scan)",
    guards=[worker_or_admin],
    status_code=200,
    responses=problem_responses(
        404,
        409,
        422,
        describe={
            404: "No booking has this code (`not_found`).",
            409: _CHECK_IN_CONFLICTS,
            422: "`outside_check_in_window`.",
        },
    ),
)
async def check_in_by_code(
    db_session: AsyncSession,
    clock: Clock,
    user: AuthUser,
    settings: Settings,
    data: CheckInByCodeIn,
) -> BookingOut:
    return await service.check_in_by_code(
        db_session, user, data.check_in_code, clock.now(), data_key=settings.data_key
    )


@post(
    "/manage/bookings/{booking_id:uuid}/no-show",
    operation_id="markBookingNoShow",
    tags=TAGS,
    summary="Mark a confirmed booking as a no-show, once it has started",
    guards=[worker_or_admin],
    status_code=200,
    responses=problem_responses(409, 422, describe={**_TRANSITION, 422: "`no_show_too_early`."}),
)
async def no_show_booking(
    db_session: AsyncSession, clock: Clock, user: AuthUser, booking_id: UUID
) -> BookingOut:
    return await service.no_show(db_session, user, booking_id, clock.now())


ROUTES: list[Any] = [
    create_booking,
    my_bookings,
    get_booking,
    cancel_booking,
    manage_bookings,
    create_recurring_booking,
    approve_booking,
    reject_booking,
    check_in_booking,
    check_in_by_code,
    no_show_booking,
]
