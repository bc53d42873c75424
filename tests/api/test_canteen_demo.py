"""The canteen's part of ``qiyou demo``: the complex's canteen, two weeks of menus, the demo
elders' orders (张建国's delivered, with his subsidy), once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend import demo
from backend.canteen.models import Canteen, Meal, MealOrder
from backend.config import Settings
from backend.core.clock import local_date_of
from backend.identity.demo import DEMO_PASSWORD

Sessions = async_sessionmaker[AsyncSession]


async def test_the_demo_canteen_is_loaded_once_with_menus_and_orders(
    client: httpx.AsyncClient, db: Sessions, settings: Settings
) -> None:
    for _ in range(2):
        async with db() as session, session.begin():
            await demo.load(session, settings)
        async with db() as session:
            counts = [
                await session.scalar(select(func.count()).select_from(table))
                for table in (Canteen, Meal, MealOrder)
            ]
        assert counts == [1, 28, 2]
    canteens = (await client.get("/api/v1/canteens")).json()["items"]
    assert canteens[0]["name"] == "高照长者食堂"
    assert canteens[0]["venueId"] is not None
    meals = (await client.get(f"/api/v1/canteens/{canteens[0]['id']}/meals")).json()["items"]
    assert any(d["name"] == "八珍糕" for m in meals for d in m["dishes"])
    login = await client.post(
        "/api/v1/auth/login", json={"phone": "13900000011", "password": DEMO_PASSWORD}
    )
    headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    # The demo orders tomorrow's lunch: its month, even on a month's last day.
    month = f"{local_date_of(datetime.now(UTC)) + timedelta(days=1):%Y-%m}"
    listed = await client.get("/api/v1/me/meal-orders", params={"month": month}, headers=headers)
    [mine] = listed.json()["items"]
    assert (mine["dinerName"], mine["delivery"], mine["subsidy"]) == ("张建国", True, 500)
