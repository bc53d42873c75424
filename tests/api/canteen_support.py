"""A canteen for the canteen's tests: the complex's venue, its worker, an admin, a canteen with
a delivery area and subsidies, meals, and elders with care profiles — all through the API.

The clock stands at 08:00 on Monday 1 March 2027 (Asia/Shanghai) unless a test moves it: the
day's lunch closes for orders at 09:30 and is served until 13:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import FrozenClock
from tests.factories import Account, MakeUser, add_member, create_venue

CST = timezone(timedelta(hours=8))
MONDAY = date(2027, 3, 1)
EIGHT_AM = datetime(2027, 3, 1, 8, 0, tzinfo=CST)
# The complex, and a home 1 km north of it (inside a 3 km radius) and one 10 km away.
CENTRE = {"lat": 30.7520, "lng": 120.7550}
NEAR = {"lat": 30.7610, "lng": 120.7550}
FAR = {"lat": 30.8420, "lng": 120.7550}
SUBSIDIES = [{"tier": "age_80_plus", "amount": 500}, {"tier": "low_income", "amount": 800}]


@dataclass
class Canteen:
    id: str
    venue_id: str
    admin: Account
    worker: Account


async def canteen(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock, **overrides: Any
) -> Canteen:
    """The complex's canteen, its venue's worker and an admin; the clock at ``EIGHT_AM``."""
    clock.set(EIGHT_AM)
    admin, worker = await make_user("admin"), await make_user("worker")
    venue = await create_venue(client, admin.headers)
    assigned = await client.put(
        f"/api/v1/admin/users/{worker.id}/venues",
        json={"venueIds": [venue["id"]]},
        headers=admin.headers,
    )
    assert assigned.status_code == 200, assigned.text
    body = {
        "name": "高照长者食堂",
        "venueId": venue["id"],
        "deliveryArea": {**CENTRE, "radiusMeters": 3000},
        "subsidies": SUBSIDIES,
        **overrides,
    }
    created = await client.post("/api/v1/manage/canteens", json=body, headers=worker.headers)
    assert created.status_code == 201, created.text
    return Canteen(created.json()["id"], venue["id"], admin, worker)


def meal_body(day: date = MONDAY, meal: str = "lunch", **overrides: Any) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "meal": meal,
        "dishes": [
            {"name": "嘉兴粽子", "note": "鲜肉"},
            {"name": "酱鸭"},
            {"name": "清炒时蔬"},
        ],
        "price": 1500,
        "portions": 80,
        "orderCutoff": "09:30" if meal == "lunch" else "15:30",
        **overrides,
    }


async def meal(client: httpx.AsyncClient, place: Canteen, **overrides: Any) -> dict[str, Any]:
    created = await client.post(
        f"/api/v1/manage/canteens/{place.id}/meals",
        json=meal_body(**overrides),
        headers=place.worker.headers,
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


def care_profile(location: dict[str, float], care_level: int) -> dict[str, Any]:
    return {
        "address": "嘉兴市南湖区高照街道幸福苑3幢201室",
        "location": location,
        "livesAlone": True,
        "careLevel": care_level,
        "emergencyContacts": [],
        "dailyCheckIn": {"enabled": False},
    }


async def elder(
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    owner: Account,
    staff: Account,
    *,
    location: dict[str, float] = NEAR,
    care_level: int = 2,
    tier: str | None = "age_80_plus",
    name: str = "张建国",
) -> UUID:
    """A household member aged 86 with a care profile (and a subsidy tier, set by ``staff``)."""
    member = await add_member(db, owner.id, name, date(1941, 2, 1))
    put = await client.put(
        f"/api/v1/me/care-profiles/{member}",
        json=care_profile(location, care_level),
        headers=owner.headers,
    )
    assert put.status_code == 200, put.text
    if tier is not None:
        subsidy = await client.put(
            f"/api/v1/manage/elders/{put.json()['id']}/subsidy",
            json={"tier": tier, "monthlyAllowance": 20000},
            headers=staff.headers,
        )
        assert subsidy.status_code == 200, subsidy.text
    return member


async def order(
    client: httpx.AsyncClient, who: Account, meal_id: str, **body: Any
) -> httpx.Response:
    return await client.post(
        "/api/v1/meal-orders", json={"mealId": meal_id, **body}, headers=who.headers
    )


def local(hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    """A local (Asia/Shanghai) time on ``day``."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CST)
