"""The test harness: a real PostgreSQL, a fresh database per test, the app over ASGI.

The server is the embedded one (in ``/dev/shm`` when there is room, else under
``.qiyou-test/``; see ``tests.databases.server_folder``), shared by the parallel worker
processes, unless ``QIYOU_TEST_DATABASE_URL`` names another. Each worker process migrates the
schema once into a template database of its own; every test gets its own copy of it, so tests
are isolated without truncation and can run in any order, in any process.
"""

from __future__ import annotations

import asyncio
import functools
import os
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from argon2 import PasswordHasher
from filelock import FileLock
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from backend.asgi import tune_garbage_collector
from backend.config import Settings
from backend.core import migrations, security
from backend.core.clock import Clock, FrozenClock
from backend.core.database import EmbeddedPostgres, asyncpg_url, plain_url, with_database
from tests import factories, statement_cache
from tests.apps import AppPool
from tests.databases import FreshDatabases, server_folder
from tests.factories import MakeUser

pytest_plugins = ["tests.contract.problems"]  # every problem answered is in the document
statement_cache.install()  # before any engine: each statement compiled once per process
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

ROOT = Path(__file__).resolve().parents[1]
TEST_JWT_SECRET = "test-secret-" + "x" * 40
TEST_DATA_KEY = bytes(range(32))


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A server on which the tests may create and drop databases.

    The xdist worker processes share one embedded server: the first to get here starts it, the
    others join it, and the last one to finish stops it (``EmbeddedPostgres.stop`` leaves it
    running while another living process still uses it). The lock keeps two workers from
    running ``initdb`` or ``pg_ctl start`` on one folder at once, and a worker from joining a
    server that another is stopping.
    """
    configured = os.environ.get("QIYOU_TEST_DATABASE_URL")
    if configured:
        yield asyncpg_url(configured)
        return
    data_dir = server_folder(ROOT)
    data_dir.mkdir(exist_ok=True)
    lock = FileLock(data_dir / "server.lock")
    server = EmbeddedPostgres(data_dir)
    with lock:
        url = server.start()
        # In a thread of its own: asyncio.run must not touch this thread's (pytest-asyncio's) loop.
        with ThreadPoolExecutor(1) as thread:
            thread.submit(asyncio.run, _admin_execute(url, *_THROWAWAY_SERVER)).result()
    try:
        yield url
    finally:
        with lock:
            server.stop()


# The embedded test server's data is thrown away, so it need not survive a crash: without
# flushing to disk, CREATE DATABASE (once per test) and commits cost a fraction. All three settings
# take effect on reload; ALTER SYSTEM keeps them for the next start of the same folder. Never
# applied to a server named by QIYOU_TEST_DATABASE_URL, which may be someone's own.
_THROWAWAY_SERVER = (
    "ALTER SYSTEM SET fsync = off",
    "ALTER SYSTEM SET synchronous_commit = off",
    "ALTER SYSTEM SET full_page_writes = off",
    "SELECT pg_reload_conf()",
)


# On the throwaway server (fsync off) copying the template's files is faster than PostgreSQL's
# default of writing it through the WAL: 26 ms instead of 41 to create, 13 instead of 32 to drop,
# once per test. With fsync on (a server of QIYOU_TEST_DATABASE_URL) the file copy's checkpoints
# make it slower, so the default stays there.
_COPY_STRATEGY = "" if os.environ.get("QIYOU_TEST_DATABASE_URL") else " STRATEGY FILE_COPY"


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker more than the cores, at most eight. A test waits for its
    database (created per test, and PostgreSQL shares the cores) and its storms' connections;
    a third worker on two cores took the suite from 6:40 to 5:58. Eight keeps the workers'
    connections, and a storm's 40, under PostgreSQL's 100."""
    return min((os.cpu_count() or 1) + 1, 8)


# tryfirst: xdist's own hook of the same name turns the xdist_group marker into the "@storms"
# suffix of the test ids that --dist loadgroup schedules by, so the marker must be there first
# (tests/unit/test_test_setup.py checks the suffix).
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests first, so that the last minutes are not one worker finishing a long test
    while the other idles; and the storms in one xdist group (``--dist loadgroup``), so that they
    run one after another on one worker instead of one worker waiting for the other's storm."""
    for item in items:
        if item.get_closest_marker("storm") is not None:
            item.add_marker(pytest.mark.xdist_group("storms"))
    items.sort(key=lambda item: not any(item.get_closest_marker(m) for m in _LONG))


_LONG = ("storm", "slow", "schemathesis")


@pytest.fixture(autouse=True, scope="session")
def regex_classes_built_once() -> None:
    """Each regex character class is built once per process, not once per strategy: the contract
    tests spent most of their time rebuilding the text patterns' classes (see the module). Set up
    here, not at import: Hypothesis warns about its storage being read while conftest loads."""
    from tests.contract import regex_classes

    regex_classes.install()


