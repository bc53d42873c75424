"""The canteen's day: the counter's pickup check-in, the deliveries with their addresses, a
meal cancelled by the canteen, uncollected orders at the end of service, and the cutoff
reminder."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.canteen.models import Meal, MealOrder
from backend.core.clock import FrozenClock
from backend.jobs.testing import drain
from tests.api.canteen_support import MONDAY, canteen, elder, local, meal, order
from tests.conftest import problem
from tests.factories import Account, MakeUser, create_venue

Sessions = async_sessionmaker[AsyncSession]
CHECK_IN = "/api/v1/manage/meal-orders/check-in"


async def test_a_pickup_code_is_checked_in_once_on_the_meals_day(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    place = await canteen(client, make_user, clock)
    tomorrow = await meal(client, place, day=MONDAY + timedelta(days=1))
    today = await meal(client, place)
    resident = await make_user("resident")
    early = (await order(client, resident, tomorrow["id"])).json()
    placed = (await order(client, resident, today["id"])).json()
    wrong_day = await client.post(
        CHECK_IN, json={"pickupCode": early["pickupCode"]}, headers=place.worker.headers
    )
    assert problem(wrong_day)["code"] == "not_meal_day"
    other_worker = await make_user("worker")
    elsewhere = await create_venue(client, place.admin.headers, "另一个场馆")
    await client.put(
        f"/api/v1/admin/users/{other_worker.id}/venues",
        json={"venueIds": [elsewhere["id"]]},
        headers=place.admin.headers,
    )
    foreign = await client.post(
        CHECK_IN, json={"pickupCode": placed["pickupCode"]}, headers=other_worker.headers
    )
    assert foreign.status_code == 403
    clock.set(local(11, 40))
    done = await client.post(
        CHECK_IN, json={"pickupCode": placed["pickupCode"]}, headers=place.worker.headers
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["dinerName"]) == ("collected", resident.name)
    again = await client.post(
        CHECK_IN, json={"pickupCode": placed["pickupCode"]}, headers=place.admin.headers
    )
    assert again.status_code == 409
    assert problem(again)["code"] == "already_collected"
    unknown = await client.post(
        CHECK_IN, json={"pickupCode": "not-a-code"}, headers=place.worker.headers
    )
    assert problem(unknown)["code"] == "pickup_code_not_found"
    mine = await client.get(f"/api/v1/meal-orders/{placed['id']}", headers=resident.headers)
    assert mine.json()["status"] == "collected"
    assert mine.json()["pickupCode"] is None
    cancel = await client.post(
        f"/api/v1/meal-orders/{early['id']}/cancel", headers=resident.headers
    )
    assert cancel.status_code == 200
    clock.set(clock.now() + timedelta(days=1))
    gone = await client.post(
        CHECK_IN, json={"pickupCode": early["pickupCode"]}, headers=place.worker.headers
    )
    assert problem(gone)["code"] == "order_cancelled"


async def test_the_days_deliveries_show_the_address_to_the_canteens_worker_that_day(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock, db: Sessions
) -> None:
    place = await canteen(client, make_user, clock)
    lunch = await meal(client, place)
    owner = await make_user("resident")
    grandpa = await elder(client, db, owner, place.worker)
    delivered = (
        await order(client, owner, lunch["id"], memberId=str(grandpa), delivery=True)
    ).json()
    dine_in = (await order(client, owner, lunch["id"])).json()
    url = f"/api/v1/manage/canteens/{place.id}/deliveries"
    today = await client.get(url, headers=place.worker.headers)
    assert today.status_code == 200, today.text
    [row] = today.json()["items"]
    assert (row["orderId"], row["masked"]) == (delivered["id"], False)
    assert row["address"] == "嘉兴市南湖区高照街道幸福苑3幢201室"
    # Another day, or an admin: masked.
    other_day = await client.get(
        url, params={"date": (MONDAY - timedelta(days=1)).isoformat()}, headers=place.worker.headers
    )
    assert other_day.json()["items"] == []
    by_admin = (await client.get(url, headers=place.admin.headers)).json()["items"][0]
    assert by_admin["masked"] is True
    assert "201" not in by_admin["address"]
    clock.set(clock.now() + timedelta(days=1))
    yesterday = await client.get(
        url, params={"date": MONDAY.isoformat()}, headers=place.worker.headers
    )
    assert yesterday.json()["items"][0]["masked"] is True
    clock.set(local(11))
    mark = f"/api/v1/manage/meal-orders/{delivered['id']}/delivered"
    done = await client.post(mark, headers=place.worker.headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "delivered"
    assert problem(await client.post(mark, headers=place.worker.headers))["code"] == (
        "already_collected"
    )
    not_delivery = await client.post(
        f"/api/v1/manage/meal-orders/{dine_in['id']}/delivered", headers=place.worker.headers
    )
    assert problem(not_delivery)["code"] == "not_a_delivery"


async def test_a_meal_cancelled_cancels_its_orders_and_tells_their_owners(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock, db: Sessions
) -> None:
    place = await canteen(client, make_user, clock)
    lunch = await meal(client, place)
    owners = [await make_user("resident") for _ in range(3)]
    grandpa = await elder(client, db, owners[0], place.worker)
    for who in owners:
        assert (await order(client, who, lunch["id"])).status_code == 201
    assert (await order(client, owners[0], lunch["id"], memberId=str(grandpa))).status_code == 201
    url = f"/api/v1/manage/meals/{lunch['id']}/cancel"
    cancelled = await client.post(url, json={"reason": "停水检修"}, headers=place.worker.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["ordersCancelled"] == 4
    assert cancelled.json()["meal"]["portionsLeft"] == 80
    assert cancelled.json()["meal"]["status"] == "cancelled"
    async with db() as session:
        statuses = set((await session.scalars(select(MealOrder.status))).all())
        assert statuses == {"cancelled"}
        assert await session.scalar(select(Meal.ordered)) == 0
    for who in owners:
        inbox = (await client.get("/api/v1/me/notifications", headers=who.headers)).json()
        kinds = [n["kind"] for n in inbox["items"]]
        assert kinds.count("meal_cancelled") == 1
        assert "停水检修" in inbox["items"][0]["body"]
    statement = await client.get(
        "/api/v1/me/meal-orders", params={"month": "2027-03"}, headers=owners[0].headers
    )
    assert (statement.json()["orders"], statement.json()["subsidy"]) == (0, 0)
    again = await client.post(url, json={"reason": "再次"}, headers=place.worker.headers)
    assert problem(again)["code"] == "meal_already_cancelled"
    closed = await order(client, await make_user("resident"), lunch["id"])
    assert problem(closed)["code"] == "order_closed"
    # The day's dinner may be published again for the same slot once cancelled.
    replacement = await meal(client, place)
    assert replacement["id"] != lunch["id"]


async def test_uncollected_orders_are_marked_at_the_end_of_service(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock, app: Litestar
) -> None:
    place = await canteen(client, make_user, clock)
    lunch = await meal(client, place)
    dinner = await meal(client, place, meal="dinner")
    resident, other = await make_user("resident"), await make_user("resident")
    came = (await order(client, resident, lunch["id"])).json()
    missed = (await order(client, other, lunch["id"])).json()
    evening = (await order(client, other, dinner["id"])).json()
    clock.set(local(12))
    await client.post(
        CHECK_IN, json={"pickupCode": came["pickupCode"]}, headers=place.worker.headers
    )
    await drain(app, now=clock.now())
    assert (await client.get(f"/api/v1/meal-orders/{missed['id']}", headers=other.headers)).json()[
        "status"
    ] == "confirmed"
    clock.set(local(13, 5))
    await drain(app, now=clock.now())
    states = {
        key: (await client.get(f"/api/v1/meal-orders/{o['id']}", headers=who.headers)).json()[
            "status"
        ]
        for key, o, who in (
            ("came", came, resident),
            ("missed", missed, other),
            ("evening", evening, other),
        )
    }
    assert states == {"came": "collected", "missed": "uncollected", "evening": "confirmed"}


async def test_the_cutoff_reminder_goes_once_to_those_who_asked_and_have_not_ordered(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock, app: Litestar
) -> None:
    place = await canteen(client, make_user, clock)
    lunch = await meal(client, place)
    asked, ordered, silent = [await make_user("resident") for _ in range(3)]
    for who in (asked, ordered):
        put = await client.put(
            "/api/v1/me/meal-reminder",
            json={"enabled": True, "canteenId": place.id, "minutesBefore": 60},
            headers=who.headers,
        )
        assert put.status_code == 200, put.text
    assert (await order(client, ordered, lunch["id"])).status_code == 201
    mine = await client.get("/api/v1/me/meal-reminder", headers=asked.headers)
    assert mine.json() == {"enabled": True, "canteenId": place.id, "minutesBefore": 60}

    async def reminders(who: Account) -> list[dict[str, Any]]:
        inbox = await client.get("/api/v1/me/notifications", headers=who.headers)
        return [n for n in inbox.json()["items"] if n["kind"] == "meal_order_reminder"]

    clock.set(local(8, 20))
    await drain(app, now=clock.now())
    assert await reminders(asked) == []
    clock.set(local(8, 31))
    await drain(app, now=clock.now())
    clock.set(local(8, 40))
    await drain(app, now=clock.now())
    sent = await reminders(asked)
    assert len(sent) == 1
    assert "09:30" in sent[0]["body"]
    assert await reminders(ordered) == []
    assert await reminders(silent) == []
    off = await client.put(
        "/api/v1/me/meal-reminder", json={"enabled": False}, headers=asked.headers
    )
    assert off.json()["enabled"] is False
    unknown = await client.put(
        "/api/v1/me/meal-reminder",
        json={"enabled": True, "canteenId": lunch["id"]},
        headers=asked.headers,
    )
    assert problem(unknown)["code"] == "unknown_canteen"
