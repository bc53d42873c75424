"""Logins by password and by SMS code, their throttles, and password reset."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.app import create_app
from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.identity.models import AuthSession
from tests.api.identity_support import bearer, send_code, serve, wrong
from tests.conftest import problem
from tests.factories import MakeUser, new_phone

LOGIN = "/api/v1/auth/login"
SMS_LOGIN = "/api/v1/auth/login/sms"
RESET = "/api/v1/auth/password-reset"


async def test_password_login_answers_a_token_pair(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    account = await make_user()
    response = await client.post(
        LOGIN, json={"phone": "+86" + account.phone, "password": account.password}
    )
    assert response.status_code == 200
    pair = response.json()
    assert pair["tokenType"] == "Bearer"
    assert pair["user"]["id"] == str(account.id)
    assert (await client.get("/api/v1/me", headers=bearer(pair))).status_code == 200


async def test_wrong_password_and_unknown_phone_look_alike(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    account = await make_user()
    wrong_password = await client.post(LOGIN, json={"phone": account.phone, "password": "nope"})
    unknown = await client.post(LOGIN, json={"phone": new_phone(), "password": "nope"})
    for response in (wrong_password, unknown):
        assert response.status_code == 401
        assert problem(response)["code"] == "invalid_credentials"
    assert problem(wrong_password)["detail"] == problem(unknown)["detail"]


async def test_staff_log_in_the_same_way(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    admin = await make_user("admin")
    response = await client.post(LOGIN, json={"phone": admin.phone, "password": admin.password})
    assert response.status_code == 200
    assert response.json()["user"]["roles"] == ["admin"]


async def test_disabled_account_cannot_log_in(
    client: httpx.AsyncClient, make_user: MakeUser, db: async_sessionmaker[AsyncSession]
) -> None:
    from backend.identity.models import User

    account = await make_user()
    async with db() as session, session.begin():
        (await session.get(User, account.id)).is_active = False  # type: ignore[union-attr]
    response = await client.post(LOGIN, json={"phone": account.phone, "password": account.password})
    assert response.status_code == 401
    assert problem(response)["code"] == "invalid_credentials"


@pytest.mark.parametrize(
    "body",
    [
        {"phone": "13800000000"},
        {"password": "x"},
        {"phone": "13800000000", "password": ""},
        {"phone": ["13800000000"], "password": "x"},
        {"phone": "13800000000", "password": "x" * 129},
    ],
)
async def test_bad_login_bodies_are_422(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    response = await client.post(LOGIN, json=body)
    assert response.status_code == 422
    assert problem(response)["errors"]


async def test_five_failures_lock_the_phone_from_this_address_for_the_window(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    account = await make_user()
    for _ in range(5):
        response = await client.post(LOGIN, json={"phone": account.phone, "password": "bad-guess"})
        assert response.status_code == 401
    locked = await client.post(LOGIN, json={"phone": account.phone, "password": account.password})
    assert locked.status_code == 429
    assert problem(locked)["code"] == "login_throttled"
    assert 1 <= int(locked.headers["Retry-After"]) <= 15 * 60
    # Other phones from the same address are not affected.
    other = await make_user()
    ok = await client.post(LOGIN, json={"phone": other.phone, "password": other.password})
    assert ok.status_code == 200


async def test_a_success_clears_the_failures(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    account = await make_user()
    for _ in range(4):
        await client.post(LOGIN, json={"phone": account.phone, "password": "bad-guess"})
    good = {"phone": account.phone, "password": account.password}
    assert (await client.post(LOGIN, json=good)).status_code == 200
    for _ in range(4):
        await client.post(LOGIN, json={"phone": account.phone, "password": "bad-guess"})
    assert (await client.post(LOGIN, json=good)).status_code == 200


@pytest.mark.storm
async def test_parallel_guesses_cannot_slip_under_the_phone_limit(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    account = await make_user()
    answers = await asyncio.gather(
        *(
            client.post(LOGIN, json={"phone": account.phone, "password": f"guess-{i}"})
            for i in range(20)
        )
    )
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [401] * 5 + [429] * 15


@pytest.fixture
def small_address_limit(monkeypatch: pytest.MonkeyPatch) -> int:
    """The per-address failure limit made small, so a test need not hash a hundred passwords."""
    from backend.identity import login, throttle

    rule = replace(throttle.LOGIN_FAILURES_PER_ADDRESS, limit=3)
    monkeypatch.setattr(login, "LOGIN_FAILURES_PER_ADDRESS", rule)
    return rule.limit


async def test_many_residents_behind_one_address_log_in_fine(
    client: httpx.AsyncClient, make_user: MakeUser, small_address_limit: int
) -> None:
    # Only failures count against an address: a NAT full of residents who know their
    # passwords never reaches its limit.
    accounts = [await make_user() for _ in range(3)]
    for _ in range(small_address_limit + 1):
        for account in accounts:
            ok = await client.post(
                LOGIN, json={"phone": account.phone, "password": account.password}
            )
            assert ok.status_code == 200


async def test_password_spraying_from_one_address_is_stopped(
    settings: Settings, database_url: str, clock: FrozenClock, small_address_limit: int
) -> None:
    app = create_app(settings, database_url=database_url, clock=clock)
    async with serve(app, peer="198.51.100.99") as client:
        for _ in range(small_address_limit):
            response = await client.post(LOGIN, json={"phone": new_phone(), "password": "123456"})
            assert response.status_code == 401
        blocked = await client.post(LOGIN, json={"phone": new_phone(), "password": "123456"})
        assert blocked.status_code == 429
        assert problem(blocked)["code"] == "rate_limited"
    # Another address is not affected.
    async with serve(app, peer="198.51.100.100") as client:
        response = await client.post(LOGIN, json={"phone": new_phone(), "password": "123456"})
        assert response.status_code == 401


def test_address_limit_tolerates_a_carrier_nat() -> None:
    from backend.identity import throttle

    assert throttle.LOGIN_FAILURES_PER_ADDRESS.limit >= 100
    assert throttle.SMS_PER_ADDRESS.limit >= 30
    assert throttle.LOGIN_FAILURES_PER_PHONE_AND_ADDRESS.limit == 5


async def test_lockout_ends_with_its_window(
    settings: Settings,
    database_url: str,
    clock: FrozenClock,
    make_user: MakeUser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On real time (tests/api/test_identity_limits.py drives it instead): a one-second window."""
    from backend.core.ratelimit import Rule
    from backend.identity import login

    account = await make_user()
    short = Rule("login-fail-phone-addr-short", 1, 1, code="login_throttled")
    monkeypatch.setattr(login, "LOGIN_FAILURES_PER_PHONE_AND_ADDRESS", short)
    app = create_app(settings, database_url=database_url, clock=clock)
    async with serve(app) as client:
        await client.post(LOGIN, json={"phone": account.phone, "password": "bad"})
        locked = await client.post(LOGIN, json={"phone": account.phone, "password": "bad"})
        assert locked.status_code == 429
        assert locked.headers["Retry-After"] == "1"
        await asyncio.sleep(1.05)
        good = {"phone": account.phone, "password": account.password}
        assert (await client.post(LOGIN, json=good)).status_code == 200


