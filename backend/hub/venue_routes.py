"""HTTP routes of venues, one controller per audience: venues, rooms and availability for
anyone; closures and a worker's venues for the venue's worker; venues, rooms and worker
assignments for admins."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import JSONBody, PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser, admin_only, worker_or_admin
from backend.core.clock import Clock, clock_of
from backend.core.errors import problem_responses
from backend.core.idempotency import IdempotencyKeyHeader, idempotent
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from backend.core.reads import reader_of
from backend.hub import service
from schemas.common import Page
from schemas.hub import (
    ClosureIn,
    ClosureOut,
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

TAGS = ("hub",)

VenueId = Annotated[UUID, PathParameter(name="venueId", description="the venue's id")]
RoomId = Annotated[UUID, PathParameter(name="roomId", description="the room's id")]
ClosureId = Annotated[UUID, PathParameter(name="closureId", description="the closure's id")]
UserId = Annotated[UUID, PathParameter(name="userId", description="the worker's account id")]
Day = Annotated[date, QueryParameter(name="date", description="a local date, YYYY-MM-DD")]

# The problem codes each operation may answer, by status (the generic ones, such as
# `not_found`, `forbidden` and `validation_error`, the document adds by itself).
_CURSOR = {422: ("invalid_cursor",)}
_CLOSURE_CODES = {
    409: ("closure_conflicts_event", "idempotency_request_in_progress"),
    422: ("invalid_time_range", "invalid_idempotency_key", "idempotency_key_reused"),
}
_CLOSURE_REFUSALS = {
    409: "`closure_conflicts_event`: published events hold a room in that time; `events` lists "
    "them (`eventId`, `roomId`, `startsAt`, `endsAt`). An admin may send `force: true`: the "
    "events then lose their room and their staff and registrants are told.",
    422: "The end is not after the start (`invalid_time_range`), a field is malformed "
    "(`validation_error`), or the `Idempotency-Key` was used with another body "
    "(`idempotency_key_reused`) or is malformed (`invalid_idempotency_key`).",
}
_HOURS = problem_responses(
    describe={
        422: "An opening interval closes before it opens, or overlaps another of the same "
        "weekday (`invalid_opening_hours`, the interval named in `errors`)."
    },
    codes={422: ("invalid_opening_hours",)},
)
_ROOM_RULES = problem_responses(
    describe={
        422: "The shortest or longest booking is not a whole number of slots, or the shortest "
        "is longer than the longest (`invalid_room_rules`)."
    },
    codes={422: ("invalid_room_rules",)},
)


class VenueController(Controller):
    """Venues, their rooms and each room's free slots: public, no token needed."""

    path = "/"
    tags = TAGS
    opt = {"exclude_from_auth": True}  # noqa: RUF012  (Litestar copies each layer's opt)

    @get(
        "/venues",
        operation_id="listVenues",
        summary="Venues with their rooms",
        responses=problem_responses(codes=_CURSOR),
    )
    async def list_venues(
        self,
        db_session: NamedDependency[AsyncSession],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[VenueOut]:
        """Every venue with its rooms and weekly opening hours, in creation order."""
        return await service.list_venues(db_session, limit=limit, cursor=cursor)

    @get(
        "/venues/{venueId:uuid}",
        operation_id="getVenue",
        summary="A venue with its rooms and opening hours",
    )
    async def get_venue(
        self, db_session: NamedDependency[AsyncSession], venue_id: VenueId
    ) -> VenueOut:
        """One venue with its rooms, their booking rules and the venue's weekly hours."""
        return await service.get_venue(db_session, venue_id)

    @get("/rooms/{roomId:uuid}", operation_id="getRoom", summary="A room and its booking rules")
    async def get_room(self, db_session: NamedDependency[AsyncSession], room_id: RoomId) -> RoomOut:
        """One room: capacity, amenities, slot length, shortest and longest booking, how far
        ahead it may be booked, the cancel cutoff and the active bookings a resident may hold."""
        return await service.get_room(db_session, room_id)

    @get(
        "/rooms/{roomId:uuid}/availability",
        operation_id="getRoomAvailability",
        summary="A room's slots on a date, each free or why not",
    )
    async def room_availability(
        self, request: Request[Any, Any, Any], room_id: RoomId, day: Day
    ) -> RoomAvailability:
        """The room's slot grid on a local date within its venue's opening hours, each slot
        `free` or why not: `past`, `closed`, `booked` or `not_yet_bookable`."""
        # A hot read (see docs/architecture.md): the reader and the clock come from the app.
        return await service.room_availability(
            reader_of(request), room_id, day, clock_of(request).now()
        )

    @get(
        "/venues/{venueId:uuid}/availability",
        operation_id="getVenueAvailability",
        summary="Every room's slots on a date (the day view)",
    )
    async def venue_availability(
        self,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        venue_id: VenueId,
        day: Day,
    ) -> VenueAvailability:
        """The app's day view: every room of the venue on a local date, its slots as
        `getRoomAvailability` gives them."""
        return await service.venue_availability(db_session, venue_id, day, clock.now())


class ManagedVenueController(Controller):
    """What the venue's worker (or an admin) manages: the venues assigned, and their closures."""

    path = "/manage"
    tags = TAGS
    guards = (worker_or_admin,)

    async def _close(
        self,
        request: Request[AuthUser, Any, Any],
        db_session: AsyncSession,
        clock: Clock,
        user: AuthUser,
        data: ClosureIn,
        **where: UUID,
    ) -> Response[ClosureOut]:
        now = clock.now()

        async def handler() -> tuple[int, ClosureOut]:
            closure = await service.create_closure(db_session, user, data=data, now=now, **where)
            return 201, closure

        return await idempotent(request, db_session, user.id, now, handler)

    @post(
        "/rooms/{roomId:uuid}/closures",
        operation_id="createRoomClosure",
        summary="Close a room for a time; bookings inside are cancelled and their owners told",
        responses=problem_responses(describe=_CLOSURE_REFUSALS, codes=_CLOSURE_CODES),
    )
    async def close_room(
        self,
        request: Request[AuthUser, Any, Any],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        room_id: RoomId,
        data: JSONBody[ClosureIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ClosureOut]:
        """Closes one room from `startsAt` to `endsAt`: its pending and confirmed bookings in
        that time are cancelled and their owners told the `reason`; nothing can be booked
        there meanwhile. A room an event holds refuses the closure unless an admin forces it.
        A retry with the same `Idempotency-Key` and body replays the first answer."""
        return await self._close(request, db_session, clock, user, data, room_id=room_id)

    @post(
        "/venues/{venueId:uuid}/closures",
        operation_id="createVenueClosure",
        summary="Close a whole venue for a time; bookings inside are cancelled and owners told",
        responses=problem_responses(describe=_CLOSURE_REFUSALS, codes=_CLOSURE_CODES),
    )
    async def close_venue(
        self,
        request: Request[AuthUser, Any, Any],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        venue_id: VenueId,
        data: JSONBody[ClosureIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ClosureOut]:
        """Closes every room of the venue, as `createRoomClosure` closes one. A retry with the
        same `Idempotency-Key` and body replays the first answer."""
        return await self._close(request, db_session, clock, user, data, venue_id=venue_id)

    @get(
        "/venues/{venueId:uuid}/closures",
        operation_id="listVenueClosures",
        summary="A venue's closures (of rooms or the whole venue) that have not ended",
        responses=problem_responses(codes=_CURSOR),
    )
    async def list_closures(
        self,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        venue_id: VenueId,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[ClosureOut]:
        """The closures of the venue and of its rooms that have not ended, soonest first, each
        with the number of bookings it cancelled."""
        return await service.list_closures(
            db_session, user, venue_id, now=clock.now(), limit=limit, cursor=cursor
        )

    @delete(
        "/closures/{closureId:uuid}",
        operation_id="deleteClosure",
        summary="Lift a closure (bookings it cancelled stay cancelled)",
    )
    async def delete_closure(
        self,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        closure_id: ClosureId,
    ) -> None:
        """Removes the closure: its time can be booked again. The bookings it cancelled stay
        cancelled, since their owners were told so."""
        await service.delete_closure(db_session, user, closure_id)

    @get(
        "/venues",
        operation_id="listManagedVenues",
        summary="The venues I manage (a worker's assignments; every venue for an admin)",
        responses=problem_responses(codes=_CURSOR),
    )
    async def list_managed_venues(
        self,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[VenueOut]:
        """The venues assigned to the calling worker, or every venue for an admin, with their
        rooms."""
        return await service.list_venues(db_session, limit=limit, cursor=cursor, managed_by=user)


class AdminVenueController(Controller):
    """Venues and rooms, which only admins create and change."""

    path = "/manage"
    tags = TAGS
    guards = (admin_only,)

    @post(
        "/venues",
        operation_id="createVenue",
        summary="Create a venue with its weekly opening hours",
        responses=_HOURS,
    )
    async def create_venue(
        self,
        request: Request[AuthUser, Any, Any],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        data: JSONBody[VenueIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[VenueOut]:
        """A new venue, without rooms yet. Opening hours are intervals per ISO weekday (1 is
        Monday), `HH:MM` local time, not overlapping (`invalid_opening_hours`). A retry with
        the same `Idempotency-Key` and body replays the first answer."""
        now = clock.now()

        async def handler() -> tuple[int, VenueOut]:
            return 201, await service.create_venue(db_session, data, now)

        return await idempotent(request, db_session, user.id, now, handler)

    @patch(
        "/venues/{venueId:uuid}",
        operation_id="updateVenue",
        summary="Change a venue (opening hours are replaced whole)",
        responses=_HOURS,
    )
    async def update_venue(
        self,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        venue_id: VenueId,
        data: JSONBody[VenuePatch],
    ) -> VenueOut:
        """Changes the fields sent; `openingHours`, when sent, replaces the whole week.
        Existing bookings are kept."""
        return await service.update_venue(db_session, venue_id, data, clock.now())

    @post(
        "/venues/{venueId:uuid}/rooms",
        operation_id="createRoom",
        summary="Add a room with its booking rules",
        responses=_ROOM_RULES,
    )
    async def create_room(
        self,
        request: Request[AuthUser, Any, Any],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        venue_id: VenueId,
        data: JSONBody[RoomIn],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[RoomOut]:
        """Adds a room to the venue. Its shortest and longest booking are whole numbers of
        slots, the shortest at least one (`invalid_room_rules`). A retry with the same
        `Idempotency-Key` and body replays the first answer."""
        now = clock.now()

        async def handler() -> tuple[int, RoomOut]:
            return 201, await service.create_room(db_session, venue_id, data, now)

        return await idempotent(request, db_session, user.id, now, handler)

    @patch(
        "/rooms/{roomId:uuid}",
        operation_id="updateRoom",
        summary="Change a room's details or rules (existing bookings are kept)",
        responses=_ROOM_RULES,
    )
    async def update_room(
        self,
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        room_id: RoomId,
        data: JSONBody[RoomPatch],
    ) -> RoomOut:
        """Changes the fields sent; changed rules apply to bookings made from now on."""
        return await service.update_room(db_session, room_id, data, clock.now())


class WorkerVenueController(Controller):
    """The venues a community worker manages, which admins assign."""

    path = "/admin/users/{userId:uuid}/venues"
    tags = TAGS
    guards = (admin_only,)

    @put(
        operation_id="setWorkerVenues",
        summary="Set the venues a community worker manages",
        responses=problem_responses(
            404,
            describe={
                404: "No such account or venue (`not_found`).",
                422: "The account is not a community worker's (`not_a_worker`).",
            },
            codes={422: ("not_a_worker",)},
        ),
    )
    async def set_worker_venues(
        self,
        db_session: NamedDependency[AsyncSession],
        user_id: UserId,
        data: JSONBody[WorkerVenuesIn],
    ) -> WorkerVenuesOut:
        """Replaces the worker's venues with `venueIds` (an empty list unassigns them all).
        The account must be a worker's (`not_a_worker`), every venue must exist."""
        return await service.set_worker_venues(db_session, user_id, data.venue_ids)

    @get(operation_id="getWorkerVenues", summary="The venues a community worker manages")
    async def get_worker_venues(
        self, db_session: NamedDependency[AsyncSession], user_id: UserId
    ) -> WorkerVenuesOut:
        """The venues assigned to the account, by id."""
        return await service.worker_venues(db_session, user_id)


ROUTES: list[Any] = [
    VenueController,
    ManagedVenueController,
    AdminVenueController,
    WorkerVenueController,
]
