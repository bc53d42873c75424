"""Declarative bases for every table: UUIDv7 keys and UTC ``timestamptz`` columns.

The metadata carries advanced-alchemy's naming convention, so every constraint has a
predictable name that migrations can refer to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, get_args
from uuid import UUID

from advanced_alchemy.base import orm_registry
from sqlalchemy import CheckConstraint, DateTime, Uuid, func
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from uuid_utils.compat import uuid7

metadata = orm_registry.metadata


# The key of a CHECK constraint's ``info`` under which ``one_of`` keeps its allowed values.
ONE_OF = "one_of"


def one_of(column: str, allowed: Any, *, name: str) -> CheckConstraint:
    """``CHECK (column IN (...))`` with the values of ``allowed``, a ``Literal`` of ``schemas/``:
    the wire type and the table hold the same list because there is one. The values are kept in
    the constraint's ``info`` so that a test can compare them with the database's
    (``tests/unit/test_enumerations.py``): a Literal changed without a migration fails there."""
    values: tuple[str, ...] = get_args(allowed)
    if not values or not all(isinstance(v, str) for v in values):
        raise TypeError(f"one_of takes a Literal of strings, not {allowed!r}")
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name, info={ONE_OF: values})


def new_id() -> UUID:
    """A time-ordered UUIDv7: index-friendly and sortable by creation."""
    return uuid7()


class Base(AsyncAttrs, DeclarativeBase):
    """A table with keys of its own choosing."""

    __abstract__ = True
    registry = orm_registry
    metadata = metadata


class UUIDv7Base(Base):
    """A table keyed by a UUIDv7 ``id`` with the time it was created."""

    __abstract__ = True

    id: Mapped[UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AuditedBase(UUIDv7Base):
    """A UUIDv7-keyed table that also records when it last changed."""

    __abstract__ = True

    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
