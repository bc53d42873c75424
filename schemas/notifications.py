"""Wire types of the inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

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
