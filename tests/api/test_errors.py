"""Every error is a problem document with a stable code, in the caller's language, and a 500
tells the caller nothing but a request id."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Annotated, Any

import httpx
import msgspec
import pytest
from litestar import Litestar, get, post
from litestar.exceptions import ServiceUnavailableException
from litestar.params import JSONBody

from backend.config import Settings
from backend.core.auth import admin_only
from backend.core.clock import Clock
from backend.core.errors import AppError, rate_limited
from schemas.common import Wire
from tests.apps import AppPool
from tests.conftest import problem
from tests.factories import MakeUser

EN = {"Accept-Language": "en"}
BODY_LIMIT = 4096


class Sample(Wire):
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    seat_count: Annotated[int, msgspec.Meta(ge=1)]


@post("/test/echo", exclude_from_auth=True, status_code=200, sync_to_thread=False)
def echo(data: JSONBody[Sample]) -> Sample:
    return data


@get("/test/admin-only", guards=[admin_only], sync_to_thread=False)
def only_for_admins() -> dict[str, str]:
    return {"ok": "yes"}


@get("/test/boom", exclude_from_auth=True, sync_to_thread=False)
def boom() -> None:
    raise RuntimeError("SELECT password_hash FROM users WHERE phone = '13800000000'")


@get("/test/domain-conflict", exclude_from_auth=True, sync_to_thread=False)
def domain_conflict() -> None:
    raise AppError(409, "conflict", extra={"conflictingId": "abc"})


@get("/test/slow-down", exclude_from_auth=True, sync_to_thread=False)
def slow_down() -> None:
    raise rate_limited(42)


@get("/test/unavailable", exclude_from_auth=True, sync_to_thread=False)
def unavailable() -> None:
    raise ServiceUnavailableException(headers={"Retry-After": "5"})


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, max_request_body_bytes=BODY_LIMIT)


@pytest.fixture
def app(lent_apps: AppPool, settings: Settings, database_url: str, clock: Clock) -> Litestar:
    routes = (echo, only_for_admins, boom, domain_conflict, slow_down, unavailable)
    return lent_apps.lend(settings, database_url, clock, routes=routes)


async def test_validation_errors_name_camel_case_fields(client: httpx.AsyncClient) -> None:
    response = await client.post("/test/echo", json={"displayName": "", "seatCount": 1})
    assert response.status_code == 422
    body = problem(response)
    assert body["code"] == "validation_error"
    assert body["title"] == "输入有误"
    assert [e["field"] for e in body["errors"]] == ["displayName"]
    assert body["errors"][0]["message"]

    response = await client.post("/test/echo", json={"displayName": "x", "seatCount": "many"})
    assert [e["field"] for e in problem(response)["errors"]] == ["seatCount"]

    response = await client.post("/test/echo", json={"displayName": "x"}, headers=EN)
    body = problem(response)
    assert body["title"] == "Invalid input"
    assert body["errors"][0]["field"] == "seatCount"

    response = await client.post("/test/echo", json=["not", "an", "object"])
    assert problem(response)["code"] == "validation_error"

    ok = await client.post("/test/echo", json={"displayName": "x", "seatCount": 2})
    assert ok.json() == {"displayName": "x", "seatCount": 2}


@pytest.mark.parametrize(
    "raw", [b"{not json", b'{"displayName": "x", "seatCount": 1', b"\xff\xfe", b"nul\x00l"]
)
async def test_malformed_json_is_400_invalid_json(client: httpx.AsyncClient, raw: bytes) -> None:
    response = await client.post(
        "/test/echo", content=raw, headers={"Content-Type": "application/json", **EN}
    )
    assert response.status_code == 400
    body = problem(response)
    assert body["code"] == "invalid_json"
    assert body["title"] == "Malformed body"
    zh = await client.post("/test/echo", content=raw, headers={"Content-Type": "application/json"})
    assert problem(zh)["title"] == "请求体无法解析"


async def test_a_missing_body_is_a_validation_error(client: httpx.AsyncClient) -> None:
    response = await client.post("/test/echo", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert [e["field"] for e in problem(response)["errors"]] == ["body"]


async def test_no_or_bad_token_is_401(client: httpx.AsyncClient) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Token abc"},
        {"Authorization": "Bearer " + "a" * 5000},
    ):
        response = await client.get("/api/v1/me/notifications", headers={**headers, **EN})
        assert response.status_code == 401
        body = problem(response)
        assert body["code"] == "unauthorized"
        assert body["title"] == "Not authenticated"
        assert response.headers["www-authenticate"] == "Bearer"
    zh = await client.get("/api/v1/me/notifications")
    assert problem(zh)["title"] == "未登录或登录已失效"


async def test_a_role_without_the_right_is_403(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    resident = await make_user("resident")
    response = await client.get("/test/admin-only", headers={**resident.headers, **EN})
    assert response.status_code == 403
    body = problem(response)
    assert (body["code"], body["title"]) == ("forbidden", "Forbidden")
    assert problem(await client.get("/test/admin-only", headers=resident.headers))["title"] == (
        "没有权限"
    )
    admin = await make_user("admin")
    assert (await client.get("/test/admin-only", headers=admin.headers)).status_code == 200


async def test_unknown_paths_are_404(client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/nowhere", "/api/v2/programs", "/api/v1/programs/x/y"):
        response = await client.get(path, headers=EN)
        assert response.status_code == 404, path
        assert problem(response)["title"] == "Not found"


async def test_a_method_the_path_does_not_take_is_405(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/v1/programs", headers=EN)
    assert response.status_code == 405
    body = problem(response)
    assert (body["code"], body["title"]) == ("method_not_allowed", "Method not allowed")
    assert "GET" in response.headers["allow"]
    zh = await client.put("/api/v1/programs")
    assert problem(zh)["title"] == "不支持的请求方法"


async def test_a_body_over_the_limit_is_413(client: httpx.AsyncClient) -> None:
    big = {"displayName": "x", "seatCount": 1, "padding": "x" * BODY_LIMIT}
    response = await client.post("/test/echo", json=big, headers=EN)
    assert response.status_code == 413
    body = problem(response)
    assert (body["code"], body["title"]) == ("payload_too_large", "Payload too large")

    async def chunks() -> Any:
        # no Content-Length: the limit must hold for a streamed body too
        for _ in range(BODY_LIMIT // 512 + 2):
            yield b" " * 512

    streamed = await client.post(
        "/test/echo", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert problem(streamed)["title"] == "请求体过大"


async def test_429_carries_retry_after(client: httpx.AsyncClient) -> None:
    response = await client.get("/test/slow-down", headers=EN)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "42"
    body = problem(response)
    assert body["code"] == "rate_limited"
    assert body["title"] == "Too many requests"
    assert "42 seconds" in body["detail"]
    zh = problem(await client.get("/test/slow-down"))
    assert zh["title"] == "请求过于频繁"
    assert "42" in zh["detail"]


async def test_503_is_not_dressed_up_as_a_500(client: httpx.AsyncClient) -> None:
    response = await client.get("/test/unavailable", headers=EN)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    body = problem(response)
    assert (body["code"], body["title"]) == ("service_unavailable", "Service unavailable")


async def test_domain_errors_keep_their_code_and_extras(client: httpx.AsyncClient) -> None:
    response = await client.get("/test/domain-conflict", headers=EN)
    assert response.status_code == 409
    body = problem(response)
    assert body["code"] == "conflict"
    assert body["conflictingId"] == "abc"
    assert body["type"] == "urn:qiyou:problem:conflict"
    assert response.headers["content-language"] == "en"


async def test_a_500_leaks_nothing_and_is_logged_with_its_request_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="qiyou.errors"):
        response = await client.get("/test/boom", headers={"X-Request-ID": "req-test-500-0001"})
    assert response.status_code == 500
    body = problem(response)
    assert body["code"] == "internal_error"
    assert body["title"] == "服务器内部错误"
    assert body["requestId"] == "req-test-500-0001" == response.headers["x-request-id"]
    assert "req-test-500-0001" in body["detail"]
    for secret in ("SELECT", "password_hash", "13800000000", "RuntimeError", "Traceback", "boom"):
        assert secret not in response.text
    logged = [r for r in caplog.records if r.name == "qiyou.errors"]
    assert logged
    assert getattr(logged[0], "request_id", None) == "req-test-500-0001"
    assert logged[0].exc_info is not None

    en = await client.get("/test/boom", headers=EN)
    assert en.status_code == 500
    assert problem(en)["title"] == "Internal server error"
