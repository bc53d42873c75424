"""SMS verification codes: issue, deliver, check.

The per-phone rules (one code per 60 s, ten per Asia/Shanghai day) are business rules, held by
the database: issuing takes a transaction-scoped advisory lock on the phone, so two concurrent
requests for one phone are serialised and the second sees the first one's row.

Codes are stored as keyed hashes (HMAC under the data key): six digits are a million values, so
a plain hash of a leaked table would give every live code away at once.

Delivery is a job (``identity.sms_code``), queued in the transaction that writes the code's row:
the request answers without waiting for the provider, a rolled-back request sends nothing, and a
provider failure is retried with backoff and ends in the queue's failed state if it persists.
The job's payload carries the code encrypted under the data key, never in clear. Before sending,
the job checks that the code is still live (not spent, replaced or expired): a late retry never
delivers a code that can no longer be used.

Providers: Aliyun SMS (its HTTP API, signature version 1.0) when ``QIYOU_SMS_PROVIDER=aliyun``;
outside production the console provider, which logs the code from the job and, in the request
already, keeps it in the development outbox that ``GET /dev/sms-codes/latest`` reads.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import math
import uuid
from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from litestar.stores.base import Store
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.batches import delete_batch
from backend.core.clock import LOCAL_TZ
from backend.core.errors import AppError, rate_limited
from backend.core.security import constant_time_equal, decrypt, digits_code, encrypt, keyed_hash
from backend.identity.models import SmsCode, User
from backend.jobs import JobContext, enqueue, task
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


SMS_TASK = "identity.sms_code"
# Five runs: 10 s, 20 s, 40 s and 80 s apart with the default backoff, all inside the code's
# five minutes, so a provider that stays down leaves a failed job while the code still mattered.
SMS_MAX_ATTEMPTS = 5
_SEAL_PURPOSE = "sms-code-job"


class SmsSender(ABC):
    """What the request does beside queueing the job (the send itself is the job's)."""

    @abstractmethod
    async def send(self, phone: str, code: str, purpose: SmsPurpose) -> None: ...


class ConsoleSender(SmsSender):
    """Development and tests: keep the code for ``GET /dev/sms-codes/latest`` at once (the job
    logs it), so a local client reads its code without waiting for a worker."""

    def __init__(self, outbox: Store) -> None:
        self.outbox = outbox

    async def send(self, phone: str, code: str, purpose: SmsPurpose) -> None:
        await self.outbox.set(phone, code.encode(), expires_in=int(CODE_TTL.total_seconds()))


class ProviderSender(SmsSender):
    """A real provider: the job sends; nothing to do in the request."""

    async def send(self, phone: str, code: str, purpose: SmsPurpose) -> None:
        return None


class UnconfiguredSender(SmsSender):
    """Production without an SMS provider: refuse loudly instead of pretending to send.

    The console backend is never used in production, because it would log live codes.
    """

    async def send(self, phone: str, code: str, purpose: SmsPurpose) -> None:
        log.error("no SMS provider is configured; a %s code was not sent", purpose)
        raise AppError(503, "sms_unavailable")


def sender_for(settings: Settings, outbox: Store) -> SmsSender:
    if settings.sms_backend == "aliyun":
        return ProviderSender()
    if settings.sms_backend == "console" and not settings.is_production:
        return ConsoleSender(outbox)
    return UnconfiguredSender()


class SmsDeliveryError(RuntimeError):
    """The provider did not take the message: the job fails and is retried."""


class SmsProvider(ABC):
    @abstractmethod
    async def deliver(self, phone: str, code: str, purpose: SmsPurpose) -> None: ...


class ConsoleProvider(SmsProvider):
    """Development: the code goes to the log (never in production: it would log live codes)."""

    async def deliver(self, phone: str, code: str, purpose: SmsPurpose) -> None:
        log.info("sms code for %s (%s): %s", mask_phone(phone), purpose, code)


def _percent(value: str) -> str:
    """Aliyun's percent-encoding: RFC 3986, UTF-8, space as %20, ``~`` kept."""
    return quote(value, safe="~")


def aliyun_signature(secret: str, method: str, params: dict[str, str]) -> str:
    """Signature version 1.0 of Aliyun's RPC APIs (HMAC-SHA1 over the sorted, encoded query)."""
    canonical = "&".join(f"{_percent(k)}={_percent(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{_percent('/')}&{_percent(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunProvider(SmsProvider):
    """Aliyun SMS (阿里云短信服务) ``SendSms`` over its HTTP API, one template for every purpose,
    the code as its ``code`` parameter."""

    # Refusals a retry cannot change: logged, the job ends.
    PERMANENT = frozenset({"isv.MOBILE_NUMBER_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT"})

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.client = client

    def signed(self, phone: str, code: str, now: datetime) -> dict[str, str]:
        params = {
            "AccessKeyId": self.settings.sms_access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "PhoneNumbers": phone,
            "RegionId": "cn-hangzhou",
            "SignName": self.settings.sms_sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": str(uuid.uuid4()),
            "SignatureVersion": "1.0",
            "TemplateCode": self.settings.sms_template_code,
            "TemplateParam": json.dumps({"code": code}, separators=(",", ":")),
            "Timestamp": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        params["Signature"] = aliyun_signature(self.settings.sms_access_key_secret, "POST", params)
        return params

    async def deliver(self, phone: str, code: str, purpose: SmsPurpose) -> None:
        params = self.signed(phone, code, datetime.now(UTC))
        client = self.client or httpx.AsyncClient(timeout=self.settings.push_timeout_seconds)
        try:
            response = await client.post(self.settings.sms_url, data=params)
        except httpx.HTTPError as exc:
            raise SmsDeliveryError(f"Aliyun SMS: {type(exc).__name__}") from exc
        finally:
            if self.client is None:
                await client.aclose()
        try:
            body: dict[str, Any] = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = {}
        answer = str(body.get("Code", ""))
        if response.status_code == 200 and answer == "OK":
            return
        if answer in self.PERMANENT:
            log.error("Aliyun SMS refused a %s code for %s: %s", purpose, mask_phone(phone), answer)
            return
        raise SmsDeliveryError(f"Aliyun SMS: {response.status_code} {answer or 'no answer'}")


def provider_for(settings: Settings) -> SmsProvider:
    if settings.sms_backend == "aliyun":
        return AliyunProvider(settings)
    if settings.sms_backend == "console":
        return ConsoleProvider()
    raise SmsDeliveryError("no SMS provider is configured")


async def queue_code(
    session: AsyncSession, settings: Settings, *, phone: str, purpose: SmsPurpose, code: str
) -> None:
    """Queue the code's delivery in ``session``'s transaction; the code travels encrypted."""
    sealed = encrypt(settings.data_key, _SEAL_PURPOSE, f"{phone}:{purpose}:{code}")
    await enqueue(
        session,
        SMS_TASK,
        {"phone": phone, "purpose": purpose, "sealed": base64.b64encode(sealed).decode()},
    )


@task(SMS_TASK, max_attempts=SMS_MAX_ATTEMPTS)
async def send_code(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Send a code if it is still live; a provider failure raises, and the queue retries."""
    phone, purpose = str(payload["phone"]), payload["purpose"]
    opened = decrypt(ctx.settings.data_key, _SEAL_PURPOSE, base64.b64decode(payload["sealed"]))
    sealed_phone, sealed_purpose, code = opened.split(":", 2)
    if (sealed_phone, sealed_purpose) != (phone, purpose):
        raise ValueError("the sealed code belongs to another phone or purpose")
    async with ctx.sessions() as session:
        live = await session.scalar(
            select(SmsCode.id).where(
                SmsCode.phone == phone,
                SmsCode.purpose == purpose,
                SmsCode.code_hash == _code_hash(ctx.settings, phone, purpose, code),
                SmsCode.consumed_at.is_(None),
                SmsCode.expires_at > ctx.clock.now(),
            )
        )
    if live is None:
        log.warning("a %s code for %s is no longer live; not sent", purpose, mask_phone(phone))
        return
    await provider_for(ctx.settings).deliver(phone, code, purpose)


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
        await queue_code(session, settings, phone=phone, purpose=purpose, code=code)
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
    old = SmsCode.created_at < now - _KEEP_ROWS_FOR
    return await delete_batch(session, SmsCode, (SmsCode.id,), old, limit=limit)
