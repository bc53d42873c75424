"""The suite's own arrangement, which would otherwise fail silently and only cost time."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest
from litestar import get
from sqlalchemy import literal_column, select
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.core.database import plain_url, with_database
from backend.core.ratelimit import limiter_for
from backend.resources import resources_of
from tests import databases, factories, statement_cache
from tests.apps import AppPool
from tests.conftest import ROOT, serve
from tests.databases import FreshDatabases, server_folder


@pytest.mark.storm
def test_storms_share_one_xdist_group(request: pytest.FixtureRequest) -> None:
    """Storms run one at a time (a lock in conftest); spread over the workers by a scheduler
    that ignores their group, one worker idles at that lock while the other storms. pytest 9.2
    with pytest-xdist 3.8 did exactly that, without a word (pyproject pins pytest below 9.2)."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("run by pytest-xdist with --dist loadgroup only (the README's command)")
    assert request.node.nodeid.endswith("@storms")


def test_an_app_is_built_once_per_shape_and_lent_with_the_tests_own_resources(
    settings: Settings, clock: FrozenClock
) -> None:
    pool = AppPool()
    first = pool.lend(settings, _URL.format("one"), clock)
    first_resources = resources_of(first)
    pool.give_back()
    later = FrozenClock(clock.now())
    again = pool.lend(replace(settings, data_dir=Path("elsewhere")), _URL.format("two"), later)
    # The same app, bound to new resources: every one of them the test's own.
    assert again is first
    assert pool.built == 1
    resources = resources_of(again)
    assert again.state.settings is resources.settings
    assert resources.settings.data_dir.name == "elsewhere"
    assert again.state.clock is later
    assert again.state.db_engine.url.database == "two"
    for name in ("engine", "reader", "revocations", "jobs", "stores", "limiter"):
        assert getattr(resources, name) is not getattr(first_resources, name), name
    assert again.stores is resources.stores
    assert limiter_for(again) is resources.limiter
    # A second app in the same test (app_with: another process) is another object, and so is
    # an app of other settings.
    beside = pool.lend(settings, _URL.format("two"), later)
    other = pool.lend(replace(settings, access_log=True), _URL.format("two"), later)
    assert len({id(again), id(beside), id(other)}) == 3
    assert pool.built == 3
    pool.give_back()


def test_an_app_a_test_changed_is_not_lent_again(settings: Settings, clock: FrozenClock) -> None:
    pool = AppPool()
    changed = pool.lend(settings, _URL.format("one"), clock)
    changed.register(_extra_route)
    pool.give_back()
    assert pool.lend(settings, _URL.format("one"), clock) is not changed


async def test_a_lent_app_serves_the_database_it_is_bound_to(
    fresh_databases: FreshDatabases, pg_server_url: str, settings: Settings, clock: FrozenClock
) -> None:
    """Sessions, hot reads and the health check each use the database of the test that holds
    the app; a token of the previous test's database is nobody on the next one's."""
    pool = AppPool()
    names = [await fresh_databases.take(), await fresh_databases.take()]
    apps, accounts = [], []
    try:
        for name in names:
            url = with_database(pg_server_url, name)
            engine = create_async_engine(url)
            try:
                accounts.append(await factories.user(sessions(engine), settings, clock))
            finally:
                await engine.dispose()
            app = pool.lend(settings, url, clock)
            apps.append(app)
            async with serve(app) as http:
                for path in ("/api/v1/programs", "/health/ready"):
                    assert (await http.get(path)).status_code == 200, path
                mine = await http.get("/api/v1/me", headers=_bearer(accounts[-1]))
                assert mine.status_code == 200, mine.text
                if len(accounts) > 1:
                    earlier = await http.get("/api/v1/me", headers=_bearer(accounts[0]))
                    assert earlier.status_code == 401, earlier.text
                used = await _databases_with_qiyou_connections(pg_server_url, names)
            pool.give_back()
            assert used == {name}
        assert apps[0] is apps[1]
    finally:
        for name in names:
            fresh_databases.drop(name)


async def test_engines_of_one_process_compile_a_statement_once(
    fresh_databases: FreshDatabases, pg_server_url: str
) -> None:
    """Each test's engines are new (its database is), and SQLAlchemy keys its statement cache by
    the engine's dialect object: without the shared cache every test compiled every statement
    again, a fifth of an API test's CPU. An engine built with other dialect arguments, which
    could compile differently, keeps compiling its own."""
    statement = select(literal_column("1").label(f"once_{uuid4().hex}"))
    names = [await fresh_databases.take(), await fresh_databases.take()]
    engines = [create_async_engine(with_database(pg_server_url, name)) for name in names]
    unlike = create_async_engine(with_database(pg_server_url, names[0]), label_length=40)
    try:
        outcomes = []
        for engine in [*engines, unlike]:
            assert isinstance(engine.dialect, statement_cache.SharedCacheDialect)
            async with engine.connect() as connection:
                result = await connection.execute(statement)
                outcomes.append(result.context.cache_hit)
        assert outcomes == [CacheStats.CACHE_MISS, CacheStats.CACHE_HIT, CacheStats.CACHE_MISS]
    finally:
        for engine in [*engines, unlike]:
            await engine.dispose()
        for name in names:
            fresh_databases.drop(name)


_URL = "postgresql+asyncpg://nobody@127.0.0.1:1/{}"


@get("/test/extra", exclude_from_auth=True, sync_to_thread=False)
def _extra_route() -> None:
    return None


def _bearer(account: factories.Account) -> dict[str, str]:
    return {"Authorization": f"Bearer {account.access_token}"}


async def _databases_with_qiyou_connections(server_url: str, names: list[str]) -> set[str]:
    conn = await asyncpg.connect(plain_url(with_database(server_url, "postgres")))
    try:
        rows = await conn.fetch(
            "SELECT DISTINCT datname FROM pg_stat_activity"
            " WHERE application_name = 'qiyou' AND datname = ANY($1::text[])",
            names,
        )
    finally:
        await conn.close()
    return {row["datname"] for row in rows}


def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def test_the_embedded_test_server_lives_in_memory_one_per_checkout(tmp_path: Path) -> None:
    memory = tmp_path / "shm"
    memory.mkdir()
    one, other = tmp_path / "main", tmp_path / "clone"
    folder = server_folder(one, memory)
    assert folder.parent == memory
    assert folder == server_folder(one, memory)
    assert server_folder(other, memory) != folder


def test_the_embedded_test_server_stays_in_the_checkout_without_room_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = tmp_path / "main"
    assert server_folder(checkout, tmp_path / "no-such-folder") == checkout / ".qiyou-test"
    monkeypatch.setattr(databases, "MEMORY_NEEDED", 2**62)
    assert server_folder(checkout, tmp_path) == checkout / ".qiyou-test"


def test_this_run_uses_the_folder_it_chose(pg_server_url: str) -> None:
    if "QIYOU_TEST_DATABASE_URL" in os.environ:
        pytest.skip("a server named by QIYOU_TEST_DATABASE_URL keeps its own folder")
    assert f"host={server_folder(ROOT) / 'pg'}" in pg_server_url
