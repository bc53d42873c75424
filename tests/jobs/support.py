"""Jobs the queue's tests register: each records its run in ``job_runs`` (a table the tests
create in their own database), in the same transaction as its work would be."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.jobs import JobContext, enqueue, periodic, task

CREATE_RUNS = (
    "CREATE TABLE IF NOT EXISTS job_runs (id bigserial PRIMARY KEY, name text NOT NULL, "
    "key text, attempt int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())"
)
# Failures a test asks for: job key → runs that fail before one succeeds.
FAIL_FIRST: dict[str, int] = {}


async def create_runs_table(db: async_sessionmaker[AsyncSession]) -> None:
    async with db.begin() as session:
        await session.execute(text(CREATE_RUNS))


async def record(ctx: JobContext, name: str, key: str | None) -> None:
    async with ctx.sessions.begin() as session:
        await session.execute(
            text("INSERT INTO job_runs (name, key, attempt) VALUES (:name, :key, :attempt)"),
            {"name": name, "key": key, "attempt": ctx.attempt},
        )


async def runs(db: async_sessionmaker[AsyncSession], name: str | None = None) -> list[Any]:
    async with db() as session:
        return list(
            (
                await session.execute(
                    text(
                        "SELECT name, key, attempt FROM job_runs "
                        "WHERE CAST(:name AS text) IS NULL OR name = :name ORDER BY id"
                    ),
                    {"name": name},
                )
            ).all()
        )


@task("test.record")
async def record_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    await record(ctx, "test.record", payload.get("key"))


@task("test.chain")
async def chain_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Records itself and queues ``test.record`` in the same transaction."""
    async with ctx.sessions.begin() as session:
        await session.execute(
            text("INSERT INTO job_runs (name, key, attempt) VALUES ('test.chain', :key, :a)"),
            {"key": payload.get("key"), "a": ctx.attempt},
        )
        await enqueue(session, "test.record", {"key": f"after-{payload.get('key')}"})


@task("test.flaky", max_attempts=3)
async def flaky_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    key = str(payload["key"])
    await record(ctx, "test.flaky", key)
    if ctx.attempt <= FAIL_FIRST.get(key, 0):
        raise RuntimeError(f"flaky {key} attempt {ctx.attempt}")


@task("test.safety", safety=True)
async def safety_job(ctx: JobContext, payload: dict[str, Any]) -> None:
    await record(ctx, "test.safety", payload.get("key"))


@periodic("test.every_day_at_3", cron="0 3 * * *")
async def nightly(ctx: JobContext) -> None:
    await record(ctx, "test.every_day_at_3", None)
