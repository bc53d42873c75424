"""Rows → the Structs of schemas/childcare.py; nothing else builds a wire type."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from backend.childcare.models import Application, Draw, Program, Session
from backend.core.clock import to_local
from schemas.childcare import ApplicationOut, DrawOut, ProgramOut, ScheduleSlot, SessionOut


def session_out(row: Session) -> SessionOut:
    return SessionOut(
        id=row.id,
        date=row.date,
        starts_at=to_local(row.starts_at),
        ends_at=to_local(row.ends_at),
        status=row.status,
    )


def program_out(
    row: Program, *, teacher_ids: Sequence[UUID], sessions: Sequence[Session]
) -> ProgramOut:
    return ProgramOut(
        id=row.id,
        name=row.name,
        kind=row.kind,
        venue_id=row.venue_id,
        room_id=row.room_id,
        description=row.description,
        min_age_months=row.min_age_months,
        max_age_months=row.max_age_months,
        age_on=row.age_on,
        schedule=[ScheduleSlot(s["weekday"], s["starts"], s["ends"]) for s in row.schedule],
        term_starts=row.term_starts,
        term_ends=row.term_ends,
        capacity=row.capacity,
        fee=row.fee,
        application_opens_at=to_local(row.application_opens_at),
        application_closes_at=to_local(row.application_closes_at),
        allocation=row.allocation,
        offer_hours=row.offer_hours,
        status=row.status,
        enrolled=row.enrolled,
        places_left=row.capacity - row.enrolled,
        drawn=row.drawn_at is not None,
        teacher_ids=sorted(teacher_ids),
        sessions=[session_out(s) for s in sessions],
    )


def application_out(
    row: Application, *, program_name: str, child_name: str, waitlist_position: int | None
) -> ApplicationOut:
    return ApplicationOut(
        id=row.id,
        program_id=row.program_id,
        program_name=program_name,
        child_id=row.child_id,
        child_name=child_name,
        status=row.status,
        priority=row.priority,
        draw_rank=row.draw_rank,
        waitlist_position=waitlist_position if row.status == "waitlisted" else None,
        offer_expires_at=to_local(row.offer_expires_at) if row.status == "offered" else None,
        created_at=to_local(row.created_at),
    )


def draw_out(row: Draw) -> DrawOut:
    return DrawOut(
        program_id=row.program_id,
        seed=row.seed,
        algorithm=row.algorithm,
        priority=[UUID(i) for i in row.priority],
        offered=[UUID(i) for i in row.offered],
        waitlisted=[UUID(i) for i in row.waitlisted],
        drawn_at=to_local(row.drawn_at),
        drawn_by=row.drawn_by,
    )
