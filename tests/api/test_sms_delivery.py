"""SMS codes are sent by a job: Aliyun SMS against a local fake server, retries, the failed
state, the code encrypted in the job and never sent once it is no longer live."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import httpx
from litestar import Litestar
from pytest_httpserver import HTTPServer
from sqlalchemy import text
from werkzeug import Request, Response

from backend.app import create_app
from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.identity.sms import SMS_MAX_ATTEMPTS, SMS_TASK, aliyun_signature
from backend.jobs.testing import drain
from tests.api.push_support import Sessions
from tests.conftest import serve
from tests.factories import new_phone

URL = "/api/v1/auth/sms-codes"


def test_the_signature_is_aliyuns_documented_example() -> None:
    """The worked example of Aliyun's "签名机制" page for SendSms (signature version 1.0)."""
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun_signature("testSecret", "GET", params) == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def _aliyun(settings: Settings, server: HTTPServer) -> Settings:
    return replace(
        settings,
        sms_provider="aliyun",
        sms_access_key_id="LTAI-test",
        sms_access_key_secret="secret-of-test",
        sms_sign_name="七优",
        sms_template_code="SMS_000001",
        sms_url=server.url_for("/"),
        push_timeout_seconds=2.0,
    )


async def _sms_jobs(db: Sessions) -> list[tuple[str, str, int]]:
    async with db() as session:
        rows = await session.execute(
            text(
                "SELECT args::text, status::text, attempts FROM procrastinate_jobs "
                "WHERE task_name = :name ORDER BY id"
            ),
            {"name": SMS_TASK},
        )
        return [(a, s, n) for a, s, n in rows.all()]


def _recording(
    server: HTTPServer, answers: list[tuple[int, dict[str, Any]]]
) -> list[dict[str, str]]:
    seen: list[dict[str, str]] = []
    replies = iter(answers)

    def handler(request: Request) -> Response:
        seen.append(dict(parse_qsl(request.get_data(as_text=True))))
        status, body = next(replies)
        return Response(json.dumps(body), status, content_type="application/json")

    server.expect_request("/", method="POST").respond_with_handler(handler)
    return seen


OK = (200, {"Code": "OK", "Message": "OK", "BizId": "1", "RequestId": "r"})


async def test_the_request_answers_and_a_job_sends_through_aliyun(
    httpserver: HTTPServer, settings: Settings, database_url: str, clock: FrozenClock, db: Sessions
) -> None:
    seen = _recording(httpserver, [OK])
    aliyun = _aliyun(settings, httpserver)
    app: Litestar = create_app(aliyun, database_url=database_url, clock=clock)
    phone = new_phone()
    async with serve(app) as client:
        response = await client.post(URL, json={"phone": phone, "purpose": "register"})
        assert response.status_code == 202, response.text
        assert seen == []  # answered without waiting for the provider
        jobs = await _sms_jobs(db)
        assert len(jobs) == 1
        assert phone in jobs[0][0]
        await drain(app)
        assert len(seen) == 1
        sent = seen[0]
        code = json.loads(sent["TemplateParam"])["code"]
        assert code not in jobs[0][0]  # the job carried it encrypted
        assert (sent["PhoneNumbers"], sent["SignName"], sent["TemplateCode"]) == (
            phone,
            "七优",
            "SMS_000001",
        )
        signature = sent.pop("Signature")
        assert signature == aliyun_signature("secret-of-test", "POST", sent)
        # the code sent is the one the server accepts
        registered = await client.post(
            "/api/v1/auth/register",
            json={
                "phone": phone,
                "smsCode": code,
                "password": "correct-horse-9",
                "displayName": "测试",
            },
        )
        assert registered.status_code == 201, registered.text
    assert [status for _, status, _ in await _sms_jobs(db)] == ["succeeded"]


async def test_a_failing_provider_is_retried_then_the_job_is_failed(
    httpserver: HTTPServer, settings: Settings, database_url: str, clock: FrozenClock, db: Sessions
) -> None:
    down = (500, {"Code": "InternalError", "Message": "busy"})
    seen = _recording(httpserver, [down] * SMS_MAX_ATTEMPTS)
    app = create_app(_aliyun(settings, httpserver), database_url=database_url, clock=clock)
    async with serve(app) as client:
        response = await client.post(URL, json={"phone": new_phone(), "purpose": "register"})
        assert response.status_code == 202
        at = clock.now()
        for attempt in range(SMS_MAX_ATTEMPTS):
            await drain(app, now=at)
            assert len(seen) == attempt + 1
            at += timedelta(seconds=settings.job_retry_base_seconds * 2**attempt)
    assert [status for _, status, _ in await _sms_jobs(db)] == ["failed"]


async def test_throttled_then_sent(
    httpserver: HTTPServer, settings: Settings, database_url: str, clock: FrozenClock, db: Sessions
) -> None:
    throttled = (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"})
    seen = _recording(httpserver, [throttled, OK])
    app = create_app(_aliyun(settings, httpserver), database_url=database_url, clock=clock)
    async with serve(app) as client:
        await client.post(URL, json={"phone": new_phone(), "purpose": "register"})
        await drain(app)
        await drain(app, now=clock.now() + timedelta(seconds=settings.job_retry_base_seconds))
    assert len(seen) == 2
    assert [status for _, status, _ in await _sms_jobs(db)] == ["succeeded"]


async def test_a_code_replaced_before_it_was_sent_is_not_sent(
    httpserver: HTTPServer, settings: Settings, database_url: str, clock: FrozenClock, db: Sessions
) -> None:
    seen = _recording(httpserver, [OK, OK])
    app = create_app(_aliyun(settings, httpserver), database_url=database_url, clock=clock)
    phone = new_phone()
    async with serve(app) as client:
        await client.post(URL, json={"phone": phone, "purpose": "register"})
        clock.advance(seconds=61)
        await client.post(URL, json={"phone": phone, "purpose": "register"})
        await drain(app)
    # two jobs ran; only the live (second) code went out
    assert len(seen) == 1
    assert [status for _, status, _ in await _sms_jobs(db)] == ["succeeded", "succeeded"]


async def test_development_sends_through_the_console_and_keeps_the_outbox(
    app: Litestar, client: httpx.AsyncClient, db: Sessions, caplog: Any
) -> None:
    phone = new_phone()
    response = await client.post(URL, json={"phone": phone, "purpose": "register"})
    assert response.status_code == 202
    latest = await client.get("/api/v1/dev/sms-codes/latest", params={"phone": phone})
    code = latest.json()["code"]  # at once, before any worker ran
    caplog.set_level("INFO", logger="qiyou.sms")
    assert SMS_TASK in await drain(app)
    assert any(code in record.getMessage() for record in caplog.records)


async def test_production_without_a_provider_queues_nothing(
    production_settings: Settings, database_url: str, clock: FrozenClock, db: Sessions
) -> None:
    app = create_app(production_settings, database_url=database_url, clock=clock)
    async with serve(app) as client:
        response = await client.post(URL, json={"phone": new_phone(), "purpose": "register"})
    assert response.status_code == 503
    assert await _sms_jobs(db) == []
