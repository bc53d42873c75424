"""Venues, their rooms and booking rules, and the venues each community worker manages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from msgspec import UNSET
from sqlalchemy import ScalarSelect, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser, Role
from backend.core.errors import AppError
from backend.core.pagination import Keyset
from backend.hub import rules
from backend.hub.common import load_room, load_venue, managed_venue_ids
from backend.hub.models import Room, Venue, WorkerVenue
from backend.hub.wire import room_out, venue_out, worker_venues_out
from backend.identity import service as identity_service
from schemas.common import Page
from schemas.hub import (
    RoomIn,
    RoomOut,
    RoomPatch,
    VenueIn,
    VenueOut,
    VenuePatch,
    WorkerVenuesOut,
)


async def create_venue(session: AsyncSession, data: VenueIn, now: datetime) -> VenueOut:
    hours = rules.validate_hours(data.opening_hours)
    venue = Venue(
        name=data.name,
        address=data.address,
        description=data.description,
        phone=data.phone,
        opening_hours=rules.hours_to_json(hours),
        created_at=now,
        updated_at=now,
    )
    session.add(venue)
    await session.flush()
    return venue_out(venue, [])


async def update_venue(
    session: AsyncSession, venue_id: UUID, patch: VenuePatch, now: datetime
) -> VenueOut:
    venue = await load_venue(session, venue_id)
    if patch.opening_hours is not UNSET:
        venue.opening_hours = rules.hours_to_json(rules.validate_hours(patch.opening_hours))
    for field in ("name", "address", "description", "phone"):
        value = getattr(patch, field)
        if value is not UNSET:
            setattr(venue, field, value)
    venue.updated_at = now
    await session.flush()
    return await get_venue(session, venue_id)


async def get_venue(session: AsyncSession, venue_id: UUID) -> VenueOut:
    venue = await load_venue(session, venue_id)
    rooms = (
        await session.scalars(select(Room).where(Room.venue_id == venue_id).order_by(Room.id))
    ).all()
    return venue_out(venue, rooms)


VENUES = Keyset("venues", (UUID,))


async def list_venues(
    session: AsyncSession,
    *,
    limit: int,
    cursor: str | None,
    managed_by: AuthUser | None = None,
) -> Page[VenueOut]:
    """Every venue, or those ``managed_by`` may manage, with their rooms, in creation order."""
    after = VENUES.decode(cursor)
    query = select(Venue).order_by(Venue.id).limit(limit + 1)
    if managed_by is not None and managed_by.role != Role.ADMIN:
        query = query.where(Venue.id.in_(managed_venue_ids(managed_by)))
    if after is not None:
        query = query.where(Venue.id > after[0])
    venues, next_cursor = VENUES.paginate(
        (await session.scalars(query)).all(), limit, lambda v: [v.id]
    )
    # The page's rooms in one query, whatever the page size.
    rooms_of: dict[UUID, list[Room]] = {v.id: [] for v in venues}
    if venues:
        for room in await session.scalars(
            select(Room).where(Room.venue_id.in_(list(rooms_of))).order_by(Room.id)
        ):
            rooms_of[room.venue_id].append(room)
    return Page(items=[venue_out(v, rooms_of[v.id]) for v in venues], next_cursor=next_cursor)


def _check_room_rules(slot_minutes: int, min_minutes: int, max_minutes: int) -> None:
    errors = rules.validate_room_rules(
        slot_minutes=slot_minutes, min_minutes=min_minutes, max_minutes=max_minutes
    )
    if errors:
        raise AppError(422, "invalid_room_rules", errors=errors)


async def create_room(
    session: AsyncSession, venue_id: UUID, data: RoomIn, now: datetime
) -> RoomOut:
    await load_venue(session, venue_id)
    _check_room_rules(data.slot_minutes, data.min_minutes, data.max_minutes)
    room = Room(
        venue_id=venue_id,
        name=data.name,
        kind=data.kind,
        description=data.description,
        capacity=data.capacity,
        amenities=list(dict.fromkeys(data.amenities)),
        requires_approval=data.requires_approval,
        slot_minutes=data.slot_minutes,
        min_minutes=data.min_minutes,
        max_minutes=data.max_minutes,
        bookable_days_ahead=data.bookable_days_ahead,
        cancel_cutoff_minutes=data.cancel_cutoff_minutes,
        max_active_bookings_per_user=data.max_active_bookings_per_user,
        created_at=now,
        updated_at=now,
    )
    session.add(room)
    await session.flush()
    return room_out(room)


_ROOM_FIELDS = (
    "name",
    "kind",
    "description",
    "capacity",
    "requires_approval",
    "slot_minutes",
    "min_minutes",
    "max_minutes",
    "bookable_days_ahead",
    "cancel_cutoff_minutes",
    "max_active_bookings_per_user",
)


async def update_room(
    session: AsyncSession, room_id: UUID, patch: RoomPatch, now: datetime
) -> RoomOut:
    """Changed rules apply to bookings made from now on; existing bookings stay as they are."""
    room, _ = await load_room(session, room_id, lock="update")
    for field in _ROOM_FIELDS:
        value = getattr(patch, field)
        if value is not UNSET:
            setattr(room, field, value)
    if patch.amenities is not UNSET:
        room.amenities = list(dict.fromkeys(patch.amenities))
    _check_room_rules(room.slot_minutes, room.min_minutes, room.max_minutes)
    room.updated_at = now
    await session.flush()
    return room_out(room)


async def get_room(session: AsyncSession, room_id: UUID) -> RoomOut:
    room, _ = await load_room(session, room_id)
    return room_out(room)


def room_label_of(room_id: Any) -> ScalarSelect[str]:
    """A room's label (``wire.label``, in SQL) as a column of a statement — another domain's
    (an event's room) costs no second query that way. ``room_id``: a column or a value."""
    return (
        select(Venue.name + " · " + Room.name)
        .join(Room, Room.venue_id == Venue.id)
        .where(Room.id == room_id)
        .scalar_subquery()
    )


async def room_label(session: AsyncSession, room_id: UUID) -> str | None:
    """``高照三合一 · 书法室``: how messages and other domains name a room."""
    return await session.scalar(select(room_label_of(room_id)))


# --- worker assignments ----------------------------------------------------------------------


async def set_worker_venues(
    session: AsyncSession, user_id: UUID, venue_ids: Sequence[UUID]
) -> WorkerVenuesOut:
    """Replace the venues a worker manages (an empty list unassigns them all)."""
    user = await identity_service.get_user(session, user_id)
    wanted = list(dict.fromkeys(venue_ids))
    found = (
        await session.execute(select(Venue.id, Venue.name).where(Venue.id.in_(wanted)))
        if wanted
        else None
    )
    venues = {row.id: row.name for row in found} if found is not None else {}
    if len(venues) != len(wanted):
        raise AppError(404, "not_found")
    if user.role != Role.WORKER:
        raise AppError(422, "not_a_worker")
    await session.execute(
        delete(WorkerVenue).where(
            WorkerVenue.user_id == user_id, WorkerVenue.venue_id.not_in(wanted)
        )
    )
    if wanted:
        await session.execute(
            pg_insert(WorkerVenue)
            .values([{"user_id": user_id, "venue_id": vid} for vid in wanted])
            .on_conflict_do_nothing()
        )
    return worker_venues_out(user_id, sorted(venues.items()))


async def worker_venues(session: AsyncSession, user_id: UUID) -> WorkerVenuesOut:
    await identity_service.get_user(session, user_id)
    rows = await session.execute(
        select(Venue.id, Venue.name)
        .join(WorkerVenue, WorkerVenue.venue_id == Venue.id)
        .where(WorkerVenue.user_id == user_id)
        .order_by(Venue.id)
    )
    return worker_venues_out(user_id, [(r.id, r.name) for r in rows])
