"""The push job through the real queue: queued with the notification, drained on the test's
clock (``backend.jobs.testing.drain``): quiet hours, backoff, one job per ``notify_many``."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
import respx
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backend.config import Settings
from backend.core.clock import LOCAL_TZ, FrozenClock
from backend.jobs.testing import drain
from backend.notifications import service
from backend.notifications.push import PUSH_SAFETY_TASK, PUSH_TASK
from tests.api.push_support import Sessions, add_device, apns_key, notify, with_apns
from tests.conftest import AppWith, serve
from tests.factories import MakeUser

APNS = "https://apns.test"


async def _push_jobs(db: Sessions) -> list[tuple[str, str]]:
    async with db() as session:
        rows = await session.execute(
            text(
                "SELECT args::text, status::text FROM procrastinate_jobs "
                "WHERE task_name = :name ORDER BY id"
            ),
            {"name": PUSH_TASK},
        )
        return [(args, status) for args, status in rows.all()]


async def _pushed(client: httpx.AsyncClient, token: str) -> list[str]:
    response = await client.get("/api/v1/dev/pushes", params={"token": token})
    return [item["kind"] for item in response.json()["items"]]


async def test_one_job_per_notify_many_and_none_for_a_rollback(
    make_user: MakeUser, db: Sessions
) -> None:
    users = [await make_user("resident") for _ in range(30)]
    await notify(db, [u.id for u in users])
    jobs = await _push_jobs(db)
    assert len(jobs) == 1
    assert jobs[0][1] == "todo"
    assert jobs[0][0].count("-") == 30 * 4  # thirty notification ids in one payload

    async def change_that_fails() -> None:
        async with db() as session, session.begin():
            await service.notify(session, user_id=users[0].id, kind="test_push", data={"name": "x"})
            await session.execute(text("SELECT 1 / 0"))

    with pytest.raises(DBAPIError):
        await change_that_fails()
    assert len(await _push_jobs(db)) == 1


async def test_a_notification_reaches_the_phone_through_the_queue(
    app: Litestar, client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    resident = await make_user("resident")
    await client.post(
        "/api/v1/me/devices",
        json={"platform": "ios", "provider": "log", "token": "queued-phone"},
        headers=resident.headers,
    )
    await notify(db, [resident.id])
    assert await _pushed(client, "queued-phone") == []
    assert PUSH_TASK in await drain(app)
    assert await _pushed(client, "queued-phone") == ["test_push"]
    assert [status for _, status in await _push_jobs(db)] == ["succeeded"]


async def test_quiet_hours_delay_the_push_until_they_end(
    app: Litestar, client: httpx.AsyncClient, make_user: MakeUser, db: Sessions, clock: FrozenClock
) -> None:
    sleeper, night_owl = await make_user("resident"), await make_user("resident")
    await add_device(db, sleeper.id, "log", "sleeper")
    await add_device(db, night_owl.id, "log", "night-owl")
    await client.put(
        "/api/v1/me/notification-settings",
        json={"push": True, "quietHours": {"from": "22:00", "to": "07:00"}, "mutedKinds": []},
        headers=sleeper.headers,
    )
    clock.set(datetime(2026, 12, 3, 23, 30, tzinfo=LOCAL_TZ))
    await notify(db, [sleeper.id, night_owl.id])
    await drain(app)
    assert await _pushed(client, "night-owl") == ["test_push"]
    assert await _pushed(client, "sleeper") == []

    assert PUSH_TASK not in await drain(app, now=datetime(2026, 12, 4, 6, 59, tzinfo=LOCAL_TZ))
    assert await _pushed(client, "sleeper") == []
    clock.set(datetime(2026, 12, 4, 7, 0, tzinfo=LOCAL_TZ))
    assert PUSH_TASK in await drain(app)
    assert await _pushed(client, "sleeper") == ["test_push"]
    assert await _pushed(client, "night-owl") == ["test_push"]  # not twice


async def test_a_failed_push_is_retried_with_backoff_and_sent_once(
    app_with: AppWith, make_user: MakeUser, db: Sessions, settings: Settings, clock: FrozenClock
) -> None:
    pem, _ = apns_key()
    apns = with_apns(settings, pem, APNS)
    app = app_with(
        **{
            k: getattr(apns, k)
            for k in ("apns_key_id", "apns_team_id", "apns_topic", "apns_private_key", "apns_url")
        }
    )
    resident = await make_user("resident")
    await add_device(db, resident.id, "apns", "1" * 64)
    await add_device(db, resident.id, "apns", "2" * 64)
    await notify(db, [resident.id])
    base = timedelta(seconds=settings.job_retry_base_seconds)
    async with serve(app):
        with respx.mock() as fake:
            fine = fake.post(f"{APNS}/3/device/{'1' * 64}").respond(200)
            flaky = fake.post(f"{APNS}/3/device/{'2' * 64}")
            flaky.side_effect = [
                httpx.Response(503),
                httpx.Response(500),
                httpx.Response(200),
            ]
            start = clock.now()
            assert PUSH_TASK in await drain(app, now=start)
            assert PUSH_TASK not in await drain(app, now=start + base / 2)
            assert PUSH_TASK in await drain(app, now=start + base)  # attempt 2, fails again
            assert PUSH_TASK not in await drain(app, now=start + base + base)  # waits 2·base
            assert PUSH_TASK in await drain(app, now=start + base + 2 * base)
    assert (fine.call_count, flaky.call_count) == (1, 3)
    assert [status for _, status in await _push_jobs(db)] == ["succeeded"]


async def test_safety_alerts_are_pushed_by_the_job_that_runs_first(
    app: Litestar, client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    # The kind's texts are childcare's (backend/childcare/messages_pickup.py).
    guardian = await make_user("resident")
    await add_device(db, guardian.id, "log", "guardian")
    await notify(db, [guardian.id])  # an ordinary message, queued first
    await notify(
        db,
        [guardian.id],
        kind="childcare_late_pickup",
        childName="小明",
        programName="四点半课堂",
        endsAt="2027-03-01T18:00:00+08:00",
    )
    ran = [name for name in await drain(app) if name.startswith("notifications.")]
    assert ran == [PUSH_SAFETY_TASK, PUSH_TASK]
    assert await _pushed(client, "guardian") == ["childcare_late_pickup", "test_push"]


@pytest.mark.storm
async def test_jobs_run_at_once_push_each_device_once(
    make_user: MakeUser, db: Sessions, settings: Settings, clock: FrozenClock
) -> None:
    """A job run twice at the same moment (a worker thought dead, and its replacement)."""
    import asyncio

    from tests.api.push_support import run_push

    pem, _ = apns_key()
    apns = with_apns(settings, pem, APNS)
    users = [await make_user("resident") for _ in range(10)]
    for n, who in enumerate(users):
        await add_device(db, who.id, "apns", f"{n:064x}")
    ids = await notify(db, [u.id for u in users])
    with respx.mock() as fake:
        route = fake.post(url__startswith=f"{APNS}/3/device/").respond(200)
        await asyncio.gather(*(run_push(apns, db, clock, ids, attempt=n) for n in range(1, 7)))
    tokens = [call.request.url.path.rsplit("/", 1)[1] for call in route.calls]
    assert sorted(tokens) == sorted(f"{n:064x}" for n in range(10))
