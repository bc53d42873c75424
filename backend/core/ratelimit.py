"""Rate limits on the ``limits`` library: moving windows, in memory or shared through Redis.

Every limit is a moving window (``limits``' moving-window strategy): each accepted request is a
timestamp, and a request is let in while fewer than ``limit`` of them are younger than the
window. So a window never "sticks" under steady traffic — the oldest request leaving the window
frees a place — a refused request is not counted, and the wait until the next place frees is
known exactly, which is what ``Retry-After`` answers (rounded up to a whole second).

With ``QIYOU_REDIS_URL`` set the windows live in Redis (the ``redis`` client the stores use,
through ``limits``' async Redis storage), so every worker process sees the same counts;
otherwise in this process's memory. ``QIYOU_RATE_LIMIT_ENABLED=false`` switches every limit off.

A domain declares its :class:`Rule` objects and calls :class:`Limiter` (``limiter_for``); an
ordinary per-account limit on a route is one guard, :func:`per_account`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, cast

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from backend.core.errors import rate_limited

KEY_PREFIX = "qiyou:limits"


@dataclass(frozen=True)
class Rule:
    """At most ``limit`` requests in any ``window_seconds``; refused with 429 ``code``."""

    name: str
    limit: int
    window_seconds: int
    code: str = "rate_limited"

    @cached_property
    def item(self) -> RateLimitItem:
        return RateLimitItemPerSecond(self.limit, self.window_seconds, namespace=self.name)


class ProcessWindows(MemoryStorage):
    """``limits``' memory store, with a ``clear`` its background sweep survives.

    The sweep walks a snapshot of the keys, handing each key's entries to a thread; a key the
    library's ``clear`` removed meanwhile (a good login clears its failures) raised ``KeyError``
    and ended the sweep, logged as "Task exception was never retrieved". Emptying the key's
    entries instead leaves the sweep to remove the key itself, under the key's lock.
    """

    async def clear(self, key: str) -> None:
        self.storage.pop(key, None)
        self.expirations.pop(key, None)
        if key in self.events:
            self.events[key] = []


def build_storage(redis_url: str | None) -> Storage:
    if redis_url:
        # The redis-py client the app's stores already use, rather than a second Redis library.
        return RedisStorage("async+" + redis_url, implementation="redispy", key_prefix=KEY_PREFIX)
    return ProcessWindows()


def seconds_until(moment: float, *, strictly_after: bool) -> int:
    """The fewest whole seconds after which ``moment`` has come (or passed, when
    ``strictly_after``); never 0.

    ``limits`` counts an entry that is exactly one window old when it takes a new one (so a
    :meth:`Limiter.hit` is let in only strictly after the window frees) but no longer when it
    only looks (:meth:`Limiter.check`, in memory). The two differ only when the wait is a
    whole number of seconds to the microsecond, where ``floor + 1`` and ``ceil`` part.
    """
    wait = moment - time.time()
    whole = math.floor(wait) + 1 if strictly_after else math.ceil(wait)
    return max(1, whole)


class Limiter:
    """Moving-window limits on one storage; every method does nothing when limits are off."""

    def __init__(self, storage: Storage, *, enabled: bool) -> None:
        self.storage = storage
        self.enabled = enabled
        self._windows = MovingWindowRateLimiter(storage)

    async def hit(self, rule: Rule, *subject: str) -> None:
        """Count this request, or refuse it (429 ``rule.code``, uncounted) when the window is
        full. Atomic on both storages, so parallel requests cannot slip in under the limit."""
        if self.enabled and not await self._windows.hit(rule.item, *subject):
            wait = await self.retry_after(rule, *subject, strictly_after=True)
            raise rate_limited(wait, code=rule.code)

    async def check(self, rule: Rule, *subject: str) -> None:
        """Refuse (429) when the window is already full; count nothing."""
        if self.enabled and not await self._windows.test(rule.item, *subject):
            raise rate_limited(await self.retry_after(rule, *subject), code=rule.code)

    async def check_all(self, rules: Sequence[Rule], *subject: str) -> None:
        """Refuse when any of ``rules`` is full, with the longest of their waits."""
        if not self.enabled:
            return
        full = [rule for rule in rules if not await self._windows.test(rule.item, *subject)]
        if full:
            waits = [await self.retry_after(rule, *subject) for rule in full]
            raise rate_limited(max(waits), code=full[0].code)

    async def record(self, *rules: Rule, subject: Sequence[str]) -> None:
        """Count an event (a failure) in each rule; a full window simply takes no more."""
        if self.enabled:
            for rule in rules:
                await self._windows.hit(rule.item, *subject)

    async def clear(self, *rules: Rule, subject: Sequence[str]) -> None:
        if self.enabled:
            for rule in rules:
                await self._windows.clear(rule.item, *subject)

    async def retry_after(self, rule: Rule, *subject: str, strictly_after: bool = False) -> int:
        """Seconds until the window of ``rule`` has a free place again."""
        stats = await self._windows.get_window_stats(rule.item, *subject)
        return seconds_until(stats.reset_time, strictly_after=strictly_after)


def limiter_for(app: Litestar) -> Limiter:
    """The app's one limiter (one storage, so one Redis connection pool per process), part of
    the resources it is bound to (backend/resources.py)."""
    return cast(Limiter, app.state.limiter)


def per_account(rule: Rule) -> Guard:
    """A guard that counts each request of the signed-in account against ``rule``.

    List it after the role guard (``guards=[any_user, per_account(WRITES)]``): the role guard
    refuses anonymous callers first, so ``connection.user`` is an account here.
    """

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        await limiter_for(connection.app).hit(rule, "account", str(connection.user.id))

    return guard
