"""Storms against the canteen's invariants: the 09:29 rush never oversells a meal, a pickup code
is handed over once, and cancellations racing new orders and the canteen's own cancellation
leave the meal's counter equal to the portions its orders hold."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.canteen.models import HOLDING, Meal, MealOrder
from backend.config import Settings
from backend.core.clock import FrozenClock
from tests import factories
from tests.api.canteen_support import canteen, local, meal, order
from tests.conftest import problem
from tests.factories import MakeUser

pytestmark = pytest.mark.storm

Sessions = async_sessionmaker[AsyncSession]


async def _counted(db: Sessions, meal_id: str) -> tuple[int, int, int]:
    """The meal's counter, its portions, and the portions its standing orders hold."""
    async with db() as session, session.begin():
        ordered, portions = (
            await session.execute(select(Meal.ordered, Meal.portions).where(Meal.id == meal_id))
        ).one()
        held = await session.scalar(
            select(func.coalesce(func.sum(MealOrder.portions), 0)).where(
                MealOrder.meal_id == meal_id, MealOrder.status.in_(HOLDING)
            )
        )
    return ordered, portions, int(held or 0)


@pytest.mark.parametrize("run", [1, 2, 3])
async def test_rush_of_300_orders_for_80_portions(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: Sessions,
    settings: Settings,
    run: int,
) -> None:
    # Tokens are minted for the real present, before the canteen moves the clock.
    crowd = await factories.users(db, settings, clock, 300)
    place = await canteen(client, make_user, clock)
    lunch = await meal(client, place, portions=80)
    clock.set(local(9, 29))
    answers = await asyncio.gather(*(order(client, person, lunch["id"]) for person in crowd))
    statuses = [a.status_code for a in answers]
    assert all(s < 500 for s in statuses), {a.text for a in answers if a.status_code >= 500}
    assert statuses.count(201) == 80, run
    assert statuses.count(409) == 220
    assert {problem(a)["code"] for a in answers if a.status_code == 409} == {"sold_out"}
    codes = {a.json()["pickupCode"] for a in answers if a.status_code == 201}
    assert len(codes) == 80
    assert await _counted(db, lunch["id"]) == (80, 80, 80)
    listed = (await client.get(f"/api/v1/canteens/{place.id}/meals")).json()["items"]
    assert listed[0]["portionsLeft"] == 0


async def test_a_pickup_code_scanned_at_once_on_many_counters_is_handed_over_once(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    place = await canteen(client, make_user, clock)
    lunch = await meal(client, place)
    resident = await make_user("resident")
    code = (await order(client, resident, lunch["id"])).json()["pickupCode"]
    clock.set(local(11, 30))
    scans = await asyncio.gather(
        *(
            client.post(
                "/api/v1/manage/meal-orders/check-in",
                json={"pickupCode": code},
                headers=(place.worker if i % 2 else place.admin).headers,
            )
            for i in range(40)
        )
    )
    statuses = [s.status_code for s in scans]
    assert statuses.count(200) == 1, statuses
    assert statuses.count(409) == 39
    assert {problem(s)["code"] for s in scans if s.status_code == 409} == {"already_collected"}


async def test_cancellations_new_orders_and_the_meals_cancellation_race_consistently(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: Sessions,
    settings: Settings,
) -> None:
    first = await factories.users(db, settings, clock, 50, prefix="早")
    later = await factories.users(db, settings, clock, 40, prefix="晚")
    place = await canteen(client, make_user, clock)
    lunch = await meal(client, place, portions=60)
    placed = await asyncio.gather(*(order(client, p, lunch["id"]) for p in first))
    assert [p.status_code for p in placed] == [201] * 50
    cancels = [
        client.post(f"/api/v1/meal-orders/{p.json()['id']}/cancel", headers=who.headers)
        for p, who in zip(placed[:30], first[:30], strict=True)
    ]
    orders = [order(client, who, lunch["id"]) for who in later]
    meal_cancel = client.post(
        f"/api/v1/manage/meals/{lunch['id']}/cancel",
        json={"reason": "燃气检修"},
        headers=place.worker.headers,
    )
    answers = await asyncio.gather(*cancels, *orders, meal_cancel)
    assert all(a.status_code < 500 for a in answers), {a.text for a in answers}
    assert answers[-1].status_code == 200
    ordered, _, held = await _counted(db, lunch["id"])
    assert ordered == held == 0
    async with db() as session:
        standing = await session.scalar(select(func.count()).where(MealOrder.status == "confirmed"))
    assert standing == 0
