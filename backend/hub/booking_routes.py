"""HTTP routes of bookings, one controller per audience: a resident booking a room, anyone
signed in reading and cancelling the bookings they may see, and the venue's worker (the day
sheet, group bookings and every decision on a booking)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Operation, RequestBody
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.auth import AuthUser, any_user, resident_only, worker_or_admin
from backend.core.clock import Clock, clock_of
from backend.core.errors import problem_responses
from backend.core.idempotency import IdempotencyKeyHeader, idempotent
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

TAGS = ("hub",)

BookingId = Annotated[UUID, PathParameter(name="bookingId", description="the booking's id")]
OptionalDay = Annotated[
    date | None, QueryParameter(name="date", description="only bookings on this local date")
]

# A POST that decides something about an existing booking answers 200 with the booking.
action = partial(post, status_code=HTTP_200_OK)

# The problem codes each operation may answer, by status (the generic ones, such as
# `not_found`, `forbidden` and `validation_error`, the document adds by itself).
_IDEMPOTENCY = {409: ("idempotency_request_in_progress",)}
_IDEMPOTENCY_422 = ("invalid_idempotency_key", "idempotency_key_reused")
_RULES = (
    "invalid_time_range",
    "in_the_past",
    "outside_opening_hours",
    "slot_misaligned",
    "over_capacity",
    "room_closed",
)
_TRANSITION = ("invalid_status_transition", "booking_held_by_event")
_CHECK_IN = {
    409: ("booking_already_checked_in", *_TRANSITION),
    422: ("outside_check_in_window",),
}
_CURSOR = {422: ("invalid_cursor",)}
_CHECK_IN_CONFLICTS = (
    "The booking was checked in already (`booking_already_checked_in`), is not confirmed "
    "(`invalid_status_transition`, with its `status`), or is an event's room hold "
    "(`booking_held_by_event`)."
)
_CHECK_IN_WINDOW = (
    "Earlier than 15 minutes before the start, or after the end (`outside_check_in_window`)."
)
_NO_ROOM = "No such room (`not_found`)."
_TRANSITION_409 = (
    "The booking's status does not allow this (`invalid_status_transition`, with its "
    "`status`), or it is an event's room hold, changed only through its event "
    "(`booking_held_by_event`)."
)


@dataclass
class _OptionalBody(Operation):
    """An operation whose body may be left out (Litestar marks every body required)."""

    def __post_init__(self) -> None:
        if isinstance(self.request_body, RequestBody):
            self.request_body.required = False


class ResidentBookingController(Controller):
    """A resident books a room for themselves."""

    path = "/bookings"
    tags = TAGS
    guards = (resident_only,)

    @post(
        operation_id="createBooking",
        summary="Book a room (honours Idempotency-Key)",
        responses=problem_responses(
            404,
            describe={
                409: "Someone holds part of that time (`booking_conflict`), the resident "
                "already holds the room's number of active bookings (`booking_limit_reached`), "
                "or a request with this `Idempotency-Key` still runs "
                "(`idempotency_request_in_progress`).",
                422: "The time breaks a rule of the room, checked in the order of docs/hub.md: "
                "the end not after the start (`invalid_time_range`), already begun "
                "(`in_the_past`), beyond the booking horizon (`too_far_ahead`), too short or "
                "too long (`duration_out_of_range`), outside the venue's hours "
                "(`outside_opening_hours`), off the slot grid (`slot_misaligned`), more people "
                "than the room holds (`over_capacity`), or in a closure (`room_closed`). Also a "
                "malformed field (`validation_error`) or a key reused with another body "
                "(`idempotency_key_reused`).",
                404: _NO_ROOM,
            },
            codes={
                409: ("booking_conflict", "booking_limit_reached", *_IDEMPOTENCY[409]),
                422: (*_RULES, "too_far_ahead", "duration_out_of_range", *_IDEMPOTENCY_422),
            },
        ),
    )
    async def create_booking(
        self,
        request: Request[AuthUser, Any, Any],
        db_session: NamedDependency[AsyncSession],
        data: JSONBody[BookingIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[BookingOut]:
        """Books the slot for the calling resident: confirmed at once, or pending when the room
        requires a worker's approval. The rules are checked in the order of docs/hub.md; the
        database alone decides a collision (`booking_conflict`), and a resident holds at most
        the room's number of active bookings (`booking_limit_reached`). The answer carries the
        check-in code and `cancellableUntil` (null when the booking starts inside the room's
        cancel cutoff: only a worker can cancel it then). A retry with the same
        `Idempotency-Key` and body replays the first answer."""
        # A hot route (the booking storm): the caller, the clock and the glance's reader come
        # from the request, not as dependencies, which Litestar would resolve in an anyio task
        # group on every request. The guard has already admitted only residents.
        user = request.user
        now = clock_of(request).now()

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


class BookingController(Controller):
    """Bookings as anyone signed in sees them: their own, or those of the venues they manage."""

    path = "/"
    tags = TAGS
    guards = (any_user,)

    @get(
        "/me/bookings",
        operation_id="listMyBookings",
        summary="My bookings: upcoming (soonest first) or past (latest first)",
        responses=problem_responses(codes=_CURSOR),
    )
    async def my_bookings(
        self,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        # Not called ``scope``: Litestar reserves that name for the ASGI scope.
        which: Annotated[
            BookingScope,
            QueryParameter(
                name="scope", description="`upcoming` (not yet ended, the default) or `past`"
            ),
        ] = "upcoming",
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[BookingOut]:
        """The caller's own bookings in every status, a page at a time: those not yet ended
        soonest first, or those ended most recent first. Each shows its check-in code and until
        when the caller may cancel it."""
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
        "/bookings/{bookingId:uuid}",
        operation_id="getBooking",
        summary="One booking: its owner, the venue's worker or an admin",
    )
    async def get_booking(
        self,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        booking_id: BookingId,
    ) -> BookingOut:
        """The owner sees their booking with its check-in code; a worker of its venue or an
        admin sees it without. A worker of another venue is refused (403); anyone else is told
        it does not exist (404)."""
        return await service.get_booking(
            db_session, user, booking_id, now=clock.now(), data_key=settings.data_key
        )

    @action(
        "/bookings/{bookingId:uuid}/cancel",
        operation_id="cancelBooking",
        summary="Cancel: the owner before the cutoff, the venue's worker any time with a reason",
        operation_class=_OptionalBody,
        responses=problem_responses(
            describe={
                409: _TRANSITION_409,
                422: "The owner cancels inside the room's cancel cutoff "
                "(`cancel_cutoff_passed`, with its `minutes`), or a worker gave no `reason` "
                "(`validation_error` on `reason`).",
            },
            codes={409: _TRANSITION, 422: ("cancel_cutoff_passed",)},
        ),
    )
    async def cancel_booking(
        self,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        booking_id: BookingId,
        data: JSONBody[CancelIn | None] = None,
    ) -> BookingOut:
        """Cancels a pending or confirmed booking. Its owner may, without a body or with a
        reason, until the room's cancel cutoff before the start (`cancel_cutoff_passed` after).
        The venue's worker or an admin may at any time, giving the `reason` the owner reads in
        their inbox. A room held for an event is released through the event, not here."""
        reason = data.reason if data is not None else None
        return await service.cancel(
            db_session, user, booking_id, reason, clock.now(), data_key=settings.data_key
        )


class ManagedBookingController(Controller):
    """The bookings of the venues a worker manages (an admin: every venue): the day sheet,
    group bookings and every decision on a booking."""

    path = "/manage/bookings"
    tags = TAGS
    guards = (worker_or_admin,)

    @get(
        operation_id="listManagedBookings",
        summary="The bookings of the venues I manage (a worker's day sheet)",
        responses=problem_responses(
            404, describe={404: "No such venue or room (`not_found`)."}, codes=_CURSOR
        ),
    )
    async def manage_bookings(
        self,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        venue_id: Annotated[
            UUID | None, QueryParameter(name="venueId", description="only this venue's")
        ] = None,
        room_id: Annotated[
            UUID | None, QueryParameter(name="roomId", description="only this room's")
        ] = None,
        status: Annotated[
            BookingStatus | None, QueryParameter(description="only bookings in this status")
        ] = None,
        day: OptionalDay = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[BookingOut]:
        """Bookings of the venues the caller manages, by start time, with the resident's phone
        to call a late-comer; narrowed to a venue, a room, a status or a local date. Naming a
        venue or room the caller does not manage is refused (403)."""
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
        "/recurring",
        operation_id="createRecurringBooking",
        summary="Book a room weekly for a group, all or nothing (honours Idempotency-Key)",
        responses=problem_responses(
            404,
            describe={
                404: _NO_ROOM,
                409: "Some occurrence clashes with a booking (`booking_conflict`; `conflicts` "
                "lists every clashing occurrence): nothing was booked.",
                422: "Not exactly one of `weeks` and `until`, or more than 52 weeks "
                "(`invalid_recurrence`); or the first occurrence breaks a rule of the room "
                "(`invalid_time_range`, `in_the_past`, `outside_opening_hours`, "
                "`slot_misaligned`, `over_capacity`); or an occurrence falls in a closure "
                "(`room_closed`, with `conflicts`).",
            },
            codes={
                409: ("booking_conflict", *_IDEMPOTENCY[409]),
                422: ("invalid_recurrence", *_RULES, *_IDEMPOTENCY_422),
            },
        ),
    )
    async def create_recurring_booking(
        self,
        request: Request[AuthUser, Any, Any],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        data: JSONBody[RecurringBookingIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[RecurringBookingOut]:
        """Books the same local time once a week for a group, for `weeks` weeks or `until` a
        date (one of the two, at most 52 occurrences), confirmed at once. One clash anywhere
        and nothing is booked: the answer lists every clashing occurrence in `conflicts`. A
        retry with the same `Idempotency-Key` and body replays the first answer."""
        now = clock.now()

        async def handler() -> tuple[int, RecurringBookingOut]:
            return 201, await service.create_recurring(
                db_session, user, data, now, data_key=settings.data_key
            )

        return await idempotent(request, db_session, user.id, now, handler)

    @action(
        "/{bookingId:uuid}/approve",
        operation_id="approveBooking",
        summary="Approve a pending booking",
        responses=problem_responses(
            describe={
                409: _TRANSITION_409,
                422: "The booking's time is over: too late to approve (`booking_ended`).",
            },
            codes={409: _TRANSITION, 422: ("booking_ended",)},
        ),
    )
    async def approve_booking(
        self,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        booking_id: BookingId,
    ) -> BookingOut:
        """Confirms a pending booking that has not ended; its owner is told."""
        return await service.approve(db_session, user, booking_id, clock.now())

    @action(
        "/{bookingId:uuid}/reject",
        operation_id="rejectBooking",
        summary="Reject a pending booking with the reason the resident will read",
        responses=problem_responses(describe={409: _TRANSITION_409}, codes={409: _TRANSITION}),
    )
    async def reject_booking(
        self,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        booking_id: BookingId,
        data: JSONBody[RejectIn],
    ) -> BookingOut:
        """Refuses a pending booking; its owner is told, with the `reason`."""
        return await service.reject(db_session, user, booking_id, data.reason, clock.now())

    @action(
        "/{bookingId:uuid}/check-in",
        operation_id="checkInBooking",
        summary="Check in a confirmed booking (15 minutes before the start until its end)",
        responses=problem_responses(
            describe={409: _CHECK_IN_CONFLICTS, 422: _CHECK_IN_WINDOW},
            codes=_CHECK_IN,
        ),
    )
    async def check_in_booking(
        self,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        booking_id: BookingId,
    ) -> BookingOut:
        """Marks a confirmed booking as arrived, from 15 minutes before its start until its
        end; twice is `booking_already_checked_in`."""
        return await service.check_in(db_session, user, booking_id, clock.now())

    @action(
        "/check-in",
        operation_id="checkInBookingByCode",
        summary="Check in by the code on the resident's phone (the QR scan)",
        responses=problem_responses(
            404,
            describe={
                404: "No booking has this code (`not_found`).",
                409: _CHECK_IN_CONFLICTS,
                422: _CHECK_IN_WINDOW,
            },
            codes=_CHECK_IN,
        ),
    )
    async def check_in_by_code(
        self,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        settings: NamedDependency[Settings],
        data: JSONBody[CheckInByCodeIn],
    ) -> BookingOut:
        """The worker scans the resident's QR code: the booking it belongs to is checked in
        under the rules of `checkInBooking`. An unknown code is 404."""
        return await service.check_in_by_code(
            db_session, user, data.check_in_code, clock.now(), data_key=settings.data_key
        )

    @action(
        "/{bookingId:uuid}/no-show",
        operation_id="markBookingNoShow",
        summary="Mark a confirmed booking as a no-show, once it has started",
        responses=problem_responses(
            describe={
                409: _TRANSITION_409,
                422: "The booking has not started yet (`no_show_too_early`).",
            },
            codes={409: _TRANSITION, 422: ("no_show_too_early",)},
        ),
    )
    async def no_show_booking(
        self,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        booking_id: BookingId,
    ) -> BookingOut:
        """Records that nobody came to a confirmed booking, once it has started; its owner is
        told."""
        return await service.no_show(db_session, user, booking_id, clock.now())


ROUTES: list[Any] = [ResidentBookingController, BookingController, ManagedBookingController]
