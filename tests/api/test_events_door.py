"""At the door and after: check-in, feedback; the staff's registration list and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import FrozenClock
from tests import factories
from tests.api.events_support import register, years_ago
from tests.conftest import problem
from tests.factories import MakeUser, published


@pytest.mark.parametrize(
    ("offset", "open_"),
    [
        (timedelta(hours=-2, minutes=-1), False),  # a minute too early
        (timedelta(hours=-2), True),  # the door opens two hours before
        (timedelta(hours=1), True),  # during
        (timedelta(hours=2), True),  # the last second (the event lasts two hours)
        (timedelta(hours=2, seconds=1), False),  # over
    ],
)
async def test_check_in_window(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    offset: timedelta,
    open_: bool,
) -> None:
    staff = await make_user("staff")
    resident = await make_user()
    event = await published(client, staff.headers, clock)
    ticket = (await register(client, event["id"], resident.headers)).json()["ticketCode"]
    clock.advance(timedelta(days=3) + offset)
    answer = await client.post(
        f"/api/v1/manage/events/{event['id']}/check-in",
        json={"ticketCode": ticket},
        headers=staff.headers,
    )
    if open_:
        assert answer.status_code == 200, answer.text
    else:
        assert answer.status_code == 422
        assert problem(answer)["code"] == "check_in_closed"


async def test_tickets_at_the_door(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    staff = await make_user("staff")
    resident = await make_user(display_name="张伟")
    leaver = await make_user()
    event = await published(client, staff.headers, clock)
    other = await published(client, staff.headers, clock, title="另一场")
    grandpa = str(await factories.add_member(db, resident.id, "张建国", years_ago(clock, 78)))
    registration = (await register(client, event["id"], resident.headers, 2, [grandpa])).json()
    ticket = registration["ticketCode"]
    # 120 bits of randomness, URL-safe: fine as QR content.
    assert len(ticket) >= 20
    gone = (await register(client, event["id"], leaver.headers)).json()
    await client.post(f"/api/v1/registrations/{gone['id']}/cancel", headers=leaver.headers)
    clock.advance(days=3, minutes=-30)

    url = f"/api/v1/manage/events/{event['id']}/check-in"
    unknown = await client.post(url, json={"ticketCode": "x" * 20}, headers=staff.headers)
    assert unknown.status_code == 404
    assert problem(unknown)["code"] == "ticket_not_found"
    wrong_event = await client.post(
        f"/api/v1/manage/events/{other['id']}/check-in",
        json={"ticketCode": ticket},
        headers=staff.headers,
    )
    assert problem(wrong_event)["code"] == "ticket_not_found"
    void = await client.post(url, json={"ticketCode": gone["ticketCode"]}, headers=staff.headers)
    assert void.status_code == 409
    assert problem(void)["code"] == "ticket_cancelled"
    malformed = await client.post(url, json={"ticketCode": "a b"}, headers=staff.headers)
    assert malformed.status_code == 422

    first = await client.post(url, json={"ticketCode": ticket}, headers=staff.headers)
    assert first.status_code == 200
    body = first.json()
    assert body["userName"] == "张伟"
    assert body["seats"] == 2
    assert [a["name"] for a in body["attendees"]] == ["张伟", "张建国"]
    second = await client.post(url, json={"ticketCode": ticket}, headers=staff.headers)
    assert second.status_code == 409
    assert problem(second)["code"] == "already_checked_in"
    assert problem(second)["checkedInAt"]

    mine = await client.get(f"/api/v1/registrations/{registration['id']}", headers=resident.headers)
    assert mine.json()["checkedInAt"]
    # Too late to cancel once inside.
    late = await client.post(
        f"/api/v1/registrations/{registration['id']}/cancel", headers=resident.headers
    )
    assert problem(late)["code"] == "registration_not_cancellable"


async def test_feedback_from_those_who_came_after_the_end(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    staff = await make_user("staff")
    came, stayed_home = await make_user(), await make_user()
    event = await published(client, staff.headers, clock)
    ticket = (await register(client, event["id"], came.headers)).json()["ticketCode"]
    await register(client, event["id"], stayed_home.headers)
    url = f"/api/v1/events/{event['id']}/feedback"
    clock.advance(days=3, minutes=10)
    await client.post(
        f"/api/v1/manage/events/{event['id']}/check-in",
        json={"ticketCode": ticket},
        headers=staff.headers,
    )
    early = await client.post(url, json={"rating": 5}, headers=came.headers)
    assert early.status_code == 422
    assert problem(early)["code"] == "feedback_not_open"

    clock.advance(hours=2)
    absent = await client.post(url, json={"rating": 1}, headers=stayed_home.headers)
    assert absent.status_code == 422
    assert problem(absent)["code"] == "feedback_not_allowed"
    for rating in (0, 6):
        bad = await client.post(url, json={"rating": rating}, headers=came.headers)
        assert bad.status_code == 422
    given = await client.post(
        url, json={"rating": 5, "comment": "评弹太好听了"}, headers=came.headers
    )
    assert given.status_code == 201, given.text
    assert given.json()["rating"] == 5
    again = await client.post(url, json={"rating": 4}, headers=came.headers)
    assert again.status_code == 409
    assert problem(again)["code"] == "feedback_already_given"
    managed = (
        await client.get(f"/api/v1/manage/events/{event['id']}", headers=staff.headers)
    ).json()
    assert managed["feedback"] == {"count": 1, "averageRating": 5.0}


async def test_staff_see_registrations_with_names_totals_and_csv(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    staff = await make_user("staff")
    zhang = await make_user(display_name="张伟")
    chen = await make_user(display_name="=陈静")
    liu = await make_user(display_name="刘洋")
    event = await published(client, staff.headers, clock, capacity=3, maxSeatsPerRegistration=2)
    girl = str(await factories.add_member(db, zhang.id, "张小雨", years_ago(clock, 9)))
    await register(client, event["id"], zhang.headers, 2, [girl])
    await register(client, event["id"], chen.headers, 1)
    await register(client, event["id"], liu.headers, 2)

    url = f"/api/v1/manage/events/{event['id']}/registrations"
    page = (await client.get(url, headers=staff.headers)).json()
    assert [r["userName"] for r in page["items"]] == ["张伟", "=陈静", "刘洋"]
    assert [r["status"] for r in page["items"]] == ["confirmed", "confirmed", "waitlisted"]
    assert page["items"][2]["waitlistPosition"] == 1
    assert page["items"][0]["attendees"] == [
        {"name": "张伟", "memberId": None},
        {"name": "张小雨", "memberId": girl},
    ]
    assert page["items"][0]["phone"] == zhang.phone
    assert "ticketCode" not in page["items"][0]
    assert page["totals"] == {
        "capacity": 3,
        "confirmedSeats": 3,
        "seatsLeft": 0,
        "confirmedRegistrations": 2,
        "waitlistedRegistrations": 1,
        "waitlistedSeats": 2,
        "checkedInRegistrations": 0,
        "checkedInSeats": 0,
        "cancelledRegistrations": 0,
    }
    first = (await client.get(url, params={"limit": 2}, headers=staff.headers)).json()
    rest = (
        await client.get(
            url, params={"limit": 2, "cursor": first["nextCursor"]}, headers=staff.headers
        )
    ).json()
    assert [r["id"] for r in first["items"] + rest["items"]] == [r["id"] for r in page["items"]]
    waiting = (await client.get(url, params={"status": "waitlisted"}, headers=staff.headers)).json()
    assert [r["userName"] for r in waiting["items"]] == ["刘洋"]

    download = await client.get(f"{url}.csv", headers=staff.headers)
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    raw = download.content
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:5] == ["报名编号", "状态", "候补位次", "人数", "报名人"]
    assert [r[4] for r in rows[1:]] == ["张伟", "'=陈静", "刘洋"]
    assert [r[1] for r in rows[1:]] == ["已确认", "已确认", "候补"]
    assert rows[1][6] == "张伟、张小雨"

    missing = "01900000-0000-7000-8000-000000000000"
    assert (
        await client.get(
            f"/api/v1/manage/events/{missing}/registrations.csv", headers=staff.headers
        )
    ).status_code == 404
