"""A database that stops answering costs a request a bounded wait, never a hang.

The shared PostgreSQL must not be stopped, so the app talks to it through a TCP relay that the
test freezes: connections stay open and accepted, and no byte goes through either way, just as
with a server under SIGSTOP or behind a link that dropped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from litestar import Litestar

from backend.core.database import CLIENT_TIMEOUT_MARGIN_SECONDS
from tests.conftest import AppWith, problem, serve

BOUND = 1.0  # seconds: the connect, statement and pool timeouts of the app under test
# What a stalled request may take at most: the statement's bound and the client's margin, then
# SQLAlchemy's 2 s for a graceful close of the lost connection, with room for a busy machine.
REQUEST_LIMIT = BOUND + CLIENT_TIMEOUT_MARGIN_SECONDS + 2 + 1.5


@dataclass
class Relay:
    port: int
    flowing: asyncio.Event

    def freeze(self) -> None:
        self.flowing.clear()

    def thaw(self) -> None:
        self.flowing.set()


async def _pipe(
    source: asyncio.StreamReader, sink: asyncio.StreamWriter, flowing: asyncio.Event
) -> None:
    try:
        while data := await source.read(65536):
            await flowing.wait()
            sink.write(data)
            await sink.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        sink.close()


def _upstream(server_url: str) -> tuple[str | None, str | None, int]:
    parts = urlsplit(server_url)
    socket_dir = parse_qs(parts.query).get("host", [None])[0]
    return socket_dir, parts.hostname, parts.port or 5432


@pytest.fixture
async def relay(pg_server_url: str) -> AsyncIterator[Relay]:
    socket_dir, host, port = _upstream(pg_server_url)
    flowing = asyncio.Event()
    flowing.set()
    tasks: set[asyncio.Task[None]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A frozen server still accepts connections (the kernel does), and then says nothing.
        await flowing.wait()
        if socket_dir:
            up_reader, up_writer = await asyncio.open_unix_connection(
                f"{socket_dir}/.s.PGSQL.{port}"
            )
        else:
            up_reader, up_writer = await asyncio.open_connection(host, port)
        for task in (
            asyncio.create_task(_pipe(reader, up_writer, flowing)),
            asyncio.create_task(_pipe(up_reader, writer, flowing)),
        ):
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    relay = Relay(server.sockets[0].getsockname()[1], flowing)
    yield relay
    relay.thaw()
    server.close()
    for task in list(tasks):
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _through(relay: Relay, database_url: str) -> str:
    parts = urlsplit(database_url)
    user = parts.username or "postgres"
    password = f":{parts.password}" if parts.password else ""
    return f"postgresql+asyncpg://{user}{password}@127.0.0.1:{relay.port}{parts.path}"


@pytest.fixture
def stalling_app(relay: Relay, app_with: AppWith, database_url: str) -> Litestar:
    return app_with(
        database_url=_through(relay, database_url),
        db_connect_timeout=BOUND,
        db_statement_timeout=BOUND,
        db_pool_timeout=BOUND,
    )


@pytest.fixture
async def stalling_client(stalling_app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(stalling_app) as http:
        yield http


async def _timed(client: httpx.AsyncClient, path: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    # Without the bounds these hung for good; fail instead of waiting with them.
    response = await asyncio.wait_for(client.get(path), REQUEST_LIMIT + 5)
    return response, time.monotonic() - started


# A read on the hot reads' pool, a read on a session, and the readiness probe.
PATHS = ["/api/v1/events", "/api/v1/venues", "/health/ready"]


async def test_a_stalled_database_fails_requests_within_the_bound(
    stalling_client: httpx.AsyncClient, relay: Relay
) -> None:
    for path in PATHS:
        assert (await stalling_client.get(path)).status_code == 200, path
    relay.freeze()
    try:
        answers = await asyncio.gather(*(_timed(stalling_client, path) for path in PATHS))
    finally:
        relay.thaw()
    for path, (response, seconds) in zip(PATHS, answers, strict=True):
        assert seconds < REQUEST_LIMIT, (path, seconds)
        assert response.status_code == 503, (path, response.status_code)
        assert problem(response)["code"] == "service_unavailable", path
        assert int(response.headers["retry-after"]) >= 1, path
    ready, seconds = answers[-1]
    # Readiness answers within its own bound, the connect timeout.
    assert seconds < BOUND + 1.5, seconds
    assert ready.status_code == 503
    assert problem(ready)["code"] == "service_unavailable"
    # The server answers again, and so does the service, without a restart.
    deadline = time.monotonic() + 10
    while (await stalling_client.get("/health/ready")).status_code != 200:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)
    assert (await stalling_client.get("/api/v1/venues")).status_code == 200


async def test_a_database_that_accepts_but_never_answers_fails_new_connections_in_time(
    stalling_client: httpx.AsyncClient, relay: Relay
) -> None:
    relay.freeze()
    try:
        answers = await asyncio.gather(*(_timed(stalling_client, path) for path in PATHS))
    finally:
        relay.thaw()
    for path, (response, seconds) in zip(PATHS, answers, strict=True):
        assert seconds < REQUEST_LIMIT, (path, seconds)
        assert response.status_code == 503, (path, response.status_code)
        assert problem(response)["code"] == "service_unavailable", path
        assert int(response.headers["retry-after"]) >= 1, path
    assert answers[-1][0].status_code == 503


def test_the_pools_wait_at_most_the_pool_timeout(stalling_app: Litestar) -> None:
    assert stalling_app.state.db_engine.pool.timeout() == BOUND
    assert stalling_app.state.reader.pool._wait_timeout == BOUND
