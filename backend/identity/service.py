"""Identity rules: accounts, login sessions and tokens. No HTTP here.

The flows that use these — registration and logins (``login.py``), sessions and refresh
(``sessions.py``), real-name verification (``verification.py``), household members
(``members.py``) and staff accounts (``admin.py``) — live beside this module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.auth import issue_access_token
from backend.core.clock import to_local
from backend.core.errors import AppError, FieldError
from backend.core.security import new_token, token_hash
from backend.core.violations import violated_constraint
from backend.identity.models import AuthSession, RefreshToken, User
from backend.identity.passwords import check_strength, hash_async, verify_async
from schemas.identity import TokenPair, UserOut

# ASCII digits only: ``\d`` would also take full-width and other scripts' digits.
_PHONE = re.compile(r"(?:\+?86)?(1[3-9][0-9]{9})")

# Told the sessions a transaction revokes, so this process refuses their access tokens the moment
# it commits (``core.revocations.add_on_commit``); the other processes hear it from the database.
Revoker = Callable[[list[UUID]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """Where a request came from, as recorded on the login session it opens."""

    address: str | None = None
    device_name: str | None = None


def normalize_phone(raw: str, field: str = "phone") -> str:
    """Mainland mobile numbers, stored as 11 digits (``+86`` and separators dropped)."""
    compact = re.sub(r"[\s()-]", "", raw or "")
    match = _PHONE.fullmatch(compact)
    if not match:
        raise AppError(
            422,
            "invalid_phone",
            errors=[FieldError(field=field, message="must be a mainland mobile number")],
        )
    return match.group(1)


def clean_text(raw: str, *, field: str, max_length: int) -> str:
    """Trimmed, NFC-normalised single-line text that is not empty (422 otherwise)."""
    text = unicodedata.normalize("NFC", raw).strip()
    if not text:
        raise AppError(422, "validation_error", errors=[FieldError(field, "must not be empty")])
    if len(text) > max_length:
        raise AppError(
            422, "validation_error", errors=[FieldError(field, f"at most {max_length} characters")]
        )
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise AppError(
            422,
            "validation_error",
            errors=[FieldError(field, "must not contain control characters")],
        )
    return text


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        phone=user.phone,
        display_name=user.display_name,
        roles=[user.role],
        verified=user.verified_at is not None,
        real_name=user.real_name_masked,
        id_number=user.id_number_masked,
        created_at=to_local(user.created_at),
    )


async def create_user(
    session: AsyncSession,
    *,
    phone: str,
    password: str | None,
    display_name: str,
    role: str = "resident",
    now: datetime | None = None,
    password_hash: str | None = None,
) -> User:
    """Insert an account; 409 ``phone_taken`` when the phone has one (even a concurrent one).
    ``password_hash``: a hash of ``password`` made ahead (``upsert_staff_account``)."""
    now = now or datetime.now(UTC)
    if password_hash is None and password:
        password_hash = await hash_async(password)
    user = User(
        phone=normalize_phone(phone),
        password_hash=password_hash,
        display_name=display_name,
        role=role,
        created_at=now,
        updated_at=now,
    )
    # A savepoint, so that losing the race on the unique phone leaves a usable transaction.
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError as exc:
        if violated_constraint(exc) == "uq_users_phone":
            raise AppError(409, "phone_taken") from None
        raise
    return user


async def get_user(session: AsyncSession, user_id: UUID) -> User:
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise AppError(404, "not_found")
    return user


async def current_user(session: AsyncSession, user_id: UUID) -> User:
    """The caller's account; a token whose account is gone or disabled is no login (401)."""
    user = await session.get(User, user_id)
    if user is None or not user.is_active:
        raise AppError(401, "unauthorized", headers={"WWW-Authenticate": "Bearer"})
    return user


async def find_user_by_phone(session: AsyncSession, phone: str) -> User | None:
    return (
        await session.execute(select(User).where(User.phone == normalize_phone(phone)))
    ).scalar_one_or_none()


async def update_display_name(session: AsyncSession, user_id: UUID, display_name: str) -> UserOut:
    user = await current_user(session, user_id)
    user.display_name = clean_text(display_name, field="displayName", max_length=50)
    await session.flush()
    return user_out(user)


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
        client_ip=(client_ip or "")[:64] or None,
        created_at=now,
        last_used_at=now,
        expires_at=now + timedelta(seconds=settings.refresh_token_ttl_seconds),
    )
    session.add(login)
    await session.flush()
    user.last_login_at = now
    return await issue_pair(session, settings, user, login, now=now)


async def issue_pair(
    session: AsyncSession, settings: Settings, user: User, login: AuthSession, *, now: datetime
) -> TokenPair:
    """A fresh refresh token in ``login``'s family and an access token bound to it."""
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


async def end_user_sessions(
    session: AsyncSession, user_id: UUID, *, now: datetime, reason: str
) -> list[UUID]:
    """Revoke every live login of an account; the ids of those that were live.

    Setting ``revoked_at`` is all it takes: the database tells every process (migration 0006)
    when the transaction commits.
    """
    ended = await session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .returning(AuthSession.id)
        .execution_options(synchronize_session=False)
    )
    return list(ended.scalars())


async def upsert_staff_account(
    session: AsyncSession,
    *,
    phone: str,
    password: str,
    role: str,
    display_name: str | None,
    now: datetime | None = None,
    password_hash: str | None = None,
) -> tuple[str, bool]:
    """``qiyou users create``: create the account, or set role and password on an existing one.

    A changed role or password ends the account's logins: a token must not keep rights the
    account lost, nor outlive the password it was obtained with. Running the command again with
    the same arguments changes nothing and ends nothing.

    ``password_hash``, a hash of ``password`` made ahead, spares the argon2 work of each call
    (the demo's dozen accounts share one published password: 12 hashes, then 12 checks on a
    second load, were most of ``qiyou demo``'s time).
    """
    now = now or datetime.now(UTC)
    check_strength(password, phone=normalize_phone(phone))
    existing = await find_user_by_phone(session, phone)
    if existing is None:
        user = await create_user(
            session,
            phone=phone,
            password=password,
            password_hash=password_hash,
            display_name=display_name or role,
            role=role,
        )
        return str(user.id), True
    role_changed = existing.role != role
    password_changed = not (
        (password_hash is not None and existing.password_hash == password_hash)
        or await verify_async(existing.password_hash, password)
    )
    existing.role = role
    if password_changed:
        existing.password_hash = password_hash or await hash_async(password)
    if display_name:
        existing.display_name = display_name
    await session.flush()
    if role_changed or password_changed:
        await end_user_sessions(
            session,
            existing.id,
            now=now,
            reason="role_changed" if role_changed else "password_set",
        )
    return str(existing.id), False
