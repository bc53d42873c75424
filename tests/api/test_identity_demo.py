"""The identity part of ``qiyou demo``: one account of each role and households, loaded once."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.identity import demo
from backend.identity.models import HouseholdMember, User


async def _counts(db: async_sessionmaker[AsyncSession]) -> tuple[int, int]:
    async with db() as session:
        users = await session.scalar(select(func.count()).select_from(User))
        members = await session.scalar(select(func.count()).select_from(HouseholdMember))
    return int(users or 0), int(members or 0)


async def test_demo_accounts_load_once_and_can_log_in(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    async with db() as session, session.begin():
        await demo.load(session, settings)
    first = await _counts(db)
    assert first == (len(demo.ACCOUNTS), sum(len(p) for p in demo.HOUSEHOLDS.values()))
    async with db() as session, session.begin():
        await demo.load(session, settings)
    assert await _counts(db) == first

    for phone, role, _ in demo.ACCOUNTS:
        response = await client.post(
            "/api/v1/auth/login", json={"phone": phone, "password": demo.DEMO_PASSWORD}
        )
        assert response.status_code == 200, phone
        assert response.json()["user"]["roles"] == [role]
    resident = next(phone for phone, role, _ in demo.ACCOUNTS if phone in demo.HOUSEHOLDS)
    pair = (
        await client.post(
            "/api/v1/auth/login", json={"phone": resident, "password": demo.DEMO_PASSWORD}
        )
    ).json()
    members = await client.get(
        "/api/v1/me/members", headers={"Authorization": f"Bearer {pair['accessToken']}"}
    )
    groups = {m["name"]: m["ageGroup"] for m in members.json()["items"]}
    assert len(groups) == len(demo.HOUSEHOLDS[resident])
    # The showcase is "one old, one young": every demo household has an elder or a child.
    assert set(groups.values()) & {"elder", "child"}


async def test_a_demo_load_in_another_process_keeps_the_accounts_and_their_logins(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """The demo accounts share one hash made per process; another process (another ``qiyou
    demo``) has another hash of the same password, checks it, and changes nothing."""
    async with db() as session, session.begin():
        await demo.load(session, settings)
    async with db() as session:
        hashes = set((await session.scalars(select(User.password_hash))).all())
    assert hashes == {demo.demo_password_hash()}
    phone = demo.ACCOUNTS[0][0]
    login = await client.post(
        "/api/v1/auth/login", json={"phone": phone, "password": demo.DEMO_PASSWORD}
    )
    headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}

    demo.demo_password_hash.cache_clear()  # as in a new process
    async with db() as session, session.begin():
        await demo.load(session, settings)
    async with db() as session:
        assert set((await session.scalars(select(User.password_hash))).all()) == hashes
    # Nothing changed, so nothing ended: the login made before still works.
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 200
