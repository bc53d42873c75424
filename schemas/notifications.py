"""Wire types of the inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec

from schemas.common import Wire


class NotificationOut(Wire):
    """One inbox message. ``title`` and ``body`` are written in the caller's language from
    ``kind`` and ``data``; ``data`` carries the ids and values the app needs to link to what
    the message is about (e.g. ``bookingId``)."""

    id: UUID
    kind: str
    title: str
    body: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class UnreadCount(Wire):
    count: int


class ReadAllResult(Wire):
    """How many messages were unread and are now read."""

    updated: int


# Devices and notification settings (API.md "Background work, devices, push and reminders").

Platform = Literal["ios", "android", "harmony"]
PushProviderName = Literal["apns", "jpush", "log"]
ClockTime = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="HH:MM in Asia/Shanghai",
        examples=["22:00"],
    ),
]
DeviceToken = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=512,
        pattern=r"^[\x21-\x7e]+$",
        description="the provider's token: an APNs device token, a JPush registration id",
    ),
]
NotificationKind = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class DeviceIn(Wire):
    """A phone that receives pushes. The same token registered again (a phone that changed
    hands, or logged in as someone else) moves to the caller."""

    platform: Platform
    provider: PushProviderName
    token: DeviceToken


class DeviceOut(Wire):
    id: UUID
    platform: Platform
    provider: PushProviderName
    created_at: datetime


class QuietHours(Wire):
    """From ``from`` until ``to``, Asia/Shanghai; ``from`` after ``to`` spans midnight."""

    from_: ClockTime = msgspec.field(name="from")
    to: ClockTime = msgspec.field(name="to")


class NotificationSettings(Wire):
    """``push`` off: nothing is pushed (the inbox still fills). Inside ``quietHours`` a push
    waits until they end, except safety alerts. ``mutedKinds``: kinds never pushed."""

    push: bool
    quiet_hours: QuietHours | None
    muted_kinds: Annotated[list[NotificationKind], msgspec.Meta(max_length=100)]


class DevPush(Wire):
    """One push the ``log`` provider sent (development only)."""

    kind: str
    title: str
    body: str
    data: dict[str, Any]
    sent_at: datetime


class DevPushes(Wire):
    items: list[DevPush]
