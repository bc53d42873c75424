"""The events domain's authorization matrix: every route, every role; and residents against
each other's registrations (always 404)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.core.routing import http_handlers
from tests import factories
from tests.api.events_support import iso, register
from tests.authz import ROLES
from tests.conftest import problem
from tests.factories import Account, draft, event_body, published

ENDPOINTS = [
    ("GET", "/api/v1/events"),
    ("GET", "/api/v1/events/{eventId:uuid}"),
    ("POST", "/api/v1/events/{eventId:uuid}/registrations"),
    ("POST", "/api/v1/events/{eventId:uuid}/feedback"),
    ("GET", "/api/v1/me/registrations"),
    ("GET", "/api/v1/registrations/{registrationId:uuid}"),
    ("POST", "/api/v1/registrations/{registrationId:uuid}/cancel"),
    ("POST", "/api/v1/manage/events"),
    ("GET", "/api/v1/manage/events"),
    ("GET", "/api/v1/manage/events/{eventId:uuid}"),
    ("PATCH", "/api/v1/manage/events/{eventId:uuid}"),
    ("POST", "/api/v1/manage/events/{eventId:uuid}/publish"),
    ("POST", "/api/v1/manage/events/{eventId:uuid}/cancel"),
    ("GET", "/api/v1/manage/events/{eventId:uuid}/registrations"),
    ("GET", "/api/v1/manage/events/{eventId:uuid}/registrations.csv"),
    ("POST", "/api/v1/manage/events/{eventId:uuid}/check-in"),
]

PUBLIC = frozenset(ROLES)
RESIDENT = frozenset({"resident"})
STAFF = frozenset({"staff", "admin"})

# Who may call each route, and what a permitted call answers in the world set up below.
ALLOWED: dict[tuple[str, str], tuple[frozenset[str], int]] = {
    ENDPOINTS[0]: (PUBLIC, 200),
    ENDPOINTS[1]: (PUBLIC, 200),
    ENDPOINTS[2]: (RESIDENT, 201),
    ENDPOINTS[3]: (RESIDENT, 201),
    ENDPOINTS[4]: (RESIDENT, 200),
    ENDPOINTS[5]: (RESIDENT, 200),
    ENDPOINTS[6]: (RESIDENT, 200),
    ENDPOINTS[7]: (STAFF, 201),
    ENDPOINTS[8]: (STAFF, 200),
    ENDPOINTS[9]: (STAFF, 200),
    ENDPOINTS[10]: (STAFF, 200),
    ENDPOINTS[11]: (STAFF, 200),
    ENDPOINTS[12]: (STAFF, 200),
    ENDPOINTS[13]: (STAFF, 200),
    ENDPOINTS[14]: (STAFF, 200),
    ENDPOINTS[15]: (STAFF, 200),
}


@dataclass
class World:
    client: httpx.AsyncClient
    clock: FrozenClock
    accounts: dict[str, Account]
    staff: Account

    def headers(self, role: str) -> dict[str, str]:
        return {} if role == "anonymous" else self.accounts[role].headers

    async def event(self, **overrides: Any) -> dict[str, Any]:
        return await published(self.client, self.staff.headers, self.clock, **overrides)


Request = tuple[str, dict[str, Any] | None]
Arrange = Callable[[World, str], Awaitable[Request]]


async def _event_page(w: World, role: str) -> Request:
    return "/api/v1/events", None


async def _event(w: World, role: str) -> Request:
    return f"/api/v1/events/{(await w.event())['id']}", None


async def _register(w: World, role: str) -> Request:
    return f"/api/v1/events/{(await w.event())['id']}/registrations", {"seats": 1}


async def _feedback(w: World, role: str) -> Request:
    # An event that is over, attended by the resident.
    now = w.clock.now()
    event = await w.event(
        startsAt=iso(now + timedelta(minutes=30)),
        endsAt=iso(now + timedelta(minutes=90)),
        registrationClosesAt=iso(now + timedelta(minutes=20)),
    )
    if role == "resident":
        ticket = (await register(w.client, event["id"], w.headers(role))).json()["ticketCode"]
        await w.client.post(
            f"/api/v1/manage/events/{event['id']}/check-in",
            json={"ticketCode": ticket},
            headers=w.staff.headers,
        )
    w.clock.advance(hours=2)
    return f"/api/v1/events/{event['id']}/feedback", {"rating": 4}


async def _mine(w: World, role: str) -> Request:
    return "/api/v1/me/registrations", None


async def _registration(w: World, role: str, action: str = "") -> Request:
    owner = w.accounts["resident"]
    event = await w.event()
    made = (await register(w.client, event["id"], owner.headers)).json()
    return f"/api/v1/registrations/{made['id']}{action}", None


async def _cancel_registration(w: World, role: str) -> Request:
    return await _registration(w, role, "/cancel")


async def _create(w: World, role: str) -> Request:
    return "/api/v1/manage/events", event_body(w.clock)


async def _managed_page(w: World, role: str) -> Request:
    return "/api/v1/manage/events", None


async def _managed(w: World, role: str, action: str = "") -> Request:
    return f"/api/v1/manage/events/{(await w.event())['id']}{action}", None


async def _patch(w: World, role: str) -> Request:
    path, _ = await _managed(w, role)
    return path, {"title": "改名"}


async def _publish(w: World, role: str) -> Request:
    event = await draft(w.client, w.staff.headers, w.clock)
    return f"/api/v1/manage/events/{event['id']}/publish", None


async def _cancel_event(w: World, role: str) -> Request:
    path, _ = await _managed(w, role, "/cancel")
    return path, {"reason": "测试"}


async def _registrations(w: World, role: str) -> Request:
    return await _managed(w, role, "/registrations")


async def _csv(w: World, role: str) -> Request:
    return await _managed(w, role, "/registrations.csv")


async def _check_in(w: World, role: str) -> Request:
    now = w.clock.now()
    event = await w.event(
        startsAt=iso(now + timedelta(minutes=30)),
        endsAt=iso(now + timedelta(minutes=90)),
        registrationClosesAt=iso(now + timedelta(minutes=20)),
    )
    made = (await register(w.client, event["id"], w.accounts["resident"].headers)).json()
    return f"/api/v1/manage/events/{event['id']}/check-in", {"ticketCode": made["ticketCode"]}


ARRANGE: dict[tuple[str, str], Arrange] = dict(
    zip(
        ENDPOINTS,
        [
            _event_page,
            _event,
            _register,
            _feedback,
            _mine,
            _registration,
            _cancel_registration,
            _create,
            _managed_page,
            _managed,
            _patch,
            _publish,
            _cancel_event,
            _registrations,
            _csv,
            _check_in,
        ],
        strict=True,
    )
)


@pytest.fixture
async def world(
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FrozenClock,
) -> World:
    accounts = {}
    for role in ROLES:
        if role == "anonymous":
            continue
        (accounts[role],) = await factories.users(db, settings, clock, 1, role=role, prefix=role)
    (staff,) = await factories.users(db, settings, clock, 1, role="staff", prefix="编辑")
    return World(client=client, clock=clock, accounts=accounts, staff=staff)


def test_every_events_route_is_in_the_matrix(app: Litestar) -> None:
    routes = {
        (method, route.path)
        for route, handler in http_handlers(app)
        if "events" in handler.resolve_tags()
        for method in handler.http_methods - {"HEAD", "OPTIONS"}
    }
    assert routes == set(ENDPOINTS)


@pytest.mark.parametrize(("method", "template"), ENDPOINTS)
async def test_matrix(world: World, method: str, template: str) -> None:
    allowed, success = ALLOWED[(method, template)]
    for role in ROLES:
        start = world.clock.now()
        path, body = await ARRANGE[(method, template)](world, role)
        answer = await world.client.request(method, path, json=body, headers=world.headers(role))
        world.clock.set(start)
        if role in allowed:
            assert answer.status_code == success, (role, answer.text)
        elif role == "anonymous":
            assert answer.status_code == 401, (role, answer.text)
            assert problem(answer)["code"] == "unauthorized"
        else:
            assert answer.status_code == 403, (role, answer.text)
            assert problem(answer)["code"] == "forbidden"


async def test_residents_cannot_reach_each_others_registrations(
    world: World, db: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    owner = world.accounts["resident"]
    (stranger,) = await factories.users(db, settings, world.clock, 1, prefix="路人")
    event = await world.event()
    made = (await register(world.client, event["id"], owner.headers)).json()

    peek = await world.client.get(f"/api/v1/registrations/{made['id']}", headers=stranger.headers)
    assert peek.status_code == 404
    assert problem(peek)["code"] == "not_found"
    cancel = await world.client.post(
        f"/api/v1/registrations/{made['id']}/cancel", headers=stranger.headers
    )
    assert cancel.status_code == 404
    mine = await world.client.get("/api/v1/me/registrations", headers=stranger.headers)
    assert mine.json()["items"] == []
    # Untouched: the owner still holds the seat.
    still = await world.client.get(f"/api/v1/registrations/{made['id']}", headers=owner.headers)
    assert still.json()["status"] == "confirmed"
