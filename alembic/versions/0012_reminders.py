"""reminders sent, and the index the reminders' scan of bookings reads

``reminders`` records each reminder sent under (starts_at, kind, subject_id): the periodic job
inserts with ON CONFLICT DO NOTHING, so two workers never send one twice, and a booking or event
moved to another time is reminded again. ``ix_bookings_confirmed_starts_at`` makes the scan of
the confirmed bookings starting soon a range scan whatever the history (events already have
``ix_events_status_starts_at``).

Revision ID: 0012
Revises: 0010 (0011 once the push helper's 0011 is merged)
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_reminders_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("starts_at", "kind", "subject_id", name=op.f("pk_reminders")),
    )
    op.create_index(
        "ix_bookings_confirmed_starts_at",
        "bookings",
        ["starts_at"],
        postgresql_where=sa.text("status = 'confirmed'"),
    )


def downgrade() -> None:
    op.drop_index("ix_bookings_confirmed_starts_at", table_name="bookings")
    op.drop_table("reminders")
