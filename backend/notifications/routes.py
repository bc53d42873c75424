"""HTTP routes of the inbox: every signed-in user reads and marks their own messages."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get, post
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser, any_user
from backend.core.clock import Clock
from backend.core.i18n import Language
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from backend.core.reads import reader_of
from backend.notifications import service
from schemas.common import Page
from schemas.notifications import NotificationOut, ReadAllResult, UnreadCount

_COMMON: dict[str, Any] = {"guards": [any_user], "tags": ["notifications"]}


@get("/me/notifications", operation_id="listNotifications", **_COMMON)
async def list_notifications(
    db_session: AsyncSession,
    user: AuthUser,
    language: Language,
    unread_only: Annotated[
        bool, Parameter(query="unreadOnly", description="only messages not yet read")
    ] = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[NotificationOut]:
    """The caller's messages, newest first."""
    return await service.list_notifications(
        db_session,
        user.id,
        language=language,
        unread_only=unread_only,
        limit=limit,
        cursor=cursor,
    )


@get(
    "/me/notifications/unread-count",
    operation_id="countUnreadNotifications",
    **_COMMON,
)
async def unread_count(request: Request[Any, Any, Any], user: AuthUser) -> UnreadCount:
    """How many of the caller's messages are unread."""
    return UnreadCount(count=await service.unread_count(reader_of(request), user.id))


@post(
    "/me/notifications/{notification_id:uuid}/read",
    operation_id="markNotificationRead",
    status_code=200,
    **_COMMON,
)
async def mark_read(
    db_session: AsyncSession,
    user: AuthUser,
    clock: Clock,
    language: Language,
    notification_id: UUID,
) -> NotificationOut:
    """Mark one message read (again: no change). Someone else's message is 404."""
    return await service.mark_read(
        db_session, user.id, notification_id, now=clock.now(), language=language
    )


@post(
    "/me/notifications/read-all",
    operation_id="markAllNotificationsRead",
    status_code=200,
    **_COMMON,
)
async def mark_all_read(db_session: AsyncSession, user: AuthUser, clock: Clock) -> ReadAllResult:
    """Mark every unread message of the caller read."""
    return ReadAllResult(updated=await service.mark_all_read(db_session, user.id, now=clock.now()))


ROUTES: list[Any] = [list_notifications, unread_count, mark_read, mark_all_read]
