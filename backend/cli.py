"""The ``qiyou`` command: run the service, migrate, manage staff accounts, load demo data."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from backend.config import Settings, SettingsError, new_data_key
from backend.core import migrations
from backend.core.database import resolve_database_url

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _database(settings: Settings) -> str:
    url = resolve_database_url(settings)
    if not settings.database_url:
        click.echo(f"embedded PostgreSQL under {settings.data_dir.resolve() / 'pg'}", err=True)
    return url


def _with_session(url: str, settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    async def main() -> T:
        engine = create_async_engine(url)
        try:
            factory = async_sessionmaker(engine, expire_on_commit=False)
            async with factory() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(main())


@click.group()
def main() -> None:
    """Qiyou (七优): the Gaozhao sub-district resident-services backend."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def run(host: str, port: int, workers: int) -> None:
    """Migrate the database to the latest schema, then serve the API."""
    import uvicorn

    settings = _settings()
    url = _database(settings)
    migrations.upgrade(url, data_key=settings.data_key)
    # Workers are separate processes: hand them the database this process made sure of, so
    # none of them starts an embedded server of its own.
    os.environ["QIYOU_DATABASE_URL"] = url
    if workers > 1 and not settings.redis_url:
        click.echo(
            "note: without QIYOU_REDIS_URL each worker keeps its own rate-limit counters",
            err=True,
        )
    uvicorn.run(
        "backend.asgi:create",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        server_header=False,
        log_level=settings.log_level.lower(),
        access_log=False,
    )


@main.group()
def db() -> None:
    """Schema migrations."""


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Bring the database to REVISION (default: the latest)."""
    settings = _settings()
    migrations.upgrade(_database(settings), revision, data_key=settings.data_key)
    click.echo(f"database at {revision}")


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Take the database back to REVISION (``base`` empties it)."""
    settings = _settings()
    migrations.downgrade(_database(settings), revision, data_key=settings.data_key)
    click.echo(f"database at {revision}")


@db.command()
def current() -> None:
    """Show the database's revision."""
    migrations.current(_database(_settings()))


@main.group()
def users() -> None:
    """Staff and admin accounts."""


@users.command("create")
@click.option("--phone", required=True)
@click.option("--password", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "worker", "staff", "resident"]),
)
@click.option("--name", "display_name", default=None)
def users_create(phone: str, password: str, role: str, display_name: str | None) -> None:
    """Create an account, or give an existing phone this role and password."""
    from backend.core.errors import AppError
    from backend.identity import service

    settings = _settings()
    url = _database(settings)
    migrations.upgrade(url, data_key=settings.data_key)

    async def work(session: Any) -> tuple[str, bool]:
        return await service.upsert_staff_account(
            session, phone=phone, password=password, role=role, display_name=display_name
        )

    try:
        user_id, created = _with_session(url, settings, work)
    except AppError as exc:
        raise click.ClickException(f"{exc.code}: {exc.params or exc.errors or ''}") from exc
    click.echo(json.dumps({"id": user_id, "phone": phone, "role": role, "created": created}))


@main.command()
def demo() -> None:
    """Load the demo data set (safe to run again: it adds nothing twice)."""
    from backend import demo as demo_data

    settings = _settings()
    url = _database(settings)
    migrations.upgrade(url, data_key=settings.data_key)
    summary = _with_session(url, settings, lambda session: demo_data.load(session, settings))
    for line in summary:
        click.echo(line)


@main.command()
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=ROOT / "schemas" / "openapi.json",
    show_default=True,
)
def openapi(output: Path) -> None:
    """Write the OpenAPI document the phone team generates its client from."""
    from backend.openapi import render_openapi

    output.write_text(render_openapi())
    click.echo(f"wrote {output}")


@main.command()
def keygen() -> None:
    """Print a fresh QIYOU_DATA_KEY."""
    click.echo(new_data_key())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
