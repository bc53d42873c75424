"""Hot reads without the ORM session: a pooled connection in autocommit, statements compiled once.

A session per request costs more than the query it runs: autobegin, snapshots, BEGIN and COMMIT
round trips, and SQLAlchemy building and cache-keying the statement anew on every call — together
half of the worker's CPU on the public reads (docs/performance.md). The reads that every phone
makes (the events page, an event, a room's day, the home screen) are single statements, or
statements that need no consistency between them, so they need no transaction at all.

``Query`` compiles a SQLAlchemy Core statement once, at import, into the asyncpg dialect's SQL
(``$1``, ``$2``…), so the SQL is still written against the models and checked when the module
loads. ``Reader`` runs the compiled SQL on an asyncpg connection of its own small pool
(``backend.core.readpool``): SQLAlchemy's checkout and checkin cost more than the statement.

Writes keep their session and their transaction, with one kind of exception: a write that is a
single statement with nothing else to commit beside it may run here, where PostgreSQL commits it
as it ends (a registration without an ``Idempotency-Key``: confirm-or-waitlist and insert in one
statement, so the event row is locked only while it runs — docs/events.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import asyncpg
from asyncpg import Record
from litestar import Request
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.sql.expression import Executable, bindparam

from backend.core.readpool import ReadPool

_DIALECT = PGDialect_asyncpg()  # type: ignore[no-untyped-call]
# A constant the statement was written with (``status = 'published'``) versus a parameter the
# caller must give (``bindparam("now")``).
_REQUIRED = object()

param = bindparam
Observer = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Query:
    """A statement compiled once for asyncpg, and how to order its parameters."""

    sql: str
    slots: tuple[tuple[str, Any], ...]

    @classmethod
    def compile(cls, statement: Executable) -> Query:
        # ``render_postcompile``: an ``IN`` of constants becomes plain parameters.
        compiled = statement.compile(  # type: ignore[attr-defined]
            dialect=_DIALECT, compile_kwargs={"render_postcompile": True}
        )
        slots = []
        for name in compiled.positiontup or ():
            bind = compiled.binds[name]
            slots.append((name, _REQUIRED if bind.required else bind.effective_value))
        return cls(sql=compiled.string, slots=tuple(slots))

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        values = []
        for name, constant in self.slots:
            if name in params:
                values.append(params[name])
            elif constant is _REQUIRED:
                raise TypeError(f"query parameter {name!r} is missing")
            else:
                values.append(constant)
        return values


class Attributes:
    """A record read by attribute, for the wire builders written against ORM rows."""

    __slots__ = ("_record",)

    def __init__(self, record: Record) -> None:
        self._record = record

    def __getattr__(self, name: str) -> Any:
        try:
            return self._record[name]
        except KeyError:
            raise AttributeError(name) from None


class Reader:
    """Reads outside any transaction, on the read pool's connections."""

    def __init__(self, pool: ReadPool) -> None:
        self.pool = pool
        # Called with the SQL of every statement, before it runs (the tests count statements,
        # as they do on the engine for the session's).
        self.observers: list[Observer] = []

    # ``fetch`` and ``fetchrow`` are written out alike rather than sharing a coroutine: one
    # coroutine less on every hot read (docs/performance.md, "Issue 17: the event read by
    # instructions").

    async def fetch(self, query: Query, **params: Any) -> list[Record]:
        connection = self.pool.take()
        if connection is None:
            connection = await self.pool.acquire()
        broken = False
        try:
            if self.observers:
                _observe(self.observers, query.sql)
            rows: list[Record] = await connection.fetch(query.sql, *query.arguments(params))
            return rows
        except BaseException as exc:
            broken = _breaks(exc)
            raise
        finally:
            self.pool.release(connection, broken=broken)

    async def fetchrow(self, query: Query, **params: Any) -> Record | None:
        connection = self.pool.take()
        if connection is None:
            connection = await self.pool.acquire()
        broken = False
        try:
            if self.observers:
                _observe(self.observers, query.sql)
            row: Record | None = await connection.fetchrow(query.sql, *query.arguments(params))
            return row
        except BaseException as exc:
            broken = _breaks(exc)
            raise
        finally:
            self.pool.release(connection, broken=broken)


def _breaks(exc: BaseException) -> bool:
    """Whether a statement that raised ``exc`` leaves its connection unfit to hand out again. A
    refusal by the server (a constraint, a bad value) leaves the connection as it was; anything
    else — a lost connection, a cancelled statement still being cancelled — does not."""
    return not isinstance(exc, asyncpg.PostgresError) or isinstance(
        exc, asyncpg.PostgresConnectionError
    )


def _observe(observers: list[Observer], sql: str) -> None:
    for observer in observers:
        observer(sql)


def reader_of(request: Request[Any, Any, Any]) -> Reader:
    """The app's reader. (Hot routes take the request rather than more dependencies: Litestar
    resolves two or more dependencies of one level in a task group, per request.)"""
    reader: Reader = request.app.state.reader
    return reader


def autocommit_writer_of(request: Request[Any, Any, Any]) -> Reader:
    """The reader, handed to a write: each of its statements commits on its own as it ends,
    outside the request's session and transaction. Only for a write that is a single statement
    with nothing else to commit beside it, and only in the routes docs/architecture.md lists
    under "Performance idioms" (today: ``registerForEvent`` without an ``Idempotency-Key``)."""
    return cast(Reader, request.app.state.reader)


__all__ = ["Attributes", "Query", "Reader", "Record", "autocommit_writer_of", "param", "reader_of"]
