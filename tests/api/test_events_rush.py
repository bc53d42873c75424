"""Storms against the events' invariants: never oversold, the waitlist in strict order, nothing
confirmed on a cancelled event, one check-in per ticket."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.base import new_id
from backend.core.clock import FrozenClock
from backend.events.models import Event, Registration
from backend.notifications.models import Notification
from tests import factories
from tests.api.events_support import register
from tests.conftest import problem
from tests.factories import Account, MakeUser, event_body, published

pytestmark = pytest.mark.storm


async def _state(db: async_sessionmaker[AsyncSession], event_id: str) -> dict[str, Any]:
    """The event's counters next to what its registrations say, read in one snapshot."""
    async with db() as session, session.begin():
        event = (
            await session.execute(
                select(Event.capacity, Event.confirmed_seats, Event.waitlisted_count).where(
                    Event.id == event_id
                )
            )
        ).one()
        rows = (
            await session.execute(
                select(
                    Registration.user_id,
                    Registration.status,
                    Registration.seats,
                    Registration.waitlist_seq,
                ).where(Registration.event_id == event_id)
            )
        ).all()
    confirmed = [r for r in rows if r.status == "confirmed"]
    waitlisted = sorted((r for r in rows if r.status == "waitlisted"), key=lambda r: r.waitlist_seq)
    return {
        "capacity": event.capacity,
        "confirmed_seats": event.confirmed_seats,
        "waitlisted_count": event.waitlisted_count,
        "confirmed": confirmed,
        "waitlisted": waitlisted,
        "real_confirmed_seats": sum(r.seats for r in confirmed),
    }


def _assert_consistent(state: dict[str, Any]) -> None:
    assert state["real_confirmed_seats"] == state["confirmed_seats"]
    assert state["confirmed_seats"] <= state["capacity"]
    assert state["waitlisted_count"] == len(state["waitlisted"])
    if state["waitlisted"]:
        # Nobody waits while the head's seats are free.
        head = state["waitlisted"][0]
        assert state["capacity"] - state["confirmed_seats"] < head.seats


