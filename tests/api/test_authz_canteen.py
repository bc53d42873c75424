"""Authorization matrix of the canteen: every endpoint for every role in ``tests.authz.ROLES``;
another resident's order is a 404, and a worker runs only the canteens of their own venues."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import FrozenClock
from tests.api.canteen_support import (
    EIGHT_AM,
    MONDAY,
    Canteen,
    canteen,
    elder,
    meal,
    meal_body,
    order,
)
from tests.authz import OK, ROLES, Call, check_every_role
from tests.conftest import problem
from tests.factories import Account, MakeUser, create_venue

Sessions = async_sessionmaker[AsyncSession]

ENDPOINTS = [
    ("GET", "/api/v1/canteens"),
    ("GET", "/api/v1/canteens/{canteenId:uuid}"),
    ("GET", "/api/v1/canteens/{canteenId:uuid}/meals"),
    ("POST", "/api/v1/meal-orders"),
    ("GET", "/api/v1/meal-orders/{orderId:uuid}"),
    ("POST", "/api/v1/meal-orders/{orderId:uuid}/cancel"),
    ("GET", "/api/v1/me/meal-orders"),
    ("GET", "/api/v1/me/meal-reminder"),
    ("PUT", "/api/v1/me/meal-reminder"),
    ("POST", "/api/v1/manage/canteens"),
    ("POST", "/api/v1/manage/canteens/{canteenId:uuid}/meals"),
    ("POST", "/api/v1/manage/canteens/{canteenId:uuid}/meals/copy-week"),
    ("GET", "/api/v1/manage/canteens/{canteenId:uuid}/deliveries"),
    ("GET", "/api/v1/manage/canteens/{canteenId:uuid}/statement"),
    ("GET", "/api/v1/manage/canteens/{canteenId:uuid}/statement.csv"),
    ("POST", "/api/v1/manage/meals/{mealId:uuid}/cancel"),
    ("POST", "/api/v1/manage/meal-orders/check-in"),
    ("POST", "/api/v1/manage/meal-orders/{orderId:uuid}/delivered"),
]

PUBLIC = dict.fromkeys(ROLES, OK)
RESIDENT = {**dict.fromkeys(ROLES, 403), "anonymous": 401, "resident": OK}
MANAGER = {**dict.fromkeys(ROLES, 403), "anonymous": 401, "worker": OK, "admin": OK}
EXPECTED: dict[tuple[str, str], dict[str, Any]] = {
    endpoint: PUBLIC
    if endpoint[1].startswith("/api/v1/canteens")
    else MANAGER
    if endpoint[1].startswith("/api/v1/manage/")
    else RESIDENT
    for endpoint in ENDPOINTS
}

# What a call needs, given the canteen and the caller: (url, body, expected success status).
Build = Callable[
    [httpx.AsyncClient, Sessions, MakeUser, Canteen, Account | None],
    Awaitable[tuple[str, Any, int]],
]


async def _own_order(
    client: httpx.AsyncClient, make_user: MakeUser, place: Canteen, caller: Account | None
) -> str:
    """An order of the caller where the caller is a resident, another resident's otherwise."""
    owner = caller if caller is not None and caller.role == "resident" else None
    owner = owner or await make_user("resident")
    lunch = await meal(client, place)
    placed = await order(client, owner, lunch["id"])
    assert placed.status_code == 201, placed.text
    return str(placed.json()["id"])


def _simple(url: str, body: Any = None, status: int = 200) -> Build:
    async def build(
        client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, place: Canteen, _: Any
    ) -> tuple[str, Any, int]:
        return url.replace("{canteenId}", place.id), body, status

    return build


async def _meals_order(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, place: Canteen, _: Any
) -> tuple[str, Any, int]:
    lunch = await meal(client, place)
    return "/api/v1/meal-orders", {"mealId": lunch["id"]}, 201


async def _get_order(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, place: Canteen, caller: Any
) -> tuple[str, Any, int]:
    return f"/api/v1/meal-orders/{await _own_order(client, make_user, place, caller)}", None, 200


async def _cancel_order(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, place: Canteen, caller: Any
) -> tuple[str, Any, int]:
    order_id = await _own_order(client, make_user, place, caller)
    return f"/api/v1/meal-orders/{order_id}/cancel", None, 200


async def _new_canteen(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, place: Canteen, _: Any
) -> tuple[str, Any, int]:
    return "/api/v1/manage/canteens", {"name": "第二食堂", "venueId": place.venue_id}, 201


async def _cancel_meal(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, place: Canteen, _: Any
) -> tuple[str, Any, int]:
    lunch = await meal(client, place)
    return f"/api/v1/manage/meals/{lunch['id']}/cancel", {"reason": "停电"}, 200


async def _check_in(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, place: Canteen, _: Any
) -> tuple[str, Any, int]:
    lunch = await meal(client, place)
    placed = await order(client, await make_user("resident"), lunch["id"])
    code = placed.json()["pickupCode"]
    return "/api/v1/manage/meal-orders/check-in", {"pickupCode": code}, 200


async def _delivered(
    client: httpx.AsyncClient, db: Sessions, make_user: MakeUser, place: Canteen, _: Any
) -> tuple[str, Any, int]:
    lunch = await meal(client, place)
    owner = await make_user("resident")
    grandpa = await elder(client, db, owner, place.worker)
    placed = await order(client, owner, lunch["id"], memberId=str(grandpa), delivery=True)
    assert placed.status_code == 201, placed.text
    return f"/api/v1/manage/meal-orders/{placed.json()['id']}/delivered", None, 200


