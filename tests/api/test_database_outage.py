"""With the database gone, every kind of route answers 503 with ``Retry-After``, and the log
gets one line per failure, not a traceback."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import structlog
from litestar import Litestar

from backend.app import create_app
from backend.config import Settings
from backend.core.clock import Clock
from tests.conftest import problem, running
from tests.factories import MakeUser

EN = {"Accept-Language": "en"}
MEMBER = {"name": "王小明", "relation": "son", "birthDate": "2018-05-01"}


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback port where nothing listens: bound, never listening, so connects are refused
    and no other process can take it while the test runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.fixture
async def dead_client(
    settings: Settings, clock: Clock, refused_port: int
) -> AsyncIterator[httpx.AsyncClient]:
    app: Litestar = create_app(
        settings,
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{refused_port}/qiyou",
        clock=clock,
    )
    async with running(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", timeout=60
        ) as http:
            yield http


async def test_every_kind_of_route_answers_503_with_retry_after(
    dead_client: httpx.AsyncClient,
    make_user: MakeUser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The token was issued while the database was up (the same secret signs it).
    resident = await make_user("resident")
    # Routes that reach the database: each failure is one log line of its own.
    reaching = [
        ("GET", "/api/v1/events", {}, None),  # public, on the reads' own pool
        ("POST", "/api/v1/auth/login", {}, {"phone": "13800000000", "password": "x" * 10}),
    ]
    # Authenticated routes: a process that could not load the revoked sessions refuses every
    # token before any query (fail closed, backend/core/revocations.py), with the same answer;
    # that process logged its reason once, at start-up.
    refused_before = [
        ("GET", "/api/v1/me/members", resident.headers, None),
        ("POST", "/api/v1/me/members", resident.headers, MEMBER),
        (
            "POST",
            "/api/v1/me/members",
            {**resident.headers, "Idempotency-Key": "outage-1"},
            MEMBER,
        ),
    ]
    caplog.clear()
    with caplog.at_level(logging.INFO):
        for method, path, headers, body in [*reaching, *refused_before]:
            response = await dead_client.request(method, path, headers={**headers, **EN}, json=body)
            assert response.status_code == 503, (method, path, response.text)
            assert response.headers["retry-after"].isdigit()
            assert 1 <= int(response.headers["retry-after"]) <= 30
            found = problem(response)
            assert found["code"] == "service_unavailable"
            assert found["title"] == "Service unavailable"
        zh = await dead_client.get("/api/v1/events")
        assert problem(zh)["title"] == "服务暂不可用"
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    failures = [r for r in failures if r.name == "qiyou.errors"]
    assert len(failures) == len(reaching) + 1, [r.getMessage() for r in failures]
    assert "Traceback" not in caplog.text
    for record in failures:
        assert record.exc_info is None
        assert getattr(record, "request_id", None)
        assert "ConnectionRefusedError" in record.getMessage() or "OSError" in (
            record.getMessage()
        ), record.getMessage()
    # What the operator reads, rendered by the app's own log formatter: a line each.
    (app_handler,) = [
        handler
        for handler in logging.getLogger().handlers
        if isinstance(handler.formatter, structlog.stdlib.ProcessorFormatter)
    ]
    for record in failures:
        line = app_handler.format(record)
        assert "\n" not in line.strip(), line
        assert "database unavailable: ConnectionRefusedError" in line
        assert "request_id=" in line
