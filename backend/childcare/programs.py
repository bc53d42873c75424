"""Programs as staff set them up: create, change while a draft, publish (the sessions hold the
hub room), teachers; and the public's view of published programs.

Lock order, everywhere in childcare: the program row, then its applications, then the hub's
room (through ``hub.service``). A closure reaching the sessions' holds asks us to lock the
programs first (``SessionHolds.lock``), so it takes the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.childcare import calendar, wire
from backend.childcare.models import Program, ProgramTeacher, Session
from backend.core.base import new_id
from backend.core.errors import AppError, FieldError
from backend.core.pagination import Keyset
from backend.hub import service as hub
from backend.identity.models import User
from backend.identity.service import clean_text
from schemas.childcare import ProgramIn, ProgramOut, ProgramPatch
from schemas.common import Page

MAX_TERM = timedelta(days=400)
EARLIEST, LATEST = date(2000, 1, 1), date(2199, 12, 31)
# What a published program may still change: the rest decides who got a place and when.
AFTER_PUBLISHING = frozenset({"name", "description", "fee", "offer_hours"})


async def locked_program(session: AsyncSession, program_id: UUID) -> Program:
    row = (
        await session.execute(
            select(Program)
            .where(Program.id == program_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if row is None:
        raise AppError(404, "not_found")
    return row


async def _out(session: AsyncSession, program: Program) -> ProgramOut:
    teachers = (
        await session.scalars(
            select(ProgramTeacher.user_id).where(ProgramTeacher.program_id == program.id)
        )
    ).all()
    sessions = (
        await session.scalars(
            select(Session).where(Session.program_id == program.id).order_by(Session.date)
        )
    ).all()
    return wire.program_out(program, teacher_ids=teachers, sessions=sessions)


def _check(values: dict[str, Any]) -> list[calendar.Day]:
    """The rules between fields, all reported at once; the days the program meets."""
    errors: list[FieldError] = []
    for name in ("age_on", "term_starts", "term_ends"):
        if not EARLIEST <= values[name] <= LATEST:
            errors.append(FieldError(_camel(name), "must lie between the years 2000 and 2199"))
    for name in ("application_opens_at", "application_closes_at"):
        if not EARLIEST <= values[name].date() <= LATEST:
            errors.append(FieldError(_camel(name), "must lie between the years 2000 and 2199"))
    if errors:
        raise AppError(422, "validation_error", errors=errors)
    if values["max_age_months"] < values["min_age_months"]:
        errors.append(FieldError("maxAgeMonths", "must not be below minAgeMonths"))
    if values["term_ends"] < values["term_starts"]:
        errors.append(FieldError("termEnds", "must not be before termStarts"))
    elif values["term_ends"] - values["term_starts"] > MAX_TERM:
        errors.append(FieldError("termEnds", "a term lasts at most 400 days"))
    if values["application_closes_at"] <= values["application_opens_at"]:
        errors.append(FieldError("applicationClosesAt", "must be after applicationOpensAt"))
    slots = calendar.parse_slots(values["schedule"])
    if any(slot.ends <= slot.starts for slot in slots):
        errors.append(FieldError("schedule", "each slot must end after it starts"))
    elif len({s.weekday for s in slots}) != len(slots):
        errors.append(FieldError("schedule", "names a weekday twice"))
    if errors:
        raise AppError(422, "validation_error", errors=errors)
    days = list(calendar.program_days(slots, values["term_starts"], values["term_ends"]))
    if not days:
        raise AppError(
            422,
            "validation_error",
            errors=[FieldError("schedule", "no session falls in the term")],
        )
    return days


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


async def _check_room(session: AsyncSession, venue_id: UUID, room_id: UUID) -> None:
    try:
        room = await hub.get_room(session, room_id)
    except AppError:
        raise AppError(
            422, "validation_error", errors=[FieldError("roomId", "no such room")]
        ) from None
    if room.venue_id != venue_id:
        raise AppError(
            422, "validation_error", errors=[FieldError("venueId", "is not the room's venue")]
        )


async def _replace_sessions(
    session: AsyncSession, program_id: UUID, days: Sequence[calendar.Day]
) -> None:
    """A draft's sessions follow its schedule and term; nothing holds a room yet."""
    await session.execute(delete(Session).where(Session.program_id == program_id))
    await session.execute(
        insert(Session),
        [
            {
                "id": new_id(),
                "program_id": program_id,
                "date": d.date,
                "starts_at": d.starts_at,
                "ends_at": d.ends_at,
                "status": "scheduled",
            }
            for d in days
        ],
    )


def _schedule(raw: Any) -> list[dict[str, Any]]:
    return [{"weekday": s.weekday, "starts": s.starts, "ends": s.ends} for s in raw]


async def create_program(
    session: AsyncSession, by: UUID, data: ProgramIn, *, now: datetime
) -> ProgramOut:
    values: dict[str, Any] = {
        "name": clean_text(data.name, field="name", max_length=100),
        "kind": data.kind,
        "venue_id": data.venue_id,
        "room_id": data.room_id,
        "description": data.description.strip(),
        "min_age_months": data.min_age_months,
        "max_age_months": data.max_age_months,
        "age_on": data.age_on,
        "schedule": _schedule(data.schedule),
        "term_starts": data.term_starts,
        "term_ends": data.term_ends,
        "capacity": data.capacity,
        "fee": data.fee,
        "application_opens_at": data.application_opens_at,
        "application_closes_at": data.application_closes_at,
        "allocation": data.allocation,
        "offer_hours": data.offer_hours,
    }
    days = _check(values)
    await _check_room(session, data.venue_id, data.room_id)
    program = Program(id=new_id(), created_by=by, created_at=now, updated_at=now, **values)
    session.add(program)
    await session.flush()
    await _replace_sessions(session, program.id, days)
    return await _out(session, program)


