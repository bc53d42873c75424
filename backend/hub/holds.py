"""Room holds: the events domain holds and frees rooms through these, inside its own
transaction, and hears through ``EventHolds`` when a closure takes a held room away; other
domains (childcare) hold rooms for many spans and hear through ``RoomHolds``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.base import new_id
from backend.core.errors import AppError
from backend.hub import rules
from backend.hub.bookings import closures_overlapping, insert_bookings
from backend.hub.common import check_in_columns, load_room
from backend.hub.models import ACTIVE_STATUSES, Booking
from schemas.hub import BookingKind


async def hold_room_for_event(
    session: AsyncSession,
    *,
    room_id: UUID,
    starts_at: datetime,
    ends_at: datetime,
    event_id: UUID,
    title: str,
    held_by: UUID,
    now: datetime,
    data_key: bytes,
) -> UUID:
    """Hold ``room_id`` for an event's time as a confirmed booking; returns the booking id.

    The exclusion constraint applies as to any booking (409 ``booking_conflict``), and so do
    closures (422 ``room_closed``); opening hours and the slot grid do not bind staff. Holding
    again for the same event and time returns the existing hold.
    """
    rules.check_instants(startsAt=starts_at, endsAt=ends_at)
    room, _ = await load_room(session, room_id, lock="update")
    rules.check_time_range(starts_at, ends_at)
    existing = (
        await session.execute(
            select(Booking).where(Booking.event_id == event_id, Booking.status.in_(ACTIVE_STATUSES))
        )
    ).scalar_one_or_none()
    if existing is not None:
        if (existing.room_id, existing.starts_at, existing.ends_at) == (
            room_id,
            starts_at,
            ends_at,
        ):
            return existing.id
        raise AppError(409, "booking_conflict")
    if await closures_overlapping(session, room, [(starts_at, ends_at)]):
        raise AppError(422, "room_closed")
    booking = Booking(
        id=new_id(),
        room_id=room.id,
        user_id=held_by,
        kind="event",
        starts_at=starts_at,
        ends_at=ends_at,
        status="confirmed",
        purpose=title[:200],
        attendees=1,
        contact_name=title[:100],
        **check_in_columns(data_key),
        event_id=event_id,
        decided_by=held_by,
        decided_at=now,
        created_at=now,
        updated_at=now,
    )
    await insert_bookings(session, [booking])
    return booking.id


async def release_event_hold(session: AsyncSession, *, booking_id: UUID, now: datetime) -> None:
    """Free an event's room; releasing a hold that is already gone does nothing."""
    await session.execute(
        update(Booking)
        .where(
            Booking.id == booking_id,
            Booking.kind == "event",
            Booking.status.in_(ACTIVE_STATUSES),
        )
        .values(status="cancelled", cancelled_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class LostHold:
    """An event's hold that a closure cancelled."""

    booking_id: UUID
    event_id: UUID
    held_by: UUID  # the staff member who published the event and so holds the room
    room: str  # the room's label, "venue · room"
    reason: str  # the closure's


class EventHolds(Protocol):
    """What the events domain does when a closure reaches rooms its events hold. The hub owns
    no event: it names the events by id and leaves them to their domain.

    ``lock`` runs before the closure locks its rooms, so that the closure takes its locks in the
    order every event change does (event row, then room row) and cannot deadlock with one."""

    async def lock(self, session: AsyncSession, event_ids: Sequence[UUID]) -> None: ...

    async def lost(
        self, session: AsyncSession, holds: Sequence[LostHold], *, now: datetime
    ) -> None: ...


_event_holds: list[EventHolds] = []


def on_event_holds(handler: EventHolds) -> None:
    """Register the events domain's handler (once, at import of its service)."""
    _event_holds[:] = [handler]


def event_holds() -> EventHolds:
    if not _event_holds:
        # A closure must never cancel a hold silently, leaving its event on a room it lost.
        raise RuntimeError("no handler of event holds: import backend.events.service")
    return _event_holds[0]


# --- holds of other domains --------------------------------------------------------------------
#
# A domain other than events (childcare's sessions) holds a room for many spans at once, and a
# closure that reaches those holds cancels them and tells that domain, which reacts as its own
# rules say (childcare cancels the sessions and tells the families). The kind of the booking says
# which domain holds it; each kind registers one handler.


async def hold_room_spans(
    session: AsyncSession,
    *,
    kind: BookingKind,
    room_id: UUID,
    spans: Sequence[tuple[datetime, datetime]],
    title: str,
    held_by: UUID,
    now: datetime,
    data_key: bytes,
) -> list[UUID | None]:
    """Hold ``room_id`` for each span as a confirmed booking of ``kind``; returns the booking
    ids in the order of ``spans``, None for a span a closure already covers (not held: the
    holder decides what that means for it). Overlap with any other booking: 409
    ``booking_conflict``, nothing held."""
    if kind not in _room_holds:
        raise RuntimeError(f"no handler of {kind} holds registered")
    room, _ = await load_room(session, room_id, lock="update")
    closed = await closures_overlapping(session, room, spans) if spans else []
    ids: list[UUID | None] = []
    bookings = []
    for starts_at, ends_at in spans:
        rules.check_time_range(starts_at, ends_at)
        if any(s < ends_at and starts_at < e for s, e in closed):
            ids.append(None)
            continue
        booking = Booking(
            id=new_id(),
            room_id=room.id,
            user_id=held_by,
            kind=kind,
            starts_at=starts_at,
            ends_at=ends_at,
            status="confirmed",
            purpose=title[:200],
            attendees=1,
            contact_name=title[:100],
            **check_in_columns(data_key),
            decided_by=held_by,
            decided_at=now,
            created_at=now,
            updated_at=now,
        )
        bookings.append(booking)
        ids.append(booking.id)
    if bookings:
        await insert_bookings(session, bookings)
    return ids


async def release_room_holds(
    session: AsyncSession, *, kind: BookingKind, booking_ids: Sequence[UUID], now: datetime
) -> None:
    """Free holds of ``kind``; those already gone are left alone."""
    if not booking_ids:
        return
    await session.execute(
        update(Booking)
        .where(
            Booking.id.in_(list(booking_ids)),
            Booking.kind == kind,
            Booking.status.in_(ACTIVE_STATUSES),
        )
        .values(status="cancelled", cancelled_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class LostRoomHold:
    """A hold of another domain that a closure cancelled."""

    booking_id: UUID
    room: str  # "venue · room"
    reason: str  # the closure's


class RoomHolds(Protocol):
    """What a holding domain does when a closure cancels its holds. ``lock`` runs before the
    closure locks its rooms, with the holds the closure is about to reach, so that the domain
    takes its own locks first, in the order its own changes do (its rows, then the room)."""

    async def lock(self, session: AsyncSession, booking_ids: Sequence[UUID]) -> None: ...

    async def lost(
        self, session: AsyncSession, holds: Sequence[LostRoomHold], *, now: datetime
    ) -> None: ...


_room_holds: dict[str, RoomHolds] = {}


def on_room_holds(kind: BookingKind, handler: RoomHolds) -> None:
    """Register the handler of ``kind``'s holds (once, at import of the holding domain)."""
    _room_holds[kind] = handler


def room_holders() -> dict[str, RoomHolds]:
    return dict(_room_holds)
