"""The ceiling: the benchmarked requests answered by a bare ASGI app straight on asyncpg.

No framework, no ORM, no validation, no authorization, no logging, no metrics: one SQL statement
per request (the rush's is one conditional statement that confirms or waitlists, the storm's one
``INSERT … ON CONFLICT DO NOTHING``), answered with the same JSON as Qiyou — the same keys in
the same order, the same values, times in +08:00 — encoded by msgspec. The benchmark checks that
by fetching one response from each. It runs under the same server as Qiyou (uvicorn, same
flags, one worker), so the ratio ours / ceiling is what our framework, ORM and checks cost.

Started by the benchmark as ``uvicorn tests.bench.ceiling:create --factory``, configured by
``QIYOU_BENCH_DSN`` (asyncpg DSN), ``QIYOU_BENCH_DATA_KEY`` (Qiyou's data key: codes are stored
hashed and encrypted, and the ceiling seals and opens them the same way) and
``QIYOU_BENCH_POOL_SIZE`` (all the connections Qiyou may
hold: its sessions' pool, their overflow and its read pool, so both may hold as many).

Deliberately self-contained: it imports nothing from ``backend`` (that would load Litestar and
SQLAlchemy into this process and blur the memory comparison). Its problem texts are copies of
Qiyou's zh-CN ones; the parity check notices when they drift.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import hmac
import os
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qsl
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import asyncpg
import msgspec
import uuid_utils.compat
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tests.bench import canteen, care_ceiling, ceiling_auth, childcare_ceiling

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
API = "/api/v1"
TICKET_BYTES = 15
CHECK_IN_BYTES = 12
# The purposes Qiyou binds the codes' hashes and encryption to (events.common, hub.common).
TICKET = "ticket-code"
CHECK_IN = "check-in-code"
JSON = b"application/json"
PROBLEM = b"application/problem+json"

PROBLEMS = {
    "not_found": (404, "未找到", "请求的资源不存在。"),
    "unauthorized": (401, "未登录", "请先登录。"),
    "forbidden": (403, "没有权限", "当前账号无权执行此操作。"),
    "already_registered": (
        409,
        "已报名",
        "您已报名此活动（含候补），如需更改请先取消原报名。",
    ),
    "registration_closed": (422, "报名未开放", "此活动当前不在报名时间内。"),
    "booking_conflict": (409, "时段已被预约", "所选时段已被他人预约，请选择其他时间。"),
    # The meal-order rush (tests/bench/canteen.py): the texts of backend/canteen/messages.py.
    "sold_out": (409, "已订完", "这一餐的份数已经订完了。"),
    "already_ordered": (409, "已经订过", "这位用餐人已经订了这一餐。"),
    "order_closed": (422, "已过订餐截止时间", "这一餐已停止订餐或退订。"),
}

# --- SQL: one statement per request -------------------------------------------------------------

LIST_EVENTS = """
SELECT id, title, summary, category, audience, location, starts_at, ends_at,
       registration_opens_at, registration_closes_at, capacity, max_seats_per_registration,
       status, confirmed_seats, waitlisted_count, room_id
FROM events
WHERE status = 'published' AND ends_at > $1
ORDER BY starts_at, id
LIMIT $2
"""

GET_EVENT = """
SELECT e.id, e.title, e.summary, e.body, e.category, e.audience, e.location, e.starts_at,
       e.ends_at, e.registration_opens_at, e.registration_closes_at, e.capacity,
       e.max_seats_per_registration, e.status, e.confirmed_seats, e.waitlisted_count, e.room_id,
       v.name || ' · ' || r.name AS room_name, e.cancelled_at, e.cancel_reason
FROM events AS e
LEFT JOIN rooms AS r ON r.id = e.room_id
LEFT JOIN venues AS v ON v.id = r.venue_id
WHERE e.id = $1
  AND (e.status = 'published' OR (e.status = 'cancelled' AND e.published_at IS NOT NULL))
"""

# The overlap written as the exclusion constraint's GiST index reads it: the same rows as
# ``starts_at < $3 AND ends_at > $2`` without reading the room's whole booking history.
AVAILABILITY = """
SELECT r.id, r.name, r.kind, r.slot_minutes, r.bookable_days_ahead, v.opening_hours,
       ARRAY(
           SELECT tstzrange(b.starts_at, b.ends_at) FROM bookings AS b
           WHERE b.room_id = r.id AND b.status IN ('pending', 'confirmed', 'checked_in')
             AND tstzrange(b.starts_at, b.ends_at, '[)') && tstzrange($2, $3, '[)')
       ) AS booked,
       ARRAY(
           SELECT tstzrange(c.starts_at, c.ends_at) FROM closures AS c
           WHERE c.venue_id = v.id AND (c.room_id IS NULL OR c.room_id = r.id)
             AND c.starts_at < $3 AND c.ends_at > $2
       ) AS closed
