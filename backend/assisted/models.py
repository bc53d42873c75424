"""The tables of assisted residents and of the actions taken for them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import DateTime, ForeignKey, Index, LargeBinary, SmallInteger, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.base import Base, UUIDv7Base


class AssistedResident(Base):
    """What an assisted account has beyond an ordinary one: who created it, the elder's
    address (only encrypted, with a masked form for lists) and the contact who answers for
    them. The account itself is a ``users`` row with no phone and no password."""

    __tablename__ = "assisted_residents"

    user_id: Mapped[UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_by: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id"), index=True)
    address_enc: Mapped[bytes] = mapped_column(LargeBinary)
    address_masked: Mapped[str] = mapped_column(String(200))
    # Normalised: 11 mobile digits, or a landline's digits with its area code.
    contact_phone: Mapped[str] = mapped_column(String(20), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(50))
    relation: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ActedFor(UUIDv7Base):
    """One non-read request made with an acting token: who acted (``actor_id``, from the
    token's ``act`` claim) for whom (``subject_id``), what and with which answer."""

    __tablename__ = "acted_for"

    actor_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id"))
    subject_id: Mapped[UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    operation: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    status: Mapped[int] = mapped_column(SmallInteger)
    request_id: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        Index("ix_acted_for_subject_id_id", "subject_id", "id"),
        Index("ix_acted_for_actor_id_id", "actor_id", "id"),
    )
