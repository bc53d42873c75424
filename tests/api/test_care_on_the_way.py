"""The caregiver on the way (issue 14: "caregiver on the way/arrived"): once per assignment,
from two hours before the start, the household told in the same transaction, and what must
never happen (another caregiver, too early, after the visit is missed, twice)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import pytest

from backend.config import Settings
from backend.core.clock import FrozenClock
from tests.api.care_visit_support import (
    API,
    CareSetup,
    Sessions,
    care_setup,
    check_in,
    kinds,
    order,
)
from tests.conftest import problem
from tests.factories import Account, MakeUser, care_staff

START = datetime(2027, 3, 15, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


@pytest.fixture
async def setup(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    make_user: MakeUser,
) -> CareSetup:
    clock.set(START - timedelta(days=1))
    return await care_setup(client, db, settings, clock, make_user)


async def _set_out(client: httpx.AsyncClient, caregiver: Account, order_id: UUID) -> httpx.Response:
    return await client.post(
        f"{API}/caregiver/visits/{order_id}/on-the-way", headers=caregiver.headers
    )


async def test_on_the_way_tells_the_household_and_shows_on_the_order(
    client: httpx.AsyncClient, db: Sessions, clock: FrozenClock, setup: CareSetup
) -> None:
    order_id = await order(db, setup, START)
    clock.set(START - timedelta(minutes=40))
    answer = await _set_out(client, setup.caregiver, order_id)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "assigned"
    assert body["onTheWayAt"] == "2027-03-15T08:20:00+08:00"
    assert await kinds(client, setup.household) == ["care_caregiver_on_the_way"]
    inbox = await client.get(f"{API}/me/notifications", headers=setup.household.headers)
    told = inbox.json()["items"][0]
    assert told["data"]["orderId"] == str(order_id)
    assert "张建国" in told["body"]
    # The household's own read shows it too; the check-in follows as before.
    mine = await client.get(f"{API}/care/orders/{order_id}", headers=setup.household.headers)
    assert mine.json()["onTheWayAt"] == "2027-03-15T08:20:00+08:00"
    clock.set(START - timedelta(minutes=5))
    assert (await check_in(client, setup.caregiver, order_id)).status_code == 200
    assert await kinds(client, setup.household) == [
        "care_caregiver_on_the_way",
        "care_caregiver_arrived",
    ]


async def test_the_window_opens_two_hours_before_and_closes_when_missed(
    client: httpx.AsyncClient, db: Sessions, clock: FrozenClock, setup: CareSetup
) -> None:
    order_id = await order(db, setup, START)
    clock.set(START - timedelta(hours=2, seconds=1))
    early = await _set_out(client, setup.caregiver, order_id)
    assert early.status_code == 422, early.text
    assert problem(early)["code"] == "too_early_to_set_out"
    clock.set(START - timedelta(hours=2))
    assert (await _set_out(client, setup.caregiver, order_id)).status_code == 200

    late_id = await order(db, setup, START + timedelta(hours=4))
    clock.set(START + timedelta(hours=4, minutes=30))
    late = await _set_out(client, setup.caregiver, late_id)
    assert late.status_code == 409, late.text
    assert problem(late)["code"] == "visit_missed"
    assert await kinds(client, setup.household) == ["care_caregiver_on_the_way"]


async def test_refusals_never_tell_the_household(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    setup: CareSetup,
) -> None:
    order_id = await order(db, setup, START)
    clock.set(START - timedelta(minutes=30))
    # Another caregiver of the same provider, and an unknown order: 404 alike.
    other = await care_staff(db, settings, clock, "caregiver", setup.provider_id)
    assert (await _set_out(client, other, order_id)).status_code == 404
    unknown = await _set_out(client, setup.caregiver, UUID(int=7))
    assert unknown.status_code == 404
    # A cancelled order, and one already under way.
    cancelled = await order(db, setup, START + timedelta(hours=1), status="cancelled")
    refused = await _set_out(client, setup.caregiver, cancelled)
    assert refused.status_code == 409
    assert problem(refused)["code"] == "care_order_invalid_status"
    assert (await check_in(client, setup.caregiver, order_id)).status_code == 200
    under_way = await _set_out(client, setup.caregiver, order_id)
    assert under_way.status_code == 409
    assert problem(under_way)["code"] == "care_order_invalid_status"
    assert await kinds(client, setup.household) == ["care_caregiver_arrived"]


async def test_a_reassignment_clears_it_for_the_new_caregiver(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    setup: CareSetup,
) -> None:
    order_id = await order(db, setup, START)
    clock.set(START - timedelta(minutes=90))
    assert (await _set_out(client, setup.caregiver, order_id)).status_code == 200
    again = await _set_out(client, setup.caregiver, order_id)
    assert again.status_code == 409
    assert problem(again)["code"] == "already_on_the_way"
    other = await care_staff(db, settings, clock, "caregiver", setup.provider_id)
    assigned = await client.post(
        f"{API}/manage/care/orders/{order_id}/assign",
        json={"caregiverId": str(other.id)},
        headers=setup.dispatcher.headers,
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["onTheWayAt"] is None
    assert (await _set_out(client, setup.caregiver, order_id)).status_code == 404
    assert (await _set_out(client, other, order_id)).status_code == 200


@pytest.mark.storm
async def test_many_taps_at_once_tell_the_household_once(
    client: httpx.AsyncClient, db: Sessions, clock: FrozenClock, setup: CareSetup
) -> None:
    order_id = await order(db, setup, START)
    clock.set(START - timedelta(minutes=30))
    answers = await asyncio.gather(
        *(_set_out(client, setup.caregiver, order_id) for _ in range(20))
    )
    assert Counter(a.status_code for a in answers) == {200: 1, 409: 19}
    assert {problem(a)["code"] for a in answers if a.status_code == 409} == {"already_on_the_way"}
    assert await kinds(client, setup.household) == ["care_caregiver_on_the_way"]
