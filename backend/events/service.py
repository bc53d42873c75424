"""Event rules: publishing, registration without overselling, the waitlist, tickets, check-in.

Concurrency, in one place: every change to an event's seats, its waitlist or a registration's
status first takes that event's row lock (a conditional ``UPDATE`` or ``SELECT … FOR UPDATE``)
and only then touches registrations. So the counters on the event row always agree with the
registrations, waitlist sequence numbers are handed out in commit order, and — since every such
transaction locks the event before any registration — two of them never wait on each other in a
cycle. The door's check-in is the one writer without the event lock: it changes a single
registration row with a conditional ``UPDATE`` and holds nothing else.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import (
    and_,
    case,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from backend.core.base import new_id
from backend.core.clock import LOCAL_TZ, local_date_of, to_local
from backend.core.errors import AppError, FieldError
from backend.core.pagination import decode_cursor, paginate
from backend.core.security import new_token
from backend.events import messages  # noqa: F401  (registers the domain's messages)
from backend.events.models import (
    ACTIVE_STATUSES,
    SEARCH_TEXT,
    Event,
    Feedback,
    Registration,
)
from backend.hub import service as hub
from backend.identity import lookup
from backend.notifications.service import notify_many
from schemas.events import (
    Attendee,
    CheckInOut,
    EventBrief,
    EventCreate,
    EventOut,
    EventPatch,
    EventSummary,
    FeedbackCreate,
    FeedbackOut,
    FeedbackSummary,
    ManagedEventOut,
    ManagedEventSummary,
    ManagedRegistration,
    ManagedRegistrationPage,
    RegistrationCreate,
    RegistrationOut,
    RegistrationTotals,
)

ELDER_AGE = 60
ADULT_AGE = 18
CHECK_IN_OPENS_BEFORE = timedelta(hours=2)
# 15 random bytes = 120 bits: far beyond guessing, and short enough for a crisp QR code.
TICKET_BYTES = 15

# --- reading events --------------------------------------------------------------------------

_SUMMARY_COLUMNS = (
    Event.id,
    Event.title,
    Event.summary,
    Event.category,
    Event.audience,
    Event.location,
    Event.starts_at,
    Event.ends_at,
    Event.registration_opens_at,
    Event.registration_closes_at,
    Event.capacity,
    Event.max_seats_per_registration,
    Event.status,
    Event.confirmed_seats,
    Event.waitlisted_count,
    Event.room_id,
)

# What the public may see: published events, and those cancelled after publication (their
# registrants must be able to read that and why). Drafts, and drafts that were dropped, never.
_PUBLIC = or_(
    Event.status == "published",
    and_(Event.status == "cancelled", Event.published_at.is_not(None)),
)


# Times outside these years are typing errors, and far enough out they would not even convert
# to UTC: refuse them before anything computes with them.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def in_range(moment: datetime) -> bool:
    return EARLIEST <= moment < LATEST


def _time_keyset(cursor: str | None) -> tuple[Any, ...] | None:
    """A (start, id) cursor; a forged time far outside our years is refused like any forgery."""
    after = decode_cursor(cursor, 2, types=(datetime, UUID))
    if after is not None and not in_range(after[0]):
        raise AppError(422, "invalid_cursor")
    return after


def _registration_open(row: Any, now: datetime) -> bool:
    return bool(
        row.status == "published" and row.registration_opens_at <= now < row.registration_closes_at
    )


def _summary(row: Any, now: datetime) -> EventSummary:
    return EventSummary(
        id=row.id,
        title=row.title,
        summary=row.summary,
        category=row.category,
        audience=row.audience,
        location=row.location,
        starts_at=to_local(row.starts_at),
        ends_at=to_local(row.ends_at),
        registration_opens_at=to_local(row.registration_opens_at),
        registration_closes_at=to_local(row.registration_closes_at),
        capacity=row.capacity,
        max_seats_per_registration=row.max_seats_per_registration,
        status=row.status,
        seats_left=row.capacity - row.confirmed_seats,
        waitlist_length=row.waitlisted_count,
        registration_open=_registration_open(row, now),
        room_id=row.room_id,
    )


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text_filter(q: str) -> Any:
    # The trigram GIN indexes serve patterns of 3+ characters; shorter ones (a Chinese word is
    # often two characters) still match, by scanning — correct, and rare enough to afford.
    pattern = like_pattern(q)
    return SEARCH_TEXT.ilike(pattern, escape="\\")


async def list_events(
    session: AsyncSession,
    *,
    now: datetime,
    starts_from: datetime | None,
    until: datetime | None,
    category: str | None,
    audience: str | None,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[EventSummary], str | None]:
    """Published events overlapping [from, to) — by default those not yet over — by start."""
    after = _time_keyset(cursor)
    stmt = select(*_SUMMARY_COLUMNS).where(
        Event.status == "published", Event.ends_at > (starts_from or now)
    )
    if until is not None:
        stmt = stmt.where(Event.starts_at < until)
    if category:
        stmt = stmt.where(Event.category == category)
    if audience:
        stmt = stmt.where(Event.audience == audience)
    if q:
        stmt = stmt.where(_text_filter(q))
    if after is not None:
        stmt = stmt.where(tuple_(Event.starts_at, Event.id) > tuple_(*after))
    stmt = stmt.order_by(Event.starts_at, Event.id).limit(limit + 1)
    rows = (await session.execute(stmt)).all()
    page, next_cursor = paginate(rows, limit, lambda r: (r.starts_at, r.id))
    return [_summary(r, now) for r in page], next_cursor


async def upcoming_events(session: AsyncSession, now: datetime, limit: int) -> list[EventSummary]:
    """The next published events that are not over yet, for the home screen."""
    rows = (
        await session.execute(
            select(*_SUMMARY_COLUMNS)
            .where(Event.status == "published", Event.ends_at > now)
            .order_by(Event.starts_at, Event.id)
            .limit(limit)
        )
    ).all()
    return [_summary(r, now) for r in rows]


async def _room_name(session: AsyncSession, room_id: UUID | None) -> str | None:
    if room_id is None:
        return None
    return await hub.room_label(session, room_id)


async def get_event(session: AsyncSession, event_id: UUID, *, now: datetime) -> EventOut:
    event = (
        await session.execute(select(Event).where(Event.id == event_id, _PUBLIC))
    ).scalar_one_or_none()
    if event is None:
        raise AppError(404, "not_found")
    return EventOut(
        id=event.id,
        title=event.title,
        summary=event.summary,
        body=event.body,
        category=event.category,
        audience=event.audience,  # type: ignore[arg-type]
        location=event.location,
        starts_at=to_local(event.starts_at),
        ends_at=to_local(event.ends_at),
        registration_opens_at=to_local(event.registration_opens_at),
        registration_closes_at=to_local(event.registration_closes_at),
        capacity=event.capacity,
        max_seats_per_registration=event.max_seats_per_registration,
        status=event.status,  # type: ignore[arg-type]
        seats_left=event.capacity - event.confirmed_seats,
        waitlist_length=event.waitlisted_count,
        registration_open=_registration_open(event, now),
        room_id=event.room_id,
        room_name=await _room_name(session, event.room_id),
        cancelled_at=to_local(event.cancelled_at),
        cancel_reason=event.cancel_reason,
    )


# --- staff: the programme ----------------------------------------------------------------------


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
        audience=event.audience,  # type: ignore[arg-type]
        location=event.location,
        starts_at=to_local(event.starts_at),
        ends_at=to_local(event.ends_at),
        registration_opens_at=to_local(event.registration_opens_at),
        registration_closes_at=to_local(event.registration_closes_at),
        capacity=event.capacity,
        max_seats_per_registration=event.max_seats_per_registration,
        status=event.status,  # type: ignore[arg-type]
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
        room_name=await _room_name(session, event.room_id),
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


async def list_managed_events(
    session: AsyncSession,
    *,
    status: str | None,
    q: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[ManagedEventSummary], str | None]:
    """Every event, drafts included, latest start first."""
    before = _time_keyset(cursor)
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
        stmt = stmt.where(_text_filter(q))
    if before is not None:
        stmt = stmt.where(tuple_(Event.starts_at, Event.id) < tuple_(*before))
    stmt = stmt.order_by(Event.starts_at.desc(), Event.id.desc()).limit(limit + 1)
    rows = (await session.execute(stmt)).all()
    page, next_cursor = paginate(rows, limit, lambda r: (r.starts_at, r.id))
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
    if room_id is not None and await _room_name(session, room_id) is None:
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


def _when(moment: datetime) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _notice(event: Any) -> dict[str, Any]:
    """The data an inbox message about ``event`` carries (ids to deep-link, text to render)."""
    return {
        "eventId": str(event.id),
        "title": event.title,
        "startsAt": to_local(event.starts_at).isoformat(),
        "location": event.location,
    }


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
    session: AsyncSession, event_id: UUID, patch: EventPatch, *, by: UUID, now: datetime
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
    _check_schedule(merged)
    if "starts_at" in changes:
        _check_future(changes["starts_at"], now)
    if "capacity" in changes and changes["capacity"] < event.confirmed_seats:
        # The event row is locked: no registration can add a seat before this commits.
        raise AppError(
            422,
            "capacity_below_confirmed",
            {"confirmed": event.confirmed_seats},
            extra={"confirmedSeats": event.confirmed_seats},
        )
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
        await _hold_room(session, event, by, now)
    await session.flush()

    if event.status == "published":
        if moved:
            await notify_many(
                session,
                user_ids=await _active_registrants(session, event.id),
                kind="event_changed",
                data=_notice(event),
            )
        if "capacity" in changes:
            await _promote(session, event.id, now)
    await session.refresh(event)
    return await _managed_out(session, event)


async def _hold_room(session: AsyncSession, event: Event, by: UUID, now: datetime) -> None:
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
    )


async def _release_room(session: AsyncSession, event: Event, now: datetime) -> None:
    if event.room_hold_id is None:
        return
    await hub.release_event_hold(session, booking_id=event.room_hold_id, now=now)
    event.room_hold_id = None


async def publish_event(
    session: AsyncSession, event_id: UUID, *, by: UUID, now: datetime
) -> ManagedEventOut:
    event = await _locked_event(session, event_id)
    if event.status != "draft":
        raise AppError(409, "event_not_draft")
    _check_future(event.starts_at, now)
    await _hold_room(session, event, by, now)
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
        data={**_notice(event), "reason": reason},
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


# --- the waitlist ------------------------------------------------------------------------------


async def _promote(session: AsyncSession, event_id: UUID, now: datetime) -> int:
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
    await session.execute(
        update(Registration),
        [
            {
                "id": row.id,
                "status": "confirmed",
                "ticket_code": new_token(TICKET_BYTES),
                "confirmed_at": now,
            }
            for row in promoted
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
        data=_notice(event),
    )
    return len(promoted)


# --- registration ------------------------------------------------------------------------------


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _brief(row: Any) -> EventBrief:
    return EventBrief(
        id=row.id,
        title=row.title,
        location=row.location,
        starts_at=to_local(row.starts_at),
        ends_at=to_local(row.ends_at),
        status=row.status,
    )


def _attendees(raw: Sequence[dict[str, Any]]) -> list[Attendee]:
    return [
        Attendee(name=a["name"], member_id=UUID(a["memberId"]) if a.get("memberId") else None)
        for a in raw
    ]


async def _attendee_list(
    session: AsyncSession, event: Any, user_id: UUID, data: RegistrationCreate
) -> list[dict[str, Any]]:
    """Who comes, checked against the household and the event's audience."""
    wanted = list(dict.fromkeys(data.member_ids))
    if len(wanted) != len(data.member_ids):
        raise AppError(
            422,
            "validation_error",
            errors=[FieldError(field="memberIds", message="names a member twice")],
        )
    if len(wanted) > data.seats:
        raise AppError(
            422,
            "validation_error",
            errors=[FieldError(field="memberIds", message="more members than seats")],
        )
    members = await lookup.members_of(session, user_id, wanted)
    if len(members) != len(wanted):
        raise AppError(
            422,
            "unknown_member",
            errors=[FieldError(field="memberIds", message="not a member of your household")],
        )
    by_id = {m.id: m for m in members}
    day = local_date_of(event.starts_at)
    ages = [age_on(by_id[i].birth_date, day) for i in wanted]
    self_attends = data.seats > len(wanted)
    resident = await lookup.resident_info(session, user_id) if self_attends else None
    if self_attends and resident is None:
        # A token outliving its account.
        raise AppError(401, "unauthorized")
    if resident is not None and resident.verified_birth_date is not None:
        ages.append(age_on(resident.verified_birth_date, day))
    if event.audience == "elderly" and not any(a >= ELDER_AGE for a in ages):
        raise AppError(422, "audience_mismatch", extra={"audience": "elderly"})
    if event.audience == "children" and not any(a < ADULT_AGE for a in ages):
        raise AppError(422, "audience_mismatch", extra={"audience": "children"})
    people: list[dict[str, Any]] = [{"memberId": str(i), "name": by_id[i].name} for i in wanted]
    if resident is not None:
        people.insert(0, {"memberId": None, "name": resident.display_name})
    return people


