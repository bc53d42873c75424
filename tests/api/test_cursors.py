"""Every paginated list refuses every forged cursor with 422 ``invalid_cursor``, never a 500."""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import httpx
import pytest
from litestar import Litestar

from backend.assisted.accounts import ASSISTED
from backend.assisted.acting import ACTED_FOR
from backend.canteen.canteens import CANTEENS, MEALS
from backend.canteen.counter import DELIVERIES
from backend.canteen.ordering import MY_ORDERS
from backend.childcare.applications import MY_APPLICATIONS, PROGRAM_APPLICATIONS
from backend.childcare.pickups import PICKUPS
from backend.childcare.programs import PROGRAMS as CHILDCARE_PROGRAMS
from backend.core.base import new_id
from backend.core.clock import FrozenClock
from backend.core.pagination import Keyset
from backend.eldercare.checkins import MY_CHECK_INS
from backend.eldercare.dispatch import VISITS as CARE_VISITS
from backend.eldercare.elders import ELDERS
from backend.eldercare.missed_check_ins import MISSED_CHECK_INS
from backend.eldercare.order_views import MANAGED_ORDERS as MANAGED_CARE_ORDERS
from backend.eldercare.order_views import MY_ORDERS as MY_CARE_ORDERS
from backend.eldercare.providers import PROVIDERS
from backend.events.listing import EVENTS
from backend.events.publishing import MANAGED_EVENTS
from backend.events.registrations import MY_REGISTRATIONS
from backend.events.roster import ROSTER
from backend.hub.booking_views import MANAGED_BOOKINGS, MY_BOOKINGS
from backend.hub.closures import CLOSURES
from backend.hub.venues import VENUES
from backend.identity.admin import USERS
from backend.identity.members import MEMBERS
from backend.identity.sessions import SESSIONS
from backend.jobs.admin import JOBS
from backend.notifications.service import NOTIFICATIONS
from tests.api.childcare_support import Complex, draft_program
from tests.api.hub_support import ACTIVITY_ROOM, HOURS
from tests.conftest import problem
from tests.factories import Account, MakeUser, add_member, create_room, create_venue, draft

API = "/api/v1"


@dataclass(frozen=True)
class ListEndpoint:
    path: str  # as the OpenAPI names it; {…} filled in by ``setup``
    keyset: Keyset
    role: str | None  # None: anyone
    params: tuple[tuple[str, str], ...] = ()


LISTS = (
    ListEndpoint("/admin/acted-for", ACTED_FOR, "admin"),
    ListEndpoint("/admin/care-providers", PROVIDERS, "admin"),
    ListEndpoint("/admin/jobs", JOBS, "admin"),
    ListEndpoint("/admin/users", USERS, "admin"),
    ListEndpoint("/canteens", CANTEENS, None),
    ListEndpoint("/canteens/{canteenId}/meals", MEALS, None),
    ListEndpoint("/manage/canteens/{canteenId}/deliveries", DELIVERIES, "admin"),
    ListEndpoint("/me/meal-orders", MY_ORDERS, "resident"),
    ListEndpoint("/caregiver/visits", CARE_VISITS, "caregiver"),
    ListEndpoint("/childcare/programs", CHILDCARE_PROGRAMS, None),
    ListEndpoint("/events", EVENTS, None),
    ListEndpoint("/manage/assisted-residents", ASSISTED, "worker"),
    ListEndpoint("/manage/bookings", MANAGED_BOOKINGS, "admin"),
    ListEndpoint("/manage/elders", ELDERS, "worker"),
    ListEndpoint("/manage/care/check-ins/missing", MISSED_CHECK_INS, "worker"),
    ListEndpoint("/manage/care/orders", MANAGED_CARE_ORDERS, "dispatcher"),
    ListEndpoint("/manage/childcare/programs", CHILDCARE_PROGRAMS, "staff"),
    ListEndpoint(
        "/manage/childcare/programs/{programId}/applications", PROGRAM_APPLICATIONS, "admin"
    ),
    ListEndpoint("/manage/events", MANAGED_EVENTS, "staff"),
    ListEndpoint("/manage/events/{eventId}/registrations", ROSTER, "staff"),
    ListEndpoint("/manage/venues", VENUES, "admin"),
    ListEndpoint("/manage/venues/{venueId}/closures", CLOSURES, "admin"),
    ListEndpoint("/me/acted-for", ACTED_FOR, "resident"),
    ListEndpoint("/me/bookings", MY_BOOKINGS["upcoming"], "resident"),
    ListEndpoint("/me/bookings", MY_BOOKINGS["past"], "resident", (("scope", "past"),)),
    ListEndpoint("/me/care/check-ins", MY_CHECK_INS, "resident"),
    ListEndpoint("/me/care/orders", MY_CARE_ORDERS, "resident"),
    ListEndpoint("/me/childcare/applications", MY_APPLICATIONS, "resident"),
    ListEndpoint("/me/members", MEMBERS, "resident"),
    ListEndpoint("/me/members/{childId}/pickups", PICKUPS, "resident"),
    ListEndpoint("/me/notifications", NOTIFICATIONS, "resident"),
    ListEndpoint("/me/registrations", MY_REGISTRATIONS, "resident"),
    ListEndpoint("/me/sessions", SESSIONS, "resident"),
    ListEndpoint("/venues", VENUES, None),
)


