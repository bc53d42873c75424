"""Tokens: refresh rotation and reuse detection, logout, the devices list, JWT attacks."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from typing import Any
from uuid import uuid4

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.core.security import token_hash
from backend.identity.models import AuthSession, RefreshToken
from tests.conftest import problem
from tests.factories import Account, MakeUser

REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
SESSIONS = "/api/v1/me/sessions"


def _auth(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def _login(client: httpx.AsyncClient, account: Account, agent: str) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/auth/login",
        json={"phone": account.phone, "password": account.password},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_refresh_rotates_the_pair(
    client: httpx.AsyncClient, make_user: MakeUser, db: async_sessionmaker[AsyncSession]
) -> None:
    account = await make_user()
    response = await client.post(REFRESH, json={"refreshToken": account.refresh_token})
    assert response.status_code == 200
    pair = response.json()
    assert pair["refreshToken"] != account.refresh_token
    assert pair["user"]["id"] == str(account.id)
    assert (await client.get("/api/v1/me", headers=_auth(pair["accessToken"]))).status_code == 200
    # Only hashes are stored.
    async with db() as session:
        hashes = set((await session.execute(select(RefreshToken.token_hash))).scalars())
    assert token_hash(pair["refreshToken"]) in hashes
    assert pair["refreshToken"] not in hashes
    # The new one works in turn.
    again = await client.post(REFRESH, json={"refreshToken": pair["refreshToken"]})
    assert again.status_code == 200


async def test_reusing_a_spent_token_revokes_the_whole_login(
    client: httpx.AsyncClient, make_user: MakeUser, db: async_sessionmaker[AsyncSession]
) -> None:
    account = await make_user()
    rotated = (await client.post(REFRESH, json={"refreshToken": account.refresh_token})).json()
    replay = await client.post(REFRESH, json={"refreshToken": account.refresh_token})
    assert replay.status_code == 401
    assert problem(replay)["code"] == "refresh_token_reused"
    # Every token of that login is dead: the rotated refresh token and its access token.
    follow = await client.post(REFRESH, json={"refreshToken": rotated["refreshToken"]})
    assert follow.status_code == 401
    assert problem(follow)["code"] == "refresh_token_invalid"
    me = await client.get("/api/v1/me", headers=_auth(rotated["accessToken"]))
    assert me.status_code == 401
    assert (await client.get("/api/v1/me", headers=account.headers)).status_code == 401
    # The revocation was committed although the request that caused it answered an error.
    async with db() as session:
        login = (await session.execute(select(AuthSession))).scalar_one()
    assert login.revoked_reason == "refresh_reused"


async def test_reuse_in_one_login_leaves_the_others_alone(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    account = await make_user()
    other = await _login(client, account, "Tablet")
    await client.post(REFRESH, json={"refreshToken": account.refresh_token})
    await client.post(REFRESH, json={"refreshToken": account.refresh_token})
    assert (await client.get("/api/v1/me", headers=_auth(other["accessToken"]))).status_code == 200
    assert (
        await client.post(REFRESH, json={"refreshToken": other["refreshToken"]})
    ).status_code == 200


@pytest.mark.parametrize("token", ["", "x" * 201, "not-a-token", "A" * 43])
async def test_unknown_or_malformed_refresh_tokens(client: httpx.AsyncClient, token: str) -> None:
    response = await client.post(REFRESH, json={"refreshToken": token})
    if 1 <= len(token) <= 200:
        assert response.status_code == 401
        assert problem(response)["code"] == "refresh_token_invalid"
    else:
        assert response.status_code == 422
        problem(response)


async def test_expired_refresh_token_is_invalid(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock, settings: Settings
) -> None:
    account = await make_user()
    clock.advance(seconds=settings.refresh_token_ttl_seconds + 1)
    response = await client.post(REFRESH, json={"refreshToken": account.refresh_token})
    assert response.status_code == 401
    assert problem(response)["code"] == "refresh_token_invalid"


async def test_refreshing_slides_the_login_forward(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock, settings: Settings
) -> None:
    account = await make_user()
    token = account.refresh_token
    # Used every twenty days, a login outlives the thirty-day lifetime of each token.
    for _ in range(3):
        clock.advance(days=20)
        response = await client.post(REFRESH, json={"refreshToken": token})
        assert response.status_code == 200
        token = response.json()["refreshToken"]


@pytest.mark.storm
async def test_twenty_parallel_refreshes_with_one_token_one_wins(
    client: httpx.AsyncClient, make_user: MakeUser, db: async_sessionmaker[AsyncSession]
) -> None:
    account = await make_user()
    answers = await asyncio.gather(
        *(client.post(REFRESH, json={"refreshToken": account.refresh_token}) for _ in range(20))
    )
    statuses = [r.status_code for r in answers]
    assert statuses.count(200) == 1, statuses
    assert statuses.count(401) == 19
    for response in answers:
        if response.status_code == 401:
            assert problem(response)["code"] in ("refresh_token_reused", "refresh_token_invalid")
    async with db() as session:
        tokens = (await session.execute(select(RefreshToken))).scalars().all()
    # The presented token and exactly one successor.
    assert len(tokens) == 2


async def test_logout_ends_the_login(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    account = await make_user()
    response = await client.post(
        LOGOUT, json={"refreshToken": account.refresh_token}, headers=account.headers
    )
    assert response.status_code == 204
    assert response.content == b""
    assert (await client.get("/api/v1/me", headers=account.headers)).status_code == 401
    refreshed = await client.post(REFRESH, json={"refreshToken": account.refresh_token})
    assert refreshed.status_code == 401
    assert problem(refreshed)["code"] == "refresh_token_invalid"


async def test_logout_with_another_users_refresh_token_touches_only_the_caller(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    me, other = await make_user(), await make_user()
    response = await client.post(
        LOGOUT, json={"refreshToken": other.refresh_token}, headers=me.headers
    )
    assert response.status_code == 204
    assert (await client.get("/api/v1/me", headers=other.headers)).status_code == 200
    assert (
        await client.post(REFRESH, json={"refreshToken": other.refresh_token})
    ).status_code == 200
    assert (await client.get("/api/v1/me", headers=me.headers)).status_code == 401


async def test_logout_needs_a_login(client: httpx.AsyncClient) -> None:
    response = await client.post(LOGOUT, json={"refreshToken": "x"})
    assert response.status_code == 401
    assert problem(response)["code"] == "unauthorized"


async def test_sessions_list_the_devices(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    account = await make_user()
    clock.advance(minutes=1)
    phone = await _login(client, account, "Qiyou/2.1 (Android 14; Mi 13)")
    clock.advance(minutes=1)
    tablet = await _login(client, account, "Qiyou/2.1 (iPad; iPadOS 17)\r\nX-Evil: 1")
    response = await client.get(SESSIONS, headers=_auth(phone["accessToken"]))
    assert response.status_code == 200
    page = response.json()
    assert page["nextCursor"] is None
    items = page["items"]
    assert len(items) == 3
    # Newest first; the caller's own marked.
    assert items[0]["deviceName"] == "Qiyou/2.1 (iPad; iPadOS 17) X-Evil: 1"
    assert items[1]["deviceName"] == "Qiyou/2.1 (Android 14; Mi 13)"
    assert [i["current"] for i in items] == [False, True, False]
    assert items[1]["clientIp"] == "203.0.113.10"
    assert {"id", "createdAt", "lastUsedAt"} <= set(items[0])
    # Paged with a cursor like every list.
    first = (await client.get(SESSIONS, params={"limit": 2}, headers=account.headers)).json()
    assert len(first["items"]) == 2
    assert first["nextCursor"]
    rest = (
        await client.get(
            SESSIONS, params={"limit": 2, "cursor": first["nextCursor"]}, headers=account.headers
        )
    ).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == [i["id"] for i in items]
    assert rest["nextCursor"] is None
    assert tablet


async def test_refresh_records_use(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    account = await make_user()
    clock.advance(hours=2)
    pair = (await client.post(REFRESH, json={"refreshToken": account.refresh_token})).json()
    items = (await client.get(SESSIONS, headers=_auth(pair["accessToken"]))).json()["items"]
    assert len(items) == 1
    assert items[0]["lastUsedAt"] > items[0]["createdAt"]
    assert items[0]["current"] is True


async def test_ending_a_device_session(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    account = await make_user()
    tablet = await _login(client, account, "Tablet")
    items = (await client.get(SESSIONS, headers=account.headers)).json()["items"]
    tablet_id = next(i["id"] for i in items if i["deviceName"] == "Tablet")
    response = await client.delete(f"{SESSIONS}/{tablet_id}", headers=account.headers)
    assert response.status_code == 204
    assert (await client.get("/api/v1/me", headers=_auth(tablet["accessToken"]))).status_code == 401
    assert (
        await client.post(REFRESH, json={"refreshToken": tablet["refreshToken"]})
    ).status_code == 401
    assert (await client.get("/api/v1/me", headers=account.headers)).status_code == 200
    assert len((await client.get(SESSIONS, headers=account.headers)).json()["items"]) == 1
    # Gone is gone.
    again = await client.delete(f"{SESSIONS}/{tablet_id}", headers=account.headers)
    assert again.status_code == 404


async def test_another_users_session_is_404_and_survives(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    me, other = await make_user(), await make_user()
    theirs = (await client.get(SESSIONS, headers=other.headers)).json()["items"][0]["id"]
    response = await client.delete(f"{SESSIONS}/{theirs}", headers=me.headers)
    assert response.status_code == 404
    assert problem(response)["code"] == "not_found"
    assert (await client.get("/api/v1/me", headers=other.headers)).status_code == 200
    unknown = await client.delete(f"{SESSIONS}/{uuid4()}", headers=me.headers)
    assert unknown.status_code == 404
    malformed = await client.delete(f"{SESSIONS}/not-a-uuid", headers=me.headers)
    assert malformed.status_code in (400, 404)
    problem(malformed)


async def test_bad_cursor_is_422(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    account = await make_user()
    for cursor in ("garbage", base64.urlsafe_b64encode(b'["x"]').decode(), "A" * 600):
        response = await client.get(SESSIONS, params={"cursor": cursor}, headers=account.headers)
        assert response.status_code == 422
        assert problem(response)["code"] == "invalid_cursor"
    for limit in ("0", "101", "x"):
        response = await client.get(SESSIONS, params={"limit": limit}, headers=account.headers)
        assert response.status_code in (400, 422)
        problem(response)


# JWT attacks: every forged, expired or mis-addressed access token is a plain 401.


def _claims(settings: Settings, account: Account, **changes: Any) -> dict[str, Any]:
    genuine = jwt.decode(
        account.access_token,
        settings.jwt_secret,
        algorithms=["HS256"],
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
    now = int(time.time())
    claims = {**genuine, "iat": now, "exp": now + 600, **changes}
    return {k: v for k, v in claims.items() if v is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."


def _forgeries(settings: Settings, account: Account) -> dict[str, str]:
    secret = settings.jwt_secret
    good = _claims(settings, account)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    head, body, signature = account.access_token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    tampered_claims = {**good, "role": "admin"}
    return {
        "alg none": _unsigned({"alg": "none", "typ": "JWT"}, good),
        "alg None": _unsigned({"alg": "None", "typ": "JWT"}, good),
        "HS512": jwt.encode(good, secret, algorithm="HS512"),
        "RS256": jwt.encode(good, rsa_key, algorithm="RS256"),
        "other secret": jwt.encode(good, "another-secret-" + "y" * 40, algorithm="HS256"),
        "expired": jwt.encode(
            _claims(settings, account, iat=int(time.time()) - 3600, exp=int(time.time()) - 60),
            secret,
            algorithm="HS256",
        ),
        "wrong audience": jwt.encode(
            _claims(settings, account, aud="someone-else"), secret, algorithm="HS256"
        ),
        "wrong issuer": jwt.encode(
            _claims(settings, account, iss="evil"), secret, algorithm="HS256"
        ),
        "tampered signature": f"{head}.{body}.{flipped}",
        "tampered payload": f"{head}.{_b64(json.dumps(tampered_claims).encode())}.{signature}",
        "missing exp": jwt.encode(_claims(settings, account, exp=None), secret, algorithm="HS256"),
        "missing iat": jwt.encode(_claims(settings, account, iat=None), secret, algorithm="HS256"),
        "missing jti": jwt.encode(_claims(settings, account, jti=None), secret, algorithm="HS256"),
        "missing sub": jwt.encode(_claims(settings, account, sub=None), secret, algorithm="HS256"),
        "missing aud": jwt.encode(_claims(settings, account, aud=None), secret, algorithm="HS256"),
        "missing iss": jwt.encode(_claims(settings, account, iss=None), secret, algorithm="HS256"),
        "missing sid": jwt.encode(_claims(settings, account, sid=None), secret, algorithm="HS256"),
        "unknown role": jwt.encode(
            _claims(settings, account, role="superuser"), secret, algorithm="HS256"
        ),
        "garbage": "not.a.jwt",
        "empty": "",
    }


@pytest.mark.filterwarnings("ignore:The HMAC key")
async def test_jwt_attacks_are_all_401(
    client: httpx.AsyncClient, make_user: MakeUser, settings: Settings
) -> None:
    account = await make_user()
    assert (await client.get("/api/v1/me", headers=account.headers)).status_code == 200
    for name, token in _forgeries(settings, account).items():
        response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name
        assert problem(response)["code"] == "unauthorized", name
    for header in (account.access_token, "Bearer", "Bearer "):
        response = await client.get("/api/v1/me", headers={"Authorization": header})
        assert response.status_code == 401, header


async def test_revoked_sessions_access_token_is_401_at_once(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    account = await make_user()
    second = await _login(client, account, "Second phone")
    items = (await client.get(SESSIONS, headers=account.headers)).json()["items"]
    first_id = next(i["id"] for i in items if i["current"])
    await client.delete(f"{SESSIONS}/{first_id}", headers=_auth(second["accessToken"]))
    # The token is still unexpired and correctly signed, but its session is over.
    response = await client.get("/api/v1/me", headers=account.headers)
    assert response.status_code == 401