async def register(
    session: AsyncSession,
    event_id: UUID,
    user_id: UUID,
    data: RegistrationCreate,
    *,
    now: datetime,
) -> RegistrationOut:
    event = (
        await session.execute(
            select(
                Event.id,
                Event.title,
                Event.location,
                Event.starts_at,
                Event.ends_at,
                Event.status,
                Event.audience,
                Event.registration_opens_at,
                Event.registration_closes_at,
                Event.max_seats_per_registration,
            ).where(Event.id == event_id, _PUBLIC)
        )
    ).one_or_none()
    if event is None:
        raise AppError(404, "not_found")
    if not _registration_open(event, now):
        raise AppError(422, "registration_closed")
    if data.seats > event.max_seats_per_registration:
        raise AppError(
            422,
            "too_many_seats",
            {"max": event.max_seats_per_registration},
            extra={"maxSeatsPerRegistration": event.max_seats_per_registration},
        )
    attendees = await _attendee_list(session, event, user_id, data)

    # The one statement that decides: it locks the event row (held to commit, so sequence
    # numbers follow commit order), confirms if the seats fit and nobody waits ahead, and
    # otherwise appends to the waitlist. The SET expressions all read the row as it was.
    fits = and_(Event.waitlisted_count == 0, Event.confirmed_seats + data.seats <= Event.capacity)
    taken = (
        await session.execute(
            update(Event)
            .where(Event.id == event_id, Event.status == "published")
            .values(
                confirmed_seats=case(
                    (fits, Event.confirmed_seats + data.seats), else_=Event.confirmed_seats
                ),
                waitlisted_count=case(
                    (fits, Event.waitlisted_count), else_=Event.waitlisted_count + 1
                ),
                waitlist_seq=case((fits, Event.waitlist_seq), else_=Event.waitlist_seq + 1),
            )
            .returning(Event.waitlisted_count, Event.waitlist_seq)
            .execution_options(synchronize_session=False)
        )
    ).one_or_none()
    if taken is None:
        # Cancelled while we were checking.
        raise AppError(422, "registration_closed")
    # Nobody waited and nobody waits now: this one got its seats.
    confirmed = taken.waitlisted_count == 0
    registration_id = new_id()
    values: dict[str, Any] = {
        "id": registration_id,
        "event_id": event_id,
        "user_id": user_id,
        "seats": data.seats,
        "attendees": attendees,
        "created_at": now,
    }
    if confirmed:
        values.update(status="confirmed", ticket_code=new_token(TICKET_BYTES), confirmed_at=now)
    else:
        values.update(status="waitlisted", waitlist_seq=taken.waitlist_seq)
    try:
        await session.execute(insert(Registration).values(**values))
    except IntegrityError as exc:
        if "uq_event_registrations_one_active" in str(exc.orig):
            raise AppError(409, "already_registered") from exc
        raise
    return RegistrationOut(
        id=registration_id,
        event_id=event_id,
        status=values["status"],
        seats=data.seats,
        attendees=_attendees(attendees),
        event=_brief(event),
        created_at=to_local(now),
        ticket_code=values.get("ticket_code"),
        waitlist_position=None if confirmed else taken.waitlisted_count,
        confirmed_at=to_local(values.get("confirmed_at")),
    )