FROM rooms AS r JOIN venues AS v ON v.id = r.venue_id
WHERE r.id = $1
"""

_SUMMARY = """id, title, summary, category, audience, location, starts_at, ends_at,
       registration_opens_at, registration_closes_at, capacity, max_seats_per_registration,
       status, confirmed_seats, waitlisted_count, room_id"""

HOME = f"""
SELECT (SELECT count(*) FROM notifications AS n WHERE n.user_id = $1 AND n.read_at IS NULL)
           AS unread,
       ARRAY(
           SELECT ROW({_SUMMARY}) FROM events
           WHERE status = 'published' AND ends_at > $2
           ORDER BY starts_at, id
           LIMIT 5
       ) AS upcoming,
       b.id, b.room_id, r.venue_id, v.name AS venue_name, r.name AS room_name,
       r.cancel_cutoff_minutes, b.kind, b.status, b.starts_at, b.ends_at, b.purpose,
       b.attendees, b.contact_name, b.created_at, b.check_in_code_enc, b.reason, b.checked_in_at,
       b.series_id, b.event_id
FROM (SELECT 1) AS one
LEFT JOIN LATERAL (
    SELECT * FROM bookings
    WHERE user_id = $1 AND status IN ('pending', 'confirmed', 'checked_in') AND ends_at > $2
    ORDER BY starts_at, id
    LIMIT 1
) AS b ON true
LEFT JOIN rooms AS r ON r.id = b.room_id
LEFT JOIN venues AS v ON v.id = r.venue_id
"""

# Confirm while the seats fit and nobody waits, otherwise join the waitlist: the event row's
# conditional UPDATE and the registration's INSERT in one statement (one implicit transaction).
_FITS = "e.waitlisted_count = 0 AND e.confirmed_seats + $3 <= e.capacity"
REGISTER = f"""
WITH taken AS (
    UPDATE events AS e SET
        confirmed_seats = CASE WHEN {_FITS} THEN e.confirmed_seats + $3
                               ELSE e.confirmed_seats END,
        waitlisted_count = CASE WHEN {_FITS} THEN e.waitlisted_count
                                ELSE e.waitlisted_count + 1 END,
        waitlist_seq = CASE WHEN {_FITS} THEN e.waitlist_seq ELSE e.waitlist_seq + 1 END
    FROM users AS u
    WHERE e.id = $1 AND u.id = $2 AND e.status = 'published'
      AND e.registration_opens_at <= $4 AND $4 < e.registration_closes_at
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
)
SELECT * FROM taken
"""

BOOK = """
WITH made AS (
    INSERT INTO bookings (id, room_id, user_id, kind, starts_at, ends_at, status, purpose,
                          attendees, contact_name, check_in_hash, check_in_code_enc, created_at,
                          updated_at)
    SELECT $1, r.id, u.id, 'resident', $4, $5,
           CASE WHEN r.requires_approval THEN 'pending' ELSE 'confirmed' END,
           $6, $7, u.display_name, $8, $9, $10, $10
    FROM rooms AS r, users AS u
    WHERE r.id = $2 AND u.id = $3
    ON CONFLICT DO NOTHING
    RETURNING id, room_id, kind, status, starts_at, ends_at, purpose, attendees, contact_name,
              created_at, check_in_code_enc
)
SELECT m.*, r.venue_id, v.name AS venue_name, r.name AS room_name, r.cancel_cutoff_minutes
FROM made AS m JOIN rooms AS r ON r.id = m.room_id JOIN venues AS v ON v.id = r.venue_id
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
    """Qiyou's SealedCode, restated: a keyed hash to look up, AES-GCM to show again."""

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
        nonce = os.urandom(12)
        return digest, b"\x01" + nonce + self._aead.encrypt(nonce, code.encode(), purpose.encode())

    def open(self, purpose: str, sealed: bytes) -> str:
        return self._aead.decrypt(sealed[1:13], sealed[13:], purpose.encode()).decode()


# --- shaping ------------------------------------------------------------------------------------


def _local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(LOCAL_TZ) if moment is not None else None


