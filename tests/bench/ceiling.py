"""The ceiling: the benchmarked requests answered by a bare ASGI app straight on asyncpg.

An honest ceiling (issue 17): the least work that gives the same answer with the same guarantees,
written as fast as the raw tools allow. So it does what Qiyou must do — verifies the access token
with the same library and checks (PyJWT, HS256 pinned, issuer, audience, expiry, the required
claims, the login session's revocation looked up in a set that follows the database by
LISTEN/NOTIFY, fail closed), applies the registration rules (window, seat limit, audience) and the
booking rules in its SQL or before it, takes the same locks (the event row's in the deciding
statement, the room row before a booking, the advisory lock of an ``Idempotency-Key``), stores
and replays idempotent answers as Qiyou does — and nothing more: no framework, no ORM, no
logging, no metrics. Answers are built once, as msgspec Structs, from the same wire types as
Qiyou's (``schemas``: plain msgspec, no Litestar), so the bytes are the same. docs/performance.md
("The honest ceiling") has the route-by-route checklist of where it still differs and why.

It runs under the same server as Qiyou (uvicorn, same flags, one worker), so the ratio
ours / ceiling is what our framework and our own way of doing the same work cost.

Started by the benchmark as ``uvicorn tests.bench.ceiling:create --factory``, configured by
``QIYOU_BENCH_DSN`` (asyncpg DSN), ``QIYOU_BENCH_DATA_KEY`` (Qiyou's data key: codes are stored
hashed and encrypted, and the ceiling seals and opens them the same way),
``QIYOU_BENCH_JWT_SECRET`` (Qiyou's token secret; ``QIYOU_JWT_SECRET`` when unset) and
``QIYOU_BENCH_POOL_SIZE`` (all the connections Qiyou may hold: its sessions' pool, their overflow
and its read pool, so both may hold as many).

It imports nothing from ``backend`` (that would load Litestar and SQLAlchemy into this process
and blur the memory comparison); the wire types come from ``schemas``, which is plain msgspec.
Its problem texts are copies of Qiyou's zh-CN ones; the parity check notices when they drift.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import hashlib
import hmac
import os
import re
import secrets
import time as monotonic_time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qsl
from uuid import UUID, uuid4

import asyncpg
import jwt
import msgspec
import uuid_utils.compat
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from xxhash import xxh3_128_hexdigest

from schemas.catalog import HomeOut
from schemas.events import (
    Attendee,
    EventBrief,
    EventOut,
    EventSummary,
    RegistrationCreate,
    RegistrationOut,
)
from schemas.hub import BookingIn, BookingOut, Interval, RoomAvailability, Slot, SlotState
from tests.bench import canteen, care_ceiling, childcare_ceiling
from tests.bench.shaping import LOCAL_TZ
from tests.bench.shaping import local as _local

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = tuple[tuple[bytes, bytes], ...]
Reply = tuple[int, bytes, bytes] | tuple[int, bytes, bytes, Headers]

API = "/api/v1"
TICKET_BYTES = 15
CHECK_IN_BYTES = 12
# The purposes Qiyou binds the codes' hashes and encryption to (events.common, hub.common,
# core.idempotency).
TICKET = "ticket-code"
CHECK_IN = "check-in-code"
SEALED_ANSWER = "idempotency-answer"
JSON = b"application/json"
# core.compression.MINIMUM_SIZE: answers from this size on say ``Vary: Accept-Encoding``.
COMPRESS_FROM = 2048
PROBLEM = b"application/problem+json"

# backend.core.auth and backend.config's defaults.
ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti", "iss", "aud"]
ROLES = frozenset(("resident", "worker", "staff", "admin", "dispatcher", "caregiver"))
JWT_ISSUER = "qiyou"
JWT_AUDIENCE = "qiyou-app"
ACCESS_TOKEN_TTL = 15 * 60
# backend.core.revocations
REVOKED_CHANNEL = "qiyou_session_revoked"
REVOCATION_MARGIN = 60
RESYNC_SECONDS = 30.0
LOAD_REVOKED = (
    "SELECT id::text FROM auth_sessions "
    "WHERE revoked_at IS NOT NULL AND revoked_at > now() - make_interval(secs => $1)"
)
# backend.core.idempotency
IDEMPOTENCY_HEADER = b"idempotency-key"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,200}$")
KEEP_ANSWERS = timedelta(hours=24)
# backend.hub.rules: the instants a booking may name.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)

PROBLEMS = {
    "not_found": (404, "未找到", "请求的资源不存在。"),
    "unauthorized": (401, "未登录或登录已失效", "请提供有效的访问令牌。"),
    "forbidden": (403, "没有权限", "当前账号无权执行此操作。"),
    "service_unavailable": (503, "服务暂不可用", "服务暂时不可用，请稍后重试。"),
    "validation_error": (422, "输入有误", "请求中有字段不符合要求。"),
    "already_registered": (
        409,
        "已报名",
        "您已报名此活动（含候补），如需更改请先取消原报名。",
    ),
    "registration_closed": (422, "报名未开放", "此活动当前不在报名时间内。"),
    "too_many_seats": (422, "人数超出限制", "每次报名最多 {max} 人。"),
    "audience_mismatch": (
        422,
        "不符合参加条件",
        "老年活动须有 60 岁及以上的参加者，儿童活动须有 18 岁以下的参加者。",
    ),
    "idempotency_key_reused": (
        422,
        "幂等键被重复使用",
        "同一个 Idempotency-Key 已用于内容不同的请求。",
    ),
    "idempotency_request_in_progress": (
        409,
        "请求处理中",
        "使用同一 Idempotency-Key 的请求仍在处理中，请稍后重试。",
    ),
    "invalid_idempotency_key": (422, "幂等键无效", "Idempotency-Key 须为 1 到 200 个可见字符。"),
    "booking_conflict": (409, "时段已被预约", "所选时段已被他人预约，请选择其他时间。"),
    "booking_limit_reached": (
        409,
        "预约数量已达上限",
        "您在该场地最多可同时持有 {limit} 个有效预约。",
    ),
    "invalid_time_range": (422, "时间段无效", "结束时间必须晚于开始时间。"),
    "in_the_past": (422, "时间已过", "不能预约已经开始或过去的时段。"),
    "too_far_ahead": (422, "超出可预约范围", "最多可提前 {days} 天预约（至 {lastDay}）。"),
    "duration_out_of_range": (
        422,
        "时长不符合要求",
        "预约时长须在 {minMinutes} 至 {maxMinutes} 分钟之间。",
    ),
    "outside_opening_hours": (422, "不在开放时间内", "所选时间不在场馆当天的开放时间内。"),
    "slot_misaligned": (
        422,
        "时间未对齐时段",
        "开始和结束时间须落在每 {slotMinutes} 分钟的时段上。",
    ),
    "over_capacity": (422, "人数超出容量", "该场地最多容纳 {capacity} 人。"),
    "room_closed": (422, "场地暂停开放", "所选时间场地暂停开放，请选择其他时间。"),
    # The meal-order rush (tests/bench/canteen.py): the texts of backend/canteen/messages.py.
    "sold_out": (409, "已订完", "这一餐的份数已经订完了。"),
    "already_ordered": (409, "已经订过", "这位用餐人已经订了这一餐。"),
    "order_closed": (422, "已过订餐截止时间", "这一餐已停止订餐或退订。"),
}


class Home(msgspec.Struct, rename="camel"):
    """``schemas.catalog.HomeOut`` with the programs already encoded (they never change while
    the process lives, in Qiyou as here)."""

    programs: msgspec.Raw
    unread_count: int | None
    next_booking: BookingOut | None = None
    upcoming_events: list[EventSummary] = msgspec.field(default_factory=list)


assert tuple(Home.__struct_fields__) == tuple(HomeOut.__struct_fields__)

_encode = msgspec.json.Encoder().encode
_registration_in = msgspec.json.Decoder(RegistrationCreate).decode
_booking_in = msgspec.json.Decoder(BookingIn).decode


# --- SQL ----------------------------------------------------------------------------------------
#
# The statements Qiyou sends, written by hand: the same rows through the same indexes.

_SUMMARY = """e.id, e.title, e.summary, e.category, e.audience, e.location, e.starts_at,
       e.ends_at, e.registration_opens_at, e.registration_closes_at, e.capacity,
       e.max_seats_per_registration, e.status, e.confirmed_seats, e.waitlisted_count, e.room_id,
       e.status = 'published' AND e.registration_opens_at <= $1
           AND e.registration_closes_at > $1"""

# Start the walk by start at the first published event not over yet (listing.live_from: the
# FILTER keeps PostgreSQL from turning min() into a walk over the finished events).
_LIVE_FROM = """e.starts_at >= (
    SELECT min(live.starts_at) FILTER (WHERE live.ends_at > $1) FROM events AS live
    WHERE live.status = 'published' AND live.ends_at > $1)"""

LIST_EVENTS = f"""
SELECT {_SUMMARY} AS registration_open
FROM events AS e
WHERE e.status = 'published' AND e.ends_at > $1 AND {_LIVE_FROM}
ORDER BY e.starts_at, e.id
LIMIT $2
"""

GET_EVENT = f"""
SELECT {_SUMMARY} AS registration_open, e.body, e.cancelled_at, e.cancel_reason,
       (SELECT v.name || ' · ' || r.name FROM rooms AS r JOIN venues AS v ON v.id = r.venue_id
        WHERE r.id = e.room_id) AS room_name
