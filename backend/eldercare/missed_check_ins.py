"""The community workers' side of missed check-ins: the day's list, and "I reached the elder".

A worker reads what they need to reach the elder — name, the masked address, lives alone, the
emergency contacts to call — and nothing more (no health notes, no full address). Recording
that an elder was reached is one conditional ``UPDATE … WHERE reached_at IS NULL``: of two
workers recording at once, one wins and the other is told 409 ``already_reached``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.errors import AppError
from backend.core.pagination import Keyset
from backend.eldercare import wire
from backend.eldercare.models import CareCheckInAlert, CareProfile
from backend.eldercare.profiles import clean_notes
from backend.identity import lookup
from backend.notifications.service import notify
from schemas.common import Page
from schemas.eldercare import CareWorkerRef, MissedCareCheckInOut

MISSED_CHECK_INS = Keyset("care-missed-check-ins", (datetime, UUID))


async def _out(session: AsyncSession, rows: list[Any]) -> list[MissedCareCheckInOut]:
    profiles = [profile for _, profile in rows]
    members = await lookup.member_names(session, [p.member_id for p in profiles if p.member_id])
    people = await lookup.people(
        session,
        {p.owner_id for p in profiles if p.member_id is None}
        | {a.reached_by for a, _ in rows if a.reached_by is not None},
    )
    out = []
    for alert, profile in rows:
        name = (
            members.get(profile.member_id, "")
            if profile.member_id
            else people[profile.owner_id].display_name
        )
        worker = people.get(alert.reached_by) if alert.reached_by else None
        reached_by = CareWorkerRef(id=worker.id, name=worker.display_name) if worker else None
        out.append(wire.missed_check_in(alert, profile, name=name, reached_by=reached_by))
    return out


async def list_missed(
    session: AsyncSession, day: date, *, limit: int, cursor: str | None
) -> Page[MissedCareCheckInOut]:
    """The alerts of one Asia/Shanghai day, missing longest first (by ``dueBy``), whatever
    their state (a late check-in shows ``checked_in``, a reached elder ``reached``)."""
    after = MISSED_CHECK_INS.decode(cursor)
    query = (
        select(CareCheckInAlert, CareProfile)
        .join(CareProfile, CareProfile.id == CareCheckInAlert.care_profile_id)
        .where(CareCheckInAlert.day == day)
    )
    key = tuple_(CareCheckInAlert.due_at, CareCheckInAlert.id)
    if after is not None:
        query = query.where(key > tuple_(*after))
    ordered = query.order_by(CareCheckInAlert.due_at, CareCheckInAlert.id).limit(limit + 1)
    rows = (await session.execute(ordered)).all()
    page, next_cursor = MISSED_CHECK_INS.paginate(
        rows, limit, lambda row: [row[0].due_at, row[0].id]
    )
    return Page(items=await _out(session, list(page)), next_cursor=next_cursor)


async def record_reached(
    session: AsyncSession, alert_id: UUID, worker_id: UUID, note: str, *, now: datetime
) -> MissedCareCheckInOut:
    """A worker reached the elder of an alert: who, when, the note; the household is told.
    Recorded already: 409 ``already_reached``; no such alert: 404."""
    text = clean_notes(note, field="note") or ""
    alert = (
        await session.scalars(
            update(CareCheckInAlert)
            .where(CareCheckInAlert.id == alert_id, CareCheckInAlert.reached_at.is_(None))
            .values(reached_at=now, reached_by=worker_id, reached_note=text)
            .returning(CareCheckInAlert),
            execution_options={"populate_existing": True},
        )
    ).one_or_none()
    if alert is None:
        found = await session.execute(
            select(CareCheckInAlert.id).where(CareCheckInAlert.id == alert_id)
        )
        raise AppError(409, "already_reached") if found.first() else AppError(404, "not_found")
    profile = (
        await session.scalars(select(CareProfile).where(CareProfile.id == alert.care_profile_id))
    ).one()
    [out] = await _out(session, [(alert, profile)])
    await notify(
        session,
        user_id=profile.owner_id,
        kind="care_check_in_reached",
        data={
            "alertId": alert.id,
            "careProfileId": profile.id,
            "memberId": profile.member_id,
            "name": out.name,
            "workerName": out.reached_by.name if out.reached_by else "",
            "reachedAt": now,
            "note": text,
        },
    )
    return out
