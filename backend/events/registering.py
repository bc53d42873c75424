"""Registering for an event: confirmed with a ticket while the seats fit and nobody waits,
otherwise waitlisted — decided by one statement that updates the event's counters and inserts
the registration, so nothing can oversell it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

import asyncpg
from sqlalchemy import (
    DateTime,
    Integer,
    LargeBinary,
    Select,
    String,
    Table,
    Uuid,
    and_,
    bindparam,
    case,
    func,
    insert,
    literal,
    literal_column,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.base import new_id
from backend.core.clock import local_date_of, to_local
from backend.core.errors import AppError, FieldError
from backend.core.reads import Attributes, Query, Reader
from backend.core.violations import violated_constraint
from backend.events.common import PUBLIC, new_ticket, registration_open, to_attendees
from backend.events.models import Event, Registration
from backend.identity import lookup
from schemas.events import EventBrief, RegistrationCreate, RegistrationOut

ELDER_AGE = 60
ADULT_AGE = 18


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


async def _attendee_list(
    session: AsyncSession, event: Any, user_id: UUID, data: RegistrationCreate, data_key: bytes
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
    resident = (
        await lookup.resident_info(session, user_id, data_key=data_key) if self_attends else None
    )
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


# --- registering ------------------------------------------------------------------------------
#
# The rush is the hottest write there is: hundreds of residents tapping at the same second, each
# waiting for the event row's lock. So the decision is one statement, built once here (a reused
# statement keeps its cache key; rebuilding it per request cost a third of the worker's CPU), and
# the lock is held only from that statement to the commit right after it.

_EVENTS = cast(Table, Event.__table__)
_REGISTRATIONS = cast(Table, Registration.__table__)
_E = _EVENTS.c
_R = _REGISTRATIONS.c
_EVENT = bindparam("event", type_=Uuid)
_RESIDENT = bindparam("resident", type_=Uuid)
_PARTY = bindparam("party", type_=Integer)
_AT = bindparam("at", type_=DateTime(timezone=True))
_NEW_ID = bindparam("registration", type_=Uuid)
_TICKET_HASH = bindparam("ticket_hash", type_=String)
_TICKET_ENC = bindparam("ticket_enc", type_=LargeBinary)
_PEOPLE = bindparam("people", type_=JSONB)
# Audiences anyone may attend: the resident alone needs no age check and no household lookup.
_OPEN_TO_ALL = ("all", "families")


def _decide_and_insert(*, resident_alone: bool) -> Select[Any]:
    """The event row's conditional ``UPDATE`` — confirm if the seats fit and nobody waits
    ahead, else take the next waitlist number — and the registration's ``INSERT``, in one
    statement. The row lock it takes is held to commit, so waitlist numbers follow commit order;
    the SET expressions all read the row as it was.

    ``resident_alone``: the resident registers for themself (no members named) for an event
    open to all. Then the statement also checks the window and the seat limit and reads the
    resident's name (from identity's lookup), and returns no row when anything is off — the
    caller then takes the long way, which names the reason. Otherwise the caller has checked
    all that and passes the attendees."""
    fits = and_(_E.waitlisted_count == 0, _E.confirmed_seats + _PARTY <= _E.capacity)
    conditions = [_E.id == _EVENT, _E.status == "published"]
    returned: list[Any] = [_E.id, _E.title, _E.location, _E.starts_at, _E.ends_at, _E.status]
    returned += [_E.waitlisted_count, _E.waitlist_seq]
    if resident_alone:
        # NULL when the account is gone (a token outliving it): then no row, and the long way
        # answers 401.
        name = lookup.display_name_of(_RESIDENT)
        conditions += [
            _E.registration_opens_at <= _AT,
            _E.registration_closes_at > _AT,
            _E.max_seats_per_registration >= _PARTY,
            or_(*(_E.audience == audience for audience in _OPEN_TO_ALL)),
            name.is_not(None),
        ]
        returned.append(name.label("display_name"))
    taken = (
        update(_EVENTS)
        .where(*conditions)
        .values(
            confirmed_seats=case((fits, _E.confirmed_seats + _PARTY), else_=_E.confirmed_seats),
            waitlisted_count=case((fits, _E.waitlisted_count), else_=_E.waitlisted_count + 1),
            waitlist_seq=case((fits, _E.waitlist_seq), else_=_E.waitlist_seq + 1),
        )
        .returning(*returned)
        .cte("taken")
    )
    # Nobody waited and nobody waits now: this one got its seats.
    confirmed = taken.c.waitlisted_count == 0
    people: Any = _PEOPLE
    if resident_alone:
        people = func.jsonb_build_array(
            func.jsonb_build_object(
                literal_column("'memberId'"),
                null(),
                literal_column("'name'"),
                taken.c.display_name,
                type_=JSONB,
            ),
            type_=JSONB,
        )
    registered = (
        insert(_REGISTRATIONS)
        .from_select(
            [
                _R.id,
                _R.event_id,
                _R.user_id,
                _R.status,
                _R.seats,
                _R.attendees,
                _R.waitlist_seq,
                _R.ticket_hash,
                _R.ticket_code_enc,
                _R.confirmed_at,
                _R.created_at,
            ],
            select(
                _NEW_ID,
                taken.c.id,
                _RESIDENT,
                case((confirmed, literal("confirmed")), else_=literal("waitlisted")),
                _PARTY,
                people,
                case((confirmed, null()), else_=taken.c.waitlist_seq),
                case((confirmed, _TICKET_HASH), else_=null()),
                case((confirmed, _TICKET_ENC), else_=null()),
                case((confirmed, _AT), else_=null()),
                _AT,
            ),
        )
        .cte("registered")
    )
    return select(taken).add_cte(registered)


_REGISTER_ALONE = _decide_and_insert(resident_alone=True)
_REGISTER_ALONE_SQL = Query.compile(_REGISTER_ALONE)
_REGISTER = _decide_and_insert(resident_alone=False)

_EVENT_FOR_REGISTERING = select(
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
).where(Event.id == bindparam("event"), PUBLIC)


_ONE_ACTIVE = "uq_event_registrations_one_active"


async def _run_decision(
    session: AsyncSession, statement: Select[Any], params: dict[str, Any]
) -> Any:
    try:
        return (await session.execute(statement, params)).one_or_none()
    except IntegrityError as exc:
        if violated_constraint(exc) == _ONE_ACTIVE:
            raise AppError(409, "already_registered") from exc
        raise


async def _run_alone(reader: Reader, params: dict[str, Any]) -> Any:
    try:
        row = await reader.fetchrow(_REGISTER_ALONE_SQL, **params)
    except asyncpg.UniqueViolationError as exc:
        if violated_constraint(exc) == _ONE_ACTIVE:
            raise AppError(409, "already_registered") from exc
        raise
    return Attributes(row) if row is not None else None


def _registered(
    registration_id: UUID,
    event_id: UUID,
    seats: int,
    attendees: list[dict[str, Any]],
    taken: Any,
    ticket: str,
    now: datetime,
) -> RegistrationOut:
    confirmed = taken.waitlisted_count == 0
    return RegistrationOut(
        id=registration_id,
        event_id=event_id,
        status="confirmed" if confirmed else "waitlisted",
        seats=seats,
        attendees=to_attendees(attendees),
        event=_brief(taken),
        created_at=to_local(now),
        ticket_code=ticket if confirmed else None,
        waitlist_position=None if confirmed else taken.waitlisted_count,
        confirmed_at=to_local(now) if confirmed else None,
    )


async def register(
    session: AsyncSession,
    event_id: UUID,
    user_id: UUID,
    data: RegistrationCreate,
    *,
    now: datetime,
    data_key: bytes,
    autocommit: Reader | None = None,
) -> RegistrationOut:
    """Register ``user_id`` for the event, confirmed or waitlisted.

    ``autocommit``: the caller's session holds nothing else for this transaction (no
    idempotency record to store with it), so the common case may run as a statement of its
    own, committed by PostgreSQL as it ends — the event row's lock is then held for that
    statement and its commit only, not for the round trips and the worker's turns until the
    session commits, which is what bounds a rush."""
    registration_id = new_id()
    ticket = new_ticket(data_key)
    params: dict[str, Any] = {
        "event": event_id,
        "resident": user_id,
        "party": data.seats,
        "at": now,
        "registration": registration_id,
        "ticket_hash": ticket.digest,
        "ticket_enc": ticket.sealed,
    }
    if not data.member_ids:
        # The common case in one statement; no row means a rule refused it (or an audience
        # needs an age check), and the long way below finds out which.
        if autocommit is not None:
            taken = await _run_alone(autocommit, params)
        else:
            taken = await _run_decision(session, _REGISTER_ALONE, params)
        if taken is not None:
            attendees = [{"memberId": None, "name": taken.display_name}]
            return _registered(
                registration_id, event_id, data.seats, attendees, taken, ticket.code, now
            )

    event = (await session.execute(_EVENT_FOR_REGISTERING, {"event": event_id})).one_or_none()
    if event is None:
        raise AppError(404, "not_found")
    if not registration_open(
        event.status, event.registration_opens_at, event.registration_closes_at, now
    ):
        raise AppError(422, "registration_closed")
    if data.seats > event.max_seats_per_registration:
        raise AppError(
            422,
            "too_many_seats",
            {"max": event.max_seats_per_registration},
            extra={"maxSeatsPerRegistration": event.max_seats_per_registration},
        )
    attendees = await _attendee_list(session, event, user_id, data, data_key)
    taken = await _run_decision(session, _REGISTER, {**params, "people": attendees})
    if taken is None:
        # Cancelled while we were checking.
        raise AppError(422, "registration_closed")
    return _registered(registration_id, event_id, data.seats, attendees, taken, ticket.code, now)
