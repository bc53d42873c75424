"""What the childcare tests share: a room at the complex, a program's body, programs drafted and
published through the API, and guardians with children (one by one, or by the hundred for the
storms), all made with tests/factories.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.config import Settings
from backend.core.base import new_id
from backend.core.clock import FrozenClock
from backend.identity.models import HouseholdMember, User
from tests.factories import Account, MakeUser, add_member, create_room, create_venue, users

API = "/api/v1"
MANAGE = f"{API}/manage/childcare/programs"
PUBLIC = f"{API}/childcare/programs"
APPLICATIONS = f"{API}/childcare/applications"
MINE = f"{API}/me/childcare/applications"
# A spring term whose weekdays are ordinary (no holiday, no make-up day) from 2027-03-01.
TERM_STARTS, TERM_ENDS = date(2027, 3, 1), date(2027, 3, 12)
AGE_ON = date(2027, 3, 1)
ROOM = {
    "name": "四点半课堂教室",
    "kind": "classroom",
    "capacity": 40,
    "slotMinutes": 30,
    "minMinutes": 30,
    "maxMinutes": 240,
    "bookableDaysAhead": 30,
    "cancelCutoffMinutes": 60,
    "maxActiveBookingsPerUser": 2,
    "amenities": [],
}


@dataclass
class Complex:
    admin: Account
    staff: Account
    venue_id: str
    room_id: str


async def make_complex(client: httpx.AsyncClient, make_user: MakeUser) -> Complex:
    admin = await make_user("admin")
    staff = await make_user("staff")
    venue = await create_venue(client, admin.headers)
    room = await create_room(client, admin.headers, venue["id"], ROOM)
    return Complex(admin=admin, staff=staff, venue_id=venue["id"], room_id=room["id"])


def program_body(where: Complex, clock: FrozenClock, **changes: Any) -> dict[str, Any]:
    now = clock.now()
    return {
        "name": "四点半课堂",
        "kind": "after_school",
        "venueId": where.venue_id,
        "roomId": where.room_id,
        "description": "放学后的作业辅导与看护。",
        "minAgeMonths": 72,
        "maxAgeMonths": 144,
        "ageOn": AGE_ON.isoformat(),
        "schedule": [{"weekday": d, "starts": "16:30", "ends": "18:00"} for d in range(1, 6)],
        "termStarts": TERM_STARTS.isoformat(),
        "termEnds": TERM_ENDS.isoformat(),
        "capacity": 40,
        "fee": 30000,
        "applicationOpensAt": (now - timedelta(hours=1)).isoformat(),
        "applicationClosesAt": (now + timedelta(days=2)).isoformat(),
        "allocation": "first_come",
        "offerHours": 48,
        **changes,
    }


async def draft_program(
    client: httpx.AsyncClient, where: Complex, clock: FrozenClock, **changes: Any
) -> dict[str, Any]:
    response = await client.post(
        MANAGE, json=program_body(where, clock, **changes), headers=where.staff.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def published_program(
    client: httpx.AsyncClient, where: Complex, clock: FrozenClock, **changes: Any
) -> dict[str, Any]:
    program = await draft_program(client, where, clock, **changes)
    response = await client.post(f"{MANAGE}/{program['id']}/publish", headers=where.staff.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def born_months_before(months: int, on: date = AGE_ON) -> date:
    year, month = divmod(on.year * 12 + on.month - 1 - months, 12)
    return date(year, month + 1, 1)


async def guardian(
    db: async_sessionmaker[AsyncSession],
    make_user: MakeUser,
    *,
    child_months: int = 96,
    verified: bool = True,
) -> tuple[Account, str]:
    """A resident (verified unless told) with one child aged ``child_months`` at ``AGE_ON``."""
    account = await make_user()
    if verified:
        async with db() as session, session.begin():
            await session.execute(
                update(User).where(User.id == account.id).values(verified_at=datetime.now(UTC))
            )
    child = await add_member(db, account.id, "小明", born_months_before(child_months))
    return account, str(child)


async def guardians(
    db: async_sessionmaker[AsyncSession], settings: Settings, clock: FrozenClock, count: int
) -> list[tuple[Account, str]]:
    """``count`` verified guardians with a child of eight each, in three INSERTs."""
    accounts = await users(db, settings, clock, count, prefix="家长")
    children = [new_id() for _ in accounts]
    async with db() as session, session.begin():
        await session.execute(
            update(User)
            .where(User.id.in_([a.id for a in accounts]))
            .values(verified_at=datetime.now(UTC))
        )
        await session.execute(
            insert(HouseholdMember),
            [
                {
                    "id": child,
                    "owner_id": a.id,
                    "name": f"孩子{i:03d}",
                    "relation": "son",
                    "birth_date": born_months_before(96),
                }
                for i, (a, child) in enumerate(zip(accounts, children, strict=True))
            ],
        )
    return [(a, str(c)) for a, c in zip(accounts, children, strict=True)]


async def apply(
    client: httpx.AsyncClient, who: Account, program_id: str, child_id: str
) -> httpx.Response:
    return await client.post(
        f"{PUBLIC}/{program_id}/applications", json={"childId": child_id}, headers=who.headers
    )


async def drawn_lottery(
    client: httpx.AsyncClient, make_user: MakeUser, clock: FrozenClock
) -> dict[str, Any]:
    """A published lottery whose window has closed, drawn (no applications: nobody offered)."""
    where = await make_complex(client, make_user)
    now = clock.now()
    program = await published_program(
        client,
        where,
        clock,
        allocation="lottery",
        applicationOpensAt=(now - timedelta(days=2)).isoformat(),
        applicationClosesAt=(now - timedelta(hours=1)).isoformat(),
    )
    drawn = await client.post(f"{MANAGE}/{program['id']}/draw", headers=where.staff.headers)
    assert drawn.status_code == 200, drawn.text
    return program