FROM events AS e
WHERE e.id = $2
  AND (e.status = 'published' OR (e.status = 'cancelled' AND e.published_at IS NOT NULL))
"""

# The overlap written as the exclusion constraint's GiST index reads it.
AVAILABILITY = """
SELECT r.id, r.name, r.kind, r.slot_minutes, r.bookable_days_ahead, v.opening_hours,
       ARRAY(
           SELECT tstzrange(b.starts_at, b.ends_at, '[)') FROM bookings AS b
           WHERE b.room_id = r.id AND b.status IN ('pending', 'confirmed', 'checked_in')
             AND tstzrange(b.starts_at, b.ends_at, '[)') && tstzrange($2, $3, '[)')
       ) AS booked,
       ARRAY(
           SELECT tstzrange(c.starts_at, c.ends_at, '[)') FROM closures AS c
           WHERE (c.room_id = r.id OR (c.room_id IS NULL AND c.venue_id = r.venue_id))
             AND c.starts_at < $3 AND c.ends_at > $2
       ) AS closed
FROM rooms AS r JOIN venues AS v ON v.id = r.venue_id
WHERE r.id = $1
"""

_ACTIVE = "status IN ('pending', 'confirmed', 'checked_in')"

HOME = f"""
SELECT ARRAY(
           SELECT ROW({_SUMMARY}) FROM events AS e
           WHERE e.status = 'published' AND e.ends_at > $1 AND {_LIVE_FROM}
           ORDER BY e.starts_at, e.id
           LIMIT 5
       ) AS upcoming,
       (SELECT count(*) FROM notifications AS n WHERE n.user_id = $2 AND n.read_at IS NULL)
           AS unread,
       b.*
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (
    SELECT bk.id, bk.room_id, bk.kind, bk.status, bk.starts_at, bk.ends_at, bk.purpose,
           bk.attendees, bk.contact_name, bk.created_at, bk.check_in_code_enc, bk.reason,
           bk.checked_in_at, bk.series_id, bk.event_id, r.venue_id, r.name AS room_name,
           r.cancel_cutoff_minutes, v.name AS venue_name
    FROM bookings AS bk JOIN rooms AS r ON r.id = bk.room_id JOIN venues AS v ON v.id = r.venue_id
    WHERE bk.user_id = $2 AND bk.{_ACTIVE} AND bk.ends_at > $1
      AND bk.starts_at >= (
          SELECT min(live.starts_at) FILTER (WHERE live.ends_at > $1) FROM bookings AS live
          WHERE live.user_id = $2 AND live.{_ACTIVE} AND live.ends_at > $1)
    ORDER BY bk.starts_at, bk.id
    LIMIT 1
) AS b ON true
"""

# The registration: the event row's conditional UPDATE — confirm while the seats fit and nobody
# waits, else take the next waitlist number — and the INSERT, in one statement, holding where
# events.rules.RULES hold: the window, the seat limit and the audience. The resident registers
# alone here (as in the rush), so no age is known: an elders' or a children's event refuses
# (Qiyou then takes its long way to learn the resident's age; see the checklist).
_FITS = "e.waitlisted_count = 0 AND e.confirmed_seats + $3 <= e.capacity"
_DECIDE = f"""
taken AS (
    UPDATE events AS e SET
        confirmed_seats = CASE WHEN {_FITS} THEN e.confirmed_seats + $3
                               ELSE e.confirmed_seats END,
        waitlisted_count = CASE WHEN {_FITS} THEN e.waitlisted_count
                                ELSE e.waitlisted_count + 1 END,
        waitlist_seq = CASE WHEN {_FITS} THEN e.waitlist_seq ELSE e.waitlist_seq + 1 END,
        updated_at = now()
    FROM users AS u
    WHERE e.id = $1 AND u.id = $2 AND e.status = 'published'
      AND e.registration_opens_at <= $4 AND e.registration_closes_at > $4
      AND e.max_seats_per_registration >= $3 AND e.audience IN ('all', 'families')
      {{only_if}}
    RETURNING e.id, e.title, e.location, e.starts_at, e.ends_at, e.status, e.waitlisted_count,
              e.waitlist_seq, u.display_name
), registered AS (
    INSERT INTO event_registrations (id, event_id, user_id, status, seats, attendees,
                                     waitlist_seq, ticket_hash, ticket_code_enc, confirmed_at,
                                     created_at)
    SELECT $5, t.id, $2,
           CASE WHEN t.waitlisted_count = 0 THEN 'confirmed' ELSE 'waitlisted' END,
           $3,
           jsonb_build_array(jsonb_build_object('memberId', NULL, 'name', t.display_name)),
           CASE WHEN t.waitlisted_count = 0 THEN NULL ELSE t.waitlist_seq END,
           CASE WHEN t.waitlisted_count = 0 THEN $6 END,
           CASE WHEN t.waitlisted_count = 0 THEN $7::bytea END,
           CASE WHEN t.waitlisted_count = 0 THEN $4 END,
           $4
    FROM taken AS t
)"""

REGISTER = f"WITH {_DECIDE.format(only_if='')} SELECT * FROM taken"

# With an Idempotency-Key, after the key's advisory lock (a statement of its own, so that this
# one's snapshot holds the answer of an attempt that let go of the lock just before): the earlier
# answer if there is one, else the decision — one round trip for what Qiyou asks in two.
REGISTER_KEYED = f"""
WITH earlier AS (
    SELECT fingerprint, response_status, response_body FROM idempotency_keys
    WHERE user_id = $2 AND key = $8 AND state = 'done' AND expires_at >= $4
), {_DECIDE.format(only_if="AND NOT EXISTS (SELECT 1 FROM earlier)")}
SELECT t.*, x.fingerprint, x.response_status, x.response_body
FROM (SELECT 1) AS one LEFT JOIN taken AS t ON true LEFT JOIN earlier AS x ON true
"""

KEY_LOCK = "SELECT pg_try_advisory_xact_lock($1)"

STORE_ANSWER = """
INSERT INTO idempotency_keys (user_id, key, fingerprint, state, response_status, response_body,
                              created_at, expires_at)
