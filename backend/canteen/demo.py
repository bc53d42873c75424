"""Demo data of the canteen: the complex's canteen (高照长者食堂, run by the venue's worker) with
two weeks of home-style Jiaxing lunches and dinners from today, and orders by the demo elders'
households. Safe to run twice: an existing canteen of that name is kept as it is."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.canteen import ordering
from backend.canteen.common import local_moment
from backend.canteen.models import Canteen, CanteenSubsidy, Meal
from backend.config import Settings
from backend.core.clock import local_date_of
from backend.core.errors import AppError
from backend.hub import service as hub
from backend.hub.demo import VENUE
from backend.identity import service as identity
from backend.identity.models import HouseholdMember
from schemas.canteen import MealOrderIn

NAME = "高照长者食堂"
# Where the demo elders' care profiles place their homes: inside the delivery radius.
CENTRE = (30.8703, 120.0933)
SUBSIDIES = {"age_80_plus": 500, "age_90_plus": 800, "low_income": 800, "disability": 600}

# Home-style Jiaxing dishes (嘉兴家常菜), a lunch and a dinner per weekday of the fortnight.
LUNCHES = [
    ["嘉兴鲜肉粽子", "酱鸭", "清炒青菜", "紫菜蛋花汤"],
    ["红烧狮子头", "八珍糕", "油焖茭白", "冬瓜排骨汤"],
    ["南湖菱角烧肉", "蒸南瓜", "香干炒芹菜", "番茄蛋汤"],
    ["糖醋小排", "清蒸鲈鱼", "炒塌棵菜", "豆腐羹"],
    ["梅干菜扣肉", "蛋饺", "炒西兰花", "萝卜丝汤"],
    ["嘉兴蛋黄肉粽", "白切鸡", "炒豆芽", "咸菜笋丝汤"],
    ["文虎酱鸭", "炖蛋", "蒜蓉生菜", "海带排骨汤"],
]
DINNERS = [
    ["菜肉馄饨", "八珍糕"],
    ["阳春面", "卤蛋", "拌黄瓜"],
    ["青菜肉丝年糕", "酱萝卜"],
    ["南瓜小米粥", "菜肉包", "凉拌豆腐"],
    ["雪菜肉丝面", "卤豆干"],
    ["嘉兴定胜糕", "赤豆粥", "咸鸭蛋"],
    ["荠菜馄饨", "糖藕"],
]

# (household phone, member, delivery)
ORDERS = [("13900000011", "张建国", True), ("13900000012", "陈桂英", False)]


async def _venue_id(session: AsyncSession) -> UUID | None:
    cursor: str | None = None
    while True:
        page = await hub.list_venues(session, limit=100, cursor=cursor)
        for venue in page.items:
            if venue.name == VENUE:
                return venue.id
        if page.next_cursor is None:
            return None
        cursor = page.next_cursor


def _meals(canteen_id: UUID, start: date, now: datetime) -> list[Meal]:
    rows: list[Meal] = []
    for offset in range(14):
        day = start + timedelta(days=offset)
        for kind, menu, cutoff, ends, price, portions in (
            ("lunch", LUNCHES[day.weekday()], "09:30", "13:00", 1500, 80),
            ("dinner", DINNERS[day.weekday()], "15:30", "19:00", 1000, 40),
        ):
            rows.append(
                Meal(
                    canteen_id=canteen_id,
                    date=day,
                    meal=kind,
                    dishes=[{"name": dish, "note": ""} for dish in menu],
                    price=price,
                    portions=portions,
                    ordered=0,
                    order_cutoff=local_moment(day, cutoff),
                    serving_ends_at=local_moment(day, ends),
                    status="open",
                    created_at=now,
                    updated_at=now,
                )
            )
    return rows


async def load(session: AsyncSession, settings: Settings) -> list[str]:
    now = datetime.now(UTC)
    found = await session.scalar(select(Canteen.id).where(Canteen.name == NAME))
    if found is not None:
        return [f"canteen: {NAME} (kept)"]
    canteen = Canteen(
        name=NAME,
        venue_id=await _venue_id(session),
        lat=CENTRE[0],
        lng=CENTRE[1],
        delivery_radius_m=3000,
        created_at=now,
        updated_at=now,
    )
    session.add(canteen)
    await session.flush()
    session.add_all(
        CanteenSubsidy(canteen_id=canteen.id, tier=tier, amount=amount)
        for tier, amount in SUBSIDIES.items()
    )
    today = local_date_of(now)
    meals = _meals(canteen.id, today, now)
    session.add_all(meals)
    await session.flush()
    tomorrow_lunch = next(m for m in meals if m.date == today + timedelta(days=1))
    placed = 0
    for phone, member_name, delivery in ORDERS:
        owner = await identity.find_user_by_phone(session, phone)
        if owner is None:
            continue
        member_id = await session.scalar(
            select(HouseholdMember.id).where(
                HouseholdMember.owner_id == owner.id, HouseholdMember.name == member_name
            )
        )
        if member_id is None:
            continue
        data = MealOrderIn(meal_id=tomorrow_lunch.id, member_id=member_id, delivery=delivery)
        try:
            async with session.begin_nested():
                await ordering.place_order(
                    session, owner.id, data, now=now, data_key=settings.data_key, language="zh-CN"
                )
        except AppError:
            # No care profile allowing delivery in this database: the demo goes on without it.
            continue
        placed += 1
    return [
        f"canteen: {NAME}, {len(meals)} meals over two weeks from {today}, {placed} orders",
        f"  menus copied a week on with POST /api/v1/manage/canteens/{canteen.id}/meals/copy-week",
    ]
