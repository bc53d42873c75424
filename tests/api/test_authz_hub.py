"""The hub's authorization matrix: each role against each hub endpoint.

Roles are those of ``tests/authz.py`` with the worker split in two: the worker assigned to the
venue the object belongs to, and a worker of another venue. "ok" means the caller got past
authorization — any answer but 401, 403 or 404 (a 409 or 422 about the object's state is fine).
A resident reaching another resident's booking gets 404, never 403.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar

from backend.core.clock import FrozenClock
from backend.core.routing import http_handlers
from backend.hub import routes as hub_routes
from tests.api.hub_support import API, TUESDAY, Hub, at, booked, make_hub
from tests.authz import ROLES
from tests.factories import Account, MakeUser

HUB_ROLES = (*ROLES, "other_worker")

ENDPOINTS: list[tuple[str, str]] = [
    ("GET", "/api/v1/venues"),
    ("GET", "/api/v1/venues/{venueId:uuid}"),
    ("GET", "/api/v1/rooms/{roomId:uuid}"),
    ("GET", "/api/v1/rooms/{roomId:uuid}/availability"),
    ("GET", "/api/v1/venues/{venueId:uuid}/availability"),
    ("POST", "/api/v1/bookings"),
    ("GET", "/api/v1/me/bookings"),
    ("GET", "/api/v1/bookings/{bookingId:uuid}"),
    ("POST", "/api/v1/bookings/{bookingId:uuid}/cancel"),
    ("GET", "/api/v1/manage/bookings"),
    ("POST", "/api/v1/manage/bookings/recurring"),
    ("POST", "/api/v1/manage/bookings/{bookingId:uuid}/approve"),
    ("POST", "/api/v1/manage/bookings/{bookingId:uuid}/reject"),
    ("POST", "/api/v1/manage/bookings/{bookingId:uuid}/check-in"),
    ("POST", "/api/v1/manage/bookings/check-in"),
    ("POST", "/api/v1/manage/bookings/{bookingId:uuid}/no-show"),
    ("POST", "/api/v1/manage/rooms/{roomId:uuid}/closures"),
    ("POST", "/api/v1/manage/venues/{venueId:uuid}/closures"),
    ("GET", "/api/v1/manage/venues/{venueId:uuid}/closures"),
    ("DELETE", "/api/v1/manage/closures/{closureId:uuid}"),
    ("GET", "/api/v1/manage/venues"),
    ("POST", "/api/v1/manage/venues"),
    ("PATCH", "/api/v1/manage/venues/{venueId:uuid}"),
    ("POST", "/api/v1/manage/venues/{venueId:uuid}/rooms"),
    ("PATCH", "/api/v1/manage/rooms/{roomId:uuid}"),
    ("PUT", "/api/v1/admin/users/{userId:uuid}/venues"),
    ("GET", "/api/v1/admin/users/{userId:uuid}/venues"),
]

OK = "ok"
# role -> expected outcome, by kind of endpoint
PUBLIC = dict.fromkeys(HUB_ROLES, OK)
ANY_USER = {**dict.fromkeys(HUB_ROLES, OK), "anonymous": 401}
RESIDENT = {**dict.fromkeys(HUB_ROLES, 403), "anonymous": 401, "resident": OK}
MANAGE = {
    "anonymous": 401,
    "resident": 403,
    "staff": 403,
    "worker": OK,
    "other_worker": 403,
    "admin": OK,
    "dispatcher": 403,
    "caregiver": 403,
}
MANAGE_ANY_VENUE = {**MANAGE, "other_worker": OK}
ADMIN = {**dict.fromkeys(HUB_ROLES, 403), "anonymous": 401, "admin": OK}
# Someone else's booking: residents and staff must not learn it exists.
OTHERS_BOOKING = {**MANAGE, "resident": 404, "staff": 404, "dispatcher": 404, "caregiver": 404}


@dataclass
class World:
    hub: Hub
    owner: Account  # a resident who is none of the roles under test
    client: httpx.AsyncClient
    worker_account: Account

    async def booking(self, *, approval: bool = False) -> str:
        # A fresh booking by a fresh resident each time, so one role's action never changes
        # what the next role meets.
        self.slot += 1
        if approval:
            room, length = self.hub.approval_room_id, timedelta(hours=1)
            # Seven hours a Tuesday; more roles than that go on to the next Tuesday.
            week = timedelta(days=7 * (self.slot // 7 % 2))
            start = at(TUESDAY + week, 13, 30) + length * (self.slot % 7)
        else:
            room, length = self.hub.room_id, timedelta(minutes=30)
            start = at(TUESDAY, 8) + length * (self.slot % 8)
        made = await booked(self.client, await quick(self), room, start, start + length)
        return str(made["id"])

    async def closure(self) -> str:
        self.slot += 1
        day = TUESDAY + timedelta(days=3)
        response = await self.client.post(
            f"{API}/manage/rooms/{self.hub.room_id}/closures",
            json={
                "startsAt": (at(day, 0) + timedelta(minutes=self.slot)).isoformat(),
                "endsAt": (at(day, 0) + timedelta(minutes=self.slot + 1)).isoformat(),
                "reason": "检修",
            },
            headers=self.hub.admin.headers,
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    slot: int = 0
    make: MakeUser | None = None


async def quick(world: World) -> Account:
    assert world.make is not None
    return await world.make()


Prepare = Callable[[World], Awaitable[tuple[dict[str, str], dict[str, Any] | None]]]


def _const(
    params: Callable[[World], dict[str, str]], body: dict[str, Any] | None = None
) -> Prepare:
    async def prepare(world: World) -> tuple[dict[str, str], dict[str, Any] | None]:
        return params(world), body

    return prepare


def _booking(body: dict[str, Any] | None = None, *, approval: bool = False) -> Prepare:
    async def prepare(world: World) -> tuple[dict[str, str], dict[str, Any] | None]:
        return {"bookingId": await world.booking(approval=approval)}, body

    return prepare


async def _by_code(world: World) -> tuple[dict[str, str], dict[str, Any] | None]:
    world.slot += 1
    start = at(TUESDAY + timedelta(days=4), 8) + timedelta(minutes=30 * (world.slot % 8))
    made = await booked(
        world.client, await quick(world), world.hub.room_id, start, start + timedelta(minutes=30)
    )
    return {}, {"checkInCode": made["checkInCode"]}


async def _closure(world: World) -> tuple[dict[str, str], dict[str, Any] | None]:
    return {"closureId": await world.closure()}, None


def _closure_body(world: World) -> dict[str, Any]:
    world.slot += 1
    start = at(TUESDAY + timedelta(days=4), 0) + timedelta(minutes=world.slot)
    return {
        "startsAt": start.isoformat(),
        "endsAt": (start + timedelta(minutes=1)).isoformat(),
        "reason": "检修",
    }


async def _room_closure(world: World) -> tuple[dict[str, str], dict[str, Any] | None]:
    return {"roomId": world.hub.room_id}, _closure_body(world)


async def _venue_closure(world: World) -> tuple[dict[str, str], dict[str, Any] | None]:
    return {"venueId": world.hub.venue_id}, _closure_body(world)


async def _recurring(world: World) -> tuple[dict[str, str], dict[str, Any] | None]:
    world.slot += 1
    start = at(TUESDAY + timedelta(days=4), 13, 30) + timedelta(minutes=30 * (world.slot % 14))
    return {}, {
        "roomId": world.hub.room_id,
        "groupName": "合唱团",
        "startsAt": start.isoformat(),
        "endsAt": (start + timedelta(minutes=30)).isoformat(),
        "purpose": "排练",
        "weeks": 1,
    }


async def _new_booking(world: World) -> tuple[dict[str, str], dict[str, Any] | None]:
    world.slot += 1
    start = at(TUESDAY + timedelta(days=2), 8) + timedelta(minutes=30 * (world.slot % 8))
    return {}, {
        "roomId": world.hub.room_id,
        "startsAt": start.isoformat(),
        "endsAt": (start + timedelta(minutes=30)).isoformat(),
        "purpose": "下棋",
        "attendees": 2,
    }


def _venue(world: World) -> dict[str, str]:
    return {"venueId": world.hub.venue_id}


def _room(world: World) -> dict[str, str]:
    return {"roomId": world.hub.room_id}


def _worker(world: World) -> dict[str, str]:
    return {"userId": str(world.worker_account.id)}


CASES: dict[tuple[str, str], tuple[dict[str, Any], Prepare, dict[str, str]]] = {
    # (method, path): (expected per role, prepare, query)
    ("GET", "/api/v1/venues"): (PUBLIC, _const(lambda w: {}), {}),
    ("GET", "/api/v1/venues/{venueId:uuid}"): (PUBLIC, _const(_venue), {}),
    ("GET", "/api/v1/rooms/{roomId:uuid}"): (PUBLIC, _const(_room), {}),
    ("GET", "/api/v1/rooms/{roomId:uuid}/availability"): (
        PUBLIC, _const(_room), {"date": TUESDAY.isoformat()},
    ),
    ("GET", "/api/v1/venues/{venueId:uuid}/availability"): (
        PUBLIC, _const(_venue), {"date": TUESDAY.isoformat()},
    ),
    ("POST", "/api/v1/bookings"): (RESIDENT, _new_booking, {}),
    ("GET", "/api/v1/me/bookings"): (ANY_USER, _const(lambda w: {}), {}),
    ("GET", "/api/v1/bookings/{bookingId:uuid}"): (OTHERS_BOOKING, _booking(), {}),
    ("POST", "/api/v1/bookings/{bookingId:uuid}/cancel"): (
        OTHERS_BOOKING, _booking({"reason": "场地维修"}), {},
    ),
    ("GET", "/api/v1/manage/bookings"): (MANAGE, _const(lambda w: {}), {"venueId": ""}),
    ("POST", "/api/v1/manage/bookings/recurring"): (MANAGE, _recurring, {}),
    ("POST", "/api/v1/manage/bookings/{bookingId:uuid}/approve"): (
        MANAGE, _booking(approval=True), {},
    ),
    ("POST", "/api/v1/manage/bookings/{bookingId:uuid}/reject"): (
        MANAGE, _booking({"reason": "另有安排"}, approval=True), {},
    ),
    ("POST", "/api/v1/manage/bookings/{bookingId:uuid}/check-in"): (MANAGE, _booking(), {}),
    ("POST", "/api/v1/manage/bookings/check-in"): (MANAGE, _by_code, {}),
    ("POST", "/api/v1/manage/bookings/{bookingId:uuid}/no-show"): (MANAGE, _booking(), {}),
    ("POST", "/api/v1/manage/rooms/{roomId:uuid}/closures"): (MANAGE, _room_closure, {}),
    ("POST", "/api/v1/manage/venues/{venueId:uuid}/closures"): (MANAGE, _venue_closure, {}),
    ("GET", "/api/v1/manage/venues/{venueId:uuid}/closures"): (MANAGE, _const(_venue), {}),
    ("DELETE", "/api/v1/manage/closures/{closureId:uuid}"): (MANAGE, _closure, {}),
    ("GET", "/api/v1/manage/venues"): (MANAGE_ANY_VENUE, _const(lambda w: {}), {}),
    ("POST", "/api/v1/manage/venues"): (
        ADMIN, _const(lambda w: {}, {"name": "新馆", "address": "高照街道"}), {},
    ),
    ("PATCH", "/api/v1/manage/venues/{venueId:uuid}"): (
        ADMIN, _const(_venue, {"phone": "0573-8888"}), {},
    ),
    ("POST", "/api/v1/manage/venues/{venueId:uuid}/rooms"): (
        ADMIN,
        _const(
            _venue,
            {"name": "棋牌室", "kind": "activity", "capacity": 8, "slotMinutes": 60,
             "minMinutes": 60, "maxMinutes": 120},
        ),
        {},
    ),
    ("PATCH", "/api/v1/manage/rooms/{roomId:uuid}"): (ADMIN, _const(_room, {"capacity": 22}), {}),
    ("PUT", "/api/v1/admin/users/{userId:uuid}/venues"): (
        ADMIN, _const(_worker, None), {},
    ),
    ("GET", "/api/v1/admin/users/{userId:uuid}/venues"): (ADMIN, _const(_worker), {}),
}  # fmt: skip


def _fill(template: str, params: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: params[m.group(1)], template)


def test_every_hub_route_is_in_the_matrix(app: Litestar) -> None:
    # The app binds each controller's handlers to an instance of it.
    registered = {
        (method, route.path)
        for route, handler in http_handlers(app)
        if isinstance(getattr(handler.fn, "__self__", None), tuple(hub_routes.ROUTES))
        for method in handler.http_methods
    }
    assert registered == set(ENDPOINTS)
    assert set(CASES) == set(ENDPOINTS)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=[f"{m} {p}" for m, p in ENDPOINTS])
async def test_matrix(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    method: str,
    path: str,
) -> None:
    hub = await make_hub(client, make_user, clock)
    accounts: dict[str, Account | None] = {
        "anonymous": None,
        "resident": await make_user(),
        "worker": hub.worker,
        "other_worker": hub.other_worker,
        "staff": await make_user("staff"),
        "admin": hub.admin,
        "dispatcher": await make_user("dispatcher"),
        "caregiver": await make_user("caregiver"),
    }
    world = World(
        hub=hub,
        owner=await make_user(),
        client=client,
        worker_account=await make_user("worker"),
        make=make_user,
    )
    expected, prepare, query = CASES[(method, path)]
    if "venueId" in query:
        query = {"venueId": hub.venue_id}
    wrong = []
    for role in HUB_ROLES:
        params, body = await prepare(world)
        account = accounts[role]
        headers = account.headers if account is not None else {}
        if method == "PUT" and body is None:
            body = {"venueIds": [hub.venue_id]}
        response = await client.request(
            method, _fill(path, params), params=query, json=body, headers=headers
        )
        outcome: int | str = response.status_code
        if response.status_code not in (401, 403, 404) and response.status_code < 500:
            outcome = OK
        if outcome != expected[role]:
            wrong.append(f"{role}: {response.status_code} {response.text[:200]}")
    assert wrong == [], "\n".join(wrong)
