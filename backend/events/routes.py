"""HTTP routes of the events domain: parse, authorize, call the service, shape the answer.

One ``Controller`` per audience, each declaring its path, tag and guards once:

- ``routes_public.py``: anyone reads published events (no token)
- ``routes_resident.py``: a resident registers, reads and cancels their own registrations, and
  gives feedback (``resident_only``)
- ``routes_staff.py``: staff and admins run the programme under ``/manage/events``
  (``staff_or_admin``)

Who may do what is decided by those guards and nowhere else. Ownership (another resident's
registration is a 404) is part of every service query that reads a resident's objects. Routes
import only ``service``; what they share is below.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any
from uuid import UUID

from litestar.params import PathParameter, QueryParameter

TAG: str = "events"

EventId = Annotated[UUID, PathParameter(name="eventId", description="the event's id")]
RegistrationId = Annotated[
    UUID, PathParameter(name="registrationId", description="the registration's id")
]
SearchText = Annotated[
    str | None,
    QueryParameter(
        max_length=100,
        pattern=r"^[^\x00]*$",
        description="words of the title or summary (any length; Chinese works)",
    ),
]
Codes = Mapping[int, Sequence[str]]


def codes(*groups: Codes) -> dict[int, tuple[str, ...]]:
    """The codes of several groups, per status, for ``problem_responses(codes=...)``."""
    merged: dict[int, tuple[str, ...]] = {}
    for group in groups:
        for status, names in group.items():
            merged[status] = tuple(dict.fromkeys((*merged.get(status, ()), *names)))
    return merged


def search_words(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


# At the end: the controllers import what is above.
from backend.events.routes_public import PublicEventsController  # noqa: E402
from backend.events.routes_resident import ResidentController  # noqa: E402
from backend.events.routes_staff import ManageEventsController  # noqa: E402

ROUTES: list[Any] = [PublicEventsController, ResidentController, ManageEventsController]
