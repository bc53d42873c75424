"""``Idempotency-Key`` for creating POSTs.

A phone on a bad network retries; the retry must not book twice. A request with a key holds a
transaction-level advisory lock on (user, key) in its own transaction, from before it looks
for an earlier answer until it commits or rolls back; a concurrent duplicate that cannot take
the lock answers 409 while the first runs. The answer is stored in that *same* transaction as
whatever the request created, so the record and the creation commit or vanish together. A repeat
with the same key and body replays the first answer; the same key with another body is 422.

Every answer is stored sealed with the data key: answers carry what the service otherwise keeps
only hashed or encrypted (a ticket or pickup code, a refresh token, a child's health notes, a
trusted person's phone), and a copy of them in clear would undo that for a day.

Why a lock and not a committed "in progress" row: a row outlives the worker that wrote it. When a
worker was killed mid-request its row stayed "running", and every retry was refused for a minute
until the row counted as abandoned — and a request slower than that minute could be run twice.
PostgreSQL releases a dead connection's locks as soon as it notices the connection is gone, so
"running" now means exactly "a live transaction holds the lock", and an abandoned request leaves
nothing behind: its transaction is rolled back with it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, cast
from uuid import UUID

import msgspec
from litestar import Request, Response
from litestar.params import HeaderParameter
from sqlalchemy import BigInteger, DateTime, String, Table, Uuid, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.batches import delete_batch
from backend.core.errors import AppError
from backend.core.models import IdempotencyKey
from backend.core.responses import Answer
from backend.core.security import SEALED_VERSION, decrypt, encrypt
from schemas import patterns

HEADER = "idempotency-key"
KEEP_FOR = timedelta(hours=24)
_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
# Rows are only ever written finished; "running" rows were left by releases before the lock
# (their claim was committed apart from the request) and count as absent.
_DONE = "done"

# Declared on every operation that honours the key, so the OpenAPI document states it. The
# pattern is stated, not enforced by Litestar: `idempotent` answers 422 invalid_idempotency_key.
IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        description="repeat it when retrying this request; 1 to 200 visible ASCII characters",
        schema_extra={
            "pattern": patterns.IDEMPOTENCY_KEY,
            "minLength": 1,
            "maxLength": patterns.IDEMPOTENCY_KEY_MAX_LENGTH,
        },
    ),
]

Handler = Callable[[], Awaitable[tuple[int, Any]]]

# Every keyed creation runs these three, so each is built once (a statement built per request
# pays SQLAlchemy's construction and cache key again: ~0.1 ms of the worker each, in a rush).
_KEYS = cast(Table, IdempotencyKey.__table__)
_K = _KEYS.c
_TAKE_LOCK = select(func.pg_try_advisory_xact_lock(bindparam("lock", type_=BigInteger)))
_EARLIER = select(_K.fingerprint, _K.response_status, _K.response_body).where(
    _K.user_id == bindparam("user_id", type_=Uuid),
    _K.key == bindparam("key", type_=String),
    _K.state == _DONE,
    _K.expires_at >= bindparam("now", type_=DateTime(timezone=True)),
)
_STORED = ("fingerprint", "state", "response_status", "response_body", "created_at", "expires_at")
_new_answer = insert(_KEYS).values(
    {name: bindparam(name, type_=_K[name].type) for name in ("user_id", "key", *_STORED)}
)
_STORE = _new_answer.on_conflict_do_update(
    index_elements=[_K.user_id, _K.key],
    set_={name: _new_answer.excluded[name] for name in _STORED},
)


def _fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def lock_key(user_id: UUID, key: str) -> int:
    """The advisory lock of one user's key: 64 bits of a hash, in a namespace of its own (a
    collision only makes a retry wait for another request of the same user)."""
    digest = hashlib.sha256(b"qiyou-idempotency:" + user_id.bytes + key.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


_SEALED = "idempotency-answer"


def _replay(row: Any, data_key: bytes) -> Response[bytes]:
    body = row.response_body or b""
    # Releases before every answer was sealed stored most in clear (JSON, never starting with
    # the sealed version byte); they expire within ``KEEP_FOR`` of the upgrade.
    if body[:1] == SEALED_VERSION:
        body = decrypt(data_key, _SEALED, body).encode()
    return Answer(
        content=body,
        status_code=row.response_status or 200,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"},
    )


async def delete_expired(session: AsyncSession, *, now: datetime, limit: int) -> int:
    """Housekeeping (a periodic job, ``backend.jobs.housekeeping``): drop up to ``limit``
    expired answers, oldest first, skipping rows another run is dropping. Requests never
    delete: an expired row is ignored by the lookup and overwritten by a new answer."""
    return await delete_batch(
        session,
        IdempotencyKey,
        (IdempotencyKey.user_id, IdempotencyKey.key),
        IdempotencyKey.expires_at < now,
        limit=limit,
        oldest_first=IdempotencyKey.expires_at,
    )


async def idempotent(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    user_id: UUID,
    now: datetime,
    handler: Handler,
) -> Response[Any]:
    """Run ``handler`` (which returns a status and a body) at most once per key; the answer is
    stored sealed with the app's data key."""
    key = request.headers.get(HEADER)
    if key is None:
        status, body = await handler()
        return Answer(content=body, status_code=status)
    if not _KEY_PATTERN.match(key):
        raise AppError(422, "invalid_idempotency_key")
    fingerprint = _fingerprint(request.method, request.url.path, await request.body())
    # Taken in the request's transaction and released by its commit or rollback — or by
    # PostgreSQL when the worker's connection dies. Not waited for: a phone retrying while the
    # first attempt still runs is told so at once.
    taken = (await session.execute(_TAKE_LOCK, {"lock": lock_key(user_id, key)})).scalar_one()
    if not taken:
        raise AppError(409, "idempotency_request_in_progress", headers={"Retry-After": "1"})
    # A statement of its own after the lock, so its snapshot includes the answer a finished
    # first attempt committed just before it let go of the lock.
    earlier = (
        await session.execute(_EARLIER, {"user_id": user_id, "key": key, "now": now})
    ).first()
    if earlier is not None:
        if earlier.fingerprint != fingerprint:
            raise AppError(422, "idempotency_key_reused")
        return _replay(earlier, request.app.state.settings.data_key)
    status, body = await handler()
    encoded = msgspec.json.encode(body)
    await session.execute(
        _STORE,
        {
            "user_id": user_id,
            "key": key,
            "fingerprint": fingerprint,
            "state": _DONE,
            "response_status": status,
            "response_body": encrypt(
                request.app.state.settings.data_key, _SEALED, encoded.decode()
            ),
            "created_at": now,
            "expires_at": now + KEEP_FOR,
        },
    )
    return Answer(content=encoded, status_code=status, media_type="application/json")
