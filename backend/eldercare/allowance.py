"""The monthly subsidy allowance of an elder: a ledger row per Asia/Shanghai month.

The orders slice debits it when a household confirms a visit. The rule "never below zero" is
the database's: ``spent <= allowance`` is a CHECK, and a debit is one conditional UPDATE that
adds only what still fits, so parallel debits queue on the row and the later ones find less
room. Nothing reads the balance first and writes it after.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Date, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.clock import local_date_of
from backend.eldercare.models import CareAllowanceMonth, CareProfile


def month_of(now: datetime) -> date:
    """The first day of ``now``'s month in Asia/Shanghai."""
    return local_date_of(now).replace(day=1)


async def _open_month(session: AsyncSession, profile_id: UUID, month: date) -> None:
    """The month's ledger row, created at the profile's current allowance if missing."""
    allowance = select(CareProfile.monthly_allowance).where(CareProfile.id == profile_id)
    await session.execute(
        pg_insert(CareAllowanceMonth)
        .from_select(
            ["care_profile_id", "month", "allowance"],
            select(CareProfile.id, literal(month, Date()), allowance.scalar_subquery()).where(
                CareProfile.id == profile_id
            ),
        )
        .on_conflict_do_nothing(index_elements=["care_profile_id", "month"])
    )


async def debit(
    session: AsyncSession,
    profile_id: UUID,
    amount: int,
    *,
    now: datetime,
    during: datetime | None = None,
) -> int | None:
    """Take ``amount`` fen from this month's allowance (the month of ``during`` when given):
    the allowance left after it, or None (nothing taken) when it does not fit. All or
    nothing; the caller decides what a refusal means (``take_up_to``)."""
    if amount < 0:
        raise ValueError("a debit is not negative")
    month = month_of(during or now)
    await _open_month(session, profile_id, month)
    left = await session.execute(
        update(CareAllowanceMonth)
        .where(
            CareAllowanceMonth.care_profile_id == profile_id,
            CareAllowanceMonth.month == month,
            CareAllowanceMonth.spent + amount <= CareAllowanceMonth.allowance,
        )
        .values(spent=CareAllowanceMonth.spent + amount, updated_at=now)
        .returning(CareAllowanceMonth.allowance - CareAllowanceMonth.spent)
    )
    return left.scalar_one_or_none()


async def take_up_to(
    session: AsyncSession, profile_id: UUID, amount: int, *, now: datetime, during: datetime
) -> int:
    """Take as much of ``amount`` as the allowance of ``during``'s month still holds: what
    was taken (``amount`` or less, never below zero left). The month's row is locked before it
    is read, so parallel takers queue on it and each finds what the one before left; the take
    itself is ``debit``, whose condition the lock guarantees."""
    month = month_of(during)
    await _open_month(session, profile_id, month)
    left = await session.scalar(
        select(CareAllowanceMonth.allowance - CareAllowanceMonth.spent)
        .where(CareAllowanceMonth.care_profile_id == profile_id, CareAllowanceMonth.month == month)
        .with_for_update()
    )
    taken = max(0, min(amount, left or 0))
    if taken and await debit(session, profile_id, taken, now=now, during=during) is None:
        raise RuntimeError("the locked allowance refused what it held")
    return taken


async def reset_allowance(
    session: AsyncSession, profile_id: UUID, monthly_allowance: int, *, now: datetime
) -> None:
    """A new monthly allowance holds from this month: the month's row takes it, never below
    what was already spent."""
    month = month_of(now)
    await session.execute(
        update(CareAllowanceMonth)
        .where(CareAllowanceMonth.care_profile_id == profile_id, CareAllowanceMonth.month == month)
        .values(
            allowance=func.greatest(monthly_allowance, CareAllowanceMonth.spent), updated_at=now
        )
    )


async def left_this_month(
    session: AsyncSession, profiles: Collection[CareProfile], *, now: datetime
) -> dict[UUID, int]:
    """The allowance left this month of each profile, in one query."""
    if not profiles:
        return {}
    rows = await session.execute(
        select(
            CareAllowanceMonth.care_profile_id,
            CareAllowanceMonth.allowance - CareAllowanceMonth.spent,
        ).where(
            CareAllowanceMonth.care_profile_id.in_([p.id for p in profiles]),
            CareAllowanceMonth.month == month_of(now),
        )
    )
    found: dict[UUID, int] = {row[0]: row[1] for row in rows}
    return {p.id: found.get(p.id, p.monthly_allowance) for p in profiles}
