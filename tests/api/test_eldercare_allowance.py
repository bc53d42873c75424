"""The monthly allowance ledger: a debit takes all or nothing, and never more than is left,
whatever the concurrency (``backend/eldercare/allowance.py``; the orders slice calls it)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.base import new_id
from backend.eldercare import service
from backend.eldercare.models import CareAllowanceMonth, CareProfile
from tests.factories import MakeUser

Sessions = async_sessionmaker[AsyncSession]
# 15 March 2027, noon in Shanghai.
NOON = datetime(2027, 3, 15, 4, tzinfo=UTC)


async def _profile(db: Sessions, make_user: MakeUser, allowance: int) -> UUID:
    owner = await make_user("resident")
    profile_id = new_id()
    async with db() as session, session.begin():
        await session.execute(
            insert(CareProfile).values(
                id=profile_id,
                owner_id=owner.id,
                address_enc=b"x",
                address_masked="x****",
                lat=30.0,
                lng=120.0,
                subsidy_tier="age_90_plus",
                monthly_allowance=allowance,
            )
        )
    return profile_id


async def _debit(db: Sessions, profile_id: UUID, amount: int, now: datetime) -> int | None:
    async with db() as session, session.begin():
        return await service.debit(session, profile_id, amount, now=now)


async def test_a_debit_takes_all_or_nothing(db: Sessions, make_user: MakeUser) -> None:
    profile_id = await _profile(db, make_user, 1000)
    assert await _debit(db, profile_id, 600, NOON) == 400
    assert await _debit(db, profile_id, 401, NOON) is None
    assert await _debit(db, profile_id, 400, NOON) == 0
    assert await _debit(db, profile_id, 1, NOON) is None
    assert await _debit(db, profile_id, 0, NOON) == 0
    with pytest.raises(ValueError, match="not negative"):
        await _debit(db, profile_id, -1, NOON)


async def test_the_month_is_shanghais(db: Sessions, make_user: MakeUser) -> None:
    profile_id = await _profile(db, make_user, 1000)
    # 31 March 23:30 in Shanghai is still March; 16:00 UTC that day is 1 April there.
    march_end = datetime(2027, 3, 31, 15, 30, tzinfo=UTC)
    april = datetime(2027, 3, 31, 16, 0, tzinfo=UTC)
    assert await _debit(db, profile_id, 1000, march_end) == 0
    assert await _debit(db, profile_id, 1, march_end) is None
    assert await _debit(db, profile_id, 300, april) == 700
    async with db() as session:
        months = (
            await session.execute(
                select(CareAllowanceMonth.month, CareAllowanceMonth.spent).order_by(
                    CareAllowanceMonth.month
                )
            )
        ).all()
    assert [(m.isoformat(), s) for m, s in months] == [("2027-03-01", 1000), ("2027-04-01", 300)]


async def test_the_database_refuses_a_negative_balance(db: Sessions, make_user: MakeUser) -> None:
    profile_id = await _profile(db, make_user, 1000)
    await _debit(db, profile_id, 10, NOON)
    with pytest.raises(IntegrityError, match="within_allowance"):
        async with db() as session, session.begin():
            await session.execute(
                update(CareAllowanceMonth)
                .where(CareAllowanceMonth.care_profile_id == profile_id)
                .values(spent=1001)
            )


async def test_a_profile_without_allowance_takes_nothing(db: Sessions, make_user: MakeUser) -> None:
    profile_id = await _profile(db, make_user, 0)
    assert await _debit(db, profile_id, 1, NOON) is None
    assert await _debit(db, profile_id, 0, NOON) == 0
    async with db() as session:
        left = await service.left_this_month(
            session, [await session.get_one(CareProfile, profile_id)], now=NOON + timedelta(days=1)
        )
    assert left == {profile_id: 0}


@pytest.mark.storm
async def test_fifty_parallel_debits_take_exactly_what_fits(
    db: Sessions, make_user: MakeUser
) -> None:
    """An allowance that fits 20 debits of 150: of 50 at once, exactly 20 succeed."""
    profile_id = await _profile(db, make_user, 20 * 150 + 149)
    results = await asyncio.gather(*(_debit(db, profile_id, 150, NOON) for _ in range(50)))
    taken = sorted((r for r in results if r is not None), reverse=True)
    assert len(taken) == 20
    # Each success saw a different balance: 3149 - 150, ..., 149.
    assert taken == [20 * 150 + 149 - 150 * i for i in range(1, 21)]
    async with db() as session:
        row = await session.get_one(CareAllowanceMonth, (profile_id, NOON.date().replace(day=1)))
    assert (row.allowance, row.spent) == (3149, 3000)
