"""personal data: nothing in plaintext narrows an ID number below 10,000 candidates

Verified accounts kept the ID number's birth date and sex in plaintext beside a mask of the first
four and last four characters; together they left one candidate number (docs/identity.md, "What
is stored of an ID number, and why"). The birth date and sex go (the encrypted number carries
both), and the mask keeps the first and last character only.

The downgrade is lossy: it brings the columns back empty and the masks stay short. Refilling
them needs the data key, which migrations do not hold.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The old mask's first and last characters are the number's: no decryption needed.
    op.execute(
        "UPDATE users SET id_number_masked = left(id_number_masked, 1) || repeat('*', 16)"
        " || right(id_number_masked, 1) WHERE id_number_masked IS NOT NULL"
    )
    op.drop_constraint(op.f("ck_users_gender_known"), "users", type_="check")
    op.drop_column("users", "gender")
    op.drop_column("users", "birth_date")


def downgrade() -> None:
    op.add_column("users", sa.Column("birth_date", sa.Date(), nullable=True))
    op.add_column("users", sa.Column("gender", sa.String(length=12), nullable=True))
    op.create_check_constraint(
        op.f("ck_users_gender_known"), "users", "gender IN ('male', 'female')"
    )
