"""The connections the hot reads run on: a small first-come, first-served pool of asyncpg
connections, apart from the SQLAlchemy pool the sessions use.

Why not a library's pool: taking a connection from SQLAlchemy's pool and giving it back (a
greenlet, the checkout and checkin events, the reset) was 13 % of the instructions of an event
read, and asyncpg's own pool (timeouts, holders, a reset query) costs more still
(docs/performance.md). The reads need none of that: they run one statement outside any
transaction, so a connection comes back exactly as it left. What a pool must still do is here:
a limit, a fair line when the limit is reached, connections made on demand, broken ones
replaced, old ones renewed, all closed at shutdown.

A read never waits for anything while it holds one of these connections, so the two pools
cannot deadlock: a request holding a session may wait here, and whoever it waits for finishes.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

import asyncpg

Connect = Callable[[], Awaitable[asyncpg.Connection]]


class ReadPool:
    def __init__(
        self,
        connect: Connect,
        *,
        size: int,
        recycle_seconds: float = 1800,
        wait_timeout: float | None = None,
    ) -> None:
        if size < 1:
            raise ValueError("a read pool needs at least one connection")
        self._connect = connect
        self.size = size
        self._recycle_seconds = recycle_seconds
        # How long a read waits in line for a connection before it fails (TimeoutError): with
        # a stalled database the line would otherwise grow without bound.
        self._wait_timeout = wait_timeout
        self._idle: list[asyncpg.Connection] = []
        # Counted from the moment one is being made, so concurrent callers never make more.
        self._open = 0
        self._born: dict[asyncpg.Connection, float] = {}
        # Each waiter's future gets a connection, or None: "one may be made for you". Waiters
        # come and leave in order and all wait as long, so the first in line is always the first
        # to time out: one timer for the line (``_expire``), not one per waiter.
        self._waiting: deque[asyncio.Future[asyncpg.Connection | None]] = deque()
        self._deadlines: deque[float] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False

    @property
    def open_connections(self) -> int:
        """Connections made and not yet closed, idle or in use (and those being made)."""
        return self._open

    def take(self) -> asyncpg.Connection | None:
        """An idle connection when one is free and nobody waits, without a coroutine (the hot
        reads' common case); ``None`` means: ``await acquire()``."""
        if self._idle and not self._waiting and not self._closed:
            # Most recently used first: it is the one most likely still warm in the server.
            return self._idle.pop()
        return None

    async def acquire(self) -> asyncpg.Connection:
        if self._closed:
            raise RuntimeError("the read pool is closed")
        if self._idle and not self._waiting:
            return self._idle.pop()
        if self._open < self.size and not self._waiting:
            return await self._make()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[asyncpg.Connection | None] = loop.create_future()
        self._waiting.append(future)
        if self._wait_timeout is not None:
            deadline = loop.time() + self._wait_timeout
            self._deadlines.append(deadline)
            if self._timer is None:
                self._timer = loop.call_at(deadline, self._expire)
        try:
            connection = await future
        except asyncio.CancelledError:
            # Cancelled just after being handed a connection: pass it on, do not lose it.
            if future.done() and not future.cancelled():
                self._hand_back(future.result())
            raise
        return connection if connection is not None else await self._make()

    def _expire(self) -> None:
        """The line's timer: every waiter whose wait is over fails with ``TimeoutError``; the
        timer is set again for the next one in line. (A waiter served or cancelled before its
        time leaves its future done: it only leaves the line here.)"""
        self._timer = None
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._waiting:
            future, deadline = self._waiting[0], self._deadlines[0]
            if not future.done() and deadline > now:
                self._timer = loop.call_at(deadline, self._expire)
                return
            self._waiting.popleft()
            self._deadlines.popleft()
            if not future.done():
                future.set_exception(TimeoutError())

    def release(self, connection: asyncpg.Connection, *, broken: bool = False) -> None:
        """Give a connection back; ``broken`` when its last use failed on the connection itself."""
        born = self._born.get(connection)
        if born is None:
            return
        if (
            broken
            or self._closed
            or connection.is_closed()
            or time.monotonic() - born > self._recycle_seconds
        ):
            self._forget(connection)
            connection.terminate()
            self._hand_back(None)
            return
        self._hand_back(connection)

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        for future in self._waiting:
            if not future.done():
                future.cancel()
        self._waiting.clear()
        self._deadlines.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for connection in idle:
            self._forget(connection)
            try:
                # A stalled server must not hold up the shutdown: past the bound, cut it.
                await connection.close(timeout=self._wait_timeout)
            except (OSError, TimeoutError, asyncpg.PostgresError):
                connection.terminate()

    async def _make(self) -> asyncpg.Connection:
        self._open += 1
        try:
            connection = await self._connect()
        except BaseException:
            self._open -= 1
            self._hand_back(None)
            raise
        self._born[connection] = time.monotonic()
        return connection

    def _hand_back(self, connection: asyncpg.Connection | None) -> None:
        """A connection (or the room for one) is free: to the longest waiter, else idle."""
        while self._waiting:
            future = self._waiting.popleft()
            if self._deadlines:
                self._deadlines.popleft()
            if not future.done():
                future.set_result(connection)
                return
        if connection is not None:
            self._idle.append(connection)

    def _forget(self, connection: asyncpg.Connection) -> None:
        if self._born.pop(connection, None) is not None:
            self._open -= 1


__all__ = ["ReadPool"]
