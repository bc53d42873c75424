"""HTTP routes of venues: their rooms and availability (public), closures (the venue's worker),
and venues, rooms and worker assignments (admins)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from litestar import Request, delete, get, patch, post, put
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser, admin_only, worker_or_admin
from backend.core.clock import Clock, clock_of
from backend.core.errors import problem_responses
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

TAGS = ["hub"]
Day = Annotated[date, Parameter(query="date", description="a local date, YYYY-MM-DD")]


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
    request: Request[Any, Any, Any], room_id: UUID, day: Day
) -> RoomAvailability:
    return await service.room_availability(
        reader_of(request), room_id, day, clock_of(request).now()
    )


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


# --- workers and admins: closures ------------------------------------------------------------

_CLOSURE_REFUSALS = {
    409: "`closure_conflicts_event`: published events hold a room in that time; `events` lists "
    "them (`eventId`, `roomId`, `startsAt`, `endsAt`). An admin may send `force: true`: the "
    "events then lose their room and their staff and registrants are told.",
    422: "`invalid_time_range`, `validation_error`.",
}


@post(
    "/manage/rooms/{room_id:uuid}/closures",
    operation_id="closeRoom",
    tags=TAGS,
    summary="Close a room for a time; bookings inside are cancelled and their owners told",
    guards=[worker_or_admin],
    status_code=201,
    responses=problem_responses(409, 422, describe=_CLOSURE_REFUSALS),
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
    responses=problem_responses(409, 422, describe=_CLOSURE_REFUSALS),
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
