"""The ``qiyou`` command: run the service, migrate, manage staff accounts, load demo data."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar
from uuid import UUID

import click

from backend.config import Settings, SettingsError, new_data_key
from backend.core import migrations
from backend.core.database import EmbeddedPostgres, asyncpg_url, resolve_database_url

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


class _Commands(click.Group):
    """Every subcommand: a settings error, or a database that cannot be reached, is one line and
    exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from exc
        except (ConnectionError, socket.gaierror, TimeoutError) as exc:
            # Most often a wrong host or port in QIYOU_DATABASE_URL: a setting, not a bug.
            raise click.ClickException(
                f"cannot reach the database ({exc}); check QIYOU_DATABASE_URL"
            ) from exc


@click.group(cls=_Commands)
def main() -> None:
    """Qiyou (七优): the Gaozhao sub-district resident-services backend."""


def is_loopback(host: str) -> bool:
    """Whether a server bound to ``host`` can be reached from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        # Any other name may resolve to an address others reach.
        return False


def _choose_dev_routes(settings: Settings, host: str) -> Settings:
    """Refuse, or warn about, a development server others can reach; settle the dev routes.

    The development routes hand out every account's latest SMS code, i.e. a login. A newcomer's
    ``qiyou run`` (no QIYOU_ENV, loopback) keeps them; a server that listens elsewhere must have
    had its mode chosen, and development chosen there is said out loud.
    """
    loopback = is_loopback(host)
    if not settings.is_production and not settings.env_chosen and not loopback:
        raise click.ClickException(
            f"refusing to listen on {host}: QIYOU_ENV is not set, so this would be development "
            "mode, whose /api/v1/dev routes give anyone who reaches the server the login code of "
            "any account. Set QIYOU_ENV=production to serve others, or QIYOU_ENV=development "
            "to accept that risk on a network you trust."
        )
    if loopback and settings.dev_routes is None and not settings.is_production:
        # The workers are other processes; they learn the decision from the environment.
        os.environ["QIYOU_DEV_ROUTES"] = "on"
        settings = replace(settings, dev_routes=True)
    if settings.dev_routes_enabled and not loopback:
        line = "!" * 78
        click.echo(
            f"{line}\nWARNING: {settings.env} mode listening on {host}: the development routes "
            "(/api/v1/dev/...) give anyone\nwho reaches this server the login code of any "
            "account, admins included. Use QIYOU_ENV=production\nfor anything but a network "
            f"you trust, or QIYOU_DEV_ROUTES=off.\n{line}",
            err=True,
        )
    return settings


def _base_url(host: str, port: int) -> str:
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _banner(settings: Settings, host: str, port: int, embedded: EmbeddedPostgres | None) -> str:
    """What a newcomer needs to see at start: the mode, where things are, where data lives."""
    base = _base_url(host, port)
    how = "QIYOU_ENV" if settings.env_chosen else "the default: QIYOU_ENV is not set"
    routes = "on" if settings.dev_routes_enabled else "off"
    listening = " (listening on every address)" if host in ("0.0.0.0", "::") else ""  # noqa: S104
    if embedded is not None:
        data = f"{embedded.data_dir} (embedded PostgreSQL under {embedded.pgdata})"
    else:
        data = f"{settings.data_dir.resolve()}; database: external (QIYOU_DATABASE_URL)"
    docs = f"{base}/schema" if settings.schema_enabled else "off (QIYOU_SCHEMA=on serves it)"
    metrics = f"{base}/metrics" if settings.metrics_enabled else "off (see QIYOU_METRICS)"
    return "\n".join(
        (
            f"Qiyou: mode {settings.env} ({how}), development routes {routes}",
            f"  API:     {base}/api/v1{listening}",
            f"  docs:    {docs}",
            f"  metrics: {metrics}",
            f"  data:    {data}",
        )
    )


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM (systemd, Docker, Kubernetes) ends the run like Ctrl-C: through the ``finally``
    # that stops the embedded PostgreSQL. Uvicorn, while it serves, handles the signal itself
    # (a graceful shutdown) and then re-raises it here.
    raise KeyboardInterrupt


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def run(host: str, port: int, workers: int) -> None:
    """Migrate the database to the latest schema, then serve the API."""
    import uvicorn

    settings = _choose_dev_routes(_settings(), host)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    external = settings.database_url
    embedded = None if external else EmbeddedPostgres(settings.data_dir)
    try:
        url = embedded.start() if embedded is not None else asyncpg_url(external or "")
        migrations.upgrade(url, data_key=settings.data_key)
        # Workers are separate processes: hand them the database this process made sure of,
        # so none of them starts an embedded server of its own.
        os.environ["QIYOU_DATABASE_URL"] = url
        if workers > 1 and not settings.redis_url:
            click.echo(
                "note: without QIYOU_REDIS_URL each worker keeps its own rate-limit counters",
                err=True,
            )
        click.echo(_banner(settings, host, port, embedded), err=True)
        if embedded is not None:
            embedded.watch()
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
    except KeyboardInterrupt:
        pass
    finally:
        # A second SIGTERM (an impatient supervisor) must not cut the server's shutdown short.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if embedded is not None:
            embedded.stop()
        signal.signal(signal.SIGTERM, previous)


@main.command()
@click.option(
    "--concurrency",
    default=None,
    type=click.IntRange(1, 100),
    help="Jobs run at once (default: QIYOU_WORKER_CONCURRENCY, 4).",
)
def worker(concurrency: int | None) -> None:
    """Run background jobs (no HTTP): as many of these, on as many hosts, as the load needs.

    Stops on SIGTERM or Ctrl-C after the running jobs finish (at most QIYOU_JOB_SHUTDOWN
    seconds; a job cut short is run again)."""
    from backend.app import create_app
    from backend.jobs.queue import run_worker

    settings = replace(_settings(), worker=False)
    url = _database(settings)
    # The app's wiring (engine, clock, every domain's registered jobs), without serving it.
    app = create_app(settings, database_url=url)
    runtime = app.state.jobs
    click.echo(f"Qiyou worker: concurrency {concurrency or settings.worker_concurrency}", err=True)

    async def main() -> None:
        try:
            await run_worker(
                runtime,
                url,
                concurrency=concurrency or settings.worker_concurrency,
                install_signal_handlers=True,
            )
        finally:
            await app.state.db_engine.dispose()

    asyncio.run(main())


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
    type=click.Choice(["admin", "worker", "staff", "resident", "dispatcher", "caregiver"]),
)
@click.option("--name", "display_name", default=None)
@click.option(
    "--provider",
    "provider_id",
    type=click.UUID,
    default=None,
    help="the care provider a dispatcher or caregiver works for (required for those roles)",
)
def users_create(
    phone: str, password: str, role: str, display_name: str | None, provider_id: UUID | None
) -> None:
    """Create an account, or give an existing phone this role and password."""
    from backend.core.errors import AppError
    from backend.eldercare import service as eldercare
    from backend.identity import service

    care_role = role in eldercare.CARE_STAFF_ROLES
    if care_role and provider_id is None:
        raise click.UsageError(f"a {role} works for a care provider: give --provider ID")
    if not care_role and provider_id is not None:
        raise click.UsageError("--provider is only for a dispatcher or caregiver")
    settings = _settings()
    url = _database(settings)
    migrations.upgrade(url, data_key=settings.data_key)

    async def work(session: Any) -> tuple[str, bool]:
        user_id, created = await service.upsert_staff_account(
            session, phone=phone, password=password, role=role, display_name=display_name
        )
        if provider_id is not None:
            await eldercare.set_care_provider(session, UUID(str(user_id)), provider_id)
        return user_id, created

    try:
        user_id, created = _with_session(url, settings, work)
    except AppError as exc:
        raise click.ClickException(f"{exc.code}: {exc.params or exc.errors or ''}") from exc
    answer = {"id": user_id, "phone": phone, "role": role, "created": created}
    if provider_id is not None:
        answer["providerId"] = str(provider_id)
    click.echo(json.dumps(answer))


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
