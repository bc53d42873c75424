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