def _raw(document: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


def _time(text: str) -> dict[str, str]:
    return {"t": text}


GOOD_VALUE: dict[type, Any] = {
    datetime: _time("2027-03-01T09:00:00+08:00"),
    UUID: {"u": "0190f9a0-0000-7000-8000-000000000000"},
    int: 1,
}
# A value of each sort-key type that a list could give out.
GENUINE: dict[type, Callable[[], Any]] = {
    datetime: lambda: datetime(2027, 3, 2, 9, tzinfo=UTC),
    UUID: new_id,
    int: lambda: 42,
}
# Times no row can hold; the first two do not even convert to UTC.
BAD_TIMES = (
    "0001-01-01T00:00:00+08:00",
    "9999-12-31T23:59:59-08:00",
    "1850-06-01T00:00:00+00:00",
    "2500-01-01T00:00:00+00:00",
    "2027-03-01T09:00:00",  # naive
)


def forgeries(keyset: Keyset) -> list[str]:
    """Cursors that this list never gave out, each broken in one way."""
    good = [GOOD_VALUE[t] for t in keyset.types]
    forged = [
        "%%%",
        "garbage!",
        "é",
        "A" * 600,
        base64.urlsafe_b64encode(b"\xff\xfe not json").decode(),
        _raw({"not": "a list"}),
        _raw(good),  # no list name: the format before names
        _raw(["another-list", *good]),  # made for another list
        _raw([keyset.kind, *good, GOOD_VALUE[UUID]]),  # one value too many
        _raw([keyset.kind, *good[:-1]]),  # one too few
        _raw([keyset.kind, *["a\u0000b" for _ in good]]),
        _raw([keyset.kind, *[True for _ in good]]),
        _raw([keyset.kind, *[{"x": "y"} for _ in good]]),
        _raw([keyset.kind, *[[1, 2] for _ in good]]),
        _raw([keyset.kind, *[{"u": "not-a-uuid"} for _ in good]]),
        Keyset("another-list", keyset.types).encode(
            [datetime(2027, 3, 1, tzinfo=UTC) if t is datetime else new_id() for t in keyset.types]
        ),
    ]
    for position, expected in enumerate(keyset.types):
        for bad_time in BAD_TIMES:
            values = list(good)
            values[position] = _time(bad_time)
            forged.append(_raw([keyset.kind, *values]))
        if expected is datetime:
            values = list(good)
            values[position] = GOOD_VALUE[UUID]
            forged.append(_raw([keyset.kind, *values]))
    return forged


def test_every_paginated_list_is_covered(app: Litestar) -> None:
    listed = {
        path.removeprefix(API)
        for path, item in app.openapi_schema.to_schema()["paths"].items()
        for operation in item.values()
        if isinstance(operation, dict)
        and any(p.get("name") == "cursor" for p in operation.get("parameters", []))
    }
    assert listed == {endpoint.path for endpoint in LISTS}


Setup = Callable[[ListEndpoint], Awaitable[tuple[str, dict[str, str]]]]


@pytest.fixture
def setup(client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock, db: Any) -> Setup:
    async def prepare(endpoint: ListEndpoint) -> tuple[str, dict[str, str]]:
        clock.set(datetime(2027, 3, 1, 7, tzinfo=timezone(timedelta(hours=8))))
        account: Account | None = await make_user(endpoint.role) if endpoint.role else None
        headers = account.headers if account else {}
        path = endpoint.path
        if "{venueId}" in path:
            venue = await create_venue(
                client, headers, "高照三合一", address="高照街道", opening_hours=HOURS
            )
            await create_room(client, headers, venue["id"], ACTIVITY_ROOM)
            path = path.replace("{venueId}", venue["id"])
        if "{canteenId}" in path:
            owner = account if account and account.role == "admin" else await make_user("admin")
            canteen = await client.post(
                f"{API}/manage/canteens", json={"name": "高照长者食堂"}, headers=owner.headers
            )
            path = path.replace("{canteenId}", canteen.json()["id"])
        if "{eventId}" in path:
            event = await draft(client, headers, clock)
            path = path.replace("{eventId}", event["id"])
        if "{childId}" in path and account is not None:
            child = await add_member(db, account.id, "小明", datetime(2020, 1, 1).date())
            path = path.replace("{childId}", str(child))
        if "{programId}" in path:
            assert account is not None  # an admin: makes the room and drafts the program
            venue = await create_venue(client, headers, address="高照街道", opening_hours=HOURS)
            room = await create_room(client, headers, venue["id"], ACTIVITY_ROOM)
            where = Complex(account, account, venue["id"], room["id"])
            program = await draft_program(client, where, clock)
            path = path.replace("{programId}", program["id"])
        first = await client.get(f"{API}{path}", params=endpoint.params, headers=headers)
        assert first.status_code == 200, first.text
        return path, headers

    return prepare


@pytest.mark.parametrize("endpoint", LISTS, ids=[f"{e.path}:{e.keyset.kind}" for e in LISTS])
async def test_forged_cursors_are_invalid_cursor(
    client: httpx.AsyncClient, setup: Setup, endpoint: ListEndpoint
) -> None:
    path, headers = await setup(endpoint)
    for cursor in forgeries(endpoint.keyset):
        answer = await client.get(
            f"{API}{path}", params={**dict(endpoint.params), "cursor": cursor}, headers=headers
        )
        assert answer.status_code == 422, (cursor, answer.text)
        document = problem(answer)
        assert document["code"] == "invalid_cursor", cursor
        assert [e["field"] for e in document["errors"]] == ["cursor"]
    # A cursor the list itself would give out is accepted.
    genuine = endpoint.keyset.encode([GENUINE[t]() for t in endpoint.keyset.types])
    answer = await client.get(
        f"{API}{path}", params={**dict(endpoint.params), "cursor": genuine}, headers=headers
    )
    assert answer.status_code == 200, answer.text