VALUES ($1, $2, $3, 'done', $4, $5, $6, $7)
ON CONFLICT (user_id, key) DO UPDATE SET
    fingerprint = excluded.fingerprint, state = excluded.state,
    response_status = excluded.response_status, response_body = excluded.response_body,
    created_at = excluded.created_at, expires_at = excluded.expires_at
"""

# Which rule refused (events.rules.EXPLAIN), asked only after a refusal.
EXPLAIN_REFUSAL = """
SELECT e.max_seats_per_registration, e.audience,
       coalesce(e.status = 'published' AND e.registration_opens_at <= $2
                AND e.registration_closes_at > $2, false) AS registration_open,
       e.max_seats_per_registration >= $3 AS seats_allowed,
       EXISTS (SELECT 1 FROM users WHERE id = $4) AS known
FROM events AS e
WHERE e.id = $1
  AND (e.status = 'published' OR (e.status = 'cancelled' AND e.published_at IS NOT NULL))
"""

# The booking (hub.bookings): first a glance without lock or transaction at everything the rules
# read, refusing what the database as it stands refuses; then, for a request the glance admits,
# the room row locked (FOR NO KEY UPDATE, as Qiyou), and the INSERT counting the resident's
# active bookings against the room's limit, the exclusion constraint deciding the slot.
_ROOM_FOR_BOOKING = """r.id, r.venue_id, r.name, r.capacity, r.requires_approval,
       r.slot_minutes, r.min_minutes, r.max_minutes, r.bookable_days_ahead,
       r.cancel_cutoff_minutes, r.max_active_bookings_per_user, v.name AS venue_name,
       v.opening_hours,
       EXISTS (SELECT 1 FROM closures AS c
               WHERE (c.room_id = r.id OR (c.room_id IS NULL AND c.venue_id = r.venue_id))
                 AND c.starts_at < $4 AND c.ends_at > $3) AS closed,
       (SELECT u.display_name FROM users AS u WHERE u.id = $2 AND u.is_active) AS owner_name"""

_MY_ACTIVE = f"b.user_id = $2 AND b.room_id = $1 AND b.{_ACTIVE} AND b.ends_at > $5"

GLANCE = f"""
SELECT {_ROOM_FOR_BOOKING},
       (SELECT count(*) FROM bookings AS b WHERE {_MY_ACTIVE}) AS active,
       EXISTS (SELECT 1 FROM bookings AS b
               WHERE b.room_id = $1 AND b.{_ACTIVE}
                 AND tstzrange(b.starts_at, b.ends_at, '[)') && tstzrange($3, $4, '[)')) AS taken
