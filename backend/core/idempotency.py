"""``Idempotency-Key`` for creating POSTs.

A phone on a bad network retries; the retry must not book twice. The first request with a key
claims it in its own committed statement, so a concurrent duplicate sees the claim at once
(409 while it runs). The answer is stored in the *same* transaction as whatever the request
created, so the record and the creation commit or vanish together. A repeat with the same key
and body replays the first answer; the same key with another body is 422.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec
from litestar import Request, Response
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from backend.core.errors import AppError
from backend.core.models import IdempotencyKey
from backend.core.responses import Answer

HEADER = "idempotency-key"
KEEP_FOR = timedelta(hours=24)
# A claim older than this whose request never finished (a crashed worker) may be taken over.
ABANDONED_AFTER = timedelta(seconds=60)
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")

Handler = Callable[[], Awaitable[tuple[int, Any]]]


def _fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _replay(row: IdempotencyKey) -> Response[bytes]:
    return Answer(
        content=row.response_body or b"",
        status_code=row.response_status or 200,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"},
    )


async def _claim(
    engine: AsyncEngine, user_id: UUID, key: str, fingerprint: str, now: datetime
) -> IdempotencyKey | None:
    """Claim the key in its own transaction; return the existing record if someone has it."""
    async with engine.begin() as conn:
        await conn.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.expires_at < now
            )
        )
        inserted = await conn.execute(
            insert(IdempotencyKey)
            .values(
                user_id=user_id,
                key=key,
                fingerprint=fingerprint,
                state="running",
                created_at=now,
                expires_at=now + KEEP_FOR,
            )
            .on_conflict_do_nothing()
            .returning(IdempotencyKey.key)
        )
        if inserted.first() is not None:
            return None
        existing = (
            await conn.execute(
                select(IdempotencyKey.__table__).where(
                    IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
                )
            )
        ).one()
        record = IdempotencyKey(**existing._mapping)
        if record.state == "running" and record.created_at < now - ABANDONED_AFTER:
            taken = await conn.execute(
                update(IdempotencyKey)
                .where(
                    IdempotencyKey.user_id == user_id,
                    IdempotencyKey.key == key,
                    IdempotencyKey.state == "running",
                    IdempotencyKey.created_at == record.created_at,
                )
                .values(fingerprint=fingerprint, created_at=now, expires_at=now + KEEP_FOR)
            )
            if taken.rowcount == 1:
                return None
        return record


async def _release(engine: AsyncEngine, user_id: UUID, key: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id,
                IdempotencyKey.key == key,
                IdempotencyKey.state == "running",
            )
        )


async def idempotent(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    user_id: UUID,
    now: datetime,
    handler: Handler,
) -> Response[Any]:
    """Run ``handler`` (which returns a status and a body) at most once per key."""
    key = request.headers.get(HEADER)
    if key is None:
        status, body = await handler()
        return Answer(content=body, status_code=status)
    if not _KEY_PATTERN.match(key):
        raise AppError(422, "invalid_idempotency_key")
    engine: AsyncEngine = request.app.state.db_engine
    fingerprint = _fingerprint(request.method, request.url.path, await request.body())
    existing = await _claim(engine, user_id, key, fingerprint, now)
    if existing is not None:
        if existing.fingerprint != fingerprint:
            raise AppError(422, "idempotency_key_reused")
        if existing.state == "running":
            raise AppError(409, "idempotency_request_in_progress", headers={"Retry-After": "1"})
        return _replay(existing)
    try:
        status, body = await handler()
        encoded = msgspec.json.encode(body)
        await session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
            .values(state="done", response_status=status, response_body=encoded)
        )
    except BaseException:
        await _release(engine, user_id, key)
        raise
    return Answer(content=encoded, status_code=status, media_type="application/json")