async def test_rate_limits_switched_off(
    settings: Settings, database_url: str, clock: FrozenClock, make_user: MakeUser
) -> None:
    account = await make_user()
    app = create_app(
        replace(settings, rate_limit_enabled=False), database_url=database_url, clock=clock
    )
    async with serve(app) as client:
        for _ in range(7):
            bad = await client.post(LOGIN, json={"phone": account.phone, "password": "bad-guess"})
            assert bad.status_code == 401


async def test_sms_login(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    account = await make_user()
    code = await send_code(client, account.phone, "login")
    response = await client.post(SMS_LOGIN, json={"phone": account.phone, "smsCode": code})
    assert response.status_code == 200
    assert response.json()["user"]["id"] == str(account.id)
    # The code is spent.
    again = await client.post(SMS_LOGIN, json={"phone": account.phone, "smsCode": code})
    assert again.status_code == 400
    assert problem(again)["code"] == "sms_code_invalid"


async def test_sms_login_wrong_code_and_wrong_purpose(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    account = await make_user()
    code = await send_code(client, account.phone, "login")
    bad = await client.post(SMS_LOGIN, json={"phone": account.phone, "smsCode": wrong(code)})
    assert bad.status_code == 400
    assert problem(bad)["code"] == "sms_code_invalid"
    clock.advance(seconds=61)
    reset_code = await send_code(client, account.phone, "reset_password")
    other = await client.post(SMS_LOGIN, json={"phone": account.phone, "smsCode": reset_code})
    # A reset code does not log in (unless it happens to equal the login code).
    if reset_code != code:
        assert other.status_code == 400


async def test_sms_login_unlocks_a_locked_phone(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    account = await make_user()
    for _ in range(6):
        await client.post(LOGIN, json={"phone": account.phone, "password": "bad-guess"})
    code = await send_code(client, account.phone, "login")
    assert (
        await client.post(SMS_LOGIN, json={"phone": account.phone, "smsCode": code})
    ).status_code == 200
    good = {"phone": account.phone, "password": account.password}
    assert (await client.post(LOGIN, json=good)).status_code == 200


async def test_sms_login_for_unknown_phone_is_400(client: httpx.AsyncClient) -> None:
    phone = new_phone()
    await client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "login"})
    response = await client.post(SMS_LOGIN, json={"phone": phone, "smsCode": "123456"})
    assert response.status_code == 400
    assert problem(response)["code"] == "sms_code_invalid"


async def test_password_reset_sets_the_password_and_ends_every_login(
    client: httpx.AsyncClient, make_user: MakeUser, db: async_sessionmaker[AsyncSession]
) -> None:
    account = await make_user()
    code = await send_code(client, account.phone, "reset_password")
    response = await client.post(
        RESET, json={"phone": account.phone, "smsCode": code, "newPassword": "New-canal-2027"}
    )
    assert response.status_code == 204
    assert (await client.get("/api/v1/me", headers=account.headers)).status_code == 401
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": account.refresh_token}
    )
    assert refreshed.status_code == 401
    old = await client.post(LOGIN, json={"phone": account.phone, "password": account.password})
    assert old.status_code == 401
    new = await client.post(LOGIN, json={"phone": account.phone, "password": "New-canal-2027"})
    assert new.status_code == 200
    async with db() as session:
        reasons = set(
            (
                await session.execute(
                    select(AuthSession.revoked_reason).where(AuthSession.user_id == account.id)
                )
            ).scalars()
        )
    assert reasons == {"password_reset", None}


async def test_password_reset_refusals_change_nothing(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    account = await make_user()
    code = await send_code(client, account.phone, "reset_password")
    weak = await client.post(
        RESET, json={"phone": account.phone, "smsCode": code, "newPassword": "12345678"}
    )
    assert weak.status_code == 422
    document = problem(weak)
    assert document["code"] == "weak_password"
    assert {e["field"] for e in document["errors"]} == {"newPassword"}
    bad_code = await client.post(
        RESET,
        json={"phone": account.phone, "smsCode": wrong(code), "newPassword": "New-canal-2027"},
    )
    assert bad_code.status_code == 400
    assert problem(bad_code)["code"] == "sms_code_invalid"
    # The old password and the old session still work.
    assert (await client.get("/api/v1/me", headers=account.headers)).status_code == 200
    good = {"phone": account.phone, "password": account.password}
    assert (await client.post(LOGIN, json=good)).status_code == 200


async def test_password_reset_for_unknown_phone_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        RESET, json={"phone": new_phone(), "smsCode": "123456", "newPassword": "New-canal-2027"}
    )
    assert response.status_code == 400
    assert problem(response)["code"] == "sms_code_invalid"
