"""hub: venues, rooms, closures and bookings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "status IN ('pending', 'confirmed', 'checked_in')"

# A pending or confirmed booking never lies inside a closure (people already checked in when a
# closure starts are left on record as they were). A check in the service alone would race: a
# closure committed between the check and the insert would leave a booking inside it. So the
# rule is kept here, and both sides lock the room row first — bookings share the lock (they do
# not block each other), a closure takes it exclusively — so whichever comes second waits for
# the first to commit and then sees it.
BOOKING_TRIGGER = """
CREATE FUNCTION hub_booking_outside_closures() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    room_venue uuid;
BEGIN
    SELECT venue_id INTO room_venue FROM rooms WHERE id = NEW.room_id FOR SHARE;
    IF EXISTS (
        SELECT 1 FROM closures c
        WHERE (c.room_id = NEW.room_id OR (c.room_id IS NULL AND c.venue_id = room_venue))
          AND tstzrange(c.starts_at, c.ends_at, '[)')
              && tstzrange(NEW.starts_at, NEW.ends_at, '[)')
    ) THEN
        RAISE EXCEPTION 'booking of room % lies inside a closure', NEW.room_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_bookings_outside_closures';
    END IF;
    RETURN NEW;
END
$$
"""
BOOKING_TRIGGER_ON = """
CREATE TRIGGER hub_booking_outside_closures
    BEFORE INSERT OR UPDATE OF room_id, starts_at, ends_at, status ON bookings
    FOR EACH ROW WHEN (NEW.status IN ('pending', 'confirmed'))
    EXECUTE FUNCTION hub_booking_outside_closures();
"""

CLOSURE_TRIGGER = """
CREATE FUNCTION hub_closure_clear_of_bookings() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.room_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM rooms WHERE id = NEW.room_id AND venue_id = NEW.venue_id
    ) THEN
        RAISE EXCEPTION 'room % is not in venue %', NEW.room_id, NEW.venue_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_closures_room_in_venue';
    END IF;
    -- In id order, so two closures of one venue cannot deadlock each other.
    PERFORM 1 FROM rooms r
    WHERE r.id = NEW.room_id OR (NEW.room_id IS NULL AND r.venue_id = NEW.venue_id)
    ORDER BY r.id
    FOR UPDATE;
    IF EXISTS (
        SELECT 1 FROM bookings b JOIN rooms r ON r.id = b.room_id
        WHERE (b.room_id = NEW.room_id OR (NEW.room_id IS NULL AND r.venue_id = NEW.venue_id))
          AND b.status IN ('pending', 'confirmed')
          AND tstzrange(b.starts_at, b.ends_at, '[)')
              && tstzrange(NEW.starts_at, NEW.ends_at, '[)')
    ) THEN
        RAISE EXCEPTION 'closure of venue % still holds active bookings', NEW.venue_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_closures_clear_of_bookings';
    END IF;
    RETURN NEW;
END
$$
"""
CLOSURE_TRIGGER_ON = """
CREATE TRIGGER hub_closure_clear_of_bookings
    BEFORE INSERT OR UPDATE OF room_id, venue_id, starts_at, ends_at ON closures
    FOR EACH ROW EXECUTE FUNCTION hub_closure_clear_of_bookings();
