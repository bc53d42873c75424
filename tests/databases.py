"""A database per test, made ahead of the test and dropped after it, in the background.

Copying the template (``CREATE DATABASE … TEMPLATE``) and dropping a test's database cost no
CPU here but 0.05–0.7 s of waiting each, more on a loaded server: for ~1,500 tests, minutes of
a worker doing nothing. So each worker process has the next test's database copied while the
current test runs, and drops a finished test's database while the next one runs; a test only
waits when its database is not ready yet. One connection per worker process does all of it,
one statement at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import os
import shutil
from pathlib import Path

import asyncpg

from backend.core.database import plain_url, with_database

# Every test's database is some 580 files created from the template and deleted after it. On
# ext4 (this machine's disk) creating files where many were just deleted walks the inode
# bitmap past each "recently deleted" inode: measured, ~0.4 s of the kernel's CPU per test
# (the canteen's authorization matrix alone: 60 s, 56 s of CPU in the kernel; in memory 17.6 s;
# the whole suite 11-12 % faster). A tmpfs has no such walk, and the server's data is thrown
# away anyway.
MEMORY_FOLDERS = Path("/dev/shm")
# The server's files (~130 MB after a run) and room for a few tests' databases per worker.
MEMORY_NEEDED = 2 * 1024**3


def server_folder(checkout: Path, memory: Path = MEMORY_FOLDERS) -> Path:
    """Where the embedded test server keeps its data: in memory when there is room, one folder
    per user and checkout (two clones' runs must not share a server), else in the checkout."""
    try:
        usable = memory.is_dir() and os.access(memory, os.W_OK | os.X_OK)
        usable = usable and shutil.disk_usage(memory).free >= MEMORY_NEEDED
    except OSError:
        usable = False
    if not usable:
        return checkout / ".qiyou-test"
    digest = hashlib.sha256(str(checkout.resolve()).encode()).hexdigest()[:12]
    return memory / f"qiyou-test-{os.getuid()}-{digest}"


class FreshDatabases:
    def __init__(self, server_url: str, template: str, *, create_options: str = "") -> None:
        self._server_url = server_url
        self._template = template
        self._create_options = create_options
        self._names = (f"qiyou_t_{os.getpid()}_{n}" for n in itertools.count())
        self._connection: asyncpg.Connection | None = None
        # One statement at a time on the one connection, in the order they were asked for.
        self._turn = asyncio.Lock()
        self._next: asyncio.Task[str] | None = None
        self._drops: set[asyncio.Task[None]] = set()

    async def take(self) -> str:
        """A new copy of the template; the next one starts being made at once."""
        made = self._next or asyncio.create_task(self._create())
        self._next = None
        try:
            name = await made
        finally:
            self._next = asyncio.create_task(self._create())
        return name

    def drop(self, name: str) -> None:
        """Drop ``name`` (its connections are closed by force) without waiting for it."""
        task = asyncio.create_task(self._execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        self._drops.add(task)
        task.add_done_callback(self._drops.discard)

    async def close(self) -> None:
        """Drop the database made for a test that did not come, and wait for every drop."""
        if self._next is not None:
            # A copy that failed left nothing to drop.
            with contextlib.suppress(Exception):
                self.drop(await self._next)
            self._next = None
        # A drop that failed fails the session here, rather than leaving databases behind.
        await asyncio.gather(*self._drops)
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def _create(self) -> str:
        name = next(self._names)
        await self._execute(
            f"CREATE DATABASE {name} TEMPLATE {self._template}{self._create_options}"
        )
        return name

    async def _execute(self, statement: str) -> None:
        async with self._turn:
            for attempt in (1, 2):
                if self._connection is None or self._connection.is_closed():
                    url = with_database(self._server_url, "postgres")
                    self._connection = await asyncpg.connect(plain_url(url))
                try:
                    await self._connection.execute(statement)
                    return
                except (asyncpg.ConnectionDoesNotExistError, asyncpg.InterfaceError, OSError):
                    # The connection was lost (a server restarted under it): once more on a
                    # new one, as when every statement had a connection of its own.
                    self._connection.terminate()
                    self._connection = None
                    if attempt == 2:
                        raise
