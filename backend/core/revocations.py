"""The revoked login sessions, known to every process without a query per request.

PostgreSQL is the source of truth: ``auth_sessions.revoked_at``. A trigger on that column
(migration 0006) sends ``NOTIFY qiyou_session_revoked, '<session id>'`` in the transaction that
revokes, so a rolled-back revocation tells nobody and a committed one tells every process, however
it was made (API, CLI, SQL by hand).

Each process keeps the ids of the sessions revoked within the last access-token lifetime (plus a
margin) in a set: older revocations need no entry, because every access token of such a session
has expired by then. The set is filled at start-up and followed while running:

- a dedicated asyncpg connection LISTENs, and LISTENs *before* the set is loaded, so a
  revocation committed during the load is either in the load or in a notification;
- every ``RESYNC_SECONDS`` the set is re-loaded on that same connection, a safety net for a
  notification that never arrived, and a liveness probe of the connection: a failing probe or a
  dropped connection reconnects (again subscribe first, then load);
- the process that revokes adds the ids itself the moment its transaction commits, so its own
  next request is refused without waiting for the notification's round trip.

While the set cannot be trusted — never loaded, or the listener down for longer than
``STALE_AFTER_SECONDS`` — the check fails closed: authenticated requests answer 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

log = logging.getLogger("qiyou.revocations")

CHANNEL = "qiyou_session_revoked"
# How far a revocation may be from "now" and still matter: the access-token lifetime plus this.
# It covers the clock skew between app hosts and the database, and a token issued by a refresh
# that committed a moment before the revocation.
MARGIN_SECONDS = 60
RESYNC_SECONDS = 30.0
STALE_AFTER_SECONDS = 60.0
RECONNECT_SECONDS = (0.5, 1.0, 2.0, 5.0)
QUERY_TIMEOUT_SECONDS = 10.0
STARTUP_WAIT_SECONDS = 10.0

_LOAD = (
    "SELECT id::text FROM auth_sessions "
    "WHERE revoked_at IS NOT NULL AND revoked_at > now() - make_interval(secs => $1)"
)

Connect = Callable[[], Awaitable[asyncpg.Connection]]


class RevocationsUnavailableError(Exception):
    """The set cannot be trusted right now; the caller answers 503, not 200."""


class RevocationList:
    """This process's view of the revoked sessions (ids as canonical UUID text)."""

    def __init__(
        self,
        connect: Connect,
        *,
        window_seconds: float,
        resync_seconds: float = RESYNC_SECONDS,
        stale_after_seconds: float = STALE_AFTER_SECONDS,
    ) -> None:
        self._connect = connect
        self.window_seconds = window_seconds
        self.resync_seconds = resync_seconds
        self.stale_after_seconds = stale_after_seconds
        # session id -> monotonic time after which no token of it can be alive any more
        self._revoked: dict[str, float] = {}
        self._loaded_at: float | None = None
        self._listening = False
        self._listening_since: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._first_load = asyncio.Event()
        self._stopping = asyncio.Event()
        self._connection: asyncpg.Connection | None = None
        self.reconnects = 0

    # --- the check per request --------------------------------------------------------------

    def is_revoked(self, session_id: str) -> bool:
        if session_id in self._revoked:
            return True
        if not self._listening:
            loaded_at = self._loaded_at
            if loaded_at is None or time.monotonic() - loaded_at > self.stale_after_seconds:
                raise RevocationsUnavailableError
        return False

    def __contains__(self, session_id: object) -> bool:
        """Whether the set holds the id, whatever its freshness (for tools and tests)."""
        return session_id in self._revoked

    # --- what feeds the set ------------------------------------------------------------------

    def add(self, session_ids: Iterable[UUID | str]) -> None:
        until = time.monotonic() + self.window_seconds
        for sid in session_ids:
            self._revoked[str(sid)] = until

    def _prune(self) -> None:
        now = time.monotonic()
        for sid in [sid for sid, until in self._revoked.items() if until <= now]:
            del self._revoked[sid]

    def _on_notification(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.add(part for part in payload.split(",") if part)

    async def _load(self, connection: asyncpg.Connection) -> None:
        rows = await connection.fetch(
            _LOAD, float(self.window_seconds), timeout=QUERY_TIMEOUT_SECONDS
        )
        # Only ever added to: a notification that arrived while the query ran must not be lost
        # by replacing the set with an older snapshot. Entries leave by age alone.
        self._prune()
        self.add(row[0] for row in rows)
        self._loaded_at = time.monotonic()

    # --- the listener's life -----------------------------------------------------------------

    async def start(self) -> None:
        """Start following; wait (a bounded time) for the first load, so a process that can
        reach its database serves no request before it knows the revocations."""
        self._task = asyncio.create_task(self._follow(), name="qiyou-revocations")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._first_load.wait(), STARTUP_WAIT_SECONDS)
        if not self._first_load.is_set():
            log.error("revocations not loaded at start-up; authenticated requests answer 503")

    async def stop(self) -> None:
        # A flag as well as the cancellation: asyncpg's connect and asyncio.wait_for can swallow
        # a cancellation that lands as a connection attempt fails, and the loop must still end.
        self._stopping.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _follow(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("revocation listener lost (%s); reconnecting", exc)
            except Exception:
                # Whatever it was, the listener must come back: a dead task would leave this
                # process refusing every token (fail closed) until it is restarted.
                log.exception("revocation listener failed; reconnecting")
            if self._listening_since is not None:
                # It was live: start the back-off again from the shortest wait.
                failures = 0
            self._listening = False
            self._listening_since = None
            self.reconnects += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._stopping.wait(),
                    RECONNECT_SECONDS[min(failures, len(RECONNECT_SECONDS) - 1)],
                )
            failures += 1

    async def _listen(self) -> None:
        """One connection's life: subscribe, load, then re-load until the connection fails."""
        lost = asyncio.Event()
        connection = await asyncio.wait_for(self._connect(), QUERY_TIMEOUT_SECONDS)
        try:
            connection.add_termination_listener(lambda _conn: lost.set())
            await connection.add_listener(CHANNEL, self._on_notification)
            await self._load(connection)
            self._connection = connection
            self._listening = True
            self._listening_since = time.monotonic()
            self._first_load.set()
            while not self._stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), self.resync_seconds)
                if lost.is_set():
                    raise ConnectionError("the revocation listener's connection closed")
                await self._load(connection)
        finally:
            self._listening = False
            self._connection = None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 2)

    @property
    def listener_pid(self) -> int | None:
        """The server process of the listening connection (for operators and tests)."""
        connection = self._connection
        return connection.get_server_pid() if connection is not None else None


