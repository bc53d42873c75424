"""The hot reads' connection pool, against the real server: its limit, its line, and what it
does with connections that broke, were cancelled, grew old or could not be made."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest

from backend.config import Settings, SettingsError
from backend.core.database import plain_url, with_database
from backend.core.readpool import ReadPool


@pytest.fixture
def application_name() -> str:
    """A name for this test's connections alone: the count of backends must not see another
    worker's test of this module, nor a backend of the previous test that is still exiting."""
    return f"qiyou-read-pool-test-{uuid4().hex[:12]}"


@pytest.fixture
def connect(pg_server_url: str, application_name: str) -> Callable[[], asyncpg.Connection]:
    dsn = plain_url(with_database(pg_server_url, "postgres"))
    name = application_name

    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(dsn, server_settings={"application_name": name})

    return connect


@pytest.fixture
async def pool(connect: Callable[[], asyncpg.Connection]) -> AsyncIterator[ReadPool]:
    pool = ReadPool(connect, size=3)
    yield pool
    await pool.close()


async def _run(pool: ReadPool, sql: str, *args: object) -> object:
    connection = await pool.acquire()
    try:
        return await connection.fetchval(sql, *args)
    finally:
        pool.release(connection)


async def test_a_storm_of_reads_shares_the_limit_and_is_served_in_arrival_order(
    pool: ReadPool, application_name: str
) -> None:
    served: list[int] = []
    most_open = 0

    async def read(n: int) -> object:
        nonlocal most_open
        connection = await pool.acquire()
        served.append(n)
        most_open = max(most_open, pool.open_connections)
        try:
            return await connection.fetchval("SELECT $1::int FROM pg_sleep(0.005)", n)
        finally:
            pool.release(connection)

    results = await asyncio.gather(*(read(n) for n in range(60)))

    assert results == list(range(60))
    assert most_open == 3
    # The first three each made a connection, finishing in whatever order the server took
    # (on a loaded machine one of them may still be connecting when another's connection is
    # back and goes to the first in line); everyone after them waited in line and was served
    # in turn.
    assert sorted(n for n in served if n < 3) == [0, 1, 2]
    assert [n for n in served if n >= 3] == list(range(3, 60))
    backends = await _run(
        pool,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
        application_name,
    )
    assert backends == 3


async def test_a_broken_connection_is_replaced(pool: ReadPool) -> None:
    connection = await pool.acquire()
    pid = connection.get_server_pid()
    pool.release(connection)
    killer = await pool.acquire()
    victim = await pool.acquire()
    assert victim.get_server_pid() == pid or killer.get_server_pid() == pid
    if killer.get_server_pid() == pid:
        killer, victim = victim, killer
    await killer.fetchval("SELECT pg_terminate_backend($1)", victim.get_server_pid())
    # How the loss shows depends on when the server's goodbye arrives.
    lost = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.InternalClientError)
    with pytest.raises((*lost, OSError)):
        await victim.fetchval("SELECT 1")
    pool.release(victim, broken=True)
    pool.release(killer)

    assert pool.open_connections == 1
    assert await asyncio.gather(*(_run(pool, "SELECT 1") for _ in range(5))) == [1] * 5


async def test_a_server_refusal_keeps_the_connection(pool: ReadPool) -> None:
    connection = await pool.acquire()
    with pytest.raises(asyncpg.DivisionByZeroError):
        await connection.fetchval("SELECT 1 / 0")
    pool.release(connection)
    assert pool.open_connections == 1
    assert await _run(pool, "SELECT 2") == 2
    assert pool.open_connections == 1


async def test_a_waiter_cancelled_in_line_loses_no_connection(
    connect: Callable[[], asyncpg.Connection],
) -> None:
    pool = ReadPool(connect, size=1)
    try:
        held = await pool.acquire()
        waiter = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0.01)
        # Handed the connection and cancelled before it could resume: the connection goes on.
        pool.release(held)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        again = await asyncio.wait_for(pool.acquire(), timeout=2)
        assert again is held
        pool.release(again)
        assert pool.open_connections == 1
    finally:
        await pool.close()


async def test_a_wait_in_line_ends_at_its_time_and_the_line_goes_on(
    connect: Callable[[], asyncpg.Connection],
) -> None:
    """One timer serves the whole line: each waiter fails with ``TimeoutError`` when its own
    wait is over, those served or cancelled before leave no trace, and later waiters are still
    served in order."""
    # Half a second between the two waits' ends: a loaded worker's event loop can stall for a
    # garbage collection of its heap, and a stall past both ends would serve both at once.
    pool = ReadPool(connect, size=1, wait_timeout=1.0)
    try:
        held = await pool.acquire()
        loop = asyncio.get_running_loop()
        started = loop.time()
        first = asyncio.create_task(pool.acquire())
        cancelled = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0.5)
        late = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0.01)
        cancelled.cancel()
        with pytest.raises(TimeoutError):
            await first
        assert 0.95 <= loop.time() - started < 1.5
        assert not late.done()  # its own time is not over yet
        pool.release(held)
        again = await asyncio.wait_for(late, timeout=1)
        assert again is held
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        # Nobody waits now: the next one takes the idle connection at once.
        pool.release(again)
        assert pool.take() is held
        pool.release(held)
        assert pool.open_connections == 1
    finally:
        await pool.close()


async def test_old_connections_are_renewed(connect: Callable[[], asyncpg.Connection]) -> None:
    pool = ReadPool(connect, size=2, recycle_seconds=0)
    try:
        first = await pool.acquire()
        pool.release(first)
        assert first.is_closed()
        second = await pool.acquire()
        assert second is not first
        pool.release(second)
        assert pool.open_connections == 0
    finally:
        await pool.close()


async def test_a_failed_connect_frees_its_place(connect: Callable[[], asyncpg.Connection]) -> None:
    failures = 1

    async def flaky() -> asyncpg.Connection:
        nonlocal failures
        if failures:
            failures -= 1
            raise OSError("connection refused")
        return await connect()

    pool = ReadPool(flaky, size=1)
    try:
        with pytest.raises(OSError):
            await pool.acquire()
        assert pool.open_connections == 0
        assert await _run(pool, "SELECT 3") == 3
    finally:
        await pool.close()


async def test_closing_closes_what_is_idle_and_what_comes_back(
    connect: Callable[[], asyncpg.Connection],
) -> None:
    pool = ReadPool(connect, size=2)
    idle, busy = await pool.acquire(), await pool.acquire()
    pool.release(idle)
    await pool.close()
    assert idle.is_closed()
    pool.release(busy)
    assert busy.is_closed()
    assert pool.open_connections == 0
    with pytest.raises(RuntimeError):
        await pool.acquire()


def test_the_read_pool_needs_a_connection(tmp_path: Path) -> None:
    base = {"QIYOU_DATA_DIR": str(tmp_path)}
    assert Settings.from_env(base).db_read_pool_size == 10
    assert Settings.from_env({**base, "QIYOU_DB_READ_POOL_SIZE": "3"}).db_read_pool_size == 3
    with pytest.raises(SettingsError, match="QIYOU_DB_READ_POOL_SIZE"):
        Settings.from_env({**base, "QIYOU_DB_READ_POOL_SIZE": "0"})
