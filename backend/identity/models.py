"""Accounts, login sessions, refresh tokens, SMS codes and household members."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.base import AuditedBase, UUIDv7Base, one_of
from schemas.identity import Gender, Relation, Role, SmsPurpose


class User(AuditedBase):
    __tablename__ = "users"

    # NULL only for an assisted resident (backend/assisted): an elder without a phone, whose
    # account a community worker acts for. No phone means no login by SMS or password; the
    # CHECK holds that such an account never has a password either.
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(50))
    # str, not Role: the code compares it with backend.core.auth.Role, the StrEnum of the same
    # values the guards use (tests/unit/test_enumerations.py holds the two together).
    role: Mapped[str] = mapped_column(String(16), server_default="resident")
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    # Real-name verification. The ID number and name are only ever stored encrypted; the
    # fingerprint (keyed HMAC) lets one ID number bind one account without decrypting anything.
    # No birth date or sex beside them, and a mask of the first and last character only: see
    # docs/identity.md, "What is stored of an ID number, and why".
    real_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_fingerprint: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    real_name_masked: Mapped[str | None] = mapped_column(String(50))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        one_of("role", Role, name="role_known"),
        CheckConstraint("phone IS NOT NULL OR password_hash IS NULL", name="no_phone_no_password"),
    )


class AuthSession(UUIDv7Base):
    """One login on one device: the family of refresh tokens that rotate from it."""

    __tablename__ = "auth_sessions"

    user_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    device_name: Mapped[str | None] = mapped_column(String(200))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    last_used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(32))

    # Setting ``revoked_at`` notifies every process (a trigger, migration 0006), which keep the
    # recent revocations in memory (``core.revocations``) and load them through this index.
    __table_args__ = (
        Index(
            "ix_auth_sessions_revoked_at",
            "revoked_at",
            postgresql_where=text("revoked_at IS NOT NULL"),
        ),
    )


class RefreshToken(UUIDv7Base):
    """A refresh token, stored only as its SHA-256; spent the moment it is used."""

    __tablename__ = "refresh_tokens"

    session_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    spent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SmsCode(UUIDv7Base):
    __tablename__ = "sms_codes"

    phone: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[SmsPurpose] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_sms_codes_phone_created_at", "phone", "created_at"),
        one_of("purpose", SmsPurpose, name="purpose_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    )


class HouseholdMember(AuditedBase):
    """An elder, a child or another member of a resident's household."""

    __tablename__ = "household_members"

    owner_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(50))
    relation: Mapped[Relation] = mapped_column(String(20))
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[Gender] = mapped_column(String(12), server_default="unspecified")
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        one_of("gender", Gender, name="gender_known"),
        one_of("relation", Relation, name="relation_known"),
    )
