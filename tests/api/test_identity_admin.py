"""Staff accounts: the admin API and the ``qiyou users create`` command."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from backend.cli import main
from backend.identity.models import User
from tests.api.identity_support import PASSWORD
from tests.conftest import problem
from tests.factories import MakeUser, new_phone

URL = "/api/v1/admin/users"


def _staff(**changes: str) -> dict[str, str]:
    return {
        "phone": new_phone(),
        "password": PASSWORD,
        "role": "worker",
        "displayName": "社区工作者 王芳",
        **changes,
    }


async def test_admin_creates_a_staff_account_that_can_log_in(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user("admin")
    body = _staff(role="staff")
    response = await client.post(URL, json=body, headers=admin.headers)
    assert response.status_code == 201
    created = response.json()
    assert created["roles"] == ["staff"]
    assert created["phone"] == body["phone"]
    assert created["displayName"] == "社区工作者 王芳"
    assert "password" not in response.text.lower()
    login = await client.post(
        "/api/v1/auth/login", json={"phone": body["phone"], "password": PASSWORD}
    )
    assert login.status_code == 200
    assert login.json()["user"]["roles"] == ["staff"]


async def test_taken_phone_is_409_and_the_account_keeps_its_role(
    client: httpx.AsyncClient, make_user: MakeUser, db: async_sessionmaker[AsyncSession]
) -> None:
    admin, resident = await make_user("admin"), await make_user()
    response = await client.post(
        URL, json=_staff(phone=resident.phone, role="admin"), headers=admin.headers
    )
    assert response.status_code == 409
    assert problem(response)["code"] == "phone_taken"
    async with db() as session:
        user = await session.get(User, resident.id)
    assert user is not None
    assert user.role == "resident"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"role": "resident"}, "validation_error", "role"),
        ({"role": "root"}, "validation_error", "role"),
        ({"password": "12345678"}, "weak_password", "password"),
        ({"password": "short"}, "weak_password", "password"),
        ({"phone": "110"}, "invalid_phone", "phone"),
        ({"displayName": " "}, "validation_error", "displayName"),
    ],
)
async def test_bad_staff_accounts_are_422_and_change_nothing(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    db: async_sessionmaker[AsyncSession],
    changes: dict[str, str],
    code: str,
    field: str,
) -> None:
    admin = await make_user("admin")
    response = await client.post(URL, json=_staff(**changes), headers=admin.headers)
    assert response.status_code == 422
    document = problem(response)
    assert document["code"] == code
    assert any(field in e["field"] for e in document["errors"]), document["errors"]
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 1


async def test_list_users_by_role_with_a_cursor(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    admin = await make_user("admin")
    workers = [await make_user("worker") for _ in range(3)]
    await make_user("resident")
    everyone = (await client.get(URL, headers=admin.headers)).json()
    assert len(everyone["items"]) == 5
    assert everyone["nextCursor"] is None
    first = (
        await client.get(URL, params={"role": "worker", "limit": 2}, headers=admin.headers)
    ).json()
    assert len(first["items"]) == 2
    assert first["nextCursor"]
    rest = (
        await client.get(
            URL,
            params={"role": "worker", "limit": 2, "cursor": first["nextCursor"]},
            headers=admin.headers,
        )
    ).json()
    assert rest["nextCursor"] is None
    listed = [u["id"] for u in first["items"] + rest["items"]]
    assert listed == [str(w.id) for w in workers]
    assert {r for u in first["items"] + rest["items"] for r in u["roles"]} == {"worker"}


@pytest.mark.parametrize(
    "params", [{"role": "king"}, {"limit": "0"}, {"limit": "1000"}, {"cursor": "bad!"}]
)
async def test_bad_list_parameters_are_problems(
    client: httpx.AsyncClient, make_user: MakeUser, params: dict[str, str]
) -> None:
    admin = await make_user("admin")
    response = await client.get(URL, params=params, headers=admin.headers)
    assert response.status_code in (400, 422)
    problem(response)


def _run(database_url: str, data_dir: Path, *args: str) -> dict[str, object]:
    env = {
        "QIYOU_DATABASE_URL": database_url,
        "QIYOU_DATA_DIR": str(data_dir),
        "QIYOU_ENV": "test",
        "QIYOU_LOG_JSON": "false",
    }
    result = CliRunner().invoke(main, ["users", "create", *args], env=env)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("{"))
    parsed: dict[str, object] = json.loads(line)
    return parsed


def _role_of(database_url: str, phone: str) -> tuple[str, str | None, int]:
    import asyncio

    async def read() -> tuple[str, str | None, int]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as conn:
                row = (
                    await conn.execute(
                        select(User.role, User.display_name).where(User.phone == phone)
                    )
                ).one()
                count = await conn.scalar(select(func.count()).select_from(User))
            return row.role, row.display_name, int(count or 0)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_cli_users_create_is_idempotent_and_updates_the_role(
    database_url: str, tmp_path: Path
) -> None:
    phone = new_phone()
    first = _run(
        database_url,
        tmp_path,
        "--phone",
        phone,
        "--password",
        PASSWORD,
        "--role",
        "worker",
        "--name",
        "王芳",
    )
    assert first["created"] is True
    assert first["role"] == "worker"
    assert _role_of(database_url, phone) == ("worker", "王芳", 1)
    second = _run(
        database_url, tmp_path, "--phone", phone, "--password", PASSWORD, "--role", "admin"
    )
    assert second["created"] is False
    assert second["id"] == first["id"]
    # The role changed; the name given the first time stayed; no second account.
    assert _role_of(database_url, phone) == ("admin", "王芳", 1)


def test_cli_refuses_a_bad_phone(database_url: str, tmp_path: Path) -> None:
    env = {"QIYOU_DATABASE_URL": database_url, "QIYOU_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(
        main,
        ["users", "create", "--phone", "12", "--password", PASSWORD, "--role", "admin"],
        env=env,
    )
    assert result.exit_code != 0
    assert "invalid_phone" in result.output


def test_cli_refuses_a_weak_password(database_url: str, tmp_path: Path) -> None:
    env = {"QIYOU_DATABASE_URL": database_url, "QIYOU_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(
        main,
        ["users", "create", "--phone", new_phone(), "--password", "12345678", "--role", "admin"],
        env=env,
    )
    assert result.exit_code != 0
    assert "weak_password" in result.output