async def update_program(
    session: AsyncSession, program_id: UUID, data: ProgramPatch, *, now: datetime
) -> ProgramOut:
    """A draft changes freely; a published program only its name, description, fee and offer
    time (409 ``program_not_draft`` otherwise)."""
    program = await locked_program(session, program_id)
    changes = {
        name: getattr(data, name)
        for name in data.__struct_fields__
        if getattr(data, name) is not getattr(ProgramPatch(), name)
    }
    if program.status != "draft" and set(changes) - AFTER_PUBLISHING:
        raise AppError(409, "program_not_draft")
    if "name" in changes:
        changes["name"] = clean_text(changes["name"], field="name", max_length=100)
    if "schedule" in changes:
        changes["schedule"] = _schedule(changes["schedule"])
    values = {
        name: changes.get(name, getattr(program, name))
        for name in (
            "age_on",
            "term_starts",
            "term_ends",
            "min_age_months",
            "max_age_months",
            "application_opens_at",
            "application_closes_at",
            "schedule",
        )
    }
    days = _check(values)
    for name, value in changes.items():
        setattr(program, name, value)
    program.updated_at = now
    if program.status == "draft" and {"schedule", "term_starts", "term_ends"} & set(changes):
        await _replace_sessions(session, program.id, days)
    await session.flush()
    return await _out(session, program)


async def publish_program(
    session: AsyncSession, program_id: UUID, *, by: UUID, now: datetime, data_key: bytes
) -> ProgramOut:
    """Publish a draft: every session holds the program's room (409 ``booking_conflict`` if
    any of them clashes with a booking, nothing held); a session a closure already covers is
    cancelled, not held."""
    program = await locked_program(session, program_id)
    if program.status != "draft":
        raise AppError(409, "program_not_draft")
    sessions = (
        await session.scalars(
            select(Session)
            .where(Session.program_id == program.id, Session.status == "scheduled")
            .order_by(Session.date)
        )
    ).all()
    holds = await hub.hold_room_spans(
        session,
        kind="childcare",
        room_id=program.room_id,
        spans=[(s.starts_at, s.ends_at) for s in sessions],
        title=program.name,
        held_by=by,
        now=now,
        data_key=data_key,
    )
    for row, hold in zip(sessions, holds, strict=True):
        row.room_hold_id = hold
        if hold is None:
            row.status, row.cancel_reason = "cancelled", "room closed"
    program.status, program.published_at, program.updated_at = "published", now, now
    await session.flush()
    return await _out(session, program)


async def set_teachers(
    session: AsyncSession, program_id: UUID, user_ids: Sequence[UUID]
) -> ProgramOut:
    """The program's teachers become exactly ``user_ids``, community workers all (422
    ``not_a_worker`` naming the first that is not)."""
    program = await locked_program(session, program_id)
    wanted = list(dict.fromkeys(user_ids))
    workers = set(
        (
            await session.scalars(select(User.id).where(User.id.in_(wanted), User.role == "worker"))
        ).all()
    )
    for i, user_id in enumerate(wanted):
        if user_id not in workers:
            raise AppError(
                422,
                "not_a_worker",
                errors=[FieldError(f"userIds[{i}]", "is not a community worker")],
            )
    await session.execute(delete(ProgramTeacher).where(ProgramTeacher.program_id == program.id))
    if wanted:
        await session.execute(
            insert(ProgramTeacher), [{"program_id": program.id, "user_id": u} for u in wanted]
        )
    return await _out(session, program)


async def get_program(
    session: AsyncSession, program_id: UUID, *, published_only: bool
) -> ProgramOut:
    program = await session.get(Program, program_id)
    if program is None or (published_only and program.status != "published"):
        raise AppError(404, "not_found")
    return await _out(session, program)


PROGRAMS = Keyset("childcare-programs", (UUID,))


async def list_programs(
    session: AsyncSession, *, published_only: bool, limit: int, cursor: str | None
) -> Page[ProgramOut]:
    """Programs in the order they were created (staff see drafts too)."""
    after = PROGRAMS.decode(cursor)
    query = select(Program)
    if published_only:
        query = query.where(Program.status == "published")
    if after is not None:
        query = query.where(Program.id > after[0])
    rows = (await session.scalars(query.order_by(Program.id).limit(limit + 1))).all()
    page, next_cursor = PROGRAMS.paginate(rows, limit, lambda p: [p.id])
    return Page(items=[await _out(session, p) for p in page], next_cursor=next_cursor)


async def is_teacher(session: AsyncSession, program_id: UUID, user_id: UUID) -> bool:
    """For the attendance side: whether ``user_id`` teaches the program."""
    found = await session.execute(
        select(ProgramTeacher.user_id).where(
            ProgramTeacher.program_id == program_id, ProgramTeacher.user_id == user_id
        )
    )
    return found.first() is not None
