"""One compiled-statement cache for every engine of a test process, as production has one.

SQLAlchemy keeps each statement's compiled form in a cache of the engine's, keyed by the
engine's dialect object (``ClauseElement._compile_w_cache``); the ORM's flushes use a cache of
the mapper's, keyed the same way. Production makes one engine per process, so each statement is
compiled once. The suite makes new engines for every test (its database is new: the app's engine,
the ``db`` fixture's), each with a new dialect, so every test compiled every statement it ran
again: a fifth of an API test's CPU (docs/testing.md, "One statement cache per process").

``install`` puts a subclass of the asyncpg dialect in SQLAlchemy's registry in place of the
original, for this process only. Its instances compare equal when built with the same
arguments and initialised against the same server version, which is everything a compiled
statement depends on; its engines share one cache. A statement is compiled once per process,
and an engine built differently (another dialect argument) still compiles its own.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import Engine
from sqlalchemy.util import LRUCache

# SQLAlchemy's default per engine is 500; a worker of a whole run compiled 470-570 distinct
# statements (4 December), so a tenfold margin keeps everything the suite runs.
SHARED_CACHE: LRUCache[Any, Any] = LRUCache(5000)


class SharedCacheDialect(PGDialect_asyncpg):
    """The asyncpg dialect, equal to every other built alike: the cache keys then match."""

    # SQLAlchemy caches only for dialect classes that declare it themselves, not by inheritance.
    supports_statement_cache = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # The DBAPI adapter is a new object per engine around the one asyncpg module.
        self._built_with = tuple(
            sorted((name, repr(value)) for name, value in kwargs.items() if name != "dbapi")
        )

    def _likeness(self) -> tuple[Any, ...]:
        return (type(self), self._built_with, self.server_version_info)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SharedCacheDialect) and self._likeness() == other._likeness()

    def __hash__(self) -> int:
        return hash(self._likeness())

    @classmethod
    def engine_created(cls, engine: Engine) -> None:
        super().engine_created(engine)
        engine.update_execution_options(compiled_cache=SHARED_CACHE)


def install() -> None:
    """Every ``postgresql+asyncpg`` engine this process creates from now on shares the cache."""
    registry.register("postgresql.asyncpg", __name__, SharedCacheDialect.__name__)
