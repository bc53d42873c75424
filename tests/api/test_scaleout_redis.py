"""Several workers on Redis (issue 17, scale-out): what a signed-in request asks of Redis, and
revocations across workers configured as docs/operations.md tells operators to.

Two ``create_app`` sharing one Redis and one database stand for two workers. Redis commands are
counted where every command of the app's clients passes (``redis.asyncio`` ``execute_command``
and pipelines), the real Redis answering them.

Run when ``QIYOU_TEST_REDIS_URL`` names a Redis database the tests may write to.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest
from litestar import Litestar
from redis.asyncio.client import Pipeline, Redis

from backend.app import create_app
from backend.config import Settings
from backend.core.clock import FrozenClock
from tests.conftest import serve
from tests.factories import MakeUser

REDIS_URL = os.environ.get("QIYOU_TEST_REDIS_URL")

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not REDIS_URL,
        reason="QIYOU_TEST_REDIS_URL is not set: no Redis to run the shared-store tests against "
        "(set it to e.g. redis://127.0.0.1:6379/15)",
    ),
]

ME = "/api/v1/me"
HOME = "/api/v1/home"
LOGOUT = "/api/v1/auth/logout"
# The bound docs/operations.md states for another worker to refuse a revoked session while its
# listener is up ("normally a few milliseconds"; this leaves room for a loaded test machine).
PROPAGATION_SECONDS = 5.0


@pytest.fixture
def worker_app(settings: Settings, database_url: str, clock: FrozenClock) -> Callable[[], Litestar]:
    """Apps that are separate worker processes sharing one Redis and one database."""
    shared = replace(settings, redis_url=REDIS_URL)

    def build() -> Litestar:
        return create_app(shared, database_url=database_url, clock=clock)

    return build


@pytest.fixture
def redis_commands(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every command the app's Redis clients send, by name."""
    seen: Counter[str] = Counter()
    execute_command = Redis.execute_command
    execute = Pipeline.execute

    async def counted_command(self: Redis, *args: Any, **options: Any) -> Any:
        seen[str(args[0]).upper()] += 1
        return await execute_command(self, *args, **options)

    async def counted_pipeline(self: Pipeline, raise_on_error: bool = True) -> Any:
        for args, _options in self.command_stack:
            seen[str(args[0]).upper()] += 1
        return await execute(self, raise_on_error)

    monkeypatch.setattr(Redis, "execute_command", counted_command)
    monkeypatch.setattr(Pipeline, "execute", counted_pipeline)
    return seen


async def _refused_within(client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    started = time.monotonic()
    while True:
        status = (await client.get(ME, headers=headers)).status_code
        if status == 401:
            return
        assert status == 200, status
        assert time.monotonic() - started < PROPAGATION_SECONDS, "the revocation never arrived"
        await asyncio.sleep(0.02)


async def test_signed_in_reads_ask_nothing_of_redis_and_a_limited_write_does(
    worker_app: Callable[[], Litestar], make_user: MakeUser, redis_commands: Counter[str]
) -> None:
    account = await make_user()
    async with serve(worker_app()) as one, serve(worker_app()) as two:
        redis_commands.clear()
        for worker in (one, two, one, two):
            assert (await worker.get(ME, headers=account.headers)).status_code == 200
            assert (await worker.get(HOME, headers=account.headers)).status_code == 200
        # The revocation check is the process's own set, followed from PostgreSQL.
        assert sum(redis_commands.values()) == 0, redis_commands
        # The counter does see the app's commands: an identity write counts its account's
        # window (one moving-window script on Redis).
        renamed = await two.patch(ME, json={"displayName": "新名字"}, headers=account.headers)
        assert renamed.status_code == 200, renamed.text
        assert sum(redis_commands.values()) >= 1


async def test_a_session_ended_through_one_worker_is_refused_by_the_other(
    worker_app: Callable[[], Litestar], make_user: MakeUser, redis_commands: Counter[str]
) -> None:
    account = await make_user()
    bystander = await make_user()
    async with serve(worker_app()) as one, serve(worker_app()) as two:
        assert (await two.get(ME, headers=account.headers)).status_code == 200
        out = await one.post(
            LOGOUT, json={"refreshToken": account.refresh_token}, headers=account.headers
        )
        assert out.status_code == 204
        assert (await one.get(ME, headers=account.headers)).status_code == 401
        redis_commands.clear()
        await _refused_within(two, account.headers)
        assert (await two.get(ME, headers=bystander.headers)).status_code == 200
        # Refused without a Redis round trip: the notification came through PostgreSQL.
        assert sum(redis_commands.values()) == 0, redis_commands
