"""What reaches no route — routing's 404 and 405, CORS preflights — carries a request id, is
logged and counted like any request, and a refused preflight is a problem document."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
import pytest
from litestar import Litestar

from backend.app import create_app
from backend.config import Settings
from backend.core.clock import Clock
from backend.core.metrics import REQUEST_METRICS
from tests.conftest import problem, running

ORIGIN = "https://console.example.org"


async def _logged(capfd: pytest.CaptureFixture[str]) -> str:
    # The access log writes the lines of one turn of the event loop at its end.
    await asyncio.sleep(0)
    return capfd.readouterr().err


def _count(method: str, status: int) -> float:
    for family in REQUEST_METRICS.collect():
        if family.name != "qiyou_requests":
            continue
        for sample in family.samples:
            labels = sample.labels
            if (
                sample.name == "qiyou_requests_total"
                and labels["path"] == "unrouted"
                and labels["method"] == method
                and labels["status_code"] == str(status)
            ):
                return float(sample.value)
    return 0.0


@pytest.fixture
def app(settings: Settings, database_url: str, clock: Clock) -> Litestar:
    return create_app(
        replace(settings, access_log=True, cors_origins=(ORIGIN,)),
        database_url=database_url,
        clock=clock,
    )


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/v1/no-such-thing", 404, "not_found"),
        ("DELETE", "/api/v1/programs", 405, "method_not_allowed"),
    ],
)
async def test_routing_refusals_carry_an_id_and_are_logged_and_counted(
    client: httpx.AsyncClient,
    capfd: pytest.CaptureFixture[str],
    method: str,
    path: str,
    status: int,
    code: str,
) -> None:
    before = _count(method, status)
    response = await client.request(method, path, headers={"X-Request-ID": "scan-0001-abcd"})
    assert response.status_code == status
    body = problem(response)
    assert body["code"] == code
    assert response.headers["x-request-id"] == "scan-0001-abcd"
    assert body["requestId"] == "scan-0001-abcd"
    assert _count(method, status) == before + 1
    logged = await _logged(capfd)
    assert f"path={path} status_code={status}" in logged
    assert "request_id=scan-0001-abcd" in logged


async def test_a_refused_preflight_is_a_problem_document_with_an_id(
    client: httpx.AsyncClient, capfd: pytest.CaptureFixture[str]
) -> None:
    before = _count("OPTIONS", 400)
    response = await client.options(
        "/api/v1/programs",
        headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 400
    assert problem(response)["code"] == "cors_refused"
    assert response.headers["x-request-id"]
    assert _count("OPTIONS", 400) == before + 1
    assert "path=/api/v1/programs status_code=400" in await _logged(capfd)


async def test_an_accepted_preflight_and_the_answer_expose_our_headers(
    client: httpx.AsyncClient,
) -> None:
    preflight = await client.options(
        "/api/v1/programs",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    response = await client.get("/api/v1/programs", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    exposed = {
        name.strip().lower()
        for name in response.headers["access-control-expose-headers"].split(",")
    }
    assert {"x-request-id", "retry-after", "idempotent-replayed", "etag"} <= exposed


async def test_routed_requests_are_logged_once(
    settings: Settings, database_url: str, clock: Clock, capfd: pytest.CaptureFixture[str]
) -> None:
    app = create_app(replace(settings, access_log=True), database_url=database_url, clock=clock)
    async with running(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/api/v1/programs")
            await http.get("/api/v1/me")
    assert response.status_code == 200
    logged = capfd.readouterr().err
    assert logged.count("path=/api/v1/programs ") == 1
    assert logged.count("path=/api/v1/me status_code=401") == 1
