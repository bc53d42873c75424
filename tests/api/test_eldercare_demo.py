"""Elderly care's part of ``qiyou demo``: providers, their staff, elders' profiles and a few
care orders, once."""

from __future__ import annotations

from datetime import datetime

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend import demo
from backend.config import Settings
from backend.core.clock import LOCAL_TZ
from backend.eldercare import demo as eldercare_demo
from backend.eldercare.models import CareOrder, CareProfile, CareProvider, CareProviderStaff
from backend.identity.demo import DEMO_PASSWORD

Sessions = async_sessionmaker[AsyncSession]


async def _counts(db: Sessions) -> tuple[int, int, int]:
    async with db() as session:
        counts = [
            await session.scalar(select(func.count()).select_from(table))
            for table in (CareProvider, CareProviderStaff, CareProfile)
        ]
    return (int(counts[0] or 0), int(counts[1] or 0), int(counts[2] or 0))


async def test_the_demo_loads_once_and_the_staff_log_in(
    client: httpx.AsyncClient, db: Sessions, settings: Settings
) -> None:
    for _ in range(2):
        async with db() as session, session.begin():
            await demo.load(session, settings)
        assert await _counts(db) == (2, 6, 2)
        async with db() as session:
            statuses = sorted((await session.scalars(select(CareOrder.status))).all())
        assert statuses == [
            "assigned",
            "awaiting_confirmation",
            "completed",
            "requested",
            "requested",
        ]
    for _, _, _, staff in eldercare_demo.PROVIDERS:
        for phone, role, _ in staff:
            login = await client.post(
                "/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD}
            )
            assert login.status_code == 200, phone
            assert login.json()["user"]["roles"] == [role]
    household = await client.post(
        "/api/v1/auth/login", json={"phone": "13900000011", "password": DEMO_PASSWORD}
    )
    headers = {"Authorization": f"Bearer {household.json()['accessToken']}"}
    members = (await client.get("/api/v1/me/members", headers=headers)).json()["items"]
    elder = next(m for m in members if m["name"] == "张建国")
    profile = (await client.get(f"/api/v1/me/care-profiles/{elder['id']}", headers=headers)).json()
    assert profile["subsidyTier"] == "age_80_plus"
    # The confirmed visit spent its subsidy in its own month (three days ago: maybe the last).
    orders = (await client.get("/api/v1/me/care/orders", headers=headers)).json()["items"]
    done = next(o for o in orders if o["status"] == "completed")
    assert (done["rating"], done["subsidy"] + done["payable"]) == (5, done["price"])
    waiting = next(o for o in orders if o["status"] == "awaiting_confirmation")
    visit = await client.get(f"/api/v1/care/orders/{waiting['id']}/visit", headers=headers)
    assert visit.json()["tasks"] == ["陪同聊天", "测量血压"]
    same_month = done["startsAt"][:7] == datetime.now(LOCAL_TZ).isoformat()[:7]
    assert profile["allowanceLeft"] == 30000 - (done["subsidy"] if same_month else 0)
    assert profile["address"].startswith("浙江省湖州市")
