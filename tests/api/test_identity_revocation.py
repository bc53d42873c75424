"""Sessions that stay ended: across restarts, workers and hosts; role changes, disabled
accounts, an admin ending an account's logins; and only the Bearer scheme authenticating.

Two ``create_app`` on one database stand for two workers (or hosts); a new app on the same
database after the first one stopped stands for a restart. None of them shares a store with
another: the database alone carries the revocations.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import jwt
import pytest
from litestar import Litestar
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.clock import FrozenClock
from backend.core.database import plain_url
from backend.core.revocations import RevocationList, add_on_commit
from backend.identity import service
from backend.identity.models import AuthSession
from tests.api.identity_support import send_code
from tests.conftest import AppWith, problem, serve
from tests.factories import Account, MakeUser

ME = "/api/v1/me"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
USERS = "/api/v1/admin/users"
# How long another process may take to hear of a revocation while its listener is up (the
# documented bound is "well under a second"; this leaves room for a loaded test machine).
PROPAGATION_SECONDS = 5.0


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _sid(account: Account) -> UUID:
    claims = jwt.decode(account.access_token, options={"verify_signature": False})
    return UUID(claims["sid"])


async def _refused_within(
    client: httpx.AsyncClient, headers: dict[str, str], seconds: float = PROPAGATION_SECONDS
) -> float:
    """Poll until the token is refused; how long that took."""
    started = time.monotonic()
    while True:
        status = (await client.get(ME, headers=headers)).status_code
        if status == 401:
            return time.monotonic() - started
        assert status == 200, status
        assert time.monotonic() - started < seconds, "the revocation never arrived"
        await asyncio.sleep(0.02)


# --- restarts ---------------------------------------------------------------------------------


async def test_ended_sessions_stay_ended_after_a_restart(
    app_with: AppWith, make_user: MakeUser
) -> None:
    logged_out, device_ended, reused, ended_by_admin = [await make_user() for _ in range(4)]
    admin = await make_user("admin")
    async with serve(app_with()) as before:
        for account in (logged_out, device_ended, reused, ended_by_admin):
            assert (await before.get(ME, headers=account.headers)).status_code == 200
        out = await before.post(
            LOGOUT, json={"refreshToken": logged_out.refresh_token}, headers=logged_out.headers
        )
        assert out.status_code == 204
        ended = await before.delete(
            f"/api/v1/me/sessions/{_sid(device_ended)}", headers=device_ended.headers
        )
        assert ended.status_code == 204
        first = await before.post(REFRESH, json={"refreshToken": reused.refresh_token})
        assert first.status_code == 200
        again = await before.post(REFRESH, json={"refreshToken": reused.refresh_token})
        assert problem(again)["code"] == "refresh_token_reused"
        by_admin = await before.delete(
            f"{USERS}/{ended_by_admin.id}/sessions", headers=admin.headers
        )
        assert by_admin.status_code == 204, by_admin.text

    async with serve(app_with()) as after:
        for name, headers in (
            ("logout", logged_out.headers),
            ("DELETE /me/sessions/{id}", device_ended.headers),
            ("refresh-token reuse (original access token)", reused.headers),
            ("refresh-token reuse (rotated access token)", _bearer(first.json()["accessToken"])),
            ("admin end-all", ended_by_admin.headers),
        ):
            assert (await after.get(ME, headers=headers)).status_code == 401, name
        # The admin's own login was never touched.
        assert (await after.get(ME, headers=admin.headers)).status_code == 200


# --- several processes ------------------------------------------------------------------------


async def test_a_logout_in_one_process_is_refused_by_another(
    app_with: AppWith, make_user: MakeUser
) -> None:
    account = await make_user()
    bystander = await make_user()
    async with serve(app_with()) as one, serve(app_with()) as two:
        assert (await two.get(ME, headers=account.headers)).status_code == 200
        out = await one.post(
            LOGOUT, json={"refreshToken": account.refresh_token}, headers=account.headers
        )
        assert out.status_code == 204
        # The process that revoked refuses at once; the other within the bound.
        assert (await one.get(ME, headers=account.headers)).status_code == 401
        await _refused_within(two, account.headers)
        assert (await two.get(ME, headers=bystander.headers)).status_code == 200


async def test_a_revocation_rolled_back_tells_nobody(
    client: httpx.AsyncClient,
    app: Litestar,
    db: async_sessionmaker[AsyncSession],
    make_user: MakeUser,
    clock: FrozenClock,
) -> None:
    account = await make_user()
    revocations: RevocationList = app.state.revocations
    async with db() as session:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id == _sid(account))
            .values(revoked_at=clock.now())
        )
        await session.rollback()
    # Let a notification, had one been sent, arrive; then force a re-load too.
    await asyncio.sleep(0.3)
    assert not revocations.is_revoked(str(_sid(account)))
    assert (await client.get(ME, headers=account.headers)).status_code == 200
    # A revocation typed by hand (no app involved) is heard all the same.
    async with db() as session, session.begin():
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id == _sid(account))
            .values(revoked_at=clock.now())
        )
    await _refused_within(client, account.headers)


async def test_the_listener_reconnects_and_reloads_after_its_connection_drops(
    client: httpx.AsyncClient,
    app: Litestar,
    db: async_sessionmaker[AsyncSession],
    database_url: str,
    make_user: MakeUser,
    clock: FrozenClock,
) -> None:
    account = await make_user()
    revocations: RevocationList = app.state.revocations
    pid = revocations.listener_pid
    assert pid is not None
    reconnects = revocations.reconnects
    admin = await asyncpg.connect(plain_url(database_url))
    try:
        # Cut the listener, and revoke while it is down: that notification reaches nobody.
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
        await admin.execute(
            "UPDATE auth_sessions SET revoked_at = now() WHERE id = $1", _sid(account)
        )
    finally:
        await admin.close()
    # The re-load after reconnecting finds it.
    await _refused_within(client, account.headers)
    assert revocations.reconnects > reconnects
    assert revocations.listener_pid not in (None, pid)


async def test_a_process_that_could_not_load_the_revocations_refuses_tokens(
    app_with: AppWith, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.core import revocations as module

    account = await make_user()
    monkeypatch.setattr(module, "STARTUP_WAIT_SECONDS", 0.5)
    # A server that is not there: nothing can be loaded.
    unreachable = "postgresql+asyncpg://postgres@127.0.0.1:1/qiyou"
    async with serve(app_with(database_url=unreachable)) as http:
        response = await http.get(ME, headers=account.headers)
        assert response.status_code == 503
        assert problem(response)["code"] == "service_unavailable"
        assert response.headers["retry-after"]


# --- role changes, disabled accounts, an admin ending logins -----------------------------------


async def _refresh_refused(client: httpx.AsyncClient, account: Account) -> None:
    refreshed = await client.post(REFRESH, json={"refreshToken": account.refresh_token})
    assert refreshed.status_code == 401
    assert problem(refreshed)["code"] == "refresh_token_invalid"


async def test_a_role_change_by_the_command_ends_the_accounts_logins(
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    make_user: MakeUser,
) -> None:
    worker = await make_user("worker")
    other = await make_user("worker")
    async with db() as session, session.begin():
        _, created = await service.upsert_staff_account(
            session, phone=worker.phone, password=worker.password, role="staff", display_name=None
        )
    assert created is False
    # Not this app's doing: it hears of it from the database.
    await _refused_within(client, worker.headers)
    await _refresh_refused(client, worker)
    assert (await client.get(ME, headers=other.headers)).status_code == 200
    login = await client.post(
        "/api/v1/auth/login", json={"phone": worker.phone, "password": worker.password}
    )
    assert login.json()["user"]["roles"] == ["staff"]


async def test_running_the_command_again_unchanged_ends_nothing(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], make_user: MakeUser
) -> None:
    worker = await make_user("worker")
    async with db() as session, session.begin():
        await service.upsert_staff_account(
            session, phone=worker.phone, password=worker.password, role="worker", display_name=None
        )
    await asyncio.sleep(0.3)
    assert (await client.get(ME, headers=worker.headers)).status_code == 200


async def test_a_new_password_by_the_command_ends_the_accounts_logins(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession], make_user: MakeUser
) -> None:
    worker = await make_user("worker")
    async with db() as session, session.begin():
        await service.upsert_staff_account(
            session,
            phone=worker.phone,
            password="Another-pass-2026",
            role="worker",
            display_name=None,
        )
    await _refused_within(client, worker.headers)


async def test_a_role_change_by_an_admin_ends_the_accounts_logins(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user("admin")
    worker = await make_user("worker")
    response = await client.patch(
        f"{USERS}/{worker.id}", json={"role": "staff"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["roles"] == ["staff"]
    assert response.json()["active"] is True
    assert (await client.get(ME, headers=worker.headers)).status_code == 401
    await _refresh_refused(client, worker)
    login = await client.post(
        "/api/v1/auth/login", json={"phone": worker.phone, "password": worker.password}
    )
    assert login.status_code == 200
    assert login.json()["user"]["roles"] == ["staff"]


async def test_the_same_role_again_ends_nothing(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user("admin")
    worker = await make_user("worker")
    response = await client.patch(
        f"{USERS}/{worker.id}", json={"role": "worker"}, headers=admin.headers
    )
    assert response.status_code == 200
    assert (await client.get(ME, headers=worker.headers)).status_code == 200


async def test_a_disabled_account_cannot_log_in_or_refresh(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user("admin")
    resident = await make_user()
    # A login code sent while the account was still enabled.
    code = await send_code(client, resident.phone, "login")
    disabled = await client.patch(
        f"{USERS}/{resident.id}", json={"active": False}, headers=admin.headers
    )
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["active"] is False
    assert (await client.get(ME, headers=resident.headers)).status_code == 401
    await _refresh_refused(client, resident)
    password = await client.post(
        "/api/v1/auth/login", json={"phone": resident.phone, "password": resident.password}
    )
    assert password.status_code == 401
    assert problem(password)["code"] == "invalid_credentials"
    sms = await client.post(
        "/api/v1/auth/login/sms", json={"phone": resident.phone, "smsCode": code}
    )
    assert sms.status_code == 400
    assert problem(sms)["code"] == "sms_code_invalid"
    listed = (await client.get(USERS, params={"role": "resident"}, headers=admin.headers)).json()
    assert {u["id"]: u["active"] for u in listed["items"]}[str(resident.id)] is False

    enabled = await client.patch(
        f"{USERS}/{resident.id}", json={"active": True}, headers=admin.headers
    )
    assert enabled.json()["active"] is True
    again = await client.post(
        "/api/v1/auth/login", json={"phone": resident.phone, "password": resident.password}
    )
    assert again.status_code == 200


async def test_an_admin_cannot_demote_or_disable_themselves(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user("admin")
    for body in ({"role": "worker"}, {"active": False}):
        response = await client.patch(f"{USERS}/{admin.id}", json=body, headers=admin.headers)
        assert response.status_code == 409
        assert problem(response)["code"] == "own_account"
    assert (await client.get(ME, headers=admin.headers)).status_code == 200
    unchanged = await client.patch(f"{USERS}/{admin.id}", json={}, headers=admin.headers)
    assert unchanged.status_code == 200


async def test_unknown_accounts_are_404(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    admin = await make_user("admin")
    nobody = "01900000-0000-7000-8000-000000000000"
    patched = await client.patch(f"{USERS}/{nobody}", json={"active": False}, headers=admin.headers)
    assert problem(patched)["code"] == "not_found"
    ended = await client.delete(f"{USERS}/{nobody}/sessions", headers=admin.headers)
    assert ended.status_code == 404


async def test_an_admin_ends_every_login_of_an_account(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user("admin")
    resident = await make_user()
    second = await client.post(
        "/api/v1/auth/login", json={"phone": resident.phone, "password": resident.password}
    )
    other = await make_user()
    ended = await client.delete(f"{USERS}/{resident.id}/sessions", headers=admin.headers)
    assert ended.status_code == 204
    for headers in (resident.headers, _bearer(second.json()["accessToken"])):
        assert (await client.get(ME, headers=headers)).status_code == 401
    await _refresh_refused(client, resident)
    assert (await client.get(ME, headers=other.headers)).status_code == 200
    # The account itself is fine: it logs in again.
    again = await client.post(
        "/api/v1/auth/login", json={"phone": resident.phone, "password": resident.password}
    )
    assert again.status_code == 200


# --- Bearer only ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "Basic {}",
        "Token {}",
        "JWT {}",
        "bearer{}",
        "Bearer{}",
        "{}",
        "Bearer {} extra",
        "Bearer: {}",
    ],
)
async def test_only_the_bearer_scheme_authenticates(
    client: httpx.AsyncClient, make_user: MakeUser, template: str
) -> None:
    account = await make_user()
    header = template.format(account.access_token)
    for path in (ME, "/api/v1/home"):
        response = await client.get(path, headers={"Authorization": header})
        assert response.status_code == 401, (path, header)
        assert problem(response)["code"] == "unauthorized"


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
async def test_the_bearer_scheme_is_case_insensitive(
    client: httpx.AsyncClient, make_user: MakeUser, scheme: str
) -> None:
    account = await make_user()
    headers: dict[str, Any] = {"Authorization": f"{scheme} {account.access_token}"}
    assert (await client.get(ME, headers=headers)).status_code == 200
    assert (await client.get("/api/v1/home", headers=headers)).status_code == 200


async def test_the_revoking_process_adds_the_ids_only_when_the_transaction_commits(
    db: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    async def never() -> asyncpg.Connection:
        raise AssertionError("not started")

    revocations = RevocationList(never, window_seconds=60)
    kept, dropped = UUID(int=1), UUID(int=2)
    async with db() as session:
        await session.begin()
        add_on_commit(session, revocations, [kept])
        async with session.begin_nested():
            pass
        # A savepoint released is no commit.
        assert str(kept) not in revocations
        await session.commit()
    assert str(kept) in revocations
    async with db() as session:
        await session.begin()
        add_on_commit(session, revocations, [dropped])
        await session.rollback()
        await session.begin()
        await session.commit()
    assert str(dropped) not in revocations
