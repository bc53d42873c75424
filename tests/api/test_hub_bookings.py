"""Bookings: every rule with its own code, every status transition, the inbox, lists."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import FrozenClock
from tests.api.hub_support import (
    API,
    MONDAY,
    SUNDAY,
    TUESDAY,
    Hub,
    at,
    book,
    booked,
    booking_body,
    inbox,
    make_hub,
)
from tests.conftest import problem
from tests.factories import MakeUser


@pytest.fixture
async def hub(client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock) -> Hub:
    return await make_hub(client, make_user, clock)


async def test_a_booking_is_confirmed_with_a_check_in_code(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub
) -> None:
    resident = await make_user(display_name="居民 张伟")
    body = await booked(client, resident, hub.room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    assert body["status"] == "confirmed"
    assert body["roomLabel"] == "高照三合一 · 活动室"
    assert body["contactName"] == "居民 张伟"
    assert len(body["checkInCode"]) >= 16  # 96 random bits
    assert body["cancellableUntil"] == at(TUESDAY, 8).isoformat()
    again = await client.get(f"{API}/bookings/{body['id']}", headers=resident.headers)
    assert again.status_code == 200
    assert again.json() == body


async def test_a_booking_inside_its_cutoff_says_so_when_made(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub, clock: FrozenClock
) -> None:
    """The activity room's cutoff is 60 minutes: at 07:30, a booking from 08:00 can never be
    cancelled by its owner, one from 08:30 until now exactly."""
    resident = await make_user()
    clock.set(at(MONDAY, 7, 30))
    late = await booked(client, resident, hub.room_id, at(MONDAY, 8), at(MONDAY, 8, 30))
    assert late["cancellableUntil"] is None
    just = await booked(client, resident, hub.room_id, at(MONDAY, 8, 30), at(MONDAY, 9))
    assert just["cancellableUntil"] == at(MONDAY, 7, 30).isoformat()
    # Reads say the same, and the field turns null once the cutoff passes.
    mine = await client.get(f"{API}/me/bookings", headers=resident.headers)
    assert [b["cancellableUntil"] for b in mine.json()["items"]] == [
        None,
        at(MONDAY, 7, 30).isoformat(),
    ]
    clock.advance(minutes=1)
    again = await client.get(f"{API}/bookings/{just['id']}", headers=resident.headers)
    assert again.json()["cancellableUntil"] is None
    refused = await client.post(f"{API}/bookings/{just['id']}/cancel", headers=resident.headers)
    assert problem(refused)["code"] == "cancel_cutoff_passed"


async def test_an_approval_room_starts_pending(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub
) -> None:
    resident = await make_user()
    body = await booked(client, resident, hub.approval_room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    assert body["status"] == "pending"


async def test_the_same_instant_in_any_offset_is_the_same_booking(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub
) -> None:
    first, second = await make_user(), await make_user()
    await booked(client, first, hub.room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    utc = {
        "roomId": hub.room_id,
        "startsAt": "2027-03-02T01:00:00Z",
        "endsAt": "2027-03-02T02:00:00+00:00",
        "purpose": "同一时段",
        "attendees": 2,
    }
    clash = await client.post(f"{API}/bookings", json=utc, headers=second.headers)
    assert problem(clash)["code"] == "booking_conflict"
    assert clash.status_code == 409
    # Back to back is no overlap: ranges are half-open.
    after = dict(utc, startsAt="2027-03-02T10:00:00+08:00", endsAt="2027-03-02T03:30:00Z")
    assert (
        await client.post(f"{API}/bookings", json=after, headers=second.headers)
    ).status_code == 201


RULES: list[tuple[str, Any, Any, dict[str, Any], int, str]] = [
    # (case, starts, ends, extra body, status, code)
    ("end before start", at(TUESDAY, 10), at(TUESDAY, 9), {}, 422, "invalid_time_range"),
    ("empty range", at(TUESDAY, 10), at(TUESDAY, 10), {}, 422, "invalid_time_range"),
    ("already begun", at(MONDAY, 6, 30), at(MONDAY, 7, 30), {}, 422, "in_the_past"),
    ("yesterday", at(MONDAY, 6) - timedelta(days=1), at(MONDAY, 7) - timedelta(days=1), {}, 422,
     "in_the_past"),
    ("beyond the window", at(MONDAY, 9) + timedelta(days=8),
     at(MONDAY, 10) + timedelta(days=8), {}, 422, "too_far_ahead"),
    ("too short", at(TUESDAY, 9), at(TUESDAY, 9, 15), {}, 422, "duration_out_of_range"),
    ("too long", at(TUESDAY, 9), at(TUESDAY, 11, 30), {}, 422, "duration_out_of_range"),
    ("before opening", at(TUESDAY, 7, 30), at(TUESDAY, 8, 30), {}, 422, "outside_opening_hours"),
    ("over the lunch break", at(TUESDAY, 11, 30), at(TUESDAY, 13, 30), {}, 422,
     "outside_opening_hours"),
    ("after closing", at(TUESDAY, 20, 30), at(TUESDAY, 21, 30), {}, 422, "outside_opening_hours"),
    ("a closed day", at(SUNDAY, 9), at(SUNDAY, 10), {}, 422, "outside_opening_hours"),
    ("off the grid", at(TUESDAY, 9, 10), at(TUESDAY, 10, 10), {}, 422, "slot_misaligned"),
    ("afternoon grid starts at 13:30", at(TUESDAY, 14, 0), at(TUESDAY, 14, 45), {}, 422,
     "slot_misaligned"),
    ("too many people", at(TUESDAY, 9), at(TUESDAY, 10), {"attendees": 21}, 422, "over_capacity"),
    ("no people", at(TUESDAY, 9), at(TUESDAY, 10), {"attendees": 0}, 422, "validation_error"),
    ("no purpose", at(TUESDAY, 9), at(TUESDAY, 10), {"purpose": ""}, 422, "validation_error"),
    ("NUL in purpose", at(TUESDAY, 9), at(TUESDAY, 10), {"purpose": "读\x00书"}, 422,
     "validation_error"),
    ("the end of time", at(TUESDAY, 9), at(TUESDAY, 10),
     {"startsAt": "9999-12-31T23:00:00-12:00", "endsAt": "9999-12-31T23:30:00-12:00"}, 422,
     "validation_error"),
    ("the dawn of time", at(TUESDAY, 9), at(TUESDAY, 10),
     {"startsAt": "0001-01-01T00:00:00+14:00"}, 422, "validation_error"),
    ("afternoon grid", at(TUESDAY, 13, 30), at(TUESDAY, 14, 30), {}, 201, ""),
    ("last slot of the day", at(TUESDAY, 20, 30), at(TUESDAY, 21), {}, 201, ""),
    ("last bookable day", at(MONDAY, 9) + timedelta(days=7), at(MONDAY, 10) + timedelta(days=7),
     {}, 201, ""),
    ("exactly full", at(TUESDAY, 9), at(TUESDAY, 10), {"attendees": 20}, 201, ""),
]  # fmt: skip


@pytest.mark.parametrize(
    ("starts", "ends", "extra", "status", "code"),
    [case[1:] for case in RULES],
    ids=[case[0] for case in RULES],
)
async def test_booking_rules(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    hub: Hub,
    starts: Any,
    ends: Any,
    extra: dict[str, Any],
    status: int,
    code: str,
) -> None:
    resident = await make_user()
    body = {**booking_body(hub.room_id, starts, ends), **extra}
    response = await client.post(f"{API}/bookings", json=body, headers=resident.headers)
    assert response.status_code == status, response.text
    if code:
        assert problem(response)["code"] == code


async def test_a_closed_room_and_a_closed_venue_refuse_bookings(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub
) -> None:
    resident = await make_user()
    closure = {"startsAt": at(TUESDAY, 9).isoformat(), "endsAt": at(TUESDAY, 10).isoformat()}
    response = await client.post(
        f"{API}/manage/rooms/{hub.room_id}/closures",
        json={**closure, "reason": "消防检查"},
        headers=hub.worker.headers,
    )
    assert response.status_code == 201, response.text
    refused = await book(client, resident, hub.room_id, at(TUESDAY, 9, 30), at(TUESDAY, 10, 30))
    assert problem(refused)["code"] == "room_closed"
    assert refused.status_code == 422
    # The other room of the venue is not affected by a room closure …
    other = await book(client, resident, hub.approval_room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    assert other.status_code == 201
    # … but is by a venue closure.
    await client.post(
        f"{API}/manage/venues/{hub.venue_id}/closures",
        json={
            "startsAt": at(TUESDAY, 14).isoformat(),
            "endsAt": at(TUESDAY, 17).isoformat(),
            "reason": "停电检修",
        },
        headers=hub.admin.headers,
    )
    again = await book(
        client, resident, hub.approval_room_id, at(TUESDAY, 14, 30), at(TUESDAY, 15, 30)
    )
    assert problem(again)["code"] == "room_closed"


async def test_unknown_room_and_naive_times(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub
) -> None:
    resident = await make_user()
    body = booking_body("0190aaaa-0000-7000-8000-000000000000", at(TUESDAY, 9), at(TUESDAY, 10))
    missing = await client.post(f"{API}/bookings", json=body, headers=resident.headers)
    assert missing.status_code == 404
    naive = dict(booking_body(hub.room_id, at(TUESDAY, 9), at(TUESDAY, 10)))
    naive["startsAt"] = "2027-03-02T09:00:00"
    response = await client.post(f"{API}/bookings", json=naive, headers=resident.headers)
    assert response.status_code == 422
    assert problem(response)["code"] == "validation_error"
    garbage = await client.post(f"{API}/bookings", content=b"{not json", headers=resident.headers)
    assert garbage.status_code in (400, 422)


async def test_the_active_limit_counts_only_live_bookings(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub, clock: FrozenClock
) -> None:
    resident = await make_user()
    first = await booked(client, resident, hub.room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    await booked(client, resident, hub.room_id, at(TUESDAY, 10), at(TUESDAY, 11))
    third = await book(client, resident, hub.room_id, at(TUESDAY, 14), at(TUESDAY, 15))
    assert third.status_code == 409
    assert problem(third)["code"] == "booking_limit_reached"
    # Another room has its own count.
    assert (
        await book(client, resident, hub.approval_room_id, at(TUESDAY, 14, 30), at(TUESDAY, 15, 30))
    ).status_code == 201
    cancelled = await client.post(f"{API}/bookings/{first['id']}/cancel", headers=resident.headers)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert (
        await book(client, resident, hub.room_id, at(TUESDAY, 14), at(TUESDAY, 15))
    ).status_code == 201


async def test_idempotency_key_replays_and_refuses_another_body(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub, db: async_sessionmaker[AsyncSession]
) -> None:
    resident = await make_user()
    headers = {**resident.headers, "Idempotency-Key": "book-tuesday-9"}
    body = booking_body(hub.room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    first = await client.post(f"{API}/bookings", json=body, headers=headers)
    second = await client.post(f"{API}/bookings", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers.get("idempotent-replayed") == "true"
    mine = await client.get(f"{API}/me/bookings", headers=resident.headers)
    assert len(mine.json()["items"]) == 1
    other = dict(body, purpose="换了内容")
    reused = await client.post(f"{API}/bookings", json=other, headers=headers)
    assert reused.status_code == 422
    assert problem(reused)["code"] == "idempotency_key_reused"


# --- the lifecycle ---------------------------------------------------------------------------

# (case, room, minutes after 07:00 Monday to move the clock before acting, who, action, body,
#  status, code or the booking's new status, the kind of inbox message the owner gets)
TRANSITIONS: list[tuple[str, str, int, str, str, dict[str, Any] | None, int, str, str | None]] = [
    ("approve pending", "approval", 0, "worker", "approve", None, 200, "confirmed",
     "booking_approved"),
    ("admin approves", "approval", 0, "admin", "approve", None, 200, "confirmed",
     "booking_approved"),
    ("approve confirmed", "plain", 0, "worker", "approve", None, 409,
     "invalid_status_transition", None),
    ("approve after the end", "approval", 27 * 60, "worker", "approve", None, 422,
     "booking_ended", None),
    ("reject pending", "approval", 0, "worker", "reject", {"reason": "场地另有安排"}, 200,
     "rejected", "booking_rejected"),
    ("reject without reason", "approval", 0, "worker", "reject", {}, 422, "validation_error",
     None),
    ("reject confirmed", "plain", 0, "worker", "reject", {"reason": "x"}, 409,
     "invalid_status_transition", None),
    ("owner cancels pending", "approval", 0, "owner", "cancel", None, 200, "cancelled", None),
    ("owner cancels confirmed", "plain", 0, "owner", "cancel", {"reason": "有事"}, 200,
     "cancelled", None),
    ("owner cancels at the cutoff", "plain", 25 * 60, "owner", "cancel", None, 200,
     "cancelled", None),
    ("owner cancels after the cutoff", "plain", 25 * 60 + 1, "owner", "cancel", None, 422,
     "cancel_cutoff_passed", None),
    ("worker cancels after the cutoff", "plain", 26 * 60 + 10, "worker", "cancel",
     {"reason": "水管维修"}, 200, "cancelled", "booking_cancelled"),
    ("worker cancels without reason", "plain", 0, "worker", "cancel", None, 422,
     "validation_error", None),
    ("another venue's worker cancels", "plain", 0, "other_worker", "cancel", {"reason": "x"},
     403, "forbidden", None),
    ("another resident cancels", "plain", 0, "stranger", "cancel", None, 404, "not_found", None),
    ("check in too early", "plain", 26 * 60 - 16, "worker", "check-in", None, 422,
     "outside_check_in_window", None),
    ("check in 15 minutes early", "plain", 26 * 60 - 15, "worker", "check-in", None, 200,
     "checked_in", None),
    ("check in during", "plain", 26 * 60 + 59, "worker", "check-in", None, 200, "checked_in",
     None),
    ("check in at the end", "plain", 27 * 60, "worker", "check-in", None, 422,
     "outside_check_in_window", None),
    ("check in pending", "approval", 26 * 60, "worker", "check-in", None, 409,
     "invalid_status_transition", None),
    ("no-show before the start", "plain", 26 * 60 - 1, "worker", "no-show", None, 422,
     "no_show_too_early", None),
    ("no-show after the start", "plain", 26 * 60 + 20, "worker", "no-show", None, 200,
     "no_show", "booking_no_show"),
    ("no-show pending", "approval", 26 * 60 + 20, "worker", "no-show", None, 409,
     "invalid_status_transition", None),
    ("another venue's worker approves", "approval", 0, "other_worker", "approve", None, 403,
     "forbidden", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("room", "minutes", "who", "action", "body", "status", "outcome", "message"),
    [case[1:] for case in TRANSITIONS],
    ids=[case[0] for case in TRANSITIONS],
)
async def test_transitions(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    hub: Hub,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
    room: str,
    minutes: int,
    who: str,
    action: str,
    body: dict[str, Any] | None,
    status: int,
    outcome: str,
    message: str | None,
) -> None:
    owner = await make_user()
    stranger = await make_user()
    room_id = hub.approval_room_id if room == "approval" else hub.room_id
    # Tuesday 09:00–10:00: 26 h after the clock's Monday 07:00.
    booking = await booked(client, owner, room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    clock.advance(minutes=minutes)
    actor = {
        "owner": owner,
        "stranger": stranger,
        "worker": hub.worker,
        "other_worker": hub.other_worker,
        "admin": hub.admin,
    }[who]
    prefix = "bookings" if action == "cancel" else "manage/bookings"
    kwargs: dict[str, Any] = {"headers": actor.headers}
    if body is not None:
        kwargs["json"] = body
    response = await client.post(f"{API}/{prefix}/{booking['id']}/{action}", **kwargs)
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json()["status"] == outcome
    else:
        assert problem(response)["code"] == outcome
    messages = await inbox(db, owner.id)
    assert [m.kind for m in messages] == ([message] if message else [])
    if message:
        assert messages[0].data["bookingId"] == booking["id"]
        assert messages[0].data["room"] == booking["roomLabel"]


async def test_check_in_twice_and_by_code(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub, clock: FrozenClock
) -> None:
    resident = await make_user()
    booking = await booked(client, resident, hub.room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    clock.set(at(TUESDAY, 8, 50))
    unknown = await client.post(
        f"{API}/manage/bookings/check-in",
        json={"checkInCode": "no-such-code"},
        headers=hub.worker.headers,
    )
    assert unknown.status_code == 404
    elsewhere = await client.post(
        f"{API}/manage/bookings/check-in",
        json={"checkInCode": booking["checkInCode"]},
        headers=hub.other_worker.headers,
    )
    assert elsewhere.status_code == 403
    scanned = await client.post(
        f"{API}/manage/bookings/check-in",
        json={"checkInCode": booking["checkInCode"]},
        headers=hub.worker.headers,
    )
    assert scanned.status_code == 200, scanned.text
    assert scanned.json()["status"] == "checked_in"
    assert scanned.json()["checkInCode"] is None  # the worker's view does not show it
    again = await client.post(
        f"{API}/manage/bookings/{booking['id']}/check-in", headers=hub.worker.headers
    )
    assert again.status_code == 409
    assert problem(again)["code"] == "booking_already_checked_in"
    # Checked in is final for the owner too.
    late = await client.post(f"{API}/bookings/{booking['id']}/cancel", headers=resident.headers)
    assert late.status_code in (409, 422)


async def test_other_residents_bookings_are_not_found(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub
) -> None:
    owner, other = await make_user(), await make_user()
    staff = await make_user("staff")
    booking = await booked(client, owner, hub.room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    for who in (other, staff):
        response = await client.get(f"{API}/bookings/{booking['id']}", headers=who.headers)
        assert response.status_code == 404
        assert problem(response)["code"] == "not_found"
    seen = await client.get(f"{API}/bookings/{booking['id']}", headers=hub.worker.headers)
    assert seen.status_code == 200
    assert seen.json()["checkInCode"] is None
    assert (
        await client.get(f"{API}/bookings/{booking['id']}", headers=hub.other_worker.headers)
    ).status_code == 403


async def test_inbox_texts_render_in_both_languages(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub
) -> None:
    resident = await make_user()
    booking = await booked(client, resident, hub.approval_room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    await client.post(
        f"{API}/manage/bookings/{booking['id']}/reject",
        json={"reason": "当天有党员活动"},
        headers=hub.worker.headers,
    )
    zh = await client.get(f"{API}/me/notifications", headers=resident.headers)
    (message,) = zh.json()["items"]
    assert message["kind"] == "booking_rejected"
    assert message["title"] == "预约未通过"
    assert "高照三合一 · 会议室" in message["body"]
    assert "2027-03-02 09:00–10:00" in message["body"]
    assert "当天有党员活动" in message["body"]
    assert message["data"]["bookingId"] == booking["id"]
    en = await client.get(
        f"{API}/me/notifications", headers={**resident.headers, "Accept-Language": "en"}
    )
    assert "declined" in en.json()["items"][0]["body"]


# --- lists -----------------------------------------------------------------------------------


async def test_my_bookings_upcoming_and_past_pages(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub, clock: FrozenClock
) -> None:
    resident = await make_user()
    wednesday = TUESDAY + timedelta(days=1)
    made = [
        await booked(client, resident, hub.room_id, at(wednesday, 9), at(wednesday, 10)),
        await booked(
            client, resident, hub.approval_room_id, at(TUESDAY, 14, 30), at(TUESDAY, 15, 30)
        ),
        await booked(client, resident, hub.room_id, at(TUESDAY, 9), at(TUESDAY, 10)),
    ]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1, "scope": "upcoming"}
        if cursor:
            params["cursor"] = cursor
        page = await client.get(f"{API}/me/bookings", params=params, headers=resident.headers)
        assert page.status_code == 200, page.text
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["nextCursor"]
        if cursor is None:
            break
    assert seen == [made[2]["id"], made[1]["id"], made[0]["id"]]
    clock.set(at(MONDAY, 7) + timedelta(days=30))
    past = await client.get(
        f"{API}/me/bookings", params={"scope": "past"}, headers=resident.headers
    )
    ids = [item["id"] for item in past.json()["items"]]
    assert ids == list(reversed(seen))
    upcoming = await client.get(f"{API}/me/bookings", headers=resident.headers)
    assert upcoming.json()["items"] == []
    for cursor in ("%%%", "WyJub3QgYSB0aW1lIiwgIm5vdCBhbiBpZCJd"):  # ["not a time", "not an id"]
        bad = await client.get(
            f"{API}/me/bookings", params={"cursor": cursor}, headers=resident.headers
        )
        assert problem(bad)["code"] == "invalid_cursor"
    forged_venue = await client.get(f"{API}/venues", params={"cursor": "WzFd"})  # [1]
    assert problem(forged_venue)["code"] == "invalid_cursor"


async def test_day_sheet_filters(client: httpx.AsyncClient, make_user: MakeUser, hub: Hub) -> None:
    a, b = await make_user(), await make_user()
    one = await booked(client, a, hub.room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    two = await booked(client, b, hub.approval_room_id, at(TUESDAY, 9), at(TUESDAY, 10))
    three = await booked(
        client,
        b,
        hub.room_id,
        at(TUESDAY, 9) + timedelta(days=1),
        at(TUESDAY, 10) + timedelta(days=1),
    )
    elsewhere = await booked(client, a, hub.other_room_id, at(TUESDAY, 9), at(TUESDAY, 10))

    async def sheet(who: Any, **params: Any) -> list[str]:
        response = await client.get(f"{API}/manage/bookings", params=params, headers=who.headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await sheet(hub.worker) == [one["id"], two["id"], three["id"]]
    assert await sheet(hub.worker, date=TUESDAY.isoformat()) == [one["id"], two["id"]]
    assert await sheet(hub.worker, status="pending") == [two["id"]]
    assert await sheet(hub.worker, roomId=hub.room_id) == [one["id"], three["id"]]
    assert await sheet(hub.worker, venueId=hub.venue_id, date=TUESDAY.isoformat()) == [
        one["id"],
        two["id"],
    ]
    assert await sheet(hub.other_worker) == [elsewhere["id"]]
    assert len(await sheet(hub.admin)) == 4
    forbidden = await client.get(
        f"{API}/manage/bookings", params={"venueId": hub.venue_id}, headers=hub.other_worker.headers
    )
    assert forbidden.status_code == 403
    rows = (
        await client.get(f"{API}/manage/bookings", params={"roomId": hub.room_id},
                         headers=hub.worker.headers)
    ).json()["items"]  # fmt: skip
    assert rows[0]["contactPhone"] == a.phone
    assert rows[0]["checkInCode"] is None
    bad = await client.get(
        f"{API}/manage/bookings", params={"status": "lost"}, headers=hub.worker.headers
    )
    assert bad.status_code in (400, 422)


# --- recurring group bookings -----------------------------------------------------------------


async def test_recurring_booking_all_or_nothing(
    client: httpx.AsyncClient, make_user: MakeUser, hub: Hub
) -> None:
    resident = await make_user()
    week3 = TUESDAY + timedelta(weeks=2)
    week5 = TUESDAY + timedelta(weeks=4)
    # A resident can book only 7 days ahead; a worker's series reaches further. Put clashes in
    # weeks 3 and 5 by way of the worker's own one-off series.
    for day in (week3, week5):
        made = await client.post(
            f"{API}/manage/bookings/recurring",
            json={
                "roomId": hub.room_id,
                "groupName": "书法班",
                "startsAt": at(day, 19, 30).isoformat(),
                "endsAt": at(day, 20, 30).isoformat(),
                "purpose": "书法练习",
                "weeks": 1,
            },
            headers=hub.worker.headers,
        )
        assert made.status_code == 201, made.text
    await booked(client, resident, hub.room_id, at(TUESDAY, 18), at(TUESDAY, 19))
    choir = {
        "roomId": hub.room_id,
        "groupName": "高照合唱团",
        "startsAt": at(TUESDAY, 19).isoformat(),
        "endsAt": at(TUESDAY, 20).isoformat(),
        "purpose": "合唱排练",
        "attendees": 18,
        "weeks": 8,
    }
    clash = await client.post(
        f"{API}/manage/bookings/recurring", json=choir, headers=hub.worker.headers
    )
    assert clash.status_code == 409, clash.text
    body = problem(clash)
    assert body["code"] == "booking_conflict"
    assert [c["date"] for c in body["conflicts"]] == [week3.isoformat(), week5.isoformat()]
    sheet = await client.get(
        f"{API}/manage/bookings", params={"roomId": hub.room_id}, headers=hub.worker.headers
    )
    assert len(sheet.json()["items"]) == 3  # nothing of the choir was booked
    choir["startsAt"] = at(TUESDAY, 13, 30).isoformat()
    choir["endsAt"] = at(TUESDAY, 15, 30).isoformat()
    made = await client.post(
        f"{API}/manage/bookings/recurring",
        json=choir,
        headers={**hub.worker.headers, "Idempotency-Key": "choir"},
    )
    assert made.status_code == 201, made.text
    series = made.json()
    assert len(series["bookings"]) == 8
    assert {b["status"] for b in series["bookings"]} == {"confirmed"}
    assert {b["contactName"] for b in series["bookings"]} == {"高照合唱团"}
    assert (
        series["bookings"][-1]["startsAt"] == (at(TUESDAY, 13, 30) + timedelta(weeks=7)).isoformat()
    )
    replay = await client.post(
        f"{API}/manage/bookings/recurring",
        json=choir,
        headers={**hub.worker.headers, "Idempotency-Key": "choir"},
    )
    assert replay.json() == series


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"weeks": None}, 422, "invalid_recurrence"),
        ({"until": "2027-04-30"}, 422, "invalid_recurrence"),
        ({"weeks": None, "until": "2027-01-01"}, 422, "invalid_recurrence"),
        ({"weeks": 53}, 422, "validation_error"),
        ({"attendees": 99}, 422, "over_capacity"),
        (
            {"startsAt": "2027-03-02T12:00:00+08:00", "endsAt": "2027-03-02T13:00:00+08:00"},
            422,
            "outside_opening_hours",
        ),
        ({"startsAt": "2027-03-02T09:10:00+08:00"}, 422, "slot_misaligned"),
        (
            {"startsAt": "2027-02-23T09:00:00+08:00", "endsAt": "2027-02-23T10:00:00+08:00"},
            422,
            "in_the_past",
        ),
        ({"weeks": None, "until": "2027-03-30"}, 201, ""),
    ],
)
async def test_recurring_rules(
    client: httpx.AsyncClient, hub: Hub, change: dict[str, Any], status: int, code: str
) -> None:
    body = {
        "roomId": hub.room_id,
        "groupName": "太极队",
        "startsAt": "2027-03-02T09:00:00+08:00",
        "endsAt": "2027-03-02T10:00:00+08:00",
        "purpose": "太极拳",
        "weeks": 4,
        **change,
    }
    body = {k: v for k, v in body.items() if v is not None}
    response = await client.post(
        f"{API}/manage/bookings/recurring", json=body, headers=hub.worker.headers
    )
    assert response.status_code == status, response.text
    if code:
        assert problem(response)["code"] == code
    else:
        assert len(response.json()["bookings"]) == 5  # Tuesdays 2, 9, 16, 23 and 30 March


async def test_recurring_across_a_closure_lists_the_closed_dates(
    client: httpx.AsyncClient, hub: Hub
) -> None:
    week2 = TUESDAY + timedelta(weeks=1)
    await client.post(
        f"{API}/manage/venues/{hub.venue_id}/closures",
        json={
            "startsAt": at(week2, 0).isoformat(),
            "endsAt": at(week2 + timedelta(days=1), 0).isoformat(),
            "reason": "全馆消杀",
        },
        headers=hub.worker.headers,
    )
    response = await client.post(
        f"{API}/manage/bookings/recurring",
        json={
            "roomId": hub.room_id,
            "groupName": "太极队",
            "startsAt": at(TUESDAY, 9).isoformat(),
            "endsAt": at(TUESDAY, 10).isoformat(),
            "purpose": "太极拳",
            "weeks": 3,
        },
        headers=hub.worker.headers,
    )
    body = problem(response)
    assert body["code"] == "room_closed"
    assert [c["date"] for c in body["conflicts"]] == [week2.isoformat()]