"""


def upgrade() -> None:
    op.create_table(
        "venues",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column(
            "opening_hours",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
    )
    op.create_table(
        "rooms",
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("capacity", sa.SmallInteger(), nullable=False),
        sa.Column(
            "amenities",
            postgresql.ARRAY(sa.String(length=50)),
            server_default=sa.text("'{}'::varchar[]"),
            nullable=False,
        ),
        sa.Column(
            "requires_approval", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("slot_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("min_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("max_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("bookable_days_ahead", sa.SmallInteger(), nullable=False),
        sa.Column("cancel_cutoff_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("max_active_bookings_per_user", sa.SmallInteger(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "bookable_days_ahead >= 0", name=op.f("ck_rooms_days_ahead_nonnegative")
        ),
        sa.CheckConstraint("cancel_cutoff_minutes >= 0", name=op.f("ck_rooms_cutoff_nonnegative")),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_rooms_capacity_positive")),
        sa.CheckConstraint(
            "max_active_bookings_per_user > 0", name=op.f("ck_rooms_limit_positive")
        ),
        sa.CheckConstraint(
            "min_minutes >= slot_minutes AND max_minutes >= min_minutes",
            name=op.f("ck_rooms_duration_bounds"),
        ),
        sa.CheckConstraint("slot_minutes > 0", name=op.f("ck_rooms_slot_positive")),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_rooms_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rooms")),
    )
    op.create_index(op.f("ix_rooms_venue_id"), "rooms", ["venue_id"], unique=False)
    op.create_table(
        "worker_venues",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_worker_venues_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venues.id"],
            name=op.f("fk_worker_venues_venue_id_venues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "venue_id", name=op.f("pk_worker_venues")),
    )
    op.create_index(op.f("ix_worker_venues_venue_id"), "worker_venues", ["venue_id"], unique=False)
    op.create_table(
        "bookings",
        sa.Column("room_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), server_default="resident", nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("attendees", sa.SmallInteger(), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("check_in_code", sa.String(length=32), nullable=False),
        sa.Column("series_id", sa.Uuid(), nullable=True),
        sa.Column("event_id", sa.Uuid(), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        postgresql.ExcludeConstraint(
            (sa.column("room_id"), "="),
            (sa.text("tstzrange(starts_at, ends_at, '[)')"), "&&"),
            where=sa.text(ACTIVE),
            using="gist",
            name="ex_bookings_no_overlap",
        ),
        sa.CheckConstraint(
            "kind IN ('resident', 'group', 'event')", name=op.f("ck_bookings_kind_known")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'rejected', 'cancelled', 'checked_in', 'no_show')",
            name=op.f("ck_bookings_status_known"),
        ),
        sa.CheckConstraint("attendees > 0", name=op.f("ck_bookings_attendees_positive")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_bookings_time_range")),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_bookings_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_bookings_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_bookings_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("check_in_code", name=op.f("uq_bookings_check_in_code")),
    )
    op.create_index("ix_bookings_room_id_starts_at", "bookings", ["room_id", "starts_at"])
    op.create_index(
        "ix_bookings_series_id",
        "bookings",
        ["series_id"],
        postgresql_where=sa.text("series_id IS NOT NULL"),
    )
    op.create_index("ix_bookings_user_id_starts_at", "bookings", ["user_id", "starts_at", "id"])
    op.create_index(
        "ux_bookings_event_hold",
        "bookings",
        ["event_id"],
        unique=True,
        postgresql_where=sa.text(f"event_id IS NOT NULL AND {ACTIVE}"),
    )
    op.create_table(
        "closures",
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("room_id", sa.Uuid(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_closures_time_range")),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_closures_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_closures_room_id_rooms"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["venue_id"],
            ["venues.id"],
            name=op.f("fk_closures_venue_id_venues"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closures")),
    )
    op.create_index("ix_closures_room_id_ends_at", "closures", ["room_id", "ends_at"])
    op.create_index("ix_closures_venue_id_ends_at", "closures", ["venue_id", "ends_at"])
    # One statement per execute: asyncpg prepares each, and a prepared statement holds one.
    for statement in (BOOKING_TRIGGER, BOOKING_TRIGGER_ON, CLOSURE_TRIGGER, CLOSURE_TRIGGER_ON):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS hub_closure_clear_of_bookings ON closures")
    op.execute("DROP FUNCTION IF EXISTS hub_closure_clear_of_bookings()")
    op.execute("DROP TRIGGER IF EXISTS hub_booking_outside_closures ON bookings")
    op.execute("DROP FUNCTION IF EXISTS hub_booking_outside_closures()")
    op.drop_index("ix_closures_venue_id_ends_at", table_name="closures")
    op.drop_index("ix_closures_room_id_ends_at", table_name="closures")
    op.drop_table("closures")
    op.drop_index("ux_bookings_event_hold", table_name="bookings")
    op.drop_index("ix_bookings_user_id_starts_at", table_name="bookings")
    op.drop_index("ix_bookings_series_id", table_name="bookings")
    op.drop_index("ix_bookings_room_id_starts_at", table_name="bookings")
    op.drop_table("bookings")
    op.drop_index(op.f("ix_worker_venues_venue_id"), table_name="worker_venues")
    op.drop_table("worker_venues")
    op.drop_index(op.f("ix_rooms_venue_id"), table_name="rooms")
    op.drop_table("rooms")
    op.drop_table("venues")
