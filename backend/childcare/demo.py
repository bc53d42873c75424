"""Demo data of childcare: four programs at the Gaozhao complex (四点半课堂, 暑托班, 托育,
亲子), taught by the demo worker, and applications for the demo households' children. Safe to
run twice: a program that exists by name is kept, an application is not made twice."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.childcare import programs
from backend.childcare.models import Application, Program
from backend.config import Settings
from backend.core.base import new_id
from backend.core.clock import LOCAL_TZ
from backend.core.errors import AppError
from backend.hub.models import Room, Venue
from backend.identity import service as identity
from backend.identity.models import HouseholdMember
from schemas.childcare import ProgramIn, ScheduleSlot

STAFF_PHONE, WORKER_PHONE = "13900000003", "13900000002"
WEEKDAYS = range(1, 6)


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LOCAL_TZ)


# name, kind, room, schedule, term, ages (months) on, capacity, fee, allocation, closes
PROGRAMS: list[dict[str, Any]] = [
    {
        "name": "四点半课堂",
        "kind": "after_school",
        "room": "阅览室",
        "description": "放学后到 18:00 的作业辅导与看护，由社区工作者和志愿者带班。",
        "slots": [(d, "16:30", "18:00") for d in WEEKDAYS],
        "term": (date(2027, 3, 1), date(2027, 6, 30)),
        "ages": (72, 144, date(2027, 3, 1)),
        "capacity": 30,
        "fee": 60000,
        "allocation": "first_come",
        "closes": date(2027, 2, 20),
    },
    {
        "name": "暑托班",
        "kind": "holiday",
        "room": "多功能活动室",
        "description": "暑假工作日上午的看护、阅读和手工课；名额有限，报名截止后公开摇号。",
        "slots": [(d, "08:30", "11:30") for d in WEEKDAYS],
        "term": (date(2027, 7, 12), date(2027, 8, 20)),
        "ages": (72, 144, date(2027, 7, 1)),
        "capacity": 20,
        "fee": 80000,
        "allocation": "lottery",
        "closes": date(2027, 6, 1),
    },
    {
        "name": "托育·小小班",
        "kind": "infant",
        "room": "儿童游戏室",
        "description": "一至三岁幼儿的工作日上午托育。",
        "slots": [(d, "09:00", "11:00") for d in WEEKDAYS],
        "term": (date(2027, 3, 1), date(2027, 6, 30)),
        "ages": (12, 36, date(2027, 3, 1)),
        "capacity": 12,
        "fee": 150000,
        "allocation": "first_come",
        "closes": date(2027, 2, 20),
    },
    {
        "name": "周六亲子时光",
        "kind": "parent_child",
        "room": "儿童游戏室",
        "description": "家长和孩子一起参加的绘本、游戏和手工活动。",
        "slots": [(6, "09:30", "11:00")],
        "term": (date(2027, 3, 6), date(2027, 6, 26)),
        "ages": (0, 72, date(2027, 3, 1)),
        "capacity": 15,
        "fee": 0,
        "allocation": "first_come",
        "closes": date(2027, 6, 20),
    },
]
# (household phone, child, program name)
APPLICATIONS = [
    ("13900000011", "张小雨", "四点半课堂"),
    ("13900000013", "刘子萱", "四点半课堂"),
    ("13900000011", "张小雨", "暑托班"),
    ("13900000013", "刘子涵", "暑托班"),
]


async def load(session: AsyncSession, settings: Settings) -> list[str]:
    staff = await identity.find_user_by_phone(session, STAFF_PHONE)
    worker = await identity.find_user_by_phone(session, WORKER_PHONE)
    assert staff is not None
    assert worker is not None
    rooms = dict(
        (
            await session.execute(
                select(Room.name, Room.id).join(Venue).where(Venue.name == "高照三合一")
            )
        ).all()
    )
    venue_id = await session.scalar(select(Venue.id).where(Venue.name == "高照三合一"))
    assert venue_id is not None  # the hub's demo made it
    now = datetime.now(LOCAL_TZ)
    made, published = 0, 0
    by_name: dict[str, UUID] = {}
    for spec in PROGRAMS:
        found = await session.scalar(select(Program.id).where(Program.name == spec["name"]))
        if found is not None:
            by_name[spec["name"]] = found
            continue
        low, high, on = spec["ages"]
        data = ProgramIn(
            name=spec["name"],
            kind=spec["kind"],
            venue_id=venue_id,
            room_id=rooms[spec["room"]],
            min_age_months=low,
            max_age_months=high,
            age_on=on,
            schedule=[ScheduleSlot(w, s, e) for w, s, e in spec["slots"]],
            term_starts=spec["term"][0],
            term_ends=spec["term"][1],
            capacity=spec["capacity"],
            application_opens_at=now - timedelta(days=1),
            application_closes_at=_at(spec["closes"], 18),
            allocation=spec["allocation"],
            description=spec["description"],
            fee=spec["fee"],
        )
        program = await programs.create_program(session, staff.id, data, now=now)
        await programs.set_teachers(session, program.id, [worker.id])
        made += 1
        by_name[spec["name"]] = program.id
        try:
            # A demo booking in the way leaves the program a draft rather than failing the load.
            async with session.begin_nested():
                await programs.publish_program(
                    session, program.id, by=staff.id, now=now, data_key=settings.data_key
                )
            published += 1
        except AppError:
            pass
    applied = 0
    for phone, child_name, program_name in APPLICATIONS:
        applied += await _apply(session, phone, child_name, by_name[program_name], now)
    await session.flush()
    return [
        f"childcare: {len(PROGRAMS)} programs ({made} new, {published} published), "
        f"{applied} applications new"
    ]


async def _apply(
    session: AsyncSession, phone: str, child_name: str, program_id: UUID, now: datetime
) -> int:
    """The demo households are not verified, so their applications are written here as the
    service would decide them (first come: enrolled while places last)."""
    owner = await identity.find_user_by_phone(session, phone)
    assert owner is not None
    child = await session.scalar(
        select(HouseholdMember.id).where(
            HouseholdMember.owner_id == owner.id, HouseholdMember.name == child_name
        )
    )
    program = await programs.locked_program(session, program_id)
    if child is None or program.status != "published":
        return 0
    exists = await session.scalar(
        select(Application.id).where(
            Application.program_id == program_id, Application.child_id == child
        )
    )
    if exists is not None:
        return 0
    status = "applied"
    seq = None
    if program.allocation == "first_come":
        program.queue_seq += 1
        seq = program.queue_seq
        status = "enrolled" if program.enrolled < program.capacity else "waitlisted"
        program.enrolled += status == "enrolled"
    session.add(
        Application(
            id=new_id(),
            program_id=program_id,
            child_id=child,
            household_id=owner.id,
            status=status,
            queue_seq=seq,
            decided_at=now if status == "enrolled" else None,
            created_at=now,
            updated_at=now,
        )
    )
    return 1
