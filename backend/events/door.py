"""At the door and after: checking a ticket in, and a checked-in resident's feedback once the
event is over.

Check-in is the one writer that does not take the event's row lock: it changes a single
registration with a conditional ``UPDATE`` and holds nothing else.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.base import new_id
from backend.core.clock import LOCAL_TZ, to_local
from backend.core.errors import AppError
from backend.events import wire
from backend.events.common import PUBLIC, ticket_digest
from backend.events.models import Event, Feedback, Registration
from backend.identity import lookup
from schemas.events import CheckInOut, FeedbackCreate, FeedbackOut

CHECK_IN_OPENS_BEFORE = timedelta(hours=2)


def _when(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


async def check_in(
    session: AsyncSession,
    event_id: UUID,
    ticket_code: str,
    *,
    by: UUID,
    now: datetime,
    data_key: bytes,
) -> CheckInOut:
    event = (
        await session.execute(
            select(Event.status, Event.starts_at, Event.ends_at).where(Event.id == event_id)
        )
    ).one_or_none()
    if event is None:
        raise AppError(404, "not_found")
    if event.status != "published" or not (
        event.starts_at - CHECK_IN_OPENS_BEFORE <= now <= event.ends_at
    ):
        raise AppError(422, "check_in_closed")
    # Tickets are stored as keyed hashes only: the scanned code is looked up by its hash.
    ticket_hash = ticket_digest(data_key, ticket_code)
    # Conditional: of two scans racing, exactly one finds ``checked_in_at`` still empty.
    done = (
        await session.execute(
            update(Registration)
            .where(
                Registration.event_id == event_id,
                Registration.ticket_hash == ticket_hash,
                Registration.status == "confirmed",
                Registration.checked_in_at.is_(None),
            )
            .values(checked_in_at=now, checked_in_by=by)
            .returning(
                Registration.id, Registration.user_id, Registration.seats, Registration.attendees
            )
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if done is None:
        seen = (
            await session.execute(
                select(Registration.status, Registration.checked_in_at).where(
                    Registration.event_id == event_id, Registration.ticket_hash == ticket_hash
                )
            )
        ).one_or_none()
        if seen is None:
            raise AppError(404, "ticket_not_found")
        if seen.checked_in_at is not None:
            at = seen.checked_in_at
            raise AppError(
                409,
                "already_checked_in",
                {"checkedInAt": _when(at)},
                extra={"checkedInAt": to_local(at).isoformat()},
            )
        raise AppError(409, "ticket_cancelled")
    people = await lookup.people(session, [done.user_id])
    name = people[done.user_id].display_name if done.user_id in people else ""
    return wire.checked_in(done, event_id, name, now)


async def give_feedback(
    session: AsyncSession,
    event_id: UUID,
    user_id: UUID,
    data: FeedbackCreate,
    *,
    now: datetime,
) -> FeedbackOut:
    event = (
        await session.execute(
            select(Event.status, Event.ends_at).where(Event.id == event_id, PUBLIC)
        )
    ).one_or_none()
    if event is None:
        raise AppError(404, "not_found")
    attended = (
        await session.execute(
            select(Registration.id)
            .where(
                Registration.event_id == event_id,
                Registration.user_id == user_id,
                Registration.checked_in_at.is_not(None),
            )
            .limit(1)
        )
    ).scalar_one_or_none()
    if attended is None:
        raise AppError(422, "feedback_not_allowed")
    if now < event.ends_at:
        raise AppError(422, "feedback_not_open")
    feedback_id = new_id()
    stored = (
        await session.execute(
            pg_insert(Feedback)
            .values(
                id=feedback_id,
                event_id=event_id,
                user_id=user_id,
                registration_id=attended,
                rating=data.rating,
                comment=data.comment,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["event_id", "user_id"])
            .returning(Feedback.id)
        )
    ).scalar_one_or_none()
    if stored is None:
        raise AppError(409, "feedback_already_given")
    return wire.feedback(feedback_id, event_id, data.rating, data.comment, now)
