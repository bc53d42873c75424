"""Assisted residents' part of ``qiyou demo``: one elder without a phone, once, whom the demo
worker can act for and whose contact sees what is done."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend import demo
from backend.assisted.models import AssistedResident
from backend.config import Settings
from backend.identity.demo import DEMO_PASSWORD

Sessions = async_sessionmaker[AsyncSession]


async def _login(client: httpx.AsyncClient, phone: str) -> dict[str, str]:
    login = await client.post(
        "/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD}
    )
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['accessToken']}"}


async def test_the_demo_elder_is_made_once_and_can_be_acted_for(
    client: httpx.AsyncClient, db: Sessions, settings: Settings
) -> None:
    for _ in range(2):
        async with db() as session, session.begin():
            await demo.load(session, settings)
        async with db() as session:
            assert await session.scalar(select(func.count()).select_from(AssistedResident)) == 1
    worker = await _login(client, "13900000002")
    listed = (await client.get("/api/v1/manage/assisted-residents", headers=worker)).json()
    elder = listed["items"][0]
    assert (elder["name"], elder["contactPhone"]) == ("李阿婆", "13900000011")
    acted = await client.post(
        f"/api/v1/manage/assisted-residents/{elder['id']}/act", headers=worker
    )
    assert acted.status_code == 200
    contact = await _login(client, "13900000011")
    seen = (await client.get("/api/v1/me/acted-for", headers=contact)).json()["items"]
    assert [(i["subjectName"], i["operation"]) for i in seen] == [
        ("李阿婆", "actForAssistedResident")
    ]
