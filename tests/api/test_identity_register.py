"""Registration: codes, password rules, and one account per phone whatever the concurrency."""

from __future__ import annotations

import asyncio

import httpx
import jwt
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.identity.models import AuthSession, SmsCode, User
from tests.api.identity_support import PASSWORD, bearer, send_code, wrong
from tests.conftest import problem
from tests.factories import MakeUser, new_phone

URL = "/api/v1/auth/register"


async def _users(db: async_sessionmaker[AsyncSession], phone: str | None = None) -> int:
    async with db() as session:
        query = select(func.count()).select_from(User)
        if phone:
            query = query.where(User.phone == phone)
        return int(await session.scalar(query) or 0)


def _body(number: str, code: str, **changes: str) -> dict[str, str]:
    return {
        "phone": number,
        "smsCode": code,
        "password": PASSWORD,
        "displayName": "张伟",
        **changes,
    }


async def test_register_answers_a_token_pair(
    client: httpx.AsyncClient, settings: Settings, db: async_sessionmaker[AsyncSession]
) -> None:
    phone = new_phone()
    code = await send_code(client, phone)
    response = await client.post(
        URL, json=_body("+86 " + phone, code), headers={"User-Agent": "Qiyou/1.0 (iPhone; iOS 17)"}
    )
    assert response.status_code == 201, response.text
    pair = response.json()
    assert pair["tokenType"] == "Bearer"
    assert pair["expiresIn"] == settings.access_token_ttl_seconds
    assert len(pair["refreshToken"]) >= 43  # 32 random bytes, URL-safe base64
    user = pair["user"]
    assert user["phone"] == phone
    assert user["displayName"] == "张伟"
    assert user["roles"] == ["resident"]
    assert user["verified"] is False
    claims = jwt.decode(
        pair["accessToken"],
        settings.jwt_secret,
        algorithms=["HS256"],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
    assert claims["sub"] == user["id"]
    assert claims["role"] == "resident"
    assert {"exp", "iat", "jti", "sid"} <= set(claims)
    me = await client.get("/api/v1/me", headers=bearer(pair))
    assert me.status_code == 200
    assert me.json()["id"] == user["id"]
    async with db() as session:
        stored = (await session.execute(select(User).where(User.phone == phone))).scalar_one()
        assert stored.password_hash is not None
        assert stored.password_hash.startswith("$argon2id$")
        login = (await session.execute(select(AuthSession))).scalar_one()
        assert login.device_name == "Qiyou/1.0 (iPhone; iOS 17)"
        assert login.client_ip == "203.0.113.10"


async def test_a_code_registers_once(client: httpx.AsyncClient) -> None:
    phone = new_phone()
    code = await send_code(client, phone)
    assert (await client.post(URL, json=_body(phone, code))).status_code == 201
    again = await client.post(URL, json=_body(phone, code))
    assert again.status_code == 409
    assert problem(again)["code"] == "phone_taken"


async def test_taken_phone_is_409(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    account = await make_user()
    response = await client.post(URL, json=_body(account.phone, "123456"))
    assert response.status_code == 409
    assert problem(response)["code"] == "phone_taken"


async def test_wrong_code_is_400_and_changes_nothing(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    phone = new_phone()
    code = await send_code(client, phone)
    response = await client.post(URL, json=_body(phone, wrong(code)))
    assert response.status_code == 400
    assert problem(response)["code"] == "sms_code_invalid"
    assert await _users(db) == 0
    # The right code still works after a wrong try.
    assert (await client.post(URL, json=_body(phone, code))).status_code == 201


async def test_five_wrong_tries_burn_the_code(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    phone = new_phone()
    code = await send_code(client, phone)
    for _ in range(5):
        assert (await client.post(URL, json=_body(phone, wrong(code)))).status_code == 400
    # Every wrong try was counted although each answer was an error (rolled back).
    async with db() as session:
        row = (await session.execute(select(SmsCode).where(SmsCode.phone == phone))).scalar_one()
    assert row.attempts == 5
    burnt = await client.post(URL, json=_body(phone, code))
    assert burnt.status_code == 400
    assert problem(burnt)["code"] == "sms_code_invalid"
    assert await _users(db) == 0


async def test_expired_code_is_400(client: httpx.AsyncClient, clock: FrozenClock) -> None:
    phone = new_phone()
    code = await send_code(client, phone)
    clock.advance(minutes=5)
    response = await client.post(URL, json=_body(phone, code))
    assert response.status_code == 400
    assert problem(response)["code"] == "sms_code_invalid"


async def test_code_of_another_purpose_is_400(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    phone = new_phone()
    sent = await client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "login"})
    assert sent.status_code == 202
    # No account, so no login code was delivered; and a register code was never asked for.
    response = await client.post(URL, json=_body(phone, "000000"))
    assert problem(response)["code"] == "sms_code_invalid"


async def test_no_code_at_all_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(URL, json=_body(new_phone(), "123456"))
    assert response.status_code == 400
    assert problem(response)["code"] == "sms_code_invalid"


@pytest.mark.parametrize(
    ("password", "messages"),
    [
        ("short1!", ["at least 8"]),
        ("1234567890", ["only digits"]),
        ("123", ["at least 8", "only digits"]),
        ("{phone}", ["only digits", "phone number"]),
        ("pre{phone}x", ["phone number"]),
        (" spaced-out-password ", ["spaces"]),
    ],
)
async def test_weak_password_is_422_with_the_field_and_keeps_the_code(
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    password: str,
    messages: list[str],
) -> None:
    phone = new_phone()
    code = await send_code(client, phone)
    # The rules in English here; zh-CN callers read them in Chinese (tests/api/test_zh_answers.py).
    response = await client.post(
        URL,
        json=_body(phone, code, password=password.format(phone=phone)),
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    document = problem(response)
    assert document["code"] == "weak_password"
    assert {e["field"] for e in document["errors"]} == {"password"}
    for expected in messages:
        assert any(expected in e["message"] for e in document["errors"]), document["errors"]
    assert await _users(db) == 0
    # Fixing the password needs no new code.
    assert (await client.post(URL, json=_body(phone, code))).status_code == 201


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"displayName": "   "}, "displayName"),
        ({"displayName": "x" * 51}, "displayName"),
        ({"displayName": "a\u0000b"}, "displayName"),
        ({"password": "x" * 129}, "password"),
        ({"smsCode": ""}, "smsCode"),
        ({"phone": "not-a-phone"}, "phone"),
    ],
)
async def test_invalid_fields_are_422_and_change_nothing(
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    changes: dict[str, str],
    field: str,
) -> None:
    phone = new_phone()
    code = await send_code(client, phone)
    response = await client.post(URL, json=_body(phone, code, **changes))
    assert response.status_code == 422
    document = problem(response)
    assert field in {e["field"] for e in document["errors"]}, document["errors"]
    assert await _users(db) == 0
    async with db() as session:
        row = (await session.execute(select(SmsCode).where(SmsCode.phone == phone))).scalar_one()
    assert row.consumed_at is None
    assert row.attempts == 0


