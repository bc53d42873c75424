"""The tables of safe drop-off and pickup: who may (and who must never) take a child, the
child's allergies and health notes, each session's attendance, absences reported in advance
and the late-pickup alerts sent.

What must hold is the database's: one attendance row per child and session (a second check-in
finds it), a check-out is a conditional UPDATE of that row (``checked_out_at IS NULL``), one
alert per child, session and stage (the key of ``childcare_late_alerts``), one absence per
enrolment and session.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.base import AuditedBase, Base, UUIDv7Base, one_of
from schemas.childcare_pickup import AlertStage, PickupMethod


class Pickup(AuditedBase):
    """A person the guardians named for one child: trusted to take them home (proving the
    last four characters of their ID, kept only as a keyed hash), or ``blocked``."""

    __tablename__ = "childcare_pickups"

    child_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("household_members.id", ondelete="CASCADE")
    )
    household_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str] = mapped_column(String(20))
    relation: Mapped[str] = mapped_column(String(20))
    id_last4_digest: Mapped[str | None] = mapped_column(String(64))
    blocked: Mapped[bool] = mapped_column(server_default=text("false"))

    __table_args__ = (
        # A trusted person always has something to prove.
        CheckConstraint("blocked OR id_last4_digest IS NOT NULL", name="trusted_has_id"),
        Index("ix_childcare_pickups_child_id", "child_id"),
    )


class ChildProfile(Base):
    """A child's allergies and health notes, only encrypted (``core.security.encrypt``)."""

    __tablename__ = "childcare_child_profiles"

    child_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("household_members.id", ondelete="CASCADE"), primary_key=True
    )
    household_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    allergies_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    health_notes_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Attendance(UUIDv7Base):
    """A child at one session: checked in (by whom, brought by whom, the security code as a
    keyed hash to compare and sealed to show the guardians), then checked out (how, by whom,
    to whom)."""

    __tablename__ = "childcare_attendance"

    session_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("childcare_sessions.id", ondelete="CASCADE")
    )
    child_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("household_members.id", ondelete="CASCADE"), index=True
    )
    enrollment_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("childcare_applications.id", ondelete="CASCADE"), index=True
    )
    checked_in_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    checked_in_by: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    brought_by: Mapped[str | None] = mapped_column(String(50))
    code_digest: Mapped[str] = mapped_column(String(64))
    code_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_out_by: Mapped[UUID | None] = mapped_column(Uuid, ForeignKey("users.id"))
    pickup_method: Mapped[PickupMethod | None] = mapped_column(String(16))
    pickup_id: Mapped[UUID | None] = mapped_column(
        Uuid, ForeignKey("childcare_pickups.id", ondelete="SET NULL")
    )
    picked_up_by: Mapped[str | None] = mapped_column(String(50))
    # Wrong codes and ID digits tried for this check-in: the guardians hear of a run of them.
    failed_checkouts: Mapped[int] = mapped_column(SmallInteger, server_default="0")

    __table_args__ = (
        UniqueConstraint("session_id", "child_id"),
        one_of("pickup_method", PickupMethod, name="pickup_method_known"),
        CheckConstraint(
            "(checked_out_at IS NULL) = (pickup_method IS NULL)", name="checked_out_has_method"
        ),
        # The late-pickup scan reads the children still in care.
        Index(
            "ix_childcare_attendance_in_care",
            "session_id",
            postgresql_where=text("checked_out_at IS NULL"),
        ),
    )


class Absence(UUIDv7Base):
    """An absence the guardians reported before the session: the child shows as excused."""

    __tablename__ = "childcare_absences"

    enrollment_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("childcare_applications.id", ondelete="CASCADE")
    )
    session_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("childcare_sessions.id", ondelete="CASCADE"), index=True
    )
    reason_enc: Mapped[bytes] = mapped_column(LargeBinary)
    reported_by: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))

    __table_args__ = (UniqueConstraint("enrollment_id", "session_id"),)


class LateAlert(Base):
    """A late-pickup alert sent: its key makes it once per child, session and stage, however
    many scans run at once."""

    __tablename__ = "childcare_late_alerts"

    session_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("childcare_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    child_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("household_members.id", ondelete="CASCADE"), primary_key=True
    )
    stage: Mapped[AlertStage] = mapped_column(String(10), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (one_of("stage", AlertStage, name="stage_known"),)
