"""Closures: a room or a whole venue closed for a time, and the bookings that cancels."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser, Role
from backend.core.clock import to_local
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
from backend.hub.holds import LostHold, LostRoomHold, event_holds, room_holders
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
    cancelled and their owners told why, in this transaction.

    Other domains' holds inside (childcare's sessions) are cancelled with the rest and their
    domain is told (``RoomHolds.lost``), which tells its people.

    A published event's room hold inside refuses the closure (409 ``closure_conflicts_event``,
    naming the events) unless an admin sends ``force``: then the events lose their room and keep
    their time, and the events domain tells their staff and registrants (``EventHolds.lost``).
    """
    if room_id is not None:
        _, venue = await load_room(session, room_id)
    else:
        assert venue_id is not None
        venue = await load_venue(session, venue_id)
    await require_manager(session, actor, venue.id)
    rules.check_instants(startsAt=data.starts_at, endsAt=data.ends_at)
    rules.check_time_range(data.starts_at, data.ends_at)
    scope = Room.id == room_id if room_id is not None else Room.venue_id == venue.id
    inside = and_(
        Booking.status.in_(CANCELLED_BY_CLOSURE),
        overlaps(Booking.starts_at, Booking.ends_at, data.starts_at, data.ends_at),
    )
    forced = data.force and actor.role == Role.ADMIN
    if forced:
        # The events first, as every event change locks them (event row, then room row).
        held = await session.scalars(
            select(Booking.event_id)
            .join(Room, Room.id == Booking.room_id)
            .where(scope, inside, Booking.kind == "event")
        )
        await event_holds().lock(session, sorted({e for e in held if e is not None}))
    # The other domains' holds likewise: each locks its own rows first, as its changes do.
    holders = room_holders()
    if holders:
        reached = (
            await session.execute(
                select(Booking.kind, Booking.id)
                .join(Room, Room.id == Booking.room_id)
                .where(scope, inside, Booking.kind.in_(list(holders)))
            )
        ).all()
        for kind, handler in holders.items():
            await handler.lock(session, sorted(r.id for r in reached if r.kind == kind))
    # Exclusive room locks, in id order: bookings being made in these rooms finish first (their
    # trigger shares the lock), and those that come after see this closure and are refused.
    locked = (
        await session.execute(
            select(Room.id, Room.name).where(scope).order_by(Room.id).with_for_update()
        )
    ).all()
    room_names = {row.id: row.name for row in locked}
    cancelled = (
        await session.execute(
            update(Booking)
            .where(Booking.room_id.in_(list(room_names)), inside)
            .values(
                status="cancelled",
                reason=data.reason,
                cancelled_at=now,
                decided_by=actor.id,
                decided_at=now,
                updated_at=now,
            )
            .returning(
                Booking.id,
                Booking.user_id,
                Booking.room_id,
                Booking.starts_at,
                Booking.ends_at,
                Booking.kind,
                Booking.event_id,
            )
            .execution_options(synchronize_session=False)
        )
    ).all()
    # Decided under the room locks, so a hold made since the look above is seen too; a refusal
    # rolls the cancellations back with the transaction.
    holds = sorted((r for r in cancelled if r.event_id is not None), key=lambda r: r.starts_at)
    if holds and not forced:
        raise AppError(
            409,
            "closure_conflicts_event",
            {"count": len(holds)},
            extra={
                "events": [
                    {
                        "eventId": str(r.event_id),
                        "roomId": str(r.room_id),
                        "startsAt": to_local(r.starts_at).isoformat(),
                        "endsAt": to_local(r.ends_at).isoformat(),
                    }
                    for r in holds
                ]
            },
        )
    for row in cancelled:
        if row.event_id is not None or row.kind in holders:
            continue
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
    if holds:
        await event_holds().lost(
            session,
            [
                LostHold(
                    booking_id=r.id,
                    event_id=r.event_id,
                    held_by=r.user_id,
                    room=label(venue.name, room_names[r.room_id]),
                    reason=data.reason,
                )
                for r in holds
            ],
            now=now,
        )
    for kind, handler in holders.items():
        lost = [
            LostRoomHold(
                booking_id=r.id, room=label(venue.name, room_names[r.room_id]), reason=data.reason
            )
            for r in cancelled
            if r.kind == kind
        ]
        if lost:
            await handler.lost(session, lost, now=now)
    closure = Closure(
        venue_id=venue.id,
        room_id=room_id,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        reason=data.reason,
        created_by=actor.id,
        created_at=now,
        cancelled_bookings=len(cancelled),
    )
    session.add(closure)
    await session.flush()
    return closure_out(closure)


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
