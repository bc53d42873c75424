"""Staff publish the programme: drafts, publish, change, cancel; what the public sees."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.events.listing import EVENTS
from backend.events.models import Event
from backend.notifications.models import Notification
from tests import factories
from tests.api.events_support import iso, register
from tests.conftest import problem
from tests.factories import MakeUser, draft, event_body, published

MANAGE = "/api/v1/manage/events"


async def test_a_draft_is_invisible_until_published(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    staff = await make_user("staff")
    event = await draft(client, staff.headers, clock)
    assert event["status"] == "draft"
    assert event["seatsLeft"] == 50
    assert event["confirmedSeats"] == 0

    assert (await client.get(f"/api/v1/events/{event['id']}")).status_code == 404
    assert (await client.get("/api/v1/events")).json()["items"] == []
    managed = await client.get(MANAGE, headers=staff.headers)
    assert [e["id"] for e in managed.json()["items"]] == [event["id"]]

    answer = await client.post(f"{MANAGE}/{event['id']}/publish", headers=staff.headers)
    assert answer.status_code == 200
    assert answer.json()["status"] == "published"
    assert answer.json()["publishedAt"]

    public = await client.get(f"/api/v1/events/{event['id']}")
    assert public.status_code == 200
    body = public.json()
    assert body["seatsLeft"] == 50
    assert body["waitlistLength"] == 0
    assert body["registrationOpen"] is True
    assert body["body"].startswith("本期")
    # Times are answered in the residents' own offset, the same instants as sent.
    assert body["startsAt"].endswith("+08:00")
    assert datetime.fromisoformat(body["startsAt"]) == datetime.fromisoformat(event["startsAt"])

    again = await client.post(f"{MANAGE}/{event['id']}/publish", headers=staff.headers)
    assert problem(again)["code"] == "event_not_draft"
    assert again.status_code == 409


async def test_a_draft_cancelled_before_publication_stays_invisible(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    staff = await make_user("staff")
    event = await draft(client, staff.headers, clock)
    cancelled = await client.post(
        f"{MANAGE}/{event['id']}/cancel", json={"reason": "场地调整"}, headers=staff.headers
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert (await client.get(f"/api/v1/events/{event['id']}")).status_code == 404
    detail = await client.get(f"{MANAGE}/{event['id']}", headers=staff.headers)
    assert detail.json()["cancelReason"] == "场地调整"


async def test_schedule_rules_are_reported_per_field(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    staff = await make_user("staff")
    now = clock.now()
    bad = event_body(
        clock,
        startsAt=iso(now + timedelta(days=2)),
        endsAt=iso(now + timedelta(days=1)),
        registrationOpensAt=iso(now + timedelta(days=1)),
        registrationClosesAt=iso(now),
        capacity=2,
        maxSeatsPerRegistration=4,
    )
    answer = await client.post(MANAGE, json=bad, headers=staff.headers)
    body = problem(answer)
    assert answer.status_code == 422
    assert {e["field"] for e in body["errors"]} == {
        "endsAt",
        "registrationClosesAt",
        "maxSeatsPerRegistration",
    }

    past = event_body(
        clock,
        startsAt=iso(now - timedelta(hours=3)),
        endsAt=iso(now - timedelta(hours=1)),
        registrationOpensAt=iso(now - timedelta(days=2)),
        registrationClosesAt=iso(now - timedelta(hours=2)),
    )
    assert problem(await client.post(MANAGE, json=past, headers=staff.headers))["code"] == (
        "event_in_past"
    )

    naive = event_body(clock, startsAt="2030-01-01T19:00:00")
    answer = await client.post(MANAGE, json=naive, headers=staff.headers)
    assert answer.status_code == 422
    assert problem(answer)["errors"][0]["field"] == "startsAt"

    unknown_audience = event_body(clock, audience="teenagers")
    assert (
        await client.post(MANAGE, json=unknown_audience, headers=staff.headers)
    ).status_code == (422)
    far = event_body(clock, endsAt="9999-12-31T23:59:59-08:00")
    answer = await client.post(MANAGE, json=far, headers=staff.headers)
    assert answer.status_code == 422
    assert problem(answer)["errors"] == [
        {"field": "endsAt", "message": "须在 2000 年至 2199 年之间"}
    ]
    nul = event_body(clock, title="运河\x00之夜")
    assert (await client.post(MANAGE, json=nul, headers=staff.headers)).status_code == 422


async def test_public_list_filters_orders_and_pages(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    staff = await make_user("staff")
    now = clock.now()

    def at(days: int, **extra: Any) -> dict[str, Any]:
        starts = now + timedelta(days=days)
        return {
            "startsAt": iso(starts),
            "endsAt": iso(starts + timedelta(hours=2)),
            "registrationClosesAt": iso(starts - timedelta(hours=1)),
            **extra,
        }

    opera = await published(
        client,
        staff.headers,
        clock,
        title="越剧《梁祝》选段",
        summary="嘉兴越剧团",
        **at(5),
        category="opera",
    )
    canal = await published(client, staff.headers, clock, **at(2))
    calligraphy = await published(
        client,
        staff.headers,
        clock,
        title="老年书法班",
        summary="笔墨写春秋",
        audience="elderly",
        category="calligraphy",
        **at(9),
    )
    lantern = await published(
        client,
        staff.headers,
        clock,
        title="元宵灯会",
        summary="猜灯谜、做花灯",
        **at(30),
        category="festival",
    )
    await draft(client, staff.headers, clock, title="运河草稿", **at(3))

    listed = (await client.get("/api/v1/events")).json()
    assert [e["id"] for e in listed["items"]] == [
        canal["id"],
        opera["id"],
        calligraphy["id"],
        lantern["id"],
    ]
    assert listed["nextCursor"] is None
    assert "body" not in listed["items"][0]

    # Pages of two, stable while a new event is published between the pages.
    first = (await client.get("/api/v1/events", params={"limit": 2})).json()
    assert [e["id"] for e in first["items"]] == [canal["id"], opera["id"]]
    early = await published(client, staff.headers, clock, title="早场", **at(1))
    second = (
        await client.get("/api/v1/events", params={"limit": 2, "cursor": first["nextCursor"]})
    ).json()
    assert [e["id"] for e in second["items"]] == [calligraphy["id"], lantern["id"]]

    async def ids(**params: str) -> list[str]:
        answer = await client.get("/api/v1/events", params=params)
        assert answer.status_code == 200, answer.text
        return [e["id"] for e in answer.json()["items"]]

    assert await ids(category="opera") == [opera["id"]]
    assert await ids(audience="elderly") == [calligraphy["id"]]
    assert await ids(q="越剧") == [opera["id"]]  # two characters: below trigram length
    assert await ids(q="梁祝") == [opera["id"]]
    assert await ids(q="嘉兴越剧团") == [opera["id"]]  # summary, five characters
    assert await ids(q="运河") == [early["id"], canal["id"]]  # the draft stays hidden
    assert await ids(q="灯") == [lantern["id"]]
    assert await ids(q="100%") == []
    assert await ids(q="_") == []
    window_from = iso(now + timedelta(days=4))
    window_to = iso(now + timedelta(days=10))
    assert await ids(**{"from": window_from, "to": window_to}) == [opera["id"], calligraphy["id"]]

    for bad in ("2030-01-01T00:00:00", "1700000000", "0001-01-01T00:00:00+08:00", "2030-01-01"):
        answer = await client.get("/api/v1/events", params={"from": bad})
        assert answer.status_code == 422, bad
        assert problem(answer)["errors"][0]["field"] == "from"
    assert (await client.get("/api/v1/events", params={"cursor": "nonsense"})).status_code == 422
    forged = EVENTS.encode([datetime(1, 1, 1, 8, tzinfo=timezone(timedelta(hours=8))), uuid4()])
    answer = await client.get("/api/v1/events", params={"cursor": forged})
    assert problem(answer)["code"] == "invalid_cursor"
    assert (await client.get("/api/v1/events", params={"audience": "pets"})).status_code in (
        400,
        422,
    )


async def test_trigram_indexes_serve_text_search(
    db: async_sessionmaker[AsyncSession], make_user: MakeUser
) -> None:
    staff = await make_user("staff")
    async with db() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO events (id, title, summary, body, category, audience, location, "
                "starts_at, ends_at, registration_opens_at, registration_closes_at, capacity, "
                "max_seats_per_registration, status, created_by) "
                "SELECT gen_random_uuid(), '第' || n || '期 社区活动 ' || md5(n::text), "
                "'活动简介 ' || md5((n * 7)::text), '', 'misc', 'all', '礼堂', "
                "now() + n * interval '1 hour', now() + n * interval '1 hour' + interval '1 hour',"
                " now(), now() + n * interval '1 hour', 10, 1, 'published', :staff "
                "FROM generate_series(1, 5000) AS n"
            ),
            {"staff": staff.id},
        )
        # What autovacuum would do: merge the GIN pending list, refresh the statistics.
        await session.execute(text("SELECT gin_clean_pending_list('ix_events_search_trgm')"))
        await session.execute(text("ANALYZE events"))
    async with db() as session:
        plan = "\n".join(
            (
                await session.execute(
                    text(
                        "EXPLAIN SELECT id FROM events WHERE status = 'published' "
                        "AND (title || ' ' || summary) ILIKE '%越剧团%'"
                    )
                )
            ).scalars()
        )
    assert "ix_events_search_trgm" in plan, plan


async def test_change_of_time_or_place_tells_registrants_and_capacity_rules(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    staff = await make_user("staff")
    event = await published(client, staff.headers, clock, capacity=3, maxSeatsPerRegistration=2)
    people = await factories.users(db, settings, clock, 4)
    for person, seats in zip(people, (2, 1, 2, 1), strict=True):
        assert (await register(client, event["id"], person.headers, seats)).status_code == 201
    # Confirmed: 2 + 1 = 3 seats; waitlisted: 2 seats, then 1.

    lower = await client.patch(
        f"{MANAGE}/{event['id']}", json={"capacity": 2}, headers=staff.headers
    )
    assert lower.status_code == 422
    assert problem(lower)["code"] == "capacity_below_confirmed"
    # Below maxSeatsPerRegistration too: the capacity is what is wrong, not the other field.
    lowest = await client.patch(
        f"{MANAGE}/{event['id']}", json={"capacity": 1}, headers=staff.headers
    )
    assert lowest.status_code == 422
    assert problem(lowest)["code"] == "capacity_below_confirmed", lowest.text
    assert problem(lowest)["confirmedSeats"] == 3

    retitled = await client.patch(
        f"{MANAGE}/{event['id']}", json={"title": "运河文化之夜（加场）"}, headers=staff.headers
    )
    assert retitled.status_code == 200
    async with db() as session:
        assert (await session.execute(select(func.count()).select_from(Notification))).scalar() == 0

    new_start = datetime.fromisoformat(event["startsAt"]) + timedelta(days=1)
    moved = await client.patch(
        f"{MANAGE}/{event['id']}",
        json={
            "startsAt": iso(new_start),
            "endsAt": iso(new_start + timedelta(hours=2)),
            "location": "高照街道文化礼堂",
        },
        headers=staff.headers,
    )
    assert moved.status_code == 200, moved.text
    async with db() as session:
        told = (
            await session.execute(
                select(Notification.user_id, Notification.data).where(
                    Notification.kind == "event_changed"
                )
            )
        ).all()
    assert {t.user_id for t in told} == {p.id for p in people}
    assert told[0].data["location"] == "高照街道文化礼堂"

    # Raising capacity by 2 promotes the head (2 seats); the next (1 seat) no longer fits.
    raised = await client.patch(
        f"{MANAGE}/{event['id']}", json={"capacity": 5}, headers=staff.headers
    )
    assert raised.status_code == 200
    assert raised.json()["confirmedSeats"] == 5
    assert raised.json()["waitlistLength"] == 1
    mine = await client.get("/api/v1/me/registrations", headers=people[2].headers)
    assert mine.json()["items"][0]["status"] == "confirmed"
    assert mine.json()["items"][0]["ticketCode"]
    last = await client.get("/api/v1/me/registrations", headers=people[3].headers)
    assert last.json()["items"][0]["waitlistPosition"] == 1


async def test_home_shows_upcoming_published_events(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    staff = await make_user("staff")
    now = clock.now()

    def at(days: int) -> dict[str, Any]:
        starts = now + timedelta(days=days)
        return {
            "startsAt": iso(starts),
            "endsAt": iso(starts + timedelta(hours=2)),
            "registrationClosesAt": iso(starts - timedelta(hours=1)),
        }

    later = await published(client, staff.headers, clock, title="元宵灯会", **at(9))
    sooner = await published(client, staff.headers, clock, title="越剧专场", **at(2))
    await draft(client, staff.headers, clock, title="草稿", **at(1))
    home = await client.get("/api/v1/home")
    assert home.status_code == 200
    upcoming = home.json()["upcomingEvents"]
    assert [e["id"] for e in upcoming] == [sooner["id"], later["id"]]
    assert upcoming[0]["seatsLeft"] == 50


async def _events_titled(db: async_sessionmaker[AsyncSession], title: str) -> int:
    async with db() as session:
        count = await session.scalar(
            select(func.count()).select_from(Event).where(Event.title == title)
        )
    return int(count or 0)


async def test_drafting_honours_an_idempotency_key(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    """A retried POST drafts once: the repeat replays the first answer; the same key with
    another body is refused; another staff member's same key is theirs alone."""
    staff, other = await make_user("staff"), await make_user("staff")
    body = event_body(clock, title="重试的草稿")
    headers = {**staff.headers, "Idempotency-Key": "draft-1"}
    first = await client.post(MANAGE, json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    again = await client.post(MANAGE, json=body, headers=headers)
    assert again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    assert await _events_titled(db, "重试的草稿") == 1
    changed = await client.post(MANAGE, json={**body, "capacity": 60}, headers=headers)
    assert changed.status_code == 422
    assert problem(changed)["code"] == "idempotency_key_reused"
    theirs = await client.post(
        MANAGE, json=body, headers={**other.headers, "Idempotency-Key": "draft-1"}
    )
    assert theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert await _events_titled(db, "重试的草稿") == 2
