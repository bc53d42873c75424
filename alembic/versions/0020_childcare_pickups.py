"""childcare safe drop-off and pickup: trusted and blocked people, children's allergies and
health notes (encrypted), attendance with security codes, absences and late-pickup alerts

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 15:44:16.002387+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "childcare_child_profiles",
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("allergies_enc", sa.LargeBinary(), nullable=True),
        sa.Column("health_notes_enc", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["household_members.id"],
            name=op.f("fk_childcare_child_profiles_child_id_household_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["users.id"],
            name=op.f("fk_childcare_child_profiles_household_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("child_id", name=op.f("pk_childcare_child_profiles")),
    )
    op.create_index(
        op.f("ix_childcare_child_profiles_household_id"),
        "childcare_child_profiles",
        ["household_id"],
        unique=False,
    )
    op.create_table(
        "childcare_pickups",
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("relation", sa.String(length=20), nullable=False),
        sa.Column("id_last4_digest", sa.String(length=64), nullable=True),
        sa.Column("blocked", sa.Boolean(), server_default=sa.text("false"), nullable=False),
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
            "blocked OR id_last4_digest IS NOT NULL",
            name=op.f("ck_childcare_pickups_trusted_has_id"),
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["household_members.id"],
            name=op.f("fk_childcare_pickups_child_id_household_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["users.id"],
            name=op.f("fk_childcare_pickups_household_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_childcare_pickups")),
    )
    op.create_index(
        "ix_childcare_pickups_child_id", "childcare_pickups", ["child_id"], unique=False
    )
    op.create_table(
        "childcare_absences",
        sa.Column("enrollment_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("reason_enc", sa.LargeBinary(), nullable=False),
        sa.Column("reported_by", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["childcare_applications.id"],
            name=op.f("fk_childcare_absences_enrollment_id_childcare_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reported_by"],
            ["users.id"],
            name=op.f("fk_childcare_absences_reported_by_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["childcare_sessions.id"],
            name=op.f("fk_childcare_absences_session_id_childcare_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_childcare_absences")),
        sa.UniqueConstraint(
            "enrollment_id", "session_id", name=op.f("uq_childcare_absences_enrollment_id")
        ),
    )
    op.create_index(
        op.f("ix_childcare_absences_session_id"), "childcare_absences", ["session_id"], unique=False
    )
    op.create_table(
        "childcare_attendance",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("enrollment_id", sa.Uuid(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_in_by", sa.Uuid(), nullable=False),
        sa.Column("brought_by", sa.String(length=50), nullable=True),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("code_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_out_by", sa.Uuid(), nullable=True),
        sa.Column("pickup_method", sa.String(length=16), nullable=True),
        sa.Column("pickup_id", sa.Uuid(), nullable=True),
        sa.Column("picked_up_by", sa.String(length=50), nullable=True),
        sa.Column("failed_checkouts", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "pickup_method IN ('security_code', 'trusted_id')",
            name=op.f("ck_childcare_attendance_pickup_method_known"),
        ),
        sa.CheckConstraint(
            "(checked_out_at IS NULL) = (pickup_method IS NULL)",
            name=op.f("ck_childcare_attendance_checked_out_has_method"),
        ),
        sa.ForeignKeyConstraint(
            ["checked_in_by"],
            ["users.id"],
            name=op.f("fk_childcare_attendance_checked_in_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["checked_out_by"],
            ["users.id"],
            name=op.f("fk_childcare_attendance_checked_out_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["household_members.id"],
            name=op.f("fk_childcare_attendance_child_id_household_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enrollment_id"],
            ["childcare_applications.id"],
            name=op.f("fk_childcare_attendance_enrollment_id_childcare_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pickup_id"],
            ["childcare_pickups.id"],
            name=op.f("fk_childcare_attendance_pickup_id_childcare_pickups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["childcare_sessions.id"],
            name=op.f("fk_childcare_attendance_session_id_childcare_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_childcare_attendance")),
        sa.UniqueConstraint(
            "session_id", "child_id", name=op.f("uq_childcare_attendance_session_id")
        ),
    )
    op.create_index(
        op.f("ix_childcare_attendance_child_id"), "childcare_attendance", ["child_id"], unique=False
    )
    op.create_index(
        op.f("ix_childcare_attendance_enrollment_id"),
        "childcare_attendance",
        ["enrollment_id"],
        unique=False,
    )
    op.create_index(
        "ix_childcare_attendance_in_care",
        "childcare_attendance",
        ["session_id"],
        unique=False,
        postgresql_where=sa.text("checked_out_at IS NULL"),
    )
    op.create_table(
        "childcare_late_alerts",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column(
            "sent_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint(
            "stage IN ('guardians', 'teachers')", name=op.f("ck_childcare_late_alerts_stage_known")
        ),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["household_members.id"],
            name=op.f("fk_childcare_late_alerts_child_id_household_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["childcare_sessions.id"],
            name=op.f("fk_childcare_late_alerts_session_id_childcare_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "session_id", "child_id", "stage", name=op.f("pk_childcare_late_alerts")
        ),
    )


def downgrade() -> None:
    op.drop_table("childcare_late_alerts")
    op.drop_index(
        "ix_childcare_attendance_in_care",
        table_name="childcare_attendance",
        postgresql_where=sa.text("checked_out_at IS NULL"),
    )
    op.drop_index(op.f("ix_childcare_attendance_enrollment_id"), table_name="childcare_attendance")
    op.drop_index(op.f("ix_childcare_attendance_child_id"), table_name="childcare_attendance")
    op.drop_table("childcare_attendance")
    op.drop_index(op.f("ix_childcare_absences_session_id"), table_name="childcare_absences")
    op.drop_table("childcare_absences")
    op.drop_index("ix_childcare_pickups_child_id", table_name="childcare_pickups")
    op.drop_table("childcare_pickups")
    op.drop_index(
        op.f("ix_childcare_child_profiles_household_id"), table_name="childcare_child_profiles"
    )
    op.drop_table("childcare_child_profiles")
