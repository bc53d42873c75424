"""Types shared by every domain's wire contract."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar

import msgspec

T = TypeVar("T")


class Wire(msgspec.Struct, rename="camel"):
    """Base of every request and response body: camelCase keys on the wire.

    (msgspec's ``kw_only`` does not pass to subclasses, so fields with defaults go last.)
    """


def wire_types() -> dict[str, type]:
    """Every wire struct by its name (the name of its schema in the OpenAPI document)."""
    found: dict[str, type] = {}
    pending: list[type] = [Wire]
    while pending:
        struct = pending.pop()
        sub: type
        for sub in struct.__subclasses__():
            found.setdefault(sub.__name__, sub)
            pending.append(sub)
    return found


class Page(Wire, Generic[T]):
    """A cursor-paged list. ``nextCursor`` is opaque; null on the last page.

    Every list answers this shape. A list that says more about the whole list than its items
    (an event's registrations and their totals) subclasses ``Page[T]`` with ``kw_only=True``
    and adds its members, so ``items`` and ``nextCursor`` are the same in every list.
    """

    items: list[T]
    next_cursor: str | None = None


class FieldProblem(Wire):
    """One invalid field: its camelCase path in the request and what is wrong with it."""

    field: str
    message: str


class ConflictingSpan(Wire):
    """One occurrence of a recurring booking that clashes (``booking_conflict``) or falls in a
    closure (``room_closed``): its local date and its times."""

    date: str
    starts_at: str
    ends_at: str


class HeldEvent(Wire):
    """An event whose room hold a closure would cancel (``closure_conflicts_event``)."""

    event_id: str
    room_id: str
    starts_at: str
    ends_at: str


class Problem(Wire):
    """An RFC 9457 problem document as this API answers it.

    ``code`` is the stable, machine-readable reason (each operation's responses list the codes
    it may answer with); ``title`` and ``detail`` follow ``Accept-Language``. The optional
    members below are added only by the codes named in their descriptions.
    """

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldProblem] | None = None
    request_id: str | None = None
    conflicts: list[ConflictingSpan] | None = None
    events: list[HeldEvent] | None = None
    checked_in_at: datetime | None = None
    confirmed_seats: int | None = None
    max_seats_per_registration: int | None = None
    audience: Literal["elderly", "children"] | None = None


# What each optional member of ``Problem`` carries, stated in the document (msgspec keeps no
# field docstrings).
PROBLEM_MEMBERS: dict[str, str] = {
    "errors": "The invalid fields (`validation_error` and the codes that name a field).",
    "requestId": "This request's id, as in the `X-Request-ID` header; quote it when reporting.",
    "conflicts": "The occurrences that clash (`booking_conflict` of a recurring booking) or "
    "fall in a closure (`room_closed`).",
    "events": "The events whose room holds the closure would cancel (`closure_conflicts_event`).",
    "checkedInAt": "When the ticket was first checked in (`already_checked_in`).",
    "confirmedSeats": "Seats already confirmed (`capacity_below_confirmed`).",
    "maxSeatsPerRegistration": "The event's limit (`too_many_seats`).",
    "audience": "Who the event is for (`audience_mismatch`).",
}
