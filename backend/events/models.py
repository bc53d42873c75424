"""Events, registrations and feedback.

The event row carries the counters the public list shows (``confirmed_seats``,
``waitlisted_count``) and the waitlist sequence. Every registration change takes that row's lock
through a conditional ``UPDATE`` first, so the counters, the seats and the waitlist order can
never disagree, and the check constraint holds the no-overselling rule even against a bug.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    literal_column,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.base import AuditedBase, UUIDv7Base, one_of
from schemas.events import Audience, EventStatus, RegistrationStatus

# Statuses that hold a place (a seat or a waitlist position) and count as "registered".
ACTIVE_STATUSES: tuple[RegistrationStatus, ...] = ("confirmed", "waitlisted")


class Event(AuditedBase):
    __tablename__ = "events"
    # ``updated_at`` is refreshed by the database on update; fetch it back with RETURNING so an
    # async session never has to lazy-load it afterwards.
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012  (SQLAlchemy reads it once)

    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(40))
    audience: Mapped[Audience] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(String(200))
    # A hub room, held through the hub's service; no foreign key, the hub owns its tables.
    room_id: Mapped[UUID | None] = mapped_column(Uuid)
    room_hold_id: Mapped[UUID | None] = mapped_column(Uuid)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    registration_opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    registration_closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    capacity: Mapped[int] = mapped_column(Integer)
    max_seats_per_registration: Mapped[int] = mapped_column(SmallInteger)
    status: Mapped[EventStatus] = mapped_column(String(12), server_default="draft")
    confirmed_seats: Mapped[int] = mapped_column(Integer, server_default="0")
    waitlisted_count: Mapped[int] = mapped_column(Integer, server_default="0")
    # Handed out to each new waitlist entry; positions are ranks among the entries still
    # waiting, so a departure moves everyone behind up without rewriting a row.
    waitlist_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    created_by: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        one_of("status", EventStatus, name="status_known"),
        one_of("audience", Audience, name="audience_known"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("registration_closes_at > registration_opens_at", name="window_ordered"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint(
            "max_seats_per_registration BETWEEN 1 AND capacity", name="max_seats_in_range"
        ),
        CheckConstraint(
            "confirmed_seats >= 0 AND confirmed_seats <= capacity", name="never_oversold"
        ),
        CheckConstraint("waitlisted_count >= 0", name="waitlist_not_negative"),
        Index("ix_events_status_starts_at", "status", "starts_at", "id"),
        Index("ix_events_starts_at", "starts_at", "id"),
        # The walk by start of the events page and the home screen (backend/events/listing.py):
        # ``ends_at`` is a key so that finished events past the bound are skipped in the index,
        # without a visit to their rows.
        Index(
            "ix_events_published_starts_at",
            "starts_at",
            "id",
            "ends_at",
            postgresql_where=text("status = 'published'"),
        ),
        # Where the published events not over yet begin (listing.live_from): a range of this
        # index holds only them, however many finished events lie before. ``ends_at >
        # starts_at`` is always true (the CHECK above) and only the bound says it, so the page's
        # own statement cannot read all live events here and sort them (issue 17).
        Index(
            "ix_events_live_from",
            "ends_at",
            "starts_at",
            postgresql_where=text("status = 'published' AND ends_at > starts_at"),
        ),
    )


# What ``q`` searches. One trigram index over title and summary together: a single bitmap scan,
# where two indexes OR-ed together lose to a sequential scan in the planner's costing. pg_trgm
# counts CJK characters as word characters under a UTF-8 locale, so Chinese is indexed too.
SEARCH_TEXT = Event.title.op("||")(literal_column("' '")).op("||")(Event.summary)
Index(
    "ix_events_search_trgm",
    SEARCH_TEXT.label("search"),
    postgresql_using="gin",
    postgresql_ops={"search": "gin_trgm_ops"},
)


class Registration(UUIDv7Base):
    __tablename__ = "event_registrations"

    event_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[RegistrationStatus] = mapped_column(String(12))
    seats: Mapped[int] = mapped_column(SmallInteger)
    # Who comes, as named at registration: [{"memberId": "…" | null, "name": "…"}]. A snapshot,
    # so the door list still reads right if a member is renamed or removed later.
    attendees: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, server_default=text("'[]'::jsonb")
    )
    waitlist_seq: Mapped[int | None] = mapped_column(BigInteger)
    # The ticket as stored (backend.core.security.SealedCode): its keyed hash, looked up at the
    # door, and the code encrypted, to show it to its owner again. Never the code in plaintext.
    ticket_hash: Mapped[str | None] = mapped_column(String(64))
    ticket_code_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_in_by: Mapped[UUID | None] = mapped_column(Uuid)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        one_of("status", RegistrationStatus, name="status_known"),
        CheckConstraint("seats >= 1", name="seats_positive"),
        CheckConstraint(
            "status <> 'waitlisted' OR waitlist_seq IS NOT NULL", name="waitlisted_has_seq"
        ),
        CheckConstraint(
            "status <> 'confirmed' OR (ticket_hash IS NOT NULL AND ticket_code_enc IS NOT NULL)",
            name="confirmed_has_ticket",
        ),
        Index(
            "uq_event_registrations_one_active",
            "event_id",
            "user_id",
            unique=True,
            postgresql_where=text("status IN ('confirmed', 'waitlisted')"),
        ),
        Index(
            "ix_event_registrations_waitlist",
            "event_id",
            "waitlist_seq",
            postgresql_where=text("status = 'waitlisted'"),
        ),
        Index("uq_event_registrations_ticket_hash", "ticket_hash", unique=True),
        Index("ix_event_registrations_user_id_id", "user_id", "id"),
        Index("ix_event_registrations_event_id_id", "event_id", "id"),
    )


class Feedback(UUIDv7Base):
    __tablename__ = "event_feedback"

    event_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    registration_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("event_registrations.id", ondelete="CASCADE")
    )
    rating: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(String(1000))

    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_in_range"),
        UniqueConstraint("event_id", "user_id"),
    )
