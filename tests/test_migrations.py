"""Migrations are the only way the schema changes: they must build exactly the models' schema
from nothing, and take it all away again."""

from __future__ import annotations

import asyncio
import os

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from backend.core import migrations
from backend.core.database import with_database
from backend.models import metadata
from tests.conftest import _admin_execute


async def test_upgrade_matches_models_and_downgrade_empties(pg_server_url: str) -> None:
    name = f"qiyou_mig_{os.getpid()}"
    await _admin_execute(
        pg_server_url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"
    )
    url = with_database(pg_server_url, name)
    try:
        await asyncio.to_thread(migrations.upgrade, url)
        engine = create_async_engine(url)
        async with engine.connect() as conn:

            def diff(sync_conn):  # type: ignore[no-untyped-def]
                context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return compare_metadata(context, metadata)

            differences = await conn.run_sync(diff)
        assert differences == [], differences

        await asyncio.to_thread(migrations.downgrade, url, "base")
        async with engine.connect() as conn:
            tables = (
                (
                    await conn.execute(
                        text(
                            "SELECT table_name FROM information_schema.tables "
                            "WHERE table_schema = 'public' AND table_name <> 'alembic_version'"
                        )
                    )
                )
                .scalars()
                .all()
            )
        assert tables == []
        # And back up again: a downgrade that leaves debris would make this fail.
        await asyncio.to_thread(migrations.upgrade, url)
        await engine.dispose()
    finally:
        await _admin_execute(pg_server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
