"""Users and households for the tests, made straight in the database: the one place that knows
how to create them.

Tests that are about registering or logging in go through the API (``identity_support``);
everything else arranges its people here:

- ``user``: one account of any role, with a password and a real login session (what
  ``make_user`` in ``conftest`` hands out);
- ``users``: accounts by the hundred in one INSERT, known by an access token minted directly
  (the token is all the API checks), for rushes and storms;
- ``add_member`` and ``verify_birth``: a household member, and what a real-name verification
  leaves behind;
- venues, rooms and events, through the API as staff would make them: ``create_venue``,
  ``create_room``, ``event_body`` (a valid draft's fields), ``draft`` and ``published``.

No test module defines its own maker of users, venues, rooms or events; what is special to one
domain's tests (the hub of ``tests/api/hub_support.py``, registering in
``tests/api/events_support.py``) is built from these.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
from sqlalchemy import insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.auth import issue_access_token
from backend.core.base import new_id
from backend.core.clock import Clock, FrozenClock
from backend.core.security import encrypt, hash_password
from backend.identity import service as identity_service
from backend.identity.models import HouseholdMember, User

PASSWORD = "Qiyou-pass-2026"
GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

# Every test has a database of its own, so a counter per process cannot collide.
_phones = itertools.count(13800000000)
_password_hashes: dict[str, str] = {}


@dataclass
class Account:
    """An account of any role, and the tokens it calls the API with."""

    id: UUID
    phone: str
    name: str
    role: str
    access_token: str
    # Only ``user`` sets these: ``users`` makes accounts without a password or refresh token.
    password: str = ""
    refresh_token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


# ``make_user(role="resident", *, phone=None, password=PASSWORD, display_name=None)``: ``user``
# with the test's database, settings and clock bound.
MakeUser = Callable[..., Awaitable[Account]]


def new_phone() -> str:
    """A mainland mobile number no other account of this test run has."""
    return str(next(_phones))


def id_number(first17: str) -> str:
    """Complete 17 digits with their GB 11643 check character (written here independently of
    the service, so a wrong table there cannot agree with itself)."""
    total = sum(int(d) * w for d, w in zip(first17, GB11643_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


async def user(
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: Clock,
    role: str = "resident",
    *,
    phone: str | None = None,
    password: str = PASSWORD,
    display_name: str | None = None,
) -> Account:
    """One account with a password, logged in (access and refresh token of a real session)."""
    phone = phone or new_phone()
    # argon2 costs ~0.3 s a hash; storms create hundreds of accounts, and one hash per distinct
    # password verifies just the same.
    if password not in _password_hashes:
        _password_hashes[password] = hash_password(password)
    async with db() as session, session.begin():
        created = await identity_service.create_user(
            session,
            phone=phone,
            password=None,
            display_name=display_name or f"{role}-{phone[-4:]}",
            role=role,
        )
        created.password_hash = _password_hashes[password]
        pair = await identity_service.open_session(session, settings, created, now=clock.now())
    return Account(
        id=created.id,
        phone=created.phone,
        name=created.display_name,
        role=role,
        access_token=pair.access_token,
        password=password,
        refresh_token=pair.refresh_token,
    )


async def users(
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: Clock,
    count: int,
    *,
    prefix: str = "居民",
    role: str = "resident",
) -> list[Account]:
    """``count`` accounts in one INSERT, named ``prefix`` and a number, with minted tokens."""
    now = clock.now()
    rows = [
        {
            "id": new_id(),
            "phone": new_phone(),
            "password_hash": None,
            "display_name": f"{prefix}{i:03d}",
            "role": role,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]
    async with db() as session, session.begin():
        await session.execute(insert(User), rows)
    return [
        Account(
            id=row["id"],
            phone=row["phone"],
            name=row["display_name"],
            role=role,
            access_token=issue_access_token(
                settings, user_id=row["id"], role=role, session_id=uuid4(), now=now
            ),
        )
        for row in rows
    ]


async def add_member(
    db: async_sessionmaker[AsyncSession], owner_id: UUID, name: str, birth: date
) -> UUID:
    """A member of ``owner_id``'s household, born on ``birth``."""
    member_id = new_id()
    async with db() as session, session.begin():
        await session.execute(
            insert(HouseholdMember).values(
                id=member_id, owner_id=owner_id, name=name, relation="other", birth_date=birth
            )
        )
    return member_id


