"""The identity rate limits on Redis, shared by several app processes.

Run when ``QIYOU_TEST_REDIS_URL`` names a Redis database the tests may write to (``.ci/run``
sets it). Keys are made unique per run (random phones and addresses), so runs and other test
modules sharing that database do not see each other's counters.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import secrets
from collections.abc import Callable
from dataclasses import replace

import pytest
from limits.aio.storage import RedisStorage
from litestar import Litestar
from litestar.stores.redis import RedisStore

from backend.app import create_app
from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.core.ratelimit import limiter_for
from tests.api.identity_support import serve
from tests.conftest import problem
from tests.factories import MakeUser
from tests.limits_support import DrivenTime, limits_time

REDIS_URL = os.environ.get("QIYOU_TEST_REDIS_URL")

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not REDIS_URL,
        reason="QIYOU_TEST_REDIS_URL is not set: no Redis to run the shared-store tests against "
        "(set it to e.g. redis://127.0.0.1:6379/15)",
    ),
]

__all__ = ["limits_time"]

LOGIN = "/api/v1/auth/login"
SMS = "/api/v1/auth/sms-codes"


def _random_phone() -> str:
    return "15" + "".join(secrets.choice("0123456789") for _ in range(9))


def _random_address() -> str:
    return str(ipaddress.IPv4Address(0x0A000000 + secrets.randbelow(0x00FFFFFF)))


@pytest.fixture
def redis_app(settings: Settings, database_url: str, clock: FrozenClock) -> Callable[[], Litestar]:
    """Apps that are separate "worker processes" sharing one Redis and one database."""
    shared = replace(
        settings,
        redis_url=REDIS_URL,
        trusted_proxies=(ipaddress.ip_network("203.0.113.0/24"),),
    )

    def build() -> Litestar:
        return create_app(shared, database_url=database_url, clock=clock)

    return build


def test_the_app_really_uses_redis(redis_app: Callable[[], Litestar]) -> None:
    app = redis_app()
    assert isinstance(limiter_for(app).storage, RedisStorage)
    assert isinstance(app.stores.get("sms_outbox"), RedisStore)


async def test_windows_on_redis_reset_and_retry_after_is_true(
    redis_app: Callable[[], Litestar], make_user: MakeUser, limits_time: DrivenTime
) -> None:
    account = await make_user(phone=_random_phone())
    address = {"X-Forwarded-For": _random_address()}
    bad = {"phone": account.phone, "password": "bad-guess"}
    async with serve(redis_app()) as one, serve(redis_app()) as two:
        for n in range(5):
            assert (
                await (one if n % 2 else two).post(LOGIN, json=bad, headers=address)
            ).status_code == 401
            limits_time.advance(30.25)
        refused = await one.post(LOGIN, json=bad, headers=address)
        assert refused.status_code == 429
        wait = int(refused.headers["Retry-After"])
        assert wait == 749  # the first failure leaves the window 900 - 5 × 30.25 s from now
        limits_time.advance(wait - 1)
        assert (await two.post(LOGIN, json=bad, headers=address)).status_code == 429
        limits_time.advance(1)
        good = {"phone": account.phone, "password": account.password}
        assert (await two.post(LOGIN, json=good, headers=address)).status_code == 200


async def test_login_lockout_is_shared_by_every_worker(
    redis_app: Callable[[], Litestar], make_user: MakeUser
) -> None:
    account = await make_user(phone=_random_phone())
    first, second = redis_app(), redis_app()
    address = {"X-Forwarded-For": _random_address()}
    async with serve(first) as one, serve(second) as two:
        for n in range(5):
            worker = one if n % 2 else two
            bad = await worker.post(
                LOGIN, json={"phone": account.phone, "password": "bad-guess"}, headers=address
            )
            assert bad.status_code == 401
        good = {"phone": account.phone, "password": account.password}
        for worker in (one, two):
            locked = await worker.post(LOGIN, json=good, headers=address)
            assert locked.status_code == 429
            assert problem(locked)["code"] == "login_throttled"
            assert int(locked.headers["Retry-After"]) > 0


async def test_parallel_guesses_on_redis_cannot_slip_under_the_limit(
    redis_app: Callable[[], Litestar], make_user: MakeUser
) -> None:
    account = await make_user(phone=_random_phone())
    address = {"X-Forwarded-For": _random_address()}
    async with serve(redis_app()) as one, serve(redis_app()) as two:
        answers = await asyncio.gather(
            *(
                (one if n % 2 else two).post(
                    LOGIN, json={"phone": account.phone, "password": f"g{n}"}, headers=address
                )
                for n in range(16)
            )
        )
    assert sorted(r.status_code for r in answers) == [401] * 5 + [429] * 11


async def test_sms_address_throttle_is_shared_and_keyed_on_the_forwarded_client(
    redis_app: Callable[[], Litestar],
) -> None:
    client_address = _random_address()
    forwarded = {"X-Forwarded-For": client_address}
    async with serve(redis_app()) as one, serve(redis_app()) as two:
        for n in range(30):
            sent = await (one if n % 2 else two).post(
                SMS, json={"phone": _random_phone(), "purpose": "register"}, headers=forwarded
            )
            assert sent.status_code == 202, sent.text
        refused = await one.post(
            SMS, json={"phone": _random_phone(), "purpose": "register"}, headers=forwarded
        )
        assert refused.status_code == 429
        assert problem(refused)["code"] == "rate_limited"
        other = await two.post(
            SMS,
            json={"phone": _random_phone(), "purpose": "register"},
            headers={"X-Forwarded-For": _random_address()},
        )
        assert other.status_code == 202


async def test_a_revoked_session_is_refused_by_every_worker(
    redis_app: Callable[[], Litestar], make_user: MakeUser
) -> None:
    account = await make_user(phone=_random_phone())
    async with serve(redis_app()) as one, serve(redis_app()) as two:
        assert (await two.get("/api/v1/me", headers=account.headers)).status_code == 200
        out = await one.post(
            "/api/v1/auth/logout",
            json={"refreshToken": account.refresh_token},
            headers=account.headers,
        )
        assert out.status_code == 204
        # The other worker hears of it from the database (LISTEN/NOTIFY), within moments.
        for _ in range(250):
            status = (await two.get("/api/v1/me", headers=account.headers)).status_code
            if status == 401:
                break
            await asyncio.sleep(0.02)
        assert status == 401


async def test_the_dev_outbox_is_shared(redis_app: Callable[[], Litestar]) -> None:
    phone = _random_phone()
    async with serve(redis_app()) as one, serve(redis_app()) as two:
        sent = await one.post(
            SMS,
            json={"phone": phone, "purpose": "register"},
            headers={"X-Forwarded-For": _random_address()},
        )
        assert sent.status_code == 202
        latest = await two.get("/api/v1/dev/sms-codes/latest", params={"phone": phone})
        assert latest.status_code == 200
        assert len(latest.json()["code"]) == 6
