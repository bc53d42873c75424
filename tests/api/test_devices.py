"""Devices and notification settings through HTTP (API.md "Background work, devices, push")."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.notifications.devices import MAX_DEVICES_PER_USER
from backend.notifications.models import Device
from tests.conftest import AppWith, problem, serve
from tests.factories import MakeUser

Sessions = async_sessionmaker[AsyncSession]
DEVICES = "/api/v1/me/devices"
SETTINGS = "/api/v1/me/notification-settings"


def _device(token: str, provider: str = "log", platform: str = "android") -> dict[str, str]:
    return {"platform": platform, "provider": provider, "token": token}


async def test_register_list_and_remove(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    resident = await make_user("resident")
    created = await client.post(
        DEVICES, json=_device("tok-1", platform="ios"), headers=resident.headers
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert set(body) == {"id", "platform", "provider", "createdAt"}
    assert (body["platform"], body["provider"]) == ("ios", "log")
    assert "token" not in body

    listed = await client.get(DEVICES, headers=resident.headers)
    assert listed.json() == [body]

    removed = await client.delete(f"{DEVICES}/{body['id']}", headers=resident.headers)
    assert removed.status_code == 204
    assert (await client.get(DEVICES, headers=resident.headers)).json() == []
    again = await client.delete(f"{DEVICES}/{body['id']}", headers=resident.headers)
    assert again.status_code == 404
    assert problem(again)["code"] == "not_found"


async def test_a_retried_registration_replays_its_first_answer(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    resident = await make_user("resident")
    keyed = {**resident.headers, "Idempotency-Key": "device-1"}
    first = await client.post(DEVICES, json=_device("retried-phone"), headers=keyed)
    again = await client.post(DEVICES, json=_device("retried-phone"), headers=keyed)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    other = await client.post(DEVICES, json=_device("another-phone"), headers=keyed)
    assert other.status_code == 422
    assert problem(other)["code"] == "idempotency_key_reused"
    assert len((await client.get(DEVICES, headers=resident.headers)).json()) == 1


async def test_the_same_token_again_moves_the_device_to_the_caller(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    first, second = await make_user("resident"), await make_user("worker")
    created = await client.post(DEVICES, json=_device("shared-phone"), headers=first.headers)
    assert created.status_code == 201

    # the same user again: known, 200, one device
    same = await client.post(DEVICES, json=_device("shared-phone"), headers=first.headers)
    assert same.status_code == 200, same.text
    assert same.json()["id"] == created.json()["id"]

    # another user (the phone handed on): 200, the device is theirs now, platform updated
    moved = await client.post(
        DEVICES, json=_device("shared-phone", platform="harmony"), headers=second.headers
    )
    assert moved.status_code == 200
    assert moved.json()["id"] == created.json()["id"]
    assert moved.json()["platform"] == "harmony"
    assert (await client.get(DEVICES, headers=first.headers)).json() == []
    assert [d["id"] for d in (await client.get(DEVICES, headers=second.headers)).json()] == [
        created.json()["id"]
    ]
    # the old owner can no longer remove it
    gone = await client.delete(f"{DEVICES}/{created.json()['id']}", headers=first.headers)
    assert gone.status_code == 404

    # a token of another provider is another device
    other = await client.post(
        DEVICES, json=_device("shared-phone", provider="log", platform="ios"), headers=first.headers
    )
    assert other.status_code == 200  # same provider and token: moved back


@pytest.mark.storm
async def test_a_token_registered_by_many_at_once_has_one_owner(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    users = [await make_user("resident") for _ in range(8)]
    answers = await asyncio.gather(
        *(client.post(DEVICES, json=_device("contested"), headers=u.headers) for u in users)
    )
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    async with db() as session:
        owners = (
            await session.scalars(select(Device.user_id).where(Device.token == "contested"))
        ).all()
    assert len(owners) == 1
    listed = [await client.get(DEVICES, headers=u.headers) for u in users]
    assert sum(len(r.json()) for r in listed) == 1


async def test_invalid_devices_are_refused(client: httpx.AsyncClient, make_user: MakeUser) -> None:
    resident = await make_user("resident")
    for bad in (
        _device("t", platform="windows"),
        _device("t", provider="fcm"),
        _device(""),
        _device("has space"),
        _device("x" * 513),
    ):
        response = await client.post(DEVICES, json=bad, headers=resident.headers)
        assert response.status_code == 422, bad
        assert problem(response)["code"] == "validation_error"


async def test_outside_production_every_provider_is_accepted(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    """A development build registers its real APNs/JPush token against a server without
    credentials: accepted (its pushes are skipped), so the app needs no special case."""
    resident = await make_user("resident")
    for provider in ("apns", "jpush"):
        response = await client.post(
            DEVICES, json=_device(f"t-{provider}", provider=provider), headers=resident.headers
        )
        assert response.status_code == 201, response.text


async def test_production_accepts_no_log_devices(
    app_with: AppWith, make_user: MakeUser, settings: Settings
) -> None:
    resident = await make_user("resident")
    production = replace(settings, env="production")
    assert not production.push_provider_available("log")
    configured = replace(production, jpush_app_key="k", jpush_master_secret="s")
    assert configured.push_provider_available("jpush")
    assert not configured.push_provider_available("apns")
    async with serve(app_with(env="production")) as http:
        for provider in ("log", "apns", "jpush"):
            response = await http.post(
                DEVICES, json=_device("t", provider=provider), headers=resident.headers
            )
            assert response.status_code == 422, provider
            assert problem(response)["errors"][0]["field"] == "provider"
    async with serve(
        app_with(env="production", jpush_app_key="k", jpush_master_secret="s")
    ) as http:
        taken = await http.post(
            DEVICES, json=_device("t", provider="jpush"), headers=resident.headers
        )
        assert taken.status_code == 201, taken.text


async def test_a_user_keeps_the_newest_devices(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    resident = await make_user("resident")
    for n in range(MAX_DEVICES_PER_USER + 2):
        response = await client.post(DEVICES, json=_device(f"many-{n}"), headers=resident.headers)
        assert response.status_code == 201
    listed = (await client.get(DEVICES, headers=resident.headers)).json()
    assert len(listed) == MAX_DEVICES_PER_USER


async def test_settings_default_then_replaced(
    client: httpx.AsyncClient, make_user: MakeUser, db: Sessions
) -> None:
    resident = await make_user("resident")
    first = await client.get(SETTINGS, headers=resident.headers)
    assert first.json() == {"push": True, "quietHours": None, "mutedKinds": []}

    wanted = {
        "push": True,
        "quietHours": {"from": "22:00", "to": "07:00"},
        "mutedKinds": ["event_reminder", "booking_reminder", "event_reminder"],
    }
    written = await client.put(SETTINGS, json=wanted, headers=resident.headers)
    assert written.status_code == 200, written.text
    expected = {**wanted, "mutedKinds": ["booking_reminder", "event_reminder"]}
    assert written.json() == expected
    assert (await client.get(SETTINGS, headers=resident.headers)).json() == expected

    off = {"push": False, "quietHours": None, "mutedKinds": []}
    assert (await client.put(SETTINGS, json=off, headers=resident.headers)).json() == off
    # another user is untouched
    other = await make_user("resident")
    assert (await client.get(SETTINGS, headers=other.headers)).json()["push"] is True
    async with db() as session:
        from backend.notifications.models import NotificationPreference

        rows = await session.scalar(select(func.count()).select_from(NotificationPreference))
    assert rows == 1


@pytest.mark.parametrize(
    "bad",
    [
        {"push": True, "quietHours": {"from": "24:00", "to": "07:00"}, "mutedKinds": []},
        {"push": True, "quietHours": {"from": "7:00", "to": "08:00"}, "mutedKinds": []},
        {"push": True, "quietHours": {"from": "22:00"}, "mutedKinds": []},
        {"push": True, "quietHours": None, "mutedKinds": ["Not A Kind"]},
        {"push": "yes", "quietHours": None, "mutedKinds": []},
        {"quietHours": None, "mutedKinds": []},
    ],
)
async def test_invalid_settings_are_refused(
    client: httpx.AsyncClient, make_user: MakeUser, bad: dict[str, object]
) -> None:
    resident = await make_user("resident")
    response = await client.put(SETTINGS, json=bad, headers=resident.headers)
    assert response.status_code == 422, response.text
    assert problem(response)["code"] == "validation_error"
