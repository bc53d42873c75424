"""A household with an elder's care profile, a provider with a dispatcher and a caregiver, and
care orders assigned to that caregiver — what the visit tests start from.

Orders are written straight into ``care_orders`` at the status a test needs (as
``tests/factories.py`` writes members): the visit slice starts where assignment ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.base import new_id
from backend.core.clock import Clock
from backend.eldercare.models import CareOrder, CareProviderStaff, CareService
from tests.factories import Account, MakeUser, add_member, care_provider, care_staff

Sessions = async_sessionmaker[AsyncSession]
API = "/api/v1"
HOME = (30.8703, 120.0933)
# About 500 m north of HOME.
AWAY = (HOME[0] + 0.0045, HOME[1])


@dataclass
class CareSetup:
    household: Account
    elder_id: UUID
    profile_id: UUID
    provider_id: UUID
    dispatcher: Account
    caregiver: Account


async def care_setup(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: Clock,
    make_user: MakeUser,
    *,
    allowance: int = 0,
    provider_id: UUID | None = None,
    household: Account | None = None,
    caregiver: Account | None = None,
    dispatcher: Account | None = None,
) -> CareSetup:
    """``household``, ``caregiver`` and ``dispatcher``, when given (the authorization matrix's
    callers), take the places of new accounts; the staff are made to work for the provider."""
    household = household or await make_user("resident")
    elder = await add_member(db, household.id, "张建国", date(1940, 5, 1))
    profile = {
        "address": "浙江省湖州市吴兴区朝阳街道红旗路12号3幢201室",
        "location": {"lat": HOME[0], "lng": HOME[1]},
        "livesAlone": False,
        "careLevel": 2,
        "emergencyContacts": [],
        "dailyCheckIn": {"enabled": False},
    }
    put = await client.put(
        f"{API}/me/care-profiles/{elder}", json=profile, headers=household.headers
    )
    assert put.status_code == 200, put.text
    profile_id = UUID(put.json()["id"])
    if allowance:
        worker = await make_user("worker")
        subsidy = await client.put(
            f"{API}/manage/elders/{profile_id}/subsidy",
            json={"tier": "age_80_plus", "monthlyAllowance": allowance},
            headers=worker.headers,
        )
        assert subsidy.status_code == 200, subsidy.text
    provider = provider_id or await care_provider(db)
    if dispatcher is None:
        dispatcher = await care_staff(db, settings, clock, "dispatcher", provider)
    if caregiver is None:
        caregiver = await care_staff(db, settings, clock, "caregiver", provider)
    async with db() as session, session.begin():
        for staff in (dispatcher, caregiver):
            await session.execute(
                pg_insert(CareProviderStaff)
                .values(user_id=staff.id, provider_id=provider)
                .on_conflict_do_nothing()
            )
    return CareSetup(household, elder, profile_id, provider, dispatcher, caregiver)


async def order(
    db: Sessions,
    setup: CareSetup,
    starts_at: datetime,
    *,
    service: str = "cleaning",
    status: str = "assigned",
    subsidy: int | None = None,
    caregiver: Account | None = None,
) -> UUID:
    """An order of ``service`` at ``starts_at``, assigned to the setup's caregiver. Its
    subsidy is the catalogue's share of the price when the elder has an allowance (or as
    given)."""
    async with db() as session, session.begin():
        row = (
            await session.execute(select(CareService).where(CareService.code == service))
        ).scalar_one()
        share = row.price * row.subsidy_percent // 100 if subsidy is None else subsidy
        order_id = new_id()
        values: dict[str, Any] = {
            "id": order_id,
            "household_id": setup.household.id,
            "care_profile_id": setup.profile_id,
            "member_id": setup.elder_id,
            "service_code": service,
            "provider_id": setup.provider_id,
            "caregiver_id": (caregiver or setup.caregiver).id,
            "status": status,
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(minutes=row.minutes),
            "price": row.price,
            "subsidy": share,
            "payable": row.price - share,
            "requested_by": setup.household.id,
            "assigned_at": starts_at - timedelta(days=1),
        }
        await session.execute(insert(CareOrder).values(**values))
    return order_id


async def check_in(
    client: httpx.AsyncClient,
    caregiver: Account,
    order_id: UUID,
    at: tuple[float, float] = HOME,
    code: str | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"lat": at[0], "lng": at[1]}
    if code is not None:
        body["elderCode"] = code
    return await client.post(
        f"{API}/caregiver/visits/{order_id}/check-in", json=body, headers=caregiver.headers
    )


async def check_out(
    client: httpx.AsyncClient, caregiver: Account, order_id: UUID, **extra: Any
) -> httpx.Response:
    body = {"lat": HOME[0], "lng": HOME[1], "tasks": ["打扫厨房", "换洗床单"], **extra}
    return await client.post(
        f"{API}/caregiver/visits/{order_id}/check-out", json=body, headers=caregiver.headers
    )


async def kinds(client: httpx.AsyncClient, account: Account) -> list[str]:
    """The kinds in the account's inbox, oldest first."""
    answer = await client.get(f"{API}/me/notifications", headers=account.headers)
    assert answer.status_code == 200, answer.text
    return [n["kind"] for n in reversed(answer.json()["items"])]
