"""Authorization matrix of care orders: every endpoint for every role in ``tests.authz.ROLES``,
and an order out of reach of every other household, provider and caregiver (404)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any
from uuid import uuid4

import httpx
import pytest

from backend.config import Settings
from backend.core.clock import FrozenClock
from tests.api.care_support import (
    DAY,
    Household,
    Provider,
    Sessions,
    assign,
    at,
    iso,
    make_household,
    make_provider,
    ordered,
)
from tests.authz import OK, ROLES, Call, check_every_role
from tests.factories import Account, MakeUser

ENDPOINTS = [
    ("POST", "/api/v1/care/orders"),
    ("GET", "/api/v1/me/care/orders"),
    ("GET", "/api/v1/care/orders/{orderId:uuid}"),
    ("POST", "/api/v1/care/orders/{orderId:uuid}/cancel"),
    ("GET", "/api/v1/manage/care/orders"),
    ("GET", "/api/v1/manage/care/board"),
    ("POST", "/api/v1/manage/care/orders/{orderId:uuid}/assign"),
    ("GET", "/api/v1/caregiver/visits"),
]

NONE = {**dict.fromkeys(ROLES, 403), "anonymous": 401}
RESIDENT = {**NONE, "resident": OK}
READERS = {**NONE, "resident": OK, "dispatcher": OK, "caregiver": OK}
CANCELLERS = {**NONE, "resident": OK, "dispatcher": OK}
DISPATCH = {**NONE, "dispatcher": OK, "admin": OK}

EXPECTED: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/care/orders"): RESIDENT,
    ("GET", "/api/v1/me/care/orders"): RESIDENT,
    ("GET", "/api/v1/care/orders/{orderId:uuid}"): READERS,
    ("POST", "/api/v1/care/orders/{orderId:uuid}/cancel"): CANCELLERS,
    ("GET", "/api/v1/manage/care/orders"): DISPATCH,
    ("GET", "/api/v1/manage/care/board"): DISPATCH,
    ("POST", "/api/v1/manage/care/orders/{orderId:uuid}/assign"): {**NONE, "dispatcher": OK},
    ("GET", "/api/v1/caregiver/visits"): {**NONE, "caregiver": OK},
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, access_token_ttl_seconds=30 * 24 * 3600)


@pytest.fixture(autouse=True)
def morning(clock: FrozenClock) -> None:
    clock.set(at(DAY, 8))


class World:
    """A provider, a household with an order, and the caller placed where a call by its role
    can succeed: the household's resident, the provider's dispatcher or assigned caregiver."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        db: Sessions,
        settings: Settings,
        clock: FrozenClock,
        make_user: MakeUser,
    ) -> None:
        self.client, self.db, self.settings, self.clock = client, db, settings, clock
        self.make_user = make_user

    async def setup(self, caller: Account | None) -> tuple[Provider, Household, dict[str, Any]]:
        provider = await make_provider(self.db, self.settings, self.clock, caregivers=1)
        resident = caller if caller is not None and caller.role == "resident" else None
        household = await make_household(self.client, self.db, self.make_user, resident=resident)
        # Named, not left to the service's choice: the matrix arranges a world per admitted
        # role in one database, so other providers exist beside this one.
        order = await ordered(self.client, household, at(DAY, 14), providerId=str(provider.id))
        if caller is not None and caller.role in ("dispatcher", "caregiver"):
            await care_staff_link(self.db, caller, provider)
        if caller is not None and caller.role == "caregiver":
            assigned = await assign(self.client, provider.dispatcher, order["id"], caller)
            assert assigned.status_code == 200, assigned.text
        return provider, household, order


async def care_staff_link(db: Sessions, account: Account, provider: Provider) -> None:
    from backend.eldercare.models import CareProviderStaff

    async with db() as session, session.begin():
        session.add(CareProviderStaff(user_id=account.id, provider_id=provider.id))


Build = Callable[[World, Account | None], Awaitable[tuple[str, Any, int]]]


async def _create(world: World, caller: Account | None) -> tuple[str, Any, int]:
    _, household, _ = await world.setup(caller)
    body = {
        "serviceCode": "haircut",
        "memberId": str(household.elder_id),
        "startsAt": iso(at(DAY, 17)),
        "note": "",
    }
    return "/api/v1/care/orders", body, 201


async def _mine(world: World, caller: Account | None) -> tuple[str, Any, int]:
    return "/api/v1/me/care/orders", None, 200


async def _get(world: World, caller: Account | None) -> tuple[str, Any, int]:
    _, _, order = await world.setup(caller)
    return f"/api/v1/care/orders/{order['id']}", None, 200


