"""Admins see the jobs that failed and put them back (through HTTP, drained on the test's
clock)."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import FrozenClock
from backend.jobs import enqueue
from backend.jobs.testing import drain
from tests.conftest import problem
from tests.factories import MakeUser
from tests.jobs.support import FAIL_FIRST, create_runs_table, runs


@pytest.fixture(autouse=True)
async def runs_table(db: async_sessionmaker[AsyncSession]) -> None:
    await create_runs_table(db)


async def _fail_for_good(app: Litestar, clock: FrozenClock, key: str) -> None:
    for _ in range(3):  # test.flaky has max_attempts=3
        await drain(app, periodic=False)
        clock.advance(hours=2)


async def test_a_failed_job_is_listed_and_retried_by_an_admin(
    app: Litestar,
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    make_user: MakeUser,
) -> None:
    admin = await make_user("admin")
    FAIL_FIRST["admin-1"] = 3
    async with db() as session, session.begin():
        await enqueue(session, "test.flaky", {"key": "admin-1"})
        await enqueue(session, "test.record", {"key": "fine"})
    await _fail_for_good(app, clock, "admin-1")

    failed = await client.get("/api/v1/admin/jobs?state=failed", headers=admin.headers)
    assert failed.status_code == 200, failed.text
    [job] = failed.json()["items"]
    assert (job["task"], job["state"], job["attempts"]) == ("test.flaky", "failed", 3)
    assert job["payload"] == {"key": "admin-1"}
    succeeded = await client.get("/api/v1/admin/jobs?state=succeeded", headers=admin.headers)
    assert "test.record" in [j["task"] for j in succeeded.json()["items"]]

    retried = await client.post(f"/api/v1/admin/jobs/{job['id']}/retry", headers=admin.headers)
    assert retried.status_code == 200, retried.text
    assert retried.json()["state"] == "queued"
    again = await client.post(f"/api/v1/admin/jobs/{job['id']}/retry", headers=admin.headers)
    assert again.status_code == 409
    assert problem(again)["code"] == "job_not_failed"

    assert await drain(app, periodic=False) == ["test.flaky"]  # the fourth run succeeds
    assert [r.attempt for r in await runs(db, "test.flaky")] == [1, 2, 3, 4]
    listed = await client.get("/api/v1/admin/jobs", headers=admin.headers)
    assert listed.json()["items"] == []


async def test_the_list_is_paged_newest_first(
    app: Litestar,
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    make_user: MakeUser,
) -> None:
    admin = await make_user("admin")
    async with db() as session, session.begin():
        for n in range(5):
            await enqueue(session, "test.record", {"key": str(n)})
    seen: list[str] = []
    url = "/api/v1/admin/jobs?state=queued&limit=2"
    while url:
        page = (await client.get(url, headers=admin.headers)).json()
        seen += [item["payload"]["key"] for item in page["items"]]
        cursor = page["nextCursor"]
        url = f"/api/v1/admin/jobs?state=queued&limit=2&cursor={cursor}" if cursor else ""
    assert seen == ["4", "3", "2", "1", "0"]
    bad = await client.get("/api/v1/admin/jobs?state=lost", headers=admin.headers)
    assert bad.status_code == 400 or bad.status_code == 422


async def test_a_failed_job_whose_dedupe_key_is_taken_again_is_not_retried(
    app: Litestar,
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    make_user: MakeUser,
) -> None:
    admin = await make_user("admin")
    FAIL_FIRST["dedupe"] = 99
    async with db() as session, session.begin():
        await enqueue(session, "test.flaky", {"key": "dedupe"}, dedupe_key="d")
    await _fail_for_good(app, clock, "dedupe")
    async with db() as session, session.begin():
        await enqueue(session, "test.flaky", {"key": "dedupe"}, dedupe_key="d")
    [job] = (await client.get("/api/v1/admin/jobs", headers=admin.headers)).json()["items"]
    retried = await client.post(f"/api/v1/admin/jobs/{job['id']}/retry", headers=admin.headers)
    assert retried.status_code == 409
    assert problem(retried)["code"] == "job_already_queued"
