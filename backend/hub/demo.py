"""Demo data of the hub: the Gaozhao three-in-one complex, its rooms and rules, the demo worker's
assignment, a choir's weekly booking and a few residents' bookings. Safe to run twice: what
exists (by name, or by owner and purpose) is left alone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.auth import AuthUser, Role
from backend.core.base import new_id
from backend.core.clock import LOCAL_TZ
from backend.core.errors import AppError
from backend.hub import service
from backend.hub.models import ACTIVE_STATUSES, Booking, Room, Venue
from backend.identity import service as identity
from schemas.hub import BookingIn, OpeningHours, RecurringBookingIn, RoomIn, VenueIn

VENUE = "高照三合一"
WORKER_PHONE = "13900000002"

# Every day 08:30–11:30 and 13:30, to 20:30 on weekdays and 17:30 at weekends: the same
# openings every day, so a room's slot grid does not shift with the weekday.
HOURS = [
    OpeningHours(weekday=day, opens=opens, closes=closes)
    for day in range(1, 8)
    for opens, closes in (("08:30", "11:30"), ("13:30", "20:30" if day <= 5 else "17:30"))
]

ROOMS: list[dict[str, Any]] = [
    {
        "name": "多功能活动室",
        "kind": "activity",
        "capacity": 40,
        "slot_minutes": 60,
        "min_minutes": 60,
        "max_minutes": 180,
        "bookable_days_ahead": 14,
        "cancel_cutoff_minutes": 120,
        "max_active_bookings_per_user": 2,
        "amenities": ["投影仪", "音响", "舞蹈镜"],
        "description": "排练、讲座和文艺活动。",
    },
    {
        "name": "书法室",
        "kind": "calligraphy",
        "capacity": 16,
        "slot_minutes": 60,
        "min_minutes": 60,
        "max_minutes": 120,
        "bookable_days_ahead": 7,
        "cancel_cutoff_minutes": 60,
        "max_active_bookings_per_user": 2,
        "amenities": ["书法桌", "笔墨纸砚"],
    },
    {
        "name": "阅览室",
        "kind": "reading",
        "capacity": 30,
        "slot_minutes": 30,
        "min_minutes": 30,
        "max_minutes": 180,
        "bookable_days_ahead": 7,
        "cancel_cutoff_minutes": 30,
        "max_active_bookings_per_user": 1,
        "amenities": ["图书", "空调", "无线网络"],
    },
    {
        "name": "健身房",
        "kind": "gym",
        "capacity": 12,
        "slot_minutes": 30,
        "min_minutes": 30,
        "max_minutes": 90,
        "bookable_days_ahead": 3,
        "cancel_cutoff_minutes": 30,
        "max_active_bookings_per_user": 1,
        "amenities": ["跑步机", "动感单车", "力量器械"],
    },
    {
        "name": "长者食堂",
        "kind": "canteen",
        "capacity": 60,
        "slot_minutes": 60,
        "min_minutes": 60,
        "max_minutes": 240,
        "bookable_days_ahead": 30,
        "cancel_cutoff_minutes": 1440,
        "max_active_bookings_per_user": 1,
        "requires_approval": True,
        "amenities": ["餐桌", "消毒柜"],
        "description": "午餐时段为老人就餐，其余时间可申请寿宴、茶话会等活动。",
    },
    {
        "name": "儿童游戏室",
        "kind": "playroom",
        "capacity": 15,
        "slot_minutes": 60,
        "min_minutes": 60,
        "max_minutes": 120,
        "bookable_days_ahead": 7,
        "cancel_cutoff_minutes": 60,
        "max_active_bookings_per_user": 1,
        "amenities": ["软垫", "绘本", "益智玩具"],
        "description": "“一小”托育活动空间，请家长陪同。",
    },
    {
        "name": "会议室",
        "kind": "meeting",
        "capacity": 20,
        "slot_minutes": 60,
        "min_minutes": 60,
        "max_minutes": 240,
        "bookable_days_ahead": 30,
        "cancel_cutoff_minutes": 240,
        "max_active_bookings_per_user": 1,
        "requires_approval": True,
        "amenities": ["投影仪", "视频会议"],
    },
]

# (resident phone, room, days from today, start, hours, purpose, attendees)
BOOKINGS = [
    ("13900000011", "阅览室", 1, time(14, 30), 1, "陪孩子读绘本", 2),
    ("13900000012", "书法室", 2, time(14, 30), 2, "书法练习", 4),
    ("13900000013", "会议室", 3, time(15, 30), 1, "楼道自治小组议事", 8),
    ("13900000011", "多功能活动室", 4, time(9, 30), 2, "广场舞排练", 16),
]


async def _venue(session: AsyncSession, now: datetime) -> tuple[Venue, bool]:
    venue = (await session.execute(select(Venue).where(Venue.name == VENUE))).scalar_one_or_none()
    if venue is not None:
        return venue, False
    made = await service.create_venue(
        session,
        VenueIn(
            name=VENUE,
            address="浙江省嘉兴市南湖区高照街道",
            opening_hours=HOURS,
            description="高照街道“三合一”社区服务综合体：一老一小、文化活动与居民议事。",
            phone="0573-82000000",
        ),
        now,
    )
    venue = await session.get(Venue, made.id)
    assert venue is not None
    return venue, True


async def load(session: AsyncSession, settings: Settings) -> list[str]:
    now = datetime.now(UTC)
    venue, venue_new = await _venue(session, now)
    have = {
        room.name: room
        for room in (await session.scalars(select(Room).where(Room.venue_id == venue.id))).all()
    }
    rooms_new = 0
    for spec in ROOMS:
        if spec["name"] not in have:
            made = await service.create_room(session, venue.id, RoomIn(**spec), now)
            room = await session.get(Room, made.id)
            assert room is not None
            have[room.name] = room
            rooms_new += 1

    worker = await identity.find_user_by_phone(session, WORKER_PHONE)
    if worker is not None:
        current = await service.worker_venues(session, worker.id)
        ids = {ref.id for ref in current.venues} | {venue.id}
        await service.set_worker_venues(session, worker.id, sorted(ids))

    booked = 0
    today = now.astimezone(LOCAL_TZ).date()
    if worker is not None:
        booked += await _choir(
            session, worker.id, have["多功能活动室"], today, now, settings.data_key
        )
    for phone, room_name, days, start, hours, purpose, attendees in BOOKINGS:
        resident = await identity.find_user_by_phone(session, phone)
        if resident is None:
            continue
        room = have[room_name]
        if await _has(session, resident.id, room.id, purpose, now):
            continue
        starts = datetime.combine(today + timedelta(days=days), start, LOCAL_TZ)
        actor = AuthUser(id=resident.id, role=Role.RESIDENT, session_id=new_id())
        try:
            await service.create_booking(
                session,
                actor,
                BookingIn(
                    room_id=room.id,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=hours),
                    purpose=purpose,
                    attendees=attendees,
                ),
                now,
                data_key=settings.data_key,
            )
            booked += 1
        except AppError:
            # Taken or against a rule on the day the demo runs: the demo is still complete.
            continue
    return [
        f"hub: venue {VENUE} ({'new' if venue_new else 'kept'}), {len(ROOMS)} rooms "
        f"({rooms_new} new), worker {WORKER_PHONE} assigned, {booked} bookings new",
    ]


async def _has(
    session: AsyncSession, user_id: Any, room_id: Any, purpose: str, now: datetime
) -> bool:
    found = await session.scalar(
        select(Booking.id).where(
            Booking.user_id == user_id,
            Booking.room_id == room_id,
            Booking.purpose == purpose,
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.ends_at > now,
        )
    )
    return found is not None


async def _choir(
    session: AsyncSession,
    worker_id: Any,
    room: Room,
    today: date,
    now: datetime,
    data_key: bytes,
) -> int:
    """The 高照合唱团 rehearses every Tuesday evening for eight weeks."""
    purpose = "合唱排练"
    if await _has(session, worker_id, room.id, purpose, now):
        return 0
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
    starts = datetime.combine(tuesday, time(18, 30), LOCAL_TZ)
    actor = AuthUser(id=worker_id, role=Role.WORKER, session_id=new_id())
    try:
        made = await service.create_recurring(
            session,
            actor,
            RecurringBookingIn(
                room_id=room.id,
                group_name="高照合唱团",
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                purpose=purpose,
                attendees=30,
                weeks=8,
            ),
            now,
            data_key=data_key,
        )
    except AppError:
        return 0
    return len(made.bookings)
