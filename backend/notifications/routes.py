"""HTTP routes of the inbox: every signed-in user reads and marks their own messages."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from backend.config import Settings
from backend.core.auth import AuthUser, any_user
from backend.core.clock import Clock
from backend.core.errors import problem_responses
from backend.core.i18n import Language
from backend.core.idempotency import IdempotencyKeyHeader, idempotent
from backend.core.pagination import DEFAULT_LIMIT, Cursor, Limit
from backend.core.reads import reader_of
from backend.notifications import devices, service
from schemas.common import Page
from schemas.notifications import (
    DeviceIn,
    DeviceOut,
    DevPushes,
    NotificationOut,
    NotificationSettings,
    ReadAllResult,
    UnreadCount,
)

NotificationId = Annotated[UUID, PathParameter(name="notificationId", description="a message's id")]
DeviceId = Annotated[UUID, PathParameter(name="deviceId", description="a device's id")]


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


class DevicesController(Controller):
    """The caller's phones that receive pushes; anyone signed in."""

    path = "/me/devices"
    tags = ("notifications",)
    guards = (any_user,)

    @post(
        "/",
        status_code=HTTP_201_CREATED,
        operation_id="registerDevice",
        summary="Register a phone for pushes",
        responses={
            HTTP_200_OK: ResponseSpec(
                DeviceOut,
                description="The token was known: the device is now the caller's.",
                generate_examples=False,
            ),
            **problem_responses(
                422,
                describe={
                    422: "`validation_error` with `errors`; in production also `provider` "
                    "when the server does not push through it (`log`, or a provider without "
                    "credentials)."
                },
            ),
        },
    )
    async def register_device(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[DeviceIn],
        db_session: NamedDependency[AsyncSession],
        settings: NamedDependency[Settings],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[DeviceOut]:
        """Any signed-in user: 201 for a new token; the same token again (from this user or
        another: a phone handed on) moves the device to the caller and answers 200. Pushes go
        to the device's current user only. A retry with the same `Idempotency-Key` and body
        replays the first answer (201 stays 201)."""
        now = clock.now()

        async def handler() -> tuple[int, DeviceOut]:
            device, created = await devices.register_device(db_session, settings, user.id, data)
            return (HTTP_201_CREATED if created else HTTP_200_OK), device

        return await idempotent(request, db_session, user.id, now, handler)

    @get("/", operation_id="listDevices", summary="The caller's phones")
    async def list_devices(
        self, db_session: NamedDependency[AsyncSession], user: NamedDependency[AuthUser]
    ) -> list[DeviceOut]:
        """Any signed-in user: their registered devices, oldest first. A device whose provider
        answered "unregistered" is gone from the list."""
        return await devices.list_devices(db_session, user.id)

    @delete(
        "/{deviceId:uuid}",
        status_code=HTTP_204_NO_CONTENT,
        operation_id="deleteDevice",
        summary="Stop pushes to a phone",
        responses=problem_responses(
            404, describe={404: "Not one of the caller's devices (`not_found`)."}
        ),
    )
    async def delete_device(
        self,
        device_id: DeviceId,
        db_session: NamedDependency[AsyncSession],
        user: NamedDependency[AuthUser],
    ) -> None:
        """Any signed-in user, for one of their devices (on logout, say). Another user's
        device is 404 `not_found`."""
        await devices.remove_device(db_session, user.id, device_id)


class NotificationSettingsController(Controller):
    """The caller's push settings; anyone signed in."""

    path = "/me/notification-settings"
    tags = ("notifications",)
    guards = (any_user,)

    @get("/", operation_id="getNotificationSettings", summary="The caller's push settings")
    async def get_settings(
        self, db_session: NamedDependency[AsyncSession], user: NamedDependency[AuthUser]
    ) -> NotificationSettings:
        """Any signed-in user. Never set: push on, no quiet hours, nothing muted."""
        return await devices.get_settings(db_session, user.id)

    @put(
        "/",
        operation_id="updateNotificationSettings",
        summary="Change the caller's push settings",
        responses=problem_responses(422),
    )
    async def put_settings(
        self,
        data: JSONBody[NotificationSettings],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
        user: NamedDependency[AuthUser],
    ) -> NotificationSettings:
        """Any signed-in user: replaces the settings. `push: false` pushes nothing (the inbox
        still fills); inside `quietHours` (Asia/Shanghai, `from` after `to` spans midnight) a
        push waits until they end, except safety alerts (an elder's missed check-in, a late
        pickup); `mutedKinds` are never pushed."""
        return await devices.put_settings(db_session, user.id, data, now=clock.now())


class DevPushesController(Controller):
    """Development helpers; ``create_app`` mounts them only outside production."""

    path = "/dev/pushes"
    tags = ("development",)

    @get(
        "/",
        operation_id="listDevPushes",
        summary="What the log push provider sent to a token (not in production)",
        exclude_from_auth=True,
    )
    async def list_dev_pushes(
        self,
        db_session: NamedDependency[AsyncSession],
        token: Annotated[
            str,
            QueryParameter(
                name="token",
                min_length=1,
                max_length=512,
                description="the token a device registered with provider `log`",
            ),
        ],
    ) -> DevPushes:
        """Anyone, outside production only (the route does not exist there): the pushes the
        `log` provider sent to the token, oldest first (the last 100), for tests and local
        use."""
        return await devices.logged_pushes(db_session, token)


ROUTES: list[Any] = [InboxController, DevicesController, NotificationSettingsController]
DEV_ROUTES: list[Any] = [DevPushesController]
