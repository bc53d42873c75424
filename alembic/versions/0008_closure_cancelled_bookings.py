"""closures remember how many bookings they cancelled

``GET /manage/venues/{id}/closures`` answered ``cancelledBookings: 0`` for every closure: the
count was known only while the closure was made. It is stored now. Closures made before this
revision keep 0: which bookings they cancelled was never recorded.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "closures",
        sa.Column("cancelled_bookings", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("closures", "cancelled_bookings")
