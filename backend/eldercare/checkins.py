"""The daily "I am safe" (平安报): a household taps once a day for an elder whose profile has the
daily check-in on.

One check-in per elder and Asia/Shanghai day is the unique index's: the write is
``INSERT … ON CONFLICT DO NOTHING``, and a second tap that day answers the first one (200, where
the first answered 201). The check-in first updates the profile's ``last_check_in_on``: that
row lock orders it with the missed-check-in scan (``checkin_alerts``), so either the scan sees
the check-in and alerts nobody, or it alerted first and the check-in closes the alert here.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.clock import local_date_of
from backend.core.errors import AppError
from backend.core.pagination import Keyset
from backend.eldercare import checkin_alerts, wire
from backend.eldercare.models import CareCheckIn, CareCheckInAlert, CareProfile
from backend.eldercare.profiles import elder_name, subject
from backend.identity import lookup
from schemas.common import Page
from schemas.eldercare import CareCheckInOut

MY_CHECK_INS = Keyset("care-check-ins", (UUID,))


async def check_in(
    session: AsyncSession,
    user_id: UUID,
    member_id: UUID | None,
    *,
    data_key: bytes,
    now: datetime,
) -> tuple[int, CareCheckInOut]:
    """Record today's check-in of the household's elder: (201, it), or (200, the one already
    made today). No profile, or the check-in off: 422 ``check_in_not_enabled``."""
    name = await elder_name(session, user_id, member_id, data_key=data_key, now=now)
    today = local_date_of(now)
    profile = (
        await session.execute(
            update(CareProfile)
            .where(subject(user_id, member_id), CareProfile.check_in_enabled.is_(True))
            .values(
                last_check_in_on=func.greatest(CareProfile.last_check_in_on, today),
                # Not a change of the profile the household made.
                updated_at=CareProfile.updated_at,
            )
            .returning(
                CareProfile.id,
                CareProfile.owner_id,
                CareProfile.member_id,
                CareProfile.emergency_contacts,
                CareProfile.check_in_due_by,
            )
        )
    ).one_or_none()
    if profile is None:
        raise AppError(422, "check_in_not_enabled")
    profile_id, due_by = profile.id, profile.check_in_due_by
    made = (
        await session.scalars(
            pg_insert(CareCheckIn)
            .values(care_profile_id=profile_id, day=today, checked_in_at=now, checked_in_by=user_id)
            .on_conflict_do_nothing(index_elements=["care_profile_id", "day"])
            .returning(CareCheckIn)
        )
    ).one_or_none()
    if made is None:
        existing = (
            await session.scalars(
                select(CareCheckIn).where(
                    CareCheckIn.care_profile_id == profile_id, CareCheckIn.day == today
                )
            )
        ).one()
        return 200, wire.check_in(existing, member_id=member_id, name=name, due_by=due_by)
    # A late check-in closes the day's alert (the workers' list shows it checked in).
    closed = (
        await session.execute(
            update(CareCheckInAlert)
            .where(
                CareCheckInAlert.care_profile_id == profile_id,
                CareCheckInAlert.day == today,
                CareCheckInAlert.resolved_at.is_(None),
            )
            .values(resolved_at=now)
            .returning(CareCheckInAlert.id, CareCheckInAlert.escalated_at)
        )
    ).one_or_none()
    if closed is not None:
        await checkin_alerts.tell_checked_in(
            session,
            profile,
            alert_id=closed.id,
            escalated=closed.escalated_at is not None,
            name=name,
            by=user_id,
            now=now,
        )
    return 201, wire.check_in(made, member_id=member_id, name=name, due_by=due_by)


async def list_my_check_ins(
    session: AsyncSession,
    user_id: UUID,
    member_id: UUID | None,
    *,
    every_elder: bool,
    data_key: bytes,
    limit: int,
    cursor: str | None,
) -> Page[CareCheckInOut]:
    """The household's check-ins, newest first: of every elder, or of one (``member_id``, None
    for the resident themself). Another household's member: 404."""
    after = MY_CHECK_INS.decode(cursor)
    if (
        not every_elder
        and member_id is not None
        and not await lookup.members_of(session, user_id, [member_id])
    ):
        raise AppError(404, "not_found")
    query = (
        select(CareCheckIn, CareProfile.member_id, CareProfile.check_in_due_by)
        .join(CareProfile, CareProfile.id == CareCheckIn.care_profile_id)
        .where(CareProfile.owner_id == user_id)
    )
    if not every_elder:
        query = query.where(subject(user_id, member_id))
    if after is not None:
        query = query.where(CareCheckIn.id < after[0])
    rows = (await session.execute(query.order_by(CareCheckIn.id.desc()).limit(limit + 1))).all()
    page, next_cursor = MY_CHECK_INS.paginate(rows, limit, lambda row: [row[0].id])
    names = await _names(session, user_id, {row.member_id for row in page}, data_key=data_key)
    return Page(
        items=[
            wire.check_in(row[0], member_id=row.member_id, name=names[row.member_id], due_by=row[2])
            for row in page
        ],
        next_cursor=next_cursor,
    )


async def _names(
    session: AsyncSession, user_id: UUID, member_ids: set[UUID | None], *, data_key: bytes
) -> dict[UUID | None, str]:
    members = [m for m in member_ids if m is not None]
    names: dict[UUID | None, str] = {
        m.id: m.name for m in await lookup.members_of(session, user_id, members)
    }
    if None in member_ids:
        resident = await lookup.resident_info(session, user_id, data_key=data_key)
        names[None] = resident.display_name if resident else ""
    return names
