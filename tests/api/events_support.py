"""Shared arrangements for the events tests: events in any state. People come from
``tests.factories`` (``users`` makes residents by the hundred)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import httpx

from backend.core.clock import FrozenClock


def years_ago(clock: FrozenClock, years: int, days: int = 0) -> date:
    today = clock.today()
    return today.replace(year=today.year - years) - timedelta(days=days)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def event_body(clock: FrozenClock, **overrides: Any) -> dict[str, Any]:
    """A valid draft: starts in three days, registration open from an hour ago to an hour
    before the start."""
    now = clock.now()
    starts = now + timedelta(days=3)
    body: dict[str, Any] = {
        "title": "运河文化之夜",
        "summary": "沿着大运河听老嘉兴的故事",
        "body": "本期邀请民俗专家讲述运河边的旧事，现场有评弹表演。",
        "category": "canal_culture",
        "audience": "all",
        "location": "高照街道三合一服务综合体 二楼多功能厅",
        "startsAt": iso(starts),
        "endsAt": iso(starts + timedelta(hours=2)),
        "capacity": 50,
        "registrationOpensAt": iso(now - timedelta(hours=1)),
        "registrationClosesAt": iso(starts - timedelta(hours=1)),
        "maxSeatsPerRegistration": 4,
    }
    body.update(overrides)
    return body


async def draft(
    client: httpx.AsyncClient, staff_headers: dict[str, str], clock: FrozenClock, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/manage/events", json=event_body(clock, **overrides), headers=staff_headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def published(
    client: httpx.AsyncClient, staff_headers: dict[str, str], clock: FrozenClock, **overrides: Any
) -> dict[str, Any]:
    event = await draft(client, staff_headers, clock, **overrides)
    response = await client.post(
        f"/api/v1/manage/events/{event['id']}/publish", headers=staff_headers
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def register(
    client: httpx.AsyncClient,
    event_id: str,
    headers: dict[str, str],
    seats: int = 1,
    member_ids: list[str] | None = None,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/events/{event_id}/registrations",
        json={"seats": seats, "memberIds": member_ids or []},
        headers=headers,
    )
