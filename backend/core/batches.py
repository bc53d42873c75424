"""Housekeeping's one way to delete old rows (``backend.jobs.housekeeping`` calls each domain's
step; each step says which rows are old).

Up to ``limit`` rows in one ``DELETE … WHERE key IN (SELECT … LIMIT … FOR UPDATE SKIP LOCKED)``:
bounded, so a backlog is worked off in short transactions, and two runs never wait for each
other's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession


async def delete_batch(
    session: AsyncSession,
    model: type[Any],
    key: Sequence[Any],
    old: ColumnElement[bool],
    *,
    limit: int,
    oldest_first: Any = None,
) -> int:
    """Delete up to ``limit`` rows of ``model`` where ``old`` holds (``oldest_first``: in that
    order), chosen by their primary ``key``; the number deleted."""
    chosen = select(*key).where(old)
    if oldest_first is not None:
        chosen = chosen.order_by(oldest_first)
    chosen = chosen.limit(limit).with_for_update(skip_locked=True)
    target = key[0] if len(key) == 1 else tuple_(*key)
    result = await session.execute(
        delete(model).where(target.in_(chosen)).execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
