"""Limits that are fair: no targeted lockout, windows that reset, a true Retry-After, throttled
verification without an oracle, and a generous per-account limit on ordinary writes."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace

import httpx
import pytest
from litestar import Litestar

from backend.app import create_app
from backend.config import Settings
from backend.core.clock import FrozenClock
from tests.api.identity_support import serve
from tests.conftest import problem, running
from tests.factories import Account, MakeUser, id_number, new_phone
from tests.limits_support import DrivenTime, limits_time

__all__ = ["limits_time"]

LOGIN = "/api/v1/auth/login"
SMS = "/api/v1/auth/sms-codes"
SMS_LOGIN = "/api/v1/auth/login/sms"
VERIFY = "/api/v1/me/verification"
ATTACKER, VICTIM = "198.51.100.66", "203.0.113.20"


@pytest.fixture
def limited_app(settings: Settings, database_url: str, clock: FrozenClock) -> Litestar:
    return create_app(settings, database_url=database_url, clock=clock)


@asynccontextmanager
async def peers(app: Litestar) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """Clients of one running app, each calling from its own address."""
    async with running(app), AsyncExitStack() as stack:
        made: dict[str, httpx.AsyncClient] = {}

        def client(address: str) -> httpx.AsyncClient:
            if address not in made:
                transport = httpx.ASGITransport(app=app, client=(address, 50000))
                made[address] = httpx.AsyncClient(
                    transport=transport, base_url="http://testserver", timeout=60
                )
                stack.push_async_callback(made[address].aclose)
            return made[address]

        yield client


async def _fail(client: httpx.AsyncClient, phone: str) -> httpx.Response:
    return await client.post(LOGIN, json={"phone": phone, "password": "bad-guess-1"})


async def test_an_attacker_elsewhere_cannot_lock_a_resident_out(
    limited_app: Litestar, make_user: MakeUser, clock: FrozenClock
) -> None:
    victim = await make_user()
    async with peers(limited_app) as client:
        attacker, resident = client(ATTACKER), client(VICTIM)
        # Wrong passwords well past every ceiling…
        answers = [(await _fail(attacker, victim.phone)).status_code for _ in range(40)]
        assert answers == [401] * 5 + [429] * 35
        # …and SMS codes for the victim's phone until this address gets no more.
        sent = 0
        for _ in range(12):
            response = await attacker.post(SMS, json={"phone": victim.phone, "purpose": "login"})
            if response.status_code != 202:
                assert response.status_code == 429
                assert problem(response)["code"] == "sms_daily_limit"
                break
            sent += 1
            clock.advance(seconds=61)
        assert sent == 5
        good = {"phone": victim.phone, "password": victim.password}
        assert (await resident.post(LOGIN, json=good)).status_code == 200
        # The SMS login is not used up for the day either.
        clock.advance(seconds=61)
        code = await resident.post(SMS, json={"phone": victim.phone, "purpose": "login"})
        assert code.status_code == 202
        # The attacker's own address stays refused.
        refused = await _fail(attacker, victim.phone)
        assert refused.status_code == 429
        assert problem(refused)["code"] == "login_throttled"


async def test_a_phones_spent_sms_quota_never_blocks_its_password_login(
    limited_app: Litestar, make_user: MakeUser, clock: FrozenClock
) -> None:
    victim = await make_user()
    async with peers(limited_app) as client:
        # Two addresses together use up the phone's ten codes of the day (the database rule).
        for n in range(10):
            sent = await client(f"198.51.100.{n % 2}").post(
                SMS, json={"phone": victim.phone, "purpose": "login"}
            )
            assert sent.status_code == 202
            clock.advance(seconds=61)
        spent = await client(VICTIM).post(SMS, json={"phone": victim.phone, "purpose": "login"})
        assert spent.status_code == 429
        assert problem(spent)["code"] == "sms_daily_limit"
        good = {"phone": victim.phone, "password": victim.password}
        assert (await client(VICTIM).post(LOGIN, json=good)).status_code == 200


async def test_failures_from_many_addresses_bring_growing_delays_not_a_lock(
    limited_app: Litestar, make_user: MakeUser, limits_time: DrivenTime
) -> None:
    victim = await make_user()
    addresses = iter(f"198.51.100.{n}" for n in range(1, 250))
    peer = next(addresses)
    async with peers(limited_app) as client:
        await _many_addresses(client, victim, limits_time, addresses, peer)


async def _many_addresses(
    client: Callable[[str], httpx.AsyncClient],
    victim: Account,
    limits_time: DrivenTime,
    addresses: Iterator[str],
    peer: str,
) -> None:
    failures_here = 0
    waits: list[int] = []
    while len(waits) < 6:
        answer = await _fail(client(peer), victim.phone)
        if answer.status_code == 401:
            limits_time.advance(0.25)
            failures_here += 1
            if failures_here == 5:
                # This address has used its own allowance: the attacker moves to another.
                peer, failures_here = next(addresses), 0
            continue
        assert answer.status_code == 429
        assert problem(answer)["code"] == "login_throttled"
        wait = int(answer.headers["Retry-After"])
        waits.append(wait)
        # True to the second: still refused a second before, let in (to fail) on time.
        limits_time.advance(wait - 1)
        assert (await _fail(client(peer), victim.phone)).status_code == 429
        limits_time.advance(1)
    # Each rung of the ladder about doubles the wait: 1, 1, 2, 4, 8, 16 minutes; the top rung
    # (20 failures in 32 minutes) bounds what any number of addresses can try.
    assert waits[0] <= 60, waits
    assert all(later >= 2 * earlier - 2 for earlier, later in itertools.pairwise(waits[1:]))
    assert 15 * 60 <= waits[-1] <= 16 * 60, waits
    # Not a lock: once the wait is over, the resident's right password gets in, from anywhere.
    resident = client(VICTIM)
    good = {"phone": victim.phone, "password": victim.password}
    assert (await resident.post(LOGIN, json=good)).status_code == 200
    # …and the delays end with it.
    assert (await _fail(resident, victim.phone)).status_code == 401


async def test_a_login_refusal_lasts_exactly_its_retry_after(
    limited_app: Litestar, make_user: MakeUser, limits_time: DrivenTime
) -> None:
    account = await make_user()
    async with serve(limited_app) as client:
        for _ in range(5):
            assert (await _fail(client, account.phone)).status_code == 401
            limits_time.advance(30.25)
        refused = await _fail(client, account.phone)
        assert refused.status_code == 429
        wait = int(refused.headers["Retry-After"])
        # The first failure leaves the 15-minute window 900 - 5 × 30.25 = 748.75 s from now.
        assert wait == 749
        limits_time.advance(wait - 1)
        good = {"phone": account.phone, "password": account.password}
        assert (await client.post(LOGIN, json=good)).status_code == 429
        limits_time.advance(1)
        assert (await client.post(LOGIN, json=good)).status_code == 200


async def test_steady_sms_traffic_from_one_address_is_not_refused_forever(
    limited_app: Litestar, limits_time: DrivenTime
) -> None:
    """One request a second for three minutes against 30 a minute from one address."""
    accepted_per_minute = [0, 0, 0]
    waits = []
    async with serve(limited_app) as client:
        for second in range(180):
            response = await client.post(SMS, json={"phone": new_phone(), "purpose": "register"})
            if response.status_code == 202:
                accepted_per_minute[second // 60] += 1
            else:
                assert response.status_code == 429
                assert problem(response)["code"] == "rate_limited"
                waits.append(int(response.headers["Retry-After"]))
            limits_time.advance(1)
        assert accepted_per_minute[0] == 30
        assert all(count >= 29 for count in accepted_per_minute[1:]), accepted_per_minute
        # Retry-After counts down with the window, it does not jump back to a full minute.
        assert all(1 <= wait <= 31 for wait in waits), waits
        # And it is true: after waiting it the next request is in, one second earlier it is not.
        while True:
            response = await client.post(SMS, json={"phone": new_phone(), "purpose": "register"})
            if response.status_code == 429:
                break
        wait = int(response.headers["Retry-After"])
        limits_time.advance(wait - 1)
        early = await client.post(SMS, json={"phone": new_phone(), "purpose": "register"})
        assert early.status_code == 429
        limits_time.advance(1)
        on_time = await client.post(SMS, json={"phone": new_phone(), "purpose": "register"})
        assert on_time.status_code == 202


async def test_one_address_gets_five_codes_a_day_for_a_phone(
    limited_app: Litestar, clock: FrozenClock, limits_time: DrivenTime
) -> None:
    phone = new_phone()
    async with peers(limited_app) as peer:
        client = peer(ATTACKER)
        for _ in range(5):
            sent = await client.post(SMS, json={"phone": phone, "purpose": "register"})
            assert sent.status_code == 202
            clock.advance(seconds=61)
            limits_time.advance(61)
        refused = await client.post(SMS, json={"phone": phone, "purpose": "register"})
        assert refused.status_code == 429
        assert problem(refused)["code"] == "sms_daily_limit"
        # A day after the first of them.
        assert int(refused.headers["Retry-After"]) == 24 * 3600 - 5 * 61
        sent = await peer(VICTIM).post(SMS, json={"phone": phone, "purpose": "register"})
        assert sent.status_code == 202


async def test_verification_is_throttled_per_account(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    holder, prober = await make_user(), await make_user()
    taken = id_number("33040219900301123")
    body = {"realName": "张三丰", "idNumber": taken}
    assert (await client.post(VERIFY, json=body, headers=holder.headers)).status_code == 200
    # Typos teach nothing and are not counted.
    for _ in range(6):
        typo = await client.post(
            VERIFY,
            json={"realName": "张三丰", "idNumber": "330402199003011230"},
            headers=prober.headers,
        )
        assert typo.status_code == 422
    for _ in range(5):
        assert (await client.post(VERIFY, json=body, headers=prober.headers)).status_code == 409
    refused = await client.post(VERIFY, json=body, headers=prober.headers)
    assert refused.status_code == 429
    assert problem(refused)["code"] == "rate_limited"
    assert 3590 <= int(refused.headers["Retry-After"]) <= 3600
    # Another account has its own allowance.
    other = await make_user()
    assert (await client.post(VERIFY, json=body, headers=other.headers)).status_code == 409


async def test_a_taken_id_number_is_not_named_as_registered(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    holder, prober = await make_user(), await make_user()
    taken = id_number("33040219900301123")
    await client.post(
        VERIFY, json={"realName": "张三丰", "idNumber": taken}, headers=holder.headers
    )
    for language in ("en", "zh-CN"):
        answer = await client.post(
            VERIFY,
            json={"realName": "李四", "idNumber": taken},
            headers={**prober.headers, "Accept-Language": language},
        )
        assert answer.status_code == 409
        document = problem(answer)
        assert document["code"] == "verification_failed"
        text = answer.text.lower()
        for word in ("taken", "another account", "other account", "bound", "registered", "绑定"):
            assert word not in text, word
        assert taken not in answer.text


async def test_ordinary_writes_have_a_generous_limit_per_account(
    client: httpx.AsyncClient, make_user: MakeUser
) -> None:
    busy, calm = await make_user(), await make_user()
    for n in range(120):
        changed = await client.patch(
            "/api/v1/me", json={"displayName": f"居民{n}"}, headers=busy.headers
        )
        assert changed.status_code == 200, changed.text
    refused = await client.patch("/api/v1/me", json={"displayName": "x"}, headers=busy.headers)
    assert refused.status_code == 429
    assert problem(refused)["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # One allowance for all the account's identity writes…
    member = {"name": "王奶奶", "relation": "mother", "birthDate": "1950-01-01", "gender": "female"}
    added = await client.post("/api/v1/me/members", json=member, headers=busy.headers)
    assert added.status_code == 429
    # …reads are not counted, and other accounts have their own.
    assert (await client.get("/api/v1/me", headers=busy.headers)).status_code == 200
    added = await client.post("/api/v1/me/members", json=member, headers=calm.headers)
    assert added.status_code == 201, added.text


async def test_switched_off_limits_refuse_nothing(
    settings: Settings, database_url: str, clock: FrozenClock, make_user: MakeUser
) -> None:
    app = create_app(
        replace(settings, rate_limit_enabled=False), database_url=database_url, clock=clock
    )
    holder, prober = await make_user(), await make_user()
    body = {"realName": "张三丰", "idNumber": id_number("33040219900301123")}
    async with serve(app) as client:
        assert (await client.post(VERIFY, json=body, headers=holder.headers)).status_code == 200
        for _ in range(8):
            answer = await client.post(VERIFY, json=body, headers=prober.headers)
            assert answer.status_code == 409
        for _ in range(125):
            changed = await client.patch(
                "/api/v1/me", json={"displayName": "居民"}, headers=prober.headers
            )
            assert changed.status_code == 200
