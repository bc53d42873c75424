"""The registration rules (``backend.events.rules``), each refused on every way of registering.

A registration is decided in one of two statements — the resident alone, or with household
members — and each request may carry an ``Idempotency-Key`` (then it runs in the request's
transaction) or not (the resident alone then commits on its own). Every rule of ``RULES`` is
broken here on all four, and nothing may be stored. ``REFUSALS`` names one way to break each
rule; a rule added without one fails ``test_every_rule_has_a_refusal``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.clock import FrozenClock
from backend.events.rules import RULES, born_by
from tests import factories
from tests.api.events_support import iso, years_ago
from tests.conftest import problem
from tests.factories import Account, MakeUser, published


@dataclass(frozen=True)
class Refusal:
    """An event (its fields beside the defaults) that refuses ``seats`` with ``code``, to the
    resident alone and with a member aged ``MEMBER_AGE``."""

    code: str
    seats: int = 1
    event: Callable[[FrozenClock], dict[str, Any]] = field(default=lambda _: {})


REFUSALS: dict[str, Refusal] = {
    "registration_open": Refusal(
        "registration_closed",
        event=lambda clock: {
            "registrationOpensAt": iso(clock.now() + timedelta(hours=1)),
            "registrationClosesAt": iso(clock.now() + timedelta(hours=2)),
        },
    ),
    "seats_allowed": Refusal(
        "too_many_seats", seats=3, event=lambda _: {"maxSeatsPerRegistration": 2}
    ),
    # An unverified resident and a 40-year-old member: nobody known to be 60 or older.
    "audience_met": Refusal("audience_mismatch", seats=2, event=lambda _: {"audience": "elderly"}),
}
MEMBER_AGE = 40


def test_every_rule_has_a_refusal() -> None:
    assert set(REFUSALS) == {rule.name for rule in RULES}


async def _registrations(client: httpx.AsyncClient, resident: Account) -> list[Any]:
    answer = await client.get("/api/v1/me/registrations", headers=resident.headers)
    items: list[Any] = answer.json()["items"]
    return items


@pytest.mark.parametrize("keyed", [False, True], ids=["no-key", "idempotency-key"])
@pytest.mark.parametrize("with_member", [False, True], ids=["alone", "with-member"])
@pytest.mark.parametrize("rule", sorted(REFUSALS))
async def test_each_rule_refuses_on_every_way(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
    rule: str,
    with_member: bool,
    keyed: bool,
) -> None:
    refusal = REFUSALS[rule]
    staff = await make_user("staff")
    resident = await make_user()
    event = await published(client, staff.headers, clock, **refusal.event(clock))
    members = []
    if with_member:
        member = await factories.add_member(db, resident.id, "家人", years_ago(clock, MEMBER_AGE))
        members.append(str(member))
    headers = dict(resident.headers)
    if keyed:
        headers["Idempotency-Key"] = f"refused-{rule}"
    answer = await client.post(
        f"/api/v1/events/{event['id']}/registrations",
        json={"seats": refusal.seats, "memberIds": members},
        headers=headers,
    )
    assert answer.status_code == 422, answer.text
    assert problem(answer)["code"] == refusal.code
    assert await _registrations(client, resident) == []
    after = (await client.get(f"/api/v1/events/{event['id']}")).json()
    assert (after["seatsLeft"], after["waitlistLength"]) == (event["seatsLeft"], 0)


async def test_an_audience_rule_binds_the_resident_alone_too(
    client: httpx.AsyncClient,
    make_user: MakeUser,
    clock: FrozenClock,
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    """The one-statement way once skipped the audience rule for open audiences and sent the
    others the long way; now it evaluates the rule, knowing no age, and the long way learns
    the resident's: a verified elder alone gets in, either way."""
    staff = await make_user("staff")
    elder = await make_user()
    await factories.verify_birth(db, settings, elder.id, years_ago(clock, 70))
    for keyed in (False, True):
        event = await published(client, staff.headers, clock, audience="elderly")
        headers = {**elder.headers, **({"Idempotency-Key": "elder"} if keyed else {})}
        answer = await client.post(
            f"/api/v1/events/{event['id']}/registrations",
            json={"seats": 1, "memberIds": []},
            headers=headers,
        )
        assert answer.status_code == 201, answer.text
        assert answer.json()["status"] == "confirmed"


ReachesAge = Callable[[date, date, int], Awaitable[bool]]


@pytest.fixture
def reaches_age(db: async_sessionmaker[AsyncSession]) -> ReachesAge:
    async def reaches(birth: date, day: date, years: int) -> bool:
        async with db() as session:
            return bool(
                await session.scalar(select(literal(birth) <= born_by(years, literal(day))))
            )

    return reaches


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(1966, 5, 20), date(2026, 5, 19), 59),
        (date(1966, 5, 20), date(2026, 5, 20), 60),  # a birthday counts from its morning
        (date(2008, 12, 1), date(2026, 11, 30), 17),
        (date(2008, 12, 1), date(2026, 12, 1), 18),
        (date(1964, 2, 29), date(2024, 2, 28), 59),  # a leap-day birthday
        (date(1964, 2, 29), date(2024, 2, 29), 60),
        (date(1964, 2, 29), date(2025, 2, 28), 60),
        (date(1964, 2, 29), date(2025, 3, 1), 61),
    ],
)
async def test_ages_count_on_the_day(
    reaches_age: ReachesAge, birth: date, day: date, age: int
) -> None:
    assert await reaches_age(birth, day, age)
    assert not await reaches_age(birth, day, age + 1)
