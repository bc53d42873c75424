"""Childcare programs and places through HTTP: drafting and publishing (sessions from the
schedule, the room held, a closure cancelling sessions), teachers, applications (who may, when,
first come and waitlist), offers, declines, withdrawals and their expiry by the job."""

from __future__ import annotations

from datetime import timedelta

import httpx
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import FrozenClock
from backend.hub.models import Booking
from backend.jobs.testing import drain
from backend.notifications.models import Notification
from tests.api.childcare_support import (
    API,
    APPLICATIONS,
    MANAGE,
    MINE,
    PUBLIC,
    apply,
    draft_program,
    guardian,
    make_complex,
    program_body,
    published_program,
)
from tests.conftest import problem
from tests.factories import MakeUser


async def _kinds(db: async_sessionmaker[AsyncSession], user_id: object) -> list[str]:
    async with db() as session:
        rows = await session.scalars(
            select(Notification.kind)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id)
        )
        return list(rows)


async def test_a_program_is_drafted_with_sessions_and_published_holding_its_room(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    where = await make_complex(client, make_user)
    draft = await draft_program(client, where, clock)
    assert draft["status"] == "draft"
    assert [s["date"] for s in draft["sessions"]][:3] == ["2027-03-01", "2027-03-02", "2027-03-03"]
    assert len(draft["sessions"]) == 10  # two weeks of weekdays
    assert draft["sessions"][0]["startsAt"] == "2027-03-01T16:30:00+08:00"
    hidden = await client.get(f"{PUBLIC}/{draft['id']}")
    assert hidden.status_code == 404
    published = await client.post(f"{MANAGE}/{draft['id']}/publish", headers=where.staff.headers)
    assert published.status_code == 200, published.text
    assert published.json()["placesLeft"] == 40
    async with db() as session:
        holds = (await session.scalars(select(Booking).where(Booking.kind == "childcare"))).all()
    assert len(holds) == 10
    assert {h.status for h in holds} == {"confirmed"}
    # Nobody releases a session's hold booking by booking: the program would not know.
    refused = await client.post(
        f"{API}/bookings/{holds[0].id}/cancel", json={"reason": "x"}, headers=where.admin.headers
    )
    assert refused.status_code == 409
    assert problem(refused)["code"] == "booking_held_by_event"
    again = await client.post(f"{MANAGE}/{draft['id']}/publish", headers=where.staff.headers)
    assert problem(again)["code"] == "program_not_draft"
    listed = await client.get(PUBLIC)
    assert [p["id"] for p in listed.json()["items"]] == [draft["id"]]
    # A published program keeps its times and places.
    moved = await client.patch(
        f"{MANAGE}/{draft['id']}", json={"capacity": 50}, headers=where.staff.headers
    )
    assert moved.status_code == 409
    assert problem(moved)["code"] == "program_not_draft"
    renamed = await client.patch(
        f"{MANAGE}/{draft['id']}", json={"name": "四点半课堂（春季）"}, headers=where.staff.headers
    )
    assert renamed.json()["name"] == "四点半课堂（春季）"


async def test_a_draft_is_refused_when_its_fields_disagree(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    where = await make_complex(client, make_user)
    bad = program_body(
        where,
        clock,
        minAgeMonths=100,
        maxAgeMonths=50,
        termEnds="2027-02-01",
        schedule=[{"weekday": 1, "starts": "18:00", "ends": "16:00"}],
    )
    response = await client.post(MANAGE, json=bad, headers=where.staff.headers)
    assert response.status_code == 422
    fields = {e["field"] for e in problem(response)["errors"]}
    assert fields == {"maxAgeMonths", "termEnds", "schedule"}
    other = await client.post(
        MANAGE,
        json=program_body(where, clock, venueId="0190c1f0-0000-7000-8000-000000000000"),
        headers=where.staff.headers,
    )
    assert problem(other)["errors"][0]["field"] == "venueId"


async def test_holidays_are_skipped_and_make_up_days_added(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    where = await make_complex(client, make_user)
    draft = await draft_program(
        client, where, clock, termStarts="2026-09-28", termEnds="2026-10-12"
    )
    dates = [s["date"] for s in draft["sessions"]]
    # National Day week off; Saturday 10 October worked (调休) on Monday's times.
    assert dates == [
        "2026-09-28", "2026-09-29", "2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10",
        "2026-10-12",
    ]  # fmt: skip


async def test_teachers_are_workers_only(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    where = await make_complex(client, make_user)
    program = await draft_program(client, where, clock)
    worker = await make_user("worker")
    resident = await make_user()
    url = f"{MANAGE}/{program['id']}/teachers"
    refused = await client.put(
        url, json={"userIds": [worker.id.hex, str(resident.id)]}, headers=where.staff.headers
    )
    assert refused.status_code == 422
    assert problem(refused)["code"] == "not_a_worker"
    assert problem(refused)["errors"][0]["field"] == "userIds[1]"
    set_ = await client.put(url, json={"userIds": [str(worker.id)]}, headers=where.staff.headers)
    assert set_.json()["teacherIds"] == [str(worker.id)]
    cleared = await client.put(url, json={"userIds": []}, headers=where.staff.headers)
    assert cleared.json()["teacherIds"] == []


async def test_who_may_apply_and_when(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    where = await make_complex(client, make_user)
    program = await published_program(client, where, clock)
    unverified, their_child = await guardian(db, make_user, verified=False)
    response = await apply(client, unverified, program["id"], their_child)
    assert response.status_code == 403
    assert problem(response)["code"] == "verification_required"
    too_young_parent, too_young = await guardian(db, make_user, child_months=40)
    response = await apply(client, too_young_parent, program["id"], too_young)
    assert response.status_code == 422
    assert problem(response)["code"] == "age_not_eligible"
    # A grown-up member is refused for being one, before any age range of the program.
    grown_up_parent, grown_up = await guardian(db, make_user, child_months=12 * 30)
    response = await apply(client, grown_up_parent, program["id"], grown_up)
    assert response.status_code == 422
    assert problem(response)["code"] == "not_a_child"
    parent, child = await guardian(db, make_user)
    other_parent, _ = await guardian(db, make_user)
    response = await apply(client, other_parent, program["id"], child)
    assert response.status_code == 404  # another household's child
    first = await apply(client, parent, program["id"], child)
    assert first.status_code == 201
    assert first.json()["status"] == "enrolled"
    twice = await apply(client, parent, program["id"], child)
    assert twice.status_code == 409
    assert problem(twice)["code"] == "already_applied"
    late_parent, late_child = await guardian(db, make_user)
    clock.advance(days=3)
    closed = await apply(client, late_parent, program["id"], late_child)
    assert closed.status_code == 422
    assert problem(closed)["code"] == "applications_closed"
    mine = await client.get(MINE, headers=parent.headers)
    assert [a["id"] for a in mine.json()["items"]] == [first.json()["id"]]
    assert mine.json()["items"][0]["childName"] == "小明"


async def test_first_come_waitlist_passes_on_when_a_place_frees(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
    app: Litestar,
) -> None:
    where = await make_complex(client, make_user)
    program = await published_program(client, where, clock, capacity=1, offerHours=24)
    (a, a_child), (b, b_child), (c, c_child) = [await guardian(db, make_user) for _ in range(3)]
    enrolled = (await apply(client, a, program["id"], a_child)).json()
    second = (await apply(client, b, program["id"], b_child)).json()
    third = (await apply(client, c, program["id"], c_child)).json()
    assert (enrolled["status"], second["status"], third["status"]) == (
        "enrolled", "waitlisted", "waitlisted",
    )  # fmt: skip
    assert (second["waitlistPosition"], third["waitlistPosition"]) == (1, 2)
    # Another household cannot touch it.
    foreign = await client.post(f"{APPLICATIONS}/{enrolled['id']}/withdraw", headers=b.headers)
    assert foreign.status_code == 404
    out = await client.post(f"{APPLICATIONS}/{enrolled['id']}/withdraw", headers=a.headers)
    assert out.json()["status"] == "withdrawn"
    mine = (await client.get(MINE, headers=b.headers)).json()["items"][0]
    assert mine["status"] == "offered"
    assert mine["offerExpiresAt"] is not None
    assert "childcare_waitlist_offer" in await _kinds(db, b.id)
    # B lets the offer lapse: the job expires it and offers the place to C.
    clock.advance(hours=25)
    await drain(app, now=clock.now())
    assert (await client.get(MINE, headers=b.headers)).json()["items"][0]["status"] == "expired"
    assert "childcare_offer_expired" in await _kinds(db, b.id)
    late = await client.post(f"{APPLICATIONS}/{second['id']}/accept", headers=b.headers)
    assert late.status_code == 409
    assert problem(late)["code"] == "not_offered"
    accepted = await client.post(f"{APPLICATIONS}/{third['id']}/accept", headers=c.headers)
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "enrolled"
    assert "childcare_enrolled" in await _kinds(db, c.id)
    shown = (await client.get(f"{PUBLIC}/{program['id']}")).json()
    assert (shown["enrolled"], shown["placesLeft"]) == (1, 0)


async def test_an_offer_past_its_deadline_cannot_be_accepted_before_the_job(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    where = await make_complex(client, make_user)
    program = await published_program(client, where, clock, capacity=1, offerHours=1)
    (a, a_child), (b, b_child) = [await guardian(db, make_user) for _ in range(2)]
    first = (await apply(client, a, program["id"], a_child)).json()
    second = (await apply(client, b, program["id"], b_child)).json()
    await client.post(f"{APPLICATIONS}/{first['id']}/withdraw", headers=a.headers)
    clock.advance(hours=2)
    late = await client.post(f"{APPLICATIONS}/{second['id']}/accept", headers=b.headers)
    assert late.status_code == 409
    assert problem(late)["code"] == "offer_expired"
    declined_twice = await client.post(f"{APPLICATIONS}/{first['id']}/withdraw", headers=a.headers)
    assert problem(declined_twice)["code"] == "cannot_withdraw"


async def test_a_closure_cancels_the_sessions_and_tells_the_guardians(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    where = await make_complex(client, make_user)
    program = await published_program(client, where, clock)
    parent, child = await guardian(db, make_user)
    waiting_parent, _ = await guardian(db, make_user)
    assert (await apply(client, parent, program["id"], child)).status_code == 201
    closure = await client.post(
        f"{API}/manage/rooms/{where.room_id}/closures",
        json={
            "startsAt": "2027-03-02T00:00:00+08:00",
            "endsAt": "2027-03-04T00:00:00+08:00",
            "reason": "水管维修",
        },
        headers=where.admin.headers,
    )
    assert closure.status_code == 201, closure.text
    shown = (await client.get(f"{PUBLIC}/{program['id']}")).json()
    cancelled = [s["date"] for s in shown["sessions"] if s["status"] == "cancelled"]
    assert cancelled == ["2027-03-02", "2027-03-03"]
    assert (await _kinds(db, parent.id)).count("childcare_session_cancelled") == 2
    assert await _kinds(db, waiting_parent.id) == []
    assert "booking_closure" not in await _kinds(db, where.staff.id)
    async with db() as session:
        statuses = (
            await session.scalars(
                select(Booking.status)
                .where(Booking.kind == "childcare")
                .order_by(Booking.starts_at)
            )
        ).all()
    assert statuses.count("cancelled") == 2
    assert statuses.count("confirmed") == 8


async def test_a_publication_over_a_taken_room_holds_nothing(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    where = await make_complex(client, make_user)
    await published_program(client, where, clock)
    clash = await draft_program(client, where, clock, name="托育")
    response = await client.post(f"{MANAGE}/{clash['id']}/publish", headers=where.staff.headers)
    assert response.status_code == 409
    assert problem(response)["code"] == "booking_conflict"
    still = await client.get(f"{MANAGE}/{clash['id']}", headers=where.staff.headers)
    assert still.json()["status"] == "draft"
    async with db() as session:
        holds = (await session.scalars(select(Booking).where(Booking.kind == "childcare"))).all()
    assert len(holds) == 10


async def test_staff_see_a_programs_applications_by_status(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    where = await make_complex(client, make_user)
    program = await published_program(client, where, clock, capacity=1)
    for _ in range(3):
        parent, child = await guardian(db, make_user)
        await apply(client, parent, program["id"], child)
    url = f"{MANAGE}/{program['id']}/applications"
    everything = (await client.get(url, headers=where.staff.headers)).json()["items"]
    assert [a["status"] for a in everything] == ["enrolled", "waitlisted", "waitlisted"]
    waiting = await client.get(url, params={"status": "waitlisted"}, headers=where.staff.headers)
    assert [a["waitlistPosition"] for a in waiting.json()["items"]] == [1, 2]
    page = await client.get(url, params={"limit": 2}, headers=where.staff.headers)
    rest = await client.get(
        url, params={"limit": 2, "cursor": page.json()["nextCursor"]}, headers=where.staff.headers
    )
    assert len(rest.json()["items"]) == 1


async def test_the_offer_job_leaves_open_offers_alone(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
    app: Litestar,
) -> None:
    where = await make_complex(client, make_user)
    program = await published_program(client, where, clock, capacity=1, offerHours=48)
    (a, a_child), (b, b_child) = [await guardian(db, make_user) for _ in range(2)]
    first = (await apply(client, a, program["id"], a_child)).json()
    await apply(client, b, program["id"], b_child)
    await client.post(f"{APPLICATIONS}/{first['id']}/withdraw", headers=a.headers)
    await drain(app, now=clock.now() + timedelta(hours=47))
    assert (await client.get(MINE, headers=b.headers)).json()["items"][0]["status"] == "offered"


async def test_creating_posts_retried_with_their_key_create_once(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    where = await make_complex(client, make_user)
    body = program_body(where, clock)
    keyed = {**where.staff.headers, "Idempotency-Key": "program-1"}
    first = await client.post(MANAGE, json=body, headers=keyed)
    again = await client.post(MANAGE, json=body, headers=keyed)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    reused = await client.post(MANAGE, json={**body, "name": "另一个"}, headers=keyed)
    assert problem(reused)["code"] == "idempotency_key_reused"
    listed = await client.get(MANAGE, headers=where.staff.headers)
    assert len(listed.json()["items"]) == 1
    await client.post(f"{MANAGE}/{first.json()['id']}/publish", headers=where.staff.headers)
    parent, child = await guardian(db, make_user)
    url = f"{PUBLIC}/{first.json()['id']}/applications"
    keyed = {**parent.headers, "Idempotency-Key": "apply-1"}
    applied = [await client.post(url, json={"childId": child}, headers=keyed) for _ in range(2)]
    assert [a.status_code for a in applied] == [201, 201]
    assert applied[0].json() == applied[1].json()
    mine = await client.get(MINE, headers=parent.headers)
    assert len(mine.json()["items"]) == 1
    assert (await client.get(f"{PUBLIC}/{first.json()['id']}")).json()["enrolled"] == 1
