"""The queue's tables belong to procrastinate: created by migration 0010 from the library's
schema (alembic/procrastinate/), not described by our models. Alembic's comparison skips them."""

from __future__ import annotations

from typing import Any

LIBRARY_PREFIX = "procrastinate_"


def is_ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's ``include_object``: False for the queue library's tables and their parts."""
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return not (table or "").startswith(LIBRARY_PREFIX)
