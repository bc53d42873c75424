"""Absences the guardians report before a session: the child shows as excused on the roster,
and, never checked in, is never the subject of a late-pickup alert."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.childcare import wire_pickup
from backend.childcare.models import Application, Session
from backend.childcare.models_pickup import Absence
from backend.core.clock import to_local
from backend.core.errors import AppError
from backend.core.security import encrypt
from backend.identity.service import clean_text
from schemas.childcare_pickup import AbsenceIn, AbsenceOut


async def report_absence(
    session: AsyncSession,
    household_id: UUID,
    enrollment_id: UUID,
    data: AbsenceIn,
    *,
    data_key: bytes,
    now: datetime,
) -> AbsenceOut:
    """The guardian of an enrolled child, for a scheduled session of the program that has not
    started (422 `absence_date_invalid`); once per session (409)."""
    enrolment = (
        await session.execute(
            select(Application.program_id).where(
                Application.id == enrollment_id,
                Application.household_id == household_id,
                Application.status == "enrolled",
            )
        )
    ).first()
    if enrolment is None:
        raise AppError(404, "not_found")
    reason = clean_text(data.reason, field="reason", max_length=200)
    target = (
        await session.execute(
            select(Session.id).where(
                Session.program_id == enrolment.program_id,
                Session.date == data.date,
                Session.status == "scheduled",
                Session.starts_at > now,
            )
        )
    ).scalar_one_or_none()
    if target is None:
        raise AppError(422, "absence_date_invalid")
    row = (
        await session.scalars(
            pg_insert(Absence)
            .values(
                enrollment_id=enrollment_id,
                session_id=target,
                reason_enc=encrypt(data_key, wire_pickup.ABSENCE_REASON, reason),
                reported_by=household_id,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=[Absence.enrollment_id, Absence.session_id])
            .returning(Absence)
        )
    ).one_or_none()
    if row is None:
        raise AppError(409, "absence_already_reported")
    return AbsenceOut(
        id=row.id,
        enrollment_id=enrollment_id,
        date=data.date,
        reason=reason,
        created_at=to_local(row.created_at),
    )
