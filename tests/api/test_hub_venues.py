"""Venues, rooms, worker assignments, closures and availability."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import FrozenClock
from backend.hub.models import Closure
from tests.api.hub_support import (
    ACTIVITY_ROOM,
    API,
    HOURS,
    MONDAY,
    SUNDAY,
    TUESDAY,
    Hub,
    active_bookings,
    at,
    booked,
    inbox,
    make_hub,
)
from tests.conftest import problem
from tests.factories import MakeUser


@pytest.fixture
async def hub(client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock) -> Hub:
    return await make_hub(client, make_user, clock)


async def test_venues_are_public_with_their_rooms(client: httpx.AsyncClient, hub: Hub) -> None:
    listed = await client.get(f"{API}/venues", params={"limit": 1})
    assert listed.status_code == 200
    first = listed.json()
    assert len(first["items"]) == 1
    assert first["nextCursor"]
    rest = await client.get(f"{API}/venues", params={"cursor": first["nextCursor"]})
    assert [v["name"] for v in first["items"] + rest.json()["items"]] == [
        "高照三合一",
        "文昌社区中心",
    ]
    venue = (await client.get(f"{API}/venues/{hub.venue_id}")).json()
    assert [r["name"] for r in venue["rooms"]] == ["活动室", "会议室"]
    assert venue["openingHours"][0] == {"weekday": 1, "opens": "08:00", "closes": "12:00"}
    room = (await client.get(f"{API}/rooms/{hub.room_id}")).json()
    assert room["amenities"] == ["投影仪", "音响"]
    assert room["venueId"] == hub.venue_id
    assert (await client.get(f"{API}/venues/{hub.room_id}")).status_code == 404


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        ([{"weekday": 1, "opens": "12:00", "closes": "08:00"}], "openingHours[0]"),
        (
            [
                {"weekday": 2, "opens": "08:00", "closes": "12:00"},
                {"weekday": 2, "opens": "11:00", "closes": "14:00"},
            ],
            "openingHours[1]",
        ),
    ],
)
async def test_opening_hours_are_checked(
    client: httpx.AsyncClient, hub: Hub, hours: list[dict[str, Any]], field: str
) -> None:
    response = await client.post(
        f"{API}/manage/venues",
        json={"name": "坏馆", "address": "某处", "openingHours": hours},
        headers=hub.admin.headers,
    )
    body = problem(response)
    assert response.status_code == 422
    assert body["code"] == "invalid_opening_hours"
    assert body["errors"][0]["field"] == field
    bad_format = await client.post(
        f"{API}/manage/venues",
        json={
            "name": "坏馆",
            "address": "某处",
            "openingHours": [{"weekday": 8, "opens": "8:00", "closes": "25:00"}],
        },
        headers=hub.admin.headers,
    )
    assert problem(bad_format)["code"] == "validation_error"


async def test_patching_venues_and_rooms(client: httpx.AsyncClient, hub: Hub) -> None:
    # Open on Sundays from now on; 24:00 closes at midnight.
    hours = [*HOURS, {"weekday": 7, "opens": "09:00", "closes": "24:00"}]
    patched = await client.patch(
        f"{API}/manage/venues/{hub.venue_id}",
        json={"openingHours": hours, "phone": "0573-82000000"},
        headers=hub.admin.headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["phone"] == "0573-82000000"
    assert patched.json()["name"] == "高照三合一"
    day = (
        await client.get(
            f"{API}/rooms/{hub.room_id}/availability", params={"date": SUNDAY.isoformat()}
        )
    ).json()
    assert day["slots"][-1]["endsAt"] == at(SUNDAY + timedelta(days=1), 0).isoformat()
    room = await client.patch(
        f"{API}/manage/rooms/{hub.room_id}",
        json={"capacity": 30, "amenities": ["白板", "白板"], "description": None},
        headers=hub.admin.headers,
    )
    assert room.json()["capacity"] == 30
    assert room.json()["amenities"] == ["白板"]
    assert room.json()["slotMinutes"] == 30
    broken = await client.patch(
        f"{API}/manage/rooms/{hub.room_id}", json={"minMinutes": 45}, headers=hub.admin.headers
    )
    assert problem(broken)["code"] == "invalid_room_rules"
    unknown = await client.patch(
        f"{API}/manage/rooms/{hub.venue_id}", json={"capacity": 3}, headers=hub.admin.headers
    )
    assert unknown.status_code == 404


async def test_room_rules_must_fit_the_slot_grid(client: httpx.AsyncClient, hub: Hub) -> None:
    response = await client.post(
        f"{API}/manage/venues/{hub.venue_id}/rooms",
        json={**ACTIVITY_ROOM, "slotMinutes": 60, "minMinutes": 90, "maxMinutes": 60},
        headers=hub.admin.headers,
    )
    body = problem(response)
    assert body["code"] == "invalid_room_rules"
    assert {e["field"] for e in body["errors"]} == {"minMinutes", "maxMinutes"}
    unknown_kind = await client.post(
        f"{API}/manage/venues/{hub.venue_id}/rooms",
        json={**ACTIVITY_ROOM, "kind": "spa"},
        headers=hub.admin.headers,
    )
    assert problem(unknown_kind)["code"] == "validation_error"


async def test_assigning_workers(client: httpx.AsyncClient, make_user: MakeUser, hub: Hub) -> None:
    worker = await make_user("worker")
    resident = await make_user()
    url = f"{API}/admin/users/{worker.id}/venues"
    both = [hub.venue_id, hub.other_venue_id]
    put = await client.put(url, json={"venueIds": [*both, hub.venue_id]}, headers=hub.admin.headers)
    assert put.status_code == 200, put.text
    assert sorted(v["id"] for v in put.json()["venues"]) == sorted(both)
    mine = await client.get(f"{API}/manage/venues", headers=worker.headers)
    assert len(mine.json()["items"]) == 2
    await client.put(url, json={"venueIds": [hub.other_venue_id]}, headers=hub.admin.headers)
    got = await client.get(url, headers=hub.admin.headers)
    assert [v["id"] for v in got.json()["venues"]] == [hub.other_venue_id]
    mine = await client.get(f"{API}/manage/venues", headers=worker.headers)
    assert [v["id"] for v in mine.json()["items"]] == [hub.other_venue_id]
    not_worker = await client.put(
        f"{API}/admin/users/{resident.id}/venues",
        json={"venueIds": [hub.venue_id]},
        headers=hub.admin.headers,
    )
    assert not_worker.status_code == 422
    assert problem(not_worker)["code"] == "not_a_worker"
    unknown_venue = await client.put(
        url, json={"venueIds": [hub.room_id]}, headers=hub.admin.headers
    )
    assert unknown_venue.status_code == 404
    unknown_user = await client.put(
        f"{API}/admin/users/{hub.venue_id}/venues",
        json={"venueIds": []},
        headers=hub.admin.headers,
    )
    assert unknown_user.status_code == 404
    cleared = await client.put(url, json={"venueIds": []}, headers=hub.admin.headers)
    assert cleared.json()["venues"] == []
    assert cleared.json()["venueIds"] == []


async def test_worker_venues_read_modify_write_keeps_them(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub
) -> None:
    """GET answers the shape PUT takes: a client that reads, adds one and writes the body back
    keeps the venues the worker had."""
    worker = await make_user("worker")
    url = f"{API}/admin/users/{worker.id}/venues"
    first = await client.put(url, json={"venueIds": [hub.venue_id]}, headers=hub.admin.headers)
    assert first.json()["venueIds"] == [hub.venue_id]

    body = (await client.get(url, headers=hub.admin.headers)).json()
    assert body["venueIds"] == [hub.venue_id]
    assert [v["id"] for v in body["venues"]] == [hub.venue_id]
    body["venueIds"].append(hub.other_venue_id)
    written = await client.put(url, json=body, headers=hub.admin.headers)
    assert written.status_code == 200, written.text
    both = sorted([hub.venue_id, hub.other_venue_id])
    assert written.json()["venueIds"] == both
    again = await client.get(url, headers=hub.admin.headers)
    assert again.json()["venueIds"] == both
    assert [v["id"] for v in again.json()["venues"]] == both


# --- availability ----------------------------------------------------------------------------


async def test_room_availability_on_the_slot_grid(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub, clock: FrozenClock
) -> None:
    resident = await make_user()
    await booked(client, resident, hub.room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    await client.post(
        f"{API}/manage/rooms/{hub.room_id}/closures",
        json={
            "startsAt": at(TUESDAY, 15).isoformat(),
            "endsAt": at(TUESDAY, 16).isoformat(),
            "reason": "保洁",
        },
        headers=hub.worker.headers,
    )
    clock.set(at(TUESDAY, 8, 40))
    day = await client.get(
        f"{API}/rooms/{hub.room_id}/availability", params={"date": TUESDAY.isoformat()}
    )
    assert day.status_code == 200, day.text
    body = day.json()
    assert body["openingHours"] == [
        {"opens": "08:00", "closes": "12:00"},
        {"opens": "13:30", "closes": "21:00"},
    ]
    states = {s["startsAt"][11:16]: s["state"] for s in body["slots"]}
    assert len(states) == 8 + 15  # 30-minute slots: 4 h in the morning, 7.5 h after lunch
    assert states["08:00"] == states["08:30"] == "past"
    assert states["09:00"] == states["09:30"] == "booked"
    assert states["10:00"] == "free"
    assert states["15:00"] == states["15:30"] == "closed"
    assert "12:00" not in states
    assert "13:00" not in states
    assert all(s["available"] == (s["state"] == "free") for s in body["slots"])
    sunday = await client.get(
        f"{API}/rooms/{hub.room_id}/availability", params={"date": SUNDAY.isoformat()}
    )
    assert sunday.json()["slots"] == []
    later = MONDAY + timedelta(days=9)
    beyond = await client.get(
        f"{API}/rooms/{hub.room_id}/availability", params={"date": later.isoformat()}
    )
    assert {s["state"] for s in beyond.json()["slots"]} == {"not_yet_bookable"}
    for bad in ("2027-02-30", "tuesday", "9999-12-31", "0001-01-01"):
        response = await client.get(f"{API}/rooms/{hub.room_id}/availability", params={"date": bad})
        assert response.status_code in (400, 422)
    missing = await client.get(f"{API}/rooms/{hub.room_id}/availability")
    assert missing.status_code in (400, 422)


async def test_venue_availability_shows_every_room(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub
) -> None:
    resident = await make_user()
    await booked(client, resident, hub.approval_room_id, at(TUESDAY, 14, 30), at(TUESDAY, 15, 30))
    await client.post(
        f"{API}/manage/venues/{hub.venue_id}/closures",
        json={
            "startsAt": at(TUESDAY, 8).isoformat(),
            "endsAt": at(TUESDAY, 9).isoformat(),
            "reason": "消防演练",
        },
        headers=hub.worker.headers,
    )
    # A closure of one room closes that room only.
    closed_room = await client.post(
        f"{API}/manage/rooms/{hub.room_id}/closures",
        json={
            "startsAt": at(TUESDAY, 10).isoformat(),
            "endsAt": at(TUESDAY, 11).isoformat(),
            "reason": "保洁",
        },
        headers=hub.worker.headers,
    )
    assert closed_room.status_code == 201, closed_room.text
    response = await client.get(
        f"{API}/venues/{hub.venue_id}/availability", params={"date": TUESDAY.isoformat()}
    )
    body = response.json()
    assert [r["name"] for r in body["rooms"]] == ["活动室", "会议室"]
    activity, meeting = body["rooms"]
    assert activity["slots"][0]["state"] == "closed"
    assert meeting["slots"][0]["state"] == "closed"
    activity_states = {s["startsAt"][11:16]: s["state"] for s in activity["slots"]}
    meeting_states = {s["startsAt"][11:16]: s["state"] for s in meeting["slots"]}
    assert meeting_states["14:30"] == "booked"
    assert activity_states["14:30"] == activity_states["15:00"] == "free"
    assert activity_states["10:00"] == activity_states["10:30"] == "closed"
    assert meeting_states["10:00"] == "free"
    # A pending booking holds its slot too.
    assert len(meeting["slots"]) == 4 + 7  # hour slots: 08–12, then 13:30–20:30


# --- closures ----------------------------------------------------------------------------------


async def test_a_closure_cancels_bookings_inside_and_tells_their_owners(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub, db: async_sessionmaker[AsyncSession]
) -> None:
    a, b, c = await make_user(), await make_user(), await make_user()
    inside = await booked(client, a, hub.room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    pending = await booked(client, b, hub.approval_room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    outside = await booked(client, c, hub.room_id, at(TUESDAY, 14), at(TUESDAY, 15))
    elsewhere = await booked(client, c, hub.other_room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    response = await client.post(
        f"{API}/manage/venues/{hub.venue_id}/closures",
        json={
            "startsAt": at(TUESDAY, 9, 30).isoformat(),
            "endsAt": at(TUESDAY, 12).isoformat(),
            "reason": "突发停水",
        },
        headers=hub.worker.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["cancelledBookings"] == 2
    assert response.json()["roomId"] is None
    # The list says so too, later: the count is the closure's, not the request's.
    listed = await client.get(
        f"{API}/manage/venues/{hub.venue_id}/closures", headers=hub.worker.headers
    )
    assert [(c["id"], c["cancelledBookings"]) for c in listed.json()["items"]] == [
        (response.json()["id"], 2)
    ]
    for who, booking in ((a, inside), (b, pending)):
        seen = (await client.get(f"{API}/bookings/{booking['id']}", headers=who.headers)).json()
        assert seen["status"] == "cancelled"
        assert seen["reason"] == "突发停水"
        (message,) = await inbox(db, who.id)
        assert message.kind == "booking_closure"
        assert message.data["reason"] == "突发停水"
        assert message.data["bookingId"] == booking["id"]
    assert await inbox(db, c.id) == []
    live = {str(x.id) for x in await active_bookings(db, hub.room_id)}
    assert live == {outside["id"]}
    assert len(await active_bookings(db, hub.other_room_id)) == 1
    assert elsewhere["status"] == "confirmed"


async def test_closures_listed_and_lifted(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub
) -> None:
    made = []
    for hour in (9, 10, 11):
        response = await client.post(
            f"{API}/manage/rooms/{hub.room_id}/closures",
            json={
                "startsAt": at(TUESDAY, hour).isoformat(),
                "endsAt": at(TUESDAY, hour, 30).isoformat(),
                "reason": "保洁",
            },
            headers=hub.worker.headers,
        )
        made.append(response.json()["id"])
    page = await client.get(
        f"{API}/manage/venues/{hub.venue_id}/closures",
        params={"limit": 2},
        headers=hub.worker.headers,
    )
    assert [c["id"] for c in page.json()["items"]] == made[:2]
    rest = await client.get(
        f"{API}/manage/venues/{hub.venue_id}/closures",
        params={"cursor": page.json()["nextCursor"]},
        headers=hub.worker.headers,
    )
    assert [c["id"] for c in rest.json()["items"]] == made[2:]
    denied = await client.delete(
        f"{API}/manage/closures/{made[0]}", headers=hub.other_worker.headers
    )
    assert denied.status_code == 403
    lifted = await client.delete(f"{API}/manage/closures/{made[0]}", headers=hub.worker.headers)
    assert lifted.status_code == 204
    again = await client.delete(f"{API}/manage/closures/{made[0]}", headers=hub.worker.headers)
    assert again.status_code == 404
    resident = await make_user()
    assert (
        await client.post(
            f"{API}/bookings",
            json={
                "roomId": hub.room_id,
                "startsAt": at(TUESDAY, 9).isoformat(),
                "endsAt": at(TUESDAY, 9, 30).isoformat(),
                "purpose": "练琴",
            },
            headers=resident.headers,
        )
    ).status_code == 201


async def test_closure_input(client: httpx.AsyncClient, hub: Hub) -> None:
    backwards = await client.post(
        f"{API}/manage/rooms/{hub.room_id}/closures",
        json={
            "startsAt": at(TUESDAY, 10).isoformat(),
            "endsAt": at(TUESDAY, 9).isoformat(),
            "reason": "x",
        },
        headers=hub.worker.headers,
    )
    assert problem(backwards)["code"] == "invalid_time_range"
    endless = await client.post(
        f"{API}/manage/venues/{hub.venue_id}/closures",
        json={
            "startsAt": at(TUESDAY, 10).isoformat(),
            "endsAt": "9999-12-31T23:59:59-12:00",
            "reason": "x",
        },
        headers=hub.worker.headers,
    )
    assert problem(endless)["code"] == "validation_error"
    assert problem(endless)["errors"][0]["field"] == "endsAt"
    other_venue = await client.post(
        f"{API}/manage/rooms/{hub.other_room_id}/closures",
        json={
            "startsAt": at(TUESDAY, 9).isoformat(),
            "endsAt": at(TUESDAY, 10).isoformat(),
            "reason": "x",
        },
        headers=hub.worker.headers,
    )
    assert other_venue.status_code == 403


@pytest.mark.parametrize("scope", ["rooms", "venues"])
async def test_a_closure_retried_with_its_key_closes_once(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    hub: Hub,
    db: async_sessionmaker[AsyncSession],
    scope: str,
) -> None:
    resident = await make_user()
    await booked(client, resident, hub.room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    target = hub.room_id if scope == "rooms" else hub.venue_id
    url = f"{API}/manage/{scope}/{target}/closures"
    body = {
        "startsAt": at(TUESDAY, 8).isoformat(),
        "endsAt": at(TUESDAY, 12).isoformat(),
        "reason": "停电检修",
    }
    headers = {**hub.worker.headers, "Idempotency-Key": f"close-{scope}-tuesday"}
    first = await client.post(url, json=body, headers=headers)
    again = await client.post(url, json=body, headers=headers)
    assert first.status_code == again.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    assert first.json()["cancelledBookings"] == 1
    async with db() as session:
        closures = (
            await session.scalars(select(Closure).where(Closure.venue_id == hub.venue_id))
        ).all()
    assert [str(c.id) for c in closures] == [first.json()["id"]]
    # The owner was told once, by the one closure.
    assert [m.kind for m in await inbox(db, resident.id)] == ["booking_closure"]
    reused = await client.post(url, json={**body, "reason": "换了理由"}, headers=headers)
    assert reused.status_code == 422
    assert problem(reused)["code"] == "idempotency_key_reused"
