"""events: cultural events, registrations and tickets

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("room_id", sa.Uuid(), nullable=True),
        sa.Column("room_hold_id", sa.Uuid(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registration_opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registration_closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("max_seats_per_registration", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="draft", nullable=False),
        sa.Column("confirmed_seats", sa.Integer(), server_default="0", nullable=False),
        sa.Column("waitlisted_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("waitlist_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
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
            "audience IN ('all', 'elderly', 'children', 'families')",
            name=op.f("ck_events_audience_known"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'cancelled')", name=op.f("ck_events_status_known")
        ),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_events_capacity_positive")),
        # The no-overselling rule, held by the database even against a bug in the service.
        sa.CheckConstraint(
            "confirmed_seats >= 0 AND confirmed_seats <= capacity",
            name=op.f("ck_events_never_oversold"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_events_ends_after_start")),
        sa.CheckConstraint(
            "max_seats_per_registration BETWEEN 1 AND capacity",
            name=op.f("ck_events_max_seats_in_range"),
        ),
        sa.CheckConstraint(
            "registration_closes_at > registration_opens_at", name=op.f("ck_events_window_ordered")
        ),
        sa.CheckConstraint("waitlisted_count >= 0", name=op.f("ck_events_waitlist_not_negative")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_events_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index("ix_events_starts_at", "events", ["starts_at", "id"], unique=False)
    op.create_index(
        "ix_events_status_starts_at", "events", ["status", "starts_at", "id"], unique=False
    )
    # `q` searches title and summary through one trigram index over both (a single bitmap
    # scan); pg_trgm counts CJK characters as word characters under a UTF-8 locale.
    op.create_index(
        "ix_events_search_trgm",
        "events",
        [sa.text("(title || ' ' || summary) gin_trgm_ops")],
        postgresql_using="gin",
    )
    op.create_table(
        "event_registrations",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("seats", sa.SmallInteger(), nullable=False),
        sa.Column(
            "attendees",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("waitlist_seq", sa.BigInteger(), nullable=True),
        sa.Column("ticket_code", sa.String(length=32), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_in_by", sa.Uuid(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=40), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status <> 'confirmed' OR ticket_code IS NOT NULL",
            name=op.f("ck_event_registrations_confirmed_has_ticket"),
        ),
        sa.CheckConstraint(
            "status <> 'waitlisted' OR waitlist_seq IS NOT NULL",
            name=op.f("ck_event_registrations_waitlisted_has_seq"),
        ),
        sa.CheckConstraint(
            "status IN ('confirmed', 'waitlisted', 'cancelled')",
            name=op.f("ck_event_registrations_status_known"),
        ),
        sa.CheckConstraint("seats >= 1", name=op.f("ck_event_registrations_seats_positive")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_registrations_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_event_registrations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_registrations")),
    )
    op.create_index(
        "ix_event_registrations_event_id_id",
        "event_registrations",
        ["event_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_event_registrations_user_id_id", "event_registrations", ["user_id", "id"], unique=False
    )
    op.create_index(
        "ix_event_registrations_waitlist",
        "event_registrations",
        ["event_id", "waitlist_seq"],
        unique=False,
        postgresql_where=sa.text("status = 'waitlisted'"),
    )
    # One live registration per resident per event; cancelled ones may pile up.
    op.create_index(
        "uq_event_registrations_one_active",
        "event_registrations",
        ["event_id", "user_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('confirmed', 'waitlisted')"),
    )
    op.create_index(
        "uq_event_registrations_ticket_code", "event_registrations", ["ticket_code"], unique=True
    )
    op.create_table(
        "event_feedback",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("registration_id", sa.Uuid(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "rating BETWEEN 1 AND 5", name=op.f("ck_event_feedback_rating_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_feedback_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["event_registrations.id"],
            name=op.f("fk_event_feedback_registration_id_event_registrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_event_feedback_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_feedback")),
        sa.UniqueConstraint("event_id", "user_id", name=op.f("uq_event_feedback_event_id")),
    )


def downgrade() -> None:
    op.drop_table("event_feedback")
    op.drop_index("uq_event_registrations_ticket_code", table_name="event_registrations")
    op.drop_index(
        "uq_event_registrations_one_active",
        table_name="event_registrations",
        postgresql_where=sa.text("status IN ('confirmed', 'waitlisted')"),
    )
    op.drop_index(
        "ix_event_registrations_waitlist",
        table_name="event_registrations",
        postgresql_where=sa.text("status = 'waitlisted'"),
    )
    op.drop_index("ix_event_registrations_user_id_id", table_name="event_registrations")
    op.drop_index("ix_event_registrations_event_id_id", table_name="event_registrations")
    op.drop_table("event_registrations")
    op.drop_index("ix_events_search_trgm", table_name="events")
    op.drop_index("ix_events_status_starts_at", table_name="events")
    op.drop_index("ix_events_starts_at", table_name="events")
    op.drop_table("events")
