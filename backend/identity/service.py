"""Identity rules: accounts, login sessions and tokens. No HTTP here."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.auth import issue_access_token
from backend.core.errors import AppError
from backend.core.security import hash_password, new_token, token_hash
from backend.identity.models import AuthSession, RefreshToken, User
from schemas.identity import TokenPair, UserOut

_PHONE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")


def normalize_phone(raw: str) -> str:
    """Mainland mobile numbers, stored as 11 digits (``+86`` and separators dropped)."""
    compact = re.sub(r"[\s-]", "", raw or "")
    match = _PHONE.match(compact)
    if not match:
        raise AppError(422, "invalid_phone")
    return match.group(1)


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        phone=user.phone,
        display_name=user.display_name,
        roles=[user.role],
        verified=user.verified_at is not None,
        real_name=user.real_name_masked,
        id_number=user.id_number_masked,
        created_at=user.created_at,
    )


async def create_user(
    session: AsyncSession,
    *,
    phone: str,
    password: str | None,
    display_name: str,
    role: str = "resident",
) -> User:
    user = User(
        phone=normalize_phone(phone),
        password_hash=hash_password(password) if password else None,
        display_name=display_name,
        role=role,
        created_at=datetime.now(UTC),
        updated_at=datetime.now(UTC),
    )
    session.add(user)
    await session.flush()
    return user


async def get_user(session: AsyncSession, user_id: UUID) -> User:
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise AppError(404, "not_found")
    return user


async def find_user_by_phone(session: AsyncSession, phone: str) -> User | None:
    return (
        await session.execute(select(User).where(User.phone == normalize_phone(phone)))
    ).scalar_one_or_none()


async def open_session(
    session: AsyncSession,
    settings: Settings,
    user: User,
    *,
    now: datetime,
    device_name: str | None = None,
    client_ip: str | None = None,
) -> TokenPair:
    """Start a login: a session (the refresh family) and its first token pair."""
    login = AuthSession(
        user_id=user.id,
        device_name=(device_name or "")[:200] or None,
        client_ip=client_ip,
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(seconds=settings.refresh_token_ttl_seconds),
    )
    session.add(login)
    await session.flush()
    user.last_login_at = now
    return await _issue_pair(session, settings, user, login, now=now)


async def _issue_pair(
    session: AsyncSession, settings: Settings, user: User, login: AuthSession, *, now: datetime
) -> TokenPair:
    refresh = new_token(32)
    session.add(
        RefreshToken(
            session_id=login.id,
            token_hash=token_hash(refresh),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.refresh_token_ttl_seconds),
        )
    )
    await session.flush()
    # JWT timestamps follow the real clock: PyJWT checks them against it, not against ours.
    access = issue_access_token(
        settings,
        user_id=user.id,
        role=user.role,
        session_id=login.id,
        now=datetime.now(UTC),
    )
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_in=settings.access_token_ttl_seconds,
        user=user_out(user),
    )


async def upsert_staff_account(
    session: AsyncSession,
    *,
    phone: str,
    password: str,
    role: str,
    display_name: str | None,
) -> tuple[str, bool]:
    """``qiyou users create``: create the account, or set role and password on an existing one."""
    existing = await find_user_by_phone(session, phone)
    if existing is None:
        user = await create_user(
            session,
            phone=phone,
            password=password,
            display_name=display_name or role,
            role=role,
        )
        return str(user.id), True
    existing.role = role
    existing.password_hash = hash_password(password)
    if display_name:
        existing.display_name = display_name
    await session.flush()
    return str(existing.id), False