async def _cancel(world: World, caller: Account | None) -> tuple[str, Any, int]:
    _, _, order = await world.setup(caller)
    return f"/api/v1/care/orders/{order['id']}/cancel", {"reason": "改期"}, 200


async def _managed(world: World, caller: Account | None) -> tuple[str, Any, int]:
    return "/api/v1/manage/care/orders", None, 200


async def _board(world: World, caller: Account | None) -> tuple[str, Any, int]:
    return "/api/v1/manage/care/board", None, 200


async def _assign(world: World, caller: Account | None) -> tuple[str, Any, int]:
    provider, _, order = await world.setup(caller)
    caregiver = provider.caregivers[0]
    return (
        f"/api/v1/manage/care/orders/{order['id']}/assign",
        {"caregiverId": str(caregiver.id)},
        200,
    )


async def _visits(world: World, caller: Account | None) -> tuple[str, Any, int]:
    return "/api/v1/caregiver/visits", None, 200


BUILDERS: dict[tuple[str, str], Build] = {
    ("POST", "/api/v1/care/orders"): _create,
    ("GET", "/api/v1/me/care/orders"): _mine,
    ("GET", "/api/v1/care/orders/{orderId:uuid}"): _get,
    ("POST", "/api/v1/care/orders/{orderId:uuid}/cancel"): _cancel,
    ("GET", "/api/v1/manage/care/orders"): _managed,
    ("GET", "/api/v1/manage/care/board"): _board,
    ("POST", "/api/v1/manage/care/orders/{orderId:uuid}/assign"): _assign,
    ("GET", "/api/v1/caregiver/visits"): _visits,
}


def test_every_endpoint_has_its_row() -> None:
    assert set(EXPECTED) == set(ENDPOINTS) == set(BUILDERS)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_matrix(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    make_user: MakeUser,
    method: str,
    path: str,
) -> None:
    world = World(client, db, settings, clock, make_user)

    async def arrange(caller: Account | None) -> Call:
        url, body, success = await BUILDERS[(method, path)](world, caller)
        # A creating POST names its Idempotency-Key (scoped to the caller, and claimed only
        # once a caller is admitted, so the refused roles' requests may share one).
        key = {"Idempotency-Key": str(uuid4())} if method == "POST" and success == 201 else {}
        return Call(url, body, success, headers=key)

    await check_every_role(
        client, method, EXPECTED[(method, path)], clock=clock, caller_of=make_user, arrange=arrange
    )


async def test_no_outsider_reaches_an_order(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    make_user: MakeUser,
) -> None:
    """Another household, another provider's dispatcher, a caregiver not assigned (of the same
    provider or another), a dispatcher without a provider: 404 on every order endpoint, and
    the order unchanged."""
    provider = await make_provider(db, settings, clock, caregivers=2)
    other = await make_provider(db, settings, clock, caregivers=1, name="康乐")
    household = await make_household(client, db, make_user)
    order = await ordered(client, household, at(DAY, 14), providerId=str(provider.id))
    assert (
        await assign(client, provider.dispatcher, order["id"], provider.caregivers[0])
    ).status_code == 200
    homeless = await make_user("dispatcher")
    outsiders = [
        await make_user("resident"),
        other.dispatcher,
        provider.caregivers[1],
        other.caregivers[0],
        homeless,
    ]
    url = f"/api/v1/care/orders/{order['id']}"
    for outsider in outsiders:
        read = await client.get(url, headers=outsider.headers)
        assert read.status_code == 404, outsider.role
        if outsider.role in ("resident", "dispatcher"):
            cancel = await client.post(
                f"{url}/cancel", json={"reason": "x"}, headers=outsider.headers
            )
            assert cancel.status_code == 404, outsider.role
        if outsider.role == "dispatcher":
            taken = await assign(client, outsider, order["id"], other.caregivers[0])
            assert taken.status_code == 404
            board = await client.get("/api/v1/manage/care/board", headers=outsider.headers)
            assert board.json()["unassigned"]["count"] == 0
            assert all(c["count"] == 0 for c in board.json()["columns"])
            listed = await client.get("/api/v1/manage/care/orders", headers=outsider.headers)
            assert listed.json()["items"] == []
        if outsider.role == "caregiver":
            day = await client.get("/api/v1/caregiver/visits", headers=outsider.headers)
            assert day.json()["items"] == []
        if outsider.role == "resident":
            mine = await client.get("/api/v1/me/care/orders", headers=outsider.headers)
            assert mine.json()["items"] == []
    still = await client.get(url, headers=household.resident.headers)
    assert still.json()["status"] == "assigned"
    assert still.json()["caregiverId"] == str(provider.caregivers[0].id)
    assert (await client.get(url, headers=provider.caregivers[0].headers)).status_code == 200
