"""Cursor pagination: keyset cursors that stay stable while rows are inserted.

A cursor encodes the sort key of the last row a page showed; the next page starts strictly after
it. Cursors are opaque to clients (URL-safe base64 of JSON). Every list declares its sort key
once, as a ``Keyset`` (the list's name and the types of its values), and every cursor that comes
in is checked here, in one place: not ours, made for another list, a value of another type, or a
time no row can hold → 422 ``invalid_cursor`` on the field ``cursor``, never a 500 further on.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

import msgspec
from litestar.params import QueryParameter

from backend.core.errors import AppError, FieldError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Our cursors hold a list's name and a few sort keys; anything this long was not made by us.
MAX_CURSOR_LENGTH = 512
# A cursor's time comes from a row, and no row holds a time outside these years. A forged time
# far outside them would not even convert to UTC on its way to the database (a 500 there).
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(2200, 1, 1, tzinfo=UTC)

T = TypeVar("T")


class _ForgedError(ValueError):
    """Anything about a cursor that says we did not make it for this list."""


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


def _time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    # A naive time would fail the comparison with a timestamptz column in the database.
    if moment.tzinfo is None:
        raise _ForgedError("naive time")
    if not EARLIEST_TIME <= moment < LATEST_TIME:
        raise _ForgedError("time out of range")
    return moment


def _revive(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) != 1:
            raise _ForgedError("not a tagged value")
        ((kind, text),) = value.items()
        if not isinstance(text, str):
            raise _ForgedError("tagged value is not text")
        if kind == "t":
            return _time(text)
        if kind == "u":
            return UUID(text)
        raise _ForgedError("unknown tag")
    if isinstance(value, str) and "\x00" in value:
        # PostgreSQL text cannot hold NUL; the query would fail as a 500.
        raise _ForgedError("NUL")
    if isinstance(value, list):
        raise _ForgedError("nested list")
    return value


def _of_type(value: Any, expected: type) -> bool:
    # JSON's true and false are ints to Python; no sort key of ours is a bool.
    return isinstance(value, expected) and not (expected is int and isinstance(value, bool))


def invalid_cursor() -> AppError:
    return AppError(
        422, "invalid_cursor", errors=[FieldError("cursor", "not a cursor this list gave out")]
    )


@dataclass(frozen=True, slots=True)
class Keyset:
    """The sort key of one list: ``kind`` names the list (a cursor from another list is
    refused), ``types`` are the types of the key's values, in order."""

    kind: str
    types: tuple[type, ...]

    def encode(self, values: Sequence[Any]) -> str:
        if len(values) != len(self.types):
            raise TypeError(f"{self.kind} cursors hold {len(self.types)} values")
        raw = msgspec.json.encode([self.kind, *(_tag(v) for v in values)])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def decode(self, cursor: str | None) -> tuple[Any, ...] | None:
        """The sort key in ``cursor``, or ``None`` for the first page; 422 when it is not one
        this list gave out."""
        if cursor is None or cursor == "":
            return None
        try:
            return self._decode(cursor)
        except (ValueError, TypeError, OverflowError, binascii.Error, msgspec.DecodeError):
            # _ForgedError, a bad time or UUID, bad base64 (binascii.Error is a ValueError) or JSON.
            raise invalid_cursor() from None

    def _decode(self, cursor: str) -> tuple[Any, ...]:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise _ForgedError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = msgspec.json.decode(raw)
        if not isinstance(decoded, list) or len(decoded) != len(self.types) + 1:
            raise _ForgedError("wrong shape")
        if decoded[0] != self.kind:
            raise _ForgedError("made for another list")
        values = tuple(_revive(v) for v in decoded[1:])
        if not all(_of_type(v, t) for v, t in zip(values, self.types, strict=True)):
            raise _ForgedError("wrong types")
        return values

    def paginate(
        self, rows: Sequence[T], limit: int, key: Callable[[T], Sequence[Any]]
    ) -> tuple[list[T], str | None]:
        """Cut a ``limit + 1`` fetch into a page and the cursor of the next one."""
        if len(rows) > limit:
            page = list(rows[:limit])
            return page, self.encode(key(page[-1]))
        return list(rows), None


# Route parameters every list endpoint declares: ``limit: Limit = DEFAULT_LIMIT``.
Limit = Annotated[
    int,
    QueryParameter(ge=1, le=MAX_LIMIT, description=f"page size, 1 to {MAX_LIMIT} (default 20)"),
]
Cursor = Annotated[
    str | None,
    QueryParameter(description="opaque cursor from the previous page's nextCursor"),
]
