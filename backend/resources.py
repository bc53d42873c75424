"""What an app serves with: its settings, clock and database, and the state built on them.

An app has two parts. Its *shape* (the routes, the middleware, the contract document) is built
from the settings alone by ``backend.app.build_app``, and is costly: Litestar parses the
signature of every one of ~900 route handlers, ~0.15 s of CPU. Its *resources* are cheap and
hold everything that belongs to one database and one clock: the sessions' engine, the reads'
pool, the revocation list, the job runtime, the stores and the rate limiter. ``create_app``
builds one of each and ``bind``\\s them; the test suite builds a shape once per worker process
and binds fresh resources for every test (tests/conftest.py, docs/testing.md).

Everything that reads them reads them from the app at the time of the request
(``app.state.settings``, ``clock_of``, ``reader_of``, ``limiter_for``, ``app.stores``), never
from a closure made while the app was built.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import cast

from advanced_alchemy.extensions.litestar import SQLAlchemyAsyncConfig
from litestar import Litestar
from litestar.stores.registry import StoreRegistry
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from backend.config import Settings
from backend.core.clock import Clock
from backend.core.database import (
    BeforeCommit,
    BeforeSend,
    OnSend,
    build_read_pool,
    build_sqlalchemy_config,
    with_before_commit,
)
from backend.core.ratelimit import Limiter, build_storage
from backend.core.reads import Reader
from backend.core.revocations import MARGIN_SECONDS, RevocationList, connector
from backend.core.stores import build_store_registry
from backend.jobs.queue import InProcessWorker, JobRuntime


# No repr: the settings hold the secrets (the tokens' key, the data key).
@dataclass(frozen=True, eq=False, repr=False)
class Resources:
    """One database's and one clock's worth of what an app serves with."""

    settings: Settings
    clock: Clock
    # The engine and the session maker (with advanced-alchemy's listeners) of the sessions.
    database: SQLAlchemyAsyncConfig
    reader: Reader
    revocations: RevocationList
    jobs: JobRuntime
    # ``qiyou run`` runs the jobs in-process (QIYOU_WORKER, on unless off); an app built by hand
    # (the tests) runs none, and tests run them with backend.jobs.testing.drain.
    worker: InProcessWorker | None
    stores: StoreRegistry
    limiter: Limiter

    @classmethod
    def build(cls, settings: Settings, url: str, clock: Clock) -> Resources:
        """Nothing connects yet: the pools open their connections when first used."""
        database = build_sqlalchemy_config(settings, url)
        engine = database.get_engine()
        jobs = JobRuntime(settings, clock, async_sessionmaker(engine, expire_on_commit=False))
        return cls(
            settings=settings,
            clock=clock,
            database=database,
            reader=Reader(build_read_pool(settings, engine)),
            revocations=RevocationList(
                connector(engine),
                window_seconds=settings.access_token_ttl_seconds + MARGIN_SECONDS,
            ),
            jobs=jobs,
            worker=InProcessWorker(jobs, url, settings.worker_concurrency)
            if settings.worker
            else None,
            stores=build_store_registry(settings.redis_url),
            limiter=Limiter(build_storage(settings.redis_url), enabled=settings.rate_limit_enabled),
        )

    @property
    def engine(self) -> AsyncEngine:
        return self.database.get_engine()

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[None]:
        """From the app's start to its stop (its lifespan): the revocations' listener and the
        in-process worker run; at the end, or when starting fails, every connection closes."""
        async with AsyncExitStack() as stack:
            stack.push_async_callback(self.engine.dispose)
            stack.push_async_callback(self.reader.pool.close)
            stack.push_async_callback(self.revocations.stop)
            await self.revocations.start()
            if self.worker:
                stack.push_async_callback(self.worker.stop)
                await self.worker.start()
            yield


def bind(app: Litestar, resources: Resources) -> None:
    """Serve ``app`` with ``resources`` from its next start (lifespan) on.

    Bind while the app is stopped: a running app's lifespan keeps the resources it started with
    and stops those.
    """
    app.state.resources = resources
    # The names the code reads them by (each read at the time of a request).
    app.state.settings = resources.settings
    app.state.clock = resources.clock
    app.state.db_engine = resources.engine
    app.state.reader = resources.reader
    app.state.revocations = resources.revocations
    app.state.jobs = resources.jobs
    app.state.limiter = resources.limiter
    app.stores = resources.stores


def resources_of(app: Litestar) -> Resources:
    return cast(Resources, app.state.resources)


@asynccontextmanager
async def serving(app: Litestar) -> AsyncIterator[None]:
    """The app's lifespan manager for its resources: those bound when it starts."""
    async with resources_of(app).serving():
        yield


class RequestSessions(SQLAlchemyAsyncConfig):
    """advanced-alchemy's plugin: a session per request (``db_session``), committed when the
    answer is 2xx and rolled back otherwise, from the session maker of the app's resources.

    Its own lifespan would put an engine of its own in the app's state and dispose of it at the
    end; this one hands the plugin the bound resources' engine and session maker instead, and
    leaves their end to ``Resources.serving``.
    """

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        database = resources_of(app).database
        app.state.update(
            {
                self.engine_app_state_key: database.get_engine(),
                self.session_maker_app_state_key: database.create_session_maker(),
            }
        )
        yield


def request_sessions(
    *, before_commit: BeforeCommit | None = None, on_send: OnSend | None = None
) -> RequestSessions:
    """``before_commit`` runs at the answer's start, before the commit or the rollback;
    ``on_send`` before both, with every message sent (also those of requests without a
    session)."""
    config = RequestSessions(
        before_send_handler="autocommit", create_all=False, session_dependency_key="db_session"
    )
    if before_commit is not None:
        config.before_send_handler = with_before_commit(
            cast("BeforeSend", config.before_send_handler),
            config.session_scope_key,
            before_commit,
            first=on_send,
        )
    elif on_send is not None:
        raise ValueError("on_send needs before_commit (they share one hook)")
    return config
