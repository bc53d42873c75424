"""The inbox: one row per message to one user."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Time,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.base import Base, UUIDv7Base, one_of
from schemas.notifications import Platform, PushProviderName


class Notification(UUIDv7Base):
    """A message; its title and body are rendered from ``kind`` and ``data`` in the reader's
    language when read, so a resident who switches the app to English reads English."""

    __tablename__ = "notifications"

    user_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_notifications_user_id_id", "user_id", "id"),
        Index(
            "ix_notifications_unread",
            "user_id",
            postgresql_where=text("read_at IS NULL"),
        ),
    )


class Reminder(Base):
    """A reminder sent: one per (kind, subject, start time), so two workers never send one
    twice and a subject moved to another time is reminded again at the new time.

    The key leads with ``starts_at`` so that housekeeping drops old rows with a range scan.
    """

    __tablename__ = "reminders"

    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    subject_id: Mapped[UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Device(UUIDv7Base):
    """A phone that receives pushes. A token belongs to one user at a time: registered again by
    someone else, the row moves to them (a shared or resold phone)."""

    __tablename__ = "devices"

    user_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(String(512))

    __table_args__ = (
        UniqueConstraint("provider", "token"),
        Index("ix_devices_user_id", "user_id"),
        one_of("platform", Platform, name="platform_known"),
        one_of("provider", PushProviderName, name="provider_known"),
    )


class NotificationPreference(Base):
    """A user's push settings; no row means the defaults (push on, no quiet hours, no mutes)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    push: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    quiet_from: Mapped[time | None] = mapped_column(Time)
    quiet_to: Mapped[time | None] = mapped_column(Time)
    muted_kinds: Mapped[list[str]] = mapped_column(
        ARRAY(String(40)), server_default=text("'{}'::varchar[]")
    )
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("(quiet_from IS NULL) = (quiet_to IS NULL)", name="quiet_pair"),
    )


class PushDelivery(Base):
    """One notification claimed for one device: written (and committed) before the provider is
    called, removed again only when the call failed in a way worth retrying. A retried job finds
    the row and does not push twice: at most once per device."""

    __tablename__ = "push_deliveries"

    notification_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("notifications.id", ondelete="CASCADE"), primary_key=True
    )
    device_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    claimed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(16))


class LoggedPush(UUIDv7Base):
    """What the ``log`` provider sent (never in production): read by ``GET /dev/pushes``."""

    __tablename__ = "logged_pushes"

    token: Mapped[str] = mapped_column(String(512), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(String(2000))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