# The service's password hasher (argon2id, RFC 9106's low-memory profile), before the suite
# swaps it for a cheap one (below); tests/unit/test_identity_rules.py holds its parameters.
SERVICE_PASSWORD_HASHER = security._hasher


@pytest.fixture(autouse=True, scope="session")
def argon2_at_test_cost() -> Iterator[None]:
    """Passwords are hashed with argon2id at the lowest cost in the tests' own processes.

    At the service's cost each hash or check takes ~0.2 s of CPU on four threads, and the suite
    makes hundreds of them (logins, accounts created by the contract fuzzing, the demo): ~10 %
    of the suite's CPU, spent on a parameter choice tests/unit holds by itself. Every rule
    around the hash (timing of unknown accounts, the memory slots, rehash on login) still runs;
    only the work factor differs. Servers the tests start as processes keep the real cost."""
    security._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    try:
        yield
    finally:
        security._hasher = SERVICE_PASSWORD_HASHER


@pytest.fixture(autouse=True)
def one_storm_at_a_time(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Storms run one at a time across the xdist workers: each opens up to 40 connections
    (``db_pool_size`` + ``db_max_overflow``), and two at once next to the other tests exceeded
    PostgreSQL's 100 (``too many clients``, answered as 503). Under ``--dist loadgroup`` (the
    default in pyproject) one worker runs them all and the lock is never contended; it still
    holds under ``--dist load`` or any other way of running them side by side."""
    if request.node.get_closest_marker("storm") is None:
        yield
        return
    # The parent of a worker's temporary folder is the run's, shared by all its workers.
    with FileLock(tmp_path_factory.getbasetemp().parent / "storms.lock"):
        yield


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


@pytest.fixture(scope="session")
async def fresh_databases(
    pg_server_url: str, template_database: str
) -> AsyncIterator[FreshDatabases]:
    """This worker's copies of its template, each made while the test before it runs."""
    databases = FreshDatabases(pg_server_url, template_database, create_options=_COPY_STRATEGY)
    yield databases
    await databases.close()


@pytest.fixture
async def database_url(pg_server_url: str, fresh_databases: FreshDatabases) -> AsyncIterator[str]:
    """A database of the test's own, migrated, dropped after the test (tests/databases.py)."""
    name = await fresh_databases.take()
    yield with_database(pg_server_url, name)
    fresh_databases.drop(name)


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


@pytest.fixture(scope="session")
def app_pool() -> AppPool:
    """The apps this worker process has built, lent to one test at a time (tests/apps.py)."""
    return AppPool()


@pytest.fixture
def lent_apps(app_pool: AppPool) -> Iterator[AppPool]:
    """The pool, for one test; at its end the apps it lent come back."""
    try:
        yield app_pool
    finally:
        app_pool.give_back()


@pytest.fixture
def app(lent_apps: AppPool, settings: Settings, database_url: str, clock: Clock) -> Litestar:
    """The app of the test's settings, on the test's database and clock (built once per
    worker process and shape, bound to resources of this test's own: tests/apps.py)."""
    return lent_apps.lend(settings, database_url, clock)


# ``app_with(database_url=None, **changes)``: another app on the test's clock, with ``changes``
# to the test's settings, on the test's database unless ``database_url`` names another.
AppWith = Callable[..., Litestar]


@pytest.fixture
def app_with(lent_apps: AppPool, settings: Settings, database_url: str, clock: Clock) -> AppWith:
    """Apps beside ``app``: other settings, or another worker, host or restart on one database.
    Each is an app object of its own, with resources of its own."""

    def build(*, database_url: str = database_url, **changes: Any) -> Litestar:
        return lent_apps.lend(replace(settings, **changes), database_url, clock)

    return build


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that calls the app in this event loop, so gathered requests overlap."""
    async with serve(app) as http:
        yield http


@asynccontextmanager
async def serve(app: Litestar, peer: str = "203.0.113.10") -> AsyncIterator[httpx.AsyncClient]:
    """A running app and a client for it, from the given peer address (``client`` for others)."""
    async with running(app):
        transport = httpx.ASGITransport(app=app, client=(peer, 50000))
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


@pytest.fixture
def make_user(db: async_sessionmaker[AsyncSession], settings: Settings, clock: Clock) -> MakeUser:
    """Create an account of any role directly and log it in (``tests.factories.user``)."""
    return functools.partial(factories.user, db, settings, clock)


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


def pytest_collection_finish(session: pytest.Session) -> None:
    """The garbage collector as in production (``backend.asgi``): what start-up and collection
    built (modules, the suite's test items) is frozen, the young generation collected less
    often. The suite spent ~12 % of its CPU collecting; this took 8 % off a mix of API tests
    and contract fuzzing (57.0 s to 52.4 s of CPU)."""
    tune_garbage_collector()
