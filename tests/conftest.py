"""The test harness: a real PostgreSQL, a fresh database per test, the app over ASGI.

The server is the embedded one (under ``.qiyou-test/``) unless ``QIYOU_TEST_DATABASE_URL``
names another. The schema is migrated once into a template database; every test gets its own
copy of it, so tests are isolated without truncation and can run in any order.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from backend.app import create_app
from backend.config import Settings
from backend.core import migrations
from backend.core.clock import Clock, FrozenClock
from backend.core.database import asyncpg_url, plain_url, start_embedded, with_database
from backend.core.security import hash_password
from backend.identity import service as identity_service

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

ROOT = Path(__file__).resolve().parents[1]
TEST_JWT_SECRET = "test-secret-" + "x" * 40
TEST_DATA_KEY = bytes(range(32))
_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """A server on which the tests may create and drop databases."""
    configured = os.environ.get("QIYOU_TEST_DATABASE_URL")
    if configured:
        return asyncpg_url(configured)
    return start_embedded(ROOT / ".qiyou-test", stop_on_exit=True)


async def _admin_execute(server_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(plain_url(with_database(server_url, "postgres")))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def template_database(pg_server_url: str) -> AsyncIterator[str]:
    name = f"qiyou_tpl_{os.getpid()}"
    await _admin_execute(
        pg_server_url, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"
    )
    await asyncio.to_thread(migrations.upgrade, with_database(pg_server_url, name))
    yield name
    await _admin_execute(pg_server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
async def database_url(pg_server_url: str, template_database: str) -> AsyncIterator[str]:
    name = f"qiyou_t_{os.getpid()}_{next(_counter)}"
    await _admin_execute(pg_server_url, f"CREATE DATABASE {name} TEMPLATE {template_database}")
    yield with_database(pg_server_url, name)
    await _admin_execute(pg_server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        env="test",
        data_dir=tmp_path / "data",
        jwt_secret=TEST_JWT_SECRET,
        data_key=TEST_DATA_KEY,
        rate_limit_enabled=True,
        access_log=False,
        db_pool_size=20,
        db_max_overflow=20,
    )


@pytest.fixture
def clock() -> FrozenClock:
    """The app's clock, frozen at the real present; tests move it explicitly."""
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def app(settings: Settings, database_url: str, clock: Clock) -> Litestar:
    return create_app(settings, database_url=database_url, clock=clock)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that calls the app in this event loop, so gathered requests overlap."""
    async with running(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", timeout=60
        ) as http:
            yield http


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[None]:
    """The app's lifespan, entered and left in one task of its own (anyio insists)."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(lifespan())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()
    try:
        yield
    finally:
        stop.set()
        await task


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Direct database access for arranging and checking state around HTTP calls."""
    engine = create_async_engine(database_url)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


@dataclass
class Account:
    id: UUID
    phone: str
    password: str
    role: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


MakeUser = Callable[..., Awaitable[Account]]
_phones = itertools.count(13800000000)
_password_hashes: dict[str, str] = {}


@pytest.fixture
def make_user(db: async_sessionmaker[AsyncSession], settings: Settings, clock: Clock) -> MakeUser:
    """Create an account of any role directly and log it in; returns its tokens."""

    async def factory(
        role: str = "resident",
        *,
        phone: str | None = None,
        password: str = "Qiyou-pass-2026",
        display_name: str | None = None,
    ) -> Account:
        phone = phone or str(next(_phones))
        if password not in _password_hashes:
            _password_hashes[password] = hash_password(password)
        async with db() as session, session.begin():
            user = await identity_service.create_user(
                session,
                phone=phone,
                password=None,
                display_name=display_name or f"{role}-{phone[-4:]}",
                role=role,
            )
            # argon2 costs ~0.3 s a hash here; storms create hundreds of accounts, and one hash
            # per distinct password verifies just the same.
            user.password_hash = _password_hashes[password]
            pair = await identity_service.open_session(session, settings, user, now=clock.now())
        return Account(
            id=user.id,
            phone=user.phone,
            password=password,
            role=role,
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
        )

    return factory


@pytest.fixture
def production_settings(settings: Settings) -> Settings:
    return replace(settings, env="production", database_url="postgresql://unused/db")


def problem(response: httpx.Response) -> dict[str, Any]:
    """The problem document of an error response, checked for the contract's shape."""
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    for key in ("type", "title", "status", "detail", "code"):
        assert key in body, body
    assert body["status"] == response.status_code
    return body
