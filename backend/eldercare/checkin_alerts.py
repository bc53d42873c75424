"""Missed daily check-ins: the alert at ``dueBy``, the escalation two hours later, and what the
community workers see and record.

A periodic job, every minute, runs two steps, each one transaction:

1. **Alert.** A query finds each elder whose check-in is on (since before the day's ``dueBy``),
   whose ``dueBy`` has passed today or yesterday (a worker down over midnight loses nothing)
   with no check-in and no alert that day, and takes their profiles ``FOR SHARE SKIP LOCKED``.
   One ``INSERT … ON CONFLICT DO NOTHING RETURNING`` on the unique (profile, day) records the
   alerts, and only the rows it returns are told — the household and every emergency contact
   whose phone has an account — in the same transaction: once, however many workers scan at
   once (the second waits on the first's key and returns nothing). A check-in in flight holds
   its profile's row (``checkins.check_in`` updates it first) and is skipped this minute; one
   committed while the query ran changed the row, which PostgreSQL re-reads
   (``last_check_in_on``) before locking it: no alert for a check-in that was made.
2. **Escalate.** One conditional ``UPDATE … SET escalated_at WHERE escalated_at IS NULL``
   (still open: no late check-in, nobody reached the elder, the check-in still on) two hours
   after ``dueBy`` ``RETURNING`` the rows to tell the community workers: once, too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Date, column, exists, func, select, true, update, values
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.base import new_id
from backend.core.clock import local_date_of
from backend.eldercare.models import CareCheckIn, CareCheckInAlert, CareProfile
from backend.identity import lookup
from backend.jobs import JobContext, periodic
from backend.notifications.service import notify_many

log = logging.getLogger("qiyou.eldercare")

ESCALATE_AFTER = timedelta(hours=2)
# Community workers: the sub-district has no finer notion of a worker's area than the venues
# they run, so every active worker is told.
ESCALATE_TO_ROLE = "worker"
SCAN_CRON = "* * * * *"
ZONE = "Asia/Shanghai"


def _due(now: datetime) -> Any:
    """Step 1's query: the due (profile, day) pairs not yet checked in nor alerted, locked."""
    today = local_date_of(now)
    days = values(column("day", Date), name="days").data([(today - timedelta(days=1),), (today,)])
    due_at = func.timezone(ZONE, days.c.day + CareProfile.check_in_due_by)
    return (
        select(
            CareProfile.id,
            CareProfile.owner_id,
            CareProfile.member_id,
            CareProfile.emergency_contacts,
            days.c.day,
            due_at.label("due_at"),
        )
        .select_from(CareProfile)
        .join(days, true())
        .where(
            CareProfile.check_in_enabled.is_(True),
            CareProfile.check_in_since <= due_at,
            due_at <= now,
            # On the locked row's newest version: a check-in committed meanwhile wrote it.
            CareProfile.last_check_in_on.is_distinct_from(days.c.day),
            ~exists().where(
                CareCheckIn.care_profile_id == CareProfile.id, CareCheckIn.day == days.c.day
            ),
            ~exists().where(
                CareCheckInAlert.care_profile_id == CareProfile.id,
                CareCheckInAlert.day == days.c.day,
            ),
        )
        .order_by(CareProfile.id, days.c.day)
        .with_for_update(read=True, skip_locked=True, of=CareProfile)
    )


async def _names(session: AsyncSession, rows: Sequence[Any]) -> dict[UUID, str]:
    """Each profile's elder's name: the member's, or the resident's own."""
    members = await lookup.member_names(session, [r.member_id for r in rows if r.member_id])
    owners = await lookup.people(session, [r.owner_id for r in rows if r.member_id is None])
    return {
        r.id: members[r.member_id] if r.member_id else owners[r.owner_id].display_name for r in rows
    }


async def _families(session: AsyncSession, rows: Sequence[Any]) -> dict[UUID, list[UUID]]:
    """Whom an alert tells, by profile: the household (the profile's owner) and every
    emergency contact whose phone has an active account, each once (the owner may be one)."""
    phones = {c["phone"] for r in rows for c in r.emergency_contacts}
    accounts = await lookup.active_ids_by_phone(session, phones)
    families: dict[UUID, list[UUID]] = {}
    for r in rows:
        contacts = [accounts[c["phone"]] for c in r.emergency_contacts if c["phone"] in accounts]
        families[r.id] = list(dict.fromkeys([r.owner_id, *contacts]))
    return families


