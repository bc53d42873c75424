"""the elders' canteen (长者食堂): canteens and their per-tier subsidies, meals with their
portions counter, meal orders (subsidy fixed on the order, pickup codes stored hashed and
sealed), the residents' cutoff-reminder opt-in and the reminders sent

Revision ID: 0018
Revises: 0013
Create Date: 2026-12-03 15:45:54.228219+00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "canteens",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("venue_id", sa.Uuid(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lng", sa.Float(), nullable=True),
        sa.Column("delivery_radius_m", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("(lat IS NULL) = (lng IS NULL)", name=op.f("ck_canteens_centre_whole")),
        sa.CheckConstraint(
            "delivery_radius_m = 0 OR lat IS NOT NULL", name=op.f("ck_canteens_delivery_has_centre")
        ),
        sa.CheckConstraint(
            "delivery_radius_m BETWEEN 0 AND 20000", name=op.f("ck_canteens_radius_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canteens")),
    )
    op.create_index(op.f("ix_canteens_venue_id"), "canteens", ["venue_id"], unique=False)
    op.create_table(
        "canteen_meals",
        sa.Column("canteen_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("meal", sa.String(length=10), nullable=False),
        sa.Column("dishes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("portions", sa.Integer(), nullable=False),
        sa.Column("ordered", sa.Integer(), server_default="0", nullable=False),
        sa.Column("order_cutoff", sa.DateTime(timezone=True), nullable=False),
        sa.Column("serving_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="open", nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=200), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("meal IN ('lunch', 'dinner')", name=op.f("ck_canteen_meals_meal_known")),
        sa.CheckConstraint(
            "status IN ('open', 'cancelled')", name=op.f("ck_canteen_meals_status_known")
        ),
        sa.CheckConstraint(
            "order_cutoff < serving_ends_at", name=op.f("ck_canteen_meals_cutoff_before_end")
        ),
        sa.CheckConstraint(
            "ordered >= 0 AND ordered <= portions", name=op.f("ck_canteen_meals_never_oversold")
        ),
        sa.CheckConstraint("portions > 0", name=op.f("ck_canteen_meals_portions_positive")),
        sa.CheckConstraint("price >= 0", name=op.f("ck_canteen_meals_price_not_negative")),
        sa.ForeignKeyConstraint(
            ["canteen_id"],
            ["canteens.id"],
            name=op.f("fk_canteen_meals_canteen_id_canteens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canteen_meals")),
    )
    op.create_index(
        "ix_canteen_meals_canteen_cutoff",
        "canteen_meals",
        ["canteen_id", "order_cutoff", "id"],
        unique=False,
    )
    op.create_index(
        "ix_canteen_meals_open_cutoff",
        "canteen_meals",
        ["order_cutoff"],
        unique=False,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index(
        "uq_canteen_meals_open",
        "canteen_meals",
        ["canteen_id", "date", "meal"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "canteen_subsidies",
        sa.Column("canteen_id", sa.Uuid(), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "tier IN ('age_80_plus', 'age_90_plus', 'low_income', 'disability', 'lives_alone')",
            name=op.f("ck_canteen_subsidies_tier_known"),
        ),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_canteen_subsidies_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["canteen_id"],
            ["canteens.id"],
            name=op.f("fk_canteen_subsidies_canteen_id_canteens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("canteen_id", "tier", name=op.f("pk_canteen_subsidies")),
    )
    op.create_table(
        "meal_reminder_prefs",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("canteen_id", sa.Uuid(), nullable=False),
        sa.Column("minutes_before", sa.SmallInteger(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "minutes_before BETWEEN 15 AND 720", name=op.f("ck_meal_reminder_prefs_minutes_range")
        ),
        sa.ForeignKeyConstraint(
            ["canteen_id"],
            ["canteens.id"],
            name=op.f("fk_meal_reminder_prefs_canteen_id_canteens"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_meal_reminder_prefs_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_meal_reminder_prefs")),
    )
    op.create_index(
        op.f("ix_meal_reminder_prefs_canteen_id"),
        "meal_reminder_prefs",
        ["canteen_id"],
        unique=False,
    )
    op.create_table(
        "meal_orders",
        sa.Column("meal_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("diner_id", sa.Uuid(), nullable=False),
        sa.Column("diner_name", sa.String(length=50), nullable=False),
        sa.Column("portions", sa.SmallInteger(), nullable=False),
        sa.Column("delivery", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("care_profile_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("subsidy", sa.Integer(), nullable=False),
        sa.Column("payable", sa.Integer(), nullable=False),
        sa.Column("subsidy_tier", sa.String(length=20), nullable=True),
        sa.Column("pickup_hash", sa.String(length=64), nullable=False),
        sa.Column("pickup_code_enc", sa.LargeBinary(), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handed_over_by", sa.Uuid(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=20), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('confirmed', 'collected', 'delivered', 'uncollected', 'cancelled')",
            name=op.f("ck_meal_orders_status_known"),
        ),
        sa.CheckConstraint(
            "subsidy_tier IN ('age_80_plus', 'age_90_plus', 'low_income', 'disability', "
            "'lives_alone')",
            name=op.f("ck_meal_orders_subsidy_tier_known"),
        ),
        sa.CheckConstraint(
            "NOT delivery OR care_profile_id IS NOT NULL",
            name=op.f("ck_meal_orders_delivery_has_elder"),
        ),
        sa.CheckConstraint("portions BETWEEN 1 AND 5", name=op.f("ck_meal_orders_portions_range")),
        sa.CheckConstraint(
            "subsidy >= 0 AND subsidy <= price AND payable = price - subsidy",
            name=op.f("ck_meal_orders_money_adds_up"),
        ),
        sa.ForeignKeyConstraint(
            ["meal_id"],
            ["canteen_meals.id"],
            name=op.f("fk_meal_orders_meal_id_canteen_meals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_meal_orders_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meal_orders")),
    )
    op.create_index(
        "ix_meal_orders_confirmed_meal",
        "meal_orders",
        ["meal_id"],
        unique=False,
        postgresql_where=sa.text("status = 'confirmed'"),
    )
    op.create_index("ix_meal_orders_meal_id_id", "meal_orders", ["meal_id", "id"], unique=False)
    op.create_index("ix_meal_orders_user_id_id", "meal_orders", ["user_id", "id"], unique=False)
    op.create_index(
        "uq_meal_orders_one_per_diner",
        "meal_orders",
        ["meal_id", "diner_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'cancelled'"),
    )
    op.create_index("uq_meal_orders_pickup_hash", "meal_orders", ["pickup_hash"], unique=True)
    op.create_table(
        "meal_reminders_sent",
        sa.Column("meal_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meal_id"],
            ["canteen_meals.id"],
            name=op.f("fk_meal_reminders_sent_meal_id_canteen_meals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_meal_reminders_sent_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meal_id", "user_id", name=op.f("pk_meal_reminders_sent")),
    )


def downgrade() -> None:
    # Their indexes go with the tables.
    for table in (
        "meal_reminders_sent",
        "meal_orders",
        "meal_reminder_prefs",
        "canteen_subsidies",
        "canteen_meals",
        "canteens",
    ):
        op.drop_table(table)
