from __future__ import annotations

import httpx

from tests.conftest import problem


async def test_live_and_ready(client: httpx.AsyncClient) -> None:
    live = await client.get("/health/live")
    assert live.status_code == 200
    assert live.json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.headers["x-request-id"]


async def test_unknown_path_is_a_problem_in_the_callers_language(client: httpx.AsyncClient) -> None:
    zh = problem(await client.get("/api/v1/nowhere"))
    assert zh["code"] == "not_found"
    assert zh["title"] == "未找到"
    en = problem(await client.get("/api/v1/nowhere", headers={"Accept-Language": "en-US,en;q=0.9"}))
    assert en["title"] == "Not found"


async def test_metrics_are_exposed(client: httpx.AsyncClient) -> None:
    await client.get("/health/live")
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert "qiyou_requests_total" in metrics.text


async def test_metrics_count_requests_per_route_and_status(client: httpx.AsyncClient) -> None:
    def value(text: str, name: str, path: str, status: int) -> float:
        prefix = f'{name}{{app_name="qiyou",method="GET",path="{path}",status_code="{status}"}} '
        for line in text.splitlines():
            if line.startswith(prefix):
                return float(line[len(prefix) :])
        return 0.0

    route = "/api/v1/events/{eventId}"
    before = (await client.get("/metrics")).text
    for _ in range(3):
        assert (await client.get("/api/v1/programs")).status_code == 200
    missing = "/api/v1/events/00000000-0000-0000-0000-000000000000"
    assert (await client.get(missing)).status_code == 404
    after = (await client.get("/metrics")).text

    total = "qiyou_requests_total"
    programs = "/api/v1/programs"
    assert value(after, total, programs, 200) - value(before, total, programs, 200) == 3
    # Grouped by the route, not by the id in the path.
    assert value(after, total, route, 404) - value(before, total, route, 404) == 1
    timed = "qiyou_request_duration_seconds_count"
    assert value(after, timed, programs, 200) - value(before, timed, programs, 200) == 3
    assert (
        'qiyou_requests_in_progress{app_name="qiyou",method="GET",path="/api/v1/programs"' in after
    )


async def test_a_refused_token_is_counted_and_carries_a_request_id(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/api/v1/me/bookings",
        headers={"Authorization": "Bearer nonsense", "X-Request-ID": "probe-0001"},
    )
    assert response.status_code == 401
    assert response.headers["x-request-id"] == "probe-0001"
    assert response.json()["requestId"] == "probe-0001"
    metrics = (await client.get("/metrics")).text
    assert 'path="/api/v1/me/bookings",status_code="401"}' in metrics
