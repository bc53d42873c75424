"""Shared short-lived state: Litestar's stores, in memory by default, Redis when configured.

The development SMS outbox lives here (rate limits live in the ``limits`` library's storage,
``backend.core.ratelimit``, on the same Redis; revoked sessions in PostgreSQL,
``backend.core.revocations``). With more than one
worker process, configure ``QIYOU_REDIS_URL`` so every process sees the same state.
"""

from __future__ import annotations

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


async def remember(store: Store, key: str, value: str, seconds: int | timedelta) -> None:
    await store.set(key, value.encode(), expires_in=seconds)