NEXT_WEEK = (MONDAY + timedelta(days=7)).isoformat()
BUILDERS: dict[tuple[str, str], Build] = {
    ("GET", "/api/v1/canteens"): _simple("/api/v1/canteens"),
    ("GET", "/api/v1/canteens/{canteenId:uuid}"): _simple("/api/v1/canteens/{canteenId}"),
    ("GET", "/api/v1/canteens/{canteenId:uuid}/meals"): _simple(
        "/api/v1/canteens/{canteenId}/meals"
    ),
    ("POST", "/api/v1/meal-orders"): _meals_order,
    ("GET", "/api/v1/meal-orders/{orderId:uuid}"): _get_order,
    ("POST", "/api/v1/meal-orders/{orderId:uuid}/cancel"): _cancel_order,
    ("GET", "/api/v1/me/meal-orders"): _simple("/api/v1/me/meal-orders"),
    ("GET", "/api/v1/me/meal-reminder"): _simple("/api/v1/me/meal-reminder"),
    ("PUT", "/api/v1/me/meal-reminder"): _simple("/api/v1/me/meal-reminder", {"enabled": False}),
    ("POST", "/api/v1/manage/canteens"): _new_canteen,
    ("POST", "/api/v1/manage/canteens/{canteenId:uuid}/meals"): _simple(
        "/api/v1/manage/canteens/{canteenId}/meals", meal_body(MONDAY + timedelta(days=1)), 201
    ),
    ("POST", "/api/v1/manage/canteens/{canteenId:uuid}/meals/copy-week"): _simple(
        "/api/v1/manage/canteens/{canteenId}/meals/copy-week", {"week": NEXT_WEEK}, 201
    ),
    ("GET", "/api/v1/manage/canteens/{canteenId:uuid}/deliveries"): _simple(
        "/api/v1/manage/canteens/{canteenId}/deliveries"
    ),
    ("GET", "/api/v1/manage/canteens/{canteenId:uuid}/statement"): _simple(
        "/api/v1/manage/canteens/{canteenId}/statement"
    ),
    ("GET", "/api/v1/manage/canteens/{canteenId:uuid}/statement.csv"): _simple(
        "/api/v1/manage/canteens/{canteenId}/statement.csv"
    ),
    ("POST", "/api/v1/manage/meals/{mealId:uuid}/cancel"): _cancel_meal,
    ("POST", "/api/v1/manage/meal-orders/check-in"): _check_in,
    ("POST", "/api/v1/manage/meal-orders/{orderId:uuid}/delivered"): _delivered,
}


def test_every_endpoint_has_its_row() -> None:
    assert set(EXPECTED) == set(ENDPOINTS) == set(BUILDERS)


async def _assign(client: httpx.AsyncClient, place: Canteen, worker: Account, venue: str) -> None:
    done = await client.put(
        f"/api/v1/admin/users/{worker.id}/venues",
        json={"venueIds": [venue]},
        headers=place.admin.headers,
    )
    assert done.status_code == 200, done.text


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_matrix(
    client: httpx.AsyncClient,
    db: Sessions,
    make_user: MakeUser,
    clock: FrozenClock,
    method: str,
    path: str,
) -> None:
    async def arrange(caller: Account | None) -> Call:
        place = await canteen(client, make_user, clock)
        if caller is not None and caller.role == "worker":
            # The worker role is the canteen's worker: one of its venue's.
            await _assign(client, place, caller, place.venue_id)
        return Call(*await BUILDERS[(method, path)](client, db, make_user, place, caller))

    # Where canteen() puts it, so that every caller is made at the hour its canteen opens.
    clock.set(EIGHT_AM)
    await check_every_role(
        client, method, EXPECTED[(method, path)], clock=clock, caller_of=make_user, arrange=arrange
    )


async def test_another_residents_order_is_not_found(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    place = await canteen(client, make_user, clock)
    owner, stranger = await make_user("resident"), await make_user("resident")
    order_id = await _own_order(client, make_user, place, owner)
    for method, url in (
        ("GET", f"/api/v1/meal-orders/{order_id}"),
        ("POST", f"/api/v1/meal-orders/{order_id}/cancel"),
    ):
        answer = await client.request(method, url, headers=stranger.headers)
        assert answer.status_code == 404, url
        assert problem(answer)["code"] == "not_found"
    mine = await client.get("/api/v1/me/meal-orders", headers=stranger.headers)
    assert mine.json()["items"] == []
    still = await client.get(f"/api/v1/meal-orders/{order_id}", headers=owner.headers)
    assert still.json()["status"] == "confirmed"


@pytest.mark.parametrize(
    ("method", "path"), [e for e in ENDPOINTS if e[1].startswith("/api/v1/manage/")]
)
async def test_a_worker_of_another_venue_runs_nothing_here(
    client: httpx.AsyncClient,
    db: Sessions,
    make_user: MakeUser,
    clock: FrozenClock,
    method: str,
    path: str,
) -> None:
    place = await canteen(client, make_user, clock)
    outsider = await make_user("worker")
    elsewhere = await create_venue(client, place.admin.headers, "另一个场馆")
    await _assign(client, place, outsider, elsewhere["id"])
    url, body, _ = await BUILDERS[(method, path)](client, db, make_user, place, outsider)
    answer = await client.request(method, url, json=body, headers=outsider.headers)
    assert answer.status_code == 403, answer.text
    assert problem(answer)["code"] == "forbidden"
