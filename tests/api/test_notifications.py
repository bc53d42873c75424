"""The inbox: rendered in the reader's language, newest first, paged, marked read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.base import new_id
from backend.core.clock import FrozenClock
from backend.notifications import service
from backend.notifications.messages import register_kinds, render
from backend.notifications.models import Notification
from tests.conftest import problem
from tests.factories import Account, MakeUser

Sessions = async_sessionmaker[AsyncSession]

register_kinds(
    {
        "test_reminder": {
            "zh-CN": ("{roomName}预约提醒", "您预约的{roomName}将于{startsAt}开始。"),
            "en": ("Reminder: {roomName}", "Your booking of {roomName} starts at {startsAt}."),
        },
        "test_plain": {
            "zh-CN": ("测试消息", "这是一条测试消息。"),
            "en": ("Test message", "This is a test message."),
        },
    }
)

EN = {"Accept-Language": "en"}


async def _send(db: Sessions, user_id: UUID, kind: str = "test_plain", **data: Any) -> None:
    async with db() as session, session.begin():
        await service.notify(session, user_id=user_id, kind=kind, data=data)


async def _inbox(client: httpx.AsyncClient, who: Account, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/me/notifications", params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_message_reads_in_the_callers_language_with_local_times(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    resident = await make_user("resident")
    starts = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    await _send(db, resident.id, "test_reminder", roomName="多功能厅", startsAt=starts)

    zh = (await _inbox(client, resident))["items"][0]
    assert zh["kind"] == "test_reminder"
    assert zh["title"] == "多功能厅预约提醒"
    assert zh["body"] == "您预约的多功能厅将于2026-12-01 09:30开始。"
    # data goes to the app as it was sent, times as RFC 3339
    assert zh["data"] == {"roomName": "多功能厅", "startsAt": "2026-12-01T01:30:00Z"}
    assert zh["readAt"] is None
    assert datetime.fromisoformat(zh["createdAt"]).tzinfo is not None

    en = (await client.get("/api/v1/me/notifications", headers={**resident.headers, **EN})).json()[
        "items"
    ][0]
    assert en["title"] == "Reminder: 多功能厅"
    assert en["body"] == "Your booking of 多功能厅 starts at 2026-12-01 09:30."


async def test_unknown_kinds_and_incomplete_data_still_render(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    resident = await make_user("resident")
    # a kind whose texts were removed in a later release, written before that release
    async with db() as session, session.begin():
        await session.execute(
            insert(Notification).values(
                id=new_id(), user_id=resident.id, kind="retired_kind", data={"x": 1}
            )
        )
    await _send(db, resident.id, "test_reminder", roomName="教室")  # startsAt missing

    listed = await client.get("/api/v1/me/notifications", headers={**resident.headers, **EN})
    incomplete, retired = listed.json()["items"]
    assert (retired["title"], retired["body"]) == ("New message", "You have a new message.")
    assert retired["kind"] == "retired_kind"
    # the title could be filled, the body could not: no "{startsAt}" ever reaches a resident
    assert incomplete["title"] == "Reminder: 教室"
    assert incomplete["body"] == "You have a new message."


def test_render_never_fails_on_odd_data() -> None:
    assert render("test_reminder", {"roomName": None, "startsAt": "not a time"}, "en") == (
        "Reminder: ",
        "Your booking of  starts at not a time.",
    )
    assert (
        render("test_reminder", {"roomName": "A", "startsAt": "2026-12-01T09:30:00"}, "en")[1]
        == "Your booking of A starts at 2026-12-01T09:30:00."
    )


async def test_notify_refuses_a_kind_without_texts(db: Sessions, make_user: MakeUser) -> None:
    resident = await make_user("resident")
    async with db() as session:
        with pytest.raises(ValueError, match="register_kinds"):
            await service.notify(session, user_id=resident.id, kind="typo_kind")


async def test_notify_many_writes_one_message_per_user(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    residents = [await make_user("resident") for _ in range(3)]
    async with db() as session, session.begin():
        written = await service.notify_many(
            session, user_ids=[r.id for r in residents], kind="test_plain", data={"eventId": "e1"}
        )
        assert await service.notify_many(session, user_ids=[], kind="test_plain") == 0
    assert written == 3
    for resident in residents:
        items = (await _inbox(client, resident))["items"]
        assert [(i["kind"], i["data"]) for i in items] == [("test_plain", {"eventId": "e1"})]


async def test_nothing_is_written_when_the_senders_transaction_rolls_back(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    resident = await make_user("resident")
    async with db() as session:
        await session.begin()
        await service.notify(session, user_id=resident.id, kind="test_plain")
        await session.rollback()
    assert (await _inbox(client, resident))["items"] == []


async def test_newest_first_unread_only_and_counting(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    resident = await make_user("resident")
    for n in range(3):
        await _send(db, resident.id, n=n)
    items = (await _inbox(client, resident))["items"]
    assert [i["data"]["n"] for i in items] == [2, 1, 0]

    count = await client.get("/api/v1/me/notifications/unread-count", headers=resident.headers)
    assert count.json() == {"count": 3}

    read = await client.post(
        f"/api/v1/me/notifications/{items[1]['id']}/read", headers=resident.headers
    )
    assert read.status_code == 200
    unread = (await _inbox(client, resident, unreadOnly="true"))["items"]
    assert [i["data"]["n"] for i in unread] == [2, 0]
    everything = (await _inbox(client, resident, unreadOnly="false"))["items"]
    assert everything == [items[0], read.json(), items[2]]
    count = await client.get("/api/v1/me/notifications/unread-count", headers=resident.headers)
    assert count.json() == {"count": 2}


async def test_marking_read_is_idempotent_and_keeps_the_first_time(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions, clock: FrozenClock
) -> None:
    resident = await make_user("resident")
    await _send(db, resident.id)
    (item,) = (await _inbox(client, resident))["items"]
    url = f"/api/v1/me/notifications/{item['id']}/read"

    first = await client.post(url, headers={**resident.headers, **EN})
    assert first.status_code == 200
    body = first.json()
    assert body["id"] == item["id"]
    assert body["title"] == "Test message"
    assert datetime.fromisoformat(body["readAt"]) == clock.now()

    clock.advance(hours=1)
    again = await client.post(url, headers=resident.headers)
    assert again.status_code == 200
    assert again.json()["readAt"] == body["readAt"]


async def test_another_users_message_is_not_found_and_stays_unread(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    owner, other = await make_user("resident"), await make_user("resident")
    await _send(db, owner.id)
    (item,) = (await _inbox(client, owner))["items"]

    stolen = await client.post(
        f"/api/v1/me/notifications/{item['id']}/read", headers={**other.headers, **EN}
    )
    assert stolen.status_code == 404
    body = problem(stolen)
    assert body["code"] == "notification_not_found"
    assert body["title"] == "Notification not found"
    assert (await _inbox(client, other))["items"] == []
    assert (await _inbox(client, owner))["items"][0]["readAt"] is None

    missing = await client.post(f"/api/v1/me/notifications/{new_id()}/read", headers=owner.headers)
    assert problem(missing)["code"] == "notification_not_found"
    # a path that is not a UUID does not name a message at all
    assert (
        await client.post("/api/v1/me/notifications/not-a-uuid/read", headers=owner.headers)
    ).status_code == 404


async def test_read_all_marks_only_the_callers_unread_messages(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions, clock: FrozenClock
) -> None:
    resident, neighbour = await make_user("resident"), await make_user("resident")
    for _ in range(3):
        await _send(db, resident.id)
    await _send(db, neighbour.id)
    (first, *_rest) = (await _inbox(client, resident))["items"]
    read = await client.post(
        f"/api/v1/me/notifications/{first['id']}/read", headers=resident.headers
    )
    read_before = read.json()["readAt"]

    clock.advance(minutes=5)
    done = await client.post("/api/v1/me/notifications/read-all", headers=resident.headers)
    assert done.status_code == 200
    assert done.json() == {"updated": 2}
    items = (await _inbox(client, resident))["items"]
    read_at = {i["id"]: datetime.fromisoformat(i["readAt"]) for i in items}
    # the one read before keeps its own time; the others are read now
    assert read_at.pop(first["id"]) == datetime.fromisoformat(read_before)
    assert set(read_at.values()) == {clock.now()}

    again = await client.post("/api/v1/me/notifications/read-all", headers=resident.headers)
    assert again.json() == {"updated": 0}
    neighbours = await client.get(
        "/api/v1/me/notifications/unread-count", headers=neighbour.headers
    )
    assert neighbours.json() == {"count": 1}


async def test_pages_are_stable_while_messages_arrive(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    resident = await make_user("resident")
    for n in range(7):
        await _send(db, resident.id, n=n)

    seen: list[int] = []
    page = await _inbox(client, resident, limit=3)
    seen += [i["data"]["n"] for i in page["items"]]
    arrived = 100
    while page["nextCursor"]:
        # new messages land between every page: they belong before page one, not in the walk
        for _ in range(2):
            await _send(db, resident.id, n=arrived)
            arrived += 1
        page = await _inbox(client, resident, limit=3, cursor=page["nextCursor"])
        seen += [i["data"]["n"] for i in page["items"]]
    assert seen == [6, 5, 4, 3, 2, 1, 0]

    newest = await _inbox(client, resident, limit=100)
    assert len(newest["items"]) == 7 + (arrived - 100)
    assert newest["nextCursor"] is None


async def test_limits_and_cursors_are_validated(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    resident = await make_user("resident")
    url = "/api/v1/me/notifications"
    for limit in ("0", "101", "many"):
        bad = await client.get(url, params={"limit": limit}, headers=resident.headers)
        assert bad.status_code == 422, limit
        body = problem(bad)
        assert body["code"] == "validation_error"
        assert [e["field"] for e in body["errors"]] == ["limit"]
    for cursor in ("garbage", "W3sidCI6ICIyMDI2LTAxLTAxIn1d"):
        bad = await client.get(url, params={"cursor": cursor}, headers=resident.headers)
        assert bad.status_code == 422
        assert problem(bad)["code"] == "invalid_cursor"
    bad = await client.get(url, params={"unreadOnly": "perhaps"}, headers=resident.headers)
    assert problem(bad)["errors"][0]["field"] == "unreadOnly"


async def test_the_inbox_needs_a_login(client: httpx.AsyncClient) -> None:
    for method, path in [
        ("GET", "/api/v1/me/notifications"),
        ("GET", "/api/v1/me/notifications/unread-count"),
        ("POST", "/api/v1/me/notifications/read-all"),
        ("POST", f"/api/v1/me/notifications/{new_id()}/read"),
    ]:
        response = await client.request(method, path)
        assert response.status_code == 401, path
        assert problem(response)["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"


async def test_message_times_are_timestamps_with_offsets(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    resident = await make_user("resident")
    before = datetime.now(UTC) - timedelta(seconds=5)
    await _send(db, resident.id)
    (item,) = (await _inbox(client, resident))["items"]
    assert datetime.fromisoformat(item["createdAt"]) >= before
