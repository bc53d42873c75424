"""The waitlist: a waiting registration's place in it, and promotion into freed seats.

Promotion runs in the transaction that frees the seats (a cancelled registration, a raised
capacity), under the event's row lock — never later by a sweep, which would hand out places after
the event began.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.events.common import new_ticket, notice
from backend.events.models import Event, Registration
from backend.notifications.service import notify_many


def position_column() -> Any:
    """A waitlisted registration's place: the entries of its event still waiting up to it."""
    ahead = aliased(Registration)
    position = (
        select(func.count())
        .select_from(ahead)
        .where(
            ahead.event_id == Registration.event_id,
            ahead.status == "waitlisted",
            ahead.waitlist_seq <= Registration.waitlist_seq,
        )
        .correlate(Registration)
        .scalar_subquery()
    )
    return case((Registration.status == "waitlisted", position), else_=None).label("position")


async def promote(session: AsyncSession, event_id: UUID, now: datetime, *, data_key: bytes) -> int:
    """Confirm waitlisted registrations in order while the head fits in the free seats.

    Strict first come, first served: the first entry that does not fit stops the promotion, even
    if a smaller one behind it would fit. The caller holds the event's row lock.
    """
    event = (
        await session.execute(
            select(
                Event.id,
                Event.title,
                Event.location,
                Event.starts_at,
                Event.status,
                (Event.capacity - Event.confirmed_seats).label("free"),
                Event.waitlisted_count,
            ).where(Event.id == event_id)
        )
    ).one()
    if event.status != "published" or event.free <= 0 or event.waitlisted_count == 0:
        return 0
    # Each entry needs a seat at least, so no more than ``free`` entries can be promoted.
    head = (
        select(Registration.id, Registration.user_id, Registration.seats, Registration.waitlist_seq)
        .where(Registration.event_id == event_id, Registration.status == "waitlisted")
        .order_by(Registration.waitlist_seq)
        .limit(event.free)
        .subquery()
    )
    running = select(
        head.c.id,
        head.c.user_id,
        head.c.seats,
        func.sum(head.c.seats).over(order_by=head.c.waitlist_seq).label("running"),
    ).subquery()
    promoted = (
        await session.execute(
            select(running.c.id, running.c.user_id, running.c.seats).where(
                running.c.running <= event.free
            )
        )
    ).all()
    if not promoted:
        return 0
    tickets = [new_ticket(data_key) for _ in promoted]
    await session.execute(
        update(Registration),
        [
            {
                "id": row.id,
                "status": "confirmed",
                "ticket_hash": ticket.digest,
                "ticket_code_enc": ticket.sealed,
                "confirmed_at": now,
            }
            for row, ticket in zip(promoted, tickets, strict=True)
        ],
    )
    await session.execute(
        update(Event)
        .where(Event.id == event_id)
        .values(
            confirmed_seats=Event.confirmed_seats + sum(row.seats for row in promoted),
            waitlisted_count=Event.waitlisted_count - len(promoted),
        )
        .execution_options(synchronize_session=False)
    )
    await notify_many(
        session,
        user_ids=[row.user_id for row in promoted],
        kind="event_waitlist_promoted",
        data=notice(event),
    )
    return len(promoted)
