"""The tables of childcare programs and places.

A program row carries ``enrolled``, the places taken (enrolled children and open offers): it
grows only through one conditional ``UPDATE … WHERE enrolled < capacity`` and the CHECK holds
``enrolled <= capacity`` even against a bug. Every change to a program's places takes that
row's lock first, so the counter, the offers and the waitlist order never disagree.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.base import AuditedBase, Base, UUIDv7Base, one_of
from schemas.childcare import (
    LIVE_STATUSES,
    Allocation,
    ApplicationStatus,
    ProgramKind,
    ProgramStatus,
    SessionStatus,
)

LIVE_SQL = f"status IN ({', '.join(repr(s) for s in LIVE_STATUSES)})"


class Program(AuditedBase):
    __tablename__ = "childcare_programs"
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012  (SQLAlchemy reads it once)

    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[ProgramKind] = mapped_column(String(16))
    # The hub's venue and room, held through the hub's service; no foreign key, the hub owns
    # its tables.
    venue_id: Mapped[UUID] = mapped_column(Uuid)
    room_id: Mapped[UUID] = mapped_column(Uuid)
    description: Mapped[str] = mapped_column(Text, server_default="")
    min_age_months: Mapped[int] = mapped_column(SmallInteger)
    max_age_months: Mapped[int] = mapped_column(SmallInteger)
    age_on: Mapped[date] = mapped_column(Date)
    # [{"weekday": 1-7, "starts": "HH:MM", "ends": "HH:MM"}], Asia/Shanghai.
    schedule: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    term_starts: Mapped[date] = mapped_column(Date)
    term_ends: Mapped[date] = mapped_column(Date)
    capacity: Mapped[int] = mapped_column(Integer)
    fee: Mapped[int] = mapped_column(Integer, server_default="0")
    application_opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    application_closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    allocation: Mapped[Allocation] = mapped_column(String(12))
    status: Mapped[ProgramStatus] = mapped_column(String(12), server_default="draft")
    # Places taken: enrolled children and open offers.
    enrolled: Mapped[int] = mapped_column(Integer, server_default="0")
    # Handed to each application as it joins the queue (arrival, or the draw's order).
    queue_seq: Mapped[int] = mapped_column(BigInteger, server_default="0")
    offer_hours: Mapped[int] = mapped_column(SmallInteger, server_default="48")
    created_by: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    drawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        one_of("kind", ProgramKind, name="kind_known"),
        one_of("allocation", Allocation, name="allocation_known"),
        one_of("status", ProgramStatus, name="status_known"),
        CheckConstraint("max_age_months >= min_age_months", name="age_range"),
        CheckConstraint("term_ends >= term_starts", name="term_ordered"),
        CheckConstraint("application_closes_at > application_opens_at", name="window_ordered"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("fee >= 0", name="fee_not_negative"),
        CheckConstraint("offer_hours > 0", name="offer_hours_positive"),
        CheckConstraint("enrolled >= 0 AND enrolled <= capacity", name="never_overenrolled"),
        Index("ix_childcare_programs_status_id", "status", "id"),
    )


class Session(UUIDv7Base):
    """One day of a program, generated from its schedule and term; it holds the program's room
    as a hub booking (``room_hold_id``) while it is scheduled."""

    __tablename__ = "childcare_sessions"

    program_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("childcare_programs.id", ondelete="CASCADE")
    )
    date: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[SessionStatus] = mapped_column(String(12), server_default="scheduled")
    room_hold_id: Mapped[UUID | None] = mapped_column(Uuid)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        one_of("status", SessionStatus, name="status_known"),
        CheckConstraint("ends_at > starts_at", name="time_range"),
        UniqueConstraint("program_id", "date"),
        Index(
            "ix_childcare_sessions_room_hold_id",
            "room_hold_id",
            postgresql_where=text("room_hold_id IS NOT NULL"),
        ),
    )


class ProgramTeacher(Base):
    __tablename__ = "childcare_program_teachers"

    program_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("childcare_programs.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Application(AuditedBase):
    """A child's application to a program. An enrolment is an application whose status is
    ``enrolled`` (``/childcare/enrollments/{id}`` is its id)."""

    __tablename__ = "childcare_applications"
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012

    program_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("childcare_programs.id", ondelete="CASCADE")
    )
    child_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("household_members.id", ondelete="CASCADE")
    )
    # The guardian's account: the household the child is a member of.
    household_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[ApplicationStatus] = mapped_column(String(14))
    # Drawn first in a lottery: a brother or sister was enrolled in a program when it applied.
    priority: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # 1-based place in the draw's order (lottery), null before the draw or for first come.
    draw_rank: Mapped[int | None] = mapped_column(Integer)
    # Queue order: arrival (first come) or the draw's order; the waitlist is served by it.
    queue_seq: Mapped[int | None] = mapped_column(BigInteger)
    offer_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        one_of("status", ApplicationStatus, name="status_known"),
        CheckConstraint(
            "status <> 'offered' OR offer_expires_at IS NOT NULL", name="offer_has_deadline"
        ),
        CheckConstraint(
            "status <> 'waitlisted' OR queue_seq IS NOT NULL", name="waitlisted_has_seq"
        ),
        Index(
            "uq_childcare_applications_one_live",
            "program_id",
            "child_id",
            unique=True,
            postgresql_where=text(LIVE_SQL),
        ),
        Index(
            "ix_childcare_applications_waitlist",
            "program_id",
            "queue_seq",
            postgresql_where=text("status = 'waitlisted'"),
        ),
        Index(
            "ix_childcare_applications_offers",
            "offer_expires_at",
            postgresql_where=text("status = 'offered'"),
        ),
        Index("ix_childcare_applications_household_id_id", "household_id", "id"),
        Index("ix_childcare_applications_program_id_id", "program_id", "id"),
        Index("ix_childcare_applications_child_id", "child_id"),
    )


class Draw(Base):
    """A lottery's record, kept for audit: the seed and the order it gave, so anyone can
    recompute it (docs/childcare.md)."""

    __tablename__ = "childcare_draws"

    program_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("childcare_programs.id", ondelete="CASCADE"), primary_key=True
    )
    seed: Mapped[str] = mapped_column(String(64))
    algorithm: Mapped[str] = mapped_column(String(40))
    priority: Mapped[list[str]] = mapped_column(JSONB)
    offered: Mapped[list[str]] = mapped_column(JSONB)
    waitlisted: Mapped[list[str]] = mapped_column(JSONB)
    drawn_by: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    drawn_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
