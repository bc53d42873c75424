"""Venues, rooms, worker assignments, closures and bookings.

Two invariants live in the database rather than in the service, because a check made before an
insert races the insert next to it:

* ``ex_bookings_no_overlap``: two active bookings of one room never overlap (btree_gist).
* the ``hub_booking_outside_closures`` / ``hub_closure_clear_of_bookings`` triggers (created
  by migration 0004): a pending or confirmed booking never lies inside a closure. Both
  triggers lock the room row first (bookings share it, closures take it exclusively), so a
  closure and a booking that race are serialised and the later one sees the earlier.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import TextClause

from backend.core.base import AuditedBase, Base, UUIDv7Base, one_of
from schemas.hub import BookingKind, BookingStatus, RoomKind

# Statuses in which a booking occupies its room.
ACTIVE_STATUSES: tuple[BookingStatus, ...] = ("pending", "confirmed", "checked_in")

_ACTIVE_SQL = "status IN ('pending', 'confirmed', 'checked_in')"
# The same condition as a predicate of reads: written out literally, not as parameters, so that
# PostgreSQL can use the partial indexes and the exclusion constraint's GiST index in any plan.
ACTIVE_BOOKING = text("bookings." + _ACTIVE_SQL)


def active_booking_of(alias: str) -> TextClause:
    """``ACTIVE_BOOKING`` for the bookings table under another name (a self-join's alias)."""
    return text(f"{alias}.{_ACTIVE_SQL}")


class Venue(AuditedBase):
    __tablename__ = "venues"

    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(30))
    # [{"weekday": 1-7, "opens": "08:00", "closes": "21:00"}, ...] in Asia/Shanghai; a weekday
    # with no entry is a closed day. Kept as one document: it is always read and written whole.
    opening_hours: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, server_default=text("'[]'::jsonb")
    )

    rooms: Mapped[list[Room]] = relationship(
        back_populates="venue", order_by="Room.id", lazy="raise"
    )


class Room(AuditedBase):
    __tablename__ = "rooms"

    venue_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("venues.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[RoomKind] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    capacity: Mapped[int] = mapped_column(SmallInteger)
    amenities: Mapped[list[str]] = mapped_column(
        ARRAY(String(50)), server_default=text("'{}'::varchar[]")
    )
    requires_approval: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    slot_minutes: Mapped[int] = mapped_column(SmallInteger)
    min_minutes: Mapped[int] = mapped_column(SmallInteger)
    max_minutes: Mapped[int] = mapped_column(SmallInteger)
    bookable_days_ahead: Mapped[int] = mapped_column(SmallInteger)
    cancel_cutoff_minutes: Mapped[int] = mapped_column(SmallInteger)
    max_active_bookings_per_user: Mapped[int] = mapped_column(SmallInteger)

    venue: Mapped[Venue] = relationship(back_populates="rooms", lazy="raise")

    __table_args__ = (
        one_of("kind", RoomKind, name="kind_known"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("slot_minutes > 0", name="slot_positive"),
        CheckConstraint(
            "min_minutes >= slot_minutes AND max_minutes >= min_minutes",
            name="duration_bounds",
        ),
        CheckConstraint("bookable_days_ahead >= 0", name="days_ahead_nonnegative"),
        CheckConstraint("cancel_cutoff_minutes >= 0", name="cutoff_nonnegative"),
        CheckConstraint("max_active_bookings_per_user > 0", name="limit_positive"),
    )


class WorkerVenue(Base):
    """A community worker assigned to a venue: they approve and check in its bookings."""

    __tablename__ = "worker_venues"

    user_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    venue_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("venues.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Closure(UUIDv7Base):
    """A period in which a room (``room_id``) or a whole venue (``room_id`` null) is closed."""

    __tablename__ = "closures"

    venue_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("venues.id", ondelete="CASCADE"))
    room_id: Mapped[UUID | None] = mapped_column(Uuid, ForeignKey("rooms.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    # Counted when the closure is made, for the list: the bookings themselves do not say which
    # closure cancelled them.
    cancelled_bookings: Mapped[int] = mapped_column(Integer, server_default="0")

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="time_range"),
        Index("ix_closures_venue_id_ends_at", "venue_id", "ends_at"),
        Index("ix_closures_room_id_ends_at", "room_id", "ends_at"),
    )


class Booking(AuditedBase):
    __tablename__ = "bookings"

    room_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("rooms.id", ondelete="CASCADE"))
    # The owner: the resident, the worker who booked for a group, or the staff member whose
    # event holds the room.
    user_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    # resident: booked through the app; group: a worker's recurring booking on behalf of a
    # group; event: a published event holding its room.
    kind: Mapped[BookingKind] = mapped_column(String(10), server_default="resident")
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[BookingStatus] = mapped_column(String(12))
    purpose: Mapped[str] = mapped_column(String(200))
    attendees: Mapped[int] = mapped_column(SmallInteger)
    # The name the worker's day sheet shows: the resident's display name when booked, the
    # group's name, or the event's title.
    contact_name: Mapped[str] = mapped_column(String(100))
    # The check-in code as stored (backend.core.security.SealedCode): its keyed hash, looked up
    # when a worker scans it, and the code encrypted, to show it to the owner again.
    check_in_hash: Mapped[str] = mapped_column(String(64), unique=True)
    check_in_code_enc: Mapped[bytes] = mapped_column(LargeBinary)
    series_id: Mapped[UUID | None] = mapped_column(Uuid)
    event_id: Mapped[UUID | None] = mapped_column(Uuid)
    decided_by: Mapped[UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(String(200))
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="time_range"),
        CheckConstraint("attendees > 0", name="attendees_positive"),
        one_of("status", BookingStatus, name="status_known"),
        one_of("kind", BookingKind, name="kind_known"),
        ExcludeConstraint(
            ("room_id", "="),
            (func.tstzrange(text("starts_at"), text("ends_at"), text("'[)'")), "&&"),
            name="ex_bookings_no_overlap",
            using="gist",
            where=text(_ACTIVE_SQL),
        ),
        Index("ix_bookings_user_id_starts_at", "user_id", "starts_at", "id"),
        Index("ix_bookings_room_id_starts_at", "room_id", "starts_at"),
        # Where a user's active bookings not over yet begin (booking_views.next_booking_lateral):
        # the user's past bookings stay active in status, so the by-start index walks them all.
        # ``ends_at > starts_at`` (always true) is said by the bound only: the card's own
        # statement cannot use this index (see events.models, ix_events_live_from).
        Index(
            "ix_bookings_live_from",
            "user_id",
            "ends_at",
            "starts_at",
            postgresql_where=text(f"{_ACTIVE_SQL} AND ends_at > starts_at"),
        ),
        # The reminders' scan (hub/reminders.py): the confirmed bookings starting soon.
        Index(
            "ix_bookings_confirmed_starts_at",
            "starts_at",
            postgresql_where=text("status = 'confirmed'"),
        ),
        Index("ix_bookings_series_id", "series_id", postgresql_where=text("series_id IS NOT NULL")),
        # One live hold per event: publishing twice must not hold the room twice.
        Index(
            "ux_bookings_event_hold",
            "event_id",
            unique=True,
            postgresql_where=text(f"event_id IS NOT NULL AND {_ACTIVE_SQL}"),
        ),
    )
