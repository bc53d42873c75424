"""elderly care, visits: the electronic-visit-verification record of each care order
(check-in and check-out: time, place, distance from home, the elder's code, tasks, notes)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "care_visits",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("caregiver_id", sa.Uuid(), nullable=False),
        sa.Column("check_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("check_in_lat", sa.Float(), nullable=False),
        sa.Column("check_in_lng", sa.Float(), nullable=False),
        sa.Column("check_in_distance_m", sa.Integer(), nullable=False),
        sa.Column("elder_code_matched", sa.Boolean(), nullable=False),
        sa.Column("check_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_out_lat", sa.Float(), nullable=True),
        sa.Column("check_out_lng", sa.Float(), nullable=True),
        sa.Column(
            "tasks",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("notes_enc", sa.LargeBinary(), nullable=True),
        sa.CheckConstraint(
            "check_in_lat BETWEEN -90 AND 90 AND check_in_lng BETWEEN -180 AND 180",
            name=op.f("ck_care_visits_check_in_place"),
        ),
        sa.CheckConstraint(
            "check_in_distance_m >= 0", name=op.f("ck_care_visits_distance_not_negative")
        ),
        sa.CheckConstraint(
            "(check_out_at IS NULL AND check_out_lat IS NULL AND check_out_lng IS NULL) OR "
            "(check_out_at >= check_in_at AND check_out_lat BETWEEN -90 AND 90 "
            "AND check_out_lng BETWEEN -180 AND 180)",
            name=op.f("ck_care_visits_check_out_whole"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["care_orders.id"],
            name=op.f("fk_care_visits_order_id_care_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["caregiver_id"],
            ["users.id"],
            name=op.f("fk_care_visits_caregiver_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_care_visits")),
    )
    op.create_index(op.f("ix_care_visits_caregiver_id"), "care_visits", ["caregiver_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_care_visits_caregiver_id"), table_name="care_visits")
    op.drop_table("care_visits")