@pytest.mark.storm
async def test_twenty_parallel_registrations_of_one_phone_make_one_account(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    phone = new_phone()
    code = await send_code(client, phone)
    answers = await asyncio.gather(
        *(client.post(URL, json=_body(phone, code, displayName=f"n{i}")) for i in range(20))
    )
    statuses = [r.status_code for r in answers]
    assert statuses.count(201) == 1, statuses
    for response in answers:
        if response.status_code != 201:
            assert response.status_code in (400, 409), response.text
            assert problem(response)["code"] in ("sms_code_invalid", "phone_taken")
    assert await _users(db, phone) == 1


async def test_losing_the_insert_race_is_409_not_500(
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The unique phone, not the check before it, decides: an account that appears between the
    check and the insert turns the insert into 409 ``phone_taken``."""
    from backend.identity import login, service

    phone = new_phone()
    code = await send_code(client, phone)
    original = service.create_user

    async def rival_first(session: AsyncSession, **kwargs: object) -> User:
        async with db() as other, other.begin():
            await original(other, phone=phone, password=None, display_name="rival")
        return await original(session, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(login, "create_user", rival_first)
    response = await client.post(URL, json=_body(phone, code))
    assert response.status_code == 409
    assert problem(response)["code"] == "phone_taken"
    assert await _users(db, phone) == 1
