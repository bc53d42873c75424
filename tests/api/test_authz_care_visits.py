"""Authorization matrix of home visits: every endpoint for every role in ``tests.authz.ROLES``.
Each allowed caller is the one the rule names (the assigned caregiver, the order's household);
the object-level refusals (another caregiver, another household: 404) are in
tests/api/test_care_visits.py, a dispatcher's scope in tests/api/test_care_visits_staff.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from backend.config import Settings
from backend.core.clock import FrozenClock
from tests.api.care_visit_support import API, HOME, Sessions, care_setup, check_in, order
from tests.authz import OK, ROLES, Call, check_every_role
from tests.factories import Account, MakeUser

ENDPOINTS = [
    ("POST", "/api/v1/caregiver/visits/{orderId:uuid}/check-in"),
    ("POST", "/api/v1/caregiver/visits/{orderId:uuid}/check-out"),
    ("GET", "/api/v1/care/orders/{orderId:uuid}/elder-code"),
    ("POST", "/api/v1/care/orders/{orderId:uuid}/confirm"),
    ("POST", "/api/v1/care/orders/{orderId:uuid}/dispute"),
    ("GET", "/api/v1/care/orders/{orderId:uuid}/visit"),
    ("GET", "/api/v1/manage/care/statistics"),
    ("GET", "/api/v1/manage/care/statistics.csv"),
    ("GET", "/api/v1/manage/care/visits.csv"),
    ("POST", "/api/v1/caregiver/visits/{orderId:uuid}/on-the-way"),
]


def _only(*roles: str) -> dict[str, Any]:
    return {**dict.fromkeys(ROLES, 403), "anonymous": 401, **dict.fromkeys(roles, OK)}


CAREGIVER, HOUSEHOLD = _only("caregiver"), _only("resident")
OVERSEERS = _only("dispatcher", "worker", "admin")
EXPECTED: dict[tuple[str, str], dict[str, Any]] = {
    ENDPOINTS[0]: CAREGIVER,
    ENDPOINTS[1]: CAREGIVER,
    ENDPOINTS[2]: HOUSEHOLD,
    ENDPOINTS[3]: HOUSEHOLD,
    ENDPOINTS[4]: HOUSEHOLD,
    ENDPOINTS[5]: _only("resident", "dispatcher", "caregiver"),
    ENDPOINTS[6]: OVERSEERS,
    ENDPOINTS[7]: OVERSEERS,
    ENDPOINTS[8]: OVERSEERS,
    ENDPOINTS[9]: CAREGIVER,
}

Build = Callable[..., Awaitable[tuple[str, Any]]]


async def _visit(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    make_user: MakeUser,
    caller: Account | None,
    *,
    stage: str,
) -> str:
    """An order at the stage the endpoint acts on, whose caregiver or household is the caller
    when the caller has that role. Its id."""
    role = caller.role if caller else None
    setup = await care_setup(
        client,
        db,
        settings,
        clock,
        make_user,
        household=caller if role == "resident" else None,
        caregiver=caller if role == "caregiver" else None,
        dispatcher=caller if role == "dispatcher" else None,
    )
    starts = clock.now() + timedelta(minutes=30)
    order_id = await order(db, setup, starts)
    if stage in ("in_progress", "awaiting_confirmation"):
        assert (await check_in(client, setup.caregiver, order_id)).status_code == 200
    if stage == "awaiting_confirmation":
        body = {"lat": HOME[0], "lng": HOME[1], "tasks": []}
        checked_out = await client.post(
            f"{API}/caregiver/visits/{order_id}/check-out",
            json=body,
            headers=setup.caregiver.headers,
        )
        assert checked_out.status_code == 200
    return str(order_id)


def _on_visit(stage: str, path: str, body: Any) -> Build:
    async def build(*args: Any) -> tuple[str, Any]:
        order_id = await _visit(*args, stage=stage)
        return f"{API}/{path.format(order_id)}", body

    return build


def _report(path: str) -> Build:
    async def build(*_: Any) -> tuple[str, Any]:
        return f"{API}/manage/care/{path}", None

    return build


BUILDERS: dict[tuple[str, str], Build] = {
    ENDPOINTS[0]: _on_visit(
        "assigned", "caregiver/visits/{}/check-in", {"lat": HOME[0], "lng": HOME[1]}
    ),
    ENDPOINTS[1]: _on_visit(
        "in_progress",
        "caregiver/visits/{}/check-out",
        {"lat": HOME[0], "lng": HOME[1], "tasks": ["打扫"]},
    ),
    ENDPOINTS[2]: _on_visit("assigned", "care/orders/{}/elder-code", None),
    ENDPOINTS[3]: _on_visit("awaiting_confirmation", "care/orders/{}/confirm", {"rating": 5}),
    ENDPOINTS[4]: _on_visit("awaiting_confirmation", "care/orders/{}/dispute", {"reason": "迟到"}),
    ENDPOINTS[5]: _on_visit("in_progress", "care/orders/{}/visit", None),
    ENDPOINTS[6]: _report("statistics"),
    ENDPOINTS[7]: _report("statistics.csv"),
    ENDPOINTS[8]: _report("visits.csv"),
    ENDPOINTS[9]: _on_visit("assigned", "caregiver/visits/{}/on-the-way", None),
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
    async def arrange(caller: Account | None) -> Call:
        build = BUILDERS[(method, path)]
        url, body = await build(client, db, settings, clock, make_user, caller)
        return Call(url, body, 200)

    await check_every_role(
        client, method, EXPECTED[(method, path)], clock=clock, caller_of=make_user, arrange=arrange
    )
