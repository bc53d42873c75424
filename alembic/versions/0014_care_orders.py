"""elderly care, care orders: one visit of one service to one elder, assigned by the provider's
dispatcher to a caregiver whose visits never overlap (an exclusion constraint)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As the Literals were at this revision (tests/unit/test_enumerations.py compares them).
STATUSES = (
    "requested", "assigned", "in_progress", "awaiting_confirmation", "completed", "disputed",
    "cancelled", "missed",
)  # fmt: skip
FLAGS = ("far_from_home", "short_visit")
BUSY = "status IN ('assigned', 'in_progress')"


def _quoted(values: Sequence[str]) -> str:
    return ", ".join(repr(v) for v in values)


def upgrade() -> None:
    # The exclusion constraint needs btree_gist (created by 0001).
    op.create_table(
        "care_orders",
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("care_profile_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("service_code", sa.String(length=32), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("caregiver_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("subsidy", sa.Integer(), nullable=False),
        sa.Column("payable", sa.Integer(), nullable=False),
        sa.Column(
            "flags",
            postgresql.ARRAY(sa.Text()),
            server_default=sa.text("'{}'::text[]"),
            nullable=False,
        ),
        sa.Column("requested_by", sa.Uuid(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_by", sa.Uuid(), nullable=True),
        sa.Column("cancel_reason", sa.Text(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("dispute_reason", sa.Text(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("missed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            f"status IN ({_quoted(STATUSES)})", name=op.f("ck_care_orders_status_known")
        ),
        sa.CheckConstraint(
            f"flags <@ ARRAY[{_quoted(FLAGS)}]::text[]", name=op.f("ck_care_orders_flags_known")
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_care_orders_time_range")),
        sa.CheckConstraint(
            "price >= 0 AND subsidy >= 0 AND payable >= 0 AND price = subsidy + payable",
            name=op.f("ck_care_orders_amounts"),
        ),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_care_orders_rating_range")),
        sa.CheckConstraint(
            "caregiver_id IS NOT NULL OR (status <> 'assigned' AND status <> 'in_progress')",
            name=op.f("ck_care_orders_busy_has_caregiver"),
        ),
        postgresql.ExcludeConstraint(
            (sa.column("caregiver_id"), "="),
            (sa.text("tstzrange(starts_at, ends_at, '[)')"), "&&"),
            where=sa.text(BUSY),
            using="gist",
            name="ex_care_orders_caregiver_busy",
        ),
        sa.ForeignKeyConstraint(
            ["care_profile_id"],
            ["care_profiles.id"],
            name=op.f("fk_care_orders_care_profile_id_care_profiles"),
        ),
        sa.ForeignKeyConstraint(
            ["caregiver_id"], ["users.id"], name=op.f("fk_care_orders_caregiver_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["users.id"],
            name=op.f("fk_care_orders_household_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["household_members.id"],
            name=op.f("fk_care_orders_member_id_household_members"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["care_providers.id"],
            name=op.f("fk_care_orders_provider_id_care_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["service_code"],
            ["care_services.code"],
            name=op.f("fk_care_orders_service_code_care_services"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_orders")),
    )
    op.create_index(
        "ix_care_orders_provider_id_starts_at", "care_orders", ["provider_id", "starts_at"]
    )
    op.create_index(
        "ix_care_orders_caregiver_id_starts_at", "care_orders", ["caregiver_id", "starts_at"]
    )
    op.create_index(
        "ix_care_orders_household_id_starts_at",
        "care_orders",
        ["household_id", "starts_at", "id"],
    )
    op.create_index("ix_care_orders_care_profile_id", "care_orders", ["care_profile_id"])
    op.create_index(
        "ix_care_orders_assigned_starts_at",
        "care_orders",
        ["starts_at"],
        postgresql_where=sa.text("status = 'assigned'"),
    )


def downgrade() -> None:
    op.drop_index("ix_care_orders_assigned_starts_at", table_name="care_orders")
    op.drop_index("ix_care_orders_care_profile_id", table_name="care_orders")
    op.drop_index("ix_care_orders_household_id_starts_at", table_name="care_orders")
    op.drop_index("ix_care_orders_caregiver_id_starts_at", table_name="care_orders")
    op.drop_index("ix_care_orders_provider_id_starts_at", table_name="care_orders")
    op.drop_table("care_orders")
