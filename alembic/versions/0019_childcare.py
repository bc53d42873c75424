"""childcare: programs, their sessions (each holding the hub room as a booking of the new kind
`childcare`), teachers, applications (an enrolment is an application) and the draw records

Revision ID: 0019
Revises: 0013
Create Date: 2026-12-03 15:40:27.257861+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As the Literal was before and at this revision (tests/unit/test_enumerations.py compares).
BOOKING_KINDS_BEFORE = ("resident", "group", "event")
BOOKING_KINDS = (*BOOKING_KINDS_BEFORE, "childcare")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _booking_kinds(kinds: Sequence[str]) -> None:
    op.drop_constraint(op.f("ck_bookings_kind_known"), "bookings", type_="check")
    op.create_check_constraint(op.f("ck_bookings_kind_known"), "bookings", _in("kind", kinds))


def upgrade() -> None:
    _booking_kinds(BOOKING_KINDS)
    op.create_table(
        "childcare_programs",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=False),
        sa.Column("room_id", sa.Uuid(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("min_age_months", sa.SmallInteger(), nullable=False),
        sa.Column("max_age_months", sa.SmallInteger(), nullable=False),
        sa.Column("age_on", sa.Date(), nullable=False),
        sa.Column("schedule", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("term_starts", sa.Date(), nullable=False),
        sa.Column("term_ends", sa.Date(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("fee", sa.Integer(), server_default="0", nullable=False),
        sa.Column("application_opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("application_closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("allocation", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="draft", nullable=False),
        sa.Column("enrolled", sa.Integer(), server_default="0", nullable=False),
        sa.Column("queue_seq", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("offer_hours", sa.SmallInteger(), server_default="48", nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
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
            "allocation IN ('first_come', 'lottery')",
            name=op.f("ck_childcare_programs_allocation_known"),
        ),
        sa.CheckConstraint(
            "kind IN ('infant', 'after_school', 'holiday', 'parent_child')",
            name=op.f("ck_childcare_programs_kind_known"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'cancelled')",
            name=op.f("ck_childcare_programs_status_known"),
        ),
        sa.CheckConstraint(
            "application_closes_at > application_opens_at",
            name=op.f("ck_childcare_programs_window_ordered"),
        ),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_childcare_programs_capacity_positive")),
        sa.CheckConstraint(
            "enrolled >= 0 AND enrolled <= capacity",
            name=op.f("ck_childcare_programs_never_overenrolled"),
        ),
        sa.CheckConstraint("fee >= 0", name=op.f("ck_childcare_programs_fee_not_negative")),
        sa.CheckConstraint(
            "max_age_months >= min_age_months", name=op.f("ck_childcare_programs_age_range")
        ),
        sa.CheckConstraint(
            "offer_hours > 0", name=op.f("ck_childcare_programs_offer_hours_positive")
        ),
        sa.CheckConstraint(
            "term_ends >= term_starts", name=op.f("ck_childcare_programs_term_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_childcare_programs_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_childcare_programs")),
    )
    op.create_index(
        "ix_childcare_programs_status_id", "childcare_programs", ["status", "id"], unique=False
    )
    op.create_table(
        "childcare_applications",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("priority", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("draw_rank", sa.Integer(), nullable=True),
        sa.Column("queue_seq", sa.BigInteger(), nullable=True),
        sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
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
            "status <> 'offered' OR offer_expires_at IS NOT NULL",
            name=op.f("ck_childcare_applications_offer_has_deadline"),
        ),
        sa.CheckConstraint(
            "status <> 'waitlisted' OR queue_seq IS NOT NULL",
            name=op.f("ck_childcare_applications_waitlisted_has_seq"),
        ),
        sa.CheckConstraint(
            "status IN ('applied', 'enrolled', 'offered', 'waitlisted', 'declined', 'withdrawn',"
            " 'expired', 'not_selected')",
            name=op.f("ck_childcare_applications_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["household_members.id"],
            name=op.f("fk_childcare_applications_child_id_household_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["users.id"],
            name=op.f("fk_childcare_applications_household_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["childcare_programs.id"],
            name=op.f("fk_childcare_applications_program_id_childcare_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_childcare_applications")),
    )
    op.create_index(
        "ix_childcare_applications_child_id", "childcare_applications", ["child_id"], unique=False
    )
    op.create_index(
        "ix_childcare_applications_household_id_id",
        "childcare_applications",
        ["household_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_childcare_applications_offers",
        "childcare_applications",
        ["offer_expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'offered'"),
    )
    op.create_index(
        "ix_childcare_applications_program_id_id",
        "childcare_applications",
        ["program_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_childcare_applications_waitlist",
        "childcare_applications",
        ["program_id", "queue_seq"],
        unique=False,
        postgresql_where=sa.text("status = 'waitlisted'"),
    )
    op.create_index(
        "uq_childcare_applications_one_live",
        "childcare_applications",
        ["program_id", "child_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('applied', 'enrolled', 'offered', 'waitlisted')"),
    )
    op.create_table(
        "childcare_draws",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=40), nullable=False),
        sa.Column("priority", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("offered", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("waitlisted", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("drawn_by", sa.Uuid(), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["drawn_by"], ["users.id"], name=op.f("fk_childcare_draws_drawn_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["childcare_programs.id"],
            name=op.f("fk_childcare_draws_program_id_childcare_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("program_id", name=op.f("pk_childcare_draws")),
    )
    op.create_table(
        "childcare_program_teachers",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["childcare_programs.id"],
            name=op.f("fk_childcare_program_teachers_program_id_childcare_programs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_childcare_program_teachers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "program_id", "user_id", name=op.f("pk_childcare_program_teachers")
        ),
    )
    op.create_index(
        op.f("ix_childcare_program_teachers_user_id"),
        "childcare_program_teachers",
        ["user_id"],
        unique=False,
    )
    op.create_table(
        "childcare_sessions",
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="scheduled", nullable=False),
        sa.Column("room_hold_id", sa.Uuid(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('scheduled', 'cancelled')", name=op.f("ck_childcare_sessions_status_known")
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_childcare_sessions_time_range")),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["childcare_programs.id"],
            name=op.f("fk_childcare_sessions_program_id_childcare_programs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_childcare_sessions")),
        sa.UniqueConstraint("program_id", "date", name=op.f("uq_childcare_sessions_program_id")),
    )
    op.create_index(
        "ix_childcare_sessions_room_hold_id",
        "childcare_sessions",
        ["room_hold_id"],
        unique=False,
        postgresql_where=sa.text("room_hold_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_childcare_sessions_room_hold_id",
        table_name="childcare_sessions",
        postgresql_where=sa.text("room_hold_id IS NOT NULL"),
    )
    op.drop_table("childcare_sessions")
    op.drop_index(
        op.f("ix_childcare_program_teachers_user_id"), table_name="childcare_program_teachers"
    )
    op.drop_table("childcare_program_teachers")
    op.drop_table("childcare_draws")
    op.drop_index(
        "uq_childcare_applications_one_live",
        table_name="childcare_applications",
        postgresql_where=sa.text("status IN ('applied', 'enrolled', 'offered', 'waitlisted')"),
    )
    op.drop_index(
        "ix_childcare_applications_waitlist",
        table_name="childcare_applications",
        postgresql_where=sa.text("status = 'waitlisted'"),
    )
    op.drop_index("ix_childcare_applications_program_id_id", table_name="childcare_applications")
    op.drop_index(
        "ix_childcare_applications_offers",
        table_name="childcare_applications",
        postgresql_where=sa.text("status = 'offered'"),
    )
    op.drop_index("ix_childcare_applications_household_id_id", table_name="childcare_applications")
    op.drop_index("ix_childcare_applications_child_id", table_name="childcare_applications")
    op.drop_table("childcare_applications")
    op.drop_index("ix_childcare_programs_status_id", table_name="childcare_programs")
    op.drop_table("childcare_programs")
    # The rooms' childcare holds go with the sessions that held them.
    op.execute("DELETE FROM bookings WHERE kind = 'childcare'")
    _booking_kinds(BOOKING_KINDS_BEFORE)
