"""The tables of elderly care."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, get_args
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
    Text,
    Time,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.base import ONE_OF, AuditedBase, Base, UUIDv7Base, one_of
from schemas.eldercare import CareOrderFlag, CareOrderStatus, ServiceCode, SubsidyTier


class CareService(Base):
    """The fixed catalogue of home-care services (reference data: seeded by migration 0013)."""

    __tablename__ = "care_services"

    code: Mapped[ServiceCode] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(50))
    description_zh: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    minutes: Mapped[int] = mapped_column(SmallInteger)
    price: Mapped[int] = mapped_column(Integer)
    subsidy_percent: Mapped[int] = mapped_column(SmallInteger)
    position: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (
        one_of("code", ServiceCode, name="code_known"),
        CheckConstraint("minutes > 0", name="minutes_positive"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("subsidy_percent BETWEEN 0 AND 100", name="subsidy_percent_range"),
    )


class CareProvider(AuditedBase):
    """A home-care provider the sub-district contracts."""

    __tablename__ = "care_providers"

    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))


class CareProviderService(Base):
    """A service a provider offers."""

    __tablename__ = "care_provider_services"

    provider_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("care_providers.id", ondelete="CASCADE"), primary_key=True
    )
    service_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("care_services.code"), primary_key=True, index=True
    )


class CareProviderStaff(Base):
    """A dispatcher or caregiver and the one provider they work for (as ``worker_venues``
    scopes a worker). The role itself is the account's; this row is only the scope."""

    __tablename__ = "care_provider_staff"

    user_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    provider_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("care_providers.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CareProfile(AuditedBase):
    """An elder's care profile: a member of ``owner_id``'s household (``member_id``), or the
    resident themself (``member_id`` null). Address and health notes only encrypted."""

    __tablename__ = "care_profiles"

    owner_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    member_id: Mapped[UUID | None] = mapped_column(
        Uuid, ForeignKey("household_members.id", ondelete="CASCADE")
    )
    address_enc: Mapped[bytes] = mapped_column(LargeBinary)
    address_masked: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    lives_alone: Mapped[bool] = mapped_column(server_default=text("false"))
    care_level: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    emergency_contacts: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, server_default=text("'[]'::jsonb")
    )
    health_notes_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    check_in_enabled: Mapped[bool] = mapped_column(server_default=text("false"))
    check_in_due_by: Mapped[time] = mapped_column(Time, server_default=text("'10:00'"))
    # When the daily check-in was last switched on (null while off): a day whose dueBy came
    # before it was never expected, so it is never reported missing (migration 0016).
    check_in_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The latest day checked in, written by the check-in itself: the missed-check-in scan
    # re-reads it on the row it locks, which a check-in committed during the scan has changed
    # (checkin_alerts.alert_missing).
    last_check_in_on: Mapped[date | None] = mapped_column(Date)
    subsidy_tier: Mapped[SubsidyTier | None] = mapped_column(String(20))
    monthly_allowance: Mapped[int] = mapped_column(Integer, server_default="0")

    __table_args__ = (
        CheckConstraint("care_level BETWEEN 0 AND 4", name="care_level_range"),
        CheckConstraint("lat BETWEEN -90 AND 90 AND lng BETWEEN -180 AND 180", name="location"),
        CheckConstraint("monthly_allowance >= 0", name="allowance_not_negative"),
        one_of("subsidy_tier", SubsidyTier, name="subsidy_tier_known"),
        CheckConstraint(
            "check_in_enabled = (check_in_since IS NOT NULL)", name="check_in_since_when_enabled"
        ),
        # One profile per member, and one for the resident themself.
        Index(
            "uq_care_profiles_member",
            "member_id",
            unique=True,
            postgresql_where=text("member_id IS NOT NULL"),
        ),
        Index(
            "uq_care_profiles_self",
            "owner_id",
            unique=True,
            postgresql_where=text("member_id IS NULL"),
        ),
        Index("ix_care_profiles_owner_id", "owner_id"),
    )


