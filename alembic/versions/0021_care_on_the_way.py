"""care orders: when the assigned caregiver set out (on_the_way_at); the scan for visits
awaiting confirmation too long reads a partial index

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 16:40:00.000000+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "care_orders", sa.Column("on_the_way_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "ix_care_orders_awaiting_updated_at",
        "care_orders",
        ["updated_at"],
        unique=False,
        postgresql_where=sa.text("status = 'awaiting_confirmation'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_care_orders_awaiting_updated_at",
        table_name="care_orders",
        postgresql_where=sa.text("status = 'awaiting_confirmation'"),
    )
    op.drop_column("care_orders", "on_the_way_at")
