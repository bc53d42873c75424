"""SMS codes: the per-phone rules (held by the database), delivery, and the dev outbox."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.app import create_app
from backend.config import Settings
from backend.core.clock import LOCAL_TZ, FrozenClock
from backend.identity.models import SmsCode
from tests.api.identity_support import send_code, serve
from tests.conftest import problem
from tests.factories import MakeUser, new_phone

URL = "/api/v1/auth/sms-codes"


async def _codes(db: async_sessionmaker[AsyncSession], phone: str) -> int:
    async with db() as session:
        count = await session.scalar(
            select(func.count()).select_from(SmsCode).where(SmsCode.phone == phone)
        )
    return int(count or 0)


async def test_code_is_sent_and_stored_only_hashed(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    phone = new_phone()
    response = await client.post(URL, json={"phone": f"+86 {phone}", "purpose": "register"})
    assert response.status_code == 202
    assert response.json() == {"expiresIn": 300, "resendAfter": 60}
    latest = await client.get("/api/v1/dev/sms-codes/latest", params={"phone": phone})
    code = latest.json()["code"]
    assert len(code) == 6
    assert code.isdigit()
    async with db() as session:
        row = (await session.execute(select(SmsCode).where(SmsCode.phone == phone))).scalar_one()
    assert code not in row.code_hash
    assert len(row.code_hash) == 64
    assert row.purpose == "register"


async def test_one_code_per_phone_per_minute(
    client: httpx.AsyncClient, clock: FrozenClock, db: async_sessionmaker[AsyncSession]
) -> None:
    phone = new_phone()
    await send_code(client, phone)
    clock.advance(seconds=20)
    again = await client.post(URL, json={"phone": phone, "purpose": "register"})
    body = problem(again)
    assert again.status_code == 429
    assert body["code"] == "sms_code_too_soon"
    assert again.headers["Retry-After"] == "40"
    # Another purpose is no way around it.
    other = await client.post(URL, json={"phone": phone, "purpose": "login"})
    assert other.status_code == 429
    assert await _codes(db, phone) == 1
    clock.advance(seconds=40)
    assert (await client.post(URL, json={"phone": phone, "purpose": "register"})).status_code == 202


async def test_a_new_code_replaces_the_previous_one(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    phone = new_phone()
    first = await send_code(client, phone)
    clock.advance(seconds=61)
    second = await send_code(client, phone)
    if first == second:
        pytest.skip("both random codes happened to be equal")
    stale = await client.post(
        "/api/v1/auth/register",
        json={"phone": phone, "smsCode": first, "password": "Canal-walk-2026", "displayName": "x"},
    )
    assert problem(stale)["code"] == "sms_code_invalid"


async def test_at_most_ten_codes_per_phone_per_shanghai_day(
    settings: Settings, database_url: str, db: async_sessionmaker[AsyncSession]
) -> None:
    import ipaddress

    # 08:00 in Shanghai, so that ten codes a minute apart stay on one local day.
    start = datetime(2026, 12, 1, 8, 0, tzinfo=LOCAL_TZ)
    clock = FrozenClock(start)
    behind_proxy = replace(settings, trusted_proxies=(ipaddress.ip_network("203.0.113.0/24"),))
    app = create_app(behind_proxy, database_url=database_url, clock=clock)
    phone = new_phone()
    # One address may ask for five of a phone's ten (the rate limit per phone and address), so
    # the phone's own daily rule is reached from three.
    first, second, third = ({"X-Forwarded-For": f"198.51.100.{n}"} for n in (1, 2, 3))
    async with serve(app) as client:
        for n in range(10):
            assert (
                await client.post(
                    URL,
                    json={"phone": phone, "purpose": "register"},
                    headers=first if n % 2 else second,
                )
            ).status_code == 202
            clock.advance(seconds=61)
        refused = await client.post(
            URL, json={"phone": phone, "purpose": "register"}, headers=third
        )
        assert refused.status_code == 429
        assert problem(refused)["code"] == "sms_daily_limit"
        midnight = datetime(2026, 12, 2, 0, 0, tzinfo=LOCAL_TZ)
        assert int(refused.headers["Retry-After"]) == int((midnight - clock.now()).total_seconds())
        # The day is Shanghai's: 23:59 local is still the same day, 00:00 is the next.
        clock.set(datetime(2026, 12, 1, 23, 59, tzinfo=LOCAL_TZ))
        assert (
            await client.post(URL, json={"phone": phone, "purpose": "login"}, headers=third)
        ).status_code == 429
        clock.set(midnight)
        assert (
            await client.post(URL, json={"phone": phone, "purpose": "register"}, headers=third)
        ).status_code == 202
    assert await _codes(db, phone) == 11


@pytest.mark.storm
async def test_parallel_requests_for_one_phone_send_one_code(
    client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    phone = new_phone()
    answers = await asyncio.gather(
        *(client.post(URL, json={"phone": phone, "purpose": "register"}) for _ in range(12))
    )
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [202] + [429] * 11
    assert await _codes(db, phone) == 1


async def test_register_code_for_a_taken_phone_is_409(
    client: httpx.AsyncClient, make_user: MakeUser, db: async_sessionmaker[AsyncSession]
) -> None:
    account = await make_user()
    response = await client.post(URL, json={"phone": account.phone, "purpose": "register"})
    assert response.status_code == 409
    assert problem(response)["code"] == "phone_taken"
    assert await _codes(db, account.phone) == 0


async def test_login_code_for_unknown_phone_looks_the_same_but_is_not_sent(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> None:
    known = await make_user()
    unknown = new_phone()

    async def ask(phone: str, purpose: str) -> httpx.Response:
        return await client.post(URL, json={"phone": phone, "purpose": purpose})

    async def outbox(phone: str) -> int:
        return (
            await client.get("/api/v1/dev/sms-codes/latest", params={"phone": phone})
        ).status_code

    for purpose in ("login", "reset_password"):
        a, b = await ask(known.phone, purpose), await ask(unknown, purpose)
        assert a.status_code == b.status_code == 202
        assert a.json() == b.json()
        assert await outbox(known.phone) == 200
        assert await outbox(unknown) == 404
        # The minute rule holds for both alike, so it reveals nothing either.
        assert (await ask(known.phone, purpose)).status_code == 429
        assert (await ask(unknown, purpose)).status_code == 429
        clock.advance(seconds=61)


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"phone": "12345", "purpose": "register"}, "invalid_phone", "phone"),
        ({"phone": "12800000000", "purpose": "register"}, "invalid_phone", "phone"),
        ({"phone": "1380000000a", "purpose": "login"}, "invalid_phone", "phone"),
        ({"phone": "13800000000", "purpose": "spam"}, "validation_error", "purpose"),
        ({"phone": "13800000000"}, "validation_error", "purpose"),
        ({"purpose": "login"}, "validation_error", "phone"),
        ({"phone": 13800000000, "purpose": "login"}, "validation_error", "phone"),
        ({"phone": "1" * 40, "purpose": "login"}, "validation_error", "phone"),
    ],
)
async def test_bad_requests_are_422_and_change_nothing(
    client: httpx.AsyncClient,
    db: async_sessionmaker[AsyncSession],
    body: dict[str, object],
    code: str,
    field: str,
) -> None:
    response = await client.post(URL, json=body)
    assert response.status_code == 422
    document = problem(response)
    assert document["code"] == code
    # A missing field is named in the message (the decoder reports the object, not the key).
    assert any(
        field in error["field"] or f"`{field}`" in error["message"] for error in document["errors"]
    ), document["errors"]
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(SmsCode)) == 0


async def test_malformed_json_is_a_400_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        URL, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    problem(response)


async def test_per_address_throttle_is_generous_but_exists(client: httpx.AsyncClient) -> None:
    # Thirty residents behind one carrier NAT may ask for codes in the same minute…
    for _ in range(30):
        assert (
            await client.post(URL, json={"phone": new_phone(), "purpose": "register"})
        ).status_code == 202
    # …the thirty-first request from that address in the minute is refused.
    refused = await client.post(URL, json={"phone": new_phone(), "purpose": "register"})
    assert refused.status_code == 429
    assert problem(refused)["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


async def test_forwarded_for_from_an_untrusted_peer_does_not_escape_the_throttle(
    client: httpx.AsyncClient,
) -> None:
    for n in range(30):
        await client.post(
            URL,
            json={"phone": new_phone(), "purpose": "register"},
            headers={"X-Forwarded-For": f"198.51.100.{n}"},
        )
    refused = await client.post(
        URL,
        json={"phone": new_phone(), "purpose": "register"},
        headers={"X-Forwarded-For": "198.51.100.200"},
    )
    assert refused.status_code == 429


async def test_forwarded_for_from_a_trusted_proxy_is_the_client(
    settings: Settings, database_url: str, clock: FrozenClock
) -> None:
    import ipaddress

    trusted = replace(settings, trusted_proxies=(ipaddress.ip_network("203.0.113.0/24"),))
    app = create_app(trusted, database_url=database_url, clock=clock)
    async with serve(app) as client:
        for _ in range(30):
            await client.post(
                URL,
                json={"phone": new_phone(), "purpose": "register"},
                headers={"X-Forwarded-For": "198.51.100.7"},
            )
        assert (
            await client.post(
                URL,
                json={"phone": new_phone(), "purpose": "register"},
                headers={"X-Forwarded-For": "198.51.100.7"},
            )
        ).status_code == 429
        # Another client behind the same proxy has its own allowance.
        assert (
            await client.post(
                URL,
                json={"phone": new_phone(), "purpose": "register"},
                headers={"X-Forwarded-For": "198.51.100.8"},
            )
        ).status_code == 202


async def test_switching_rate_limits_off_keeps_the_per_phone_business_rules(
    settings: Settings, database_url: str, clock: FrozenClock
) -> None:
    app = create_app(
        replace(settings, rate_limit_enabled=False), database_url=database_url, clock=clock
    )
    async with serve(app) as client:
        for _ in range(35):
            assert (
                await client.post(URL, json={"phone": new_phone(), "purpose": "register"})
            ).status_code == 202
        phone = new_phone()
        assert (
            await client.post(URL, json={"phone": phone, "purpose": "register"})
        ).status_code == 202
        assert (
            await client.post(URL, json={"phone": phone, "purpose": "register"})
        ).status_code == 429


async def test_dev_outbox_needs_a_valid_phone_and_knows_only_sent_codes(
    client: httpx.AsyncClient,
) -> None:
    assert (
        await client.get("/api/v1/dev/sms-codes/latest", params={"phone": new_phone()})
    ).status_code == 404
    bad = await client.get("/api/v1/dev/sms-codes/latest", params={"phone": "nope"})
    assert bad.status_code == 422
    missing = await client.get("/api/v1/dev/sms-codes/latest")
    assert missing.status_code in (400, 422)
    problem(missing)


async def test_dev_outbox_does_not_exist_in_production(
    production_settings: Settings, database_url: str, clock: FrozenClock
) -> None:
    app = create_app(production_settings, database_url=database_url, clock=clock)
    assert not any(route.path.startswith("/api/v1/dev") for route in app.routes)
    async with serve(app) as client:
        response = await client.get("/api/v1/dev/sms-codes/latest", params={"phone": "13800000000"})
        assert response.status_code == 404
        assert problem(response)["code"] == "not_found"


async def test_production_without_a_provider_refuses_to_pretend(
    production_settings: Settings,
    database_url: str,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
) -> None:
    app = create_app(production_settings, database_url=database_url, clock=clock)
    phone = new_phone()
    async with serve(app) as client:
        response = await client.post(URL, json={"phone": phone, "purpose": "register"})
    assert response.status_code == 503
    assert problem(response)["code"] == "sms_unavailable"
    # Nothing was issued, so the resident may retry at once when SMS is back.
    assert await _codes(db, phone) == 0


def test_console_backend_is_never_chosen_in_production(production_settings: Settings) -> None:
    from litestar.stores.memory import MemoryStore

    from backend.identity import sms

    assert isinstance(sms.sender_for(production_settings, MemoryStore()), sms.UnconfiguredSender)


# Old codes are deleted by housekeeping, not by issuing: tests/api/test_housekeeping.py.
