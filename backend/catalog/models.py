"""The seven programs (七优) and the services each offers.

Reference data in both languages, keyed by stable codes the phone app links to. It changes only
through migrations, which is what lets the service cache it per process.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.base import Base, one_of
from schemas.catalog import ServiceKind
from schemas.events import Audience


class Program(Base):
    __tablename__ = "programs"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger, unique=True)
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(80))
    description_zh: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)


class ProgramService(Base):
    __tablename__ = "program_services"

    code: Mapped[str] = mapped_column(String(48), primary_key=True)
    program_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("programs.code", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(SmallInteger)
    # Which part of the service answers it: the hub's rooms, events, care orders, childcare
    # enrolment, or an information page only.
    kind: Mapped[ServiceKind] = mapped_column(String(16))
    audience: Mapped[Audience] = mapped_column(String(16), server_default="all")
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(80))
    description_zh: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("program_code", "position"),
        one_of("kind", ServiceKind, name="kind_known"),
        one_of("audience", Audience, name="audience_known"),
    )
