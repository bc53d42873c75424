"""Closures: a room or a whole venue closed for a time, and the bookings that cancels."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser
from backend.core.errors import AppError
from backend.core.pagination import Keyset
from backend.hub import rules
from backend.hub.common import (
    CANCELLED_BY_CLOSURE,
    load_room,
    load_venue,
    overlaps,
    require_manager,
)
from backend.hub.models import Booking, Closure, Room
from backend.hub.wire import closure_out, label
from backend.notifications.service import notify
from schemas.common import Page
from schemas.hub import ClosureIn, ClosureOut


async def create_closure(
    session: AsyncSession,
    actor: AuthUser,
    *,
    data: ClosureIn,
    now: datetime,
    venue_id: UUID | None = None,
    room_id: UUID | None = None,
) -> ClosureOut:
    """Close a room (``room_id``) or a whole venue; pending and confirmed bookings inside are
    cancelled and their owners told why, in this transaction."""
    if room_id is not None:
        _, venue = await load_room(session, room_id)
    else:
        assert venue_id is not None
        venue = await load_venue(session, venue_id)
    await require_manager(session, actor, venue.id)
    rules.check_instants(startsAt=data.starts_at, endsAt=data.ends_at)
    rules.check_time_range(data.starts_at, data.ends_at)
    # Exclusive room locks, in id order: bookings being made in these rooms finish first (their
    # trigger shares the lock), and those that come after see this closure and are refused.
    scope = Room.id == room_id if room_id is not None else Room.venue_id == venue.id
    locked = (
        await session.execute(
            select(Room.id, Room.name).where(scope).order_by(Room.id).with_for_update()
        )
    ).all()
    room_names = {row.id: row.name for row in locked}
    cancelled = (
        await session.execute(
            update(Booking)
            .where(
                Booking.room_id.in_(list(room_names)),
                Booking.status.in_(CANCELLED_BY_CLOSURE),
                overlaps(Booking.starts_at, Booking.ends_at, data.starts_at, data.ends_at),
            )
            .values(
                status="cancelled",
                reason=data.reason,
                cancelled_at=now,
                decided_by=actor.id,
                decided_at=now,
                updated_at=now,
            )
            .returning(
                Booking.id, Booking.user_id, Booking.room_id, Booking.starts_at, Booking.ends_at
            )
            .execution_options(synchronize_session=False)
        )
    ).all()
    for row in cancelled:
        await notify(
            session,
            user_id=row.user_id,
            kind="booking_closure",
            data={
                "bookingId": str(row.id),
                "room": label(venue.name, room_names[row.room_id]),
                "when": rules.when_text(row.starts_at, row.ends_at),
                "reason": data.reason,
            },
        )
    closure = Closure(
        venue_id=venue.id,
        room_id=room_id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        reason=data.reason,
        created_by=actor.id,
        created_at=now,
    )
    session.add(closure)
    await session.flush()
    return closure_out(closure, len(cancelled))


CLOSURES = Keyset("closures", (datetime, UUID))


async def list_closures(
    session: AsyncSession,
    actor: AuthUser,
    venue_id: UUID,
    *,
    now: datetime,
    limit: int,
    cursor: str | None,
) -> Page[ClosureOut]:
    """The venue's closures that have not ended yet, soonest first."""
    await load_venue(session, venue_id)
    await require_manager(session, actor, venue_id)
    after = CLOSURES.decode(cursor)
    query = (
        select(Closure)
        .where(Closure.venue_id == venue_id, Closure.ends_at > now)
        .order_by(Closure.starts_at, Closure.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(
            or_(
                Closure.starts_at > after[0],
                and_(Closure.starts_at == after[0], Closure.id > after[1]),
            )
        )
    items, next_cursor = CLOSURES.paginate(
        (await session.scalars(query)).all(), limit, lambda c: [c.starts_at, c.id]
    )
    return Page(items=[closure_out(c) for c in items], next_cursor=next_cursor)


async def delete_closure(session: AsyncSession, actor: AuthUser, closure_id: UUID) -> None:
    """Lift a closure. Bookings it cancelled stay cancelled: their owners were told so."""
    closure = await session.get(Closure, closure_id)
    if closure is None:
        raise AppError(404, "not_found")
    await require_manager(session, actor, closure.venue_id)
    await session.delete(closure)
    await session.flush()
