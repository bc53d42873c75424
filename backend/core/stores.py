"""Shared short-lived state: Litestar's stores, in memory by default, Redis when configured.

Rate-limit counters, the revoked-session list and the development SMS outbox live here. With
more than one worker process, configure ``QIYOU_REDIS_URL`` so every process sees the same state.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from litestar.stores.registry import StoreRegistry


def build_store_registry(redis_url: str | None) -> StoreRegistry:
    if redis_url:
        root = RedisStore.with_client(url=redis_url, port=None, db=None)
        root = root.with_namespace("qiyou")

        def redis_factory(name: str) -> Store:
            return root.with_namespace(name)

        return StoreRegistry(default_factory=redis_factory)
    return StoreRegistry(default_factory=lambda _name: MemoryStore())


class Counter:
    """Fixed-window counters that are atomic per key on both kinds of store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = asyncio.Lock()

    async def hit(self, key: str, window_seconds: int) -> tuple[int, int]:
        """Count one hit; return the count in the window and the seconds the window has left."""
        if isinstance(self.store, RedisStore):
            redis = self.store._redis
            full_key = self.store._make_key(key)
            async with redis.pipeline(transaction=True) as pipe:
                pipe.incr(full_key)
                pipe.expire(full_key, window_seconds, nx=True)
                pipe.ttl(full_key)
                count, _, ttl = await pipe.execute()
            return int(count), max(1, int(ttl))
        # A memory store lives in this process only, so a process lock makes get+set atomic.
        async with self._lock:
            raw = await self.store.get(key)
            if raw is None:
                await self.store.set(key, b"1", expires_in=window_seconds)
                return 1, window_seconds
            count = int(raw) + 1
            ttl = await self.store.expires_in(key) or window_seconds
            await self.store.set(key, str(count).encode(), expires_in=max(1, ttl))
            return count, max(1, ttl)

    async def peek(self, key: str) -> tuple[int, int]:
        raw = await self.store.get(key)
        if raw is None:
            return 0, 0
        ttl = await self.store.expires_in(key) or 1
        return int(raw), max(1, ttl)

    async def reset(self, key: str) -> None:
        await self.store.delete(key)


async def remember(store: Store, key: str, value: str, seconds: int | timedelta) -> None:
    await store.set(key, value.encode(), expires_in=seconds)