async def test_rush_of_200_for_50_seats_repeated(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    staff = await make_user("staff")
    crowd = await factories.users(db, settings, clock, 200)
    for round_ in range(3):
        event = await published(
            client,
            staff.headers,
            clock,
            capacity=50,
            maxSeatsPerRegistration=1,
            title=f"越剧《红楼梦》第{round_ + 1}场",
        )
        answers = await asyncio.gather(
            *(register(client, event["id"], person.headers) for person in crowd)
        )
        assert [a.status_code for a in answers] == [201] * 200, {a.text for a in answers}
        bodies = [a.json() for a in answers]
        confirmed = [b for b in bodies if b["status"] == "confirmed"]
        waitlisted = [b for b in bodies if b["status"] == "waitlisted"]
        assert len(confirmed) == 50
        assert len(waitlisted) == 150
        assert sorted(b["waitlistPosition"] for b in waitlisted) == list(range(1, 151))
        assert len({b["ticketCode"] for b in confirmed}) == 50
        assert all(b["ticketCode"] is None for b in waitlisted)

        state = await _state(db, event["id"])
        _assert_consistent(state)
        assert state["confirmed_seats"] == 50
        # The position each resident was told is the order the database holds them in.
        told = {b["id"]: b["waitlistPosition"] for b in waitlisted}
        async with db() as session:
            ids_in_order = (
                await session.execute(
                    select(Registration.id)
                    .where(
                        Registration.event_id == event["id"], Registration.status == "waitlisted"
                    )
                    .order_by(Registration.waitlist_seq)
                )
            ).scalars()
            assert [told[str(i)] for i in ids_in_order] == list(range(1, 151))

        public = (await client.get(f"/api/v1/events/{event['id']}")).json()
        assert (public["seatsLeft"], public["waitlistLength"]) == (0, 150)


async def test_cancellations_racing_registrations_keep_the_order(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    staff = await make_user("staff")
    event = await published(client, staff.headers, clock, capacity=30, maxSeatsPerRegistration=2)
    early = await factories.users(db, settings, clock, 50, prefix="早")
    late = await factories.users(db, settings, clock, 60, prefix="晚")
    # Mixed sizes, so that "the head does not fit" happens too.
    made = []
    for i, person in enumerate(early):
        answer = await register(client, event["id"], person.headers, 1 + i % 2)
        assert answer.status_code == 201
        made.append((person, answer.json()))
    queue_before = [body["id"] for _, body in made if body["status"] == "waitlisted"]
    leaving = [(p, b) for p, b in made if b["status"] == "confirmed"][:12]
    leaving += [(p, b) for p, b in made if b["status"] == "waitlisted"][5:10]

    async def cancel(person: Account, body: dict[str, Any]) -> httpx.Response:
        return await client.post(
            f"/api/v1/registrations/{body['id']}/cancel", headers=person.headers
        )

    jobs = [cancel(p, b) for p, b in leaving]
    jobs += [register(client, event["id"], p.headers, 1 + i % 2) for i, p in enumerate(late)]
    answers = await asyncio.gather(*jobs)
    assert all(a.status_code in (200, 201) for a in answers), {a.text for a in answers}

    state = await _state(db, event["id"])
    _assert_consistent(state)
    # Of those who were already queueing, the ones confirmed now are a prefix of the old queue.
    left = {b["id"] for _, b in leaving}
    still_queued = [i for i in queue_before if i not in left]
    async with db() as session:
        statuses = dict(
            (
                await session.execute(
                    select(Registration.id, Registration.status).where(
                        Registration.event_id == event["id"]
                    )
                )
            ).all()
        )
    flags = [statuses[UUID(i)] == "confirmed" for i in still_queued]
    assert flags == sorted(flags, reverse=True), flags
    # And no late registration got a seat while an early one was still waiting.
    if not all(flags):
        late_ids = {a.json()["id"] for a in answers if a.status_code == 201}
        assert not any(statuses[UUID(i)] == "confirmed" for i in late_ids)
    # Positions are 1..n without gaps, as each resident sees them.
    positions = []
    for person in early + late:
        mine = (await client.get("/api/v1/me/registrations", headers=person.headers)).json()
        positions += [r["waitlistPosition"] for r in mine["items"] if r["status"] == "waitlisted"]
    assert sorted(positions) == list(range(1, len(state["waitlisted"]) + 1))


async def test_event_cancellation_racing_registrations_leaves_nothing_confirmed(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    staff = await make_user("staff")
    event = await published(client, staff.headers, clock, capacity=40, maxSeatsPerRegistration=1)
    crowd = await factories.users(db, settings, clock, 120)
    jobs = [register(client, event["id"], p.headers) for p in crowd[:60]]
    jobs.append(
        client.post(
            f"/api/v1/manage/events/{event['id']}/cancel",
            json={"reason": "台风预警"},
            headers=staff.headers,
        )
    )
    jobs += [register(client, event["id"], p.headers) for p in crowd[60:]]
    answers = await asyncio.gather(*jobs)
    cancel_answer = answers[60]
    assert cancel_answer.status_code == 200, cancel_answer.text
    registered = [a for a in answers if a.status_code == 201]
    refused = [a for a in answers if a is not cancel_answer and a.status_code != 201]
    assert all(problem(a)["code"] == "registration_closed" for a in refused)
    assert len(registered) + len(refused) == 120

    state = await _state(db, event["id"])
    assert state["confirmed"] == []
    assert state["waitlisted"] == []
    assert (state["confirmed_seats"], state["waitlisted_count"]) == (0, 0)
    # Everyone who got a registration before the cancellation was told it is off.
    async with db() as session:
        told = set(
            (
                await session.execute(
                    select(Notification.user_id).where(Notification.kind == "event_cancelled")
                )
            ).scalars()
        )
    registered_ids = {a.json()["id"] for a in registered}
    async with db() as session:
        owners = set(
            (
                await session.execute(
                    select(Registration.user_id).where(
                        Registration.id.in_([UUID(i) for i in registered_ids])
                    )
                )
            ).scalars()
        )
    assert told == owners


async def test_cancelling_an_event_with_thousands_of_registrants(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    staff = await make_user("staff")
    event = await published(client, staff.headers, clock, capacity=3000, maxSeatsPerRegistration=1)
    crowd = await factories.users(db, settings, clock, 3500)
    now = clock.now()
    rows = [
        {
            "id": new_id(),
            "event_id": event["id"],
            "user_id": person.id,
            "seats": 1,
            "attendees": [{"memberId": None, "name": person.name}],
            "created_at": now,
            **(
                {
                    "status": "confirmed",
                    "ticket_hash": f"t{i:063d}",
                    "ticket_code_enc": b"sealed",
                    "confirmed_at": now,
                }
                if i < 3000
                else {"status": "waitlisted", "waitlist_seq": i - 2999}
            ),
        }
        for i, person in enumerate(crowd)
    ]
    async with db() as session, session.begin():
        await session.execute(insert(Registration), rows)
        await session.execute(
            Event.__table__.update()
            .where(Event.id == event["id"])
            .values(confirmed_seats=3000, waitlisted_count=500, waitlist_seq=500)
        )
    answer = await client.post(
        f"/api/v1/manage/events/{event['id']}/cancel",
        json={"reason": "场馆检修"},
        headers=staff.headers,
    )
    assert answer.status_code == 200, answer.text
    async with db() as session:
        active = (
            await session.execute(
                select(func.count()).where(
                    Registration.event_id == event["id"], Registration.status != "cancelled"
                )
            )
        ).scalar()
        told = (
            await session.execute(
                select(func.count(func.distinct(Notification.user_id))).where(
                    Notification.kind == "event_cancelled"
                )
            )
        ).scalar()
    assert active == 0
    assert told == 3500


async def test_double_scan_race_checks_in_once(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    staff = await make_user("staff")
    door = await make_user("admin")
    resident = await make_user()
    event = await published(client, staff.headers, clock)
    ticket = (await register(client, event["id"], resident.headers)).json()["ticketCode"]
    clock.advance(days=3, hours=-1)
    url = f"/api/v1/manage/events/{event['id']}/check-in"
    answers = await asyncio.gather(
        *(
            client.post(url, json={"ticketCode": ticket}, headers=h)
            for h in [staff.headers, door.headers] * 10
        )
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [409] * 19
    assert {problem(a)["code"] for a in answers if a.status_code == 409} == {"already_checked_in"}


async def test_cancel_racing_the_door_never_both_succeed(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    staff = await make_user("staff")
    now = clock.now()
    event = await published(
        client,
        staff.headers,
        clock,
        startsAt=(now + timedelta(minutes=30)).isoformat(),
        endsAt=(now + timedelta(hours=2)).isoformat(),
        registrationClosesAt=(now + timedelta(minutes=20)).isoformat(),
    )
    crowd = await factories.users(db, settings, clock, 20)
    made = [(p, (await register(client, event["id"], p.headers)).json()) for p in crowd]
    jobs = []
    for person, body in made:
        jobs.append(
            client.post(f"/api/v1/registrations/{body['id']}/cancel", headers=person.headers)
        )
        jobs.append(
            client.post(
                f"/api/v1/manage/events/{event['id']}/check-in",
                json={"ticketCode": body["ticketCode"]},
                headers=staff.headers,
            )
        )
    answers = await asyncio.gather(*jobs)
    for cancel, door in zip(answers[::2], answers[1::2], strict=True):
        outcome = (cancel.status_code, door.status_code)
        assert outcome in ((200, 409), (422, 200)), (cancel.text, door.text)
    state = await _state(db, event["id"])
    _assert_consistent(state)
    admitted = sum(1 for a in answers[1::2] if a.status_code == 200)
    assert state["confirmed_seats"] == admitted


async def test_parallel_repeats_of_one_idempotency_key_register_once(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    staff = await make_user("staff")
    event = await published(client, staff.headers, clock)
    (resident,) = await factories.users(db, settings, clock, 1)
    headers = {**resident.headers, "Idempotency-Key": "tap-1"}
    answers = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/events/{event['id']}/registrations",
                json={"seats": 2, "memberIds": []},
                headers=headers,
            )
            for _ in range(10)
        )
    )
    created = [a for a in answers if a.status_code == 201]
    assert created
    assert {a.json()["id"] for a in created} == {created[0].json()["id"]}
    for other in answers:
        if other.status_code != 201:
            assert other.status_code == 409
            assert problem(other)["code"] == "idempotency_request_in_progress"
    state = await _state(db, event["id"])
    assert len(state["confirmed"]) == 1
    assert state["confirmed_seats"] == 2


async def test_parallel_repeats_of_one_idempotency_key_draft_one_event(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    staff = await make_user("staff")
    body = event_body(clock, title="只建一次")
    headers = {**staff.headers, "Idempotency-Key": "draft-storm"}
    answers = await asyncio.gather(
        *(client.post("/api/v1/manage/events", json=body, headers=headers) for _ in range(10))
    )
    created = [a for a in answers if a.status_code == 201]
    assert created
    assert {a.json()["id"] for a in created} == {created[0].json()["id"]}
    for other in answers:
        if other.status_code != 201:
            assert other.status_code == 409, other.text
            assert problem(other)["code"] == "idempotency_request_in_progress"
    async with db() as session:
        drafted = await session.scalar(
            select(func.count()).select_from(Event).where(Event.title == "只建一次")
        )
    assert drafted == 1
