"""Writing to the inbox. Other domains call :func:`notify` inside their own transaction, so a
message exists exactly when the change it reports was committed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.base import new_id
from backend.notifications.models import Notification


async def notify(
    session: AsyncSession, *, user_id: UUID, kind: str, data: Mapping[str, Any] | None = None
) -> None:
    """Queue one inbox message in the caller's transaction."""
    await notify_many(session, user_ids=[user_id], kind=kind, data=data)


async def notify_many(
    session: AsyncSession,
    *,
    user_ids: Iterable[UUID],
    kind: str,
    data: Mapping[str, Any] | None = None,
) -> int:
    """The same message to many users in one statement (an event cancelled for thousands)."""
    payload = dict(data or {})
    rows = [{"id": new_id(), "user_id": uid, "kind": kind, "data": payload} for uid in user_ids]
    if rows:
        await session.execute(insert(Notification), rows)
    return len(rows)
