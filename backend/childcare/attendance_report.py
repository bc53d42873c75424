"""Attendance records for staff: a program's month, per session and per child, and the same
day by day as a CSV file for Excel.

A session counts once it has started (a future day is neither present nor absent); its
children are those enrolled now. ``present`` is checked in (picked up or not), ``excused`` an
absence reported beforehand, ``absent`` neither; a late pickup is one taken (or still not)
after the guardians' alert time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.childcare import checkout_rules
from backend.childcare.models import Session
from backend.childcare.models_pickup import Absence, Attendance
from backend.childcare.teaching import enrolled, require_program
from backend.core.auth import AuthUser, Role
from backend.core.clock import LOCAL_TZ
from backend.core.months import month_of
from backend.core.spreadsheets import csv_cell, csv_file
from backend.identity import lookup
from schemas.childcare_pickup import AttendanceOut, ChildAttendance, SessionAttendance

_HEADER = ("日期", "孩子", "状态", "签到时间", "送来的人", "签退时间", "接走的人", "迟接")
_LABELS = {"present": "在园", "picked_up": "已接走", "excused": "请假", "absent": "缺勤"}


@dataclass(slots=True)
class _Day:
    day: date
    rows: list[tuple[UUID, str, Attendance | None]] = field(default_factory=list)


async def _month(
    session: AsyncSession, actor: AuthUser, program_id: UUID, month: str, now: datetime
) -> tuple[list[_Day], dict[UUID, str], list[Session], datetime]:
    await require_program(session, actor, program_id, others=(Role.STAFF, Role.ADMIN))
    chosen = month_of(month, now)
    first, after = chosen.first, chosen.following
    sessions = list(
        await session.scalars(
            select(Session)
            .where(
                Session.program_id == program_id,
                Session.date >= first,
                Session.date < after,
                Session.status == "scheduled",
                Session.starts_at <= now,
            )
            .order_by(Session.date)
        )
    )
    children = await enrolled(session, program_id)
    found = await lookup.member_names(session, [c.child_id for c in children])
    names = {c.child_id: found.get(c.child_id, "") for c in children}
    ids = [s.id for s in sessions]
    seen = {
        (a.session_id, a.child_id): a
        for a in await session.scalars(select(Attendance).where(Attendance.session_id.in_(ids)))
    }
    excused = {
        (a.session_id, a.enrollment_id)
        for a in await session.scalars(select(Absence).where(Absence.session_id.in_(ids)))
    }
    days: list[_Day] = []
    for s in sessions:
        day = _Day(s.date)
        for c in children:
            a = seen.get((s.id, c.child_id))
            status = (
                ("picked_up" if a.checked_out_at else "present")
                if a is not None
                else ("excused" if (s.id, c.enrollment_id) in excused else "absent")
            )
            day.rows.append((c.child_id, status, a))
        days.append(day)
    return days, names, sessions, now


def _late(a: Attendance | None, s: Session, now: datetime) -> bool:
    return a is not None and checkout_rules.is_late(s.ends_at, a.checked_out_at, now)


async def month_attendance(
    session: AsyncSession, actor: AuthUser, program_id: UUID, month: str, *, now: datetime
) -> AttendanceOut:
    days, names, sessions, now = await _month(session, actor, program_id, month, now)
    per_child = {
        cid: ChildAttendance(child_id=cid, name=n, present=0, absent=0, excused=0, late_pickups=0)
        for cid, n in names.items()
    }
    out_sessions: list[SessionAttendance] = []
    for day, s in zip(days, sessions, strict=True):
        counts = SessionAttendance(date=day.day, present=0, absent=0, excused=0, late_pickups=0)
        for child_id, status, a in day.rows:
            child = per_child[child_id]
            kind = "present" if status == "picked_up" else status
            setattr(counts, kind, getattr(counts, kind) + 1)
            setattr(child, kind, getattr(child, kind) + 1)
            if _late(a, s, now):
                counts.late_pickups += 1
                child.late_pickups += 1
        out_sessions.append(counts)
    return AttendanceOut(
        program_id=program_id,
        month=month,
        sessions=out_sessions,
        children=sorted(per_child.values(), key=lambda c: (c.name, str(c.child_id))),
    )


def _time(moment: datetime | None) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%H:%M") if moment else ""


async def month_attendance_csv(
    session: AsyncSession, actor: AuthUser, program_id: UUID, month: str, *, now: datetime
) -> tuple[str, bytes]:
    days, names, sessions, now = await _month(session, actor, program_id, month, now)
    lines = [
        (
            day.day.isoformat(),
            csv_cell(names.get(child_id)),
            _LABELS[status],
            _time(a.checked_in_at) if a else "",
            csv_cell(a.brought_by) if a else "",
            _time(a.checked_out_at) if a else "",
            csv_cell(a.picked_up_by) if a else "",
            "是" if _late(a, s, now) else "",
        )
        for day, s in zip(days, sessions, strict=True)
        for child_id, status, a in sorted(day.rows, key=lambda r: names.get(r[0], ""))
    ]
    filename = f"childcare-attendance-{month}-{program_id}.csv"
    return filename, csv_file(_HEADER, lines)
