"""Care orders through HTTP: requesting (the rules in their order, price and subsidy, the
provider that takes it), reading (who sees what), cancelling (the two windows), and what each
side is told."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID, uuid4

import httpx
import pytest
from sqlalchemy import func, select, update

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.eldercare.models import CareOrder
from backend.notifications.messages import render
from tests.api.care_support import (
    API,
    DAY,
    ORDERS,
    Household,
    Provider,
    Sessions,
    at,
    inbox,
    iso,
    make_household,
    make_provider,
    ordered,
    request,
)
from tests.conftest import problem
from tests.factories import MakeUser, add_member


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, access_token_ttl_seconds=30 * 24 * 3600)


@pytest.fixture(autouse=True)
def morning(clock: FrozenClock) -> None:
    clock.set(at(DAY, 8))


@pytest.fixture
async def provider(db: Sessions, settings: Settings, clock: FrozenClock) -> Provider:
    return await make_provider(db, settings, clock)


@pytest.fixture
async def household(client: httpx.AsyncClient, db: Sessions, make_user: MakeUser) -> Household:
    return await make_household(client, db, make_user)


async def _count(db: Sessions) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count()).select_from(CareOrder)) or 0)


# --- requesting ---------------------------------------------------------------------------------


async def test_a_household_requests_a_visit_and_the_dispatcher_is_told(
    client: httpx.AsyncClient, db: Sessions, provider: Provider, household: Household
) -> None:
    order = await ordered(client, household, at(DAY, 14))
    assert order["status"] == "requested"
    assert order["serviceCode"] == "cleaning"
    assert order["providerId"] == str(provider.id)
    assert order["elderName"] == "张建国"
    assert order["address"].endswith("****")
    assert "302" not in order["address"]
    assert (order["price"], order["subsidy"], order["payable"]) == (8000, 0, 8000)
    assert order["endsAt"] == iso(at(DAY, 16))
    assert order["caregiverId"] is None
    assert order["flags"] == []
    assert order["cancellableUntil"] is not None
    [told] = await inbox(db, provider.dispatcher.id)
    assert told.kind == "care_order_requested"
    assert told.data["orderId"] == order["id"]
    _title, body = render(told.kind, told.data, "zh-CN")
    assert "张建国" in body
    assert "助洁" in body
    assert "2027-03-01 14:00" in body
    assert "Home cleaning" in render(told.kind, told.data, "en")[1]
    # The caregivers are not told of an order nobody assigned them.
    assert await inbox(db, provider.caregivers[0].id) == []


async def test_a_subsidised_elder_pays_less_up_to_the_allowance(
    client: httpx.AsyncClient,
    db: Sessions,
    make_user: MakeUser,
    provider: Provider,
    household: Household,
) -> None:
    worker = await make_user("worker")
    subsidy = await client.put(
        f"{API}/manage/elders/{household.profile_id}/subsidy",
        json={"tier": "age_80_plus", "monthlyAllowance": 3000},
        headers=worker.headers,
    )
    assert subsidy.status_code == 200, subsidy.text
    # Cleaning: 8000 at 50 % is 4000, capped by the 3000 left.
    cleaning = await ordered(client, household, at(DAY, 14))
    assert (cleaning["price"], cleaning["subsidy"], cleaning["payable"]) == (8000, 3000, 5000)
    # A visit and chat: 3000 at 80 % is 2400; the allowance is only debited at confirmation.
    chat = await ordered(client, household, at(DAY, 17), service="visit_chat")
    assert (chat["price"], chat["subsidy"], chat["payable"]) == (3000, 2400, 600)


async def test_refusals_in_their_order_store_nothing(
    client: httpx.AsyncClient,
    db: Sessions,
    make_user: MakeUser,
    clock: FrozenClock,
    provider: Provider,
    household: Household,
) -> None:
    now = at(DAY, 8)

    async def code(member: UUID | None, starts: object, **extra: object) -> tuple[int, str]:
        body = {"serviceCode": "cleaning", "startsAt": starts, "note": "", **extra}
        if member is not None:
            body["memberId"] = str(member)
        answer = await client.post(ORDERS, json=body, headers=household.resident.headers)
        return answer.status_code, problem(answer)["code"]

    young = await add_member(db, household.resident.id, "张小明", date(2015, 1, 1))
    no_profile = await add_member(db, household.resident.id, "李秀兰", date(1945, 1, 1))
    stranger = await make_household(client, db, make_user)
    soon, good = iso(now + timedelta(minutes=29)), iso(now + timedelta(hours=3))
    assert await code(young, good) == (422, "not_an_elder")
    assert await code(stranger.elder_id, good) == (404, "not_found")
    assert await code(no_profile, good) == (422, "care_profile_missing")
    assert await code(household.elder_id, soon) == (422, "too_soon")
    assert await code(household.elder_id, iso(now - timedelta(days=1))) == (422, "too_soon")
    assert await code(household.elder_id, iso(now + timedelta(days=61))) == (422, "too_far")
    # The resident themself: not verified as 60 or over.
    assert await code(None, good) == (422, "not_an_elder")
    assert await code(household.elder_id, good, providerId=str(uuid4())) == (
        422,
        "unknown_care_provider",
    )
    async with db() as session, session.begin():
        from backend.eldercare.models import CareProviderService

        await session.execute(
            CareProviderService.__table__.delete().where(
                CareProviderService.provider_id == provider.id,
                CareProviderService.service_code == "cleaning",
            )
        )
    assert await code(household.elder_id, good, providerId=str(provider.id)) == (
        422,
        "service_not_offered",
    )
    assert await code(household.elder_id, good) == (422, "no_care_provider")
    # Exactly 30 minutes ahead is enough.
    assert (
        await request(client, household, now + timedelta(minutes=30), service="bathing")
    ).status_code == 201
    assert await _count(db) == 1


async def test_without_a_provider_the_least_busy_that_day_takes_it(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    provider: Provider,
    household: Household,
) -> None:
    other = await make_provider(db, settings, clock, name="康乐")
    first, second = sorted([provider.id, other.id])
    takers = [(await ordered(client, household, at(DAY, h)))["providerId"] for h in (10, 13, 16)]
    assert takers == [str(first), str(second), str(first)]
    # Another day starts even.
    tomorrow = (await ordered(client, household, at(DAY + timedelta(days=1), 10)))["providerId"]
    assert tomorrow == str(first)
    # A named provider takes it whatever its load.
    named = await ordered(client, household, at(DAY, 18), providerId=str(first))
    assert named["providerId"] == str(first)


async def test_a_retried_request_makes_one_order(
    client: httpx.AsyncClient, db: Sessions, provider: Provider, household: Household
) -> None:
    body = {
        "serviceCode": "haircut",
        "memberId": str(household.elder_id),
        "startsAt": iso(at(DAY, 15)),
        "note": "",
    }
    headers = {**household.resident.headers, "Idempotency-Key": "haircut-1"}
    first = await client.post(ORDERS, json=body, headers=headers)
    again = await client.post(ORDERS, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert await _count(db) == 1
    assert len(await inbox(db, provider.dispatcher.id)) == 1


# --- reading ------------------------------------------------------------------------------------


async def test_who_reads_an_order(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    make_user: MakeUser,
    provider: Provider,
    household: Household,
) -> None:
    order = await ordered(client, household, at(DAY, 14))
    url = f"{ORDERS}/{order['id']}"
    other = await make_provider(db, settings, clock, name="康乐")
    caregiver = provider.caregivers[0]
    for reader in (household.resident, provider.dispatcher):
        assert (await client.get(url, headers=reader.headers)).status_code == 200
    for outsider in (await make_user("resident"), other.dispatcher, caregiver):
        answer = await client.get(url, headers=outsider.headers)
        assert answer.status_code == 404, outsider.role
    assigned = await client.post(
        f"{API}/manage/care/orders/{order['id']}/assign",
        json={"caregiverId": str(caregiver.id)},
        headers=provider.dispatcher.headers,
    )
    assert assigned.status_code == 200, assigned.text
    seen = await client.get(url, headers=caregiver.headers)
    assert seen.status_code == 200
    assert seen.json()["caregiverName"] == caregiver.name
    # Only the household's answer says until when it may cancel.
    assert seen.json()["cancellableUntil"] is None
    mine = (await client.get(url, headers=household.resident.headers)).json()
    assert mine["cancellableUntil"] == iso(at(DAY, 12))


async def test_the_household_lists_its_orders_latest_visit_first(
    client: httpx.AsyncClient,
    db: Sessions,
    make_user: MakeUser,
    provider: Provider,
    household: Household,
) -> None:
    made = [await ordered(client, household, at(DAY, h)) for h in (15, 10, 12)]
    await ordered(client, await make_household(client, db, make_user), at(DAY, 11))
    url = f"{API}/me/care/orders"
    first = await client.get(url, params={"limit": 2}, headers=household.resident.headers)
    assert [o["startsAt"] for o in first.json()["items"]] == [iso(at(DAY, 15)), iso(at(DAY, 12))]
    rest = await client.get(
        url,
        params={"limit": 2, "cursor": first.json()["nextCursor"]},
        headers=household.resident.headers,
    )
    assert [o["id"] for o in rest.json()["items"]] == [made[1]["id"]]
    assert rest.json()["nextCursor"] is None


# --- cancelling ---------------------------------------------------------------------------------


async def test_the_household_cancels_until_two_hours_before(
    client: httpx.AsyncClient,
    db: Sessions,
    clock: FrozenClock,
    provider: Provider,
    household: Household,
) -> None:
    early = await ordered(client, household, at(DAY, 14))
    late = await ordered(client, household, at(DAY, 17))
    caregiver = provider.caregivers[0]
    assigned = await client.post(
        f"{API}/manage/care/orders/{early['id']}/assign",
        json={"caregiverId": str(caregiver.id)},
        headers=provider.dispatcher.headers,
    )
    assert assigned.status_code == 200
    clock.set(at(DAY, 12))  # exactly two hours before: still the household's
    cancelled = await client.post(
        f"{ORDERS}/{early['id']}/cancel",
        json={"reason": "家里有事"},
        headers=household.resident.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert body["status"] == "cancelled"
    assert body["cancelReason"] == "家里有事"
    assert body["cancellableUntil"] is None
    for told in (provider.dispatcher, caregiver):
        [message] = await inbox(db, told.id, "care_order_cancelled")
        assert message.data["reason"] == "家里有事"
    assert await inbox(db, household.resident.id, "care_order_cancelled") == []
    again = await client.post(
        f"{ORDERS}/{early['id']}/cancel",
        json={"reason": "再取消"},
        headers=household.resident.headers,
    )
    assert (again.status_code, problem(again)["code"]) == (409, "care_order_invalid_status")

    clock.set(at(DAY, 15, 1))  # under two hours before 17:00
    too_late = await client.post(
        f"{ORDERS}/{late['id']}/cancel",
        json={"reason": "不需要了"},
        headers=household.resident.headers,
    )
    assert (too_late.status_code, problem(too_late)["code"]) == (409, "cancel_too_late")
    # The provider still can, and the household is told.
    by_dispatcher = await client.post(
        f"{ORDERS}/{late['id']}/cancel",
        json={"reason": "家属来电取消"},
        headers=provider.dispatcher.headers,
    )
    assert by_dispatcher.status_code == 200
    assert len(await inbox(db, household.resident.id, "care_order_cancelled")) == 1


async def test_a_visit_under_way_is_cancelled_by_nobody(
    client: httpx.AsyncClient,
    db: Sessions,
    make_user: MakeUser,
    provider: Provider,
    household: Household,
) -> None:
    order = await ordered(client, household, at(DAY, 14))
    url = f"{ORDERS}/{order['id']}/cancel"
    stranger = await make_user("resident")
    answer = await client.post(url, json={"reason": "x"}, headers=stranger.headers)
    assert answer.status_code == 404
    async with db() as session, session.begin():
        await session.execute(
            update(CareOrder)
            .where(CareOrder.id == UUID(order["id"]))
            .values(status="in_progress", caregiver_id=provider.caregivers[0].id)
        )
    for caller in (household.resident, provider.dispatcher):
        answer = await client.post(url, json={"reason": "取消"}, headers=caller.headers)
        assert (answer.status_code, problem(answer)["code"]) == (409, "care_order_invalid_status")
        assert problem(answer)["detail"]
    async with db() as session:
        assert await session.scalar(select(CareOrder.status)) == "in_progress"
