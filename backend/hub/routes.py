"""HTTP routes of the hub domain: parse, authorize by role, call the service, shape the answer.

Role guards sit on each route; which venue a worker may manage, and whose booking a resident
may see, is decided in ``service.py`` (403 for a worker elsewhere, 404 for another's booking).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, delete, get, patch, post, put
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser, admin_only, any_user, resident_only, worker_or_admin
from backend.core.clock import Clock
from backend.core.errors import problem_responses
from backend.core.idempotency import idempotent
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from backend.hub import service
from schemas.common import Page
from schemas.hub import (
    BookingIn,
    BookingOut,
    BookingScope,
    BookingStatus,
    CancelIn,
    CheckInByCodeIn,
    ClosureIn,
    ClosureOut,
    RecurringBookingIn,
    RecurringBookingOut,
    RejectIn,
    RoomAvailability,
    RoomIn,
    RoomOut,
    RoomPatch,
    VenueAvailability,
    VenueIn,
    VenueOut,
    VenuePatch,
    WorkerVenuesIn,
    WorkerVenuesOut,
)

TAGS = ["hub"]
Day = Annotated[date, Parameter(query="date", description="a local date, YYYY-MM-DD")]
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


# --- public ---------------------------------------------------------------------------------


@get(
    "/venues",
    operation_id="listVenues",
    tags=TAGS,
    summary="Venues with their rooms",
    exclude_from_auth=True,
)
async def list_venues(
    db_session: AsyncSession, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[VenueOut]:
    return await service.list_venues(db_session, limit=limit, cursor=cursor)


@get(
    "/venues/{venue_id:uuid}",
    operation_id="getVenue",
    tags=TAGS,
    summary="A venue with its rooms and opening hours",
    exclude_from_auth=True,
)
async def get_venue(db_session: AsyncSession, venue_id: UUID) -> VenueOut:
    return await service.get_venue(db_session, venue_id)


@get(
    "/rooms/{room_id:uuid}",
    operation_id="getRoom",
    tags=TAGS,
    summary="A room and its booking rules",
    exclude_from_auth=True,
)
async def get_room(db_session: AsyncSession, room_id: UUID) -> RoomOut:
    return await service.get_room(db_session, room_id)


@get(
    "/rooms/{room_id:uuid}/availability",
    operation_id="getRoomAvailability",
    tags=TAGS,
    summary="A room's slots on a date, each free or why not",
    exclude_from_auth=True,
)
async def room_availability(
    db_session: AsyncSession, clock: Clock, room_id: UUID, day: Day
) -> RoomAvailability:
    return await service.room_availability(db_session, room_id, day, clock.now())


@get(
    "/venues/{venue_id:uuid}/availability",
    operation_id="getVenueAvailability",
    tags=TAGS,
    summary="Every room's slots on a date (the day view)",
    exclude_from_auth=True,
)
async def venue_availability(
    db_session: AsyncSession, clock: Clock, venue_id: UUID, day: Day
) -> VenueAvailability:
    return await service.venue_availability(db_session, venue_id, day, clock.now())


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
    request: Request[Any, Any, Any],
    db_session: AsyncSession,
    clock: Clock,
    user: AuthUser,
    data: BookingIn,
) -> Response[BookingOut]:
    now = clock.now()

    async def handler() -> tuple[int, BookingOut]:
        return 201, await service.create_booking(db_session, user, data, now)

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
    # Not called ``scope``: Litestar reserves that name for the ASGI scope.
    which: Annotated[BookingScope, Parameter(query="scope")] = "upcoming",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[BookingOut]:
    return await service.my_bookings(
        db_session, user, scope=which, now=clock.now(), limit=limit, cursor=cursor
    )


@get(
    "/bookings/{booking_id:uuid}",
    operation_id="getBooking",
    tags=TAGS,
    summary="One booking: its owner, the venue's worker or an admin",
    guards=[any_user],
)
async def get_booking(db_session: AsyncSession, user: AuthUser, booking_id: UUID) -> BookingOut:
    return await service.get_booking(db_session, user, booking_id)


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
            422: "`cancel_cutoff_passed` (owner) or `reason_required` (worker).",
        },
    ),
)
async def cancel_booking(
    db_session: AsyncSession,
    clock: Clock,
    user: AuthUser,
    booking_id: UUID,
    data: CancelIn | None = None,
) -> BookingOut:
    reason = data.reason if data is not None else None
    return await service.cancel(db_session, user, booking_id, reason, clock.now())


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
    data: RecurringBookingIn,
) -> Response[RecurringBookingOut]:
    now = clock.now()

    async def handler() -> tuple[int, RecurringBookingOut]:
        return 201, await service.create_recurring(db_session, user, data, now)

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
    db_session: AsyncSession, clock: Clock, user: AuthUser, data: CheckInByCodeIn
) -> BookingOut:
    return await service.check_in_by_code(db_session, user, data.check_in_code, clock.now())


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


# --- workers and admins: closures ------------------------------------------------------------


@post(
    "/manage/rooms/{room_id:uuid}/closures",
    operation_id="closeRoom",
    tags=TAGS,
    summary="Close a room for a time; bookings inside are cancelled and their owners told",
    guards=[worker_or_admin],
    status_code=201,
)
async def close_room(
    db_session: AsyncSession, clock: Clock, user: AuthUser, room_id: UUID, data: ClosureIn
) -> ClosureOut:
    return await service.create_closure(
        db_session, user, data=data, now=clock.now(), room_id=room_id
    )


@post(
    "/manage/venues/{venue_id:uuid}/closures",
    operation_id="closeVenue",
    tags=TAGS,
    summary="Close a whole venue for a time; bookings inside are cancelled and owners told",
    guards=[worker_or_admin],
    status_code=201,
)
async def close_venue(
    db_session: AsyncSession, clock: Clock, user: AuthUser, venue_id: UUID, data: ClosureIn
) -> ClosureOut:
    return await service.create_closure(
        db_session, user, data=data, now=clock.now(), venue_id=venue_id
    )


@get(
    "/manage/venues/{venue_id:uuid}/closures",
    operation_id="listVenueClosures",
    tags=TAGS,
    summary="A venue's closures (of rooms or the whole venue) that have not ended",
    guards=[worker_or_admin],
)
async def list_closures(
    db_session: AsyncSession,
    clock: Clock,
    user: AuthUser,
    venue_id: UUID,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[ClosureOut]:
    return await service.list_closures(
        db_session, user, venue_id, now=clock.now(), limit=limit, cursor=cursor
    )


@delete(
    "/manage/closures/{closure_id:uuid}",
    operation_id="deleteClosure",
    tags=TAGS,
    summary="Lift a closure (bookings it cancelled stay cancelled)",
    guards=[worker_or_admin],
    status_code=204,
)
async def delete_closure(db_session: AsyncSession, user: AuthUser, closure_id: UUID) -> None:
    await service.delete_closure(db_session, user, closure_id)


# --- admins: venues, rooms, workers ------------------------------------------------------------


@get(
    "/manage/venues",
    operation_id="listManagedVenues",
    tags=TAGS,
    summary="The venues I manage (a worker's assignments; every venue for an admin)",
    guards=[worker_or_admin],
)
async def list_managed_venues(
    db_session: AsyncSession, user: AuthUser, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[VenueOut]:
    return await service.list_venues(db_session, limit=limit, cursor=cursor, managed_by=user)


@post(
    "/manage/venues",
    operation_id="createVenue",
    tags=TAGS,
    summary="Create a venue with its weekly opening hours",
    guards=[admin_only],
    status_code=201,
    responses=problem_responses(422, describe={422: "`invalid_opening_hours`."}),
)
async def create_venue(db_session: AsyncSession, clock: Clock, data: VenueIn) -> VenueOut:
    return await service.create_venue(db_session, data, clock.now())


@patch(
    "/manage/venues/{venue_id:uuid}",
    operation_id="updateVenue",
    tags=TAGS,
    summary="Change a venue (opening hours are replaced whole)",
    guards=[admin_only],
    responses=problem_responses(422, describe={422: "`invalid_opening_hours`."}),
)
async def update_venue(
    db_session: AsyncSession, clock: Clock, venue_id: UUID, data: VenuePatch
) -> VenueOut:
    return await service.update_venue(db_session, venue_id, data, clock.now())


@post(
    "/manage/venues/{venue_id:uuid}/rooms",
    operation_id="createRoom",
    tags=TAGS,
    summary="Add a room with its booking rules",
    guards=[admin_only],
    status_code=201,
    responses=problem_responses(422, describe={422: "`invalid_room_rules`."}),
)
async def create_room(
    db_session: AsyncSession, clock: Clock, venue_id: UUID, data: RoomIn
) -> RoomOut:
    return await service.create_room(db_session, venue_id, data, clock.now())


@patch(
    "/manage/rooms/{room_id:uuid}",
    operation_id="updateRoom",
    tags=TAGS,
    summary="Change a room's details or rules (existing bookings are kept)",
    guards=[admin_only],
    responses=problem_responses(422, describe={422: "`invalid_room_rules`."}),
)
async def update_room(
    db_session: AsyncSession, clock: Clock, room_id: UUID, data: RoomPatch
) -> RoomOut:
    return await service.update_room(db_session, room_id, data, clock.now())


@put(
    "/admin/users/{user_id:uuid}/venues",
    operation_id="setWorkerVenues",
    tags=TAGS,
    summary="Set the venues a community worker manages",
    guards=[admin_only],
    responses=problem_responses(422, describe={422: "`not_a_worker`."}),
)
async def set_worker_venues(
    db_session: AsyncSession, user_id: UUID, data: WorkerVenuesIn
) -> WorkerVenuesOut:
    return await service.set_worker_venues(db_session, user_id, data.venue_ids)


@get(
    "/admin/users/{user_id:uuid}/venues",
    operation_id="getWorkerVenues",
    tags=TAGS,
    summary="The venues a community worker manages",
    guards=[admin_only],
)
async def get_worker_venues(db_session: AsyncSession, user_id: UUID) -> WorkerVenuesOut:
    return await service.worker_venues(db_session, user_id)


ROUTES: list[Any] = [
    list_venues,
    get_venue,
    get_room,
    room_availability,
    venue_availability,
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
    close_room,
    close_venue,
    list_closures,
    delete_closure,
    list_managed_venues,
    create_venue,
    update_venue,
    create_room,
    update_room,
    set_worker_venues,
    get_worker_venues,
]
