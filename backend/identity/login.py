"""Getting in: SMS codes, registration, password and SMS logins, password reset."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.errors import AppError
from backend.core.ratelimit import Limiter
from backend.identity import passwords, sms
from backend.identity.models import AuthSession, User
from backend.identity.service import (
    ClientInfo,
    Revoker,
    clean_text,
    create_user,
    normalize_phone,
    open_session,
)
from backend.identity.throttle import (
    CODE_CHECKS_PER_ADDRESS,
    LOGIN_FAILURES_PER_ADDRESS,
    LOGIN_FAILURES_PER_PHONE,
    LOGIN_FAILURES_PER_PHONE_AND_ADDRESS,
    REGISTRATIONS_PER_ADDRESS,
    SMS_PER_ADDRESS,
    SMS_PER_PHONE_AND_ADDRESS,
    address_key,
)
from schemas.identity import (
    LoginRequest,
    PasswordResetRequest,
    RegisterRequest,
    SmsCodeRequest,
    SmsCodeSent,
    SmsLoginRequest,
    TokenPair,
)

# The namespace of registration scopes: uuid5 ids, never equal to an account's (version-7) id.
_REGISTRATION_SCOPE = UUID("6f1d2f64-3c1e-4e55-9a55-6a1f0c3e2b71")


def registration_scope(phone: str) -> UUID:
    """Whose ``Idempotency-Key`` a registration's is: the normalized phone's, since nobody is
    logged in yet. Every retry of one registration names the phone, and no other registration
    can succeed for it, so a key cannot replay another person's answer; a version-5 id cannot
    equal an account's id, so the scope never mixes with a logged-in user's keys."""
    return uuid5(_REGISTRATION_SCOPE, phone)


def _address(client: ClientInfo) -> str:
    return address_key(client.address)


async def request_sms_code(
    session: AsyncSession,
    settings: Settings,
    throttle: Limiter,
    sender: sms.SmsSender,
    data: SmsCodeRequest,
    *,
    client: ClientInfo,
    now: datetime,
) -> SmsCodeSent:
    address = _address(client)
    await throttle.hit(SMS_PER_ADDRESS, address)
    phone = normalize_phone(data.phone)
    # Checked first and counted only once a code is issued: the database's minute rule
    # serialises a phone's codes, so two requests cannot both pass this check and both count.
    await throttle.check(SMS_PER_PHONE_AND_ADDRESS, phone, address)
    sent = await sms.issue_code(
        session, settings, sender, phone=phone, purpose=data.purpose, now=now
    )
    await throttle.record(SMS_PER_PHONE_AND_ADDRESS, subject=(phone, address))
    return sent


async def register(
    session: AsyncSession,
    settings: Settings,
    throttle: Limiter,
    data: RegisterRequest,
    *,
    client: ClientInfo,
    now: datetime,
) -> TokenPair:
    await throttle.hit(REGISTRATIONS_PER_ADDRESS, _address(client))
    phone = normalize_phone(data.phone)
    display_name = clean_text(data.display_name, field="displayName", max_length=50)
    # Checked before the code is spent, so fixing a weak password needs no new code.
    passwords.check_strength(data.password, phone=phone)
    taken = (await session.execute(select(User.id).where(User.phone == phone))).first()
    if taken is not None:
        raise AppError(409, "phone_taken")
    await sms.consume_code(
        session, settings, phone=phone, purpose="register", code=data.sms_code, now=now
    )
    # The unique phone decides a race between registrations the check above let through.
    user = await create_user(
        session, phone=phone, password=data.password, display_name=display_name, now=now
    )
    return await open_session(
        session,
        settings,
        user,
        now=now,
        device_name=client.device_name,
        client_ip=client.address,
    )


async def login_with_password(
    session: AsyncSession,
    settings: Settings,
    throttle: Limiter,
    data: LoginRequest,
    *,
    client: ClientInfo,
    now: datetime,
) -> TokenPair:
    phone = normalize_phone(data.phone)
    address = _address(client)
    await throttle.check(LOGIN_FAILURES_PER_ADDRESS, address)
    await throttle.check_all(LOGIN_FAILURES_PER_PHONE, phone)
    # Counted before the password is checked, so parallel guesses from one address cannot all
    # slip in under its limit; a success clears the count, so only failures add up. Checked
    # last: a request refused by the rules above must not use up a place here.
    await throttle.hit(LOGIN_FAILURES_PER_PHONE_AND_ADDRESS, phone, address)
    user = (await session.execute(select(User).where(User.phone == phone))).scalar_one_or_none()
    valid = await passwords.verify_async(user.password_hash if user else None, data.password)
    if user is None or not user.is_active or not valid:
        await throttle.record(LOGIN_FAILURES_PER_ADDRESS, subject=(address,))
        await throttle.record(*LOGIN_FAILURES_PER_PHONE, subject=(phone,))
        raise AppError(401, "invalid_credentials")
    await _forget_failures(throttle, phone, address)
    return await open_session(
        session, settings, user, now=now, device_name=client.device_name, client_ip=client.address
    )


async def login_with_sms(
    session: AsyncSession,
    settings: Settings,
    throttle: Limiter,
    data: SmsLoginRequest,
    *,
    client: ClientInfo,
    now: datetime,
) -> TokenPair:
    await throttle.hit(CODE_CHECKS_PER_ADDRESS, _address(client))
    phone = normalize_phone(data.phone)
    await sms.consume_code(
        session, settings, phone=phone, purpose="login", code=data.sms_code, now=now
    )
    user = (await session.execute(select(User).where(User.phone == phone))).scalar_one_or_none()
    if user is None or not user.is_active:
        # Codes for unknown phones are never sent, so this is reached only by a guess.
        raise AppError(400, "sms_code_invalid")
    # Whoever holds the phone has proved it: the password delays no longer protect anything.
    await _forget_failures(throttle, phone, _address(client))
    return await open_session(
        session, settings, user, now=now, device_name=client.device_name, client_ip=client.address
    )


async def reset_password(
    session: AsyncSession,
    settings: Settings,
    throttle: Limiter,
    revoke: Revoker,
    data: PasswordResetRequest,
    *,
    client: ClientInfo,
    now: datetime,
) -> None:
    """Set a new password with a reset code; every login of the account ends."""
    await throttle.hit(CODE_CHECKS_PER_ADDRESS, _address(client))
    phone = normalize_phone(data.phone)
    passwords.check_strength(data.new_password, phone=phone, field="newPassword")
    await sms.consume_code(
        session, settings, phone=phone, purpose="reset_password", code=data.sms_code, now=now
    )
    user = (
        await session.execute(select(User).where(User.phone == phone).with_for_update())
    ).scalar_one_or_none()
    if user is None or not user.is_active:
        raise AppError(400, "sms_code_invalid")
    user.password_hash = await passwords.hash_async(data.new_password)
    ended = (
        (
            await session.execute(
                update(AuthSession)
                .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
                .values(revoked_at=now, revoked_reason="password_reset")
                .returning(AuthSession.id)
                .execution_options(synchronize_session=False)
            )
        )
        .scalars()
        .all()
    )
    await session.flush()
    await revoke(list(ended))
    await _forget_failures(throttle, phone, _address(client))


async def _forget_failures(throttle: Limiter, phone: str, address: str) -> None:
    """The phone's owner got in: the failures counted against the phone protect nothing now.

    Other addresses' own counts stay: a guesser elsewhere gets no fresh start from it.
    """
    await throttle.clear(*LOGIN_FAILURES_PER_PHONE, subject=(phone,))
    await throttle.clear(LOGIN_FAILURES_PER_PHONE_AND_ADDRESS, subject=(phone, address))
