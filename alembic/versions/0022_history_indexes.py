"""flat cost as history grows (issue 17): where the live events and a user's live bookings
begin, so the events page, the home screen's events and its next booking skip finished ones

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 16:40:00.000000+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_events_published_ends_at",
        "events",
        ["ends_at", "starts_at"],
        postgresql_where=sa.text("status = 'published'"),
    )
    op.create_index(
        "ix_bookings_user_id_ends_at_active",
        "bookings",
        ["user_id", "ends_at", "starts_at"],
        postgresql_where=sa.text("status IN ('pending', 'confirmed', 'checked_in')"),
    )


def downgrade() -> None:
    op.drop_index("ix_bookings_user_id_ends_at_active", table_name="bookings")
    op.drop_index("ix_events_published_ends_at", table_name="events")
