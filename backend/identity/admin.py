"""Accounts, as an admin manages them through the API: staff accounts, roles, disabling, and
ending an account's logins."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from msgspec import UNSET, structs
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.errors import AppError
from backend.core.pagination import Keyset
from backend.identity import passwords
from backend.identity.models import User
from backend.identity.service import (
    Revoker,
    clean_text,
    create_user,
    end_user_sessions,
    normalize_phone,
    user_out,
)
from schemas.common import Page
from schemas.identity import AdminUserCreate, AdminUserOut, AdminUserPatch, Role


def account_out(user: User) -> AdminUserOut:
    return AdminUserOut(**structs.asdict(user_out(user)), active=user.is_active)


async def create_staff_account(
    session: AsyncSession, data: AdminUserCreate, *, now: datetime
) -> AdminUserOut:
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
    return account_out(user)


USERS = Keyset("users", (UUID,))


async def list_users(
    session: AsyncSession, *, role: Role | None, limit: int, cursor: str | None
) -> Page[AdminUserOut]:
    """Accounts in the order they were created (UUIDv7 keys), optionally of one role."""
    after = USERS.decode(cursor)
    query = select(User)
    if role is not None:
        query = query.where(User.role == role)
    if after is not None:
        query = query.where(User.id > after[0])
    rows = (await session.execute(query.order_by(User.id).limit(limit + 1))).scalars().all()
    page, next_cursor = USERS.paginate(rows, limit, lambda row: [row.id])
    return Page(items=[account_out(u) for u in page], next_cursor=next_cursor)


async def _account_for_update(session: AsyncSession, user_id: UUID) -> User:
    # Disabled accounts too: enabling one again is an admin's job.
    user = (
        await session.execute(select(User).where(User.id == user_id).with_for_update())
    ).scalar_one_or_none()
    if user is None:
        raise AppError(404, "not_found")
    return user


async def update_account(
    session: AsyncSession,
    revoke: Revoker,
    user_id: UUID,
    data: AdminUserPatch,
    *,
    admin_id: UUID,
    now: datetime,
) -> AdminUserOut:
    """Change an account's role or disable / enable it.

    A new role or disabling ends every login of the account: an access token carries its role,
    and a disabled account must lose access at once, not when its tokens expire. An admin cannot
    demote or disable their own account (409 ``own_account``), so the last admin cannot lock
    everyone out by a slip.
    """
    user = await _account_for_update(session, user_id)
    role_changed = data.role is not UNSET and data.role != user.role
    disabling = data.active is False and user.is_active
    if user.id == admin_id and (role_changed or disabling):
        raise AppError(409, "own_account")
    if data.role is not UNSET:
        user.role = data.role
    if data.active is not UNSET:
        user.is_active = data.active
    user.updated_at = now
    await session.flush()
    if role_changed or disabling:
        reason = "account_disabled" if disabling else "role_changed"
        await revoke(await end_user_sessions(session, user.id, now=now, reason=reason))
    return account_out(user)


async def end_account_sessions(
    session: AsyncSession, revoke: Revoker, user_id: UUID, *, now: datetime
) -> None:
    """Log an account out of every device (a lost phone, a staff member leaving)."""
    user = await _account_for_update(session, user_id)
    await revoke(await end_user_sessions(session, user.id, now=now, reason="ended_by_admin"))
