"""One way to tell which constraint refused a statement, whichever way it reached the database
(a session, or an asyncpg connection of the read pool)."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine

from backend.core.database import asyncpg_url
from backend.core.violations import violated_constraint

_USER = (
    "INSERT INTO users (id, phone, display_name, role) VALUES "
    "(gen_random_uuid(), '13800000009', '张三', {role})"
)


async def test_through_a_session(database_url: str) -> None:
    engine = create_async_engine(asyncpg_url(database_url))
    try:
        async with engine.connect() as conn:
            await conn.execute(text(_USER.format(role="'resident'")))
            with pytest.raises(IntegrityError) as unique:
                await conn.execute(text(_USER.format(role="'resident'")))
            assert violated_constraint(unique.value) == "uq_users_phone"
            await conn.rollback()
            with pytest.raises(IntegrityError) as check:
                await conn.execute(text(_USER.format(role="'king'")))
            assert violated_constraint(check.value) == "ck_users_role_known"
            await conn.rollback()
            with pytest.raises(DBAPIError) as other:
                await conn.execute(text("SELECT 1 / 0"))
            assert violated_constraint(other.value) is None
    finally:
        await engine.dispose()


async def test_through_asyncpg(database_url: str) -> None:
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        await conn.execute(_USER.format(role="'resident'"))
        with pytest.raises(asyncpg.UniqueViolationError) as unique:
            await conn.execute(_USER.format(role="'resident'"))
        assert violated_constraint(unique.value) == "uq_users_phone"
        with pytest.raises(asyncpg.NotNullViolationError) as unnamed:
            await conn.execute("INSERT INTO users (id, phone) VALUES (gen_random_uuid(), '1')")
        assert violated_constraint(unnamed.value) is None
    finally:
        await conn.close()


def test_anything_else_names_none() -> None:
    assert violated_constraint(ValueError("uq_users_phone")) is None
