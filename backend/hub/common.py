"""What every part of the hub service shares: a venue or room loaded with the lock its caller
needs, the one authorization rule of hub management, the overlap of two time spans (and the
active bookings and the closures that touch one), and the statuses a closure cancels."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser, Role
from backend.core.errors import AppError
from backend.core.security import SealedCode, code_digest, new_token, open_code, seal_code
from backend.hub.models import ACTIVE_BOOKING, Booking, Closure, Room, Venue, WorkerVenue

# Statuses a closure cancels; a booking already checked in stays on record as it happened.
CANCELLED_BY_CLOSURE = ("pending", "confirmed")


async def load_venue(session: AsyncSession, venue_id: UUID) -> Venue:
    venue = await session.get(Venue, venue_id)
    if venue is None:
        raise AppError(404, "not_found")
    return venue


async def load_room(
    session: AsyncSession, room_id: UUID, *, lock: Literal["share", "update"] | None = None
) -> tuple[Room, Venue]:
    query = select(Room, Venue).join(Venue, Venue.id == Room.venue_id).where(Room.id == room_id)
    if lock is not None:
        # "update" is FOR NO KEY UPDATE: it orders writers of the room without blocking the
        # foreign-key checks of rows that merely point at it.
        query = query.with_for_update(read=lock == "share", key_share=lock == "update", of=Room)
    row = (await session.execute(query)).first()
    if row is None:
        raise AppError(404, "not_found")
    return row[0], row[1]


async def manages_venue(session: AsyncSession, actor: AuthUser, venue_id: UUID) -> bool:
    """The one authorization rule of hub management: admins manage every venue, workers the
    venues assigned to them, nobody else any."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role != Role.WORKER:
        return False
    assigned = await session.scalar(
        select(exists().where(WorkerVenue.user_id == actor.id, WorkerVenue.venue_id == venue_id))
    )
    return bool(assigned)


async def require_manager(session: AsyncSession, actor: AuthUser, venue_id: UUID) -> None:
    if not await manages_venue(session, actor, venue_id):
        raise AppError(403, "forbidden")


def managed_venue_ids(actor: AuthUser) -> Select[UUID]:
    return select(WorkerVenue.venue_id).where(WorkerVenue.user_id == actor.id)


def overlaps(starts: Any, ends: Any, other_starts: Any, other_ends: Any) -> ColumnElement[bool]:
    """Two spans overlap (the other span's ends: values or parameters)."""
    return and_(starts < other_ends, ends > other_starts)


def span(starts: Any, ends: Any) -> ColumnElement[Any]:
    """``[starts, ends)`` as a ``tstzrange``, the form of the exclusion constraint."""
    return func.tstzrange(starts, ends, literal_column("'[)'"))


def booked_during(starts: Any, ends: Any) -> ColumnElement[bool]:
    """Active bookings overlapping ``[starts, ends)``, written as the exclusion constraint is so
    that its GiST index answers (``starts_at < end AND ends_at > start`` can only narrow by room,
    and then reads the room's whole booking history)."""
    return and_(
        ACTIVE_BOOKING, span(Booking.starts_at, Booking.ends_at).op("&&")(span(starts, ends))
    )


def closes_room(room_id: Any, venue_id: Any) -> ColumnElement[bool]:
    """Closures that apply to a room: its own, and its venue's closures of the whole venue."""
    return or_(
        Closure.room_id == room_id,
        and_(Closure.room_id.is_(None), Closure.venue_id == venue_id),
    )


# What a check-in code's hash and encryption are bound to (docs/hub.md, "Check-in codes").
CHECK_IN_PURPOSE = "check-in-code"
# 12 random bytes = 96 bits: a code read off a phone screen must not be guessable or enumerable.
CHECK_IN_BYTES = 12


def new_check_in_code(data_key: bytes) -> SealedCode:
    return seal_code(data_key, CHECK_IN_PURPOSE, new_token(CHECK_IN_BYTES))


def check_in_digest(data_key: bytes, code: str) -> str:
    return code_digest(data_key, CHECK_IN_PURPOSE, code)


def check_in_code_of(data_key: bytes, sealed: bytes) -> str:
    return open_code(data_key, CHECK_IN_PURPOSE, sealed)


def check_in_columns(data_key: bytes) -> dict[str, Any]:
    """A new booking's check-in code, as its columns (the code itself is not stored)."""
    code = new_check_in_code(data_key)
    return {"check_in_hash": code.digest, "check_in_code_enc": code.sealed}
