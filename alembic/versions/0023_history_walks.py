"""flat cost as history grows, the plan (issue 17): the events' walk by start filters on the end
in its index, and the bounds' indexes are hidden from the statements they bound

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 18:50:00.000000+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = "status IN ('pending', 'confirmed', 'checked_in')"


def upgrade() -> None:
    op.create_index(
        "ix_events_published_starts_at",
        "events",
        ["starts_at", "id", "ends_at"],
        postgresql_where=sa.text("status = 'published'"),
    )
    # The same columns as 0022's indexes; ``ends_at > starts_at`` (always true, a CHECK) is
    # only said by the bounds' subqueries, so the pages' own statements cannot use these.
    op.drop_index("ix_events_published_ends_at", table_name="events")
    op.create_index(
        "ix_events_live_from",
        "events",
        ["ends_at", "starts_at"],
        postgresql_where=sa.text("status = 'published' AND ends_at > starts_at"),
    )
    op.drop_index("ix_bookings_user_id_ends_at_active", table_name="bookings")
    op.create_index(
        "ix_bookings_live_from",
        "bookings",
        ["user_id", "ends_at", "starts_at"],
        postgresql_where=sa.text(f"{_ACTIVE} AND ends_at > starts_at"),
    )


def downgrade() -> None:
    op.drop_index("ix_bookings_live_from", table_name="bookings")
    op.create_index(
        "ix_bookings_user_id_ends_at_active",
        "bookings",
        ["user_id", "ends_at", "starts_at"],
        postgresql_where=sa.text(_ACTIVE),
    )
    op.drop_index("ix_events_live_from", table_name="events")
    op.create_index(
        "ix_events_published_ends_at",
        "events",
        ["ends_at", "starts_at"],
        postgresql_where=sa.text("status = 'published'"),
    )
    op.drop_index("ix_events_published_starts_at", table_name="events")