FROM rooms AS r JOIN venues AS v ON v.id = r.venue_id
WHERE r.id = $1
"""

LOCK_ROOM = f"""
SELECT {_ROOM_FOR_BOOKING}
FROM rooms AS r JOIN venues AS v ON v.id = r.venue_id
WHERE r.id = $1
FOR NO KEY UPDATE OF r
"""

BOOK = f"""
WITH mine AS (SELECT count(*) AS active FROM bookings AS b WHERE {_MY_ACTIVE}),
made AS (
    INSERT INTO bookings (id, room_id, user_id, kind, starts_at, ends_at, status, purpose,
                          attendees, contact_name, check_in_hash, check_in_code_enc, created_at,
                          updated_at)
    SELECT $6, $1, $2, 'resident', $3, $4, $7, $8, $9, $10, $11, $12, $5, $5
    FROM mine WHERE mine.active < $13
    ON CONFLICT ON CONSTRAINT ex_bookings_no_overlap DO NOTHING
    RETURNING id
)
SELECT mine.active, EXISTS (SELECT 1 FROM made) AS made FROM mine
"""

PROGRAMS = "SELECT code, name_zh, description_zh FROM programs ORDER BY position"
SERVICES = """
SELECT code, program_code, name_zh, description_zh, kind, audience
FROM program_services ORDER BY program_code, position
"""


# --- codes: sealed and opened as backend.core.security does it ---------------------------------


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class Codes:
    """Qiyou's SealedCode and ``encrypt``, restated: a keyed hash to look up, AES-GCM to show
    again (the keys derived once, as Qiyou's cache does)."""

    def __init__(self, master: bytes) -> None:
        self._aead = AESGCM(_derive(master, b"qiyou-encryption"))
        self._master = master
        self._hash_keys: dict[str, bytes] = {}

    def seal(self, purpose: str, code: str) -> tuple[str, bytes]:
        key = self._hash_keys.get(purpose)
        if key is None:
            key = _derive(self._master, b"qiyou-fingerprint:" + purpose.encode())
            self._hash_keys[purpose] = key
        digest = hmac.new(key, code.encode(), hashlib.sha256).hexdigest()
        return digest, self.encrypt(purpose, code.encode())

    def encrypt(self, purpose: str, plain: bytes) -> bytes:
        nonce = os.urandom(12)
        return b"\x01" + nonce + self._aead.encrypt(nonce, plain, purpose.encode())

    def decrypt(self, purpose: str, sealed: bytes) -> bytes:
        return self._aead.decrypt(sealed[1:13], sealed[13:], purpose.encode())

    def open(self, purpose: str, sealed: bytes) -> str:
        return self.decrypt(purpose, sealed).decode()


# --- who is calling: the token checked as backend.core.auth checks it ---------------------------


class RevocationsUnavailableError(Exception):
    pass


class Revocations:
    """backend.core.revocations.RevocationList, restated: the sessions revoked within a token's
    lifetime, loaded after subscribing to their notification and re-loaded every 30 s; unknown
    (never loaded, or the listener's connection lost) fails closed."""

    def __init__(self, dsn: str, window_seconds: float) -> None:
        self.dsn = dsn
        self.window_seconds = window_seconds
        self._revoked: dict[str, float] = {}
        self._connection: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    def is_revoked(self, session_id: str) -> bool:
        if session_id in self._revoked:
            return True
        connection = self._connection
        if connection is None or connection.is_closed():
            raise RevocationsUnavailableError
        return False

    def add(self, session_ids: Any) -> None:
        until = monotonic_time.monotonic() + self.window_seconds
        for sid in session_ids:
            self._revoked[sid] = until

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.add(part for part in payload.split(",") if part)

    async def _load(self, connection: asyncpg.Connection) -> None:
        rows = await connection.fetch(LOAD_REVOKED, float(self.window_seconds))
        now = monotonic_time.monotonic()
        for sid in [sid for sid, until in self._revoked.items() if until <= now]:
            del self._revoked[sid]
        self.add(row[0] for row in rows)

    async def start(self) -> None:
        connection = await asyncpg.connect(
            self.dsn, server_settings={"application_name": "qiyou-ceiling-revocations"}
        )
        await connection.add_listener(REVOKED_CHANNEL, self._notified)
        await self._load(connection)
        self._connection = connection
        self._task = asyncio.create_task(self._resync(connection))

    async def _resync(self, connection: asyncpg.Connection) -> None:
        # The benchmark's ceiling does not reconnect: a lost listener fails closed (503s), which
        # the benchmark would report.
        with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
            while True:
                await asyncio.sleep(RESYNC_SECONDS)
                await self._load(connection)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._connection is not None:
            await self._connection.close()


class Caller(msgspec.Struct, frozen=True):
    id: UUID
    role: str


class RefusedError(Exception):
    def __init__(self, code: str) -> None:
        self.code = code


class Tokens:
    """The access token checked as Qiyou's JWT middleware and ``optional_user`` check it: the
    ``Bearer`` scheme only, PyJWT's ``decode`` with HS256 pinned, the issuer, the audience
    (strict), expiry and the required claims, then the session's revocation and the claims the
    user is read from (``role``, ``sid``). A refused token raises ``RefusedError``."""

    def __init__(self, secret: str, revocations: Revocations, *, issuer: str, audience: str):
        self.secret = secret
        self.revocations = revocations
        self.issuer = issuer
        self.audience = audience
        self.options: Any = {"require": REQUIRED_CLAIMS, "strict_aud": True}

    def caller(self, scope: Scope) -> Caller | None:
        """The caller, or None when no ``Authorization`` header is sent."""
        for name, value in scope["headers"]:
            if name == b"authorization":
                return self.verify(value)
        return None

    def verify(self, header: bytes) -> Caller:
        parts = header.split()
        if len(parts) != 2 or parts[0].lower() != b"bearer":
            raise RefusedError("unauthorized")
        try:
            claims = jwt.decode(
                parts[1],
                self.secret,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options=self.options,
            )
            sid, role = claims["sid"], claims["role"]
            user = Caller(UUID(claims["sub"]), role)
            UUID(sid)
        except (jwt.InvalidTokenError, KeyError, ValueError, TypeError):
            raise RefusedError("unauthorized") from None
        if not isinstance(sid, str) or not sid or role not in ROLES:
            raise RefusedError("unauthorized")
        act = claims.get("act")
        if act is not None and (
            not isinstance(act, dict) or role != "resident" or not _is_uuid(act.get("sub"))
        ):
            # An acting token (RFC 8693's ``act``) is only ever a resident's.
            raise RefusedError("unauthorized")
        try:
            if self.revocations.is_revoked(sid):
                raise RefusedError("unauthorized")
        except RevocationsUnavailableError:
            raise RefusedError("service_unavailable") from None
        return user

    def resident(self, scope: Scope) -> Caller:
        """The caller of a resident-only route (401 without a token, 403 for another role)."""
        user = self.caller(scope)
        if user is None:
            raise RefusedError("unauthorized")
        if user.role != "resident":
            raise RefusedError("forbidden")
        return user


# --- shaping ------------------------------------------------------------------------------------


def _summary(row: Any) -> EventSummary:
    return EventSummary(
        id=row[0],
        title=row[1],
        summary=row[2],
        category=row[3],
        audience=row[4],
        location=row[5],
        starts_at=_local(row[6]),  # type: ignore[arg-type]
        ends_at=_local(row[7]),  # type: ignore[arg-type]
        registration_opens_at=_local(row[8]),  # type: ignore[arg-type]
        registration_closes_at=_local(row[9]),  # type: ignore[arg-type]
        capacity=row[10],
        max_seats_per_registration=row[11],
        status=row[12],
        seats_left=row[10] - row[13],
        waitlist_length=row[14],
        registration_open=row[16],
        room_id=row[15],
    )


def _cursor(kind: str, *values: Any) -> str:
    # Qiyou's format (backend.core.pagination.Keyset): the list's name, then the tagged values.
    tagged = [{"t": v.isoformat()} if isinstance(v, datetime) else {"u": str(v)} for v in values]
    return base64.urlsafe_b64encode(msgspec.json.encode([kind, *tagged])).decode().rstrip("=")


def _cancellable_until(starts_at: datetime, cutoff_minutes: int, now: datetime) -> datetime | None:
    cutoff = starts_at - timedelta(minutes=cutoff_minutes)
    return cutoff if now <= cutoff else None


def _next_booking(row: asyncpg.Record, check_in_code: str, now: datetime) -> BookingOut:
    cancellable_until = None
    if row["kind"] == "resident" and row["status"] in ("pending", "confirmed"):
        cancellable_until = _cancellable_until(row["starts_at"], row["cancel_cutoff_minutes"], now)
    return BookingOut(
        id=row["id"],
        room_id=row["room_id"],
        venue_id=row["venue_id"],
        room_label=f"{row['venue_name']} · {row['room_name']}",
        kind=row["kind"],
        status=row["status"],
        starts_at=_local(row["starts_at"]),  # type: ignore[arg-type]
        ends_at=_local(row["ends_at"]),  # type: ignore[arg-type]
        purpose=row["purpose"],
        attendees=row["attendees"],
        contact_name=row["contact_name"],
        created_at=_local(row["created_at"]),  # type: ignore[arg-type]
        cancellable_until=_local(cancellable_until),
        check_in_code=check_in_code,
        reason=row["reason"],
        checked_in_at=_local(row["checked_in_at"]),
        series_id=row["series_id"],
        event_id=row["event_id"],
    )


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _hours_on(opening_hours: str, day: date) -> list[tuple[int, int]]:
    weekday = day.isoweekday()
    return sorted(
        (_minutes(h["opens"]), _minutes(h["closes"]))
        for h in msgspec.json.decode(opening_hours)
        if h["weekday"] == weekday
    )


def _hits(spans: list[asyncpg.Range], starts: datetime, ends: datetime) -> bool:
    return any(span.lower < ends and span.upper > starts for span in spans)


def _availability(row: asyncpg.Record, day: date, now: datetime) -> RoomAvailability:
    hours = _hours_on(row["opening_hours"], day)
    midnight = datetime.combine(day, time(0), LOCAL_TZ)
    beyond = day > now.astimezone(LOCAL_TZ).date() + timedelta(days=row["bookable_days_ahead"])
    slot = row["slot_minutes"]
    booked, closed = row["booked"], row["closed"]
    slots = []
    state: SlotState
    for opens, closes in hours:
        start = opens
        while start + slot <= closes:
            starts = midnight + timedelta(minutes=start)
            ends = midnight + timedelta(minutes=start + slot)
            if starts < now:
                state = "past"
            elif _hits(closed, starts, ends):
                state = "closed"
            elif _hits(booked, starts, ends):
                state = "booked"
            elif beyond:
                state = "not_yet_bookable"
            else:
                state = "free"
            slots.append(
                Slot(starts_at=starts, ends_at=ends, available=state == "free", state=state)
            )
            start += slot
    return RoomAvailability(
        date=day,
        room_id=row["id"],
        name=row["name"],
        kind=row["kind"],
        opening_hours=[Interval(opens=_hhmm(o), closes=_hhmm(c)) for o, c in hours],
        slots=slots,
    )


def _booking_refusal(room: asyncpg.Record, data: BookingIn, now: datetime) -> Reply | None:
    """hub.rules.check_booking's rules 1 to 8 in their order, the closure and the owner."""
    starts_at, ends_at = data.starts_at, data.ends_at
    if ends_at <= starts_at:
        return _problem("invalid_time_range")
    if starts_at < now:
        return _problem("in_the_past")
    last_day = now.astimezone(LOCAL_TZ).date() + timedelta(days=room["bookable_days_ahead"])
    if starts_at.astimezone(LOCAL_TZ).date() > last_day:
        days = room["bookable_days_ahead"]
        return _problem("too_far_ahead", {"days": days, "lastDay": last_day.isoformat()})
    minutes = (ends_at - starts_at).total_seconds() / 60
    if not room["min_minutes"] <= minutes <= room["max_minutes"]:
        limits = {"minMinutes": room["min_minutes"], "maxMinutes": room["max_minutes"]}
        return _problem("duration_out_of_range", limits)
    day = starts_at.astimezone(LOCAL_TZ).date()
    midnight = datetime.combine(day, time(0), LOCAL_TZ)
    start_s = (starts_at - midnight).total_seconds()
    end_s = (ends_at - midnight).total_seconds()
    containing = next(
        (
            opens
            for opens, closes in _hours_on(room["opening_hours"], day)
            if opens * 60 <= start_s and end_s <= closes * 60
        ),
        None,
    )
    if containing is None:
        return _problem("outside_opening_hours")
    step = room["slot_minutes"] * 60
    if (start_s - containing * 60) % step or (end_s - containing * 60) % step:
        return _problem("slot_misaligned", {"slotMinutes": room["slot_minutes"]})
    if data.attendees > room["capacity"]:
        return _problem("over_capacity", {"capacity": room["capacity"]})
    if room["closed"]:
        return _problem("room_closed")
    if room["owner_name"] is None:
        return _problem("not_found")
    return None


def _fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _lock_key(user_id: UUID, key: str) -> int:
    digest = hashlib.sha256(b"qiyou-idempotency:" + user_id.bytes + key.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _is_uuid(value: object) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def _header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return bytes(value)
    return None


# --- the app ------------------------------------------------------------------------------------


class Ceiling:
    def __init__(
        self,
        dsn: str,
        pool_size: int,
        data_key: bytes,
        jwt_secret: str,
        *,
        jwt_issuer: str = JWT_ISSUER,
        jwt_audience: str = JWT_AUDIENCE,
    ) -> None:
        self.dsn = dsn
        self.codes = Codes(data_key)
        self.pool_size = pool_size
        self.revocations = Revocations(dsn, ACCESS_TOKEN_TTL + REVOCATION_MARGIN)
        self.tokens = Tokens(jwt_secret, self.revocations, issuer=jwt_issuer, audience=jwt_audience)
        self._pool: asyncpg.Pool | None = None
        self.programs = msgspec.Raw(b"[]")

    @property
    def pool(self) -> asyncpg.Pool:
        assert self._pool is not None
        return self._pool

    async def startup(self) -> None:
        self._pool = await asyncpg.create_pool(
            self.dsn,
            min_size=1,
            max_size=self.pool_size,
            # No session state is ever left behind (transactions end before release), so the
            # pool's default reset on release (a second round trip) has nothing to undo.
            reset=_no_reset,
            server_settings={"timezone": "UTC", "application_name": "qiyou-ceiling"},
        )
        await self.revocations.start()
        async with self.pool.acquire() as conn:
            services: dict[str, list[dict[str, Any]]] = {}
            for row in await conn.fetch(SERVICES):
                services.setdefault(row["program_code"], []).append(
                    {
                        "code": row["code"],
                        "name": row["name_zh"],
                        "description": row["description_zh"],
                        "kind": row["kind"],
                        "audience": row["audience"],
                    }
                )
            programs = [
                {
                    "code": row["code"],
                    "name": row["name_zh"],
                    "description": row["description_zh"],
                    "services": services.get(row["code"], []),
                }
                for row in await conn.fetch(PROGRAMS)
            ]
        # The catalogue never changes while the process lives (as in Qiyou): encode it once.
        self.programs = msgspec.Raw(msgspec.json.encode(programs))

    async def shutdown(self) -> None:
        await self.revocations.stop()
        if self._pool is not None:
            await self._pool.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            reply = await self._route(scope, receive)
        except RefusedError as refused:
            reply = _problem(refused.code)
        body = reply[1]
        headers = [(b"content-type", reply[2]), (b"content-length", str(len(body)).encode())]
        if len(reply) == 4:
            headers += reply[3]
        if len(body) >= COMPRESS_FROM:
            # As Qiyou's compression: an answer that would be compressed says it depends on
            # Accept-Encoding (the benchmark sends none, so neither server compresses).
            headers.append((b"vary", b"Accept-Encoding"))
        await send({"type": "http.response.start", "status": reply[0], "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _route(self, scope: Scope, receive: Receive) -> Reply:
        method: str = scope["method"]
        parts = scope["path"].removeprefix(API).strip("/").split("/")
        query = dict(parse_qsl(scope["query_string"].decode()))
        try:
            if method == "GET":
                if parts == ["events"]:
                    return _public(scope, await self.list_events(int(query.get("limit", 20))))
                if len(parts) == 2 and parts[0] == "events":
                    return _public(scope, await self.get_event(UUID(parts[1])))
                if len(parts) == 3 and parts[0] == "rooms" and parts[2] == "availability":
                    day = date.fromisoformat(query["date"])
                    return _public(scope, await self.availability(UUID(parts[1]), day))
                if parts == ["home"]:
                    return await self.home(scope)
                if parts in (["me", "care", "orders"], ["manage", "care", "board"]):
                    return await self.care_read(scope, parts, query)
                if parts == ["caregiver", "visits"] or (
                    len(parts) == 6
                    and parts[:3] == ["manage", "childcare", "programs"]
                    and parts[4] == "sessions"
                ):
                    return await self.verified_read(scope, parts, query)
                if scope["path"] == "/health/live":
                    return 200, b'{"status":"ok"}', JSON
            elif method == "POST":
                if len(parts) == 3 and parts[0] == "events" and parts[2] == "registrations":
                    return await self.register(scope, receive, UUID(parts[1]))
                body = await _read_body(receive)
                if parts == ["bookings"]:
                    return await self.book(scope, body)
                if parts == ["meal-orders"]:
                    return await self.order_meal(scope, body)
        except (ValueError, KeyError):
            pass
        return _problem("not_found")

    async def verified_read(
        self, scope: Scope, parts: list[str], query: dict[str, str]
    ) -> tuple[int, bytes, bytes]:
        """A caregiver's day, a session's roster: personal data, so the token is verified."""
        try:
            caller = self.tokens.caller(scope)
        except RefusedError as refused:
            return _problem(refused.code)
        if caller is None:
            return _problem("unauthorized")
        user_id, role = caller.id, caller.role
        if parts[0] == "caregiver":
            if role != "caregiver":
                return _problem("forbidden")
            day = date.fromisoformat(query["date"]) if "date" in query else None
            limit = int(query.get("limit", 20))
            body = await care_ceiling.caregiver_day(self.pool, self.codes, user_id, day, limit)
            return 200, body, JSON
        status, answer = await childcare_ceiling.roster(
            self.pool, self.codes, user_id, role, UUID(parts[3]), date.fromisoformat(parts[5])
        )
        if isinstance(answer, str):
            return _problem(answer)
        return status, answer, JSON

    async def list_events(self, limit: int) -> Reply:
        now = datetime.now(UTC)
        rows = await self.pool.fetch(LIST_EVENTS, now, limit + 1)
        page = rows[:limit]
        cursor = (
            _cursor("events", page[-1]["starts_at"], page[-1]["id"]) if len(rows) > limit else None
        )
        items = [_summary(row) for row in page]
        return 200, _encode({"items": items, "nextCursor": cursor}), JSON

    async def get_event(self, event_id: UUID) -> Reply:
        now = datetime.now(UTC)
        row = await self.pool.fetchrow(GET_EVENT, now, event_id)
        if row is None:
            return _problem("not_found")
        out = EventOut(
            id=row[0],
            title=row[1],
            summary=row[2],
            body=row[17],
            category=row[3],
            audience=row[4],
            location=row[5],
            starts_at=_local(row[6]),  # type: ignore[arg-type]
            ends_at=_local(row[7]),  # type: ignore[arg-type]
            registration_opens_at=_local(row[8]),  # type: ignore[arg-type]
            registration_closes_at=_local(row[9]),  # type: ignore[arg-type]
            capacity=row[10],
            max_seats_per_registration=row[11],
            status=row[12],
            seats_left=row[10] - row[13],
            waitlist_length=row[14],
            registration_open=row[16],
            room_id=row[15],
            room_name=row[20],
            cancelled_at=_local(row[18]),
            cancel_reason=row[19],
        )
        return 200, _encode(out), JSON

    async def availability(self, room_id: UUID, day: date) -> Reply:
        now = datetime.now(UTC)
        if not EARLIEST.date() <= day < LATEST.date():
            return _problem("validation_error")
        day_start = datetime.combine(day, time(0), LOCAL_TZ)
        row = await self.pool.fetchrow(
            AVAILABILITY, room_id, day_start, day_start + timedelta(days=1)
        )
        if row is None:
            return _problem("not_found")
        return 200, _encode(_availability(row, day, now)), JSON

    async def home(self, scope: Scope) -> Reply:
        user = self.tokens.caller(scope)
        if user is None:
            # The benchmark reads home signed in; the anonymous screen is not served here.
            return _problem("unauthorized")
        now = datetime.now(UTC)
        row = await self.pool.fetchrow(HOME, now, user.id)
        assert row is not None
        out = Home(
            programs=self.programs,
            unread_count=row["unread"],
            next_booking=(
                _next_booking(row, self.codes.open(CHECK_IN, row["check_in_code_enc"]), now)
                if row["id"] is not None
                else None
            ),
            upcoming_events=[_summary(event) for event in row["upcoming"]],
        )
        return 200, _encode(out), JSON

    async def register(self, scope: Scope, receive: Receive, event_id: UUID) -> Reply:
        user = self.tokens.resident(scope)
        raw = await _read_body(receive)
        try:
            data = _registration_in(raw)
        except msgspec.DecodeError:
            return _problem("validation_error")
        if data.member_ids:
            # Registering household members is not benchmarked; Qiyou's long way (members'
            # ages, the resident's verified birth date) is not restated here.
            return _problem("validation_error")
        key = _header(scope, IDEMPOTENCY_HEADER)
        now = datetime.now(UTC)
        registration_id = uuid_utils.compat.uuid7()
        ticket = secrets.token_urlsafe(TICKET_BYTES)
        ticket_hash, ticket_sealed = self.codes.seal(TICKET, ticket)
        args = (event_id, user.id, data.seats, now, registration_id, ticket_hash, ticket_sealed)
        if key is None:
            try:
                row = await self.pool.fetchrow(REGISTER, *args)
            except asyncpg.UniqueViolationError:
                return _problem("already_registered")
            if row is None:
                return await self._refusal(event_id, user.id, data.seats, now)
            return 201, _encode(_registration(row, data.seats, registration_id, ticket, now)), JSON
        text = key.decode("latin-1")
        if not KEY_PATTERN.match(text):
            return _problem("invalid_idempotency_key")
        fingerprint = _fingerprint(scope["method"], scope["path"], raw)
        async with self.pool.acquire() as conn:
            # One transaction: the key's lock, the earlier answer or the decision, the answer
            # stored with the registration (core.idempotency's guarantees).
            transaction = conn.transaction()
            await transaction.start()
            try:
                if not await conn.fetchval(KEY_LOCK, _lock_key(user.id, text)):
                    await transaction.rollback()
                    return _problem("idempotency_request_in_progress", headers=_RETRY_AFTER)
                row = await conn.fetchrow(REGISTER_KEYED, *args, text)
                assert row is not None
                if row["fingerprint"] is not None:
                    await transaction.rollback()
                    if row["fingerprint"] != fingerprint:
                        return _problem("idempotency_key_reused")
                    replayed = self.codes.decrypt(SEALED_ANSWER, row["response_body"])
                    return row["response_status"], replayed, JSON, _REPLAYED
                if row["id"] is None:
                    await transaction.rollback()
                    return await self._refusal(event_id, user.id, data.seats, now)
                body = _encode(_registration(row, data.seats, registration_id, ticket, now))
                await conn.execute(
                    STORE_ANSWER,
                    user.id,
                    text,
                    fingerprint,
                    201,
                    self.codes.encrypt(SEALED_ANSWER, body),
                    now,
                    now + KEEP_ANSWERS,
                )
                await transaction.commit()
            except asyncpg.UniqueViolationError:
                await transaction.rollback()
                return _problem("already_registered")
            except BaseException:
                await transaction.rollback()
                raise
        return 201, body, JSON

    async def _refusal(self, event_id: UUID, user_id: UUID, seats: int, now: datetime) -> Reply:
        row = await self.pool.fetchrow(EXPLAIN_REFUSAL, event_id, now, seats, user_id)
        if row is None:
            return _problem("not_found")
        if not row["registration_open"]:
            return _problem("registration_closed")
        if not row["seats_allowed"]:
            most = row["max_seats_per_registration"]
            return _problem(
                "too_many_seats", {"max": most}, extra={"maxSeatsPerRegistration": most}
            )
        if not row["known"]:
            return _problem("unauthorized")
        return _problem("audience_mismatch", extra={"audience": row["audience"]})

    async def book(self, scope: Scope, body: bytes) -> Reply:
        user = self.tokens.resident(scope)
        try:
            data = _booking_in(body)
        except msgspec.DecodeError:
            return _problem("validation_error")
        if not (EARLIEST <= data.starts_at < LATEST and EARLIEST <= data.ends_at < LATEST):
            return _problem("validation_error")
        now = datetime.now(UTC)
        span = (data.room_id, user.id, data.starts_at, data.ends_at)
        if data.ends_at > data.starts_at:
            seen = await self.pool.fetchrow(GLANCE, *span, now)
            if seen is None:
                return _problem("not_found")
            refused = _booking_refusal(seen, data, now)
            if refused is not None:
                return refused
            if seen["active"] >= seen["max_active_bookings_per_user"]:
                return _problem(
                    "booking_limit_reached", {"limit": seen["max_active_bookings_per_user"]}
                )
            if seen["taken"]:
                return _problem("booking_conflict")
        code = secrets.token_urlsafe(CHECK_IN_BYTES)
        code_hash, code_sealed = self.codes.seal(CHECK_IN, code)
        booking_id = uuid_utils.compat.uuid7()
        async with self.pool.acquire() as conn, conn.transaction():
            room = await conn.fetchrow(LOCK_ROOM, *span)
            if room is None:
                return _problem("not_found")
            refused = _booking_refusal(room, data, now)
            if refused is not None:
                return refused
            status = "pending" if room["requires_approval"] else "confirmed"
            limit = room["max_active_bookings_per_user"]
            outcome = await conn.fetchrow(
                BOOK,
                *span,
                now,
                booking_id,
                status,
                data.purpose,
                data.attendees,
                room["owner_name"],
                code_hash,
                code_sealed,
                limit,
            )
        assert outcome is not None
        if not outcome["made"]:
            if outcome["active"] >= limit:
                return _problem("booking_limit_reached", {"limit": limit})
            return _problem("booking_conflict")
        out = BookingOut(
            id=booking_id,
            room_id=room["id"],
            venue_id=room["venue_id"],
            room_label=f"{room['venue_name']} · {room['name']}",
            kind="resident",
            status=status,  # type: ignore[arg-type]
            starts_at=_local(data.starts_at),  # type: ignore[arg-type]
            ends_at=_local(data.ends_at),  # type: ignore[arg-type]
            purpose=data.purpose,
            attendees=data.attendees,
            contact_name=room["owner_name"],
            created_at=_local(now),  # type: ignore[arg-type]
            cancellable_until=_local(
                _cancellable_until(data.starts_at, room["cancel_cutoff_minutes"], now)
            ),
            check_in_code=code,
        )
        return 201, _encode(out), JSON

    async def care_read(self, scope: Scope, parts: list[str], query: dict[str, str]) -> Reply:
        """A household's care orders (residents) and the dispatcher's board (dispatchers and
        admins), the token checked as for every other signed-in route."""
        try:
            if parts[0] == "me":
                user = self.tokens.resident(scope)
                limit = int(query.get("limit", 20))
                return 200, await care_ceiling.my_orders(self.pool, user.id, limit), JSON
            caller = self.tokens.caller(scope)
        except RefusedError as refused:
            return _problem(refused.code)
        if caller is None:
            return _problem("unauthorized")
        if caller.role not in ("dispatcher", "admin"):
            return _problem("forbidden")
        day = date.fromisoformat(query["date"])
        return 200, await care_ceiling.board(self.pool, caller.id, day), JSON

    async def order_meal(self, scope: Scope, body: bytes) -> Reply:
        try:
            user_id = self.tokens.resident(scope).id
        except RefusedError as refused:
            return _problem(refused.code)
        status, answer = await canteen.order_meal(self.pool, self.codes, user_id, body)
        if isinstance(answer, str):
            return _problem(answer)
        return status, msgspec.json.encode(answer), JSON


def _public(scope: Scope, reply: Reply) -> Reply:
    """A public read's ETag (core.compression: XXH3-128 of the body, in hex), and 304 when
    ``If-None-Match`` names it."""
    status, body = reply[0], reply[1]
    if status != 200:
        return reply
    tag = b'"%s"' % xxh3_128_hexdigest(body).encode()
    condition = _header(scope, b"if-none-match")
    if condition is not None and (
        condition.strip() == b"*" or tag[1:-1] in _TAG.findall(condition)
    ):
        return 304, b"", JSON, ((b"etag", tag),)
    return status, body, reply[2], ((b"etag", tag),)


_TAG = re.compile(rb'(?:W/)?"([^"]*)"')
_RETRY_AFTER: Headers = ((b"retry-after", b"1"),)
_REPLAYED: Headers = ((b"idempotent-replayed", b"true"),)


def _registration(
    row: asyncpg.Record, seats: int, registration_id: UUID, ticket: str, now: datetime
) -> RegistrationOut:
    """events.wire.new_registration: nobody waiting after the decision means confirmed."""
    confirmed = row["waitlisted_count"] == 0
    local_now = _local(now)
    return RegistrationOut(
        id=registration_id,
        event_id=row["id"],
        status="confirmed" if confirmed else "waitlisted",
        seats=seats,
        attendees=[Attendee(name=row["display_name"], member_id=None)],
        event=EventBrief(
            id=row["id"],
            title=row["title"],
            location=row["location"],
            starts_at=_local(row["starts_at"]),  # type: ignore[arg-type]
            ends_at=_local(row["ends_at"]),  # type: ignore[arg-type]
            status=row["status"],
        ),
        created_at=local_now,  # type: ignore[arg-type]
        ticket_code=ticket if confirmed else None,
        waitlist_position=None if confirmed else row["waitlisted_count"],
        confirmed_at=local_now if confirmed else None,
    )


async def _no_reset(connection: asyncpg.Connection) -> None:
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _problem(
    code: str,
    params: dict[str, Any] | None = None,
    *,
    extra: dict[str, Any] | None = None,
    headers: Headers = (),
) -> Reply:
    status, title, detail = PROBLEMS[code]
    body: dict[str, Any] = {
        "type": f"urn:qiyou:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail.format(**params) if params else detail,
        "code": code,
    }
    if extra:
        body.update(extra)
    body["requestId"] = uuid4().hex
    return status, _encode(body), PROBLEM, headers


def create() -> Ceiling:
    """The uvicorn factory."""
    key = os.environ["QIYOU_BENCH_DATA_KEY"]
    app = Ceiling(
        dsn=os.environ["QIYOU_BENCH_DSN"],
        pool_size=int(os.environ.get("QIYOU_BENCH_POOL_SIZE", "30")),
        data_key=base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)),
        jwt_secret=os.environ.get("QIYOU_BENCH_JWT_SECRET") or os.environ["QIYOU_JWT_SECRET"],
    )
    # The same collector settings as Qiyou's server entry (backend/asgi.py: freeze what start-up
    # built, young generation every 20,000 allocations): a process setting, not framework cost,
    # so the ceiling gets it too (it gains ~10 % on the events page at 200 connections).
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(20_000, middle, old)
    return app
