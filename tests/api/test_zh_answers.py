"""A zh-CN caller reads Chinese throughout a problem answer: the field messages (msgspec's,
the password rules), and the values a detail quotes (a booking's status)."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from backend.core.clock import FrozenClock
from tests.api.hub_support import MONDAY, at, booked, make_hub
from tests.conftest import MakeUser, problem

ZH = {"Accept-Language": "zh-CN"}
ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


async def test_the_password_rules_are_in_chinese(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/password-reset",
        json={"phone": "13800000000", "smsCode": "123456", "newPassword": "1234"},
        headers=ZH,
    )
    body = problem(response)
    assert body["code"] == "weak_password"
    messages = [error["message"] for error in body["errors"]]
    assert "至少 8 个字符" in messages
    assert "不能全是数字" in messages
    assert not [m for m in messages if ENGLISH_WORD.search(m)]


async def test_validation_messages_are_in_chinese_and_english_on_request(
    client: httpx.AsyncClient,
) -> None:
    url = "/api/v1/events"
    zh = problem(await client.get(url, params={"audience": "aliens"}, headers=ZH))
    assert zh["errors"][0]["message"].startswith("不是可选的值")
    en = problem(
        await client.get(url, params={"audience": "aliens"}, headers={"Accept-Language": "en"})
    )
    assert en["errors"][0]["message"].startswith("Invalid enum value")


async def test_a_status_in_a_detail_is_a_chinese_word(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    hub = await make_hub(client, make_user, clock)
    resident = await make_user("resident")
    starts = at(MONDAY + timedelta(days=1), 10)
    booking = await booked(client, resident, hub.room_id, starts, starts + timedelta(hours=1))
    url = f"/api/v1/bookings/{booking['id']}/cancel"
    first = await client.post(url, json={}, headers=resident.headers)
    assert first.status_code == 200, first.text
    again = problem(await client.post(url, json={}, headers={**resident.headers, **ZH}))
    assert again["code"] == "invalid_status_transition"
    assert "「已取消」" in again["detail"]
    assert "cancelled" not in again["detail"]


async def test_a_worker_cancelling_without_a_reason_is_told_as_a_reject_is(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    hub = await make_hub(client, make_user, clock)
    resident = await make_user("resident")
    starts = at(MONDAY + timedelta(days=1), 10)
    booking = await booked(client, resident, hub.room_id, starts, starts + timedelta(hours=1))
    cancel = problem(
        await client.post(
            f"/api/v1/bookings/{booking['id']}/cancel", json={}, headers=hub.worker.headers
        )
    )
    reject = problem(
        await client.post(
            f"/api/v1/manage/bookings/{booking['id']}/reject", json={}, headers=hub.worker.headers
        )
    )
    assert cancel["code"] == "validation_error"
    assert [e["field"] for e in cancel["errors"]] == ["reason"]
    assert (reject["code"], [e["field"] for e in reject["errors"]]) == (
        cancel["code"],
        ["reason"],
    )
