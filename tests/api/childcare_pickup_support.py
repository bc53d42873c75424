"""A childcare session's day for the pickup tests: a program with its teacher, today's session
and enrolled children of their guardians' households.

The program, session and enrolment rows are written directly: the tests here are about the
door, and the programs' own tests make them through the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.childcare.models import Application, Program, ProgramTeacher, Session
from backend.core.base import new_id
from backend.core.clock import LOCAL_TZ, FrozenClock, local_date_of
from tests.factories import Account, MakeUser, add_member

Sessions = async_sessionmaker[AsyncSession]
PROGRAMS = "/api/v1/manage/childcare/programs"


@dataclass
class Child:
    id: UUID
    name: str
    guardian: Account
    enrollment_id: UUID


@dataclass
class Day:
    program_id: UUID
    session_id: UUID
    date: date
    starts_at: datetime
    ends_at: datetime
    teacher: Account
    children: list[Child] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"{PROGRAMS}/{self.program_id}/sessions/{self.date.isoformat()}"


def afternoon(clock: FrozenClock) -> None:
    """The clock at 15:00 (Asia/Shanghai) of the next day: a session at 14:00–17:00 runs,
    whatever the real time of the run (near midnight, "today" would be another day soon)."""
    tomorrow = local_date_of(clock.now()) + timedelta(days=1)
    clock.set(datetime(tomorrow.year, tomorrow.month, tomorrow.day, 15, tzinfo=LOCAL_TZ))


async def program_with_session(
    db: Sessions,
    make_user: MakeUser,
    clock: FrozenClock,
    *,
    children: int = 1,
    day: date | None = None,
    name: str = "四点半课堂",
) -> Day:
    """A program taught by a new worker, with a session on ``day`` (today) 14:00–17:00 and
    ``children`` enrolled children, each of their own guardian's household."""
    today = day or local_date_of(clock.now())
    teacher = await make_user("worker")
    creator = await make_user("staff")
    starts = datetime(today.year, today.month, today.day, 14, tzinfo=LOCAL_TZ)
    ends = starts + timedelta(hours=3)
    program_id, session_id = new_id(), new_id()
    now = clock.now()
    async with db() as s, s.begin():
        await s.execute(
            insert(Program).values(
                id=program_id,
                name=name,
                kind="after_school",
                venue_id=new_id(),
                room_id=new_id(),
                min_age_months=36,
                max_age_months=160,
                age_on=today,
                schedule=[{"weekday": today.isoweekday(), "starts": "14:00", "ends": "17:00"}],
                term_starts=today - timedelta(days=30),
                term_ends=today + timedelta(days=60),
                capacity=40,
                application_opens_at=now - timedelta(days=60),
                application_closes_at=now - timedelta(days=40),
                allocation="first_come",
                status="published",
                created_by=creator.id,
            )
        )
        await s.execute(insert(ProgramTeacher).values(program_id=program_id, user_id=teacher.id))
        await s.execute(
            insert(Session).values(
                id=session_id, program_id=program_id, date=today, starts_at=starts, ends_at=ends
            )
        )
    result = Day(program_id, session_id, today, starts, ends, teacher)
    for i in range(children):
        result.children.append(await enrol(db, make_user, result, f"孩子{i}"))
    return result


async def enrol(db: Sessions, make_user: MakeUser, day: Day, name: str) -> Child:
    guardian = await make_user("resident")
    birth = day.date.replace(year=day.date.year - 7)
    child_id = await add_member(db, guardian.id, name, birth)
    enrollment_id = new_id()
    async with db() as s, s.begin():
        await s.execute(
            insert(Application).values(
                id=enrollment_id,
                program_id=day.program_id,
                child_id=child_id,
                household_id=guardian.id,
                status="enrolled",
                queue_seq=1,
            )
        )
    return Child(child_id, name, guardian, enrollment_id)


async def add_session(db: Sessions, day: Day, on: date) -> UUID:
    """Another session of the program, 14:00–17:00 on ``on``."""
    session_id = new_id()
    starts = datetime(on.year, on.month, on.day, 14, tzinfo=LOCAL_TZ)
    async with db() as s, s.begin():
        await s.execute(
            insert(Session).values(
                id=session_id,
                program_id=day.program_id,
                date=on,
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
            )
        )
    return session_id


async def add_teacher(db: Sessions, day: Day, user_id: UUID) -> None:
    async with db() as s, s.begin():
        await s.execute(insert(ProgramTeacher).values(program_id=day.program_id, user_id=user_id))