def connector(engine: AsyncEngine) -> Connect:
    """Connections to the engine's database with the engine's own parameters."""
    args, params = engine.dialect.create_connect_args(engine.url)
    params = {**params, "server_settings": {"application_name": "qiyou-revocations"}}

    async def connect() -> asyncpg.Connection:
        return await asyncpg.connect(*args, **params)

    return connect


_PENDING = "qiyou_revoked_on_commit"


def add_on_commit(db_session: AsyncSession, revocations: RevocationList, ids: list[UUID]) -> None:
    """Add ``ids`` to this process's set when ``db_session``'s transaction commits (never if it
    rolls back): the revoking process then refuses the tokens at once, before any notification.
    """
    sync_session = db_session.sync_session
    pending: set[UUID] | None = sync_session.info.get(_PENDING)
    if pending is None:
        pending = sync_session.info[_PENDING] = set()

        def committed(session: Session) -> None:
            # A savepoint's release also reports a commit; only the outermost one is final.
            if session.in_nested_transaction():
                return
            revocations.add(pending)
            pending.clear()

        def rolled_back(session: Session) -> None:
            if not session.in_nested_transaction():
                pending.clear()

        event.listen(sync_session, "after_commit", committed)
        event.listen(sync_session, "after_rollback", rolled_back)
    pending.update(ids)
