"""The seven programs (七优) and the services each offers.

Reference data in both languages, keyed by stable codes the phone app links to. It changes only
through migrations, which is what lets the service cache it per process.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.base import Base

SERVICE_KINDS = ("hub_booking", "event", "care_order", "childcare", "info")
AUDIENCES = ("all", "elderly", "children", "families")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


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
    kind: Mapped[str] = mapped_column(String(16))
    audience: Mapped[str] = mapped_column(String(16), server_default="all")
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(80))
    description_zh: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("program_code", "position"),
        CheckConstraint(_one_of("kind", SERVICE_KINDS), name="kind_known"),
        CheckConstraint(_one_of("audience", AUDIENCES), name="audience_known"),
    )
