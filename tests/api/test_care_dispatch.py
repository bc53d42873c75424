"""The provider's side of care orders through HTTP: assigning (who to, when, overlaps), the
dispatcher's list and board, the caregiver's day (what it shows, and when), and the reminders
before a visit."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import UUID

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import update

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.eldercare.models import CareOrder
from backend.jobs.testing import drain
from tests.api.care_support import (
    ADDRESS,
    API,
    DAY,
    ORDERS,
    Household,
    Provider,
    Sessions,
    assign,
    at,
    inbox,
    make_household,
    make_provider,
    ordered,
)
from tests.conftest import problem
from tests.factories import MakeUser

BOARD = f"{API}/manage/care/board"
MANAGED = f"{API}/manage/care/orders"
VISITS = f"{API}/caregiver/visits"


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


async def _set(db: Sessions, order_id: str, **values: object) -> None:
    async with db() as session, session.begin():
        await session.execute(
            update(CareOrder).where(CareOrder.id == UUID(order_id)).values(**values)
        )


# --- assigning ----------------------------------------------------------------------------------


async def test_assigning_tells_the_caregiver_and_the_household(
    client: httpx.AsyncClient, db: Sessions, provider: Provider, household: Household
) -> None:
    order = await ordered(client, household, at(DAY, 14))
    first, second = provider.caregivers
    answer = await assign(client, provider.dispatcher, order["id"], first)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "assigned"
    assert answer.json()["caregiverId"] == str(first.id)
    [visit] = await inbox(db, first.id, "care_visit_assigned")
    assert visit.data["orderId"] == order["id"]
    [told] = await inbox(db, household.resident.id, "care_order_assigned")
    assert told.data["caregiverName"] == first.name
    # The same caregiver again: nothing changes, nobody is told twice.
    assert (await assign(client, provider.dispatcher, order["id"], first)).status_code == 200
    assert len(await inbox(db, first.id)) == 1
    # Reassigned before the visit: the first caregiver hears it went to another.
    moved = await assign(client, provider.dispatcher, order["id"], second)
    assert moved.json()["caregiverId"] == str(second.id)
    assert len(await inbox(db, first.id, "care_visit_unassigned")) == 1
    assert len(await inbox(db, second.id, "care_visit_assigned")) == 1
    assert len(await inbox(db, household.resident.id, "care_order_assigned")) == 2


async def test_assignment_refusals(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    provider: Provider,
    household: Household,
) -> None:
    other = await make_provider(db, settings, clock, name="康乐", caregivers=1)
    order = await ordered(client, household, at(DAY, 14), providerId=str(provider.id))
    caregiver = provider.caregivers[0]

    async def code(dispatcher: object, order_id: str, who: object) -> tuple[int, str]:
        answer = await assign(client, dispatcher, order_id, who)  # type: ignore[arg-type]
        return answer.status_code, problem(answer)["code"]

    # Another provider's order does not exist for its dispatcher.
    assert await code(other.dispatcher, order["id"], other.caregivers[0]) == (404, "not_found")
    assert await code(provider.dispatcher, order["id"], other.caregivers[0]) == (
        422,
        "not_provider_caregiver",
    )
    # A dispatcher is no caregiver.
    assert await code(provider.dispatcher, order["id"], provider.dispatcher) == (
        422,
        "not_provider_caregiver",
    )
    # Overlapping visits for one caregiver: the database refuses the second.
    mine = {"providerId": str(provider.id)}
    overlapping = await ordered(client, household, at(DAY, 15), service="bathing", **mine)
    assert (await assign(client, provider.dispatcher, order["id"], caregiver)).status_code == 200
    assert await code(provider.dispatcher, overlapping["id"], caregiver) == (409, "caregiver_busy")
    # Back to back is no overlap: cleaning ends at 16:00.
    after = await ordered(client, household, at(DAY, 16), service="haircut", **mine)
    assert (await assign(client, provider.dispatcher, after["id"], caregiver)).status_code == 200
    # A cancelled visit frees the caregiver's time.
    cancel = await client.post(
        f"{ORDERS}/{order['id']}/cancel",
        json={"reason": "改期"},
        headers=household.resident.headers,
    )
    assert cancel.status_code == 200
    assert (
        await assign(client, provider.dispatcher, overlapping["id"], caregiver)
    ).status_code == 200
    assert await code(provider.dispatcher, order["id"], caregiver) == (
        409,
        "care_order_invalid_status",
    )
    # Once its time has come, a visit is no longer assigned.
    clock.set(at(DAY, 16))
    assert await code(provider.dispatcher, after["id"], provider.caregivers[1]) == (
        409,
        "visit_time_passed",
    )


# --- the dispatcher's list and board ------------------------------------------------------------


async def test_the_list_and_board_show_the_providers_own_orders(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    make_user: MakeUser,
    provider: Provider,
    household: Household,
) -> None:
    other = await make_provider(db, settings, clock, name="康乐")
    a = await ordered(client, household, at(DAY, 9), providerId=str(provider.id))
    b = await ordered(client, household, at(DAY, 12), providerId=str(provider.id))
    c = await ordered(client, household, at(DAY, 15), providerId=str(provider.id))
    tomorrow = await ordered(
        client, household, at(DAY + timedelta(days=1), 9), providerId=str(provider.id)
    )
    theirs = await ordered(client, household, at(DAY, 10), providerId=str(other.id))
    assert (
        await assign(client, provider.dispatcher, b["id"], provider.caregivers[0])
    ).status_code == 200
    await _set(db, c["id"], flags=["far_from_home"])
    headers = provider.dispatcher.headers

    listed = await client.get(MANAGED, headers=headers)
    assert [o["id"] for o in listed.json()["items"]] == [a["id"], b["id"], c["id"], tomorrow["id"]]
    on_day = await client.get(
        MANAGED, params={"date": DAY.isoformat(), "status": "requested"}, headers=headers
    )
    assert [o["id"] for o in on_day.json()["items"]] == [a["id"], c["id"]]
    admin = await make_user("admin")
    everything = await client.get(MANAGED, params={"date": DAY.isoformat()}, headers=admin.headers)
    assert theirs["id"] in [o["id"] for o in everything.json()["items"]]

    board = (await client.get(BOARD, headers=headers)).json()
    assert board["date"] == DAY.isoformat()
    columns = {col["status"]: col for col in board["columns"]}
    assert list(columns)[:3] == ["requested", "assigned", "in_progress"]
    assert columns["requested"]["count"] == 2
    assert [o["id"] for o in columns["assigned"]["orders"]] == [b["id"]]
    assert columns["cancelled"]["count"] == 0
    assert board["unassigned"]["count"] == 2
    assert [o["id"] for o in board["flagged"]["orders"]] == [c["id"]]
    assert all(o["id"] != theirs["id"] for col in board["columns"] for o in col["orders"])
    later = await client.get(
        BOARD, params={"date": (DAY + timedelta(days=1)).isoformat()}, headers=headers
    )
    assert later.json()["unassigned"]["orders"][0]["id"] == tomorrow["id"]


# --- the caregiver's day ------------------------------------------------------------------------


async def test_the_caregivers_day_shows_the_address_on_the_day_only(
    client: httpx.AsyncClient,
    db: Sessions,
    provider: Provider,
    household: Household,
    make_user: MakeUser,
) -> None:
    caregiver, colleague = provider.caregivers
    late = await ordered(client, household, at(DAY, 16), service="haircut")
    early = await ordered(client, household, at(DAY, 9), service="haircut")
    tomorrow = await ordered(client, household, at(DAY + timedelta(days=1), 9), service="haircut")
    elsewhere = await ordered(client, household, at(DAY, 12), service="haircut")
    for order, who in (
        (late, caregiver),
        (early, caregiver),
        (tomorrow, caregiver),
        (elsewhere, colleague),
    ):
        assert (await assign(client, provider.dispatcher, order["id"], who)).status_code == 200

    day = (await client.get(VISITS, headers=caregiver.headers)).json()["items"]
    assert [v["id"] for v in day] == [early["id"], late["id"]]
    assert day[0]["address"] == ADDRESS
    assert day[0]["masked"] is False
    assert day[0]["contactPhone"] == household.resident.phone
    # Issue 14: the address and the notes for the day of an assigned visit, not before.
    assert day[0]["healthNotes"] == "糖尿病，注意饮食"
    assert day[0]["location"] == {"lat": 30.77, "lng": 120.76}

    ahead = await client.get(
        VISITS, params={"date": (DAY + timedelta(days=1)).isoformat()}, headers=caregiver.headers
    )
    [next_day] = ahead.json()["items"]
    assert next_day["masked"] is True
    assert "302" not in next_day["address"]
    assert next_day["contactPhone"] is None
    assert next_day["healthNotes"] is None

    # Under way: still shown; over: masked again, the notes gone.
    await _set(db, early["id"], status="in_progress")
    await _set(db, late["id"], status="completed")
    day = (await client.get(VISITS, headers=caregiver.headers)).json()["items"]
    assert day[0]["healthNotes"] == "糖尿病，注意饮食"
    assert day[1]["masked"] is True
    assert day[1]["healthNotes"] is None


# --- reminders ----------------------------------------------------------------------------------


async def test_a_visit_is_reminded_once_an_hour_before(
    client: httpx.AsyncClient,
    db: Sessions,
    app: Litestar,
    clock: FrozenClock,
    provider: Provider,
    household: Household,
) -> None:
    caregiver = provider.caregivers[0]
    visit = await ordered(client, household, at(DAY, 14))
    # Never assigned: no reminder (the household's one reminder below is the assigned visit's).
    await ordered(client, household, at(DAY, 14, 30), service="haircut")
    off = await ordered(client, household, at(DAY, 17), service="haircut")
    assert (await assign(client, provider.dispatcher, visit["id"], caregiver)).status_code == 200
    assert (await assign(client, provider.dispatcher, off["id"], caregiver)).status_code == 200
    cancel = await client.post(
        f"{ORDERS}/{off['id']}/cancel",
        json={"reason": "不用了"},
        headers=household.resident.headers,
    )
    assert cancel.status_code == 200

    for moment in (at(DAY, 12, 59), at(DAY, 13), at(DAY, 13, 30), at(DAY, 16), at(DAY, 16, 30)):
        clock.set(moment)
        await drain(app)
        if moment == at(DAY, 12, 59):
            assert await inbox(db, household.resident.id, "care_visit_reminder") == []
    [household_reminder] = await inbox(db, household.resident.id, "care_visit_reminder")
    assert household_reminder.data["orderId"] == visit["id"]
    assert household_reminder.data["caregiverName"] == caregiver.name
    [caregiver_reminder] = await inbox(db, caregiver.id, "care_visit_upcoming")
    assert caregiver_reminder.data["orderId"] == visit["id"]

    # Assigned inside the hour: they were just told, no reminder.
    soon = await ordered(client, household, at(DAY, 17, 10), service="visit_chat")
    assert (await assign(client, provider.dispatcher, soon["id"], caregiver)).status_code == 200
    clock.set(at(DAY, 16, 45))
    await drain(app)
    assert len(await inbox(db, caregiver.id, "care_visit_upcoming")) == 1
