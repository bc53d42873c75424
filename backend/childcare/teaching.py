"""Who may see and take a program's attendance, and the rows a day of it starts from.

One place decides it: a worker only for the programs they teach (another program's roster is
403, as a worker is refused another venue's bookings), admins (and, for the records, staff)
for every program; a program that does not exist is a 404 for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.childcare.models import Application, Program, Session
from backend.childcare.programs import is_teacher
from backend.core.auth import AuthUser, Role
from backend.core.errors import AppError


@dataclass(frozen=True, slots=True)
class Enrolled:
    enrollment_id: UUID
    child_id: UUID
    household_id: UUID


async def require_program(
    session: AsyncSession, actor: AuthUser, program_id: UUID, *, others: tuple[Role, ...]
) -> Program:
    """The program, once the caller may see its attendance: one of its teachers, or a role
    of ``others`` (the route's guard has already kept every other role out)."""
    program = await session.get(Program, program_id)
    if program is None:
        raise AppError(404, "not_found")
    if actor.role in others:
        return program
    if not await is_teacher(session, program_id, actor.id):
        raise AppError(403, "forbidden")
    return program


async def session_on(session: AsyncSession, program_id: UUID, day: date) -> Session:
    row = (
        await session.execute(
            select(Session).where(Session.program_id == program_id, Session.date == day)
        )
    ).scalar_one_or_none()
    if row is None:
        raise AppError(404, "not_found")
    return row


async def enrolled(
    session: AsyncSession, program_id: UUID, child_id: UUID | None = None
) -> list[Enrolled]:
    """The program's enrolled children (an enrolment is an application ``enrolled``)."""
    query = select(Application.id, Application.child_id, Application.household_id).where(
        Application.program_id == program_id, Application.status == "enrolled"
    )
    if child_id is not None:
        query = query.where(Application.child_id == child_id)
    rows = await session.execute(query.order_by(Application.id))
    return [Enrolled(r.id, r.child_id, r.household_id) for r in rows]
