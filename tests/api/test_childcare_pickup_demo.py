"""Safe pickup's part of ``qiyou demo``: 张小雨's trusted and blocked people and her allergy,
once however often it runs, read back through the API by her household."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend import demo
from backend.childcare.models_pickup import Pickup
from backend.config import Settings
from backend.identity.demo import DEMO_PASSWORD

Sessions = async_sessionmaker[AsyncSession]


async def test_the_demo_pickup_people_load_once(
    client: httpx.AsyncClient, db: Sessions, settings: Settings
) -> None:
    for _ in range(2):
        async with db() as session, session.begin():
            await demo.load(session, settings)
        async with db() as session:
            assert await session.scalar(select(func.count()).select_from(Pickup)) == 2
    login = await client.post(
        "/api/v1/auth/login", json={"phone": "13900000011", "password": DEMO_PASSWORD}
    )
    headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    members = (await client.get("/api/v1/me/members", headers=headers)).json()["items"]
    child = next(m["id"] for m in members if m["name"] == "张小雨")
    people = (await client.get(f"/api/v1/me/members/{child}/pickups", headers=headers)).json()
    assert {(p["name"], p["blocked"]) for p in people["items"]} == {
        ("张奶奶", False),
        ("赵某", True),
    }
    notes = await client.get(f"/api/v1/me/members/{child}/childcare-profile", headers=headers)
    assert notes.json()["allergies"] == "花生过敏"
