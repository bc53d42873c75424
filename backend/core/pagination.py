"""Cursor pagination: keyset cursors that stay stable while rows are inserted.

A cursor encodes the sort key of the last row a page showed; the next page starts strictly after
it. Cursors are opaque to clients (URL-safe base64 of JSON) and checked on the way in.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

import msgspec
from litestar.params import Parameter

from backend.core.errors import AppError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Our cursors hold a few sort keys; anything this long was not made by us.
MAX_CURSOR_LENGTH = 512

T = TypeVar("T")
R = TypeVar("R")


def _tag(value: Any) -> Any:
    # msgspec would write datetimes and UUIDs as plain strings (its enc_hook never sees them),
    # and they would come back as strings; tag them so decoding restores the type.
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, UUID):
        return {"u": str(value)}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot put {type(value).__name__} in a cursor")


def encode_cursor(values: Sequence[Any]) -> str:
    raw = msgspec.json.encode([_tag(v) for v in values])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _revive(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((kind, text),) = value.items()
        if not isinstance(text, str):
            raise TypeError("tagged cursor value is not text")
        if kind == "t":
            moment = datetime.fromisoformat(text)
            # A naive time would fail the comparison with a timestamptz column in the database.
            if moment.tzinfo is None:
                raise ValueError("naive time in cursor")
            return moment
        if kind == "u":
            return UUID(text)
    if isinstance(value, str) and "\x00" in value:
        # PostgreSQL text cannot hold NUL; the query would fail as a 500.
        raise ValueError("NUL in cursor")
    return value


def decode_cursor(
    cursor: str | None, arity: int, *, types: Sequence[type] | None = None
) -> tuple[Any, ...] | None:
    """The sort key in ``cursor``, or ``None`` for the first page; 422 when it is not ours.

    Pass ``types`` (one per value, e.g. ``(datetime, UUID)``) so that a forged cursor carrying a
    value of another type is refused here instead of failing in the database as a 500.
    """
    if cursor is None or cursor == "":
        return None
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("cursor too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = msgspec.json.decode(raw)
        if not isinstance(values, list) or len(values) != arity:
            raise ValueError("wrong arity")
        revived = tuple(_revive(v) for v in values)
        if types is not None and not all(
            isinstance(v, t) and not (t is int and isinstance(v, bool))
            for v, t in zip(revived, types, strict=True)
        ):
            raise TypeError("wrong types")
        return revived
    except (ValueError, TypeError, msgspec.DecodeError) as exc:
        raise AppError(422, "invalid_cursor") from exc


# Route parameters every list endpoint declares: ``limit: Limit = DEFAULT_LIMIT``.
Limit = Annotated[
    int,
    Parameter(ge=1, le=MAX_LIMIT, description=f"page size, 1 to {MAX_LIMIT} (default 20)"),
]
Cursor = Annotated[
    str | None,
    Parameter(description="opaque cursor from the previous page's nextCursor"),
]


def paginate(
    rows: Sequence[T], limit: int, key: Callable[[T], Sequence[Any]]
) -> tuple[list[T], str | None]:
    """Cut a ``limit + 1`` fetch into a page and the cursor of the next one."""
    if len(rows) > limit:
        page = list(rows[:limit])
        return page, encode_cursor(key(page[-1]))
    return list(rows), None
