"""A season of 艳阳高照 events, and the demo residents' registrations for some of them.

Dates are laid out from the day the demo is loaded, so the season is always upcoming. Loading
again finds the events by title and the registrations by resident, and adds nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.clock import LOCAL_TZ, Clock
from backend.core.errors import AppError
from backend.events import service
from backend.events.models import ACTIVE_STATUSES, Event, Registration
from backend.hub import service as hub
from backend.identity import lookup
from schemas.events import EventCreate, EventPatch, RegistrationCreate

STAFF_PHONE = "13900000003"

# The Lantern Festival (正月十五) by the Gregorian calendar.
LANTERN_FESTIVALS = [
    date(2026, 3, 3),
    date(2027, 2, 20),
    date(2028, 2, 9),
    date(2029, 2, 27),
    date(2030, 2, 17),
    date(2031, 2, 6),
]


@dataclass
class Plan:
    title: str
    summary: str
    body: str
    category: str
    audience: str
    location: str
    day: date
    starts: time
    hours: float
    capacity: int
    max_seats: int
    room_kind: str | None = None
    # Demo residents' phone -> (seats, names of household members who come).
    registrations: dict[str, tuple[int, list[str]]] = field(default_factory=dict)


def _next_weekday(today: date, weekday: int, weeks_ahead: int = 0) -> date:
    """The ``weekday`` (1 = Monday) at least two days after today, ``weeks_ahead`` weeks on."""
    start = today + timedelta(days=2)
    return start + timedelta(days=(weekday - start.isoweekday()) % 7, weeks=weeks_ahead)


def season(today: date) -> list[Plan]:
    lantern = next(
        (d for d in LANTERN_FESTIVALS if d > today + timedelta(days=2)),
        today + timedelta(days=60),
    )
    canal_square = "高照街道运河文化广场"
    hall = "高照街道文化礼堂"
    complex_ = "高照三合一服务综合体"
    plans = [
        Plan(
            title="运河文化之夜·船歌与评弹",
            summary="在运河边听船歌、赏评弹，讲述老嘉兴的水乡故事",
            body=(
                "艳阳高照·运河文化之夜第一场。嘉兴评弹团演员现场演唱《运河谣》，民俗学者讲述"
                "大运河嘉兴段的漕运往事。请提前 15 分钟入场，凭入场码签到。"
            ),
            category="canal_culture",
            audience="all",
            location=canal_square,
            day=_next_weekday(today, 5),
            starts=time(19, 0),
            hours=2,
            capacity=120,
            max_seats=4,
            registrations={"13900000011": (3, ["张建国", "张小雨"])},
        ),
        Plan(
            title="运河文化之夜·老码头的故事",
            summary="老船工口述历史，摇橹船模型展示",
            body="艳阳高照·运河文化之夜第二场。三位老船工讲述高照老码头的变迁，现场展示摇橹船模型。",
            category="canal_culture",
            audience="all",
            location=canal_square,
            day=_next_weekday(today, 5, weeks_ahead=2),
            starts=time(19, 0),
            hours=2,
            capacity=120,
            max_seats=4,
        ),
        Plan(
            title="运河夜游·摇橹船体验",
            summary="乘摇橹船夜游运河，名额很少",
            body="每船仅限 4 人，由老船工摇橹，沿运河夜游约一小时。请穿防滑鞋。",
            category="canal_culture",
            audience="all",
            location="高照老码头",
            day=_next_weekday(today, 6, weeks_ahead=1),
            starts=time(18, 30),
            hours=1,
            capacity=4,
            max_seats=2,
            registrations={
                "13900000011": (2, ["张建国"]),
                "13900000013": (2, ["刘子萱"]),
                "13900000012": (1, []),
            },
        ),
        Plan(
            title="越剧专场《梁山伯与祝英台》选段",
            summary="嘉兴越剧团走进社区，演出经典选段",
            body="演出《十八相送》《楼台会》等经典选段，演出约两个半小时，中间休息 15 分钟。",
            category="opera",
            audience="all",
            location=hall,
            day=_next_weekday(today, 7, weeks_ahead=1),
            starts=time(14, 0),
            hours=2.5,
            capacity=200,
            max_seats=4,
            registrations={"13900000012": (2, ["陈桂英"])},
        ),
        Plan(
            title="越剧进社区·名家清唱会",
            summary="越剧名家清唱与戏曲知识讲座",
            body="名家清唱《红楼梦》《碧玉簪》唱段，并讲解越剧流派与唱腔。",
            category="opera",
            audience="all",
            location=hall,
            day=_next_weekday(today, 7, weeks_ahead=4),
            starts=time(14, 0),
            hours=2,
            capacity=200,
            max_seats=4,
        ),
        Plan(
            title="元宵灯会·猜灯谜做花灯",
            summary="正月十五闹元宵：猜灯谜、做花灯、吃汤圆",
            body="全家一起来！现场有灯谜长廊、花灯手作和汤圆品尝，小朋友可把自己做的花灯带回家。",
            category="festival",
            audience="families",
            location=canal_square,
            day=lantern,
            starts=time(18, 30),
            hours=2.5,
            capacity=300,
            max_seats=6,
            registrations={"13900000013": (3, ["刘子涵", "刘子萱"])},
        ),
    ]
    for week in range(4):
        plans.append(
            Plan(
                title=f"长者书法班·笔墨写春秋（第{week + 1}课）",
                summary="面向 60 岁及以上长者的楷书入门课，笔墨纸砚由社区提供",
                body="书法老师手把手教学，从基本笔画到完整作品。每课两小时，可单独报名。",
                category="calligraphy",
                audience="elderly",
                location=f"{complex_} 书法室",
                day=_next_weekday(today, 2, weeks_ahead=week),
                starts=time(9, 0),
                hours=2,
                capacity=20,
                max_seats=2,
                room_kind="calligraphy",
                registrations=(
                    {"13900000011": (1, ["张建国"]), "13900000012": (1, ["陈桂英"])}
                    if week == 0
                    else {}
                ),
            )
        )
    for week in range(2):
        plans.append(
            Plan(
                title=f"亲子剪纸课·剪出中国年（第{week + 1}课）",
                summary="18 岁以下的孩子与家长一起学剪窗花",
                body="非遗剪纸传承人教孩子们剪窗花、福字和生肖。需家长陪同，剪刀由社区提供。",
                category="paper_cutting",
                audience="children",
                location=f"{complex_} 活动室",
                day=_next_weekday(today, 6, weeks_ahead=week),
                starts=time(14, 0),
                hours=2,
                capacity=30,
                max_seats=3,
                room_kind="activity",
                registrations=(
                    {
                        "13900000011": (2, ["张小雨"]),
                        "13900000013": (3, ["刘子涵", "刘子萱"]),
                    }
                    if week == 0
                    else {}
                ),
            )
        )
    return plans


async def _rooms_by_kind(session: AsyncSession) -> dict[str, UUID]:
    """The first room of each kind in the hub's demo complex, if the hub has one."""
    found: dict[str, UUID] = {}
    page = await hub.list_venues(session, limit=20, cursor=None)
    for venue in page.items:
        for room in venue.rooms:
            found.setdefault(room.kind, room.id)
    return found


