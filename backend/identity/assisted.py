"""Accounts for elders without a phone (assisted residents).

Such an account has no phone and no password (``users.phone`` NULL, the CHECK
``no_phone_no_password``), so no login path can reach it: every login looks an account up by
phone. It is real-name verified from the start, with the same ID-number rules, encryption and
fingerprint as ``verification``: one account per ID number, held by the unique fingerprint.
Only a community worker's acting token (``backend.assisted``) ever speaks for it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.errors import AppError
from backend.core.security import encrypt, keyed_hash
from backend.core.violations import violated_constraint
from backend.identity.members import age_on
from backend.identity.models import User
from backend.identity.verification import (
    clean_real_name,
    mask_name,
    parse_id_number,
    verified_birth_date,
)

log = logging.getLogger("qiyou.identity")


async def create_assisted_account(
    session: AsyncSession,
    *,
    data_key: bytes,
    real_name: str,
    id_number: str,
    now: datetime,
    today: date,
) -> User:
    """A verified resident account with no phone and no password; 409
    ``id_number_registered`` when the ID number is bound to an account already."""
    name = clean_real_name(real_name)
    resident = parse_id_number(id_number, today=today)
    user = User(
        phone=None,
        password_hash=None,
        display_name=name,
        role="resident",
        real_name_enc=encrypt(data_key, "real-name", name),
        id_number_enc=encrypt(data_key, "id-number", resident.number),
        id_fingerprint=keyed_hash(data_key, "id-number", resident.number),
        id_number_masked=resident.masked,
        real_name_masked=mask_name(name),
        verified_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        # Not re-raised with its cause: the database's message would quote the fingerprint.
        if violated_constraint(exc) == "uq_users_id_fingerprint":
            raise AppError(409, "id_number_registered") from None
        raise
    return user


def age_of(user: User, *, data_key: bytes, today: date) -> int:
    """The age of a verified account on ``today``, from its encrypted ID number."""
    assert user.id_number_enc is not None
    return age_on(verified_birth_date(data_key, user.id_number_enc), today)


async def account(session: AsyncSession, user_id: UUID) -> User | None:
    return await session.get(User, user_id)
