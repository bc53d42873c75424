"""Late pickups: a child still in care 15 minutes after the session ended → the guardians are
alerted; 30 minutes → the program's teachers (``childcare_late_pickup``, a safety kind that
ignores quiet hours).

One periodic scan a minute, as the reminders are (architecture.md, "Reminders"): per stage one
statement finds the children still checked in, records an alert row per (session, child,
stage) with ``INSERT … ON CONFLICT DO NOTHING RETURNING``, and only the rows it returns are
sent, in the same transaction. So each alert goes once, however many scans run at once (the
second waits on the first's uncommitted key and returns nothing); a child being checked out
while the scan runs holds its row and is skipped (``FOR SHARE … SKIP LOCKED``), then is no
longer in care; an absent or excused child was never checked in and is never found.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.childcare import checkout_rules
from backend.childcare.models import Application, Program, ProgramTeacher, Session
from backend.childcare.models_pickup import Attendance, LateAlert
from backend.identity import lookup
from backend.jobs import JobContext, periodic
from backend.notifications.service import notify_many
from schemas.childcare_pickup import AlertStage

LATE_PICKUP_CRON = "* * * * *"
# Nobody stays in care overnight: the scan reads only sessions that ended within this window.
LOOK_BACK = timedelta(hours=12)
_AFTER: dict[AlertStage, timedelta] = {
    "guardians": checkout_rules.GUARDIANS_AFTER,
    "teachers": checkout_rules.TEACHERS_AFTER,
}


def _record_due(stage: AlertStage, now: datetime) -> Any:
    after = _AFTER[stage]
    due = (
        select(
            Attendance.session_id,
            Attendance.child_id,
            Session.program_id,
            Session.ends_at,
            Program.name.label("program_name"),
            Application.household_id,
        )
        .join(Session, Session.id == Attendance.session_id)
        .join(Program, Program.id == Session.program_id)
        .join(Application, Application.id == Attendance.enrollment_id)
        .where(
            Attendance.checked_out_at.is_(None),
            Session.ends_at <= now - after,
            Session.ends_at > now - LOOK_BACK,
        )
        .with_for_update(read=True, skip_locked=True, of=Attendance)
        .cte("due")
    )
    recorded = (
        pg_insert(LateAlert)
        .from_select(
            ["session_id", "child_id", "stage", "sent_at"],
            select(due.c.session_id, due.c.child_id, literal(stage), literal(now)),
        )
        .on_conflict_do_nothing()
        .returning(LateAlert.session_id, LateAlert.child_id)
        .cte("recorded")
    )
    return (
        select(due)
        .join(
            recorded,
            and_(
                recorded.c.session_id == due.c.session_id,
                recorded.c.child_id == due.c.child_id,
            ),
        )
        .order_by(due.c.ends_at, due.c.child_id)
    )


async def send_due(session: AsyncSession, stage: AlertStage, *, now: datetime) -> int:
    """Record and send one stage's due alerts in ``session``'s transaction; how many."""
    rows = (await session.execute(_record_due(stage, now))).all()
    if not rows:
        return 0
    names = await lookup.member_names(session, {r.child_id for r in rows})
    teachers: dict[Any, list[Any]] = {}
    if stage == "teachers":
        for program_id, user_id in await session.execute(
            select(ProgramTeacher.program_id, ProgramTeacher.user_id).where(
                ProgramTeacher.program_id.in_({r.program_id for r in rows})
            )
        ):
            teachers.setdefault(program_id, []).append(user_id)
    for r in rows:
        recipients = [r.household_id] if stage == "guardians" else teachers.get(r.program_id, [])
        await notify_many(
            session,
            user_ids=recipients,
            kind="childcare_late_pickup",
            data={
                "childId": str(r.child_id),
                "childName": names.get(r.child_id, ""),
                "programId": str(r.program_id),
                "programName": r.program_name,
                "endsAt": r.ends_at,
                "stage": stage,
            },
        )
    return len(rows)


@periodic("childcare_late_pickups", cron=LATE_PICKUP_CRON)
async def send_late_pickups(ctx: JobContext) -> None:
    """The periodic job: each stage in a transaction of its own."""
    now = ctx.clock.now()
    for stage in ("guardians", "teachers"):
        async with ctx.sessions() as session, session.begin():
            await send_due(session, stage, now=now)
