"""The benchmark's own embedded PostgreSQL (under ``.qiyou-bench/``) and a fresh database."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import Any

import asyncpg

from backend.core import migrations
from backend.core.database import plain_url, start_embedded, with_database

ROOT = Path(__file__).resolve().parents[2]


def git_state() -> dict[str, Any]:
    """What a run measured (issue 17): the commit, and whether the tree differed from it."""

    def git(*argv: str) -> str:
        return subprocess.run(
            ["git", *argv], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}


DATA_DIR = ROOT / ".qiyou-bench"
DATABASE = "qiyou_bench"
# The data key the last seed sealed its codes with: tests.bench.instructions reuses the seeded
# database, so it must open those codes with the same key.
DATA_KEY_FILE = DATA_DIR / "data-key"


def start_server() -> str:
    """Start (or reuse) the benchmark's embedded server; it stops when this process exits."""
    return start_embedded(DATA_DIR, stop_on_exit=True)


async def _admin(server_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(plain_url(with_database(server_url, "postgres")))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def fresh_database(server_url: str, name: str = DATABASE) -> str:
    """Drop and recreate ``name``, migrate it to head; return its SQLAlchemy URL."""
    await _admin(
        server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"
    )
    url = with_database(server_url, name)
    await asyncio.to_thread(migrations.upgrade, url)
    return url


async def server_version(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def dsn_of(url: str) -> str:
    """The asyncpg (libpq-style) form of a SQLAlchemy URL."""
    return plain_url(url)
