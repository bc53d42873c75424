"""``qiyou users create --role dispatcher|caregiver --provider ID``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from uuid import uuid4

import pytest
from click.testing import CliRunner
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.cli import main
from backend.eldercare import service
from tests.factories import care_provider, new_phone

Sessions = async_sessionmaker[AsyncSession]


def _create(env: dict[str, str], *extra: str) -> tuple[int, str]:
    args = ["users", "create", "--phone", new_phone(), "--password", "Qiyou-pass-2026", *extra]
    result = CliRunner().invoke(main, args, env=env)
    return result.exit_code, result.output


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    return {
        "QIYOU_DATA_DIR": str(tmp_path / "data"),
        "QIYOU_DATABASE_URL": database_url,
        "QIYOU_ENV": None,  # type: ignore[dict-item]
    }


@pytest.mark.parametrize("role", ["dispatcher", "caregiver"])
def test_care_staff_without_a_provider_is_refused_in_one_line(
    env: dict[str, str], role: str
) -> None:
    code, output = _create(env, "--role", role)
    assert code == 2
    assert f"a {role} works for a care provider: give --provider ID" in output


def test_a_provider_is_only_for_care_staff(env: dict[str, str]) -> None:
    code, output = _create(env, "--role", "worker", "--provider", str(uuid4()))
    assert code == 2
    assert "--provider is only for a dispatcher or caregiver" in output


async def test_a_caregiver_is_created_working_for_the_provider(
    env: dict[str, str], db: Sessions
) -> None:
    provider = await care_provider(db)
    # The command runs its own event loop: in a thread, beside the test's.
    code, output = await asyncio.to_thread(
        _create, env, "--role", "caregiver", "--provider", str(provider)
    )
    assert code == 0, output
    made = json.loads(output)
    assert (made["role"], made["providerId"]) == ("caregiver", str(provider))
    async with db() as session:
        assert str(await service.provider_of(session, made["id"])) == str(provider)
    unknown = await asyncio.to_thread(
        _create, env, "--role", "dispatcher", "--provider", str(uuid4())
    )
    assert unknown[0] == 1
    assert "unknown_care_provider" in unknown[1]
