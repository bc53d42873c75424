"""Read-only questions other domains ask about people.

Other domains never query identity's tables themselves; they ask here. Nothing in this module
changes a row.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import ScalarSelect, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.identity.models import HouseholdMember, User
from backend.identity.verification import verified_birth_date


@dataclass(frozen=True, slots=True)
class MemberInfo:
    id: UUID
    name: str
    birth_date: date


@dataclass(frozen=True, slots=True)
class ResidentInfo:
    display_name: str
    verified_birth_date: date | None


@dataclass(frozen=True, slots=True)
class PersonInfo:
    id: UUID
    display_name: str
    phone: str


def display_name_of(user_id: Any, *, active_only: bool = False) -> ScalarSelect[str]:
    """The account's display name (NULL if there is no such account, or with ``active_only``
    none that is active) as a column another domain's statement can carry: the hot write paths
    (registering, booking) read the caller's name in the round trip that decides instead of
    one of its own. ``user_id`` is a value or a bound parameter."""
    query = select(User.display_name).where(User.id == user_id)
    if active_only:
        query = query.where(User.is_active.is_(True))
    return query.scalar_subquery()


def member_name_of(member_id: Any, *, owner_id: Any = None) -> ScalarSelect[str]:
    """A household member's name as a column another domain's statement can carry (the
    canteen's order reads the diner's name with the meal, a childcare roster its children's
    names). NULL when there is no such member, or, with ``owner_id``, when the member is not of
    that household. Either is a value, a bound parameter or a column."""
    query = select(HouseholdMember.name).where(HouseholdMember.id == member_id)
    if owner_id is not None:
        query = query.where(HouseholdMember.owner_id == owner_id)
    return query.scalar_subquery()


async def members_of(
    session: AsyncSession, owner_id: UUID, member_ids: Collection[UUID]
) -> list[MemberInfo]:
    """Those of ``member_ids`` that belong to ``owner_id``'s household (others are left out)."""
    if not member_ids:
        return []
    rows = await session.execute(
        select(HouseholdMember.id, HouseholdMember.name, HouseholdMember.birth_date).where(
            HouseholdMember.owner_id == owner_id, HouseholdMember.id.in_(list(member_ids))
        )
    )
    return [MemberInfo(id=r.id, name=r.name, birth_date=r.birth_date) for r in rows]


async def resident_info(
    session: AsyncSession, user_id: UUID, *, data_key: bytes
) -> ResidentInfo | None:
    """The account's display name and, only once verified by resident ID, its birth date (from
    the encrypted number: no birth date is stored in plaintext)."""
    row = (
        await session.execute(
            select(User.display_name, User.id_number_enc, User.verified_at).where(
                User.id == user_id
            )
        )
    ).one_or_none()
    if row is None:
        return None
    birth = None
    if row.verified_at is not None and row.id_number_enc is not None:
        birth = verified_birth_date(data_key, row.id_number_enc)
    return ResidentInfo(display_name=row.display_name, verified_birth_date=birth)


async def people(session: AsyncSession, user_ids: Collection[UUID]) -> dict[UUID, PersonInfo]:
    """Names and phones of many accounts in one query (a staff list page)."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(User.id, User.display_name, User.phone).where(User.id.in_(list(user_ids)))
    )
    # An assisted resident has no phone of its own; staff lists show none rather than null.
    return {
        r.id: PersonInfo(id=r.id, display_name=r.display_name, phone=r.phone or "") for r in rows
    }


async def user_id_by_phone(session: AsyncSession, phone: str) -> UUID | None:
    """The account of a (normalised) phone number (demo data finds its people this way)."""
    return (await session.execute(select(User.id).where(User.phone == phone))).scalar_one_or_none()


async def household(session: AsyncSession, owner_id: UUID) -> list[MemberInfo]:
    rows = await session.execute(
        select(HouseholdMember.id, HouseholdMember.name, HouseholdMember.birth_date)
        .where(HouseholdMember.owner_id == owner_id)
        .order_by(HouseholdMember.created_at, HouseholdMember.id)
    )
    return [MemberInfo(id=r.id, name=r.name, birth_date=r.birth_date) for r in rows]


async def active_ids_by_phone(session: AsyncSession, phones: Collection[str]) -> dict[str, UUID]:
    """The active accounts of (normalised) phone numbers, by phone; numbers without one are left
    out (an elder's emergency contacts who have the app)."""
    if not phones:
        return {}
    rows = await session.execute(
        select(User.phone, User.id).where(User.phone.in_(list(phones)), User.is_active.is_(True))
    )
    return {r.phone: r.id for r in rows}


async def active_ids_with_role(session: AsyncSession, role: str) -> list[UUID]:
    """Every active account of one role (the community workers an alert escalates to)."""
    rows = await session.scalars(
        select(User.id).where(User.role == role, User.is_active.is_(True)).order_by(User.id)
    )
    return list(rows.all())


async def member_names(session: AsyncSession, member_ids: Collection[UUID]) -> dict[UUID, str]:
    """Household members' names by id, whatever the household (a staff list page)."""
    if not member_ids:
        return {}
    rows = await session.execute(
        select(HouseholdMember.id, HouseholdMember.name).where(
            HouseholdMember.id.in_(list(member_ids))
        )
    )
    return {r.id: r.name for r in rows}


async def is_verified(session: AsyncSession, user_id: UUID) -> bool:
    """Whether the account passed real-name verification."""
    found = await session.execute(select(User.verified_at).where(User.id == user_id))
    return found.scalar_one_or_none() is not None
