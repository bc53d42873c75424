"""A clock for the rate limits that tests drive, so windows pass without sleeping.

``limits`` reads ``time.time()`` where its storages stamp and count entries (the module-level
``time`` of ``limits.aio.storage.memory`` and of its redis-py bridge), and the app reads it
where it turns a window's reset into ``Retry-After`` (``backend.core.ratelimit``). The fixture
puts one driven clock in all three places and nowhere else: the app's own clock, PostgreSQL and
the JWTs keep real (or frozen) time.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest


class DrivenTime:
    """Seconds since the epoch that move only when told to."""

    def __init__(self, start: float) -> None:
        self.now = start

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def limits_time(monkeypatch: pytest.MonkeyPatch) -> DrivenTime:
    import limits.aio.storage.memory
    import limits.aio.storage.redis.redispy

    import backend.core.ratelimit

    # A fraction of a second in the start, so tests see how fractions are rounded.
    driven = DrivenTime(float(int(time.time())) + 0.37)
    fake = SimpleNamespace(time=driven.time)
    for module in (
        limits.aio.storage.memory,
        limits.aio.storage.redis.redispy,
        backend.core.ratelimit,
    ):
        monkeypatch.setattr(module, "time", fake)

    # The memory store's background sweep drops an entry at exactly its window's age, where its
    # acquire still counts it. Real time never lands on that edge; driven time, moved in whole
    # seconds, does — and then a request there is refused or let in by which task ran first
    # (CI saw a probe one second before Retry-After let in). The sweep only frees memory: every
    # decision reads the entries' own stamps, so without it the answers are the same, and fixed.
    async def no_sweep(storage: limits.aio.storage.memory.MemoryStorage) -> None:
        return None

    monkeypatch.setattr(
        limits.aio.storage.memory.MemoryStorage, "_MemoryStorage__schedule_expiry", no_sweep
    )
    return driven
