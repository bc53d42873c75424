"""A resident's registrations: reading their own, and cancelling one — which hands the freed
seats to the waitlist in the same transaction."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.errors import AppError
from backend.core.pagination import Keyset
from backend.events import wire
from backend.events.models import Event, Registration
from backend.events.waitlist import position_column, promote
from schemas.common import Page
from schemas.events import RegistrationOut

_MINE_COLUMNS = (
    Registration.id,
    Registration.event_id,
    Registration.status,
    Registration.seats,
    Registration.attendees,
    Registration.created_at,
    Registration.ticket_code_enc,
    Registration.confirmed_at,
    Registration.checked_in_at,
    Registration.cancelled_at,
    Registration.cancel_reason,
    Event.title,
    Event.location,
    Event.starts_at,
    Event.ends_at,
    Event.status.label("event_status"),
)


MY_REGISTRATIONS = Keyset("my-registrations", (UUID,))


async def my_registrations(
    session: AsyncSession,
    user_id: UUID,
    *,
    status: str | None,
    limit: int,
    cursor: str | None,
    data_key: bytes,
) -> Page[RegistrationOut]:
    """The resident's registrations, newest first."""
    before = MY_REGISTRATIONS.decode(cursor)
    stmt = (
        select(*_MINE_COLUMNS, position_column())
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.user_id == user_id)
    )
    if status:
        stmt = stmt.where(Registration.status == status)
    if before is not None:
        stmt = stmt.where(Registration.id < before[0])
    stmt = stmt.order_by(Registration.id.desc()).limit(limit + 1)
    rows = (await session.execute(stmt)).all()
    page, next_cursor = MY_REGISTRATIONS.paginate(rows, limit, lambda r: (r.id,))
    return Page(items=[wire.my_registration(r, data_key) for r in page], next_cursor=next_cursor)


async def my_registration(
    session: AsyncSession, registration_id: UUID, user_id: UUID, *, data_key: bytes
) -> RegistrationOut:
    row = (
        await session.execute(
            select(*_MINE_COLUMNS, position_column())
            .join(Event, Event.id == Registration.event_id)
            .where(Registration.id == registration_id, Registration.user_id == user_id)
        )
    ).one_or_none()
    if row is None:
        raise AppError(404, "not_found")
    return wire.my_registration(row, data_key)


async def cancel_registration(
    session: AsyncSession, registration_id: UUID, user_id: UUID, *, now: datetime, data_key: bytes
) -> RegistrationOut:
    """Cancel the owner's registration; freed seats go to the waitlist in this transaction."""
    owned = (
        await session.execute(
            select(Registration.event_id).where(
                Registration.id == registration_id, Registration.user_id == user_id
            )
        )
    ).one_or_none()
    if owned is None:
        raise AppError(404, "not_found")
    # Event first, then the registration: the lock order every writer follows.
    event = (
        await session.execute(
            select(Event.starts_at).where(Event.id == owned.event_id).with_for_update()
        )
    ).one()
    current = (
        await session.execute(
            select(Registration.status, Registration.seats, Registration.checked_in_at).where(
                Registration.id == registration_id
            )
        )
    ).one()
    if current.status == "cancelled":
        raise AppError(409, "registration_already_cancelled")
    if current.checked_in_at is not None or event.starts_at <= now:
        raise AppError(422, "registration_not_cancellable")
    # The event lock keeps every other writer out, except a check-in at the door, which touches
    # only this row: if it won the race, the registration stays.
    cancelled = (
        await session.execute(
            update(Registration)
            .where(Registration.id == registration_id, Registration.checked_in_at.is_(None))
            .values(status="cancelled", cancelled_at=now, cancel_reason="by_resident")
            .returning(Registration.id)
            .execution_options(synchronize_session=False)
        )
    ).first()
    if cancelled is None:
        raise AppError(422, "registration_not_cancellable")
    if current.status == "confirmed":
        counters = {"confirmed_seats": Event.confirmed_seats - current.seats}
    else:
        counters = {"waitlisted_count": Event.waitlisted_count - 1}
    await session.execute(
        update(Event)
        .where(Event.id == owned.event_id)
        .values(**counters)
        .execution_options(synchronize_session=False)
    )
    # A departing head of the waitlist can unblock the entries behind it, too.
    await promote(session, owned.event_id, now, data_key=data_key)
    return await my_registration(session, registration_id, user_id, data_key=data_key)
