"""The inbox. Other domains call :func:`notify` inside their own transaction, so a message exists
exactly when the change it reports was committed; residents read and mark their own messages.

The texts of each kind live in the domain that sends it: see
:mod:`backend.notifications.messages` for how to register them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from sqlalchemy import ScalarSelect, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.base import new_id
from backend.core.clock import to_local
from backend.core.errors import AppError
from backend.core.i18n import Language
from backend.core.pagination import Keyset
from backend.core.reads import Query, Reader, param
from backend.notifications import messages, push
from backend.notifications.models import Notification
from schemas.common import Page
from schemas.notifications import NotificationOut

MAX_KIND_LENGTH = 40


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
    """The same message to many users in one statement (an event cancelled for thousands),
    and one job that pushes them all to the users' devices, queued in the same transaction:
    a rolled-back change neither writes nor pushes (backend/notifications/push.py).

    ``data`` may hold datetimes, UUIDs and enums; they are stored as their JSON forms.
    """
    if len(kind) > MAX_KIND_LENGTH or not messages.is_registered(kind):
        # A programming error, caught by the sender's tests rather than shown as "new message".
        raise ValueError(
            f"notification kind {kind!r} has no texts: register them with "
            "backend.notifications.messages.register_kinds (see that module)"
        )
    payload = msgspec.to_builtins(dict(data or {}))
    rows = [{"id": new_id(), "user_id": uid, "kind": kind, "data": payload} for uid in user_ids]
    if rows:
        await session.execute(insert(Notification), rows)
        await push.queue_push(session, kind, [row["id"] for row in rows])
    return len(rows)


def _out(row: Notification, language: Language) -> NotificationOut:
    title, body = messages.render(row.kind, row.data, language)
    return NotificationOut(
        id=row.id,
        kind=row.kind,
        title=title,
        body=body,
        data=row.data,
        created_at=to_local(row.created_at),
        read_at=to_local(row.read_at),
    )


NOTIFICATIONS = Keyset("notifications", (UUID,))


async def list_notifications(
    session: AsyncSession,
    user_id: UUID,
    *,
    language: Language,
    unread_only: bool,
    limit: int,
    cursor: str | None,
) -> Page[NotificationOut]:
    """Newest first. The cursor is the last id shown: UUIDv7 ids grow with time, so messages
    that arrive while the user pages sort before it and never push rows across pages."""
    after = NOTIFICATIONS.decode(cursor)
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if after is not None:
        query = query.where(Notification.id < after[0])
    rows = (await session.scalars(query.order_by(Notification.id.desc()).limit(limit + 1))).all()
    page, next_cursor = NOTIFICATIONS.paginate(rows, limit, lambda row: (row.id,))
    return Page(items=[_out(row, language) for row in page], next_cursor=next_cursor)


async def mark_read(
    session: AsyncSession,
    user_id: UUID,
    notification_id: UUID,
    *,
    now: datetime,
    language: Language,
) -> NotificationOut:
    """Mark one of the user's messages read; repeating it keeps the first time. Another
    user's message is "not found", never "forbidden"."""
    row = (
        await session.scalars(
            update(Notification)
            .where(Notification.id == notification_id, Notification.user_id == user_id)
            .values(read_at=func.coalesce(Notification.read_at, now))
            .returning(Notification),
            execution_options={"synchronize_session": False},
        )
    ).one_or_none()
    if row is None:
        raise AppError(404, "notification_not_found")
    return _out(row, language)


async def mark_all_read(session: AsyncSession, user_id: UUID, *, now: datetime) -> int:
    """Mark every unread message of the user read; returns how many there were."""
    result = await session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def unread_count_column(user_id: Any) -> ScalarSelect[int]:
    """The user's unread count as a column of another statement (the home screen)."""
    return (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


_UNREAD_COUNT = Query.compile(select(unread_count_column(param("user_id"))))


async def unread_count(reader: Reader, user_id: UUID) -> int:
    """How many unread messages the user has (the badge on the home screen)."""
    row = await reader.fetchrow(_UNREAD_COUNT, user_id=user_id)
    return int(row[0]) if row else 0
