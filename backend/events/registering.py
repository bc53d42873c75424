"""Registering for an event: confirmed with a ticket while the seats fit and nobody waits,
otherwise waitlisted — decided by one statement that updates the event's counters and inserts
the registration, so nothing can oversell it, and that holds only where every rule of
``rules.RULES`` holds."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

import asyncpg
from sqlalchemy import (
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
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.base import new_id
from backend.core.errors import AppError, FieldError
from backend.core.reads import Attributes, Query, Reader
from backend.core.violations import violated_constraint
from backend.events import rules, wire
from backend.events.common import new_ticket
from backend.events.models import Event, Registration
from backend.events.rules import AT, PARTY
from backend.identity import lookup
from schemas.events import RegistrationCreate, RegistrationOut


async def _attendees(
    session: AsyncSession, user_id: UUID, data: RegistrationCreate, data_key: bytes
) -> tuple[list[dict[str, Any]], list[date]]:
    """Who comes — the named members of the caller's household, and the caller when ``seats``
    leaves room — and the birth dates known of them (the audience rule reads those)."""
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
    births = [by_id[i].birth_date for i in wanted]
    people: list[dict[str, Any]] = [{"memberId": str(i), "name": by_id[i].name} for i in wanted]
    if data.seats > len(wanted):
        resident = await lookup.resident_info(session, user_id, data_key=data_key)
        if resident is None:
            # A token outliving its account.
            raise AppError(401, "unauthorized")
        if resident.verified_birth_date is not None:
            births.append(resident.verified_birth_date)
        people.insert(0, {"memberId": None, "name": resident.display_name})
    return people, births


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
_NEW_ID = bindparam("registration", type_=Uuid)
_TICKET_HASH = bindparam("ticket_hash", type_=String)
_TICKET_ENC = bindparam("ticket_enc", type_=LargeBinary)
_PEOPLE = bindparam("people", type_=JSONB)


def _decide_and_insert(*, resident_alone: bool) -> Select[Any]:
    """The event row's conditional ``UPDATE`` — confirm if the seats fit and nobody waits
    ahead, else take the next waitlist number — and the registration's ``INSERT``, in one
    statement. The row lock it takes is held to commit, so waitlist numbers follow commit order;
    the SET expressions all read the row as it was.

    Every rule of ``rules.RULES`` is in its ``WHERE``: the statement returns no row when one
    does not hold, and the caller asks ``rules.EXPLAIN`` which.

    ``resident_alone``: the resident registers for themself (no members named); the statement
    also reads their name (from identity's lookup), and no age is known (an age-bound audience
    refuses, and the long way learns the resident's age). Otherwise the caller passes the
    attendees and their birth dates."""
    fits = and_(_E.waitlisted_count == 0, _E.confirmed_seats + PARTY <= _E.capacity)
    conditions = [_E.id == _EVENT, *rules.all_hold()]
    returned: list[Any] = [_E.id, _E.title, _E.location, _E.starts_at, _E.ends_at, _E.status]
    returned += [_E.waitlisted_count, _E.waitlist_seq]
    if resident_alone:
        # NULL when the account is gone (a token outliving it): then no row, and the long way
        # answers 401.
        name = lookup.display_name_of(_RESIDENT)
        conditions.append(name.is_not(None))
        returned.append(name.label("display_name"))
    taken = (
        update(_EVENTS)
        .where(*conditions)
        .values(
            confirmed_seats=case((fits, _E.confirmed_seats + PARTY), else_=_E.confirmed_seats),
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
                PARTY,
                people,
                case((confirmed, null()), else_=taken.c.waitlist_seq),
                case((confirmed, _TICKET_HASH), else_=null()),
                case((confirmed, _TICKET_ENC), else_=null()),
                case((confirmed, AT), else_=null()),
                AT,
            ),
        )
        .cte("registered")
    )
    return select(taken).add_cte(registered)


_REGISTER_ALONE = _decide_and_insert(resident_alone=True)
_REGISTER_ALONE_SQL = Query.compile(_REGISTER_ALONE)
_REGISTER = _decide_and_insert(resident_alone=False)
# Both ways of deciding, for the test that holds each to every rule.
DECIDING: dict[str, Select[Any]] = {"alone": _REGISTER_ALONE, "with_members": _REGISTER}

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
        # The common case in one statement; no row means a rule refused it (or the resident's
        # age is needed), and the long way below finds out which.
        alone = {**params, "eldest": None, "youngest": None}
        if autocommit is not None:
            taken = await _run_alone(autocommit, alone)
        else:
            taken = await _run_decision(session, _REGISTER_ALONE, alone)
        if taken is not None:
            people = [{"memberId": None, "name": taken.display_name}]
            return wire.new_registration(
                registration_id, data.seats, people, taken, ticket.code, now
            )

    people, births = await _attendees(session, user_id, data, data_key)
    decided = {
        **params,
        "people": people,
        "eldest": min(births, default=None),
        "youngest": max(births, default=None),
    }
    taken = await _run_decision(session, _REGISTER, decided)
    if taken is None:
        explained = (await session.execute(rules.EXPLAIN, decided)).one_or_none()
        raise rules.refusal(explained)
    return wire.new_registration(registration_id, data.seats, people, taken, ticket.code, now)
