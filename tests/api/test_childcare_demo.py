"""Childcare's part of ``qiyou demo``: four programs at the complex and the demo children's
applications, once however often it runs."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend import demo
from backend.childcare.models import Application, Program
from backend.config import Settings
from backend.identity.demo import DEMO_PASSWORD

Sessions = async_sessionmaker[AsyncSession]


async def test_the_demo_programs_load_once(
    client: httpx.AsyncClient, db: Sessions, settings: Settings
) -> None:
    for _ in range(2):
        async with db() as session, session.begin():
            await demo.load(session, settings)
        async with db() as session:
            programs = await session.scalar(select(func.count()).select_from(Program))
            applications = await session.scalar(select(func.count()).select_from(Application))
        assert (programs, applications) == (4, 4)
    listed = (await client.get("/api/v1/childcare/programs")).json()["items"]
    by_name = {p["name"]: p for p in listed}
    assert {"四点半课堂", "暑托班"} <= set(by_name)
    assert by_name["四点半课堂"]["enrolled"] == 2
    assert by_name["暑托班"]["allocation"] == "lottery"
    login = await client.post(
        "/api/v1/auth/login", json={"phone": "13900000013", "password": DEMO_PASSWORD}
    )
    headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    mine = (await client.get("/api/v1/me/childcare/applications", headers=headers)).json()
    assert sorted((a["childName"], a["status"]) for a in mine["items"]) == [
        ("刘子涵", "applied"),
        ("刘子萱", "enrolled"),
    ]
