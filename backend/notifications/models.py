"""The inbox: one row per message to one user."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, Index, String, Uuid, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.base import Base, UUIDv7Base


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