async def verify_birth(
    db: async_sessionmaker[AsyncSession], settings: Settings, user_id: UUID, birth: date
) -> None:
    """What a real-name verification leaves behind, as far as events care: the encrypted
    number carries the birth date (nothing else stores it)."""
    number = id_number(f"330402{birth:%Y%m%d}123")
    async with db() as session, session.begin():
        await session.execute(
            update(User)
            .where(User.id == user_id)
            .values(
                id_number_enc=encrypt(settings.data_key, "id-number", number),
                verified_at=datetime.now(UTC),
            )
        )


# Venues, rooms and events: made through the API (the rules they pass are the service's).

# Every day 08:00–21:00 (the hub's tests use a week with a lunch break and a closed Sunday).
OPEN_EVERY_DAY = [{"weekday": d, "opens": "08:00", "closes": "21:00"} for d in range(1, 8)]


async def create_venue(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    name: str = "高照三合一服务综合体",
    *,
    address: str = "嘉兴市南湖区高照街道",
    opening_hours: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A venue, created by the admin whose ``headers`` are given."""
    response = await client.post(
        "/api/v1/manage/venues",
        json={
            "name": name,
            "address": address,
            "openingHours": OPEN_EVERY_DAY if opening_hours is None else opening_hours,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def create_room(
    client: httpx.AsyncClient, headers: dict[str, str], venue_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """A room of ``venue_id`` with the fields of ``body``."""
    response = await client.post(
        f"/api/v1/manage/venues/{venue_id}/rooms", json=body, headers=headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def event_body(clock: FrozenClock, **overrides: Any) -> dict[str, Any]:
    """A valid draft: starts in three days, registration open from an hour ago to an hour
    before the start."""
    now = clock.now()
    starts = now + timedelta(days=3)
    body: dict[str, Any] = {
        "title": "运河文化之夜",
        "summary": "沿着大运河听老嘉兴的故事",
        "body": "本期邀请民俗专家讲述运河边的旧事，现场有评弹表演。",
        "category": "canal_culture",
        "audience": "all",
        "location": "高照街道三合一服务综合体 二楼多功能厅",
        "startsAt": starts.isoformat(),
        "endsAt": (starts + timedelta(hours=2)).isoformat(),
        "capacity": 50,
        "registrationOpensAt": (now - timedelta(hours=1)).isoformat(),
        "registrationClosesAt": (starts - timedelta(hours=1)).isoformat(),
        "maxSeatsPerRegistration": 4,
    }
    body.update(overrides)
    return body


async def draft(
    client: httpx.AsyncClient, staff_headers: dict[str, str], clock: FrozenClock, **overrides: Any
) -> dict[str, Any]:
    """A draft event (``event_body`` with ``overrides``), created by staff."""
    response = await client.post(
        "/api/v1/manage/events", json=event_body(clock, **overrides), headers=staff_headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def published(
    client: httpx.AsyncClient, staff_headers: dict[str, str], clock: FrozenClock, **overrides: Any
) -> dict[str, Any]:
    """A ``draft``, published."""
    event = await draft(client, staff_headers, clock, **overrides)
    response = await client.post(
        f"/api/v1/manage/events/{event['id']}/publish", headers=staff_headers
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def care_provider(
    db: async_sessionmaker[AsyncSession], name: str = "安康居家养老服务中心"
) -> UUID:
    """A care provider offering every service of the catalogue."""
    from backend.eldercare.models import CareProvider, CareProviderService, CareService

    provider_id = new_id()
    async with db() as session, session.begin():
        await session.execute(
            insert(CareProvider).values(id=provider_id, name=name, phone=new_phone())
        )
        await session.execute(
            insert(CareProviderService).from_select(
                ["provider_id", "service_code"],
                select(literal(provider_id), CareService.code),
            )
        )
    return provider_id


async def care_staff(
    db: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: Clock,
    role: str,
    provider_id: UUID,
) -> Account:
    """A dispatcher or caregiver (``user``) working for ``provider_id``."""
    from backend.eldercare.models import CareProviderStaff

    account = await user(db, settings, clock, role)
    async with db() as session, session.begin():
        await session.execute(
            insert(CareProviderStaff).values(user_id=account.id, provider_id=provider_id)
        )
    return account
