"""Home visits through HTTP: check-in, check-out, the elder's code, confirm and dispute, and what
must never happen (another caregiver's visit, too early, twice, out of order, another
household's order)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.eldercare.models import CareAllowanceMonth, CareOrder, CareVisit
from tests.api import care_support as care
from tests.api.care_visit_support import (
    API,
    AWAY,
    HOME,
    CareSetup,
    Sessions,
    care_setup,
    check_in,
    check_out,
    kinds,
    order,
)
from tests.conftest import problem
from tests.factories import MakeUser, care_staff

# Monday 15 March 2027, 09:00 in Shanghai.
START = datetime(2027, 3, 15, 1, 0, tzinfo=UTC)


@pytest.fixture
async def setup(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    make_user: MakeUser,
) -> CareSetup:
    clock.set(START - timedelta(days=1))
    # Cleaning: 120 minutes, 8000 fen, half subsidised.
    return await care_setup(client, db, settings, clock, make_user, allowance=30000)


async def _order_row(db: Sessions, order_id: UUID) -> CareOrder:
    async with db() as session:
        return await session.get_one(CareOrder, order_id)


async def test_a_visit_from_check_in_to_confirmation(
    client: httpx.AsyncClient, db: Sessions, clock: FrozenClock, setup: CareSetup
) -> None:
    order_id = await order(db, setup, START)
    clock.set(START - timedelta(minutes=5))
    arrived = await check_in(client, setup.caregiver, order_id, (HOME[0] + 0.0005, HOME[1]))
    assert arrived.status_code == 200, arrived.text
    body = arrived.json()
    assert body["status"] == "in_progress"
    assert body["flags"] == []
    assert 50 <= body["checkInDistanceM"] <= 60
    assert body["elderCodeMatched"] is False
    assert body["checkOutAt"] is None
    assert await kinds(client, setup.household) == ["care_caregiver_arrived"]

    clock.set(START + timedelta(minutes=115))
    done = await check_out(client, setup.caregiver, order_id, notes="血压偏高，已提醒服药")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "awaiting_confirmation"
    assert done.json()["flags"] == []
    assert done.json()["tasks"] == ["打扫厨房", "换洗床单"]
    assert done.json()["notes"] == "血压偏高，已提醒服药"
    assert await kinds(client, setup.household) == [
        "care_caregiver_arrived",
        "care_visit_completed",
    ]
    async with db() as session:
        visit = await session.get_one(CareVisit, order_id)
    # The EVV record: who, when, where; the notes only encrypted.
    assert visit.caregiver_id == setup.caregiver.id
    assert (visit.check_in_at, visit.check_out_at) == (
        START - timedelta(minutes=5),
        START + timedelta(minutes=115),
    )
    assert visit.notes_enc is not None
    assert "血压".encode() not in visit.notes_enc

    clock.set(START + timedelta(hours=3))
    confirmed = await client.post(
        f"{API}/care/orders/{order_id}/confirm",
        json={"rating": 5, "comment": "很细心"},
        headers=setup.household.headers,
    )
    assert confirmed.status_code == 200, confirmed.text
    settled = confirmed.json()
    assert {k: settled[k] for k in ("id", "status", "price", "subsidy", "payable", "flags")} == {
        "id": str(order_id),
        "status": "completed",
        "price": 8000,
        "subsidy": 4000,
        "payable": 4000,
        "flags": [],
    }
    assert (settled["rating"], settled["comment"]) == (5, "很细心")
    assert settled["completedAt"].startswith("2027-03-15T12:00:00+08:00")
    profile = await client.get(
        f"{API}/me/care-profiles/{setup.elder_id}", headers=setup.household.headers
    )
    assert profile.json()["allowanceLeft"] == 26000


async def test_far_from_home_is_flagged_unless_the_elders_code_matches(
    client: httpx.AsyncClient, db: Sessions, clock: FrozenClock, setup: CareSetup
) -> None:
    plain, with_code, wrong_code = [
        await order(db, setup, START + timedelta(hours=3 * i)) for i in range(3)
    ]

    clock.set(START)
    far = await check_in(client, setup.caregiver, plain, AWAY)
    assert far.status_code == 200, far.text
    assert far.json()["flags"] == ["far_from_home"]
    assert 480 <= far.json()["checkInDistanceM"] <= 520

    code = await client.get(
        f"{API}/care/orders/{with_code}/elder-code", headers=setup.household.headers
    )
    assert code.status_code == 200, code.text
    assert len(code.json()["code"]) == 6
    clock.set(START + timedelta(hours=3))
    vouched = await check_in(client, setup.caregiver, with_code, AWAY, code.json()["code"])
    assert vouched.status_code == 200, vouched.text
    assert vouched.json()["flags"] == []
    assert vouched.json()["elderCodeMatched"] is True

    # The first order's code is not this one's; a wrong code is no error, only no exemption.
    other = await client.get(
        f"{API}/care/orders/{plain}/elder-code", headers=setup.household.headers
    )
    right = await client.get(
        f"{API}/care/orders/{wrong_code}/elder-code", headers=setup.household.headers
    )
    assert other.json()["code"] != right.json()["code"]
    clock.set(START + timedelta(hours=6))
    guessed = await check_in(client, setup.caregiver, wrong_code, AWAY, other.json()["code"])
    assert guessed.status_code == 200, guessed.text
    assert guessed.json()["flags"] == ["far_from_home"]
    assert guessed.json()["elderCodeMatched"] is False
    assert (await _order_row(db, wrong_code)).flags == ["far_from_home"]


async def test_a_visit_under_half_its_minutes_is_flagged_short(
    client: httpx.AsyncClient, db: Sessions, clock: FrozenClock, setup: CareSetup
) -> None:
    short, enough = (
        await order(db, setup, START),
        await order(db, setup, START + timedelta(hours=3)),
    )
    clock.set(START)
    await check_in(client, setup.caregiver, short)
    clock.advance(minutes=59)
    flagged = await check_out(client, setup.caregiver, short)
    assert flagged.json()["flags"] == ["short_visit"]
    clock.set(START + timedelta(hours=3))
    await check_in(client, setup.caregiver, enough, AWAY)
    clock.advance(minutes=60)
    both = await check_out(client, setup.caregiver, enough)
    assert both.json()["flags"] == ["far_from_home"]


async def test_refusals_of_check_in_and_check_out(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    setup: CareSetup,
) -> None:
    order_id = await order(db, setup, START)
    colleague = await care_staff(db, settings, clock, "caregiver", setup.provider_id)

    clock.set(START - timedelta(minutes=61))
    early = await check_in(client, setup.caregiver, order_id)
    assert early.status_code == 422
    assert problem(early)["code"] == "too_early_to_check_in"

    clock.set(START - timedelta(minutes=60))
    # Not yet checked in: no check-out, no confirmation.
    premature = await check_out(client, setup.caregiver, order_id)
    assert (premature.status_code, problem(premature)["code"]) == (409, "care_order_invalid_status")
    # Another caregiver of the same provider, and an unknown order: not found alike.
    for caller, target in ((colleague, order_id), (setup.caregiver, UUID(int=7))):
        for attempt in (check_in(client, caller, target), check_out(client, caller, target)):
            answer = await attempt
            assert (answer.status_code, problem(answer)["code"]) == (404, "not_found")

    assert (await check_in(client, setup.caregiver, order_id)).status_code == 200
    twice = await check_in(client, setup.caregiver, order_id)
    assert (twice.status_code, problem(twice)["code"]) == (409, "visit_already_checked_in")
    assert (await check_out(client, setup.caregiver, order_id)).status_code == 200
    again = await check_out(client, setup.caregiver, order_id)
    assert (again.status_code, problem(again)["code"]) == (409, "visit_already_checked_out")
    assert (await check_in(client, setup.caregiver, order_id)).status_code == 409

    # Half an hour after the start the visit counts as missed, job or no job.
    late = await order(db, setup, START + timedelta(hours=4))
    clock.set(START + timedelta(hours=4, minutes=30))
    missed = await check_in(client, setup.caregiver, late)
    assert (missed.status_code, problem(missed)["code"]) == (409, "visit_missed")
    # Orders that are not assigned cannot be started.
    for status in ("requested", "cancelled"):
        other = await order(db, setup, START + timedelta(hours=4), status=status)
        refused = await check_in(client, setup.caregiver, other)
        assert refused.status_code == 409, status
    row = await _order_row(db, late)
    assert row.status == "assigned"


async def test_confirm_and_dispute_only_once_and_only_after_check_out(
    client: httpx.AsyncClient, db: Sessions, clock: FrozenClock, setup: CareSetup
) -> None:
    confirmed, disputed = (
        await order(db, setup, START),
        await order(db, setup, START + timedelta(hours=3)),
    )
    confirm_url = f"{API}/care/orders/{confirmed}/confirm"
    dispute_url = f"{API}/care/orders/{disputed}/dispute"
    early = await client.post(confirm_url, json={"rating": 4}, headers=setup.household.headers)
    assert (early.status_code, problem(early)["code"]) == (409, "care_order_invalid_status")
    assert problem(early)["status"] == 409
    for order_id, at in ((confirmed, START), (disputed, START + timedelta(hours=3))):
        clock.set(at)
        await check_in(client, setup.caregiver, order_id)
        clock.advance(minutes=120)
        await check_out(client, setup.caregiver, order_id)

    ok = await client.post(confirm_url, json={"rating": 4}, headers=setup.household.headers)
    assert ok.status_code == 200, ok.text
    for url, body in (
        (confirm_url, {"rating": 4}),
        (f"{API}/care/orders/{confirmed}/dispute", {"reason": "迟到"}),
    ):
        again = await client.post(url, json=body, headers=setup.household.headers)
        assert (again.status_code, problem(again)["code"]) == (409, "care_order_invalid_status")

    blank = await client.post(dispute_url, json={"reason": "  "}, headers=setup.household.headers)
    assert blank.status_code == 422
    argued = await client.post(
        dispute_url, json={"reason": "卫生间没有打扫"}, headers=setup.household.headers
    )
    assert argued.status_code == 200, argued.text
    assert argued.json()["status"] == "disputed"
    assert argued.json()["disputeReason"] == "卫生间没有打扫"
    assert await kinds(client, setup.dispatcher) == ["care_order_disputed"]
    # Only the confirmed visit spent the allowance.
    async with db() as session:
        month = await session.get_one(
            CareAllowanceMonth, (setup.profile_id, START.date().replace(day=1))
        )
    assert month.spent == 4000
    bad_rating = await client.post(
        f"{API}/care/orders/{disputed}/confirm", json={"rating": 6}, headers=setup.household.headers
    )
    assert bad_rating.status_code == 400 or bad_rating.status_code == 422


async def test_another_household_reaches_none_of_the_orders(
    client: httpx.AsyncClient,
    db: Sessions,
    clock: FrozenClock,
    setup: CareSetup,
    make_user: MakeUser,
) -> None:
    order_id = await order(db, setup, START)
    clock.set(START)
    await check_in(client, setup.caregiver, order_id)
    clock.advance(minutes=120)
    await check_out(client, setup.caregiver, order_id)
    stranger = await make_user("resident")
    for method, path, body in (
        ("GET", "elder-code", None),
        ("POST", "confirm", {"rating": 1}),
        ("POST", "dispute", {"reason": "x"}),
    ):
        answer = await client.request(
            method, f"{API}/care/orders/{order_id}/{path}", json=body, headers=stranger.headers
        )
        assert (answer.status_code, problem(answer)["code"]) == (404, "not_found"), path
    assert (await _order_row(db, order_id)).status == "awaiting_confirmation"


async def test_an_allowance_short_of_the_subsidy_gives_what_is_left(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    make_user: MakeUser,
) -> None:
    clock.set(START - timedelta(days=1))
    setup = await care_setup(client, db, settings, clock, make_user, allowance=5000)
    first, second = (
        await order(db, setup, START),
        await order(db, setup, START + timedelta(hours=3)),
    )
    for order_id in (first, second):
        async with db() as session, session.begin():
            row = await session.get_one(CareOrder, order_id)
            row.status = "awaiting_confirmation"
    answers = []
    for order_id in (first, second):
        answer = await client.post(
            f"{API}/care/orders/{order_id}/confirm",
            json={"rating": 3},
            headers=setup.household.headers,
        )
        assert answer.status_code == 200, answer.text
        answers.append(answer.json())
    assert [(a["subsidy"], a["payable"]) for a in answers] == [(4000, 4000), (1000, 7000)]
    profile = await client.get(
        f"{API}/me/care-profiles/{setup.elder_id}", headers=setup.household.headers
    )
    assert profile.json()["allowanceLeft"] == 0


@pytest.mark.storm
async def test_many_confirmations_of_one_elder_never_spend_beyond_the_allowance(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    make_user: MakeUser,
) -> None:
    """30 visits of 4000 fen subsidy each, confirmed at once, against 50,000 fen: the
    allowance pays exactly 50,000 (twelve in full, one in part, the rest not at all)."""
    clock.set(START - timedelta(days=1))
    setup = await care_setup(client, db, settings, clock, make_user, allowance=50000)
    orders = [
        await order(db, setup, START + timedelta(hours=3 * i), status="awaiting_confirmation")
        for i in range(30)
    ]
    clock.set(START + timedelta(days=5))
    answers = await asyncio.gather(
        *(
            client.post(
                f"{API}/care/orders/{o}/confirm",
                json={"rating": 5},
                headers=setup.household.headers,
            )
            for o in orders
        )
    )
    assert Counter(a.status_code for a in answers) == {200: 30}, [a.text for a in answers][:3]
    subsidies = Counter(a.json()["subsidy"] for a in answers)
    assert subsidies == {4000: 12, 2000: 1, 0: 17}
    assert all(a.json()["subsidy"] + a.json()["payable"] == 8000 for a in answers)
    async with db() as session:
        month = await session.get_one(
            CareAllowanceMonth, (setup.profile_id, START.date().replace(day=1))
        )
        total = sum(
            (
                await session.execute(select(CareOrder.subsidy).where(CareOrder.id.in_(orders)))
            ).scalars()
        )
    assert (month.allowance, month.spent, total) == (50000, 50000, 50000)


@pytest.mark.storm
async def test_parallel_check_ins_of_one_visit_have_one_winner(
    client: httpx.AsyncClient, db: Sessions, clock: FrozenClock, setup: CareSetup
) -> None:
    for round_ in range(3):
        order_id = await order(db, setup, START + timedelta(hours=3 * round_))
        clock.set(START + timedelta(hours=3 * round_))
        answers = await asyncio.gather(
            *(check_in(client, setup.caregiver, order_id) for _ in range(20))
        )
        assert Counter(a.status_code for a in answers) == {200: 1, 409: 19}
        assert {problem(a)["code"] for a in answers if a.status_code == 409} == {
            "visit_already_checked_in"
        }
        assert await kinds(client, setup.household) == ["care_caregiver_arrived"] * (round_ + 1)


async def test_request_assign_visit_confirm_through_http(
    client: httpx.AsyncClient,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    make_user: MakeUser,
) -> None:
    """The whole way, each step by its own endpoint: the household requests, the dispatcher
    assigns, the caregiver checks in far from home and leaves early, the dispatcher sees the
    flags, the household confirms."""
    clock.set(care.at(care.DAY, 8) - timedelta(days=1))
    provider = await care.make_provider(db, settings, clock, caregivers=1)
    household = await care.make_household(client, db, make_user)
    starts = care.at(care.DAY, 9)
    created = await care.ordered(client, household, starts)
    order_id = created["id"]
    caregiver = provider.caregivers[0]
    assigned = await care.assign(client, provider.dispatcher, order_id, caregiver)
    assert assigned.status_code == 200, assigned.text
    before = await client.get(f"{API}/care/orders/{order_id}/visit", headers=caregiver.headers)
    assert (before.status_code, problem(before)["code"]) == (404, "not_found")

    clock.set(starts - timedelta(minutes=10))
    home = care.PROFILE["location"]
    away = (home["lat"] + 0.003, home["lng"])  # about 330 m north
    arrived = await check_in(client, caregiver, order_id, away)
    assert arrived.status_code == 200, arrived.text
    unvisited = await client.get(
        f"{API}/care/orders/{order_id}/visit", headers=household.resident.headers
    )
    assert unvisited.status_code == 200
    clock.advance(minutes=40)
    left = await check_out(client, caregiver, order_id, notes="老人膝盖疼")
    assert left.json()["flags"] == ["far_from_home", "short_visit"]

    record = await client.get(
        f"{API}/care/orders/{order_id}/visit", headers=household.resident.headers
    )
    assert record.status_code == 200, record.text
    assert record.json()["tasks"] == ["打扫厨房", "换洗床单"]
    assert record.json()["notes"] == "老人膝盖疼"
    assert record.json()["checkOutAt"].startswith("2027-03-01T09:30:00")
    # The dispatcher reads the record but not the notes; another household nothing.
    dispatched = await client.get(
        f"{API}/care/orders/{order_id}/visit", headers=provider.dispatcher.headers
    )
    assert dispatched.json()["tasks"] == ["打扫厨房", "换洗床单"]
    assert dispatched.json()["notes"] is None
    stranger = await make_user("resident")
    hidden = await client.get(f"{API}/care/orders/{order_id}/visit", headers=stranger.headers)
    assert (hidden.status_code, problem(hidden)["code"]) == (404, "not_found")

    seen = await client.get(f"{API}/care/orders/{order_id}", headers=provider.dispatcher.headers)
    assert seen.json()["status"] == "awaiting_confirmation"
    assert seen.json()["flags"] == ["far_from_home", "short_visit"]
    confirmed = await client.post(
        f"{API}/care/orders/{order_id}/confirm",
        json={"rating": 2},
        headers=household.resident.headers,
    )
    assert confirmed.status_code == 200, confirmed.text
    mine = await client.get(f"{API}/care/orders/{order_id}", headers=household.resident.headers)
    assert (mine.json()["status"], mine.json()["rating"]) == ("completed", 2)
    assert await kinds(client, household.resident) == [
        "care_order_assigned",
        "care_caregiver_arrived",
        "care_visit_completed",
    ]