async def tell_checked_in(
    session: AsyncSession,
    profile: Any,
    *,
    alert_id: UUID,
    escalated: bool,
    name: str,
    by: UUID,
    now: datetime,
) -> None:
    """A late check-in closed an alert: those the alert told hear the elder is safe — the
    household and contacts (but not who tapped), and the workers if it had escalated.
    ``profile`` has ``id``, ``owner_id``, ``member_id`` and ``emergency_contacts``."""
    families = await _families(session, [profile])
    recipients = [u for u in families[profile.id] if u != by]
    if escalated:
        recipients += await lookup.active_ids_with_role(session, ESCALATE_TO_ROLE)
    await notify_many(
        session,
        user_ids=list(dict.fromkeys(recipients)),
        kind="care_check_in_resolved",
        data={
            "alertId": alert_id,
            "careProfileId": profile.id,
            "memberId": profile.member_id,
            "name": name,
            "checkedInAt": now,
        },
    )


async def alert_missing(session: AsyncSession, *, now: datetime) -> int:
    """Step 1, in ``session``'s transaction: record and send the alerts now due; how many."""
    due = (await session.execute(_due(now))).all()
    if not due:
        return 0
    recorded = (
        await session.execute(
            pg_insert(CareCheckInAlert)
            .values(
                [
                    {
                        "id": new_id(),
                        "care_profile_id": r.id,
                        "day": r.day,
                        "due_at": r.due_at,
                        "created_at": now,
                    }
                    for r in due
                ]
            )
            .on_conflict_do_nothing(index_elements=["care_profile_id", "day"])
            .returning(CareCheckInAlert.id, CareCheckInAlert.care_profile_id, CareCheckInAlert.day)
        )
    ).all()
    alert_of = {(r.care_profile_id, r.day): r.id for r in recorded}
    told = [r for r in due if (r.id, r.day) in alert_of]
    names = await _names(session, told)
    families = await _families(session, told)
    for r in told:
        await notify_many(
            session,
            user_ids=families[r.id],
            kind="care_check_in_missed",
            data={
                "alertId": alert_of[(r.id, r.day)],
                "careProfileId": r.id,
                "memberId": r.member_id,
                "name": names[r.id],
                "date": r.day.isoformat(),
                "dueAt": r.due_at,
            },
        )
    return len(told)


async def escalate(session: AsyncSession, *, now: datetime) -> int:
    """Step 2, in ``session``'s transaction: tell the community workers of every alert still
    open two hours after ``dueBy``, once; how many alerts."""
    escalated = (
        await session.execute(
            update(CareCheckInAlert)
            .where(
                CareCheckInAlert.escalated_at.is_(None),
                CareCheckInAlert.resolved_at.is_(None),
                CareCheckInAlert.reached_at.is_(None),
                CareCheckInAlert.due_at <= now - ESCALATE_AFTER,
                CareProfile.id == CareCheckInAlert.care_profile_id,
                # Switched off since (the elder is with the family): nobody is sent out.
                CareProfile.check_in_enabled.is_(True),
            )
            .values(escalated_at=now)
            .returning(
                CareCheckInAlert.id.label("alert_id"),
                CareCheckInAlert.due_at,
                CareProfile.id,
                CareProfile.owner_id,
                CareProfile.member_id,
                CareProfile.address_masked,
            )
        )
    ).all()
    if not escalated:
        return 0
    workers = await lookup.active_ids_with_role(session, ESCALATE_TO_ROLE)
    if not workers:
        log.warning("missed check-ins escalated with no active worker to tell: %d", len(escalated))
    names = await _names(session, escalated)
    for r in escalated:
        await notify_many(
            session,
            user_ids=workers,
            kind="care_check_in_escalated",
            data={
                "alertId": r.alert_id,
                "careProfileId": r.id,
                "name": names[r.id],
                "address": r.address_masked,
                "dueAt": r.due_at,
            },
        )
    return len(escalated)


@periodic("care_check_in_scan", cron=SCAN_CRON)
async def scan_check_ins(ctx: JobContext) -> None:
    """The periodic job: alerts, then escalations, each in a transaction of its own."""
    now = ctx.clock.now()
    async with ctx.sessions() as session, session.begin():
        await alert_missing(session, now=now)
    async with ctx.sessions() as session, session.begin():
        await escalate(session, now=now)
