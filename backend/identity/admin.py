"""Staff accounts, as an admin manages them through the API."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.errors import AppError
from backend.core.pagination import Keyset
from backend.identity import passwords
from backend.identity.models import User
from backend.identity.service import clean_text, create_user, normalize_phone, user_out
from schemas.common import Page
from schemas.identity import AdminUserCreate, Role, UserOut


async def create_staff_account(
    session: AsyncSession, data: AdminUserCreate, *, now: datetime
) -> UserOut:
    phone = normalize_phone(data.phone)
    display_name = clean_text(data.display_name, field="displayName", max_length=50)
    passwords.check_strength(data.password, phone=phone)
    # Unlike ``qiyou users create``, the API never turns an existing account into staff: an
    # admin typing a resident's number by mistake must not hand that resident staff rights.
    taken = (await session.execute(select(User.id).where(User.phone == phone))).first()
    if taken is not None:
        raise AppError(409, "phone_taken")
    user = await create_user(
        session,
        phone=phone,
        password=data.password,
        display_name=display_name,
        role=data.role,
        now=now,
    )
    return user_out(user)


USERS = Keyset("users", (UUID,))


async def list_users(
    session: AsyncSession, *, role: Role | None, limit: int, cursor: str | None
) -> Page[UserOut]:
    """Accounts in the order they were created (UUIDv7 keys), optionally of one role."""
    after = USERS.decode(cursor)
    query = select(User)
    if role is not None:
        query = query.where(User.role == role)
    if after is not None:
        query = query.where(User.id > after[0])
    rows = (await session.execute(query.order_by(User.id).limit(limit + 1))).scalars().all()
    page, next_cursor = USERS.paginate(rows, limit, lambda row: [row.id])
    return Page(items=[user_out(u) for u in page], next_cursor=next_cursor)