class CareAllowanceMonth(Base):
    """What an elder's subsidy has spent in one Asia/Shanghai month. ``allowance`` is the
    monthly allowance as it stood when the month's first debit came (raised, never lowered
    below ``spent``, when the subsidy changes). ``spent <= allowance`` is the database's: a
    debit is one conditional UPDATE, so the allowance never goes below zero whatever the
    concurrency (``allowance.debit``)."""

    __tablename__ = "care_allowance_months"

    care_profile_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("care_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    allowance: Mapped[int] = mapped_column(Integer)
    spent: Mapped[int] = mapped_column(Integer, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("spent >= 0", name="spent_not_negative"),
        CheckConstraint("spent <= allowance", name="within_allowance"),
        CheckConstraint("EXTRACT(DAY FROM month) = 1", name="month_first_day"),
    )


class CareCheckIn(UUIDv7Base):
    """An elder's "I am safe" (平安报) of one Asia/Shanghai day: one per elder and day, the
    primary key's, so parallel taps make one row."""

    __tablename__ = "care_check_ins"

    care_profile_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("care_profiles.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)
    checked_in_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    checked_in_by: Mapped[UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )

    __table_args__ = (
        Index("uq_care_check_ins_profile_day", "care_profile_id", "day", unique=True),
    )


class CareCheckInAlert(UUIDv7Base):
    """A day an elder's check-in was missing at its ``dueBy``: the household and emergency
    contacts were told when the row was made (one per elder and day, so once, whatever the
    number of workers scanning); ``escalated_at`` when the community workers were told;
    ``resolved_at`` when a late check-in came; ``reached_*`` when a worker reached the elder."""

    __tablename__ = "care_check_in_alerts"

    care_profile_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("care_profiles.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reached_by: Mapped[UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    reached_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("uq_care_check_in_alerts_profile_day", "care_profile_id", "day", unique=True),
        Index("ix_care_check_in_alerts_day", "day"),
        # The escalation scan reads only the alerts still open.
        Index(
            "ix_care_check_in_alerts_open_due_at",
            "due_at",
            postgresql_where=text(
                "escalated_at IS NULL AND resolved_at IS NULL AND reached_at IS NULL"
            ),
        ),
        CheckConstraint("(reached_at IS NULL) = (reached_note IS NULL)", name="reached_with_note"),
    )


# A caregiver's visits may not overlap while they are booked or under way; the other statuses
# have freed (or never held) the caregiver's time.
_BUSY_SQL = "status IN ('assigned', 'in_progress')"


def _flags_known() -> CheckConstraint:
    # ``one_of`` for an array column: every element is one of the Literal's values. The values
    # ride in ``info`` so tests/unit/test_enumerations.py compares them with the database's.
    values: tuple[str, ...] = get_args(CareOrderFlag)
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(
        f"flags <@ ARRAY[{listed}]::text[]", name="flags_known", info={ONE_OF: values}
    )


class CareOrder(AuditedBase):
    """A home-care order: one visit of one service to one elder (docs/eldercare.md).

    ``household_id`` is the account whose household the elder belongs to; ``requested_by`` the
    account that asked (a community worker acting for an assisted resident, or the household
    itself). The price is fixed when the order is made: ``price = subsidy + payable``; the
    subsidy is taken from the elder's allowance only at confirmation."""

    __tablename__ = "care_orders"

    household_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    # No cascade: a profile (or a member) with orders is a record that stays.
    care_profile_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("care_profiles.id"))
    member_id: Mapped[UUID | None] = mapped_column(Uuid, ForeignKey("household_members.id"))
    service_code: Mapped[ServiceCode] = mapped_column(String(32), ForeignKey("care_services.code"))
    provider_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("care_providers.id"))
    caregiver_id: Mapped[UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    status: Mapped[CareOrderStatus] = mapped_column(String(24))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, server_default="")
    price: Mapped[int] = mapped_column(Integer)
    subsidy: Mapped[int] = mapped_column(Integer)
    payable: Mapped[int] = mapped_column(Integer)
    flags: Mapped[list[CareOrderFlag]] = mapped_column(
        ARRAY(Text), server_default=text("'{}'::text[]")
    )
    requested_by: Mapped[UUID] = mapped_column(Uuid)
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_by: Mapped[UUID | None] = mapped_column(Uuid)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    missed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the assigned caregiver said they set out (once; cleared by a reassignment).
    on_the_way_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        one_of("status", CareOrderStatus, name="status_known"),
        _flags_known(),
        CheckConstraint("ends_at > starts_at", name="time_range"),
        CheckConstraint(
            "price >= 0 AND subsidy >= 0 AND payable >= 0 AND price = subsidy + payable",
            name="amounts",
        ),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        # An assigned or started order names its caregiver.
        CheckConstraint(
            "caregiver_id IS NOT NULL OR (status <> 'assigned' AND status <> 'in_progress')",
            name="busy_has_caregiver",
        ),
        ExcludeConstraint(
            ("caregiver_id", "="),
            (func.tstzrange(text("starts_at"), text("ends_at"), text("'[)'")), "&&"),
            name="ex_care_orders_caregiver_busy",
            using="gist",
            where=text(_BUSY_SQL),
        ),
        # The dispatcher's board and list: one provider's orders of a day.
        Index("ix_care_orders_provider_id_starts_at", "provider_id", "starts_at"),
        # A caregiver's day.
        Index("ix_care_orders_caregiver_id_starts_at", "caregiver_id", "starts_at"),
        # The household's list, newest first (a backward scan of the index).
        Index("ix_care_orders_household_id_starts_at", "household_id", "starts_at", "id"),
        Index("ix_care_orders_care_profile_id", "care_profile_id"),
        # The periodic scans over assigned visits starting soon (reminders) or overdue (missed).
        Index(
            "ix_care_orders_assigned_starts_at",
            "starts_at",
            postgresql_where=text("status = 'assigned'"),
        ),
        # The scan for visits awaiting confirmation too long (``updated_at`` is the check-out:
        # nothing else changes an order in that status).
        Index(
            "ix_care_orders_awaiting_updated_at",
            "updated_at",
            postgresql_where=text("status = 'awaiting_confirmation'"),
        ),
    )