def _position_column() -> Any:
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


_MINE_COLUMNS = (
    Registration.id,
    Registration.event_id,
    Registration.status,
    Registration.seats,
    Registration.attendees,
    Registration.created_at,
    Registration.ticket_code,
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


def _mine(row: Any) -> RegistrationOut:
    return RegistrationOut(
        id=row.id,
        event_id=row.event_id,
        status=row.status,
        seats=row.seats,
        attendees=_attendees(row.attendees),
        event=EventBrief(
            id=row.event_id,
            title=row.title,
            location=row.location,
            starts_at=to_local(row.starts_at),
            ends_at=to_local(row.ends_at),
            status=row.event_status,
        ),
        created_at=to_local(row.created_at),
        # A ticket is only shown while it admits someone.
        ticket_code=row.ticket_code if row.status == "confirmed" else None,
        waitlist_position=row.position,
        confirmed_at=to_local(row.confirmed_at),
        checked_in_at=to_local(row.checked_in_at),
        cancelled_at=to_local(row.cancelled_at),
        cancel_reason=row.cancel_reason,
    )


async def my_registrations(
    session: AsyncSession,
    user_id: UUID,
    *,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[RegistrationOut], str | None]:
    """The resident's registrations, newest first."""
    before = decode_cursor(cursor, 1, types=(UUID,))
    stmt = (
        select(*_MINE_COLUMNS, _position_column())
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.user_id == user_id)
    )
    if status:
        stmt = stmt.where(Registration.status == status)
    if before is not None:
        stmt = stmt.where(Registration.id < before[0])
    stmt = stmt.order_by(Registration.id.desc()).limit(limit + 1)
    rows = (await session.execute(stmt)).all()
    page, next_cursor = paginate(rows, limit, lambda r: (r.id,))
    return [_mine(r) for r in page], next_cursor


