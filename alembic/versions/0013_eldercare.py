"""elderly care, first slice: care providers and their staff (two new roles), the services
catalogue (reference data, seeded here), elders' care profiles and the monthly allowance ledger

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As the Literals were at this revision (tests/unit/test_enumerations.py compares them).
ROLES_BEFORE = ("resident", "worker", "staff", "admin")
ROLES = (*ROLES_BEFORE, "dispatcher", "caregiver")
SERVICE_CODES = (
    "meal_delivery", "cleaning", "bathing", "clinic_escort", "haircut", "rehabilitation",
    "visit_chat",
)  # fmt: skip
TIERS = ("age_80_plus", "age_90_plus", "low_income", "disability", "lives_alone")

# code, name zh, name en, description zh, description en, minutes, price (fen), subsidy %
SERVICES = [
    ("meal_delivery", "助餐", "Meal delivery",
     "长者食堂的午餐或晚餐送到家中。", "A lunch or dinner from the elders' canteen, brought home.",
     30, 1500, 50),
    ("cleaning", "助洁", "Home cleaning",
     "居室清洁、整理和衣物清洗。", "Cleaning and tidying the home, and the laundry.",
     120, 8000, 50),
    ("bathing", "助浴", "Bathing",
     "由两名护理员协助安全洗浴。", "A safe bath or shower with two caregivers' help.",
     60, 6000, 50),
    ("clinic_escort", "助医陪诊", "Clinic escort",
     "陪同前往医院或社区卫生服务中心就诊、取药。",
     "Going with the elder to a clinic or hospital, and to collect medicines.",
     180, 12000, 40),
    ("haircut", "理发", "Haircut",
     "上门理发、修面。", "A haircut and shave at home.",
     30, 2000, 50),
    ("rehabilitation", "康复护理", "Rehabilitation",
     "康复师上门指导肢体康复训练。", "A therapist's exercises for recovering mobility, at home.",
     60, 10000, 40),
    ("visit_chat", "探访陪聊", "A visit and chat",
     "上门探望、聊天，了解近况。", "A visit to chat and see how the elder is doing.",
     60, 3000, 80),
]  # fmt: skip


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_users_role_known"), "users", type_="check")
    op.create_check_constraint(op.f("ck_users_role_known"), "users", _in("role", ROLES))

    services = op.create_table(
        "care_services",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_zh", sa.String(length=50), nullable=False),
        sa.Column("name_en", sa.String(length=50), nullable=False),
        sa.Column("description_zh", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("minutes", sa.SmallInteger(), nullable=False),
        sa.Column("price", sa.Integer(), nullable=False),
        sa.Column("subsidy_percent", sa.SmallInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint(_in("code", SERVICE_CODES), name=op.f("ck_care_services_code_known")),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_care_services_minutes_positive")),
        sa.CheckConstraint("price >= 0", name=op.f("ck_care_services_price_not_negative")),
        sa.CheckConstraint(
            "subsidy_percent BETWEEN 0 AND 100", name=op.f("ck_care_services_subsidy_percent_range")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_care_services")),
    )
    op.bulk_insert(
        services,
        [
            {
                "code": code,
                "name_zh": name_zh,
                "name_en": name_en,
                "description_zh": description_zh,
                "description_en": description_en,
                "minutes": minutes,
                "price": price,
                "subsidy_percent": percent,
                "position": position,
            }
            for position, (
                code, name_zh, name_en, description_zh, description_en, minutes, price, percent,
            ) in enumerate(SERVICES)
        ],
    )  # fmt: skip

    op.create_table(
        "care_providers",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_providers")),
    )
    op.create_table(
        "care_provider_services",
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("service_code", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["care_providers.id"],
            name=op.f("fk_care_provider_services_provider_id_care_providers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_code"],
            ["care_services.code"],
            name=op.f("fk_care_provider_services_service_code_care_services"),
        ),
        sa.PrimaryKeyConstraint(
            "provider_id", "service_code", name=op.f("pk_care_provider_services")
        ),
    )
    op.create_index(
        op.f("ix_care_provider_services_service_code"),
        "care_provider_services",
        ["service_code"],
    )
    op.create_table(
        "care_provider_staff",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["care_providers.id"],
            name=op.f("fk_care_provider_staff_provider_id_care_providers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_care_provider_staff_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_care_provider_staff")),
    )
    op.create_index(
        op.f("ix_care_provider_staff_provider_id"), "care_provider_staff", ["provider_id"]
    )
    op.create_table(
        "care_profiles",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("address_enc", sa.LargeBinary(), nullable=False),
        sa.Column("address_masked", sa.String(length=200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lng", sa.Float(), nullable=False),
        sa.Column("lives_alone", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("care_level", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column(
            "emergency_contacts",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("health_notes_enc", sa.LargeBinary(), nullable=True),
        sa.Column(
            "check_in_enabled", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("check_in_due_by", sa.Time(), server_default=sa.text("'10:00'"), nullable=False),
        sa.Column("subsidy_tier", sa.String(length=20), nullable=True),
        sa.Column("monthly_allowance", sa.Integer(), server_default="0", nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "care_level BETWEEN 0 AND 4", name=op.f("ck_care_profiles_care_level_range")
        ),
        sa.CheckConstraint(
            "lat BETWEEN -90 AND 90 AND lng BETWEEN -180 AND 180",
            name=op.f("ck_care_profiles_location"),
        ),
        sa.CheckConstraint(
            "monthly_allowance >= 0", name=op.f("ck_care_profiles_allowance_not_negative")
        ),
        sa.CheckConstraint(
            _in("subsidy_tier", TIERS), name=op.f("ck_care_profiles_subsidy_tier_known")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["household_members.id"],
            name=op.f("fk_care_profiles_member_id_household_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_care_profiles_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_profiles")),
    )
    op.create_index("ix_care_profiles_owner_id", "care_profiles", ["owner_id"])
    op.create_index(
        "uq_care_profiles_member",
        "care_profiles",
        ["member_id"],
        unique=True,
        postgresql_where=sa.text("member_id IS NOT NULL"),
    )
    op.create_index(
        "uq_care_profiles_self",
        "care_profiles",
        ["owner_id"],
        unique=True,
        postgresql_where=sa.text("member_id IS NULL"),
    )
    op.create_table(
        "care_allowance_months",
        sa.Column("care_profile_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("allowance", sa.Integer(), nullable=False),
        sa.Column("spent", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("spent >= 0", name=op.f("ck_care_allowance_months_spent_not_negative")),
        sa.CheckConstraint(
            "spent <= allowance", name=op.f("ck_care_allowance_months_within_allowance")
        ),
        sa.CheckConstraint(
            "EXTRACT(DAY FROM month) = 1", name=op.f("ck_care_allowance_months_month_first_day")
        ),
        sa.ForeignKeyConstraint(
            ["care_profile_id"],
            ["care_profiles.id"],
            name=op.f("fk_care_allowance_months_care_profile_id_care_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("care_profile_id", "month", name=op.f("pk_care_allowance_months")),
    )


def downgrade() -> None:
    op.drop_table("care_allowance_months")
    op.drop_index("uq_care_profiles_self", table_name="care_profiles")
    op.drop_index("uq_care_profiles_member", table_name="care_profiles")
    op.drop_index("ix_care_profiles_owner_id", table_name="care_profiles")
    op.drop_table("care_profiles")
    op.drop_index(op.f("ix_care_provider_staff_provider_id"), table_name="care_provider_staff")
    op.drop_table("care_provider_staff")
    op.drop_index(
        op.f("ix_care_provider_services_service_code"), table_name="care_provider_services"
    )
    op.drop_table("care_provider_services")
    op.drop_table("care_providers")
    op.drop_table("care_services")
    # Accounts of the two care roles cannot stay: they become residents.
    op.execute("UPDATE users SET role = 'resident' WHERE role IN ('dispatcher', 'caregiver')")
    op.drop_constraint(op.f("ck_users_role_known"), "users", type_="check")
    op.create_check_constraint(op.f("ck_users_role_known"), "users", _in("role", ROLES_BEFORE))
