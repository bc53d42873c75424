"""Types shared by every domain's wire contract."""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

T = TypeVar("T")


class Wire(msgspec.Struct, rename="camel"):
    """Base of every request and response body: camelCase keys on the wire.

    (msgspec's ``kw_only`` does not pass to subclasses, so fields with defaults go last.)
    """


class Page(Wire, Generic[T]):
    """A cursor-paged list. ``nextCursor`` is opaque; null on the last page."""

    items: list[T]
    next_cursor: str | None = None


class FieldProblem(Wire):
    """One invalid field: its camelCase path in the request and what is wrong with it."""

    field: str
    message: str


class Problem(Wire):
    """An RFC 9457 problem document as this API answers it.

    ``code`` is the stable, machine-readable reason; ``title`` and ``detail`` follow
    ``Accept-Language``. Some codes add members of their own (e.g. ``retryAfter``).
    """

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldProblem] | None = None
    request_id: str | None = None