async def my_registration(
    session: AsyncSession, registration_id: UUID, user_id: UUID
) -> RegistrationOut:
    row = (
        await session.execute(
            select(*_MINE_COLUMNS, _position_column())
            .join(Event, Event.id == Registration.event_id)
            .where(Registration.id == registration_id, Registration.user_id == user_id)
        )
    ).one_or_none()
    if row is None:
        raise AppError(404, "not_found")
    return _mine(row)


async def cancel_registration(
    session: AsyncSession, registration_id: UUID, user_id: UUID, *, now: datetime
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
    await _promote(session, owned.event_id, now)
    return await my_registration(session, registration_id, user_id)


# --- at the door and after -------------------------------------------------------------------


async def check_in(
    session: AsyncSession, event_id: UUID, ticket_code: str, *, by: UUID, now: datetime
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
    # Conditional: of two scans racing, exactly one finds ``checked_in_at`` still empty.
    done = (
        await session.execute(
            update(Registration)
            .where(
                Registration.event_id == event_id,
                Registration.ticket_code == ticket_code,
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
                    Registration.event_id == event_id, Registration.ticket_code == ticket_code
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
    return CheckInOut(
        registration_id=done.id,
        event_id=event_id,
        user_name=people[done.user_id].display_name if done.user_id in people else "",
        seats=done.seats,
        attendees=_attendees(done.attendees),
        checked_in_at=to_local(now),
    )


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
            select(Event.status, Event.ends_at).where(Event.id == event_id, _PUBLIC)
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
    return FeedbackOut(
        id=feedback_id,
        event_id=event_id,
        rating=data.rating,
        comment=data.comment,
        created_at=to_local(now),
    )


# --- staff: who comes ----------------------------------------------------------------------


async def _totals(session: AsyncSession, event: Event) -> RegistrationTotals:
    r = Registration
    checked_in = r.checked_in_at.is_not(None)
    counts = (
        await session.execute(
            select(
                func.count().filter(r.status == "confirmed"),
                func.count().filter(r.status == "waitlisted"),
                func.coalesce(func.sum(r.seats).filter(r.status == "waitlisted"), 0),
                func.count().filter(checked_in),
                func.coalesce(func.sum(r.seats).filter(checked_in), 0),
                func.count().filter(r.status == "cancelled"),
            ).where(r.event_id == event.id)
        )
    ).one()
    return RegistrationTotals(
        capacity=event.capacity,
        confirmed_seats=event.confirmed_seats,
        seats_left=event.capacity - event.confirmed_seats,
        confirmed_registrations=counts[0],
        waitlisted_registrations=counts[1],
        waitlisted_seats=int(counts[2]),
        checked_in_registrations=counts[3],
        checked_in_seats=int(counts[4]),
        cancelled_registrations=counts[5],
    )


_MANAGED_COLUMNS = (
    Registration.id,
    Registration.user_id,
    Registration.status,
    Registration.seats,
    Registration.attendees,
    Registration.created_at,
    Registration.confirmed_at,
    Registration.checked_in_at,
    Registration.cancelled_at,
)


async def _managed_rows(session: AsyncSession, rows: Sequence[Any]) -> list[ManagedRegistration]:
    people = await lookup.people(session, {r.user_id for r in rows})
    out = []
    for r in rows:
        person = people.get(r.user_id)
        out.append(
            ManagedRegistration(
                id=r.id,
                user_id=r.user_id,
                user_name=person.display_name if person else "",
                phone=person.phone if person else "",
                status=r.status,
                seats=r.seats,
                attendees=_attendees(r.attendees),
                created_at=to_local(r.created_at),
                waitlist_position=r.position,
                confirmed_at=to_local(r.confirmed_at),
                checked_in_at=to_local(r.checked_in_at),
                cancelled_at=to_local(r.cancelled_at),
            )
        )
    return out


async def event_registrations(
    session: AsyncSession,
    event_id: UUID,
    *,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> ManagedRegistrationPage:
    """An event's registrations in arrival order, with the totals over all of them."""
    event = await session.get(Event, event_id)
    if event is None:
        raise AppError(404, "not_found")
    after = decode_cursor(cursor, 1, types=(UUID,))
    stmt = select(*_MANAGED_COLUMNS, _position_column()).where(Registration.event_id == event_id)
    if status:
        stmt = stmt.where(Registration.status == status)
    if after is not None:
        stmt = stmt.where(Registration.id > after[0])
    rows = (await session.execute(stmt.order_by(Registration.id).limit(limit + 1))).all()
    page, next_cursor = paginate(rows, limit, lambda r: (r.id,))
    return ManagedRegistrationPage(
        items=await _managed_rows(session, page),
        totals=await _totals(session, event),
        next_cursor=next_cursor,
    )


_STATUS_LABELS = {"confirmed": "已确认", "waitlisted": "候补", "cancelled": "已取消"}
_CSV_HEADER = (
    "报名编号",
    "状态",
    "候补位次",
    "人数",
    "报名人",
    "手机号",
    "参加者",
    "报名时间",
    "签到时间",
    "取消时间",
)


def _csv_time(moment: datetime | None) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


async def registrations_csv(session: AsyncSession, event_id: UUID) -> tuple[str, bytes]:
    """Every registration of the event as a CSV file Excel opens correctly (UTF-8 with BOM):
    confirmed first, then the waitlist in order, then the cancelled ones."""
    event = await session.get(Event, event_id)
    if event is None:
        raise AppError(404, "not_found")
    order = case(
        (Registration.status == "confirmed", 0), (Registration.status == "waitlisted", 1), else_=2
    )
    rows = (
        await session.execute(
            select(*_MANAGED_COLUMNS, _position_column())
            .where(Registration.event_id == event_id)
            .order_by(order, Registration.waitlist_seq, Registration.id)
        )
    ).all()
    registrations = await _managed_rows(session, rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_CSV_HEADER)
    for r in registrations:
        writer.writerow(
            (
                str(r.id),
                _STATUS_LABELS[r.status],
                r.waitlist_position or "",
                r.seats,
                csv_cell(r.user_name),
                r.phone,
                "、".join(csv_cell(a.name) for a in r.attendees),
                _csv_time(r.created_at),
                _csv_time(r.checked_in_at),
                _csv_time(r.cancelled_at),
            )
        )
    filename = f"event-{event.starts_at.astimezone(LOCAL_TZ):%Y%m%d}-{event.id}.csv"
    return filename, "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def csv_cell(text: str) -> str:
    # A name typed as "=HYPERLINK(…)" must stay text when staff open the file in Excel.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