async def _publish(
    session: AsyncSession, event_id: UUID, staff_id: UUID, now: datetime, data_key: bytes
) -> bool:
    """Publish, holding the room; if the room is taken (the hub's own demo bookings), publish
    the event without its room rather than fail the whole demo. True when the room is held."""
    try:
        async with session.begin_nested():
            await service.publish_event(session, event_id, by=staff_id, now=now, data_key=data_key)
        return True
    except AppError:
        async with session.begin_nested():
            await service.update_event(
                session, event_id, EventPatch(room_id=None), by=staff_id, now=now, data_key=data_key
            )
            await service.publish_event(session, event_id, by=staff_id, now=now, data_key=data_key)
        return False


async def load(session: AsyncSession, settings: Settings) -> list[str]:
    now = Clock().now()
    today = now.astimezone(LOCAL_TZ).date()
    staff_id = await lookup.user_id_by_phone(session, STAFF_PHONE)
    if staff_id is None:
        return ["events: skipped (no demo staff account)"]
    rooms = await _rooms_by_kind(session)
    created = registered = 0
    for plan in season(today):
        event_id = (
            await session.execute(select(Event.id).where(Event.title == plan.title))
        ).scalar_one_or_none()
        if event_id is None:
            starts = datetime.combine(plan.day, plan.starts, LOCAL_TZ)
            ends = starts + timedelta(hours=plan.hours)
            draft = await service.create_event(
                session,
                EventCreate(
                    title=plan.title,
                    summary=plan.summary,
                    body=plan.body,
                    category=plan.category,
                    audience=plan.audience,  # type: ignore[arg-type]
                    location=plan.location,
                    starts_at=starts,
                    ends_at=ends,
                    capacity=plan.capacity,
                    registration_opens_at=now - timedelta(hours=1),
                    registration_closes_at=starts - timedelta(hours=2),
                    max_seats_per_registration=plan.max_seats,
                    room_id=rooms.get(plan.room_kind) if plan.room_kind else None,
                ),
                by=staff_id,
                now=now,
            )
            event_id = draft.id
            await _publish(session, event_id, staff_id, now, settings.data_key)
            created += 1
        for phone, (seats, names) in plan.registrations.items():
            registered += await _register(
                session, event_id, phone, seats, names, now, settings.data_key
            )
    return [f"events: a season of 艳阳高照, {created} new events, {registered} new registrations"]


async def _register(
    session: AsyncSession,
    event_id: UUID,
    phone: str,
    seats: int,
    names: list[str],
    now: datetime,
    data_key: bytes,
) -> int:
    user_id = await lookup.user_id_by_phone(session, phone)
    if user_id is None:
        return 0
    already = (
        await session.execute(
            select(Registration.id).where(
                Registration.event_id == event_id,
                Registration.user_id == user_id,
                Registration.status.in_(ACTIVE_STATUSES),
            )
        )
    ).first()
    if already is not None:
        return 0
    members = {m.name: m.id for m in await lookup.household(session, user_id)}
    await service.register(
        session,
        event_id,
        user_id,
        RegistrationCreate(seats=seats, member_ids=[members[n] for n in names if n in members]),
        now=now,
        data_key=data_key,
    )
    return 1
