"""HTTP routes of the inbox: every signed-in user reads and marks their own messages."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from backend.core.auth import AuthUser, any_user
from backend.core.clock import Clock
from backend.core.errors import problem_responses
from backend.core.i18n import Language
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from backend.core.reads import reader_of
from backend.notifications import service
from schemas.common import Page
from schemas.notifications import NotificationOut, ReadAllResult, UnreadCount

NotificationId = Annotated[UUID, PathParameter(name="notificationId", description="a message's id")]


class InboxController(Controller):
    """The caller's own messages; anyone signed in."""

    path = "/me/notifications"
    tags = ("notifications",)
    guards = (any_user,)

    @get("/", operation_id="listNotifications", summary="The caller's messages")
    async def list_notifications(
        self,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        language: NamedDependency[Language],
        unread_only: Annotated[
            bool, QueryParameter(name="unreadOnly", description="only messages not yet read")
        ] = False,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Page[NotificationOut]:
        """Any signed-in user: their messages, newest first, written in the caller's language;
        `unreadOnly` leaves out those already read."""
        return await service.list_notifications(
            db_session,
            user.id,
            language=language,
            unread_only=unread_only,
            limit=limit,
            cursor=cursor,
        )

    @get(
        "/unread-count",
        operation_id="countUnreadNotifications",
        summary="How many messages are unread",
    )
    async def unread_count(
        self, request: Request[Any, Any, Any], user: NamedDependency[AuthUser]
    ) -> UnreadCount:
        """Any signed-in user: how many of their messages are unread (the badge)."""
        return UnreadCount(count=await service.unread_count(reader_of(request), user.id))

    @post(
        "/{notificationId:uuid}/read",
        operation_id="markNotificationRead",
        summary="Mark one message read",
        status_code=200,
        responses=problem_responses(404, codes={404: ("notification_not_found",)}),
    )
    async def mark_read(
        self,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
        language: NamedDependency[Language],
        notification_id: NotificationId,
    ) -> NotificationOut:
        """Any signed-in user, for one of their own messages: marks it read (again: no change).
        Someone else's message is 404 `notification_not_found`."""
        return await service.mark_read(
            db_session, user.id, notification_id, now=clock.now(), language=language
        )

    @post(
        "/read-all",
        operation_id="markAllNotificationsRead",
        summary="Mark every message read",
        status_code=200,
    )
    async def mark_all_read(
        self,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
        clock: NamedDependency[Clock],
    ) -> ReadAllResult:
        """Any signed-in user: marks every unread message of theirs read, and says how many."""
        return ReadAllResult(
            updated=await service.mark_all_read(db_session, user.id, now=clock.now())
        )


ROUTES: list[Any] = [InboxController]
