"""The staff's programme: drafting, publishing, changing and cancelling events, and reading them
back with their counters, drafts included.

A published event with a room holds that room through the hub; a change of time or room moves
the hold, and cancelling releases it. Registrants hear of a new time or place, and of a
cancellation, in the same transaction. Every writer here takes the event's row lock first (see
``backend.events.service``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.clock import to_local
from backend.core.errors import AppError, FieldError
from backend.core.pagination import Keyset
from backend.events.common import in_range, notice, room_name, text_filter
from backend.events.models import ACTIVE_STATUSES, Event, Feedback, Registration
from backend.events.waitlist import promote
from backend.hub import service as hub
from backend.notifications.service import notify_many
from schemas.events import (
    EventCreate,
    EventPatch,
    FeedbackSummary,
    ManagedEventOut,
    ManagedEventSummary,
)


async def _managed_out(session: AsyncSession, event: Event) -> ManagedEventOut:
    feedback = (
        await session.execute(
            select(func.count(), func.avg(Feedback.rating)).where(Feedback.event_id == event.id)
        )
    ).one()
    average = feedback[1]
    return ManagedEventOut(
        id=event.id,
        title=event.title,
        summary=event.summary,
        body=event.body,
        category=event.category,
        audience=event.audience,
        location=event.location,
        starts_at=to_local(event.starts_at),
        ends_at=to_local(event.ends_at),
        registration_opens_at=to_local(event.registration_opens_at),
        registration_closes_at=to_local(event.registration_closes_at),
        capacity=event.capacity,
        max_seats_per_registration=event.max_seats_per_registration,
        status=event.status,
        confirmed_seats=event.confirmed_seats,
        seats_left=event.capacity - event.confirmed_seats,
        waitlist_length=event.waitlisted_count,
        created_by=event.created_by,
        created_at=to_local(event.created_at),
        updated_at=to_local(event.updated_at),
        feedback=FeedbackSummary(
            count=feedback[0], average_rating=round(float(average), 2) if average else None
        ),
        room_id=event.room_id,
        room_name=await room_name(session, event.room_id),
        room_booking_id=event.room_hold_id,
        published_at=to_local(event.published_at),
        cancelled_at=to_local(event.cancelled_at),
        cancel_reason=event.cancel_reason,
    )


async def _locked_event(session: AsyncSession, event_id: UUID) -> Event:
    event = (
        await session.execute(
            select(Event)
            .where(Event.id == event_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if event is None:
        raise AppError(404, "not_found")
    return event


async def managed_event(session: AsyncSession, event_id: UUID) -> ManagedEventOut:
    event = await session.get(Event, event_id)
    if event is None:
        raise AppError(404, "not_found")
    return await _managed_out(session, event)


MANAGED_EVENTS = Keyset("managed-events", (datetime, UUID))


async def list_managed_events(
    session: AsyncSession,
    *,
    status: str | None,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[ManagedEventSummary], str | None]:
    """Every event, drafts included, latest start first."""
    before = MANAGED_EVENTS.decode(cursor)
    stmt = select(
        Event.id,
        Event.title,
        Event.category,
        Event.audience,
        Event.location,
        Event.starts_at,
        Event.ends_at,
        Event.capacity,
        Event.status,
        Event.confirmed_seats,
        Event.waitlisted_count,
        Event.created_at,
        Event.room_id,
        Event.published_at,
        Event.cancelled_at,
    )
    if status:
        stmt = stmt.where(Event.status == status)
    if q:
        stmt = stmt.where(text_filter(q))
    if before is not None:
        stmt = stmt.where(tuple_(Event.starts_at, Event.id) < tuple_(*before))
    stmt = stmt.order_by(Event.starts_at.desc(), Event.id.desc()).limit(limit + 1)
    rows = (await session.execute(stmt)).all()
    page, next_cursor = MANAGED_EVENTS.paginate(rows, limit, lambda r: (r.starts_at, r.id))
    return [
        ManagedEventSummary(
            id=r.id,
            title=r.title,
            category=r.category,
            audience=r.audience,
            location=r.location,
            starts_at=to_local(r.starts_at),
            ends_at=to_local(r.ends_at),
            capacity=r.capacity,
            status=r.status,
            confirmed_seats=r.confirmed_seats,
            seats_left=r.capacity - r.confirmed_seats,
            waitlist_length=r.waitlisted_count,
            created_at=to_local(r.created_at),
            room_id=r.room_id,
            published_at=to_local(r.published_at),
            cancelled_at=to_local(r.cancelled_at),
        )
        for r in page
    ], next_cursor


def _check_schedule(values: dict[str, Any]) -> None:
    """The rules between fields, all reported at once."""
    times = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
    far = [
        FieldError(field=_camel(name), message="must lie between the years 2000 and 2199")
        for name in times
        if not in_range(values[name])
    ]
    if far:
        raise AppError(422, "validation_error", errors=far)
    errors: list[FieldError] = []
    if values["ends_at"] <= values["starts_at"]:
        errors.append(FieldError(field="endsAt", message="must be after startsAt"))
    if values["registration_closes_at"] <= values["registration_opens_at"]:
        errors.append(
            FieldError(field="registrationClosesAt", message="must be after registrationOpensAt")
        )
    if values["registration_closes_at"] > values["ends_at"]:
        errors.append(FieldError(field="registrationClosesAt", message="must not be after endsAt"))
    if values["max_seats_per_registration"] > values["capacity"]:
        errors.append(
            FieldError(field="maxSeatsPerRegistration", message="must not exceed capacity")
        )
    if errors:
        raise AppError(422, "validation_error", errors=errors)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


def _check_future(starts_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise AppError(
            422,
            "event_in_past",
            errors=[FieldError(field="startsAt", message="must be in the future")],
        )


async def _check_room(session: AsyncSession, room_id: UUID | None) -> None:
    if room_id is not None and await room_name(session, room_id) is None:
        raise AppError(
            422,
            "validation_error",
            errors=[FieldError(field="roomId", message="no such room")],
        )


async def create_event(
    session: AsyncSession, data: EventCreate, *, by: UUID, now: datetime
) -> ManagedEventOut:
    values = msgspec.structs.asdict(data)
    _check_schedule(values)
    _check_future(data.starts_at, now)
    await _check_room(session, data.room_id)
    event = Event(**values, status="draft", created_by=by, created_at=now, updated_at=now)
    session.add(event)
    await session.flush()
    await session.refresh(event)
    return await _managed_out(session, event)


async def _active_registrants(session: AsyncSession, event_id: UUID) -> list[UUID]:
    return list(
        (
            await session.execute(
                select(Registration.user_id).where(
                    Registration.event_id == event_id, Registration.status.in_(ACTIVE_STATUSES)
                )
            )
        ).scalars()
    )


async def update_event(
    session: AsyncSession,
    event_id: UUID,
    patch: EventPatch,
    *,
    by: UUID,
    now: datetime,
    data_key: bytes,
) -> ManagedEventOut:
    event = await _locked_event(session, event_id)
    if event.status == "cancelled":
        raise AppError(409, "event_cancelled")
    changes = {
        name: value
        for name, value in msgspec.structs.asdict(patch).items()
        if value is not msgspec.UNSET and getattr(event, name) != value
    }
    if not changes:
        return await _managed_out(session, event)
    merged = {
        name: changes.get(name, getattr(event, name))
        for name in (
            "starts_at",
            "ends_at",
            "registration_opens_at",
            "registration_closes_at",
            "capacity",
            "max_seats_per_registration",
        )
    }
    # Before the rules between fields: a capacity below the confirmed seats usually also falls
    # below maxSeatsPerRegistration, and the staff member must hear what is really wrong.
    if "capacity" in changes and changes["capacity"] < event.confirmed_seats:
        # The event row is locked: no registration can add a seat before this commits.
        raise AppError(
            422,
            "capacity_below_confirmed",
            {"confirmed": event.confirmed_seats},
            extra={"confirmedSeats": event.confirmed_seats},
        )
    _check_schedule(merged)
    if "starts_at" in changes:
        _check_future(changes["starts_at"], now)
    if "room_id" in changes:
        await _check_room(session, changes["room_id"])

    moved = bool(changes.keys() & {"starts_at", "ends_at", "room_id", "location"})
    rehold = event.status == "published" and bool(
        changes.keys() & {"starts_at", "ends_at", "room_id"}
    )
    for name, value in changes.items():
        setattr(event, name, value)
    event.updated_at = now
    if rehold:
        # Release first: moving within the same room must not clash with its own old hold.
        await _release_room(session, event, now)
        await _hold_room(session, event, by, now, data_key)
    await session.flush()

    if event.status == "published":
        if moved:
            await notify_many(
                session,
                user_ids=await _active_registrants(session, event.id),
                kind="event_changed",
                data=notice(event),
            )
        if "capacity" in changes:
            await promote(session, event.id, now, data_key=data_key)
    await session.refresh(event)
    return await _managed_out(session, event)


async def _hold_room(
    session: AsyncSession, event: Event, by: UUID, now: datetime, data_key: bytes
) -> None:
    if event.room_id is None:
        return
    event.room_hold_id = await hub.hold_room_for_event(
        session,
        room_id=event.room_id,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        event_id=event.id,
        title=event.title,
        held_by=by,
        now=now,
        data_key=data_key,
    )


async def _release_room(session: AsyncSession, event: Event, now: datetime) -> None:
    if event.room_hold_id is None:
        return
    await hub.release_event_hold(session, booking_id=event.room_hold_id, now=now)
    event.room_hold_id = None


class RoomClosures:
    """What a hub closure does to the events whose room it takes (``hub.EventHolds``): the event
    keeps its time and loses its room, so it no longer shows a room it does not have; the staff
    who own it must find another place, and its registrants hear that the room is gone."""

    async def lock(self, session: AsyncSession, event_ids: Sequence[UUID]) -> None:
        if event_ids:
            await session.execute(
                select(Event.id).where(Event.id.in_(event_ids)).order_by(Event.id).with_for_update()
            )

    async def lost(
        self, session: AsyncSession, holds: Sequence[hub.LostHold], *, now: datetime
    ) -> None:
        by_hold = {hold.booking_id: hold for hold in holds}
        events = (
            await session.scalars(
                select(Event)
                .where(Event.room_hold_id.in_(list(by_hold)))
                .order_by(Event.id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).all()
        for event in events:
            hold = by_hold[event.room_hold_id]  # type: ignore[index]
            event.room_id, event.room_hold_id, event.updated_at = None, None, now
            data = {**notice(event), "room": hold.room, "reason": hold.reason}
            await notify_many(
                session,
                user_ids={event.created_by, hold.held_by},
                kind="event_room_lost",
                data=data,
            )
            await notify_many(
                session,
                user_ids=await _active_registrants(session, event.id),
                kind="event_room_closed",
                data=data,
            )
        await session.flush()


async def publish_event(
    session: AsyncSession, event_id: UUID, *, by: UUID, now: datetime, data_key: bytes
) -> ManagedEventOut:
    event = await _locked_event(session, event_id)
    if event.status != "draft":
        raise AppError(409, "event_not_draft")
    _check_future(event.starts_at, now)
    await _hold_room(session, event, by, now, data_key)
    event.status = "published"
    event.published_at = now
    event.updated_at = now
    await session.flush()
    return await _managed_out(session, event)


async def cancel_event(
    session: AsyncSession, event_id: UUID, reason: str, *, now: datetime
) -> ManagedEventOut:
    """Cancel the event and every registration, telling each owner — set-based, so a popular
    event with thousands of registrants costs a handful of statements, not thousands."""
    event = await _locked_event(session, event_id)
    if event.status == "cancelled":
        raise AppError(409, "event_cancelled")
    if event.status == "published" and event.ends_at <= now:
        raise AppError(422, "event_ended")
    owners = (
        await session.execute(
            update(Registration)
            .where(Registration.event_id == event.id, Registration.status.in_(ACTIVE_STATUSES))
            .values(status="cancelled", cancelled_at=now, cancel_reason="event_cancelled")
            .returning(Registration.user_id)
            .execution_options(synchronize_session=False)
        )
    ).scalars()
    await notify_many(
        session,
        user_ids=set(owners),
        kind="event_cancelled",
        data={**notice(event), "reason": reason},
    )
    await _release_room(session, event, now)
    event.status = "cancelled"
    event.cancelled_at = now
    event.cancel_reason = reason
    event.confirmed_seats = 0
    event.waitlisted_count = 0
    event.updated_at = now
    await session.flush()
    return await _managed_out(session, event)
