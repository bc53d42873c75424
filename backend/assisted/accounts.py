"""Assisted residents: created by a community worker, listed for workers (masked)."""

from __future__ import annotations

import re
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.assisted import wire
from backend.assisted.models import AssistedResident
from backend.core.clock import local_date_of
from backend.core.errors import AppError
from backend.core.pagination import Keyset
from backend.core.security import encrypt
from backend.identity import assisted as accounts
from backend.identity.models import User
from backend.identity.service import clean_text, normalize_phone
from schemas.assisted import AssistedResidentIn, AssistedResidentOut
from schemas.common import Page

ASSISTED = Keyset("assisted_residents", (UUID,))
_LANDLINE = re.compile(r"0[1-9][0-9]{1,2}-?[0-9]{7,8}")


def contact_phone(raw: str) -> str:
    """A mobile number as accounts store it (11 digits), or a landline's digits: so that a
    relative who registers with that mobile number is found by it."""
    if _LANDLINE.fullmatch(raw):
        return raw.replace("-", "")
    return normalize_phone(raw, field="contactPhone")


async def create(
    session: AsyncSession,
    worker_id: UUID,
    data: AssistedResidentIn,
    *,
    data_key: bytes,
    now: datetime,
) -> AssistedResidentOut:
    address = clean_text(data.address, field="address", max_length=200)
    phone = contact_phone(data.contact_phone)
    contact_name = (
        clean_text(data.contact_name, field="contactName", max_length=50)
        if data.contact_name is not None
        else None
    )
    relation = (
        clean_text(data.relation, field="relation", max_length=20)
        if data.relation is not None
        else None
    )
    today = local_date_of(now)
    user = await accounts.create_assisted_account(
        session,
        data_key=data_key,
        real_name=data.name,
        id_number=data.id_number,
        now=now,
        today=today,
    )
    row = AssistedResident(
        user_id=user.id,
        created_by=worker_id,
        address_enc=encrypt(data_key, wire.ADDRESS, address),
        address_masked=wire.mask_address(address),
        contact_phone=phone,
        contact_name=contact_name,
        relation=relation,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return wire.assisted(row, user, age=accounts.age_of(user, data_key=data_key, today=today))


async def get(
    session: AsyncSession, user_id: UUID, *, data_key: bytes, now: datetime
) -> AssistedResidentOut:
    found = (
        await session.execute(
            select(AssistedResident, User)
            .join(User, User.id == AssistedResident.user_id)
            .where(AssistedResident.user_id == user_id)
        )
    ).one_or_none()
    if found is None:
        raise AppError(404, "not_found")
    row, user = found
    age = accounts.age_of(user, data_key=data_key, today=local_date_of(now))
    return wire.assisted(row, user, age=age)


async def list_assisted(
    session: AsyncSession, *, data_key: bytes, now: datetime, limit: int, cursor: str | None
) -> Page[AssistedResidentOut]:
    after = ASSISTED.decode(cursor)
    query = select(AssistedResident, User).join(User, User.id == AssistedResident.user_id)
    if after is not None:
        query = query.where(AssistedResident.user_id > after[0])
    rows = (await session.execute(query.order_by(AssistedResident.user_id).limit(limit + 1))).all()
    page, next_cursor = ASSISTED.paginate(rows, limit, lambda r: [r[0].user_id])
    today = local_date_of(now)
    return Page(
        items=[
            wire.assisted(row, user, age=accounts.age_of(user, data_key=data_key, today=today))
            for row, user in page
        ],
        next_cursor=next_cursor,
    )


async def assisted_among(session: AsyncSession, user_ids: list[UUID]) -> set[UUID]:
    """Which of these accounts are assisted residents."""
    if not user_ids:
        return set()
    found = await session.execute(
        select(AssistedResident.user_id).where(AssistedResident.user_id.in_(user_ids))
    )
    return set(found.scalars())


async def is_assisted(session: AsyncSession, user_id: UUID) -> bool:
    """An active assisted account (locked against a concurrent change while acting begins)."""
    found = await session.execute(
        select(User.is_active)
        .join(AssistedResident, AssistedResident.user_id == User.id)
        .where(User.id == user_id)
    )
    active = found.scalar_one_or_none()
    return bool(active)