def _registration_open(row: Any, now: datetime) -> bool:
    return bool(
        row["status"] == "published"
        and row["registration_opens_at"] <= now < row["registration_closes_at"]
    )


_SUMMARY_FIELDS = tuple(name.strip() for name in _SUMMARY.split(","))


def _event_summary(row: Any, now: datetime) -> dict[str, Any]:
    return {
        "id": row["id"],
        "title": row["title"],
        "summary": row["summary"],
        "category": row["category"],
        "audience": row["audience"],
        "location": row["location"],
        "startsAt": _local(row["starts_at"]),
        "endsAt": _local(row["ends_at"]),
        "registrationOpensAt": _local(row["registration_opens_at"]),
        "registrationClosesAt": _local(row["registration_closes_at"]),
        "capacity": row["capacity"],
        "maxSeatsPerRegistration": row["max_seats_per_registration"],
        "status": row["status"],
        "seatsLeft": row["capacity"] - row["confirmed_seats"],
        "waitlistLength": row["waitlisted_count"],
        "registrationOpen": _registration_open(row, now),
        "roomId": row["room_id"],
    }


def _cursor(kind: str, *values: Any) -> str:
    # Qiyou's format (backend.core.pagination.Keyset): the list's name, then the tagged values.
    tagged = [{"t": v.isoformat()} if isinstance(v, datetime) else {"u": str(v)} for v in values]
    return base64.urlsafe_b64encode(msgspec.json.encode([kind, *tagged])).decode().rstrip("=")


def _booking(row: asyncpg.Record, check_in_code: str) -> dict[str, Any]:
    cancellable_until = None
    if row["kind"] == "resident" and row["status"] in ("pending", "confirmed"):
        cancellable_until = row["starts_at"] - timedelta(minutes=row["cancel_cutoff_minutes"])
    return {
        "id": row["id"],
        "roomId": row["room_id"],
        "venueId": row["venue_id"],
        "roomLabel": f"{row['venue_name']} · {row['room_name']}",
        "kind": row["kind"],
        "status": row["status"],
        "startsAt": _local(row["starts_at"]),
        "endsAt": _local(row["ends_at"]),
        "purpose": row["purpose"],
        "attendees": row["attendees"],
        "contactName": row["contact_name"],
        "createdAt": _local(row["created_at"]),
        "cancellableUntil": _local(cancellable_until),
        "checkInCode": check_in_code,
        "reason": row.get("reason"),
        "checkedInAt": _local(row.get("checked_in_at")),
        "seriesId": row.get("series_id"),
        "eventId": row.get("event_id"),
        "contactPhone": None,
    }


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _hits(spans: list[asyncpg.Range], starts: datetime, ends: datetime) -> bool:
    return any(span.lower < ends and span.upper > starts for span in spans)


def _availability(row: asyncpg.Record, day: date, now: datetime) -> dict[str, Any]:
    weekday = day.isoweekday()
    hours = sorted(
        (_minutes(h["opens"]), _minutes(h["closes"]))
        for h in msgspec.json.decode(row["opening_hours"])
        if h["weekday"] == weekday
    )
    midnight = datetime.combine(day, time(0), LOCAL_TZ)
    beyond = day > now.astimezone(LOCAL_TZ).date() + timedelta(days=row["bookable_days_ahead"])
    slot = row["slot_minutes"]
    booked, closed = row["booked"], row["closed"]
    slots = []
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
                {"startsAt": starts, "endsAt": ends, "available": state == "free", "state": state}
            )
            start += slot
    return {
        "date": day,
        "roomId": row["id"],
        "name": row["name"],
        "kind": row["kind"],
        "openingHours": [{"opens": _hhmm(o), "closes": _hhmm(c)} for o, c in hours],
        "slots": slots,
    }


