"""SMS verification codes: issue, deliver, check.

The per-phone rules (one code per 60 s, ten per Asia/Shanghai day) are business rules, held by
the database: issuing takes a transaction-scoped advisory lock on the phone, so two concurrent
requests for one phone are serialised and the second sees the first one's row.

Codes are stored as keyed hashes (HMAC under the data key): six digits are a million values, so
a plain hash of a leaked table would give every live code away at once.
"""

from __future__ import annotations

import hashlib
import logging
import math
from abc import ABC, abstractmethod
from datetime import datetime, timedelta

from litestar.stores.base import Store
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.clock import LOCAL_TZ
from backend.core.errors import AppError, rate_limited
from backend.core.security import constant_time_equal, digits_code, keyed_hash
from backend.identity.models import SmsCode, User
from schemas.identity import SmsCodeSent, SmsPurpose

log = logging.getLogger("qiyou.sms")

CODE_LENGTH = 6
CODE_TTL = timedelta(minutes=5)
RESEND_AFTER = timedelta(seconds=60)
MAX_PER_DAY = 10
MAX_ATTEMPTS = 5
OUTBOX_STORE = "sms_outbox"
# Rows older than this can no longer matter to any rule (the daily count looks back one day).
_KEEP_ROWS_FOR = timedelta(days=2)


class SmsSender(ABC):
    @abstractmethod
    async def send(self, phone: str, code: str, purpose: SmsPurpose) -> None: ...


class ConsoleSender(SmsSender):
    """Development and tests: log the code and keep it for ``GET /dev/sms-codes/latest``."""

    def __init__(self, outbox: Store) -> None:
        self.outbox = outbox

    async def send(self, phone: str, code: str, purpose: SmsPurpose) -> None:
        log.info("sms code for %s (%s): %s", mask_phone(phone), purpose, code)
        await self.outbox.set(phone, code.encode(), expires_in=int(CODE_TTL.total_seconds()))


class UnconfiguredSender(SmsSender):
    """Production without an SMS provider: refuse loudly instead of pretending to send.

    The console backend is never used in production, because it would log live codes.
    """

    async def send(self, phone: str, code: str, purpose: SmsPurpose) -> None:
        log.error("no SMS provider is configured; a %s code was not sent", purpose)
        raise AppError(503, "sms_unavailable")


def sender_for(settings: Settings, outbox: Store) -> SmsSender:
    if settings.sms_backend == "console" and not settings.is_production:
        return ConsoleSender(outbox)
    return UnconfiguredSender()


async def latest_outbox_code(outbox: Store, phone: str) -> str | None:
    raw = await outbox.get(phone)
    return raw.decode() if raw is not None else None


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "***"


def _code_hash(settings: Settings, phone: str, purpose: str, code: str) -> str:
    return keyed_hash(settings.data_key, "sms-code", f"{phone}:{purpose}:{code}")


def _lock_key(phone: str) -> int:
    digest = hashlib.sha256(b"qiyou-sms-code:" + phone.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _local_midnight(now: datetime) -> datetime:
    local = now.astimezone(LOCAL_TZ)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


async def issue_code(
    session: AsyncSession,
    settings: Settings,
    sender: SmsSender,
    *,
    phone: str,
    purpose: SmsPurpose,
    now: datetime,
) -> SmsCodeSent:
    """Issue a code for ``phone`` (already normalised) under the per-phone rules."""
    account = (
        await session.execute(select(User.id, User.is_active).where(User.phone == phone))
    ).first()
    if purpose == "register" and account is not None:
        raise AppError(409, "phone_taken")
    # Login and reset codes for a phone without an account are issued and counted like any
    # other, but never sent: the answer and its timing must not reveal whether it exists.
    deliver = purpose == "register" or (account is not None and account.is_active)

    await session.execute(select(func.pg_advisory_xact_lock(_lock_key(phone))))
    midnight = _local_midnight(now)
    issued = list(
        (
            await session.execute(
                select(SmsCode.created_at)
                .where(
                    SmsCode.phone == phone,
                    SmsCode.created_at >= min(midnight, now - RESEND_AFTER),
                )
                .order_by(SmsCode.created_at.desc())
            )
        ).scalars()
    )
    if issued and now - issued[0] < RESEND_AFTER:
        wait = RESEND_AFTER - (now - issued[0])
        raise rate_limited(math.ceil(wait.total_seconds()), code="sms_code_too_soon")
    if sum(1 for at in issued if at >= midnight) >= MAX_PER_DAY:
        # A day in Asia/Shanghai is always 24 h long: there is no daylight saving time there.
        wait = midnight + timedelta(days=1) - now
        raise rate_limited(math.ceil(wait.total_seconds()), code="sms_daily_limit")

    # One live code per phone and purpose: a new one replaces any earlier one.
    await session.execute(
        update(SmsCode)
        .where(SmsCode.phone == phone, SmsCode.purpose == purpose, SmsCode.consumed_at.is_(None))
        .values(consumed_at=now)
    )
    code = digits_code(CODE_LENGTH)
    session.add(
        SmsCode(
            phone=phone,
            purpose=purpose,
            code_hash=_code_hash(settings, phone, purpose, code),
            created_at=now,
            expires_at=now + CODE_TTL,
            attempts=0,
        )
    )
    await session.flush()
    if deliver:
        await sender.send(phone, code, purpose)
    return SmsCodeSent(
        expires_in=int(CODE_TTL.total_seconds()),
        resend_after=int(RESEND_AFTER.total_seconds()),
    )


async def consume_code(
    session: AsyncSession,
    settings: Settings,
    *,
    phone: str,
    purpose: SmsPurpose,
    code: str,
    now: datetime,
) -> None:
    """Spend the phone's live code for ``purpose``, or answer 400 ``sms_code_invalid``.

    A wrong try is counted and committed before the error is raised (the request's transaction
    rolls back on errors), so five wrong tries burn the code whatever the caller does next.
    The row lock makes two requests with the same right code spend it once.
    """
    row = (
        await session.execute(
            select(SmsCode.id, SmsCode.code_hash, SmsCode.attempts, SmsCode.expires_at)
            .where(
                SmsCode.phone == phone,
                SmsCode.purpose == purpose,
                SmsCode.consumed_at.is_(None),
            )
            .order_by(SmsCode.created_at.desc())
            .limit(1)
            .with_for_update()
        )
    ).first()
    if row is None or row.expires_at <= now or row.attempts >= MAX_ATTEMPTS:
        raise AppError(400, "sms_code_invalid")
    candidate = code.strip()
    if constant_time_equal(row.code_hash, _code_hash(settings, phone, purpose, candidate)):
        await session.execute(update(SmsCode).where(SmsCode.id == row.id).values(consumed_at=now))
        return
    await session.execute(
        update(SmsCode).where(SmsCode.id == row.id).values(attempts=SmsCode.attempts + 1)
    )
    await session.commit()
    raise AppError(400, "sms_code_invalid")


async def delete_old_codes(session: AsyncSession, *, now: datetime, limit: int) -> int:
    """Housekeeping (a periodic job, ``backend.jobs.housekeeping``): drop up to ``limit`` codes
    older than any rule looks back. Issuing a code no longer deletes."""
    old = (
        select(SmsCode.id)
        .where(SmsCode.created_at < now - _KEEP_ROWS_FOR)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        delete(SmsCode).where(SmsCode.id.in_(old)).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
