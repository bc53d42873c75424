"""The plans PostgreSQL makes for a statement compiled once (``backend.core.reads.Query``): the
one for the values at hand, and the generic one that asyncpg's prepared statements switch to
after five runs. A hot read must be fast in both."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from backend.core.reads import Query


async def custom_and_generic(
    db: async_sessionmaker[AsyncSession], query: Query, params: dict[str, Any]
) -> tuple[str, str]:
    arguments = query.arguments(params)
    async with db() as session:
        raw: Any = (await (await session.connection()).get_raw_connection()).driver_connection
        custom = "\n".join(r[0] for r in await raw.fetch(f"EXPLAIN {query.sql}", *arguments))
        await raw.execute("SET plan_cache_mode = force_generic_plan")
        await raw.execute(f"PREPARE planned AS {query.sql}")
        values = ", ".join(f"'{value}'" for value in arguments)
        generic = "\n".join(r[0] for r in await raw.fetch(f"EXPLAIN EXECUTE planned({values})"))
        await raw.execute("DEALLOCATE planned")
        await raw.execute("RESET plan_cache_mode")
    return custom, generic
