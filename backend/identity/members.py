"""Household members: the elders and children a resident books and registers for."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.clock import to_local
from backend.core.errors import AppError, FieldError
from backend.core.pagination import Keyset
from backend.identity.models import HouseholdMember, User
from backend.identity.service import clean_text
from schemas.common import Page
from schemas.identity import AgeGroup, MemberIn, MemberOut, MemberPatch

MAX_MEMBERS = 20
ADULT_AGE = 18
ELDER_AGE = 60
EARLIEST_BIRTH = date(1900, 1, 1)


def age_on(birth: date, today: date) -> int:
    """Whole years; someone born on 29 February turns a year older on 1 March in common years."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def age_group(birth: date, today: date) -> AgeGroup:
    age = age_on(birth, today)
    if age < ADULT_AGE:
        return "child"
    if age >= ELDER_AGE:
        return "elder"
    return "adult"


def _check_birth_date(birth: date, today: date) -> None:
    if birth > today:
        raise AppError(
            422, "invalid_birth_date", errors=[FieldError("birthDate", "must not be in the future")]
        )
    if birth < EARLIEST_BIRTH:
        raise AppError(
            422, "invalid_birth_date", errors=[FieldError("birthDate", "must not be before 1900")]
        )


def _notes(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = raw.strip()
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in text) or "\x7f" in text:
        raise AppError(
            422,
            "validation_error",
            errors=[FieldError("notes", "must not contain control characters")],
        )
    return text or None


def member_out(member: HouseholdMember, today: date) -> MemberOut:
    return MemberOut(
        id=member.id,
        name=member.name,
        relation=member.relation,
        birth_date=member.birth_date,
        gender=member.gender,
        age_group=age_group(member.birth_date, today),
        created_at=to_local(member.created_at),
        notes=member.notes,
    )


async def _owned(session: AsyncSession, owner_id: UUID, member_id: UUID) -> HouseholdMember:
    member = (
        await session.execute(
            select(HouseholdMember).where(
                HouseholdMember.id == member_id, HouseholdMember.owner_id == owner_id
            )
        )
    ).scalar_one_or_none()
    if member is None:
        # Someone else's member and no member at all look the same.
        raise AppError(404, "not_found")
    return member


MEMBERS = Keyset("members", (UUID,))


async def list_members(
    session: AsyncSession, owner_id: UUID, *, today: date, limit: int, cursor: str | None
) -> Page[MemberOut]:
    """Oldest entry first; UUIDv7 keys are in creation order and make a stable cursor."""
    after = MEMBERS.decode(cursor)
    query = select(HouseholdMember).where(HouseholdMember.owner_id == owner_id)
    if after is not None:
        query = query.where(HouseholdMember.id > after[0])
    rows = (
        (await session.execute(query.order_by(HouseholdMember.id).limit(limit + 1))).scalars().all()
    )
    page, next_cursor = MEMBERS.paginate(rows, limit, lambda row: [row.id])
    return Page(items=[member_out(m, today) for m in page], next_cursor=next_cursor)


async def get_member(
    session: AsyncSession, owner_id: UUID, member_id: UUID, *, today: date
) -> MemberOut:
    return member_out(await _owned(session, owner_id, member_id), today)


async def add_member(
    session: AsyncSession, owner_id: UUID, data: MemberIn, *, now: datetime, today: date
) -> MemberOut:
    name = clean_text(data.name, field="name", max_length=50)
    _check_birth_date(data.birth_date, today)
    notes = _notes(data.notes)
    # The owner's row lock serialises additions to one household, so concurrent requests
    # cannot each see 19 members and both add the twentieth.
    owner = (
        await session.execute(select(User.id).where(User.id == owner_id).with_for_update())
    ).first()
    if owner is None:
        raise AppError(401, "unauthorized")
    count = (
        await session.execute(
            select(func.count())
            .select_from(HouseholdMember)
            .where(HouseholdMember.owner_id == owner_id)
        )
    ).scalar_one()
    if count >= MAX_MEMBERS:
        raise AppError(409, "member_limit_reached", {"limit": MAX_MEMBERS})
    member = HouseholdMember(
        owner_id=owner_id,
        name=name,
        relation=data.relation,
        birth_date=data.birth_date,
        gender=data.gender,
        notes=notes,
        created_at=now,
        updated_at=now,
    )
    session.add(member)
    await session.flush()
    return member_out(member, today)


async def update_member(
    session: AsyncSession,
    owner_id: UUID,
    member_id: UUID,
    data: MemberPatch,
    *,
    now: datetime,
    today: date,
) -> MemberOut:
    member = await _owned(session, owner_id, member_id)
    if data.name is not msgspec.UNSET:
        member.name = clean_text(data.name, field="name", max_length=50)
    if data.relation is not msgspec.UNSET:
        member.relation = data.relation
    if data.birth_date is not msgspec.UNSET:
        _check_birth_date(data.birth_date, today)
        member.birth_date = data.birth_date
    if data.gender is not msgspec.UNSET:
        member.gender = data.gender
    if data.notes is not msgspec.UNSET:
        member.notes = _notes(data.notes)
    member.updated_at = now
    await session.flush()
    return member_out(member, today)


async def remove_member(session: AsyncSession, owner_id: UUID, member_id: UUID) -> None:
    member = await _owned(session, owner_id, member_id)
    try:
        async with session.begin_nested():
            await session.delete(member)
    except IntegrityError:
        # Another domain's record (an enrolment, a registration) still names this member.
        raise AppError(409, "member_in_use") from None