class CareVisit(Base):
    """The electronic-visit-verification record of one care order: with the order's service,
    recipient and caregiver, the date, place, start and end of the visit. Written at check-in,
    completed at check-out; the caregiver's notes only encrypted (they may describe the
    elder's health)."""

    __tablename__ = "care_visits"

    order_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("care_orders.id", ondelete="CASCADE"), primary_key=True
    )
    caregiver_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    check_in_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    check_in_lat: Mapped[float] = mapped_column(Float)
    check_in_lng: Mapped[float] = mapped_column(Float)
    check_in_distance_m: Mapped[int] = mapped_column(Integer)
    elder_code_matched: Mapped[bool] = mapped_column()
    check_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    check_out_lat: Mapped[float | None] = mapped_column(Float)
    check_out_lng: Mapped[float | None] = mapped_column(Float)
    tasks: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    notes_enc: Mapped[bytes | None] = mapped_column(LargeBinary)

    __table_args__ = (
        CheckConstraint(
            "check_in_lat BETWEEN -90 AND 90 AND check_in_lng BETWEEN -180 AND 180",
            name="check_in_place",
        ),
        CheckConstraint("check_in_distance_m >= 0", name="distance_not_negative"),
        # A check-out is whole (time and place) and never before the check-in.
        CheckConstraint(
            "(check_out_at IS NULL AND check_out_lat IS NULL AND check_out_lng IS NULL) OR "
            "(check_out_at >= check_in_at AND check_out_lat BETWEEN -90 AND 90 "
            "AND check_out_lng BETWEEN -180 AND 180)",
            name="check_out_whole",
        ),
    )