def _bearer_subject(scope: Scope) -> UUID | None:
    """The token's ``sub``, read without checking anything (the ceiling trusts its callers)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            token = value.split(b" ", 1)[-1]
            try:
                payload = token.split(b".")[1]
                claims = msgspec.json.decode(base64.urlsafe_b64decode(payload + b"=="))
                return UUID(claims["sub"])
            except (IndexError, ValueError, KeyError, msgspec.DecodeError):
                return None
    return None


# --- the app ------------------------------------------------------------------------------------


class Ceiling:
    def __init__(self, dsn: str, pool_size: int, data_key: bytes) -> None:
        self.dsn = dsn
        self.codes = Codes(data_key)
        self.pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self.programs = msgspec.Raw(b"[]")
        # A caregiver's day and a childcare roster verify the token as Qiyou does (issue 17).
        self.verifier = ceiling_auth.Verifier.from_env()

    @property
    def pool(self) -> asyncpg.Pool:
        assert self._pool is not None
        return self._pool

    async def startup(self) -> None:
        self._pool = await asyncpg.create_pool(
            self.dsn,
            min_size=1,
            max_size=self.pool_size,
            # Every statement is its own transaction and no session state is ever set, so the
            # pool's default reset on release (a second round trip) has nothing to undo.
            reset=_no_reset,
            server_settings={"timezone": "UTC", "application_name": "qiyou-ceiling"},
        )
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
        if self._pool is not None:
            await self._pool.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        status, body, media_type = await self._route(scope, receive)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", media_type),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
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

    async def _route(self, scope: Scope, receive: Receive) -> tuple[int, bytes, bytes]:
        method: str = scope["method"]
        parts = scope["path"].removeprefix(API).strip("/").split("/")
        query = dict(parse_qsl(scope["query_string"].decode()))
        try:
            if method == "GET":
                if parts == ["events"]:
                    return await self.list_events(int(query.get("limit", 20)))
                if len(parts) == 2 and parts[0] == "events":
                    return await self.get_event(UUID(parts[1]))
                if len(parts) == 3 and parts[0] == "rooms" and parts[2] == "availability":
                    return await self.availability(
                        UUID(parts[1]), date.fromisoformat(query["date"])
                    )
                if parts == ["home"]:
                    return await self.home(scope)
                if parts in (["me", "care", "orders"], ["manage", "care", "board"]):
                    user_id = _bearer_subject(scope)
                    if user_id is None:
                        return _problem("unauthorized")
                    if parts[0] == "me":
                        limit = int(query.get("limit", 20))
                        return 200, await care_ceiling.my_orders(self.pool, user_id, limit), JSON
                    day = date.fromisoformat(query["date"])
                    return 200, await care_ceiling.board(self.pool, user_id, day), JSON
                if parts == ["caregiver", "visits"] or (
                    len(parts) == 6
                    and parts[:3] == ["manage", "childcare", "programs"]
                    and parts[4] == "sessions"
                ):
                    return await self.verified_read(scope, parts, query)
                if scope["path"] == "/health/live":
                    return 200, b'{"status":"ok"}', JSON
            elif method == "POST":
                body = await _read_body(receive)
                if len(parts) == 3 and parts[0] == "events" and parts[2] == "registrations":
                    return await self.register(scope, UUID(parts[1]), body)
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
        caller = await self.verifier.user(self.pool, scope)
        if caller is None:
            return _problem("unauthorized")
        user_id, role = caller
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

    async def list_events(self, limit: int) -> tuple[int, bytes, bytes]:
        now = datetime.now(UTC)
        rows = await self.pool.fetch(LIST_EVENTS, now, limit + 1)
        page = rows[:limit]
        cursor = (
            _cursor("events", page[-1]["starts_at"], page[-1]["id"]) if len(rows) > limit else None
        )
        items = [_event_summary(row, now) for row in page]
        return 200, msgspec.json.encode({"items": items, "nextCursor": cursor}), JSON

    async def get_event(self, event_id: UUID) -> tuple[int, bytes, bytes]:
        now = datetime.now(UTC)
        row = await self.pool.fetchrow(GET_EVENT, event_id)
        if row is None:
            return _problem("not_found")
        out = _event_summary(row, now)
        out = {
            **{k: out[k] for k in ("id", "title", "summary")},
            "body": row["body"],
            **{k: v for k, v in out.items() if k not in ("id", "title", "summary")},
            "roomName": row["room_name"],
            "cancelledAt": _local(row["cancelled_at"]),
            "cancelReason": row["cancel_reason"],
        }
        return 200, msgspec.json.encode(out), JSON

    async def availability(self, room_id: UUID, day: date) -> tuple[int, bytes, bytes]:
        now = datetime.now(UTC)
        day_start = datetime.combine(day, time(0), LOCAL_TZ)
        row = await self.pool.fetchrow(
            AVAILABILITY, room_id, day_start, day_start + timedelta(days=1)
        )
        if row is None:
            return _problem("not_found")
        return 200, msgspec.json.encode(_availability(row, day, now)), JSON

    async def home(self, scope: Scope) -> tuple[int, bytes, bytes]:
        user_id = _bearer_subject(scope)
        if user_id is None:
            return _problem("unauthorized")
        now = datetime.now(UTC)
        row = await self.pool.fetchrow(HOME, user_id, now)
        assert row is not None
        out = {
            "programs": self.programs,
            "unreadCount": row["unread"],
            "nextBooking": (
                _booking(row, self.codes.open(CHECK_IN, row["check_in_code_enc"]))
                if row["id"] is not None
                else None
            ),
            "upcomingEvents": [
                _event_summary(dict(zip(_SUMMARY_FIELDS, event, strict=True)), now)
                for event in row["upcoming"]
            ],
        }
        return 200, msgspec.json.encode(out), JSON

    async def register(self, scope: Scope, event_id: UUID, body: bytes) -> tuple[int, bytes, bytes]:
        user_id = _bearer_subject(scope)
        if user_id is None:
            return _problem("unauthorized")
        seats = int(msgspec.json.decode(body).get("seats", 1))
        now = datetime.now(UTC)
        registration_id = uuid_utils.compat.uuid7()
        ticket = secrets.token_urlsafe(TICKET_BYTES)
        ticket_hash, ticket_sealed = self.codes.seal(TICKET, ticket)
        try:
            row = await self.pool.fetchrow(
                REGISTER,
                event_id,
                user_id,
                seats,
                now,
                registration_id,
                ticket_hash,
                ticket_sealed,
            )
        except asyncpg.UniqueViolationError:
            return _problem("already_registered")
        if row is None:
            return _problem("registration_closed")
        confirmed = row["waitlisted_count"] == 0
        out = {
            "id": registration_id,
            "eventId": event_id,
            "status": "confirmed" if confirmed else "waitlisted",
            "seats": seats,
            "attendees": [{"name": row["display_name"], "memberId": None}],
            "event": {
                "id": row["id"],
                "title": row["title"],
                "location": row["location"],
                "startsAt": _local(row["starts_at"]),
                "endsAt": _local(row["ends_at"]),
                "status": row["status"],
            },
            "createdAt": _local(now),
            "ticketCode": ticket if confirmed else None,
            "waitlistPosition": None if confirmed else row["waitlisted_count"],
            "confirmedAt": _local(now) if confirmed else None,
            "checkedInAt": None,
            "cancelledAt": None,
            "cancelReason": None,
        }
        return 201, msgspec.json.encode(out), JSON

    async def book(self, scope: Scope, body: bytes) -> tuple[int, bytes, bytes]:
        user_id = _bearer_subject(scope)
        if user_id is None:
            return _problem("unauthorized")
        data = msgspec.json.decode(body)
        now = datetime.now(UTC)
        code = secrets.token_urlsafe(CHECK_IN_BYTES)
        code_hash, code_sealed = self.codes.seal(CHECK_IN, code)
        row = await self.pool.fetchrow(
            BOOK,
            uuid_utils.compat.uuid7(),
            UUID(data["roomId"]),
            user_id,
            datetime.fromisoformat(data["startsAt"]),
            datetime.fromisoformat(data["endsAt"]),
            data["purpose"],
            int(data.get("attendees", 1)),
            code_hash,
            code_sealed,
            now,
        )
        if row is None:
            return _problem("booking_conflict")
        return 201, msgspec.json.encode(_booking(row, code)), JSON

    async def order_meal(self, scope: Scope, body: bytes) -> tuple[int, bytes, bytes]:
        user_id = _bearer_subject(scope)
        if user_id is None:
            return _problem("unauthorized")
        status, answer = await canteen.order_meal(self.pool, self.codes, user_id, body)
        if isinstance(answer, str):
            return _problem(answer)
        return status, msgspec.json.encode(answer), JSON


async def _no_reset(connection: asyncpg.Connection) -> None:
    return None


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _problem(code: str) -> tuple[int, bytes, bytes]:
    status, title, detail = PROBLEMS[code]
    body = {
        "type": f"urn:qiyou:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "requestId": uuid4().hex,
    }
    return status, msgspec.json.encode(body), PROBLEM


def create() -> Ceiling:
    """The uvicorn factory."""
    key = os.environ["QIYOU_BENCH_DATA_KEY"]
    app = Ceiling(
        dsn=os.environ["QIYOU_BENCH_DSN"],
        pool_size=int(os.environ.get("QIYOU_BENCH_POOL_SIZE", "30")),
        data_key=base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)),
    )
    # The same collector settings as Qiyou's server entry (backend/asgi.py: freeze what start-up
    # built, young generation every 20,000 allocations): a process setting, not framework cost,
    # so the ceiling gets it too (it gains ~10 % on the events page at 200 connections).
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(20_000, middle, old)
    return app
