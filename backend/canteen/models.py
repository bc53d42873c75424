"""The tables of the elders' canteen.

A meal row carries its own counter, ``ordered``: every order takes its portions through one
conditional ``UPDATE … SET ordered = ordered + n WHERE ordered + n <= portions`` (as an event's
seats), and the CHECK ``ordered <= portions`` holds the rule even against a bug. Every change
of a meal's orders that touches the counter locks the meal row first (the lock order).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.base import AuditedBase, Base, UUIDv7Base, one_of
from schemas.canteen import MealKind, MealOrderStatus, MealStatus
from schemas.eldercare import SubsidyTier

# Orders that hold their portions (everything but a cancellation).
HOLDING = ("confirmed", "collected", "delivered", "uncollected")


class Canteen(AuditedBase):
    __tablename__ = "canteens"

    name: Mapped[str] = mapped_column(String(100))
    # A hub venue, read through the hub's service (no foreign key: the hub owns its tables). Its
    # workers are the canteen's workers.
    venue_id: Mapped[UUID | None] = mapped_column(Uuid, index=True)
    # The delivery area: a centre and a radius (0 or none: the canteen does not deliver).
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    delivery_radius_m: Mapped[int] = mapped_column(Integer, server_default="0")

    __table_args__ = (
        CheckConstraint("delivery_radius_m BETWEEN 0 AND 20000", name="radius_range"),
        CheckConstraint("(lat IS NULL) = (lng IS NULL)", name="centre_whole"),
        CheckConstraint("delivery_radius_m = 0 OR lat IS NOT NULL", name="delivery_has_centre"),
    )


class CanteenSubsidy(Base):
    """What a canteen takes off one portion for an elder of a subsidy tier (fen)."""

    __tablename__ = "canteen_subsidies"

    canteen_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("canteens.id", ondelete="CASCADE"), primary_key=True
    )
    tier: Mapped[SubsidyTier] = mapped_column(String(20), primary_key=True)
    amount: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        one_of("tier", SubsidyTier, name="tier_known"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )


class Meal(AuditedBase):
    __tablename__ = "canteen_meals"

    canteen_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("canteens.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    meal: Mapped[MealKind] = mapped_column(String(10))
    # [{"name": "酱鸭", "note": "…"}]: the canteen's own text, shown as written.
    dishes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    price: Mapped[int] = mapped_column(Integer)
    portions: Mapped[int] = mapped_column(Integer)
    ordered: Mapped[int] = mapped_column(Integer, server_default="0")
    order_cutoff: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    serving_ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[MealStatus] = mapped_column(String(10), server_default="open")
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        one_of("meal", MealKind, name="meal_known"),
        one_of("status", MealStatus, name="status_known"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("portions > 0", name="portions_positive"),
        CheckConstraint("ordered >= 0 AND ordered <= portions", name="never_oversold"),
        CheckConstraint("order_cutoff < serving_ends_at", name="cutoff_before_end"),
        # One open lunch and one open dinner per canteen and day.
        Index(
            "uq_canteen_meals_open",
            "canteen_id",
            "date",
            "meal",
            unique=True,
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_canteen_meals_canteen_cutoff", "canteen_id", "order_cutoff", "id"),
        Index(
            "ix_canteen_meals_open_cutoff",
            "order_cutoff",
            postgresql_where=text("status = 'open'"),
        ),
    )


class MealOrder(UUIDv7Base):
    __tablename__ = "meal_orders"

    meal_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("canteen_meals.id", ondelete="CASCADE"))
    # Who ordered (and pays), and who eats: the resident themself or a household member.
    user_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    member_id: Mapped[UUID | None] = mapped_column(Uuid)
    # ``member_id`` or, for the resident themself, ``user_id``: one active order per diner.
    diner_id: Mapped[UUID] = mapped_column(Uuid)
    diner_name: Mapped[str] = mapped_column(String(50))
    portions: Mapped[int] = mapped_column(SmallInteger)
    delivery: Mapped[bool] = mapped_column(server_default=text("false"))
    # The elder's care profile (eldercare's; read through its service), for a delivery's
    # address on the day. No foreign key: eldercare owns its tables.
    care_profile_id: Mapped[UUID | None] = mapped_column(Uuid)
    status: Mapped[MealOrderStatus] = mapped_column(String(12))
    # Fixed when the order is placed: price of all portions, the subsidy, what is paid.
    price: Mapped[int] = mapped_column(Integer)
    subsidy: Mapped[int] = mapped_column(Integer)
    payable: Mapped[int] = mapped_column(Integer)
    subsidy_tier: Mapped[SubsidyTier | None] = mapped_column(String(20))
    # The pickup code as stored (backend.core.security.SealedCode): never in plaintext.
    pickup_hash: Mapped[str] = mapped_column(String(64))
    pickup_code_enc: Mapped[bytes] = mapped_column(LargeBinary)
    collected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handed_over_by: Mapped[UUID | None] = mapped_column(Uuid)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (
        one_of("status", MealOrderStatus, name="status_known"),
        one_of("subsidy_tier", SubsidyTier, name="subsidy_tier_known"),
        CheckConstraint("portions BETWEEN 1 AND 5", name="portions_range"),
        CheckConstraint(
            "subsidy >= 0 AND subsidy <= price AND payable = price - subsidy", name="money_adds_up"
        ),
        CheckConstraint("NOT delivery OR care_profile_id IS NOT NULL", name="delivery_has_elder"),
        Index(
            "uq_meal_orders_one_per_diner",
            "meal_id",
            "diner_id",
            unique=True,
            postgresql_where=text("status <> 'cancelled'"),
        ),
        Index("uq_meal_orders_pickup_hash", "pickup_hash", unique=True),
        Index("ix_meal_orders_user_id_id", "user_id", "id"),
        Index("ix_meal_orders_meal_id_id", "meal_id", "id"),
        Index(
            "ix_meal_orders_confirmed_meal",
            "meal_id",
            postgresql_where=text("status = 'confirmed'"),
        ),
    )


class MealReminderPref(Base):
    """A resident's opt-in: remind me before a meal's cutoff at this canteen if I have not
    ordered yet."""

    __tablename__ = "meal_reminder_prefs"

    user_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    canteen_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("canteens.id", ondelete="CASCADE"), index=True
    )
    minutes_before: Mapped[int] = mapped_column(SmallInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (CheckConstraint("minutes_before BETWEEN 15 AND 720", name="minutes_range"),)


class MealReminderSent(Base):
    """One cutoff reminder per meal and resident, whatever the number of workers."""

    __tablename__ = "meal_reminders_sent"

    meal_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("canteen_meals.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
