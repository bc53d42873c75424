"""the daily "I am safe" check-in (平安报): check-ins, missed-check-in alerts, and two columns
of care profiles the scan reads (since when the check-in is on, the latest day checked in)

Revision ID: 0016
Revises: 0013 (re-chained by the lead at merge)
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id_and_created() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
    )


def upgrade() -> None:
    op.add_column(
        "care_profiles", sa.Column("check_in_since", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("care_profiles", sa.Column("last_check_in_on", sa.Date(), nullable=True))
    # Profiles that had the check-in on before this revision: expected from their creation.
    op.execute("UPDATE care_profiles SET check_in_since = created_at WHERE check_in_enabled")
    op.create_check_constraint(
        op.f("ck_care_profiles_check_in_since_when_enabled"),
        "care_profiles",
        "check_in_enabled = (check_in_since IS NOT NULL)",
    )

    op.create_table(
        "care_check_ins",
        sa.Column("care_profile_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_in_by", sa.Uuid(), nullable=True),
        *_id_and_created(),
        sa.ForeignKeyConstraint(
            ["care_profile_id"],
            ["care_profiles.id"],
            name=op.f("fk_care_check_ins_care_profile_id_care_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["checked_in_by"],
            ["users.id"],
            name=op.f("fk_care_check_ins_checked_in_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_check_ins")),
    )
    op.create_index(
        "uq_care_check_ins_profile_day", "care_check_ins", ["care_profile_id", "day"], unique=True
    )

    op.create_table(
        "care_check_in_alerts",
        sa.Column("care_profile_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reached_by", sa.Uuid(), nullable=True),
        sa.Column("reached_note", sa.Text(), nullable=True),
        *_id_and_created(),
        sa.CheckConstraint(
            "(reached_at IS NULL) = (reached_note IS NULL)",
            name=op.f("ck_care_check_in_alerts_reached_with_note"),
        ),
        sa.ForeignKeyConstraint(
            ["care_profile_id"],
            ["care_profiles.id"],
            name=op.f("fk_care_check_in_alerts_care_profile_id_care_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reached_by"],
            ["users.id"],
            name=op.f("fk_care_check_in_alerts_reached_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_check_in_alerts")),
    )
    op.create_index(
        "uq_care_check_in_alerts_profile_day",
        "care_check_in_alerts",
        ["care_profile_id", "day"],
        unique=True,
    )
    op.create_index("ix_care_check_in_alerts_day", "care_check_in_alerts", ["day"])
    op.create_index(
        "ix_care_check_in_alerts_open_due_at",
        "care_check_in_alerts",
        ["due_at"],
        postgresql_where=sa.text(
            "escalated_at IS NULL AND resolved_at IS NULL AND reached_at IS NULL"
        ),
    )


def downgrade() -> None:
    op.drop_index("ix_care_check_in_alerts_open_due_at", table_name="care_check_in_alerts")
    op.drop_index("ix_care_check_in_alerts_day", table_name="care_check_in_alerts")
    op.drop_index("uq_care_check_in_alerts_profile_day", table_name="care_check_in_alerts")
    op.drop_table("care_check_in_alerts")
    op.drop_index("uq_care_check_ins_profile_day", table_name="care_check_ins")
    op.drop_table("care_check_ins")
    op.drop_constraint(
        op.f("ck_care_profiles_check_in_since_when_enabled"), "care_profiles", type_="check"
    )
    op.drop_column("care_profiles", "last_check_in_on")
    op.drop_column("care_profiles", "check_in_since")
