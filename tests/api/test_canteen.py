"""The elders' canteen through HTTP: canteens and meals, ordering (subsidy, delivery, cutoff),
cancelling, the resident's month, and the canteen's month with its CSV."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.canteen.models import Meal, MealOrder
from backend.core.clock import FrozenClock
from backend.core.models import IdempotencyKey
from tests.api.canteen_support import FAR, MONDAY, canteen, elder, local, meal, meal_body, order
from tests.conftest import problem
from tests.factories import MakeUser

Sessions = async_sessionmaker[AsyncSession]


async def test_meals_are_listed_with_portions_left_in_both_languages(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    place = await canteen(client, make_user, clock)
    lunch = await meal(client, place)
    await meal(client, place, meal="dinner")
    resident = await make_user("resident")
    assert (await order(client, resident, lunch["id"], portions=3)).status_code == 201
    listed = await client.get(f"/api/v1/canteens/{place.id}/meals")
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [(m["meal"], m["mealLabel"]) for m in items] == [("lunch", "午餐"), ("dinner", "晚餐")]
    assert items[0]["portionsLeft"] == 77
    assert items[0]["dishes"][0] == {"name": "嘉兴粽子", "note": "鲜肉"}
    assert items[0]["orderCutoff"] == "09:30"
    assert items[0]["orderingOpen"] is True
    english = await client.get(
        f"/api/v1/canteens/{place.id}/meals", headers={"Accept-Language": "en"}
    )
    assert english.json()["items"][1]["mealLabel"] == "Dinner"
    one = await client.get(f"/api/v1/canteens/{place.id}")
    assert one.json()["subsidies"] == [
        {"tier": "age_80_plus", "amount": 500},
        {"tier": "low_income", "amount": 800},
    ]
    assert (await client.get("/api/v1/canteens")).json()["items"][0]["id"] == place.id


async def test_a_meal_is_refused_twice_or_in_the_past(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    place = await canteen(client, make_user, clock)
    await meal(client, place)
    url = f"/api/v1/manage/canteens/{place.id}/meals"
    again = await client.post(url, json=meal_body(), headers=place.worker.headers)
    assert problem(again)["code"] == "meal_exists"
    past = await client.post(
        url, json=meal_body(MONDAY - timedelta(days=1)), headers=place.worker.headers
    )
    assert problem(past)["code"] == "meal_in_past"
    late = await client.post(
        url, json=meal_body(meal="dinner", orderCutoff="20:00"), headers=place.worker.headers
    )
    assert late.status_code == 422
    assert problem(late)["errors"][0]["field"] == "orderCutoff"


async def test_a_resident_orders_at_full_price_and_is_told(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    place = await canteen(client, make_user, clock)
    lunch = await meal(client, place)
    resident = await make_user("resident")
    placed = await order(client, resident, lunch["id"], portions=2)
    assert placed.status_code == 201, placed.text
    body = placed.json()
    assert body["status"] == "confirmed"
    assert (body["price"], body["subsidy"], body["payable"]) == (3000, 0, 3000)
    assert body["subsidyTier"] is None
    assert len(body["pickupCode"]) >= 12
    assert body["dinerName"] == resident.name
    inbox = await client.get("/api/v1/me/notifications", headers=resident.headers)
    note = inbox.json()["items"][0]
    assert note["kind"] == "meal_order_confirmed"
    assert "30.00" in note["body"]
    assert "午餐" in note["body"]
    again = await order(client, resident, lunch["id"])
    assert again.status_code == 409
    assert problem(again)["code"] == "already_ordered"


async def test_an_elder_gets_the_subsidy_of_their_tier_on_one_portion(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock, db: Sessions
) -> None:
    place = await canteen(client, make_user, clock)
    lunch = await meal(client, place)
    son = await make_user("resident")
    grandpa = await elder(client, db, son, place.worker, tier="low_income")
    placed = await order(client, son, lunch["id"], memberId=str(grandpa), portions=2)
    assert placed.status_code == 201, placed.text
    body = placed.json()
    assert (body["price"], body["subsidy"], body["payable"]) == (3000, 800, 2200)
    assert (body["subsidyTier"], body["dinerName"]) == ("low_income", "张建国")
    # Fixed on the order: a later change of the canteen's tier does not move it.
    async with db() as session, session.begin():
        stored = await session.scalar(select(MealOrder.subsidy))
    assert stored == 800
    # An elder without a tier pays the full price.
    grandma = await elder(client, db, son, place.worker, tier=None, name="陈桂英")
    plain = await order(client, son, lunch["id"], memberId=str(grandma))
    assert (plain.json()["subsidy"], plain.json()["payable"]) == (0, 1500)
    stranger = await make_user("resident")
    theirs = await order(client, stranger, lunch["id"], memberId=str(grandpa))
    assert problem(theirs)["code"] == "unknown_member"


async def test_delivery_only_for_elders_who_need_it_inside_the_area(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock, db: Sessions
) -> None:
    place = await canteen(client, make_user, clock)
    lunch = await meal(client, place)
    owner = await make_user("resident")
    walks = await elder(client, db, owner, place.worker, care_level=1, name="李")
    far = await elder(client, db, owner, place.worker, location=FAR, name="王")
    needs = await elder(client, db, owner, place.worker, name="赵")
    refusals = {
        "self": await order(client, owner, lunch["id"], delivery=True),
        "walks": await order(client, owner, lunch["id"], memberId=str(walks), delivery=True),
        "far": await order(client, owner, lunch["id"], memberId=str(far), delivery=True),
    }
    assert {k: problem(v)["code"] for k, v in refusals.items()} == {
        "self": "delivery_not_allowed",
        "walks": "delivery_not_allowed",
        "far": "outside_delivery_area",
    }
    delivered = await order(client, owner, lunch["id"], memberId=str(needs), delivery=True)
    assert delivered.status_code == 201, delivered.text
    assert delivered.json()["delivery"] is True
    # Nothing was taken by the refusals.
    meals = (await client.get(f"/api/v1/canteens/{place.id}/meals")).json()["items"]
    assert meals[0]["portionsLeft"] == 79


async def test_after_the_cutoff_ordering_and_cancelling_are_closed(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock, db: Sessions
) -> None:
    place = await canteen(client, make_user, clock)
    lunch = await meal(client, place)
    resident, late = await make_user("resident"), await make_user("resident")
    first = await order(client, resident, lunch["id"], portions=2)
    second = (await order(client, late, lunch["id"])).json()
    cancelled = await client.post(
        f"/api/v1/meal-orders/{second['id']}/cancel", headers=late.headers
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["pickupCode"] is None
    twice = await client.post(f"/api/v1/meal-orders/{second['id']}/cancel", headers=late.headers)
    assert problem(twice)["code"] == "order_already_cancelled"
    async with db() as session:
        assert await session.scalar(select(Meal.ordered)) == 2
    # Cancelled, the diner may order again.
    assert (await order(client, late, lunch["id"])).status_code == 201
    clock.set(local(9, 30))
    closed = await order(client, await make_user("resident"), lunch["id"])
    assert closed.status_code == 422
    assert problem(closed)["code"] == "order_closed"
    too_late = await client.post(
        f"/api/v1/meal-orders/{first.json()['id']}/cancel", headers=resident.headers
    )
    assert problem(too_late)["code"] == "order_closed"
    other = await client.get(f"/api/v1/meal-orders/{first.json()['id']}", headers=late.headers)
    assert other.status_code == 404


async def test_an_idempotency_key_replays_the_order(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock, db: Sessions
) -> None:
    place = await canteen(client, make_user, clock)
    lunch = await meal(client, place)
    resident = await make_user("resident")
    headers = {**resident.headers, "Idempotency-Key": "lunch-monday"}
    body = {"mealId": lunch["id"]}
    first = await client.post("/api/v1/meal-orders", json=body, headers=headers)
    again = await client.post("/api/v1/meal-orders", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json() == again.json()
    assert again.headers.get("idempotent-replayed") == "true"
    meals = (await client.get(f"/api/v1/canteens/{place.id}/meals")).json()["items"]
    assert meals[0]["portionsLeft"] == 79
    reused = await client.post("/api/v1/meal-orders", json={**body, "portions": 2}, headers=headers)
    assert problem(reused)["code"] == "idempotency_key_reused"
    # The replayed answer carries the pickup code: stored sealed, never in plaintext.
    async with db() as session:
        stored = await session.scalar(select(IdempotencyKey.response_body))
    assert stored is not None
    assert first.json()["pickupCode"].encode() not in stored


async def test_a_month_statement_for_the_resident_and_the_canteen(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock, db: Sessions
) -> None:
    place = await canteen(client, make_user, clock)
    lunch = await meal(client, place)
    dinner = await meal(client, place, meal="dinner")
    son = await make_user("resident")
    grandpa = await elder(client, db, son, place.worker)
    await order(client, son, lunch["id"], memberId=str(grandpa))
    await order(client, son, dinner["id"], memberId=str(grandpa), portions=2)
    mine = (await order(client, son, dinner["id"])).json()
    await client.post(f"/api/v1/meal-orders/{mine['id']}/cancel", headers=son.headers)
    month = await client.get(
        "/api/v1/me/meal-orders", params={"month": "2027-03"}, headers=son.headers
    )
    assert month.status_code == 200, month.text
    statement = month.json()
    assert len(statement["items"]) == 3
    assert (statement["orders"], statement["portions"]) == (2, 3)
    assert (statement["price"], statement["subsidy"], statement["payable"]) == (4500, 1000, 3500)
    empty = await client.get(
        "/api/v1/me/meal-orders", params={"month": "2027-04"}, headers=son.headers
    )
    assert (empty.json()["items"], empty.json()["orders"]) == ([], 0)
    other = await order(client, await make_user("resident"), lunch["id"])
    assert other.status_code == 201
    accounts = await client.get(
        f"/api/v1/manage/canteens/{place.id}/statement",
        params={"month": "2027-03"},
        headers=place.admin.headers,
    )
    assert accounts.status_code == 200, accounts.text
    total = accounts.json()
    assert (total["orders"], total["portions"], total["subsidy"]) == (3, 4, 1000)
    assert [(t["tier"], t["orders"], t["subsidy"]) for t in total["byTier"]] == [
        ("age_80_plus", 2, 1000),
        (None, 1, 0),
    ]
    sheet = await client.get(
        f"/api/v1/manage/canteens/{place.id}/statement.csv",
        params={"month": "2027-03"},
        headers=place.worker.headers,
    )
    assert sheet.status_code == 200, sheet.text
    assert sheet.headers["content-type"].startswith("text/csv")
    lines = sheet.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 4
    assert sum("cancelled" in line for line in lines) == 1


async def test_last_weeks_menu_is_copied(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    place = await canteen(client, make_user, clock)
    await meal(client, place)
    await meal(client, place, meal="dinner", portions=40)
    await meal(client, place, day=MONDAY + timedelta(days=2))
    url = f"/api/v1/manage/canteens/{place.id}/meals/copy-week"
    next_week = (MONDAY + timedelta(days=9)).isoformat()
    copied = await client.post(url, json={"week": next_week}, headers=place.worker.headers)
    assert copied.status_code == 201, copied.text
    created = copied.json()["created"]
    assert [(m["date"], m["meal"], m["portions"]) for m in created] == [
        ("2027-03-08", "lunch", 80),
        ("2027-03-08", "dinner", 40),
        ("2027-03-10", "lunch", 80),
    ]
    assert created[0]["dishes"][1]["name"] == "酱鸭"
    again = await client.post(url, json={"week": next_week}, headers=place.worker.headers)
    assert (again.json()["created"], again.json()["skipped"]) == ([], 3)
