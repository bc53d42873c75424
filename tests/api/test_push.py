"""Pushing notifications: the providers against local fakes, muting, safety kinds, at most once.

The push job runs here as the queue runs it (``push.deliver`` with a job context); APNs is
faked with respx (HTTP/2 is the transport's business), JPush with a real local HTTP server.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import datetime
from typing import Any

import httpx
import jwt
import pytest
import respx
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from werkzeug import Request, Response

from backend.config import Settings
from backend.core.clock import LOCAL_TZ, FrozenClock
from backend.notifications.models import PushDelivery
from backend.notifications.push import PushesFailedError
from tests.api.push_support import (
    Sessions,
    add_device,
    apns_key,
    device_ids,
    notify,
    run_push,
    with_apns,
    with_jpush,
)
from tests.factories import MakeUser

APNS = "https://apns.test"


async def _deliveries(db: Sessions) -> int:
    async with db() as session:
        return int(await session.scalar(select(func.count()).select_from(PushDelivery)) or 0)


# ---- the log provider and the dev route --------------------------------------------------


async def test_log_pushes_are_listed_by_the_dev_route(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
) -> None:
    resident = await make_user("resident")
    registered = await client.post(
        "/api/v1/me/devices",
        json={"platform": "android", "provider": "log", "token": "dev-token-1"},
        headers=resident.headers,
    )
    assert registered.status_code == 201
    ids = await notify(db, [resident.id], name="王阿姨")
    await run_push(settings, db, clock, ids)

    pushes = await client.get("/api/v1/dev/pushes", params={"token": "dev-token-1"})
    assert pushes.status_code == 200
    items = pushes.json()["items"]
    assert len(items) == 1
    assert items[0]["kind"] == "test_push"
    assert items[0]["title"] == "推送测试"
    assert items[0]["body"] == "给王阿姨的推送。"
    assert items[0]["data"] == {"name": "王阿姨", "notificationId": str(ids[0])}
    assert datetime.fromisoformat(items[0]["sentAt"]) == clock.now()

    # the job run again (a retry, a duplicate): nothing is pushed twice
    await run_push(settings, db, clock, ids, attempt=2)
    again = await client.get("/api/v1/dev/pushes", params={"token": "dev-token-1"})
    assert len(again.json()["items"]) == 1
    # another token saw nothing
    other = await client.get("/api/v1/dev/pushes", params={"token": "unknown"})
    assert other.json() == {"items": []}


async def test_the_dev_route_does_not_exist_in_production(
    app_with: Any, production_settings: Settings
) -> None:
    from tests.conftest import serve

    async with serve(app_with(env="production")) as http:
        response = await http.get("/api/v1/dev/pushes", params={"token": "t"})
    assert response.status_code == 404


async def test_muted_kinds_and_push_off_are_not_pushed(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
) -> None:
    muted, off, plain = [await make_user("resident") for _ in range(3)]
    for who, token in ((muted, "m"), (off, "o"), (plain, "p")):
        await add_device(db, who.id, "log", f"mute-{token}")
    await client.put(
        "/api/v1/me/notification-settings",
        json={"push": True, "quietHours": None, "mutedKinds": ["test_push"]},
        headers=muted.headers,
    )
    await client.put(
        "/api/v1/me/notification-settings",
        json={"push": False, "quietHours": None, "mutedKinds": []},
        headers=off.headers,
    )
    ids = await notify(db, [muted.id, off.id, plain.id])
    await run_push(settings, db, clock, ids)

    async def pushed(token: str) -> int:
        response = await client.get("/api/v1/dev/pushes", params={"token": token})
        return len(response.json()["items"])

    assert (await pushed("mute-m"), await pushed("mute-o"), await pushed("mute-p")) == (0, 0, 1)
    # the inbox is filled all the same
    inbox = await client.get("/api/v1/me/notifications", headers=muted.headers)
    assert len(inbox.json()["items"]) == 1


async def test_safety_alerts_are_pushed_inside_quiet_hours(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
) -> None:
    # The kind's texts are eldercare's (backend/eldercare/messages.py).
    resident = await make_user("resident")
    await add_device(db, resident.id, "log", "night-phone")
    await client.put(
        "/api/v1/me/notification-settings",
        json={"push": True, "quietHours": {"from": "22:00", "to": "07:00"}, "mutedKinds": []},
        headers=resident.headers,
    )
    clock.set(datetime(2026, 12, 3, 23, 30, tzinfo=LOCAL_TZ))
    ids = await notify(db, [resident.id], kind="care_check_in_missed", name="李大爷")
    await run_push(settings, db, clock, ids)
    items = (await client.get("/api/v1/dev/pushes", params={"token": "night-phone"})).json()[
        "items"
    ]
    assert [item["kind"] for item in items] == ["care_check_in_missed"]


# ---- APNs (HTTP/2, token authentication) --------------------------------------------------


async def test_apns_success_with_a_valid_provider_token(
    make_user: MakeUser, db: Sessions, settings: Settings, clock: FrozenClock
) -> None:
    pem, public = apns_key()
    apns = with_apns(settings, pem, APNS)
    resident = await make_user("resident")
    await add_device(db, resident.id, "apns", "a" * 64)
    ids = await notify(db, [resident.id], name="张先生")

    with respx.mock(assert_all_called=True) as fake:
        route = fake.post(f"{APNS}/3/device/{'a' * 64}").respond(200)
        await run_push(apns, db, clock, ids)
    request = route.calls.last.request
    assert request.headers["apns-topic"] == "cn.gaozhao.qiyou"
    assert request.headers["apns-push-type"] == "alert"
    scheme, _, token = request.headers["authorization"].partition(" ")
    assert scheme == "bearer"
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": "KEY1234567", "typ": "JWT"}
    claims = jwt.decode(token, public, algorithms=["ES256"])
    assert claims["iss"] == "TEAM123456"
    body = json.loads(request.content)
    assert body["aps"]["alert"] == {"title": "推送测试", "body": "给张先生的推送。"}
    assert body["kind"] == "test_push"
    assert body["data"]["notificationId"] == str(ids[0])
    assert route.call_count == 1


@pytest.mark.parametrize(("status", "reason"), [(410, "Unregistered"), (400, "BadDeviceToken")])
async def test_apns_unregistered_removes_the_device(
    make_user: MakeUser,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    status: int,
    reason: str,
) -> None:
    pem, _ = apns_key()
    apns = with_apns(settings, pem, APNS)
    resident = await make_user("resident")
    gone = await add_device(db, resident.id, "apns", "b" * 64)
    kept = await add_device(db, resident.id, "apns", "c" * 64)
    ids = await notify(db, [resident.id])
    with respx.mock() as fake:
        fake.post(f"{APNS}/3/device/{'b' * 64}").respond(status, json={"reason": reason})
        fake.post(f"{APNS}/3/device/{'c' * 64}").respond(200)
        await run_push(apns, db, clock, ids)
    assert await device_ids(db, resident.id) == [kept]
    assert gone not in await device_ids(db, resident.id)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503, json={"reason": "ServiceUnavailable"}),
        httpx.Response(500, json={"reason": "InternalServerError"}),
        httpx.Response(429, json={"reason": "TooManyRequests"}),
        httpx.ConnectTimeout("connect timed out"),
        httpx.ReadTimeout("read timed out"),
    ],
    ids=["503", "500", "429", "connect-timeout", "read-timeout"],
)
async def test_apns_failures_are_retried_and_each_device_gets_it_once(
    make_user: MakeUser,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
    failure: httpx.Response | Exception,
) -> None:
    pem, _ = apns_key()
    apns = with_apns(settings, pem, APNS)
    resident = await make_user("resident")
    await add_device(db, resident.id, "apns", "d" * 64)
    await add_device(db, resident.id, "apns", "e" * 64)
    ids = await notify(db, [resident.id])

    with respx.mock() as fake:
        healthy = fake.post(f"{APNS}/3/device/{'d' * 64}").respond(200)
        flaky = fake.post(f"{APNS}/3/device/{'e' * 64}")
        flaky.side_effect = [failure, httpx.Response(200)]
        # the first attempt: one device done, the other failed → the job fails (the queue
        # retries it with backoff) and releases only the failed claim
        with pytest.raises(PushesFailedError):
            await run_push(apns, db, clock, ids, attempt=1)
        assert await _deliveries(db) == 1
        # the retry pushes to the failed device only
        await run_push(apns, db, clock, ids, attempt=2)
        # and a third run (a duplicate job) pushes nothing
        await run_push(apns, db, clock, ids, attempt=3)
    assert healthy.call_count == 1
    assert flaky.call_count == 2
    assert len(await device_ids(db, resident.id)) == 2


async def test_apns_expired_provider_token_is_renewed_on_retry(
    make_user: MakeUser, db: Sessions, settings: Settings, clock: FrozenClock
) -> None:
    pem, _ = apns_key()
    apns = with_apns(settings, pem, APNS)
    resident = await make_user("resident")
    await add_device(db, resident.id, "apns", "f" * 64)
    ids = await notify(db, [resident.id])
    with respx.mock() as fake:
        route = fake.post(f"{APNS}/3/device/{'f' * 64}")
        route.side_effect = [
            httpx.Response(403, json={"reason": "ExpiredProviderToken"}),
            httpx.Response(200),
        ]
        with pytest.raises(PushesFailedError):
            await run_push(apns, db, clock, ids)
        await run_push(apns, db, clock, ids, attempt=2)
    assert route.call_count == 2


# ---- JPush (REST API v3) against a local HTTP server ----------------------------------------


def _jpush(httpserver: HTTPServer, settings: Settings) -> Settings:
    return with_jpush(settings, httpserver.url_for("/v3/push"))


async def test_jpush_success(
    httpserver: HTTPServer,
    make_user: MakeUser,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
) -> None:
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return Response(json.dumps({"sendno": "0", "msg_id": "123"}), 200)

    httpserver.expect_request("/v3/push", method="POST").respond_with_handler(handler)
    resident = await make_user("resident")
    await add_device(db, resident.id, "jpush", "1a0018970a8b2f3c")
    ids = await notify(db, [resident.id], name="赵女士")
    await run_push(_jpush(httpserver, settings), db, clock, ids)

    assert len(seen) == 1
    import base64

    assert (
        seen[0].headers["Authorization"]
        == "Basic " + base64.b64encode(b"appkey123:secret456").decode()
    )
    body = json.loads(seen[0].get_data())
    assert body["audience"] == {"registration_id": ["1a0018970a8b2f3c"]}
    assert body["notification"]["android"]["title"] == "推送测试"
    assert body["notification"]["android"]["alert"] == "给赵女士的推送。"
    assert body["notification"]["android"]["extras"]["data"]["notificationId"] == str(ids[0])


async def test_jpush_invalid_registration_id_removes_the_device(
    httpserver: HTTPServer,
    make_user: MakeUser,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
) -> None:
    httpserver.expect_request("/v3/push", method="POST").respond_with_json(
        {"error": {"code": 1011, "message": "cannot find user by this audience"}}, status=400
    )
    resident = await make_user("resident")
    await add_device(db, resident.id, "jpush", "stale-registration")
    ids = await notify(db, [resident.id])
    await run_push(_jpush(httpserver, settings), db, clock, ids)
    assert await device_ids(db, resident.id) == []


async def test_jpush_5xx_and_timeouts_are_retried_once_per_device(
    httpserver: HTTPServer,
    make_user: MakeUser,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
) -> None:
    answers = iter(["500", "slow", "ok", "ok"])
    calls: list[str] = []
    slow_answered = threading.Event()

    def handler(request: Request) -> Response:
        answer = next(answers)
        calls.append(answer)
        if answer == "500":
            return Response('{"error": {"code": 1000, "message": "server error"}}', 500)
        if answer == "slow":
            time.sleep(0.6)  # beyond the client's timeout below
            slow_answered.set()
        return Response('{"sendno": "0", "msg_id": "1"}', 200)

    httpserver.expect_request("/v3/push", method="POST").respond_with_handler(handler)
    from dataclasses import replace

    jpush = replace(_jpush(httpserver, settings), push_timeout_seconds=0.3)
    resident = await make_user("resident")
    await add_device(db, resident.id, "jpush", "retry-me")
    ids = await notify(db, [resident.id])
    with pytest.raises(PushesFailedError):
        await run_push(jpush, db, clock, ids, attempt=1)
    with pytest.raises(PushesFailedError):
        await run_push(jpush, db, clock, ids, attempt=2)
    # The test server answers one request at a time: the retry sent while it still sleeps on the
    # timed-out one would wait for it and time out too (it did, when the retry came quickly).
    assert await asyncio.to_thread(slow_answered.wait, 10)
    await run_push(jpush, db, clock, ids, attempt=3)
    await run_push(jpush, db, clock, ids, attempt=4)  # a duplicate: nothing more
    assert calls == ["500", "slow", "ok"]
    assert await _deliveries(db) == 1


async def test_a_push_for_many_users_is_one_claim_statement(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    db: Sessions,
    settings: Settings,
    clock: FrozenClock,
) -> None:
    users = [await make_user("resident") for _ in range(5)]
    for n, who in enumerate(users):
        await add_device(db, who.id, "log", f"many-{n}")
    ids = await notify(db, [u.id for u in users])
    await run_push(settings, db, clock, ids)
    assert await _deliveries(db) == 5
    for n in range(5):
        got = await client.get("/api/v1/dev/pushes", params={"token": f"many-{n}"})
        assert len(got.json()["items"]) == 1


async def test_the_job_statements_take_more_ids_than_a_statement_has_parameters(
    db: Sessions,
) -> None:
    """One array parameter per list: 40,000 ids (beyond asyncpg's 32,767 parameters) run."""
    from uuid import uuid4

    from sqlalchemy import update

    from backend.notifications.push import _pairs, _plan_query

    ids = [uuid4() for _ in range(40_000)]
    async with db() as session, session.begin():
        assert (await session.execute(_plan_query(ids))).all() == []
        pair = PushDelivery.notification_id, PushDelivery.device_id
        from sqlalchemy import tuple_

        await session.execute(
            update(PushDelivery)
            .where(tuple_(*pair).in_(_pairs(list(zip(ids, ids, strict=True)))))
            .values(outcome="sent")
        )
