"""What the events tests share beside their set-ups: dates relative to the test's clock and
registering. Events, venues and people come from ``tests.factories`` (``draft``,
``published``, ``users`` for residents by the hundred)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import httpx

from backend.core.clock import FrozenClock


def years_ago(clock: FrozenClock, years: int, days: int = 0) -> date:
    today = clock.today()
    return today.replace(year=today.year - years) - timedelta(days=days)


def iso(moment: datetime) -> str:
    return moment.isoformat()


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
