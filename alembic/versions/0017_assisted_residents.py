"""assisted residents: elders without a phone (users.phone nullable for them, never with a
password), their contact and encrypted address, and the acted_for audit of workers acting for
them

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("users", "phone", existing_type=sa.String(length=20), nullable=True)
    op.create_check_constraint(
        op.f("ck_users_no_phone_no_password"),
        "users",
        "phone IS NOT NULL OR password_hash IS NULL",
    )
    op.create_table(
        "assisted_residents",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("address_enc", sa.LargeBinary(), nullable=False),
        sa.Column("address_masked", sa.String(length=200), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=False),
        sa.Column("contact_name", sa.String(length=50), nullable=True),
        sa.Column("relation", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_assisted_residents_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_assisted_residents_created_by_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_assisted_residents")),
    )
    op.create_index(op.f("ix_assisted_residents_created_by"), "assisted_residents", ["created_by"])
    op.create_index(
        op.f("ix_assisted_residents_contact_phone"), "assisted_residents", ["contact_phone"]
    )
    op.create_table(
        "acted_for",
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_acted_for_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["users.id"],
            name=op.f("fk_acted_for_subject_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acted_for")),
    )
    op.create_index("ix_acted_for_subject_id_id", "acted_for", ["subject_id", "id"])
    op.create_index("ix_acted_for_actor_id_id", "acted_for", ["actor_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_acted_for_actor_id_id", table_name="acted_for")
    op.drop_index("ix_acted_for_subject_id_id", table_name="acted_for")
    op.drop_table("acted_for")
    op.drop_index(op.f("ix_assisted_residents_contact_phone"), table_name="assisted_residents")
    op.drop_index(op.f("ix_assisted_residents_created_by"), table_name="assisted_residents")
    op.drop_table("assisted_residents")
    # The old schema has no account without a phone: assisted accounts go with their tables.
    op.execute("DELETE FROM users WHERE phone IS NULL")
    op.drop_constraint(op.f("ck_users_no_phone_no_password"), "users", type_="check")
    op.alter_column("users", "phone", existing_type=sa.String(length=20), nullable=False)
