"""Headers of answers that are not JSON: each says what it is once."""

from __future__ import annotations

import httpx

from backend.core.clock import FrozenClock
from tests.api.events_support import published
from tests.conftest import MakeUser


async def test_the_registrations_export_names_its_charset_once(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    staff = await make_user("staff")
    event = await published(client, staff.headers, clock)
    download = await client.get(
        f"/api/v1/manage/events/{event['id']}/registrations.csv", headers=staff.headers
    )
    assert download.status_code == 200, download.text
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
